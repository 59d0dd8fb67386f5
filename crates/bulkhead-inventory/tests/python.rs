//! Installed Python distributions: real METADATA / PKG-INFO / RECORD files (tests/fixtures-python,
//! see its PROVENANCE.md) laid out in a throw-away root filesystem, read the way `bulkhead fs` reads a
//! directory, and checked field by field and against an independent oracle, Python's own
//! `importlib.metadata`, over the same site directories. With the `pyvuln` test image built
//! (scripts/build-test-images.sh pyvuln) the image itself is checked against the oracle output the
//! build script wrote. A missing python3 prints `SKIP: …` (a failure with `BULKHEAD_STRICT=1`).

mod common;

use bulkhead_core::purl::package_purl;
use bulkhead_core::{Package, PackageKind};
use bulkhead_image::index::{FileEntry, FileKind, ImageIndex, LayerInfo};
use bulkhead_image::walk::LayerFacts;
use bulkhead_inventory::Inventory;
use common::Rootfs;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const DEB: &str = "usr/lib/python3/dist-packages";
const LOCAL: &str = "usr/local/lib/python3.11/site-packages";
const VENV: &str = "opt/venv/lib/python3.11/site-packages";

fn pyfx(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures-python")
        .join(rel)
}

fn read_pyfx(rel: &str) -> Vec<u8> {
    std::fs::read(pyfx(rel)).unwrap_or_else(|e| panic!("fixture {rel}: {e}"))
}

/// Copy `dist-info/<d>/{METADATA,RECORD}` of the fixtures into `<site>/<d>/`.
fn put_dist_info(r: &Rootfs, site: &str, d: &str, with_record: bool) {
    r.put(
        &format!("{site}/{d}/METADATA"),
        &read_pyfx(&format!("dist-info/{d}/METADATA")),
    );
    if with_record {
        r.put(
            &format!("{site}/{d}/RECORD"),
            &read_pyfx(&format!("dist-info/{d}/RECORD")),
        );
    }
}

/// The tree every test here starts from: three site directories (Debian's dist-packages, pip's
/// /usr/local site-packages, a virtualenv), all three metadata forms, one duplicate release inside a
/// site dir, one release in two site dirs, one broken METADATA and decoys outside site directories.
fn tree() -> Rootfs {
    let r = Rootfs::new("python");
    put_dist_info(&r, DEB, "six-1.16.0.dist-info", true);
    r.put(&format!("{DEB}/six.py"), b"# six\n");
    r.put(
        &format!("{DEB}/six-1.16.0.egg-info/PKG-INFO"),
        &read_pyfx("egg-info/six-1.16.0.egg-info/PKG-INFO"),
    );
    r.put(
        &format!("{DEB}/toml-0.10.2.egg-info/PKG-INFO"),
        &read_pyfx("egg-info/toml-0.10.2.egg-info/PKG-INFO"),
    );
    r.put(
        &format!("{DEB}/toml-0.10.2.egg-info/top_level.txt"),
        b"toml\n",
    );
    // Single-file form, as distutils' install_egg_info writes it.
    r.put(
        &format!("{DEB}/xmltodict-0.13.0-py3.11.egg-info"),
        &read_pyfx("egg-info/xmltodict-0.13.0.egg-info/PKG-INFO"),
    );
    for d in [
        "idna-3.6.dist-info",
        "wheel-0.42.0.dist-info",
        "urllib3-2.5.0.dist-info",
    ] {
        put_dist_info(&r, LOCAL, d, true);
    }
    r.put("usr/local/bin/wheel", b"#!/usr/bin/python3\n");
    put_dist_info(&r, VENV, "six-1.16.0.dist-info", false);
    put_dist_info(&r, VENV, "traitlets-5.15.0.dist-info", true);
    r.put(
        &format!("{VENV}/broken-1.0.dist-info/METADATA"),
        b"Metadata-Version: 2.1\nName: broken\nSummary: no version\n",
    );
    // Decoys: not directly in a site directory.
    let six_md = read_pyfx("dist-info/six-1.16.0.dist-info/METADATA");
    r.put("usr/share/doc/six/six-1.16.0.dist-info/METADATA", &six_md);
    r.put(
        &format!("{VENV}/six/vendored-1.0.dist-info/METADATA"),
        &six_md,
    );
    r.put(
        &format!("{VENV}/old-1.0-py3.11.egg/EGG-INFO/PKG-INFO"),
        &six_md,
    );
    r
}

fn python_pkgs(inv: &Inventory) -> Vec<&Package> {
    inv.packages
        .iter()
        .filter(|p| p.kind == Some(PackageKind::PyPI))
        .collect()
}

fn find<'a>(inv: &'a Inventory, name: &str, site: &str) -> &'a Package {
    python_pkgs(inv)
        .into_iter()
        .find(|p| p.name == name && p.db_path.starts_with(&format!("/{site}/")))
        .unwrap_or_else(|| panic!("{name} in {site} not found"))
}

/// The site directory of a package read from `db_path`.
fn site_of(p: &Package) -> String {
    let path = p.db_path.trim_start_matches('/');
    let meta_dir = if path.ends_with("/METADATA") || path.ends_with("/PKG-INFO") {
        path.rsplit_once('/').unwrap().0
    } else {
        path
    };
    meta_dir.rsplit_once('/').unwrap().0.to_string()
}

fn record_rows(d: &str) -> usize {
    String::from_utf8(read_pyfx(&format!("dist-info/{d}/RECORD")))
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .count()
}

#[test]
fn dist_info_egg_info_and_record() {
    let r = tree();
    let inv = r.inventory();
    let pkgs = python_pkgs(&inv);
    let got: BTreeSet<(String, String, String)> = pkgs
        .iter()
        .map(|p| (site_of(p), p.name.clone(), p.version.clone()))
        .collect();
    let want: BTreeSet<(String, String, String)> = [
        (DEB, "six", "1.16.0"),
        (DEB, "toml", "0.10.2"),
        (DEB, "xmltodict", "0.13.0"),
        (LOCAL, "idna", "3.6"),
        (LOCAL, "urllib3", "2.5.0"),
        (LOCAL, "wheel", "0.42.0"),
        (VENV, "six", "1.16.0"),
        (VENV, "traitlets", "5.15.0"),
    ]
    .iter()
    .map(|(s, n, v)| (s.to_string(), n.to_string(), v.to_string()))
    .collect();
    assert_eq!(got, want);
    assert_eq!(pkgs.len(), 8, "duplicates: {pkgs:#?}");
    assert!(inv.os.is_none());
    assert_eq!(
        inv.warnings,
        vec![format!(
            "/{VENV}/broken-1.0.dist-info/METADATA: skipped Python distribution metadata without \
             Name or Version"
        )]
    );

    // six in Debian's dist-packages: the .dist-info wins over the .egg-info of the same release.
    let six = find(&inv, "six", DEB);
    assert_eq!(six.db_path, format!("/{DEB}/six-1.16.0.dist-info/METADATA"));
    assert_eq!(six.licenses, vec!["MIT"]);
    assert_eq!(six.maintainer.as_deref(), Some("Benjamin Peterson"));
    assert_eq!(six.layer, None, "a root filesystem has no layers");
    assert_eq!(six.files.len(), record_rows("six-1.16.0.dist-info"));
    assert!(six.files.contains(&format!("/{DEB}/six.py")));
    assert!(
        six.files
            .contains(&format!("/{DEB}/__pycache__/six.cpython-311.pyc"))
    );
    assert!(
        six.files
            .contains(&format!("/{DEB}/six-1.16.0.dist-info/RECORD"))
    );
    assert!(six.files.iter().all(|f| f.starts_with('/')));
    assert_eq!(six.epoch, None);
    assert_eq!(six.arch, None);
    assert_eq!(
        package_purl(six, None).as_deref(),
        Some("pkg:pypi/six@1.16.0")
    );

    // The same release in a virtualenv is a second package (no RECORD there: no files).
    let venv_six = find(&inv, "six", VENV);
    assert_eq!(
        venv_six.db_path,
        format!("/{VENV}/six-1.16.0.dist-info/METADATA")
    );
    assert!(venv_six.files.is_empty());

    // egg-info directory: Metadata-Version 1.2 with a folded Description.
    let toml = find(&inv, "toml", DEB);
    assert_eq!(
        toml.db_path,
        format!("/{DEB}/toml-0.10.2.egg-info/PKG-INFO")
    );
    assert_eq!(toml.licenses, vec!["MIT"]);
    assert_eq!(toml.maintainer.as_deref(), Some("William Pearson"));
    assert!(toml.files.is_empty());

    // egg-info file.
    let x = find(&inv, "xmltodict", DEB);
    assert_eq!(
        x.db_path,
        format!("/{DEB}/xmltodict-0.13.0-py3.11.egg-info")
    );
    assert_eq!(x.licenses, vec!["MIT"]);

    // Licence only from a classifier; author only as Author-email.
    let idna = find(&inv, "idna", LOCAL);
    assert_eq!(idna.licenses, vec!["BSD License"]);
    assert_eq!(
        idna.maintainer.as_deref(),
        Some("Kim Davies <kim+pypi@gumleaf.org>")
    );
    assert_eq!(idna.files.len(), record_rows("idna-3.6.dist-info"));

    // PEP 639 License-Expression.
    let urllib3 = find(&inv, "urllib3", LOCAL);
    assert_eq!(urllib3.licenses, vec!["MIT"]);
    assert_eq!(urllib3.files.len(), record_rows("urllib3-2.5.0.dist-info"));

    // RECORD's console script `../../../bin/wheel` resolves out of the site directory.
    let wheel = find(&inv, "wheel", LOCAL);
    assert!(
        wheel.files.contains(&"/usr/local/bin/wheel".to_string()),
        "{:?}",
        wheel.files
    );
    assert_eq!(wheel.files.len(), record_rows("wheel-0.42.0.dist-info"));
    assert!(
        wheel
            .files
            .iter()
            .filter(|f| *f != "/usr/local/bin/wheel")
            .all(|f| f.starts_with(&format!("/{LOCAL}/")))
    );

    // A License header holding the whole licence text is not a licence name: classifiers instead.
    let traitlets = find(&inv, "traitlets", VENV);
    assert_eq!(traitlets.licenses, vec!["BSD License"]);
    assert_eq!(
        traitlets.maintainer.as_deref(),
        Some("IPython Development Team <ipython-dev@python.org>")
    );
}

fn python3() -> Option<&'static str> {
    let ok = Command::new("python3")
        .arg("-c")
        .arg("import importlib.metadata")
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some("python3");
    }
    if std::env::var("BULKHEAD_STRICT").as_deref() == Ok("1") {
        panic!(
            "required tool missing under BULKHEAD_STRICT=1 (scripts/install-deps.sh installs it)"
        );
    }
    println!("SKIP: python3 with importlib.metadata not installed");
    None
}

/// `importlib.metadata.distributions(path=[site])` for each site directory: (site, name, version) of
/// every distribution that has both (a distribution listed twice in one site directory is one row).
fn importlib_oracle(py: &str, root: &Path, sites: &[&str]) -> BTreeSet<(String, String, String)> {
    const SCRIPT: &str = r#"
import importlib.metadata as m, sys
root = sys.argv[1]
for site in sys.argv[2:]:
    for d in m.distributions(path=[root + "/" + site]):
        name, version = d.metadata["Name"], d.version
        if name and version:
            print(f"{site}\t{name}\t{version}")
"#;
    let out = Command::new(py)
        .arg("-c")
        .arg(SCRIPT)
        .arg(root)
        .args(sites)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "importlib oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let mut f = l.split('\t').map(str::to_string);
            (f.next().unwrap(), f.next().unwrap(), f.next().unwrap())
        })
        .collect()
}

#[test]
fn agrees_with_importlib_metadata() {
    let Some(py) = python3() else { return };
    let r = tree();
    let inv = r.inventory();
    let ours: BTreeSet<(String, String, String)> = python_pkgs(&inv)
        .iter()
        .map(|p| (site_of(p), p.name.clone(), p.version.clone()))
        .collect();
    let oracle = importlib_oracle(py, &r.path, &[DEB, LOCAL, VENV]);
    assert_eq!(ours, oracle);
    println!(
        "importlib.metadata: {} (site, name, version) rows, all equal",
        oracle.len()
    );
}

#[test]
fn hostile_record_paths_stay_inside_the_image() {
    let r = Rootfs::new("python-hostile");
    let site = "app/site-packages";
    r.put(
        &format!("{site}/evil-1.0.dist-info/METADATA"),
        b"Metadata-Version: 2.1\nName: Evil_Pkg\nVersion: 1.0\nLicense: UNKNOWN\n",
    );
    r.put(
        &format!("{site}/evil-1.0.dist-info/RECORD"),
        b"../../../../etc/shadow,,\n../../bin/evil,,\n/etc/evil.conf,,\n\"a,b.py\",,\nevil/,,\n",
    );
    r.mkdir(&format!("{site}/evil"));
    let inv = r.inventory();
    let pkgs = python_pkgs(&inv);
    assert_eq!(pkgs.len(), 1);
    let p = pkgs[0];
    assert_eq!(p.name, "Evil_Pkg");
    assert!(p.licenses.is_empty());
    // `../../../../etc/shadow` climbs above the root and is dropped; the directory `evil/` is not a file.
    assert_eq!(
        p.files,
        vec!["/bin/evil", "/etc/evil.conf", "/app/site-packages/a,b.py"]
    );
    assert_eq!(
        package_purl(p, None).as_deref(),
        Some("pkg:pypi/evil-pkg@1.0")
    );
}

fn file(path: &str) -> FileEntry {
    FileEntry {
        path: path.into(),
        kind: FileKind::File,
        mode: 0o644,
        uid: 0,
        gid: 0,
        size: 0,
        link: None,
        layer: 0,
    }
}

/// Layer facts as the walk records them: every entry, contents only of the paths analyzers want.
fn layer(files: &[(&str, &[u8])], whiteouts: &[&str]) -> LayerFacts {
    let wanted = bulkhead_inventory::wanted();
    LayerFacts {
        entries: files.iter().map(|(p, _)| file(p)).collect(),
        contents: files
            .iter()
            .filter(|(p, _)| wanted.wants(p))
            .map(|(p, d)| (p.to_string(), d.to_vec()))
            .collect(),
        whiteouts: whiteouts.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

#[test]
fn layers_whiteouts_and_attribution() {
    let md = |v: &str| format!("Metadata-Version: 2.1\nName: six\nVersion: {v}\n").into_bytes();
    let site = "usr/local/lib/python3.11/site-packages";
    let old_md = md("1.15.0");
    let new_md = md("1.16.0");
    let mut index = ImageIndex::new();
    let info = |d: &str| LayerInfo {
        diff_id: d.into(),
        digest: None,
        created_by: None,
    };
    index
        .apply_layer(
            info("sha256:base"),
            layer(
                &[
                    (&format!("{site}/six-1.15.0.dist-info/METADATA"), &old_md),
                    (
                        &format!("{site}/six-1.15.0.dist-info/RECORD"),
                        b"six.py,,\n",
                    ),
                    (&format!("{site}/six.py"), b""),
                ],
                &[],
            ),
        )
        .unwrap();
    // pip install --upgrade six: the old dist-info goes (whiteout), the new one comes.
    index
        .apply_layer(
            info("sha256:upgrade"),
            layer(
                &[
                    (&format!("{site}/six-1.16.0.dist-info/METADATA"), &new_md),
                    (
                        &format!("{site}/six-1.16.0.dist-info/RECORD"),
                        b"six.py,,\n",
                    ),
                    (&format!("{site}/six.py"), b""),
                ],
                &[&format!("{site}/six-1.15.0.dist-info")],
            ),
        )
        .unwrap();
    let inv = bulkhead_inventory::analyze(&index);
    let pkgs = python_pkgs(&inv);
    assert_eq!(pkgs.len(), 1, "{pkgs:#?}");
    assert_eq!(pkgs[0].version, "1.16.0");
    assert_eq!(pkgs[0].layer.as_deref(), Some("sha256:upgrade"));
    assert_eq!(pkgs[0].files, vec![format!("/{site}/six.py")]);
}

/// The pyvuln test image (bookworm + old PyPI releases installed with pip): every (name, version) the
/// build script's importlib.metadata oracle listed, and nothing else, in that site directory.
#[test]
fn pyvuln_image_matches_its_oracle() {
    let dir = PathBuf::from(
        std::env::var("BULKHEAD_TESTDATA").unwrap_or_else(|_| "/var/tmp/bulkhead-testdata".into()),
    );
    let (tar, expected) = (
        dir.join("pyvuln.docker.tar"),
        dir.join("pyvuln.expected-python.txt"),
    );
    if !tar.is_file() || !expected.is_file() {
        println!(
            "SKIP: {} absent (scripts/build-test-images.sh pyvuln builds it)",
            tar.display()
        );
        return;
    }
    let scanned = bulkhead_image::scan_target(
        tar.to_str().unwrap(),
        &bulkhead_inventory::wanted(),
        &bulkhead_image::ScanOptions::default(),
    )
    .expect("scan pyvuln.docker.tar");
    let inv = bulkhead_inventory::analyze(&scanned.index);
    let site = "usr/local/lib/python3.11/dist-packages";
    let ours: BTreeSet<(String, String)> = python_pkgs(&inv)
        .iter()
        .filter(|p| site_of(p) == site)
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect();
    let want: BTreeSet<(String, String)> = std::fs::read_to_string(&expected)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (n, v) = l.split_once('\t').expect("name<TAB>version");
            (n.to_string(), v.to_string())
        })
        .collect();
    assert!(want.len() >= 5, "oracle too small: {want:?}");
    assert_eq!(ours, want);
    // Debian's own packages are still there, and every Python package has a layer and owned files.
    assert!(
        inv.packages
            .iter()
            .any(|p| p.kind == Some(PackageKind::Deb) && p.name == "dpkg")
    );
    // The pip layer sits on top of bookworm's.
    let top = &scanned.index.layers.last().unwrap().diff_id;
    assert!(scanned.index.layers.len() >= 2);
    for p in python_pkgs(&inv) {
        assert_eq!(p.layer.as_ref(), Some(top), "{}: layer", p.name);
        assert!(!p.files.is_empty(), "{}: no files", p.name);
    }
    println!(
        "pyvuln: {} Python packages equal to importlib.metadata",
        want.len()
    );
}
