//! Ground truth: the `.scap`-capture tests of Falco's regression suite (falcosecurity/testing
//! legacy_test.go, extracted into ../shared/data/falco/expectations.yaml with their rules files and
//! the falco 0.34.1 trace files). Each test loads its rules files in order, replays its capture
//! through the `syscall` rules with the test's options (`-T`, `-t`, minimum priority) and compares
//! the detections (total, per priority, per rule) with the expected ones; a test without expected
//! detections expects none (unless it expects output lines). The four tests of Falco's
//! `syscall_event_drops` monitoring (drop notifications in ping_sendto.scap, actions and thresholds)
//! are about Falco's process (stderr, exit code) and run through the CLI instead, in
//! crates/bulkhead/tests/runtime.rs (`falco_configuration_tests_through_the_cli`). Agreement must
//! be 100%.

mod common;

use bulkhead_rules::detect::{Detector, RunOptions};
use bulkhead_rules::syscall::replay_scap;
use serde_json::Value;

#[test]
fn scap_regression_tests() {
    let Some(root) = common::work() else { return };
    let tests = common::tests(&root);
    let (mut total, mut agree) = (0, 0);
    let mut elsewhere = 0;
    for t in &tests {
        let capture = t["capture_file"].as_str().unwrap_or("");
        if !capture.ends_with(".scap") {
            continue;
        }
        let name = t["test"].as_str().unwrap();
        if let Some(reason) = cli_only(name) {
            println!("  {name}: {reason}");
            elsewhere += 1;
            continue;
        }
        let capture = root.join(capture);
        if !capture.is_file() {
            println!("  {name}: capture absent, not run");
            continue;
        }
        total += 1;
        let (engine, mut load_ok) = common::load_rules(&root, name, t);
        let detector = Detector::new(&engine, "syscall", &options(&t["options"]));
        let mut alerts = Vec::new();
        if let Err(e) = replay_scap(&capture, &detector, &mut |a| alerts.push(a.clone())) {
            load_ok = false;
            println!("  {name}: replay failed: {e}");
        }
        let expect = &t["expect"];
        let mut ok = load_ok
            && detector.skipped.is_empty()
            && common::detections_agree(name, expect, &alerts);
        // Output expectations on alert lines (stdout); other streams are not modelled here.
        for re in expect["output_regexps"].as_array().into_iter().flatten() {
            if re["stream"].as_str() != Some("stdout") {
                continue;
            }
            let lines = stdout_lines(&root, t, &alerts);
            let found = |pat: &str| {
                let re = regex::Regex::new(pat).unwrap();
                lines.iter().any(|l| re.is_match(l))
            };
            if let Some(want) = re["must_match"].as_str()
                && !found(want)
            {
                ok = false;
                println!("  {name}: stdout should match {want:?}");
            }
            if let Some(want) = re["must_not_match"].as_str()
                && found(want)
            {
                ok = false;
                println!("  {name}: stdout should not match {want:?}");
            }
        }
        // Expected stdout files: every line must appear among the alert lines (the configs of
        // these tests only select the stdout channel in text form).
        for f in expect["expected_output_files"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let want = std::fs::read_to_string(root.join(f.as_str().unwrap_or(""))).unwrap();
            let lines = stdout_lines(&root, t, &alerts);
            for l in want.lines().filter(|l| !l.is_empty()) {
                if !lines.iter().any(|x| x == l) {
                    ok = false;
                    println!("  {name}: stdout lacks {l:?}");
                }
            }
        }
        if !detector.skipped.is_empty() {
            println!("  {name}: rules not evaluable: {:?}", detector.skipped);
        }
        if ok {
            agree += 1;
        }
    }
    println!(
        "scap regression tests: {agree}/{total} agree ({} tests with a capture present, {elsewhere} run by the CLI suite)",
        total + elsewhere
    );
    assert!(total > 0);
    assert_eq!(agree, total);
}

/// Tests whose subject is Falco's process rather than detections (drop monitoring: stderr lines,
/// exit codes), run through the CLI in crates/bulkhead/tests/runtime.rs.
fn cli_only(name: &str) -> Option<&'static str> {
    name.contains("MonitorSyscallDrops").then_some(
        "syscall_event_drops monitoring: run through the CLI (bulkhead tests/runtime.rs)",
    )
}

/// The test's command-line options as run options.
fn options(o: &Value) -> RunOptions {
    let strings = |k: &str| -> Vec<String> {
        o[k].as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(String::from))
            .collect()
    };
    RunOptions {
        min_priority: strings("MinRulePriority")
            .first()
            .and_then(|p| bulkhead_rules::Priority::parse(p)),
        disabled_tags: strings("DisabledTags"),
        only_tags: strings("EnabledTags"),
        disabled_rules: strings("DisabledRules"),
        // `all_events` (-A) only widens the live driver's syscall set; a replay sees every event.
        ..RunOptions::default()
    }
}

/// Alert lines as Falco prints them on stdout, with the test's configuration file and `-o`
/// options (`json_output`, `json_include_*_property`, `time_format_iso_8601`).
fn stdout_lines(
    root: &std::path::Path,
    t: &Value,
    alerts: &[bulkhead_rules::output::Alert],
) -> Vec<String> {
    let o = &t["options"];
    let args: Vec<&str> = o["args"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str())
        .collect();
    let mut opts: Vec<String> = args
        .windows(2)
        .filter(|w| w[0] == "-o")
        .map(|w| w[1].to_string())
        .collect();
    if o["json_output"].as_bool() == Some(true) {
        opts.push("json_output=true".into());
    }
    let config = t["config_files"][0].as_str().map(|c| root.join(c));
    let cfg = bulkhead_rules::falco_config::FalcoConfig::load(config.as_deref(), &opts).unwrap();
    let fmt = bulkhead_rules::output::OutputFormat::new(&cfg, "");
    alerts.iter().map(|a| fmt.line(a)).collect()
}
