//! CLI contract: exit codes, errors on stderr, output files.

mod common;
use common::*;

#[test]
fn bad_input_exits_2_with_reason() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.tar");
    std::fs::write(
        &junk,
        b"this is not a tar archive at all, not even close................",
    )
    .unwrap();
    let out = bulkhead(&["sbom", junk.to_str().unwrap(), "--format", "cyclonedx"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("junk.tar"), "{err}");
    assert!(out.stdout.is_empty());

    let out = bulkhead(&["image", "/definitely/not/here.tar", "--format", "bogus"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("invalid value 'bogus'") && err.contains("possible values: table, json"),
        "{err}"
    );

    let out = bulkhead(&["fs", junk.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn fs_scan_of_a_small_rootfs_and_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir_all(root.join("var/lib/dpkg")).unwrap();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(
        root.join("etc/os-release"),
        "ID=debian\nVERSION_ID=\"12\"\n",
    )
    .unwrap();
    std::fs::write(root.join("etc/debian_version"), "12.7\n").unwrap();
    std::fs::write(
        root.join("var/lib/dpkg/status"),
        "Package: zlib1g\nStatus: install ok installed\nSource: zlib\nVersion: 1:1.2.13.dfsg-1\nArchitecture: amd64\n",
    )
    .unwrap();
    let out_file = dir.path().join("out.cdx.json");
    let out = bulkhead(&[
        "fs",
        root.to_str().unwrap(),
        "--format",
        "cyclonedx",
        "-o",
        out_file.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    let bom: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&out_file).unwrap()).unwrap();
    let purls: Vec<&str> = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["purl"].as_str())
        .collect();
    assert_eq!(
        purls,
        vec!["pkg:deb/debian/zlib1g@1.2.13.dfsg-1?arch=amd64&distro=debian-12.7&epoch=1"]
    );
    // Only the output file was written next to it.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn version_flag() {
    let out = bulkhead(&["--version"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("bulkhead "));
}
