#![no_main]
//! Bytes as the body of a POST to the k8saudit webhook: read as audit events (one event, an
//! EventList, a JSON array, JSON lines) with the endpoint's bounds.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut r = bulkhead_rules::k8saudit::AuditReader::with_limits(data, 1 << 20, 100_000);
    while let Ok(Some(e)) = r.next_event() {
        let _ = e.json.to_string();
    }
});
