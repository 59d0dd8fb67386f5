#!/usr/bin/env bash
# Run every cargo-fuzz target for SECONDS (default 600) with JOBS targets at a time (default 2),
# keeping each target's corpus in fuzz/corpus/<target> (seeded from what is there), then minimise
# the corpus (cargo fuzz cmin) and print, per target, the executions and whether a crash was found
# (crash inputs land in fuzz/artifacts/<target>). Needs cargo-fuzz (`cargo install cargo-fuzz`);
# nightly features come from RUSTC_BOOTSTRAP=1 on the stable toolchain.
# Usage: fuzz/campaign.sh [SECONDS] [JOBS] [TARGET...]
set -uo pipefail
cd "$(dirname "$0")"
SECS=${1:-600}
JOBS=${2:-2}
shift 2 2>/dev/null || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || mapfile -t TARGETS < <(ls fuzz_targets | sed 's/\.rs$//')
export RUSTC_BOOTSTRAP=1
LOGS=$(mktemp -d)
echo "building ${#TARGETS[@]} targets (sanitizer: address)" >&2
cargo fuzz build --fuzz-dir . >/dev/null 2>"$LOGS/build" || { cat "$LOGS/build" >&2; exit 1; }
run_one() {
  local t=$1
  mkdir -p "corpus/$t"
  cargo fuzz run "$t" --fuzz-dir . "corpus/$t" -- -max_total_time="$SECS" -max_len=65536 \
    -timeout=30 -rss_limit_mb=2048 >"$LOGS/$t.log" 2>&1
  echo $? >"$LOGS/$t.rc"
}
export -f run_one
export SECS LOGS
printf '%s\n' "${TARGETS[@]}" | xargs -P "$JOBS" -I{} bash -c 'run_one {}'
for t in "${TARGETS[@]}"; do
  cargo fuzz cmin "$t" --fuzz-dir . "corpus/$t" >/dev/null 2>&1 || true
done
printf '%-22s %12s %8s %s\n' target executions seconds result
for t in "${TARGETS[@]}"; do
  runs=$(grep -Eo 'Done [0-9]+ runs' "$LOGS/$t.log" | grep -Eo '[0-9]+' | tail -1)
  rc=$(cat "$LOGS/$t.rc" 2>/dev/null || echo "?")
  if [ "$rc" = 0 ]; then res="no crash"; else res="CRASH (exit $rc; see fuzz/artifacts/$t, log $LOGS/$t.log)"; fi
  printf '%-22s %12s %8s %s  corpus %s files\n' "$t" "${runs:-?}" "$SECS" "$res" "$(ls "corpus/$t" | wc -l)"
done
