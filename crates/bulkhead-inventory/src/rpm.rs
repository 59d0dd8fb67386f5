//! rpm databases in all three formats (SQLite `rpmdb.sqlite`, Berkeley DB `Packages`, NDB
//! `Packages.db`) under `var/lib/rpm` and `usr/lib/sysimage/rpm`, parsed by `bulkhead-rpmdb`. The
//! format is detected from the bytes, not the name.

use crate::{Ctx, FileWarnings, Relations, layer_of, link_relations};
use bulkhead_core::{Package, PackageKind};
use bulkhead_image::ImageIndex;

const DIRS: &[&str] = &["var/lib/rpm/", "usr/lib/sysimage/rpm/", "usr/share/rpm/"];
const NAMES: &[&str] = &["rpmdb.sqlite", "Packages", "Packages.db"];

/// Whether `path` is an rpm database.
pub fn wants(path: &str) -> bool {
    DIRS.iter()
        .any(|d| path.strip_prefix(d).is_some_and(|n| NAMES.contains(&n)))
}

/// Split `bash-5.1.8-6.el9.src.rpm` into (name, version, release).
pub fn split_source_rpm(s: &str) -> Option<(String, String, String)> {
    let base = s.strip_suffix(".rpm")?;
    let base = base.rsplit_once('.').map(|(b, _arch)| b)?;
    let (rest, release) = base.rsplit_once('-')?;
    let (name, version) = rest.rsplit_once('-')?;
    if name.is_empty() || version.is_empty() || release.is_empty() {
        return None;
    }
    Some((name.to_string(), version.to_string(), release.to_string()))
}

/// Convert a parsed rpm header into a package.
pub fn to_package(r: bulkhead_rpmdb::RpmPackage, db_path: &str) -> Package {
    let (src_name, src_version, src_release) = match split_source_rpm(&r.source_rpm) {
        Some((n, v, rel)) => (Some(n), Some(v), Some(rel)),
        None => (None, None, None),
    };
    Package {
        kind: Some(PackageKind::Rpm),
        name: r.name,
        version: r.version,
        epoch: r.epoch,
        release: Some(r.release).filter(|s| !s.is_empty()),
        arch: Some(r.arch).filter(|s| !s.is_empty()),
        src_name,
        src_version,
        src_epoch: r.epoch,
        src_release,
        licenses: if r.license.is_empty() {
            vec![]
        } else {
            vec![r.license]
        },
        maintainer: Some(r.vendor).filter(|s| !s.is_empty()),
        db_path: format!("/{db_path}"),
        files: r.files,
        ..Default::default()
    }
}

/// A requirement that is a path (`/bin/sh`, `/usr/bin/perl`) is answered by the package that owns
/// that file, as rpm resolves it: such needs become the owner's name (a path nobody owns or
/// provides stays as it is, and is dropped when linked).
fn file_requires(pkgs: &[Package], rels: &mut [Relations]) {
    let wanted: std::collections::HashSet<&str> = rels
        .iter()
        .flat_map(|r| r.needs.iter().flatten())
        .filter(|n| n.starts_with('/'))
        .map(String::as_str)
        .collect();
    if wanted.is_empty() {
        return;
    }
    let mut owner: std::collections::HashMap<String, &str> = std::collections::HashMap::new();
    for p in pkgs {
        for f in p.files.iter().filter(|f| wanted.contains(f.as_str())) {
            owner.entry(f.clone()).or_insert(&p.name);
        }
    }
    for r in rels.iter_mut() {
        for group in &mut r.needs {
            for n in group.iter_mut() {
                if let Some(o) = owner.get(n.as_str()) {
                    *n = o.to_string();
                }
            }
        }
    }
}

/// Add the rpm packages of the index to `packages`. When several databases exist (a migrated
/// image), the first readable one in the order sqlite, BDB, NDB per directory wins. Records that
/// cannot be read are skipped with a warning each (the rest of the database still counts); file
/// lists are built within what is left of the file-list budget.
pub(crate) fn analyze_ctx(index: &ImageIndex, packages: &mut Vec<Package>, ctx: &mut Ctx) {
    for dir in DIRS {
        for name in NAMES {
            let path = format!("{dir}{name}");
            let Some(data) = index.read(&path) else {
                continue;
            };
            let opts = bulkhead_rpmdb::ReadOptions {
                max_file_bytes: ctx.files_left(),
                max_path_len: ctx.limits.max_path_len,
            };
            match bulkhead_rpmdb::read_packages_lenient_with(data, &opts) {
                Ok(report) => {
                    let used: u64 = report
                        .packages
                        .iter()
                        .flat_map(|p| p.files.iter().chain(&p.requires).chain(&p.provides))
                        .map(|f| f.len() as u64 + crate::PATH_OVERHEAD)
                        .sum();
                    ctx.spend_files(used, report.files_dropped);
                    let mut fw = FileWarnings::default();
                    for e in &report.skipped {
                        fw.push(ctx, || format!("/{path}: skipped record: {e}"));
                    }
                    let layer = layer_of(index, &path);
                    let mut pkgs = Vec::new();
                    let mut rels = Vec::new();
                    for mut r in report.packages {
                        if r.name == "gpg-pubkey" {
                            continue; // imported signing keys, not software
                        }
                        let rel = Relations {
                            needs: std::mem::take(&mut r.requires)
                                .into_iter()
                                .map(|n| vec![n])
                                .collect(),
                            provides: std::mem::take(&mut r.provides),
                        };
                        let mut p = to_package(r, &path);
                        p.layer = layer.clone();
                        match ctx.admit(&mut p) {
                            Ok(true) => {}
                            Ok(false) => continue,
                            Err(field) => {
                                fw.push(ctx, || {
                                    format!(
                                        "/{path}: skipped package {}: its {field} is longer than {} bytes",
                                        bulkhead_image::shown(&p.name),
                                        crate::MAX_PACKAGE_FIELD
                                    )
                                });
                                continue;
                            }
                        }
                        pkgs.push(p);
                        rels.push(rel);
                    }
                    file_requires(&pkgs, &mut rels);
                    link_relations(&mut pkgs, &rels);
                    for mut p in pkgs {
                        crate::only_files(index, &mut p.files);
                        packages.push(p);
                    }
                    fw.finish(ctx, &path);
                    return;
                }
                Err(e) => ctx.warn(|| format!("/{path}: {e}")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_rpm_names() {
        assert_eq!(
            split_source_rpm("bash-5.1.8-6.el9.src.rpm"),
            Some(("bash".into(), "5.1.8".into(), "6.el9".into()))
        );
        assert_eq!(
            split_source_rpm("python3-pip-21.2.3-7.el9.src.rpm"),
            Some(("python3-pip".into(), "21.2.3".into(), "7.el9".into()))
        );
        assert_eq!(split_source_rpm("(none)"), None);
        assert!(wants("var/lib/rpm/rpmdb.sqlite"));
        assert!(wants("usr/lib/sysimage/rpm/Packages.db"));
        assert!(!wants("var/lib/rpm/Name"));
    }
}
