//! Analyzers over an [`ImageIndex`]: OS identity, OS package databases (dpkg, apk, rpm) and installed
//! Python distributions, with the files each package owns. Each analyzer declares the paths it needs
//! ([`wanted`]); the image walk captures exactly those during its single pass, and [`analyze`] runs on
//! the merged index.

pub mod apk;
pub mod control;
pub mod dpkg;
pub mod os;
pub mod python;
pub mod rpm;

use bulkhead_core::{OsInfo, Package};
use bulkhead_image::{ImageIndex, Wanted};

/// Changes whenever an analyzer's path set or parsing changes (part of the layer cache key).
pub const ANALYZERS_VERSION: &str = "os-1,dpkg-1,apk-1,rpm-1,python-1";

/// What the analyzers found.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Inventory {
    pub os: Option<OsInfo>,
    pub packages: Vec<Package>,
    /// Non-fatal problems (unparseable entries, databases without an OS, …).
    pub warnings: Vec<String>,
}

/// The union of the paths every analyzer reads.
pub fn wanted() -> Wanted {
    Wanted::new(ANALYZERS_VERSION, |p| {
        os::wants(p) || dpkg::wants(p) || apk::wants(p) || rpm::wants(p) || python::wants(p)
    })
}

/// Run every analyzer over the index.
pub fn analyze(index: &ImageIndex) -> Inventory {
    let mut inv = Inventory {
        os: os::detect(index),
        ..Default::default()
    };
    dpkg::analyze(index, &mut inv);
    apk::analyze(index, &mut inv);
    rpm::analyze(index, &mut inv);
    python::analyze(index, &mut inv);
    // An OS package is one per key; a language package is one per key *and place* (the same Python
    // release in two site-packages directories is two installs).
    let place = |p: &Package| -> String {
        if p.kind.is_none_or(|k| k.is_os()) {
            String::new()
        } else {
            p.db_path.clone()
        }
    };
    inv.packages.sort_by(|a, b| {
        (a.kind, &a.name, a.full_version(), &a.arch, place(a)).cmp(&(
            b.kind,
            &b.name,
            b.full_version(),
            &b.arch,
            place(b),
        ))
    });
    inv.packages
        .dedup_by(|a, b| a.key() == b.key() && place(a) == place(b));
    inv
}

/// The diff id of the layer that last wrote `path` in the index (None for a root filesystem, which has
/// no layers).
pub(crate) fn layer_of(index: &ImageIndex, path: &str) -> Option<String> {
    index
        .layer_of(path)
        .filter(|l| !l.diff_id.starts_with("rootfs:"))
        .map(|l| l.diff_id.clone())
}

/// Drop directories from a package's file list: package managers record the directories they create,
/// but ownership questions (drift, files in use) are about files. Paths absent from the image are kept.
pub(crate) fn only_files(index: &ImageIndex, files: &mut Vec<String>) {
    files.retain(|f| {
        let p = f.trim_start_matches('/');
        if p.is_empty() {
            return false;
        }
        !matches!(
            index
                .resolve(p)
                .and_then(|r| index.entry(&r).map(|e| e.kind)),
            Some(bulkhead_image::FileKind::Dir)
        )
    });
}
