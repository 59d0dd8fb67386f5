//! Deploy-time checks (`bulkhead config`): Kubernetes manifests judged by the Pod Security Standards
//! exactly as the pod-security-admission library judges them, plus best-practice checks.

pub mod dockerfile;
pub mod k8s;
pub mod practice;
pub mod pss;
pub mod settings;
pub mod yaml;

use bulkhead_core::{Finding, Severity};
use pss::{Level, Policy, Violation};

pub use dockerfile::{is_dockerfile_name, lint_dockerfile};
pub use settings::Settings;

/// What to check manifests against.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub pss: Policy,
    /// Run the best-practice rules too (`BH-K8S-*`).
    pub best_practice: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            pss: Policy {
                level: Level::Restricted,
                minor: None,
            },
            best_practice: true,
        }
    }
}

/// Title, remediation and peer IDs of each PSS check (Trivy KSV from its PSS compliance specs, Checkov
/// CKV_K8S where one covers the same control).
pub fn pss_meta(check: &str) -> (&'static str, &'static str, &'static [&'static str]) {
    match check {
        "hostNamespaces" => (
            "Host namespaces",
            "Do not set hostNetwork, hostPID or hostIPC to true.",
            &[
                "KSV008",
                "KSV009",
                "KSV010",
                "CKV_K8S_17",
                "CKV_K8S_18",
                "CKV_K8S_19",
            ],
        ),
        "privileged" => (
            "Privileged containers",
            "Remove securityContext.privileged=true.",
            &["KSV017", "CKV_K8S_16"],
        ),
        "capabilities_baseline" => (
            "Non-default capabilities",
            "Add only capabilities of the default set (e.g. NET_BIND_SERVICE); drop the others.",
            &["KSV022", "CKV_K8S_39"],
        ),
        "hostPathVolumes" => (
            "hostPath volumes",
            "Replace hostPath volumes with persistentVolumeClaim, emptyDir, configMap or secret volumes.",
            &["KSV023"],
        ),
        "hostPorts" => (
            "Host ports",
            "Remove hostPort from container ports; expose the pod through a Service.",
            &["KSV024", "CKV_K8S_26"],
        ),
        "appArmorProfile" => (
            "AppArmor profile",
            "Use the RuntimeDefault or a Localhost AppArmor profile (or leave it unset).",
            &["KSV002"],
        ),
        "seLinuxOptions" => (
            "SELinux options",
            "Use only the container_t, container_init_t, container_kvm_t or container_engine_t types and do not set user or role.",
            &["KSV025"],
        ),
        "procMount" | "procMount_restricted" => (
            "/proc mount type",
            "Leave securityContext.procMount unset or Default.",
            &["KSV027"],
        ),
        "seccompProfile_baseline" => (
            "Seccomp profile",
            "Do not set the seccomp profile to Unconfined.",
            &["KSV104", "CKV_K8S_31"],
        ),
        "sysctls" => (
            "Unsafe sysctls",
            "Set only the safe sysctls of the Pod Security Standards.",
            &["KSV026"],
        ),
        "windowsHostProcess" => (
            "Windows HostProcess",
            "Do not run Windows HostProcess containers.",
            &["KSV103"],
        ),
        "hostProbesAndHostLifecycle" => (
            "Probe or lifecycle host",
            "Leave httpGet.host and tcpSocket.host of probes and lifecycle hooks unset (the pod's IP).",
            &[],
        ),
        "restrictedVolumes" => (
            "Volume types",
            "Use only configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected and secret volumes.",
            &["KSV028"],
        ),
        "runAsNonRoot" => (
            "Running as non-root",
            "Set securityContext.runAsNonRoot=true on the pod (or every container) and run the image as a non-root user.",
            &["KSV012", "CKV_K8S_23"],
        ),
        "allowPrivilegeEscalation" => (
            "Privilege escalation",
            "Set securityContext.allowPrivilegeEscalation=false on every container.",
            &["KSV001", "CKV_K8S_20"],
        ),
        "seccompProfile_restricted" => (
            "Seccomp profile",
            "Set securityContext.seccompProfile.type to RuntimeDefault (or Localhost) on the pod.",
            &["KSV030", "CKV_K8S_31"],
        ),
        "capabilities_restricted" => (
            "Capabilities",
            "Set securityContext.capabilities.drop=[\"ALL\"] and add at most NET_BIND_SERVICE.",
            &["KSV003", "KSV106", "CKV_K8S_28", "CKV_K8S_37"],
        ),
        "runAsUser" => (
            "Running as non-root user",
            "Do not set runAsUser to 0; use a non-zero UID.",
            &["KSV105"],
        ),
        _ => ("Pod Security Standards", "", &[]),
    }
}

/// The severity of a PSS finding: HIGH for baseline checks, MEDIUM for restricted ones.
pub fn pss_severity(level: Level) -> Severity {
    match level {
        Level::Restricted => Severity::Medium,
        _ => Severity::High,
    }
}

/// PSS and best-practice findings of one parsed document, exemption annotations applied.
pub fn pss_findings(file: &str, doc: &yaml::Document, opts: &Options) -> Vec<Finding> {
    let mut out = Vec::new();
    for pod in k8s::pods(doc) {
        let exempt = practice::exemptions(&pod);
        let is_exempt = |f: &Finding| {
            exempt
                .iter()
                .any(|e| *e == f.rule_id || f.aliases.contains(e))
        };
        let start = out.len();
        if opts.best_practice {
            for h in practice::check(&pod) {
                let pointer = match (&h.spec_pointer, &h.object_pointer) {
                    (Some(p), _) => format!("{}{p}", pod.spec_pointer),
                    (None, Some(p)) => format!("{}{p}", pod.object_pointer),
                    (None, None) => pod.spec_pointer.clone(),
                };
                out.push(Finding {
                    rule_id: h.rule.id.to_string(),
                    severity: h.rule.severity,
                    title: h.rule.title.to_string(),
                    message: h.message,
                    file: file.to_string(),
                    line: doc.line_of(&pointer),
                    object: Some(pod.object.clone()),
                    path: Some(pointer),
                    remediation: Some(h.rule.remediation.to_string()),
                    aliases: h.rule.aliases.iter().map(|s| s.to_string()).collect(),
                });
            }
        }
        let violations: Vec<Violation> = pss::evaluate(opts.pss, pod.pod_metadata, pod.spec);
        for v in violations {
            let pointer = match &v.spec_pointer {
                Some(p) => format!("{}{p}", pod.spec_pointer),
                None => {
                    // Annotations: on the pod (template) metadata.
                    let base = pod
                        .spec_pointer
                        .strip_suffix("/spec")
                        .unwrap_or(&pod.spec_pointer);
                    format!("{base}/metadata/annotations")
                }
            };
            let (title, remediation, aliases) = pss_meta(v.check);
            out.push(Finding {
                rule_id: format!("PSS-{}", v.check),
                severity: pss_severity(v.level),
                title: format!("{title} ({} {})", v.level.as_str(), opts.pss),
                message: v.message(),
                file: file.to_string(),
                line: doc.line_of(&pointer),
                object: Some(pod.object.clone()),
                path: Some(pointer),
                remediation: (!remediation.is_empty()).then(|| remediation.to_string()),
                aliases: aliases.iter().map(|s| s.to_string()).collect(),
            });
        }
        let mut i = start;
        while i < out.len() {
            if is_exempt(&out[i]) {
                out.remove(i);
            } else {
                i += 1;
            }
        }
    }
    out
}

/// Check one manifest file's text (YAML or JSON, one or more documents).
pub fn check_manifest(file: &str, text: &str, opts: &Options) -> Result<Vec<Finding>, String> {
    let docs = yaml::parse_documents(text)?;
    let mut out = Vec::new();
    for d in &docs {
        out.extend(pss_findings(file, d, opts));
    }
    Ok(out)
}
