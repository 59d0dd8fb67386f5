//! pnpm lockfiles (`pnpm-lock.yaml`, lockfileVersion 5, 6 and 9), read for directory scans as
//! Trivy reads them for `fs`/`repo` scans: every locked package with its resolved dependencies;
//! development-only ones (v5/v6 `dev: true`; v9: reached only from the importer's
//! `devDependencies`) left out unless asked for.
//!
//! Package keys: v5 `/name/1.0.0` (peers after `_`), v6 `/name@1.0.0` (peers in parentheses), v9
//! `name@1.0.0` with the dependencies in `snapshots`. A locked package installed in pnpm's store
//! layout (`node_modules/.pnpm/<name>@<version>/node_modules/<name>/package.json`, scopes written
//! `@scope+name`) or hoisted (`node_modules/<name>/package.json`) is that one package, with the
//! installed manifest's licence.

use serde_json::{Map, Value};
use std::collections::{BTreeSet, HashMap};

/// Whether `path` is a project's pnpm lockfile.
pub fn wants(path: &str) -> bool {
    (path == "pnpm-lock.yaml" || path.ends_with("/pnpm-lock.yaml"))
        && !path.contains("node_modules/")
}

/// One locked package.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PnpmPackage {
    pub name: String,
    pub version: String,
    /// `dev` of the lockfile (v5, v6), `None` when it does not say (v9).
    pub dev: Option<bool>,
    /// Dependencies as `name@version` keys (resolved below).
    pub deps: Vec<String>,
}

/// What a lockfile says.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PnpmLock {
    pub packages: Vec<PnpmPackage>,
    /// The project's direct dependencies (`name@version`): production, then development.
    pub direct: Vec<String>,
    pub direct_dev: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum PnpmError {
    #[error("not YAML: {0}")]
    Yaml(String),
    #[error("no `packages` map (not a pnpm lockfile)")]
    Shape,
}

/// A version without pnpm's peer-dependency suffix (`1.0.0(react@18.0.0)`, `1.0.0_react@18`).
fn clean_version(v: &str) -> &str {
    let v = v.split('(').next().unwrap_or(v);
    v.split('_').next().unwrap_or(v)
}

/// (name, version) of a package key of any version.
fn split_key(key: &str, v5: bool) -> Option<(String, String)> {
    let k = key.strip_prefix('/').unwrap_or(key);
    let k = k.split('(').next().unwrap_or(k);
    let (name, version) = if v5 {
        let (n, v) = k.rsplit_once('/')?;
        (n, v.split('_').next().unwrap_or(v))
    } else {
        let at = k.get(1..)?.rfind('@')? + 1;
        (&k[..at], &k[at + 1..])
    };
    (!name.is_empty() && !version.is_empty()).then(|| (name.to_string(), version.to_string()))
}

/// `name@version` of a dependency entry (`name: 1.0.0`, `name: 1.0.0(peer)`, an alias
/// `name: /other@1.0.0` or `npm:other@1.0.0`).
fn dep_id(name: &str, value: &str, v5: bool) -> Option<String> {
    if value.starts_with("link:") || value.starts_with("file:") {
        return None;
    }
    let value = value.strip_prefix("npm:").unwrap_or(value);
    // Peers first (`1.0.0(react@18)`, v5's `1.0.0_react@18`), then an alias names its package.
    let bare = if v5 && !value.starts_with('/') {
        clean_version(value)
    } else {
        value.split('(').next().unwrap_or(value)
    };
    if bare.starts_with('/') || bare.get(1..).is_some_and(|r| r.contains('@')) {
        return split_key(bare, v5).map(|(n, v)| format!("{n}@{v}"));
    }
    Some(format!("{name}@{bare}"))
}

fn version_of(v: &Value) -> Option<&str> {
    v.as_str()
        .or_else(|| v.get("version").and_then(Value::as_str))
}

fn deps_of(m: Option<&Value>, v5: bool) -> Vec<String> {
    m.and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(n, v)| version_of(v).and_then(|v| dep_id(n, v, v5)))
        .collect()
}

/// Parse a lockfile (YAML, with serde-saphyr's budgets against alias bombs and deep nesting).
pub fn parse(data: &[u8]) -> Result<PnpmLock, PnpmError> {
    let text = String::from_utf8_lossy(data);
    let v: Value = serde_saphyr::from_str(&text).map_err(|e| PnpmError::Yaml(e.to_string()))?;
    let version: f64 = match v.get("lockfileVersion") {
        Some(Value::String(s)) => s.parse().unwrap_or(0.0),
        Some(Value::Number(n)) => n.as_f64().unwrap_or(0.0),
        _ => 0.0,
    };
    let v5 = version < 6.0;
    let packages = v
        .get("packages")
        .and_then(Value::as_object)
        .ok_or(PnpmError::Shape)?;
    let snapshots = v.get("snapshots").and_then(Value::as_object);
    // The projects' own entries: in `importers` (v9, and v6 workspaces: the root `.` and each
    // workspace package), or at the top level. A workspace's dependencies count as the
    // project's: a package only a workspace's `devDependencies` reach is development-only.
    let importers: Vec<&Map<String, Value>> = match v.get("importers").and_then(Value::as_object) {
        Some(m) => m.values().filter_map(Value::as_object).collect(),
        None => vec![v.as_object().ok_or(PnpmError::Shape)?],
    };
    let mut out = PnpmLock::default();
    for importer in importers {
        out.direct.extend(deps_of(importer.get("dependencies"), v5));
        out.direct
            .extend(deps_of(importer.get("optionalDependencies"), v5));
        out.direct_dev
            .extend(deps_of(importer.get("devDependencies"), v5));
    }
    for (key, entry) in packages {
        let Some((name, version)) = split_key(key, v5) else {
            continue;
        };
        let meta = snapshots.and_then(|s| s.get(key)).unwrap_or(entry);
        let mut deps = deps_of(meta.get("dependencies"), v5);
        deps.extend(deps_of(meta.get("optionalDependencies"), v5));
        out.packages.push(PnpmPackage {
            name,
            version,
            dev: entry.get("dev").and_then(Value::as_bool),
            deps,
        });
    }
    Ok(out)
}

/// Add the packages of the index's pnpm lockfiles to `packages`.
pub(crate) fn analyze_ctx(
    index: &bulkhead_image::ImageIndex,
    packages: &mut Vec<bulkhead_core::Package>,
    ctx: &mut crate::Ctx,
    dev: bool,
) {
    let locks = crate::captured_paths(index, wants);
    let mut installed = crate::InstalledNpm::new(packages);
    let mut fw = crate::FileWarnings::default();
    for path in locks {
        let Some(lock) =
            crate::parse_captured(index, ctx, &mut fw, path, "pnpm lockfile not read", parse)
        else {
            continue;
        };
        let by_id: HashMap<String, usize> = lock
            .packages
            .iter()
            .enumerate()
            .map(|(i, p)| (format!("{}@{}", p.name, p.version), i))
            .collect();
        let reach = |roots: &[String]| {
            crate::closure(roots.iter().filter_map(|r| by_id.get(r).copied()), |i| {
                lock.packages[i]
                    .deps
                    .iter()
                    .filter_map(|d| by_id.get(d).copied())
                    .collect()
            })
        };
        // v9 does not mark dev packages: what only the dev roots reach.
        let prod = reach(&lock.direct);
        let dev_only: BTreeSet<usize> =
            reach(&lock.direct_dev).difference(&prod).copied().collect();
        let dir = path.strip_suffix("pnpm-lock.yaml").unwrap_or("");
        for (i, l) in lock.packages.iter().enumerate() {
            let store = format!("{}@{}", l.name.replace('/', "+"), l.version);
            let licenses = installed.claim(
                [
                    format!(
                        "/{dir}node_modules/.pnpm/{store}/node_modules/{}/package.json",
                        l.name
                    ),
                    format!("/{dir}node_modules/{}/package.json", l.name),
                ],
                &l.name,
                &l.version,
            );
            let is_dev = l.dev.unwrap_or_else(|| dev_only.contains(&i));
            if is_dev && !dev {
                continue;
            }
            let depends_on = crate::ids(l.deps.iter().filter_map(|d| by_id.get(d)).map(|&j| {
                (
                    lock.packages[j].name.as_str(),
                    lock.packages[j].version.as_str(),
                )
            }));
            let p = crate::locked_npm(
                index,
                path,
                l.name.clone(),
                l.version.clone(),
                licenses,
                is_dev,
                depends_on,
            );
            crate::push_package(ctx, &mut fw, packages, p, path, "a locked package");
        }
    }
    installed.finish(packages);
    fw.finish(ctx, "pnpm-lock.yaml files");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v5_v6_and_v9_keys_and_dependencies() {
        let v6 = br#"lockfileVersion: '6.0'
dependencies:
  '@s/a':
    specifier: ^1.0.0
    version: 1.0.0(react@18.0.0)
devDependencies:
  b:
    specifier: ^2
    version: 2.0.0
packages:
  /@s/a@1.0.0(react@18.0.0):
    resolution: {integrity: x}
    dependencies:
      c: 3.0.0
    dev: false
  /b@2.0.0:
    resolution: {integrity: x}
    dev: true
  /c@3.0.0:
    resolution: {integrity: x}
    dev: false
"#;
        let l = parse(v6).unwrap();
        assert_eq!(l.direct, ["@s/a@1.0.0"]);
        assert_eq!(l.direct_dev, ["b@2.0.0"]);
        let a = l.packages.iter().find(|p| p.name == "@s/a").unwrap();
        assert_eq!(
            (a.version.as_str(), a.deps.clone()),
            ("1.0.0", vec!["c@3.0.0".to_string()])
        );
        assert_eq!(
            l.packages.iter().find(|p| p.name == "b").unwrap().dev,
            Some(true)
        );
        let v5 = br#"lockfileVersion: 5.4
dependencies:
  x: 1.0.0_y@2.0.0
packages:
  /x/1.0.0_y@2.0.0:
    dependencies:
      y: 2.0.0
    dev: false
  /y/2.0.0:
    dev: false
"#;
        let l = parse(v5).unwrap();
        assert_eq!(l.direct, ["x@1.0.0"]);
        assert_eq!(l.packages[0].deps, ["y@2.0.0"]);
        let v9 = br#"lockfileVersion: '9.0'
importers:
  .:
    dependencies:
      x:
        specifier: ^1
        version: 1.0.0
    devDependencies:
      z:
        specifier: ^1
        version: 1.0.0
packages:
  x@1.0.0:
    resolution: {integrity: x}
  z@1.0.0:
    resolution: {integrity: x}
snapshots:
  x@1.0.0:
    dependencies:
      z: 1.0.0
  z@1.0.0: {}
"#;
        let l = parse(v9).unwrap();
        assert_eq!(l.direct, ["x@1.0.0"]);
        assert_eq!(l.packages[0].deps, ["z@1.0.0"]);
        assert!(l.packages.iter().all(|p| p.dev.is_none()));
        assert!(parse(b"a: [").is_err());
        assert!(parse(b"lockfileVersion: 6\n").is_err());
        assert!(wants("app/pnpm-lock.yaml") && !wants("app/node_modules/x/pnpm-lock.yaml"));
    }
}
