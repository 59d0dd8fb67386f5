//! Bulkhead's shared model. Every stage (image inventory, matching, policy, runtime) speaks these types;
//! nothing here does I/O.

pub mod artifact;
pub mod misconfig;
pub mod os;
pub mod package;
pub mod purl;
pub mod vuln;

pub use artifact::{Artifact, Layer};
pub use misconfig::Finding;
pub use os::OsInfo;
pub use package::{Package, PackageKind};
pub use vuln::{VulnStatus, Vulnerability};

/// Severity shared by every finding kind (vulnerabilities, misconfigurations, runtime alerts).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    Unknown,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
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

    /// Whether a `--severity` list keeps this severity: names in any case, spaces around them
    /// ignored; an empty list keeps every severity.
    pub fn selected_by(self, wanted: &[String]) -> bool {
        wanted.is_empty()
            || wanted
                .iter()
                .any(|w| w.trim().eq_ignore_ascii_case(self.as_str()))
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
        assert!(Severity::High.selected_by(&[" high".into(), "LOW".into()]));
        assert!(!Severity::Medium.selected_by(&["HIGH".into()]));
    }
}
