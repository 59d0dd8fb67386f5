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
