//! Rust crates of a project (`Cargo.lock`), read for directory scans as Trivy reads them for
//! `fs`/`repo` scans: every locked package with its resolved dependencies; with the `Cargo.toml`
//! next to the lockfile, what only its `[dev-dependencies]` reach is development-only (left out
//! unless asked for), and the project's own package is listed (as Trivy's root) with its other
//! direct dependencies.
//!
//! A lockfile dependency is written `name`, or `name version` (and ` (source)`) when several
//! versions are locked; it resolves to that package.

use serde::Deserialize;
use std::collections::{BTreeSet, HashMap};

/// Whether `path` is a project's lockfile (not one vendored inside `target/` or a registry cache).
pub fn wants(path: &str) -> bool {
    (path == "Cargo.lock" || path.ends_with("/Cargo.lock"))
        && !path.contains("/.cargo/registry/")
        && !in_target(path)
}

/// Under a build directory (`target/` segment): build outputs, not the project's lockfile.
fn in_target(path: &str) -> bool {
    path.starts_with("target/") || path.contains("/target/")
}

/// Whether `path` is the manifest next to a lockfile (read only with it).
pub fn wants_manifest(path: &str) -> bool {
    (path == "Cargo.toml" || path.ends_with("/Cargo.toml"))
        && !path.contains("/.cargo/registry/")
        && !in_target(path)
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct LockedCrate {
    pub name: String,
    pub version: String,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub dependencies: Vec<String>,
}

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    package: Vec<LockedCrate>,
}

/// Parse a `Cargo.lock` (versions 1–4 share the `[[package]]` tables read here).
pub fn parse(data: &[u8]) -> Result<Vec<LockedCrate>, toml::de::Error> {
    let text = String::from_utf8_lossy(data);
    Ok(toml::from_str::<Lock>(&text)?.package)
}

/// The lockfile's resolution.
pub struct Resolved<'a> {
    pub crates: &'a [LockedCrate],
    by_name: HashMap<&'a str, Vec<usize>>,
}

impl<'a> Resolved<'a> {
    pub fn new(crates: &'a [LockedCrate]) -> Self {
        let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, c) in crates.iter().enumerate() {
            by_name.entry(c.name.as_str()).or_default().push(i);
        }
        Resolved { crates, by_name }
    }

    /// The package a dependency entry (`name`, `name version`, `name version (source)`) names.
    pub fn resolve(&self, dep: &str) -> Option<usize> {
        let mut parts = dep.split_whitespace();
        let name = parts.next()?;
        let version = parts.next();
        let candidates = self.by_name.get(name)?;
        match version {
            None => candidates.first().copied(),
            Some(v) => candidates
                .iter()
                .copied()
                .find(|&i| self.crates[i].version == v),
        }
    }

    /// `name@version` of each dependency of crate `i`, sorted.
    pub fn depends_on(&self, i: usize, skip: &BTreeSet<usize>) -> Vec<String> {
        crate::ids(
            self.crates[i]
                .dependencies
                .iter()
                .filter_map(|d| self.resolve(d))
                .filter(|j| !skip.contains(j))
                .map(|j| {
                    (
                        self.crates[j].name.as_str(),
                        self.crates[j].version.as_str(),
                    )
                }),
        )
    }

    /// Every crate reachable from `roots`.
    pub fn closure(&self, roots: impl IntoIterator<Item = usize>) -> BTreeSet<usize> {
        crate::closure(roots, |i| {
            self.crates[i]
                .dependencies
                .iter()
                .filter_map(|d| self.resolve(d))
                .collect()
        })
    }
}

/// What a `Cargo.toml` says that this module uses: the package's name, and the crate names of its
/// normal (and build, and target-specific) dependencies and of its dev-dependencies (a renamed
/// dependency, `alias = { package = "real" }`, counts by its real name).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Manifest {
    pub name: Option<String>,
    pub normal: BTreeSet<String>,
    pub dev: BTreeSet<String>,
}

pub fn parse_manifest(data: &[u8]) -> Result<Manifest, toml::de::Error> {
    let v: toml::Value = toml::from_str(&String::from_utf8_lossy(data))?;
    let names = |t: Option<&toml::Value>| -> Vec<String> {
        t.and_then(toml::Value::as_table)
            .into_iter()
            .flatten()
            .map(|(k, d)| {
                d.get("package")
                    .and_then(toml::Value::as_str)
                    .unwrap_or(k)
                    .to_string()
            })
            .collect()
    };
    let mut m = Manifest {
        name: v
            .get("package")
            .and_then(|p| p.get("name"))
            .and_then(toml::Value::as_str)
            .map(String::from),
        ..Default::default()
    };
    m.normal.extend(names(v.get("dependencies")));
    m.normal.extend(names(v.get("build-dependencies")));
    m.dev.extend(names(v.get("dev-dependencies")));
    for (_, t) in v
        .get("target")
        .and_then(toml::Value::as_table)
        .into_iter()
        .flatten()
    {
        m.normal.extend(names(t.get("dependencies")));
        m.normal.extend(names(t.get("build-dependencies")));
        m.dev.extend(names(t.get("dev-dependencies")));
    }
    Ok(m)
}

/// Add the crates of the index's `Cargo.lock` files to `packages`.
pub(crate) fn analyze_ctx(
    index: &bulkhead_image::ImageIndex,
    packages: &mut Vec<bulkhead_core::Package>,
    ctx: &mut crate::Ctx,
    dev: bool,
) {
    use bulkhead_core::{Package, PackageKind};
    let locks = crate::captured_paths(index, wants);
    let mut fw = crate::FileWarnings::default();
    for path in locks {
        let Some(crates) =
            crate::parse_captured(index, ctx, &mut fw, path, "not a Cargo.lock", parse)
        else {
            continue;
        };
        let r = Resolved::new(&crates);
        let dir = path.strip_suffix("Cargo.lock").unwrap_or("");
        let manifest = index
            .read(&format!("{dir}Cargo.toml"))
            .and_then(|d| parse_manifest(d).ok());
        // Development-only: reached from the root package's dev-dependencies and not from its
        // other dependencies.
        let mut dev_only = BTreeSet::new();
        if let Some(m) = &manifest
            && let Some(root) = m
                .name
                .as_deref()
                .and_then(|n| r.by_name.get(n))
                .and_then(|v| v.iter().copied().find(|&i| crates[i].source.is_none()))
        {
            let direct: Vec<usize> = crates[root]
                .dependencies
                .iter()
                .filter_map(|d| r.resolve(d))
                .collect();
            let prod: Vec<usize> = direct
                .iter()
                .copied()
                .filter(|&j| m.normal.contains(&crates[j].name))
                .collect();
            let devs: Vec<usize> = direct
                .iter()
                .copied()
                .filter(|&j| m.dev.contains(&crates[j].name) && !m.normal.contains(&crates[j].name))
                .collect();
            let mut prod_set = r.closure(prod);
            prod_set.insert(root);
            dev_only = r.closure(devs).difference(&prod_set).copied().collect();
        }
        let skip = if dev {
            BTreeSet::new()
        } else {
            dev_only.clone()
        };
        for (i, c) in crates.iter().enumerate() {
            let is_dev = dev_only.contains(&i);
            if is_dev && !dev {
                continue;
            }
            let p = Package {
                kind: Some(PackageKind::Cargo),
                name: c.name.clone(),
                version: c.version.clone(),
                layer: crate::layer_of(index, path),
                db_path: format!("/{path}"),
                dev: is_dev,
                depends_on: r.depends_on(i, &skip),
                ..Default::default()
            };
            crate::push_package(ctx, &mut fw, packages, p, path, "a crate");
        }
    }
    fw.finish(ctx, "Cargo.lock files");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_entries_resolve_by_name_and_version() {
        let lock = br#"version = 4
[[package]]
name = "app"
version = "0.1.0"
dependencies = ["memchr 1.0.2", "regex"]

[[package]]
name = "memchr"
version = "1.0.2"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "memchr"
version = "2.7.4"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "regex"
version = "1.7.3"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = ["memchr 2.7.4 (registry+https://github.com/rust-lang/crates.io-index)"]
"#;
        let c = parse(lock).unwrap();
        let r = Resolved::new(&c);
        assert_eq!(
            r.depends_on(0, &BTreeSet::new()),
            ["memchr@1.0.2", "regex@1.7.3"]
        );
        assert_eq!(r.depends_on(3, &BTreeSet::new()), ["memchr@2.7.4"]);
        let m = parse_manifest(
            br#"[package]
name = "app"
[dependencies]
re = { package = "regex", version = "1" }
[target.'cfg(unix)'.dependencies]
memchr = "1"
[dev-dependencies]
winapi = "*"
"#,
        )
        .unwrap();
        assert_eq!(m.name.as_deref(), Some("app"));
        assert!(m.normal.contains("regex") && m.normal.contains("memchr"));
        assert!(m.dev.contains("winapi"));
        assert!(parse(b"[[package]]\nname = 1\n").is_err());
        assert!(wants("svc/Cargo.lock") && !wants("svc/target/x/Cargo.lock"));
    }
}
