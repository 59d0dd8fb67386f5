//! Per-layer cache: the facts a layer contributes ([`LayerFacts`]), keyed by the layer's digests plus
//! the analyzers' version, stored one file per layer and written atomically (temp file + rename in the
//! same directory). Concurrent processes never block each other: two scans of the same layer may both
//! compute it, and the last rename wins with identical content. The cache is bounded; the least recently
//! used entries are evicted past the limit.

use crate::index::FileEntry;
use crate::source::LayerDesc;
use crate::walk::LayerFacts;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// Bump when the stored format or walk semantics change.
const FORMAT: &str = "bulkhead-layer-v5";

/// The part of [`LayerFacts`] stored as one postcard document; the captured contents follow it as
/// raw length-prefixed byte strings, so that they are written and read in place (a cached layer
/// costs one copy of its contents in memory, not three).
#[derive(Serialize)]
struct Head<'a> {
    entries: &'a [FileEntry],
    whiteouts: &'a [String],
    opaque_dirs: &'a [String],
    warnings: &'a [String],
    uncompressed: u64,
    contents: u64,
    probed: u64,
    scanned: u64,
}

#[derive(Deserialize)]
struct OwnedHead {
    entries: Vec<FileEntry>,
    whiteouts: Vec<String>,
    opaque_dirs: Vec<String>,
    warnings: Vec<String>,
    uncompressed: u64,
    contents: u64,
    probed: u64,
    scanned: u64,
}

fn write_entry(w: &mut impl Write, f: &LayerFacts) -> std::io::Result<()> {
    let head = postcard::to_stdvec(&Head {
        entries: &f.entries,
        whiteouts: &f.whiteouts,
        opaque_dirs: &f.opaque_dirs,
        warnings: &f.warnings,
        uncompressed: f.uncompressed,
        contents: f.contents.len() as u64,
        probed: f.probed.len() as u64,
        scanned: f.scanned.len() as u64,
    })
    .map_err(std::io::Error::other)?;
    w.write_all(&(head.len() as u64).to_le_bytes())?;
    w.write_all(&head)?;
    for (path, data) in f.contents.iter().chain(&f.probed).chain(&f.scanned) {
        w.write_all(&(path.len() as u64).to_le_bytes())?;
        w.write_all(path.as_bytes())?;
        w.write_all(&(data.len() as u64).to_le_bytes())?;
        w.write_all(data)?;
    }
    Ok(())
}

/// Read an entry written by [`write_entry`], refusing one that would take more than `max` bytes.
fn read_entry(mut r: impl Read, max: u64) -> std::io::Result<LayerFacts> {
    let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_string());
    let mut left = max;
    let mut take = |n: u64| -> std::io::Result<usize> {
        if n > left {
            return Err(bad("entry over the bound"));
        }
        left -= n;
        Ok(n as usize)
    };
    let u64_of = |r: &mut dyn Read| -> std::io::Result<u64> {
        let mut b = [0u8; 8];
        r.read_exact(&mut b)?;
        Ok(u64::from_le_bytes(b))
    };
    let bytes = |r: &mut dyn Read, n: usize| -> std::io::Result<Vec<u8>> {
        let mut v = Vec::with_capacity(n);
        r.take(n as u64).read_to_end(&mut v)?;
        if v.len() != n {
            return Err(bad("truncated entry"));
        }
        Ok(v)
    };
    let n = take(u64_of(&mut r)?)?;
    let head: OwnedHead =
        postcard::from_bytes(&bytes(&mut r, n)?).map_err(|e| bad(&e.to_string()))?;
    let mut contents = Vec::new();
    let mut probed = Vec::new();
    let mut scanned = Vec::new();
    let total = head
        .contents
        .saturating_add(head.probed)
        .saturating_add(head.scanned);
    for i in 0..total {
        let n = take(u64_of(&mut r)?)?;
        let path = String::from_utf8(bytes(&mut r, n)?).map_err(|_| bad("path not UTF-8"))?;
        let n = take(u64_of(&mut r)?)?;
        let to = if i < head.contents {
            &mut contents
        } else if i < head.contents.saturating_add(head.probed) {
            &mut probed
        } else {
            &mut scanned
        };
        to.push((path, bytes(&mut r, n)?));
    }
    Ok(LayerFacts {
        entries: head.entries,
        whiteouts: head.whiteouts,
        opaque_dirs: head.opaque_dirs,
        contents,
        probed,
        scanned,
        warnings: head.warnings,
        uncompressed: head.uncompressed,
    })
}

/// A directory of cached layer facts.
#[derive(Debug, Clone)]
pub struct LayerCache {
    dir: PathBuf,
    max_bytes: u64,
    /// Bytes of entries as last counted plus what this process wrote since (`None`: not counted
    /// yet). Eviction lists the directory only when this passes `max_bytes`, so writing n layers
    /// costs O(n) directory work, not a listing per write (O(n²) for an image of many layers).
    estimate: Arc<Mutex<Option<u64>>>,
}

impl LayerCache {
    /// The default cache root: `$XDG_CACHE_HOME/bulkhead` (or `~/.cache/bulkhead`).
    pub fn default_root() -> PathBuf {
        dirs::cache_dir()
            .unwrap_or_else(std::env::temp_dir)
            .join("bulkhead")
    }

    /// Open (creating) the layer cache under `root`, bounded to `max_bytes`.
    pub fn open(root: &Path, max_bytes: u64) -> Result<Self> {
        let dir = root.join("layers");
        fs::create_dir_all(&dir).map_err(|e| Error::Cache {
            path: dir.clone(),
            message: format!("cannot create: {e}"),
        })?;
        Ok(LayerCache {
            dir,
            max_bytes,
            estimate: Arc::new(Mutex::new(None)),
        })
    }

    /// The directory holding entries.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Cache key of a layer for a given analyzer version; `None` when the layer has no digest.
    pub fn key(layer: &LayerDesc, analyzers: &str) -> Option<String> {
        if layer.digest.is_none() && layer.diff_id.is_none() {
            return None;
        }
        let mut h = Sha256::new();
        for part in [
            FORMAT,
            layer.digest.as_deref().unwrap_or("-"),
            layer.diff_id.as_deref().unwrap_or("-"),
            analyzers,
        ] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        Some(hex::encode(h.finalize()))
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.layer"))
    }

    /// Look up an entry. Unreadable or corrupt entries are removed and treated as misses.
    pub fn get(&self, key: &str) -> Option<LayerFacts> {
        self.get_bounded(key, u64::MAX)
    }

    /// [`LayerCache::get`], treating an entry that decodes to more than `max` bytes as corrupt (the
    /// cache directory is not trusted to hold only what this process wrote).
    /// Whether an entry exists (without reading it).
    pub fn contains(&self, key: &str) -> bool {
        self.path(key).is_file()
    }

    pub fn get_bounded(&self, key: &str, max: u64) -> Option<LayerFacts> {
        let p = self.path(key);
        let file = bulkhead_core::input::open_regular(&p, false).ok()?;
        let decoded = zstd::stream::read::Decoder::new(file)
            .ok()
            .and_then(|d| read_entry(d, max).ok());
        match decoded {
            Some(f) => {
                // Mark as recently used for eviction.
                if let Ok(f) = fs::File::options().write(true).open(&p) {
                    let _ = f.set_modified(SystemTime::now());
                }
                Some(f)
            }
            None => {
                tracing::warn!("cache entry {} is corrupt; ignoring it", p.display());
                let _ = fs::remove_file(&p);
                None
            }
        }
    }

    /// Store an entry atomically, then enforce the size bound.
    pub fn put(&self, key: &str, facts: &LayerFacts) -> Result<()> {
        let err = |m: String| Error::Cache {
            path: self.dir.clone(),
            message: m,
        };
        let mut tmp = tempfile::NamedTempFile::new_in(&self.dir)
            .map_err(|e| err(format!("temp file: {e}")))?;
        // Encoded and compressed straight into the file: no in-memory copy of the captured contents.
        {
            let mut enc =
                zstd::stream::write::Encoder::new(std::io::BufWriter::new(tmp.as_file_mut()), 3)
                    .map_err(|e| err(format!("compress: {e}")))?;
            write_entry(&mut enc, facts).map_err(|e| err(format!("write: {e}")))?;
            enc.finish()
                .and_then(|mut w| w.flush())
                .map_err(|e| err(format!("write: {e}")))?;
        }
        let len = tmp.as_file().metadata().map(|m| m.len()).unwrap_or(0);
        tmp.persist(self.path(key))
            .map_err(|e| err(format!("rename: {}", e.error)))?;
        let over = {
            let mut est = self.estimate.lock().unwrap_or_else(|e| e.into_inner());
            let total = match *est {
                Some(t) => t + len,
                None => self.size(),
            };
            *est = Some(total);
            total > self.max_bytes
        };
        if over {
            self.evict();
        }
        Ok(())
    }

    /// Total bytes of entries.
    pub fn size(&self) -> u64 {
        self.entries().iter().map(|(_, len, _)| len).sum()
    }

    fn entries(&self) -> Vec<(PathBuf, u64, SystemTime)> {
        let Ok(rd) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        rd.filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".layer"))
            .filter_map(|e| {
                let m = e.metadata().ok()?;
                Some((
                    e.path(),
                    m.len(),
                    m.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                ))
            })
            .collect()
    }

    /// Remove the least recently used entries until the cache is under 90% of its bound (the margin
    /// keeps the next writes from listing the directory again at once).
    fn evict(&self) {
        let mut entries = self.entries();
        let mut total: u64 = entries.iter().map(|(_, l, _)| l).sum();
        if total > self.max_bytes {
            let target = self.max_bytes - self.max_bytes / 10;
            entries.sort_by_key(|(_, _, t)| *t);
            for (p, len, _) in entries {
                if total <= target {
                    break;
                }
                if fs::remove_file(&p).is_ok() {
                    total -= len;
                }
            }
        }
        *self.estimate.lock().unwrap_or_else(|e| e.into_inner()) = Some(total);
    }

    /// Remove every entry (and stray temp files); returns the number of files removed.
    pub fn clean(&self) -> Result<u64> {
        let mut n = 0;
        let rd = fs::read_dir(&self.dir).map_err(|e| Error::Cache {
            path: self.dir.clone(),
            message: e.to_string(),
        })?;
        for e in rd.flatten() {
            if e.file_type().map(|t| t.is_file()).unwrap_or(false)
                && fs::remove_file(e.path()).is_ok()
            {
                n += 1;
            }
        }
        *self.estimate.lock().unwrap_or_else(|e| e.into_inner()) = None;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desc(n: u8) -> LayerDesc {
        LayerDesc {
            digest: Some(format!("sha256:{}", hex::encode([n; 32]))),
            diff_id: None,
            media_type: None,
            size: None,
            location: String::new(),
        }
    }

    #[test]
    fn roundtrip_and_bound() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = LayerCache::open(tmp.path(), 1).unwrap();
        let facts = LayerFacts {
            whiteouts: vec!["etc/x".into()],
            contents: vec![("a".into(), vec![1, 2, 3])],
            probed: vec![("usr/bin/b".into(), vec![4]), ("c".into(), vec![])],
            ..Default::default()
        };
        let k = LayerCache::key(&desc(1), "a1").unwrap();
        assert_ne!(k, LayerCache::key(&desc(1), "a2").unwrap());
        // With a 1-byte bound the entry is evicted right after being written.
        cache.put(&k, &facts).unwrap();
        assert!(cache.get(&k).is_none());
        let cache = LayerCache::open(tmp.path(), 1 << 20).unwrap();
        cache.put(&k, &facts).unwrap();
        let back = cache.get(&k).unwrap();
        assert_eq!(back.whiteouts, facts.whiteouts);
        assert_eq!(back.contents, facts.contents);
        assert_eq!(back.probed, facts.probed);
        // Corrupt entries are misses, not errors.
        fs::write(cache.path(&k), b"garbage").unwrap();
        assert!(cache.get(&k).is_none());
        assert_eq!(cache.clean().unwrap(), 0);
    }
}
