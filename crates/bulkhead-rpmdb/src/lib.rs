//! Reader for rpm's installed-package database, in all three on-disk formats
//! rpm has used, plus a parser for the rpm header blobs stored in it.
//!
//! * **SQLite** (`rpmdb.sqlite`, rpm ≥ 4.16 default; Fedora ≥ 33, RHEL ≥ 9,
//!   CBL-Mariner, Amazon Linux 2023): table `Packages(hnum, blob)`.
//! * **Berkeley DB hash** (`Packages`, RHEL ≤ 8, CentOS, Amazon Linux 2, old
//!   SUSE): hash pages whose values are header blobs, usually stored on
//!   overflow-page chains.
//! * **NDB** (`Packages.db`, SUSE ≥ 15 SP3): rpm's own slot/blob format.
//!
//! This crate is written by hand: there is no Rust crate that reads these
//! formats. It follows the semantics of Trivy's Go library
//! `knqyf263/go-rpmdb` and of rpm itself (`lib/header.c`,
//! `lib/backend/ndb/rpmpkg.c`); no code was copied.
//!
//! The input is treated as hostile (it comes from container images): every
//! offset and count read from it is bounds-checked, allocations are capped by
//! the input length, page chains are walked at most once, and a damaged
//! database yields an [`Error`], never a panic or an endless loop.
//!
//! `gpg-pubkey` pseudo packages (imported signing keys, which rpm stores as
//! packages without an architecture) are returned like any other package;
//! callers that build an inventory should filter them out by name.

#![warn(missing_docs)]

mod bdb;
mod header;
mod ndb;
mod sqlite;

use std::fmt;

/// One installed package, as recorded in its rpm header.
///
/// String fields whose tag is absent are empty; `SOURCERPM`, `LICENSE` and
/// `VENDOR` values of `"(none)"` are also reported as empty (as go-rpmdb does).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RpmPackage {
    /// `RPMTAG_NAME` (1000). Always present: a header without it is an error.
    pub name: String,
    /// `RPMTAG_EPOCH` (1003); `None` when the package has no epoch.
    pub epoch: Option<u32>,
    /// `RPMTAG_VERSION` (1001).
    pub version: String,
    /// `RPMTAG_RELEASE` (1002).
    pub release: String,
    /// `RPMTAG_ARCH` (1022); empty for `gpg-pubkey` pseudo packages.
    pub arch: String,
    /// `RPMTAG_SOURCERPM` (1044), e.g. `curl-7.76.0-6.cm2.src.rpm`.
    pub source_rpm: String,
    /// `RPMTAG_LICENSE` (1014).
    pub license: String,
    /// `RPMTAG_VENDOR` (1011).
    pub vendor: String,
    /// Installed size in bytes: `RPMTAG_LONGSIZE` (5009) if present, else `RPMTAG_SIZE` (1009), else 0.
    pub size: u64,
    /// `RPMTAG_MODULARITYLABEL` (5096); empty for non-modular packages.
    pub modularity_label: String,
    /// Absolute paths owned by the package, in header order:
    /// `DIRNAMES[DIRINDEXES[i]] + BASENAMES[i]`, or `OLDFILENAMES` for legacy headers.
    pub files: Vec<String>,
    /// `RPMTAG_REQUIRENAME` (1049): what the package needs, each name once (`glibc`,
    /// `libc.so.6()(64bit)`, `/bin/sh`), without `rpmlib(…)` and `config(…)`; charged to the
    /// same budget as `files`.
    #[serde(default)]
    pub requires: Vec<String>,
    /// `RPMTAG_PROVIDENAME` (1047): the names the package answers besides its own files.
    #[serde(default)]
    pub provides: Vec<String>,
}

/// The three rpm database formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DbFormat {
    /// SQLite (`rpmdb.sqlite`).
    Sqlite,
    /// Berkeley DB hash database (`Packages`).
    BerkeleyDb,
    /// rpm's NDB format (`Packages.db`).
    Ndb,
}

impl fmt::Display for DbFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DbFormat::Sqlite => "SQLite",
            DbFormat::BerkeleyDb => "Berkeley DB (hash)",
            DbFormat::Ndb => "NDB",
        })
    }
}

/// Where in a database a package record lives; used in [`Error::Record`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// Berkeley DB: value `item` (index into the page's item array) on hash page `page`.
    BdbItem {
        /// Hash page number.
        page: u32,
        /// Item index on that page (odd: values follow their keys).
        item: u16,
    },
    /// Berkeley DB: a whole hash page that could not be read.
    BdbPage {
        /// Page number.
        page: u32,
    },
    /// NDB: slot number `slot` (counting the two header slots), for package index `pkg_index`.
    NdbSlot {
        /// Slot number.
        slot: u32,
        /// Package index recorded in the slot.
        pkg_index: u32,
    },
    /// SQLite: the row of table `Packages` with this `hnum`.
    SqliteRow {
        /// Header number (primary key).
        hnum: i64,
    },
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::BdbItem { page, item } => write!(f, "Berkeley DB page {page}, item {item}"),
            Location::BdbPage { page } => write!(f, "Berkeley DB page {page}"),
            Location::NdbSlot { slot, pkg_index } => {
                write!(f, "NDB slot {slot} (package index {pkg_index})")
            }
            Location::SqliteRow { hnum } => write!(f, "SQLite Packages row hnum={hnum}"),
        }
    }
}

/// Errors from reading a database or parsing a header blob.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are none of the three formats (see [`detect_format`]).
    #[error(
        "not an rpm database: no SQLite, Berkeley DB hash (0x00061561 at offset 12) or NDB (\"RpmP\") magic"
    )]
    UnknownFormat,
    /// A structure extends past the end of the input.
    #[error("{what} at offset {offset}: needs {needed} bytes, only {available} available")]
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Where it starts.
        offset: usize,
        /// How many bytes it needs.
        needed: usize,
        /// How many bytes there are from `offset` (or in total).
        available: usize,
    },
    /// The header blob's index or data store is inconsistent.
    #[error("bad header blob: {0}")]
    BadHeader(String),
    /// A tag has a type other than the one rpm defines for it.
    #[error("tag {tag} has type {found}, expected {expected}")]
    TagType {
        /// Tag number.
        tag: i32,
        /// Type found.
        found: &'static str,
        /// Type expected.
        expected: &'static str,
    },
    /// A required tag is missing.
    #[error("header has no tag {tag}")]
    MissingTag {
        /// Tag number.
        tag: i32,
    },
    /// `BASENAMES` / `DIRNAMES` / `DIRINDEXES` do not fit together.
    #[error("bad file list: {0}")]
    BadFileList(String),
    /// Berkeley DB structure error.
    #[error("Berkeley DB page {page}: {reason}")]
    Bdb {
        /// Page number (0 is the metadata page).
        page: u32,
        /// What is wrong.
        reason: String,
    },
    /// NDB structure error.
    #[error("NDB at offset {offset}: {reason}")]
    Ndb {
        /// Byte offset in the file.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// SQLite error (opening, schema check or query).
    #[error("SQLite rpmdb: {context}: {source}")]
    Sqlite {
        /// What was being done.
        context: &'static str,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },
    /// SQLite database whose content is not an rpm database we accept.
    #[error("SQLite rpmdb: {0}")]
    SqliteSchema(String),
    /// I/O error (writing the SQLite bytes to a temporary file).
    #[error("I/O error: {context}: {source}")]
    Io {
        /// What was being done.
        context: &'static str,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// One package record could not be read or parsed.
    #[error("{location}: {source}")]
    Record {
        /// Where the record is.
        location: Location,
        /// Why it failed.
        #[source]
        source: Box<Error>,
    },
}

/// Result of [`read_packages_lenient`].
#[derive(Debug)]
pub struct ReadReport {
    /// Detected format.
    pub format: DbFormat,
    /// Packages parsed successfully, in database order.
    pub packages: Vec<RpmPackage>,
    /// One [`Error::Record`] per record that was skipped.
    pub skipped: Vec<Error>,
    /// File paths left out of the packages' file lists: over
    /// [`ReadOptions::max_file_bytes`] or longer than [`ReadOptions::max_path_len`].
    pub files_dropped: u64,
}

/// Bounds on what a database read builds. The database's own size bounds the records; these bound
/// the file lists, which a hostile header can make far larger than itself (a long directory name
/// shared by millions of one-byte base names).
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Memory budget for the file paths of all packages together, in bytes, each path counted as
    /// its length plus 48 (what a `String` in a `Vec` costs). Once it is spent, later files are
    /// counted in [`ReadReport::files_dropped`] instead of kept. Default 256 MiB (a large RHEL
    /// image owns about 300,000 paths, some 30 MB in these units).
    pub max_file_bytes: u64,
    /// Longest path kept (Linux's `PATH_MAX`); longer ones are dropped and counted. Default 4096.
    pub max_path_len: usize,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            max_file_bytes: 256 << 20,
            max_path_len: 4096,
        }
    }
}

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";
const BDB_HASH_MAGIC: u32 = 0x0006_1561;
const NDB_MAGIC: &[u8; 4] = b"RpmP";

/// Detect by magic bytes (SQLite "SQLite format 3\0"; BDB hash magic 0x00061561 at offset 12 (either endianness); NDB "RpmP" magic) — not by file name.
pub fn detect_format(bytes: &[u8]) -> Option<DbFormat> {
    if bytes.starts_with(SQLITE_MAGIC) {
        return Some(DbFormat::Sqlite);
    }
    if bytes.starts_with(NDB_MAGIC) {
        return Some(DbFormat::Ndb);
    }
    if let Some(m) = bytes.get(12..16) {
        let m = [m[0], m[1], m[2], m[3]];
        if u32::from_le_bytes(m) == BDB_HASH_MAGIC || u32::from_be_bytes(m) == BDB_HASH_MAGIC {
            return Some(DbFormat::BerkeleyDb);
        }
    }
    None
}

/// Parse a whole database given its bytes. For SQLite, write the bytes to a tempfile (tempfile crate) or use rusqlite deserialize; open read-only; table `Packages(hnum, blob)`.
///
/// Strict: the first record that cannot be read or parsed makes the whole call
/// fail with an [`Error::Record`] naming it. Use [`read_packages_lenient`] to
/// skip bad records instead. The SQLite copy is opened read-only, without
/// extensions, with `trusted_schema=OFF`, a length limit and a bound on the
/// work a query may do; a write-ahead log is not read (only the main file is
/// given), so the copy is switched to rollback-journal mode first.
pub fn read_packages(bytes: &[u8]) -> Result<Vec<RpmPackage>, Error> {
    let report = read_packages_lenient(bytes)?;
    match report.skipped.into_iter().next() {
        Some(e) => Err(e),
        None => Ok(report.packages),
    }
}

/// Like [`read_packages`], but a record that cannot be read or parsed is
/// skipped and its error recorded in [`ReadReport::skipped`]. Damage to the
/// database structure itself (metadata page, NDB header or slot table, SQLite
/// schema) still fails the call.
pub fn read_packages_lenient(bytes: &[u8]) -> Result<ReadReport, Error> {
    read_packages_lenient_with(bytes, &ReadOptions::default())
}

/// [`read_packages_lenient`] with explicit bounds on the file lists built.
pub fn read_packages_lenient_with(bytes: &[u8], opts: &ReadOptions) -> Result<ReadReport, Error> {
    let format = detect_format(bytes).ok_or(Error::UnknownFormat)?;
    let mut packages = Vec::new();
    let mut skipped = Vec::new();
    let mut budget = header::FileBudget {
        left: opts.max_file_bytes,
        max_path_len: opts.max_path_len,
        dropped: 0,
    };
    let mut sink = |location: Location, blob: Result<&[u8], Error>| {
        let parsed = blob.and_then(|b| {
            let h = header::import(b)?;
            header::to_package(&h, b.len(), &mut budget)
        });
        match parsed {
            Ok(p) => packages.push(p),
            Err(e) => skipped.push(Error::Record {
                location,
                source: Box::new(e),
            }),
        }
    };
    match format {
        DbFormat::Sqlite => sqlite::visit(bytes, &mut sink)?,
        DbFormat::BerkeleyDb => bdb::visit(bytes, &mut sink)?,
        DbFormat::Ndb => ndb::visit(bytes, &mut sink)?,
    }
    Ok(ReadReport {
        format,
        packages,
        skipped,
        files_dropped: budget.dropped,
    })
}

/// Parse one header blob (the "header blob" format stored in rpmdb: il (u32 BE) dl (u32 BE), il index entries of 16 bytes (tag, type, offset, count), then data store). Handle region tags (RPMTAG_HEADERIMMUTABLE 63 / dribble entries) the way rpm's headerImport / go-rpmdb does.
///
/// The blob is verified as rpm's `headerImport` does (region tag and trailer,
/// entry order, types, alignment, every offset and length inside the data
/// store, total data length equal to `dl`); dribble entries after the region
/// replace region entries with the same tag. Bytes after the header
/// (`8 + 16·il + dl`) are ignored. A header without `NAME` is an error.
pub fn parse_header_blob(blob: &[u8]) -> Result<RpmPackage, Error> {
    let opts = ReadOptions::default();
    let h = header::import(blob)?;
    header::to_package(
        &h,
        blob.len(),
        &mut header::FileBudget {
            left: opts.max_file_bytes,
            max_path_len: opts.max_path_len,
            dropped: 0,
        },
    )
}

/// Callback through which each backend hands over one record.
pub(crate) type Sink<'s> = dyn FnMut(Location, Result<&[u8], Error>) + 's;
