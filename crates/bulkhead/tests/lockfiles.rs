//! Lockfiles through the CLI: `bulkhead fs` on a project directory (Trivy's own npm fixture in
//! ../shared) reads its `package-lock.json`; the CycloneDX SBOM carries the dependency graph from
//! it, `--include-dev-deps` adds the development-only package, and `bulkhead image` on the same
//! directory (an installed tree, as Trivy's `rootfs`) does not read the lockfile.

mod common;
use common::bulkhead;
use std::path::PathBuf;

fn fixture() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/pkgdb/lockfiles/trivy-repo/npm");
    if p.is_dir() {
        Some(p)
    } else {
        println!("SKIP: ../shared absent; this test checked nothing");
        None
    }
}

fn cdx(args: &[&str]) -> serde_json::Value {
    let out = bulkhead(args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn fs_reads_the_lockfile_and_the_sbom_has_its_graph() {
    let Some(dir) = fixture() else { return };
    let dir = dir.to_str().unwrap();
    let d = cdx(&["fs", dir, "--scanners", "none", "--format", "cyclonedx"]);
    let names: Vec<&str> = d["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["purl"].as_str())
        .collect();
    assert_eq!(names.len(), 12, "{names:?}");
    assert!(!names.contains(&"pkg:npm/z-lock@1.0.0"), "dev left out");
    let react = d["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["ref"] == "pkg:npm/react@16.8.6")
        .expect("react's node");
    assert_eq!(
        react["dependsOn"],
        serde_json::json!([
            "pkg:npm/loose-envify@1.4.0",
            "pkg:npm/object-assign@4.1.1",
            "pkg:npm/prop-types@15.7.2",
            "pkg:npm/scheduler@0.13.6"
        ])
    );
    let with_dev = cdx(&[
        "fs",
        dir,
        "--scanners",
        "none",
        "--format",
        "cyclonedx",
        "--include-dev-deps",
    ]);
    assert!(
        with_dev["components"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["purl"] == "pkg:npm/z-lock@1.0.0")
    );
    // As an installed tree (image semantics), only the manifests under node_modules count.
    let installed = cdx(&["sbom", dir, "--format", "cyclonedx"]);
    assert_eq!(installed["components"].as_array().unwrap().len(), 6);
}
