//! OCI image layouts, as a directory or inside a tar (oci-archive): `index.json` → (nested index →)
//! manifest → config + layers, each blob addressed by a validated digest and verified.

use super::tarfile::TarFile;
use super::{ImageMeta, ImageSource, LayerDesc, Platform, digest};
use crate::{Error, Limits, Result};
use oci_spec::image::{Descriptor, ImageIndex, ImageManifest, MediaType};
use std::io::Read;
use std::path::PathBuf;

/// Where blobs come from.
pub trait BlobStore: Send + Sync {
    /// Stream a blob (unverified; the caller verifies).
    fn open_blob(&self, digest: &str) -> Result<Box<dyn Read + Send + '_>>;
    /// Read a small blob whole and verify its digest.
    fn read_blob(&self, digest: &str, max: u64) -> Result<Vec<u8>>;
    /// Read the top-level `index.json`.
    fn read_index(&self, max: u64) -> Result<Vec<u8>>;
    /// Describe the container for messages.
    fn describe(&self) -> String;
}

fn blob_path(d: &str) -> Result<String> {
    let (alg, hex) = digest::validate(d)?;
    Ok(format!("blobs/{alg}/{hex}"))
}

/// An OCI layout directory.
pub struct DirStore(pub PathBuf);

impl BlobStore for DirStore {
    fn open_blob(&self, d: &str) -> Result<Box<dyn Read + Send + '_>> {
        let p = self.0.join(blob_path(d)?);
        let meta = std::fs::symlink_metadata(&p).map_err(|_| Error::MissingBlob {
            digest: d.to_string(),
            container: self.describe(),
        })?;
        if !meta.is_file() {
            return Err(Error::Invalid(format!(
                "{}: not a regular file",
                p.display()
            )));
        }
        // Checked again on the opened file, without blocking should a FIFO have been swapped in.
        Ok(Box::new(
            bulkhead_core::input::open_regular(&p, false)
                .map_err(|e| Error::Invalid(e.to_string()))?,
        ))
    }

    fn read_blob(&self, d: &str, max: u64) -> Result<Vec<u8>> {
        let mut buf = Vec::new();
        self.open_blob(d)?
            .take(max + 1)
            .read_to_end(&mut buf)
            .map_err(|e| Error::io(d, e))?;
        if buf.len() as u64 > max {
            return Err(Error::Invalid(format!(
                "blob {d}: over the {max} byte metadata limit"
            )));
        }
        digest::verify_bytes(d, &buf)?;
        Ok(buf)
    }

    fn read_index(&self, max: u64) -> Result<Vec<u8>> {
        let p = self.0.join("index.json");
        let mut buf = Vec::new();
        bulkhead_core::input::open_regular(&p, false)
            .map_err(|e| Error::Invalid(e.to_string()))?
            .take(max + 1)
            .read_to_end(&mut buf)
            .map_err(|e| Error::io(p.display(), e))?;
        if buf.len() as u64 > max {
            return Err(Error::Invalid(format!(
                "{}: over the {max} byte limit",
                p.display()
            )));
        }
        Ok(buf)
    }

    fn describe(&self) -> String {
        self.0.display().to_string()
    }
}

/// An OCI layout inside a tar.
pub struct TarStore(pub TarFile);

impl BlobStore for TarStore {
    fn open_blob(&self, d: &str) -> Result<Box<dyn Read + Send + '_>> {
        let p = blob_path(d)?;
        if !self.0.contains(&p) {
            return Err(Error::MissingBlob {
                digest: d.to_string(),
                container: self.describe(),
            });
        }
        self.0.open_member(&p)
    }

    fn read_blob(&self, d: &str, max: u64) -> Result<Vec<u8>> {
        let p = blob_path(d)?;
        if !self.0.contains(&p) {
            return Err(Error::MissingBlob {
                digest: d.to_string(),
                container: self.describe(),
            });
        }
        let buf = self.0.read_member(&p, max)?;
        digest::verify_bytes(d, &buf)?;
        Ok(buf)
    }

    fn read_index(&self, max: u64) -> Result<Vec<u8>> {
        self.0.read_member("index.json", max)
    }

    fn describe(&self) -> String {
        self.0.path().display().to_string()
    }
}

/// How to pick an image out of an index.
#[derive(Debug, Clone, Default)]
pub struct Selector {
    pub tag: Option<String>,
    pub digest: Option<String>,
    pub platform: Option<Platform>,
}

const REF_NAME: &str = "org.opencontainers.image.ref.name";
const CONTAINERD_NAME: &str = "io.containerd.image.name";

fn is_index(mt: &MediaType) -> bool {
    matches!(mt, MediaType::ImageIndex)
        || matches!(mt, MediaType::Other(s) if s == "application/vnd.docker.distribution.manifest.list.v2+json")
}

fn platform_matches(d: &Descriptor, want: &Platform) -> bool {
    let Some(p) = d.platform() else { return false };
    let os = p.os().to_string();
    let arch = p.architecture().to_string();
    if os != want.os || arch != want.architecture {
        return false;
    }
    match (&want.variant, p.variant()) {
        (Some(v), Some(pv)) => v == pv,
        (Some(_), None) => false,
        (None, _) => true,
    }
}

/// Choose the manifest for a platform from an image index / manifest list.
pub fn select_platform(
    index: &ImageIndex,
    platform: &Platform,
    where_: &str,
) -> Result<Descriptor> {
    let candidates: Vec<&Descriptor> = index
        .manifests()
        .iter()
        .filter(|d| platform_matches(d, platform))
        .collect();
    if let Some(d) = candidates.first() {
        return Ok((*d).clone());
    }
    // Single-manifest indexes without platform information (podman, skopeo): take the only one.
    let plain: Vec<&Descriptor> = index
        .manifests()
        .iter()
        .filter(|d| d.platform().is_none())
        .collect();
    if plain.len() == 1 && index.manifests().len() == 1 {
        return Ok(plain[0].clone());
    }
    let available: Vec<String> = index
        .manifests()
        .iter()
        .filter_map(|d| {
            d.platform()
                .as_ref()
                .map(|p| format!("{}/{}", p.os(), p.architecture()))
        })
        .collect();
    Err(Error::Invalid(format!(
        "{where_}: no manifest for platform {platform}; available: {}",
        if available.is_empty() {
            "none".to_string()
        } else {
            available.join(", ")
        }
    )))
}

/// An OCI image read from a blob store.
pub struct OciImage<S: BlobStore> {
    store: S,
    meta: ImageMeta,
}

impl<S: BlobStore> OciImage<S> {
    /// Resolve `sel` against the layout's `index.json` and read manifest and config.
    pub fn open(
        store: S,
        reference: &str,
        kind: &'static str,
        sel: &Selector,
        limits: &Limits,
    ) -> Result<Self> {
        let where_ = store.describe();
        let raw = store.read_index(limits.max_json)?;
        let index: ImageIndex = serde_json::from_slice(&raw)
            .map_err(|e| Error::json(format!("{where_}: index.json"), e))?;
        let mut tags = Vec::new();
        let desc = {
            let ms = index.manifests();
            let name_of = |d: &Descriptor| -> Option<String> {
                d.annotations()
                    .as_ref()
                    .and_then(|a| a.get(REF_NAME).or_else(|| a.get(CONTAINERD_NAME)).cloned())
            };
            let chosen = if let Some(dg) = &sel.digest {
                ms.iter()
                    .find(|d| d.digest().to_string() == *dg)
                    .cloned()
                    .ok_or_else(|| {
                        Error::Invalid(format!(
                            "{where_}: no manifest with digest {dg} in index.json"
                        ))
                    })?
            } else if let Some(t) = &sel.tag {
                ms.iter()
                    .find(|d| {
                        name_of(d).is_some_and(|n| {
                            n == *t
                                || n.ends_with(&format!(":{t}"))
                                || n.rsplit_once(':').map(|x| x.1) == Some(t)
                        })
                    })
                    .cloned()
                    .ok_or_else(|| {
                        let known: Vec<String> = ms.iter().filter_map(name_of).collect();
                        Error::Invalid(format!(
                            "{where_}: no manifest tagged {t:?} in index.json (tags: {})",
                            if known.is_empty() {
                                "none".into()
                            } else {
                                known.join(", ")
                            }
                        ))
                    })?
            } else if ms.len() == 1 {
                ms[0].clone()
            } else if ms.iter().all(|d| d.platform().is_some()) {
                // The top level is itself a multi-platform index.
                select_platform(
                    &index,
                    sel.platform.as_ref().unwrap_or(&Platform::host()),
                    &where_,
                )?
            } else {
                let known: Vec<String> = ms.iter().filter_map(name_of).collect();
                return Err(Error::Invalid(format!(
                    "{where_}: index.json holds {} manifests; pick one with :tag or @digest (tags: {})",
                    ms.len(),
                    known.join(", ")
                )));
            };
            if let Some(n) = name_of(&chosen) {
                tags.push(n);
            }
            chosen
        };
        let mut desc = desc;
        // Follow nested indexes (multi-platform images) down to a manifest.
        for _ in 0..4 {
            if !is_index(desc.media_type()) {
                break;
            }
            let raw = store.read_blob(desc.digest().as_ref(), limits.max_json)?;
            let nested: ImageIndex = serde_json::from_slice(&raw)
                .map_err(|e| Error::json(format!("{where_}: index {}", desc.digest()), e))?;
            desc = select_platform(
                &nested,
                sel.platform.as_ref().unwrap_or(&Platform::host()),
                &where_,
            )?;
        }
        let manifest_digest = desc.digest().to_string();
        let raw = store.read_blob(&manifest_digest, limits.max_json)?;
        let meta = meta_from_manifest(
            &store,
            &raw,
            reference,
            kind,
            &manifest_digest,
            tags,
            limits,
        )?;
        Ok(OciImage { store, meta })
    }
}

/// Read config and layers from a manifest document (shared with the registry source).
pub fn meta_from_manifest<S: BlobStore + ?Sized>(
    store: &S,
    raw_manifest: &[u8],
    reference: &str,
    kind: &'static str,
    manifest_digest: &str,
    repo_tags: Vec<String>,
    limits: &Limits,
) -> Result<ImageMeta> {
    let where_ = store.describe();
    let manifest: ImageManifest = serde_json::from_slice(raw_manifest)
        .map_err(|e| Error::json(format!("{where_}: manifest {manifest_digest}"), e))?;
    let config_digest = manifest.config().digest().to_string();
    let config_raw = store.read_blob(&config_digest, limits.max_json)?;
    let config: serde_json::Value = serde_json::from_slice(&config_raw)
        .map_err(|e| Error::json(format!("{where_}: config {config_digest}"), e))?;
    let mut meta = ImageMeta {
        reference: reference.to_string(),
        source_kind: kind,
        config_digest: Some(config_digest),
        manifest_digest: Some(manifest_digest.to_string()),
        repo_tags,
        repo_digests: Vec::new(),
        config,
        layers: Vec::new(),
    };
    let diff_ids = meta.diff_ids();
    if diff_ids.len() != manifest.layers().len() {
        return Err(Error::Invalid(format!(
            "{where_}: manifest has {} layers but the config has {} diff_ids",
            manifest.layers().len(),
            diff_ids.len()
        )));
    }
    for (l, diff_id) in manifest.layers().iter().zip(diff_ids) {
        let d = l.digest().to_string();
        digest::validate(&d)?;
        digest::validate(&diff_id)?;
        meta.layers.push(LayerDesc {
            digest: Some(d.clone()),
            diff_id: Some(diff_id),
            media_type: Some(l.media_type().to_string()),
            size: Some(l.size()),
            location: format!("{where_}@{d}"),
        });
    }
    Ok(meta)
}

impl<S: BlobStore> ImageSource for OciImage<S> {
    fn meta(&self) -> &ImageMeta {
        &self.meta
    }

    fn open_layer(&self, index: usize) -> Result<Box<dyn Read + Send + '_>> {
        let l = self.meta.layer(index)?;
        self.store
            .open_blob(l.digest.as_deref().unwrap_or_default())
    }
}
