//! apk's installed database (`lib/apk/db/installed`, also under `usr/lib/apk/db/`): one paragraph per
//! package with single-letter keys — P name, V version, A arch, o origin (source package), L licence,
//! m maintainer, F directory, R file in the last F directory.

use crate::control::{malformed_warning, parse};
use crate::{Inventory, layer_of};
use bulkhead_core::{Package, PackageKind};
use bulkhead_image::ImageIndex;

const DBS: &[&str] = &["lib/apk/db/installed", "usr/lib/apk/db/installed"];

/// Whether `path` is an apk database.
pub fn wants(path: &str) -> bool {
    DBS.contains(&path)
}

/// Parse the installed database text.
pub fn parse_installed(text: &str, db_path: &str, warnings: &mut Vec<String>) -> Vec<Package> {
    let mut out = Vec::new();
    let parsed = parse(text);
    warnings.extend(malformed_warning(db_path, &parsed.malformed));
    for p in parsed.paragraphs {
        let mut pkg = Package {
            kind: Some(PackageKind::Apk),
            db_path: format!("/{db_path}"),
            ..Default::default()
        };
        let mut dir = String::new();
        for (k, v) in &p.fields {
            match *k {
                "P" => pkg.name = v.clone(),
                "V" => pkg.version = v.clone(),
                "A" => pkg.arch = Some(v.clone()),
                "o" => pkg.src_name = Some(v.clone()),
                "L" => pkg.licenses = split_license(v),
                "m" => pkg.maintainer = Some(v.clone()),
                "F" => dir = v.clone(),
                "R" => pkg.files.push(if dir.is_empty() {
                    format!("/{v}")
                } else {
                    format!("/{dir}/{v}")
                }),
                _ => {}
            }
        }
        if pkg.name.is_empty() || pkg.version.is_empty() {
            warnings.push(format!(
                "/{db_path}:{}: skipped entry without P: or V:",
                p.line
            ));
            continue;
        }
        if pkg.src_name.is_none() {
            pkg.src_name = Some(pkg.name.clone());
        }
        pkg.src_version = Some(pkg.version.clone());
        out.push(pkg);
    }
    out
}

fn split_license(v: &str) -> Vec<String> {
    v.split(" AND ")
        .flat_map(|s| s.split_whitespace().filter(|w| *w != "AND"))
        .map(str::to_string)
        .collect::<Vec<_>>()
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect()
}

/// Add the apk packages of the index to `inv`.
pub fn analyze(index: &ImageIndex, inv: &mut Inventory) {
    for db in DBS {
        if let Some(data) = index.read(db) {
            let layer = layer_of(index, db);
            for mut p in parse_installed(&String::from_utf8_lossy(data), db, &mut inv.warnings) {
                p.layer = layer.clone();
                crate::only_files(index, &mut p.files);
                inv.packages.push(p);
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
