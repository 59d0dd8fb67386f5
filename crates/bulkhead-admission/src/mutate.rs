//! Safe mutation (`POST /mutate`, opt-in per namespace): a JSONPatch that fills the secure
//! defaults a pod left unset — the pod's `seccompProfile: RuntimeDefault`, each container's
//! `allowPrivilegeEscalation: false` and `capabilities.drop: ["ALL"]`, and, when asked,
//! `runAsNonRoot: true` — and never changes a value the user set. Only `add` operations on paths
//! that do not exist; a privileged container keeps its privilege escalation unset (Kubernetes
//! refuses `privileged: true` with `allowPrivilegeEscalation: false`). A pod that missed only
//! these defaults then passes `restricted`.
//!
//! Pods only, on CREATE: mutating a Deployment's template would put the cluster out of step with
//! the Deployment its owner applied (GitOps tools report the difference); the pods it creates are
//! mutated when they are created.

use serde::Deserialize;
use serde_json::{Value, json};

/// What the mutation fills.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MutateRules {
    /// Off unless set.
    #[serde(default)]
    pub enabled: bool,
    /// Also `runAsNonRoot: true` where neither the pod nor a container says (an image that runs
    /// as root then fails to start instead of running as root).
    #[serde(default)]
    pub run_as_non_root: bool,
}

/// JSON pointer escaping of one token.
fn token(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// The JSONPatch (`add` operations only) for a pod object; empty when nothing is missing.
pub fn patch(pod: &Value, rules: &MutateRules) -> Vec<Value> {
    let mut ops = Vec::new();
    if !rules.enabled {
        return ops;
    }
    let Some(spec) = pod.get("spec").filter(|s| s.is_object()) else {
        return ops;
    };
    let psc = spec.get("securityContext");
    let pod_sc_missing = psc.is_none_or(Value::is_null);
    let mut pod_sc = serde_json::Map::new();
    if psc
        .and_then(|s| s.get("seccompProfile"))
        .is_none_or(Value::is_null)
    {
        pod_sc.insert("seccompProfile".into(), json!({"type": "RuntimeDefault"}));
    }
    if rules.run_as_non_root {
        let pod_set = psc
            .and_then(|s| s.get("runAsNonRoot"))
            .is_some_and(|v| !v.is_null());
        let all_containers_set = ["containers", "initContainers", "ephemeralContainers"]
            .iter()
            .filter_map(|k| spec.get(*k).and_then(Value::as_array))
            .flatten()
            .all(|c| {
                c.pointer("/securityContext/runAsNonRoot")
                    .is_some_and(|v| !v.is_null())
            });
        if !pod_set && !all_containers_set {
            pod_sc.insert("runAsNonRoot".into(), json!(true));
        }
    }
    if !pod_sc.is_empty() {
        if pod_sc_missing {
            ops.push(json!({"op": "add", "path": "/spec/securityContext", "value": pod_sc}));
        } else {
            for (k, v) in pod_sc {
                ops.push(json!({"op": "add", "path": format!("/spec/securityContext/{}", token(&k)), "value": v}));
            }
        }
    }
    for key in ["initContainers", "containers", "ephemeralContainers"] {
        let Some(list) = spec.get(key).and_then(Value::as_array) else {
            continue;
        };
        for (i, c) in list.iter().enumerate() {
            if !c.is_object() {
                continue;
            }
            let base = format!("/spec/{key}/{i}/securityContext");
            let sc = c.get("securityContext").filter(|s| !s.is_null());
            let privileged = sc
                .and_then(|s| s.get("privileged"))
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let mut add = serde_json::Map::new();
            if !privileged
                && sc
                    .and_then(|s| s.get("allowPrivilegeEscalation"))
                    .is_none_or(Value::is_null)
            {
                add.insert("allowPrivilegeEscalation".into(), json!(false));
            }
            let caps = sc
                .and_then(|s| s.get("capabilities"))
                .filter(|c| !c.is_null());
            let drop_missing = caps.and_then(|c| c.get("drop")).is_none_or(Value::is_null);
            match sc {
                None => {
                    if drop_missing {
                        add.insert("capabilities".into(), json!({"drop": ["ALL"]}));
                    }
                    if !add.is_empty() {
                        ops.push(json!({"op": "add", "path": base, "value": add}));
                    }
                }
                Some(_) => {
                    for (k, v) in add {
                        ops.push(json!({"op": "add", "path": format!("{base}/{k}"), "value": v}));
                    }
                    if drop_missing {
                        match caps {
                            None => ops.push(json!({"op": "add", "path": format!("{base}/capabilities"), "value": {"drop": ["ALL"]}})),
                            Some(_) => ops.push(json!({"op": "add", "path": format!("{base}/capabilities/drop"), "value": ["ALL"]})),
                        }
                    }
                }
            }
        }
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_only_what_is_missing() {
        let on = MutateRules {
            enabled: true,
            run_as_non_root: false,
        };
        let pod = json!({"spec": {"containers": [
            {"name": "a", "image": "x"},
            {"name": "b", "image": "x", "securityContext": {"allowPrivilegeEscalation": true, "capabilities": {"add": ["NET_ADMIN"]}}},
            {"name": "c", "image": "x", "securityContext": {"privileged": true}}
        ], "securityContext": {"runAsUser": 1000}}});
        let ops = patch(&pod, &on);
        let paths: Vec<&str> = ops.iter().map(|o| o["path"].as_str().unwrap()).collect();
        assert_eq!(
            paths,
            [
                "/spec/securityContext/seccompProfile",
                "/spec/containers/0/securityContext",
                "/spec/containers/1/securityContext/capabilities/drop",
                "/spec/containers/2/securityContext/capabilities",
            ]
        );
        assert!(ops.iter().all(|o| o["op"] == "add"));
        assert!(
            patch(
                &pod,
                &MutateRules {
                    enabled: false,
                    run_as_non_root: true
                }
            )
            .is_empty()
        );
    }
}
