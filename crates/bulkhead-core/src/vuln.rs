//! The fix status of a vulnerability finding.

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
