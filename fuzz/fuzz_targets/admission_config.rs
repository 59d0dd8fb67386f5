#![no_main]
//! Bytes as every file the admission webhook reads: a namespaces file, PSA's configuration, an
//! AdmissionPolicy, and a ValidatingAdmissionPolicy file (compiled, then evaluated on a fixed
//! Deployment). Invariants: no panic; a policy set that loads evaluates without panicking.
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let p = Path::new("f.yaml");
    let _ = bulkhead_admission::config::parse_namespaces(p, text);
    let _ = bulkhead_admission::config::parse_psa_config(p, text);
    let _ = bulkhead_admission::images::parse_policy(p, text);
    let mut set = bulkhead_config::vap::PolicySet::default();
    if set.add_text("f.yaml", text).is_ok() {
        let obj = serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
            "spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "c", "image": "nginx:1"}]}}}});
        let _ = bulkhead_config::vap::evaluate(&set, &bulkhead_config::vap::request_for_object(&obj));
    }
});
