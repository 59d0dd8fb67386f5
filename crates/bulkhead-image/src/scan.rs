//! Drive a scan: classify the target, open its source, and build the image index with one pass over
//! the layers (or a cache hit per layer).

use crate::cache::LayerCache;
use crate::compress::{OutputBound, decompress_bounded};
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
    /// Deadline for reading the whole image from a registry or the podman socket: every request,
    /// the image export and every layer stream must be done this long after the scan starts, or
    /// the scan fails naming the deadline (a server dripping one byte per second cannot hold a
    /// scan). Local archives, layouts and directories are not network-bound and have no deadline
    /// (their size is bounded by [`Limits`] instead). `None`: no deadline.
    pub timeout: Option<std::time::Duration>,
    /// How long one registry or socket operation (a connection, a response, a read) may make no
    /// progress before it fails, capped by what is left of `timeout`. `None`: 300 s for podman; for
    /// registries [`RegistryOptions::timeout`](crate::source::registry::RegistryOptions::timeout),
    /// else 30 s to connect, 120 s for a response, 300 s per read.
    pub stall_timeout: Option<std::time::Duration>,
    /// Called as layers are read (never on the hot path more than once per MiB).
    pub progress: Option<ProgressFn>,
    /// Paths to leave out of the index (`--skip-dirs`/`--skip-files`); a skipped directory hides
    /// everything below it.
    pub skip: Option<SkipFn>,
}

/// A path filter: `skip(path, is_dir)` is true for paths to leave out of the index (paths are
/// relative to the image root, without a leading `/`).
pub type SkipFn = std::sync::Arc<dyn Fn(&str, bool) -> bool + Send + Sync>;

/// The largest decoded cache entry accepted: a layer's captured contents and its file list (with
/// room for the encoding), so a damaged or planted entry cannot make the cache read unbounded.
fn cache_entry_bound(l: &Limits) -> u64 {
    l.max_captured_per_layer
        .saturating_add(l.max_index_bytes)
        .saturating_add(1 << 20)
}

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

/// Open any supported image source for `spec`. A registry or podman source gets the deadline
/// `ScanOptions::timeout` from now.
pub fn open_source(spec: &str, opts: &ScanOptions) -> Result<Option<Box<dyn ImageSource>>> {
    let deadline = opts.timeout.map(|t| (std::time::Instant::now() + t, t));
    open_source_until(spec, opts, deadline)
}

fn open_source_until(
    spec: &str,
    opts: &ScanOptions,
    deadline: Option<(std::time::Instant, std::time::Duration)>,
) -> Result<Option<Box<dyn ImageSource>>> {
    let limits = &opts.limits;
    match classify(spec) {
        TargetSpec::Path { path, tag, digest } => {
            let md = std::fs::metadata(&path).map_err(|e| Error::io(path.display(), e))?;
            if !md.is_dir() && !md.is_file() {
                // A FIFO would block the open, a device would stream without end.
                return Err(Error::Invalid(format!(
                    "{}: {}, not an image (give a docker-archive or OCI archive file, an OCI \
                     layout or root filesystem directory, or a registry reference)",
                    path.display(),
                    bulkhead_core::input::file_kind(&md.file_type())
                )));
            }
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
            registry.timeout = registry.timeout.or(opts.stall_timeout);
            Ok(Some(Box::new(
                crate::source::registry::RegistryImage::open_until(
                    &r,
                    spec,
                    opts.platform.as_ref(),
                    &registry,
                    limits,
                    deadline,
                )?,
            )))
        }
        TargetSpec::Podman(r) => {
            // Spool next to the layer cache (its root, not the entries directory) when there is one.
            let spool_dir = opts
                .cache
                .as_ref()
                .and_then(|c| c.dir().parent().map(Path::to_path_buf));
            Ok(Some(Box::new(
                crate::source::podman::PodmanImage::open_until(
                    &r,
                    spec,
                    opts.podman_socket.as_deref(),
                    spool_dir.as_deref(),
                    limits,
                    opts.stall_timeout,
                    deadline,
                )?,
            )))
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
    read_layer_counted(source, i, wanted, limits, progress, 0).map(|(f, _)| f)
}

/// [`read_layer_with_progress`] for a layer read after `earlier` uncompressed bytes of the same
/// image: the stream is bounded by `max_layer_uncompressed` and by what is left of
/// `max_image_uncompressed`. Returns the facts and the layer's uncompressed size.
fn read_layer_counted(
    source: &dyn ImageSource,
    i: usize,
    wanted: &Wanted,
    limits: &Limits,
    progress: Option<&ProgressFn>,
    earlier: u64,
) -> Result<(LayerFacts, u64)> {
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
    let left = limits.max_image_uncompressed.saturating_sub(earlier);
    let bound = if left < limits.max_layer_uncompressed {
        OutputBound {
            max: left,
            what: format!(
                "the image's uncompressed layers exceed the limit of {} bytes \
                 (max_image_uncompressed; {earlier} bytes in earlier layers)",
                limits.max_image_uncompressed
            ),
        }
    } else {
        OutputBound::layer(limits.max_layer_uncompressed)
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
    let (facts, produced) = {
        let (_, dec, produced) = decompress_bounded(&mut blob, bound).map_err(layer_err)?;
        let mut tar = ThreadedDigestReader::new(dec, desc.diff_id.as_deref())?;
        let facts = walk_layer(&mut tar, &name, wanted, limits)?;
        tar.finish().map_err(|e| match e {
            Error::Io { source, .. } => layer_err(source),
            other => other,
        })?;
        (facts, produced.load(std::sync::atomic::Ordering::Relaxed))
    };
    blob.finish()?;
    let mut facts = facts;
    facts.uncompressed = produced;
    Ok((facts, produced))
}

/// A layer being read on its own thread: its facts and uncompressed size.
type LayerRead<'scope> = std::thread::ScopedJoinHandle<'scope, Result<(LayerFacts, u64)>>;

/// Give the heap memory a finished layer thread freed (its read and hash buffers, in the
/// allocator's arena for that thread) back to the system, so two layers read at once do not keep
/// two layers' worth of buffers resident.
fn trim_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of glibc's arenas; no pointer is involved.
    unsafe {
        libc::malloc_trim(0);
    }
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
    if meta.layers.len() > opts.limits.max_layers {
        return Err(Error::Invalid(format!(
            "{spec}: the image has {} layers, more than the limit of {} (max_layers); raise the \
             limit to scan it",
            meta.layers.len(),
            opts.limits.max_layers
        )));
    }
    let history = meta.layer_history();
    let mut index = ImageIndex::with_limits(&opts.limits);
    let mut hits = 0;
    let mut uncompressed: u64 = 0;
    // Cache entries depend on the analyzers and on the limits that shape what a walk records.
    let cache_version = format!("{}\0{}", wanted.version(), opts.limits.cache_tag());
    let keys: Vec<Option<String>> = meta
        .layers
        .iter()
        .map(|desc| {
            opts.cache
                .as_ref()
                .and_then(|_| LayerCache::key(desc, &cache_version))
        })
        .collect();
    let cached_entry = |i: usize| match (&opts.cache, &keys[i]) {
        (Some(c), Some(k)) => c.contains(k),
        _ => false,
    };
    let too_big = |i: usize, total: u64| Error::Layer {
        layer: meta.layers[i]
            .diff_id
            .clone()
            .unwrap_or_else(|| format!("#{i}")),
        message: format!(
            "the image's uncompressed layers exceed the limit of {} bytes \
             (max_image_uncompressed; {total} bytes up to this layer)",
            opts.limits.max_image_uncompressed
        ),
    };
    // Layers are read two at a time, each on a thread of its own (with its hashing threads): the
    // digest verification of a large layer, the slowest part of a read, no longer leaves a core
    // idle while the next layer waits. They are applied to the index in order. A read started
    // ahead is bounded by the budget left when it started; the image's total is checked as each
    // is applied (so at most two layers' worth past the budget is ever read).
    const IN_FLIGHT: usize = 2;
    std::thread::scope(|s| -> Result<()> {
        let mut inflight: std::collections::VecDeque<(usize, LayerRead<'_>)> =
            std::collections::VecDeque::new();
        let mut next = 0usize;
        let read = |i: usize, earlier: u64| {
            read_layer_counted(
                source,
                i,
                wanted,
                &opts.limits,
                opts.progress.as_ref(),
                earlier,
            )
        };
        for (i, desc) in meta.layers.iter().enumerate() {
            // Start the reads of the next uncached layers, up to the window.
            next = next.max(i);
            while next < meta.layers.len() && inflight.len() < IN_FLIGHT {
                if !cached_entry(next) {
                    let earlier = uncompressed;
                    let j = next;
                    let h = std::thread::Builder::new()
                        .name(format!("bulkhead-layer-{j}"))
                        .spawn_scoped(s, move || read(j, earlier))
                        .map_err(|e| Error::Invalid(format!("layer thread: {e}")))?;
                    inflight.push_back((j, h));
                }
                next += 1;
            }
            let cached = match (&opts.cache, &keys[i]) {
                (Some(c), Some(k)) if inflight.front().is_none_or(|(j, _)| *j != i) => {
                    c.get_bounded(k, cache_entry_bound(&opts.limits))
                }
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
                    // A cached layer counts as read, so the verdict does not depend on the cache.
                    uncompressed = uncompressed.saturating_add(f.uncompressed);
                    if uncompressed > opts.limits.max_image_uncompressed {
                        return Err(too_big(i, uncompressed));
                    }
                    f
                }
                None => {
                    let (f, n) = match inflight.front() {
                        Some((j, _)) if *j == i => {
                            let (_, h) = inflight.pop_front().expect("front checked");
                            let r = h.join().map_err(|_| {
                                Error::Invalid(format!("reading layer {i}: the thread panicked"))
                            })?;
                            trim_heap();
                            r?
                        }
                        // Not started ahead (its cache entry could not be read after all).
                        _ => read(i, uncompressed)?,
                    };
                    uncompressed = uncompressed.saturating_add(n);
                    if uncompressed > opts.limits.max_image_uncompressed {
                        return Err(too_big(i, uncompressed));
                    }
                    if let (Some(c), Some(k)) = (&opts.cache, &keys[i])
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
            )?;
        }
        Ok(())
    })?;
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
