//! Fuzz the Falco configuration reader: arbitrary bytes as a falco.yaml, with and without a `-o`
//! override. No panic; errors are messages.
#![no_main]
use bulkhead_rules::falco_config::FalcoConfig;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = FalcoConfig::parse(Some(&text), "fuzz.yaml", &[]);
    let _ = FalcoConfig::parse(
        Some(&text),
        "fuzz.yaml",
        &["syscall_event_drops.threshold=0.5".to_string()],
    );
});
