//! Fuzz the dpkg status parser (streaming control-format reader); warnings stay bounded per file.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut w = Vec::new();
    let pkgs = bulkhead_inventory::dpkg::parse_status(&text, "var/lib/dpkg/status", &mut w);
    // Per-file problems, the "… and N more" line, the malformed-lines line, the bounds lines.
    assert!(
        w.len() <= bulkhead_inventory::MAX_WARNINGS_PER_FILE + 4,
        "{}",
        w.len()
    );
    for p in &pkgs {
        assert!(p.name.len() <= bulkhead_inventory::MAX_PACKAGE_FIELD);
    }
    let _ = bulkhead_inventory::control::parse(&text);
});
