//! One streaming pass over one layer tar: every entry is recorded, whiteouts are collected, and the
//! contents of wanted paths are captured (bounded). Nothing is written to disk.

use crate::index::{FileEntry, FileKind};
use crate::tarext::{Pending, absorb, check_size};
use crate::{
    ELF_MAGIC, Error, Limits, MAX_LAYER_WARNINGS, MAX_PROBE_RECORD, ProbeInput, Result, Wanted,
    WarningCap, probe_candidate, shown,
};
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
    #[serde(with = "contents_as_bytes")]
    pub contents: Vec<(String, Vec<u8>)>,
    /// What the executable [`crate::Probe`] found in this layer's executables: (path, record).
    #[serde(with = "contents_as_bytes")]
    pub probed: Vec<(String, Vec<u8>)>,
    /// What the [`crate::ContentScan`] found in this layer's files: (path, record).
    #[serde(with = "contents_as_bytes")]
    pub scanned: Vec<(String, Vec<u8>)>,
    /// Entries skipped or truncated for safety, with the reason (at most
    /// [`crate::MAX_LAYER_WARNINGS`], then one entry counting the rest).
    pub warnings: Vec<String>,
    /// Size of the uncompressed layer stream (0 when unknown, e.g. a root filesystem). Kept with
    /// the cached facts so `max_image_uncompressed` judges an image the same, cold or warm.
    pub uncompressed: u64,
}

/// Captured contents as byte strings rather than sequences of `u8`: the same postcard encoding
/// (a length, then the bytes), written and read as one slice instead of byte by byte.
mod contents_as_bytes {
    use serde::de::{SeqAccess, Visitor};
    use serde::ser::SerializeSeq;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    struct Bytes<'a>(&'a [u8]);

    impl Serialize for Bytes<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(self.0)
        }
    }

    struct ByteBuf(Vec<u8>);

    impl<'de> Deserialize<'de> for ByteBuf {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = ByteBuf;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("bytes")
                }
                fn visit_bytes<E>(self, v: &[u8]) -> Result<ByteBuf, E> {
                    Ok(ByteBuf(v.to_vec()))
                }
                fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<ByteBuf, E> {
                    Ok(ByteBuf(v))
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ByteBuf, A::Error> {
                    let mut out = Vec::new();
                    while let Some(b) = seq.next_element()? {
                        out.push(b);
                    }
                    Ok(ByteBuf(out))
                }
            }
            d.deserialize_byte_buf(V)
        }
    }

    pub fn serialize<S: Serializer>(v: &[(String, Vec<u8>)], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for (path, data) in v {
            seq.serialize_element(&(path, Bytes(data)))?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<(String, Vec<u8>)>, D::Error> {
        let v: Vec<(String, ByteBuf)> = Vec::deserialize(d)?;
        Ok(v.into_iter().map(|(p, b)| (p, b.0)).collect())
    }
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

/// Approximate memory an index entry costs: its path twice (the map key and the entry), its link
/// target, and the fixed part of the entry and its map node. [`crate::Limits::max_index_bytes`]
/// is counted in these units.
pub fn entry_cost(path: &str, link: Option<&str>) -> u64 {
    2 * path.len() as u64 + link.map_or(0, |l| l.len() as u64) + 160
}

/// Capacity of the probe buffer kept between executables; a larger one is released after use.
const PROBE_BUF_KEEP: usize = 32 << 20;

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
    let mut warn = WarningCap::default();
    let mut warning = |facts: &mut LayerFacts, msg: &dyn Fn() -> String| {
        warn.push(&mut facts.warnings, MAX_LAYER_WARNINGS, msg);
    };
    let mut archive = tar::Archive::new(reader);
    let mut captured_total: u64 = 0;
    // Where each captured path's latest contents sit in `facts.contents` (hard links look targets up).
    let mut captured_at: HashMap<String, usize> = HashMap::new();
    let mut count: u64 = 0;
    // The executable being probed (reused; released when a large one grew it past PROBE_BUF_KEEP).
    let mut probe_buf: Vec<u8> = Vec::new();
    // A file read for the content scan (reused; at most `max_scanned_file`).
    let mut scan_buf: Vec<u8> = Vec::new();
    // Files the content scan was not offered because of their size (said once per layer).
    let mut unscanned: u64 = 0;
    // Memory the recorded entries, whiteouts and opaque directories take (see `entry_cost`).
    let mut bytes: u64 = 0;
    let mut charge = |cost: u64| -> Result<()> {
        bytes += cost;
        if bytes > limits.max_index_bytes {
            return Err(layer_err(format!(
                "the layer's file list needs more than {} bytes of memory (limit max_index_bytes); \
                 refusing to continue",
                limits.max_index_bytes
            )));
        }
        Ok(())
    };
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
                "more than {} entries (limit max_entries_per_layer); refusing to continue",
                limits.max_entries_per_layer
            )));
        }
        let raw_name = ext.path_of(&entry);
        if raw_name.len() > limits.max_path_len {
            warning(&mut facts, &|| {
                format!(
                    "skipped entry {}: its name is over the {} byte limit",
                    shown(&raw_name),
                    limits.max_path_len
                )
            });
            continue;
        }
        let path = match normalize_entry_path(&raw_name) {
            Ok(p) => p,
            Err(PathProblem::Empty) => continue, // "./" or "/": the root directory itself
            Err(PathProblem::ParentComponent) => {
                warning(&mut facts, &|| {
                    format!(
                        "skipped entry {}: path escapes the root (..)",
                        shown(&raw_name)
                    )
                });
                continue;
            }
        };
        let (dir, name) = parent_and_name(&path);
        if let Some(hidden) = name.strip_prefix(".wh.") {
            if hidden == ".wh..opq" {
                charge(entry_cost(dir, None))?;
                facts.opaque_dirs.push(dir.to_string());
            } else if hidden.starts_with(".wh.") {
                // aufs bookkeeping (.wh..wh.plnk, .wh..wh.aufs): not part of the image.
            } else if hidden.is_empty() || hidden == "." || hidden == ".." {
                warning(&mut facts, &|| {
                    format!("skipped whiteout {}: it names no file", shown(&raw_name))
                });
            } else {
                let hidden = join(dir, hidden);
                charge(entry_cost(&hidden, None))?;
                facts.whiteouts.push(hidden);
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
                warning(&mut facts, &|| {
                    format!(
                        "skipped entry {}: unsupported tar entry type {other:?}",
                        shown(&raw_name)
                    )
                });
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
                if target.len() > limits.max_path_len {
                    warning(&mut facts, &|| {
                        format!(
                            "skipped link {}: its target is over the {} byte limit",
                            shown(&raw_name),
                            limits.max_path_len
                        )
                    });
                    continue;
                }
                if kind == FileKind::Hardlink {
                    match normalize_entry_path(&target) {
                        Ok(t) => Some(t),
                        Err(_) => {
                            warning(&mut facts, &|| {
                                format!(
                                    "skipped hard link {} -> {}: target escapes the root",
                                    shown(&raw_name),
                                    shown(&target)
                                )
                            });
                            continue;
                        }
                    }
                } else {
                    Some(target)
                }
            }
            _ => None,
        };
        charge(entry_cost(&path, link.as_deref()))?;
        // Where the content scan finds the file's bytes once the branches below have read some.
        let mut scan_from = ScanFrom::Unread;
        if wanted.wants(&path) {
            match kind {
                FileKind::File => {
                    if size > limits.max_captured_file {
                        warning(&mut facts, &|| {
                            format!(
                                "not analysed {path}: file skipped, {size} bytes is larger than the \
                                 {} byte limit (max_captured_file)",
                                limits.max_captured_file
                            )
                        });
                    } else if captured_total + size > limits.max_captured_per_layer {
                        warning(&mut facts, &|| {
                            format!(
                                "not analysed {path}: file skipped, the layer capture limit of {} \
                                 bytes is reached (max_captured_per_layer)",
                                limits.max_captured_per_layer
                            )
                        });
                    } else {
                        // `size` was checked against `max_captured_file` and the layer's capture
                        // budget above: allocate it exactly (growing by doubling would touch up to
                        // twice as much).
                        let mut buf = Vec::with_capacity(size as usize);
                        read_whole(&mut entry, &mut buf, size, &path).map_err(&layer_err)?;
                        captured_total += size;
                        captured_at.insert(path.clone(), facts.contents.len());
                        scan_from = ScanFrom::Captured(facts.contents.len());
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
                            warning(&mut facts, &|| {
                                format!(
                                    "not analysed {path}: file skipped, the layer capture limit \
                                     of {} bytes is reached (max_captured_per_layer)",
                                    limits.max_captured_per_layer
                                )
                            });
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
        } else if kind == FileKind::File
            && let Some(probe) = wanted.probe()
        {
            let by_path = wanted.probes_path(&path);
            let executable = mode & 0o111 != 0;
            if by_path && size <= limits.max_probed_file || probe_candidate(mode, size, limits) {
                // The first bytes say whether an executable is an ELF file.
                probe_buf.clear();
                (&mut entry)
                    .take(4)
                    .read_to_end(&mut probe_buf)
                    .map_err(|e| layer_err(format!("reading {path}: {e}")))?;
                scan_from = ScanFrom::Head;
                if by_path || probe_buf.as_slice() == ELF_MAGIC {
                    // An ELF executable is binary, not for the content scan; an archive the scan
                    // may look into (secrets in a jar's configuration), from the probe's buffer.
                    scan_from = if probe_buf.as_slice() == ELF_MAGIC {
                        ScanFrom::Binary
                    } else {
                        ScanFrom::Probed
                    };
                    // A stream cannot seek: the file is held while the probe looks (one at a
                    // time; `size` is at most `max_probed_file`).
                    read_whole(&mut entry, &mut probe_buf, size, &path).map_err(&layer_err)?;
                    match probe(&path, ProbeInput::Bytes(&probe_buf)) {
                        Some(r) if r.len() > MAX_PROBE_RECORD => warning(&mut facts, &|| {
                            format!("not analysed {path}: its package list is too large")
                        }),
                        Some(r)
                            if captured_total + r.len() as u64 > limits.max_captured_per_layer =>
                        {
                            warning(&mut facts, &|| {
                                format!(
                                    "not analysed {path}: the layer capture limit of {} bytes is \
                                     reached (max_captured_per_layer)",
                                    limits.max_captured_per_layer
                                )
                            })
                        }
                        Some(r) => {
                            captured_total += r.len() as u64;
                            facts.probed.push((path.clone(), r));
                        }
                        None => {}
                    }
                }
            } else if (by_path || executable) && size > limits.max_probed_file {
                warning(&mut facts, &|| {
                    format!(
                        "not analysed {path}: not probed for the packages it carries, {size} \
                         bytes is larger than the {} byte limit (max_probed_file)",
                        limits.max_probed_file
                    )
                });
            }
        }
        if kind == FileKind::File
            && let Some(scan) = wanted.content_scan()
        {
            // An archive the probe holds whole is offered whatever its size (up to
            // `max_probed_file`): the scan looks into its members, within its own bounds.
            let record = if size > limits.max_scanned_file && scan_from != ScanFrom::Probed {
                unscanned += 1;
                None
            } else {
                match scan_from {
                    ScanFrom::Captured(i) => scan(&path, &facts.contents[i].1),
                    ScanFrom::Probed => scan(&path, &probe_buf),
                    ScanFrom::Binary => None,
                    ScanFrom::Head | ScanFrom::Unread => {
                        scan_buf.clear();
                        if scan_from == ScanFrom::Head {
                            scan_buf.extend_from_slice(&probe_buf);
                        }
                        read_whole(&mut entry, &mut scan_buf, size, &path).map_err(&layer_err)?;
                        let r = scan(&path, &scan_buf);
                        if scan_buf.capacity() > PROBE_BUF_KEEP {
                            scan_buf = Vec::new();
                        }
                        r
                    }
                }
            };
            match record {
                Some(r)
                    if r.len() > MAX_PROBE_RECORD
                        || captured_total + r.len() as u64 > limits.max_captured_per_layer =>
                {
                    warning(&mut facts, &|| {
                        format!("not analysed {path}: what the content scan found is too large")
                    })
                }
                Some(r) => {
                    captured_total += r.len() as u64;
                    facts.scanned.push((path.clone(), r));
                }
                None => {}
            }
        }
        // A large probed file's buffer is not kept for the next one.
        if probe_buf.capacity() > PROBE_BUF_KEEP {
            probe_buf = Vec::new();
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
    if unscanned > 0 {
        warning(&mut facts, &|| unscanned_warning(unscanned, limits));
    }
    Ok(facts)
}

/// What the content scan left out for size, counted (a layer's or a directory's).
pub(crate) fn unscanned_warning(n: u64, limits: &Limits) -> String {
    format!(
        "not scanned for secrets: {n} file(s) larger than {} bytes (max_scanned_file)",
        limits.max_scanned_file
    )
}

/// Read the rest of a `size`-byte entry into `buf`, which may already hold its first bytes.
fn read_whole(
    entry: &mut impl Read,
    buf: &mut Vec<u8>,
    size: u64,
    path: &str,
) -> std::result::Result<(), String> {
    let already = buf.len() as u64;
    entry
        .take(size.saturating_sub(already))
        .read_to_end(buf)
        .map_err(|e| format!("reading {path}: {e}"))?;
    if (buf.len() as u64) < size {
        return Err(format!("truncated entry {path}"));
    }
    Ok(())
}

/// What of a file the walk has read when the content scan comes to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ScanFrom {
    /// Nothing: the scan reads it.
    Unread,
    /// Captured whole for an analyzer, at this index of the layer's contents.
    Captured(usize),
    /// Its first bytes, in the probe buffer (an executable that is not ELF: a script).
    Head,
    /// Read whole by the probe, in the probe buffer: an archive (the scan may look into it).
    Probed,
    /// Read whole by the probe: an ELF executable, not scanned.
    Binary,
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
