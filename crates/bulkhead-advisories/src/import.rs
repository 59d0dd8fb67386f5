//! `db import` as one transaction over the database file: the advisories are imported into a copy
//! beside it, and the copy replaces the database only when every input was read and at least one
//! advisory record was found. A failed import leaves no new file behind and the old database
//! byte-identical.

use crate::{Error, ImportProgress, ImportReport, Store};
use std::fs::{self, File};
use std::path::{Path, PathBuf};

/// Why an import was refused (the database is left as it was).
#[derive(Debug, thiserror::Error)]
pub enum ImportFailed {
    /// The store failed (not a Bulkhead database, SQLite error, …).
    #[error(transparent)]
    Store(#[from] Error),
    /// A local file operation failed (temporary copy, rename).
    #[error("{}: {cause}", path.display())]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    /// An input does not exist (or cannot be listed).
    #[error("{}: {cause}", path.display())]
    Missing {
        path: PathBuf,
        cause: std::io::Error,
    },
    /// Some inputs could not be read or parsed.
    #[error(
        "{} problem(s) in the inputs (first: {}: {}); {} left unchanged",
        report.errors_total,
        report.errors[0].source,
        report.errors[0].reason,
        db.display()
    )]
    Inputs {
        db: PathBuf,
        report: Box<ImportReport>,
    },
    /// Nothing in the inputs was an advisory record.
    #[error(
        "no advisory record found in {inputs} ({} document(s) read, {} refused); {} left unchanged",
        report.files_read,
        report.skipped_total,
        db.display()
    )]
    Empty {
        db: PathBuf,
        inputs: String,
        report: Box<ImportReport>,
    },
}

/// Import `paths` into the database at `db` (created when missing) as one all-or-nothing step.
pub fn import_atomically(
    db: &Path,
    paths: &[PathBuf],
    progress: &mut dyn FnMut(ImportProgress),
) -> Result<ImportReport, ImportFailed> {
    for p in paths {
        fs::metadata(p).map_err(|cause| ImportFailed::Missing {
            path: p.clone(),
            cause,
        })?;
    }
    let dir = match db.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(d) => d.to_path_buf(),
        None => PathBuf::from("."),
    };
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |cause| ImportFailed::Io { path, cause }
    };
    fs::create_dir_all(&dir).map_err(io(&dir))?;
    remove_stale_work_dirs(&dir);
    let work = tempfile::Builder::new()
        .prefix(".bulkhead-import-")
        .tempdir_in(&dir)
        .map_err(io(&dir))?;
    let copy = work.path().join("bulkhead.db");
    // Interrupted, the copy and its directory go (the journal SQLite may write beside it too).
    let _guards = [
        bulkhead_core::cleanup::remove_on_signal(&copy),
        bulkhead_core::cleanup::remove_on_signal(&work.path().join("bulkhead.db-journal")),
        bulkhead_core::cleanup::remove_on_signal(work.path()),
    ];
    if db.exists() {
        // Refuse a file that is not an advisory database before copying anything.
        drop(Store::open_read_only(db)?);
        fs::copy(db, &copy).map_err(io(db))?;
    }
    let report = {
        let mut store = Store::create_or_open(&copy)?;
        store.import_paths(paths, progress)?
    };
    if !report.errors.is_empty() {
        return Err(ImportFailed::Inputs {
            db: db.to_path_buf(),
            report: Box::new(report),
        });
    }
    if report.records_imported + report.records_updated + report.records_unchanged == 0 {
        return Err(ImportFailed::Empty {
            db: db.to_path_buf(),
            inputs: paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            report: Box::new(report),
        });
    }
    File::open(&copy)
        .and_then(|f| f.sync_all())
        .map_err(io(&copy))?;
    fs::rename(&copy, db).map_err(io(db))?;
    Ok(report)
}

/// Work directories of imports and updates (`.bulkhead-import-*`, `.bulkhead-update-*`) that a
/// killed process left beside the database more than an hour ago are removed (a concurrent run's
/// are younger).
pub fn remove_stale_work_dirs(dir: &Path) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    let hour = std::time::Duration::from_secs(3600);
    for e in rd.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(".bulkhead-import-") || name.starts_with(".bulkhead-update-")) {
            continue;
        }
        let old = e
            .metadata()
            .ok()
            .filter(|m| m.is_dir())
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > hour);
        if old {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORD: &str = r#"{"id":"PYSEC-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"x"},"versions":["1.0"]}]}"#;

    fn files_in(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn all_or_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("t.db");
        let good = dir.path().join("good.json");
        fs::write(&good, RECORD).unwrap();
        // A missing input: nothing created.
        let e = import_atomically(&db, &[dir.path().join("none")], &mut |_| {}).unwrap_err();
        assert!(matches!(e, ImportFailed::Missing { .. }), "{e}");
        assert!(!db.exists());
        // No record at all: refused, nothing created.
        let empty = dir.path().join("empty");
        fs::create_dir(&empty).unwrap();
        fs::write(empty.join("notes.txt"), "hello").unwrap();
        let e = import_atomically(&db, std::slice::from_ref(&empty), &mut |_| {}).unwrap_err();
        assert!(e.to_string().contains("no advisory record"), "{e}");
        assert!(!db.exists());
        assert_eq!(files_in(dir.path()), vec!["empty", "good.json"]);
        // A good import creates it.
        let r = import_atomically(&db, std::slice::from_ref(&good), &mut |_| {}).unwrap();
        assert_eq!(r.records_imported, 1);
        let before = fs::read(&db).unwrap();
        // A broken input next to a good one: refused, the database byte-identical.
        let bad = dir.path().join("bad.json");
        fs::write(&bad, "{not json").unwrap();
        let e = import_atomically(&db, &[good.clone(), bad], &mut |_| {}).unwrap_err();
        assert!(e.to_string().contains("bad.json"), "{e}");
        assert_eq!(fs::read(&db).unwrap(), before);
        // Re-importing the same record is a success (unchanged counts as found).
        let r = import_atomically(&db, &[good], &mut |_| {}).unwrap();
        assert_eq!(r.records_unchanged, 1);
        // A file that is not a database is never overwritten.
        let other = dir.path().join("other.db");
        fs::write(&other, "precious").unwrap();
        assert!(import_atomically(&other, &[dir.path().join("good.json")], &mut |_| {}).is_err());
        assert_eq!(fs::read(&other).unwrap(), b"precious");
        assert_eq!(
            files_in(dir.path()),
            vec!["bad.json", "empty", "good.json", "other.db", "t.db"]
        );
    }
}
