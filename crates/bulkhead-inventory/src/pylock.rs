//! Python projects' dependency files, read for directory scans as Trivy's `fs`/`repo` scans read
//! them:
//!
//! - `requirements*.txt`: pinned requirements only (`name==version`, extras and environment
//!   markers dropped, comments ignored); options (`-r`, `-e`, `--hash`, …) and unpinned lines
//!   are not packages.
//! - `Pipfile.lock`: `default` (and `develop` as development-only), version `==x` → `x`.
//! - `poetry.lock`: every `[[package]]`; `category = "dev"` ones (Poetry 1.1) and, with the
//!   `pyproject.toml` next to the lock, those only its dependency groups reach are
//!   development-only; edges from `[package.dependencies]` resolved by normalised name in the lock.
//! - `uv.lock`: every `[[package]]` but the project itself (`source = { virtual | editable }`),
//!   edges from `dependencies`; what only the project's `dev-dependencies` reach is
//!   development-only.
//! - `pylock.toml` (PEP 751): every `[[packages]]` with a version, edges from `dependencies`.

use crate::Locked;
use serde::Deserialize;
use std::collections::{BTreeSet, HashMap};

fn base(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Whether `path` is one of the files this module reads.
pub fn wants(path: &str) -> bool {
    let b = base(path);
    (b.starts_with("requirements") && b.ends_with(".txt"))
        || b == "Pipfile.lock"
        || b == "poetry.lock"
        || b == "uv.lock"
        || b == "pylock.toml"
        || (b.starts_with("pylock.") && b.ends_with(".toml"))
}

/// Whether `path` is a project manifest read next to a `poetry.lock`.
pub fn wants_manifest(path: &str) -> bool {
    base(path) == "pyproject.toml"
}

/// PEP 503 normalised name (for resolving edges), as purls write it.
use bulkhead_core::purl::pep503_normalize as norm;

/// Parse a requirements file: `name[extras]==version ; markers  # comment`.
fn parse_requirements_raw(data: &[u8]) -> Vec<Locked> {
    let text = String::from_utf8_lossy(data);
    let mut out = Vec::new();
    for raw in text.lines() {
        let line = match raw.find(" #").or_else(|| raw.starts_with('#').then_some(0)) {
            Some(i) => &raw[..i],
            None => raw,
        };
        let line = line.split(';').next().unwrap_or("").trim();
        let line = line.trim_end_matches('\\').trim();
        if line.is_empty() || line.starts_with('-') {
            continue;
        }
        let Some((name, version)) = line.split_once("==") else {
            continue;
        };
        // `===` (arbitrary equality) and `==1.*` wildcards are not pins of one release.
        let version = version.split_whitespace().next().unwrap_or("");
        let version = version.split(',').next().unwrap_or("");
        if version.is_empty() || version.starts_with('=') || version.contains('*') {
            continue;
        }
        let name = name.split('[').next().unwrap_or("").trim();
        if name.is_empty() || name.contains(['<', '>', '!', '~', ' ']) {
            continue;
        }
        out.push(Locked {
            name: name.to_string(),
            version: version.to_string(),
            ..Default::default()
        });
    }
    out
}

/// As parsed above, entries without a name or a version left out.
pub fn parse_requirements(data: &[u8]) -> Vec<Locked> {
    crate::named(parse_requirements_raw(data))
}

/// Parse a `Pipfile.lock`.
fn parse_pipfile_lock_raw(data: &[u8]) -> Result<Vec<Locked>, serde_json::Error> {
    #[derive(Deserialize)]
    struct Dep {
        #[serde(default)]
        version: Option<String>,
    }
    #[derive(Deserialize)]
    struct Lock {
        #[serde(default)]
        default: std::collections::BTreeMap<String, Dep>,
        #[serde(default)]
        develop: std::collections::BTreeMap<String, Dep>,
    }
    let lock: Lock = serde_json::from_slice(data)?;
    let mut out = Vec::new();
    for (deps, dev) in [(lock.default, false), (lock.develop, true)] {
        for (name, d) in deps {
            let Some(v) = d.version.as_deref().and_then(|v| v.strip_prefix("==")) else {
                continue;
            };
            out.push(Locked {
                name,
                version: v.to_string(),
                dev,
                ..Default::default()
            });
        }
    }
    Ok(out)
}

/// As parsed above, entries without a name or a version left out.
pub fn parse_pipfile_lock(data: &[u8]) -> Result<Vec<Locked>, serde_json::Error> {
    parse_pipfile_lock_raw(data).map(crate::named)
}

/// Parse a `poetry.lock`.
fn parse_poetry_raw(data: &[u8]) -> Result<Vec<Locked>, toml::de::Error> {
    #[derive(Deserialize)]
    struct Pkg {
        name: String,
        version: String,
        #[serde(default)]
        category: Option<String>,
        #[serde(default)]
        dependencies: std::collections::BTreeMap<String, toml::Value>,
    }
    #[derive(Deserialize)]
    struct Lock {
        #[serde(default)]
        package: Vec<Pkg>,
    }
    let lock: Lock = toml::from_str(&String::from_utf8_lossy(data))?;
    let versions: HashMap<String, &str> = lock
        .package
        .iter()
        .map(|p| (norm(&p.name), p.version.as_str()))
        .collect();
    Ok(lock
        .package
        .iter()
        .map(|p| Locked {
            name: p.name.clone(),
            version: p.version.clone(),
            dev: p.category.as_deref() == Some("dev"),
            depends_on: p
                .dependencies
                .keys()
                .filter_map(|d| {
                    let n = norm(d);
                    versions.get(&n).map(|v| format!("{n}@{v}"))
                })
                .collect(),
            ..Default::default()
        })
        .map(|mut l| {
            l.name = norm(&l.name);
            l
        })
        .collect())
}

/// As parsed above, entries without a name or a version left out.
pub fn parse_poetry(data: &[u8]) -> Result<Vec<Locked>, toml::de::Error> {
    parse_poetry_raw(data).map(crate::named)
}

#[derive(Deserialize)]
struct UvDep {
    name: String,
    #[serde(default)]
    version: Option<String>,
}

/// Parse a `uv.lock`.
fn parse_uv_raw(data: &[u8]) -> Result<Vec<Locked>, toml::de::Error> {
    #[derive(Deserialize)]
    struct Pkg {
        name: String,
        #[serde(default)]
        version: Option<String>,
        #[serde(default)]
        source: Option<toml::Value>,
        #[serde(default)]
        dependencies: Vec<UvDep>,
        #[serde(default, rename = "dev-dependencies")]
        dev_dependencies: std::collections::BTreeMap<String, Vec<UvDep>>,
    }
    #[derive(Deserialize)]
    struct Lock {
        #[serde(default)]
        package: Vec<Pkg>,
    }
    let lock: Lock = toml::from_str(&String::from_utf8_lossy(data))?;
    let pkgs = &lock.package;
    // A dependency names a package, and its version when the lock has several.
    let find = |d: &UvDep| -> Option<usize> {
        let n = norm(&d.name);
        pkgs.iter().position(|p| {
            norm(&p.name) == n
                && d.version
                    .as_ref()
                    .is_none_or(|v| p.version.as_ref() == Some(v))
        })
    };
    let is_root = |p: &Pkg| {
        p.source
            .as_ref()
            .and_then(|s| s.as_table())
            .is_some_and(|t| t.contains_key("virtual") || t.contains_key("editable"))
    };
    let roots: Vec<usize> = (0..pkgs.len()).filter(|&i| is_root(&pkgs[i])).collect();
    let deps_of =
        |i: usize| -> Vec<usize> { pkgs[i].dependencies.iter().filter_map(find).collect() };
    let prod: BTreeSet<usize> = crate::closure(roots.iter().flat_map(|&r| deps_of(r)), deps_of);
    let dev_roots: Vec<usize> = roots
        .iter()
        .flat_map(|&r| pkgs[r].dev_dependencies.values().flatten().filter_map(find))
        .collect();
    let dev: BTreeSet<usize> = crate::closure(dev_roots, deps_of)
        .difference(&prod)
        .copied()
        .collect();
    Ok((0..pkgs.len())
        .filter(|i| !roots.contains(i))
        .filter_map(|i| {
            let p = &pkgs[i];
            Some(Locked {
                name: norm(&p.name),
                version: p.version.clone()?,
                dev: dev.contains(&i),
                depends_on: deps_of(i)
                    .into_iter()
                    .filter_map(|j| {
                        Some(format!(
                            "{}@{}",
                            norm(&pkgs[j].name),
                            pkgs[j].version.as_ref()?
                        ))
                    })
                    .collect(),
                ..Default::default()
            })
        })
        .collect())
}

/// As parsed above, entries without a name or a version left out.
pub fn parse_uv(data: &[u8]) -> Result<Vec<Locked>, toml::de::Error> {
    parse_uv_raw(data).map(crate::named)
}

/// Parse a `pylock.toml` (PEP 751).
fn parse_pylock_raw(data: &[u8]) -> Result<Vec<Locked>, toml::de::Error> {
    #[derive(Deserialize)]
    struct Pkg {
        name: String,
        #[serde(default)]
        version: Option<String>,
        #[serde(default)]
        dependencies: Vec<UvDep>,
    }
    #[derive(Deserialize)]
    struct Lock {
        #[serde(default)]
        packages: Vec<Pkg>,
    }
    let lock: Lock = toml::from_str(&String::from_utf8_lossy(data))?;
    let versions: HashMap<String, Vec<&str>> =
        lock.packages.iter().fold(HashMap::new(), |mut m, p| {
            if let Some(v) = &p.version {
                m.entry(norm(&p.name)).or_default().push(v.as_str());
            }
            m
        });
    Ok(lock
        .packages
        .iter()
        .filter_map(|p| {
            Some(Locked {
                name: norm(&p.name),
                version: p.version.clone()?,
                depends_on: p
                    .dependencies
                    .iter()
                    .filter_map(|d| {
                        let n = norm(&d.name);
                        let vs = versions.get(&n)?;
                        let v = match &d.version {
                            Some(v) => vs.iter().find(|x| *x == v)?,
                            None => vs.first()?,
                        };
                        Some(format!("{n}@{v}"))
                    })
                    .collect(),
                ..Default::default()
            })
        })
        .collect())
}

/// As parsed above, entries without a name or a version left out.
pub fn parse_pylock(data: &[u8]) -> Result<Vec<Locked>, toml::de::Error> {
    parse_pylock_raw(data).map(crate::named)
}

/// The main and group (development) dependency names a `pyproject.toml` declares for Poetry:
/// `[tool.poetry.dependencies]` and PEP 621 `[project] dependencies` are main;
/// `[tool.poetry.group.<name>.dependencies]` and the legacy `[tool.poetry.dev-dependencies]`
/// are groups. Names are normalised.
pub fn poetry_roots(data: &[u8]) -> Option<(Vec<String>, Vec<String>)> {
    let v: toml::Value = toml::from_str(&String::from_utf8_lossy(data)).ok()?;
    let keys = |t: Option<&toml::Value>| -> Vec<String> {
        t.and_then(toml::Value::as_table)
            .into_iter()
            .flatten()
            .map(|(k, _)| norm(k))
            .filter(|k| k != "python")
            .collect()
    };
    let poetry = v.get("tool").and_then(|t| t.get("poetry"));
    let mut main = keys(poetry.and_then(|p| p.get("dependencies")));
    // PEP 508 strings: the name ends at the first version, extra or marker character.
    for d in v
        .get("project")
        .and_then(|p| p.get("dependencies"))
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(toml::Value::as_str)
    {
        let end = d
            .find(|c: char| " <>=!~;[(@".contains(c))
            .unwrap_or(d.len());
        main.push(norm(&d[..end]));
    }
    let mut groups = keys(poetry.and_then(|p| p.get("dev-dependencies")));
    for (_, g) in poetry
        .and_then(|p| p.get("group"))
        .and_then(toml::Value::as_table)
        .into_iter()
        .flatten()
    {
        groups.extend(keys(g.get("dependencies")));
    }
    Some((main, groups))
}

/// Mark as development-only the packages of a Poetry lock that only the project's groups reach
/// (as Trivy does with the `pyproject.toml` next to the lock).
fn poetry_dev(locked: &mut [Locked], main: &[String], groups: &[String]) {
    let idx: HashMap<String, usize> = locked
        .iter()
        .enumerate()
        .map(|(i, l)| (format!("{}@{}", l.name, l.version), i))
        .collect();
    let by_name: HashMap<String, usize> = locked
        .iter()
        .enumerate()
        .map(|(i, l)| (l.name.clone(), i))
        .collect();
    let deps = |i: usize| -> Vec<usize> {
        locked[i]
            .depends_on
            .iter()
            .filter_map(|d| idx.get(d).copied())
            .collect()
    };
    let roots = |names: &[String]| -> Vec<usize> {
        names
            .iter()
            .filter_map(|n| by_name.get(n).copied())
            .collect()
    };
    let prod = crate::closure(roots(main), deps);
    let dev = crate::closure(roots(groups), deps);
    for i in dev.difference(&prod) {
        locked[*i].dev = true;
    }
}

/// Add the packages of the index's Python dependency files (directory scans).
pub(crate) fn analyze_ctx(
    index: &bulkhead_image::ImageIndex,
    packages: &mut Vec<bulkhead_core::Package>,
    ctx: &mut crate::Ctx,
    dev: bool,
) {
    let mut fw = crate::FileWarnings::default();
    let files = crate::LockedFiles {
        wants,
        kind: bulkhead_core::PackageKind::PyPI,
        dev,
    };
    files.add(index, ctx, &mut fw, packages, |path, d| match base(path) {
        b if b.ends_with(".txt") => Ok(parse_requirements(d)),
        "Pipfile.lock" => parse_pipfile_lock(d).map_err(crate::not_a("not a Pipfile.lock")),
        "poetry.lock" => {
            let mut l = parse_poetry(d).map_err(crate::not_a("not a poetry.lock"))?;
            let dir = path.strip_suffix("poetry.lock").unwrap_or("");
            if let Some((main, groups)) = index
                .read(&format!("{dir}pyproject.toml"))
                .and_then(poetry_roots)
            {
                poetry_dev(&mut l, &main, &groups);
            }
            Ok(l)
        }
        "uv.lock" => parse_uv(d).map_err(crate::not_a("not a uv.lock")),
        _ => parse_pylock(d).map_err(crate::not_a("not a pylock.toml")),
    });
    fw.finish(ctx, "Python dependency files");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirements_pins_only() {
        let r = parse_requirements(
            b"# top\nFlask==2.0.0\nrequests[security]==2.31.0 ; python_version > \"3\"  # pinned\n\
              MarkupSafe>2.0.0\n-r other.txt\n-e git+https://x#egg=y\nzope.interface==5.*\n\
              a===1.0\nb == 1.2 \\\n",
        );
        let got: Vec<(&str, &str)> = r
            .iter()
            .map(|l| (l.name.as_str(), l.version.as_str()))
            .collect();
        assert_eq!(
            got,
            [("Flask", "2.0.0"), ("requests", "2.31.0"), ("b", "1.2")]
        );
    }

    #[test]
    fn uv_roots_and_dev() {
        let lock = br#"version = 1
[[package]]
name = "app"
version = "0.1.0"
source = { virtual = "." }
dependencies = [{ name = "click" }]
[package.dev-dependencies]
dev = [{ name = "pytest" }]
[[package]]
name = "click"
version = "8.1.3"
source = { registry = "https://pypi.org/simple" }
[[package]]
name = "pytest"
version = "8.0.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "click" }]
"#;
        let l = parse_uv(lock).unwrap();
        assert_eq!(l.len(), 2);
        assert!(!l[0].dev && l[1].dev);
        assert_eq!(l[1].depends_on, ["click@8.1.3"]);
        assert!(parse_uv(b"[[package]]\nname = 1").is_err());
        assert!(wants("svc/requirements-dev.txt") && wants("uv.lock") && !wants("notes.txt"));
    }

    #[test]
    fn poetry_groups_from_pyproject() {
        let lock = br#"[[package]]
name = "click"
version = "8.1.3"
[package.dependencies]
colorama = {version = "*"}
[[package]]
name = "colorama"
version = "0.4.6"
[[package]]
name = "pytest"
version = "8.0.0"
[package.dependencies]
colorama = "*"
iniconfig = "*"
[[package]]
name = "iniconfig"
version = "2.0.0"
"#;
        let mut l = parse_poetry(lock).unwrap();
        let (main, groups) = poetry_roots(
            b"[tool.poetry.dependencies]
python = \"^3.9\"
Click = \"8.1.3\"
[tool.poetry.group.test.dependencies]
pytest = \"*\"
",
        )
        .unwrap();
        assert_eq!(
            (main.clone(), groups.clone()),
            (vec!["click".to_string()], vec!["pytest".to_string()])
        );
        poetry_dev(&mut l, &main, &groups);
        let dev: Vec<&str> = l
            .iter()
            .filter(|x| x.dev)
            .map(|x| x.name.as_str())
            .collect();
        assert_eq!(dev, ["pytest", "iniconfig"]);
        let (main, _) = poetry_roots(
            b"[project]\ndependencies = [\"requests[socks]>=2.0 ; python_version>'3'\"]\n",
        )
        .unwrap();
        assert_eq!(main, ["requests"]);
    }
}
