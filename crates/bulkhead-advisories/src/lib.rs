//! Bulkhead's advisory data: the OSV model ([`osv`]), its import from JSON/YAML files, directories and
//! OSV `all.zip` archives, and the embedded store ([`Store`]) the matcher reads at scan time.
//!
//! The store is one SQLite file. Every record is kept whole (its JSON as read, zstd-compressed), and
//! every `affected[]` element with a package is indexed by ecosystem family and normalised package
//! name, so a scan looks up one package with one indexed query and never touches the network.

pub mod alpine_secdb;
pub mod debian_list;
pub mod ecosystem;
pub mod ignore;
pub mod import;
pub mod matcher;
pub mod osv;
pub mod rustsec;
pub mod scanstore;
mod store;
pub mod update;
pub mod vex;

use std::path::PathBuf;

pub use ecosystem::{ecosystem_base, normalise_package};
pub use store::{
    AffectedEntry, DbInfo, EcosystemInfo, ImportError, ImportProgress, ImportReport,
    MAX_ARCHIVE_BYTES, MAX_ARCHIVE_ENTRIES, MAX_DOCUMENT_BYTES, ReleaseInfo, SCHEMA_VERSION,
    SkippedRecord, SourceInfo, Store,
};

/// Errors of the advisory store. Problems with individual input files never surface here: import
/// reports them in [`ImportReport`] and goes on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// SQLite failed (I/O error, disk full, corrupt file, …).
    #[error("advisory database {}: {cause}", path.display())]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        cause: rusqlite::Error,
    },
    /// The database file does not exist.
    #[error(
        "advisory database {} not found: build it first with `bulkhead db import` or `bulkhead db update`",
        path.display()
    )]
    Missing {
        /// The database file.
        path: PathBuf,
    },
    /// The path is not a regular file (a FIFO, a device, a directory).
    #[error("advisory database {}: {what}, not a regular file", path.display())]
    NotRegular {
        /// The path.
        path: PathBuf,
        /// What it is (`a FIFO (named pipe)`, …).
        what: &'static str,
    },
    /// The file is not a Bulkhead advisory database.
    #[error(
        "{} is not a Bulkhead advisory database (another SQLite file, or not SQLite at all)",
        path.display()
    )]
    NotAdvisoryDb {
        /// The file.
        path: PathBuf,
    },
    /// The database was written by a newer Bulkhead.
    #[error(
        "advisory database {} has schema version {found}, newer than this Bulkhead supports ({supported}): \
         upgrade Bulkhead, or build a database for this version into another file with `bulkhead db import`",
        path.display()
    )]
    SchemaTooNew {
        /// The database file.
        path: PathBuf,
        /// Its schema version.
        found: i32,
        /// The schema version this build reads.
        supported: i32,
    },
    /// The database was written by an older Bulkhead with an incompatible schema.
    #[error(
        "advisory database {} has old schema version {found} (this Bulkhead uses {supported}): \
         delete it and import the advisories again",
        path.display()
    )]
    SchemaTooOld {
        /// The database file.
        path: PathBuf,
        /// Its schema version.
        found: i32,
        /// The schema version this build reads.
        supported: i32,
    },
    /// An import was attempted on a store opened with [`Store::open_read_only`].
    #[error(
        "advisory database {} is open read-only; open it with Store::create_or_open to import",
        path.display()
    )]
    ReadOnly {
        /// The database file.
        path: PathBuf,
    },
    /// A stored record or entry could not be decoded.
    #[error("advisory database {}: stored record {id} is unreadable: {reason}", path.display())]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// The record id.
        id: String,
        /// Why.
        reason: String,
    },
}

/// A YAML error as users should read it: serde-saphyr's message without hints meant for developers
/// (such as which API to call for several documents).
pub(crate) fn yaml_reason(e: &serde_saphyr::Error) -> String {
    match e {
        serde_saphyr::Error::MultipleDocuments { .. } => {
            "the file holds several YAML documents (`---`); put everything in one document".into()
        }
        other => other.to_string(),
    }
}

/// Read a regular file as UTF-8 text of at most `limit` bytes (FIFOs and devices are refused, so a
/// named pipe never blocks and `/dev/zero` is never read).
pub(crate) fn read_bounded_text(
    path: &std::path::Path,
    limit: u64,
) -> std::result::Result<String, bulkhead_core::input::InputError> {
    let bytes = bulkhead_core::input::read_regular(path, limit, "a fixed limit")?;
    String::from_utf8(bytes).map_err(|_| bulkhead_core::input::InputError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text"),
    })
}

/// Result of the store's operations.
pub type Result<T> = std::result::Result<T, Error>;
