//! apk's installed database (`lib/apk/db/installed`, also under `usr/lib/apk/db/`): one paragraph per
//! package with single-letter keys — P name, V version, A arch, o origin (source package), L licence,
//! m maintainer, F directory, R file in the last F directory, D dependencies and p provides
//! (space-separated, `so:libc.musl-x86_64.so.1`, `cmd:sh=1.36.1-r15`, `zlib>=1.2`, `!conflict`).

use crate::control::{Item, MAX_FIELD, fields};
use crate::{
    Ctx, FileWarnings, MAX_LICENSES, MAX_PACKAGE_FIELD, Relations, layer_of, link_relations,
};
use bulkhead_core::{Package, PackageKind};
use bulkhead_image::ImageIndex;

const DBS: &[&str] = &["lib/apk/db/installed", "usr/lib/apk/db/installed"];

/// Whether `path` is an apk database.
pub fn wants(path: &str) -> bool {
    DBS.contains(&path)
}

/// Parse the installed database text.
/// Each package's `depends_on` names the installed packages its `D:` names or that provide
/// (`p:`) what it names.
pub fn parse_installed(text: &str, db_path: &str, warnings: &mut Vec<String>) -> Vec<Package> {
    let limits = crate::Limits::default();
    let mut ctx = Ctx::new(&limits);
    let out = parse_installed_ctx(text, db_path, &mut ctx);
    warnings.extend(ctx.finish());
    out
}

/// The names of a `D:` or `p:` value, without version constraints; conflicts (`!name`) left out.
fn names(value: &str) -> impl Iterator<Item = String> + '_ {
    value
        .split_ascii_whitespace()
        .filter(|t| !t.starts_with('!'))
        .filter_map(|t| t.split(['=', '<', '>', '~']).next())
        .filter(|n| !n.is_empty())
        .map(str::to_string)
}

/// [`parse_installed`], streaming one field at a time: memory is the packages built, whose file
/// lists are charged to the file-list budget.
pub(crate) fn parse_installed_ctx(text: &str, db_path: &str, ctx: &mut Ctx) -> Vec<Package> {
    let mut out = Vec::new();
    let mut rels = Vec::new();
    let mut rel = Relations::default();
    let mut fw = FileWarnings::default();
    let new_pkg = || Package {
        kind: Some(PackageKind::Apk),
        db_path: format!("/{db_path}"),
        ..Default::default()
    };
    let mut pkg = new_pkg();
    let mut dir = String::new();
    let mut too_long: Option<&str> = None;
    let malformed = fields(
        text,
        |k| matches!(k, "P" | "V" | "A" | "o" | "L" | "m" | "F" | "R" | "D" | "p"),
        |item| match item {
            Item::Field {
                name,
                value,
                truncated,
                ..
            } => {
                if truncated && matches!(name, "P" | "V" | "A" | "o" | "F") {
                    too_long.get_or_insert(name);
                }
                match name {
                    "P" => pkg.name = value.into_owned(),
                    "V" => pkg.version = value.into_owned(),
                    "A" => pkg.arch = Some(value.into_owned()),
                    "o" => pkg.src_name = Some(value.into_owned()),
                    "L" => pkg.licenses = split_license(&value),
                    "m" => pkg.maintainer = Some(value.into_owned()),
                    "F" => dir = value.into_owned(),
                    "D" => rel.needs.extend(names(&value).map(|n| vec![n])),
                    "p" => rel.provides.extend(names(&value)),
                    "R" => {
                        let len = if dir.is_empty() {
                            1 + value.len()
                        } else {
                            2 + dir.len() + value.len()
                        };
                        if ctx.charge_path(len) {
                            // Exactly sized: `format!` may reserve twice the length.
                            let mut path = String::with_capacity(len);
                            path.push('/');
                            if !dir.is_empty() {
                                path.push_str(&dir);
                                path.push('/');
                            }
                            path.push_str(&value);
                            pkg.files.push(path);
                        }
                    }
                    _ => {}
                }
            }
            Item::End { start } => {
                let mut p = std::mem::replace(&mut pkg, new_pkg());
                let r = std::mem::take(&mut rel);
                dir.clear();
                if let Some(field) = too_long.take() {
                    fw.push(ctx, || {
                        format!(
                            "/{db_path}:{start}: skipped entry {}: field {field} is longer than \
                             {MAX_FIELD} bytes",
                            bulkhead_image::shown(&p.name)
                        )
                    });
                    return;
                }
                if p.name.is_empty() || p.version.is_empty() {
                    fw.push(ctx, || {
                        format!("/{db_path}:{start}: skipped entry without P: or V:")
                    });
                    return;
                }
                if p.src_name.is_none() {
                    p.src_name = Some(p.name.clone());
                }
                p.src_version = Some(p.version.clone());
                match ctx.admit(&mut p) {
                    Ok(true) => {
                        out.push(p);
                        rels.push(r);
                    }
                    Ok(false) => {}
                    Err(field) => fw.push(ctx, || {
                        format!(
                            "/{db_path}:{start}: skipped entry {}: its {field} is longer than \
                             {MAX_PACKAGE_FIELD} bytes",
                            bulkhead_image::shown(&p.name)
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
    link_relations(&mut out, &rels);
    out
}

fn split_license(v: &str) -> Vec<String> {
    v.split(" AND ")
        .flat_map(|s| s.split_whitespace().filter(|w| *w != "AND"))
        .filter(|s| !s.is_empty())
        .take(MAX_LICENSES)
        .map(str::to_string)
        .collect()
}

/// Add the apk packages of the index to `packages`.
pub(crate) fn analyze_ctx(index: &ImageIndex, packages: &mut Vec<Package>, ctx: &mut Ctx) {
    for db in DBS {
        if let Some(data) = index.read(db) {
            let layer = layer_of(index, db);
            for mut p in parse_installed_ctx(&String::from_utf8_lossy(data), db, ctx) {
                p.layer = layer.clone();
                crate::only_files(index, &mut p.files);
                packages.push(p);
            }
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_and_origin() {
        let mut w = Vec::new();
        let p = parse_installed(
            "C:Q1x=\nP:musl\nV:1.2.4-r2\nA:x86_64\no:musl\nL:MIT\nF:lib\nR:libc.musl-x86_64.so.1\nR:ld-musl-x86_64.so.1\n\nP:busybox\nV:1.36.1-r15\no:busybox\nF:bin\nR:busybox\n",
            DBS[0],
            &mut w,
        );
        assert_eq!(p.len(), 2);
        assert_eq!(
            p[0].files,
            vec!["/lib/libc.musl-x86_64.so.1", "/lib/ld-musl-x86_64.so.1"]
        );
        assert_eq!(p[1].files, vec!["/bin/busybox"]);
        assert_eq!(p[0].licenses, vec!["MIT"]);
        assert!(w.is_empty());
    }

    #[test]
    fn dependencies_through_provides() {
        let mut w = Vec::new();
        let p = parse_installed(
            "P:musl\nV:1.2.4-r2\np:so:libc.musl-x86_64.so.1=1\n\n\
             P:busybox\nV:1.36.1-r15\nD:so:libc.musl-x86_64.so.1 !busybox-old\np:cmd:sh=1.36.1-r15 /bin/sh\n\n\
             P:alpine-baselayout\nV:3.4.3-r1\nD:/bin/sh musl>=1.2 nothing-installed\n",
            DBS[0],
            &mut w,
        );
        assert_eq!(p[0].depends_on, Vec::<String>::new());
        assert_eq!(p[1].depends_on, ["musl@1.2.4-r2"]);
        assert_eq!(p[2].depends_on, ["busybox@1.36.1-r15", "musl@1.2.4-r2"]);
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn junk_lines_warn() {
        let mut w = Vec::new();
        let p = parse_installed(
            "this is a corrupt db\n\nP:musl\nV:1.2.4-r2\n",
            DBS[0],
            &mut w,
        );
        assert_eq!(p.len(), 1);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("line 1"), "{w:?}");
    }
}
