//! Analyzers over an [`ImageIndex`]: OS identity, OS package databases (dpkg, apk, rpm), installed
//! Python distributions and Node.js packages, with the files each package owns. Each analyzer declares the paths it needs
//! ([`wanted`]); the image walk captures exactly those during its single pass, and [`analyze`] runs on
//! the merged index.
//!
//! The captured files come from the image and are hostile by default. Every parser streams (one
//! field, line or record at a time), the values it keeps are capped, and what the analyzers build
//! is bounded by [`Limits`]: the packages reported and the memory of their file lists. A bound that
//! is hit leaves the rest out with a warning the report carries; it never aborts.

pub mod apk;
pub mod binary;
pub mod bun;
pub mod cargo_lock;
pub mod composer;
pub mod control;
pub mod dpkg;
pub mod gomod;
pub mod gradle;
pub mod jar;
pub mod node;
pub mod npm_lock;
pub mod nuget;
pub mod os;
pub mod pnpm;
pub mod pom;
pub mod pylock;
pub mod python;
pub mod rpm;
pub mod ruby;
pub mod yarn;

use bulkhead_core::{OsInfo, Package};
use bulkhead_image::{ImageIndex, Wanted, WarningCap};
use std::collections::HashMap;

/// Changes whenever an analyzer's path set or parsing changes (part of the layer cache key).
pub const ANALYZERS_VERSION: &str =
    "os-1,dpkg-1,apk-1,rpm-1,python-1,node-1,binary-1,composer-1,dotnet-1,gemspec-1,jar-1";

/// Most warnings an inventory keeps; past it, the last one counts the rest.
pub const MAX_WARNINGS: usize = 1000;
/// Most warnings one database or metadata file contributes; past it, one line counts the rest.
pub const MAX_WARNINGS_PER_FILE: usize = 20;
/// What a path in a file list costs beyond its bytes (a `String` in a `Vec`, allocator overhead).
pub const PATH_OVERHEAD: u64 = 48;

/// Longest package name, version, release, architecture or source kept (longer: the package is
/// skipped with a warning); maintainer and licence texts are cut to it.
pub const MAX_PACKAGE_FIELD: usize = 1024;
/// Most licences kept per package.
pub const MAX_LICENSES: usize = 32;

fn cut(s: &mut String, max: usize) {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
}

/// Bounds on what the analyzers build from an image's captured files (the captured bytes themselves
/// are bounded by [`bulkhead_image::Limits`]).
#[derive(Debug, Clone)]
pub struct Limits {
    /// Most packages reported, all analyzers together (duplicates before merging included); further
    /// packages are left out with a warning. Default 100,000 (a large distribution image has a few
    /// thousand OS packages, a large Python image a few thousand distributions).
    pub max_packages: usize,
    /// Memory budget of the packages' file lists, all packages together, each path counted as its
    /// length plus [`PATH_OVERHEAD`]. Past it, paths are left out with one warning (file ownership is
    /// then incomplete; packages and vulnerabilities are not affected). Default 128 MiB (a large
    /// RHEL or Ubuntu image owns about 300,000 paths, some 30 MB).
    pub max_file_bytes: u64,
    /// Longest path kept in a file list, in bytes (Linux's `PATH_MAX`); longer ones are left out and
    /// counted. Default 4096.
    pub max_path_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_packages: 100_000,
            max_file_bytes: 128 << 20,
            max_path_len: 4096,
        }
    }
}

/// What the analyzers found.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Inventory {
    pub os: Option<OsInfo>,
    pub packages: Vec<Package>,
    /// Non-fatal problems (unparseable entries, databases without an OS, bounds hit, …), at most
    /// [`MAX_WARNINGS`] and then one counting the rest.
    pub warnings: Vec<String>,
}

/// The running state of one analysis: the bounds, what is left of them, and the warnings.
pub(crate) struct Ctx<'l> {
    pub limits: &'l Limits,
    pub warnings: Vec<String>,
    warn: WarningCap,
    files_left: u64,
    files_dropped: u64,
    packages: usize,
    packages_dropped: u64,
}

impl<'l> Ctx<'l> {
    pub fn new(limits: &'l Limits) -> Self {
        Ctx {
            limits,
            warnings: Vec::new(),
            warn: WarningCap::default(),
            files_left: limits.max_file_bytes,
            files_dropped: 0,
            packages: 0,
            packages_dropped: 0,
        }
    }

    /// Add a warning (formatted only when it is kept).
    pub fn warn(&mut self, msg: impl FnOnce() -> String) {
        self.warn.push(&mut self.warnings, MAX_WARNINGS, msg);
    }

    /// Check a package before it is reported: `Err(field)` when an identity field (name, version,
    /// release, arch, source) is longer than [`MAX_PACKAGE_FIELD`] (the package is not trusted);
    /// otherwise the maintainer and licences are cut to size, and `Ok(false)` when `max_packages`
    /// is reached (the package is counted as left out), `Ok(true)` when it is taken.
    pub fn admit(&mut self, p: &mut Package) -> Result<bool, &'static str> {
        let identity: [(&'static str, Option<&String>); 7] = [
            ("name", Some(&p.name)),
            ("version", Some(&p.version)),
            ("release", p.release.as_ref()),
            ("arch", p.arch.as_ref()),
            ("source name", p.src_name.as_ref()),
            ("source version", p.src_version.as_ref()),
            ("source release", p.src_release.as_ref()),
        ];
        for (field, v) in identity {
            if v.is_some_and(|v| v.len() > MAX_PACKAGE_FIELD) {
                return Err(field);
            }
        }
        if let Some(m) = &mut p.maintainer {
            cut(m, MAX_PACKAGE_FIELD);
        }
        p.licenses.truncate(MAX_LICENSES);
        for l in &mut p.licenses {
            cut(l, MAX_PACKAGE_FIELD);
        }
        if self.packages < self.limits.max_packages {
            self.packages += 1;
            Ok(true)
        } else {
            self.packages_dropped += 1;
            Ok(false)
        }
    }

    /// Whether a path of `len` bytes fits in the file-list budget (charges it if so, counts it as
    /// left out if not).
    pub fn charge_path(&mut self, len: usize) -> bool {
        let cost = len as u64 + PATH_OVERHEAD;
        if len > self.limits.max_path_len || cost > self.files_left {
            self.files_dropped += 1;
            return false;
        }
        self.files_left -= cost;
        true
    }

    /// Add `path` to `files` if it fits in the budget.
    pub fn keep_path(&mut self, files: &mut Vec<String>, path: String) {
        if self.charge_path(path.len()) {
            files.push(path);
        }
    }

    /// What is left of the file-list budget, and paths left out elsewhere (rpm reads its own).
    pub fn files_left(&self) -> u64 {
        self.files_left
    }

    pub fn spend_files(&mut self, used: u64, dropped: u64) {
        self.files_left = self.files_left.saturating_sub(used);
        self.files_dropped += dropped;
    }

    /// Warnings for the bounds hit, then the warnings themselves.
    pub fn finish(mut self) -> Vec<String> {
        if self.packages_dropped > 0 {
            let (n, max) = (self.packages_dropped, self.limits.max_packages);
            self.warn(|| {
                format!(
                    "left out {n} packages: the inventory holds at most {max} (limit max_packages)"
                )
            });
        }
        if self.files_dropped > 0 {
            let (n, max, len) = (
                self.files_dropped,
                self.limits.max_file_bytes,
                self.limits.max_path_len,
            );
            self.warn(|| {
                format!(
                    "file lists are incomplete: {n} paths left out (over the {max} byte budget for \
                     file lists, limit max_file_bytes, or longer than {len} bytes)"
                )
            });
        }
        self.warnings
    }
}

/// The captured paths `wants` selects, sorted, each once.
pub(crate) fn captured_paths(index: &ImageIndex, wants: fn(&str) -> bool) -> Vec<&str> {
    let mut v: Vec<&str> = index
        .captured()
        .map(|(p, _)| p)
        .filter(|p| wants(p))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The captured file at `path`, parsed; one that does not parse is a warning
/// (`/{path}: {what}: {error}`) and `None`, as is one the index no longer has.
pub(crate) fn parse_captured<T, E: std::fmt::Display>(
    index: &ImageIndex,
    ctx: &mut Ctx,
    fw: &mut FileWarnings,
    path: &str,
    what: &str,
    parse: impl FnOnce(&[u8]) -> Result<T, E>,
) -> Option<T> {
    match parse(index.read(path)?) {
        Ok(v) => Some(v),
        Err(e) => {
            fw.push(ctx, || format!("/{path}: {what}: {e}"));
            None
        }
    }
}

/// Admit `p` ([`Ctx::admit`]) and add it to `packages`; a package whose identity is over the size
/// limit is left out with a warning naming `path` and `what` it is (`a crate`, `a module`).
pub(crate) fn push_package(
    ctx: &mut Ctx,
    fw: &mut FileWarnings,
    packages: &mut Vec<Package>,
    mut p: Package,
    path: &str,
    what: &str,
) {
    match ctx.admit(&mut p) {
        Ok(true) => packages.push(p),
        Ok(false) => {}
        Err(field) => fw.push(ctx, || {
            format!("/{path}: skipped {what} whose {field} is over the size limit")
        }),
    }
}

/// Every node reachable from `roots` in a graph given by `deps` (a lockfile's dependencies).
pub(crate) fn closure(
    roots: impl IntoIterator<Item = usize>,
    deps: impl Fn(usize) -> Vec<usize>,
) -> std::collections::BTreeSet<usize> {
    let mut seen = std::collections::BTreeSet::new();
    let mut stack: Vec<usize> = roots.into_iter().collect();
    while let Some(i) = stack.pop() {
        if seen.insert(i) {
            stack.extend(deps(i));
        }
    }
    seen
}

/// `name@version` of each of `nodes`, sorted, each once (a package's `depends_on`).
pub(crate) fn ids<'a>(nodes: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<String> {
    let mut v: Vec<String> = nodes.map(|(n, v)| format!("{n}@{v}")).collect();
    v.sort();
    v.dedup();
    v
}

/// What an OS package database says a package needs and provides, by name, kept while the
/// database is read and resolved into `depends_on` once every package of it is known
/// ([`link_relations`]).
#[derive(Debug, Default, Clone)]
pub(crate) struct Relations {
    /// Groups of alternatives (dpkg's `a | b`; one name per group for apk), each name a package
    /// or a virtual one that installed packages provide.
    pub(crate) needs: Vec<Vec<String>>,
    /// The virtual names this package provides (dpkg `Provides`, apk `p:`).
    pub(crate) provides: Vec<String>,
}

/// Set each package's `depends_on` from its relations, as Trivy's dpkg and apk analyzers do: every
/// installed package that a needed name (or one of its alternatives) names or is provided by.
/// Names nothing installed answers are dropped; a package never depends on itself.
pub(crate) fn link_relations(pkgs: &mut [Package], rels: &[Relations]) {
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, p) in pkgs.iter().enumerate() {
        by_name.entry(p.name.as_str()).or_default().push(i);
    }
    let mut by_virtual: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, r) in rels.iter().enumerate() {
        for v in &r.provides {
            by_virtual.entry(v.as_str()).or_default().push(i);
        }
    }
    let deps: Vec<Vec<String>> = rels
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let targets = r
                .needs
                .iter()
                .flatten()
                .flat_map(|n| {
                    let named = by_name.get(n.as_str()).map(Vec::as_slice);
                    let provided = by_virtual.get(n.as_str()).map(Vec::as_slice);
                    named
                        .unwrap_or_default()
                        .iter()
                        .chain(provided.unwrap_or_default())
                })
                .filter(|&&j| j != i)
                .map(|&j| (pkgs[j].name.as_str(), pkgs[j].version.as_str()));
            ids(targets)
        })
        .collect();
    for (p, d) in pkgs.iter_mut().zip(deps) {
        p.depends_on = d;
    }
}

/// The Node.js packages already found from installed manifests, which a lockfile's packages merge
/// with: a locked package installed at one of its manifest paths (same name and version) is one
/// package — the locked one, with the manifest's licence; [`InstalledNpm::finish`] drops the
/// claimed manifests' own entries.
pub(crate) struct InstalledNpm {
    /// Manifest path → (name, version, licences).
    by_path: std::collections::HashMap<String, (String, String, Vec<String>)>,
    claimed: std::collections::HashSet<String>,
}

impl InstalledNpm {
    pub fn new(packages: &[Package]) -> Self {
        let by_path = packages
            .iter()
            .filter(|p| p.kind == Some(bulkhead_core::PackageKind::Npm))
            .map(|p| {
                (
                    p.db_path.clone(),
                    (p.name.clone(), p.version.clone(), p.licenses.clone()),
                )
            })
            .collect();
        InstalledNpm {
            by_path,
            claimed: std::collections::HashSet::new(),
        }
    }

    /// The licences of the first of `manifests` (absolute paths) that installs `name@version`,
    /// which is then claimed; none when no manifest does.
    pub fn claim(
        &mut self,
        manifests: impl IntoIterator<Item = String>,
        name: &str,
        version: &str,
    ) -> Vec<String> {
        for m in manifests {
            if let Some((n, v, lic)) = self.by_path.get(&m)
                && n == name
                && v == version
            {
                let lic = lic.clone();
                self.claimed.insert(m);
                return lic;
            }
        }
        Vec::new()
    }

    /// Drop the claimed manifests' entries (their package is the locked one now).
    pub fn finish(self, packages: &mut Vec<Package>) {
        packages.retain(|p| {
            p.kind != Some(bulkhead_core::PackageKind::Npm) || !self.claimed.contains(&p.db_path)
        });
    }
}

/// A Node.js package as the lockfile at `path` locks it.
pub(crate) fn locked_npm(
    index: &ImageIndex,
    path: &str,
    name: String,
    version: String,
    licenses: Vec<String>,
    dev: bool,
    depends_on: Vec<String>,
) -> Package {
    Package {
        kind: Some(bulkhead_core::PackageKind::Npm),
        name,
        version,
        licenses,
        layer: layer_of(index, path),
        db_path: format!("/{path}"),
        dev,
        depends_on,
        ..Default::default()
    }
}

/// A package as a lockfile or an installed-package list gives it, before it becomes a [`Package`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Locked {
    pub name: String,
    pub version: String,
    pub licenses: Vec<String>,
    /// Development-only (left out unless development dependencies are asked for).
    pub dev: bool,
    /// `name@version` of its dependencies.
    pub depends_on: Vec<String>,
}

/// The lockfiles (or installed-package lists) of one package kind that an analyzer reads: every
/// captured file `wants` selects, parsed into [`Locked`] packages and added with [`push_locked`].
pub(crate) struct LockedFiles {
    pub wants: fn(&str) -> bool,
    pub kind: bulkhead_core::PackageKind,
    /// Keep development-only packages.
    pub dev: bool,
}

impl LockedFiles {
    /// Parse each file with `parse(path, bytes)`; a file that does not parse is a warning
    /// (`/{path}: {error}`, the error saying what the file is not: see [`not_a`]).
    pub fn add(
        &self,
        index: &ImageIndex,
        ctx: &mut Ctx,
        fw: &mut FileWarnings,
        packages: &mut Vec<Package>,
        parse: impl Fn(&str, &[u8]) -> Result<Vec<Locked>, String>,
    ) {
        for path in captured_paths(index, self.wants) {
            let Some(data) = index.read(path) else {
                continue;
            };
            match parse(path, data) {
                Ok(l) => push_locked(
                    index,
                    ctx,
                    fw,
                    packages,
                    path,
                    self.kind,
                    named(l),
                    self.dev,
                ),
                Err(e) => fw.push(ctx, || format!("/{path}: {e}")),
            }
        }
    }
}

/// A parse error as [`LockedFiles::add`] reports it: `{what}: {error}` (`not a bun.lock: …`).
pub(crate) fn not_a<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> String {
    move |e| format!("{what}: {e}")
}

/// The packages with a name and a version (an entry without either is no package).
pub fn named(mut v: Vec<Locked>) -> Vec<Locked> {
    v.retain(|l| !l.name.trim().is_empty() && !l.version.trim().is_empty());
    v
}

/// Add the `locked` packages of the file at `path` as packages of `kind`; development-only ones
/// only when `dev` is set (and otherwise dropped from the others' dependencies too).
// The analyzers' shared state (index, bounds, warnings, output) plus what this file gives.
#[allow(clippy::too_many_arguments)]
pub(crate) fn push_locked(
    index: &ImageIndex,
    ctx: &mut Ctx,
    fw: &mut FileWarnings,
    packages: &mut Vec<Package>,
    path: &str,
    kind: bulkhead_core::PackageKind,
    locked: Vec<Locked>,
    dev: bool,
) {
    let dropped: std::collections::HashSet<String> = if dev {
        Default::default()
    } else {
        locked
            .iter()
            .filter(|l| l.dev)
            .map(|l| format!("{}@{}", l.name, l.version))
            .collect()
    };
    for mut l in locked {
        if l.dev && !dev {
            continue;
        }
        l.depends_on.retain(|d| !dropped.contains(d));
        l.depends_on.sort();
        l.depends_on.dedup();
        let p = Package {
            kind: Some(kind),
            name: l.name,
            version: l.version,
            licenses: l.licenses,
            layer: layer_of(index, path),
            db_path: format!("/{path}"),
            dev: l.dev,
            depends_on: l.depends_on,
            ..Default::default()
        };
        push_package(ctx, fw, packages, p, path, "a package");
    }
}

/// Caps the warnings one file contributes at [`MAX_WARNINGS_PER_FILE`].
#[derive(Default)]
pub(crate) struct FileWarnings {
    shown: usize,
    more: u64,
}

impl FileWarnings {
    pub fn push(&mut self, ctx: &mut Ctx, msg: impl FnOnce() -> String) {
        if self.shown < MAX_WARNINGS_PER_FILE {
            self.shown += 1;
            ctx.warn(msg);
        } else {
            self.more += 1;
        }
    }

    /// One warning counting what was left out for `path`.
    pub fn finish(self, ctx: &mut Ctx, path: &str) {
        if self.more > 0 {
            let more = self.more;
            ctx.warn(|| format!("/{path}: … and {more} more problems (not shown)"));
        }
    }
}

/// Which package sources the analyzers read beyond what is installed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sources {
    /// Lockfiles and module files (`package-lock.json`, `yarn.lock`, `pnpm-lock.yaml`, `go.mod`,
    /// `Cargo.lock`), read for directory
    /// scans as Trivy reads them for `fs` scans; an image's are not read (its installed packages
    /// are).
    pub lockfiles: bool,
    /// Keep development-only dependencies of lockfiles.
    pub dev: bool,
}

/// The union of the paths every analyzer reads, for these sources.
pub fn wanted_for(sources: Sources) -> Wanted {
    if !sources.lockfiles {
        return wanted();
    }
    let installed = wanted();
    Wanted::new(
        format!("{ANALYZERS_VERSION},npm-lock-1,yarn-1,pnpm-1,gomod-1,cargo-1,composer-lock-1,nuget-1,pylock-2,gemlock-1,gradle-1,bun-1,pom-1"),
        move |p| {
            installed.wants(p)
                || npm_lock::wants(p)
                || yarn::wants(p)
                || pnpm::wants(p)
                || gomod::wants(p)
                || cargo_lock::wants(p)
                || cargo_lock::wants_manifest(p)
                || composer::wants_lock(p)
                || nuget::wants_lock(p)
                || pylock::wants(p)
                || pylock::wants_manifest(p)
                || ruby::wants_lock(p)
                || gradle::wants(p)
                || pom::wants(p)
                || bun::wants(p)
        },
    )
    .with_probe(jar::wants, binary::probe_file)
}

/// The union of the paths every analyzer reads.
pub fn wanted() -> Wanted {
    Wanted::new(ANALYZERS_VERSION, |p| {
        os::wants(p)
            || dpkg::wants(p)
            || apk::wants(p)
            || rpm::wants(p)
            || python::wants(p)
            || node::wants(p)
            || composer::wants_installed(p)
            || nuget::wants_deps(p)
            || ruby::wants_gemspec(p)
    })
    .with_probe(jar::wants, binary::probe_file)
}

/// Run every analyzer over the index, with the default [`Limits`].
pub fn analyze(index: &ImageIndex) -> Inventory {
    analyze_with(index, &Limits::default())
}

/// Run every analyzer over the index.
pub fn analyze_with(index: &ImageIndex, limits: &Limits) -> Inventory {
    analyze_sources(index, limits, Sources::default())
}

/// Run every analyzer over the index, reading the given sources.
pub fn analyze_sources(index: &ImageIndex, limits: &Limits, sources: Sources) -> Inventory {
    let mut ctx = Ctx::new(limits);
    let mut packages = Vec::new();
    let os = os::detect(index);
    dpkg::analyze_ctx(index, &mut packages, &mut ctx);
    apk::analyze_ctx(index, &mut packages, &mut ctx);
    rpm::analyze_ctx(index, &mut packages, &mut ctx);
    python::analyze_ctx(index, &mut packages, &mut ctx);
    node::analyze_ctx(index, &mut packages, &mut ctx);
    binary::analyze_ctx(index, &mut packages, &mut ctx);
    composer::analyze_ctx(
        index,
        &mut packages,
        &mut ctx,
        sources.lockfiles,
        sources.dev,
    );
    nuget::analyze_ctx(
        index,
        &mut packages,
        &mut ctx,
        sources.lockfiles,
        sources.dev,
    );
    ruby::analyze_ctx(
        index,
        &mut packages,
        &mut ctx,
        sources.lockfiles,
        sources.dev,
    );
    if sources.lockfiles {
        pylock::analyze_ctx(index, &mut packages, &mut ctx, sources.dev);
        gradle::analyze_ctx(index, &mut packages, &mut ctx, sources.dev);
        pom::analyze_ctx(index, &mut packages, &mut ctx, sources.dev);
        bun::analyze_ctx(index, &mut packages, &mut ctx, sources.dev);
        npm_lock::analyze_ctx(index, &mut packages, &mut ctx, sources.dev);
        yarn::analyze_ctx(index, &mut packages, &mut ctx, sources.dev);
        pnpm::analyze_ctx(index, &mut packages, &mut ctx, sources.dev);
        gomod::analyze_ctx(index, &mut packages, &mut ctx);
        cargo_lock::analyze_ctx(index, &mut packages, &mut ctx, sources.dev);
    }
    // An OS package is one per key; a language package is one per key *and place* (the same Python
    // release in two site-packages directories is two installs).
    let place = |p: &Package| -> String {
        if p.kind.is_none_or(|k| k.is_os()) {
            String::new()
        } else {
            p.db_path.clone()
        }
    };
    packages.sort_by(|a, b| {
        (a.kind, &a.name, a.full_version(), &a.arch, place(a)).cmp(&(
            b.kind,
            &b.name,
            b.full_version(),
            &b.arch,
            place(b),
        ))
    });
    packages.dedup_by(|a, b| a.key() == b.key() && place(a) == place(b));
    Inventory {
        os,
        packages,
        warnings: ctx.finish(),
    }
}

/// The diff id of the layer that last wrote `path` in the index (None for a root filesystem, which has
/// no layers).
pub(crate) fn layer_of(index: &ImageIndex, path: &str) -> Option<String> {
    index
        .layer_of(path)
        .filter(|l| !l.diff_id.starts_with("rootfs:"))
        .map(|l| l.diff_id.clone())
}

/// Drop directories from a package's file list: package managers record the directories they create,
/// but ownership questions (drift, files in use) are about files. Paths absent from the image are kept.
pub(crate) fn only_files(index: &ImageIndex, files: &mut Vec<String>) {
    files.retain(|f| {
        let p = f.trim_start_matches('/');
        if p.is_empty() {
            return false;
        }
        !matches!(
            index
                .resolve(p)
                .and_then(|r| index.entry(&r).map(|e| e.kind)),
            Some(bulkhead_image::FileKind::Dir)
        )
    });
}
