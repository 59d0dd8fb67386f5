#![no_main]
//! Bytes as a project's `package-lock.json` (any lockfileVersion), as `bulkhead fs` reads it:
//! parsed, its packages listed with their resolved dependencies (bounded nesting, no panic).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(locked) = bulkhead_inventory::npm_lock::parse(data) {
        let edges: usize = locked.iter().map(|l| l.depends_on.len()).sum();
        let _ = edges;
    }
});
