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

/// The four bytes every ELF file starts with.
pub const ELF_MAGIC: &[u8; 4] = b"\x7fELF";

/// The paths analyzers want to read, and a version string that changes whenever that set or the
/// analyzers' logic changes (it is part of the per-layer cache key). Optionally a [`Probe`] for
/// executables (found by content) and archives (found by path), which keeps a small record
/// instead of the file.
pub struct Wanted {
    predicate: Box<PathPredicate>,
    version: String,
    probe: Option<Box<Probe>>,
    probe_paths: Option<Box<PathPredicate>>,
    content_scan: Option<Box<ContentScan>>,
}

/// Looks at a regular file's whole contents for what must be reported wherever the file is, even
/// when a later layer deletes or replaces it (secrets), and returns a small record, or `None`. The
/// walk offers it every regular file of every layer up to [`Limits::max_scanned_file`] bytes, and
/// the archives the [`Probe`]'s path predicate names (jars) up to [`Limits::max_probed_file`]; the
/// records are kept per layer ([`ImageIndex::scanned`]), each with the layer that later removed
/// its file, if one did.
pub type ContentScan = dyn Fn(&str, &[u8]) -> Option<Vec<u8>> + Send + Sync;

/// Selects normalised paths (no leading `/`).
pub type PathPredicate = dyn Fn(&str) -> bool + Send + Sync;

/// A file's contents as a [`Probe`] receives them: the whole file in memory (a layer stream cannot
/// seek), or the open file of a root filesystem (read only where the probe looks).
pub enum ProbeInput<'a> {
    Bytes(&'a [u8]),
    File(&'a std::fs::File),
}

/// Looks into a file for the packages it carries — an ELF executable's embedded package list (Go
/// build info, cargo-auditable), a Java archive's artifacts — and returns them as a small record
/// (at most [`MAX_PROBE_RECORD`] bytes; larger ones are dropped with a warning), or `None`. It is
/// given the file's path and contents. The walk offers it every regular file with an execute bit
/// that starts with the ELF magic, and every regular file whose path the probe's path predicate
/// accepts; either way not captured whole and at most [`Limits::max_probed_file`] bytes. The record
/// is kept in the index at the file's path ([`ImageIndex::probed`]), with the file's layer
/// semantics (a later layer that replaces or deletes the file drops it).
pub type Probe = dyn Fn(&str, ProbeInput<'_>) -> Option<Vec<u8>> + Send + Sync;

/// Largest record a [`Probe`] may return for one file.
pub const MAX_PROBE_RECORD: usize = 4 << 20;

impl Wanted {
    /// `predicate` receives normalised paths (no leading `/`, e.g. `var/lib/dpkg/status`).
    pub fn new(
        version: impl Into<String>,
        predicate: impl Fn(&str) -> bool + Send + Sync + 'static,
    ) -> Self {
        Wanted {
            predicate: Box::new(predicate),
            version: version.into(),
            probe: None,
            probe_paths: None,
            content_scan: None,
        }
    }

    /// Also offer ELF executables, and the files `paths` accepts, to `probe` (see [`Probe`]).
    pub fn with_probe(
        mut self,
        paths: impl Fn(&str) -> bool + Send + Sync + 'static,
        probe: impl Fn(&str, ProbeInput<'_>) -> Option<Vec<u8>> + Send + Sync + 'static,
    ) -> Self {
        self.probe = Some(Box::new(probe));
        self.probe_paths = Some(Box::new(paths));
        self
    }

    /// Also capture the files `paths` accepts (for a check that reads them after the walk);
    /// `version` names them in the cache key.
    pub fn with_paths(
        mut self,
        version: &str,
        paths: impl Fn(&str) -> bool + Send + Sync + 'static,
    ) -> Self {
        let before = std::mem::replace(&mut self.predicate, Box::new(|_| false));
        self.predicate = Box::new(move |p| before(p) || paths(p));
        self.version = format!("{}+{version}", self.version);
        self
    }

    /// Also offer every regular file's contents to `scan` (see [`ContentScan`]); `version` (what
    /// the scan looks for) becomes part of the cache key.
    pub fn with_content_scan(
        mut self,
        version: &str,
        scan: impl Fn(&str, &[u8]) -> Option<Vec<u8>> + Send + Sync + 'static,
    ) -> Self {
        self.content_scan = Some(Box::new(scan));
        self.version = format!("{}+scan:{version}", self.version);
        self
    }

    /// The content scan, if any.
    pub fn content_scan(&self) -> Option<&ContentScan> {
        self.content_scan.as_deref()
    }

    /// Whether the contents of `path` should be captured.
    pub fn wants(&self, path: &str) -> bool {
        (self.predicate)(path)
    }

    /// The probe, if any.
    pub fn probe(&self) -> Option<&Probe> {
        self.probe.as_deref()
    }

    /// Whether `path` is offered to the probe whatever its contents (an archive).
    pub fn probes_path(&self, path: &str) -> bool {
        self.probe_paths.as_ref().is_some_and(|p| p(path))
    }

    /// The analyzers' version key.
    pub fn version(&self) -> &str {
        &self.version
    }
}

/// Whether a file with these mode bits and this size is offered to a [`Probe`] (its first bytes
/// must still be the ELF magic).
pub(crate) fn probe_candidate(mode: u32, size: u64, limits: &Limits) -> bool {
    mode & 0o111 != 0 && (64..=limits.max_probed_file).contains(&size)
}

/// Bounds applied to every image, so hostile input cannot exhaust memory, disk or time. Each is
/// enforced while streaming; what happens when one is hit is said on the field. Memory held for an
/// image is bounded by `max_index_bytes` (twice: the index plus the layer being walked) plus
/// `max_captured_total` (plus one layer's `max_captured_per_layer` in flight).
#[derive(Debug, Clone)]
pub struct Limits {
    /// Most layers an image may have. Docker's overlay2 driver stops at 125 and most tools at 127, but
    /// registries store more; a larger image is refused with an error naming this limit.
    pub max_layers: usize,
    /// Largest single file whose contents are captured for analyzers (bigger ones are skipped with a
    /// warning the report carries: "not analysed …").
    pub max_captured_file: u64,
    /// Total captured bytes per layer (further wanted files of the layer are skipped with a warning).
    pub max_captured_per_layer: u64,
    /// Total captured bytes held for the whole image, across all layers (files of later layers that
    /// would go past it are skipped with a warning). Contents replaced by a later layer are released.
    pub max_captured_total: u64,
    /// Largest uncompressed layer stream: past it the layer (and the scan) fails with an error. This
    /// and `max_image_uncompressed` are the decompression-bomb bound; there is no ratio rule (a layer
    /// of a GiB of zeros, such as a sparse `lastlog`, is legitimate).
    pub max_layer_uncompressed: u64,
    /// Largest total of uncompressed bytes read from the image's layers (cached layers are not read
    /// and do not count); past it the scan fails with an error.
    pub max_image_uncompressed: u64,
    /// Most entries in one layer (an error past it).
    pub max_entries_per_layer: u64,
    /// Memory budget of the file index, in bytes, approximated per entry as twice its path, plus its
    /// link target, plus 160: one layer's entries, and the merged index of the image, must each stay
    /// under it, or the scan fails with an error.
    pub max_index_bytes: u64,
    /// Longest entry name or link target, in bytes (Linux's `PATH_MAX` is 4096). Longer entries are
    /// skipped with a warning.
    pub max_path_len: usize,
    /// Largest manifest / config / index JSON document (an error past it).
    pub max_json: u64,
    /// Largest file offered to the analyzers' [`Probe`] (executables: Go build info,
    /// cargo-auditable; Java archives). A layer stream cannot seek, so a probed file is held in
    /// memory while it is read (one at a time); larger ones are not probed, with a warning.
    /// Default 256 MiB (the largest Go binaries in common images, such as k3s, are about 200 MiB).
    pub max_probed_file: u64,
    /// Largest file offered to the [`ContentScan`] (secrets); a larger one is not scanned and the
    /// scan counts it (Trivy skips files over 10 MiB too). Archives the probe reads (jars) are
    /// offered up to `max_probed_file`: the walk holds them whole anyway.
    pub max_scanned_file: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_layers: 1000,
            max_captured_file: 256 << 20,
            max_captured_per_layer: 256 << 20,
            max_captured_total: 512 << 20,
            max_layer_uncompressed: 64 << 30,
            max_image_uncompressed: 128 << 30,
            max_entries_per_layer: 5_000_000,
            max_index_bytes: 512 << 20,
            max_path_len: 4096,
            max_json: 16 << 20,
            max_probed_file: 256 << 20,
            max_scanned_file: 10 << 20,
        }
    }
}

impl Limits {
    /// The limits that change what a layer's walk records (part of the layer cache key, so a layer
    /// cached under other limits is walked again rather than trusted).
    pub fn cache_tag(&self) -> String {
        format!(
            "file={},layer={},entries={},path={},index={},probed={},scanned={}",
            self.max_captured_file,
            self.max_captured_per_layer,
            self.max_entries_per_layer,
            self.max_path_len,
            self.max_index_bytes,
            self.max_probed_file,
            self.max_scanned_file
        )
    }
}

/// Most warnings one layer's walk keeps; the rest are counted in a last "… and N more" entry.
pub const MAX_LAYER_WARNINGS: usize = 100;
/// Most warnings an image index keeps (across layers); the rest are counted in a last entry.
pub const MAX_INDEX_WARNINGS: usize = 1000;

/// Appends warnings to a list of at most `cap + 1` entries: past `cap`, the last entry counts the
/// warnings left out ("… and N more warnings"), so a hostile input that provokes millions of them
/// costs a counter, not memory.
#[derive(Debug, Default, Clone)]
pub struct WarningCap {
    more: u64,
}

impl WarningCap {
    /// Add the warning `msg()` (only formatted when it is kept).
    pub fn push(&mut self, list: &mut Vec<String>, cap: usize, msg: impl FnOnce() -> String) {
        if self.more == 0 && list.len() < cap {
            list.push(msg());
            return;
        }
        self.more += 1;
        let summary = format!("… and {} more warnings (not shown)", self.more);
        if self.more == 1 {
            list.push(summary);
        } else if let Some(last) = list.last_mut() {
            *last = summary;
        }
    }

    /// How many warnings were left out.
    pub fn dropped(&self) -> u64 {
        self.more
    }
}

/// A name from an image, shortened for a message: at most 200 characters, then `…` and its length.
/// Debug-quoted, so control characters are escaped.
pub fn shown(name: &str) -> String {
    const MAX: usize = 200;
    if name.len() <= MAX {
        return format!("{name:?}");
    }
    let mut end = MAX;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    format!("{:?}… ({} bytes)", &name[..end], name.len())
}
