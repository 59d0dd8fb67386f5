//! The runtime pipeline on arbitrary bytes: a .scap capture (gzip or plain) through the `.scap`
//! source, the libsinsp-like state (`Inspector::apply`, generic events named), rules that extract
//! every kind of field, and sinks that render Falco's JSON line and Bulkhead findings. Then the same
//! bytes as Kubernetes audit events and as a Bulkhead capture. No panic; bad input is an error.
#![no_main]
use bulkhead_rules::RulesEngine;
use bulkhead_rules::detect::RunOptions;
use bulkhead_rules::output::OutputFormat;
use bulkhead_rules::pipeline::{FalcoSink, FindingSink, Pipeline, SourceSelection};
use bulkhead_rules::source::{AuditSource, CaptureSource, ScapSource};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

const RULES: &str = r#"
- rule: everything
  desc: every event, with fields of every class
  condition: evt.num > 0
  output: "%evt.type %evt.args %proc.cmdline %proc.aname[2] %proc.env %fd.name %fd.cip %fd.sport %fd.l4proto %fd.types %container.id %container.image.id %container.image.digest %k8s.pod.name %user.name %thread.cap_effective %evt.buffer"
  priority: INFO
  warn_evttypes: false
- rule: audit
  desc: every audit event
  condition: ka.verb exists or jevt.value[/kind] exists
  output: "%ka.user.name %ka.req.pod.containers.image %ka.target.namespace"
  priority: INFO
  source: k8s_audit
"#;

fuzz_target!(|data: &[u8]| {
    let mut engine = RulesEngine::default();
    assert!(engine.load_rules(RULES, "fuzz.yaml").successful());
    let format = OutputFormat {
        json: true,
        iso8601: false,
        include_output: true,
        include_tags: true,
        hostname: "fuzz".into(),
    };
    let run = |source: &mut dyn bulkhead_rules::source::EventSource| {
        let mut p = Pipeline::new(
            &engine,
            &RunOptions::default(),
            &SourceSelection::default(),
            None,
        );
        let mut lines = FalcoSink::new(std::io::sink(), format.clone());
        let mut findings = FindingSink::default();
        let _ = p.run(source, &mut [&mut lines, &mut findings]);
    };
    if let Ok(cap) = bulkhead_scap::Capture::new(std::io::Cursor::new(data.to_vec())) {
        run(&mut ScapSource::new(cap, Path::new("fuzz.scap")).with_conversion(data.len() % 2 == 0));
    }
    if let Ok(mut s) =
        AuditSource::from_text(&String::from_utf8_lossy(data), Path::new("fuzz.json"))
    {
        run(&mut s);
    }
    run(&mut CaptureSource::new(
        std::io::Cursor::new(data),
        Path::new("fuzz.jsonl"),
    ));
});
