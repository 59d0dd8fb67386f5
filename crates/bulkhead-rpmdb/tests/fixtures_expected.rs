//! Real databases against expected values published with them (go-rpmdb's
//! test tables, syft's fixture) — see tests/fixtures/PROVENANCE.md.

mod common;

use bulkhead_rpmdb::{DbFormat, RpmPackage, detect_format, parse_header_blob, read_packages};
use common::{fixture, libuuid_header_blob, read_fixture, shared};
use serde_json::Value;

fn json(rel: &str) -> Value {
    serde_json::from_slice(&read_fixture(rel)).unwrap()
}

fn str_field<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("expected JSON has no string {key}: {v}"))
}

/// Compares a package with a go-rpmdb `expected_package` object (Go field names).
fn assert_matches_go_package(p: &RpmPackage, exp: &Value) {
    assert_eq!(p.name, str_field(exp, "Name"));
    assert_eq!(p.version, str_field(exp, "Version"));
    assert_eq!(p.release, str_field(exp, "Release"));
    assert_eq!(p.arch, str_field(exp, "Arch"));
    assert_eq!(p.source_rpm, str_field(exp, "SourceRpm"));
    assert_eq!(p.license, str_field(exp, "License"));
    assert_eq!(p.vendor, str_field(exp, "Vendor"));
    assert_eq!(p.size, exp["Size"].as_u64().unwrap());
    match exp.get("Epoch") {
        Some(Value::Number(n)) => assert_eq!(p.epoch, Some(n.as_u64().unwrap() as u32)),
        // go-rpmdb's table leaves Epoch nil for these packages (rpm -q says "(none)").
        _ => assert_eq!(p.epoch, None),
    }
}

fn expected_files(exp: &Value) -> Vec<String> {
    exp["expected_installed_file_names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn libuuid_berkeley_db_matches_go_rpmdb() {
    let bytes = read_fixture("go-rpmdb/libuuid/Packages");
    assert_eq!(detect_format(&bytes), Some(DbFormat::BerkeleyDb));
    let pkgs = read_packages(&bytes).unwrap();
    let exp = json("go-rpmdb/libuuid.expected.json");
    assert_eq!(pkgs.len(), 1, "libuuid/Packages holds one package");
    let p = &pkgs[0];
    assert_matches_go_package(p, &exp["expected_package"]);
    assert_eq!(p.modularity_label, "");
    let files = expected_files(&exp);
    assert_eq!(files.len(), 7);
    assert_eq!(p.files, files);
}

#[test]
fn libuuid_header_blob_parses_alone() {
    // The value bytes extracted by the test helper (not by the crate).
    let blob = libuuid_header_blob();
    assert_eq!(blob.len(), 80880);
    let p = parse_header_blob(&blob).unwrap();
    let exp = json("go-rpmdb/libuuid.expected.json");
    assert_matches_go_package(&p, &exp["expected_package"]);
    assert_eq!(p.files, expected_files(&exp));
    // Same package as read through the database.
    let via_db = read_packages(&read_fixture("go-rpmdb/libuuid/Packages")).unwrap();
    assert_eq!(via_db, vec![p]);
}

/// syft's fixture; the values are what `rpm --define '_db_backend bdb_ro' -qa`
/// (rpm 4.18.0) prints for it (see tests/fixtures/PROVENANCE.md).
fn assert_is_syft_dive(pkgs: &[RpmPackage]) {
    assert_eq!(pkgs.len(), 1);
    let p = &pkgs[0];
    assert_eq!(p.name, "dive");
    assert_eq!(p.epoch, None);
    assert_eq!(p.version, "0.9.2");
    assert_eq!(p.release, "1");
    assert_eq!(p.arch, "x86_64");
    assert_eq!(p.license, "MIT");
    assert_eq!(p.vendor, "");
    assert_eq!(p.size, 12406784);
    assert_eq!(p.source_rpm, "dive-0.9.2-1.src.rpm");
    assert_eq!(p.files, vec!["/usr/local/bin/dive".to_string()]);
}

#[test]
fn syft_berkeley_db() {
    let bytes = read_fixture("syft/Packages");
    assert_eq!(detect_format(&bytes), Some(DbFormat::BerkeleyDb));
    assert_is_syft_dive(&read_packages(&bytes).unwrap());
}

#[test]
fn grype_match_coverage_berkeley_dbs() {
    for distro in ["centos", "sles"] {
        let Some(path) = shared(&format!(
            "grype-match-coverage/{distro}/var/lib/rpm/Packages"
        )) else {
            return;
        };
        let bytes = std::fs::read(path).unwrap();
        assert_eq!(detect_format(&bytes), Some(DbFormat::BerkeleyDb));
        let pkgs = read_packages(&bytes).unwrap();
        // These images carry the same one-package database as syft's fixture.
        assert_eq!(
            pkgs.iter()
                .map(|p| (p.name.as_str(), p.version.as_str()))
                .collect::<Vec<_>>(),
            vec![("dive", "0.9.2")],
            "{distro}"
        );
        assert_is_syft_dive(&pkgs);
    }
}

#[test]
fn cbl_mariner_sqlite_matches_go_rpmdb() {
    let Some(path) = shared("rpm/go-rpmdb/cbl-mariner-2.0/rpmdb.sqlite") else {
        return;
    };
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(detect_format(&bytes), Some(DbFormat::Sqlite));
    let pkgs = read_packages(&bytes).unwrap();
    assert_eq!(pkgs.len(), 129);

    // Names: the distinct keys of the database's own Name index.
    let names_txt = String::from_utf8(read_fixture("go-rpmdb/cbl-mariner-2.0.names.txt")).unwrap();
    let expected_names: Vec<&str> = names_txt
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .collect();
    assert_eq!(expected_names.len(), 129);
    let mut names: Vec<&str> = pkgs.iter().map(|p| p.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let mut expected_sorted = expected_names.clone();
    expected_sorted.sort_unstable();
    assert_eq!(names, expected_sorted);

    let exp = json("go-rpmdb/cbl-mariner-2.0.expected.json");
    let curl = pkgs.iter().find(|p| p.name == "curl").expect("curl");
    assert_matches_go_package(curl, &exp["expected_package"]);
    assert_eq!(curl.files, expected_files(&exp));
    assert_eq!(curl.files.len(), 6);
}

#[test]
fn sle15_bci_ndb_matches_go_rpmdb() {
    let Some(path) = shared("rpm/go-rpmdb/sle15-bci/Packages.db") else {
        return;
    };
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(detect_format(&bytes), Some(DbFormat::Ndb));
    let pkgs = read_packages(&bytes).unwrap();
    let exp = json("go-rpmdb/sle15-bci.expected.json");
    let list = exp["expected_package_list"].as_array().unwrap();
    assert_eq!(list.len(), 35);
    assert_eq!(pkgs.len(), list.len());
    // Same order as go-rpmdb (slot order).
    for (p, e) in pkgs.iter().zip(list) {
        assert_eq!(p.name, str_field(e, "name"));
        let epoch = e["epoch"].as_u64().map(|n| n as u32);
        assert_eq!(p.epoch, epoch, "{}", p.name);
        assert_eq!(p.version, str_field(e, "version"), "{}", p.name);
        assert_eq!(p.release, str_field(e, "release"), "{}", p.name);
        assert_eq!(p.arch, str_field(e, "arch"), "{}", p.name);
        assert_eq!(p.source_rpm, str_field(e, "sourcerpm"), "{}", p.name);
        assert_eq!(p.size, e["size"].as_u64().unwrap(), "{}", p.name);
        assert_eq!(p.license, str_field(e, "license"), "{}", p.name);
        assert_eq!(p.vendor, str_field(e, "vendor"), "{}", p.name);
        assert_eq!(
            p.modularity_label,
            str_field(e, "modularitylabel"),
            "{}",
            p.name
        );
        assert!(
            !p.files.is_empty() || p.name.starts_with("gpg-pubkey"),
            "{}",
            p.name
        );
    }
}

#[test]
fn fixture_files_exist() {
    // The fresh-clone fixtures must always be there (they are not in ../shared).
    for rel in [
        "go-rpmdb/libuuid/Packages",
        "syft/Packages",
        "go-rpmdb/libuuid.expected.json",
        "go-rpmdb/cbl-mariner-2.0.expected.json",
        "go-rpmdb/sle15-bci.expected.json",
        "go-rpmdb/cbl-mariner-2.0.names.txt",
        "PROVENANCE.md",
    ] {
        assert!(fixture(rel).is_file(), "{rel}");
    }
}
