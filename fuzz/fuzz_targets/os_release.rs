//! Fuzz the os-release parser.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = bulkhead_inventory::os::parse_os_release(&String::from_utf8_lossy(data));
});
