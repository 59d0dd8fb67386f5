#![no_main]
//! Bytes as a project's `yarn.lock` (v1), as `bulkhead fs` reads it: parsed, every package's
//! dependencies resolved and the closure of the first one walked.
use bulkhead_inventory::yarn::{Resolved, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(pkgs) = parse(data) {
        let r = Resolved::new(&pkgs);
        for i in 0..pkgs.len() {
            let _ = r.depends_on(i);
        }
        if !pkgs.is_empty() {
            let _ = r.closure([0]);
        }
    }
});
