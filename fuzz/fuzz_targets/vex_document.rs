//! Fuzz the VEX reader (OpenVEX, CycloneDX VEX): no panics on any input; every accepted statement
//! has a known status, and applying the statements keeps or suppresses each finding exactly once.
#![no_main]
use libfuzzer_sys::fuzz_target;

use bulkhead_advisories::vex::Vex;
use bulkhead_core::{Finding, FindingKind, Severity};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(statements) = Vex::parse(text, "fuzz") {
        for s in &statements {
            assert!(!s.status.is_empty());
        }
        let vex = Vex { statements };
        let mut v = vec![
            Finding::new(FindingKind::Vulnerability, "CVE-2024-1", Severity::High, "t", "m"),
            Finding::new(FindingKind::Vulnerability, "GHSA-x", Severity::Low, "t", "m"),
        ];
        let gone = vex.apply(&mut v);
        assert_eq!(v.len() + gone.len(), 2);
    }
});
