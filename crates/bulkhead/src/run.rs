//! Command dispatch: each command module turns its flags into a library request, renders the
//! report and picks the exit code.

use crate::cli::{CacheAction, Cli, Command};
use crate::scan::Mode;
use anyhow::Result;
use clap::CommandFactory;
use std::process::ExitCode;

pub(crate) use crate::output::write_output;

/// One heap arena for the scanning commands. A scan reads two layers at once, each on a thread
/// with hashing threads of its own; glibc gives each new thread an arena and keeps what it frees
/// there, so the process held every thread's buffers at once (langbig: peak RSS 72 MiB with the
/// default arenas, 54 MiB with one, the same wall time: the threads hand over large buffers, they
/// do not contend on many small allocations). Set before any thread starts; the long-running
/// servers (runtime monitor, admission webhook) keep glibc's default.
fn one_heap_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt changes an allocator setting; called before this process starts threads.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

pub fn run(cli: Cli) -> Result<ExitCode> {
    let quiet = cli.quiet;
    if matches!(
        cli.command,
        Command::Image(_) | Command::Fs(_) | Command::Sbom(_)
    ) {
        one_heap_arena();
    }
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
