#!/usr/bin/env python3
"""Independent oracle for PyPI vulnerability matching: for each (name, version) on stdin, list the OSV
record ids under DIR whose PyPI `affected[]` entries include that version, evaluated with Python
`packaging` (PEP 440) following the OSV specification's range algorithm. Prints `name<TAB>version<TAB>id`.

Usage: osv_pypi_oracle.py DIR < packages.tsv
"""
import json
import os
import re
import sys

import yaml
from packaging.version import InvalidVersion, Version


def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def load(root):
    for dirpath, _, files in os.walk(root):
        for f in files:
            p = os.path.join(dirpath, f)
            try:
                if f.endswith(".json"):
                    with open(p) as fh:
                        yield json.load(fh)
                elif f.endswith((".yaml", ".yml")):
                    with open(p) as fh:
                        yield yaml.safe_load(fh)
            except Exception:
                continue


def parse(v):
    try:
        return Version(v)
    except InvalidVersion:
        return None


def affected(entry, version):
    v = parse(version)
    if version in (entry.get("versions") or []):
        return True
    if v is None:
        return False
    for r in entry.get("ranges") or []:
        if r.get("type") not in ("ECOSYSTEM", "SEMVER"):
            continue
        events = []
        for e in r.get("events") or []:
            for k, val in e.items():
                if k in ("introduced", "fixed", "last_affected", "limit"):
                    pv = Version("0") if (k == "introduced" and val == "0") else parse(str(val))
                    if pv is not None:
                        events.append((pv, k))
        events.sort(key=lambda x: x[0])
        vulnerable, limited = False, False
        for pv, k in events:
            if k == "introduced" and v >= pv:
                vulnerable = True
            elif k == "fixed" and v >= pv:
                vulnerable = False
            elif k == "last_affected" and v > pv:
                vulnerable = False
            elif k == "limit" and v >= pv:
                limited = True
        if vulnerable and not limited:
            return True
    return False


def main():
    pkgs = [l.rstrip("\n").split("\t")[:2] for l in sys.stdin if l.strip() and not l.startswith("#")]
    by_name = {}
    for rec in load(sys.argv[1]):
        if not isinstance(rec, dict) or rec.get("withdrawn"):
            continue
        for entry in rec.get("affected") or []:
            pkg = entry.get("package") or {}
            if pkg.get("ecosystem") != "PyPI":
                continue
            by_name.setdefault(norm(pkg.get("name", "")), []).append((rec["id"], entry))
    for name, version in pkgs:
        ids = sorted({rid for rid, e in by_name.get(norm(name), []) if affected(e, version)})
        for rid in ids:
            print(f"{name}\t{version}\t{rid}")


main()
