//! The defaulting the Kubernetes API server applies to a pod before admission sees it
//! (`pkg/apis/core/v1/defaults.go`), limited to what the checks read. PSA (and so an admission
//! webhook) judges the object *after* defaulting; a manifest on disk is judged before it, so the
//! config stage applies the same defaults first:
//!
//! * `SetDefaults_Volume`: a volume with no volume source at all becomes `emptyDir: {}` (every pod
//!   spec: Pods and workload templates). Without this, PSS `restricted` would deny such a volume as
//!   type "unknown" although the cluster admits it.
//! * `SetDefaults_Pod` (`v1.Pod` objects only, not templates): with `hostNetwork: true`, every
//!   container and init container port without a `hostPort` gets `hostPort = containerPort`, so
//!   PSA reports those ports under `hostPorts` (as it does in a cluster).
//!
//! (`SetDefaults_Pod` also copies a container's limits into missing requests, on every pod a
//! workload creates; the best-practice rule BH-K8S-001 counts a limit as the request for that
//! reason, without defaulting here.)
//!
//! Checked and not needed: `SetDefaults_PodSpec` (an empty pod `securityContext` — PSA treats unset
//! and empty alike), probe and `httpGet` defaults (`path`, `scheme`; never `host`), container
//! `imagePullPolicy`/termination defaults, `hostPath.type`. Nothing in defaults.go sets a
//! `securityContext` field, capabilities, `procMount`, seccomp or AppArmor profiles, sysctls or
//! `hostUsers`. (The pod strategy's AppArmor annotation/field synchronisation copies one allowed or
//! forbidden value to the other form; it changes how many places PSA names, never its verdict.)
//!
//! Defaulting is idempotent: an object an admission webhook receives is already defaulted and comes
//! out unchanged.

use serde_json::{Map, Value};
use std::borrow::Cow;

/// Every field of `VolumeSource` (k8s.io/api core/v1): a volume with none of them set is defaulted.
pub const VOLUME_SOURCES: &[&str] = &[
    "awsElasticBlockStore",
    "azureDisk",
    "azureFile",
    "cephfs",
    "cinder",
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "fc",
    "flexVolume",
    "flocker",
    "gcePersistentDisk",
    "gitRepo",
    "glusterfs",
    "hostPath",
    "image",
    "iscsi",
    "nfs",
    "persistentVolumeClaim",
    "photonPersistentDisk",
    "portworxVolume",
    "projected",
    "quobyte",
    "rbd",
    "scaleIO",
    "secret",
    "storageos",
    "vsphereVolume",
];

/// Whether a pod spec is a Pod's own or a workload's template (`SetDefaults_Pod` only runs on Pods).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecOf {
    Pod,
    Template,
}

/// What defaulting changed: JSON pointers relative to the pod spec, each with why.
pub type Defaulted = Vec<(String, &'static str)>;

fn set(v: &Value, key: &str) -> bool {
    v.get(key).is_some_and(|x| !x.is_null())
}

fn needs_volume_default(v: &Value) -> bool {
    v.is_object() && !VOLUME_SOURCES.iter().any(|s| set(v, s))
}

fn needs_port_default(p: &Value) -> bool {
    let host = p.get("hostPort").and_then(Value::as_i64).unwrap_or(0);
    let container = p.get("containerPort").and_then(Value::as_i64).unwrap_or(0);
    host == 0 && container != 0
}

fn list<'a>(spec: &'a Value, key: &str) -> &'a [Value] {
    spec.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

const PORT_LISTS: [&str; 2] = ["containers", "initContainers"];

/// The pod spec as the API server stores it (see the module documentation), borrowed unchanged when
/// no default applies, with the list of what was defaulted.
pub fn apply(spec: &Value, of: SpecOf) -> (Cow<'_, Value>, Defaulted) {
    let volumes = list(spec, "volumes").iter().any(needs_volume_default);
    let host_network = of == SpecOf::Pod && spec.get("hostNetwork") == Some(&Value::Bool(true));
    let ports = host_network
        && PORT_LISTS.iter().any(|l| {
            list(spec, l)
                .iter()
                .any(|c| list(c, "ports").iter().any(needs_port_default))
        });
    if !(volumes || ports) {
        return (Cow::Borrowed(spec), Vec::new());
    }
    let mut out = spec.clone();
    let mut changed = Vec::new();
    if volumes && let Some(vs) = out.get_mut("volumes").and_then(Value::as_array_mut) {
        for (i, v) in vs.iter_mut().enumerate() {
            if needs_volume_default(v)
                && let Some(m) = v.as_object_mut()
            {
                m.insert("emptyDir".into(), Value::Object(Map::new()));
                changed.push((
                    format!("/volumes/{i}"),
                    "a volume without a volume source is an emptyDir volume (API server default)",
                ));
            }
        }
    }
    for l in PORT_LISTS {
        let Some(cs) = out.get_mut(l).and_then(Value::as_array_mut) else {
            continue;
        };
        for (ci, c) in cs.iter_mut().enumerate() {
            if ports && let Some(ps) = c.get_mut("ports").and_then(Value::as_array_mut) {
                for (pi, p) in ps.iter_mut().enumerate() {
                    if needs_port_default(p) {
                        let cp = p["containerPort"].clone();
                        if let Some(m) = p.as_object_mut() {
                            m.insert("hostPort".into(), cp);
                            changed.push((
                                format!("/{l}/{ci}/ports/{pi}/hostPort"),
                                "with hostNetwork the API server sets hostPort to containerPort",
                            ));
                        }
                    }
                }
            }
        }
    }
    (Cow::Owned(out), changed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn volumes_without_a_source_become_empty_dirs() {
        let spec = json!({"volumes": [{"name": "a"}, {"name": "b", "secret": {}}, {"name": "c", "hostPath": null}], "containers": []});
        let (out, changed) = apply(&spec, SpecOf::Template);
        assert_eq!(out["volumes"][0], json!({"name": "a", "emptyDir": {}}));
        assert_eq!(out["volumes"][1], json!({"name": "b", "secret": {}}));
        assert_eq!(out["volumes"][2]["emptyDir"], json!({}), "null is unset");
        assert_eq!(
            changed.iter().map(|c| c.0.as_str()).collect::<Vec<_>>(),
            ["/volumes/0", "/volumes/2"]
        );
        // Idempotent: the defaulted spec is borrowed unchanged.
        let (again, none) = apply(&out, SpecOf::Template);
        assert!(matches!(again, Cow::Borrowed(_)) && none.is_empty());
    }

    #[test]
    fn host_network_ports_only_on_pods() {
        let spec = json!({"hostNetwork": true, "containers": [{"name": "a", "ports": [{"containerPort": 80}, {"containerPort": 81, "hostPort": 9000}]}],
                          "initContainers": [{"name": "i", "ports": [{"containerPort": 53, "hostPort": 0}]}]});
        let (out, changed) = apply(&spec, SpecOf::Pod);
        assert_eq!(out["containers"][0]["ports"][0]["hostPort"], 80);
        assert_eq!(out["containers"][0]["ports"][1]["hostPort"], 9000);
        assert_eq!(out["initContainers"][0]["ports"][0]["hostPort"], 53);
        assert_eq!(changed.len(), 2);
        let (tpl, none) = apply(&spec, SpecOf::Template);
        assert!(matches!(tpl, Cow::Borrowed(_)) && none.is_empty());
        let no_hn = json!({"containers": [{"name": "a", "ports": [{"containerPort": 80}]}]});
        assert!(apply(&no_hn, SpecOf::Pod).1.is_empty());
    }
}
