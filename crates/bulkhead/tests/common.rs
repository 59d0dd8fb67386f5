//! Shared helpers for the CLI integration tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// The test-image directory built by scripts/build-test-images.sh. When it is absent the suite says so
/// loudly; with BULKHEAD_STRICT=1 (set by scripts/test.sh and CI) absence is a failure.
pub fn testdata() -> Option<PathBuf> {
    let dir = PathBuf::from(
        std::env::var("BULKHEAD_TESTDATA").unwrap_or_else(|_| "/var/tmp/bulkhead-testdata".into()),
    );
    if dir.join("bookworm.stamp").exists() {
        return Some(dir);
    }
    if std::env::var("BULKHEAD_STRICT").as_deref() == Ok("1") {
        panic!(
            "test images missing in {} (run scripts/build-test-images.sh)",
            dir.display()
        );
    }
    eprintln!(
        "SKIP: test images absent in {} — run scripts/build-test-images.sh (this test checked nothing)",
        dir.display()
    );
    None
}

pub fn bulkhead(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bulkhead"))
        .args(args)
        .output()
        .expect("run bulkhead")
}

/// Run and parse JSON stdout, asserting success.
pub fn bulkhead_json(args: &[&str]) -> serde_json::Value {
    let out = bulkhead(args);
    assert!(
        out.status.success(),
        "bulkhead {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

/// (name, version, arch) rows of an expected-packages file.
pub fn expected_packages(path: &std::path::Path) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (
                f[0].to_string(),
                f[1].to_string(),
                f.get(2).unwrap_or(&"").to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

/// (name, full version, arch) rows of our JSON report.
pub fn report_packages(report: &serde_json::Value) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let mut version = String::new();
            if let Some(e) = p["epoch"].as_u64().filter(|e| *e > 0) {
                version.push_str(&format!("{e}:"));
            }
            version.push_str(p["version"].as_str().unwrap());
            if let Some(r) = p["release"].as_str() {
                version.push('-');
                version.push_str(r);
            }
            (
                p["name"].as_str().unwrap().to_string(),
                version,
                p["arch"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

/// `bulkhead db import --db DB SOURCE`, asserting success.
pub fn import_db(db: &std::path::Path, source: &std::path::Path) {
    let out = bulkhead(&[
        "db",
        "import",
        "--db",
        db.to_str().unwrap(),
        source.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `bulkhead image TARGET --db DB --no-cache EXTRA...` as parsed JSON (EXTRA must select a JSON format).
pub fn scan_with_db(
    target: &std::path::Path,
    db: &std::path::Path,
    extra: &[&str],
) -> serde_json::Value {
    let mut args = vec![
        "image",
        target.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
        "--no-cache",
    ];
    args.extend_from_slice(extra);
    bulkhead_json(&args)
}
