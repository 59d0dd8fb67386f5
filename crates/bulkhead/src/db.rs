//! `bulkhead db import|update|info` and `bulkhead version`: flags → the advisories library, with
//! progress bars on a terminal.

use crate::cli::DbAction;
use crate::output;
use anyhow::{Context, Result};
use bulkhead_advisories::ImportProgress;
use bulkhead_report::Format;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The progress bar of `db import` and `db update` on stderr (drawn only on a terminal).
struct Progress {
    bar: indicatif::ProgressBar,
    phase: std::cell::Cell<u8>,
}

impl Progress {
    fn new(quiet: bool) -> Self {
        Progress {
            bar: output::bar(output::progress_allowed(quiet, false)),
            phase: std::cell::Cell::new(0),
        }
    }

    fn downloading(&self, ecosystem: &str, bytes: u64, total: Option<u64>) {
        if self.phase.replace(1) != 1 || self.bar.message() != ecosystem {
            self.bar.set_style(output::style(if total.is_some() {
                "{msg:>12} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}"
            } else {
                "{msg:>12} {spinner} {bytes} {bytes_per_sec}"
            }));
            self.bar.set_message(ecosystem.to_string());
            self.bar.reset();
        }
        self.bar.set_length(total.unwrap_or(bytes));
        self.bar.set_position(bytes);
    }

    fn importing(&self, p: &ImportProgress) {
        if self.phase.replace(2) != 2 {
            self.bar.set_style(output::style(
                "{msg:>12} [{bar:30}] {pos}/{len} documents, {prefix} records",
            ));
            self.bar.set_message("importing");
            self.bar.reset();
        }
        self.bar.set_length(p.files_total);
        self.bar.set_position(p.files_done);
        self.bar.set_prefix(p.records.to_string());
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

fn db_path(db: Option<PathBuf>) -> PathBuf {
    db.unwrap_or_else(bulkhead_scan::default_db_path)
}

pub fn db(action: DbAction, quiet: bool) -> Result<ExitCode> {
    match action {
        DbAction::Import { db, paths } => {
            let path = db_path(db);
            let bar = Progress::new(quiet);
            let result = bulkhead_advisories::import::import_atomically(&path, &paths, &mut |p| {
                bar.importing(&p)
            });
            bar.finish();
            let report = match result {
                Ok(r) => r,
                Err(e) => {
                    if let bulkhead_advisories::import::ImportFailed::Inputs { report, .. } = &e {
                        for err in report.errors.iter().take(20) {
                            eprintln!("error: {}: {}", err.source, err.reason);
                        }
                        if report.errors_total > 20 {
                            eprintln!("error: … and {} more", report.errors_total - 20);
                        }
                    }
                    return Err(e.into());
                }
            };
            if !quiet {
                eprintln!(
                    "{}: {} document(s), {} new, {} updated, {} unchanged, {} refused in {:.2?}",
                    path.display(),
                    report.files_read,
                    report.records_imported,
                    report.records_updated,
                    report.records_unchanged,
                    report.skipped_total,
                    report.duration
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        DbAction::Update {
            db,
            mirror,
            ecosystem,
        } => {
            use bulkhead_advisories::update::{self, Outcome, UpdateOptions, UpdateProgress};
            let path = db_path(db);
            let mut opts = UpdateOptions {
                mirror,
                ..UpdateOptions::default()
            };
            if !ecosystem.is_empty() {
                opts.ecosystems = ecosystem;
            }
            let bar = Progress::new(quiet);
            let result = update::update(&path, &opts, &mut |p| match p {
                UpdateProgress::Downloading {
                    ecosystem,
                    bytes,
                    total,
                } => bar.downloading(&ecosystem, bytes, total),
                UpdateProgress::Importing(p) => bar.importing(&p),
            });
            bar.finish();
            let report =
                result.with_context(|| format!("updating {} (left unchanged)", path.display()))?;
            if quiet {
                return Ok(ExitCode::SUCCESS);
            }
            for e in &report.ecosystems {
                match &e.outcome {
                    Outcome::Downloaded { bytes, .. } => {
                        eprintln!("{}: downloaded {bytes} bytes", e.ecosystem)
                    }
                    Outcome::NotModified => eprintln!("{}: not modified", e.ecosystem),
                }
            }
            match &report.import {
                Some(r) => {
                    for e in &r.errors {
                        eprintln!("warning: {}: {}", e.source, e.reason);
                    }
                    eprintln!(
                        "{}: {} archive(s), {} new, {} updated, {} unchanged, {} refused, {} warning(s) in {:.2?}",
                        path.display(),
                        r.archives_read,
                        r.records_imported,
                        r.records_updated,
                        r.records_unchanged,
                        r.skipped_total,
                        r.errors_total,
                        r.duration
                    );
                }
                None => eprintln!("{}: up to date", path.display()),
            }
            Ok(ExitCode::SUCCESS)
        }
        DbAction::Info { db, format } => {
            let path = db_path(db);
            let info = open_info(&path)?;
            let text = match format {
                Format::Json => format!("{}\n", serde_json::to_string_pretty(&info)?),
                _ => info_table(&info),
            };
            output::write_output(None, text.as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn open_info(path: &Path) -> Result<bulkhead_advisories::DbInfo> {
    let store = bulkhead_advisories::Store::open_read_only(path)?;
    Ok(store.info()?)
}

fn age_text(info: &bulkhead_advisories::DbInfo) -> String {
    match info.age() {
        Some(a) if a.as_secs() >= 86_400 => format!("{} days", a.as_secs() / 86_400),
        Some(a) => format!("{} hours", a.as_secs() / 3600),
        None => "unknown".into(),
    }
}

fn info_table(info: &bulkhead_advisories::DbInfo) -> String {
    let mut s = String::new();
    s.push_str(&format!("Database: {}\n", info.path.display()));
    s.push_str(&format!("Schema: {}\n", info.schema_version));
    s.push_str(&format!(
        "Built: {} (age: {})\n",
        info.build_time.as_deref().unwrap_or("never"),
        age_text(info)
    ));
    s.push_str(&format!(
        "Records: {} ({} withdrawn)\n",
        info.total_records, info.withdrawn_records
    ));
    for e in &info.ecosystems {
        s.push_str(&format!(
            "  {:<14} {:>7} records  {:>7} entries  {} release(s)\n",
            e.name,
            e.records,
            e.entries,
            e.releases.len()
        ));
    }
    s
}

/// `bulkhead version`: the version, and the advisory database in use (or that there is none).
pub fn version(db: Option<PathBuf>, format: Format) -> Result<ExitCode> {
    let path = db_path(db);
    let info = if path.exists() {
        Some(open_info(&path)?)
    } else {
        None
    };
    let text = match format {
        Format::Json => {
            let db = match &info {
                Some(i) => serde_json::json!({
                    "path": i.path,
                    "schema_version": i.schema_version,
                    "built": i.build_time,
                    "age_seconds": i.age().map(|a| a.as_secs()),
                    "records": i.total_records,
                    "withdrawn": i.withdrawn_records,
                    "ecosystems": i.ecosystems.iter().map(|e| serde_json::json!({"name": e.name, "records": e.records})).collect::<Vec<_>>(),
                }),
                None => serde_json::json!({"path": path, "missing": true}),
            };
            format!(
                "{}\n",
                serde_json::to_string_pretty(&serde_json::json!({
                    "version": env!("CARGO_PKG_VERSION"),
                    "advisory_database": db,
                }))?
            )
        }
        _ => {
            let mut s = format!("Version: {}\n", env!("CARGO_PKG_VERSION"));
            match &info {
                Some(i) => {
                    s.push_str("Advisory database:\n");
                    for line in info_table(i).lines() {
                        s.push_str(&format!("  {line}\n"));
                    }
                }
                None => s.push_str(&format!(
                    "Advisory database: none at {} (build one with `bulkhead db update` or `bulkhead db import`)\n",
                    path.display()
                )),
            }
            s
        }
    };
    output::write_output(None, text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
