#!/usr/bin/env bash
# The main job end to end on a real image: installs what it needs, builds a Debian bookworm image with
# debootstrap + podman (cached), builds bulkhead, and inventories the image as a table and a CycloneDX
# SBOM (written to ./bookworm.cdx.json).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build-test-images.sh bookworm
cargo build --release -p bulkhead
T="${BULKHEAD_TESTDATA:-/var/tmp/bulkhead-testdata}"
./target/release/bulkhead image "$T/bookworm.docker.tar" | head -n 30
./target/release/bulkhead sbom "$T/bookworm.docker.tar" --format cyclonedx -o bookworm.cdx.json
echo "wrote bookworm.cdx.json ($(jq '.components | length' bookworm.cdx.json) components)"
