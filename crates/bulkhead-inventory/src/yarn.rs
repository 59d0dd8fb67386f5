//! Yarn lockfiles (`yarn.lock`, the classic v1 format), read for directory scans as Trivy reads
//! them for `fs`/`repo` scans: every locked package with its resolved dependencies; with the
//! `package.json` next to the lockfile, what its `dependencies` (and `optionalDependencies`)
//! reach is production code and what only its `devDependencies` reach is development-only (left
//! out unless asked for), and the project's own package depends on its direct dependencies.
//!
//! The format: blocks separated by blank lines; a block starts with its specifiers
//! (`name@range, name@range2:`, quoted when they hold `@scope/`), then indented fields
//! (`version "1.2.3"`) and dependency sections (`dependencies:` followed by `name "range"` lines).
//! A dependency resolves to the block listing `name@range` among its specifiers.
//!
//! Yarn 2+ ("Berry") lockfiles are YAML with a `__metadata` block: each entry is keyed by its
//! descriptors (`lodash@npm:^4.17.15, lodash@npm:4.17.15`), with `version`, `resolution` and
//! `dependencies` (`name: npm:^1.0`). Packages resolved from the npm registry are read; the
//! project's workspaces (`workspace:`), patched copies of a package (`patch:`, the unpatched one
//! is listed too) and links, portals, files and git checkouts are not registry releases.

use std::collections::{BTreeSet, HashMap};

/// Whether `path` is a project's yarn lockfile.
pub fn wants(path: &str) -> bool {
    (path == "yarn.lock" || path.ends_with("/yarn.lock")) && !path.contains("node_modules/")
}

/// One locked package.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct YarnPackage {
    pub name: String,
    pub version: String,
    /// The specifiers it satisfies (`jquery@^3.2.1`).
    pub specs: Vec<String>,
    /// Its dependencies as (name, range).
    pub deps: Vec<(String, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum YarnError {
    #[error("a Yarn 2+ (Berry) lockfile that does not parse: {0}")]
    Berry(String),
    #[error("line {0}: {1}")]
    Syntax(usize, &'static str),
}

/// Parse a Yarn 2+ (Berry) lockfile.
fn parse_berry(text: &str) -> Result<Vec<YarnPackage>, YarnError> {
    use serde_json::Value;
    let v: Value = serde_saphyr::from_str(text).map_err(|e| YarnError::Berry(e.to_string()))?;
    let Some(entries) = v.as_object() else {
        return Err(YarnError::Berry("not a mapping of descriptors".into()));
    };
    let mut out = Vec::new();
    for (key, e) in entries {
        if key == "__metadata" {
            continue;
        }
        let resolution = e.get("resolution").and_then(Value::as_str).unwrap_or("");
        // `name@npm:1.2.3`: a registry release (the name may be scoped).
        let Some(name) = spec_name(resolution) else {
            continue;
        };
        if !resolution[name.len() + 1..].starts_with("npm:") {
            continue;
        }
        let version = match e.get("version") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => continue,
        };
        let mut deps = Vec::new();
        for section in ["dependencies", "optionalDependencies"] {
            for (n, r) in e
                .get(section)
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                if let Some(r) = r.as_str() {
                    deps.push((n.clone(), r.to_string()));
                }
            }
        }
        out.push(YarnPackage {
            name: name.to_string(),
            version,
            specs: key.split(", ").map(|s| s.trim().to_string()).collect(),
            deps,
        });
    }
    Ok(out)
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .unwrap_or(s)
}

/// The package name of a specifier (`@scope/name@^1.0` → `@scope/name`).
pub fn spec_name(spec: &str) -> Option<&str> {
    let at = spec.get(1..)?.rfind('@')? + 1;
    Some(&spec[..at])
}

/// Parse a v1 lockfile.
pub fn parse(data: &[u8]) -> Result<Vec<YarnPackage>, YarnError> {
    let text = String::from_utf8_lossy(data);
    let mut out: Vec<YarnPackage> = Vec::new();
    let mut cur: Option<YarnPackage> = None;
    let mut in_deps = false;
    for (n, line) in text.lines().enumerate() {
        let lineno = n + 1;
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let body = line.trim();
        if indent == 0 {
            if body.starts_with("__metadata:") {
                return parse_berry(&text);
            }
            let Some(header) = body.strip_suffix(':') else {
                return Err(YarnError::Syntax(
                    lineno,
                    "a block header must end with ':'",
                ));
            };
            if let Some(done) = cur.take() {
                out.push(done);
            }
            let specs: Vec<String> = header
                .split(", ")
                .map(|s| unquote(s).to_string())
                .filter(|s| !s.is_empty())
                .collect();
            let name = specs
                .first()
                .and_then(|s| spec_name(s))
                .ok_or(YarnError::Syntax(
                    lineno,
                    "a specifier without a package name",
                ))?
                .to_string();
            cur = Some(YarnPackage {
                name,
                specs,
                ..Default::default()
            });
            in_deps = false;
            continue;
        }
        let Some(pkg) = cur.as_mut() else {
            return Err(YarnError::Syntax(lineno, "a field outside any block"));
        };
        if indent <= 2 {
            in_deps = matches!(body, "dependencies:" | "optionalDependencies:");
            if let Some(v) = body.strip_prefix("version ") {
                pkg.version = unquote(v).to_string();
            }
        } else if in_deps {
            // `name "range"` (the name quoted when scoped).
            let (name, range) = if let Some(rest) = body.strip_prefix('"') {
                let end = rest
                    .find('"')
                    .ok_or(YarnError::Syntax(lineno, "an unterminated dependency name"))?;
                (&rest[..end], &rest[end + 1..])
            } else {
                body.split_once(' ')
                    .ok_or(YarnError::Syntax(lineno, "a dependency without a range"))?
            };
            pkg.deps
                .push((name.to_string(), unquote(range).to_string()));
        }
    }
    if let Some(done) = cur.take() {
        out.push(done);
    }
    out.retain(|p| !p.version.is_empty());
    Ok(out)
}

/// The lockfile's resolution: specifier → index of the package.
pub struct Resolved<'a> {
    pub packages: &'a [YarnPackage],
    by_spec: HashMap<&'a str, usize>,
}

impl<'a> Resolved<'a> {
    pub fn new(packages: &'a [YarnPackage]) -> Self {
        let mut by_spec = HashMap::new();
        for (i, p) in packages.iter().enumerate() {
            for s in &p.specs {
                by_spec.insert(s.as_str(), i);
            }
        }
        Resolved { packages, by_spec }
    }

    /// The package `name@range` resolves to (a `package.json` range in a Berry lockfile is keyed
    /// with its protocol: `name@npm:range`).
    pub fn resolve(&self, name: &str, range: &str) -> Option<usize> {
        self.by_spec
            .get(format!("{name}@{range}").as_str())
            .or_else(|| self.by_spec.get(format!("{name}@npm:{range}").as_str()))
            .copied()
    }

    /// `name@version` of each dependency of package `i`, sorted.
    pub fn depends_on(&self, i: usize) -> Vec<String> {
        crate::ids(
            self.packages[i]
                .deps
                .iter()
                .filter_map(|(n, r)| self.resolve(n, r))
                .map(|j| {
                    (
                        self.packages[j].name.as_str(),
                        self.packages[j].version.as_str(),
                    )
                }),
        )
    }

    /// Every package reachable from `roots`.
    pub fn closure(&self, roots: impl IntoIterator<Item = usize>) -> BTreeSet<usize> {
        crate::closure(roots, |i| {
            self.packages[i]
                .deps
                .iter()
                .filter_map(|(n, r)| self.resolve(n, r))
                .collect()
        })
    }
}

/// The dependency maps of a `package.json` this module uses.
#[derive(serde::Deserialize, Default)]
struct ProjectManifest {
    #[serde(default)]
    dependencies: Option<std::collections::BTreeMap<String, serde_json::Value>>,
    #[serde(default, rename = "optionalDependencies")]
    optional: Option<std::collections::BTreeMap<String, serde_json::Value>>,
    #[serde(default, rename = "devDependencies")]
    dev: Option<std::collections::BTreeMap<String, serde_json::Value>>,
}

/// Add the packages of the index's yarn lockfiles to `packages` (see the module's doc).
pub(crate) fn analyze_ctx(
    index: &bulkhead_image::ImageIndex,
    packages: &mut Vec<bulkhead_core::Package>,
    ctx: &mut crate::Ctx,
    dev: bool,
) {
    use bulkhead_core::PackageKind;
    let locks = crate::captured_paths(index, wants);
    let mut fw = crate::FileWarnings::default();
    let mut installed = crate::InstalledNpm::new(packages);
    for path in locks {
        let Some(locked) =
            crate::parse_captured(index, ctx, &mut fw, path, "yarn lockfile not read", parse)
        else {
            continue;
        };
        let r = Resolved::new(&locked);
        let dir = path.strip_suffix("yarn.lock").unwrap_or("");
        let project_path = format!("{dir}package.json");
        let project: Option<ProjectManifest> = index
            .read(&project_path)
            .and_then(|d| serde_json::from_slice(d).ok());
        let roots = |m: &Option<std::collections::BTreeMap<String, serde_json::Value>>| {
            m.iter()
                .flatten()
                .filter_map(|(n, v)| v.as_str().and_then(|range| r.resolve(n, range)))
                .collect::<Vec<usize>>()
        };
        let (prod_roots, dev_only) = match &project {
            Some(p) => {
                let mut prod = roots(&p.dependencies);
                prod.extend(roots(&p.optional));
                let prod_set = r.closure(prod.iter().copied());
                let dev_set = r.closure(roots(&p.dev));
                let dev_only: BTreeSet<usize> = dev_set.difference(&prod_set).copied().collect();
                (Some(prod), dev_only)
            }
            None => (None, BTreeSet::new()),
        };
        // The project's own package (listed by the node analyzer from its package.json) depends
        // on its direct dependencies.
        if let Some(prod) = &prod_roots
            && let Some(root) = packages.iter_mut().find(|p| {
                p.kind == Some(PackageKind::Npm) && p.db_path == format!("/{project_path}")
            })
        {
            root.depends_on = crate::ids(
                prod.iter()
                    .map(|&j| (locked[j].name.as_str(), locked[j].version.as_str())),
            );
        }
        for (i, l) in locked.iter().enumerate() {
            // Yarn hoists: a package's copy is at the top `node_modules/<name>` when its version is
            // the one installed there.
            let manifest = format!("/{dir}node_modules/{}/package.json", l.name);
            let licenses = installed.claim([manifest], &l.name, &l.version);
            let is_dev = dev_only.contains(&i);
            if is_dev && !dev {
                continue;
            }
            let p = crate::locked_npm(
                index,
                path,
                l.name.clone(),
                l.version.clone(),
                licenses,
                is_dev,
                r.depends_on(i),
            );
            crate::push_package(ctx, &mut fw, packages, p, path, "a locked package");
        }
    }
    installed.finish(packages);
    fw.finish(ctx, "yarn.lock files");
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.
# yarn lockfile v1


"@babel/code-frame@^7.0.0", "@babel/code-frame@^7.1.0":
  version "7.1.0"
  resolved "https://registry.yarnpkg.com/x"
  dependencies:
    "@babel/highlight" "^7.0.0"
    js-tokens "^4.0.0"

"@babel/highlight@^7.0.0":
  version "7.5.0"

js-tokens@^4.0.0:
  version "4.0.0"
"#;

    #[test]
    fn v1_blocks_specifiers_and_dependencies() {
        let pkgs = parse(LOCK.as_bytes()).unwrap();
        assert_eq!(pkgs.len(), 3);
        assert_eq!(pkgs[0].name, "@babel/code-frame");
        assert_eq!(pkgs[0].version, "7.1.0");
        assert_eq!(
            pkgs[0].specs,
            ["@babel/code-frame@^7.0.0", "@babel/code-frame@^7.1.0"]
        );
        let r = Resolved::new(&pkgs);
        assert_eq!(
            r.depends_on(0),
            ["@babel/highlight@7.5.0", "js-tokens@4.0.0"]
        );
        assert_eq!(r.closure([0]).len(), 3);
        assert_eq!(spec_name("@s/n@^1"), Some("@s/n"));
        assert_eq!(spec_name("lodash@4"), Some("lodash"));
        assert!(parse(b"__metadata:\n  version: 6\n").unwrap().is_empty());
        assert!(matches!(
            parse(b"__metadata:\n  version: [\n"),
            Err(YarnError::Berry(_))
        ));
        let berry = parse(
            b"__metadata:\n  version: 8\n\n\"@s/a@npm:^1.0.0, @s/a@npm:1.2.0\":\n  version: 1.2.0\n  resolution: \"@s/a@npm:1.2.0\"\n  dependencies:\n    b: \"npm:^2\"\n\n\"b@npm:^2\":\n  version: 2.0.1\n  resolution: \"b@npm:2.0.1\"\n\n\"b@patch:b@npm%3A^2#~builtin<compat/b>\":\n  version: 2.0.1\n  resolution: \"b@patch:b@npm%3A2.0.1#~builtin<compat/b>::version=2.0.1\"\n\n\"app@workspace:.\":\n  version: 0.0.0-use.local\n  resolution: \"app@workspace:.\"\n",
        )
        .unwrap();
        assert_eq!(berry.len(), 2, "{berry:?}");
        let r = Resolved::new(&berry);
        assert_eq!(r.resolve("@s/a", "1.2.0"), Some(0));
        assert_eq!(r.depends_on(0), ["b@2.0.1"]);
        assert!(parse(b"  version \"1\"\n").is_err());
        assert!(wants("app/yarn.lock") && !wants("app/node_modules/x/yarn.lock"));
    }
}
