//! The CLI holds no pipeline logic a server would need: the libraries' entry points give the very
//! report the CLI prints, and the CLI's sources call no stage internals (layer walks, analyzers,
//! matchers, rule evaluation), only the entry points.

mod common;
use common::*;
use std::path::PathBuf;

#[test]
fn the_image_pipeline_library_gives_the_cli_report() {
    let dir = tempfile::tempdir().unwrap();
    let (root, db) = python_tree_with_db(dir.path(), &[("PyYAML", "5.1"), ("Jinja2", "2.7")]);
    let cli = bulkhead_json(&[
        "fs",
        root.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
        "--severity",
        "UNKNOWN,HIGH,CRITICAL",
        "--format",
        "json",
    ]);
    let mut req = bulkhead_scan::ScanRequest::new(
        root.to_str().unwrap(),
        bulkhead_core::TargetKind::Filesystem,
    );
    let mut v = bulkhead_scan::VulnerabilityOptions::new(db.clone());
    v.severities = vec![
        bulkhead_core::Severity::Unknown,
        bulkhead_core::Severity::High,
        bulkhead_core::Severity::Critical,
    ];
    req.vulnerabilities = Some(v);
    let lib = bulkhead_scan::scan(req).unwrap();
    assert!(!lib.report.targets[0].findings.is_empty());
    assert_eq!(bulkhead_report::json::report(&lib.report), cli);
}

#[test]
fn the_config_pipeline_library_gives_the_cli_report() {
    let examples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/examples/config");
    let dir = tempfile::tempdir().unwrap();
    // The CLI in an empty directory (no settings file to discover), the library with none.
    let out = bulkhead_in(
        Some(dir.path()),
        &[],
        &[
            "config",
            examples.to_str().unwrap(),
            "--pss",
            "baseline:v1.30",
            "--format",
            "json",
        ],
    );
    let cli: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    validate_report(&cli);
    let req = bulkhead_config::Request {
        inputs: vec![bulkhead_config::Input::Path(examples)],
        options: bulkhead_config::Options {
            pss: "baseline:v1.30".parse().unwrap(),
            ..Default::default()
        },
        ..Default::default()
    };
    let lib = bulkhead_config::check(&req).unwrap();
    assert!(lib.findings().count() > 3);
    assert_eq!(bulkhead_report::json::report(&lib), cli);
}

#[test]
fn the_runtime_pipeline_library_gives_the_cli_alerts() {
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/falco");
    let (rules, capture) = if shared.is_dir() {
        (
            shared.join("rules/falco-0.34.1-test-rules/tagged_rules.yaml"),
            shared.join("captures/open-multiple-files.scap"),
        )
    } else {
        println!("../shared absent: the repository's fixtures only");
        let r = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        (
            r.join("bulkhead-rules/tests/fixtures/single_rule.yaml"),
            r.join("bulkhead-scap/tests/fixtures/cat_write.scap"),
        )
    };
    let out = bulkhead(&[
        "runtime",
        "replay",
        "-q",
        "-o",
        "json_output=true",
        "-r",
        rules.to_str().unwrap(),
        "-e",
        capture.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    use bulkhead_rules::pipeline::{FalcoSink, FindingSink, Pipeline, SourceSelection};
    let mut engine = bulkhead_rules::RulesEngine::default();
    assert!(engine.load_file(&rules).successful());
    let cfg = bulkhead_rules::falco_config::FalcoConfig::load(None, &["json_output=true".into()])
        .unwrap();
    let run = bulkhead_rules::detect::RunOptions {
        min_priority: Some(cfg.priority),
        match_all: cfg.rule_matching_all,
        ..Default::default()
    };
    let format =
        bulkhead_rules::output::OutputFormat::new(&cfg, bulkhead_rules::output::local_hostname());
    let mut lines = FalcoSink::new(Vec::new(), format);
    let mut findings = FindingSink::default();
    let mut src = bulkhead_rules::source::open(&capture, false).unwrap();
    let summary = Pipeline::new(&engine, &run, &SourceSelection::default(), Some(&cfg.drops))
        .run(src.as_mut(), &mut [&mut lines, &mut findings])
        .unwrap();
    assert!(summary.alerts > 0);
    assert_eq!(findings.findings.len() as u64, summary.alerts);
    assert_eq!(
        String::from_utf8(lines.into_inner()).unwrap(),
        String::from_utf8(out.stdout).unwrap()
    );
}

/// Calls into stage internals that belong behind a library entry point.
const INTERNALS: &[&str] = &[
    "scan_target",
    "bulkhead_inventory::",
    "match_packages",
    "matcher::",
    "IgnoreFile::",
    "Vex::",
    "ScanStore::",
    "lint_dockerfile",
    "check_manifest",
    "pss::evaluate",
    "Detector::new",
    "Replayer::",
    "read_events",
    "std::thread::scope",
];

#[test]
fn the_cli_sources_call_only_entry_points() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut offences = Vec::new();
    for e in std::fs::read_dir(&src).unwrap() {
        let p = e.unwrap().path();
        let text = std::fs::read_to_string(&p).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for i in INTERNALS {
                if code.contains(i) {
                    offences.push(format!("{}:{}: {}", p.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        offences.is_empty(),
        "the CLI calls stage internals (move the logic into the library):\n{}",
        offences.join("\n")
    );
}
