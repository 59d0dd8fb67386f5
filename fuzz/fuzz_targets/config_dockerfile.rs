//! Fuzz Dockerfile linting through the config pipeline: parsing, every DL and BH-DF rule, pragmas.
//! Every finding must name a rule of the rule table and a line inside the file.
#![no_main]
use bulkhead_config::{ConfigError, FileKind, Input, Request, check, rules};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let lines = data.iter().filter(|b| **b == b'\n').count() as u32 + 1;
    let req = Request {
        inputs: vec![Input::Bytes {
            name: "Dockerfile".into(),
            data: data.to_vec(),
            kind: FileKind::Dockerfile,
        }],
        ..Request::default()
    };
    let report = match check(&req) {
        Ok(r) => r,
        Err(ConfigError::WrongInput { .. }) => return,
        Err(e) => panic!("unexpected error: {e}"),
    };
    for f in report.findings() {
        assert!(rules::get(&f.id).is_some(), "unknown rule {}", f.id);
        if let Some(l) = f.location.line {
            assert!(l >= 1 && l <= lines.max(1), "line {l} of {lines}");
        }
    }
});
