"""Oracle for tests/lang_versions.rs: Python `packaging.version.Version` ordering.

Usage: python pep440_oracle.py PAIRS. PAIRS holds lines `HEX_A,HEX_B` (UTF-8, hex-encoded); one
output line per pair: `<`, `=`, `>`, or `E` when either side is not a valid version. The first
output line is `# packaging <version>`.
"""
import sys

import packaging
from packaging.version import Version

_cache = {}


def parse(s):
    if s not in _cache:
        try:
            _cache[s] = Version(s)
        except Exception:  # InvalidVersion, or ValueError from int()'s digit limit
            _cache[s] = None
    return _cache[s]


out = ["# packaging " + packaging.__version__]
with open(sys.argv[1], encoding="ascii") as f:
    for line in f:
        line = line.rstrip("\n")
        if not line:
            continue
        ha, hb = line.split(",")
        va = parse(bytes.fromhex(ha).decode("utf-8"))
        vb = parse(bytes.fromhex(hb).decode("utf-8"))
        if va is None or vb is None:
            out.append("E")
        elif va < vb:
            out.append("<")
        elif va > vb:
            out.append(">")
        else:
            out.append("=")
sys.stdout.write("\n".join(out) + "\n")
