//! Fuzz the config pipeline on a manifest given as bytes (stdin's path): binary sniffing, text
//! decoding (UTF-8, UTF-16 with a BOM), YAML/JSON parsing with lines, Kubernetes objects, API
//! defaulting, every PSS check and best-practice rule. Checks that the only error is a refusal of
//! binary input, that every finding names a rule of the rule table, and that lines stay in the file.
#![no_main]
use bulkhead_config::{ConfigError, FileKind, Input, Request, check, rules};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // YAML line breaks: LF, CRLF and a lone CR.
    let lines = data
        .iter()
        .enumerate()
        .filter(|(i, b)| **b == b'\n' || (**b == b'\r' && data.get(i + 1) != Some(&b'\n')))
        .count() as u32
        + 1;
    let req = Request {
        inputs: vec![Input::Bytes {
            name: "fuzz.yaml".into(),
            data: data.to_vec(),
            kind: FileKind::Manifest,
        }],
        ..Request::default()
    };
    let report = match check(&req) {
        Ok(r) => r,
        Err(ConfigError::WrongInput { .. }) => return,
        Err(e) => panic!("unexpected error: {e}"),
    };
    assert_eq!(report.targets.len(), 1);
    for f in report.findings() {
        assert!(rules::get(&f.id).is_some(), "unknown rule {}", f.id);
        if let Some(l) = f.location.line {
            assert!(l >= 1 && l <= lines.max(1), "line {l} of {lines}");
        }
        assert!(
            !f.message.contains("from_str"),
            "parser internals: {}",
            f.message
        );
    }
});
