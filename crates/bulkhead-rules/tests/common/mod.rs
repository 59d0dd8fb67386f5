#![allow(dead_code)]
//! Access to ../shared/data/falco: tests print `SKIP: ../shared absent` without it (and fail
//! under BULKHEAD_STRICT=1). Also the pieces the regression-test harnesses share
//! (`scap_expectations.rs`, `k8saudit_expectations.rs`): loading a test's rules files and comparing
//! detections with its `expect.detections`.

use bulkhead_rules::RulesEngine;
use bulkhead_rules::output::Alert;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub fn falco_data() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/falco");
    if p.is_dir() {
        return Some(p);
    }
    if std::env::var_os("BULKHEAD_STRICT").is_some_and(|v| v == "1") {
        panic!("../shared/data/falco absent (BULKHEAD_STRICT=1)");
    }
    println!("SKIP: ../shared absent");
    None
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The directory that holds `shared/` (the paths in expectations.yaml are relative to it).
pub fn work() -> Option<PathBuf> {
    falco_data().map(|d| d.join("../../.."))
}

/// Every test of expectations.yaml.
pub fn tests(root: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(root.join("shared/data/falco/expectations.yaml")).unwrap();
    serde_saphyr::from_str(&text).unwrap()
}

/// The test's rules files loaded in order; `false` (with the first error printed) when one fails.
pub fn load_rules(root: &Path, name: &str, t: &Value) -> (RulesEngine, bool) {
    let mut engine = RulesEngine::default();
    let mut ok = true;
    for f in t["rules_files"].as_array().unwrap() {
        // "path (installed … of the plugin)": the path is before the note.
        let path = f.as_str().unwrap().split(" (").next().unwrap();
        let r = engine.load_file(&root.join(path));
        if !r.successful() {
            ok = false;
            println!(
                "  {name}: {path} failed to load: {:?}",
                r.errors.first().map(|e| &e.message)
            );
        }
    }
    (engine, ok)
}

fn matches(expected: &Value, got: usize) -> bool {
    match expected {
        Value::String(s) if s == "nonzero" => got > 0,
        Value::Number(n) => n.as_u64() == Some(got as u64),
        _ => false,
    }
}

/// Whether the alerts match `expect.detections` (`all`, `priority=P`, `rule=R`: a count or
/// `nonzero`). Without `detections`, no alert is expected — unless the test expects output files,
/// which then say what is expected. Differences are printed.
pub fn detections_agree(name: &str, expect: &Value, alerts: &[Alert]) -> bool {
    let mut by_rule: BTreeMap<&str, usize> = BTreeMap::new();
    let mut by_priority: BTreeMap<&str, usize> = BTreeMap::new();
    for a in alerts {
        *by_rule.entry(&a.rule).or_default() += 1;
        *by_priority.entry(a.priority.as_str()).or_default() += 1;
    }
    let mut ok = true;
    match expect.get("detections").filter(|d| !d.is_null()) {
        Some(Value::Object(d)) => {
            for (k, v) in d {
                let got = if k == "all" {
                    alerts.len()
                } else if let Some(p) = k.strip_prefix("priority=") {
                    // `INFO` is Falco's short name of Informational.
                    let p = bulkhead_rules::Priority::parse(p)
                        .unwrap_or_else(|| panic!("{name}: unknown priority {p}"));
                    by_priority.get(p.as_str()).copied().unwrap_or(0)
                } else if let Some(r) = k.strip_prefix("rule=") {
                    by_rule.get(r).copied().unwrap_or(0)
                } else {
                    panic!("{name}: unknown expectation key {k}")
                };
                if !matches(v, got) {
                    ok = false;
                    println!("  {name}: {k} expected {v}, got {got}");
                }
            }
        }
        _ if expect.get("expected_output_files").is_some() => {}
        _ => {
            if !alerts.is_empty() {
                ok = false;
                println!("  {name}: expected no detection, got {by_rule:?}");
            }
        }
    }
    ok
}
