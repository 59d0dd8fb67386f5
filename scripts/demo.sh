#!/usr/bin/env bash
# The main job end to end on real images: installs what it needs, builds a Debian bookworm image with
# debootstrap + podman and a vulnerable image on top of it (old Python packages from PyPI; cached),
# builds bulkhead, inventories bookworm (table + CycloneDX SBOM in ./bookworm.cdx.json), builds an
# advisory database from real OSV data and scans the vulnerable image (table, and SARIF in
# ./pyvuln.sarif), failing the gate with --exit-code.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build-test-images.sh bookworm pyvuln
cargo build --release -p bulkhead
BH=./target/release/bulkhead
T="${BULKHEAD_TESTDATA:-/var/tmp/bulkhead-testdata}"

echo "== inventory and SBOM of bookworm"
$BH image "$T/bookworm.docker.tar" | head -n 30
$BH sbom "$T/bookworm.docker.tar" --format cyclonedx -o bookworm.cdx.json
echo "wrote bookworm.cdx.json ($(jq '.components | length' bookworm.cdx.json) components)"

echo "== advisory database"
# The pypa advisory database from the shared data when it is there (CI and the dev machines have it);
# else the handful of real OSV records the repository ships for its unit tests.
ADV=../shared/data/osv/PyPI
if [ ! -d "$ADV" ]; then
  echo "(../shared/data absent: using the repository's fixture advisories)"
  ADV=crates/bulkhead-advisories/tests/fixtures/osv
fi
DB="$(mktemp -d)/advisories.db"
$BH db import --db "$DB" "$ADV"
$BH db info --db "$DB" | head -n 5

echo "== vulnerability scan of the vulnerable image (HIGH and CRITICAL; gate: exit code 3)"
set +e
$BH image "$T/pyvuln.docker.tar" --db "$DB" --severity HIGH,CRITICAL --exit-code 3 | tail -n 20
rc=${PIPESTATUS[0]}
set -e
echo "exit code: $rc"
[ "$rc" = 3 ] || { echo "demo: expected the gate to fail with 3" >&2; exit 1; }
$BH image "$T/pyvuln.docker.tar" --db "$DB" --format sarif -o pyvuln.sarif
echo "wrote pyvuln.sarif ($(jq '.runs[0].results | length' pyvuln.sarif) results)"
