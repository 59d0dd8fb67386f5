//! Fuzz the apk installed-database parser.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut w = Vec::new();
    let _ = bulkhead_inventory::apk::parse_installed(&text, "lib/apk/db/installed", &mut w);
});
