//! Test data shared by this crate's tests: the PSA conformance fixtures and the real manifests of
//! ../shared (CI has it; without it, the config crate's fixture subset, or a SKIP said aloud).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The PSA fixtures: ../shared/data/psa, else the config crate's copy of v1.0, v1.24 and v1.37.
pub fn psa_root() -> PathBuf {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/psa");
    if shared.is_dir() {
        return shared;
    }
    if std::env::var_os("BULKHEAD_STRICT").is_some() {
        panic!("../shared/data/psa absent (BULKHEAD_STRICT=1)");
    }
    println!("SKIP: ../shared absent: using the config crate's subset (v1.0, v1.24, v1.37)");
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../bulkhead-config/tests/fixtures/psa")
}

/// The YAML files of ../shared/data/k8s-manifests, sorted; `None` (said) without ../shared.
pub fn real_manifests() -> Option<Vec<PathBuf>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/k8s-manifests");
    if !dir.is_dir() {
        assert!(
            std::env::var_os("BULKHEAD_STRICT").is_none(),
            "../shared/data/k8s-manifests absent (BULKHEAD_STRICT=1)"
        );
        println!("SKIP: ../shared absent; this test checked nothing");
        return None;
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    Some(files)
}
