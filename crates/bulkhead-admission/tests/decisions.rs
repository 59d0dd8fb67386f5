//! Decisions beyond the conformance fixtures, each as PSA's admission code takes it: exemptions,
//! unknown namespaces, invalid labels, which pod updates are re-checked, the
//! `ephemeralcontainers` subresource, ignored subresources, namespaces' own labels, and
//! operations without a pod.

use bulkhead_admission::Admission;
use bulkhead_admission::psa::{NamespaceLabels, PsaConfig};
use bulkhead_admission::review::AdmissionRequest;
use serde_json::{Value, json};

fn namespaces() -> NamespaceLabels {
    let mut ns = NamespaceLabels::new();
    let l = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| (format!("pod-security.kubernetes.io/{k}"), v.to_string()))
            .collect()
    };
    ns.insert("prod".into(), l(&[("enforce", "restricted")]));
    ns.insert(
        "dev".into(),
        l(&[("warn", "baseline"), ("audit", "restricted")]),
    );
    ns.insert(
        "typo".into(),
        l(&[("enforce", "Restricted"), ("warn", "basline")]),
    );
    ns.insert("open".into(), l(&[]));
    ns
}

fn admission(config: PsaConfig) -> Admission {
    Admission::new(config, namespaces())
}

fn privileged_pod(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
           "spec": {"containers": [{"name": "app", "image": "nginx:1.27",
                                     "securityContext": {"privileged": true}}]}})
}

fn restricted_pod(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
           "spec": {"securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [{"name": "app", "image": "nginx:1.27",
                                     "securityContext": {"allowPrivilegeEscalation": false,
                                                         "capabilities": {"drop": ["ALL"]}}}]}})
}

fn pod_request(op: &str, ns: &str, obj: Value, old: Value) -> AdmissionRequest {
    serde_json::from_value(json!({
        "uid": "u1",
        "kind": {"group": "", "version": "v1", "kind": "Pod"},
        "resource": {"group": "", "version": "v1", "resource": "pods"},
        "name": obj["metadata"]["name"], "namespace": ns, "operation": op,
        "userInfo": {"username": "alice"},
        "object": obj, "oldObject": old
    }))
    .unwrap()
}

#[test]
fn enforce_denies_with_psas_message() {
    let a = admission(PsaConfig::default());
    let d = a.decide(&pod_request(
        "CREATE",
        "prod",
        privileged_pod("web"),
        Value::Null,
    ));
    let r = &d.response;
    assert!(!r.allowed);
    let s = r.status.as_ref().unwrap();
    assert_eq!((s.code, s.reason.as_str()), (403, "Forbidden"));
    assert!(
        s.message.starts_with(
            "pods \"web\" is forbidden: violates PodSecurity \"restricted:latest\": privileged (container \"app\" must not set securityContext.privileged=true), allowPrivilegeEscalation != false"
        ),
        "{}",
        s.message
    );
    assert_eq!(r.audit_annotations["enforce-policy"], "restricted:latest");
    assert!(r.warnings.is_empty(), "no warning on a denied request");
    // Warned by the enforce level too (warn follows an explicit stricter enforce).
    let ok = a.decide(&pod_request(
        "CREATE",
        "prod",
        restricted_pod("web"),
        Value::Null,
    ));
    assert!(ok.response.allowed && ok.response.warnings.is_empty());
    // generateName: no name in the request.
    let mut anon = pod_request("CREATE", "prod", privileged_pod("x"), Value::Null);
    anon.name.clear();
    let d = a.decide(&anon);
    assert!(
        d.response
            .status
            .unwrap()
            .message
            .starts_with("pods is forbidden: ")
    );
}

#[test]
fn warn_and_audit_without_enforce() {
    let a = admission(PsaConfig::default());
    let d = a.decide(&pod_request(
        "CREATE",
        "dev",
        privileged_pod("web"),
        Value::Null,
    ));
    let r = &d.response;
    assert!(r.allowed);
    assert_eq!(r.warnings.len(), 1);
    assert!(r.warnings[0].starts_with("would violate PodSecurity \"baseline:latest\": privileged"));
    assert!(
        r.audit_annotations["audit-violations"]
            .starts_with("would violate PodSecurity \"restricted:latest\": ")
    );
    assert!(
        !r.audit_annotations.contains_key("enforce-policy")
            || r.audit_annotations["enforce-policy"] == "privileged:latest"
    );
}

#[test]
fn invalid_labels_fail_closed_for_enforce_and_open_for_warn() {
    let a = admission(PsaConfig::default());
    let d = a.decide(&pod_request(
        "CREATE",
        "typo",
        privileged_pod("web"),
        Value::Null,
    ));
    let r = &d.response;
    assert!(!r.allowed, "an invalid enforce label enforces restricted");
    assert!(
        r.status
            .as_ref()
            .unwrap()
            .message
            .contains("violates PodSecurity \"restricted:latest\"")
    );
    assert!(
        r.audit_annotations["error"].starts_with(
            "Failed to parse policy: [metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: \"Restricted\""
        ),
        "{:?}",
        r.audit_annotations
    );
}

#[test]
fn exemptions_by_namespace_user_and_runtime_class() {
    let mut c = PsaConfig::default();
    c.exemptions.namespaces.insert("prod".into());
    let d = admission(c).decide(&pod_request(
        "CREATE",
        "prod",
        privileged_pod("web"),
        Value::Null,
    ));
    assert!(d.response.allowed && d.exempt);
    assert_eq!(d.response.audit_annotations["exempt"], "namespace");

    let mut c = PsaConfig::default();
    c.exemptions.usernames.insert("alice".into());
    let d = admission(c).decide(&pod_request(
        "CREATE",
        "prod",
        privileged_pod("web"),
        Value::Null,
    ));
    assert_eq!(d.response.audit_annotations["exempt"], "user");

    let mut c = PsaConfig::default();
    c.exemptions.runtime_classes.insert("kata".into());
    let a = admission(c);
    let mut pod = privileged_pod("web");
    pod["spec"]["runtimeClassName"] = "kata".into();
    let d = a.decide(&pod_request("CREATE", "prod", pod, Value::Null));
    assert_eq!(d.response.audit_annotations["exempt"], "runtimeClass");
    let mut pod = privileged_pod("web");
    pod["spec"]["runtimeClassName"] = "runc".into();
    assert!(
        !a.decide(&pod_request("CREATE", "prod", pod, Value::Null))
            .response
            .allowed
    );
}

#[test]
fn unknown_namespace_and_undecodable_pods_are_denied() {
    let a = admission(PsaConfig::default());
    let d = a.decide(&pod_request(
        "CREATE",
        "nowhere",
        restricted_pod("web"),
        Value::Null,
    ));
    let s = d.response.status.unwrap();
    assert_eq!((s.code, s.reason.as_str()), (500, "InternalError"));
    assert_eq!(s.message, "failed to lookup namespace \"nowhere\"");
    let mut bad = pod_request("CREATE", "prod", restricted_pod("web"), Value::Null);
    bad.object = json!({"metadata": {"name": "web"}, "spec": "not a spec"});
    let d = a.decide(&bad);
    assert_eq!(d.response.status.unwrap().code, 400);
    assert!(!d.response.allowed);
    // A controller with the same problems is allowed, the error annotated.
    let req: AdmissionRequest = serde_json::from_value(json!({
        "uid": "u", "resource": {"group": "apps", "version": "v1", "resource": "deployments"},
        "name": "w", "namespace": "nowhere", "operation": "CREATE",
        "object": {"kind": "Deployment", "spec": {"template": restricted_pod("x")}}
    }))
    .unwrap();
    let d = a.decide(&req);
    assert!(d.response.allowed);
    assert!(
        d.response.audit_annotations["error"].starts_with("failed to lookup namespace nowhere")
    );
}

#[test]
fn only_significant_pod_updates_are_rechecked() {
    let a = admission(PsaConfig::default());
    // An existing privileged pod (admitted before the label) gets a new label: allowed, as PSA.
    let old = privileged_pod("web");
    let mut new = old.clone();
    new["metadata"]["labels"] = json!({"tier": "front"});
    let d = a.decide(&pod_request("UPDATE", "prod", new, old.clone()));
    assert!(d.response.allowed && d.response.audit_annotations.is_empty());
    // A new image is re-checked.
    let mut new = old.clone();
    new["spec"]["containers"][0]["image"] = "nginx:1.28".into();
    assert!(
        !a.decide(&pod_request("UPDATE", "prod", new, old))
            .response
            .allowed
    );
}

#[test]
fn ephemeral_containers_are_enforced_and_other_subresources_ignored() {
    let a = admission(PsaConfig::default());
    let old = restricted_pod("web");
    let mut new = old.clone();
    new["spec"]["ephemeralContainers"] = json!([{"name": "debug", "image": "busybox",
        "securityContext": {"privileged": true}}]);
    let mut req = pod_request("UPDATE", "prod", new, old);
    req.sub_resource = "ephemeralcontainers".into();
    req.request_sub_resource = "ephemeralcontainers".into();
    let d = a.decide(&req);
    assert!(!d.response.allowed);
    assert!(
        d.response
            .status
            .unwrap()
            .message
            .contains("container \"debug\"")
    );
    for sub in [
        "exec",
        "attach",
        "status",
        "binding",
        "eviction",
        "log",
        "portforward",
        "proxy",
    ] {
        let mut req = pod_request(
            "UPDATE",
            "prod",
            privileged_pod("web"),
            restricted_pod("web"),
        );
        req.sub_resource = sub.into();
        assert!(a.decide(&req).response.allowed, "{sub}");
    }
    // DELETE carries no pod to check.
    let del = pod_request("DELETE", "prod", Value::Null, privileged_pod("web"));
    assert!(a.decide(&del).response.allowed);
}

#[test]
fn namespace_labels_are_validated() {
    let a = admission(PsaConfig::default());
    let ns = |labels: Value| json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team", "labels": labels}});
    let req = |op: &str, obj: Value, old: Value| -> AdmissionRequest {
        serde_json::from_value(json!({
            "uid": "n", "resource": {"group": "", "version": "v1", "resource": "namespaces"},
            "name": "team", "operation": op, "object": obj, "oldObject": old
        }))
        .unwrap()
    };
    let bad = ns(json!({"pod-security.kubernetes.io/enforce": "strict"}));
    let d = a.decide(&req("CREATE", bad.clone(), Value::Null));
    let s = d.response.status.unwrap();
    assert_eq!((s.code, s.reason.as_str()), (422, "Invalid"));
    assert_eq!(
        s.message,
        "Namespace \"team\" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: \"strict\": must be one of privileged, baseline, restricted"
    );
    let good = ns(json!({"pod-security.kubernetes.io/enforce": "baseline"}));
    assert!(
        a.decide(&req("CREATE", good.clone(), Value::Null))
            .response
            .allowed
    );
    // An update that keeps the same invalid labels is allowed (only new errors are refused).
    let mut same = bad.clone();
    same["metadata"]["annotations"] = json!({"x": "y"});
    assert!(a.decide(&req("UPDATE", same, bad)).response.allowed);
    assert!(
        !a.decide(&req(
            "UPDATE",
            ns(json!({"pod-security.kubernetes.io/warn-version": "v2"})),
            good
        ))
        .response
        .allowed
    );
}
