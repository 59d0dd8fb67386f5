//! Bulkhead's shared model. Every stage (image inventory, matching, policy, runtime) speaks these types;
//! nothing here does I/O.

pub mod artifact;
pub mod cleanup;
pub mod finding;
pub mod input;
pub mod names;
pub mod os;
pub mod package;
pub mod purl;
pub mod skip;
pub mod vuln;

pub use artifact::{Artifact, Layer};
pub use finding::{
    ContainerRef, Cvss, Finding, FindingKind, Fix, Location, PARSE_RULE_ID, PackageRef, ProcessRef,
    REPORT_SCHEMA_VERSION, Report, Suppressed, Target, TargetKind,
};
pub use os::OsInfo;
pub use package::{Package, PackageKind};
pub use skip::{PatternError, SkipPatterns};
pub use vuln::VulnStatus;

/// Severity shared by every finding kind (vulnerabilities, misconfigurations, runtime alerts).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    #[cfg_attr(feature = "clap", value(name = "UNKNOWN"))]
    Unknown,
    #[cfg_attr(feature = "clap", value(name = "LOW"))]
    Low,
    #[cfg_attr(feature = "clap", value(name = "MEDIUM"))]
    Medium,
    #[cfg_attr(feature = "clap", value(name = "HIGH"))]
    High,
    #[cfg_attr(feature = "clap", value(name = "CRITICAL"))]
    Critical,
}

/// A value that is not one of a setting's names; the message lists the valid ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?} (valid: {})", valid.join(", "))]
pub struct UnknownValue {
    /// What was being named (`severity`, `priority`, `format`).
    pub what: &'static str,
    pub value: String,
    pub valid: &'static [&'static str],
}

impl Severity {
    /// Every severity, lowest first.
    pub const ALL: [Severity; 5] = [
        Severity::Unknown,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The names `FromStr` accepts (in any case).
    pub const NAMES: &'static [&'static str] = &["UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"];

    /// The name as reports write it (`CRITICAL`, …; the same as the serde form).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Unknown => "UNKNOWN",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }

    /// Whether a `--severity` selection keeps this severity; an empty selection keeps every one.
    pub fn selected_by(self, wanted: &[Severity]) -> bool {
        wanted.is_empty() || wanted.contains(&self)
    }

    /// The Falco priority standing for this severity (the inverse of [`Priority::severity`] on its
    /// image): CRITICAL → Critical, HIGH → Error, MEDIUM → Warning, LOW → Notice,
    /// UNKNOWN → Informational.
    pub fn priority(self) -> Priority {
        match self {
            Severity::Critical => Priority::Critical,
            Severity::High => Priority::Error,
            Severity::Medium => Priority::Warning,
            Severity::Low => Priority::Notice,
            Severity::Unknown => Priority::Informational,
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Severity {
    type Err = UnknownValue;
    /// A severity name in any case, spaces around it ignored.
    fn from_str(s: &str) -> Result<Severity, UnknownValue> {
        let t = s.trim();
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(t))
            .ok_or_else(|| UnknownValue {
                what: "severity",
                value: s.to_string(),
                valid: Severity::NAMES,
            })
    }
}

/// Falco rule priorities (`falco_common::priority_type`), highest first. The one mapping between
/// them and [`Severity`] is [`Priority::severity`] / [`Severity::priority`].
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Priority {
    Emergency,
    Alert,
    Critical,
    Error,
    Warning,
    Notice,
    Informational,
    Debug,
}

impl Priority {
    /// Every priority, highest first.
    pub const ALL: [Priority; 8] = [
        Priority::Emergency,
        Priority::Alert,
        Priority::Critical,
        Priority::Error,
        Priority::Warning,
        Priority::Notice,
        Priority::Informational,
        Priority::Debug,
    ];

    /// Case-insensitive, with `info` for `informational` (Falco's `parse_priority`).
    pub fn parse(s: &str) -> Option<Priority> {
        let l = s.to_ascii_lowercase();
        Some(match l.as_str() {
            "emergency" => Priority::Emergency,
            "alert" => Priority::Alert,
            "critical" => Priority::Critical,
            "error" => Priority::Error,
            "warning" => Priority::Warning,
            "notice" => Priority::Notice,
            "informational" | "info" => Priority::Informational,
            "debug" => Priority::Debug,
            _ => return None,
        })
    }

    /// Falco's name for the priority (`Warning`, `Informational`...).
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Emergency => "Emergency",
            Priority::Alert => "Alert",
            Priority::Critical => "Critical",
            Priority::Error => "Error",
            Priority::Warning => "Warning",
            Priority::Notice => "Notice",
            Priority::Informational => "Informational",
            Priority::Debug => "Debug",
        }
    }

    /// The severity of an alert of this priority: Emergency, Alert, Critical → CRITICAL;
    /// Error → HIGH; Warning → MEDIUM; Notice → LOW; Informational, Debug → UNKNOWN (no risk rating).
    pub fn severity(self) -> Severity {
        match self {
            Priority::Emergency | Priority::Alert | Priority::Critical => Severity::Critical,
            Priority::Error => Severity::High,
            Priority::Warning => Severity::Medium,
            Priority::Notice => Severity::Low,
            Priority::Informational | Priority::Debug => Severity::Unknown,
        }
    }
}

#[cfg(test)]
mod severity_tests {
    use super::Severity;

    #[test]
    fn names_and_selection() {
        for s in [
            Severity::Unknown,
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ] {
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                serde_json::Value::String(s.as_str().into())
            );
        }
        assert!(Severity::High.selected_by(&[]));
        let wanted: Vec<Severity> = [" high", "LOW"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        assert!(Severity::High.selected_by(&wanted));
        assert!(!Severity::Medium.selected_by(&wanted));
        let err = "SEVERE".parse::<Severity>().unwrap_err().to_string();
        assert_eq!(
            err,
            "unknown severity \"SEVERE\" (valid: UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL)"
        );
    }

    #[test]
    fn priorities_map_to_severities_and_back() {
        use super::Priority;
        for s in Severity::ALL {
            assert_eq!(s.priority().severity(), s, "{s}");
        }
        for p in Priority::ALL {
            assert_eq!(Priority::parse(p.as_str()), Some(p));
            // A priority's severity maps back to a priority at least as high as the severity's floor.
            assert_eq!(p.severity().priority().severity(), p.severity());
        }
        assert_eq!(Priority::parse("INFO"), Some(Priority::Informational));
        assert_eq!(Priority::Error.severity(), Severity::High);
    }
}
