#![allow(dead_code)]
//! Access to ../shared/data/falco: tests print `SKIP: ../shared absent` without it (and fail
//! under BULKHEAD_STRICT=1).

use std::path::{Path, PathBuf};

pub fn falco_data() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/falco");
    if p.is_dir() {
        return Some(p);
    }
    if std::env::var_os("BULKHEAD_STRICT").is_some_and(|v| v == "1") {
        panic!("../shared/data/falco absent (BULKHEAD_STRICT=1)");
    }
    println!("SKIP: ../shared absent");
    None
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}
