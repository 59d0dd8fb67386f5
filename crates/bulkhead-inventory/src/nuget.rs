//! .NET packages (NuGet), as Trivy's analyzers read them:
//!
//! - `*.deps.json` (what a built .NET application loads; images and directories): every library
//!   of type `package` or `project` (the application itself), keyed `Name/Version`.
//! - `packages.lock.json` (a project's lock, directory scans): every package of every target
//!   framework with its `resolved` version and its `dependencies` resolved in the same framework;
//!   `Project` entries (other projects of the solution) are not packages.
//! - `packages.config` (older projects, directory scans): every `<package id version>`;
//!   `developmentDependency="true"` ones are development-only.

use crate::Locked;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

/// Whether `path` is a .NET application's dependency manifest.
pub fn wants_deps(path: &str) -> bool {
    path.ends_with(".deps.json")
}

/// Whether `path` is a NuGet lock file or a `packages.config`.
pub fn wants_lock(path: &str) -> bool {
    let base = path.rsplit('/').next().unwrap_or(path);
    base == "packages.lock.json" || base == "packages.config"
}

/// Parse a `*.deps.json`.
fn parse_deps_raw(data: &[u8]) -> Result<Vec<Locked>, serde_json::Error> {
    #[derive(Deserialize)]
    struct Library {
        #[serde(rename = "type", default)]
        kind: String,
    }
    #[derive(Deserialize)]
    struct Deps {
        #[serde(default)]
        libraries: BTreeMap<String, Library>,
    }
    let d: Deps = serde_json::from_slice(data)?;
    Ok(d.libraries
        .into_iter()
        .filter(|(_, l)| l.kind == "package" || l.kind == "project")
        .filter_map(|(key, _)| {
            let (name, version) = key.split_once('/')?;
            (!name.is_empty() && !version.is_empty()).then(|| Locked {
                name: name.to_string(),
                version: version.to_string(),
                ..Default::default()
            })
        })
        .collect())
}

/// As parsed above, entries without a name or a version left out.
pub fn parse_deps(data: &[u8]) -> Result<Vec<Locked>, serde_json::Error> {
    parse_deps_raw(data).map(crate::named)
}

/// Parse a `packages.lock.json`.
fn parse_lock_raw(data: &[u8]) -> Result<Vec<Locked>, serde_json::Error> {
    #[derive(Deserialize)]
    struct Dep {
        #[serde(rename = "type", default)]
        kind: String,
        #[serde(default)]
        resolved: Option<String>,
        #[serde(default)]
        dependencies: BTreeMap<String, String>,
    }
    #[derive(Deserialize)]
    struct Lock {
        #[serde(default)]
        dependencies: BTreeMap<String, BTreeMap<String, Dep>>,
    }
    let lock: Lock = serde_json::from_slice(data)?;
    let mut out: Vec<Locked> = Vec::new();
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    for deps in lock.dependencies.values() {
        let resolved: HashMap<&str, &str> = deps
            .iter()
            .filter_map(|(n, d)| Some((n.as_str(), d.resolved.as_deref()?)))
            .collect();
        for (name, d) in deps {
            if d.kind == "Project" {
                continue;
            }
            let Some(version) = d.resolved.clone() else {
                continue;
            };
            let depends_on: Vec<String> = d
                .dependencies
                .keys()
                .filter_map(|n| resolved.get(n.as_str()).map(|v| format!("{n}@{v}")))
                .collect();
            match seen.get(&(name.clone(), version.clone())) {
                // The same package in several frameworks: one package, the union of its edges.
                Some(&i) => out[i].depends_on.extend(depends_on),
                None => {
                    seen.insert((name.clone(), version.clone()), out.len());
                    out.push(Locked {
                        name: name.clone(),
                        version,
                        depends_on,
                        ..Default::default()
                    });
                }
            }
        }
    }
    Ok(out)
}

/// As parsed above, entries without a name or a version left out.
pub fn parse_lock(data: &[u8]) -> Result<Vec<Locked>, serde_json::Error> {
    parse_lock_raw(data).map(crate::named)
}

/// Parse a `packages.config`.
fn parse_config_raw(data: &[u8]) -> Result<Vec<Locked>, quick_xml::Error> {
    use quick_xml::events::Event;
    let mut r = quick_xml::Reader::from_reader(data);
    let mut out = Vec::new();
    let mut buf = Vec::new();
    loop {
        match r.read_event_into(&mut buf)? {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e)
                if AsRef::<str>::as_ref(&e.local_name()) == "package" =>
            {
                let (mut id, mut version, mut dev) = (None, None, false);
                for a in e.attributes().flatten() {
                    let v = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map(|v| v.into_owned())
                        .unwrap_or_default();
                    match AsRef::<str>::as_ref(&a.key.local_name()) {
                        "id" => id = Some(v),
                        "version" => version = Some(v),
                        "developmentDependency" => dev = v.eq_ignore_ascii_case("true"),
                        _ => {}
                    }
                }
                if let (Some(name), Some(version)) = (id, version)
                    && !name.is_empty()
                    && !version.is_empty()
                {
                    out.push(Locked {
                        name,
                        version,
                        dev,
                        ..Default::default()
                    });
                }
            }
            _ => {}
        }
        buf.clear();
    }
    Ok(out)
}

/// As parsed above, entries without a name or a version left out.
pub fn parse_config(data: &[u8]) -> Result<Vec<Locked>, quick_xml::Error> {
    parse_config_raw(data).map(crate::named)
}

/// Add the packages of the index's `*.deps.json` files (always) and NuGet lock files and
/// `packages.config` files (with `lockfiles`).
pub(crate) fn analyze_ctx(
    index: &bulkhead_image::ImageIndex,
    packages: &mut Vec<bulkhead_core::Package>,
    ctx: &mut crate::Ctx,
    lockfiles: bool,
    dev: bool,
) {
    use bulkhead_core::PackageKind::NuGet;
    let mut fw = crate::FileWarnings::default();
    let deps = crate::LockedFiles {
        wants: wants_deps,
        kind: NuGet,
        dev: true,
    };
    deps.add(index, ctx, &mut fw, packages, |_, d| {
        parse_deps(d).map_err(crate::not_a("not a .deps.json"))
    });
    if lockfiles {
        let locks = crate::LockedFiles {
            wants: wants_lock,
            kind: NuGet,
            dev,
        };
        locks.add(index, ctx, &mut fw, packages, |path, d| {
            if path.ends_with(".json") {
                parse_lock(d).map_err(crate::not_a("not a packages.lock.json"))
            } else {
                parse_config(d).map_err(crate::not_a("not a packages.config"))
            }
        });
    }
    fw.finish(ctx, ".NET package files");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deps_lock_and_config() {
        let deps = br#"{"libraries":{
            "App/1.0.0":{"type":"project"},
            "Newtonsoft.Json/9.0.1":{"type":"package"},
            "runtime.native/4.0.0":{"type":"runtimepack"}}}"#;
        let l = parse_deps(deps).unwrap();
        assert_eq!(l.len(), 2);
        let lock = br#"{"version":1,"dependencies":{
            "net5.0":{"A":{"type":"Direct","resolved":"1.0.0","dependencies":{"B":"2.0.0"}},
                      "B":{"type":"Transitive","resolved":"2.0.0"},
                      "P":{"type":"Project"}},
            "net6.0":{"A":{"type":"Direct","resolved":"1.0.0"}}}}"#;
        let l = parse_lock(lock).unwrap();
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].depends_on, ["B@2.0.0"]);
        let cfg = br#"<?xml version="1.0" encoding="utf-8"?>
<packages>
  <package id="jQuery" version="3.4.1" targetFramework="net47" />
  <package id="Tool" version="1.0" developmentDependency="true" />
</packages>"#;
        let l = parse_config(cfg).unwrap();
        assert_eq!(
            (l[0].name.as_str(), l[0].version.as_str(), l[1].dev),
            ("jQuery", "3.4.1", true)
        );
        assert!(parse_config(b"<packages><package id=\"x\" version=\"1\"></packages>").is_err());
        assert!(wants_deps("app/App.deps.json") && wants_lock("src/packages.config"));
    }
}
