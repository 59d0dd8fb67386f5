//! The image index: the final file tree after applying every layer in order with OCI whiteout
//! semantics, plus the captured contents of the paths analyzers asked for.

use crate::walk::LayerFacts;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

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
    files: BTreeMap<String, FileEntry>,
    contents: BTreeMap<String, Captured>,
    pub layers: Vec<LayerInfo>,
    /// Safety skips and other non-fatal problems, prefixed with the layer.
    pub warnings: Vec<String>,
}

const MAX_LINK_HOPS: usize = 40;

/// Remove every key starting with `prefix` (a contiguous range of a sorted map).
fn remove_prefixed<V>(map: &mut BTreeMap<String, V>, prefix: &str) {
    let doomed: Vec<String> = map
        .range(prefix.to_string()..)
        .take_while(|(k, _)| k.starts_with(prefix))
        .map(|(k, _)| k.clone())
        .collect();
    for k in doomed {
        map.remove(&k);
    }
}

impl ImageIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    fn remove_subtree(&mut self, dir: &str, include_self: bool) {
        if include_self {
            self.files.remove(dir);
            self.contents.remove(dir);
        }
        if dir.is_empty() {
            // Opaque root: everything below is hidden.
            self.files.clear();
            self.contents.clear();
            return;
        }
        let prefix = format!("{dir}/");
        remove_prefixed(&mut self.files, &prefix);
        remove_prefixed(&mut self.contents, &prefix);
    }

    /// Apply one layer on top of what is there: first its whiteouts (which hide lower layers only, as
    /// the OCI image spec requires), then its entries and captured contents.
    pub fn apply_layer(&mut self, info: LayerInfo, facts: LayerFacts) {
        let layer = self.layers.len() as u32;
        let name = info.diff_id.clone();
        self.layers.push(info);
        for dir in &facts.opaque_dirs {
            self.remove_subtree(dir, false);
        }
        for path in &facts.whiteouts {
            self.remove_subtree(path, true);
        }
        for mut entry in facts.entries {
            entry.layer = layer;
            self.contents.remove(&entry.path);
            if entry.kind != FileKind::Dir {
                // A non-directory replaces a lower directory and everything in it.
                if matches!(self.files.get(&entry.path), Some(e) if e.kind == FileKind::Dir) {
                    self.remove_subtree(&entry.path, false);
                }
            }
            self.files.insert(entry.path.clone(), entry);
        }
        for (path, data) in facts.contents {
            self.contents.insert(
                path,
                Captured {
                    layer,
                    data: Arc::new(data),
                },
            );
        }
        for w in facts.warnings {
            self.warnings.push(format!("layer {name}: {w}"));
        }
    }

    /// Remove the paths `skip(path, is_dir)` accepts; a removed directory takes everything below it
    /// along. Returns the number of paths removed.
    pub fn remove_matching(&mut self, skip: impl Fn(&str, bool) -> bool) -> usize {
        let before = self.files.len();
        let doomed: Vec<(String, bool)> = self
            .files
            .values()
            .filter(|e| skip(&e.path, e.kind == FileKind::Dir))
            .map(|e| (e.path.clone(), e.kind == FileKind::Dir))
            .collect();
        if doomed.is_empty() {
            return 0;
        }
        for (path, _) in doomed {
            self.remove_subtree(&path, true);
        }
        // Captured contents whose entry was skipped by a pattern on the file itself.
        let files = &self.files;
        self.contents.retain(|p, _| files.contains_key(p));
        before - self.files.len()
    }

    /// Every path of the final image, sorted.
    pub fn files(&self) -> impl Iterator<Item = &FileEntry> {
        self.files.values()
    }

    /// Number of paths.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether the image has no files.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The entry at a normalised path, without following links.
    pub fn entry(&self, path: &str) -> Option<&FileEntry> {
        self.files.get(path.trim_start_matches('/'))
    }

    /// Captured contents of every wanted file (paths as stored, unresolved).
    pub fn captured(&self) -> impl Iterator<Item = (&str, &Captured)> {
        self.contents.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Resolve symlinks inside the image: every component is looked up in the index, links are followed
    /// relative to their directory, and `..` at the root stays at the root (as in a chroot), so a link can
    /// never lead outside the image. Returns the final path if it exists.
    pub fn resolve(&self, path: &str) -> Option<String> {
        let mut hops = 0;
        let mut pending: Vec<String> = path
            .split('/')
            .filter(|c| !c.is_empty() && *c != ".")
            .map(str::to_string)
            .rev()
            .collect();
        let mut resolved: Vec<String> = Vec::new();
        while let Some(comp) = pending.pop() {
            if comp == ".." {
                resolved.pop();
                continue;
            }
            resolved.push(comp);
            let cur = resolved.join("/");
            // Intermediate directories may be implicit in a layer tar; only links matter here.
            let Some(entry) = self.files.get(&cur) else {
                continue;
            };
            if entry.kind == FileKind::Symlink {
                hops += 1;
                if hops > MAX_LINK_HOPS {
                    return None;
                }
                let target = entry.link.clone().unwrap_or_default();
                resolved.pop();
                if target.starts_with('/') {
                    resolved.clear();
                }
                for c in target.split('/').rev() {
                    if !c.is_empty() && c != "." {
                        pending.push(c.to_string());
                    }
                }
            }
        }
        let out = resolved.join("/");
        if self.files.contains_key(&out) {
            Some(out)
        } else {
            None
        }
    }

    /// Read captured contents of `path`, following symlinks (and hard links) inside the image.
    pub fn read(&self, path: &str) -> Option<&[u8]> {
        let p = self.resolve(path)?;
        if let Some(c) = self.contents.get(&p) {
            return Some(c.data.as_slice());
        }
        let e = self.files.get(&p)?;
        if e.kind == FileKind::Hardlink {
            return self
                .contents
                .get(e.link.as_deref()?)
                .map(|c| c.data.as_slice());
        }
        None
    }

    /// The layer that last wrote a captured file.
    pub fn layer_of(&self, path: &str) -> Option<&LayerInfo> {
        let p = self.resolve(path)?;
        let e = self.files.get(&p)?;
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
        );
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
        );
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
        );
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
        );
        assert_eq!(
            idx.resolve("etc/os-release").as_deref(),
            Some("usr/lib/os-release")
        );
        assert_eq!(idx.read("abs"), Some(&b"ID=debian"[..]));
        assert_eq!(idx.resolve("loop"), None);
    }
}
