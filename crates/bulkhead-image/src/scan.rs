//! Drive a scan: classify the target, open its source, and build the image index with one pass over
//! the layers (or a cache hit per layer).

use crate::cache::LayerCache;
use crate::compress::decompress;
use crate::index::{ImageIndex, LayerInfo};
use crate::reference::{TargetSpec, classify};
use crate::source::digest::ThreadedDigestReader;
use crate::source::oci::{DirStore, OciImage, Selector, TarStore};
use crate::source::tarfile::TarFile;
use crate::source::{ImageMeta, ImageSource, Platform, docker_archive};
use crate::walk::{LayerFacts, walk_layer};
use crate::{Error, Limits, Result, Wanted};
use std::path::Path;

/// What a scan reports while it reads (for progress bars).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanProgress {
    /// Layer `index` (0-based) of `total` starts; `size` is its blob size when known.
    Layer {
        index: usize,
        total: usize,
        size: Option<u64>,
        cached: bool,
    },
    /// Bytes of the current layer's blob read so far.
    Bytes(u64),
    /// Paths of a root filesystem walked so far.
    Files(u64),
}

/// A progress callback.
pub type ProgressFn = std::sync::Arc<dyn Fn(ScanProgress) + Send + Sync>;

/// Options of a scan.
#[derive(Default)]
pub struct ScanOptions {
    /// `None` disables caching.
    pub cache: Option<LayerCache>,
    pub limits: Limits,
    /// Platform for multi-platform images (default: this machine's).
    pub platform: Option<Platform>,
    /// Credentials and transport options for `registry://` targets.
    pub registry: crate::source::registry::RegistryOptions,
    /// The podman API socket for `podman://` targets (default: `$CONTAINER_HOST`, then
    /// `/run/podman/podman.sock`, then `$XDG_RUNTIME_DIR/podman/podman.sock`).
    pub podman_socket: Option<std::path::PathBuf>,
    /// How long a registry or socket operation may make no progress before it fails (default: the
    /// sources' own limits, 30 s to 300 s).
    pub timeout: Option<std::time::Duration>,
    /// Called as layers are read (never on the hot path more than once per MiB).
    pub progress: Option<ProgressFn>,
    /// Paths to leave out of the index (`--skip-dirs`/`--skip-files`); a skipped directory hides
    /// everything below it.
    pub skip: Option<SkipFn>,
}

/// A path filter: `skip(path, is_dir)` is true for paths to leave out of the index (paths are
/// relative to the image root, without a leading `/`).
pub type SkipFn = std::sync::Arc<dyn Fn(&str, bool) -> bool + Send + Sync>;

/// Bytes between two [`ScanProgress::Bytes`] reports.
const PROGRESS_STEP: u64 = 1 << 20;

/// Counts the bytes read through it and reports them every [`PROGRESS_STEP`].
struct Counting<'a, R> {
    inner: R,
    read: u64,
    reported: u64,
    progress: &'a ProgressFn,
}

impl<R: std::io::Read> std::io::Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read - self.reported >= PROGRESS_STEP || (n == 0 && self.read > self.reported) {
            self.reported = self.read;
            (self.progress)(ScanProgress::Bytes(self.read));
        }
        Ok(n)
    }
}

/// Whether an image's own platform (`os/arch[/variant]` of its config) satisfies a requested one:
/// os and architecture equal, and the variant when one is requested.
fn platform_satisfies(image: &str, want: &Platform) -> bool {
    let mut parts = image.split('/');
    let (os, arch, variant) = (parts.next(), parts.next(), parts.next());
    os == Some(want.os.as_str())
        && arch == Some(want.architecture.as_str())
        && want.variant.as_deref().is_none_or(|v| variant == Some(v))
}

/// The result of reading a target.
pub struct ScannedImage {
    /// Manifest-level facts (absent for a root filesystem).
    pub meta: Option<ImageMeta>,
    pub index: ImageIndex,
    /// `docker-archive`, `oci-archive`, `oci-dir`, `rootfs`, `registry`, `podman`.
    pub kind: String,
    /// The target as given.
    pub name: String,
    /// Layers served from the cache.
    pub cache_hits: usize,
}

/// Open any supported image source for `spec`.
pub fn open_source(spec: &str, opts: &ScanOptions) -> Result<Option<Box<dyn ImageSource>>> {
    let limits = &opts.limits;
    match classify(spec) {
        TargetSpec::Path { path, tag, digest } => {
            let md = std::fs::metadata(&path).map_err(|e| Error::io(path.display(), e))?;
            if md.is_dir() {
                if path.join("index.json").is_file() && path.join("oci-layout").is_file() {
                    let sel = Selector {
                        tag,
                        digest,
                        platform: opts.platform.clone(),
                    };
                    let img =
                        OciImage::open(DirStore(path.clone()), spec, "oci-dir", &sel, limits)?;
                    return Ok(Some(Box::new(img)));
                }
                if tag.is_some() || digest.is_some() {
                    return Err(Error::Invalid(format!(
                        "{}: a tag or digest was given but the directory is not an OCI layout",
                        path.display()
                    )));
                }
                return Ok(None); // root filesystem
            }
            open_archive(&path, spec, tag, digest, opts).map(Some)
        }
        TargetSpec::Registry(r) => {
            let mut registry = opts.registry.clone();
            registry.timeout = registry.timeout.or(opts.timeout);
            Ok(Some(Box::new(
                crate::source::registry::RegistryImage::open(
                    &r,
                    spec,
                    opts.platform.as_ref(),
                    &registry,
                    limits,
                )?,
            )))
        }
        TargetSpec::Podman(r) => {
            // Spool next to the layer cache (its root, not the entries directory) when there is one.
            let spool_dir = opts
                .cache
                .as_ref()
                .and_then(|c| c.dir().parent().map(Path::to_path_buf));
            Ok(Some(Box::new(crate::source::podman::PodmanImage::open(
                &r,
                spec,
                opts.podman_socket.as_deref(),
                spool_dir.as_deref(),
                limits,
                opts.timeout,
            )?)))
        }
    }
}

fn open_archive(
    path: &Path,
    spec: &str,
    tag: Option<String>,
    digest: Option<String>,
    opts: &ScanOptions,
) -> Result<Box<dyn ImageSource>> {
    let tar = TarFile::open(path)?;
    if docker_archive::DockerArchive::detect(&tar) && digest.is_none() {
        return Ok(Box::new(docker_archive::DockerArchive::open(
            tar,
            spec,
            tag.as_deref(),
            &opts.limits,
        )?));
    }
    if tar.contains("index.json") {
        let sel = Selector {
            tag,
            digest,
            platform: opts.platform.clone(),
        };
        return Ok(Box::new(OciImage::open(
            TarStore(tar),
            spec,
            "oci-archive",
            &sel,
            &opts.limits,
        )?));
    }
    Err(Error::Invalid(format!(
        "{}: neither a docker-archive (no manifest.json) nor an OCI archive (no index.json)",
        path.display()
    )))
}

/// Read one layer: verify its blob digest and diff id while streaming, walk it once. Hashing runs on
/// helper threads ([`ThreadedDigestReader`]); this thread decompresses and parses the tar.
pub fn read_layer(
    source: &dyn ImageSource,
    i: usize,
    wanted: &Wanted,
    limits: &Limits,
) -> Result<LayerFacts> {
    read_layer_with_progress(source, i, wanted, limits, None)
}

/// [`read_layer`], reporting the bytes of the blob read to `progress`.
pub fn read_layer_with_progress(
    source: &dyn ImageSource,
    i: usize,
    wanted: &Wanted,
    limits: &Limits,
    progress: Option<&ProgressFn>,
) -> Result<LayerFacts> {
    let desc = &source.meta().layers[i];
    let name = desc
        .diff_id
        .clone()
        .or_else(|| desc.digest.clone())
        .unwrap_or_else(|| format!("#{i}"));
    let layer_err = |e: std::io::Error| Error::Layer {
        layer: name.clone(),
        message: e.to_string(),
    };
    let raw = source.open_layer(i)?;
    let raw: Box<dyn std::io::Read + Send + '_> = match progress {
        Some(p) => Box::new(Counting {
            inner: raw,
            read: 0,
            reported: 0,
            progress: p,
        }),
        None => raw,
    };
    let mut blob = ThreadedDigestReader::new(raw, desc.digest.as_deref())?;
    let facts = {
        let (_, dec) = decompress(&mut blob, limits.max_layer_uncompressed, limits.max_ratio)
            .map_err(layer_err)?;
        let mut tar = ThreadedDigestReader::new(dec, desc.diff_id.as_deref())?;
        let facts = walk_layer(&mut tar, &name, wanted, limits)?;
        tar.finish().map_err(|e| match e {
            Error::Io { source, .. } => layer_err(source),
            other => other,
        })?;
        facts
    };
    blob.finish()?;
    Ok(facts)
}

/// Read a target into an index.
pub fn scan_target(spec: &str, wanted: &Wanted, opts: &ScanOptions) -> Result<ScannedImage> {
    let Some(source) = open_source(spec, opts)? else {
        if let Some(p) = &opts.platform {
            return Err(Error::Invalid(format!(
                "{spec}: --platform {p} was given, but a directory has no platform to select"
            )));
        }
        let index = crate::rootfs::index_rootfs_with(
            Path::new(
                spec.trim_start_matches("rootfs:")
                    .trim_start_matches("dir:"),
            ),
            wanted,
            &opts.limits,
            opts.progress.as_ref(),
            opts.skip.as_ref(),
        )?;
        return Ok(ScannedImage {
            meta: None,
            index,
            kind: "rootfs".into(),
            name: spec.to_string(),
            cache_hits: 0,
        });
    };
    scan_source(source.as_ref(), spec, wanted, opts)
}

/// Build the index of an opened source.
pub fn scan_source(
    source: &dyn ImageSource,
    spec: &str,
    wanted: &Wanted,
    opts: &ScanOptions,
) -> Result<ScannedImage> {
    let meta = source.meta().clone();
    // A requested platform must be the image's: a single-platform image of another platform is
    // not silently scanned instead.
    if let (Some(want), Some(have)) = (&opts.platform, meta.platform())
        && !platform_satisfies(&have, want)
    {
        return Err(Error::Invalid(format!(
            "{spec}: the image is {have}; --platform {want} matches nothing in it"
        )));
    }
    let history = meta.layer_history();
    let mut index = ImageIndex::new();
    let mut hits = 0;
    for (i, desc) in meta.layers.iter().enumerate() {
        let key = opts
            .cache
            .as_ref()
            .and_then(|_| LayerCache::key(desc, wanted.version()));
        let cached = match (&opts.cache, &key) {
            (Some(c), Some(k)) => c.get(k),
            _ => None,
        };
        if let Some(p) = &opts.progress {
            p(ScanProgress::Layer {
                index: i,
                total: meta.layers.len(),
                size: desc.size,
                cached: cached.is_some(),
            });
        }
        let facts = match cached {
            Some(f) => {
                hits += 1;
                f
            }
            None => {
                let f = read_layer_with_progress(
                    source,
                    i,
                    wanted,
                    &opts.limits,
                    opts.progress.as_ref(),
                )?;
                if let (Some(c), Some(k)) = (&opts.cache, &key)
                    && let Err(e) = c.put(k, &f)
                {
                    tracing::warn!("{e}");
                }
                f
            }
        };
        index.apply_layer(
            LayerInfo {
                diff_id: desc
                    .diff_id
                    .clone()
                    .or_else(|| desc.digest.clone())
                    .unwrap_or_else(|| format!("layer-{i}")),
                digest: desc.digest.clone(),
                created_by: history.get(i).cloned().flatten(),
            },
            facts,
        );
    }
    if let Some(skip) = &opts.skip {
        index.remove_matching(|path, is_dir| skip(path, is_dir));
    }
    Ok(ScannedImage {
        kind: meta.source_kind.to_string(),
        meta: Some(meta),
        index,
        name: spec.to_string(),
        cache_hits: hits,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms_are_matched_on_os_arch_and_asked_variant() {
        let p = |s: &str| Platform::parse(s).unwrap();
        assert!(platform_satisfies("linux/amd64", &p("linux/amd64")));
        assert!(platform_satisfies("linux/arm64/v8", &p("linux/arm64")));
        assert!(platform_satisfies("linux/arm64/v8", &p("linux/arm64/v8")));
        assert!(!platform_satisfies("linux/arm64", &p("linux/arm64/v8")));
        assert!(!platform_satisfies("linux/amd64", &p("linux/arm64")));
        assert!(!platform_satisfies("windows/amd64", &p("linux/amd64")));
    }
}
