#!/usr/bin/env bash
# Hostile inputs for `bulkhead config` at the sizes of issue 11: Dockerfile variable expansion
# (doubling ENV, ${A//?/$A}, FROM $VAR, heredocs), manifests that used to drop a privileged Pod
# (1000 empty documents, two 65k-key ConfigMaps, a field nested 70 deep, a Latin-1 byte), the YAML
# limits (depth, alias bombs, nodes, documents, pod specs, 60 MiB files), and inputs that are not
# regular files (FIFO, /dev/zero, /dev/urandom). Each case runs under a 4 GiB address-space limit
# (as the issue's attacker ran them) and prints its exit code, wall time, peak RSS and what the
# report says (the findings that matter).
#
# Usage: bench/hostile-config.sh [CASE-SUBSTRING]
#   BULKHEAD=path/to/bulkhead   binary to run (default: target/release/bulkhead, built if missing)
# Expected: every case exits 0 (or 2 for the refused inputs) in a few seconds at most, peak RSS
# under 512 MiB, and the Pod of every manifest case is judged (PSS-privileged).
set -Euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FILTER="${1:-}"
BH="${BULKHEAD:-$REPO/target/release/bulkhead}"
if [ ! -x "$BH" ]; then
  (cd "$REPO" && cargo build --release -q -p bulkhead) || exit 1
fi
command -v /usr/bin/time >/dev/null || { echo "hostile-config: /usr/bin/time is needed (apt-get install time)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "hostile-config: python3 is needed to generate the inputs" >&2; exit 1; }
W="$(mktemp -d)"; trap 'rm -rf "$W"' EXIT

# Generate every input once (python3: byte-exact, fast).
python3 - "$W" <<'EOF'
import os, sys
w = sys.argv[1]
def put(name, data):
    with open(os.path.join(w, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
POD = """apiVersion: v1
kind: Pod
metadata:
  name: evil
spec:
  containers:
  - name: c
    image: nginx:1.25
    securityContext:
      privileged: true
"""
def cm(name, keys):
    return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\ndata:\n" % name + "".join("  k%d: v\n" % i for i in range(keys))
def nested(depth):
    s = POD + "      x:\n"
    ind = "        "
    for _ in range(depth):
        s += ind + "y:\n"; ind += "  "
    return s + ind + "z: 1\n"
os.makedirs(os.path.join(w, "df"), exist_ok=True)
def df(name, text):
    d = os.path.join(w, "df", name)
    os.makedirs(d, exist_ok=True)
    put(os.path.join("df", name, "Dockerfile"), text)
df("doubling-env", "FROM alpine:3.20\nENV A=x\n" + "ENV A=$A$A\n" * 40 + "USER root\n")
df("replace-square", "FROM alpine:3.20\nENV A=xx\n" + "ENV A=${A//?/$A}\n" * 10 + "USER root\n")
df("from-var", "ARG A=x\n" + "ARG A=$A$A\n" * 40 + "FROM $A\nUSER root\n")
df("discarded-refs", "FROM alpine:3.20\nENV A=" + "y" * 60000 + "\n" + ("ENV B=" + "${A:+x}" * 9000 + "\n") * 200 + "USER root\n")
df("heredoc-refs", "FROM alpine:3.20\nENV A=" + "y" * 60000 + "\nRUN <<EOF\n" + "echo $A $A $A $A\n" * 100000 + "EOF\nUSER root\n")
df("chained-stages-20k", "FROM alpine:3.20 AS s0\n" + "".join("FROM s%d AS s%d\nENV V%d=$V%d\n" % (i - 1, i, i, i - 1) for i in range(1, 20000)))
df("fanout-stages-20k", "FROM alpine:3.20 AS base\n" + "".join("ENV V%d=x\n" % i for i in range(20000)) + "".join("FROM base AS t%d\n" % i for i in range(20000)))
df("pragmas-50k", "FROM alpine:3.20\n" + "# hadolint ignore=DL3008\nRUN apt-get install -y curl\n" * 50000)
df("env-pairs-45k", "FROM alpine:3.20\nENV " + " \\\n  ".join("a%d=$a%d" % (i, i + 1) for i in range(45000)) + "\n")
df("instructions-99k", "FROM alpine:3.20\n" + "RUN apt-get install -y curl\n" * 99000)
df("heredoc-30mb", "FROM alpine:3.20\nRUN <<EOF\n" + "echo hello $A && apt-get install -y foo\n" * 750000 + "EOF\nUSER root\n")
df("long-stage-name", "FROM alpine:3.20 AS " + "s" * 60000 + "\n" + "RUN apt-get install -y curl\n" * 20000)
df("comments-30mb", "FROM alpine:3.20\n" + "# comment comment comment comment\n" * 900000 + "USER root\n")
put("empty-docs-1000.yaml", POD + "---\n" * 1000)
put("empty-docs-1m.yaml", POD + "---\n" * 1000000)
put("configmaps-65k.yaml", cm("a", 65536) + "---\n" + POD + "---\n" + cm("b", 65536))
put("nested-70.yaml", nested(70))
put("nested-300.yaml", POD + "---\n" + nested(300))
put("latin1.yaml", b"# caf\xe9\n" + POD.encode())
bomb = "kind: ConfigMap\na: &a [x, x, x, x, x, x, x, x, x, x]\n"
prev = "a"
for c in "bcdefghijk":
    bomb += "%s: &%s [%s]\n" % (c, c, ", ".join(["*" + prev] * 10)); prev = c
put("alias-bomb.yaml", POD + "---\n" + bomb)
pad = "# padding padding padding padding padding padding padding\n"
put("60mib.yaml", POD + pad * ((60 << 20) // len(pad)))
tiny = "---\n{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x, securityContext: {privileged: true}}]}}\n"
put("tiny-pods-30mib.yaml", tiny * ((30 << 20) // len(tiny)))
put("list-20k-pods.yaml", "apiVersion: v1\nkind: List\nitems:\n" + "".join("- {kind: Pod, metadata: {name: p%d}, spec: {containers: [{name: c, image: x}]}}\n" % i for i in range(20000)))
s = POD + "---\nkind: ConfigMap\ndata:\n"
ind = "  "
for i in range(16):
    s += ind + "k" * 1000 + str(i) + ":\n"; ind += "  "
put("long-keys.yaml", s + "".join(ind + "x%d: v\n" % i for i in range(200000)))
put("cm-240k-keys.yaml", POD + "---\n" + cm("big", 240000))
put("pod-45k-containers.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n" + "".join("  - {name: c%d, image: x, securityContext: {privileged: true}}\n" % i for i in range(45000)))
put("pod-long-name.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: " + "n" * (1 << 20) + "}\nspec:\n  containers:\n" + "".join("  - {name: c%d, image: x, securityContext: {privileged: true}}\n" % i for i in range(5000)))
EOF
mkfifo "$W/fifo.yaml"
cp "$W/nested-70.yaml" "$W/pod.yaml"

printf '%-34s %5s %9s %9s  %s\n' case exit wall_s rss_mib report
# run NAME [stdin-file|-] ARGS...: `bulkhead config -f $FMT ARGS` (FMT: json unless set) under
# ulimit -v 4 GiB.
run() {
  local name="$1" input="$2"; shift 2
  case "$name" in *"$FILTER"*) ;; *) return ;; esac
  local out="$W/out.json" err="$W/err" tm="$W/time" code
  if [ "$input" = - ]; then input=/dev/null; fi
  (ulimit -v $((4 << 20)); cd "$W" && exec /usr/bin/time -f '%e %M' -o "$tm" "$BH" config -f "${FMT:-json}" "$@" <"$input" >"$out" 2>"$err")
  code=$?
  local wall rss
  read -r wall rss < <(tail -n 1 "$tm" 2>/dev/null || echo "? 0")
  local what
  what=$(python3 - "$out" "$err" <<'EOF'
import json, sys, collections
try:
    r = json.load(open(sys.argv[1]))
    c = collections.Counter(f["id"] for t in r["targets"] for f in t["findings"])
    keep = [k for k in ("PSS-privileged", "BH-PARSE", "BH-ENCODING", "DL3002", "DL3008", "DL3044") if c[k]]
    print(" ".join("%s×%d" % (k, c[k]) for k in keep) or "no findings")
except Exception:
    lines = open(sys.argv[2], errors="replace").read().strip().splitlines()
    out = open(sys.argv[1], "rb").read()
    print((lines[-1] if lines else "%d bytes of output" % len(out))[:110])
EOF
)
  printf '%-34s %5s %9s %9s  %s\n' "$name" "$code" "$wall" "$((rss / 1024))" "$what"
}

for d in "$W"/df/*/; do
  n=$(basename "$d")
  run "dockerfile $n" - "df/$n/Dockerfile"
done
run "dockerfile doubling-env (stdin)" "$W/df/doubling-env/Dockerfile" --stdin-dockerfile -
for f in empty-docs-1000 empty-docs-1m configmaps-65k nested-70 nested-300 latin1 alias-bomb \
         tiny-pods-30mib list-20k-pods long-keys cm-240k-keys pod-45k-containers pod-long-name; do
  run "yaml $f" - "$f.yaml"
done
run "yaml 60mib (default 32 MiB limit)" - 60mib.yaml
run "yaml 60mib --max-file-size 64" - --max-file-size 64 60mib.yaml
run "yaml 60mib on stdin" "$W/60mib.yaml" -
run "cm-240k-keys --max-yaml-nodes 100000" - --max-yaml-nodes 100000 cm-240k-keys.yaml
for fmt in table sarif junit; do
  FMT=$fmt run "yaml pod-45k-containers -f $fmt" - pod-45k-containers.yaml
  FMT=$fmt run "dockerfile instructions-99k -f $fmt" - df/instructions-99k/Dockerfile
done
run "fifo" - fifo.yaml
run "/dev/zero" - /dev/zero
run "/dev/urandom" - /dev/urandom
run "--config /dev/zero" - --config /dev/zero pod.yaml
run "--config /dev/urandom" - --config /dev/urandom pod.yaml
run "--config fifo" - --config fifo.yaml pod.yaml
