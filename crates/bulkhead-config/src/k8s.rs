//! Kubernetes objects in manifests: every pod-bearing kind, `List`s, and where each pod spec sits.

use crate::yaml::Document;
use serde_json::Value;

/// A pod spec inside an object, with the metadata PSA reads (the pod's own, or the pod template's).
#[derive(Debug, Clone)]
pub struct PodRef<'a> {
    /// `Deployment/web` (namespace-qualified when given: `prod/Deployment/web`).
    pub object: String,
    pub kind: String,
    /// JSON pointer of the object in its document (`` or `/items/3`).
    pub object_pointer: String,
    /// JSON pointer of the pod spec (`/spec/template/spec`).
    pub spec_pointer: String,
    /// The pod (template) metadata: annotations of the pod, as PSA reads them.
    pub pod_metadata: &'a Value,
    /// The object's own metadata (for exemption annotations on the controller).
    pub object_metadata: &'a Value,
    pub spec: &'a Value,
}

static NULL: Value = Value::Null;

/// Where the pod template of each pod-bearing kind is, relative to the object.
pub fn template_pointer(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "Pod" => "",
        "PodTemplate" => "/template",
        "Deployment"
        | "ReplicaSet"
        | "StatefulSet"
        | "DaemonSet"
        | "Job"
        | "ReplicationController" => "/spec/template",
        "CronJob" => "/spec/jobTemplate/spec/template",
        _ => return None,
    })
}

/// Longest kind, name or namespace put into a finding (Kubernetes allows 253 characters): every
/// finding of an object carries its name, so a longer one is cut rather than copied into each.
pub const MAX_NAME_CHARS: usize = 253;

/// `s` cut to `max` characters, `…` marking the cut.
pub fn clip(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => s.into(),
        Some((i, _)) => format!("{}…", &s[..i]).into(),
    }
}

/// Longest finding message (characters). PSA lists every offending container in one message, so
/// a pod with 45,000 containers would carry a 400 KB message into each check's finding (and
/// table rendering); real messages are a few hundred characters.
pub const MAX_MESSAGE_CHARS: usize = 4096;

/// A finding message cut at [`MAX_MESSAGE_CHARS`].
pub fn clip_message(m: String) -> String {
    match clip(&m, MAX_MESSAGE_CHARS) {
        std::borrow::Cow::Borrowed(_) => m,
        std::borrow::Cow::Owned(c) => c,
    }
}

fn name_of(obj: &Value) -> String {
    let kind = clip(obj["kind"].as_str().unwrap_or("?"), MAX_NAME_CHARS);
    let name = clip(
        obj["metadata"]["name"]
            .as_str()
            .or_else(|| obj["metadata"]["generateName"].as_str())
            .unwrap_or("<unnamed>"),
        MAX_NAME_CHARS,
    );
    match obj["metadata"]["namespace"].as_str() {
        Some(ns) => format!("{}/{kind}/{name}", clip(ns, MAX_NAME_CHARS)),
        None => format!("{kind}/{name}"),
    }
}

/// Every pod spec of a document (objects of `List` kinds included, recursively).
pub fn pods(doc: &Document) -> Vec<PodRef<'_>> {
    pods_in(&doc.value)
}

/// Every pod spec of an object (a `List`'s items included, recursively).
pub fn pods_in(obj: &Value) -> Vec<PodRef<'_>> {
    let mut out = Vec::new();
    collect(obj, String::new(), &mut out, 0);
    out
}

/// Whether a value is a Kubernetes object (a mapping with a string `kind`).
pub fn is_object(v: &Value) -> bool {
    v.get("kind").is_some_and(Value::is_string)
}

fn collect<'a>(obj: &'a Value, pointer: String, out: &mut Vec<PodRef<'a>>, depth: usize) {
    let Some(kind) = obj["kind"].as_str() else {
        return;
    };
    if depth < 8 && kind.ends_with("List") {
        if let Some(items) = obj["items"].as_array() {
            for (i, item) in items.iter().enumerate() {
                collect(item, format!("{pointer}/items/{i}"), out, depth + 1);
            }
        }
        return;
    }
    let Some(tp) = template_pointer(kind) else {
        return;
    };
    let template = if tp.is_empty() {
        obj
    } else {
        obj.pointer(tp).unwrap_or(&NULL)
    };
    let spec = &template["spec"];
    if !spec.is_object() {
        return;
    }
    out.push(PodRef {
        object: name_of(obj),
        kind: kind.to_string(),
        object_pointer: pointer.clone(),
        spec_pointer: format!("{pointer}{tp}/spec"),
        pod_metadata: template.get("metadata").unwrap_or(&NULL),
        object_metadata: obj.get("metadata").unwrap_or(&NULL),
        spec,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse_documents;

    #[test]
    fn every_pod_bearing_kind() {
        let y = r#"
apiVersion: v1
kind: List
items:
- {kind: Pod, metadata: {name: p}, spec: {containers: []}}
- {kind: Deployment, metadata: {name: d, namespace: prod}, spec: {template: {metadata: {annotations: {a: b}}, spec: {containers: []}}}}
- {kind: CronJob, metadata: {name: c}, spec: {jobTemplate: {spec: {template: {spec: {containers: []}}}}}}
- {kind: PodTemplate, metadata: {name: t}, template: {spec: {containers: []}}}
- {kind: Service, metadata: {name: s}, spec: {}}
"#;
        let docs = parse_documents(y).unwrap();
        let pods = pods(&docs[0]);
        let got: Vec<(&str, &str)> = pods
            .iter()
            .map(|p| (p.object.as_str(), p.spec_pointer.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("Pod/p", "/items/0/spec"),
                ("prod/Deployment/d", "/items/1/spec/template/spec"),
                ("CronJob/c", "/items/2/spec/jobTemplate/spec/template/spec"),
                ("PodTemplate/t", "/items/3/template/spec"),
            ]
        );
        assert_eq!(pods[1].pod_metadata["annotations"]["a"], "b");
    }

    #[test]
    fn long_names_are_cut() {
        let long = "n".repeat(10_000);
        let obj = serde_json::json!({"kind": "Pod", "metadata": {"name": long}, "spec": {}});
        let pods = pods_in(&obj);
        assert_eq!(pods[0].object.chars().count(), 4 + MAX_NAME_CHARS + 1);
        assert!(pods[0].object.ends_with("n…"));
        assert_eq!(clip("abc", 3), "abc");
        let m = clip_message("x".repeat(MAX_MESSAGE_CHARS * 2));
        assert_eq!(m.chars().count(), MAX_MESSAGE_CHARS + 1);
        assert_eq!(clip("abcd", 3), "abc…");
    }
}
