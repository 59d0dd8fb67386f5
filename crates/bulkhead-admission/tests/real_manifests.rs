//! The real manifests of ../shared/data/k8s-manifests, each pod template sent to the webhook as a
//! Pod and as each of the eight workload kinds, in a namespace that enforces, audits and warns
//! `restricted`: the pod is denied exactly when `bulkhead config` (the same PSS checks on the file)
//! reports PSS findings for the object, with the same reasons in the same order; each workload kind
//! is allowed with the same text as its one warning.

mod common;
use bulkhead_admission::Admission;
use bulkhead_admission::psa::{NamespaceLabels, PsaConfig};
use serde_json::{Value, json};
use std::collections::BTreeMap;

fn wrap(kind: &str, template: &Value) -> (&'static str, &'static str, Value) {
    let meta = json!({"name": "w"});
    match kind {
        "Deployment" => (
            "apps",
            "deployments",
            json!({"apiVersion": "apps/v1", "kind": kind, "metadata": meta, "spec": {"template": template}}),
        ),
        "ReplicaSet" => (
            "apps",
            "replicasets",
            json!({"apiVersion": "apps/v1", "kind": kind, "metadata": meta, "spec": {"template": template}}),
        ),
        "StatefulSet" => (
            "apps",
            "statefulsets",
            json!({"apiVersion": "apps/v1", "kind": kind, "metadata": meta, "spec": {"template": template}}),
        ),
        "DaemonSet" => (
            "apps",
            "daemonsets",
            json!({"apiVersion": "apps/v1", "kind": kind, "metadata": meta, "spec": {"template": template}}),
        ),
        "Job" => (
            "batch",
            "jobs",
            json!({"apiVersion": "batch/v1", "kind": kind, "metadata": meta, "spec": {"template": template}}),
        ),
        "CronJob" => (
            "batch",
            "cronjobs",
            json!({"apiVersion": "batch/v1", "kind": kind, "metadata": meta, "spec": {"schedule": "@daily", "jobTemplate": {"spec": {"template": template}}}}),
        ),
        "ReplicationController" => (
            "",
            "replicationcontrollers",
            json!({"apiVersion": "v1", "kind": kind, "metadata": meta, "spec": {"template": template}}),
        ),
        _ => (
            "",
            "podtemplates",
            json!({"apiVersion": "v1", "kind": "PodTemplate", "metadata": meta, "template": template}),
        ),
    }
}

fn review(group: &str, resource: &str, obj: &Value) -> Vec<u8> {
    json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": "r", "resource": {"group": group, "version": "v1", "resource": resource},
        "name": obj["metadata"]["name"], "namespace": "prod", "operation": "CREATE",
        "userInfo": {"username": "kubernetes-admin"}, "object": obj}})
    .to_string()
    .into_bytes()
}

#[test]
fn real_manifests_as_pods_and_every_workload_kind() {
    let Some(files) = common::real_manifests() else {
        return;
    };
    let mut ns = NamespaceLabels::new();
    let labels: BTreeMap<String, String> = ["enforce", "audit", "warn"]
        .iter()
        .map(|m| {
            (
                format!("pod-security.kubernetes.io/{m}"),
                "restricted".to_string(),
            )
        })
        .collect();
    ns.insert("prod".into(), labels);
    let admission = Admission::new(PsaConfig::default(), ns);
    let opts = bulkhead_config::Options {
        best_practice: false,
        ..Default::default()
    };
    let (mut templates, mut agree, mut denied) = (0, 0, 0);
    let mut differences = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for d in
            bulkhead_config::yaml::documents(&text, &bulkhead_config::yaml::YamlLimits::DEFAULT)
                .flatten()
        {
            for pod in bulkhead_config::k8s::pods_in(&d.value) {
                // What `bulkhead config` says of this object, in PSA's order.
                let found = bulkhead_config::object_findings("m.yaml", &d.value, &|_| 0, &opts);
                let reasons: Vec<String> = found
                    .iter()
                    .filter(|x| x.location.object.as_deref() == Some(pod.object.as_str()))
                    .map(|x| x.message.clone())
                    .collect();
                let template = json!({"metadata": pod.pod_metadata, "spec": pod.spec});
                templates += 1;
                // As a Pod.
                let mut p = json!({"apiVersion": "v1", "kind": "Pod", "metadata": pod.pod_metadata.clone(), "spec": pod.spec});
                if !p["metadata"].is_object() {
                    p["metadata"] = json!({});
                }
                p["metadata"]["name"] = json!("p");
                let out = admission.review(&review("", "pods", &p)).unwrap();
                let r = &out["response"];
                let detail = r["status"]["message"]
                    .as_str()
                    .and_then(|m| m.split_once("violates PodSecurity \"restricted:latest\": "))
                    .map(|(_, d)| d.to_string());
                let mut ok = match &detail {
                    None => reasons.is_empty() && r["allowed"] == true,
                    Some(d) => r["allowed"] == false && *d == reasons.join(", "),
                };
                denied += usize::from(detail.is_some());
                // As each workload kind: allowed, the same reasons as its warning.
                for kind in [
                    "Deployment",
                    "ReplicaSet",
                    "StatefulSet",
                    "DaemonSet",
                    "Job",
                    "CronJob",
                    "ReplicationController",
                    "PodTemplate",
                ] {
                    let (g, res, obj) = wrap(kind, &template);
                    let out = admission.review(&review(g, res, &obj)).unwrap();
                    let r = &out["response"];
                    let warn = r["warnings"][0].as_str().map(|w| {
                        w.trim_start_matches("would violate PodSecurity \"restricted:latest\": ")
                            .to_string()
                    });
                    ok &= r["allowed"] == true
                        && match &warn {
                            None => reasons.is_empty(),
                            Some(w) => *w == reasons.join(", "),
                        };
                }
                if ok {
                    agree += 1;
                } else if differences.len() < 5 {
                    differences.push(format!(
                        "{} {}: config {reasons:?}, webhook {detail:?}",
                        f.display(),
                        pod.object
                    ));
                }
            }
        }
    }
    println!(
        "real manifests: {templates} pod templates as a Pod and 8 workload kinds each, {denied} pods denied; agreement with bulkhead config {agree}/{templates}"
    );
    assert!(differences.is_empty(), "{differences:#?}");
    assert!(templates > 100 && denied > 50, "{templates} {denied}");
}
