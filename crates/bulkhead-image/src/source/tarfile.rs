//! Random access into an uncompressed outer tar (docker-archive, oci-archive): one pass over the headers
//! (seeking over contents) records where every member lives, then members are read in place. Nothing is
//! extracted.

use crate::tarext::{Pending, absorb, check_size};
use crate::walk::normalize_entry_path;
use crate::{Error, Result};
use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Most members an outer archive may have (their names are held in memory while the image is read).
pub const MAX_MEMBERS: usize = 100_000;
/// Longest member name kept (longer ones are ignored: no image format names such a member).
pub const MAX_MEMBER_NAME: usize = 4096;

#[derive(Debug, Clone)]
enum Member {
    File { offset: u64, size: u64 },
    Link(String),
}

/// An indexed tar file.
pub struct TarFile {
    path: PathBuf,
    members: HashMap<String, Member>,
}

impl TarFile {
    /// Index the members of the tar at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        // Only a regular file: a FIFO would block the open, a device would stream without end.
        let file = bulkhead_core::input::open_regular(path, false)
            .map_err(|e| Error::Invalid(e.to_string()))?;
        let mut head = [0u8; 4];
        let n = (&file)
            .read(&mut head)
            .map_err(|e| Error::io(path.display(), e))?;
        if crate::compress::detect(&head[..n]) != crate::compress::Compression::None {
            return Err(Error::Invalid(format!(
                "{}: the archive is compressed; decompress it first (e.g. gunzip) — image archives are read in place",
                path.display()
            )));
        }
        let mut file = file;
        file.seek(SeekFrom::Start(0))
            .map_err(|e| Error::io(path.display(), e))?;
        let mut archive = tar::Archive::new(file);
        let mut members = HashMap::new();
        // Raw mode with bounded extension records (see `tarext`).
        let entries = archive
            .entries_with_seek()
            .map_err(|e| Error::Invalid(format!("{}: not a tar archive: {e}", path.display())))?
            .raw(true);
        let mut pending = Pending::default();
        for entry in entries {
            let mut entry = entry
                .map_err(|e| Error::Invalid(format!("{}: corrupt tar: {e}", path.display())))?;
            let bad = |m: String| Error::Invalid(format!("{}: {m}", path.display()));
            if absorb(&mut entry, &mut pending).map_err(bad)? {
                continue;
            }
            let ext = std::mem::take(&mut pending);
            check_size(&ext, entry.size()).map_err(bad)?;
            let name = ext.path_of(&entry);
            if name.len() > MAX_MEMBER_NAME {
                continue; // never a member an image format names
            }
            let Ok(name) = normalize_entry_path(&name) else {
                continue;
            };
            if members.len() >= MAX_MEMBERS {
                return Err(bad(format!(
                    "more than {MAX_MEMBERS} members; not an image archive (an image of \
                     1000 layers for 10 platforms has about 10,000)"
                )));
            }
            let member = match entry.header().entry_type() {
                tar::EntryType::Regular | tar::EntryType::Continuous => Member::File {
                    offset: entry.raw_file_position(),
                    size: entry.size(),
                },
                tar::EntryType::Symlink | tar::EntryType::Link => {
                    let target = ext.link_of(&entry);
                    let resolved = if entry.header().entry_type() == tar::EntryType::Symlink {
                        let dir = name.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
                        if target.starts_with('/') || dir.is_empty() {
                            target.clone()
                        } else {
                            format!("{dir}/{target}")
                        }
                    } else {
                        target.clone()
                    };
                    match clean(&resolved) {
                        Some(t) => Member::Link(t),
                        None => continue,
                    }
                }
                _ => continue,
            };
            members.insert(name, member);
        }
        Ok(TarFile {
            path: path.to_path_buf(),
            members,
        })
    }

    fn locate(&self, name: &str) -> Option<(u64, u64)> {
        let mut cur = clean(name)?;
        for _ in 0..16 {
            match self.members.get(&cur)? {
                Member::File { offset, size } => return Some((*offset, *size)),
                Member::Link(t) => cur = t.clone(),
            }
        }
        None
    }

    /// Whether a member exists.
    pub fn contains(&self, name: &str) -> bool {
        self.locate(name).is_some()
    }

    /// The archive's path (for messages).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stream a member.
    pub fn open_member(&self, name: &str) -> Result<Box<dyn Read + Send>> {
        let (offset, size) = self.locate(name).ok_or_else(|| {
            Error::Invalid(format!(
                "{}: member {name:?} not found",
                self.path.display()
            ))
        })?;
        let mut f = bulkhead_core::input::open_regular(&self.path, false)
            .map_err(|e| Error::Invalid(e.to_string()))?;
        f.seek(SeekFrom::Start(offset))
            .map_err(|e| Error::io(self.path.display(), e))?;
        Ok(Box::new(f.take(size)))
    }

    /// Read a small member whole, refusing members over `max` bytes.
    pub fn read_member(&self, name: &str, max: u64) -> Result<Vec<u8>> {
        let (_, size) = self.locate(name).ok_or_else(|| {
            Error::Invalid(format!(
                "{}: member {name:?} not found",
                self.path.display()
            ))
        })?;
        if size > max {
            return Err(Error::Invalid(format!(
                "{}: member {name:?} is {size} bytes, over the {max} byte limit for metadata",
                self.path.display()
            )));
        }
        let mut buf = Vec::with_capacity(size as usize);
        self.open_member(name)?
            .read_to_end(&mut buf)
            .map_err(|e| Error::io(format!("{}:{name}", self.path.display()), e))?;
        if (buf.len() as u64) < size {
            return Err(Error::Invalid(format!(
                "{}: member {name:?} is truncated",
                self.path.display()
            )));
        }
        Ok(buf)
    }
}

/// Lexically clean a member path; `None` if it climbs above the archive root.
fn clean(p: &str) -> Option<String> {
    let mut out: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            c => out.push(c),
        }
    }
    Some(out.join("/"))
}
