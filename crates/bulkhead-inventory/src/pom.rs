//! Maven projects (`pom.xml`), read for directory scans as Trivy reads them offline: the project
//! itself (`groupId:artifactId` at its version, the root of its dependency edges) and its declared
//! dependencies, versions taken from the dependency, else from `dependencyManagement` (the
//! project's, then its parent's), with `${…}` properties resolved from `<properties>` (the
//! project's, then its parent's) and `project.version`/`project.groupId`/`project.artifactId`
//! (and their `parent.` forms). The parent POM is read when the directory holds it
//! (`relativePath`, default `../pom.xml`). `test` and `provided` dependencies are
//! development-only (Trivy leaves them out); `system`/`import` ones are not packages.
//! Transitive dependencies need the dependencies' own POMs from a Maven repository, which a
//! directory scan does not reach: they are not listed (Trivy offline lists none either), and a
//! version that stays unresolved is a warning, never a guess.

use crate::Locked;
use std::collections::HashMap;

/// Whether `path` is a Maven project file.
pub fn wants(path: &str) -> bool {
    (path == "pom.xml" || path.ends_with("/pom.xml")) && !path.contains("/target/")
}

/// One `<dependency>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dep {
    pub group: String,
    pub artifact: String,
    pub version: String,
    pub scope: String,
}

/// What a POM declares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pom {
    pub group: String,
    pub artifact: String,
    pub version: String,
    pub parent: Option<(String, String, String, String)>,
    pub properties: HashMap<String, String>,
    pub managed: Vec<Dep>,
    pub dependencies: Vec<Dep>,
}

/// Parse a POM (XML; element names matched without namespace prefixes).
pub fn parse(data: &[u8]) -> Result<Pom, quick_xml::Error> {
    use quick_xml::events::Event;
    let mut r = quick_xml::Reader::from_reader(data);
    r.config_mut().trim_text(true);
    let mut stack: Vec<String> = Vec::new();
    let mut pom = Pom::default();
    let mut dep = Dep::default();
    let mut parent = (String::new(), String::new(), String::new(), String::new());
    let mut has_parent = false;
    let mut buf = Vec::new();
    loop {
        match r.read_event_into(&mut buf)? {
            Event::Eof => break,
            Event::Start(e) => {
                let name = AsRef::<str>::as_ref(&e.local_name()).to_string();
                if stack.len() > 64 {
                    return Err(quick_xml::Error::Io(std::sync::Arc::new(
                        std::io::Error::other("elements nested deeper than 64"),
                    )));
                }
                if name == "dependency" {
                    dep = Dep::default();
                }
                if name == "parent" && stack.len() == 1 {
                    has_parent = true;
                }
                stack.push(name);
            }
            Event::End(_) => {
                let name = stack.pop().unwrap_or_default();
                if name == "dependency" {
                    let path: Vec<&str> = stack.iter().map(String::as_str).collect();
                    match path.as_slice() {
                        ["project", "dependencies"] => pom.dependencies.push(dep.clone()),
                        ["project", "dependencyManagement", "dependencies"] => {
                            pom.managed.push(dep.clone())
                        }
                        _ => {}
                    }
                }
            }
            Event::Text(t) => {
                let text = t.xml10_content().into_owned();
                let text = text.trim().to_string();
                let path: Vec<&str> = stack.iter().map(String::as_str).collect();
                match path.as_slice() {
                    ["project", "groupId"] => pom.group = text,
                    ["project", "artifactId"] => pom.artifact = text,
                    ["project", "version"] => pom.version = text,
                    ["project", "parent", "groupId"] => parent.0 = text,
                    ["project", "parent", "artifactId"] => parent.1 = text,
                    ["project", "parent", "version"] => parent.2 = text,
                    ["project", "parent", "relativePath"] => parent.3 = text,
                    ["project", "properties", key] => {
                        pom.properties.insert(key.to_string(), text);
                    }
                    [.., "dependency", field] => match *field {
                        "groupId" => dep.group = text,
                        "artifactId" => dep.artifact = text,
                        "version" => dep.version = text,
                        "scope" => dep.scope = text,
                        _ => {}
                    },
                    _ => {}
                }
            }
            _ => {}
        }
        buf.clear();
    }
    if has_parent {
        pom.parent = Some(parent);
    }
    Ok(pom)
}

/// `${name}` references replaced from `props` (at most 10 rounds: a property may name another;
/// a cycle leaves the reference in place).
fn interpolate(s: &str, props: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = s.to_string();
    for _ in 0..10 {
        let Some(start) = out.find("${") else { break };
        let Some(len) = out[start..].find('}') else {
            break;
        };
        let key = out[start + 2..start + len].to_string();
        match props(&key) {
            Some(v) if v.len() <= 1024 => out.replace_range(start..start + len + 1, &v),
            _ => break,
        }
        if out.len() > 4096 {
            break;
        }
    }
    out
}

/// The project and its dependencies, with `parent` the parent POM when the directory has it.
/// Returns the packages and the dependencies whose version stayed unresolved.
pub fn resolve(pom: &Pom, parent: Option<&Pom>) -> (Vec<Locked>, Vec<String>) {
    let pg = pom.parent.as_ref();
    let group = if pom.group.is_empty() {
        pg.map(|p| p.0.clone()).unwrap_or_default()
    } else {
        pom.group.clone()
    };
    let version_raw = if pom.version.is_empty() {
        pg.map(|p| p.2.clone()).unwrap_or_default()
    } else {
        pom.version.clone()
    };
    let props = |key: &str| -> Option<String> {
        match key {
            "project.version" | "pom.version" | "version" => Some(version_raw.clone()),
            "project.groupId" | "pom.groupId" => Some(group.clone()),
            "project.artifactId" | "pom.artifactId" => Some(pom.artifact.clone()),
            "project.parent.version" | "parent.version" => pg.map(|p| p.2.clone()),
            "project.parent.groupId" | "parent.groupId" => pg.map(|p| p.0.clone()),
            _ => pom
                .properties
                .get(key)
                .or_else(|| parent.and_then(|p| p.properties.get(key)))
                .cloned(),
        }
    };
    let version = interpolate(&version_raw, &props);
    let managed = |g: &str, a: &str| -> Option<&Dep> {
        pom.managed
            .iter()
            .chain(parent.into_iter().flat_map(|p| p.managed.iter()))
            .find(|d| interpolate(&d.group, &props) == g && interpolate(&d.artifact, &props) == a)
    };
    let mut out = Vec::new();
    let mut unresolved = Vec::new();
    let mut direct = Vec::new();
    for d in &pom.dependencies {
        let g = interpolate(&d.group, &props);
        let a = interpolate(&d.artifact, &props);
        let m = managed(&g, &a);
        let v = if d.version.is_empty() {
            m.map(|m| m.version.clone()).unwrap_or_default()
        } else {
            d.version.clone()
        };
        let v = interpolate(&v, &props);
        let scope = if d.scope.is_empty() {
            m.map(|m| m.scope.clone()).unwrap_or_default()
        } else {
            d.scope.clone()
        };
        if matches!(scope.as_str(), "system" | "import") || g.is_empty() || a.is_empty() {
            continue;
        }
        if v.is_empty() || v.contains("${") {
            unresolved.push(format!("{g}:{a}"));
            continue;
        }
        let dev = matches!(scope.as_str(), "test" | "provided");
        if !dev {
            direct.push(format!("{g}:{a}@{v}"));
        }
        out.push(Locked {
            name: format!("{g}:{a}"),
            version: v,
            dev,
            ..Default::default()
        });
    }
    if !group.is_empty()
        && !pom.artifact.is_empty()
        && !version.is_empty()
        && !version.contains("${")
    {
        out.insert(
            0,
            Locked {
                name: format!("{group}:{}", pom.artifact),
                version,
                depends_on: direct,
                ..Default::default()
            },
        );
    }
    (out, unresolved)
}

/// Add the projects and dependencies of the index's `pom.xml` files (directory scans).
pub(crate) fn analyze_ctx(
    index: &bulkhead_image::ImageIndex,
    packages: &mut Vec<bulkhead_core::Package>,
    ctx: &mut crate::Ctx,
    dev: bool,
) {
    let mut fw = crate::FileWarnings::default();
    for path in crate::captured_paths(index, wants) {
        let Some(pom) = crate::parse_captured(index, ctx, &mut fw, path, "not a POM", parse) else {
            continue;
        };
        // The parent, when the directory has it (`relativePath`, default `../pom.xml`).
        let parent = pom.parent.as_ref().and_then(|(_, _, _, rel)| {
            let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
            let rel = if rel.is_empty() {
                "../pom.xml"
            } else {
                rel.as_str()
            };
            let rel = if rel.ends_with(".xml") {
                rel.to_string()
            } else {
                format!("{}/pom.xml", rel.trim_end_matches('/'))
            };
            let joined = normalise(&format!("{dir}/{rel}"))?;
            index.read(&joined).and_then(|d| parse(d).ok())
        });
        let (locked, unresolved) = resolve(&pom, parent.as_ref());
        if !unresolved.is_empty() {
            let n = unresolved.len();
            let list = unresolved.join(", ");
            fw.push(ctx, || {
                format!(
                    "/{path}: {n} dependencies have no version a directory scan can resolve \
                     (defined in a parent or BOM POM from a repository): {list}"
                )
            });
        }
        crate::push_locked(
            index,
            ctx,
            &mut fw,
            packages,
            path,
            bulkhead_core::PackageKind::Maven,
            crate::named(locked),
            dev,
        );
    }
    fw.finish(ctx, "pom.xml files");
}

/// `a/b/../c` → `a/c`; `None` when it climbs out of the root.
fn normalise(p: &str) -> Option<String> {
    let mut out: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            c => out.push(c),
        }
    }
    Some(out.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_parent_and_management() {
        let parent = parse(
            br#"<project><groupId>com.example</groupId><artifactId>parent</artifactId><version>2.0.0</version>
            <properties><jackson.version>2.9.1</jackson.version></properties>
            <dependencyManagement><dependencies>
              <dependency><groupId>org.yaml</groupId><artifactId>snakeyaml</artifactId><version>1.33</version></dependency>
            </dependencies></dependencyManagement></project>"#,
        )
        .unwrap();
        let child = parse(
            br#"<?xml version="1.0"?><project xmlns="http://maven.apache.org/POM/4.0.0">
            <parent><groupId>com.example</groupId><artifactId>parent</artifactId><version>2.0.0</version></parent>
            <artifactId>app</artifactId>
            <properties><junit.version>5.7.1</junit.version></properties>
            <dependencies>
              <dependency><groupId>com.fasterxml.jackson.core</groupId><artifactId>jackson-databind</artifactId><version>${jackson.version}</version></dependency>
              <dependency><groupId>org.yaml</groupId><artifactId>snakeyaml</artifactId></dependency>
              <dependency><groupId>org.junit.jupiter</groupId><artifactId>junit-jupiter-api</artifactId><version>${junit.version}</version><scope>test</scope></dependency>
              <dependency><groupId>x</groupId><artifactId>sibling</artifactId><version>${project.version}</version></dependency>
              <dependency><groupId>y</groupId><artifactId>bom-managed</artifactId></dependency>
            </dependencies>
            <build><plugins><plugin><groupId>p</groupId><artifactId>plug</artifactId><version>1</version></plugin></plugins></build>
            </project>"#,
        )
        .unwrap();
        let (l, unresolved) = resolve(&child, Some(&parent));
        let got: Vec<(String, String, bool)> = l
            .iter()
            .map(|l| (l.name.clone(), l.version.clone(), l.dev))
            .collect();
        assert_eq!(
            got,
            [
                ("com.example:app".into(), "2.0.0".into(), false),
                (
                    "com.fasterxml.jackson.core:jackson-databind".into(),
                    "2.9.1".into(),
                    false
                ),
                ("org.yaml:snakeyaml".into(), "1.33".into(), false),
                (
                    "org.junit.jupiter:junit-jupiter-api".into(),
                    "5.7.1".into(),
                    true
                ),
                ("x:sibling".into(), "2.0.0".into(), false),
            ]
        );
        assert_eq!(unresolved, ["y:bom-managed"]);
        assert_eq!(l[0].depends_on.len(), 3);
        assert_eq!(normalise("a/b/../pom.xml").as_deref(), Some("a/pom.xml"));
        assert_eq!(normalise("../pom.xml"), None);
        assert!(parse(b"<project><a></b></project>").is_err());
        // A property that names itself stays unresolved, not expanded forever.
        let p = parse(b"<project><groupId>g</groupId><artifactId>a</artifactId><version>1</version><properties><v>${v}${v}</v></properties><dependencies><dependency><groupId>g</groupId><artifactId>d</artifactId><version>${v}</version></dependency></dependencies></project>").unwrap();
        let (_, unresolved) = resolve(&p, None);
        assert_eq!(unresolved, ["g:d"]);
    }
}
