//! dpkg databases: `var/lib/dpkg/status` (only installed packages), distroless `status.d/*` (one
//! paragraph per file, no Status field), and file ownership from `info/<pkg>[:<arch>].list` (or the
//! distroless `status.d/<pkg>.md5sums`). Source package name and version come from `Source:`
//! (`Source: gcc-5 (5.1.1-12)`), falling back to the binary package.

use crate::control::{Item, MAX_FIELD, Paragraph, fields};
use crate::{Ctx, FileWarnings, MAX_PACKAGE_FIELD, Relations, layer_of, link_relations};
use bulkhead_core::{Package, PackageKind};
use bulkhead_image::ImageIndex;
use std::collections::HashSet;

const STATUS: &str = "var/lib/dpkg/status";
const STATUS_D: &str = "var/lib/dpkg/status.d/";
const INFO: &str = "var/lib/dpkg/info/";

/// Whether `path` is part of a dpkg database.
pub fn wants(path: &str) -> bool {
    path == STATUS
        || (path.starts_with(STATUS_D) && !path[STATUS_D.len()..].contains('/'))
        || (path.starts_with(INFO) && path.ends_with(".list") && !path[INFO.len()..].contains('/'))
}

/// Split a dpkg version into (epoch, upstream-revision).
pub fn split_epoch(v: &str) -> (Option<u32>, String) {
    match v.split_once(':') {
        Some((e, rest)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => {
            (e.parse().ok(), rest.to_string())
        }
        _ => (None, v.to_string()),
    }
}

/// dpkg's installed state: the third word of `Status:` (`install ok installed` → installed).
/// Paragraphs without a Status (distroless status.d) count as installed.
pub fn is_installed(p: &Paragraph) -> bool {
    match p.get("Status") {
        None => true,
        Some(s) => s.split_whitespace().nth(2) == Some("installed"),
    }
}

/// Parse one paragraph into a package (None when Package or Version is missing or invalid).
pub fn package_from(p: &Paragraph, db_path: &str) -> Option<Package> {
    let name = p.get("Package")?.trim();
    let full_version = p.get("Version")?.trim();
    if name.is_empty() || full_version.is_empty() || !valid_version(full_version) {
        return None;
    }
    let (epoch, version) = split_epoch(full_version);
    let (src_name, src_full) = match p.get("Source") {
        Some(s) => {
            let s = s.trim();
            match s.split_once('(') {
                Some((n, v)) => (
                    n.trim().to_string(),
                    v.trim_end_matches(')').trim().to_string(),
                ),
                None => (s.to_string(), full_version.to_string()),
            }
        }
        None => (name.to_string(), full_version.to_string()),
    };
    let (src_epoch, src_version) = split_epoch(&src_full);
    Some(Package {
        kind: Some(PackageKind::Deb),
        name: name.to_string(),
        version,
        epoch,
        arch: p.get("Architecture").map(str::to_string),
        src_name: Some(src_name),
        src_version: Some(src_version),
        src_epoch,
        maintainer: p.get("Maintainer").map(str::to_string),
        db_path: format!("/{db_path}"),
        ..Default::default()
    })
}

/// dpkg refuses versions that do not start with a digit (after the epoch) or contain characters outside
/// `[A-Za-z0-9.+~:-]`; such entries are skipped with a warning, as dpkg-query does.
fn valid_version(v: &str) -> bool {
    let (_, rest) = split_epoch(v);
    if v.contains(':')
        && !v
            .split(':')
            .next()
            .unwrap_or("")
            .bytes()
            .all(|b| b.is_ascii_digit())
    {
        return false;
    }
    rest.starts_with(|c: char| c.is_ascii_digit())
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".+~-:".contains(&b))
}

/// The paths of a `.list` file, one per line, charged to the file-list budget.
fn list_paths(text: &str, ctx: &mut Ctx) -> Vec<String> {
    let mut out = Vec::new();
    for l in text.lines().map(str::trim) {
        if !l.is_empty() && l != "/." && l != "/" && ctx.charge_path(l.len()) {
            out.push(l.to_string());
        }
    }
    out
}

/// The paths of a distroless `status.d/<pkg>.md5sums` (`<md5>  <path>` lines).
fn md5sums_paths(text: &str, ctx: &mut Ctx) -> Vec<String> {
    let mut out = Vec::new();
    for (_, p) in text
        .lines()
        .filter_map(|l| l.split_once(char::is_whitespace))
    {
        let p = p.trim().trim_start_matches('/');
        if ctx.charge_path(p.len() + 1) {
            let mut path = String::with_capacity(p.len() + 1);
            path.push('/');
            path.push_str(p);
            out.push(path);
        }
    }
    out
}

/// The fields a package is made of (the others, `Description` above all, are skipped unread).
const FIELDS: &[&str] = &[
    "Package",
    "Version",
    "Source",
    "Architecture",
    "Maintainer",
    "Status",
    "Depends",
    "Pre-Depends",
    "Provides",
];

/// The package names of a relationship field (`libc6 (>= 2.34), debconf | debconf-2.0,
/// libfoo:any`): one group of alternatives per comma, versions and architecture qualifiers
/// dropped.
fn relation_names(field: Option<&str>) -> impl Iterator<Item = Vec<String>> + '_ {
    field.into_iter().flat_map(|f| {
        f.split(',').filter_map(|group| {
            let alts: Vec<String> = group
                .split('|')
                .filter_map(|alt| {
                    let name = alt.trim().split(['(', ' ', '\t', '[', '<']).next()?;
                    let name = name.split(':').next()?;
                    (!name.is_empty()).then(|| name.to_string())
                })
                .collect();
            (!alts.is_empty()).then_some(alts)
        })
    })
}

/// A paragraph's `Depends`, `Pre-Depends` and `Provides`.
fn relations(p: &Paragraph) -> Relations {
    Relations {
        needs: relation_names(p.get("Pre-Depends"))
            .chain(relation_names(p.get("Depends")))
            .collect(),
        provides: relation_names(p.get("Provides")).flatten().collect(),
    }
}

/// Parse the text of a status file (or status.d entry) into installed packages.
/// Each package's `depends_on` names the installed packages of the same text that its `Depends`
/// and `Pre-Depends` name or that provide what they name.
pub fn parse_status(text: &str, db_path: &str, warnings: &mut Vec<String>) -> Vec<Package> {
    let limits = crate::Limits::default();
    let mut ctx = Ctx::new(&limits);
    let (mut out, rels): (Vec<Package>, Vec<Relations>) = parse_status_ctx(text, db_path, &mut ctx)
        .into_iter()
        .unzip();
    link_relations(&mut out, &rels);
    warnings.extend(ctx.finish());
    out
}

/// [`parse_status`], streaming one paragraph at a time: memory is one paragraph's kept fields.
pub(crate) fn parse_status_ctx(
    text: &str,
    db_path: &str,
    ctx: &mut Ctx,
) -> Vec<(Package, Relations)> {
    let mut out = Vec::new();
    let mut fw = FileWarnings::default();
    let mut cur = Paragraph::default();
    let mut too_long: Option<&str> = None;
    let malformed = fields(
        text,
        |n| FIELDS.iter().any(|f| f.eq_ignore_ascii_case(n)),
        |item| match item {
            Item::Field {
                start,
                name,
                value,
                truncated,
            } => {
                cur.line = start;
                // A cut Maintainer is still a package; a cut name or version is not trusted.
                if truncated && !name.eq_ignore_ascii_case("Maintainer") {
                    too_long.get_or_insert(name);
                }
                cur.fields.push((name, value.into_owned()));
            }
            Item::End { start } => {
                let p = std::mem::take(&mut cur);
                if let Some(field) = too_long.take() {
                    fw.push(ctx, || {
                        format!(
                            "/{db_path}:{start}: skipped package {}: field {field} is longer than \
                             {MAX_FIELD} bytes",
                            bulkhead_image::shown(p.get("Package").unwrap_or(""))
                        )
                    });
                    return;
                }
                if !is_installed(&p) {
                    return;
                }
                match package_from(&p, db_path) {
                    Some(mut pkg) => match ctx.admit(&mut pkg) {
                        Ok(true) => out.push((pkg, relations(&p))),
                        Ok(false) => {}
                        Err(field) => fw.push(ctx, || {
                            format!(
                                "/{db_path}:{start}: skipped package {}: its {field} is longer \
                                 than {MAX_PACKAGE_FIELD} bytes",
                                bulkhead_image::shown(&pkg.name)
                            )
                        }),
                    },
                    None => fw.push(ctx, || {
                        format!(
                            "/{db_path}:{}: skipped package {}: missing or invalid Package/Version",
                            p.line,
                            bulkhead_image::shown(p.get("Package").unwrap_or(""))
                        )
                    }),
                }
            }
        },
    );
    if let Some(w) = malformed.warning(db_path) {
        ctx.warn(|| w);
    }
    fw.finish(ctx, db_path);
    out
}

/// Whether a status.d entry named `name` is a package paragraph (not one of dpkg's control files).
fn is_status_d_paragraph(name: &str) -> bool {
    !name.contains('.')
        || !name.rsplit_once('.').is_some_and(|(_, ext)| {
            matches!(
                ext,
                "preinst"
                    | "postinst"
                    | "prerm"
                    | "postrm"
                    | "conffiles"
                    | "list"
                    | "triggers"
                    | "shlibs"
                    | "symbols"
                    | "templates"
                    | "config"
                    | "md5sums"
            )
        })
}

/// Add the dpkg packages of the index to `packages`. File lists are read per package, from the
/// `.list` (or distroless `.md5sums`) that belongs to it, and each at most once: a status file
/// naming one package a million times does not read its list a million times.
pub(crate) fn analyze_ctx(index: &ImageIndex, packages: &mut Vec<Package>, ctx: &mut Ctx) {
    let mut pkgs = Vec::new();
    let mut rels = Vec::new();
    if let Some(data) = index.read(STATUS) {
        let layer = layer_of(index, STATUS);
        for (mut p, r) in parse_status_ctx(&String::from_utf8_lossy(data), STATUS, ctx) {
            p.layer = layer.clone();
            pkgs.push(p);
            rels.push(r);
        }
    }
    for (path, cap) in index.captured() {
        if let Some(name) = path.strip_prefix(STATUS_D)
            && is_status_d_paragraph(name)
        {
            let layer = layer_of(index, path);
            for (mut p, r) in parse_status_ctx(&String::from_utf8_lossy(&cap.data), path, ctx) {
                p.layer = layer.clone();
                pkgs.push(p);
                rels.push(r);
            }
        }
    }
    // Distroless keeps one paragraph per file: its packages depend on each other across files.
    link_relations(&mut pkgs, &rels);
    let mut listed: HashSet<String> = HashSet::new();
    for p in &mut pkgs {
        let arch_list = p
            .arch
            .as_ref()
            .map(|a| format!("{INFO}{}:{a}.list", p.name))
            .filter(|l| index.read(l).is_some());
        let list = arch_list.unwrap_or_else(|| format!("{INFO}{}.list", p.name));
        if let Some(data) = index.read(&list) {
            if !listed.insert(list.clone()) {
                continue;
            }
            p.files = list_paths(&String::from_utf8_lossy(data), ctx);
            // The .list is rewritten whenever the package is installed or upgraded: the best
            // attribution of the package to a layer.
            if let Some(l) = layer_of(index, &list) {
                p.layer = Some(l);
            }
        } else {
            let sums = format!("{STATUS_D}{}.md5sums", p.name);
            if let Some(data) = index.read(&sums)
                && listed.insert(sums)
            {
                p.files = md5sums_paths(&String::from_utf8_lossy(data), ctx);
            }
        }
        crate::only_files(index, &mut p.files);
    }
    packages.extend(pkgs);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depends_resolve_to_installed_packages() {
        let mut w = Vec::new();
        let text = "Package: mawk\nStatus: install ok installed\nVersion: 1.3.4-1\nProvides: awk\nPre-Depends: libc6 (>= 2.34)\n\n\
             Package: libc6\nStatus: install ok installed\nVersion: 2.36-9\nDepends: libgcc-s1\n\n\
             Package: libgcc-s1\nStatus: install ok installed\nVersion: 12.2.0-14\nDepends: libc6 (>= 2.35), gcc-12-base (= 12.2.0-14)\n\n\
             Package: base-files\nStatus: install ok installed\nVersion: 12.4\nDepends: awk | gawk, missing-pkg, libc6:any, base-files\n\n";
        let p = parse_status(text, STATUS, &mut w);
        let deps = |n: &str| p.iter().find(|x| x.name == n).unwrap().depends_on.clone();
        assert_eq!(deps("mawk"), ["libc6@2.36-9"]);
        assert_eq!(deps("libc6"), ["libgcc-s1@12.2.0-14"]);
        // gcc-12-base is not installed: dropped.
        assert_eq!(deps("libgcc-s1"), ["libc6@2.36-9"]);
        // A virtual package (awk) resolves to its provider; itself is never its own dependency.
        assert_eq!(deps("base-files"), ["libc6@2.36-9", "mawk@1.3.4-1"]);
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn source_and_epoch() {
        let mut w = Vec::new();
        let pkgs = parse_status(
            "Package: libgcc1\nStatus: install ok installed\nSource: gcc-5 (5.1.1-12ubuntu1)\nVersion: 1:5.1.1-12ubuntu1\nArchitecture: amd64\n\n\
             Package: gone\nStatus: deinstall ok config-files\nVersion: 1.0\n\n\
             Package: bad\nStatus: install ok installed\nVersion: 1:5.#\n",
            STATUS,
            &mut w,
        );
        assert_eq!(pkgs.len(), 1);
        assert_eq!(pkgs[0].epoch, Some(1));
        assert_eq!(pkgs[0].version, "5.1.1-12ubuntu1");
        assert_eq!(pkgs[0].src_name.as_deref(), Some("gcc-5"));
        assert_eq!(pkgs[0].src_version.as_deref(), Some("5.1.1-12ubuntu1"));
        assert_eq!(w.len(), 1, "{w:?}");
    }

    #[test]
    fn junk_lines_warn() {
        let mut w = Vec::new();
        let pkgs = parse_status(
            "Package: a\nStatus: install ok installed\nVersion: 1.0\nnot a field\n",
            STATUS,
            &mut w,
        );
        assert_eq!(pkgs.len(), 1);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("line 4"), "{w:?}");
    }
}
