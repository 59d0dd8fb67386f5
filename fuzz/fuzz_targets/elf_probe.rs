#![no_main]
//! Bytes as an executable in an image: the ELF probe (Go build info, cargo-auditable section),
//! then the record's packages as the analyzer derives them (module text, ldflags, crate JSON).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    use bulkhead_inventory::binary::{GoInfo, go_packages, parse_modinfo, probe, rust_packages};
    if let Some(r) = probe(bulkhead_image::ProbeInput::Bytes(data)) {
        assert!(r.len() <= bulkhead_image::MAX_PROBE_RECORD);
    }
    // The same bytes as module text and as a crate list (what a hostile binary could embed).
    let text = String::from_utf8_lossy(data);
    let _ = parse_modinfo(&text);
    let (pkgs, _) = go_packages(&GoInfo {
        version: "go1.21.0".into(),
        modinfo: text.into_owned(),
    });
    assert!(pkgs.iter().any(|p| p.name == "stdlib"));
    let _ = rust_packages(&String::from_utf8_lossy(data));
});
