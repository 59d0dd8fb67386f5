//! `bulkhead db update`: download OSV `all.zip` archives from a mirror laid out like the OSV bucket
//! (`<mirror>/<ecosystem>/all.zip`) and import them, atomically.
//!
//! Each ecosystem is fetched with a conditional GET: the `ETag`, `Last-Modified` and sha256 of the
//! last stored archive are kept in a JSON sidecar next to the database (`<db>.update.json`). A `304`,
//! or a `200` whose body hashes to what was stored, counts as "not modified".
//!
//! Downloads go to a temporary directory inside the database's directory (each bounded by
//! [`MAX_DOWNLOAD_BYTES`], hashed while written). The current database is copied next to them, the
//! archives are imported into the copy, and only when every download and every archive succeeded is
//! the copy renamed over the database and the sidecar written. Any failure leaves the old database
//! untouched. Problems inside an archive (one bad document or record) are warnings, as with
//! `db import`; an archive that cannot be read at all is a failure.

use crate::{ImportError, ImportProgress, ImportReport, Store};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The public OSV bucket.
pub const DEFAULT_MIRROR: &str = "https://osv-vulnerabilities.storage.googleapis.com";

/// Ecosystems updated when none are named.
pub const DEFAULT_ECOSYSTEMS: &[&str] = &[
    "Debian",
    "Ubuntu",
    "Alpine",
    "PyPI",
    "Go",
    "npm",
    "Maven",
    "crates.io",
    "RubyGems",
    "NuGet",
    "Packagist",
    "AlmaLinux",
    "Rocky Linux",
];

/// Largest archive accepted from the mirror (2 GiB).
pub const MAX_DOWNLOAD_BYTES: u64 = 2 << 30;

/// What to update.
#[derive(Debug, Clone)]
pub struct UpdateOptions {
    /// Base URL of the mirror, without the trailing `/<ecosystem>/all.zip`.
    pub mirror: String,
    /// Ecosystems to fetch, named as in the OSV bucket (`PyPI`, `Rocky Linux`, …).
    pub ecosystems: Vec<String>,
}

impl Default for UpdateOptions {
    fn default() -> Self {
        UpdateOptions {
            mirror: DEFAULT_MIRROR.to_string(),
            ecosystems: DEFAULT_ECOSYSTEMS.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// Progress of an update, for a status line.
#[derive(Debug, Clone)]
pub enum UpdateProgress {
    /// `bytes` of `ecosystem`'s archive written so far.
    Downloading {
        /// The ecosystem.
        ecosystem: String,
        /// Bytes written.
        bytes: u64,
        /// The size announced by the server (`Content-Length`), when it did.
        total: Option<u64>,
    },
    /// The archives are being imported.
    Importing(ImportProgress),
}

/// What happened to one ecosystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A new archive was downloaded and imported.
    Downloaded {
        /// Its size.
        bytes: u64,
        /// Its sha256, hex.
        sha256: String,
    },
    /// The mirror answered 304, or sent the archive already stored (same sha256).
    NotModified,
}

/// One ecosystem's result.
#[derive(Debug, Clone)]
pub struct EcosystemUpdate {
    /// The ecosystem.
    pub ecosystem: String,
    /// The archive's URL.
    pub url: String,
    /// What happened.
    pub outcome: Outcome,
}

/// Result of a successful update.
#[derive(Debug)]
pub struct UpdateReport {
    /// One entry per requested ecosystem, in order.
    pub ecosystems: Vec<EcosystemUpdate>,
    /// The import of the downloaded archives; `None` when nothing was modified (the database was
    /// not touched). Its `errors` are warnings about single documents.
    pub import: Option<ImportReport>,
}

/// Why an update failed. The database is unchanged in every case.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// Downloading an ecosystem's archive failed (transport error, HTTP status, size limit).
    #[error("updating {ecosystem} from {url}: {reason}")]
    Download {
        /// The ecosystem.
        ecosystem: String,
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// A downloaded archive could not be read as a zip archive.
    #[error("updating {ecosystem} from {url}: bad archive: {reason}")]
    Archive {
        /// The ecosystem.
        ecosystem: String,
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// Local file trouble (temporary files, copy, rename, sidecar).
    #[error("{}: {cause}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        cause: io::Error,
    },
    /// The database itself failed.
    #[error(transparent)]
    Store(#[from] crate::Error),
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> UpdateError + '_ {
    move |cause| UpdateError::Io {
        path: path.to_path_buf(),
        cause,
    }
}

/// The sidecar's per-ecosystem state.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct EcosystemState {
    /// URL the state belongs to (a different mirror starts afresh).
    pub url: String,
    /// `ETag` of the stored archive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// `Last-Modified` of the stored archive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// sha256 (hex) of the stored archive.
    pub sha256: String,
    /// Its size.
    pub bytes: u64,
}

/// The sidecar file `<db>.update.json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UpdateState {
    /// State per ecosystem name.
    #[serde(default)]
    pub ecosystems: BTreeMap<String, EcosystemState>,
}

/// The sidecar path of database `db`.
pub fn state_path(db: &Path) -> PathBuf {
    let mut s = db.as_os_str().to_os_string();
    s.push(".update.json");
    PathBuf::from(s)
}

fn load_state(db: &Path) -> UpdateState {
    // No database, no state: conditional requests would skip archives that were never imported.
    if !db.is_file() {
        return UpdateState::default();
    }
    fs::read(state_path(db))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// `<mirror>/<ecosystem>/all.zip`, the ecosystem percent-encoded as one path segment.
pub fn archive_url(mirror: &str, ecosystem: &str) -> String {
    let mut seg = String::new();
    for b in ecosystem.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            seg.push(b as char);
        } else {
            seg.push_str(&format!("%{b:02X}"));
        }
    }
    format!("{}/{seg}/all.zip", mirror.trim_end_matches('/'))
}

fn agent() -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(10)
        .user_agent(concat!("bulkhead/", env!("CARGO_PKG_VERSION")))
        // The sha256 is of the archive itself: no transport encoding.
        .accept_encoding("identity")
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_recv_response(Some(Duration::from_secs(120)))
        .timeout_per_read(Some(Duration::from_secs(300)))
        .build();
    ureq::Agent::new_with_config(config)
}

enum Fetched {
    NotModified,
    Body {
        bytes: u64,
        sha256: String,
        etag: Option<String>,
        last_modified: Option<String>,
    },
}

fn fetch(
    agent: &ureq::Agent,
    url: &str,
    prev: Option<&EcosystemState>,
    dest: &Path,
    ecosystem: &str,
    progress: &mut dyn FnMut(UpdateProgress),
) -> Result<Fetched, UpdateError> {
    let fail = |reason: String| UpdateError::Download {
        ecosystem: ecosystem.to_string(),
        url: url.to_string(),
        reason,
    };
    let mut req = agent.get(url);
    if let Some(p) = prev {
        if let Some(e) = &p.etag {
            req = req.header("If-None-Match", e);
        }
        if let Some(m) = &p.last_modified {
            req = req.header("If-Modified-Since", m);
        }
    }
    let resp = req.call().map_err(|e| fail(e.to_string()))?;
    let status = resp.status().as_u16();
    if status == 304 {
        if prev.is_none() {
            return Err(fail("HTTP 304 to an unconditional request".into()));
        }
        return Ok(Fetched::NotModified);
    }
    if status != 200 {
        return Err(fail(format!("HTTP {status}")));
    }
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let etag = header("etag");
    let last_modified = header("last-modified");
    let announced = header("content-length").and_then(|l| l.trim().parse::<u64>().ok());
    if let Some(len) = announced
        && len > MAX_DOWNLOAD_BYTES
    {
        return Err(fail(format!(
            "refused: {len} bytes, more than the limit of {MAX_DOWNLOAD_BYTES}"
        )));
    }
    let file = File::create(dest).map_err(io_err(dest))?;
    let mut out = BufWriter::new(file);
    let mut reader = resp.into_body().into_reader();
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut total: u64 = 0;
    let mut last_report: u64 = 0;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(fail(format!("reading the response: {e}"))),
        };
        total += n as u64;
        if total > MAX_DOWNLOAD_BYTES {
            return Err(fail(format!(
                "refused: more than the limit of {MAX_DOWNLOAD_BYTES} bytes"
            )));
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n]).map_err(io_err(dest))?;
        if total - last_report >= 1 << 20 {
            last_report = total;
            progress(UpdateProgress::Downloading {
                ecosystem: ecosystem.to_string(),
                bytes: total,
                total: announced,
            });
        }
    }
    out.flush().map_err(io_err(dest))?;
    out.into_inner()
        .map_err(|e| UpdateError::Io {
            path: dest.to_path_buf(),
            cause: e.into_error(),
        })?
        .sync_all()
        .map_err(io_err(dest))?;
    progress(UpdateProgress::Downloading {
        ecosystem: ecosystem.to_string(),
        bytes: total,
        total: announced,
    });
    Ok(Fetched::Body {
        bytes: total,
        sha256: hex::encode(hasher.finalize()),
        etag,
        last_modified,
    })
}

/// Update the database at `db` from `opts.mirror`. See the module docs for the guarantees.
pub fn update(
    db: &Path,
    opts: &UpdateOptions,
    progress: &mut dyn FnMut(UpdateProgress),
) -> Result<UpdateReport, UpdateError> {
    let dir = match db.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(d) => d.to_path_buf(),
        None => PathBuf::from("."),
    };
    fs::create_dir_all(&dir).map_err(io_err(&dir))?;
    let mut state = load_state(db);
    crate::import::remove_stale_work_dirs(&dir);
    let work = tempfile::Builder::new()
        .prefix(".bulkhead-update-")
        .tempdir_in(&dir)
        .map_err(io_err(&dir))?;
    let agent = agent();

    let mut results = Vec::new();
    // (ecosystem index, archive path, new state)
    let mut downloaded: Vec<(usize, PathBuf, EcosystemState)> = Vec::new();
    for (i, eco) in opts.ecosystems.iter().enumerate() {
        let url = archive_url(&opts.mirror, eco);
        let prev = state.ecosystems.get(eco).filter(|s| s.url == url);
        let sub = work.path().join(i.to_string());
        fs::create_dir(&sub).map_err(io_err(&sub))?;
        let dest = sub.join("all.zip");
        let outcome = match fetch(&agent, &url, prev, &dest, eco, progress)? {
            Fetched::NotModified => Outcome::NotModified,
            Fetched::Body {
                bytes,
                sha256,
                etag,
                last_modified,
            } => {
                let same = prev.is_some_and(|p| p.sha256 == sha256);
                let new = EcosystemState {
                    url: url.clone(),
                    etag,
                    last_modified,
                    sha256: sha256.clone(),
                    bytes,
                };
                if same {
                    // Same content: only the validators may have changed.
                    state.ecosystems.insert(eco.clone(), new);
                    Outcome::NotModified
                } else {
                    downloaded.push((i, dest, new));
                    Outcome::Downloaded { bytes, sha256 }
                }
            }
        };
        results.push(EcosystemUpdate {
            ecosystem: eco.clone(),
            url,
            outcome,
        });
    }

    if downloaded.is_empty() {
        if db.is_file() {
            write_state(db, &state)?;
        }
        return Ok(UpdateReport {
            ecosystems: results,
            import: None,
        });
    }

    let copy = work.path().join("bulkhead.db");
    if db.is_file() {
        fs::copy(db, &copy).map_err(io_err(db))?;
    }
    let paths: Vec<PathBuf> = downloaded.iter().map(|(_, p, _)| p.clone()).collect();
    let mut report = {
        let mut store = Store::create_or_open(&copy)?;
        store.import_paths(&paths, &mut |p| progress(UpdateProgress::Importing(p)))?
    };
    // An error whose source is the archive itself means the archive was unreadable.
    for (i, path, _) in &downloaded {
        let display = path.display().to_string();
        if let Some(e) = report.errors.iter().find(|e| e.source == display) {
            return Err(UpdateError::Archive {
                ecosystem: opts.ecosystems[*i].clone(),
                url: results[*i].url.clone(),
                reason: e.reason.clone(),
            });
        }
    }
    // Name the ecosystem in the remaining (per-document) warnings instead of the temporary path.
    for e in &mut report.errors {
        relabel(e, &downloaded, &results);
    }
    File::open(&copy)
        .and_then(|f| f.sync_all())
        .map_err(io_err(&copy))?;
    fs::rename(&copy, db).map_err(io_err(db))?;
    for (i, _, new) in downloaded {
        state.ecosystems.insert(opts.ecosystems[i].clone(), new);
    }
    write_state(db, &state)?;
    Ok(UpdateReport {
        ecosystems: results,
        import: Some(report),
    })
}

fn relabel(
    e: &mut ImportError,
    downloaded: &[(usize, PathBuf, EcosystemState)],
    results: &[EcosystemUpdate],
) {
    for (i, path, _) in downloaded {
        let prefix = path.display().to_string();
        if let Some(rest) = e.source.strip_prefix(&prefix) {
            e.source = format!("{}{rest}", results[*i].url);
            return;
        }
    }
}

fn write_state(db: &Path, state: &UpdateState) -> Result<(), UpdateError> {
    let path = state_path(db);
    let mut tmp = path.as_os_str().to_os_string();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let json = serde_json::to_vec_pretty(state).expect("state serialises");
    fs::write(&tmp, json).map_err(io_err(&tmp))?;
    fs::rename(&tmp, &path).map_err(io_err(&path))
}
