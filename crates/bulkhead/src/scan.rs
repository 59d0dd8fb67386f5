//! `bulkhead image|fs|sbom`: flags → [`bulkhead_scan::ScanRequest`], render, exit code. The pipeline
//! itself is the library's ([`bulkhead_scan::scan`]).

use crate::cli::{ImageSrc, ScanArgs, Scanner};
use crate::output;
use anyhow::{Context, Result, bail};
use bulkhead_core::TargetKind;
use bulkhead_image::ScanProgress;
use bulkhead_image::source::registry::RegistryOptions;
use bulkhead_report::{Format, RenderOptions};
use bulkhead_scan::{ScanRequest, VulnerabilityOptions};
use std::path::PathBuf;
use std::process::ExitCode;

/// Which command is running.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Image,
    Fs,
    Sbom,
}

/// Options that only mean something for a vulnerability scan, as the user gave them.
/// (SARIF carries nothing but findings, so an empty one reads as a pass; CycloneDX and SPDX are
/// SBOMs first, and CycloneDX has no `vulnerabilities` array at all when none were looked for.)
fn vuln_options_given(a: &ScanArgs, format: Format) -> Vec<String> {
    let mut v = Vec::new();
    if !a.severity.is_empty() {
        v.push("--severity".to_string());
    }
    if a.exit_code != 0 {
        v.push("--exit-code".into());
    }
    if a.ignore_unfixed {
        v.push("--ignore-unfixed".into());
    }
    if a.ignorefile.is_some() {
        v.push("--ignorefile".into());
    }
    if !a.vex.is_empty() {
        v.push("--vex".into());
    }
    if format == Format::Sarif {
        v.push("--format sarif".into());
    }
    v
}

/// The default ignore file in the working directory: `.bulkheadignore`, else Trivy's
/// `.trivyignore.yaml` or `.trivyignore`.
fn default_ignore_file() -> Option<PathBuf> {
    [".bulkheadignore", ".trivyignore.yaml", ".trivyignore"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

pub fn scan(a: ScanArgs, mode: Mode, quiet: bool) -> Result<ExitCode> {
    let default_format = if mode == Mode::Sbom {
        Format::CycloneDx
    } else {
        Format::Table
    };
    let format = a.format.unwrap_or(default_format);
    if a.scanners.contains(&Scanner::None) && a.scanners.len() > 1 {
        bail!("--scanners none cannot be combined with other scanners");
    }
    // Decide whether vulnerabilities are matched: asked for explicitly, needed by an option, or
    // (image/fs) available by default. A vulnerability option without a database is an error,
    // never an empty pass.
    let needs = vuln_options_given(&a, format);
    let inventory_only = a.scanners.contains(&Scanner::None);
    let explicit_vuln = a.scanners.contains(&Scanner::Vuln);
    if inventory_only && !needs.is_empty() {
        bail!(
            "{} need(s) the vulnerability scanner, but --scanners none turns it off",
            needs.join(", ")
        );
    }
    let db = match &a.db {
        Some(p) => Some(p.clone()),
        None => Some(bulkhead_scan::default_db_path()).filter(|p| p.exists()),
    };
    // Scanners named without `vuln` (`--scanners secret`) leave vulnerabilities out.
    let vuln_default = a.scanners.is_empty();
    let explicit_secret = a.scanners.contains(&Scanner::Secret);
    let needs = if vuln_default || explicit_vuln {
        needs
    } else {
        Vec::new()
    };
    let want_vuln = !inventory_only
        && (explicit_vuln
            || !needs.is_empty()
            || (vuln_default && mode != Mode::Sbom && db.is_some()));
    if a.secret_config.is_some() && !explicit_secret {
        bail!("--secret-config is for the secret scanner: add --scanners secret");
    }
    let secrets = if explicit_secret {
        let scanner = match &a.secret_config {
            Some(f) => {
                let bytes = bulkhead_core::input::read_regular(
                    f,
                    4 << 20,
                    "a secret configuration is far smaller; fixed limit",
                )?;
                bulkhead_secrets::SecretConfig::parse(&String::from_utf8_lossy(&bytes))
                    .and_then(|c| c.scanner())
                    .with_context(|| format!("{}", f.display()))?
            }
            None => bulkhead_secrets::Scanner::builtin(),
        };
        Some(std::sync::Arc::new(scanner))
    } else {
        None
    };
    let vulnerabilities = if want_vuln {
        let Some(db) = db else {
            let why = if explicit_vuln {
                "--scanners vuln".to_string()
            } else {
                needs.join(", ")
            };
            bail!(
                "{why} asks for vulnerabilities, but there is no advisory database ({} does not exist). \
                 Build one with `bulkhead db update` (OSV mirror) or `bulkhead db import DIR|FILE`, or \
                 pass --db FILE; add --scanners none for the inventory only",
                bulkhead_scan::default_db_path().display()
            );
        };
        Some(VulnerabilityOptions {
            severities: a.severity.clone(),
            ignore_unfixed: a.ignore_unfixed,
            ignore_file: a.ignorefile.clone().or_else(default_ignore_file),
            vex: a.vex.clone(),
            ..VulnerabilityOptions::new(db)
        })
    } else {
        None
    };
    let note_inventory_only =
        vulnerabilities.is_none() && mode != Mode::Sbom && !quiet && a.scanners.is_empty();
    let target = match a.image_src {
        ImageSrc::Podman if !a.target.starts_with("podman://") => {
            format!("podman://{}", a.target)
        }
        _ => a.target.clone(),
    };
    let kind = if mode == Mode::Fs {
        TargetKind::Filesystem
    } else {
        TargetKind::Image
    };
    let mut req = ScanRequest::new(target, kind);
    req.skip_dirs = a.skip_dirs.clone();
    req.include_dev_deps = a.include_dev_deps;
    req.pkg_types = a.pkg_types.iter().map(|&t| t.into()).collect();
    req.skip_files = a.skip_files.clone();
    req.vulnerabilities = vulnerabilities;
    req.secrets = secrets;
    req.hardening = a.scanners.contains(&Scanner::Hardening);
    req.store = a.store.clone();
    req.image.platform = a.platform.clone();
    req.image.timeout = Some(a.timeout);
    req.image.limits.max_layers = a.max_layers;
    req.image.limits.max_image_uncompressed = a.max_image_size.saturating_mul(1 << 20);
    req.image.registry = RegistryOptions {
        username: a.username.clone(),
        password: a.password.clone(),
        insecure: a.insecure,
        ca_file: a.ca_file.clone(),
        // The per-operation stall limits stay the library's; `--timeout` is the whole read's deadline.
        timeout: None,
    };
    req.image.podman_socket = a.podman_socket.clone();
    if !a.no_cache {
        req.image.cache = Some(bulkhead_scan::open_cache(
            a.cache_dir.as_deref(),
            a.cache_max_mib.saturating_mul(1 << 20),
        )?);
    }
    let machine_to_stdout = format != Format::Table && output::is_stdout(a.output.as_deref());
    let bar = output::bar(output::progress_allowed(quiet, machine_to_stdout));
    let progress_bar = bar.clone();
    req.image.progress = Some(std::sync::Arc::new(move |p: ScanProgress| match p {
        ScanProgress::Layer {
            index,
            total,
            size,
            cached,
        } => {
            progress_bar.set_style(output::style(
                "{msg:>14} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}",
            ));
            progress_bar.set_message(format!(
                "layer {}/{total}{}",
                index + 1,
                if cached { " (cached)" } else { "" }
            ));
            progress_bar.reset();
            progress_bar.set_length(size.unwrap_or(0));
        }
        ScanProgress::Bytes(n) => {
            if progress_bar.length().is_some_and(|l| n > l) {
                progress_bar.set_length(n);
            }
            progress_bar.set_position(n);
        }
        ScanProgress::Files(n) => {
            progress_bar.set_style(output::style("{spinner} {msg} {pos} paths"));
            progress_bar.set_message("walking");
            progress_bar.set_position(n);
            progress_bar.tick();
        }
    }));
    let outcome = bulkhead_scan::scan(req);
    bar.finish_and_clear();
    let outcome = outcome?;
    tracing::debug!(
        "read {} layer(s) ({} from cache) in {:?}; analysed in {:?}; matched in {:?}",
        outcome.stats.layers,
        outcome.stats.cache_hits,
        outcome.stats.read,
        outcome.stats.analyse,
        outcome.stats.matching
    );
    if note_inventory_only {
        eprintln!(
            "note: no advisory database ({}): reporting the inventory only; build one with `bulkhead db update` or `bulkhead db import`",
            bulkhead_scan::default_db_path().display()
        );
    }
    if !quiet {
        print_notices(&outcome);
    }
    if let (Some(id), Some(path)) = (outcome.stored, &a.store) {
        tracing::debug!("recorded scan {id} in {}", path.display());
    }
    render(
        &outcome,
        format,
        a.output.as_deref(),
        a.list_all_pkgs,
        a.exit_code,
    )
}

/// Write the report in `format` and decide the exit code.
fn render(
    outcome: &bulkhead_scan::ScanOutcome,
    format: Format,
    out: Option<&std::path::Path>,
    list_all_pkgs: bool,
    exit_code: u8,
) -> Result<ExitCode> {
    let opts = RenderOptions {
        color: output::use_color(out),
        width: output::table_width(out),
        list_all_pkgs,
    };
    output::write_with(out, &mut |w| {
        bulkhead_report::render_to(&outcome.report, format, &opts, w)
    })?;
    if exit_code != 0 && outcome.report.findings().next().is_some() {
        return Ok(ExitCode::from(exit_code));
    }
    Ok(ExitCode::SUCCESS)
}

/// Print notices and suppressions on stderr (image-controlled text shown, never interpreted).
fn print_notices(outcome: &bulkhead_scan::ScanOutcome) {
    let clean = bulkhead_report::table::clean;
    for n in &outcome.notices {
        eprintln!("warning: {}", clean(n));
    }
    for s in &outcome.report.suppressed {
        eprintln!(
            "suppressed: {} in {} (by {})",
            clean(&s.id),
            clean(&s.subject),
            clean(&s.by)
        );
    }
}

/// `bulkhead sbom scan FILE`: flags → [`bulkhead_scan::SbomScanRequest`], render, exit code.
pub fn scan_sbom(a: crate::cli::SbomScanArgs, quiet: bool) -> Result<ExitCode> {
    let db = a.db.clone().unwrap_or_else(bulkhead_scan::default_db_path);
    if !db.exists() {
        bail!(
            "bulkhead sbom scan matches an SBOM's packages against an advisory database, and there \
             is none ({} does not exist). Build one with `bulkhead db update` (OSV mirror) or \
             `bulkhead db import DIR|FILE`, or pass --db FILE",
            db.display()
        );
    }
    let req = bulkhead_scan::SbomScanRequest {
        path: a.file.clone(),
        vulnerabilities: bulkhead_scan::VulnerabilityOptions {
            severities: a.severity.clone(),
            ignore_unfixed: a.ignore_unfixed,
            ignore_file: a.ignorefile.clone().or_else(default_ignore_file),
            vex: a.vex.clone(),
            ..bulkhead_scan::VulnerabilityOptions::new(db)
        },
        pkg_types: a.pkg_types.iter().map(|&t| t.into()).collect(),
    };
    let outcome = bulkhead_scan::scan_sbom(req)?;
    if !quiet {
        print_notices(&outcome);
    }
    render(
        &outcome,
        a.format,
        a.output.as_deref(),
        a.list_all_pkgs,
        a.exit_code,
    )
}
