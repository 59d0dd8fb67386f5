//! `docker save` / `podman save --format docker-archive` tars: `manifest.json` lists the config and the
//! layer members; the config's `rootfs.diff_ids` give each layer's uncompressed digest, which is
//! verified while the layer streams.

use super::tarfile::TarFile;
use super::{ImageMeta, ImageSource, LayerDesc, digest};
use crate::{Error, Limits, Result};
use serde::Deserialize;
use std::io::Read;
use std::path::Path;

#[derive(Deserialize)]
struct ManifestEntry {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers")]
    layers: Vec<String>,
}

/// An opened docker-archive.
pub struct DockerArchive {
    tar: TarFile,
    meta: ImageMeta,
    members: Vec<String>,
}

impl DockerArchive {
    /// Whether the indexed tar looks like a docker-archive.
    pub fn detect(tar: &TarFile) -> bool {
        tar.contains("manifest.json")
    }

    /// Open from an indexed tar. `tag` picks one image when the archive holds several.
    pub fn open(tar: TarFile, reference: &str, tag: Option<&str>, limits: &Limits) -> Result<Self> {
        let where_ = tar.path().display().to_string();
        let raw = tar.read_member("manifest.json", limits.max_json)?;
        let entries: Vec<ManifestEntry> = serde_json::from_slice(&raw)
            .map_err(|e| Error::json(format!("{where_}: manifest.json"), e))?;
        let entry = match tag {
            Some(t) => entries
                .into_iter()
                .find(|e| {
                    e.repo_tags.iter().flatten().any(|rt| {
                        rt == t || rt.ends_with(&format!("/{t}")) || rt.ends_with(&format!(":{t}"))
                    })
                })
                .ok_or_else(|| {
                    Error::Invalid(format!("{where_}: no image tagged {t:?} in manifest.json"))
                })?,
            None => {
                let n = entries.len();
                let mut it = entries.into_iter();
                let first = it.next().ok_or_else(|| {
                    Error::Invalid(format!("{where_}: manifest.json lists no image"))
                })?;
                if n > 1 {
                    tracing::warn!(
                        "{where_}: {n} images in the archive; scanning the first (select one with :tag)"
                    );
                }
                first
            }
        };
        let config_raw = tar.read_member(&entry.config, limits.max_json)?;
        let config: serde_json::Value = serde_json::from_slice(&config_raw)
            .map_err(|e| Error::json(format!("{where_}: {}", entry.config), e))?;
        let config_digest = digest::sha256_of(&config_raw);
        let mut meta = ImageMeta {
            reference: reference.to_string(),
            source_kind: "docker-archive",
            config_digest: Some(config_digest),
            manifest_digest: None,
            repo_tags: entry.repo_tags.clone().unwrap_or_default(),
            repo_digests: Vec::new(),
            config,
            layers: Vec::new(),
        };
        let diff_ids = meta.diff_ids();
        if diff_ids.len() != entry.layers.len() {
            return Err(Error::Invalid(format!(
                "{where_}: manifest.json lists {} layers but the config has {} diff_ids",
                entry.layers.len(),
                diff_ids.len()
            )));
        }
        for (member, diff_id) in entry.layers.iter().zip(diff_ids) {
            digest::validate(&diff_id)?;
            if !tar.contains(member) {
                return Err(Error::MissingBlob {
                    digest: diff_id,
                    container: format!("{where_} (member {member:?})"),
                });
            }
            meta.layers.push(LayerDesc {
                digest: None,
                diff_id: Some(diff_id),
                media_type: None,
                size: None,
                location: format!("{where_}:{member}"),
            });
        }
        Ok(DockerArchive {
            tar,
            meta,
            members: entry.layers,
        })
    }
}

impl ImageSource for DockerArchive {
    fn meta(&self) -> &ImageMeta {
        &self.meta
    }

    fn open_layer(&self, index: usize) -> Result<Box<dyn Read + Send + '_>> {
        let member = self
            .members
            .get(index)
            .ok_or_else(|| Error::Invalid(format!("no layer {index}")))?;
        self.tar.open_member(member)
    }
}

/// Open a docker-archive file.
pub fn open_path(
    path: &Path,
    reference: &str,
    tag: Option<&str>,
    limits: &Limits,
) -> Result<DockerArchive> {
    DockerArchive::open(TarFile::open(path)?, reference, tag, limits)
}
