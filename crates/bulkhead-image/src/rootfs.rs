//! A root filesystem directory (an unpacked image, a debootstrap tree, or `/`) read into an
//! [`ImageIndex`] as a single layer. Links are recorded, never followed; captured files are opened only
//! after checking they are regular files, and the opened file is checked to be the one inspected.

use crate::index::{FileEntry, FileKind, ImageIndex, LayerInfo};
use crate::walk::{LayerFacts, entry_cost};
use crate::{
    ELF_MAGIC, Error, Limits, MAX_LAYER_WARNINGS, MAX_PROBE_RECORD, ProbeInput, Result, Wanted,
    WarningCap, probe_candidate,
};
use std::fs;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::Path;

/// Walk `root` into an index.
pub fn index_rootfs(root: &Path, wanted: &Wanted, limits: &Limits) -> Result<ImageIndex> {
    index_rootfs_with(root, wanted, limits, None, None)
}

/// [`index_rootfs`], reporting the paths walked to `progress` and leaving out the paths `skip`
/// accepts (a skipped directory is not descended into).
pub fn index_rootfs_with(
    root: &Path,
    wanted: &Wanted,
    limits: &Limits,
    progress: Option<&crate::scan::ProgressFn>,
    skip: Option<&crate::scan::SkipFn>,
) -> Result<ImageIndex> {
    let meta = fs::metadata(root).map_err(|e| Error::io(root.display(), e))?;
    if !meta.is_dir() {
        return Err(Error::Invalid(format!(
            "{}: not a directory",
            root.display()
        )));
    }
    let root_dev = meta.dev();
    let mut facts = LayerFacts::default();
    let mut warn = WarningCap::default();
    let mut captured_total = 0u64;
    // Files the content scan was not offered because of their size (said once).
    let mut unscanned = 0u64;
    let mut bytes = 0u64;
    let mut stack: Vec<String> = vec![String::new()];
    while let Some(rel) = stack.pop() {
        let dir = if rel.is_empty() {
            root.to_path_buf()
        } else {
            root.join(&rel)
        };
        let rd = match fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) => {
                warn.push(&mut facts.warnings, MAX_LAYER_WARNINGS, || {
                    format!("cannot read directory {}: {e}", dir.display())
                });
                continue;
            }
        };
        let mut names: Vec<_> = rd.filter_map(|e| e.ok()).collect();
        names.sort_by_key(|e| e.file_name());
        for e in names {
            let name = e.file_name().to_string_lossy().into_owned();
            let path = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            let full = e.path();
            if path.len() > limits.max_path_len {
                warn.push(&mut facts.warnings, MAX_LAYER_WARNINGS, || {
                    format!(
                        "skipped {}: its path is over the {} byte limit",
                        crate::shown(&path),
                        limits.max_path_len
                    )
                });
                continue;
            }
            let m = match fs::symlink_metadata(&full) {
                Ok(m) => m,
                Err(err) => {
                    warn.push(&mut facts.warnings, MAX_LAYER_WARNINGS, || {
                        format!("cannot stat {}: {err}", full.display())
                    });
                    continue;
                }
            };
            if facts.entries.len() as u64 >= limits.max_entries_per_layer {
                return Err(Error::Invalid(format!(
                    "{}: more than {} files; refusing to continue",
                    root.display(),
                    limits.max_entries_per_layer
                )));
            }
            let ft = m.file_type();
            if let Some(skip) = skip
                && skip(&path, ft.is_dir())
            {
                continue;
            }
            if let Some(p) = progress
                && facts.entries.len() % 4096 == 0
            {
                p(crate::scan::ScanProgress::Files(facts.entries.len() as u64));
            }
            let kind = if ft.is_dir() {
                FileKind::Dir
            } else if ft.is_symlink() {
                FileKind::Symlink
            } else if ft.is_file() {
                FileKind::File
            } else if ft.is_char_device() {
                FileKind::CharDevice
            } else if ft.is_block_device() {
                FileKind::BlockDevice
            } else if ft.is_fifo() {
                FileKind::Fifo
            } else {
                continue; // sockets
            };
            let link = if kind == FileKind::Symlink {
                fs::read_link(&full)
                    .ok()
                    .map(|t| t.to_string_lossy().into_owned())
            } else {
                None
            };
            bytes += entry_cost(&path, link.as_deref());
            if bytes > limits.max_index_bytes {
                return Err(Error::Invalid(format!(
                    "{}: the file list needs more than {} bytes of memory (limit max_index_bytes); \
                     refusing to continue",
                    root.display(),
                    limits.max_index_bytes
                )));
            }
            let size = if kind == FileKind::File { m.len() } else { 0 };
            if kind == FileKind::File && wanted.wants(&path) {
                if size > limits.max_captured_file {
                    warn.push(&mut facts.warnings, MAX_LAYER_WARNINGS, || {
                        format!(
                            "not analysed {path}: file skipped, {size} bytes is larger than the {} \
                             byte limit (max_captured_file)",
                            limits.max_captured_file
                        )
                    });
                } else if captured_total + size > limits.max_captured_per_layer
                    || captured_total + size > limits.max_captured_total
                {
                    warn.push(&mut facts.warnings, MAX_LAYER_WARNINGS, || {
                        format!(
                            "not analysed {path}: file skipped, the capture limit of {} bytes is \
                             reached (max_captured_per_layer, max_captured_total)",
                            limits.max_captured_per_layer.min(limits.max_captured_total)
                        )
                    });
                } else if let Some(data) = read_regular(&full, &m, size) {
                    captured_total += data.len() as u64;
                    facts.contents.push((path.clone(), data));
                } else {
                    warn.push(&mut facts.warnings, MAX_LAYER_WARNINGS, || {
                        format!("not analysed {path}: changed while reading")
                    });
                }
            }
            if kind == FileKind::File
                && !wanted.wants(&path)
                && let Some(probe) = wanted.probe()
            {
                let by_path = wanted.probes_path(&path);
                if by_path && size <= limits.max_probed_file
                    || probe_candidate(m.mode(), size, limits)
                {
                    // Only where the probe looks is read (an executable's ELF headers and the
                    // sections they name; an archive's directory and the entries it needs).
                    if let Some(f) = open_regular(&full, &m)
                        && (by_path || starts_with_elf(&f))
                        && let Some(r) = probe(&path, ProbeInput::File(&f))
                    {
                        if r.len() > MAX_PROBE_RECORD
                            || captured_total + r.len() as u64 > limits.max_captured_total
                        {
                            warn.push(&mut facts.warnings, MAX_LAYER_WARNINGS, || {
                                format!(
                                    "not analysed {path}: its package list is too large or the \
                                     capture limit is reached (max_captured_total)"
                                )
                            });
                        } else {
                            captured_total += r.len() as u64;
                            facts.probed.push((path.clone(), r));
                        }
                    }
                } else if (by_path || m.mode() & 0o111 != 0) && size > limits.max_probed_file {
                    warn.push(&mut facts.warnings, MAX_LAYER_WARNINGS, || {
                        format!(
                            "not analysed {path}: not probed for the packages it carries, \
                             {size} bytes is larger than the {} byte limit (max_probed_file)",
                            limits.max_probed_file
                        )
                    });
                }
            }
            let offered = size <= limits.max_scanned_file
                || wanted.probes_path(&path) && size <= limits.max_probed_file;
            if kind == FileKind::File && !offered && wanted.content_scan().is_some() {
                unscanned += 1;
            }
            if kind == FileKind::File
                && offered
                && let Some(scan) = wanted.content_scan()
            {
                // Executables that are ELF files are binary: not read for the scan.
                let elf = m.mode() & 0o111 != 0
                    && open_regular(&full, &m).is_some_and(|f| starts_with_elf(&f));
                let record = if elf {
                    None
                } else {
                    match facts.contents.last().filter(|(p, _)| *p == path) {
                        Some((_, data)) => scan(&path, data),
                        None => read_regular(&full, &m, size).and_then(|d| scan(&path, &d)),
                    }
                };
                if let Some(r) = record {
                    if r.len() > MAX_PROBE_RECORD
                        || captured_total + r.len() as u64 > limits.max_captured_total
                    {
                        warn.push(&mut facts.warnings, MAX_LAYER_WARNINGS, || {
                            format!("not analysed {path}: what the content scan found is too large")
                        });
                    } else {
                        captured_total += r.len() as u64;
                        facts.scanned.push((path.clone(), r));
                    }
                }
            }
            // Do not descend into other filesystems (/proc, /sys, bind mounts) when scanning a live root.
            if kind == FileKind::Dir && m.dev() == root_dev {
                stack.push(path.clone());
            }
            facts.entries.push(FileEntry {
                path,
                kind,
                mode: m.mode() & 0o7777,
                uid: m.uid() as u64,
                gid: m.gid() as u64,
                size,
                link,
                layer: 0,
            });
        }
    }
    if unscanned > 0 {
        warn.push(&mut facts.warnings, MAX_LAYER_WARNINGS, || {
            crate::walk::unscanned_warning(unscanned, limits)
        });
    }
    let mut index = ImageIndex::with_limits(limits);
    index.apply_layer(
        LayerInfo {
            diff_id: format!("rootfs:{}", root.display()),
            digest: None,
            created_by: None,
        },
        facts,
    )?;
    Ok(index)
}

/// Open `path` if it is still the regular file `lstat` described. Non-blocking, so a FIFO swapped
/// in after the lstat cannot hold the walk; the opened file is checked to be the one inspected.
fn open_regular(path: &Path, lstat: &fs::Metadata) -> Option<fs::File> {
    let f = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .ok()?;
    let m = f.metadata().ok()?;
    if !m.is_file() || m.ino() != lstat.ino() || m.dev() != lstat.dev() {
        return None;
    }
    Some(f)
}

fn starts_with_elf(f: &fs::File) -> bool {
    use std::os::unix::fs::FileExt;
    let mut head = [0u8; 4];
    f.read_exact_at(&mut head, 0).is_ok() && &head == ELF_MAGIC
}

fn read_regular(path: &Path, lstat: &fs::Metadata, size: u64) -> Option<Vec<u8>> {
    let f = open_regular(path, lstat)?;
    let mut buf = Vec::with_capacity(size.min(1 << 20) as usize);
    f.take(size).read_to_end(&mut buf).ok()?;
    Some(buf)
}
