#!/usr/bin/env bash
# Hostile inputs for `bulkhead runtime` at the sizes of issue 11: Falco rules whose macros fan
# out (2^18 expansions × 30 rules) or chain (20,000 and 40,000 macros), 20,000/40,000 independent
# macros, lists and rules, regexes that cannot compile or are too large, a 32 MiB rules file at the
# YAML node limit; captures with 300,000 threads, a gzip bomb, a 60 MiB JSON array of zeros, endless
# records; and inputs that are not regular files (FIFO, /dev/zero, /dev/urandom) as a rules file,
# falco.yaml, capture or audit file. Each case runs under a 4 GiB address-space limit (as the
# issue's attacker ran them) and prints its exit code, wall time, peak RSS and the last line it
# printed.
#
# Usage: bench/hostile-runtime.sh [CASE-SUBSTRING]
#   BULKHEAD=path/to/bulkhead   binary to run (default: target/release/bulkhead, built if missing)
# Expected: every case exits 0 or 1 with a message in a few seconds at most, peak RSS under 512 MiB.
set -Euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FILTER="${1:-}"
BH="${BULKHEAD:-$REPO/target/release/bulkhead}"
S="$(realpath "$REPO/../shared/data/falco" 2>/dev/null || true)"
[ -d "$S/captures" ] || { echo "hostile-runtime: ../shared/data/falco not found" >&2; exit 1; }
if [ ! -x "$BH" ]; then
  (cd "$REPO" && cargo build --release -q -p bulkhead) || exit 1
fi
command -v /usr/bin/time >/dev/null || { echo "hostile-runtime: /usr/bin/time is needed (apt-get install time)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "hostile-runtime: python3 is needed to generate the inputs" >&2; exit 1; }
W="$(mktemp -d)"; trap 'rm -rf "$W"' EXIT

python3 - "$W" "$S" <<'EOF'
import os, sys, struct, zlib
w, s = sys.argv[1], sys.argv[2]
def put(name, data):
    with open(os.path.join(w, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
def rule(name, cond):
    return "- rule: %s\n  desc: d\n  condition: %s\n  output: o %%proc.name\n  priority: INFO\n" % (name, cond)
doc = "- macro: m0\n  condition: proc.name=a\n"
for k in range(1, 19):
    doc += "- macro: m%d\n  condition: m%d or m%d\n" % (k, k - 1, k - 1)
put("fanout-2e18x30.yaml", doc + "".join(rule("r%d" % r, "evt.type=open and m18") for r in range(30)))
for n in (20000, 40000):
    put("chain-%d.yaml" % n, "- macro: m0\n  condition: proc.name=a\n"
        + "".join("- macro: m%d\n  condition: m%d and proc.name=b\n" % (k, k - 1) for k in range(1, n))
        + rule("r", "evt.type=open and m%d" % (n - 1)))
    put("alias-chain-%d.yaml" % n, "- macro: m0\n  condition: proc.name=a\n"
        + "".join("- macro: m%d\n  condition: m%d\n" % (k, k - 1) for k in range(1, n))
        + rule("r", "evt.type=open and m%d" % (n - 1)))
    put("independent-%d.yaml" % n, "".join("- macro: m%d\n  condition: proc.name=a%d\n" % (k, k) for k in range(n))
        + "".join(rule("r%d" % k, "evt.type=open and m%d" % k) for k in range(n)))
    put("lists-%d.yaml" % n, "".join("- list: l%d\n  items: [a%d, b%d]\n" % (k, k, k) for k in range(n))
        + "".join(rule("r%d" % k, "evt.type=open and proc.name in (l%d)" % k) for k in range(n)))
put("bad-regex.yaml", rule("r", "evt.type=open and proc.name regex '(('"))
put("huge-regex.yaml", rule("r", "evt.type=open and proc.name regex '(.{1000}){100}'"))
put("list-of-lists.yaml", "- list: big\n  items: [" + ", ".join("item-%06d" % k for k in range(2000)) + "]\n"
    + "".join("- list: l%d\n  items: [big, big, big, big]\n" % k for k in range(5000))
    + rule("r", "evt.type=open and proc.name in (l0)"))
items = ", ".join("x%d" % k for k in range(1900000))
put("nodes-2m.yaml", "- list: l\n  items: [" + items + "]\n" + rule("r", "evt.type=open and proc.name in (l)"))
bomb = "- list: a\n  items: &a [x, x, x, x, x, x, x, x, x, x]\n"
prev = "a"
for c in "bcdefghijk":
    bomb += "- list: %s\n  items: &%s [%s]\n" % (c, c, ", ".join(["*" + prev] * 10)); prev = c
put("yaml-alias-bomb.yaml", bomb)
put("zeros-60mib.json", "[" + ",".join(["0"] * (30 << 20)) + "]")
put("event-20mib.json", '{"kind":"Event","auditID":"a","verb":"get","pad":"' + "x" * (20 << 20) + '"}\n')
put("line-20mib.jsonl", '{"bulkhead_capture":2}\n' + "x" * (20 << 20))
# .scap streams from sample.scap: its metadata, then copies of a generic enter event.
src = open(os.path.join(s, "captures/libs/sample.scap"), "rb").read()
blocks, i = [], 0
while i + 8 <= len(src):
    t, l = struct.unpack_from("<II", src, i); blocks.append((t, src[i + 8:i + l - 4])); i += l
head, ev = [], None
for t, b in blocks:
    if t in (0x204, 0x216, 0x221):
        if ev is None and t == 0x216 and struct.unpack_from("<H", b, 22)[0] == 0:
            ev = b
        continue
    if ev is None:
        head.append((t, b))
def blk(t, b):
    return struct.pack("<II", t, len(b) + 12) + b + struct.pack("<I", len(b) + 12)
def events(n, distinct):
    out = bytearray()
    for k in range(n):
        b = bytearray(ev); struct.pack_into("<Q", b, 10, 1000000 + (k if distinct else 0)); out += blk(0x216, bytes(b))
    return bytes(out)
hdr = b"".join(blk(t, b) for t, b in head)
put("threads-300k.scap", hdr + events(300000, True))
# A gzip bomb: about 2 GiB of events of one thread, compressed.
z = zlib.compressobj(9, zlib.DEFLATED, 31)
chunk = events(100000, False)
with open(os.path.join(w, "bomb-2gib.scap.gz"), "wb") as f:
    f.write(z.compress(hdr))
    for _ in range((2 << 30) // len(chunk)):
        f.write(z.compress(chunk))
    f.write(z.flush())
EOF
mkfifo "$W/fifo"

R="$S/rules/falcosecurity-rules/falco_rules.yaml"
ONE="$S/rules/falco-0.34.1-test-rules/single_rule.yaml"
K8S="$S/rules/plugins-k8saudit/k8s_audit_rules.yaml"
CAP="$S/captures/cat_write.scap"

printf '%-44s %5s %9s %9s  %s\n' case exit wall_s rss_mib last-line
# run NAME STDIN ARGS...: `bulkhead runtime ARGS` under ulimit -v 4 GiB (STDIN: a file, or -).
run() {
  local name="$1" input="$2"; shift 2
  case "$name" in *"$FILTER"*) ;; *) return ;; esac
  local out="$W/out" err="$W/err" tm="$W/time" code
  if [ "$input" = - ]; then input=/dev/null; fi
  (ulimit -v $((4 << 20)); cd "$W" && exec timeout 120 /usr/bin/time -f '%e %M' -o "$tm" "$BH" runtime "$@" <"$input" >"$out" 2>"$err")
  code=$?
  local wall rss last
  read -r wall rss < <(tail -n 1 "$tm" 2>/dev/null || echo "? 0")
  last=$( (grep -h -E 'LOAD_ERR|error|Ok|dropped|not recognized' "$out" "$err" || tail -n 1 "$err") | tail -n 1 | cut -c1-110)
  printf '%-44s %5s %9s %9s  %s\n' "$name" "$code" "$wall" "$((rss / 1024))" "$last"
}

run "validate fan-out 2^18 x 30 rules" - validate fanout-2e18x30.yaml
run "replay fan-out 2^18 x 30 rules" - replay -q -r fanout-2e18x30.yaml -e "$CAP"
for n in 20000 40000; do
  run "validate chain-$n" - validate "chain-$n.yaml"
  run "validate alias-chain-$n" - validate "alias-chain-$n.yaml"
  run "validate independent-$n" - validate "independent-$n.yaml"
  run "validate lists-$n" - validate "lists-$n.yaml"
done
run "replay independent-40000" - replay -q -r independent-40000.yaml -e "$CAP"
run "validate bad-regex" - validate bad-regex.yaml
run "replay bad-regex" - replay -q -r bad-regex.yaml -e "$CAP"
run "validate huge-regex" - validate huge-regex.yaml
run "validate list-of-lists" - validate list-of-lists.yaml
run "validate nodes-2m (YAML node limit)" - validate nodes-2m.yaml
run "validate yaml-alias-bomb" - validate yaml-alias-bomb.yaml
for bad in /dev/zero /dev/urandom fifo; do
  run "rules $bad" - validate "$bad"
  run "falco.yaml $bad" - replay -q -r "$ONE" -c "$bad" -e "$CAP"
  run "capture $bad" - replay -q -r "$ONE" -e "$bad"
  run "audit $bad" - replay -q -r "$K8S" -e "$bad"
done
run "capture on stdin (-e -)" "$CAP" replay -q -r "$ONE" -e -
run "/dev/zero on stdin (-e -)" /dev/zero replay -q -r "$K8S" -e -
run "/dev/urandom on stdin (-e -)" /dev/urandom replay -q -r "$K8S" -e -
run "audit 60 MiB array of zeros" - replay -q -r "$K8S" -e zeros-60mib.json
run "audit one 20 MiB event" - replay -q -r "$K8S" -e event-20mib.json
run "capture 20 MiB line" - replay -q -r "$ONE" -e line-20mib.jsonl
run "scap 300k threads" - replay -q -r "$R" -e threads-300k.scap
run "scap 300k threads, table 100000" - replay -q -r "$R" -e threads-300k.scap -o falco_libs.thread_table_size=100000
run "scap gzip bomb 2 GiB (--max-capture-size 512)" - replay -q -r "$R" -e bomb-2gib.scap.gz --max-capture-size 512
run "scap gzip bomb 2 GiB (default 8 GiB budget)" - replay -q -r "$R" -e bomb-2gib.scap.gz
