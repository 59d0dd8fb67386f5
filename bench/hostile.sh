#!/usr/bin/env bash
# The hostile-input classes of issue 11 at the sizes an attacker would use, every command under a
# 4 GiB address-space limit: each area's script prints, per case, the exit code, wall time and peak
# RSS. (`cargo test` runs the same classes at small sizes with asserted bounds:
# crates/bulkhead/tests/hostile_*.rs.) Builds the release binary when missing.
# Usage: bench/hostile.sh [AREA...]   AREA: advisories image config runtime (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x target/release/bulkhead ] || cargo build --release -q -p bulkhead
AREAS=("$@")
[ ${#AREAS[@]} -gt 0 ] || AREAS=(advisories image config runtime)
for a in "${AREAS[@]}"; do
  echo "== $a"
  bash "bench/hostile-$a.sh"
done
