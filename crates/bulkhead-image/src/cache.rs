//! Per-layer cache: the facts a layer contributes ([`LayerFacts`]), keyed by the layer's digests plus
//! the analyzers' version, stored one file per layer and written atomically (temp file + rename in the
//! same directory). Concurrent processes never block each other: two scans of the same layer may both
//! compute it, and the last rename wins with identical content. The cache is bounded; the least recently
//! used entries are evicted past the limit.

use crate::source::LayerDesc;
use crate::walk::LayerFacts;
use crate::{Error, Result};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Bump when the stored format or walk semantics change.
const FORMAT: &str = "bulkhead-layer-v1";

/// A directory of cached layer facts.
#[derive(Debug, Clone)]
pub struct LayerCache {
    dir: PathBuf,
    max_bytes: u64,
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
        Ok(LayerCache { dir, max_bytes })
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
        let p = self.path(key);
        let mut raw = Vec::new();
        fs::File::open(&p).ok()?.read_to_end(&mut raw).ok()?;
        let decoded = zstd::decode_all(&raw[..])
            .ok()
            .and_then(|d| postcard::from_bytes::<LayerFacts>(&d).ok());
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
        let bytes = postcard::to_stdvec(facts).map_err(|e| err(format!("encode: {e}")))?;
        let packed = zstd::encode_all(&bytes[..], 3).map_err(|e| err(format!("compress: {e}")))?;
        let mut tmp = tempfile::NamedTempFile::new_in(&self.dir)
            .map_err(|e| err(format!("temp file: {e}")))?;
        tmp.write_all(&packed)
            .map_err(|e| err(format!("write: {e}")))?;
        tmp.persist(self.path(key))
            .map_err(|e| err(format!("rename: {}", e.error)))?;
        self.evict();
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

    fn evict(&self) {
        let mut entries = self.entries();
        let mut total: u64 = entries.iter().map(|(_, l, _)| l).sum();
        if total <= self.max_bytes {
            return;
        }
        entries.sort_by_key(|(_, _, t)| *t);
        for (p, len, _) in entries {
            if total <= self.max_bytes {
                break;
            }
            if fs::remove_file(&p).is_ok() {
                total -= len;
            }
        }
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
        // Corrupt entries are misses, not errors.
        fs::write(cache.path(&k), b"garbage").unwrap();
        assert!(cache.get(&k).is_none());
        assert_eq!(cache.clean().unwrap(), 0);
    }
}
