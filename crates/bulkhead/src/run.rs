//! Command dispatch: each command module turns its flags into a library request, renders the
//! report and picks the exit code.

use crate::cli::{CacheAction, Cli, Command};
use crate::scan::Mode;
use anyhow::Result;
use clap::CommandFactory;
use std::process::ExitCode;

pub(crate) use crate::output::write_output;

pub fn run(cli: Cli) -> Result<ExitCode> {
    let quiet = cli.quiet;
    match cli.command {
        Command::Image(a) => crate::scan::scan(a, Mode::Image, quiet),
        Command::Fs(a) => crate::scan::scan(a, Mode::Fs, quiet),
        Command::Sbom(a) => match (a.action, a.write) {
            (Some(crate::cli::SbomAction::Scan(s)), _) => crate::scan::scan_sbom(s, quiet),
            (None, Some(w)) => crate::scan::scan(w, Mode::Sbom, quiet),
            (None, None) => anyhow::bail!("bulkhead sbom needs an IMAGE, or `scan FILE`"),
        },
        Command::Config(a) => crate::config_cmd::config(a),
        Command::Runtime(r) => crate::runtime::runtime(r, quiet),
        Command::Admission { action } => crate::admission_cmd::admission_cmd(action),
        Command::Db { action } => crate::db::db(action, quiet),
        Command::Version { db, format } => crate::db::version(db, format),
        Command::Cache {
            action: CacheAction::Clean { cache_dir },
        } => {
            let cache = bulkhead_scan::open_cache(cache_dir.as_deref(), u64::MAX)?;
            let n = cache.clean()?;
            if !quiet {
                eprintln!("removed {n} cached layer(s) from {}", cache.dir().display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Completion { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "bulkhead", &mut out);
            write_output(None, &out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Man { dir } => {
            std::fs::create_dir_all(&dir).map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
            clap_mangen::generate_to(Cli::command(), &dir)
                .map_err(|e| anyhow::anyhow!("writing man pages into {}: {e}", dir.display()))?;
            if !quiet {
                eprintln!("man pages written to {}", dir.display());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
