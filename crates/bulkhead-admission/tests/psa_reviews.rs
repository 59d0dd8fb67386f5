//! Ground truth: the Pod Security Admission conformance fixtures
//! (kubernetes/pod-security-admission test/testdata, `<level>/<version>/<pass|fail>/*.yaml`) sent as
//! the API server sends them: an AdmissionReview v1 creating the Pod in a namespace labelled
//! `enforce=<level>`, `enforce-version=<version>`. Every `pass` fixture must be allowed, every `fail`
//! one denied with PSA's status (403 Forbidden, `pods "<name>" is forbidden: violates PodSecurity
//! "<level>:<version>": …`). The same pod as the template of each of the eight workload kinds is
//! allowed (PSA never denies controllers) with exactly one warning and an `audit-violations`
//! annotation when the fixture fails, none when it passes.
//!
//! The full set (76 level/version directories) is read from ../shared/data/psa; without it, the
//! config crate's copy of v1.0, v1.24 and v1.37 is used and the test says so.

mod common;
use bulkhead_admission::Admission;
use bulkhead_admission::psa::{NamespaceLabels, PsaConfig};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;

fn review(
    uid: &str,
    group: &str,
    resource: &str,
    kind: &str,
    ns: &str,
    name: &str,
    obj: &Value,
) -> Vec<u8> {
    json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": {"group": group, "version": "v1", "kind": kind},
            "resource": {"group": group, "version": "v1", "resource": resource},
            "requestKind": {"group": group, "version": "v1", "kind": kind},
            "requestResource": {"group": group, "version": "v1", "resource": resource},
            "name": name,
            "namespace": ns,
            "operation": "CREATE",
            "userInfo": {"username": "kubernetes-admin", "groups": ["system:masters", "system:authenticated"]},
            "object": obj,
            "oldObject": null,
            "dryRun": false,
            "options": {"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1"}
        }
    })
    .to_string()
    .into_bytes()
}

/// (group, resource, kind, the object with `pod` as its template).
fn controllers(pod: &Value) -> Vec<(&'static str, &'static str, &'static str, Value)> {
    let t = json!({"metadata": pod["metadata"].clone(), "spec": pod["spec"].clone()});
    let meta = json!({"name": "w"});
    vec![
        (
            "apps",
            "deployments",
            "Deployment",
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "spec": {"template": t}}),
        ),
        (
            "apps",
            "replicasets",
            "ReplicaSet",
            json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": meta, "spec": {"template": t}}),
        ),
        (
            "apps",
            "statefulsets",
            "StatefulSet",
            json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": meta, "spec": {"template": t}}),
        ),
        (
            "apps",
            "daemonsets",
            "DaemonSet",
            json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": meta, "spec": {"template": t}}),
        ),
        (
            "batch",
            "jobs",
            "Job",
            json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": {"template": t}}),
        ),
        (
            "batch",
            "cronjobs",
            "CronJob",
            json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": meta, "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": t}}}}),
        ),
        (
            "",
            "replicationcontrollers",
            "ReplicationController",
            json!({"apiVersion": "v1", "kind": "ReplicationController", "metadata": meta, "spec": {"template": t}}),
        ),
        (
            "",
            "podtemplates",
            "PodTemplate",
            json!({"apiVersion": "v1", "kind": "PodTemplate", "metadata": meta, "template": t}),
        ),
    ]
}

#[test]
fn psa_fixtures_as_admission_reviews() {
    let root = common::psa_root();
    let mut levels: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    levels.sort();
    // One namespace per level/version, labelled as a cluster operator labels it.
    let mut namespaces = NamespaceLabels::new();
    let mut cases = Vec::new();
    for level_dir in &levels {
        let level = level_dir.file_name().unwrap().to_str().unwrap().to_string();
        let mut versions: Vec<PathBuf> = std::fs::read_dir(level_dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        versions.sort();
        for vdir in versions {
            let version = vdir.file_name().unwrap().to_str().unwrap().to_string();
            let ns = format!("{level}-{}", version.replace('.', "-"));
            let labels: BTreeMap<String, String> = [
                ("pod-security.kubernetes.io/enforce", level.as_str()),
                (
                    "pod-security.kubernetes.io/enforce-version",
                    version.as_str(),
                ),
                ("pod-security.kubernetes.io/audit", level.as_str()),
                ("pod-security.kubernetes.io/audit-version", version.as_str()),
                ("pod-security.kubernetes.io/warn", level.as_str()),
                ("pod-security.kubernetes.io/warn-version", version.as_str()),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
            namespaces.insert(ns.clone(), labels);
            for verdict in ["pass", "fail"] {
                let dir = vdir.join(verdict);
                let Ok(rd) = std::fs::read_dir(&dir) else {
                    continue;
                };
                let mut files: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
                files.sort();
                for f in files {
                    cases.push((
                        level.clone(),
                        version.clone(),
                        ns.clone(),
                        verdict == "pass",
                        f,
                    ));
                }
            }
        }
    }
    let admission = Admission::new(PsaConfig::default(), namespaces);
    let (mut agree, mut total, mut wrapped_agree, mut wrapped_total) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    for (i, (level, version, ns, pass, file)) in cases.iter().enumerate() {
        let text = std::fs::read_to_string(file).unwrap();
        let pod = bulkhead_config::yaml::parse_documents(&text)
            .unwrap()
            .remove(0)
            .value;
        let name = pod["metadata"]["name"].as_str().unwrap_or("").to_string();
        let policy = format!("{level}:{version}");
        let out = admission
            .review(&review(
                &format!("uid-{i}"),
                "",
                "pods",
                "Pod",
                ns,
                &name,
                &pod,
            ))
            .unwrap();
        let r = &out["response"];
        total += 1;
        let ok = r["uid"] == format!("uid-{i}")
            && r["allowed"] == *pass
            && r["auditAnnotations"]["enforce-policy"] == policy
            && if *pass {
                r.get("status").is_none() && r.get("warnings").is_none()
            } else {
                r["status"]["code"] == 403
                    && r["status"]["reason"] == "Forbidden"
                    && r["status"]["details"]["kind"] == "pods"
                    && r["status"]["message"].as_str().is_some_and(|m| {
                        m.starts_with(&format!(
                            "pods \"{name}\" is forbidden: violates PodSecurity \"{policy}\": "
                        ))
                    })
                    // Denied: no warning (PSA warns only on allowed requests), the audit says it.
                    && r.get("warnings").is_none()
                    && r["auditAnnotations"]["audit-violations"]
                        .as_str()
                        .is_some_and(|a| a.starts_with(&format!("would violate PodSecurity \"{policy}\": ")))
            };
        if ok {
            agree += 1;
        } else if failures.len() < 10 {
            failures.push(format!("{}: {r}", file.display()));
        }
        for (group, resource, kind, obj) in controllers(&pod) {
            let out = admission
                .review(&review(
                    &format!("c-{i}"),
                    group,
                    resource,
                    kind,
                    ns,
                    "w",
                    &obj,
                ))
                .unwrap();
            let r = &out["response"];
            wrapped_total += 1;
            let warnings = r["warnings"].as_array().map(Vec::len).unwrap_or(0);
            let ok = r["allowed"] == true
                && r.get("status").is_none()
                && r["auditAnnotations"].get("enforce-policy").is_none()
                && if *pass {
                    warnings == 0 && r["auditAnnotations"].get("audit-violations").is_none()
                } else {
                    warnings == 1
                        && r["warnings"][0].as_str().is_some_and(|w| {
                            w.starts_with(&format!("would violate PodSecurity \"{policy}\": "))
                        })
                        && r["auditAnnotations"]["audit-violations"] == r["warnings"][0]
                };
            if ok {
                wrapped_agree += 1;
            } else if failures.len() < 10 {
                failures.push(format!("{} as {kind}: {r}", file.display()));
            }
        }
    }
    println!(
        "PSA fixtures as AdmissionReviews: {total} pods, agreement {agree}/{total} = {:.2}%; {wrapped_total} as the 8 workload kinds, agreement {wrapped_agree}/{wrapped_total} = {:.2}%",
        100.0 * agree as f64 / total.max(1) as f64,
        100.0 * wrapped_agree as f64 / wrapped_total.max(1) as f64,
    );
    assert!(total > 100, "fixtures read: {total}");
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!((agree, wrapped_agree), (total, wrapped_total));
    let metrics = admission.metrics.render();
    assert!(
        metrics.contains("pod_security_evaluations_total{decision=\"deny\""),
        "{metrics}"
    );
}
