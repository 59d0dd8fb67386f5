#!/usr/bin/env bash
# Replay throughput of the runtime rules engine: the full falco_rules.yaml loaded; each shared .scap
# capture looped into a long stream (~1M events each, see replay_bench.rs), replayed through the
# syscall rules on one core by the library's runtime pipeline, the loop `bulkhead runtime replay`
# runs (events read, decompressed for gzip, decoded, applied to process/fd state and evaluated),
# memory sampled along the way.
#
# Usage: bench/replay.sh [EVENTS]   (default 4000000)
# Each kind (plain, gzip) runs REPEAT times (default 5); the RESULT lines give the median, min
# and max events/s (machine-readable: RESULT key=value ...).
set -Eeuo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
S="$(realpath "$REPO/../shared/data/falco")"
[ -d "$S/captures" ] || { echo "replay: ERROR: $S/captures not found" >&2; exit 1; }
cd "$REPO"
cargo build --release -q -p bulkhead-rules --example replay_bench
taskset -c 0 target/release/examples/replay_bench "${1:-4000000}" \
  "$S/rules/falcosecurity-rules/falco_rules.yaml" \
  "$S/captures/cat_write.scap" "$S/captures/open-multiple-files.scap" "$S/captures/ping_sendto.scap" \
  "$S/captures/libs/sample.scap"
