//! Configuration findings (Dockerfiles, Kubernetes manifests): one per (rule, file, object, place).

use crate::Severity;
use serde::{Deserialize, Serialize};

/// A misconfiguration found in a file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Rule ID: `PSS-runAsNonRoot`, `DL3008`, `BH-K8S-001`, …
    pub rule_id: String,
    pub severity: Severity,
    /// Short title of the rule.
    pub title: String,
    /// What is wrong here (PSA-style for PSS checks).
    pub message: String,
    /// The file (`-` for stdin).
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// The object (`Deployment/web`) or Dockerfile stage, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// JSON pointer of the offending node inside the document (manifests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// How to fix it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<String>,
    /// The same rule's IDs in other tools (Checkov `CKV_K8S_*`, Trivy `KSV*`, hadolint `DL*`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
}
