//! Fuzz the registry's WWW-Authenticate challenge parser and image reference parser.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let _ = bulkhead_image::source::registry::parse_challenge(&s);
    let _ = bulkhead_image::source::registry::Reference::parse(&s);
});
