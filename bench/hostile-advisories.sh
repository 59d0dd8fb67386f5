#!/usr/bin/env bash
# Hostile advisory inputs at the sizes of issue 11, through `bulkhead db import` under a 4 GiB
# address-space limit and a 60 s timeout: each case prints its exit code, wall time and peak RSS.
# Usage: bench/hostile-advisories.sh
#   BULKHEAD=path/to/bulkhead   binary to run (default: target/release/bulkhead, built if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
BH=${BULKHEAD:-target/release/bulkhead}
[ -x "$BH" ] || cargo build --release -q -p bulkhead
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

python3 - "$W" <<'PY'
import json, sys, os
w = sys.argv[1]
def rec(i, aff=1, aliases=0):
    return {"id": f"PYSEC-{i}", "modified": "2024-01-01T00:00:00Z",
            "aliases": [f"CVE-2020-{k}" for k in range(aliases)],
            "affected": [{"package": {"ecosystem": "PyPI", "name": f"p{k}"}, "versions": ["1.0"]} for k in range(aff)]}
json.dump(rec(0, aff=300_000), open(f"{w}/affected-300k.json", "w"))
open(f"{w}/zeros-60MiB.json", "w").write("[" + ",".join(["0"] * (30 << 20)) + "]")
json.dump(rec(1, aliases=1_000_000), open(f"{w}/aliases-1M.json", "w"))
os.makedirs(f"{w}/cves", exist_ok=True)
with open(f"{w}/cves/DSA-list", "w") as f:
    f.write("[12 Apr 2023] DSA-5386-1 chromium - security update\n\t{")
    f.write(" ".join(f"CVE-2023-{k}" for k in range(1_000_000)))
    f.write("}\n\t[bullseye] - chromium 1.0\n")
os.makedirs(f"{w}/bizarre", exist_ok=True)
with open(f"{w}/bizarre/DLA-list", "w") as f:
    f.write("[12 Apr 2023] DLA-1-1 x - y\n")
    for k in range(1_000_000):
        f.write(f"\t[bullseye] ~ ((( {k} )))\n")
json.dump([rec(i) for i in range(200_000)], open(f"{w}/records-200k.json", "w"))
PY

run() {
  local what=$1 input=$2
  rm -f "$W/t.db"
  local start end rc
  start=$(date +%s.%N)
  set +e
  ( ulimit -v 4194304; timeout 60 /usr/bin/time -f %M -o "$W/rss" "$BH" db import -q --db "$W/t.db" "$input" ) >/dev/null 2>"$W/err"
  rc=$?
  set -e
  end=$(date +%s.%N)
  printf '%-34s exit %3s  %6.2f s  peak %6s MiB  %s\n' "$what" "$rc" "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" \
    "$(( $(tail -1 "$W/rss" 2>/dev/null || echo 0) / 1024 ))" "$(grep -o 'error: .*' "$W/err" | tail -1 | cut -c1-90)"
}
run "record with 300k affected entries" "$W/affected-300k.json"
run "60 MiB JSON array of zeros" "$W/zeros-60MiB.json"
run "record with a million aliases" "$W/aliases-1M.json"
run "DSA list, a million CVEs on a line" "$W/cves/DSA-list"
run "DLA list, a million bizarre lines" "$W/bizarre/DLA-list"
run "200k legitimate records, one array" "$W/records-200k.json"
