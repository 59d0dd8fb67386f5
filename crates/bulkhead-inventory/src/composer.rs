//! PHP packages (Composer): what `composer install` installed (`vendor/composer/installed.json`,
//! Composer 1's array or Composer 2's `{"packages": […]}`), read in images and directories as
//! Trivy's composer-vendor analyzer reads it; and a project's `composer.lock` (`packages`, and
//! `packages-dev` as development-only), read for directory scans as Trivy's composer analyzer
//! does. Names are `vendor/name` (`pkg:composer/guzzlehttp/guzzle@7.4.4`); licences from
//! `license`; each package depends on the packages of its `require` that the file lists
//! (platform requirements such as `php` and `ext-json` are not packages).

use crate::Locked;
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;

/// Whether `path` is Composer's list of installed packages.
pub fn wants_installed(path: &str) -> bool {
    path == "installed.json" || path.ends_with("/installed.json")
}

/// Whether `path` is a project's lock file (not one inside `vendor/`).
pub fn wants_lock(path: &str) -> bool {
    (path == "composer.lock" || path.ends_with("/composer.lock")) && !path.contains("vendor/")
}

#[derive(Deserialize)]
struct Entry {
    name: String,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    license: Option<Value>,
    #[serde(default)]
    require: Option<HashMap<String, Value>>,
}

fn licences(v: &Option<Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    }
}

/// The entries as packages; `dev` marks each by its index. Requirements resolve by name among
/// the file's own entries.
fn locked(entries: Vec<Entry>, dev: impl Fn(usize, &str) -> bool) -> Vec<Locked> {
    let versions: HashMap<String, String> = entries
        .iter()
        .filter_map(|e| Some((e.name.clone(), e.version.clone()?)))
        .collect();
    entries
        .into_iter()
        .enumerate()
        .filter_map(|(i, e)| {
            let version = e.version.clone().filter(|v| !v.is_empty())?;
            let depends_on = e
                .require
                .iter()
                .flatten()
                .filter_map(|(n, _)| versions.get(n).map(|v| format!("{n}@{v}")))
                .collect();
            Some(Locked {
                dev: dev(i, &e.name),
                licenses: licences(&e.license),
                depends_on,
                version,
                name: e.name,
            })
        })
        .collect()
}

/// Parse `installed.json` (Composer 1: an array; Composer 2: `packages`, with `dev-package-names`
/// naming the development-only ones).
fn parse_installed_raw(data: &[u8]) -> Result<Vec<Locked>, serde_json::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Installed {
        V1(Vec<Entry>),
        V2 {
            packages: Vec<Entry>,
            #[serde(default, rename = "dev-package-names")]
            dev_names: Vec<String>,
        },
    }
    Ok(match serde_json::from_slice(data)? {
        Installed::V1(entries) => locked(entries, |_, _| false),
        Installed::V2 {
            packages,
            dev_names,
        } => locked(packages, |_, n| dev_names.iter().any(|d| d == n)),
    })
}

/// As parsed above, entries without a name or a version left out.
pub fn parse_installed(data: &[u8]) -> Result<Vec<Locked>, serde_json::Error> {
    parse_installed_raw(data).map(crate::named)
}

/// Parse `composer.lock`: `packages`, then `packages-dev` (development-only).
fn parse_lock_raw(data: &[u8]) -> Result<Vec<Locked>, serde_json::Error> {
    #[derive(Deserialize)]
    struct Lock {
        #[serde(default)]
        packages: Vec<Entry>,
        #[serde(default, rename = "packages-dev")]
        packages_dev: Vec<Entry>,
    }
    let lock: Lock = serde_json::from_slice(data)?;
    let n = lock.packages.len();
    let mut all = lock.packages;
    all.extend(lock.packages_dev);
    Ok(locked(all, |i, _| i >= n))
}

/// As parsed above, entries without a name or a version left out.
pub fn parse_lock(data: &[u8]) -> Result<Vec<Locked>, serde_json::Error> {
    parse_lock_raw(data).map(crate::named)
}

/// Add the packages of the index's `installed.json` files (always) and `composer.lock` files
/// (with `lockfiles`).
pub(crate) fn analyze_ctx(
    index: &bulkhead_image::ImageIndex,
    packages: &mut Vec<bulkhead_core::Package>,
    ctx: &mut crate::Ctx,
    lockfiles: bool,
    dev: bool,
) {
    use bulkhead_core::PackageKind::Composer;
    let mut fw = crate::FileWarnings::default();
    let installed = crate::LockedFiles {
        wants: wants_installed,
        kind: Composer,
        dev: true,
    };
    installed.add(index, ctx, &mut fw, packages, |_, d| {
        parse_installed(d).map_err(crate::not_a("not Composer's installed.json"))
    });
    if lockfiles {
        let locks = crate::LockedFiles {
            wants: wants_lock,
            kind: Composer,
            dev,
        };
        locks.add(index, ctx, &mut fw, packages, |_, d| {
            parse_lock(d).map_err(crate::not_a("not a composer.lock"))
        });
    }
    fw.finish(ctx, "Composer files");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installed_v1_v2_and_lock() {
        let v2 = br#"{"packages":[
            {"name":"a/x","version":"1.0.0","license":["MIT"],"require":{"php":">=7","b/y":"^2"}},
            {"name":"b/y","version":"2.1.0","license":"BSD-3-Clause"},
            {"name":"c/t","version":"3.0.0"}],
            "dev":true,"dev-package-names":["c/t"]}"#;
        let l = parse_installed(v2).unwrap();
        assert_eq!(l[0].depends_on, ["b/y@2.1.0"]);
        assert_eq!(l[1].licenses, ["BSD-3-Clause"]);
        assert!(l[2].dev && !l[0].dev);
        let v1 = br#"[{"name":"a/x","version":"1.0.0"}]"#;
        assert_eq!(parse_installed(v1).unwrap().len(), 1);
        let lock = br#"{"packages":[{"name":"a/x","version":"1.0.0"}],
            "packages-dev":[{"name":"p/unit","version":"9.0.0","require":{"a/x":"*"}}]}"#;
        let l = parse_lock(lock).unwrap();
        assert!(!l[0].dev && l[1].dev);
        assert_eq!(l[1].depends_on, ["a/x@1.0.0"]);
        assert!(parse_lock(b"[1]").is_err());
        assert!(wants_installed("app/vendor/composer/installed.json"));
        assert!(wants_lock("app/composer.lock") && !wants_lock("app/vendor/x/composer.lock"));
    }
}
