//! npm lockfiles (`package-lock.json`, lockfileVersion 1, 2 and 3), read for directory scans as
//! Trivy reads them for `fs`/`repo` scans: every locked package with its version, whether it is a
//! development-only dependency, and its dependencies resolved to the locked versions (the edges of
//! the dependency graph). An image's lockfiles are not read (Trivy's image scans read the installed
//! `node_modules` instead; see [`crate::node`]).
//!
//! - Version 1: the nested `dependencies` tree; a package's `requires` resolve, as Node resolves
//!   modules, to the nearest copy: its own nested `dependencies`, then each enclosing level's, up to
//!   the top level.
//! - Versions 2 and 3: the flat `packages` map keyed by install path
//!   (`node_modules/a/node_modules/b`); `dependencies`/`optionalDependencies`/`peerDependencies`
//!   resolve to the nearest `node_modules/<name>` up the path. Entries without a version are not
//!   packages. A link (`node_modules/ws` → `packages/ws`: a workspace, or a `file:` dependency)
//!   is not one either, its target is: it is a package, found by its dependents at the link's
//!   path, and its own dependencies resolve from its directory (`packages/ws/node_modules/…`,
//!   then the root's), as Trivy and Node resolve them.
//!
//! Lockfiles inside `node_modules` (shipped by packages) are not the project's and are not read.

use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Whether `path` is a project's lockfile.
pub fn wants(path: &str) -> bool {
    (path == "package-lock.json" || path.ends_with("/package-lock.json"))
        && !path.contains("node_modules/")
}

/// One locked package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locked {
    pub name: String,
    pub version: String,
    pub dev: bool,
    /// Where npm installs it, relative to the lockfile's directory
    /// (`node_modules/a/node_modules/b`).
    pub install_path: String,
    /// Its dependencies as `name@version`, sorted.
    pub depends_on: Vec<String>,
}

/// Why a lockfile could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("not JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("no `packages` or `dependencies` object (not an npm lockfile)")]
    Shape,
}

/// Parse a lockfile's bytes (bounded by the walk's capture limits).
pub fn parse(data: &[u8]) -> Result<Vec<Locked>, LockError> {
    let v: Value = serde_json::from_slice(data)?;
    let version = v
        .get("lockfileVersion")
        .and_then(Value::as_u64)
        .unwrap_or(1);
    match (v.get("packages").and_then(Value::as_object), version >= 2) {
        (Some(packages), true) => Ok(parse_v2(packages)),
        _ => match v.get("dependencies").and_then(Value::as_object) {
            Some(deps) => Ok(parse_v1(deps)),
            None => Err(LockError::Shape),
        },
    }
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn flag(v: &Value, key: &str) -> bool {
    v.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// Version 1: a scope is one `dependencies` object; `chain` holds the enclosing scopes, innermost
/// last.
fn parse_v1(top: &Map<String, Value>) -> Vec<Locked> {
    let mut out = Vec::new();
    let mut chain: Vec<&Map<String, Value>> = vec![top];
    walk_v1(top, "", &mut chain, &mut out);
    out
}

/// Deepest nesting followed (npm trees are shallow; a hostile file is not followed further).
const MAX_DEPTH: usize = 64;

fn walk_v1<'a>(
    scope: &'a Map<String, Value>,
    prefix: &str,
    chain: &mut Vec<&'a Map<String, Value>>,
    out: &mut Vec<Locked>,
) {
    for (name, entry) in scope {
        let Some(version) = str_of(entry, "version") else {
            continue;
        };
        let nested = entry.get("dependencies").and_then(Value::as_object);
        let install_path = format!("{prefix}node_modules/{name}");
        // `requires` resolve to the nearest copy: the package's own nested scope, then the
        // enclosing ones.
        let mut depends_on: Vec<String> = entry
            .get("requires")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter_map(|(dep, _)| {
                nested
                    .into_iter()
                    .chain(chain.iter().rev().copied())
                    .find_map(|s| s.get(dep).and_then(|d| str_of(d, "version")))
                    .map(|v| format!("{dep}@{v}"))
            })
            .collect();
        depends_on.sort();
        depends_on.dedup();
        out.push(Locked {
            name: name.clone(),
            version: version.to_string(),
            dev: flag(entry, "dev"),
            install_path: install_path.clone(),
            depends_on,
        });
        if let Some(nested) = nested
            && chain.len() < MAX_DEPTH
        {
            chain.push(nested);
            walk_v1(nested, &format!("{install_path}/"), chain, out);
            chain.pop();
        }
    }
}

/// The package name of an install path (`node_modules/@s/a/node_modules/b` → `b`).
fn name_of_path(path: &str) -> Option<&str> {
    let i = path.rfind("node_modules/")?;
    let name = &path[i + "node_modules/".len()..];
    (!name.is_empty()).then_some(name)
}

/// Versions 2 and 3.
fn parse_v2(packages: &Map<String, Value>) -> Vec<Locked> {
    // Links: a workspace (or a `file:` dependency) is installed as a link
    // (`node_modules/ws` → `packages/ws`) and locked at its own path; as Trivy resolves them, the
    // target is a package, which its dependents find at the link's path.
    let links: BTreeMap<&str, &str> = packages
        .iter()
        .filter(|(path, e)| !path.is_empty() && flag(e, "link"))
        .filter_map(|(path, e)| str_of(e, "resolved").map(|t| (path.as_str(), t)))
        .collect();
    let link_of: BTreeMap<&str, &str> = links.iter().map(|(l, t)| (*t, *l)).collect();
    // Install path → version, for resolving dependencies.
    let mut installed: BTreeMap<&str, &str> = packages
        .iter()
        .filter(|(path, e)| !path.is_empty() && !flag(e, "link"))
        .filter_map(|(path, e)| str_of(e, "version").map(|v| (path.as_str(), v)))
        .collect();
    for (link, target) in &links {
        if let Some(v) = packages.get(*target).and_then(|e| str_of(e, "version")) {
            installed.insert(link, v);
        }
    }
    let resolve = |from: &str, dep: &str| -> Option<String> {
        // The nearest `node_modules/<dep>` up from `from`'s own directory.
        let mut dir = from.to_string();
        loop {
            let candidate = if dir.is_empty() {
                format!("node_modules/{dep}")
            } else {
                format!("{dir}/node_modules/{dep}")
            };
            if let Some(v) = installed.get(candidate.as_str()) {
                return Some(format!("{dep}@{v}"));
            }
            if dir.is_empty() {
                return None;
            }
            // Up one package: strip the last `node_modules/<name>` (a scoped name is two parts).
            dir = match dir.rfind("/node_modules/") {
                Some(i) => dir[..i].to_string(),
                None => String::new(),
            };
        }
    };
    let mut out = Vec::new();
    for (path, e) in packages {
        let link = link_of.get(path.as_str()).copied();
        if path.is_empty() || flag(e, "link") || !(path.contains("node_modules/") || link.is_some())
        {
            continue;
        }
        let Some(version) = str_of(e, "version") else {
            continue;
        };
        let Some(name) = str_of(e, "name")
            .or_else(|| name_of_path(path))
            .or_else(|| link.and_then(name_of_path))
        else {
            continue;
        };
        let mut depends_on: Vec<String> =
            ["dependencies", "optionalDependencies", "peerDependencies"]
                .iter()
                .filter_map(|k| e.get(*k).and_then(Value::as_object))
                .flat_map(|m| m.keys())
                .filter_map(|dep| resolve(path, dep))
                .collect();
        depends_on.sort();
        depends_on.dedup();
        out.push(Locked {
            name: name.to_string(),
            version: version.to_string(),
            dev: flag(e, "dev"),
            install_path: path.clone(),
            depends_on,
        });
    }
    out
}

/// Add the packages of the index's npm lockfiles to `packages`. A locked package installed where
/// the lockfile says (`<dir>/node_modules/…/package.json`, same name and version) is one package:
/// the installed manifest's entry is replaced by the locked one, which keeps its licence and
/// gains the lockfile's dev flag and dependencies. Development-only dependencies are left out
/// (installed copies included) unless `dev`.
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
        let Some(locked) =
            crate::parse_captured(index, ctx, &mut fw, path, "not an npm lockfile", parse)
        else {
            continue;
        };
        let dir = path.strip_suffix("package-lock.json").unwrap_or("");
        for l in locked {
            let manifest = format!("/{dir}{}/package.json", l.install_path);
            let licenses = installed.claim([manifest], &l.name, &l.version);
            if l.dev && !dev {
                continue;
            }
            let p = crate::locked_npm(
                index,
                path,
                l.name,
                l.version,
                licenses,
                l.dev,
                l.depends_on,
            );
            crate::push_package(ctx, &mut fw, packages, p, path, "a locked package");
        }
    }
    installed.finish(packages);
    fw.finish(ctx, "package-lock.json files");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_nested_scopes_resolve_to_the_nearest_copy() {
        let lock = br#"{"lockfileVersion":1,"dependencies":{
            "a":{"version":"1.0.0","requires":{"b":"^2","c":"^1"},
                 "dependencies":{"b":{"version":"2.0.0"}}},
            "b":{"version":"1.0.0"},
            "c":{"version":"1.5.0","dev":true,"requires":{"b":"^1"}}}}"#;
        let got = parse(lock).unwrap();
        let a = got.iter().find(|l| l.name == "a").unwrap();
        assert_eq!(a.depends_on, ["b@2.0.0", "c@1.5.0"]);
        let nested = got
            .iter()
            .find(|l| l.install_path == "node_modules/a/node_modules/b")
            .unwrap();
        assert_eq!(nested.version, "2.0.0");
        let c = got.iter().find(|l| l.name == "c").unwrap();
        assert!(c.dev);
        assert_eq!(c.depends_on, ["b@1.0.0"]);
    }

    #[test]
    fn v3_paths_scopes_links_and_resolution() {
        let lock = br#"{"lockfileVersion":3,"packages":{
            "":{"name":"app","version":"1.0.0","dependencies":{"@s/x":"^1"}},
            "node_modules/@s/x":{"version":"1.2.0","dependencies":{"y":"^2"}},
            "node_modules/@s/x/node_modules/y":{"version":"2.1.0"},
            "node_modules/y":{"version":"1.0.0","dev":true},
            "node_modules/ws":{"resolved":"packages/ws","link":true},
            "packages/ws":{"name":"ws","version":"0.0.1"}}}"#;
        let got = parse(lock).unwrap();
        let ids: Vec<String> = got
            .iter()
            .map(|l| format!("{}@{}", l.name, l.version))
            .collect();
        assert_eq!(ids, ["@s/x@1.2.0", "y@2.1.0", "y@1.0.0", "ws@0.0.1"]);
        assert_eq!(got[0].depends_on, ["y@2.1.0"]);
        assert!(got[2].dev && !got[0].dev);
        assert_eq!(got[3].install_path, "packages/ws");
        assert!(parse(b"{}").is_err());
        assert!(parse(b"[").is_err());
        assert!(wants("srv/app/package-lock.json"));
        assert!(!wants("srv/app/node_modules/x/package-lock.json"));
    }

    /// npm workspaces as `npm install` writes them (npm 10, two workspaces, one depending on the
    /// other, one with its own nested copy of a package the root has at another version).
    #[test]
    fn workspaces_are_packages_resolved_through_their_links() {
        let lock = br#"{"name":"mono","lockfileVersion":3,"requires":true,"packages":{
            "":{"name":"mono","workspaces":["packages/*"],"dependencies":{"lodash":"4.17.20"}},
            "node_modules/@mono/api":{"resolved":"packages/api","link":true},
            "node_modules/@mono/util":{"resolved":"packages/util","link":true},
            "node_modules/lodash":{"version":"4.17.20"},
            "node_modules/ms":{"version":"2.1.3"},
            "packages/api":{"name":"@mono/api","version":"1.0.0",
                "dependencies":{"@mono/util":"*","ms":"^2","minimist":"1.2.5"}},
            "packages/api/node_modules/minimist":{"version":"1.2.5"},
            "packages/util":{"version":"0.3.0","dependencies":{"lodash":"^4"}}}}"#;
        let got = parse(lock).unwrap();
        let by = |n: &str| got.iter().find(|l| l.name == n).unwrap();
        let ids: BTreeMap<&str, &str> = got
            .iter()
            .map(|l| (l.name.as_str(), l.version.as_str()))
            .collect();
        assert_eq!(ids.len(), 5, "{ids:?}");
        // The workspace without a `name` takes the link's.
        assert_eq!(by("@mono/util").version, "0.3.0");
        assert_eq!(
            by("@mono/api").depends_on,
            ["@mono/util@0.3.0", "minimist@1.2.5", "ms@2.1.3"]
        );
        assert_eq!(by("@mono/util").depends_on, ["lodash@4.17.20"]);
        assert_eq!(
            by("minimist").install_path,
            "packages/api/node_modules/minimist"
        );
    }
}
