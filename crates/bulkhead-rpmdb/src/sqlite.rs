//! SQLite rpm databases (`rpmdb.sqlite`): `SELECT hnum, blob FROM Packages`.
//!
//! SQLite needs a file, so the bytes are copied to a private temporary file.
//! rpm runs its database in WAL mode; only the main file is given to us, so
//! the copy is switched to rollback-journal mode (header bytes 18/19 = 1) to
//! let SQLite open it read-only without creating `-wal`/`-shm` files.
//!
//! The file comes from an untrusted image, so it is opened read-only, without
//! URI handling or extensions, with `trusted_schema=OFF`, a blob size limit,
//! and a progress handler that aborts a query doing more work than a linear
//! scan of a file this size could need. `Packages` must be an ordinary table
//! (a view could run arbitrary, even non-terminating, SQL).

use std::io::Write;

use rusqlite::limits::Limit;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use crate::{Error, Location, Sink};

/// Largest blob accepted (rpm's own header limit).
const MAX_BLOB: i32 = 256 * 1024 * 1024;

fn sql_err(context: &'static str) -> impl FnOnce(rusqlite::Error) -> Error {
    move |source| Error::Sqlite { context, source }
}

/// Calls `sink` once per row of `Packages`.
pub(crate) fn visit(bytes: &[u8], sink: &mut Sink<'_>) -> Result<(), Error> {
    if bytes.len() < 100 {
        return Err(Error::Truncated {
            what: "SQLite database header",
            offset: 0,
            needed: 100,
            available: bytes.len(),
        });
    }
    let io = |context: &'static str| move |source| Error::Io { context, source };
    let mut tmp = tempfile::Builder::new()
        .prefix("bulkhead-rpmdb-")
        .suffix(".sqlite")
        .tempfile()
        .map_err(io("creating temporary file for SQLite rpmdb"))?;
    {
        let f = tmp.as_file_mut();
        let mut header = [0u8; 100];
        header.copy_from_slice(&bytes[..100]);
        // File format write/read versions: 2 = WAL. Use legacy journal mode.
        if header[18] == 2 {
            header[18] = 1;
        }
        if header[19] == 2 {
            header[19] = 1;
        }
        f.write_all(&header)
            .and_then(|_| f.write_all(&bytes[100..]))
            .and_then(|_| f.flush())
            .map_err(io("writing temporary SQLite rpmdb"))?;
    }

    let conn = Connection::open_with_flags(
        tmp.path(),
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sql_err("opening database"))?;
    conn.set_limit(Limit::SQLITE_LIMIT_LENGTH, MAX_BLOB)
        .map_err(sql_err("setting length limit"))?;
    conn.set_limit(Limit::SQLITE_LIMIT_ATTACHED, 0)
        .map_err(sql_err("setting attach limit"))?;
    conn.execute_batch(
        "PRAGMA trusted_schema = OFF; PRAGMA query_only = ON; PRAGMA cell_size_check = ON;",
    )
    .map_err(sql_err("setting pragmas"))?;
    // Bound the work of every statement: one callback per 1000 VM steps,
    // abort after a generous linear budget.
    let budget: u64 = (bytes.len() as u64 / 16).saturating_add(100_000);
    let mut steps: u64 = 0;
    conn.progress_handler(
        1000,
        Some(move || {
            steps += 1;
            steps > budget
        }),
    );

    let kind: Option<(String, String)> = {
        let mut stmt = conn
            .prepare("SELECT type, sql FROM sqlite_master WHERE name = 'Packages'")
            .map_err(sql_err("reading schema"))?;
        let mut rows = stmt.query([]).map_err(sql_err("reading schema"))?;
        match rows.next().map_err(sql_err("reading schema"))? {
            Some(row) => Some((
                row.get::<_, String>(0).map_err(sql_err("reading schema"))?,
                row.get::<_, Option<String>>(1)
                    .map_err(sql_err("reading schema"))?
                    .unwrap_or_default(),
            )),
            None => None,
        }
    };
    match kind {
        None => return Err(Error::SqliteSchema("no table named Packages".into())),
        Some((ty, sql)) => {
            let plain = sql.trim_start().to_ascii_uppercase();
            if ty != "table" || !plain.starts_with("CREATE TABLE") {
                return Err(Error::SqliteSchema(format!(
                    "Packages is a {ty} ({}), not an ordinary table",
                    sql.chars().take(60).collect::<String>()
                )));
            }
        }
    }

    let mut stmt = conn
        .prepare("SELECT hnum, blob FROM Packages")
        .map_err(sql_err("preparing SELECT hnum, blob FROM Packages"))?;
    let mut rows = stmt.query([]).map_err(sql_err("querying Packages"))?;
    // In a sane file the blobs are stored once each; more than the file size
    // in total means shared (corrupt) overflow pages.
    let mut total: u64 = 0;
    while let Some(row) = rows.next().map_err(sql_err("reading Packages"))? {
        let hnum = match row.get_ref(0).map_err(sql_err("reading hnum"))? {
            ValueRef::Integer(i) => i,
            _ => -1,
        };
        let location = Location::SqliteRow { hnum };
        match row.get_ref(1).map_err(sql_err("reading blob"))? {
            ValueRef::Blob(b) => {
                total += b.len() as u64;
                if total > bytes.len() as u64 {
                    return Err(Error::SqliteSchema(format!(
                        "package blobs total more than the {}-byte file (corrupt database)",
                        bytes.len()
                    )));
                }
                sink(location, Ok(b));
            }
            other => sink(
                location,
                Err(Error::SqliteSchema(format!(
                    "blob column has type {:?}, not BLOB",
                    other.data_type()
                ))),
            ),
        }
    }
    Ok(())
}
