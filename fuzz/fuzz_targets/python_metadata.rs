//! Fuzz the Python METADATA / PKG-INFO parser and RECORD path handling.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let md = bulkhead_inventory::python::parse_metadata(&text);
    assert!(md.licenses.len() <= bulkhead_inventory::MAX_LICENSES);
    for v in [&md.name, &md.version, &md.author].into_iter().flatten() {
        assert!(v.len() <= bulkhead_inventory::control::MAX_FIELD);
    }
    for rel in bulkhead_inventory::python::record_paths(&text) {
        if let Some(p) =
            bulkhead_inventory::python::resolve_record_path("usr/lib/python3/dist-packages", &rel)
        {
            assert!(
                !p.split('/').any(|c| c == ".."),
                "resolved path escapes: {p}"
            );
        }
    }
});
