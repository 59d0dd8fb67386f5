#![no_main]
//! Bytes as an SBOM given to `bulkhead sbom scan`: CycloneDX or SPDX JSON, components nested at any
//! depth, purls of every type, producer properties. Errors are fine; every package has a name.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = bulkhead_scan::sbom_in::parse(data) {
        for p in &s.packages {
            assert!(!p.name.is_empty() && p.kind.is_some());
        }
    }
});
