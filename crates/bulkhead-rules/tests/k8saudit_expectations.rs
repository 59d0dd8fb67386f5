//! Ground truth: the Kubernetes-audit tests of Falco's regression suite (falcosecurity/testing
//! k8saudit_test.go, extracted into ../shared/data/falco/expectations.yaml with their rules files and
//! audit-event captures). Each test loads its rules files in order, replays its capture through the
//! `k8s_audit` rules and compares the detections (total, per priority, per rule) with the expected
//! ones; a test without expected detections expects none. Prints the agreement; requires 100%.

use bulkhead_rules::RulesEngine;
use bulkhead_rules::detect::{Detector, RunOptions};
use bulkhead_rules::k8saudit::{NOT_AUDIT, read_events};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn work() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..");
    if root.join("shared/data/falco/expectations.yaml").is_file() {
        return Some(root);
    }
    assert!(
        std::env::var_os("BULKHEAD_STRICT").is_none(),
        "../shared absent (BULKHEAD_STRICT=1)"
    );
    println!("SKIP: ../shared absent");
    None
}

fn matches(expected: &Value, got: usize) -> bool {
    match expected {
        Value::String(s) if s == "nonzero" => got > 0,
        Value::Number(n) => n.as_u64() == Some(got as u64),
        _ => false,
    }
}

#[test]
fn k8s_audit_regression_tests() {
    let Some(root) = work() else { return };
    let text = std::fs::read_to_string(root.join("shared/data/falco/expectations.yaml")).unwrap();
    let tests: Vec<Value> = serde_saphyr::from_str(&text).unwrap();
    let (mut total, mut agree) = (0, 0);
    for t in &tests {
        let capture = t["capture_file"].as_str().unwrap_or("");
        if !capture.contains("k8s_audit") {
            continue;
        }
        let name = t["test"].as_str().unwrap();
        let capture = root.join(capture);
        if !capture.is_file() {
            println!("  {name}: capture absent, not run");
            continue;
        }
        total += 1;
        let mut engine = RulesEngine::default();
        let mut load_ok = true;
        for f in t["rules_files"].as_array().unwrap() {
            let path = f.as_str().unwrap().split(" (").next().unwrap();
            let r = engine.load_file(&root.join(path));
            if !r.successful() {
                load_ok = false;
                println!(
                    "  {name}: {path} failed to load: {:?}",
                    r.errors.first().map(|e| &e.message)
                );
            }
        }
        let detector = Detector::new(&engine, "k8s_audit", &RunOptions::default());
        let (events, skipped) = read_events(&std::fs::read_to_string(&capture).unwrap()).unwrap();
        let mut alerts = Vec::new();
        for e in &events {
            detector.process(e.ts_ns, e, &mut alerts);
        }
        let mut by_rule: BTreeMap<String, usize> = BTreeMap::new();
        let mut by_priority: BTreeMap<String, usize> = BTreeMap::new();
        for a in &alerts {
            *by_rule.entry(a.rule.clone()).or_default() += 1;
            *by_priority
                .entry(a.priority.as_str().to_ascii_uppercase())
                .or_default() += 1;
        }
        let expect = &t["expect"];
        let mut ok = load_ok && detector.skipped.is_empty();
        match expect.get("detections").filter(|d| !d.is_null()) {
            Some(Value::Object(d)) => {
                for (k, v) in d {
                    let got = if k == "all" {
                        alerts.len()
                    } else if let Some(p) = k.strip_prefix("priority=") {
                        // `INFO` is Falco's short name of Informational.
                        let p = bulkhead_rules::Priority::parse(p)
                            .unwrap_or_else(|| panic!("{name}: unknown priority {p}"));
                        by_priority
                            .get(&p.as_str().to_ascii_uppercase())
                            .copied()
                            .unwrap_or(0)
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
            _ => {
                if !alerts.is_empty() {
                    ok = false;
                    println!("  {name}: expected no detection, got {by_rule:?}");
                }
            }
        }
        for re in expect["output_regexps"].as_array().into_iter().flatten() {
            let want = re["must_match"].as_str().unwrap_or("");
            // The only stderr expectation of this half: a document that is not an audit event.
            let said = if skipped > 0 { NOT_AUDIT } else { "" };
            if !said.contains(want) {
                ok = false;
                println!("  {name}: stderr should match {want:?}");
            }
        }
        if !detector.skipped.is_empty() {
            println!("  {name}: rules not evaluable: {:?}", detector.skipped);
        }
        if ok {
            agree += 1;
        }
    }
    println!("k8s audit regression tests: {agree}/{total} agree");
    assert!(total > 0);
    assert_eq!(agree, total);
}
