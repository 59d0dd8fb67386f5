//! Fuzzes `bulkhead_rpmdb::read_packages` (format detection, then the SQLite,
//! Berkeley DB or NDB reader) and its lenient variant.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = bulkhead_rpmdb::detect_format(data);
    let _ = bulkhead_rpmdb::read_packages(data);
    let _ = bulkhead_rpmdb::read_packages_lenient(data);
});
