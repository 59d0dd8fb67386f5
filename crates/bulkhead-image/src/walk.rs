//! One streaming pass over one layer tar: every entry is recorded, whiteouts are collected, and the
//! contents of wanted paths are captured (bounded). Nothing is written to disk.

use crate::index::{FileEntry, FileKind};
use crate::tarext::{Pending, absorb, check_size};
use crate::{Error, Limits, Result, Wanted};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::Read;

/// Everything one layer contributes, independent of the layers below it. This is what the per-layer
/// cache stores.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LayerFacts {
    /// Entries in archive order (a later entry for the same path replaces an earlier one).
    pub entries: Vec<FileEntry>,
    /// Paths hidden by `.wh.<name>` files (applies to lower layers only).
    pub whiteouts: Vec<String>,
    /// Directories made opaque by `.wh..wh..opq` (their lower-layer children are hidden).
    pub opaque_dirs: Vec<String>,
    /// Captured contents of wanted regular files: (path, bytes).
    pub contents: Vec<(String, Vec<u8>)>,
    /// Entries skipped or truncated for safety, with the reason.
    pub warnings: Vec<String>,
}

/// Why an entry name was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum PathProblem {
    /// A `..` component: the entry would escape its directory.
    ParentComponent,
    /// Nothing left after normalisation (the root itself).
    Empty,
}

/// Normalise a tar entry name into an index path: no leading `/` or `./`, no `.` or empty components,
/// no trailing `/`. Names with a `..` component are refused, never resolved.
pub fn normalize_entry_path(raw: &str) -> std::result::Result<String, PathProblem> {
    let mut parts: Vec<&str> = Vec::new();
    for comp in raw.split('/') {
        match comp {
            "" | "." => {}
            ".." => return Err(PathProblem::ParentComponent),
            c => parts.push(c),
        }
    }
    if parts.is_empty() {
        return Err(PathProblem::Empty);
    }
    Ok(parts.join("/"))
}

fn parent_and_name(path: &str) -> (&str, &str) {
    match path.rfind('/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => ("", path),
    }
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// Walk one decompressed layer tar. `layer` names the layer in messages.
pub fn walk_layer<R: Read>(
    reader: R,
    layer: &str,
    wanted: &Wanted,
    limits: &Limits,
) -> Result<LayerFacts> {
    let layer_err = |message: String| Error::Layer {
        layer: layer.to_string(),
        message,
    };
    let mut facts = LayerFacts::default();
    let mut archive = tar::Archive::new(reader);
    let mut captured_total: u64 = 0;
    // Where each captured path's latest contents sit in `facts.contents` (hard links look targets up).
    let mut captured_at: HashMap<String, usize> = HashMap::new();
    let mut count: u64 = 0;
    // Raw mode: extension records are applied by `tarext`, bounded (see there).
    let entries = archive
        .entries()
        .map_err(|e| layer_err(format!("not a tar stream: {e}")))?
        .raw(true);
    let mut pending = Pending::default();
    for entry in entries {
        let mut entry = entry.map_err(|e| layer_err(format!("corrupt or truncated tar: {e}")))?;
        if absorb(&mut entry, &mut pending).map_err(&layer_err)? {
            continue;
        }
        let ext = std::mem::take(&mut pending);
        check_size(&ext, entry.size()).map_err(&layer_err)?;
        count += 1;
        if count > limits.max_entries_per_layer {
            return Err(layer_err(format!(
                "more than {} entries; refusing to continue",
                limits.max_entries_per_layer
            )));
        }
        let raw_name = ext.path_of(&entry);
        let path = match normalize_entry_path(&raw_name) {
            Ok(p) => p,
            Err(PathProblem::Empty) => continue, // "./" or "/": the root directory itself
            Err(PathProblem::ParentComponent) => {
                facts.warnings.push(format!(
                    "skipped entry {raw_name:?}: path escapes the root (..)"
                ));
                continue;
            }
        };
        let (dir, name) = parent_and_name(&path);
        if let Some(hidden) = name.strip_prefix(".wh.") {
            if hidden == ".wh..opq" {
                facts.opaque_dirs.push(dir.to_string());
            } else if hidden.starts_with(".wh.") {
                // aufs bookkeeping (.wh..wh.plnk, .wh..wh.aufs): not part of the image.
            } else if hidden.is_empty() || hidden == "." || hidden == ".." {
                facts
                    .warnings
                    .push(format!("skipped whiteout {raw_name:?}: it names no file"));
            } else {
                facts.whiteouts.push(join(dir, hidden));
            }
            continue;
        }
        let header = entry.header();
        let et = header.entry_type();
        let kind = match et {
            tar::EntryType::Directory => FileKind::Dir,
            tar::EntryType::Symlink => FileKind::Symlink,
            tar::EntryType::Link => FileKind::Hardlink,
            tar::EntryType::Char => FileKind::CharDevice,
            tar::EntryType::Block => FileKind::BlockDevice,
            tar::EntryType::Fifo => FileKind::Fifo,
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
                FileKind::File
            }
            other => {
                facts.warnings.push(format!(
                    "skipped entry {raw_name:?}: unsupported tar entry type {other:?}"
                ));
                continue;
            }
        };
        let mode = header.mode().unwrap_or(0);
        let uid = header.uid().unwrap_or(0);
        let gid = header.gid().unwrap_or(0);
        let size = if kind == FileKind::File {
            entry.size()
        } else {
            0
        };
        let link = match kind {
            FileKind::Symlink | FileKind::Hardlink => {
                let target = ext.link_of(&entry);
                if kind == FileKind::Hardlink {
                    match normalize_entry_path(&target) {
                        Ok(t) => Some(t),
                        Err(_) => {
                            facts.warnings.push(format!(
                                "skipped hard link {raw_name:?} -> {target:?}: target escapes the root"
                            ));
                            continue;
                        }
                    }
                } else {
                    Some(target)
                }
            }
            _ => None,
        };
        if wanted.wants(&path) {
            match kind {
                FileKind::File => {
                    if size > limits.max_captured_file {
                        facts.warnings.push(format!(
                            "not analysed {path}: {size} bytes is over the {} byte limit",
                            limits.max_captured_file
                        ));
                    } else if captured_total + size > limits.max_captured_per_layer {
                        facts.warnings.push(format!(
                            "not analysed {path}: layer capture limit of {} bytes reached",
                            limits.max_captured_per_layer
                        ));
                    } else {
                        let mut buf = Vec::with_capacity(size.min(1 << 20) as usize);
                        (&mut entry)
                            .take(size)
                            .read_to_end(&mut buf)
                            .map_err(|e| layer_err(format!("reading {path}: {e}")))?;
                        if (buf.len() as u64) < size {
                            return Err(layer_err(format!("truncated entry {path}")));
                        }
                        captured_total += size;
                        captured_at.insert(path.clone(), facts.contents.len());
                        facts.contents.push((path.clone(), buf));
                    }
                }
                FileKind::Hardlink => {
                    // A hard link shares its target's bytes; the target precedes it in the tar.
                    // The copy counts against the layer's capture bound like any captured file.
                    let target = link.as_deref().unwrap_or_default();
                    if let Some(&i) = captured_at.get(target) {
                        let len = facts.contents[i].1.len() as u64;
                        if captured_total + len > limits.max_captured_per_layer {
                            facts.warnings.push(format!(
                                "not analysed {path}: layer capture limit of {} bytes reached",
                                limits.max_captured_per_layer
                            ));
                        } else {
                            let data = facts.contents[i].1.clone();
                            captured_total += len;
                            captured_at.insert(path.clone(), facts.contents.len());
                            facts.contents.push((path.clone(), data));
                        }
                    }
                }
                _ => {}
            }
        }
        facts.entries.push(FileEntry {
            path,
            kind,
            mode,
            uid,
            gid,
            size,
            link,
            layer: 0,
        });
    }
    Ok(facts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_refuses_parent_components() {
        assert_eq!(normalize_entry_path("./etc/passwd").unwrap(), "etc/passwd");
        assert_eq!(normalize_entry_path("/etc//passwd/").unwrap(), "etc/passwd");
        assert_eq!(
            normalize_entry_path("../etc/passwd"),
            Err(PathProblem::ParentComponent)
        );
        assert_eq!(
            normalize_entry_path("a/../../b"),
            Err(PathProblem::ParentComponent)
        );
        assert_eq!(normalize_entry_path("./"), Err(PathProblem::Empty));
    }
}
