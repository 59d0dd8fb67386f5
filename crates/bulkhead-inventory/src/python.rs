//! Installed Python distributions, as Trivy's python-pkg analyzer and Syft's python cataloger read
//! them: wheel installs (`<site>/<name>-<ver>.dist-info/METADATA`, with file ownership from the
//! `RECORD` next to it) and setuptools/distutils installs (`<site>/<name>.egg-info/PKG-INFO`, or a
//! single-file `<site>/<name>-<ver>-pyX.Y.egg-info`), where `<site>` is any directory named
//! `site-packages` or `dist-packages`, anywhere in the image (system Python, `/usr/local`, virtualenvs).
//!
//! The metadata is an RFC 822 header block (core metadata spec): Name, Version, License-Expression
//! (PEP 639) / License / `Classifier: License :: …`, Author. Everything after the first empty line is
//! the long description and is not read. RECORD is CSV whose first column is a path relative to the
//! site directory (`six.py`, `../../../bin/wheel`); paths are resolved to absolute image paths, and
//! ones that climb above the image root are dropped.
//!
//! One distribution per (site directory, PEP 503 name, version): a `.dist-info` wins over an
//! `.egg-info` for the same release. The same release in two site directories is two packages.

use crate::{Ctx, FileWarnings, layer_of};
use bulkhead_core::purl::pep503_normalize;
use bulkhead_core::{Package, PackageKind};
use bulkhead_image::ImageIndex;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};

/// Whether `dir` (a normalised path) is a site directory: its last component is `site-packages` or
/// `dist-packages`.
fn is_site_dir(dir: &str) -> bool {
    let last = dir.rsplit_once('/').map_or(dir, |(_, l)| l);
    last == "site-packages" || last == "dist-packages"
}

/// `dir` is `<site>/<something><suffix>`: returns `<site>`.
fn meta_dir_site<'a>(dir: &'a str, suffix: &str) -> Option<&'a str> {
    let (site, name) = dir.rsplit_once('/')?;
    (name.len() > suffix.len() && name.ends_with(suffix) && is_site_dir(site)).then_some(site)
}

/// Whether `path` is Python distribution metadata this analyzer reads. Called for every path of every
/// layer, so it only looks at the last two or three components, cheapest test first.
pub fn wants(path: &str) -> bool {
    let Some((dir, file)) = path.rsplit_once('/') else {
        return false;
    };
    match file {
        "METADATA" | "RECORD" => meta_dir_site(dir, ".dist-info").is_some(),
        "PKG-INFO" => meta_dir_site(dir, ".egg-info").is_some(),
        _ => file.len() > ".egg-info".len() && file.ends_with(".egg-info") && is_site_dir(dir),
    }
}

/// The fields of a core-metadata header block this analyzer uses.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Metadata {
    pub name: Option<String>,
    pub version: Option<String>,
    pub licenses: Vec<String>,
    pub author: Option<String>,
}

/// Parse the header block of a METADATA / PKG-INFO file. Continuation lines (starting with a space or
/// a tab) are folded into the field before them; the block ends at the first empty line. The first
/// occurrence of a single-valued field wins, as in Python's `email` parser (`msg['Name']`).
///
/// Licences: `License-Expression` (PEP 639) if present; else `License` when it is a name (one line,
/// not `UNKNOWN`) rather than pasted licence text; else the last segment of every
/// `Classifier: License :: …` (`License :: OSI Approved :: MIT License` → `MIT License`).
///
/// Streams the header lines: only the fields used are kept (each value at most
/// [`crate::control::MAX_FIELD`] bytes, at most [`crate::MAX_LICENSES`] licences), so a header block
/// of millions of lines or a 100 MiB `Description` header costs no more than a small one.
pub fn parse_metadata(text: &str) -> Metadata {
    use crate::control::MAX_FIELD;
    /// A kept single-valued field: first value, and whether it spans several lines.
    #[derive(Default)]
    struct One {
        value: Option<String>,
        multi: bool,
    }
    let mut name = One::default();
    let mut version = One::default();
    let mut license_expr = One::default();
    let mut license = One::default();
    let mut author = One::default();
    let mut author_email = One::default();
    let mut classifiers: Vec<String> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    // The field the continuation lines belong to, when it is one we keep (and is still being read).
    let mut current: Option<&mut One> = None;
    for line in text.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(one) = current.as_deref_mut() {
                one.multi = true;
                let cont = line.trim();
                if let Some(v) = one.value.as_mut()
                    && !cont.is_empty()
                    && v.len() + cont.len() < MAX_FIELD
                {
                    if !v.is_empty() {
                        v.push('\n');
                    }
                    v.push_str(cont);
                }
            }
            continue;
        }
        current = None;
        // Lines without a colon are not headers (Python's parser would stop and treat the rest as
        // the body; being lenient here only matters for damaged files).
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let k = k.trim();
        let v = v.trim();
        let is = |want: &str| k.eq_ignore_ascii_case(want);
        let one = if is("name") {
            &mut name
        } else if is("version") {
            &mut version
        } else if is("license-expression") {
            &mut license_expr
        } else if is("license") {
            &mut license
        } else if is("author") {
            &mut author
        } else if is("author-email") {
            &mut author_email
        } else if is("classifier") {
            if let Some(rest) = v.strip_prefix("License ::") {
                let last = rest.rsplit("::").next().unwrap_or("").trim();
                if !last.is_empty()
                    && last.len() <= MAX_FIELD
                    && classifiers.len() < crate::MAX_LICENSES
                    && seen.insert(last.to_string())
                {
                    classifiers.push(last.to_string());
                }
            }
            continue;
        } else {
            continue;
        };
        if one.value.is_none() {
            let mut end = v.len().min(MAX_FIELD);
            while !v.is_char_boundary(end) {
                end -= 1;
            }
            one.value = Some(v[..end].to_string());
            current = Some(one);
        }
    }
    let nonempty = |one: &One| {
        one.value
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let mut licenses = Vec::new();
    if let Some(expr) = nonempty(&license_expr) {
        licenses.push(expr);
    } else if let Some(l) = license.value.as_deref()
        && !license.multi
        && !l.is_empty()
        && !l.eq_ignore_ascii_case("UNKNOWN")
    {
        licenses.push(l.to_string());
    } else {
        licenses = classifiers;
    }
    Metadata {
        name: nonempty(&name),
        version: nonempty(&version),
        licenses,
        author: nonempty(&author).or_else(|| nonempty(&author_email)),
    }
}

/// The first column of every row of a RECORD file (CSV: `path,hash,size`; a path containing a comma or
/// a quote is quoted, with `""` for a quote).
pub fn record_paths(text: &str) -> Vec<String> {
    record_rows(text).map(|p| p.into_owned()).collect()
}

/// [`record_paths`] as a stream, without copying unquoted paths.
fn record_rows(text: &str) -> impl Iterator<Item = Cow<'_, str>> {
    text.lines().filter_map(|line| {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            return None;
        }
        let path = if let Some(rest) = line.strip_prefix('"') {
            let mut p = String::new();
            let mut chars = rest.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '"' {
                    if chars.peek() == Some(&'"') {
                        chars.next();
                        p.push('"');
                    } else {
                        break;
                    }
                } else {
                    p.push(c);
                }
            }
            Cow::Owned(p)
        } else {
            Cow::Borrowed(line.split(',').next().unwrap_or(""))
        };
        (!path.is_empty()).then_some(path)
    })
}

/// Resolve a RECORD (or any site-relative) path against the site directory: `.` and `..` are applied
/// lexically, absolute paths are taken as image paths. Returns the absolute image path, or `None` when
/// the path climbs above the image root.
pub fn resolve_record_path(site: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = if rel.starts_with('/') {
        Vec::new()
    } else {
        site.split('/').filter(|c| !c.is_empty()).collect()
    };
    for c in rel.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            c => parts.push(c),
        }
    }
    if parts.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    for p in parts {
        out.push('/');
        out.push_str(p);
    }
    Some(out)
}

/// Which metadata form a captured path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Form {
    DistInfo,
    EggInfoDir,
    EggInfoFile,
}

/// Add the Python distributions of the index to `packages`.
pub(crate) fn analyze_ctx(index: &ImageIndex, packages: &mut Vec<Package>, ctx: &mut Ctx) {
    // (form, site dir, metadata path) for every captured metadata file; RECORDs by their dist-info dir.
    let mut metas: Vec<(Form, &str, &str)> = Vec::new();
    let mut records: BTreeMap<&str, &[u8]> = BTreeMap::new();
    for (path, cap) in index.captured() {
        let Some((dir, file)) = path.rsplit_once('/') else {
            continue;
        };
        match file {
            "METADATA" => {
                if let Some(site) = meta_dir_site(dir, ".dist-info") {
                    metas.push((Form::DistInfo, site, path));
                }
            }
            "RECORD" => {
                if meta_dir_site(dir, ".dist-info").is_some() {
                    records.insert(dir, cap.data.as_slice());
                }
            }
            "PKG-INFO" => {
                if let Some(site) = meta_dir_site(dir, ".egg-info") {
                    metas.push((Form::EggInfoDir, site, path));
                }
            }
            _ => {
                if file.ends_with(".egg-info") && is_site_dir(dir) {
                    metas.push((Form::EggInfoFile, dir, path));
                }
            }
        }
    }
    // dist-info first, so that it wins over an egg-info of the same release.
    metas.sort();
    let mut seen: HashSet<(String, String, String)> = HashSet::new();
    let mut fw = FileWarnings::default();
    for (form, site, path) in metas {
        let Some(data) = index.read(path) else {
            continue;
        };
        let md = parse_metadata(&String::from_utf8_lossy(data));
        let (Some(name), Some(version)) = (md.name, md.version) else {
            fw.push(ctx, || {
                format!("/{path}: skipped Python distribution metadata without Name or Version")
            });
            continue;
        };
        if !seen.insert((site.to_string(), pep503_normalize(&name), version.clone())) {
            continue;
        }
        let mut files = Vec::new();
        if form == Form::DistInfo {
            let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
            if let Some(rec) = records.get(dir) {
                for p in record_rows(&String::from_utf8_lossy(rec)) {
                    if let Some(abs) = resolve_record_path(site, &p) {
                        ctx.keep_path(&mut files, abs);
                    }
                }
                crate::only_files(index, &mut files);
            }
        }
        let mut p = Package {
            kind: Some(PackageKind::PyPI),
            name,
            version,
            licenses: md.licenses,
            maintainer: md.author,
            layer: layer_of(index, path),
            db_path: format!("/{path}"),
            files,
            ..Default::default()
        };
        match ctx.admit(&mut p) {
            Ok(true) => packages.push(p),
            Ok(false) => {}
            Err(field) => fw.push(ctx, || {
                format!(
                    "/{path}: skipped Python distribution {}: its {field} is longer than {} bytes",
                    bulkhead_image::shown(&p.name),
                    crate::MAX_PACKAGE_FIELD
                )
            }),
        }
    }
    fw.finish(ctx, "site-packages");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wanted_paths() {
        for p in [
            "usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA",
            "usr/lib/python3/dist-packages/six-1.16.0.dist-info/RECORD",
            "opt/venv/lib/python3.12/site-packages/Django-2.2.28.dist-info/METADATA",
            "site-packages/a.dist-info/METADATA",
            "usr/lib/python3/dist-packages/toml-0.10.2.egg-info/PKG-INFO",
            "usr/lib/python3/dist-packages/crit-3.17.1-py3.11.egg-info",
        ] {
            assert!(wants(p), "{p}");
        }
        for p in [
            "METADATA",
            "usr/share/doc/x.dist-info/METADATA",
            "usr/lib/python3/dist-packages/x.dist-info/WHEEL",
            "usr/lib/python3/dist-packages/.dist-info/METADATA",
            "usr/lib/python3/dist-packages/pkg/sub.dist-info/METADATA",
            "usr/lib/python3/dist-packages/x.egg/EGG-INFO/PKG-INFO",
            "usr/lib/python3/dist-packages/x.egg-info/requires.txt",
            "usr/lib/python3/dist-packages/pkg/x.egg-info",
            "usr/lib/python3/dist-packages/.egg-info",
            "var/lib/dpkg/status",
            "usr/lib/python3/dist-packages/x.dist-info/METADATA/",
        ] {
            assert!(!wants(p), "{p}");
        }
    }

    #[test]
    fn headers_fold_and_stop_at_the_body() {
        let md = parse_metadata(
            "Metadata-Version: 1.2\r\nName: toml\r\nVersion: 0.10.2\r\nAuthor: William Pearson\r\n\
             License: MIT\r\nDescription: ****\r\n        TOML\r\n        \r\n\
             Classifier: License :: OSI Approved :: MIT License\r\n\r\nName: body\r\n",
        );
        assert_eq!(md.name.as_deref(), Some("toml"));
        assert_eq!(md.version.as_deref(), Some("0.10.2"));
        assert_eq!(md.licenses, vec!["MIT"]);
        assert_eq!(md.author.as_deref(), Some("William Pearson"));
    }

    #[test]
    fn license_precedence() {
        let md = parse_metadata(
            "Name: a\nVersion: 1\nLicense: BSD\nLicense-Expression: MIT OR Apache-2.0\n",
        );
        assert_eq!(md.licenses, vec!["MIT OR Apache-2.0"]);
        // Pasted licence text is not a licence name: fall back to the classifiers.
        let md = parse_metadata(
            "Name: a\nVersion: 1\nLicense: BSD 3-Clause License\n        \n        Copyright (c) x\n\
             Classifier: License :: OSI Approved :: BSD License\n\
             Classifier: License :: OSI Approved :: Apache Software License\n\
             Classifier: License :: OSI Approved :: BSD License\n",
        );
        assert_eq!(md.licenses, vec!["BSD License", "Apache Software License"]);
        let md = parse_metadata("Name: a\nVersion: 1\nLicense: UNKNOWN\n");
        assert!(md.licenses.is_empty());
        let md = parse_metadata("Name: a\nVersion: 1\nAuthor-email: A <a@b.c>\n");
        assert_eq!(md.author.as_deref(), Some("A <a@b.c>"));
        let md = parse_metadata("Name:\nVersion: 1\n");
        assert_eq!(md.name, None);
    }

    #[test]
    fn record_rows() {
        assert_eq!(
            record_paths(
                "six.py,sha256=x,1\r\n\"odd,name\"\"q.py\",,\n\n../../../bin/wheel,sha256=y,2\n"
            ),
            vec!["six.py", "odd,name\"q.py", "../../../bin/wheel"]
        );
        let site = "usr/local/lib/python3.11/site-packages";
        assert_eq!(
            resolve_record_path(site, "../../../bin/wheel").as_deref(),
            Some("/usr/local/bin/wheel")
        );
        assert_eq!(
            resolve_record_path(site, "./six.py").as_deref(),
            Some("/usr/local/lib/python3.11/site-packages/six.py")
        );
        assert_eq!(
            resolve_record_path(site, "/etc/x.conf").as_deref(),
            Some("/etc/x.conf")
        );
        assert_eq!(
            resolve_record_path(site, "../../../../../../etc/passwd"),
            None
        );
        assert_eq!(resolve_record_path(site, "../../../../.."), None);
    }
}
