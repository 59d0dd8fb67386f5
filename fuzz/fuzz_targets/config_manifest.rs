//! Fuzz the config pipeline on a manifest given as bytes (stdin's path): binary sniffing, text
//! decoding (UTF-8, UTF-16 with a BOM), YAML/JSON parsing with lines, Kubernetes objects, API
//! defaulting, every PSS check and best-practice rule, with small YAML limits (documents, depth,
//! nodes, aliases, findings) so that every limit's path is reached. Checks that the only error is a
//! refusal of binary input, that every finding names a rule of the rule table, that lines stay in
//! the file, and that findings stay within the limit.
#![no_main]
use bulkhead_config::{ConfigError, FileKind, Input, Limits, Request, YamlLimits, check, rules};
use libfuzzer_sys::fuzz_target;

const LIMITS: Limits = Limits {
    yaml: YamlLimits {
        max_documents: 50,
        max_depth: 40,
        max_nodes: 5_000,
        max_file_nodes: 20_000,
        max_aliases: 200,
    },
    max_findings: 500,
    ..Limits::DEFAULT
};

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
        limits: LIMITS,
        ..Request::default()
    };
    let report = match check(&req) {
        Ok(r) => r,
        Err(ConfigError::WrongInput { .. }) => return,
        Err(e) => panic!("unexpected error: {e}"),
    };
    assert_eq!(report.targets.len(), 1);
    // One pod's findings may pass the limit before it is checked; then one finding for the limit,
    // the documents' errors (at most one per document) and the encoding.
    assert!(report.findings().count() <= LIMITS.max_findings + 64 + LIMITS.yaml.max_documents + 2);
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
