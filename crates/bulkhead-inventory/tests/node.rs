//! Node.js packages: manifests laid out as `npm install` lays them out (scoped packages, nested
//! `node_modules` at other versions, an application's own manifest, a sub-path helper without
//! identity, a broken manifest), read the way `bulkhead fs` reads a directory; and, with the
//! `npmvuln` test image built (scripts/build-test-images.sh npmvuln), the image against npm's own
//! `npm ls --all` of the same tree, written at build time.

mod common;

use bulkhead_core::purl::package_purl;
use bulkhead_core::{Package, PackageKind};
use common::Rootfs;
use std::collections::BTreeSet;
use std::path::PathBuf;

fn npm(inv: &bulkhead_inventory::Inventory) -> Vec<&Package> {
    inv.packages
        .iter()
        .filter(|p| p.kind == Some(PackageKind::Npm))
        .collect()
}

#[test]
fn installed_tree_scoped_nested_app_and_helpers() {
    let r = Rootfs::new("node");
    let m = |name: &str, version: &str| {
        format!(r#"{{"name":"{name}","version":"{version}","license":"MIT","dependencies":{{"x":"^1.0.0"}}}}"#)
            .into_bytes()
    };
    r.put(
        "srv/app/package.json",
        br#"{"name":"shop","version":"2.1.0","private":true}"#,
    );
    r.put(
        "srv/app/node_modules/lodash/package.json",
        &m("lodash", "4.17.15"),
    );
    r.put(
        "srv/app/node_modules/@babel/code-frame/package.json",
        &m("@babel/code-frame", "7.0.0"),
    );
    // A dependency that needs another version of a package: nested under it.
    r.put(
        "srv/app/node_modules/raw-body/package.json",
        &m("raw-body", "2.3.2"),
    );
    r.put(
        "srv/app/node_modules/raw-body/node_modules/depd/package.json",
        &m("depd", "1.1.1"),
    );
    r.put(
        "srv/app/node_modules/depd/package.json",
        &m("depd", "1.1.2"),
    );
    // A sub-path helper (no name or version) and a manifest without a version: no package.
    r.put(
        "srv/app/node_modules/lodash/fp/package.json",
        br#"{"main":"../fp.js"}"#,
    );
    r.put("opt/tool/package.json", br#"{"name":"tool"}"#);
    // Broken JSON: a warning naming the file, no package.
    r.put("srv/app/node_modules/broken/package.json", b"{\"name\": ");
    // Legacy licences.
    r.put(
        "usr/lib/node_modules/npm/package.json",
        br#"{"name":"npm","version":"6.14.4","licenses":[{"type":"Artistic-2.0"}]}"#,
    );
    let inv = r.inventory();
    let got: BTreeSet<(String, String, String)> = npm(&inv)
        .iter()
        .map(|p| (p.name.clone(), p.version.clone(), p.db_path.clone()))
        .collect();
    let want: BTreeSet<(String, String, String)> = [
        ("shop", "2.1.0", "/srv/app/package.json"),
        (
            "lodash",
            "4.17.15",
            "/srv/app/node_modules/lodash/package.json",
        ),
        (
            "@babel/code-frame",
            "7.0.0",
            "/srv/app/node_modules/@babel/code-frame/package.json",
        ),
        (
            "raw-body",
            "2.3.2",
            "/srv/app/node_modules/raw-body/package.json",
        ),
        (
            "depd",
            "1.1.1",
            "/srv/app/node_modules/raw-body/node_modules/depd/package.json",
        ),
        ("depd", "1.1.2", "/srv/app/node_modules/depd/package.json"),
        ("npm", "6.14.4", "/usr/lib/node_modules/npm/package.json"),
    ]
    .iter()
    .map(|(n, v, p)| (n.to_string(), v.to_string(), p.to_string()))
    .collect();
    assert_eq!(got, want);
    let scoped = npm(&inv)
        .into_iter()
        .find(|p| p.name == "@babel/code-frame")
        .unwrap();
    assert_eq!(
        package_purl(scoped, inv.os.as_ref()).as_deref(),
        Some("pkg:npm/%40babel/code-frame@7.0.0")
    );
    assert_eq!(scoped.licenses, ["MIT"]);
    let old_npm = npm(&inv).into_iter().find(|p| p.name == "npm").unwrap();
    assert_eq!(old_npm.licenses, ["Artistic-2.0"]);
    assert!(
        inv.warnings
            .iter()
            .any(|w| w.contains("/srv/app/node_modules/broken/package.json")),
        "{:?}",
        inv.warnings
    );
}

/// The npmvuln image (bookworm + an application installed with `npm install`): every installed
/// package and the application, at its path, exactly as `npm ls --all` listed them at build time.
#[test]
fn npmvuln_image_matches_npm_ls() {
    let dir = PathBuf::from(
        std::env::var("BULKHEAD_TESTDATA").unwrap_or_else(|_| "/var/tmp/bulkhead-testdata".into()),
    );
    let (tar, expected) = (
        dir.join("npmvuln.docker.tar"),
        dir.join("npmvuln.expected-npm.txt"),
    );
    if !tar.is_file() || !expected.is_file() {
        let strict = std::env::var("BULKHEAD_STRICT").is_ok_and(|v| v == "1");
        assert!(!strict, "BULKHEAD_STRICT=1 and {} is absent", tar.display());
        println!(
            "SKIP: {} absent (scripts/build-test-images.sh npmvuln builds it)",
            tar.display()
        );
        return;
    }
    let scanned = bulkhead_image::scan_target(
        tar.to_str().unwrap(),
        &bulkhead_inventory::wanted(),
        &bulkhead_image::ScanOptions::default(),
    )
    .expect("scan npmvuln.docker.tar");
    let inv = bulkhead_inventory::analyze(&scanned.index);
    let ours: BTreeSet<(String, String, String)> = npm(&inv)
        .iter()
        .map(|p| (p.name.clone(), p.version.clone(), p.db_path.clone()))
        .collect();
    let want: BTreeSet<(String, String, String)> = std::fs::read_to_string(&expected)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].to_string(), f[1].to_string(), f[2].to_string())
        })
        .collect();
    assert!(want.len() > 50, "oracle too small: {}", want.len());
    let missing: Vec<_> = want.difference(&ours).collect();
    let extra: Vec<_> = ours.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:#?}\nextra {extra:#?}"
    );
    let nested = ours
        .iter()
        .filter(|(_, _, p)| p.matches("node_modules").count() > 1)
        .count();
    assert!(nested > 0, "the tree has nested node_modules");
    let top = &scanned.index.layers.last().unwrap().diff_id;
    for p in npm(&inv) {
        assert_eq!(p.layer.as_ref(), Some(top), "{}: layer", p.name);
    }
    println!(
        "npmvuln: {} npm packages ({nested} nested) equal to npm ls --all",
        want.len()
    );
}
