#!/usr/bin/env bash
# The main job end to end on real images: installs what it needs, builds a Debian bookworm image with
# debootstrap + podman and a vulnerable image on top of it (old Python packages from PyPI; cached),
# builds bulkhead, inventories bookworm (table + CycloneDX SBOM in ./bookworm.cdx.json), builds an
# advisory database from real OSV data and scans the vulnerable image (table, and SARIF in
# ./pyvuln.sarif), failing the gate with --exit-code, then runs Falco rules over real captures
# (Kubernetes audit events and a .scap syscall capture) and live (the eBPF monitor for a few
# seconds); checks the example Dockerfile and manifests of docs/examples/config; scans a Go project's
# modules against the Go vulnerability database; scans an application image's Go and Rust binaries,
# jars and gems (./langvuln.cdx.json) and the same findings from its SBOM; finds secrets, and gives
# one report of vulnerabilities, secrets and the minimal-image audit (./pyvuln.report.json).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build-test-images.sh bookworm pyvuln langvuln
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
echo "== deploy time: Dockerfiles and Kubernetes manifests (Pod Security Standards, best practice; gate: exit code 4)"
set +e
$BH config docs/examples/config --exit-code 4 | tail -n 25
rc=${PIPESTATUS[0]}
set -e
echo "exit code: $rc"
[ "$rc" = 4 ] || { echo "demo: expected the config gate to fail with 4" >&2; exit 1; }
echo "== runtime: Falco rules over real captures"
# Falco's default rules and a Kubernetes audit capture from the shared data when present; else the
# capture the repository ships (Falco's cat_write.scap) through Falco's single test rule.
RULES=../shared/data/falco/rules
if [ -d "$RULES" ]; then
  $BH runtime validate "$RULES/falcosecurity-rules/falco_rules.yaml" "$RULES/plugins-k8saudit/k8s_audit_rules.yaml"
  $BH runtime replay -r "$RULES/plugins-k8saudit/k8s_audit_rules.yaml" \
    -e ../shared/data/falco/captures/k8s_audit/create_nginx_pod_privileged.json -o json_output=true
fi
SINGLE="$(mktemp -d)/single_rule.yaml"
cat > "$SINGLE" <<'YAML'
- rule: open_from_cat
  desc: A process named cat does an open
  condition: evt.type=open and proc.name=cat
  output: "An open was seen (command=%proc.cmdline)"
  priority: WARNING
YAML
$BH runtime replay -r "$SINGLE" -e crates/bulkhead-scap/tests/fixtures/cat_write.scap -p "pid=%proc.pid parent=%proc.pname" | head -n 3
echo "== runtime, live: the eBPF monitor (root) sees a read of /etc/shadow"
$BH runtime monitor -r docs/examples/runtime/shadow.yaml -M 4 &
MON=$!
sleep 2
cat /etc/shadow >/dev/null
wait "$MON"
echo "== a project's dependencies: Go modules (go.mod) against the Go vulnerability database"
if [ -d ../shared/data/osv/Go ]; then
  GODB="$(mktemp -d)/go.db"
  export GODB
  $BH db import --db "$GODB" ../shared/data/osv/Go
  $BH fs ../shared/data/pkgdb/lockfiles/trivy-repo/gomod --db "$GODB" | head -n 16
else
  echo "(../shared/data absent: skipped)"
fi
echo "== an application image: Go binaries (build info, stdlib), a cargo-auditable Rust binary, jars, gems"
if [ -d ../shared/data/osv/Go ] && [ -d ../shared/data/advisories-raw/rustsec ]; then
  $BH db import --db "$GODB" ../shared/data/advisories-raw/rustsec
  $BH image "$T/langvuln.docker.tar" --db "$GODB" --severity HIGH,CRITICAL | tail -n 12
  $BH sbom "$T/langvuln.docker.tar" --format cyclonedx -o langvuln.cdx.json
  echo "== the same findings from its SBOM (bulkhead sbom scan)"
  $BH sbom scan langvuln.cdx.json --db "$GODB" --severity HIGH,CRITICAL | tail -n 8
fi
echo "== secrets: every file of every layer and the image configuration (masked)"
$BH image "$T/npmvuln.docker.tar" --scanners secret -f json | jq -c '.targets[0].findings[] | {id, file: .location.file, layer: .location.layer, message}'
$BH fs docs/examples/secrets --scanners secret

echo "== one report: vulnerabilities, secrets and the minimal-image audit"
$BH image "$T/pyvuln.docker.tar" --db "$DB" --scanners vuln,secret,hardening -f json > pyvuln.report.json
jq -r '.targets[0].findings | group_by(.kind)[] | "\(.[0].kind): \(length)"' pyvuln.report.json
jq -r '.targets[0].findings[] | select(.kind == "misconfiguration") | "\(.id) \(.severity) \(.message)"' pyvuln.report.json

echo "== deploy time, in the cluster: the admission webhook (PSS as Pod Security Admission, CEL policies, mutation)"
$BH admission review --namespaces docs/examples/admission/ns.yaml docs/examples/admission/pod-payments.json --exit-code 3 | jq -c '.response | {allowed, code: .status.code, message: .status.message}' || true
$BH admission review --namespaces docs/examples/admission/ns.yaml --cel-policy docs/examples/admission/cel-policies.yaml docs/examples/admission/deploy-app.json | jq -c '.response | {allowed, message: .status.message, warnings}'
$BH admission review --namespaces docs/examples/admission/ns.yaml --policy docs/examples/admission/mutate-policy.yaml --mutate docs/examples/admission/mutate-api.json | jq -r .response.patch | base64 -d | jq -c .
$BH admission manifests --image localhost/bulkhead:demo --namespaces docs/examples/admission/ns.yaml -o admission-manifests.yaml
$BH config --pss-only admission-manifests.yaml
