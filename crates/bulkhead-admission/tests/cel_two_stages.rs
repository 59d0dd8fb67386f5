//! One policy file, two stages: the same ValidatingAdmissionPolicy file judges the real manifests
//! of ../shared/data/k8s-manifests with `bulkhead config` (files) and, object by object, as
//! AdmissionReview creations sent to the webhook. Every object denied at one stage is denied at
//! the other with the same message, every warning is a warning at both, and nothing else differs.

mod common;
use bulkhead_admission::Admission;
use bulkhead_admission::psa::{NamespaceLabels, PsaConfig};
use bulkhead_config::{Input, Options, Request, Settings, vap};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;

const POLICIES: &str = r#"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: pinned-images}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - apiGroups: ["", apps, batch]
      apiVersions: [v1]
      operations: [CREATE, UPDATE]
      resources: [pods, deployments, statefulsets, daemonsets, jobs, cronjobs, replicationcontrollers]
  variables:
  - name: spec
    expression: >-
      object.kind == 'Pod' ? object.spec :
      object.kind == 'CronJob' ? object.spec.jobTemplate.spec.template.spec :
      object.spec.template.spec
  - name: images
    expression: "variables.spec.containers.map(c, c.image) + (has(variables.spec.initContainers) ? variables.spec.initContainers.map(c, c.image) : [])"
  validations:
  - expression: "variables.images.all(i, i.contains('@sha256:') || (i.contains(':') && !i.endsWith(':latest')))"
    messageExpression: "'images without a version: ' + variables.images.filter(i, !(i.contains('@sha256:') || (i.contains(':') && !i.endsWith(':latest')))).join(', ')"
    reason: Forbidden
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: pinned-images-deny}
spec:
  policyName: pinned-images
  validationActions: [Deny]
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: replica-limit}
spec:
  paramKind: {apiVersion: v1, kind: ConfigMap}
  matchConstraints:
    resourceRules:
    - apiGroups: [apps]
      apiVersions: [v1]
      operations: [CREATE, UPDATE]
      resources: [deployments, statefulsets]
  validations:
  - expression: "!has(object.spec.replicas) || object.spec.replicas <= int(params.data.maxReplicas)"
    messageExpression: "'replicas ' + string(object.spec.replicas) + ' over the limit of ' + params.data.maxReplicas"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: replica-limit-warn}
spec:
  policyName: replica-limit
  validationActions: [Warn, Audit]
  paramRef: {name: limits, namespace: platform, parameterNotFoundAction: Deny}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: limits, namespace: platform}
data: {maxReplicas: "2"}
"#;

#[test]
fn the_same_policy_file_judges_files_and_requests_alike() {
    let Some(files) = common::real_manifests() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policies.yaml");
    std::fs::write(&policy, POLICIES).unwrap();
    let cel = bulkhead_config::load_cel_policies(std::slice::from_ref(&policy)).unwrap();

    // Stage 1: bulkhead config on the files, only the CEL policies (PSS at privileged).
    let req = Request {
        inputs: files.iter().map(|f| Input::Path(f.clone())).collect(),
        options: Options {
            pss: bulkhead_config::pss::Policy::parse("privileged").unwrap(),
            best_practice: false,
            cel: Some(cel.clone()),
            ..Options::default()
        },
        settings: Settings::default(),
        ..Request::default()
    };
    let report = bulkhead_config::check(&req).unwrap();
    // (file name, object) → (denials, warnings) as config says them.
    let mut files_say: BTreeMap<(String, String), (Vec<String>, Vec<String>)> = BTreeMap::new();
    for t in &report.targets {
        for f in &t.findings {
            if f.id == bulkhead_core::PARSE_RULE_ID {
                continue; // a document that is not YAML (a template): neither stage judges it
            }
            assert!(
                f.id.starts_with("VAP-"),
                "only CEL findings expected: {f:?}"
            );
            let file = Path::new(f.location.file.as_deref().unwrap())
                .file_name()
                .unwrap()
                .to_string_lossy()
                .to_string();
            let obj = f.location.object.clone().unwrap();
            // `<ns>/<Kind>/<name>` or `<Kind>/<name>`: the kind and name.
            let key_obj = obj
                .rsplitn(3, '/')
                .take(2)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("/");
            let e = files_say.entry((file, key_obj)).or_default();
            let (policy, binding) = (
                f.id.trim_start_matches("VAP-").to_string(),
                f.message
                    .rsplit_once(" (binding ")
                    .map(|(_, b)| b.trim_end_matches(')').to_string())
                    .unwrap(),
            );
            let msg = f.message.rsplit_once(" (binding ").unwrap().0.to_string();
            match f.severity {
                bulkhead_core::Severity::High => e.0.push(format!("ValidatingAdmissionPolicy '{policy}' with binding '{binding}' denied request: {msg}")),
                bulkhead_core::Severity::Medium => e.1.push(format!("Validation failed for ValidatingAdmissionPolicy '{policy}' with binding '{binding}': {msg}")),
                s => panic!("unexpected severity {s:?}"),
            }
        }
    }

    // Stage 2: every object of the same files as an AdmissionReview creation.
    let mut ns = NamespaceLabels::new();
    ns.insert("apps".into(), BTreeMap::new());
    let admission = Admission::new(PsaConfig::default(), ns).with_cel(cel);
    let (mut objects, mut agree, mut denied, mut warned) = (0, 0, 0, 0);
    let mut differences = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let file = f.file_name().unwrap().to_string_lossy().to_string();
        let docs =
            bulkhead_config::yaml::documents(&text, &bulkhead_config::yaml::YamlLimits::DEFAULT);
        for d in docs.flatten() {
            let items: Vec<Value> = match d.value.get("items").and_then(Value::as_array) {
                Some(items)
                    if d.value["kind"]
                        .as_str()
                        .is_some_and(|k| k.ends_with("List")) =>
                {
                    items.clone()
                }
                _ => vec![d.value.clone()],
            };
            for o in items {
                let (Some(api), Some(kind)) = (o["apiVersion"].as_str(), o["kind"].as_str()) else {
                    continue;
                };
                let (group, version) = api.rsplit_once('/').unwrap_or(("", api));
                let name = o["metadata"]["name"].as_str().unwrap_or("").to_string();
                let review = json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
                    "uid": "u", "kind": {"group": group, "version": version, "kind": kind},
                    "resource": {"group": group, "version": version, "resource": vap::resource_of(kind)},
                    "name": name, "namespace": "apps", "operation": "CREATE",
                    "userInfo": {"username": "kubernetes-admin"}, "object": o}});
                let out = admission.review(review.to_string().as_bytes()).unwrap();
                let r = &out["response"];
                let deny: Vec<String> = r["status"]["message"]
                    .as_str()
                    .filter(|_| r["allowed"] == false)
                    .map(str::to_string)
                    .into_iter()
                    .collect();
                let warn: Vec<String> = r["warnings"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|w| w.as_str().map(str::to_string))
                    .collect();
                let said = files_say
                    .remove(&(file.clone(), format!("{kind}/{name}")))
                    .unwrap_or_default();
                // The API server reports the first denial; config lists each.
                let same = deny.first() == said.0.first() && warn == said.1;
                objects += 1;
                denied += usize::from(!deny.is_empty());
                warned += usize::from(!warn.is_empty());
                if same {
                    agree += 1;
                } else {
                    differences.push(format!(
                        "{file} {kind}/{name}: webhook {deny:?} {warn:?}, config {:?}",
                        said
                    ));
                }
            }
        }
    }
    println!(
        "CEL two stages: {} manifests, {objects} objects, {denied} denied and {warned} warned by the webhook, agreement with bulkhead config {agree}/{objects}",
        files.len()
    );
    assert!(differences.is_empty(), "{differences:#?}");
    assert!(
        files_say.is_empty(),
        "findings of objects the webhook never saw: {files_say:#?}"
    );
    assert!(
        denied > 10 && warned > 0,
        "the policies bite on real manifests: {denied} {warned}"
    );
}
