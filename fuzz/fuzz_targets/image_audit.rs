#![no_main]
//! Bytes as an image configuration (up to the first NUL) and as the account databases
//! (`/etc/passwd`, `/etc/group`, `/etc/shadow`: the rest) of the minimal-image audit.
//! Invariants: no panic, and every finding is one of the audit's checks.
use bulkhead_scan::hardening;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (cfg, rest) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let known = |id: &str| hardening::CHECKS.iter().any(|c| c.id == id);
    if let Ok(config) = serde_json::from_slice::<serde_json::Value>(cfg) {
        let meta = bulkhead_image::ImageMeta {
            reference: "fuzz".into(),
            source_kind: "docker-archive",
            config_digest: None,
            manifest_digest: None,
            repo_tags: vec!["fuzz:latest".into()],
            repo_digests: Vec::new(),
            config,
            layers: Vec::new(),
        };
        for f in hardening::findings(&bulkhead_image::ImageIndex::new(), Some(&meta)) {
            assert!(known(&f.id), "{}", f.id);
        }
    }
    let text = String::from_utf8_lossy(rest);
    for f in hardening::account_findings(Some(&text), Some(&text), Some(&text)) {
        assert!(known(&f.id), "{}", f.id);
    }
});
