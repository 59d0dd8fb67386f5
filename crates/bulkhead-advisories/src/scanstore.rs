//! The scan store: every scan's findings recorded by image digest, in one SQLite file, so later stages
//! (the admission webhook) can decide on an image from its build-time results. Lookups by config digest
//! (image ID), manifest digest or any repo digest return the latest scan.

use bulkhead_core::{Severity, Target};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::{Path, PathBuf};

/// Errors of the scan store.
#[derive(Debug, thiserror::Error)]
pub enum ScanStoreError {
    /// SQLite failed (I/O error, disk full, not a database, …).
    #[error("scan store {}: {cause}", path.display())]
    Sqlite {
        path: PathBuf,
        cause: rusqlite::Error,
    },
    /// The path is not a regular file.
    #[error("scan store {}: {what}, not a regular file", path.display())]
    NotRegular { path: PathBuf, what: &'static str },
    /// The target has no image identity to record it by.
    #[error(
        "scan store {}: {name} has no image digest to record it by (only images are recorded)",
        path.display()
    )]
    NoDigest { path: PathBuf, name: String },
    /// A stored scan could not be decoded.
    #[error(
        "scan store {}: scan {id} is unreadable ({reason}); it may have been recorded by another Bulkhead version: scan the image again",
        path.display()
    )]
    Corrupt {
        path: PathBuf,
        id: i64,
        reason: String,
    },
}

/// A stored scan.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredScan {
    pub id: i64,
    pub name: String,
    pub image_id: Option<String>,
    pub manifest_digest: Option<String>,
    pub scanned_at: String,
    /// The scanned image: its inventory and findings.
    pub target: Target,
}

/// An open scan store.
pub struct ScanStore {
    conn: Connection,
    path: PathBuf,
}

/// Version of the stored target JSON (the report schema version of `bulkhead-core`).
const FORMAT: u32 = bulkhead_core::REPORT_SCHEMA_VERSION;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS scans(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  image_id TEXT,
  manifest_digest TEXT,
  scanned_at TEXT NOT NULL,
  critical INTEGER NOT NULL, high INTEGER NOT NULL, medium INTEGER NOT NULL, low INTEGER NOT NULL, unknown INTEGER NOT NULL,
  artifact BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS scan_digests(digest TEXT NOT NULL, scan_id INTEGER NOT NULL REFERENCES scans(id));
CREATE INDEX IF NOT EXISTS scan_digests_digest ON scan_digests(digest);
CREATE TABLE IF NOT EXISTS scan_refs(ref TEXT NOT NULL, scan_id INTEGER NOT NULL REFERENCES scans(id));
CREATE INDEX IF NOT EXISTS scan_refs_ref ON scan_refs(ref);
";

impl ScanStore {
    fn err(&self) -> impl Fn(rusqlite::Error) -> ScanStoreError + '_ {
        |cause| ScanStoreError::Sqlite {
            path: self.path.clone(),
            cause,
        }
    }

    /// Open (creating) a store.
    pub fn open(path: &Path) -> Result<Self, ScanStoreError> {
        if let Ok(m) = std::fs::metadata(path)
            && !m.is_file()
        {
            return Err(ScanStoreError::NotRegular {
                path: path.to_path_buf(),
                what: bulkhead_core::input::file_kind(&m.file_type()),
            });
        }
        let err = |cause| ScanStoreError::Sqlite {
            path: path.to_path_buf(),
            cause,
        };
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .and_then(|_| conn.execute_batch(SCHEMA))
            .map_err(err)?;
        Ok(ScanStore {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// Record the scan of an image target (its artifact names the digests), and the tagged
    /// references it was scanned as (`docker.io/library/nginx:1.27`: normalised by the caller, as
    /// [`ScanStore::latest_by_ref`] is asked); returns its id.
    pub fn record(
        &mut self,
        target: &Target,
        scanned_at: &str,
        refs: &[String],
    ) -> Result<i64, ScanStoreError> {
        let Some(a) = target.artifact.as_ref() else {
            return Err(ScanStoreError::NoDigest {
                path: self.path.clone(),
                name: target.name.clone(),
            });
        };
        let mut digests: Vec<String> = a
            .image_id
            .iter()
            .chain(a.manifest_digest.iter())
            .cloned()
            .collect();
        for d in &a.repo_digests {
            digests.push(
                d.rsplit_once('@')
                    .map(|(_, x)| x.to_string())
                    .unwrap_or_else(|| d.clone()),
            );
        }
        digests.sort();
        digests.dedup();
        if digests.is_empty() {
            return Err(ScanStoreError::NoDigest {
                path: self.path.clone(),
                name: target.name.clone(),
            });
        }
        let count = |s: Severity| target.findings.iter().filter(|x| x.severity == s).count() as i64;
        let json = serde_json::json!({"format": FORMAT, "target": target}).to_string();
        // zstd on a Vec never fails for want of space; a failure would be a bug in the encoder.
        let blob = zstd::encode_all(json.as_bytes(), 3).unwrap_or_else(|_| json.into_bytes());
        let path = self.path.clone();
        let err = move |cause| ScanStoreError::Sqlite {
            path: path.clone(),
            cause,
        };
        let tx = self.conn.transaction().map_err(&err)?;
        tx.execute(
            "INSERT INTO scans(name, image_id, manifest_digest, scanned_at, critical, high, medium, low, unknown, artifact)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                target.name,
                a.image_id,
                a.manifest_digest,
                scanned_at,
                count(Severity::Critical),
                count(Severity::High),
                count(Severity::Medium),
                count(Severity::Low),
                count(Severity::Unknown),
                blob
            ],
        )
        .map_err(&err)?;
        let id = tx.last_insert_rowid();
        for d in digests {
            tx.execute(
                "INSERT INTO scan_digests(digest, scan_id) VALUES (?1, ?2)",
                params![d, id],
            )
            .map_err(&err)?;
        }
        let mut refs = refs.to_vec();
        refs.sort();
        refs.dedup();
        for r in refs {
            tx.execute(
                "INSERT INTO scan_refs(ref, scan_id) VALUES (?1, ?2)",
                params![r, id],
            )
            .map_err(&err)?;
        }
        tx.commit().map_err(&err)?;
        Ok(id)
    }

    /// The latest scan recorded under a tagged reference (a tag may have moved since: a digest
    /// lookup, [`ScanStore::latest`], is exact).
    pub fn latest_by_ref(&self, reference: &str) -> Result<Option<StoredScan>, ScanStoreError> {
        let id: Option<i64> = self
            .conn
            .query_row(
                "SELECT MAX(scan_id) FROM scan_refs WHERE ref = ?1",
                params![reference],
                |r| r.get(0),
            )
            .map_err(self.err())?;
        match id {
            Some(id) => self.by_id(id),
            None => Ok(None),
        }
    }

    /// The latest scan of an image by any of its digests.
    pub fn latest(&self, digest: &str) -> Result<Option<StoredScan>, ScanStoreError> {
        let id: Option<i64> = self
            .conn
            .query_row(
                "SELECT MAX(scan_id) FROM scan_digests WHERE digest = ?1",
                params![digest],
                |r| r.get(0),
            )
            .map_err(self.err())?;
        match id {
            Some(id) => self.by_id(id),
            None => Ok(None),
        }
    }

    /// One scan by its id.
    fn by_id(&self, id: i64) -> Result<Option<StoredScan>, ScanStoreError> {
        let row = self
            .conn
            .query_row(
                "SELECT s.id, s.name, s.image_id, s.manifest_digest, s.scanned_at, s.artifact
                 FROM scans s WHERE s.id = ?1",
                params![id],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, Vec<u8>>(5)?,
                    ))
                },
            )
            .optional()
            .map_err(self.err())?;
        let Some((id, name, image_id, manifest_digest, scanned_at, blob)) = row else {
            return Ok(None);
        };
        let corrupt = |reason: String| ScanStoreError::Corrupt {
            path: self.path.clone(),
            id,
            reason,
        };
        // Bounded: a stored scan is at most 256 MiB of JSON.
        let json = zstd::stream::decode_all(std::io::Read::take(&blob[..], 256 << 20))
            .map_err(|e| corrupt(e.to_string()))?;
        #[derive(serde::Deserialize)]
        struct Stored {
            format: u32,
            target: Target,
        }
        let v: serde_json::Value =
            serde_json::from_slice(&json).map_err(|e| corrupt(e.to_string()))?;
        let format = v.get("format").and_then(|f| f.as_u64());
        if format != Some(FORMAT as u64) {
            return Err(corrupt(format!(
                "stored format {}, this Bulkhead reads {FORMAT}",
                format.map_or("1".into(), |f| f.to_string())
            )));
        }
        let stored: Stored = serde_json::from_value(v).map_err(|e| corrupt(e.to_string()))?;
        debug_assert_eq!(stored.format, FORMAT);
        Ok(Some(StoredScan {
            id,
            name,
            image_id,
            manifest_digest,
            scanned_at,
            target: stored.target,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bulkhead_core::{Artifact, Finding, FindingKind, TargetKind};

    #[test]
    fn record_and_look_up_by_any_digest() {
        let dir = tempfile::tempdir().unwrap();
        let mut st = ScanStore::open(&dir.path().join("scans.db")).unwrap();
        let mut t = Target::new("img", TargetKind::Image);
        t.artifact = Some(Artifact {
            name: "img".into(),
            kind: "registry".into(),
            image_id: Some("sha256:aa".into()),
            manifest_digest: Some("sha256:bb".into()),
            repo_digests: vec!["r/x@sha256:cc".into()],
            ..Default::default()
        });
        t.findings.push(Finding::new(
            FindingKind::Vulnerability,
            "CVE-1",
            Severity::High,
            "t",
            "m",
        ));
        let first = st
            .record(&t, "2026-11-28T00:00:00Z", &["r/x:1".to_string()])
            .unwrap();
        t.name = "img-again".into();
        let second = st.record(&t, "2026-11-28T01:00:00Z", &[]).unwrap();
        assert!(second > first);
        for d in ["sha256:aa", "sha256:bb", "sha256:cc"] {
            let s = st.latest(d).unwrap().unwrap();
            assert_eq!((s.id, s.name.as_str()), (second, "img-again"));
            assert_eq!(s.target, t);
        }
        assert!(st.latest("sha256:dd").unwrap().is_none());
        assert_eq!(st.latest_by_ref("r/x:1").unwrap().unwrap().id, first);
        assert!(st.latest_by_ref("r/x:2").unwrap().is_none());
        // A filesystem target has no digest: refused, not recorded under nothing.
        let fs = Target::new("dir", TargetKind::Filesystem);
        assert!(matches!(
            st.record(&fs, "x", &[]),
            Err(ScanStoreError::NoDigest { .. })
        ));
    }
}
