#!/usr/bin/env python3
"""Package parity between Bulkhead and Trivy, on real test images (stdlib only): OS packages by default,
any purl types with --types.

Runs Trivy (`trivy image --input ... --format cyclonedx`, fresh cache dir each time) and Bulkhead
(`bulkhead sbom IMAGE --format cyclonedx --no-cache -o FILE`) on each image, takes the OS packages of each
CycloneDX document (components, nested ones included, whose purl type is deb, rpm or apk) as a set of
(name, version, purl type), and prints per image agreement = |intersection| / |union| with every difference.
Exits 1 if any image is below --min (default 0.99) or if a tool fails on an image.

Usage:
  bench/parity-trivy.py [--min 0.99] [--bulkhead target/release/bulkhead] [--trivy PATH]
                        [--testdata DIR] [--save-dir DIR] [--key nvt|purl] [--normalize-epoch]
                        [--against bulkhead|oracle] [IMAGE ...]
IMAGE is a path or a file name in the testdata dir (default: bookworm/bullseye .docker.tar and .oci.tar,
multilayer .docker.tar and .oci.tar, rpm.docker.tar, busybox.docker.tar from scripts/build-test-images.sh).

--against oracle compares Trivy with <image>.expected-packages.txt (dpkg-query/rpm -qa outputs written by
build-test-images.sh) instead of Bulkhead: a check of this script, of the images and of Trivy itself.
--key purl compares canonical purls (type/namespace/name@version, qualifiers sorted; distro excluded since
it is Trivy-specific detail) instead of (name, version, type).
--normalize-epoch treats "version without epoch + purl qualifier epoch=N" as "N:version" on both sides
(by default versions are compared exactly as written in component.version).

Trivy 0.59's --input does not read OCI *archives* (only docker-archive tars and OCI layout dirs), so an OCI
archive is unpacked to a temporary OCI layout dir for Trivy; Bulkhead is given the original tar.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from urllib.parse import unquote

OS_PURL_TYPES = {"deb", "rpm", "apk"}
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_IMAGES = [
    "bookworm.docker.tar", "bookworm.oci.tar",
    "bullseye.docker.tar", "bullseye.oci.tar",
    "multilayer.docker.tar", "multilayer.oci.tar",
    "rpm.docker.tar", "busybox.docker.tar",
]


def parse_purl(purl):
    """Minimal purl parser: returns (type, namespace, name, version, {qualifiers})."""
    if not purl or not purl.startswith("pkg:"):
        return None
    rest = purl[4:]
    rest = rest.split("#", 1)[0]
    quals = {}
    if "?" in rest:
        rest, q = rest.split("?", 1)
        for kv in q.split("&"):
            if "=" in kv:
                k, v = kv.split("=", 1)
                quals[k.lower()] = unquote(v)
    version = None
    if "@" in rest:
        rest, version = rest.rsplit("@", 1)
        version = unquote(version)
    parts = rest.strip("/").split("/")
    ptype = parts[0].lower()
    name = unquote(parts[-1]) if len(parts) > 1 else ""
    namespace = "/".join(unquote(p) for p in parts[1:-1])
    return ptype, namespace, name, version, quals


def iter_components(comps):
    for c in comps or []:
        yield c
        yield from iter_components(c.get("components"))


def os_packages(cdx, key="nvt", normalize_epoch=False, types=OS_PURL_TYPES):
    """Set of keys for the packages of a CycloneDX JSON document whose purl type is in `types` (by
    default the OS package types)."""
    out = set()
    for c in iter_components(cdx.get("components")):
        p = parse_purl(c.get("purl"))
        if not p or p[0] not in types:
            continue
        ptype, ns, pname, pver, quals = p
        version = c.get("version") or pver or ""
        if normalize_epoch and "epoch" in quals and not version.startswith(quals["epoch"] + ":"):
            version = f"{quals['epoch']}:{version}"
        if key == "purl":
            q = "&".join(f"{k}={v}" for k, v in sorted(quals.items()) if k != "distro")
            path = f"{ns}/{pname}" if ns else pname
            out.add(f"pkg:{ptype}/{path}@{pver or ''}" + (f"?{q}" if q else ""))
        else:
            out.add((c.get("name") or pname, version, ptype))
    return out


def oracle_packages(image_path, key):
    """Packages from <name>.expected-packages.txt next to the image (Package\\tVersion\\tArch)."""
    base = os.path.basename(image_path)
    name = base.split(".")[0]
    path = os.path.join(os.path.dirname(image_path), f"{name}.expected-packages.txt")
    if not os.path.exists(path):
        raise RuntimeError(f"no oracle file {path}")
    ptype = "rpm" if name.startswith("rpm") else "deb"
    out = set()
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            pkg, ver, arch = line.split("\t")
            if key == "purl":
                raise RuntimeError("--key purl is not supported with --against oracle")
            out.add((pkg, ver, ptype))
    return out


def is_oci_archive(path):
    if not os.path.isfile(path):
        return False
    try:
        with tarfile.open(path) as t:
            names = set(t.getnames())
    except tarfile.TarError:
        return False
    names = {n[2:] if n.startswith("./") else n for n in names}
    return "index.json" in names and "manifest.json" not in names


def run(cmd, timeout=900):
    t0 = time.monotonic()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout)
    dt = time.monotonic() - t0
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}:\n{p.stderr.strip()[-2000:]}")
    return dt


def run_trivy(trivy, image, out_json, tmp, extra=()):
    target = image
    if is_oci_archive(image):
        target = os.path.join(tmp, "oci-layout")
        with tarfile.open(image) as t:
            t.extractall(target)
    cache = tempfile.mkdtemp(prefix="trivy-cache-", dir=tmp)
    if os.path.isdir(image) and not os.path.exists(os.path.join(image, "index.json")):
        # A root filesystem tree: `trivy rootfs`.
        mode = ["rootfs", image]
    else:
        mode = ["image", "--input", target]
    try:
        return run([trivy, mode[0], "--quiet", "--offline-scan", "--skip-db-update", "--skip-java-db-update",
                    *mode[1:], *extra, "--format", "cyclonedx", "--cache-dir", cache, "-o", out_json])
    finally:
        shutil.rmtree(cache, ignore_errors=True)
        if target != image:
            shutil.rmtree(target, ignore_errors=True)


SHARED = os.path.join(os.path.dirname(REPO), "shared", "data", "pkgdb")
# rpm database fixtures (go-rpmdb, MIT) laid out as root filesystems with a matching os-release
# (grype fixtures, Apache-2.0): (name, database, where it goes, os-release source).
RPM_FIXTURES = [
    ("rpmdb-sqlite-mariner", "rpm/go-rpmdb/cbl-mariner-2.0/rpmdb.sqlite", "var/lib/rpm/rpmdb.sqlite",
     "os-release/grype/mariner/etc/os-release"),
    ("rpmdb-ndb-sle15", "rpm/go-rpmdb/sle15-bci/Packages.db", "usr/lib/sysimage/rpm/Packages.db",
     "os-release/grype/sles/etc/os-release"),
]


def build_rpm_fixture_trees(tmp):
    """Root filesystem trees holding the shared rpm fixture databases; [] when ../shared is absent."""
    if not os.path.isdir(SHARED):
        print("SKIP: ../shared absent; rpm fixture trees not compared")
        return []
    trees = []
    for name, db, dest, osrel in RPM_FIXTURES:
        root = os.path.join(tmp, name)
        os.makedirs(os.path.join(root, os.path.dirname(dest)), exist_ok=True)
        os.makedirs(os.path.join(root, "etc"), exist_ok=True)
        shutil.copy(os.path.join(SHARED, db), os.path.join(root, dest))
        shutil.copy(os.path.join(SHARED, osrel), os.path.join(root, "etc", "os-release"))
        trees.append(root)
    return trees


def run_bulkhead(bulkhead, image, out_json):
    return run([bulkhead, "sbom", image, "--format", "cyclonedx", "--no-cache", "-o", out_json])


def trivy_path(arg):
    if arg:
        return arg
    try:
        return subprocess.run([os.path.join(REPO, "scripts", "trivy-path.sh")], check=True,
                              stdout=subprocess.PIPE, text=True).stdout.strip()
    except subprocess.CalledProcessError:
        sys.exit("parity-trivy: Trivy not installed; run scripts/install-peers.sh (or pass --trivy)")


def fmt(k):
    return k if isinstance(k, str) else "\t".join(k)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("images", nargs="*")
    ap.add_argument("--min", type=float, default=0.99, help="minimum agreement per image (default 0.99)")
    ap.add_argument("--bulkhead", default=os.path.join(REPO, "target", "release", "bulkhead"))
    ap.add_argument("--trivy", help="Trivy binary (default: scripts/trivy-path.sh)")
    ap.add_argument("--testdata", default=os.environ.get("BULKHEAD_TESTDATA", "/var/tmp/bulkhead-testdata"))
    ap.add_argument("--save-dir", help="keep the CycloneDX outputs here")
    ap.add_argument("--trivy-arg", action="append", default=[],
                    help="extra argument for Trivy (repeatable), e.g. --trivy-arg=--skip-dirs=usr/share/java")
    ap.add_argument("--key", choices=["nvt", "purl"], default="nvt")
    ap.add_argument("--normalize-epoch", action="store_true")
    ap.add_argument("--against", choices=["bulkhead", "oracle"], default="bulkhead")
    ap.add_argument("--types", default="deb,rpm,apk",
                    help="purl types compared (default the OS ones: deb,rpm,apk; e.g. npm, pypi)")
    ap.add_argument("--rpm-fixtures", action="store_true",
                    help="also compare root filesystems built from ../shared rpm fixture databases (SQLite, NDB)")
    a = ap.parse_args()

    types = set(a.types.split(","))
    trivy = trivy_path(a.trivy)
    if a.against == "bulkhead" and not os.access(a.bulkhead, os.X_OK):
        sys.exit(f"parity-trivy: {a.bulkhead} not found; build it (cargo build --release -p bulkhead) "
                 f"or pass --bulkhead")
    images = [i if os.path.sep in i else os.path.join(a.testdata, i) for i in (a.images or DEFAULT_IMAGES)]
    missing = [i for i in images if not os.path.exists(i)]
    if missing:
        sys.exit(f"parity-trivy: missing {', '.join(missing)}; run scripts/build-test-images.sh")
    if a.save_dir:
        os.makedirs(a.save_dir, exist_ok=True)

    other = "bulkhead" if a.against == "bulkhead" else "oracle"
    failed = []
    summary = []
    with tempfile.TemporaryDirectory(prefix="parity-trivy-") as tmp:
        if a.rpm_fixtures and a.against == "bulkhead":
            images = images + build_rpm_fixture_trees(tmp)
        for img in images:
            label = os.path.basename(img.rstrip("/"))
            print(f"== {label}")
            try:
                tj = os.path.join(a.save_dir or tmp, f"{label}.trivy.cdx.json")
                dt_t = run_trivy(trivy, img, tj, tmp, a.trivy_arg)
                with open(tj) as f:
                    tset = os_packages(json.load(f), a.key, a.normalize_epoch, types)
                if a.against == "bulkhead":
                    bj = os.path.join(a.save_dir or tmp, f"{label}.bulkhead.cdx.json")
                    dt_b = run_bulkhead(a.bulkhead, img, bj)
                    with open(bj) as f:
                        bset = os_packages(json.load(f), a.key, a.normalize_epoch, types)
                else:
                    dt_b = 0.0
                    bset = oracle_packages(img, a.key)
            except Exception as e:  # a tool failing on an image counts as 0 agreement
                print(f"   ERROR: {e}")
                failed.append(label)
                summary.append((label, 0.0, "error"))
                continue
            inter, union = tset & bset, tset | bset
            agree = 1.0 if not union else len(inter) / len(union)
            ok = agree >= a.min
            print(f"   agreement {len(inter)}/{len(union)} = {agree:.4f} "
                  f"(trivy {len(tset)} in {dt_t:.2f}s, {other} {len(bset)}"
                  + (f" in {dt_b:.2f}s" if a.against == "bulkhead" else "") + f") {'ok' if ok else 'BELOW MIN'}")
            for k in sorted(tset - bset):
                print(f"   only trivy:    {fmt(k)}")
            for k in sorted(bset - tset):
                print(f"   only {other}: {' ' * max(0, 8 - len(other))}{fmt(k)}")
            if not ok:
                failed.append(label)
            summary.append((label, agree, "ok" if ok else "below"))
    print("\nimage\tagreement\tstatus")
    for label, agree, st in summary:
        print(f"{label}\t{agree:.4f}\t{st}")
    if failed:
        print(f"FAIL: {len(failed)} image(s) below --min {a.min} or failed: {', '.join(failed)}")
        return 1
    print(f"PASS: all {len(summary)} image(s) >= {a.min}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
