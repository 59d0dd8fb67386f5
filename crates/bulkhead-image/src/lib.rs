//! Container image sources and the single streaming pass over their layers.
//!
//! Data flow: an [`source::ImageSource`] (docker-archive, OCI archive/layout, registry, podman socket)
//! yields image metadata and compressed layer streams; [`walk::walk_layer`] reads each layer once
//! (decompression detected by magic bytes, digest verified while streaming), records every entry and the
//! contents of the paths analyzers asked for ([`Wanted`]); [`index::ImageIndex`] applies the layers in
//! order with OCI whiteout semantics. A root filesystem directory is read by [`rootfs`] into the same
//! index. Per-layer facts are cached by digest ([`cache`]), so a warm scan never reopens a layer.
//!
//! Images are hostile by default: entry names are normalised and `..` components refused, links are
//! data (resolved only inside the index, clamped at the root), decompression and captured contents are
//! bounded, and nothing is ever extracted to disk.

pub mod cache;
pub mod compress;
pub mod error;
pub mod index;
pub mod reference;
pub mod rootfs;
pub mod scan;
pub mod source;
pub(crate) mod tarext;
pub mod walk;

pub use error::{Error, Result};
pub use index::{FileEntry, FileKind, ImageIndex};
pub use scan::{ProgressFn, ScanOptions, ScanProgress, ScannedImage, SkipFn, scan_target};
pub use source::{ImageMeta, ImageSource, LayerDesc};

/// The paths analyzers want to read, and a version string that changes whenever that set or the
/// analyzers' logic changes (it is part of the per-layer cache key).
pub struct Wanted {
    predicate: Box<dyn Fn(&str) -> bool + Send + Sync>,
    version: String,
}

impl Wanted {
    /// `predicate` receives normalised paths (no leading `/`, e.g. `var/lib/dpkg/status`).
    pub fn new(
        version: impl Into<String>,
        predicate: impl Fn(&str) -> bool + Send + Sync + 'static,
    ) -> Self {
        Wanted {
            predicate: Box::new(predicate),
            version: version.into(),
        }
    }

    /// Whether the contents of `path` should be captured.
    pub fn wants(&self, path: &str) -> bool {
        (self.predicate)(path)
    }

    /// The analyzers' version key.
    pub fn version(&self) -> &str {
        &self.version
    }
}

/// Bounds applied to every image, so hostile input cannot exhaust memory, disk or time.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest single file whose contents are captured for analyzers (bigger ones are skipped with a warning).
    pub max_captured_file: u64,
    /// Total captured bytes per layer.
    pub max_captured_per_layer: u64,
    /// Largest uncompressed layer stream.
    pub max_layer_uncompressed: u64,
    /// Largest decompression ratio once a layer has produced more than 1 GiB.
    pub max_ratio: u64,
    /// Most entries in one layer.
    pub max_entries_per_layer: u64,
    /// Largest manifest / config / index JSON document.
    pub max_json: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_captured_file: 256 << 20,
            max_captured_per_layer: 1 << 30,
            max_layer_uncompressed: 64 << 30,
            max_ratio: 1000,
            max_entries_per_layer: 5_000_000,
            max_json: 16 << 20,
        }
    }
}
