#!/usr/bin/env bash
# Load on the admission webhook over real TLS with keep-alive: `bulkhead admission serve` (release
# build) on loopback, a PSS-only decision per request (a Pod with a privileged container created in
# a namespace that enforces restricted: PSA evaluates all three modes and denies), driven by the
# open-loop generator crates/bulkhead-admission/examples/load.rs at fixed rates for a fixed time,
# then stopped. Server and generator share this machine's cores (2 here): the figures include the
# generator's own cost.
#
# Usage: bench/admission-load.sh [SECONDS] [RATES...]   (default 10 s; 500 1000 2000 4000 8000)
# Prints one JSON line per rate (sent, errors, achieved rate, p50/p99/p99.9/max ms) and the rate
# where p99 first exceeds 2 ms.
set -Eeuo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
SECS=${1:-10}
shift || true
RATES=("$@")
[ ${#RATES[@]} -gt 0 ] || RATES=(500 1000 2000 4000 8000)
cargo build --release -q -p bulkhead --bin bulkhead
cargo build --release -q -p bulkhead-admission --example load
W=$(mktemp -d)
trap 'kill $SRV 2>/dev/null || true; rm -rf "$W"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/ca.key" -out "$W/ca.crt" \
  -days 1 -subj "/CN=bench CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/tls.key" -out "$W/tls.csr" \
  -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=DNS:localhost\n' >"$W/ext"
openssl x509 -req -in "$W/tls.csr" -CA "$W/ca.crt" -CAkey "$W/ca.key" -CAcreateserial -out "$W/tls.crt" \
  -days 1 -extfile "$W/ext" 2>/dev/null
cat >"$W/ns.yaml" <<'YAML'
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/audit: restricted
    pod-security.kubernetes.io/warn: baseline
YAML
cat >"$W/review.json" <<'JSON'
{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"705ab4f5-6393-11e8-b7cc-42010a800002","kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},"requestKind":{"group":"","version":"v1","kind":"Pod"},"requestResource":{"group":"","version":"v1","resource":"pods"},"name":"web","namespace":"shop","operation":"CREATE","userInfo":{"username":"system:serviceaccount:kube-system:replicaset-controller","groups":["system:serviceaccounts","system:authenticated"]},"object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"shop","labels":{"app":"web"}},"spec":{"containers":[{"name":"app","image":"registry.example.com/web:1.4.2","ports":[{"containerPort":8080}],"resources":{"limits":{"cpu":"500m","memory":"256Mi"}},"securityContext":{"privileged":true}}],"restartPolicy":"Always","dnsPolicy":"ClusterFirst","serviceAccountName":"default"}},"oldObject":null,"dryRun":false,"options":{"kind":"CreateOptions","apiVersion":"meta.k8s.io/v1"}}}
JSON
PORT=$((20000 + RANDOM % 20000))
target/release/bulkhead admission serve --listen "127.0.0.1:$PORT" --tls-cert "$W/tls.crt" --tls-key "$W/tls.key" \
  --namespaces "$W/ns.yaml" 2>"$W/serve.log" &
SRV=$!
for _ in $(seq 50); do curl -sf --cacert "$W/ca.crt" "https://localhost:$PORT/readyz" >/dev/null && break; sleep 0.1; done
crossed=""
for r in "${RATES[@]}"; do
  line=$(target/release/examples/load --addr "127.0.0.1:$PORT" --ca "$W/ca.crt" --name localhost \
    --body "$W/review.json" --rate "$r" --seconds "$SECS" --connections 8)
  echo "$line"
  p99=$(echo "$line" | python3 -c 'import json,sys; print(json.load(sys.stdin)["p99_ms"])')
  if [ -z "$crossed" ] && python3 -c "import sys; sys.exit(0 if $p99 > 2.0 else 1)"; then crossed=$r; fi
done
echo "RESULT p99_over_2ms_from_rate=${crossed:-none} (rates ${RATES[*]}, ${SECS}s each, 8 keep-alive TLS connections)"
ps -o rss= -p "$SRV" | awk '{printf "RESULT server_rss_mib=%.1f\n", $1/1024}'
