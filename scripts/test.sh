#!/usr/bin/env bash
# The whole test suite, from a fresh Debian machine (root): installs what it needs, builds the real test
# images (cached in $BULKHEAD_TESTDATA), then runs formatting, lints, every cargo test (unit, corpus,
# hostile-input, real registry/podman/rpm), and the Trivy parity check on the real images.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
# A fresh build gains nothing from incremental state, which would add GBs to the target directory.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
bash scripts/install-deps.sh
bash scripts/build-test-images.sh
bash scripts/install-peers.sh >/dev/null
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
# BULKHEAD_STRICT=1: a missing tool or test image fails the suite instead of printing SKIP.
# --nocapture: the ground-truth suites print their agreement figures. --no-fail-fast: one run
# shows every failing test binary, not only the first.
BULKHEAD_STRICT=1 cargo test --workspace --no-fail-fast -- --nocapture 2>&1 | tee target/test-output.txt
# The fuzz targets (their own workspace) must keep compiling against the parsers they exercise.
CARGO_TARGET_DIR=target/fuzz-check cargo check --manifest-path fuzz/Cargo.toml --bins
# Ground truth against the peer: OS package sets must agree with Trivy 0.59.1 (>= 99%) on every image.
python3 bench/parity-trivy.py --bulkhead target/debug/bulkhead --min 0.99 --rpm-fixtures
# Language packages: the npm application image, whole purls (every installed copy and the app).
python3 bench/parity-trivy.py --bulkhead target/debug/bulkhead --min 0.99 --types npm --key purl npmvuln.docker.tar
# Executables' embedded packages (Go build info, cargo-auditable crates) and Debian's Ruby gems,
# whole purls. Trivy 0.59.1 stops with a fatal error on any image with Java archives when it has
# no Java database (offline), so the archives' directories are skipped for it; the Java artifacts
# are checked against Python's zipfile instead (crates/bulkhead-inventory/tests/binaries.rs).
python3 bench/parity-trivy.py --bulkhead target/debug/bulkhead --min 0.99 --types golang,cargo,gem --key purl \
  --trivy-arg=--skip-dirs=usr/share/java --trivy-arg=--skip-dirs=srv langvuln.docker.tar
passed=$(grep -E '^test result:' target/test-output.txt | grep -Eo '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')
failed=$(grep -E '^test result:' target/test-output.txt | grep -Eo '[0-9]+ failed' | awk '{s+=$1} END {print s+0}')
echo "cargo: $passed passed, $failed failed"
echo "disk: target $(du -sh target | cut -f1), free $(df -h . | awk 'NR==2 {print $4}')"
