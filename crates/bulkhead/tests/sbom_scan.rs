//! `bulkhead sbom scan`: an SBOM's packages matched as the scanned image's are.
//!
//! - Bulkhead's own CycloneDX and SPDX of the test images give the same findings (id, package,
//!   version, file) as `bulkhead image` on the images.
//! - Trivy 0.59.1's CycloneDX and SPDX JSON of the same images give the same packages (purl type,
//!   name, version, and for OS packages the source package and version the advisories key on) and
//!   the same findings (id, package, version) — a third-party SBOM reads as the image does.
//! - Hostile and wrong inputs are errors naming the file, never an empty pass.

mod common;

use common::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn shared() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    if p.is_dir() {
        Some(p)
    } else {
        println!("SKIP: ../shared absent; this test checked nothing");
        None
    }
}

fn trivy() -> Option<PathBuf> {
    let o = Command::new("bash")
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/trivy-path.sh"))
        .output()
        .ok()?;
    if o.status.success() {
        return Some(PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    }
    assert!(
        std::env::var("BULKHEAD_STRICT").as_deref() != Ok("1"),
        "Trivy is needed (scripts/install-peers.sh)"
    );
    println!("SKIP: Trivy absent (scripts/install-peers.sh); Trivy's SBOMs not checked");
    None
}

type Finding = (String, String, String, String);

fn report_findings(r: &serde_json::Value, with_file: bool) -> BTreeSet<Finding> {
    findings(r)
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["package"]["name"].as_str().unwrap().to_string(),
                f["package"]["version"].as_str().unwrap().to_string(),
                if with_file {
                    f["location"]["file"].as_str().unwrap_or("").to_string()
                } else {
                    String::new()
                },
            )
        })
        .collect()
}

/// (kind, name, version, source name, source version) of a report's packages; language
/// packages once per identity (an SBOM without paths cannot tell two installs apart).
fn packages(r: &serde_json::Value) -> BTreeSet<(String, String, String, String, String)> {
    r["targets"][0]["artifact"]["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let s = |k: &str| p[k].as_str().unwrap_or("").to_string();
            let mut version = s("version");
            if let Some(rel) = p["release"].as_str() {
                version = format!("{version}-{rel}");
            }
            (
                s("kind"),
                s("name"),
                version,
                s("src_name"),
                s("src_version"),
            )
        })
        .collect()
}

/// The OS (family, version) advisories are matched for.
fn os(r: &serde_json::Value) -> (String, String) {
    let o = &r["targets"][0]["artifact"]["os"];
    let s = |k: &str| o[k].as_str().unwrap_or("").to_string();
    (s("family"), s("version"))
}

fn sbom_scan(file: &Path, db: &Path) -> serde_json::Value {
    let o = bulkhead(&[
        "sbom",
        "scan",
        file.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
        "--format",
        "json",
        "--list-all-pkgs",
    ]);
    assert!(
        o.status.success(),
        "sbom scan {}: {}",
        file.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn bulkheads_and_trivys_sboms_scan_as_the_image() {
    let (Some(t), Some(shared)) = (testdata(), shared()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("adv.db");
    for src in ["osv/Go", "osv/npm", "osv/PyPI", "advisories-raw/rustsec"] {
        import_db(&db, &shared.join(src));
    }
    let trivy = trivy();
    for image in [
        "langvuln.docker.tar",
        "npmvuln.docker.tar",
        "pyvuln.docker.tar",
        "bookworm.docker.tar",
        "rpm.docker.tar",
    ] {
        let path = t.join(image);
        assert!(
            path.exists(),
            "{image} missing: run scripts/build-test-images.sh"
        );
        let scanned = scan_with_db(&path, &db, &["--format", "json", "--list-all-pkgs"]);
        let want = report_findings(&scanned, true);
        for format in ["cyclonedx", "spdx-json"] {
            let sbom = dir.path().join(format!("{image}.{format}.json"));
            let o = bulkhead(&[
                "sbom",
                path.to_str().unwrap(),
                "--no-cache",
                "--format",
                format,
                "-o",
                sbom.to_str().unwrap(),
            ]);
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            let r = sbom_scan(&sbom, &db);
            assert_eq!(
                report_findings(&r, true),
                want,
                "{image}: Bulkhead {format}"
            );
            assert_eq!(
                packages(&r),
                packages(&scanned),
                "{image}: Bulkhead {format}"
            );
            assert_eq!(os(&r), os(&scanned), "{image}: Bulkhead {format}");
        }
        let Some(trivy) = &trivy else { continue };
        for (format, ext) in [("cyclonedx", "cdx"), ("spdx-json", "spdx")] {
            let sbom = dir.path().join(format!("{image}.trivy.{ext}.json"));
            let o = Command::new(trivy)
                .args([
                    "image",
                    "--quiet",
                    "--offline-scan",
                    "--skip-db-update",
                    "--skip-java-db-update",
                    // Trivy stops on Java archives without its Java database.
                    "--skip-dirs",
                    "usr/share/java",
                    "--skip-dirs",
                    "srv",
                    "--input",
                    path.to_str().unwrap(),
                    "--format",
                    format,
                    "--cache-dir",
                    dir.path().join("trivy-cache").to_str().unwrap(),
                    "-o",
                    sbom.to_str().unwrap(),
                ])
                .output()
                .unwrap();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            let r = sbom_scan(&sbom, &db);
            let ours: BTreeSet<_> = packages(&scanned)
                .into_iter()
                .filter(|p| p.0 != "maven")
                .collect();
            assert_eq!(packages(&r), ours, "{image}: Trivy {format}");
            assert_eq!(os(&r), os(&scanned), "{image}: Trivy {format}");
            let ours: BTreeSet<Finding> = report_findings(&scanned, false)
                .into_iter()
                .filter(|f| !f.1.contains(':'))
                .collect();
            assert_eq!(report_findings(&r, false), ours, "{image}: Trivy {format}");
            println!(
                "{image}: Trivy's {format}: {} packages and {} findings as the image scan",
                packages(&r).len(),
                ours.len()
            );
        }
    }
}

#[test]
fn wrong_inputs_are_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("adv.db");
    let records = dir.path().join("osv");
    std::fs::create_dir(&records).unwrap();
    std::fs::write(
        records.join("GHSA-x.json"),
        r#"{"id":"GHSA-test","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"lodash"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"4.17.21"}]}]}]}"#,
    )
    .unwrap();
    import_db(&db, &records);
    let cases: [(&str, &[u8], &str); 4] = [
        ("notjson.json", b"{", "not JSON"),
        ("other.json", br#"{"hello": 1}"#, "neither CycloneDX"),
        (
            "old.json",
            br#"{"bomFormat":"CycloneDX","specVersion":"1.0"}"#,
            "CycloneDX 1.0 is not supported",
        ),
        (
            "nopurl.json",
            br#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"type":"library","name":"x","version":"1"}]}"#,
            "no purl",
        ),
    ];
    for (name, body, want) in cases {
        let f = dir.path().join(name);
        std::fs::write(&f, body).unwrap();
        let o = bulkhead(&[
            "sbom",
            "scan",
            f.to_str().unwrap(),
            "--db",
            db.to_str().unwrap(),
        ]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(want), "{name}: {err}");
        if name != "nopurl.json" {
            assert!(!o.status.success() && err.contains(name), "{name}: {err}");
        }
    }
    // A FIFO is refused, not waited on; a missing database is an error saying how to build one.
    let fifo = dir.path().join("fifo.json");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let o = bulkhead(&[
        "sbom",
        "scan",
        fifo.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a regular file"));
    let f = dir.path().join("ok.json");
    std::fs::write(
        &f,
        br#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"lodash","version":"4.17.15","purl":"pkg:npm/lodash@4.17.15"}]}"#,
    )
    .unwrap();
    let o = bulkhead(&[
        "sbom",
        "scan",
        f.to_str().unwrap(),
        "--db",
        "/nonexistent/x.db",
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("bulkhead db update"));
    // A gate: the one vulnerable package trips --exit-code.
    let o = bulkhead(&[
        "sbom",
        "scan",
        f.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
        "--exit-code",
        "3",
    ]);
    assert_eq!(
        o.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// `--pkg-types` (Trivy's flag): `os` keeps the OS packages, `library` the language ones; a typo
/// is a usage error listing the values, never an empty pass.
#[test]
fn pkg_types_select_and_typos_are_usage_errors() {
    let Some(t) = testdata() else { return };
    let image = t.join("langvuln.docker.tar");
    let kinds = |types: &str| -> BTreeSet<String> {
        let o = bulkhead(&[
            "image",
            image.to_str().unwrap(),
            "--no-cache",
            "--scanners",
            "none",
            "--format",
            "json",
            "--pkg-types",
            types,
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        r["targets"][0]["artifact"]["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["kind"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(kinds("os"), BTreeSet::from(["deb".to_string()]));
    let lib = kinds("library");
    assert!(
        !lib.contains("deb") && lib.contains("golang") && lib.contains("maven"),
        "{lib:?}"
    );
    assert_eq!(kinds("os,library").len(), lib.len() + 1);
    let o = bulkhead(&["image", image.to_str().unwrap(), "--pkg-types", "lib"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("library"));
}
