//! The scanned artifact: what was read and what it contains (the inventory of an image or
//! filesystem target).

use crate::{OsInfo, Package};
use serde::{Deserialize, Serialize};

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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
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
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}
