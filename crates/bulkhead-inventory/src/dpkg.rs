//! dpkg databases: `var/lib/dpkg/status` (only installed packages), distroless `status.d/*` (one
//! paragraph per file, no Status field), and file ownership from `info/<pkg>[:<arch>].list` (or the
//! distroless `status.d/<pkg>.md5sums`). Source package name and version come from `Source:`
//! (`Source: gcc-5 (5.1.1-12)`), falling back to the binary package.

use crate::control::{Paragraph, malformed_warning, parse};
use crate::{Inventory, layer_of};
use bulkhead_core::{Package, PackageKind};
use bulkhead_image::ImageIndex;
use std::collections::HashMap;

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

fn list_paths(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && *l != "/." && *l != "/")
        .map(str::to_string)
        .collect()
}

fn md5sums_paths(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.split_once(char::is_whitespace))
        .map(|(_, p)| format!("/{}", p.trim().trim_start_matches('/')))
        .collect()
}

/// Parse the text of a status file (or status.d entry) into installed packages.
pub fn parse_status(text: &str, db_path: &str, warnings: &mut Vec<String>) -> Vec<Package> {
    let mut out = Vec::new();
    let parsed = parse(text);
    warnings.extend(malformed_warning(db_path, &parsed.malformed));
    for p in parsed.paragraphs {
        if !is_installed(&p) {
            continue;
        }
        match package_from(&p, db_path) {
            Some(pkg) => out.push(pkg),
            None => warnings.push(format!(
                "/{db_path}:{}: skipped package {:?}: missing or invalid Package/Version",
                p.line,
                p.get("Package").unwrap_or("")
            )),
        }
    }
    out
}

/// Add the dpkg packages of the index to `inv`.
pub fn analyze(index: &ImageIndex, inv: &mut Inventory) {
    let mut lists: HashMap<String, Vec<String>> = HashMap::new();
    let mut list_layer: HashMap<String, String> = HashMap::new();
    let mut status_d: Vec<(String, String)> = Vec::new();
    let mut md5sums: HashMap<String, Vec<String>> = HashMap::new();
    for (path, cap) in index.captured() {
        if let Some(name) = path
            .strip_prefix(INFO)
            .and_then(|n| n.strip_suffix(".list"))
        {
            lists.insert(
                name.to_string(),
                list_paths(&String::from_utf8_lossy(&cap.data)),
            );
            if let Some(l) = layer_of(index, path) {
                list_layer.insert(name.to_string(), l);
            }
        } else if let Some(name) = path.strip_prefix(STATUS_D) {
            let text = String::from_utf8_lossy(&cap.data).into_owned();
            if let Some(pkg) = name.strip_suffix(".md5sums") {
                md5sums.insert(pkg.to_string(), md5sums_paths(&text));
            } else if !name.contains('.')
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
                    )
                })
            {
                status_d.push((path.to_string(), text));
            }
        }
    }
    let mut pkgs = Vec::new();
    if let Some(data) = index.read(STATUS) {
        let layer = layer_of(index, STATUS);
        for mut p in parse_status(&String::from_utf8_lossy(data), STATUS, &mut inv.warnings) {
            p.layer = layer.clone();
            pkgs.push(p);
        }
    }
    for (path, text) in &status_d {
        let layer = layer_of(index, path);
        for mut p in parse_status(text, path, &mut inv.warnings) {
            p.layer = layer.clone();
            pkgs.push(p);
        }
    }
    for p in &mut pkgs {
        let arch_key = p.arch.as_ref().map(|a| format!("{}:{a}", p.name));
        let key = arch_key
            .as_ref()
            .filter(|k| lists.contains_key(*k))
            .cloned()
            .unwrap_or_else(|| p.name.clone());
        if let Some(files) = lists.get(&key) {
            p.files = files.clone();
            // The .list is rewritten whenever the package is installed or upgraded: the best
            // attribution of the package to a layer.
            if let Some(l) = list_layer.get(&key) {
                p.layer = Some(l.clone());
            }
        } else if let Some(files) = md5sums.get(&p.name) {
            p.files = files.clone();
        }
    }
    for p in &mut pkgs {
        crate::only_files(index, &mut p.files);
    }
    inv.packages.extend(pkgs);
}

#[cfg(test)]
mod tests {
    use super::*;

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
