//! Fuzz the YAML rules loader: arbitrary bytes as a rules file, loaded after a small base file
//! (so appends/overrides have targets). No panic; results render as text and JSON.
#![no_main]
use bulkhead_rules::{RulesEngine, validation_json};
use libfuzzer_sys::fuzz_target;

const BASE: &str = "- list: l\n  items: [cat, ls]\n- macro: m\n  condition: proc.name in (l)\n- rule: r\n  desc: d\n  condition: evt.type=open and m\n  output: \"%proc.name\"\n  priority: INFO\n";

fuzz_target!(|data: &[u8]| {
    let content = String::from_utf8_lossy(data);
    let mut engine = RulesEngine::default();
    let base = engine.load_rules(BASE, "base.yaml");
    assert!(base.successful());
    let res = engine.load_rules(&content, "fuzz.yaml");
    let _ = res.as_verbose_string(engine.contents());
    let _ = validation_json(&[res], engine.contents()).to_string();
});
