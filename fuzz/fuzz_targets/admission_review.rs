#![no_main]
//! Bytes as the body of a POST to the admission webhook's /validate: read as an AdmissionReview
//! and decided against namespaces with every kind of label (valid, invalid, none). Invariants: a
//! request that reads is answered with its own uid, and a denial always carries a status.
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn admission() -> &'static bulkhead_admission::Admission {
    static A: OnceLock<bulkhead_admission::Admission> = OnceLock::new();
    A.get_or_init(|| {
        let text = "kind: Namespace\nmetadata: {name: prod, labels: {pod-security.kubernetes.io/enforce: restricted}}\n---\nkind: Namespace\nmetadata: {name: dev, labels: {pod-security.kubernetes.io/warn: baseline, pod-security.kubernetes.io/audit-version: v1.2x}}\n---\nkind: Namespace\nmetadata: {name: open}\n";
        let ns = bulkhead_admission::config::parse_namespaces(std::path::Path::new("ns.yaml"), text)
            .expect("the fuzz target's namespaces");
        bulkhead_admission::Admission::new(Default::default(), ns)
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(req) = bulkhead_admission::review::parse_review(data) {
        let d = admission().decide(&req);
        assert!(d.response.allowed || d.response.status.is_some());
        let out = d.response.into_review(&req.uid);
        assert_eq!(out["response"]["uid"].as_str(), Some(req.uid.as_str()));
    }
});
