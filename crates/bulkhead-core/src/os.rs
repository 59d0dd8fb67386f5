//! Operating-system identity of an image or root filesystem.

use serde::{Deserialize, Serialize};

/// The detected OS: `family` is the os-release `ID` normalised (debian, ubuntu, alpine, rhel, centos, …),
/// `version` the release used to pick advisories (`12.5`, `3.19.1`, `22.04`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsInfo {
    pub family: String,
    pub version: String,
    /// Human name (`PRETTY_NAME`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pretty_name: Option<String>,
    /// Release codename (`bookworm`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codename: Option<String>,
    /// The file the identity was read from (`etc/os-release`, `etc/debian_version`, …).
    pub source: String,
    /// The release of the package repositories the image is configured with, when the package manager
    /// names one (Alpine's `etc/apk/repositories`: `3.19`, `edge`). Advisories are matched against it,
    /// as Trivy does: an Alpine 3.16 image pulling from edge has edge's packages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
}

impl OsInfo {
    /// `family-version` as used in purl `distro` qualifiers (`debian-12.5`, `alpine-3.19.1`).
    pub fn distro_qualifier(&self) -> String {
        if self.version.is_empty() {
            self.family.clone()
        } else {
            format!("{}-{}", self.family, self.version)
        }
    }
}
