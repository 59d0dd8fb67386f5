//! Go modules of a project (`go.mod`), read for directory scans as Trivy reads them for
//! `fs`/`repo` scans: every required module (direct and `// indirect`; Go 1.17+ lists the whole
//! build list there) at its version, after the file's `replace` directives (a replacement by
//! another module and version takes its place; one by a local directory is not a published module
//! and is left out). The main module itself is the project, not a dependency.
//!
//! Binaries' embedded build information (`go version -m`) is not read yet; `go.sum` is not read
//! (Go 1.17+ modules list every dependency in `go.mod`).

/// Whether `path` is a module file.
pub fn wants(path: &str) -> bool {
    (path == "go.mod" || path.ends_with("/go.mod")) && !path.contains("vendor/")
}

/// One required module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Required {
    pub path: String,
    pub version: String,
    pub indirect: bool,
}

/// What `go.mod` says: the main module and its requirements (replacements applied).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GoMod {
    pub module: Option<String>,
    pub go: Option<String>,
    pub require: Vec<Required>,
}

/// A token of a directive line (`"quoted"` paths are unquoted); comments end the line.
fn tokens(line: &str) -> (Vec<String>, bool) {
    let (code, comment) = match line.find("//") {
        Some(i) => (&line[..i], &line[i + 2..]),
        None => (line, ""),
    };
    let indirect = comment.trim() == "indirect" || comment.trim().starts_with("indirect;");
    let toks = code
        .split_whitespace()
        .map(|t| t.trim_matches('"').to_string())
        .collect();
    (toks, indirect)
}

/// Parse a `go.mod` (line-based; blocks `require ( … )`, `replace ( … )`).
pub fn parse(data: &[u8]) -> GoMod {
    let text = String::from_utf8_lossy(data);
    let mut m = GoMod::default();
    let mut replaces: Vec<(String, Option<String>, String, Option<String>)> = Vec::new();
    let mut block: Option<String> = None;
    for line in text.lines() {
        let (toks, indirect) = tokens(line);
        if toks.is_empty() {
            continue;
        }
        let (verb, args): (String, &[String]) = match &block {
            Some(b) if toks[0] == ")" => {
                let _ = b;
                block = None;
                continue;
            }
            Some(b) => (b.clone(), &toks[..]),
            None => {
                if toks.len() == 2 && toks[1] == "(" {
                    block = Some(toks[0].clone());
                    continue;
                }
                (toks[0].clone(), &toks[1..])
            }
        };
        match verb.as_str() {
            "module" => m.module = args.first().cloned(),
            "go" => m.go = args.first().cloned(),
            // A module path and a version, neither empty (`require "" v1` names no module).
            "require" if args.len() >= 2 && !args[0].is_empty() && !args[1].is_empty() => {
                m.require.push(Required {
                    path: args[0].clone(),
                    version: args[1].clone(),
                    indirect,
                })
            }
            "replace" => {
                // `old [v] => new [v]`
                if let Some(arrow) = args.iter().position(|a| a == "=>") {
                    let (old, new) = (&args[..arrow], &args[arrow + 1..]);
                    if let (Some(o), Some(n)) = (
                        old.first().filter(|o| !o.is_empty()),
                        new.first().filter(|n| !n.is_empty()),
                    ) {
                        replaces.push((
                            o.clone(),
                            old.get(1).cloned(),
                            n.clone(),
                            new.get(1).cloned(),
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for r in m.require {
        let rep = replaces
            .iter()
            .find(|(o, ov, _, _)| *o == r.path && ov.as_ref().is_none_or(|v| *v == r.version));
        match rep {
            None => out.push(r),
            // A local directory (`./x`, `../x`, `/abs`) is no published module.
            Some((_, _, new, None)) if new.starts_with('.') || new.starts_with('/') => {}
            Some((_, _, new, nv)) => out.push(Required {
                path: new.clone(),
                version: nv.clone().unwrap_or(r.version),
                indirect: r.indirect,
            }),
        }
    }
    m.require = out;
    m
}

/// Add the modules of the index's `go.mod` files to `packages`.
pub(crate) fn analyze_ctx(
    index: &bulkhead_image::ImageIndex,
    packages: &mut Vec<bulkhead_core::Package>,
    ctx: &mut crate::Ctx,
) {
    use bulkhead_core::{Package, PackageKind};
    let files = crate::captured_paths(index, wants);
    let mut fw = crate::FileWarnings::default();
    for path in files {
        let Some(data) = index.read(path) else {
            continue;
        };
        let m = parse(data);
        if m.module.is_none() {
            fw.push(ctx, || {
                format!("/{path}: no `module` directive (not a go.mod)")
            });
            continue;
        }
        for r in m.require {
            let p = Package {
                kind: Some(PackageKind::Golang),
                name: r.path,
                version: r.version,
                layer: crate::layer_of(index, path),
                db_path: format!("/{path}"),
                ..Default::default()
            };
            crate::push_package(ctx, &mut fw, packages, p, path, "a module");
        }
    }
    fw.finish(ctx, "go.mod files");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requires_blocks_indirect_and_replacements() {
        let m = parse(
            br#"module example.com/app // the app

go 1.21

require github.com/a/b v1.2.3
require (
	golang.org/x/net v0.0.0-20211111083644-e5c967477495
	github.com/docker/distribution v2.7.1+incompatible // indirect
	example.com/local v1.0.0
	example.com/old v1.0.0
)

replace example.com/local => ../local
replace (
	example.com/old v1.0.0 => example.com/new v1.1.0
)
exclude github.com/a/b v1.2.2
"#,
        );
        assert_eq!(m.module.as_deref(), Some("example.com/app"));
        assert_eq!(m.go.as_deref(), Some("1.21"));
        let got: Vec<(&str, &str, bool)> = m
            .require
            .iter()
            .map(|r| (r.path.as_str(), r.version.as_str(), r.indirect))
            .collect();
        assert_eq!(
            got,
            [
                ("github.com/a/b", "v1.2.3", false),
                (
                    "golang.org/x/net",
                    "v0.0.0-20211111083644-e5c967477495",
                    false
                ),
                (
                    "github.com/docker/distribution",
                    "v2.7.1+incompatible",
                    true
                ),
                ("example.com/new", "v1.1.0", false),
            ]
        );
        assert!(wants("svc/go.mod") && !wants("svc/vendor/x/go.mod"));
        assert!(parse(b"\xff\xfe garbage (").module.is_none());
        // Found by the go_mod fuzz target: a quoted empty module path is no requirement.
        let m = parse(
            b"module x\nrequire \" \"\" ! \" \"\nrequire \"\" v1.0.0\nreplace a => \"\" v1\n",
        );
        assert!(
            m.require.iter().all(|r| !r.path.is_empty()),
            "{:?}",
            m.require
        );
    }
}
