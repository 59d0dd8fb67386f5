//! Fuzz the Python METADATA / PKG-INFO parser and RECORD path handling.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = bulkhead_inventory::python::parse_metadata(&text);
    for rel in bulkhead_inventory::python::record_paths(&text) {
        if let Some(p) = bulkhead_inventory::python::resolve_record_path("usr/lib/python3/dist-packages", &rel) {
            assert!(!p.split('/').any(|c| c == ".."), "resolved path escapes: {p}");
        }
    }
});
