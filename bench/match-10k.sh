#!/usr/bin/env bash
# Advisory database benchmark: import of the shared OSV corpus (plus the Debian DSA/DLA lists, the
# RustSec advisories and the Alpine secdb files), database open time, and matching 10,000 packages.
#
# Usage: bench/match-10k.sh [-n PACKAGES] [-r RUNS] [--shared DIR]
#   -n PACKAGES  installed packages to match (default 10000)
#   -r RUNS      timed runs of open+match (default 5; the median is reported)
#   --shared     the shared data folder (default ../shared/data beside the repository)
#
# Steps: cargo build --release (bulkhead + the match_bench example); `bulkhead db import` of the
# corpus into a fresh temp database, timed 3 times (median); then match_bench (see
# crates/bulkhead-advisories/examples/match_bench.rs for how the packages are chosen).
# No peer is measured: Trivy's and Grype's databases are downloaded from registries this machine does
# not reach, so there is no same-data comparison; the figures are absolute.
# The last line is machine-readable: RESULT key=value ...
set -Eeuo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
N=10000; RUNS=5; SHARED="$REPO/../shared/data"
while [ $# -gt 0 ]; do
  case "$1" in
    -n) N="$2"; shift 2 ;;
    -r) RUNS="$2"; shift 2 ;;
    --shared) SHARED="$2"; shift 2 ;;
    *) echo "match-10k: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -d "$SHARED/osv" ] || { echo "match-10k: ERROR: $SHARED/osv not found (the shared data is needed)" >&2; exit 1; }

cd "$REPO"
cargo build --release -q -p bulkhead -p bulkhead-advisories --example match_bench
BH="$REPO/target/release/bulkhead"
MB="$REPO/target/release/examples/match_bench"

WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT
INPUTS=("$SHARED/osv" "$SHARED/advisories-raw/debian-security-tracker/full-2023-04")
[ -d "$SHARED/advisories-raw/rustsec/crates" ] && INPUTS+=("$SHARED/advisories-raw/rustsec/crates")
[ -d "$SHARED/advisories-raw/alpine-secdb/alpinelinux-alpine-secdb" ] && INPUTS+=("$SHARED/advisories-raw/alpine-secdb/alpinelinux-alpine-secdb")

times=()
for i in 1 2 3; do
  rm -f "$WORK/db.sqlite"*
  t0=$(date +%s%N)
  "$BH" db import --db "$WORK/db.sqlite" "${INPUTS[@]}" 2> "$WORK/import.log"
  t1=$(date +%s%N)
  times+=($(( (t1 - t0) / 1000000 )))
done
tail -1 "$WORK/import.log"
IMPORT_MS=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 2p)
echo "import (3 runs, ms): ${times[*]} -> median $IMPORT_MS ms; database $(du -h "$WORK/db.sqlite" | cut -f1)"
"$BH" db info --db "$WORK/db.sqlite" | head -3

OUT="$("$MB" "$WORK/db.sqlite" "$N" "$RUNS")"
echo "$OUT"
R="$(echo "$OUT" | tail -1 | sed 's/^RESULT //')"
echo "RESULT import_ms=$IMPORT_MS $R"
