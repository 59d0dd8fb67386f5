#![allow(dead_code)]
//! Helpers shared by the advisory-store integration tests.

use bulkhead_advisories::{ImportReport, Store};
use std::path::PathBuf;

/// `../shared/data/<rel>`, or `None` (printing SKIP) when ../shared is absent; with
/// `BULKHEAD_STRICT=1` a missing ../shared fails the test instead.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(rel);
    if p.exists() {
        return Some(p);
    }
    if std::env::var("BULKHEAD_STRICT").as_deref() == Ok("1") {
        panic!("../shared absent ({}) under BULKHEAD_STRICT=1", p.display());
    }
    println!("SKIP: ../shared absent ({})", p.display());
    None
}

/// Import `paths` into `store`, without progress output.
pub fn import(store: &mut Store, paths: &[PathBuf]) -> ImportReport {
    store.import_paths(paths, &mut |_| {}).expect("import")
}
