//! Command execution: build options, call the stages, render, write.

use crate::cli::{CacheAction, Cli, Command, ConfigArgs, DbAction, ScanArgs};
use anyhow::{Context, Result, bail};
use bulkhead_core::{Artifact, Layer};
use bulkhead_image::cache::LayerCache;
use bulkhead_image::source::Platform;
use bulkhead_image::source::registry::RegistryOptions;
use bulkhead_image::{ScanOptions, scan_target};
use bulkhead_report::Format;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Image(a) => scan(a, Format::Table, false),
        Command::Fs(a) => scan(a, Format::Table, true),
        Command::Sbom(a) => scan(a, Format::CycloneDx, false),
        Command::Config(a) => config(a),
        Command::Runtime { action } => crate::runtime::runtime(action),
        Command::Db { action } => db(action),
        Command::Cache {
            action: CacheAction::Clean { cache_dir },
        } => {
            let root = cache_dir.unwrap_or_else(LayerCache::default_root);
            let cache = LayerCache::open(&root, u64::MAX)?;
            let n = cache.clean()?;
            eprintln!("removed {n} cached layer(s) from {}", cache.dir().display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Every `bulkhead config` rule as a Markdown table (the rule list of docs/config.md).
fn rules_table() -> String {
    let mut out = String::from(
        "| rule | severity | what | fix | aliases |\n| --- | --- | --- | --- | --- |\n",
    );
    let mut row =
        |id: &str, severity: bulkhead_core::Severity, title: &str, fix: &str, aliases: &[&str]| {
            let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
            out.push_str(&format!(
                "| `{id}` | {} | {} | {} | {} |\n",
                severity.as_str(),
                cell(title),
                cell(fix),
                aliases.join(", ")
            ));
        };
    for (id, level) in bulkhead_config::pss::all_checks() {
        let (title, fix, aliases) = bulkhead_config::pss_meta(id);
        let severity = bulkhead_config::pss_severity(level);
        row(&format!("PSS-{id}"), severity, title, fix, aliases);
    }
    for r in bulkhead_config::practice::RULES {
        row(r.id, r.severity, r.title, r.remediation, r.aliases);
    }
    for r in bulkhead_config::dockerfile::RULES {
        row(
            r.id,
            r.default_severity(),
            r.title,
            r.remediation,
            r.aliases,
        );
    }
    out
}

/// Whether a file is linted as a Dockerfile: the usual names (`Dockerfile`, `Dockerfile.*`,
/// `*.dockerfile`, `Containerfile*`) or a name ending in `dockerfile` (`api_Dockerfile`); a file
/// named on the command line is a Dockerfile unless it is `*.yaml`, `*.yml` or `*.json`.
fn is_dockerfile(base: &str, explicit: bool) -> bool {
    let lower = base.to_ascii_lowercase();
    let manifest = lower.ends_with(".yaml") || lower.ends_with(".yml") || lower.ends_with(".json");
    bulkhead_config::is_dockerfile_name(base)
        || (!manifest && lower.ends_with("dockerfile"))
        || (explicit && !manifest)
}

/// Largest manifest read (bytes); larger files are reported and skipped.
const MAX_MANIFEST_BYTES: u64 = 32 << 20;

/// Manifest files under `path` (recursing into directories, skipping hidden ones and symlinked
/// directories), sorted.
fn manifest_files(path: &Path, explicit: bool, out: &mut Vec<std::path::PathBuf>) -> Result<()> {
    let meta =
        std::fs::symlink_metadata(path).with_context(|| format!("reading {}", path.display()))?;
    if meta.is_dir() {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !explicit && (name.starts_with('.') || name == "node_modules") {
            return Ok(());
        }
        let mut children: Vec<std::path::PathBuf> = std::fs::read_dir(path)
            .with_context(|| format!("listing {}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        children.sort();
        for c in children {
            manifest_files(&c, false, out)?;
        }
        return Ok(());
    }
    if meta.file_type().is_symlink()
        && !explicit
        && std::fs::metadata(path).map(|m| m.is_dir()).unwrap_or(true)
    {
        return Ok(());
    }
    let base = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = base.to_ascii_lowercase();
    if explicit
        || is_dockerfile(&base, false)
        || name.ends_with(".yaml")
        || name.ends_with(".yml")
        || name.ends_with(".json")
    {
        out.push(path.to_path_buf());
    }
    Ok(())
}

fn config(args: ConfigArgs) -> Result<ExitCode> {
    use bulkhead_report::config::{ConfigFormat, ConfigReport};
    use std::io::Read;
    if args.list_rules {
        write_output(None, rules_table().as_bytes())?;
        return Ok(ExitCode::SUCCESS);
    }
    let format: ConfigFormat = args.format.parse().map_err(anyhow::Error::msg)?;
    let policy = bulkhead_config::pss::Policy::parse(&args.pss).map_err(anyhow::Error::msg)?;
    let opts = bulkhead_config::Options {
        pss: policy,
        best_practice: !args.pss_only,
    };
    let settings_path = args
        .config
        .clone()
        .or_else(|| Some(std::path::PathBuf::from(".bulkhead.yaml")).filter(|p| p.is_file()));
    let settings = match &settings_path {
        Some(p) => bulkhead_config::Settings::load(p).map_err(anyhow::Error::msg)?,
        None => bulkhead_config::Settings::default(),
    };
    let mut inputs: Vec<(String, Option<std::path::PathBuf>, bool)> = Vec::new();
    for p in &args.paths {
        if p == "-" {
            inputs.push(("-".into(), None, true));
            continue;
        }
        let mut files = Vec::new();
        manifest_files(Path::new(p), true, &mut files)?;
        let explicit_file = Path::new(p).is_file();
        inputs.extend(
            files
                .into_iter()
                .map(|f| (f.display().to_string(), Some(f), explicit_file)),
        );
    }
    // Read and check the files on every core (results kept in input order).
    let check_one = |name: &str,
                     path: &Option<std::path::PathBuf>,
                     explicit: bool|
     -> Result<Vec<bulkhead_core::Finding>, String> {
        let mut text = String::new();
        let read = match path {
            None => std::io::stdin()
                .lock()
                .take(MAX_MANIFEST_BYTES + 1)
                .read_to_string(&mut text),
            Some(p) => std::fs::File::open(p)
                .and_then(|f| f.take(MAX_MANIFEST_BYTES + 1).read_to_string(&mut text)),
        };
        read.map_err(|e| format!("cannot read: {e}"))?;
        if text.len() as u64 > MAX_MANIFEST_BYTES {
            return Err(format!("refused: larger than {MAX_MANIFEST_BYTES} bytes"));
        }
        let base = path
            .as_ref()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let dockerfile = match path {
            None => args.stdin_dockerfile,
            Some(_) => is_dockerfile(&base, explicit),
        };
        if dockerfile {
            Ok(bulkhead_config::lint_dockerfile(name, &text, &settings))
        } else {
            bulkhead_config::check_manifest(name, &text, &opts)
        }
    };
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 16)
        .min(inputs.len().max(1));
    let chunk = inputs.len().div_ceil(threads).max(1);
    let results: Vec<Result<Vec<bulkhead_core::Finding>, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = inputs
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|(name, path, explicit)| check_one(name, path, *explicit))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(v) => v,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    });
    let mut report = ConfigReport::default();
    for ((name, _, _), r) in inputs.iter().zip(results) {
        report.files.push(name.clone());
        match r {
            Ok(f) => report.findings.extend(f),
            Err(e) => report.errors.push((name.clone(), e)),
        }
    }
    settings.apply(&mut report.findings);
    for (f, e) in &report.errors {
        tracing::warn!("{f}: {e}");
    }
    report
        .findings
        .retain(|f| f.severity.selected_by(&args.severity));
    report
        .findings
        .sort_by(|a, b| (&a.file, a.line, &a.rule_id).cmp(&(&b.file, b.line, &b.rule_id)));
    let color = args.output.is_none() && std::io::stdout().is_terminal();
    let text = bulkhead_report::config::render(&report, format, color);
    write_output(args.output.as_deref(), text.as_bytes())?;
    let failing = report
        .findings
        .iter()
        .filter(|f| settings.failure_threshold.is_none_or(|t| f.severity >= t))
        .count();
    if args.exit_code != 0 && failing > 0 && !settings.no_fail {
        return Ok(ExitCode::from(args.exit_code));
    }
    Ok(ExitCode::SUCCESS)
}

/// The default advisory database path.
fn default_db() -> std::path::PathBuf {
    LayerCache::default_root().join("db").join("bulkhead.db")
}

fn db(action: DbAction) -> Result<ExitCode> {
    match action {
        DbAction::Import { db, paths } => {
            let path = db.unwrap_or_else(default_db);
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
            }
            let mut store = bulkhead_advisories::Store::create_or_open(&path)
                .with_context(|| format!("opening {}", path.display()))?;
            let bar = Progress::new();
            let report = store.import_paths(&paths, &mut |p| bar.importing(&p))?;
            bar.finish();
            for e in &report.errors {
                eprintln!("warning: {}: {}", e.source, e.reason);
            }
            eprintln!(
                "{}: {} document(s), {} new, {} updated, {} unchanged, {} skipped, {} error(s) in {:.2?}",
                path.display(),
                report.files_read,
                report.records_imported,
                report.records_updated,
                report.records_unchanged,
                report.skipped.len(),
                report.errors.len(),
                report.duration
            );
            Ok(ExitCode::SUCCESS)
        }
        DbAction::Update {
            db,
            mirror,
            ecosystem,
        } => {
            use bulkhead_advisories::update::{self, Outcome, UpdateOptions, UpdateProgress};
            let path = db.unwrap_or_else(default_db);
            let mut opts = UpdateOptions {
                mirror,
                ..UpdateOptions::default()
            };
            if !ecosystem.is_empty() {
                opts.ecosystems = ecosystem;
            }
            let bar = Progress::new();
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
                        "{}: {} archive(s), {} new, {} updated, {} unchanged, {} skipped, {} warning(s) in {:.2?}",
                        path.display(),
                        r.archives_read,
                        r.records_imported,
                        r.records_updated,
                        r.records_unchanged,
                        r.skipped.len(),
                        r.errors.len(),
                        r.duration
                    );
                }
                None => eprintln!("{}: up to date", path.display()),
            }
            Ok(ExitCode::SUCCESS)
        }
        DbAction::Info { db, format } => {
            let path = db.unwrap_or_else(default_db);
            let store = bulkhead_advisories::Store::open_read_only(&path)
                .with_context(|| format!("opening {}", path.display()))?;
            let info = store.info()?;
            match format.as_str() {
                "json" => println!("{}", serde_json::to_string_pretty(&info)?),
                "table" => {
                    println!("Database: {}", info.path.display());
                    println!("Schema: {}", info.schema_version);
                    println!("Built: {}", info.build_time.as_deref().unwrap_or("never"));
                    println!(
                        "Records: {} ({} withdrawn)",
                        info.total_records, info.withdrawn_records
                    );
                    for e in &info.ecosystems {
                        println!(
                            "  {:<14} {:>7} records  {:>7} entries  {} release(s)",
                            e.name,
                            e.records,
                            e.entries,
                            e.releases.len()
                        );
                    }
                }
                other => bail!("--format {other:?}: expected table or json"),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn scan(args: ScanArgs, default_format: Format, fs_only: bool) -> Result<ExitCode> {
    let format: Format = match &args.format {
        Some(f) => f.parse().map_err(anyhow::Error::msg)?,
        None => default_format,
    };
    if fs_only && !Path::new(&args.target).is_dir() {
        bail!(
            "{}: not a directory (use `bulkhead image` for archives and registries)",
            args.target
        );
    }
    let target = match args.image_src.as_str() {
        "auto" => args.target.clone(),
        "podman" if !args.target.starts_with("podman://") => format!("podman://{}", args.target),
        "podman" => args.target.clone(),
        other => bail!("--image-src {other:?}: expected auto or podman"),
    };
    let cache = if args.no_cache {
        None
    } else {
        let root = args
            .cache_dir
            .clone()
            .unwrap_or_else(LayerCache::default_root);
        Some(LayerCache::open(
            &root,
            args.cache_max_mib.saturating_mul(1 << 20),
        )?)
    };
    let opts = ScanOptions {
        cache,
        platform: args.platform.as_deref().map(Platform::parse).transpose()?,
        registry: RegistryOptions {
            username: args.username.clone(),
            password: args.password.clone(),
            insecure: args.insecure,
            ca_file: args.ca_file.clone(),
        },
        podman_socket: args.podman_socket.clone(),
        ..Default::default()
    };
    let wanted = bulkhead_inventory::wanted();
    let t0 = std::time::Instant::now();
    let scanned =
        scan_target(&target, &wanted, &opts).with_context(|| format!("reading {}", args.target))?;
    let t1 = std::time::Instant::now();
    let inv = bulkhead_inventory::analyze(&scanned.index);
    tracing::debug!(
        "read {} layer(s) ({} from cache) in {:?}; analysed in {:?}",
        scanned.index.layers.len(),
        scanned.cache_hits,
        t1 - t0,
        t1.elapsed()
    );
    for w in scanned.index.warnings.iter().chain(&inv.warnings) {
        tracing::warn!("{w}");
    }
    let meta = scanned.meta.as_ref();
    let artifact = Artifact {
        name: args.target.clone(),
        kind: scanned.kind.clone(),
        image_id: meta.and_then(|m| m.config_digest.clone()),
        manifest_digest: meta.and_then(|m| m.manifest_digest.clone()),
        repo_tags: meta.map(|m| m.repo_tags.clone()).unwrap_or_default(),
        repo_digests: meta.map(|m| m.repo_digests.clone()).unwrap_or_default(),
        platform: meta.and_then(|m| m.platform()),
        layers: scanned
            .index
            .layers
            .iter()
            .filter(|l| meta.is_some() || l.digest.is_some())
            .map(|l| Layer {
                diff_id: l.diff_id.clone(),
                digest: l.digest.clone(),
                created_by: l.created_by.clone(),
            })
            .collect(),
        file_count: scanned.index.len(),
        os: inv.os,
        packages: inv.packages,
        vulnerabilities: None,
        warnings: scanned
            .index
            .warnings
            .iter()
            .chain(&inv.warnings)
            .cloned()
            .collect(),
    };
    let mut artifact = artifact;
    let db_path = args
        .db
        .clone()
        .or_else(|| Some(default_db()).filter(|p| p.exists()));
    if let Some(path) = db_path {
        let store = bulkhead_advisories::Store::open_read_only(&path)
            .with_context(|| format!("opening advisory database {}", path.display()))?;
        if let Some(age) = store.info()?.age()
            && age > std::time::Duration::from_secs(7 * 24 * 3600)
        {
            tracing::warn!(
                "advisory database {} is {} days old; refresh it with `bulkhead db update` (or `bulkhead db import`)",
                path.display(),
                age.as_secs() / 86_400
            );
        }
        let mut vulns = bulkhead_advisories::matcher::match_packages(
            &store,
            artifact.os.as_ref(),
            &artifact.packages,
        )?;
        bulkhead_advisories::matcher::filter(&mut vulns, &args.severity, args.ignore_unfixed);
        let ignore_path = args
            .ignorefile
            .clone()
            .or_else(|| Some(std::path::PathBuf::from(".bulkheadignore")).filter(|p| p.is_file()));
        if let Some(p) = ignore_path {
            let file =
                bulkhead_advisories::ignore::IgnoreFile::load(&p).map_err(anyhow::Error::msg)?;
            let applied = file.apply(
                &mut vulns,
                &artifact.packages,
                &bulkhead_report::time::today(),
            );
            for n in &applied.notices {
                tracing::warn!("{}: {n}", p.display());
            }
            if !applied.suppressed.is_empty() {
                eprintln!(
                    "{} finding(s) suppressed by {}",
                    applied.suppressed.len(),
                    p.display()
                );
            }
        }
        if !args.vex.is_empty() {
            let vex = bulkhead_advisories::vex::Vex::load(&args.vex).map_err(anyhow::Error::msg)?;
            for (v, why) in vex.apply(&mut vulns, &artifact.packages, artifact.os.as_ref()) {
                eprintln!(
                    "suppressed by VEX: {} in {} {} ({why})",
                    v.id, v.package_name, v.installed_version
                );
            }
        }
        artifact.vulnerabilities = Some(vulns);
    }
    if let Some(path) = &args.store {
        let mut store =
            bulkhead_advisories::scanstore::ScanStore::open(path).map_err(anyhow::Error::msg)?;
        let id = store
            .record(&artifact, &bulkhead_report::time::now())
            .map_err(anyhow::Error::msg)?;
        tracing::debug!("recorded scan {id} in {}", path.display());
    }
    let color = args.output.is_none() && std::io::stdout().is_terminal();
    let text = bulkhead_report::render(&artifact, format, color);
    write_output(args.output.as_deref(), text.as_bytes())?;
    if args.exit_code != 0
        && artifact
            .vulnerabilities
            .as_ref()
            .is_some_and(|v| !v.is_empty())
    {
        return Ok(ExitCode::from(args.exit_code));
    }
    Ok(ExitCode::SUCCESS)
}

/// The progress bar of `db import` and `db update` on stderr (drawn only on a terminal).
struct Progress {
    bar: indicatif::ProgressBar,
    phase: std::cell::Cell<u8>,
}

impl Progress {
    fn new() -> Self {
        let bar = indicatif::ProgressBar::with_draw_target(
            None,
            indicatif::ProgressDrawTarget::stderr_with_hz(8),
        );
        Progress {
            bar,
            phase: std::cell::Cell::new(0),
        }
    }

    fn downloading(&self, ecosystem: &str, bytes: u64, total: Option<u64>) {
        if self.phase.replace(1) != 1 || self.bar.message() != ecosystem {
            let style = if total.is_some() {
                "{msg:>12} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}"
            } else {
                "{msg:>12} {spinner} {bytes} {bytes_per_sec}"
            };
            self.bar.set_style(
                indicatif::ProgressStyle::with_template(style)
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            self.bar.set_message(ecosystem.to_string());
            self.bar.reset();
        }
        self.bar.set_length(total.unwrap_or(bytes));
        self.bar.set_position(bytes);
    }

    fn importing(&self, p: &bulkhead_advisories::ImportProgress) {
        if self.phase.replace(2) != 2 {
            self.bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{msg:>12} [{bar:30}] {pos}/{len} documents, {prefix} records",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
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

/// Write to stdout, or atomically to `path` (temp file beside it, then rename).
pub(crate) fn write_output(path: Option<&Path>, data: &[u8]) -> Result<()> {
    match path {
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(data).and_then(|_| out.flush()) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                Err(e) => Err(e).context("writing to stdout"),
            }
        }
        Some(p) => {
            let dir = p
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let mut tmp = tempfile::NamedTempFile::new_in(dir)
                .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
            tmp.write_all(data)
                .with_context(|| format!("writing {}", p.display()))?;
            tmp.persist(p)
                .with_context(|| format!("writing {}", p.display()))?;
            Ok(())
        }
    }
}
