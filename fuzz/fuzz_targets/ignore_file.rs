//! Fuzz the ignore-file reader (Bulkhead YAML, Trivy's `.trivyignore.yaml` and plain `.trivyignore`):
//! no panics and bounded work on any input; an accepted file has only entries with a well-formed id
//! and date, and applying it to a finding never panics and keeps or suppresses it (nothing else).
#![no_main]
use libfuzzer_sys::fuzz_target;

use bulkhead_advisories::ignore::IgnoreFile;
use bulkhead_core::{Finding, FindingKind, Severity};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(f) = IgnoreFile::parse(text, "fuzz") {
        for e in &f.entries {
            assert!(!e.id.trim().is_empty() && !e.id.contains(char::is_whitespace));
            if let Some(d) = &e.expires {
                assert_eq!(d.len(), 10, "{d:?}");
            }
        }
        let mut v = vec![Finding::new(
            FindingKind::Vulnerability,
            "CVE-2024-1",
            Severity::High,
            "t",
            "m",
        )];
        let applied = f.apply(&mut v, &[], "2026-01-01");
        assert_eq!(v.len() + applied.suppressed.len(), 1);
    }
});
