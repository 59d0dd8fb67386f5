//! Fuzz the YAML rules loader: arbitrary bytes as a rules file, loaded after a small base file
//! (so appends/overrides have targets), with the default limits and with tight ones (so that
//! every limit's error path runs). No panic; results render as text and JSON.
#![no_main]
use bulkhead_rules::loader::LoadLimits;
use bulkhead_rules::{Config, RulesEngine, validation_json};
use libfuzzer_sys::fuzz_target;

const BASE: &str = "- list: l\n  items: [cat, ls]\n- macro: m\n  condition: proc.name in (l)\n- rule: r\n  desc: d\n  condition: evt.type=open and m\n  output: \"%proc.name\"\n  priority: INFO\n";

fuzz_target!(|data: &[u8]| {
    let content = String::from_utf8_lossy(data);
    let tight = LoadLimits {
        max_items: 16,
        max_condition_nodes: 64,
        max_total_nodes: 512,
        max_expansion_depth: 16,
        max_list_bytes: 4096,
        max_substitution_scan: 1 << 16,
        max_regex_bytes: 4 << 20,
        ..LoadLimits::default()
    };
    for limits in [LoadLimits::default(), tight] {
        let mut engine = RulesEngine::new(Config {
            limits,
            ..Config::default()
        });
        let base = engine.load_rules(BASE, "base.yaml");
        assert!(base.successful());
        let res = engine.load_rules(&content, "fuzz.yaml");
        let _ = res.as_verbose_string(engine.contents());
        let _ = validation_json(&[res], engine.contents()).to_string();
    }
});
