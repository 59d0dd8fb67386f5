//! The scanned artifact: what was read and what it contains. Renderers take this.

use crate::{OsInfo, Package, Vulnerability};
use serde::{Deserialize, Serialize};

/// Schema version of Bulkhead's own JSON report.
pub const REPORT_SCHEMA_VERSION: u32 = 1;

/// One layer of the artifact.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Layer {
    pub diff_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
}

/// An image or filesystem with its inventory.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Artifact {
    /// The target as given by the user.
    pub name: String,
    /// `docker-archive`, `oci-archive`, `oci-dir`, `registry`, `podman`, `rootfs`.
    pub kind: String,
    /// Config digest (image ID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest_digest: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repo_tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repo_digests: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<Layer>,
    /// Number of paths in the final filesystem.
    pub file_count: usize,
    pub os: Option<OsInfo>,
    pub packages: Vec<Package>,
    /// Vulnerabilities found (only when a scan matched against an advisory database).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vulnerabilities: Option<Vec<Vulnerability>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}
