//! Fuzz Dockerfile linting through the config pipeline: parsing, every DL and BH-DF rule, pragmas,
//! variable substitution under a small expansion budget (so that the budget's paths are reached)
//! and the findings limit. Every finding must name a rule of the rule table and a line inside the
//! file, and the findings stay within the limit.
#![no_main]
use bulkhead_config::{ConfigError, ExpandLimits, FileKind, Input, Limits, Request, check, rules};
use libfuzzer_sys::fuzz_target;

const LIMITS: Limits = Limits {
    expand: ExpandLimits {
        max_word_bytes: 4 << 10,
        max_file_bytes: 64 << 10,
    },
    max_findings: 500,
    ..Limits::DEFAULT
};

fuzz_target!(|data: &[u8]| {
    let lines = data.iter().filter(|b| **b == b'\n').count() as u32 + 1;
    let req = Request {
        inputs: vec![Input::Bytes {
            name: "Dockerfile".into(),
            data: data.to_vec(),
            kind: FileKind::Dockerfile,
        }],
        limits: LIMITS,
        ..Request::default()
    };
    let report = match check(&req) {
        Ok(r) => r,
        Err(ConfigError::WrongInput { .. }) => return,
        Err(e) => panic!("unexpected error: {e}"),
    };
    // The limit, one finding saying where it stopped, one for the expansion budget, one for the
    // encoding.
    assert!(report.findings().count() <= LIMITS.max_findings + 3);
    for f in report.findings() {
        assert!(rules::get(&f.id).is_some(), "unknown rule {}", f.id);
        if let Some(l) = f.location.line {
            assert!(l >= 1 && l <= lines.max(1), "line {l} of {lines}");
        }
    }
});
