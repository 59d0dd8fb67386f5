#![no_main]
//! Bytes as a project's `go.mod`, as `bulkhead fs` reads it: directives, blocks, replacements.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let m = bulkhead_inventory::gomod::parse(data);
    for r in &m.require {
        assert!(!r.path.is_empty());
    }
});
