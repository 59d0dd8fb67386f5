//! Ground truth: the Kubernetes-audit tests of Falco's regression suite (falcosecurity/testing
//! k8saudit_test.go, extracted into ../shared/data/falco/expectations.yaml with their rules files and
//! audit-event captures). Each test loads its rules files in order, replays its capture through the
//! `k8s_audit` rules and compares the detections (total, per priority, per rule) with the expected
//! ones; a test without expected detections expects none. Prints the agreement; requires 100%.

mod common;

use bulkhead_rules::detect::{Detector, RunOptions};
use bulkhead_rules::k8saudit::{NOT_AUDIT, read_events};

#[test]
fn k8s_audit_regression_tests() {
    let Some(root) = common::work() else { return };
    let tests = common::tests(&root);
    let (mut total, mut agree) = (0, 0);
    // Most tests load the same rules files: each distinct list is loaded once (a loaded engine is
    // not changed by detection), which keeps this suite fast in debug builds.
    let mut engines: std::collections::HashMap<String, (bulkhead_rules::RulesEngine, bool)> =
        std::collections::HashMap::new();
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
        let key = t["rules_files"].to_string();
        let (engine, load_ok) = engines
            .entry(key)
            .or_insert_with(|| common::load_rules(&root, name, t));
        let load_ok = *load_ok;
        let detector = Detector::new(engine, "k8s_audit", &RunOptions::default());
        let (events, skipped) = read_events(&std::fs::read_to_string(&capture).unwrap()).unwrap();
        let mut alerts = Vec::new();
        for e in &events {
            detector.process(e.ts_ns, e, &mut alerts);
        }
        let expect = &t["expect"];
        let mut ok = load_ok
            && detector.skipped.is_empty()
            && common::detections_agree(name, expect, &alerts);
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
