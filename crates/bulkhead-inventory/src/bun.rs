//! Node.js packages of a Bun project (`bun.lock`, Bun 1.2's text lockfile: JSON with trailing
//! commas), read for directory scans as Trivy reads it: every package of `packages`
//! (`"key": ["name@version", registry, {dependencies…}, integrity]`) with its dependencies
//! resolved Bun's way (a nested key `parent/dep` first, then the top-level `dep`); what only the
//! root workspace's `devDependencies` reach is development-only. Workspace and link entries
//! (`name@workspace:…`, `name@link:…`) are not published packages.

use crate::Locked;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Whether `path` is a project's `bun.lock` (not one inside `node_modules`).
pub fn wants(path: &str) -> bool {
    (path == "bun.lock" || path.ends_with("/bun.lock")) && !path.contains("node_modules/")
}

/// The document without the trailing commas JSON does not allow (outside strings).
fn strip_trailing_commas(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let (mut in_str, mut escaped) = (false, false);
    for (i, &c) in b.iter().enumerate() {
        if in_str {
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_str = false;
            }
        } else if c == b'"' {
            in_str = true;
        } else if c == b',' {
            let next = b[i + 1..].iter().find(|x| !x.is_ascii_whitespace());
            if matches!(next, Some(b'}') | Some(b']')) {
                continue;
            }
        }
        out.push(c as char);
    }
    out
}

fn deps_of(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// A lockfile key's package names (`a/@types/node/b` → `a`, `@types/node`, `b`).
fn segments(key: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut parts = key.split('/').filter(|p| !p.is_empty());
    while let Some(p) = parts.next() {
        if p.starts_with('@') {
            match parts.next() {
                Some(n) => out.push(format!("{p}/{n}")),
                None => out.push(p.to_string()),
            }
        } else {
            out.push(p.to_string());
        }
    }
    out
}

/// Parse a `bun.lock`.
pub fn parse(data: &[u8]) -> Result<Vec<Locked>, serde_json::Error> {
    // Bytes as chars: the lockfile is ASCII in its structure; other bytes only in strings.
    let text = String::from_utf8_lossy(data);
    let v: Value = serde_json::from_str(&strip_trailing_commas(&text))?;
    let Some(pkgs) = v.get("packages").and_then(Value::as_object) else {
        return Ok(Vec::new());
    };
    // key → (name, version, dependency names)
    let mut nodes: BTreeMap<&str, (String, String, Vec<String>)> = BTreeMap::new();
    for (key, entry) in pkgs {
        let Some(arr) = entry.as_array() else {
            continue;
        };
        let Some(ident) = arr.first().and_then(Value::as_str) else {
            continue;
        };
        let Some((name, version)) = ident.rsplit_once('@').filter(|(n, _)| !n.is_empty()) else {
            continue;
        };
        if version.contains(':') {
            continue; // workspace:, link:, file:, git: … are not registry releases
        }
        let meta = arr.iter().find(|x| x.is_object());
        let mut deps = Vec::new();
        if let Some(m) = meta {
            for k in ["dependencies", "optionalDependencies", "peerDependencies"] {
                deps.extend(deps_of(m, k));
            }
        }
        nodes.insert(key.as_str(), (name.to_string(), version.to_string(), deps));
    }
    // Bun's resolution: `parent/dep` (nested under the dependent) before the levels above it.
    let resolve = |from: &str, dep: &str| -> Option<&str> {
        let segs = segments(from);
        (0..=segs.len()).rev().find_map(|i| {
            let prefix = segs[..i].join("/");
            let k = if prefix.is_empty() {
                dep.to_string()
            } else {
                format!("{prefix}/{dep}")
            };
            nodes.get_key_value(k.as_str()).map(|(k, _)| *k)
        })
    };
    let edges = |key: &str| -> Vec<&str> {
        nodes
            .get(key)
            .map(|(_, _, deps)| deps.iter().filter_map(|d| resolve(key, d)).collect())
            .unwrap_or_default()
    };
    // The root workspace is keyed by the empty path.
    let root = v.get("workspaces").and_then(|w| w.get(""));
    let (mut prod_roots, mut dev_roots) = (Vec::new(), Vec::new());
    if let Some(r) = root {
        for k in ["dependencies", "optionalDependencies", "peerDependencies"] {
            prod_roots.extend(deps_of(r, k));
        }
        dev_roots.extend(deps_of(r, "devDependencies"));
    }
    let reach = |roots: &[String]| -> BTreeSet<&str> {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<&str> = roots.iter().filter_map(|d| resolve("", d)).collect();
        while let Some(k) = stack.pop() {
            if seen.insert(k) {
                stack.extend(edges(k));
            }
        }
        seen
    };
    let prod = reach(&prod_roots);
    let dev: BTreeSet<&str> = reach(&dev_roots).difference(&prod).copied().collect();
    Ok(nodes
        .iter()
        .map(|(key, (name, version, _))| Locked {
            name: name.clone(),
            version: version.clone(),
            dev: dev.contains(key),
            depends_on: edges(key)
                .into_iter()
                .filter_map(|k| nodes.get(k).map(|(n, v, _)| format!("{n}@{v}")))
                .collect(),
            ..Default::default()
        })
        .collect())
}

/// Add the packages of the index's `bun.lock` files (directory scans).
pub(crate) fn analyze_ctx(
    index: &bulkhead_image::ImageIndex,
    packages: &mut Vec<bulkhead_core::Package>,
    ctx: &mut crate::Ctx,
    dev: bool,
) {
    let mut fw = crate::FileWarnings::default();
    let files = crate::LockedFiles {
        wants,
        kind: bulkhead_core::PackageKind::Npm,
        dev,
    };
    files.add(index, ctx, &mut fw, packages, |_, d| {
        parse(d).map_err(crate::not_a("not a bun.lock"))
    });
    fw.finish(ctx, "bun.lock files");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_commas_nested_keys_and_dev() {
        assert_eq!(
            strip_trailing_commas(r#"{"a": [1, 2,], "b": "x,}",}"#),
            r#"{"a": [1, 2], "b": "x,}"}"#
        );
        let lock = br#"{
  "lockfileVersion": 1,
  "workspaces": { "": { "name": "app", "dependencies": { "a": "1" }, "devDependencies": { "t": "1" }, }, },
  "packages": {
    "a": ["a@1.0.0", "", { "dependencies": { "b": "^2" } }, "sha512-x"],
    "a/b": ["b@2.0.0", "", {}, "sha512-x"],
    "b": ["b@1.0.0", "", {}, "sha512-x"],
    "t": ["t@3.0.0", "", { "dependencies": { "b": "1" } }, "sha512-x"],
    "w": ["w@workspace:packages/w", {}],
  }
}"#;
        let l = parse(lock).unwrap();
        let got: Vec<(String, bool, Vec<String>)> = l
            .iter()
            .map(|l| {
                (
                    format!("{}@{}", l.name, l.version),
                    l.dev,
                    l.depends_on.clone(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("a@1.0.0".to_string(), false, vec!["b@2.0.0".to_string()]),
                ("b@2.0.0".to_string(), false, vec![]),
                ("b@1.0.0".to_string(), true, vec![]),
                ("t@3.0.0".to_string(), true, vec!["b@1.0.0".to_string()]),
            ]
        );
    }
}
