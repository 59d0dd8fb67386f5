//! The one findings model every stage speaks: a vulnerability in a package, a misconfiguration in a
//! Dockerfile or manifest, a file that could not be parsed, a secret, a runtime alert, an admission
//! decision. Renderers (table, JSON, SARIF, JUnit, CycloneDX) take a [`Report`] of [`Target`]s and
//! their findings; nothing here does I/O.

use crate::{Artifact, PackageKind, Severity, VulnStatus};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of the JSON report's schema (`docs/report.schema.json`). Bumped on any incompatible change.
pub const REPORT_SCHEMA_VERSION: u32 = 2;

/// The rule id of a finding that says an input could not be read or parsed (so it was not checked).
pub const PARSE_RULE_ID: &str = "BH-PARSE";

/// What kind of problem a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    /// A known flaw (CVE, GHSA, …) in an installed package.
    Vulnerability,
    /// A Dockerfile, manifest or image-configuration check that failed.
    Misconfiguration,
    /// A credential found in a file or image layer.
    Secret,
    /// A runtime rule (Falco language) that matched an event.
    RuntimeAlert,
    /// A decision of a policy (admission: denied or warned).
    PolicyDecision,
    /// An input that could not be read or parsed, so it was not checked (rule [`PARSE_RULE_ID`]).
    InputError,
}

impl FindingKind {
    /// Every kind, in report order.
    pub const ALL: [FindingKind; 6] = [
        FindingKind::Vulnerability,
        FindingKind::Misconfiguration,
        FindingKind::Secret,
        FindingKind::RuntimeAlert,
        FindingKind::PolicyDecision,
        FindingKind::InputError,
    ];

    /// The name as reports write it (`vulnerability`, `runtime-alert`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Vulnerability => "vulnerability",
            FindingKind::Misconfiguration => "misconfiguration",
            FindingKind::Secret => "secret",
            FindingKind::RuntimeAlert => "runtime-alert",
            FindingKind::PolicyDecision => "policy-decision",
            FindingKind::InputError => "input-error",
        }
    }
}

/// The CVSS score a severity was derived from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cvss {
    /// Base score, 0.0–10.0.
    pub score: f64,
    /// The vector (`CVSS:3.1/AV:N/…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vector: Option<String>,
}

/// The package a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PackageRef {
    /// `Package::key()`: unique inside one target (`deb:openssl@3.0.11-1~deb12u2:amd64`).
    pub key: String,
    pub name: String,
    /// The installed version as its ecosystem writes it (with epoch and release).
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<PackageKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
}

/// How to fix a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Fix {
    /// The first version that fixes it (vulnerabilities).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// What to change (misconfigurations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<String>,
}

/// The container of a runtime finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ContainerRef {
    /// Container id (`host` for processes outside containers, as Falco writes it).
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_digest: Option<String>,
}

/// The process of a runtime finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ProcessRef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmdline: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}

/// Where inside its target a finding is. Every part is optional; each kind fills what it knows:
/// a misconfiguration has file, line, object and pointer; a vulnerability the package database path
/// and layer; a runtime alert the container and process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Location {
    /// A file: the checked file, or a path inside an image (`var/lib/dpkg/status`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 1-based line in `file`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// The image layer (diff id) that wrote `file`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    /// The Kubernetes object (`Deployment/web`, `default/Pod/web`) or Dockerfile stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// JSON pointer of the offending node inside the object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<ContainerRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<ProcessRef>,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub kind: FindingKind,
    /// Stable rule or advisory id: `CVE-2024-1234`, `DL3008`, `PSS-runAsNonRoot`, `BH-K8S-001`, a
    /// Falco rule name, [`PARSE_RULE_ID`].
    pub id: String,
    /// The same finding's ids elsewhere (GHSA/PYSEC/DSA for a CVE; Checkov/Trivy/hadolint ids for a
    /// check), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    pub severity: Severity,
    /// Where the severity came from (`CVSS_V3 of GHSA-…`, `Falco priority Warning`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss: Option<Cvss>,
    /// Short title of the rule or advisory.
    pub title: String,
    /// What is wrong at this place.
    pub message: String,
    #[serde(default)]
    pub location: Location,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<PackageRef>,
    /// Whether a fix exists (vulnerabilities).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<VulnStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// Supporting facts by name: the advisory records and data source of a vulnerability, a runtime
    /// alert's output fields and tags, a check's level and version.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub evidence: BTreeMap<String, serde_json::Value>,
}

impl Finding {
    /// A finding with the required parts; the rest empty.
    pub fn new(
        kind: FindingKind,
        id: impl Into<String>,
        severity: Severity,
        title: impl Into<String>,
        message: impl Into<String>,
    ) -> Finding {
        Finding {
            kind,
            id: id.into(),
            aliases: Vec::new(),
            severity,
            severity_source: None,
            cvss: None,
            title: title.into(),
            message: message.into(),
            location: Location::default(),
            package: None,
            status: None,
            fix: None,
            references: Vec::new(),
            evidence: BTreeMap::new(),
        }
    }

    /// The finding of an input that could not be read or parsed: HIGH, so a gate trips on it.
    pub fn input_error(file: &str, line: Option<u32>, message: impl Into<String>) -> Finding {
        let mut f = Finding::new(
            FindingKind::InputError,
            PARSE_RULE_ID,
            Severity::High,
            "Input could not be parsed",
            message,
        );
        f.location.file = Some(file.to_string());
        f.location.line = line;
        f.fix = Some(Fix {
            version: None,
            remediation: Some(
                "Fix the syntax (or remove the file from the paths checked): a file that cannot be parsed is not checked."
                    .into(),
            ),
        });
        f
    }

    /// The fixed version, when there is one.
    pub fn fixed_version(&self) -> Option<&str> {
        self.fix.as_ref().and_then(|f| f.version.as_deref())
    }

    /// The remediation text, when there is one.
    pub fn remediation(&self) -> Option<&str> {
        self.fix.as_ref().and_then(|f| f.remediation.as_deref())
    }

    /// The package's name (`""` when the finding is not about a package).
    pub fn package_name(&self) -> &str {
        self.package.as_ref().map_or("", |p| p.name.as_str())
    }

    /// The installed version of the package (`""` when the finding is not about a package).
    pub fn installed_version(&self) -> &str {
        self.package.as_ref().map_or("", |p| p.version.as_str())
    }

    /// A string evidence value.
    pub fn evidence_str(&self, key: &str) -> Option<&str> {
        self.evidence.get(key).and_then(|v| v.as_str())
    }

    /// The advisory records a vulnerability finding was built from (evidence `advisories`).
    pub fn advisories(&self) -> Vec<&str> {
        self.evidence
            .get("advisories")
            .and_then(|v| v.as_array())
            .map(|a| a.iter().filter_map(|x| x.as_str()).collect())
            .unwrap_or_default()
    }

    /// The advisory ecosystem that matched a vulnerability (`Debian:12`, `PyPI`; evidence
    /// `data_source`).
    pub fn data_source(&self) -> &str {
        self.evidence_str("data_source").unwrap_or("")
    }

    /// Whether `id` names this finding (its id or one of its aliases).
    pub fn is_named(&self, id: &str) -> bool {
        self.id == id || self.aliases.iter().any(|a| a == id)
    }
}

/// What a target is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TargetKind {
    /// A container image (any source).
    Image,
    /// A directory or unpacked root filesystem.
    Filesystem,
    Dockerfile,
    /// A Kubernetes manifest file (or an object given in memory).
    Kubernetes,
    /// A file that is neither (reported with an input error).
    File,
    /// A runtime event stream (a capture, a live sensor).
    Runtime,
}

/// One thing that was scanned, with what was found in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    /// As the user named it (path, image reference, `-` for stdin).
    pub name: String,
    pub kind: TargetKind,
    /// The inventory of an image or filesystem target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact: Option<Artifact>,
    #[serde(default)]
    pub findings: Vec<Finding>,
}

impl Target {
    pub fn new(name: impl Into<String>, kind: TargetKind) -> Target {
        Target {
            name: name.into(),
            kind,
            artifact: None,
            findings: Vec::new(),
        }
    }
}

/// The outcome of one run of a pipeline: the targets scanned and their findings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Report {
    pub targets: Vec<Target>,
    /// Scanners that ran (`vulnerability`, `misconfiguration`, …); a kind absent here was not looked
    /// for, which differs from "looked for and none found".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scanners: Vec<FindingKind>,
    /// Findings removed by an ignore file or VEX statement (id, package or file, and why).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suppressed: Vec<Suppressed>,
}

/// A finding removed by an ignore file or VEX statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suppressed {
    pub id: String,
    /// The package (`name version`) or file the finding was about.
    pub subject: String,
    /// The ignore file or VEX document, and its reason/justification.
    pub by: String,
}

impl Report {
    /// Every finding of every target.
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.targets.iter().flat_map(|t| t.findings.iter())
    }

    /// Findings counted by severity.
    pub fn counts(&self) -> BTreeMap<Severity, usize> {
        let mut c = BTreeMap::new();
        for f in self.findings() {
            *c.entry(f.severity).or_default() += 1;
        }
        c
    }

    /// Keep only findings `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(&Finding) -> bool) {
        for t in &mut self.targets {
            t.findings.retain(&mut keep);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_serialize_as_their_names() {
        for k in FindingKind::ALL {
            assert_eq!(
                serde_json::to_value(k).unwrap(),
                serde_json::Value::String(k.as_str().into())
            );
        }
    }

    #[test]
    fn input_errors_are_high_and_named() {
        let f = Finding::input_error("deploy.yaml", Some(3), "bad indentation");
        assert_eq!(f.id, PARSE_RULE_ID);
        assert_eq!(f.severity, Severity::High);
        assert_eq!(f.location.line, Some(3));
        assert!(f.remediation().is_some());
        assert!(f.is_named("BH-PARSE") && !f.is_named("DL3008"));
    }

    #[test]
    fn report_counts_and_retains() {
        let mut r = Report::default();
        let mut t = Target::new("x", TargetKind::Dockerfile);
        t.findings.push(Finding::new(
            FindingKind::Misconfiguration,
            "DL3008",
            Severity::Medium,
            "t",
            "m",
        ));
        t.findings
            .push(Finding::input_error("x", None, "cannot read"));
        r.targets.push(t);
        assert_eq!(r.counts().get(&Severity::High), Some(&1));
        r.retain(|f| f.severity >= Severity::High);
        assert_eq!(r.findings().count(), 1);
    }
}
