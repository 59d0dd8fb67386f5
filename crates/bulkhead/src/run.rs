//! Command execution: build options, call the stages, render, write.

use crate::cli::{CacheAction, Cli, Command, ScanArgs};
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
    let scanned =
        scan_target(&target, &wanted, &opts).with_context(|| format!("reading {}", args.target))?;
    let inv = bulkhead_inventory::analyze(&scanned.index);
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
        warnings: scanned
            .index
            .warnings
            .iter()
            .chain(&inv.warnings)
            .cloned()
            .collect(),
    };
    let color = args.output.is_none() && std::io::stdout().is_terminal();
    let text = bulkhead_report::render(&artifact, format, color);
    write_output(args.output.as_deref(), text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// Write to stdout, or atomically to `path` (temp file beside it, then rename).
fn write_output(path: Option<&Path>, data: &[u8]) -> Result<()> {
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
