//! Image sources. Each turns a reference into [`ImageMeta`] (config, layer list) and opens layer blobs as
//! compressed streams; the scan verifies digests and decompresses.

pub mod digest;
pub mod docker_archive;
pub mod oci;
pub mod podman;
pub mod registry;
pub mod tarfile;

use crate::Result;
use serde::{Deserialize, Serialize};
use std::io::Read;

/// One layer as the manifest describes it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LayerDesc {
    /// Content digest of the (compressed) blob, verified while streaming.
    pub digest: Option<String>,
    /// Digest of the uncompressed tar (from the config's `rootfs.diff_ids`), verified while streaming.
    pub diff_id: Option<String>,
    pub media_type: Option<String>,
    pub size: Option<u64>,
    /// Where the blob lives inside its container (for messages).
    pub location: String,
}

/// What a source knows about the image before any layer is read.
#[derive(Debug, Clone, Serialize)]
pub struct ImageMeta {
    /// The reference as given by the user.
    pub reference: String,
    /// `docker-archive`, `oci-archive`, `oci-dir`, `registry`, `podman`.
    pub source_kind: &'static str,
    /// Digest of the config blob (the image ID).
    pub config_digest: Option<String>,
    /// Digest of the manifest, when the image has one.
    pub manifest_digest: Option<String>,
    pub repo_tags: Vec<String>,
    pub repo_digests: Vec<String>,
    /// The image configuration document.
    pub config: serde_json::Value,
    pub layers: Vec<LayerDesc>,
}

impl ImageMeta {
    /// `os/architecture[/variant]` from the config.
    pub fn platform(&self) -> Option<String> {
        let os = self.config.get("os")?.as_str()?;
        let arch = self.config.get("architecture")?.as_str()?;
        Some(match self.config.get("variant").and_then(|v| v.as_str()) {
            Some(v) => format!("{os}/{arch}/{v}"),
            None => format!("{os}/{arch}"),
        })
    }

    /// The non-empty history entries' `created_by`, aligned with layers.
    pub fn layer_history(&self) -> Vec<Option<String>> {
        let mut out = Vec::new();
        if let Some(hist) = self.config.get("history").and_then(|h| h.as_array()) {
            for h in hist {
                if h.get("empty_layer").and_then(|e| e.as_bool()) == Some(true) {
                    continue;
                }
                out.push(
                    h.get("created_by")
                        .and_then(|c| c.as_str())
                        .map(str::to_string),
                );
            }
        }
        if out.len() != self.layers.len() {
            return vec![None; self.layers.len()];
        }
        out
    }

    /// Layer `index`, or an error naming it.
    pub fn layer(&self, index: usize) -> Result<&LayerDesc> {
        self.layers
            .get(index)
            .ok_or_else(|| crate::Error::Invalid(format!("{}: no layer {index}", self.reference)))
    }

    /// The run configuration (`config.config`: `User`, `Env`, `Entrypoint`, `Cmd`, `Labels`, …);
    /// `Null` when the image has none.
    pub fn run_config(&self) -> &serde_json::Value {
        self.config
            .get("config")
            .unwrap_or(&serde_json::Value::Null)
    }

    /// Every build step's command (`history[i].created_by`, `""` when a step has none) with its
    /// index in `history`, empty layers included.
    pub fn build_steps(&self) -> impl Iterator<Item = (usize, &str)> {
        self.config
            .get("history")
            .and_then(|h| h.as_array())
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(i, h)| {
                (
                    i,
                    h.get("created_by").and_then(|c| c.as_str()).unwrap_or(""),
                )
            })
    }

    /// `config.rootfs.diff_ids`.
    pub fn diff_ids(&self) -> Vec<String> {
        self.config
            .pointer("/rootfs/diff_ids")
            .and_then(|d| d.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A container image whose layers can be streamed one by one.
pub trait ImageSource: Send + Sync {
    /// Manifest-level facts.
    fn meta(&self) -> &ImageMeta;
    /// Open layer `index` (0 = bottom) as its stored, possibly compressed, byte stream.
    fn open_layer(&self, index: usize) -> Result<Box<dyn Read + Send + '_>>;
}

/// A platform selector `os/arch[/variant]` for multi-platform images.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl Platform {
    /// Parse `linux/arm64/v8`.
    pub fn parse(s: &str) -> Result<Self> {
        let parts: Vec<&str> = s.split('/').collect();
        match parts.as_slice() {
            [os, arch] if !os.is_empty() && !arch.is_empty() => Ok(Platform {
                os: os.to_string(),
                architecture: arch.to_string(),
                variant: None,
            }),
            [os, arch, v] if !os.is_empty() && !arch.is_empty() && !v.is_empty() => Ok(Platform {
                os: os.to_string(),
                architecture: arch.to_string(),
                variant: Some(v.to_string()),
            }),
            _ => Err(crate::Error::Invalid(format!(
                "--platform {s:?}: expected os/arch[/variant], e.g. linux/amd64"
            ))),
        }
    }

    /// The platform of this machine, in OCI terms.
    pub fn host() -> Self {
        let arch = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "x86" => "386",
            "powerpc64" => "ppc64le",
            "s390x" => "s390x",
            "arm" => "arm",
            other => other,
        };
        Platform {
            os: "linux".into(),
            architecture: arch.into(),
            variant: None,
        }
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.variant {
            Some(v) => write!(f, "{}/{}/{}", self.os, self.architecture, v),
            None => write!(f, "{}/{}", self.os, self.architecture),
        }
    }
}
