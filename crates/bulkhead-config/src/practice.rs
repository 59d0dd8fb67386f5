//! Best-practice checks for pod specs, beyond the Pod Security Standards: resources, probes, image
//! references, service-account tokens, read-only root filesystems, the default namespace, secrets in
//! environment variables, dangerous capabilities, the container runtime socket, low UIDs. Each rule
//! names the same rule of Checkov (`CKV_K8S_*`) and Trivy (`KSV*`) as aliases.
//!
//! Exemptions: `bulkhead.dev/ignore: "ID[,ID]"` on the object or its pod template, and Checkov's
//! `checkov.io/skip<N>: CKV_K8S_20=reason` annotations (naming a Checkov alias skips our rule too).

use crate::k8s::PodRef;
use crate::pss::field;
use bulkhead_core::Severity;
use serde_json::Value;

/// A best-practice rule.
pub struct Rule {
    pub id: &'static str,
    pub severity: Severity,
    pub title: &'static str,
    pub remediation: &'static str,
    pub aliases: &'static [&'static str],
}

/// Every rule, for documentation and listings.
pub static RULES: &[Rule] = &[
    Rule {
        id: "BH-K8S-001",
        severity: Severity::Low,
        title: "CPU and memory requests should be set",
        remediation: "Set resources.requests.cpu and resources.requests.memory (or limits, which requests default to) on every container.",
        aliases: &["CKV_K8S_10", "CKV_K8S_12", "KSV015", "KSV016"],
    },
    Rule {
        id: "BH-K8S-002",
        severity: Severity::Low,
        title: "CPU and memory limits should be set",
        remediation: "Set resources.limits.cpu and resources.limits.memory on every container.",
        aliases: &["CKV_K8S_11", "CKV_K8S_13", "KSV011", "KSV018"],
    },
    Rule {
        id: "BH-K8S-003",
        severity: Severity::Low,
        title: "Liveness and readiness probes should be configured",
        remediation: "Add a livenessProbe and a readinessProbe to every long-running container.",
        aliases: &["CKV_K8S_8", "CKV_K8S_9"],
    },
    Rule {
        id: "BH-K8S-004",
        severity: Severity::Medium,
        title: "Image tag should be fixed (not latest or missing)",
        remediation: "Reference images by a fixed tag or, better, by digest (image@sha256:…).",
        aliases: &["CKV_K8S_14", "KSV013"],
    },
    Rule {
        id: "BH-K8S-005",
        severity: Severity::Low,
        title: "Image should be pinned by digest",
        remediation: "Reference the image by digest (image@sha256:…) so the deployed bytes cannot change.",
        aliases: &["CKV_K8S_43"],
    },
    Rule {
        id: "BH-K8S-006",
        severity: Severity::Low,
        title: "Service account token should not be mounted automatically",
        remediation: "Set automountServiceAccountToken: false on the pod unless it talks to the API server.",
        aliases: &["CKV_K8S_38", "KSV036"],
    },
    Rule {
        id: "BH-K8S-007",
        severity: Severity::Low,
        title: "Root filesystem should be read-only",
        remediation: "Set securityContext.readOnlyRootFilesystem: true and mount emptyDir volumes where writes are needed.",
        aliases: &["CKV_K8S_22", "KSV014"],
    },
    Rule {
        id: "BH-K8S-008",
        severity: Severity::Low,
        title: "The default namespace should not be used",
        remediation: "Deploy into a dedicated namespace (metadata.namespace).",
        aliases: &["CKV_K8S_21", "KSV110"],
    },
    Rule {
        id: "BH-K8S-009",
        severity: Severity::High,
        title: "Secrets should not be written into environment variables",
        remediation: "Reference a Secret (valueFrom.secretKeyRef), or better mount it as a file; never put the value in the manifest.",
        aliases: &["CKV_K8S_35"],
    },
    Rule {
        id: "BH-K8S-010",
        severity: Severity::High,
        title: "Dangerous capabilities should not be added",
        remediation: "Do not add SYS_ADMIN, NET_RAW, SYS_MODULE, SYS_PTRACE, NET_ADMIN or ALL; drop ALL and add only what is needed.",
        aliases: &["CKV_K8S_39", "CKV_K8S_28", "KSV005", "KSV119", "KSV120"],
    },
    Rule {
        id: "BH-K8S-011",
        severity: Severity::Critical,
        title: "The container runtime socket should not be mounted",
        remediation: "Do not mount docker.sock, containerd.sock, crio.sock or podman.sock into pods: it is root on the node.",
        aliases: &["CKV_K8S_27", "KSV006"],
    },
    Rule {
        id: "BH-K8S-012",
        severity: Severity::Low,
        title: "Containers should run as a high UID (over 10000)",
        remediation: "Set securityContext.runAsUser to a UID above 10000 so it maps to no host user.",
        aliases: &["CKV_K8S_40", "KSV020"],
    },
];

fn rule(id: &str) -> &'static Rule {
    RULES.iter().find(|r| r.id == id).expect("known rule")
}

/// A best-practice finding: the rule, the message, and the pointer (relative to the pod spec).
pub struct Hit {
    pub rule: &'static Rule,
    pub message: String,
    pub spec_pointer: Option<String>,
    /// Pointer relative to the object (for metadata findings).
    pub object_pointer: Option<String>,
}

struct C<'a> {
    name: &'a str,
    v: &'a Value,
    ptr: String,
    init: bool,
}

fn containers(spec: &Value) -> Vec<C<'_>> {
    let mut out = Vec::new();
    for list in ["initContainers", "containers"] {
        for (i, c) in field(spec, list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            out.push(C {
                name: c.get("name").and_then(Value::as_str).unwrap_or(""),
                v: c,
                ptr: format!("/{list}/{i}"),
                init: list == "initContainers",
            });
        }
    }
    out
}

const DANGEROUS_CAPS: &[&str] = &[
    "ALL",
    "SYS_ADMIN",
    "NET_RAW",
    "SYS_MODULE",
    "SYS_PTRACE",
    "NET_ADMIN",
    "BPF",
];

const RUNTIME_SOCKETS: &[&str] = &[
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/run/containerd/containerd.sock",
    "/run/containerd/containerd.sock",
    "/var/run/crio/crio.sock",
    "/run/crio/crio.sock",
    "/run/podman/podman.sock",
    "/var/run",
    "/run",
];

/// Run every best-practice rule on one pod.
pub fn check(pod: &PodRef) -> Vec<Hit> {
    let mut out = Vec::new();
    let spec = pod.spec;
    let long_running = !matches!(pod.kind.as_str(), "Job" | "CronJob" | "Pod");
    let mut hit = |id: &str, message: String, spec_pointer: Option<String>| {
        out.push(Hit {
            rule: rule(id),
            message,
            spec_pointer,
            object_pointer: None,
        })
    };
    let psc = field(spec, "securityContext");
    for c in containers(spec) {
        let name = c.name;
        let res = field(c.v, "resources");
        let get = |kind: &str, what: &str| {
            res.and_then(|r| field(r, kind))
                .and_then(|k| field(k, what))
                .is_some()
        };
        // The API server copies a limit into a missing request of every pod it creates
        // (`SetDefaults_Pod`), so a limit counts as the request.
        let missing_req: Vec<&str> = ["cpu", "memory"]
            .into_iter()
            .filter(|w| !get("requests", w) && !get("limits", w))
            .collect();
        if !missing_req.is_empty() {
            hit(
                "BH-K8S-001",
                format!(
                    "container {name:?} sets no {} request",
                    missing_req.join(" or ")
                ),
                Some(c.ptr.clone()),
            );
        }
        let missing_lim: Vec<&str> = ["cpu", "memory"]
            .into_iter()
            .filter(|w| !get("limits", w))
            .collect();
        if !missing_lim.is_empty() {
            hit(
                "BH-K8S-002",
                format!(
                    "container {name:?} sets no {} limit",
                    missing_lim.join(" or ")
                ),
                Some(c.ptr.clone()),
            );
        }
        if long_running && !c.init {
            let missing: Vec<&str> = ["livenessProbe", "readinessProbe"]
                .into_iter()
                .filter(|p| field(c.v, p).is_none())
                .collect();
            if !missing.is_empty() {
                hit(
                    "BH-K8S-003",
                    format!("container {name:?} has no {}", missing.join(" or ")),
                    Some(c.ptr.clone()),
                );
            }
        }
        let image = c.v.get("image").and_then(Value::as_str).unwrap_or("");
        if !image.is_empty() {
            let (tag, digest) = bulkhead_core::names::image_tag_and_digest(image);
            let img_ptr = Some(format!("{}/image", c.ptr));
            if digest.is_none() && matches!(tag, None | Some("latest")) {
                hit(
                    "BH-K8S-004",
                    format!(
                        "container {name:?} uses image {image:?} ({})",
                        if tag.is_none() {
                            "no tag: latest"
                        } else {
                            "tag latest"
                        }
                    ),
                    img_ptr.clone(),
                );
            } else if digest.is_none() {
                hit(
                    "BH-K8S-005",
                    format!("container {name:?} uses image {image:?} without a digest"),
                    img_ptr,
                );
            }
        }
        let sc = field(c.v, "securityContext");
        if sc
            .and_then(|s| field(s, "readOnlyRootFilesystem"))
            .and_then(Value::as_bool)
            != Some(true)
        {
            hit(
                "BH-K8S-007",
                format!(
                    "container {name:?} does not set securityContext.readOnlyRootFilesystem=true"
                ),
                Some(c.ptr.clone()),
            );
        }
        for (i, e) in field(c.v, "env")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let var = e.get("name").and_then(Value::as_str).unwrap_or("");
            let literal = e
                .get("value")
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty());
            if let Some(_value) = literal
                && bulkhead_core::names::credential_name(var)
            {
                hit(
                    "BH-K8S-009",
                    format!("container {name:?} sets {var} to a literal value in the manifest"),
                    Some(format!("{}/env/{i}/value", c.ptr)),
                );
            }
        }
        let added: Vec<String> = sc
            .and_then(|s| field(s, "capabilities"))
            .and_then(|cs| field(cs, "add"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|s| s.trim_start_matches("CAP_").to_ascii_uppercase())
            .filter(|s| DANGEROUS_CAPS.contains(&s.as_str()))
            .collect();
        if !added.is_empty() {
            hit(
                "BH-K8S-010",
                format!("container {name:?} adds {}", added.join(", ")),
                Some(format!("{}/securityContext/capabilities/add", c.ptr)),
            );
        }
        let uid = sc
            .and_then(|s| field(s, "runAsUser"))
            .or_else(|| psc.and_then(|p| field(p, "runAsUser")))
            .and_then(Value::as_i64);
        if let Some(u) = uid
            && (1..=10000).contains(&u)
        {
            hit(
                "BH-K8S-012",
                format!("container {name:?} runs as UID {u}, which may exist on the host"),
                Some(c.ptr.clone()),
            );
        }
    }
    if field(spec, "automountServiceAccountToken").and_then(Value::as_bool) != Some(false) {
        hit(
            "BH-K8S-006",
            "the pod does not set automountServiceAccountToken: false".to_string(),
            None,
        );
    }
    for (i, v) in field(spec, "volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let path = v
            .get("hostPath")
            .and_then(|h| h.get("path"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let path = path.trim_end_matches('/');
        if !path.is_empty() && RUNTIME_SOCKETS.contains(&path) {
            let vname = v.get("name").and_then(Value::as_str).unwrap_or("");
            hit(
                "BH-K8S-011",
                format!("volume {vname:?} mounts the host's {path}"),
                Some(format!("/volumes/{i}/hostPath/path")),
            );
        }
    }
    let ns = pod.object_metadata.get("namespace").and_then(Value::as_str);
    if ns == Some("default") {
        out.push(Hit {
            rule: rule("BH-K8S-008"),
            message: "the object is in the default namespace".to_string(),
            spec_pointer: None,
            object_pointer: Some("/metadata/namespace".to_string()),
        });
    }
    out
}

/// Rule IDs exempted for a pod: `bulkhead.dev/ignore: "ID,ID"` and Checkov's `checkov.io/skip*:
/// CKV_K8S_n=reason` on the object or its pod template (a Checkov ID exempts our rules that alias it).
pub fn exemptions(pod: &PodRef) -> Vec<String> {
    let mut out = Vec::new();
    for meta in [pod.object_metadata, pod.pod_metadata] {
        let Some(ann) = meta.get("annotations").and_then(Value::as_object) else {
            continue;
        };
        for (k, v) in ann {
            let v = v.as_str().unwrap_or("");
            if k == "bulkhead.dev/ignore" {
                out.extend(
                    v.split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty()),
                );
            } else if ["checkov.io/skip", "bridgecrew.io/skip", "cortex.io/skip"]
                .iter()
                .any(|p| k.starts_with(p))
            {
                let id = v.split('=').next().unwrap_or("").trim();
                if !id.is_empty() {
                    out.push(id.to_string());
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::k8s::pods;
    use crate::yaml::parse_documents;

    fn ids(y: &str) -> Vec<(String, String)> {
        let docs = parse_documents(y).unwrap();
        let pod = &pods(&docs[0])[0];
        check(pod)
            .into_iter()
            .map(|h| (h.rule.id.to_string(), h.message))
            .collect()
    }

    #[test]
    fn rules_fire_where_they_should() {
        let good = r#"
kind: Deployment
metadata: {name: w, namespace: shop}
spec:
  template:
    spec:
      automountServiceAccountToken: false
      containers:
      - name: app
        image: registry.example/app:1.2@sha256:0000000000000000000000000000000000000000000000000000000000000000
        resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {cpu: 1, memory: 128Mi}}
        livenessProbe: {httpGet: {path: /, port: 80}}
        readinessProbe: {httpGet: {path: /, port: 80}}
        securityContext: {readOnlyRootFilesystem: true, runAsUser: 20000}
        env: [{name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: db, key: pw}}}]
"#;
        assert_eq!(
            ids(good),
            vec![],
            "a well-configured Deployment has no finding"
        );
        let bad = r#"
kind: Deployment
metadata: {name: w, namespace: default}
spec:
  template:
    spec:
      volumes: [{name: sock, hostPath: {path: /var/run/docker.sock}}]
      containers:
      - name: app
        image: app
        env: [{name: API_TOKEN, value: abc123}, {name: LOG_LEVEL, value: debug}]
        securityContext: {runAsUser: 1000, capabilities: {add: [NET_RAW, CHOWN, CAP_SYS_ADMIN]}}
"#;
        let got: Vec<String> = ids(bad)
            .into_iter()
            .map(|(i, m)| format!("{i}: {m}"))
            .collect();
        for want in [
            "BH-K8S-004: container \"app\" uses image \"app\" (no tag: latest)",
            "BH-K8S-009: container \"app\" sets API_TOKEN to a literal value in the manifest",
            "BH-K8S-010: container \"app\" adds NET_RAW, SYS_ADMIN",
            "BH-K8S-011: volume \"sock\" mounts the host's /var/run/docker.sock",
            "BH-K8S-012: container \"app\" runs as UID 1000, which may exist on the host",
            "BH-K8S-008: the object is in the default namespace",
            "BH-K8S-006: the pod does not set automountServiceAccountToken: false",
        ] {
            assert!(got.contains(&want.to_string()), "missing {want}: {got:#?}");
        }
        assert!(!got.iter().any(|g| g.contains("LOG_LEVEL")));
        // A limit is the request the API server defaults to.
        let limits = "kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, image: a:1, resources: {limits: {cpu: 1, memory: 1Gi}}}]}\n";
        assert!(!ids(limits).iter().any(|(i, _)| i == "BH-K8S-001"));
        assert!(ids(limits).iter().all(|(i, _)| i != "BH-K8S-002"));
        let half = "kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, image: a:1, resources: {limits: {cpu: 1}}}]}\n";
        assert!(ids(half).contains(&(
            "BH-K8S-001".to_string(),
            "container \"a\" sets no memory request".to_string()
        )));
        // Jobs are not long-running: no probe rule.
        let job = "kind: Job\nmetadata: {name: j}\nspec: {template: {spec: {containers: [{name: a, image: a:1}]}}}\n";
        assert!(!ids(job).iter().any(|(i, _)| i == "BH-K8S-003"));
    }
}
