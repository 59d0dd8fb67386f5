#!/usr/bin/env bash
# Starts a private containerd with its CRI plugin (the runtime a Kubernetes node's kubelet talks to)
# for the CRI tests: its own root, state and socket under DIR, runc, overlayfs, no CNI (the test pods
# use the node's network), the bookworm test image imported and used as the sandbox ("pause") image.
# Prints the CRI socket path on stdout. Stop it with: kill "$(cat DIR/containerd.pid)".
#   usage: scripts/start-containerd.sh DIR [IMAGE_TAR]
set -euo pipefail
dir=${1:?usage: start-containerd.sh DIR [IMAGE_TAR]}
image_tar=${2:-${BULKHEAD_TESTDATA:-/var/tmp/bulkhead-testdata}/bookworm.docker.tar}
command -v containerd >/dev/null || { echo "start-containerd: containerd is not installed (scripts/install-deps.sh)" >&2; exit 1; }
[ -f "$image_tar" ] || { echo "start-containerd: no test image $image_tar (scripts/build-test-images.sh)" >&2; exit 1; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
# The socket path must stay under the 108-byte sun_path limit: the state lives under /run.
state=/run/bh-containerd-$(echo "$dir" | md5sum | cut -c1-8)
sock=$state/containerd.sock
tag=$(tar -xOf "$image_tar" manifest.json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["RepoTags"][0])')
# The sandbox ("pause") image: the test image whose command sleeps, as pause does (kubelet's own
# registry.k8s.io/pause cannot be pulled here). Written as a docker archive with the config changed.
pause=localhost/bh-test/pause:1
python3 - "$image_tar" "$dir/pause.tar" "$pause" <<'PY'
import hashlib, io, json, sys, tarfile
src, dst, tag = sys.argv[1:]
with tarfile.open(src) as t, tarfile.open(dst, "w") as out:
    manifest = json.load(t.extractfile("manifest.json"))
    config = json.load(t.extractfile(manifest[0]["Config"]))
    config.setdefault("config", {})["Cmd"] = ["sleep", "infinity"]
    config["config"]["Entrypoint"] = None
    body = json.dumps(config).encode()
    name = hashlib.sha256(body).hexdigest() + ".json"
    manifest[0].update(Config=name, RepoTags=[tag])
    def add(n, data):
        i = tarfile.TarInfo(n); i.size = len(data); out.addfile(i, io.BytesIO(data))
    add(name, body)
    add("manifest.json", json.dumps(manifest).encode())
    for m in t.getmembers():
        if m.name.endswith(".tar"):
            out.addfile(m, t.extractfile(m))
PY
cat > "$dir/config.toml" <<EOF
version = 2
root = "$dir/root"
state = "$state/state"
[grpc]
  address = "$sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$pause"
  enable_selinux = false
  # This machine's root lacks CAP_SYS_RESOURCE (see RECIPES): the pause container's oom_score_adj
  # of -998 cannot be set, so it is kept at the caller's.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "$(command -v runc)"
        SystemdCgroup = false
EOF
if [ -f "$dir/containerd.pid" ] && kill -0 "$(cat "$dir/containerd.pid")" 2>/dev/null; then
  echo "$sock"; exit 0
fi
containerd --config "$dir/config.toml" >"$dir/containerd.log" 2>&1 </dev/null &
echo $! > "$dir/containerd.pid"
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || { echo "start-containerd: no socket after 10 s; log:" >&2; tail -20 "$dir/containerd.log" >&2; exit 1; }
ctr -a "$sock" -n k8s.io images import "$image_tar" >/dev/null
ctr -a "$sock" -n k8s.io images import "$dir/pause.tar" >/dev/null
echo "$sock"
