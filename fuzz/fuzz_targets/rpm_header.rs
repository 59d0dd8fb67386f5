//! Fuzzes `bulkhead_rpmdb::parse_header_blob` (rpm header blob import).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = bulkhead_rpmdb::parse_header_blob(data);
});
