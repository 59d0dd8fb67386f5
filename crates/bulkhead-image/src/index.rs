//! The image index: the final file tree after applying every layer in order with OCI whiteout
//! semantics, plus the captured contents of the paths analyzers asked for.

use crate::walk::{LayerFacts, entry_cost};
use crate::{Error, Limits, MAX_INDEX_WARNINGS, Result, WarningCap};
use serde::{Deserialize, Serialize};
use std::collections::hash_map::{DefaultHasher, RandomState};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::hash::{BuildHasher, Hasher};
use std::ops::Bound;
use std::sync::{Arc, OnceLock};

/// Type of a filesystem entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FileKind {
    File,
    Dir,
    Symlink,
    Hardlink,
    CharDevice,
    BlockDevice,
    Fifo,
}

/// One path of the final image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Normalised path, no leading `/` (`usr/bin/ls`).
    pub path: String,
    pub kind: FileKind,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    /// Size of regular files (0 otherwise).
    pub size: u64,
    /// Symlink target as written (may be absolute or relative) or hard-link target (normalised).
    pub link: Option<String>,
    /// Index of the layer that wrote this entry last (0-based; 0 for a root filesystem).
    pub layer: u32,
}

/// Captured file contents.
#[derive(Debug, Clone)]
pub struct Captured {
    pub layer: u32,
    pub data: Arc<Vec<u8>>,
    /// A [`crate::Probe`]'s record for an executable rather than the file's own bytes.
    pub probed: bool,
}

/// A file entry ordered and looked up by its path, so that a set of them is a map from path to
/// entry that stores each path once (a path is most of an entry's memory; an image of 100,000
/// files held them twice as map keys and entries).
#[derive(Debug)]
struct ByPath(FileEntry);

impl std::borrow::Borrow<str> for ByPath {
    fn borrow(&self) -> &str {
        &self.0.path
    }
}

impl PartialEq for ByPath {
    fn eq(&self, other: &Self) -> bool {
        self.0.path == other.0.path
    }
}

impl Eq for ByPath {}

impl PartialOrd for ByPath {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ByPath {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.path.cmp(&other.0.path)
    }
}

/// Per-layer identity kept in the index.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LayerInfo {
    /// Uncompressed digest (diff id) when known, else the blob digest, else a synthetic name.
    pub diff_id: String,
    pub digest: Option<String>,
    /// The history entry that created it (`created_by`), when the config has one.
    pub created_by: Option<String>,
}

/// The merged view of an image.
#[derive(Debug, Default)]
pub struct ImageIndex {
    /// Entries by path; the path is held once, in the entry ([`ByPath`]).
    files: BTreeSet<ByPath>,
    contents: BTreeMap<String, Captured>,
    pub layers: Vec<LayerInfo>,
    /// Safety skips and other non-fatal problems, prefixed with the layer (at most
    /// [`crate::MAX_INDEX_WARNINGS`], then one entry counting the rest).
    pub warnings: Vec<String>,
    warn: WarningCap,
    /// Bounds: `None` until set by [`ImageIndex::with_limits`], then the defaults apply.
    limits: Option<IndexLimits>,
    /// Memory of `files`, in [`entry_cost`] units.
    bytes: u64,
    /// Bytes of `contents`.
    captured: u64,
    /// Keyed hashes of every symlink's path, built on the first [`ImageIndex::resolve`] after a change.
    links: OnceLock<LinkSet>,
    /// What the content scan found, in every layer (not only in the files still present).
    scanned: Vec<ScannedFile>,
}

/// A content-scan record of one file of one layer ([`crate::ContentScan`]).
#[derive(Debug, Clone)]
pub struct ScannedFile {
    /// Index of the layer that holds the file (into [`ImageIndex::layers`]).
    pub layer: u32,
    pub path: String,
    pub record: Vec<u8>,
    /// The later layer that deleted or replaced the file, if one did: the bytes are still in
    /// the image, in `layer`.
    pub removed_in: Option<u32>,
}

#[derive(Debug, Clone, Copy)]
struct IndexLimits {
    max_index_bytes: u64,
    max_captured_total: u64,
}

impl From<&Limits> for IndexLimits {
    fn from(l: &Limits) -> Self {
        IndexLimits {
            max_index_bytes: l.max_index_bytes,
            max_captured_total: l.max_captured_total,
        }
    }
}

/// The symlinks of the index as hashes of their path prefixes: resolving a path hashes each of its
/// prefixes incrementally (one component at a time, O(1) per component) and only looks a prefix up
/// in the index when its hash is a symlink's. Resolution is therefore linear in the length of the
/// path, not quadratic (a lookup per prefix costs the prefix's length). The hasher is std's keyed
/// SipHash with a random key, so an image cannot be crafted to collide.
#[derive(Debug)]
struct LinkSet {
    state: RandomState,
    hashes: HashSet<u64>,
}

impl LinkSet {
    fn step(h: &mut DefaultHasher, comp: &str) -> u64 {
        h.write(comp.as_bytes());
        h.write_u8(0xff);
        h.finish()
    }
}

const MAX_LINK_HOPS: usize = 40;

/// Remove every key starting with `prefix` (a contiguous range of a sorted map), passing each
/// removed value to `gone`.
fn remove_prefixed<V>(map: &mut BTreeMap<String, V>, prefix: &str, mut gone: impl FnMut(&str, &V)) {
    let doomed: Vec<String> = map
        .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
        .take_while(|(k, _)| k.starts_with(prefix))
        .map(|(k, _)| k.clone())
        .collect();
    for k in doomed {
        if let Some(v) = map.remove(&k) {
            gone(&k, &v);
        }
    }
}

fn file_cost(e: &FileEntry) -> u64 {
    entry_cost(&e.path, e.link.as_deref())
}

impl ImageIndex {
    /// An empty index with the default [`Limits`].
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty index bounded by `limits` (`max_index_bytes`, `max_captured_total`).
    pub fn with_limits(limits: &Limits) -> Self {
        ImageIndex {
            limits: Some(limits.into()),
            ..Self::default()
        }
    }

    fn limits(&self) -> IndexLimits {
        self.limits
            .unwrap_or_else(|| IndexLimits::from(&Limits::default()))
    }

    fn remove_file(&mut self, path: &str) {
        if let Some(e) = self.files.take(path) {
            self.bytes -= file_cost(&e.0);
        }
    }

    fn remove_content(&mut self, path: &str) {
        if let Some(c) = self.contents.remove(path) {
            self.captured -= c.data.len() as u64;
        }
    }

    fn remove_subtree(&mut self, dir: &str, include_self: bool) {
        if include_self {
            self.remove_file(dir);
            self.remove_content(dir);
        }
        if dir.is_empty() {
            // Opaque root: everything below is hidden.
            self.files.clear();
            self.contents.clear();
            self.bytes = 0;
            self.captured = 0;
            return;
        }
        let prefix = format!("{dir}/");
        let (mut bytes, mut captured) = (0, 0);
        let doomed: Vec<String> = self
            .files
            .range::<str, _>((Bound::Included(prefix.as_str()), Bound::Unbounded))
            .take_while(|e| e.0.path.starts_with(&prefix))
            .map(|e| e.0.path.clone())
            .collect();
        for k in doomed {
            if let Some(e) = self.files.take(k.as_str()) {
                bytes += file_cost(&e.0);
            }
        }
        remove_prefixed(&mut self.contents, &prefix, |_, c| {
            captured += c.data.len() as u64
        });
        self.bytes -= bytes;
        self.captured -= captured;
    }

    fn warn(&mut self, msg: impl FnOnce() -> String) {
        self.warn.push(&mut self.warnings, MAX_INDEX_WARNINGS, msg);
    }

    /// Apply one layer on top of what is there: first its whiteouts (which hide lower layers only, as
    /// the OCI image spec requires), then its entries and captured contents. Fails when the merged
    /// file list would need more than `max_index_bytes`; captured contents past
    /// `max_captured_total` are left out with a warning.
    pub fn apply_layer(&mut self, info: LayerInfo, facts: LayerFacts) -> Result<()> {
        let limits = self.limits();
        let layer = self.layers.len() as u32;
        let name = info.diff_id.clone();
        self.layers.push(info);
        self.links = OnceLock::new();
        // Files of lower layers this layer deletes (whiteouts, opaque directories) or replaces.
        if self.scanned.iter().any(|s| s.removed_in.is_none()) {
            let replaced: std::collections::HashSet<&str> =
                facts.entries.iter().map(|e| e.path.as_str()).collect();
            let under = |p: &str, dir: &str| {
                p == dir || (p.starts_with(dir) && p.as_bytes().get(dir.len()) == Some(&b'/'))
            };
            for s in self.scanned.iter_mut().filter(|s| s.removed_in.is_none()) {
                if replaced.contains(s.path.as_str())
                    || facts.whiteouts.iter().any(|w| under(&s.path, w))
                    || facts
                        .opaque_dirs
                        .iter()
                        .any(|d| s.path != *d && under(&s.path, d))
                {
                    s.removed_in = Some(layer);
                }
            }
        }
        for dir in &facts.opaque_dirs {
            self.remove_subtree(dir, false);
        }
        for path in &facts.whiteouts {
            self.remove_subtree(path, true);
        }
        for mut entry in facts.entries {
            entry.layer = layer;
            self.remove_content(&entry.path);
            if entry.kind != FileKind::Dir {
                // A non-directory replaces a lower directory and everything in it.
                if matches!(self.files.get(entry.path.as_str()), Some(e) if e.0.kind == FileKind::Dir)
                {
                    self.remove_subtree(&entry.path, false);
                }
            }
            self.bytes += file_cost(&entry);
            if let Some(old) = self.files.replace(ByPath(entry)) {
                self.bytes -= file_cost(&old.0);
            }
            if self.bytes > limits.max_index_bytes {
                return Err(Error::Layer {
                    layer: name,
                    message: format!(
                        "the image's file list needs more than {} bytes of memory (limit \
                         max_index_bytes); refusing to continue",
                        limits.max_index_bytes
                    ),
                });
            }
        }
        let contents = facts.contents.into_iter().map(|(p, d)| (p, d, false));
        let probed = facts.probed.into_iter().map(|(p, d)| (p, d, true));
        for (path, data, probed) in contents.chain(probed) {
            let len = data.len() as u64;
            if self.captured + len > limits.max_captured_total {
                self.warn(|| {
                    format!(
                        "layer {name}: not analysed {path}: file skipped, the image capture limit of \
                         {} bytes is reached (max_captured_total)",
                        limits.max_captured_total
                    )
                });
                continue;
            }
            self.captured += len;
            let old = self.contents.insert(
                path,
                Captured {
                    layer,
                    data: Arc::new(data),
                    probed,
                },
            );
            if let Some(old) = old {
                self.captured -= old.data.len() as u64;
            }
        }
        for (path, record) in facts.scanned {
            let len = record.len() as u64;
            if self.captured + len > limits.max_captured_total {
                self.warn(|| {
                    format!(
                        "layer {name}: not analysed {path}: what the content scan found is over \
                         the image capture limit of {} bytes (max_captured_total)",
                        limits.max_captured_total
                    )
                });
                continue;
            }
            self.captured += len;
            self.scanned.push(ScannedFile {
                layer,
                path,
                record,
                removed_in: None,
            });
        }
        for w in facts.warnings {
            self.warn(|| format!("layer {name}: {w}"));
        }
        Ok(())
    }

    /// What the content scan found in every layer, in layer order.
    pub fn scanned(&self) -> &[ScannedFile] {
        &self.scanned
    }

    /// Remove the paths `skip(path, is_dir)` accepts; a removed directory takes everything below it
    /// along. Returns the number of paths removed.
    pub fn remove_matching(&mut self, skip: impl Fn(&str, bool) -> bool) -> usize {
        let before = self.files.len();
        let doomed: Vec<(String, bool)> = self
            .files
            .iter()
            .map(|e| &e.0)
            .filter(|e| skip(&e.path, e.kind == FileKind::Dir))
            .map(|e| (e.path.clone(), e.kind == FileKind::Dir))
            .collect();
        if doomed.is_empty() {
            return 0;
        }
        self.links = OnceLock::new();
        for (path, _) in doomed {
            self.remove_subtree(&path, true);
        }
        // Content-scan records of skipped paths (in any layer).
        self.scanned.retain(|s| !skip(&s.path, false));
        // Captured contents whose entry was skipped by a pattern on the file itself.
        let files = &self.files;
        let mut released = 0;
        self.contents.retain(|p, c| {
            let keep = files.contains(p.as_str());
            if !keep {
                released += c.data.len() as u64;
            }
            keep
        });
        self.captured -= released;
        before - self.files.len()
    }

    /// Every path of the final image, sorted.
    pub fn files(&self) -> impl Iterator<Item = &FileEntry> {
        self.files.iter().map(|e| &e.0)
    }

    /// Number of paths.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether the image has no files.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Approximate memory of the file list, in the units of [`Limits::max_index_bytes`].
    pub fn index_bytes(&self) -> u64 {
        self.bytes
    }

    /// Bytes of captured contents held.
    pub fn captured_bytes(&self) -> u64 {
        self.captured
    }

    /// The entry at a normalised path, without following links.
    pub fn entry(&self, path: &str) -> Option<&FileEntry> {
        self.files.get(path.trim_start_matches('/')).map(|e| &e.0)
    }

    /// Captured contents of every wanted file (paths as stored, unresolved).
    pub fn captured(&self) -> impl Iterator<Item = (&str, &Captured)> {
        self.contents
            .iter()
            .filter(|(_, v)| !v.probed)
            .map(|(k, v)| (k.as_str(), v))
    }

    /// The executable [`crate::Probe`]'s records, by the executable's path (sorted).
    pub fn probed(&self) -> impl Iterator<Item = (&str, &Captured)> {
        self.contents
            .iter()
            .filter(|(_, v)| v.probed)
            .map(|(k, v)| (k.as_str(), v))
    }

    fn link_set(&self) -> &LinkSet {
        self.links.get_or_init(|| {
            let state = RandomState::new();
            let hashes = self
                .files
                .iter()
                .map(|e| &e.0)
                .filter(|e| e.kind == FileKind::Symlink)
                .filter_map(|e| {
                    let mut h = state.build_hasher();
                    let mut last = None;
                    for c in e.path.split('/') {
                        last = Some(LinkSet::step(&mut h, c));
                    }
                    last
                })
                .collect();
            LinkSet { state, hashes }
        })
    }

    /// Resolve symlinks inside the image: every component is looked up in the index, links are followed
    /// relative to their directory, and `..` at the root stays at the root (as in a chroot), so a link can
    /// never lead outside the image. Returns the final path if it exists. Linear in the length of the
    /// path (and of the link targets followed, at most 40).
    pub fn resolve(&self, path: &str) -> Option<String> {
        let links = self.link_set();
        let mut hops = 0;
        let mut pending: Vec<&str> = path
            .split('/')
            .filter(|c| !c.is_empty() && *c != ".")
            .rev()
            .collect();
        // The resolved components, and the prefix hash state after each.
        let mut resolved: Vec<&str> = Vec::new();
        let mut states: Vec<DefaultHasher> = Vec::new();
        while let Some(comp) = pending.pop() {
            if comp == ".." {
                resolved.pop();
                states.pop();
                continue;
            }
            let mut h = states
                .last()
                .cloned()
                .unwrap_or_else(|| links.state.build_hasher());
            let key = LinkSet::step(&mut h, comp);
            resolved.push(comp);
            states.push(h);
            // Intermediate directories may be implicit in a layer tar; only links matter here.
            if !links.hashes.contains(&key) {
                continue;
            }
            let Some(entry) = self.files.get(resolved.join("/").as_str()).map(|e| &e.0) else {
                continue;
            };
            if entry.kind == FileKind::Symlink {
                hops += 1;
                if hops > MAX_LINK_HOPS {
                    return None;
                }
                let target = entry.link.as_deref().unwrap_or_default();
                resolved.pop();
                states.pop();
                if target.starts_with('/') {
                    resolved.clear();
                    states.clear();
                }
                for c in target.split('/').rev() {
                    if !c.is_empty() && c != "." {
                        pending.push(c);
                    }
                }
            }
        }
        let out = resolved.join("/");
        if self.files.contains(out.as_str()) {
            Some(out)
        } else {
            None
        }
    }

    /// Read captured contents of `path`, following symlinks (and hard links) inside the image.
    pub fn read(&self, path: &str) -> Option<&[u8]> {
        let p = self.resolve(path)?;
        if let Some(c) = self.contents.get(&p) {
            return (!c.probed).then_some(c.data.as_slice());
        }
        let e = &self.files.get(p.as_str())?.0;
        if e.kind == FileKind::Hardlink {
            return self
                .contents
                .get(e.link.as_deref()?)
                .filter(|c| !c.probed)
                .map(|c| c.data.as_slice());
        }
        None
    }

    /// The layer that last wrote a captured file.
    pub fn layer_of(&self, path: &str) -> Option<&LayerInfo> {
        let p = self.resolve(path)?;
        let e = &self.files.get(p.as_str())?.0;
        self.layers.get(e.layer as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, kind: FileKind, link: Option<&str>) -> FileEntry {
        FileEntry {
            path: path.into(),
            kind,
            mode: 0o644,
            uid: 0,
            gid: 0,
            size: 0,
            link: link.map(str::to_string),
            layer: 0,
        }
    }

    fn info(n: &str) -> LayerInfo {
        LayerInfo {
            diff_id: n.into(),
            digest: None,
            created_by: None,
        }
    }

    #[test]
    fn whiteouts_hide_lower_layers_only() {
        let mut idx = ImageIndex::new();
        idx.apply_layer(
            info("l0"),
            LayerFacts {
                entries: vec![
                    entry("opt", FileKind::Dir, None),
                    entry("opt/d", FileKind::Dir, None),
                    entry("opt/d/old", FileKind::File, None),
                    entry("etc/gone", FileKind::File, None),
                ],
                ..Default::default()
            },
        )
        .unwrap();
        idx.apply_layer(
            info("l1"),
            LayerFacts {
                entries: vec![
                    entry("opt/d/new", FileKind::File, None),
                    entry("etc/gone", FileKind::File, None),
                ],
                opaque_dirs: vec!["opt/d".into()],
                whiteouts: vec!["etc/gone".into()],
                ..Default::default()
            },
        )
        .unwrap();
        assert!(idx.entry("opt/d/old").is_none());
        assert!(idx.entry("opt/d/new").is_some());
        assert!(idx.entry("opt/d").is_some());
        // Same-layer entries survive that layer's whiteout.
        assert_eq!(idx.entry("etc/gone").unwrap().layer, 1);
    }

    #[test]
    fn skipped_paths_take_their_subtree_and_contents() {
        let mut idx = ImageIndex::new();
        idx.apply_layer(
            info("l0"),
            LayerFacts {
                entries: vec![
                    entry("app", FileKind::Dir, None),
                    entry("app/node_modules", FileKind::Dir, None),
                    entry("app/node_modules/a.json", FileKind::File, None),
                    entry("app/main.py", FileKind::File, None),
                    entry("app/secret.txt", FileKind::File, None),
                ],
                contents: vec![
                    ("app/node_modules/a.json".into(), b"{}".to_vec()),
                    ("app/main.py".into(), b"print()".to_vec()),
                ],
                ..Default::default()
            },
        )
        .unwrap();
        let n = idx.remove_matching(|p, dir| {
            (dir && p.ends_with("node_modules")) || (!dir && p.ends_with(".txt"))
        });
        assert_eq!(n, 3);
        let left: Vec<&str> = idx.files().map(|e| e.path.as_str()).collect();
        assert_eq!(left, vec!["app", "app/main.py"]);
        assert!(idx.read("app/node_modules/a.json").is_none());
        assert_eq!(idx.read("app/main.py"), Some(&b"print()"[..]));
        assert_eq!(idx.remove_matching(|_, _| false), 0);
    }

    #[test]
    fn symlinks_are_clamped_at_the_root() {
        let mut idx = ImageIndex::new();
        idx.apply_layer(
            info("l0"),
            LayerFacts {
                entries: vec![
                    entry("etc", FileKind::Dir, None),
                    entry(
                        "etc/os-release",
                        FileKind::Symlink,
                        Some("../../../../usr/lib/os-release"),
                    ),
                    entry("usr/lib/os-release", FileKind::File, None),
                    entry("loop", FileKind::Symlink, Some("loop")),
                    entry("abs", FileKind::Symlink, Some("/etc/os-release")),
                ],
                contents: vec![("usr/lib/os-release".into(), b"ID=debian".to_vec())],
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            idx.resolve("etc/os-release").as_deref(),
            Some("usr/lib/os-release")
        );
        assert_eq!(idx.read("abs"), Some(&b"ID=debian"[..]));
        assert_eq!(idx.resolve("loop"), None);
    }
}
