//! The advisory store: one SQLite file.
//!
//! Schema (version [`SCHEMA_VERSION`], in `PRAGMA user_version`; `PRAGMA application_id` marks the
//! file as ours):
//!
//! ```sql
//! records(id TEXT PRIMARY KEY, modified TEXT, modified_us INTEGER, published TEXT, withdrawn TEXT,
//!         summary TEXT, aliases TEXT /* JSON array */, severity TEXT /* JSON array */,
//!         raw BLOB /* zstd(JSON of the record exactly as read) */)
//! affected(ecosystem_base TEXT COLLATE NOCASE, ecosystem_full TEXT, package_name_normalised TEXT,
//!          record_id TEXT, position INTEGER /* index in affected[] */, affected_json TEXT)
//!   INDEX (ecosystem_base, package_name_normalised), INDEX (record_id)
//! meta(key TEXT PRIMARY KEY, value TEXT)   -- schema_version, created, build_time, ecosystems,
//!                                          -- total_records, withdrawn_records, sources
//! ```
//!
//! Withdrawn records are stored (so [`Store::record`] finds them and a later import can tell they are
//! not newer) but not indexed in `affected`: a scan never matches them.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags, OptionalExtension, Statement, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::alpine_secdb::{self, SecdbImport};
use crate::debian_list::{self, DebianListImport, ListKind};
use crate::ecosystem::{ecosystem_base, normalise_package};
use crate::osv::{self, Format, Record};
use crate::rustsec;
use crate::{Error, Result};

/// Schema version of the store, kept in `PRAGMA user_version`.
pub const SCHEMA_VERSION: i32 = 1;
/// `PRAGMA application_id` of a Bulkhead advisory database ("BHAD").
const APPLICATION_ID: i32 = 0x4248_4144;
/// Largest document (file or archive entry) import reads: 64 MiB. Larger ones are refused.
pub const MAX_DOCUMENT_BYTES: u64 = 64 << 20;
/// Largest total of uncompressed bytes import reads from one archive: 16 GiB.
pub const MAX_ARCHIVE_BYTES: u64 = 16 << 30;
/// Most entries import accepts in one archive.
pub const MAX_ARCHIVE_ENTRIES: usize = 4_000_000;
/// zstd level for the stored record JSON (fast; records are small).
const ZSTD_LEVEL: i32 = 3;
/// How many imports `meta.sources` remembers.
const MAX_SOURCES_KEPT: usize = 100;

const SCHEMA: &str = "
CREATE TABLE records (
    id TEXT PRIMARY KEY NOT NULL,
    modified TEXT,
    modified_us INTEGER,
    published TEXT,
    withdrawn TEXT,
    summary TEXT,
    aliases TEXT NOT NULL,
    severity TEXT NOT NULL,
    raw BLOB NOT NULL
);
CREATE TABLE affected (
    ecosystem_base TEXT NOT NULL COLLATE NOCASE,
    ecosystem_full TEXT NOT NULL,
    package_name_normalised TEXT NOT NULL,
    record_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    affected_json TEXT NOT NULL
);
CREATE INDEX affected_by_package ON affected (ecosystem_base, package_name_normalised);
CREATE INDEX affected_by_record ON affected (record_id);
CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;
";

/// The advisory store. Open it with [`Store::create_or_open`] to import, [`Store::open_read_only`] to
/// scan.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    read_only: bool,
}

/// One `affected[]` element of one record, as [`Store::affected`] returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct AffectedEntry {
    /// The record's id.
    pub record_id: String,
    /// The full ecosystem of this element, e.g. `Debian:12` (the query names only the family).
    pub ecosystem: String,
    /// The element itself.
    pub affected: osv::Affected,
}

/// Progress of an import, reported after every document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportProgress {
    /// Documents (files and archive entries) handled so far.
    pub files_done: u64,
    /// Documents known so far; grows when an archive is opened and its entries are counted.
    pub files_total: u64,
    /// Records handled so far (imported, updated, unchanged or skipped).
    pub records: u64,
    /// The document just handled.
    pub current: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Documents read (files and archive entries; unreadable ones are in `errors` instead).
    pub files_read: u64,
    /// Archives (`.zip`) opened.
    pub archives_read: u64,
    /// Records whose id was new to the store.
    pub records_imported: u64,
    /// Records that replaced a stored copy with an older `modified`.
    pub records_updated: u64,
    /// Records not newer than the stored copy (same or older `modified`), left as stored.
    pub records_unchanged: u64,
    /// Records refused (no id, no `affected`, wrong shape, over a limit), each with the reason: the
    /// first [`MAX_PROBLEMS_KEPT`]; `skipped_total` counts them all.
    pub skipped: Vec<SkippedRecord>,
    /// How many records were refused.
    pub skipped_total: u64,
    /// Documents that could not be read or parsed, or were refused, each with the reason. Unreadable
    /// lines of Debian tracker lists are here too, one per line (`path:LINE`). The first
    /// [`MAX_PROBLEMS_KEPT`]; `errors_total` counts them all.
    pub errors: Vec<ImportError>,
    /// How many errors there were.
    pub errors_total: u64,
    /// Debian security tracker lists (`DSA-list`, `DLA-list`) converted, with their counts.
    pub debian_lists: Vec<DebianListImport>,
    /// Alpine, Wolfi and Chainguard secdb files converted, with their counts. Unusable packages and
    /// lines are in `errors` too, one per entry (`path:package@version`).
    pub alpine_secdbs: Vec<SecdbImport>,
    /// RustSec advisories (`RUSTSEC-*.md`) converted (those that could not be are in `errors`).
    pub rustsec_advisories: u64,
    /// Wall time of the import.
    pub duration: Duration,
}

/// Most refused records and errors an import report keeps (the rest are counted): a document of a
/// million broken records costs a counter, not a million messages.
pub const MAX_PROBLEMS_KEPT: usize = 1_000;

impl ImportReport {
    /// Records not written: unchanged plus refused.
    pub fn records_skipped(&self) -> u64 {
        self.records_unchanged + self.skipped_total
    }

    /// Record an error (kept when fewer than [`MAX_PROBLEMS_KEPT`] are).
    pub fn push_error(&mut self, e: ImportError) {
        self.errors_total += 1;
        if self.errors.len() < MAX_PROBLEMS_KEPT {
            self.errors.push(e);
        }
    }

    /// Record a refused record (kept when fewer than [`MAX_PROBLEMS_KEPT`] are).
    pub fn push_skipped(&mut self, r: SkippedRecord) {
        self.skipped_total += 1;
        if self.skipped.len() < MAX_PROBLEMS_KEPT {
            self.skipped.push(r);
        }
    }
}

/// A record import refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedRecord {
    /// The document it came from (`path` or `archive!entry`).
    pub source: String,
    /// Its id, when it had one.
    pub id: Option<String>,
    /// Why it was refused.
    pub reason: String,
}

/// A document import could not read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportError {
    /// The document (`path` or `archive!entry`).
    pub source: String,
    /// Why.
    pub reason: String,
}

/// What the store holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DbInfo {
    /// The database file.
    pub path: PathBuf,
    /// Schema version.
    pub schema_version: i32,
    /// When the file was created (RFC 3339, UTC).
    pub created: Option<String>,
    /// When the last import finished (RFC 3339, UTC); `None` before the first import.
    pub build_time: Option<String>,
    /// Records stored, withdrawn ones included.
    pub total_records: u64,
    /// Withdrawn records (stored, never matched).
    pub withdrawn_records: u64,
    /// Ecosystem families with their counts, by name.
    pub ecosystems: Vec<EcosystemInfo>,
    /// The most recent imports, oldest first.
    pub sources: Vec<SourceInfo>,
}

impl DbInfo {
    /// Time since the last import, when known (for "database is older than 7 days" warnings).
    pub fn age(&self) -> Option<Duration> {
        let built = parse_rfc3339_us(self.build_time.as_deref()?)?;
        let now = OffsetDateTime::now_utc()
            .unix_timestamp_nanos()
            .div_euclid(1000);
        u64::try_from(now - i128::from(built))
            .ok()
            .map(Duration::from_micros)
    }
}

/// Counts for one ecosystem family (e.g. `Debian`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EcosystemInfo {
    /// The family, e.g. `Debian`, `PyPI`.
    pub name: String,
    /// Distinct records with at least one package in this family.
    pub records: u64,
    /// Indexed `affected[]` elements in this family.
    pub entries: u64,
    /// The full ecosystems in the family (`Debian:11`, `Debian:12`, …) with their record counts.
    pub releases: Vec<ReleaseInfo>,
}

/// Record count of one full ecosystem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseInfo {
    /// The full ecosystem, e.g. `Alpine:v3.19`.
    pub ecosystem: String,
    /// Distinct records.
    pub records: u64,
}

/// One past import, as remembered in the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceInfo {
    /// The paths given to the import.
    pub paths: Vec<String>,
    /// When it finished (RFC 3339, UTC).
    pub imported_at: String,
    /// Documents read.
    pub files: u64,
    /// New records.
    pub imported: u64,
    /// Replaced records.
    pub updated: u64,
}

impl Store {
    /// Open the store at `path` for import, creating the file and its schema when it does not exist.
    /// The parent directory is created when missing.
    pub fn create_or_open(path: &Path) -> Result<Store> {
        if let Ok(m) = fs::metadata(path)
            && !m.is_file()
        {
            return Err(Error::NotRegular {
                path: path.to_path_buf(),
                what: bulkhead_core::input::file_kind(&m.file_type()),
            });
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            // An error here resurfaces, with SQLite's words, when the file is opened.
            let _ = fs::create_dir_all(parent);
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| sql_err(path, e))?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
            read_only: false,
        };
        store
            .conn
            .busy_timeout(Duration::from_secs(10))
            .map_err(|e| store.err(e))?;
        // One file, no WAL: readers open it read-only and see either the old or the new content.
        let mode: String = store
            .conn
            .query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))
            .map_err(|e| store.classify(e))?;
        debug_assert_eq!(mode.to_ascii_lowercase(), "delete");
        let (app_id, version) = store.header()?;
        let tables: i64 = store
            .conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .map_err(|e| store.err(e))?;
        if app_id == 0 && version == 0 && tables == 0 {
            store.create_schema()?;
        } else {
            store.check_header(app_id, version)?;
        }
        Ok(store)
    }

    /// Open an existing store for queries only. Cheap: opens the file and checks its header.
    pub fn open_read_only(path: &Path) -> Result<Store> {
        match fs::metadata(path) {
            Err(_) => {
                return Err(Error::Missing {
                    path: path.to_path_buf(),
                });
            }
            Ok(m) if !m.is_file() => {
                return Err(Error::NotRegular {
                    path: path.to_path_buf(),
                    what: bulkhead_core::input::file_kind(&m.file_type()),
                });
            }
            Ok(_) => {}
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| sql_err(path, e))?;
        let store = Store {
            conn,
            path: path.to_path_buf(),
            read_only: true,
        };
        store
            .conn
            .busy_timeout(Duration::from_secs(10))
            .map_err(|e| store.err(e))?;
        let (app_id, version) = store.header()?;
        store.check_header(app_id, version)?;
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Import OSV records from `paths`: directories (recursively: `*.json`, `*.yaml`, `*.yml` and
    /// `*.zip`), single files (format from the extension, else from the content), OSV `all.zip`
    /// archives (read in memory, never extracted; entries over [`MAX_DOCUMENT_BYTES`], with unsafe
    /// names, or past [`MAX_ARCHIVE_BYTES`] are refused).
    /// Files named `DSA-list`, `DLA-list` or `list` that start like the Debian security tracker's
    /// advisory lists are converted to OSV records ([`crate::debian_list`]) and imported like them; so
    /// are JSON/YAML files that start like an Alpine/Wolfi/Chainguard secdb ([`crate::alpine_secdb`])
    /// and RustSec advisories named `RUSTSEC-*.md` ([`crate::rustsec`]). Converted records take the
    /// file's modification time as their `modified`, so importing a newer copy replaces them.
    ///
    /// A record replaces the stored one with the same id only when its `modified` is newer. Bad
    /// documents and records are reported and skipped; only a failure of the database itself is an
    /// error, and then nothing of this import is kept (it runs in one transaction).
    pub fn import_paths(
        &mut self,
        paths: &[PathBuf],
        progress: &mut dyn FnMut(ImportProgress),
    ) -> Result<ImportReport> {
        if self.read_only {
            return Err(Error::ReadOnly {
                path: self.path.clone(),
            });
        }
        let started = Instant::now();
        let mut report = ImportReport::default();
        let mut inputs = Vec::new();
        let mut problems = Vec::new();
        for p in paths {
            collect_inputs(p, true, &mut inputs, &mut problems);
        }
        for e in problems {
            report.push_error(e);
        }
        let db_path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| sql_err(&db_path, e))?;
        {
            let mut w = Writer::new(&tx, &db_path)?;
            let mut tally = Tally {
                files_done: 0,
                files_total: inputs.len() as u64,
                progress,
            };
            for input in &inputs {
                let (p, kind) = match input {
                    Input::Archive(p) => {
                        tally.files_total -= 1;
                        w.import_zip(p, &mut report, &mut tally)?;
                        continue;
                    }
                    Input::File(p, kind) => (p, kind),
                };
                let source = p.display().to_string();
                match read_bounded_file(p) {
                    Ok(bytes) => {
                        report.files_read += 1;
                        match kind {
                            FileKind::Osv(fmt) => {
                                let fmt = fmt.unwrap_or_else(|| Format::sniff(&bytes));
                                w.import_document(&bytes, fmt, &source, &mut report)?;
                            }
                            FileKind::DebianList(list) => {
                                w.import_debian_list(&bytes, *list, &source, &mut report)?
                            }
                            FileKind::AlpineSecdb(fmt) => w.import_alpine_secdb(
                                &bytes,
                                *fmt,
                                &source,
                                file_modified(p).as_deref(),
                                &mut report,
                            )?,
                            FileKind::Rustsec => w.import_rustsec(
                                &bytes,
                                &source,
                                file_modified(p).as_deref(),
                                &mut report,
                            )?,
                        }
                    }
                    Err(reason) => report.push_error(ImportError {
                        source: source.clone(),
                        reason,
                    }),
                }
                tally.tick(&report, source);
            }
            w.finish(paths, &report)?;
        }
        tx.commit().map_err(|e| sql_err(&db_path, e))?;
        report.duration = started.elapsed();
        Ok(report)
    }

    /// What the store holds: ecosystems with record counts, totals, build time, schema version, and
    /// the latest imports. Reads only the `meta` table.
    pub fn info(&self) -> Result<DbInfo> {
        let mut stmt = self
            .conn
            .prepare("SELECT key, value FROM meta")
            .map_err(|e| self.err(e))?;
        let meta: BTreeMap<String, String> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| self.err(e))?
            .collect::<rusqlite::Result<_>>()
            .map_err(|e| self.err(e))?;
        let (_, version) = self.header()?;
        let num = |k: &str| meta.get(k).and_then(|v| v.parse().ok()).unwrap_or(0);
        let ecosystems = match meta.get("ecosystems") {
            Some(v) => serde_json::from_str(v).map_err(|e| self.corrupt("meta.ecosystems", e))?,
            None => Vec::new(),
        };
        let sources = match meta.get("sources") {
            Some(v) => serde_json::from_str(v).map_err(|e| self.corrupt("meta.sources", e))?,
            None => Vec::new(),
        };
        Ok(DbInfo {
            path: self.path.clone(),
            schema_version: version,
            created: meta.get("created").cloned(),
            build_time: meta.get("build_time").cloned(),
            total_records: num("total_records"),
            withdrawn_records: num("withdrawn_records"),
            ecosystems,
            sources,
        })
    }

    /// Every `affected[]` element naming `package` in the ecosystem family `ecosystem_base` (`Debian`
    /// covers `Debian:11`, `Debian:12`, …: each entry carries its full ecosystem), withdrawn records
    /// excluded. The family compares without case; the package name is normalised as
    /// [`normalise_package`] says. Ordered by record id, then position in the record.
    pub fn affected(&self, ecosystem_base: &str, package: &str) -> Result<Vec<AffectedEntry>> {
        let name = normalise_package(ecosystem_base, package);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT record_id, ecosystem_full, affected_json FROM affected
                 WHERE ecosystem_base = ?1 AND package_name_normalised = ?2
                 ORDER BY record_id, position",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![ecosystem_base, name], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (record_id, ecosystem, json) = row.map_err(|e| self.err(e))?;
            let affected: osv::Affected =
                serde_json::from_str(&json).map_err(|e| Error::Corrupt {
                    path: self.path.clone(),
                    id: record_id.clone(),
                    reason: format!("affected entry: {e}"),
                })?;
            out.push(AffectedEntry {
                record_id,
                ecosystem,
                affected,
            });
        }
        Ok(out)
    }

    /// The record with this id, typed.
    pub fn record(&self, id: &str) -> Result<Option<Record>> {
        match self.raw_record(id)? {
            None => Ok(None),
            Some(v) => Record::from_value(&v)
                .map(Some)
                .map_err(|e| self.corrupt(id, e)),
        }
    }

    /// The record with this id exactly as imported (unknown fields included).
    pub fn raw_record(&self, id: &str) -> Result<Option<Value>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT raw FROM records WHERE id = ?1")
            .map_err(|e| self.err(e))?;
        let Some(blob) = stmt
            .query_row([id], |r| r.get::<_, Vec<u8>>(0))
            .optional()
            .map_err(|e| self.err(e))?
        else {
            return Ok(None);
        };
        let json = zstd::stream::decode_all(blob.as_slice()).map_err(|e| self.corrupt(id, e))?;
        serde_json::from_slice(&json)
            .map(Some)
            .map_err(|e| self.corrupt(id, e))
    }

    fn header(&self) -> Result<(i32, i32)> {
        let app_id: i32 = self
            .conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .map_err(|e| self.classify(e))?;
        let version: i32 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.classify(e))?;
        Ok((app_id, version))
    }

    fn check_header(&self, app_id: i32, version: i32) -> Result<()> {
        if app_id != APPLICATION_ID {
            return Err(Error::NotAdvisoryDb {
                path: self.path.clone(),
            });
        }
        if version > SCHEMA_VERSION {
            return Err(Error::SchemaTooNew {
                path: self.path.clone(),
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        if version < SCHEMA_VERSION {
            return Err(Error::SchemaTooOld {
                path: self.path.clone(),
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        Ok(())
    }

    fn create_schema(&mut self) -> Result<()> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| sql_err(&path, e))?;
        tx.execute_batch(SCHEMA).map_err(|e| sql_err(&path, e))?;
        tx.execute_batch(&format!(
            "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {SCHEMA_VERSION};"
        ))
        .map_err(|e| sql_err(&path, e))?;
        let now = now_rfc3339();
        for (k, v) in [
            ("schema_version", SCHEMA_VERSION.to_string()),
            ("created", now),
        ] {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)",
                params![k, v],
            )
            .map_err(|e| sql_err(&path, e))?;
        }
        tx.commit().map_err(|e| sql_err(&path, e))
    }

    fn err(&self, e: rusqlite::Error) -> Error {
        sql_err(&self.path, e)
    }

    /// Like [`Store::err`], but "file is not a database" becomes [`Error::NotAdvisoryDb`].
    fn classify(&self, e: rusqlite::Error) -> Error {
        if let rusqlite::Error::SqliteFailure(f, _) = &e
            && f.code == rusqlite::ErrorCode::NotADatabase
        {
            return Error::NotAdvisoryDb {
                path: self.path.clone(),
            };
        }
        self.err(e)
    }

    fn corrupt(&self, id: &str, e: impl std::fmt::Display) -> Error {
        Error::Corrupt {
            path: self.path.clone(),
            id: id.to_string(),
            reason: e.to_string(),
        }
    }
}

fn sql_err(path: &Path, cause: rusqlite::Error) -> Error {
    Error::Sqlite {
        path: path.to_path_buf(),
        cause,
    }
}

/// Progress bookkeeping shared by files and archive entries.
struct Tally<'p> {
    files_done: u64,
    files_total: u64,
    progress: &'p mut dyn FnMut(ImportProgress),
}

impl Tally<'_> {
    fn tick(&mut self, report: &ImportReport, current: String) {
        self.files_done += 1;
        (self.progress)(ImportProgress {
            files_done: self.files_done,
            files_total: self.files_total.max(self.files_done),
            records: report.records_imported
                + report.records_updated
                + report.records_unchanged
                + report.skipped_total,
            current,
        });
    }
}

/// Prepared statements of one import transaction.
struct Writer<'c> {
    conn: &'c Connection,
    path: &'c Path,
    select: Statement<'c>,
    upsert: Statement<'c>,
    delete_affected: Statement<'c>,
    insert_affected: Statement<'c>,
}

impl<'c> Writer<'c> {
    fn new(conn: &'c Connection, path: &'c Path) -> Result<Writer<'c>> {
        let prep = |sql: &str| conn.prepare(sql).map_err(|e| sql_err(path, e));
        Ok(Writer {
            conn,
            path,
            select: prep("SELECT modified_us FROM records WHERE id = ?1")?,
            upsert: prep(
                "INSERT INTO records
                   (id, modified, modified_us, published, withdrawn, summary, aliases, severity, raw)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (id) DO UPDATE SET
                   modified = excluded.modified, modified_us = excluded.modified_us,
                   published = excluded.published, withdrawn = excluded.withdrawn,
                   summary = excluded.summary, aliases = excluded.aliases,
                   severity = excluded.severity, raw = excluded.raw",
            )?,
            delete_affected: prep("DELETE FROM affected WHERE record_id = ?1")?,
            insert_affected: prep(
                "INSERT INTO affected
                   (ecosystem_base, ecosystem_full, package_name_normalised, record_id, position,
                    affected_json)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?,
        })
    }

    fn err(&self, e: rusqlite::Error) -> Error {
        sql_err(self.path, e)
    }

    /// Parse one document and upsert its records. Parse failures go to the report.
    fn import_document(
        &mut self,
        bytes: &[u8],
        format: Format,
        source: &str,
        report: &mut ImportReport,
    ) -> Result<()> {
        // Records are upserted as they are read: a large array is never held whole.
        let mut store_error = None;
        let parsed = osv::for_each_record(bytes, format, &mut |v| {
            self.upsert(&v, source, report).map_err(|e| {
                let msg = e.to_string();
                store_error = Some(e);
                osv::ParseError::Limit(msg)
            })
        });
        if let Some(e) = store_error {
            return Err(e);
        }
        if let Err(e) = parsed {
            report.push_error(ImportError {
                source: source.to_string(),
                reason: e.to_string(),
            });
        }
        Ok(())
    }

    /// Convert a Debian tracker list to OSV records and upsert them. Unreadable lines go to the report.
    fn import_debian_list(
        &mut self,
        bytes: &[u8],
        kind: ListKind,
        source: &str,
        report: &mut ImportReport,
    ) -> Result<()> {
        let text = String::from_utf8_lossy(bytes);
        // Records are upserted as each advisory ends; the first store error stops the list.
        let mut store_error = None;
        let stats = debian_list::parse_list_each(&text, kind, &mut |rec| {
            if store_error.is_some() {
                return;
            }
            let raw = serde_json::to_value(&rec).expect("a record serialises");
            if let Err(e) = self.upsert(&raw, source, report) {
                store_error = Some(e);
            }
        });
        if let Some(e) = store_error {
            return Err(e);
        }
        for e in &stats.errors {
            report.push_error(ImportError {
                source: format!("{source}:{}", e.line),
                reason: format!("{}: {:?}", e.reason, e.text),
            });
        }
        // The lines past the kept ones are counted, not listed.
        report.errors_total += stats.errors_total - stats.errors.len() as u64;
        report.debian_lists.push(DebianListImport {
            source: source.to_string(),
            kind,
            stats,
        });
        Ok(())
    }

    /// Convert an Alpine/Wolfi/Chainguard secdb file to OSV records and upsert them. A file that
    /// looked like a secdb but parses as something else is read as OSV instead. Unusable packages and
    /// lines go to the report.
    fn import_alpine_secdb(
        &mut self,
        bytes: &[u8],
        format: Format,
        source: &str,
        modified: Option<&str>,
        report: &mut ImportReport,
    ) -> Result<()> {
        let values = match osv::parse_document(bytes, format) {
            Ok(v) => v,
            Err(e) => {
                report.push_error(ImportError {
                    source: source.to_string(),
                    reason: e.to_string(),
                });
                return Ok(());
            }
        };
        if values.len() != 1 || !alpine_secdb::is_secdb(&values[0]) {
            for v in &values {
                self.upsert(v, source, report)?;
            }
            return Ok(());
        }
        let parsed = match alpine_secdb::convert(&values[0], modified) {
            Ok(p) => p,
            Err(reason) => {
                report.push_error(ImportError {
                    source: source.to_string(),
                    reason: match reason {
                        crate::osv::ParseError::Shape(r) => format!("Alpine secdb: {r}"),
                        other => format!("Alpine secdb: {other}"),
                    },
                });
                return Ok(());
            }
        };
        for rec in &parsed.records {
            let raw = serde_json::to_value(rec).expect("a record serialises");
            self.upsert(&raw, source, report)?;
        }
        for e in &parsed.stats.errors {
            let at = if e.version.is_empty() {
                format!("{source}:{}", e.package)
            } else {
                format!("{source}:{}@{}", e.package, e.version)
            };
            report.push_error(ImportError {
                source: at,
                reason: format!("{}: {:?}", e.reason, e.text),
            });
        }
        if parsed.stats.errors_omitted > 0 {
            report.push_error(ImportError {
                source: source.to_string(),
                reason: format!(
                    "{} more unusable secdb entries, not listed",
                    parsed.stats.errors_omitted
                ),
            });
        }
        report.alpine_secdbs.push(SecdbImport {
            source: source.to_string(),
            ecosystem: parsed.ecosystem,
            stats: parsed.stats,
        });
        Ok(())
    }

    /// Convert a RustSec advisory to an OSV record and upsert it. A bad advisory goes to the report.
    fn import_rustsec(
        &mut self,
        bytes: &[u8],
        source: &str,
        modified: Option<&str>,
        report: &mut ImportReport,
    ) -> Result<()> {
        match rustsec::parse(bytes, modified) {
            Ok(rec) => {
                let raw = serde_json::to_value(&rec).expect("a record serialises");
                report.rustsec_advisories += 1;
                self.upsert(&raw, source, report)?;
            }
            Err(e) => report.push_error(ImportError {
                source: source.to_string(),
                reason: format!("RustSec advisory: {e}"),
            }),
        }
        Ok(())
    }

    fn upsert(&mut self, raw: &Value, source: &str, report: &mut ImportReport) -> Result<()> {
        let skip = |report: &mut ImportReport, id: Option<String>, reason: String| {
            report.push_skipped(SkippedRecord {
                source: source.to_string(),
                id,
                reason,
            })
        };
        let rec = match Record::from_value(raw) {
            Ok(r) => r,
            // Over a limit: the input is not fully importable, which fails the import.
            Err(e @ crate::osv::ParseError::Limit(_)) => {
                let id = raw.get("id").and_then(Value::as_str).unwrap_or("(no id)");
                report.push_error(ImportError {
                    source: source.to_string(),
                    reason: format!("record {id}: {e}"),
                });
                return Ok(());
            }
            Err(e) => {
                let id = raw.get("id").and_then(Value::as_str).map(str::to_string);
                skip(report, id, e.to_string());
                return Ok(());
            }
        };
        if rec.id.trim().is_empty() {
            skip(report, None, "record has no `id`".into());
            return Ok(());
        }
        if rec.affected.is_empty() {
            skip(
                report,
                Some(rec.id.clone()),
                "record has no `affected` entries".into(),
            );
            return Ok(());
        }
        let modified_us = rec.modified.as_deref().and_then(parse_rfc3339_us);
        let stored: Option<Option<i64>> = self
            .select
            .query_row([&rec.id], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))?;
        match stored {
            None => report.records_imported += 1,
            Some(old) => {
                let newer = match (modified_us, old) {
                    (Some(new), Some(old)) => new > old,
                    (Some(_), None) => true,
                    (None, _) => false,
                };
                if !newer {
                    report.records_unchanged += 1;
                    return Ok(());
                }
                self.delete_affected
                    .execute([&rec.id])
                    .map_err(|e| self.err(e))?;
                report.records_updated += 1;
            }
        }
        let json = serde_json::to_vec(raw).expect("a JSON value serialises");
        let blob = zstd::bulk::compress(&json, ZSTD_LEVEL).map_err(|e| Error::Corrupt {
            path: self.path.to_path_buf(),
            id: rec.id.clone(),
            reason: format!("compressing: {e}"),
        })?;
        let aliases = serde_json::to_string(&rec.aliases).expect("strings serialise");
        let severity = serde_json::to_string(&rec.severity).expect("strings serialise");
        self.upsert
            .execute(params![
                rec.id,
                rec.modified,
                modified_us,
                rec.published,
                rec.withdrawn,
                rec.summary,
                aliases,
                severity,
                blob
            ])
            .map_err(|e| self.err(e))?;
        if rec.withdrawn.is_some() {
            return Ok(());
        }
        let raw_affected = raw.get("affected").and_then(Value::as_array);
        for (i, a) in rec.affected.iter().enumerate() {
            let Some(pkg) = &a.package else { continue };
            if pkg.ecosystem.trim().is_empty() || pkg.name.trim().is_empty() {
                continue;
            }
            let base = ecosystem_base(&pkg.ecosystem);
            let name = normalise_package(base, &pkg.name);
            let element = match raw_affected.and_then(|items| items.get(i)) {
                Some(v) => serde_json::to_string(v),
                None => serde_json::to_string(a),
            }
            .expect("a JSON value serialises");
            self.insert_affected
                .execute(params![
                    base,
                    pkg.ecosystem,
                    name,
                    rec.id,
                    i as i64,
                    element
                ])
                .map_err(|e| self.err(e))?;
        }
        Ok(())
    }

    /// Read an OSV `all.zip` entry by entry, in memory, within the bounds.
    fn import_zip(
        &mut self,
        path: &Path,
        report: &mut ImportReport,
        tally: &mut Tally<'_>,
    ) -> Result<()> {
        let display = path.display().to_string();
        let fail = |report: &mut ImportReport, source: String, reason: String| {
            report.push_error(ImportError { source, reason })
        };
        let file = match File::open(path) {
            Ok(f) => f,
            Err(e) => {
                fail(report, display, format!("cannot open: {e}"));
                return Ok(());
            }
        };
        let mut archive = match zip::ZipArchive::new(BufReader::new(file)) {
            Ok(a) => a,
            Err(e) => {
                fail(report, display, format!("not a readable zip archive: {e}"));
                return Ok(());
            }
        };
        if archive.len() > MAX_ARCHIVE_ENTRIES {
            fail(
                report,
                display,
                format!(
                    "refused: {} entries, more than the limit of {MAX_ARCHIVE_ENTRIES}",
                    archive.len()
                ),
            );
            return Ok(());
        }
        report.archives_read += 1;
        tally.files_total += archive.len() as u64;
        let mut total: u64 = 0;
        for i in 0..archive.len() {
            let mut entry = match archive.by_index(i) {
                Ok(e) => e,
                Err(e) => {
                    fail(
                        report,
                        format!("{display}!#{i}"),
                        format!("unreadable entry: {e}"),
                    );
                    tally.tick(report, format!("{display}!#{i}"));
                    continue;
                }
            };
            let name = match entry.name() {
                Ok(n) => n.into_owned(),
                Err(e) => {
                    fail(
                        report,
                        format!("{display}!#{i}"),
                        format!("unreadable entry name: {e}"),
                    );
                    drop(entry);
                    tally.tick(report, format!("{display}!#{i}"));
                    continue;
                }
            };
            let source = format!("{display}!{name}");
            let format = Format::from_name(&name);
            if entry.is_dir() || (format.is_none() && safe_entry_name(&name)) {
                // Directories and other files (README, LICENSE) are not records.
                drop(entry);
                tally.tick(report, source);
                continue;
            }
            if !safe_entry_name(&name) {
                fail(
                    report,
                    source.clone(),
                    "refused: unsafe entry name (absolute, `..` component, backslash or NUL)"
                        .into(),
                );
            } else if entry.size() > MAX_DOCUMENT_BYTES {
                fail(
                    report,
                    source.clone(),
                    format!(
                        "refused: declared size {} bytes exceeds the limit of {MAX_DOCUMENT_BYTES} bytes per entry",
                        entry.size()
                    ),
                );
            } else if total.saturating_add(entry.size()) > MAX_ARCHIVE_BYTES {
                fail(
                    report,
                    source.clone(),
                    format!(
                        "refused: the archive's entries exceed the total limit of {MAX_ARCHIVE_BYTES} bytes; rest of the archive not read"
                    ),
                );
                drop(entry);
                tally.tick(report, source);
                break;
            } else {
                let mut buf = Vec::with_capacity(entry.size().min(1 << 20) as usize);
                match (&mut entry)
                    .take(MAX_DOCUMENT_BYTES + 1)
                    .read_to_end(&mut buf)
                {
                    Err(e) => fail(report, source.clone(), format!("cannot decompress: {e}")),
                    Ok(_) if buf.len() as u64 > MAX_DOCUMENT_BYTES => fail(
                        report,
                        source.clone(),
                        format!(
                            "refused: decompresses to more than {MAX_DOCUMENT_BYTES} bytes (declared {})",
                            entry.size()
                        ),
                    ),
                    Ok(n) => {
                        total += n as u64;
                        report.files_read += 1;
                        drop(entry);
                        let format = format.expect("checked above");
                        self.import_document(&buf, format, &source, report)?;
                    }
                }
            }
            tally.tick(report, source);
        }
        Ok(())
    }

    /// Recompute the counts in `meta` and remember this import.
    fn finish(&mut self, paths: &[PathBuf], report: &ImportReport) -> Result<()> {
        let mut families: BTreeMap<String, EcosystemInfo> = BTreeMap::new();
        {
            let mut stmt = self
                .conn
                .prepare(
                    "SELECT ecosystem_base, count(DISTINCT record_id), count(*) FROM affected
                     GROUP BY ecosystem_base",
                )
                .map_err(|e| self.err(e))?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                })
                .map_err(|e| self.err(e))?;
            for row in rows {
                let (name, records, entries) = row.map_err(|e| self.err(e))?;
                families.insert(
                    name.to_lowercase(),
                    EcosystemInfo {
                        name,
                        records: records as u64,
                        entries: entries as u64,
                        releases: Vec::new(),
                    },
                );
            }
            let mut stmt = self
                .conn
                .prepare(
                    "SELECT ecosystem_base, ecosystem_full, count(DISTINCT record_id) FROM affected
                     GROUP BY ecosystem_base, ecosystem_full ORDER BY ecosystem_full",
                )
                .map_err(|e| self.err(e))?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                })
                .map_err(|e| self.err(e))?;
            for row in rows {
                let (base, ecosystem, records) = row.map_err(|e| self.err(e))?;
                if let Some(f) = families.get_mut(&base.to_lowercase()) {
                    f.releases.push(ReleaseInfo {
                        ecosystem,
                        records: records as u64,
                    });
                }
            }
        }
        let (total, withdrawn): (i64, i64) = self
            .conn
            .query_row("SELECT count(*), count(withdrawn) FROM records", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .map_err(|e| self.err(e))?;
        let mut sources: Vec<SourceInfo> = self
            .conn
            .query_row("SELECT value FROM meta WHERE key = 'sources'", [], |r| {
                r.get::<_, String>(0)
            })
            .optional()
            .map_err(|e| self.err(e))?
            .and_then(|v| serde_json::from_str(&v).ok())
            .unwrap_or_default();
        let now = now_rfc3339();
        sources.push(SourceInfo {
            paths: paths.iter().map(|p| p.display().to_string()).collect(),
            imported_at: now.clone(),
            files: report.files_read,
            imported: report.records_imported,
            updated: report.records_updated,
        });
        if sources.len() > MAX_SOURCES_KEPT {
            sources.drain(..sources.len() - MAX_SOURCES_KEPT);
        }
        let families: Vec<EcosystemInfo> = families.into_values().collect();
        let entries = [
            ("schema_version", SCHEMA_VERSION.to_string()),
            ("build_time", now),
            ("total_records", total.to_string()),
            ("withdrawn_records", withdrawn.to_string()),
            (
                "ecosystems",
                serde_json::to_string(&families).expect("serialises"),
            ),
            (
                "sources",
                serde_json::to_string(&sources).expect("serialises"),
            ),
        ];
        let mut stmt = self
            .conn
            .prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)")
            .map_err(|e| self.err(e))?;
        for (k, v) in entries {
            stmt.execute(params![k, v]).map_err(|e| self.err(e))?;
        }
        Ok(())
    }
}

/// Something to import.
enum Input {
    /// A zip archive (its entries are documents).
    Archive(PathBuf),
    /// One file, read whole (bounded) and imported as its kind says.
    File(PathBuf, FileKind),
}

/// What a single input file is.
enum FileKind {
    /// An OSV JSON or YAML document; `None` = sniff the content.
    Osv(Option<Format>),
    /// A Debian security tracker advisory list (`DSA-list`, `DLA-list`, `data/DSA/list`).
    DebianList(ListKind),
    /// An Alpine/Wolfi/Chainguard secdb file (JSON or YAML).
    AlpineSecdb(Format),
    /// A RustSec advisory (`RUSTSEC-*.md`).
    Rustsec,
}

/// Expand a path given to import into documents and archives. `explicit` paths are taken whatever
/// their extension; inside directories only `*.json`, `*.yaml`, `*.yml`, `*.zip`, Debian tracker lists
/// and `RUSTSEC-*.md` are.
fn collect_inputs(
    path: &Path,
    explicit: bool,
    out: &mut Vec<Input>,
    errors: &mut Vec<ImportError>,
) {
    let meta = match if explicit {
        fs::metadata(path)
    } else {
        fs::symlink_metadata(path)
    } {
        Ok(m) => m,
        Err(e) => {
            errors.push(ImportError {
                source: path.display().to_string(),
                reason: format!("cannot read: {e}"),
            });
            return;
        }
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if meta.is_dir() {
        if !explicit && name == ".git" {
            return;
        }
        let mut children: Vec<PathBuf> = match fs::read_dir(path) {
            Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(e) => {
                errors.push(ImportError {
                    source: path.display().to_string(),
                    reason: format!("cannot list directory: {e}"),
                });
                return;
            }
        };
        children.sort();
        for child in children {
            collect_inputs(&child, false, out, errors);
        }
        return;
    }
    // Inside directories, symlinks to files are followed; symlinks to directories are not (no loops).
    let target = if meta.file_type().is_symlink() {
        fs::metadata(path).ok()
    } else {
        Some(meta)
    };
    match target {
        Some(m) if m.is_file() => {}
        Some(m) if m.is_dir() => return,
        // Only regular files are read: a FIFO would block the import, a device stream without end.
        Some(m) => {
            errors.push(ImportError {
                source: path.display().to_string(),
                reason: format!(
                    "{}, not a regular file",
                    bulkhead_core::input::file_kind(&m.file_type())
                ),
            });
            return;
        }
        None if explicit => {
            errors.push(ImportError {
                source: path.display().to_string(),
                reason: "a dangling symbolic link".into(),
            });
            return;
        }
        None => return,
    }
    if let Some(kind) = debian_list_kind(path, &name) {
        out.push(Input::File(path.to_path_buf(), FileKind::DebianList(kind)));
        return;
    }
    if rustsec::is_advisory_file_name(&name) {
        out.push(Input::File(path.to_path_buf(), FileKind::Rustsec));
        return;
    }
    let is_zip = name.to_ascii_lowercase().ends_with(".zip");
    match Format::from_name(&name) {
        Some(f) => {
            if alpine_secdb_format(path).is_some() {
                out.push(Input::File(path.to_path_buf(), FileKind::AlpineSecdb(f)))
            } else {
                out.push(Input::File(path.to_path_buf(), FileKind::Osv(Some(f))))
            }
        }
        None if is_zip => out.push(Input::Archive(path.to_path_buf())),
        None if explicit => {
            if has_zip_magic(path) {
                out.push(Input::Archive(path.to_path_buf()))
            } else if let Some(f) = alpine_secdb_format(path) {
                out.push(Input::File(path.to_path_buf(), FileKind::AlpineSecdb(f)))
            } else {
                out.push(Input::File(path.to_path_buf(), FileKind::Osv(None)))
            }
        }
        None => {}
    }
}

/// When the file starts like an Alpine secdb ([`alpine_secdb::detect`]): its format, from the content.
/// Reads at most the first [`alpine_secdb::SNIFF_BYTES`].
fn alpine_secdb_format(path: &Path) -> Option<Format> {
    let mut head = Vec::with_capacity(alpine_secdb::SNIFF_BYTES);
    File::open(path)
        .ok()?
        .take(alpine_secdb::SNIFF_BYTES as u64)
        .read_to_end(&mut head)
        .ok()?;
    alpine_secdb::detect(&head).then(|| Format::sniff(&head))
}

/// The file's modification time (RFC 3339, UTC, whole seconds): the `modified` of records converted
/// from raw sources, which carry no modification time of their own.
fn file_modified(path: &Path) -> Option<String> {
    let t = OffsetDateTime::from(fs::metadata(path).ok()?.modified().ok()?);
    t.replace_nanosecond(0).ok()?.format(&Rfc3339).ok()
}

/// A file named `DSA-list`, `DLA-list` or `list` whose first non-empty line is a tracker advisory
/// header (`[12 Apr 2023] DSA-…`): its list kind. Reads at most the first 4 KiB.
fn debian_list_kind(path: &Path, name: &str) -> Option<ListKind> {
    if !matches!(name, "DSA-list" | "DLA-list" | "list") {
        return None;
    }
    let mut head = Vec::with_capacity(4096);
    File::open(path)
        .ok()?
        .take(4096)
        .read_to_end(&mut head)
        .ok()?;
    debian_list::detect(name, &head)
}

fn has_zip_magic(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .map(|_| &magic == b"PK\x03\x04" || &magic == b"PK\x05\x06")
        .unwrap_or(false)
}

fn read_bounded_file(path: &Path) -> std::result::Result<Vec<u8>, String> {
    use bulkhead_core::input::{InputError, read_regular};
    read_regular(
        path,
        MAX_DOCUMENT_BYTES,
        "the limit of one advisory document; split it",
    )
    .map_err(|e| match e {
        // The import error names the file already.
        InputError::Io { source, .. } => {
            format!("cannot read: {}", bulkhead_core::input::io_reason(&source))
        }
        InputError::TooLarge { limit, .. } => {
            format!("refused: more than {limit} bytes (the limit per advisory document)")
        }
        InputError::NotRegular { what, .. } => format!("{what}, not a regular file"),
    })
}

/// An archive entry name is safe when it is relative, has no `..` component, no backslash and no NUL.
/// (Entries are never written to disk; unsafe names are refused as a sign of a hostile archive.)
fn safe_entry_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('/')
        && !name.contains('\\')
        && !name.contains('\0')
        && !name.split('/').any(|c| c == "..")
        && !name
            .split('/')
            .next()
            .is_some_and(|c| c.len() == 2 && c.ends_with(':'))
}

/// RFC 3339 timestamp → microseconds since the epoch (the Go database's `0001-01-01` fits). A timestamp without an offset is read as UTC.
fn parse_rfc3339_us(s: &str) -> Option<i64> {
    let s = s.trim();
    let t = OffsetDateTime::parse(s, &Rfc3339)
        .or_else(|_| OffsetDateTime::parse(&format!("{s}Z"), &Rfc3339))
        .ok()?;
    i64::try_from(t.unix_timestamp_nanos().div_euclid(1000)).ok()
}

fn now_rfc3339() -> String {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(0)
        .unwrap_or(now)
        .format(&Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        let a = parse_rfc3339_us("2023-11-07T20:24:23.946863Z").unwrap();
        let b = parse_rfc3339_us("2023-11-07T20:24:23Z").unwrap();
        assert!(a > b, "fractional seconds order correctly");
        assert_eq!(parse_rfc3339_us("2023-11-07T21:24:23+01:00"), Some(b));
        assert_eq!(parse_rfc3339_us("2023-11-07T20:24:23"), Some(b));
        assert_eq!(parse_rfc3339_us("yesterday"), None);
        assert!(parse_rfc3339_us("0001-01-01T00:00:00Z").unwrap() < b);
        assert!(now_rfc3339().ends_with('Z'));
    }

    #[test]
    fn entry_names() {
        for ok in ["GO-2020-0001.json", "a/b.json", "a/..b.json"] {
            assert!(safe_entry_name(ok), "{ok}");
        }
        for bad in [
            "../x.json",
            "a/../../x.json",
            "/etc/x.json",
            "a\\..\\x.json",
            "C:/x.json",
            "x\0.json",
            "",
        ] {
            assert!(!safe_entry_name(bad), "{bad}");
        }
    }
}
