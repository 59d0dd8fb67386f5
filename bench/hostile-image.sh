#!/usr/bin/env bash
# Hostile image and inventory inputs at full size (issue 11), for `bulkhead image`: for each case,
# the exit code, wall time and peak RSS, under a 4 GiB address-space limit (as the attacker ran
# them) and a wall-time limit. The test suite runs the same classes small
# (crates/bulkhead/tests/hostile_image.rs, crates/bulkhead-image/tests/limits.rs,
# crates/bulkhead-inventory/tests/hostile.rs).
#
#   bench/hostile-image.sh [CASE...]      # all cases when none is named
#
# Environment: BULKHEAD (binary; default target/release/bulkhead, else target/debug/bulkhead),
# WORK (where inputs are generated and kept between runs; default /var/tmp/bulkhead-hostile-image),
# WALL (seconds per case, default 300). Needs python3 and /usr/bin/time.
#
# Expected with the default limits (release build): every case ends with exit 0 or 2 and a message,
# no signal, within the wall limit; peak RSS under 512 MiB except `capture-budget`, which holds the
# image-wide captured budget (max_captured_total, 512 MiB) plus one layer's capture (256 MiB).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BULKHEAD=${BULKHEAD:-}
if [[ -z "$BULKHEAD" ]]; then
  if [[ -x "$ROOT/target/release/bulkhead" ]]; then BULKHEAD="$ROOT/target/release/bulkhead"
  else BULKHEAD="$ROOT/target/debug/bulkhead"; fi
fi
WORK=${WORK:-/var/tmp/bulkhead-hostile-image}
WALL=${WALL:-300}
mkdir -p "$WORK"

ALL=(status-field list-50m metadata-40m record-20m apk-long-dir capture-budget long-names
     layers-20k layers-repeated-20k deep-list zeros-1g zeros-7g fifo dev-zero registry-drip)
CASES=("$@")
[[ ${#CASES[@]} -eq 0 ]] && CASES=("${ALL[@]}")

# gen CASE OUT: write the input of CASE to OUT (a docker-archive), unless it exists.
gen() {
  local case=$1 out=$2
  [[ -e "$out" ]] && return 0
  python3 - "$case" "$out.part" <<'PY'
import gzip, hashlib, io, json, os, sys, tarfile

case, out = sys.argv[1], sys.argv[2]
tmp = out + ".d"
os.makedirs(tmp, exist_ok=True)

class Repeat(io.RawIOBase):
    """`total` bytes made of `chunk` repeated, read on demand."""
    def __init__(self, chunk, total):
        self.chunk, self.left, self.pos = chunk, total, 0
    def readable(self): return True
    def read(self, n=-1):
        if n < 0 or n > self.left: n = self.left
        out = bytearray()
        while len(out) < n:
            piece = self.chunk[self.pos:self.pos + (n - len(out))]
            out += piece
            self.pos = (self.pos + len(piece)) % len(self.chunk)
        self.left -= n
        return bytes(out)

class Concat(io.RawIOBase):
    def __init__(self, parts): self.parts = list(parts)
    def readable(self): return True
    def read(self, n=-1):
        out = b""
        while self.parts and (n < 0 or len(out) < n):
            piece = self.parts[0].read(-1 if n < 0 else n - len(out))
            if not piece: self.parts.pop(0); continue
            out += piece
        return out

class Hashing:
    def __init__(self, f): self.f, self.h = f, hashlib.sha256()
    def write(self, b): self.h.update(b); return self.f.write(b)

def layer(name, entries, compress=False):
    """Write a layer tar from (name, size, reader) entries; return (path, diff_id)."""
    path = os.path.join(tmp, name)
    raw = open(path, "wb")
    sink = gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0) if compress else raw
    hw = Hashing(sink)
    with tarfile.open(fileobj=hw, mode="w|", format=tarfile.PAX_FORMAT) as t:
        for (n, size, reader) in entries:
            ti = tarfile.TarInfo(n); ti.size = size; ti.mode = 0o644
            t.addfile(ti, reader)
    if compress: sink.close()
    raw.close()
    return path, "sha256:" + hw.h.hexdigest()

def archive(layers):
    diff_ids = [d for _, d in layers]
    cfg = json.dumps({"architecture": "amd64", "os": "linux",
                      "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
    cfg_name = hashlib.sha256(cfg).hexdigest() + ".json"
    names = [d[7:] + "/layer.tar" for d in diff_ids]
    man = json.dumps([{"Config": cfg_name, "RepoTags": ["hostile:1"], "Layers": names}]).encode()
    with tarfile.open(out, "w", format=tarfile.GNU_FORMAT) as t:
        for n, data in (("manifest.json", man), (cfg_name, cfg)):
            ti = tarfile.TarInfo(n); ti.size = len(data); t.addfile(ti, io.BytesIO(data))
        seen = set()
        for (p, _), n in zip(layers, names):
            if n in seen: continue
            seen.add(n); t.add(p, arcname=n)

STATUS = b"Package: bash\nStatus: install ok installed\nVersion: 5.2-1\nArchitecture: amd64\n"
def b(data): return (len(data), io.BytesIO(data))

if case == "status-field":
    # A 250 MiB Description of continuation lines (just under the 256 MiB per-file limit).
    line = b" " + b"x" * 62 + b"\n"
    size = (250 << 20) // len(line) * len(line)
    head = STATUS + b"Description: shell\n"
    tail = b"\nPackage: zsh\nStatus: install ok installed\nVersion: 5.9-4\n"
    body = Concat([io.BytesIO(head), Repeat(line, size), io.BytesIO(tail)])
    archive([layer("l.tar", [("var/lib/dpkg/status", len(head) + size + len(tail), body)], True)])
elif case == "list-50m":
    # 50 million one-character paths (150 MB) owned by one package.
    lines = 50_000_000
    archive([layer("l.tar", [("var/lib/dpkg/status", *b(STATUS)),
        ("var/lib/dpkg/info/bash.list", 3 * lines, Repeat(b"/a\n/b\n", 3 * lines))], True)])
elif case == "metadata-40m":
    # 40 million header lines (200 MB) in a dist-info METADATA.
    head = b"Metadata-Version: 2.1\nName: evil\nVersion: 1.0\n"
    n = 40_000_000
    body = Concat([io.BytesIO(head), Repeat(b"X: y\n", 5 * n)])
    archive([layer("l.tar", [("usr/lib/python3/dist-packages/evil-1.0.dist-info/METADATA",
                              len(head) + 5 * n, body)], True)])
elif case == "record-20m":
    site = "usr/lib/python3/dist-packages/evil-1.0.dist-info/"
    n = 20_000_000
    archive([layer("l.tar", [(site + "METADATA", *b(b"Name: evil\nVersion: 1.0\n")),
                             (site + "RECORD", 8 * n, Repeat(b"m/a.py,\n", 8 * n))], True)])
elif case == "apk-long-dir":
    # F: names a 3000-byte directory, then 20 million R: lines.
    head = b"P:evil\nV:1.0-r0\nF:" + b"d" * 3000 + b"\n"
    n = 20_000_000
    body = Concat([io.BytesIO(head), Repeat(b"R:a\n", 4 * n)])
    archive([layer("l.tar", [("lib/apk/db/installed", len(head) + 4 * n, body)], True)])
elif case == "capture-budget":
    # Eight layers, each capturing a different 200 MiB wanted file (dpkg status.d entries).
    layers = []
    for i in range(8):
        size = 200 << 20
        layers.append(layer(f"l{i}.tar", [(f"var/lib/dpkg/status.d/p{i}", size,
                            Concat([io.BytesIO(f"Package: p{i}\nVersion: 1\n".encode()),
                                    Repeat(b"#", size - 22 - len(str(i)))]))], True))
    archive(layers)
elif case == "long-names":
    # 20,000 entries named by 64 KiB PAX paths (1.3 GB of names), gzip'd.
    name = "n/" * (32 << 10)
    archive([layer("l.tar", [(f"{name}{i}", 0, io.BytesIO()) for i in range(20_000)]
                   + [("etc/ok", 0, io.BytesIO())], True)])
elif case in ("layers-20k", "layers-repeated-20k"):
    layers = []
    for i in range(20_000):
        j = 0 if case == "layers-repeated-20k" else i
        if case == "layers-repeated-20k" and layers:
            layers.append(layers[0]); continue
        layers.append(layer(f"l{j}.tar", [(f"d/f{j}", *b(b"x"))]))
    archive(layers)
elif case == "deep-list":
    # 100,000 paths of depth 1,000 (2 KB each, 200 MB of .list).
    deep = "/d" * 1000
    lines = "".join(f"{deep}/f{i}\n" for i in range(100_000)).encode()
    archive([layer("l.tar", [("var/lib/dpkg/status", *b(STATUS)),
                             ("var/lib/dpkg/info/bash.list", *b(lines))], True)])
elif case.startswith("zeros-"):
    # One file of zeros (a sparse lastlog): 1 GiB or 7 GiB, gzip'd (members of 8 GiB and more need a PAX
    # size record, which the walk refuses: see crates/bulkhead-image/src/tarext.rs).
    size = (1 << 30) if case == "zeros-1g" else (7 << 30)
    archive([layer("l.tar", [("var/log/lastlog", size, Repeat(b"\0" * (1 << 20), size))], True)])
else:
    sys.exit(f"unknown case {case}")
PY
  mv "$out.part" "$out"
  rm -rf "$out.part.d"
}

# run NAME ARGS...: run bulkhead under the bounds and print one result line.
run() {
  local name=$1; shift
  local rss; rss=$(mktemp)
  local start end code
  start=$(date +%s.%N)
  set +e
  ( ulimit -v $((4 << 20)); exec timeout "$WALL" /usr/bin/time -f %M -o "$rss" \
      env XDG_CACHE_HOME="$WORK/cache" "$BULKHEAD" "$@" ) >/dev/null 2>"$WORK/$name.stderr"
  code=$?
  set -e
  end=$(date +%s.%N)
  printf '%-22s exit %-3s wall %7.2fs  peak RSS %6s MiB  %s\n' "$name" "$code" \
    "$(awk "BEGIN { print $end - $start }")" "$(( $(tail -n1 "$rss" 2>/dev/null || echo 0) / 1024 ))" \
    "$(grep -m1 -E 'error|warning' "$WORK/$name.stderr" | cut -c1-110)"
  rm -f "$rss"
}

echo "bulkhead: $BULKHEAD"
for c in "${CASES[@]}"; do
  case $c in
    fifo)
      rm -f "$WORK/fifo.tar"; mkfifo "$WORK/fifo.tar"
      run fifo image "$WORK/fifo.tar" ;;
    dev-zero)
      run dev-zero image /dev/zero ;;
    registry-drip)
      # A plain-HTTP registry whose manifest comes one byte every 100 ms; --timeout 5s.
      port_file=$(mktemp)
      python3 - "$port_file" <<'PY' &
import socket, sys, threading, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
def serve(c):
    data = c.recv(65536)
    if not data or data[0] == 0x16:
        c.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n"); c.close(); return
    while data:
        path = data.split(b" ")[1] if b" " in data else b""
        if path.endswith(b"/manifests/1"):
            body = b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}' * 10
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nContent-Length: %d\r\n\r\n" % len(body))
            for ch in body:
                try: c.sendall(bytes([ch])); time.sleep(0.1)
                except OSError: return
            return
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
        data = c.recv(65536)
deadline = time.time() + 120
while time.time() < deadline:
    s.settimeout(5)
    try: c, _ = s.accept()
    except socket.timeout: continue
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
      server=$!
      for _ in $(seq 50); do [[ -s "$port_file" ]] && break; sleep 0.1; done
      run registry-drip image "registry://127.0.0.1:$(cat "$port_file")/x:1" --timeout 5s
      kill "$server" 2>/dev/null || true
      rm -f "$port_file" ;;
    *)
      gen "$c" "$WORK/$c.tar"
      run "$c" image "$WORK/$c.tar" --no-cache ;;
  esac
done
