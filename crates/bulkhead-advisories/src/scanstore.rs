//! The scan store: every scan's findings recorded by image digest, in one SQLite file, so later stages
//! (the admission webhook) can decide on an image from its build-time results. Lookups by config digest
//! (image ID), manifest digest or any repo digest return the latest scan.

use bulkhead_core::Artifact;
use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;

/// A stored scan.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredScan {
    pub id: i64,
    pub name: String,
    pub image_id: Option<String>,
    pub manifest_digest: Option<String>,
    pub scanned_at: String,
    /// The whole artifact (inventory and findings) as JSON.
    pub artifact: serde_json::Value,
}

/// An open scan store.
pub struct ScanStore {
    conn: Connection,
}

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
";

impl ScanStore {
    /// Open (creating) a store.
    pub fn open(path: &Path) -> Result<Self, String> {
        let conn = Connection::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .and_then(|_| conn.execute_batch(SCHEMA))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(ScanStore { conn })
    }

    /// Record a scan; returns its id.
    pub fn record(&mut self, a: &Artifact, scanned_at: &str) -> Result<i64, String> {
        use bulkhead_core::Severity::*;
        let count = |s| {
            a.vulnerabilities
                .as_ref()
                .map(|v| v.iter().filter(|x| x.severity == s).count() as i64)
                .unwrap_or(0)
        };
        let json = serde_json::to_vec(a).map_err(|e| e.to_string())?;
        let blob = zstd::encode_all(&json[..], 3).map_err(|e| e.to_string())?;
        let tx = self.conn.transaction().map_err(|e| e.to_string())?;
        tx.execute(
            "INSERT INTO scans(name, image_id, manifest_digest, scanned_at, critical, high, medium, low, unknown, artifact)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                a.name,
                a.image_id,
                a.manifest_digest,
                scanned_at,
                count(Critical),
                count(High),
                count(Medium),
                count(Low),
                count(Unknown),
                blob
            ],
        )
        .map_err(|e| e.to_string())?;
        let id = tx.last_insert_rowid();
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
        for d in digests {
            tx.execute(
                "INSERT INTO scan_digests(digest, scan_id) VALUES (?1, ?2)",
                params![d, id],
            )
            .map_err(|e| e.to_string())?;
        }
        tx.commit().map_err(|e| e.to_string())?;
        Ok(id)
    }

    /// The latest scan of an image by any of its digests.
    pub fn latest(&self, digest: &str) -> Result<Option<StoredScan>, String> {
        let row = self
            .conn
            .query_row(
                "SELECT s.id, s.name, s.image_id, s.manifest_digest, s.scanned_at, s.artifact
                 FROM scans s JOIN scan_digests d ON d.scan_id = s.id WHERE d.digest = ?1
                 ORDER BY s.id DESC LIMIT 1",
                params![digest],
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
            .map_err(|e| e.to_string())?;
        let Some((id, name, image_id, manifest_digest, scanned_at, blob)) = row else {
            return Ok(None);
        };
        let json = zstd::decode_all(&blob[..]).map_err(|e| format!("scan {id}: {e}"))?;
        let artifact = serde_json::from_slice(&json).map_err(|e| format!("scan {id}: {e}"))?;
        Ok(Some(StoredScan {
            id,
            name,
            image_id,
            manifest_digest,
            scanned_at,
            artifact,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_and_look_up_by_any_digest() {
        let dir = tempfile::tempdir().unwrap();
        let mut st = ScanStore::open(&dir.path().join("scans.db")).unwrap();
        let mut a = Artifact {
            name: "img".into(),
            kind: "registry".into(),
            image_id: Some("sha256:aa".into()),
            manifest_digest: Some("sha256:bb".into()),
            repo_digests: vec!["r/x@sha256:cc".into()],
            vulnerabilities: Some(vec![]),
            ..Default::default()
        };
        let first = st.record(&a, "2026-11-28T00:00:00Z").unwrap();
        a.name = "img-again".into();
        let second = st.record(&a, "2026-11-28T01:00:00Z").unwrap();
        assert!(second > first);
        for d in ["sha256:aa", "sha256:bb", "sha256:cc"] {
            let s = st.latest(d).unwrap().unwrap();
            assert_eq!((s.id, s.name.as_str()), (second, "img-again"));
        }
        assert!(st.latest("sha256:dd").unwrap().is_none());
    }
}
