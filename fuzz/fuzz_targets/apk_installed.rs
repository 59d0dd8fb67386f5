//! Fuzz the apk installed-database parser; warnings and licences stay bounded.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut w = Vec::new();
    let pkgs = bulkhead_inventory::apk::parse_installed(&text, "lib/apk/db/installed", &mut w);
    assert!(
        w.len() <= bulkhead_inventory::MAX_WARNINGS_PER_FILE + 4,
        "{}",
        w.len()
    );
    for p in &pkgs {
        assert!(p.licenses.len() <= bulkhead_inventory::MAX_LICENSES);
        assert!(p.files.iter().all(|f| f.len() <= 4096));
    }
});
