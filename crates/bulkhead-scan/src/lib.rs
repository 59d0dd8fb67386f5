//! The build-time pipeline as a library call: a [`ScanRequest`] (an image or a directory, how to
//! reach it, what to look for) becomes a [`bulkhead_core::Report`]. The CLI's `image`, `fs` and
//! `sbom` commands, and any server or daemon, call [`scan`]; it never prints.
//!
//! ```text
//! request ─► image source / rootfs walk (bulkhead-image; one pass, cache, skip patterns)
//!         ─► analyzers (bulkhead-inventory) ─► Artifact (OS, packages, layers)
//!         ─► matcher (bulkhead-advisories: store, severities, --ignore-unfixed)
//!         ─► ignore file, VEX ─► Target { artifact, findings } ─► scan store (optional)
//! ```

pub mod hardening;
mod secrets;
use bulkhead_advisories::ignore::{IgnoreError, IgnoreFile};
use bulkhead_advisories::scanstore::{ScanStore, ScanStoreError};
use bulkhead_advisories::vex::{Vex, VexError};
use bulkhead_core::{
    Artifact, FindingKind, Layer, Package, Report, Severity, SkipPatterns, Suppressed, Target,
    TargetKind,
};
use bulkhead_image::cache::LayerCache;
use bulkhead_image::{ScanOptions, SkipFn};

pub mod sbom_in;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Why a scan could not run. Every message names the input at fault and, where there is one, the
/// command or flag that fixes it.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// The image or directory could not be read: the message names the target, then the file,
    /// blob, layer or registry at fault.
    #[error("{}", image_message(target, source))]
    Image {
        target: String,
        #[source]
        source: bulkhead_image::Error,
    },
    /// `fs` was given something that is not a directory.
    #[error("{0}: not a directory (use `bulkhead image` for archives and registries)")]
    NotADirectory(String),
    /// The input is of another kind than the command reads.
    #[error("{target}: {what}; {hint}")]
    WrongKind {
        target: String,
        what: String,
        hint: String,
    },
    /// The advisory database could not be opened or read.
    #[error(transparent)]
    Database(#[from] bulkhead_advisories::Error),
    #[error(transparent)]
    Ignore(#[from] IgnoreError),
    #[error(transparent)]
    Vex(#[from] VexError),
    #[error(transparent)]
    Store(#[from] ScanStoreError),
    /// A `--skip-dirs`/`--skip-files` pattern is not a valid glob.
    #[error(transparent)]
    Pattern(#[from] bulkhead_core::PatternError),
    /// The layer cache could not be opened.
    #[error("layer cache: {0}")]
    Cache(bulkhead_image::Error),
    /// An input file could not be read (not a regular file, too large, unreadable).
    #[error(transparent)]
    Input(#[from] bulkhead_core::input::InputError),
    /// An SBOM is not one Bulkhead reads.
    #[error("{path}: {message}")]
    Sbom { path: String, message: String },
    /// `--store` was asked for a target that has no image digest.
    #[error(
        "{0}: --store records images by digest, and a directory has none (scan the image instead)"
    )]
    NotStorable(String),
}

/// `target: cause`, without saying the target twice when the cause already starts with it.
fn image_message(target: &str, cause: &bulkhead_image::Error) -> String {
    let c = cause.to_string();
    if c.starts_with(target) {
        c
    } else {
        format!("{target}: {c}")
    }
}

/// How to match packages against advisories.
#[derive(Debug, Clone)]
pub struct VulnerabilityOptions {
    /// The advisory database (built by `bulkhead db import|update`).
    pub db: PathBuf,
    /// Keep only these severities (empty: all).
    pub severities: Vec<Severity>,
    /// Drop findings without a fixed version.
    pub ignore_unfixed: bool,
    /// Accepted risks (Bulkhead YAML, `.trivyignore` or `.trivyignore.yaml`).
    pub ignore_file: Option<PathBuf>,
    /// VEX documents (OpenVEX, CycloneDX VEX).
    pub vex: Vec<PathBuf>,
    /// A database older than this gets a notice.
    pub stale_after: Duration,
}

impl VulnerabilityOptions {
    /// Options with the database at `db` and nothing filtered.
    pub fn new(db: PathBuf) -> Self {
        VulnerabilityOptions {
            db,
            severities: Vec::new(),
            ignore_unfixed: false,
            ignore_file: None,
            vex: Vec::new(),
            stale_after: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// One scan: what to read, how, and what to look for.
pub struct ScanRequest {
    /// The target as given: an archive, an OCI layout, a directory, `registry://…`, `podman://…`.
    pub target: String,
    /// [`TargetKind::Image`] (any source) or [`TargetKind::Filesystem`] (a directory only).
    pub kind: TargetKind,
    /// How to reach and read it (cache, platform, registry credentials, timeout, progress), and
    /// the bounds on reading it (`image.limits`: layers, uncompressed and captured bytes, index
    /// memory).
    pub image: ScanOptions,
    /// Bounds on what the analyzers build (packages, file-list memory).
    pub inventory: bulkhead_inventory::Limits,
    /// Glob patterns of directories to leave out (`**` crosses `/`, `*` does not; relative to the
    /// image root, a leading `/` or `./` ignored).
    pub skip_dirs: Vec<String>,
    /// Glob patterns of files to leave out.
    pub skip_files: Vec<String>,
    /// Report development-only dependencies of lockfiles (read for directory scans only).
    pub include_dev_deps: bool,
    /// Which packages are reported and matched (empty: all), as Trivy's `--pkg-types`.
    pub pkg_types: Vec<PkgType>,
    /// Match vulnerabilities (`None`: inventory only).
    pub vulnerabilities: Option<VulnerabilityOptions>,
    /// Record the result in this scan store (images only).
    pub store: Option<PathBuf>,
    /// Look for secrets in every file of every layer and in the image configuration (`None`: no
    /// secret scan).
    pub secrets: Option<std::sync::Arc<bulkhead_secrets::Scanner>>,
    /// Audit how far the image is from minimal (the user, HEALTHCHECK, remote ADD, sensitive
    /// ports, setuid/setgid and world-writable files, shells, package managers, network tools).
    pub hardening: bool,
}

impl ScanRequest {
    /// An inventory-only request for `target` with default options.
    pub fn new(target: impl Into<String>, kind: TargetKind) -> Self {
        ScanRequest {
            target: target.into(),
            kind,
            image: ScanOptions::default(),
            inventory: bulkhead_inventory::Limits::default(),
            skip_dirs: Vec::new(),
            skip_files: Vec::new(),
            include_dev_deps: false,
            pkg_types: Vec::new(),
            vulnerabilities: None,
            store: None,
            secrets: None,
            hardening: false,
        }
    }
}

/// Where time went and what the cache did.
#[derive(Debug, Clone, Default)]
pub struct ScanStats {
    pub layers: usize,
    pub cache_hits: usize,
    pub read: Duration,
    pub analyse: Duration,
    pub matching: Duration,
    /// Paths removed by the skip patterns.
    pub skipped_paths: usize,
}

/// The result of a scan.
#[derive(Debug, Clone)]
pub struct ScanOutcome {
    /// One target (the image or directory) with its inventory and findings.
    pub report: Report,
    /// Things the user should know that are not findings: an old database, expired ignore entries,
    /// findings suppressed by the ignore file or VEX, skipped entries of the image.
    pub notices: Vec<String>,
    /// The id of the scan in the scan store, when recorded.
    pub stored: Option<i64>,
    pub stats: ScanStats,
}

/// The default advisory database: `$XDG_CACHE_HOME/bulkhead/db/bulkhead.db`.
pub fn default_db_path() -> PathBuf {
    LayerCache::default_root().join("db").join("bulkhead.db")
}

/// Open the layer cache at `root` (default: `$XDG_CACHE_HOME/bulkhead`), bounded to `max_bytes`.
pub fn open_cache(root: Option<&Path>, max_bytes: u64) -> Result<LayerCache, ScanError> {
    let root = root.map_or_else(LayerCache::default_root, Path::to_path_buf);
    LayerCache::open(&root, max_bytes).map_err(ScanError::Cache)
}

fn skip_fn(dirs: &[String], files: &[String]) -> Result<Option<SkipFn>, ScanError> {
    let patterns = SkipPatterns::new(dirs, files)?;
    if patterns.is_empty() {
        return Ok(None);
    }
    Ok(Some(std::sync::Arc::new(
        move |path: &str, is_dir: bool| patterns.skips(path, is_dir),
    )))
}

/// Refuse inputs that are obviously not what the command reads, naming the command to use.
fn check_input_kind(target: &str, kind: TargetKind) -> Result<(), ScanError> {
    let path = Path::new(target);
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(()); // not a path: a registry or podman reference, judged by the source
    };
    if kind == TargetKind::Filesystem {
        if !meta.is_dir() {
            return Err(ScanError::NotADirectory(target.to_string()));
        }
        return Ok(());
    }
    if !meta.is_file() {
        return Ok(());
    }
    let mut head = [0u8; 512];
    let n = std::fs::File::open(path)
        .and_then(|mut f| {
            let mut n = 0;
            while n < head.len() {
                let r = std::io::Read::read(&mut f, &mut head[n..])?;
                if r == 0 {
                    break;
                }
                n += r;
            }
            Ok(n)
        })
        .unwrap_or(0);
    let head = &head[..n];
    let tar = head.len() >= 262 && &head[257..262] == b"ustar";
    let compressed = head.starts_with(&[0x1f, 0x8b]) || head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]);
    if tar {
        return Ok(());
    }
    let wrong = |what: &str, hint: &str| {
        Err(ScanError::WrongKind {
            target: target.to_string(),
            what: what.to_string(),
            hint: hint.to_string(),
        })
    };
    if compressed {
        return wrong(
            "is a compressed file, not an image archive",
            "decompress it first (`docker save`/`podman save` write a plain tar), or give the image's registry reference",
        );
    }
    let text = String::from_utf8_lossy(head);
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or("")
        .to_ascii_uppercase();
    let base = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let config_hint = format!("check it with `bulkhead config {target}`");
    if base.contains("dockerfile")
        || base.contains("containerfile")
        || first.starts_with("FROM ")
        || first.starts_with("ARG ")
    {
        return wrong("is a Dockerfile, not an image", &config_hint);
    }
    if text.contains("apiVersion") || text.contains("\"kind\"") || text.contains("kind:") {
        return wrong("is a Kubernetes manifest, not an image", &config_hint);
    }
    wrong(
        "is not a container image (neither a tar archive nor a directory)",
        "give a `docker save`/`podman save` archive, an OCI layout or archive, a root filesystem directory, or a registry reference",
    )
}

fn now_rfc3339() -> String {
    let t = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Run a scan.
pub fn scan(mut req: ScanRequest) -> Result<ScanOutcome, ScanError> {
    check_input_kind(&req.target, req.kind)?;
    if req.store.is_some() && req.kind == TargetKind::Filesystem {
        return Err(ScanError::NotStorable(req.target.clone()));
    }
    req.image.skip = skip_fn(&req.skip_dirs, &req.skip_files)?;
    // Open the database before the (long) image read, so a missing one fails at once.
    let store = match &req.vulnerabilities {
        Some(v) => Some(bulkhead_advisories::Store::open_read_only(&v.db)?),
        None => None,
    };
    let mut notices = Vec::new();
    let mut stats = ScanStats::default();
    // A directory is a project: its lockfiles are read too (as Trivy's `fs`); an image's are not.
    let sources = bulkhead_inventory::Sources {
        lockfiles: req.kind == TargetKind::Filesystem,
        dev: req.include_dev_deps,
    };
    let mut wanted = bulkhead_inventory::wanted_for(sources);
    if let Some(scanner) = &req.secrets {
        let s = scanner.clone();
        wanted = wanted.with_content_scan(&scanner.version(), move |path, data| {
            let found = s.scan(&format!("/{path}"), data);
            (!found.is_empty()).then(|| serde_json::to_vec(&found).unwrap_or_default())
        });
    }
    if req.hardening {
        wanted = wanted.with_paths("hardening-1", hardening::wants);
    }
    let t0 = Instant::now();
    let scanned = bulkhead_image::scan_target(&req.target, &wanted, &req.image).map_err(|e| {
        ScanError::Image {
            target: req.target.clone(),
            source: e,
        }
    })?;
    let t1 = Instant::now();
    let mut inv = bulkhead_inventory::analyze_sources(&scanned.index, &req.inventory, sources);
    keep_types(&mut inv.packages, &req.pkg_types);
    stats.read = t1 - t0;
    stats.analyse = t1.elapsed();
    stats.layers = scanned.index.layers.len();
    stats.cache_hits = scanned.cache_hits;
    let meta = scanned.meta.as_ref();
    let warnings: Vec<String> = scanned
        .index
        .warnings
        .iter()
        .chain(&inv.warnings)
        .cloned()
        .collect();
    notices.extend(warnings.iter().cloned());
    let artifact = Artifact {
        name: req.target.clone(),
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
        warnings,
    };
    let kind = if scanned.kind == "rootfs" {
        TargetKind::Filesystem
    } else {
        TargetKind::Image
    };
    let mut target = Target::new(req.target.clone(), kind);
    let mut report = Report::default();
    let secret_findings = req
        .secrets
        .as_ref()
        .map(|scanner| secrets::findings(scanner, &scanned.index, meta));
    let hardening_findings = req
        .hardening
        .then(|| hardening::findings(&scanned.index, meta));
    if let (Some(v), Some(store)) = (&req.vulnerabilities, &store) {
        let t2 = Instant::now();
        report.scanners.push(FindingKind::Vulnerability);
        target.findings = match_vulnerabilities(v, store, &artifact, &mut notices, &mut report)?;
        stats.matching = t2.elapsed();
    }
    if let Some(found) = secret_findings {
        report.scanners.push(FindingKind::Secret);
        target.findings.extend(found);
    }
    if let Some(mut found) = hardening_findings {
        report.scanners.push(FindingKind::Misconfiguration);
        let summary = hardening::summary(
            &scanned.index,
            meta,
            &artifact.packages,
            &found,
            req.vulnerabilities
                .is_some()
                .then_some(target.findings.as_slice()),
        );
        found.extend(summary);
        target.findings.extend(found);
    }
    target.artifact = Some(artifact);
    let mut stored = None;
    if let Some(path) = &req.store {
        let mut st = ScanStore::open(path)?;
        let refs = stored_refs(&req.target, &target);
        stored = Some(st.record(&target, &now_rfc3339(), &refs)?);
    }
    report.targets.push(target);
    Ok(ScanOutcome {
        report,
        notices,
        stored,
        stats,
    })
}

/// The tagged references a scan is recorded under, normalised as the admission webhook looks
/// them up (`docker.io/library/nginx:1.27`; no tag is `latest`): the image's repo tags and the
/// reference it was scanned by (`registry://…`, `podman://…`). Digest-only references are looked
/// up by digest instead.
pub fn stored_refs(scanned_as: &str, target: &Target) -> Vec<String> {
    let named = ["registry://", "podman://", "docker://"]
        .iter()
        .find_map(|p| scanned_as.strip_prefix(p));
    let tags = target
        .artifact
        .iter()
        .flat_map(|a| a.repo_tags.iter().map(String::as_str));
    let mut out: Vec<String> = tags.chain(named).filter_map(tagged_ref).collect();
    out.sort();
    out.dedup();
    out
}

/// `registry/repository:tag` of a reference with a tag or with neither tag nor digest (`latest`).
pub fn tagged_ref(s: &str) -> Option<String> {
    let mut r = bulkhead_image::source::registry::Reference::parse(s).ok()?;
    if r.tag.is_none() && r.digest.is_some() {
        return None;
    }
    r.digest = None;
    r.tag.get_or_insert_with(|| "latest".to_string());
    Some(r.to_string())
}

/// A class of packages, as Trivy's `--pkg-types` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PkgType {
    /// Operating-system packages (dpkg, apk, rpm).
    Os,
    /// Language packages (installed, locked, or built into executables).
    Library,
}

impl PkgType {
    /// Whether `p` is of this class.
    pub fn selects(self, p: &Package) -> bool {
        let os = p.kind.is_some_and(|k| k.is_os());
        match self {
            PkgType::Os => os,
            PkgType::Library => !os,
        }
    }
}

/// Keep the packages of `types` (all when empty).
fn keep_types(packages: &mut Vec<Package>, types: &[PkgType]) {
    if !types.is_empty() {
        packages.retain(|p| types.iter().any(|t| t.selects(p)));
    }
}

/// What `bulkhead sbom scan` asks: an SBOM file's packages matched against the database.
#[derive(Debug, Clone)]
pub struct SbomScanRequest {
    /// A CycloneDX or SPDX JSON file (a regular file; at most [`sbom_in::MAX_SBOM_BYTES`]).
    pub path: PathBuf,
    pub vulnerabilities: VulnerabilityOptions,
    /// Which packages are matched (empty: all).
    pub pkg_types: Vec<PkgType>,
}

/// Match the packages of an SBOM (made by Bulkhead, Trivy or Syft) as a scanned image's are: the
/// report has one target, the SBOM's subject, with its packages and findings.
pub fn scan_sbom(req: SbomScanRequest) -> Result<ScanOutcome, ScanError> {
    let shown = req.path.display().to_string();
    let err = |message: String| ScanError::Sbom {
        path: shown.clone(),
        message,
    };
    let store = bulkhead_advisories::Store::open_read_only(&req.vulnerabilities.db)?;
    let data = bulkhead_core::input::read_regular(
        &req.path,
        sbom_in::MAX_SBOM_BYTES,
        "the limit is fixed (MAX_SBOM_BYTES)",
    )?;
    let t0 = Instant::now();
    let sbom = sbom_in::parse(&data).map_err(|e| err(e.to_string()))?;
    let mut notices = sbom.notices.clone();
    let mut sbom = sbom;
    keep_types(&mut sbom.packages, &req.pkg_types);
    if sbom.packages.is_empty() {
        notices.push(format!(
            "{shown}: the SBOM lists no package with a purl Bulkhead can match"
        ));
    }
    let artifact = Artifact {
        name: sbom.subject.clone().unwrap_or_else(|| shown.clone()),
        kind: sbom.format.clone(),
        os: sbom.os,
        packages: sbom.packages,
        ..Default::default()
    };
    let mut report = Report::default();
    report.scanners.push(FindingKind::Vulnerability);
    let mut target = Target::new(shown.clone(), TargetKind::Image);
    let analyse = t0.elapsed();
    let t1 = Instant::now();
    target.findings = match_vulnerabilities(
        &req.vulnerabilities,
        &store,
        &artifact,
        &mut notices,
        &mut report,
    )?;
    target.artifact = Some(artifact);
    report.targets.push(target);
    Ok(ScanOutcome {
        report,
        notices,
        stored: None,
        stats: ScanStats {
            analyse,
            matching: t1.elapsed(),
            ..Default::default()
        },
    })
}

/// Match `artifact`'s packages against the database, then apply the severity and fix filters, the
/// ignore file and VEX (suppressions go to `report`, notices to `notices`).
fn match_vulnerabilities(
    v: &VulnerabilityOptions,
    store: &bulkhead_advisories::Store,
    artifact: &Artifact,
    notices: &mut Vec<String>,
    report: &mut Report,
) -> Result<Vec<bulkhead_core::Finding>, ScanError> {
    if let Some(age) = store.info()?.age()
        && age > v.stale_after
    {
        notices.push(format!(
            "advisory database {} is {} days old; refresh it with `bulkhead db update` (or `bulkhead db import`)",
            v.db.display(),
            age.as_secs() / 86_400
        ));
    }
    let mut findings = bulkhead_advisories::matcher::match_packages(
        store,
        artifact.os.as_ref(),
        &artifact.packages,
    )?;
    // A severity filter must not hide what has no rating: say how many it left out, and why
    // (the Go vulnerability database, for one, rates nothing).
    let unrated = if Severity::Unknown.selected_by(&v.severities) {
        Vec::new()
    } else {
        unrated_sources(&findings)
    };
    bulkhead_advisories::matcher::filter(&mut findings, &v.severities, v.ignore_unfixed);
    if !unrated.is_empty() {
        let n: usize = unrated.iter().map(|(_, n)| n).sum();
        let by: Vec<String> = unrated.iter().map(|(k, n)| format!("{n} {k}")).collect();
        let go = if unrated.iter().any(|(k, _)| *k == "golang") {
            " (the Go vulnerability database rates none)"
        } else {
            ""
        };
        notices.push(format!(
            "{n} vulnerabilities of UNKNOWN severity are not shown ({}): their advisories \
             carry no rating{go}; add UNKNOWN to --severity to see them",
            by.join(", ")
        ));
    }
    if let Some(p) = &v.ignore_file {
        let file = IgnoreFile::load(p)?;
        let today = &now_rfc3339()[..10];
        let applied = file.apply(&mut findings, &artifact.packages, today);
        for n in &applied.notices {
            notices.push(format!("{}: {n}", p.display()));
        }
        for (f, reason) in applied.suppressed {
            report.suppressed.push(Suppressed {
                id: f.id.clone(),
                subject: format!("{} {}", f.package_name(), f.installed_version()),
                by: match reason {
                    Some(r) => format!("{}: {r}", p.display()),
                    None => p.display().to_string(),
                },
            });
        }
    }
    if !v.vex.is_empty() {
        let vex = Vex::load(&v.vex)?;
        for (f, why) in vex.apply(&mut findings) {
            report.suppressed.push(Suppressed {
                id: f.id.clone(),
                subject: format!("{} {}", f.package_name(), f.installed_version()),
                by: format!("VEX ({why})"),
            });
        }
    }
    Ok(findings)
}

/// Findings of UNKNOWN severity, counted per package type (`golang`, `npm`, `deb`, …), sorted.
fn unrated_sources(findings: &[bulkhead_core::Finding]) -> Vec<(&'static str, usize)> {
    let mut by: std::collections::BTreeMap<&'static str, usize> = Default::default();
    for f in findings.iter().filter(|f| f.severity == Severity::Unknown) {
        let kind = f
            .package
            .as_ref()
            .and_then(|p| p.kind)
            .map_or("package", |k| k.purl_type());
        *by.entry(kind).or_default() += 1;
    }
    by.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_patterns_become_a_filter() {
        assert!(skip_fn(&[], &[]).unwrap().is_none());
        let f = skip_fn(&["**/node_modules".into()], &[]).unwrap().unwrap();
        assert!(f("a/node_modules", true) && !f("a/node_modules", false));
        assert!(matches!(
            skip_fn(&["a/[b".into()], &[]),
            Err(ScanError::Pattern(_))
        ));
    }

    #[test]
    fn wrong_inputs_name_the_command_to_use() {
        let dir = tempfile::tempdir().unwrap();
        let df = dir.path().join("Dockerfile");
        std::fs::write(&df, "# build\nFROM debian:12\n").unwrap();
        let e = check_input_kind(df.to_str().unwrap(), TargetKind::Image)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("is a Dockerfile") && e.contains("bulkhead config"),
            "{e}"
        );
        let m = dir.path().join("pod.yaml");
        std::fs::write(&m, "apiVersion: v1\nkind: Pod\n").unwrap();
        let e = check_input_kind(m.to_str().unwrap(), TargetKind::Image)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("Kubernetes manifest") && e.contains("bulkhead config"),
            "{e}"
        );
        let z = dir.path().join("img.tar.gz");
        std::fs::write(&z, [0x1f, 0x8b, 8, 0]).unwrap();
        assert!(matches!(
            check_input_kind(z.to_str().unwrap(), TargetKind::Image),
            Err(ScanError::WrongKind { .. })
        ));
        // fs takes directories only.
        assert!(matches!(
            check_input_kind(df.to_str().unwrap(), TargetKind::Filesystem),
            Err(ScanError::NotADirectory(_))
        ));
        assert!(check_input_kind(dir.path().to_str().unwrap(), TargetKind::Filesystem).is_ok());
        // Registry references are not paths: left to the source.
        assert!(check_input_kind("registry://localhost:5000/a:1", TargetKind::Image).is_ok());
    }

    #[test]
    fn missing_database_fails_before_reading_the_image() {
        let dir = tempfile::tempdir().unwrap();
        let mut req = ScanRequest::new(dir.path().to_str().unwrap(), TargetKind::Filesystem);
        req.vulnerabilities = Some(VulnerabilityOptions::new(dir.path().join("none.db")));
        let e = scan(req).unwrap_err().to_string();
        assert!(e.contains("not found") && e.contains("bulkhead db"), "{e}");
    }

    #[test]
    fn directory_scans_report_an_inventory_target() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc")).unwrap();
        std::fs::write(
            dir.path().join("etc/os-release"),
            "ID=debian\nVERSION_ID=\"12\"\n",
        )
        .unwrap();
        std::fs::create_dir_all(dir.path().join("skipme")).unwrap();
        std::fs::write(dir.path().join("skipme/x"), "x").unwrap();
        let mut req = ScanRequest::new(dir.path().to_str().unwrap(), TargetKind::Filesystem);
        req.skip_dirs = vec!["skipme".into()];
        let out = scan(req).unwrap();
        assert!(out.report.scanners.is_empty());
        let t = &out.report.targets[0];
        assert_eq!(t.kind, TargetKind::Filesystem);
        let a = t.artifact.as_ref().unwrap();
        assert_eq!(a.os.as_ref().unwrap().family, "debian");
        // etc, etc/os-release; skipme and its file left out.
        assert_eq!(a.file_count, 2);
        // A filesystem cannot be recorded by digest.
        let mut req = ScanRequest::new(dir.path().to_str().unwrap(), TargetKind::Filesystem);
        req.store = Some(dir.path().join("s.db"));
        assert!(matches!(scan(req), Err(ScanError::NotStorable(_))));
    }
}
