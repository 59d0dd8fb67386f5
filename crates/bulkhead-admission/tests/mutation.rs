//! Safe mutation on the PSA conformance fixtures (../shared/data/psa, or the config crate's copy):
//! - on every `restricted` fixture, the patch only adds, at paths the pod does not have (a value the
//!   user set is never changed), and never adds a violation;
//! - every `restricted` `pass` fixture with the defaults the mutation fills taken out (the pod's
//!   seccompProfile and runAsNonRoot, each container's allowPrivilegeEscalation and
//!   capabilities.drop) fails `restricted`, and passes again once mutated;
//! - through `/mutate` as the API server calls it: the AdmissionReview response carries the patch
//!   (base64 JSONPatch) only in a namespace that opts in.

mod common;
use base64::Engine as _;
use bulkhead_admission::Admission;
use bulkhead_admission::mutate::{MutateRules, patch};
use bulkhead_config::pss::{self, Policy};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::PathBuf;

/// Apply `add` operations (what the mutation emits), as the API server does: the parent must exist.
fn apply(doc: &Value, ops: &[Value]) -> Value {
    let mut out = doc.clone();
    for op in ops {
        assert_eq!(op["op"], "add");
        let path = op["path"].as_str().unwrap();
        assert!(
            out.pointer(path).is_none(),
            "add over an existing value at {path}"
        );
        let (parent, key) = path.rsplit_once('/').unwrap();
        let key = key.replace("~1", "/").replace("~0", "~");
        let p = out
            .pointer_mut(parent)
            .unwrap_or_else(|| panic!("no parent {parent}"));
        p.as_object_mut().unwrap().insert(key, op["value"].clone());
    }
    out
}

fn checks(policy: Policy, pod: &Value) -> BTreeSet<&'static str> {
    pss::evaluate(policy, &pod["metadata"], &pod["spec"])
        .iter()
        .map(|v| v.check)
        .collect()
}

fn strip_defaults(pod: &mut Value) {
    let spec = &mut pod["spec"];
    if let Some(sc) = spec
        .get_mut("securityContext")
        .and_then(Value::as_object_mut)
    {
        sc.remove("seccompProfile");
        sc.remove("runAsNonRoot");
    }
    for key in ["initContainers", "containers", "ephemeralContainers"] {
        for c in spec
            .get_mut(key)
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if let Some(sc) = c.get_mut("securityContext").and_then(Value::as_object_mut) {
                sc.remove("allowPrivilegeEscalation");
                sc.remove("runAsNonRoot");
                if let Some(caps) = sc.get_mut("capabilities").and_then(Value::as_object_mut) {
                    caps.remove("drop");
                }
            }
        }
    }
}

#[test]
fn mutation_on_the_psa_fixtures() {
    let rules = MutateRules {
        enabled: true,
        run_as_non_root: true,
    };
    let restricted = common::psa_root().join("restricted");
    let mut versions: Vec<PathBuf> = std::fs::read_dir(&restricted)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    versions.sort();
    let (mut all, mut repaired, mut stripped_total) = (0, 0, 0);
    for vdir in versions {
        let version = vdir.file_name().unwrap().to_str().unwrap().to_string();
        let policy = Policy::parse(&format!("restricted:{version}")).unwrap();
        for verdict in ["pass", "fail"] {
            let Ok(rd) = std::fs::read_dir(vdir.join(verdict)) else {
                continue;
            };
            for f in rd {
                let f = f.unwrap().path();
                let pod =
                    bulkhead_config::yaml::parse_documents(&std::fs::read_to_string(&f).unwrap())
                        .unwrap()
                        .remove(0)
                        .value;
                let before = checks(policy, &pod);
                let after_pod = apply(&pod, &patch(&pod, &rules));
                let after = checks(policy, &after_pod);
                assert!(
                    after.is_subset(&before),
                    "{}: the mutation added {:?}",
                    f.display(),
                    after.difference(&before)
                );
                all += 1;
                if verdict == "pass" {
                    let mut stripped = pod.clone();
                    strip_defaults(&mut stripped);
                    if checks(policy, &stripped).is_empty() {
                        continue; // nothing was a default here (an old version without these checks)
                    }
                    stripped_total += 1;
                    let mutated = apply(&stripped, &patch(&stripped, &rules));
                    let left = checks(policy, &mutated);
                    assert!(
                        left.is_empty(),
                        "{}: still fails {left:?} after mutation",
                        f.display()
                    );
                    repaired += 1;
                }
            }
        }
    }
    println!(
        "mutation: {all} restricted fixtures patched with adds only and no new violation; {repaired}/{stripped_total} pass fixtures stripped of their defaults pass restricted again once mutated"
    );
    assert!(all > 100 && stripped_total > 50, "{all} {stripped_total}");
    assert_eq!(repaired, stripped_total);
}

#[test]
fn mutate_endpoint_patches_only_where_a_namespace_opts_in() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ns.yaml"),
        "kind: Namespace\nmetadata: {name: shop}\n---\nkind: Namespace\nmetadata: {name: legacy}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("policy.yaml"),
        "apiVersion: bulkhead.dev/v1alpha1\nkind: AdmissionPolicy\nspec:\n  mutate: {enabled: true}\n  namespaces:\n    legacy: {mutate: {enabled: false}}\n",
    )
    .unwrap();
    let a: Admission = bulkhead_admission::Settings {
        namespaces: bulkhead_admission::NamespaceSource::File(dir.path().join("ns.yaml")),
        policy: Some(dir.path().join("policy.yaml")),
        ..Default::default()
    }
    .build()
    .unwrap();
    let review = |ns: &str| {
        json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
            "uid": "m", "resource": {"group": "", "version": "v1", "resource": "pods"}, "name": "p", "namespace": ns,
            "operation": "CREATE", "object": {"kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}}})
        .to_string()
    };
    let out = a.review_mutate(review("shop").as_bytes()).unwrap();
    let r = &out["response"];
    assert_eq!(
        (r["allowed"].as_bool(), r["patchType"].as_str()),
        (Some(true), Some("JSONPatch"))
    );
    let ops: Value = serde_json::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(r["patch"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        ops,
        json!([
            {"op": "add", "path": "/spec/securityContext", "value": {"seccompProfile": {"type": "RuntimeDefault"}}},
            {"op": "add", "path": "/spec/containers/0/securityContext", "value": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}
        ])
    );
    let out = a.review_mutate(review("legacy").as_bytes()).unwrap();
    assert!(out["response"].get("patch").is_none() && out["response"]["allowed"] == true);
}
