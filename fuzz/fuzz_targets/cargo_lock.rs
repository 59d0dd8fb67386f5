#![no_main]
//! Bytes as a project's `Cargo.lock` and `Cargo.toml`, as `bulkhead fs` reads them: the locked
//! crates parsed, every dependency resolved, the first crate's closure walked; the manifest's
//! dependency names read.
use bulkhead_inventory::cargo_lock::{Resolved, parse, parse_manifest};
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeSet;

fuzz_target!(|data: &[u8]| {
    if let Ok(crates) = parse(data) {
        let r = Resolved::new(&crates);
        for i in 0..crates.len() {
            let _ = r.depends_on(i, &BTreeSet::new());
        }
        if !crates.is_empty() {
            let _ = r.closure([0]);
        }
    }
    let _ = parse_manifest(data);
});
