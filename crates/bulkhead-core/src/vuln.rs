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
    /// The distribution decided not to fix (e.g. Debian `<no-dsa>`, `<ignored>`, Red Hat "Will not fix").
    WillNotFix,
    /// The distribution postponed the fix (Debian `<postponed>`, Red Hat "Fix deferred").
    FixDeferred,
    /// The release is out of support and will get no fix (Debian `<end-of-life>`, Red Hat "Out of
    /// support scope").
    EndOfLife,
}

impl VulnStatus {
    /// The name used in reports and advisory `database_specific.status` (Trivy's names).
    pub fn as_str(self) -> &'static str {
        match self {
            VulnStatus::Fixed => "fixed",
            VulnStatus::Affected => "affected",
            VulnStatus::WillNotFix => "will_not_fix",
            VulnStatus::FixDeferred => "fix_deferred",
            VulnStatus::EndOfLife => "end_of_life",
        }
    }

    /// The status named by an advisory's `database_specific.status`, for entries without a fix.
    pub fn from_advisory_status(s: &str) -> Option<VulnStatus> {
        match s {
            "will_not_fix" => Some(VulnStatus::WillNotFix),
            "fix_deferred" => Some(VulnStatus::FixDeferred),
            "end_of_life" => Some(VulnStatus::EndOfLife),
            "affected" | "unfixed" => Some(VulnStatus::Affected),
            _ => None,
        }
    }
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
