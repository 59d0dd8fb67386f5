//! Shared helpers for the corpus tests: fixture paths, throw-away root filesystems laid out like an
//! image, and running every analyzer over one.

#![allow(dead_code)]

use bulkhead_image::Limits;
use bulkhead_image::rootfs::index_rootfs;
use bulkhead_inventory::Inventory;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// `tests/fixtures/<rel>` (copies of `shared/data/pkgdb/<rel>`, see tests/fixtures/PROVENANCE.md).
pub fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

pub fn read_fixture(rel: &str) -> Vec<u8> {
    std::fs::read(fixture(rel)).unwrap_or_else(|e| panic!("fixture {rel}: {e}"))
}

pub fn fixture_text(rel: &str) -> String {
    String::from_utf8(read_fixture(rel)).unwrap_or_else(|e| panic!("fixture {rel}: {e}"))
}

/// `../shared/data/pkgdb/<rel>` seen from the workspace; `None` (with a printed SKIP line) when the
/// shared data directory is absent (a fresh clone).
pub fn shared(rel: &str) -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/pkgdb")
        .join(rel);
    if p.exists() {
        Some(p)
    } else {
        println!("SKIP: ../shared absent ({})", p.display());
        None
    }
}

/// Every regular file below `dir`, as sorted paths relative to it (`/`-separated).
pub fn files_under(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            let m = std::fs::symlink_metadata(&p).unwrap();
            if m.is_dir() {
                walk(base, &p, out);
            } else if m.is_file() {
                let rel = p.strip_prefix(base).unwrap();
                out.push(
                    rel.components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join("/"),
                );
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Immediate subdirectories of `dir`, sorted by name.
pub fn subdirs(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A temporary directory laid out like an image's root filesystem; removed on drop.
pub struct Rootfs {
    pub path: PathBuf,
}

impl Rootfs {
    pub fn new(tag: &str) -> Rootfs {
        let tag: String = tag
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let path = std::env::temp_dir().join(format!(
            "bulkhead-inventory-test-{}-{}-{tag}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Rootfs { path }
    }

    /// Write `data` at `rel` (relative to the root), creating parent directories.
    pub fn put(&self, rel: &str, data: &[u8]) -> &Self {
        let p = self.path.join(rel.trim_start_matches('/'));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, data).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        self
    }

    /// Copy a fixture file to `rel`.
    pub fn put_fixture(&self, rel: &str, fixture_rel: &str) -> &Self {
        self.put(rel, &read_fixture(fixture_rel))
    }

    /// Copy every file of a fixture directory, keeping its layout.
    pub fn put_fixture_tree(&self, fixture_dir: &str) -> &Self {
        let base = fixture(fixture_dir);
        for f in files_under(&base) {
            self.put(&f, &std::fs::read(base.join(&f)).unwrap());
        }
        self
    }

    pub fn mkdir(&self, rel: &str) -> &Self {
        std::fs::create_dir_all(self.path.join(rel.trim_start_matches('/'))).unwrap();
        self
    }

    /// Index the tree the way `bulkhead fs` does and run every analyzer.
    pub fn inventory(&self) -> Inventory {
        let index = index_rootfs(
            &self.path,
            &bulkhead_inventory::wanted(),
            &Limits::default(),
        )
        .expect("index_rootfs");
        assert!(
            index.warnings.is_empty(),
            "index warnings: {:?}",
            index.warnings
        );
        bulkhead_inventory::analyze(&index)
    }
}

impl Drop for Rootfs {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// `epoch:version` with the epoch only when present and non-zero (dpkg's own rendering).
pub fn with_epoch(epoch: Option<u32>, version: &str) -> String {
    match epoch.filter(|e| *e > 0) {
        Some(e) => format!("{e}:{version}"),
        None => version.to_string(),
    }
}
