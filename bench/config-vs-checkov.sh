#!/usr/bin/env bash
# Side-by-side: `bulkhead config` vs Checkov 3.3.30 on the same Kubernetes manifests (default: every
# PSA conformance fixture in ../shared/data/psa, 2,544 pods in 76 directories).
#
# Usage: bench/config-vs-checkov.sh [-n RUNS] [DIR]
#   -n RUNS  timed runs of bulkhead (default 5, median); Checkov runs once (it takes about a minute)
#   DIR      manifests to check (default ../shared/data/psa)
#
# Checkov is installed on first use into .peers/checkov-venv (pip install checkov==3.3.30; PyPI).
# Commands measured:
#   checkov -d DIR --framework kubernetes -o json --quiet --skip-download
#   bulkhead config DIR --format json -o OUT
# Wall time with a nanosecond clock; peak RSS from /usr/bin/time %M. Both outputs are checked to be
# JSON. The last line is machine-readable: RESULT key=value ...
set -Eeuo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS=5
while [ $# -gt 0 ]; do
  case "$1" in
    -n) RUNS="$2"; shift 2 ;;
    *) break ;;
  esac
done
DIR="${1:-$REPO/../shared/data/psa}"
[ -d "$DIR" ] || { echo "config-vs-checkov: ERROR: $DIR not found" >&2; exit 1; }
# Checkov skips directories reached through `..`: give both tools the canonical path.
DIR="$(realpath "$DIR")"
command -v /usr/bin/time >/dev/null || { apt-get install -y -qq time >/dev/null; }
VENV="$REPO/.peers/checkov-venv"
if [ ! -x "$VENV/bin/checkov" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check checkov==3.3.30
fi
cd "$REPO"
cargo build --release -q -p bulkhead
BH="$REPO/target/release/bulkhead"
W="$(mktemp -d)"; trap 'rm -rf "$W"' EXIT
files=$(find "$DIR" -name '*.yaml' -o -name '*.yml' -o -name '*.json' | wc -l)
echo "manifests: $files files under $DIR"

measure() { # name cmd... -> prints "ms rss_kib"
  local t0 t1
  t0=$(date +%s%N)
  /usr/bin/time -f '%M' -o "$W/rss" "$@" > "$W/out" 2> "$W/err" || true
  t1=$(date +%s%N)
  # /usr/bin/time writes "Command exited with non-zero status N" before %M when the tool fails
  # (Checkov exits 1 when it finds something): the RSS is the last line.
  echo "$(( (t1 - t0) / 1000000 )) $(tail -n 1 "$W/rss")"
}

read -r c_ms c_rss < <(measure "$VENV/bin/checkov" -d "$DIR" --framework kubernetes -o json --quiet --skip-download)
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d=d if isinstance(d,list) else [d]; print("checkov: %d failed checks" % sum(x.get("summary",{}).get("failed",0) for x in d))' "$W/out"
echo "checkov: ${c_ms} ms, peak RSS ${c_rss} KiB"

bh_ms=(); bh_rss=0
for i in $(seq "$RUNS"); do
  read -r ms rss < <(measure "$BH" config "$DIR" --format json -o "$W/bh.json")
  bh_ms+=("$ms"); [ "$rss" -gt "$bh_rss" ] && bh_rss=$rss
done
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("bulkhead: %d findings in %d files" % (len(d["findings"]), len(d["files"])))' "$W/bh.json"
med=$(printf '%s\n' "${bh_ms[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
echo "bulkhead: runs ${bh_ms[*]} ms -> median ${med} ms, peak RSS ${bh_rss} KiB"
ratio=$(python3 -c "print(f'{$c_ms / max($med, 1):.0f}')")
mem=$(python3 -c "print(f'{$bh_rss / $c_rss:.3f}')")
echo "Bulkhead is ${ratio}x faster than Checkov on these files; memory ${mem}x"
echo "RESULT files=$files checkov_ms=$c_ms bulkhead_ms=$med speedup=$ratio checkov_rss_kib=$c_rss bulkhead_rss_kib=$bh_rss"
