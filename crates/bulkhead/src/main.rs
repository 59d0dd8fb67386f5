//! `bulkhead`: the CLI. Thin wiring over the stage crates; every flag is defined once in [`cli`].

mod admission_cmd;
mod cli;
mod config_cmd;
mod db;
mod memory;
mod output;
mod run;
mod runtime;
mod scan;

use clap::Parser;
use std::io::IsTerminal;
use std::process::ExitCode;

#[global_allocator]
static ALLOCATOR: memory::Guarded = memory::Guarded;

fn main() -> ExitCode {
    if let Err(e) = memory::set_ceiling() {
        eprintln!("bulkhead: error: {e}");
        return ExitCode::from(2);
    }
    let args = cli::Cli::parse();
    let filter = if args.debug {
        "debug"
    } else if args.quiet {
        "error"
    } else {
        "warn"
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BULKHEAD_LOG")
                .unwrap_or_else(|_| filter.into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .without_time()
        .with_target(false)
        .init();
    match run::run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("bulkhead: error: {}", escape_controls(&error_text(&e)));
            if e.is::<runtime::FalcoError>() {
                ExitCode::from(1)
            } else {
                ExitCode::from(2)
            }
        }
    }
}

/// The error and its causes, each said once: library errors already quote their cause in their
/// own message, so a cause whose text is already there is not repeated (a missing file is reported
/// once, not twice).
fn error_text(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let s = cause.to_string();
        if s.is_empty() || out.contains(&s) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&s);
    }
    out
}

/// Error messages quote names taken from images; never let their control characters (terminal escape
/// sequences) reach the terminal.
fn escape_controls(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() && c != '\n' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}
