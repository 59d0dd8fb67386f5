//! Vulnerability findings: one per (package, flaw), aliases merged.

use crate::Severity;
use serde::{Deserialize, Serialize};

/// Whether and how a finding can be fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VulnStatus {
    /// A fixed version exists.
    Fixed,
    /// Affected and no fix is published.
    Affected,
    /// The distribution decided not to fix (e.g. Debian `<no-dsa>`, `<ignored>`).
    WillNotFix,
}

/// A vulnerability affecting one installed package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vulnerability {
    /// Primary ID: the CVE when one is known, else the advisory's own ID (GHSA, PYSEC, DSA, …).
    pub id: String,
    /// Every other ID of the same flaw (CVE, GHSA, PYSEC, OSV, distro advisories), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// The advisory records this finding was built from.
    pub advisories: Vec<String>,
    /// `Package::key()` of the affected package.
    pub package_key: String,
    pub package_name: String,
    pub installed_version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_version: Option<String>,
    pub status: VulnStatus,
    pub severity: Severity,
    /// Where the severity came from (`CVSS_V3 vector`, `GHSA database_specific`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss_score: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss_vector: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The advisory ecosystem that matched (`PyPI`, `Debian:12`, …).
    pub data_source: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
}
