//! Hostile package databases and Python metadata (issue 11): huge fields, huge line counts, deep
//! paths, many packages, many warnings. Each case checks the result, the peak heap the analysis
//! allocates (measured by a counting global allocator in this test binary), and, for the classes
//! that used to be quadratic, that time grows linearly with the input.

use bulkhead_image::index::{FileEntry, FileKind, ImageIndex, LayerInfo};
use bulkhead_image::walk::LayerFacts;
use bulkhead_inventory::{Inventory, Limits, MAX_WARNINGS_PER_FILE, analyze_with};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Counts live heap bytes and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
/// Heap measurements are only meaningful one test at a time.
static SERIAL: Mutex<()> = Mutex::new(());

// SAFETY: every call is forwarded to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout.
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let now = LIVE.fetch_add(l.size(), Ordering::Relaxed) + l.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: `p` was allocated by `alloc` with this layout.
        unsafe { System.dealloc(p, l) };
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        // SAFETY: forwarded as given.
        let q = unsafe { System.realloc(p, l, new) };
        if !q.is_null() {
            if new > l.size() {
                let now = LIVE.fetch_add(new - l.size(), Ordering::Relaxed) + (new - l.size());
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(l.size() - new, Ordering::Relaxed);
            }
        }
        q
    }
}

#[global_allocator]
static A: Counting = Counting;

/// Run `f`, returning its result and the peak heap it added over what was live before.
fn peak_of<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let out = f();
    (out, PEAK.load(Ordering::Relaxed) - base)
}

const MIB: usize = 1 << 20;

/// An index with the given files captured (and recorded as regular files).
fn index(files: Vec<(String, Vec<u8>)>) -> ImageIndex {
    let mut idx = ImageIndex::with_limits(&bulkhead_image::Limits {
        max_captured_total: u64::MAX,
        ..Default::default()
    });
    idx.apply_layer(
        LayerInfo {
            diff_id: "sha256:l0".into(),
            digest: None,
            created_by: None,
        },
        LayerFacts {
            entries: files
                .iter()
                .map(|(p, d)| FileEntry {
                    path: p.clone(),
                    kind: FileKind::File,
                    mode: 0o644,
                    uid: 0,
                    gid: 0,
                    size: d.len() as u64,
                    link: None,
                    layer: 0,
                })
                .collect(),
            contents: files,
            ..Default::default()
        },
    )
    .unwrap();
    idx
}

fn status(paragraphs: &str) -> (String, Vec<u8>) {
    ("var/lib/dpkg/status".into(), paragraphs.as_bytes().to_vec())
}

const BASH: &str =
    "Package: bash\nStatus: install ok installed\nVersion: 5.2-1\nArchitecture: amd64\n";

/// Assert `large` grew at most linearly (3x slack, 20 ms floor) from `small`, `ratio` times the size.
fn assert_linear(what: &str, small: Duration, large: Duration, ratio: f64) {
    let bound = small.max(Duration::from_millis(20)).as_secs_f64() * ratio * 3.0;
    eprintln!("{what}: {small:?} -> {large:?} (x{ratio}), bound {bound:.3}s");
    assert!(large.as_secs_f64() <= bound, "{what}: not linear");
}

#[test]
fn a_huge_status_field_costs_one_field() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // A 64 MiB Description (continuation lines) between two packages.
    let mut text = String::from(BASH);
    text.push_str("Description: shell\n");
    for _ in 0..(64 * MIB / 8) {
        text.push_str(" abcdef\n");
    }
    text.push_str("\nPackage: zsh\nStatus: install ok installed\nVersion: 5.9-4\n");
    let idx = index(vec![status(&text)]);
    drop(text);
    let (inv, peak) = peak_of(|| analyze_with(&idx, &Limits::default()));
    let names: Vec<&str> = inv.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, vec!["bash", "zsh"]);
    eprintln!("64 MiB Description: peak {} KiB", peak >> 10);
    assert!(peak < 2 * MIB, "peak {peak}");
}

#[test]
fn a_dpkg_list_of_millions_of_lines_is_bounded_by_the_file_budget() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // 4 million one-character paths (12 MB of .list). Before, every line became a String twice
    // (the list, then a clone for the package): ~450 MB for this file, gigabytes for larger ones.
    let lines = 4_000_000usize;
    let mut list = String::with_capacity(lines * 3);
    for i in 0..lines {
        list.push('/');
        list.push((b'a' + (i % 26) as u8) as char);
        list.push('\n');
    }
    let idx = index(vec![
        status(BASH),
        ("var/lib/dpkg/info/bash.list".into(), list.into_bytes()),
    ]);
    let budget = 16 * MIB as u64;
    let limits = Limits {
        max_file_bytes: budget,
        ..Limits::default()
    };
    let (inv, peak) = peak_of(|| analyze_with(&idx, &limits));
    let files = &inv.packages[0].files;
    let kept = files.len() as u64;
    assert_eq!(kept, budget / (2 + 48));
    eprintln!(
        "4M-line .list, 16 MiB budget: {kept} paths kept, peak {} MiB",
        peak >> 20
    );
    // The kept paths (16 MiB in budget units, ~ what they take) and their vector.
    assert!(peak < 40 * MIB, "peak {} MiB", peak >> 20);
    let w = inv.warnings.join("\n");
    assert!(
        w.contains(&format!("{} paths left out", lines as u64 - kept))
            && w.contains("max_file_bytes"),
        "{w}"
    );
}

#[test]
fn a_package_named_many_times_reads_its_list_once() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // 20,000 paragraphs all naming bash, which owns 5,000 paths: before, each copy got a clone of
    // the list (100 million strings).
    let mut text = String::new();
    for _ in 0..20_000 {
        text.push_str(BASH);
        text.push('\n');
    }
    let list: String = (0..5000)
        .map(|i| format!("/usr/share/bash/f{i}\n"))
        .collect();
    let idx = index(vec![
        status(&text),
        ("var/lib/dpkg/info/bash.list".into(), list.into_bytes()),
    ]);
    let start = Instant::now();
    let (inv, peak) = peak_of(|| analyze_with(&idx, &Limits::default()));
    assert_eq!(inv.packages.len(), 1);
    assert_eq!(inv.packages[0].files.len(), 5000);
    eprintln!(
        "20k copies of one package: {:?}, peak {} MiB",
        start.elapsed(),
        peak >> 20
    );
    assert!(peak < 64 * MIB, "peak {} MiB", peak >> 20);
}

#[test]
fn deep_dpkg_paths_are_linear_in_count_and_depth() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // File ownership resolves every listed path through the image's symlinks; that used to cost
    // the square of the path's depth per path.
    let run = |lines: usize, depth: usize| {
        let path = "/d".repeat(depth);
        let list: String = (0..lines).map(|i| format!("{path}/f{i}\n")).collect();
        let idx = index(vec![
            status(BASH),
            ("var/lib/dpkg/info/bash.list".into(), list.into_bytes()),
        ]);
        let limits = Limits {
            max_path_len: usize::MAX,
            max_file_bytes: u64::MAX,
            ..Limits::default()
        };
        let start = Instant::now();
        let inv = analyze_with(&idx, &limits);
        let t = start.elapsed();
        assert_eq!(inv.packages[0].files.len(), lines);
        t
    };
    // Count: 1k, 10k, 100k paths of depth 10.
    let c1 = run(1_000, 10);
    let c2 = run(10_000, 10);
    let c3 = run(100_000, 10);
    assert_linear("paths 10k vs 1k", c1, c2, 10.0);
    assert_linear("paths 100k vs 10k", c2, c3, 10.0);
    // Depth: 10 paths of depth 1k, 10k, 100k.
    let d1 = run(10, 1_000);
    let d2 = run(10, 10_000);
    let d3 = run(10, 100_000);
    assert_linear("depth 10k vs 1k", d1, d2, 10.0);
    assert_linear("depth 100k vs 10k", d2, d3, 10.0);
    // With the default limits, paths over 4096 bytes are left out and counted.
    let list = format!("{}/f\n/ok\n", "/d".repeat(3000));
    let idx = index(vec![
        status(BASH),
        ("var/lib/dpkg/info/bash.list".into(), list.into_bytes()),
    ]);
    let inv = analyze_with(&idx, &Limits::default());
    assert_eq!(inv.packages[0].files, vec!["/ok"]);
    assert!(inv.warnings.join("\n").contains("1 paths left out"));
}

#[test]
fn python_metadata_with_huge_headers_is_linear_and_small() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // n distinct licence classifiers (deduplicated by a linear scan before: quadratic) and n junk
    // headers (each kept as a field before).
    let run = |n: usize| {
        let mut md = String::from("Metadata-Version: 2.1\nName: evil\nVersion: 1.0\n");
        for i in 0..n {
            md.push_str(&format!(
                "Classifier: License :: OSI Approved :: L{i}\nX-{i}: y\n"
            ));
        }
        let idx = index(vec![(
            "usr/lib/python3/dist-packages/evil-1.0.dist-info/METADATA".into(),
            md.into_bytes(),
        )]);
        let start = Instant::now();
        let (inv, peak): (Inventory, usize) = peak_of(|| analyze_with(&idx, &Limits::default()));
        let t = start.elapsed();
        assert_eq!(inv.packages.len(), 1);
        assert_eq!(inv.packages[0].licenses.len(), 32.min(n));
        (t, peak)
    };
    let (t1, _) = run(3_000);
    let (t2, _) = run(30_000);
    let (t3, peak) = run(300_000);
    assert_linear("classifiers 30k vs 3k", t1, t2, 10.0);
    assert_linear("classifiers 300k vs 30k", t2, t3, 10.0);
    eprintln!("300k-header METADATA: peak {} KiB", peak >> 10);
    assert!(peak < 4 * MIB, "peak {peak}");
}

#[test]
fn python_record_lines_share_the_file_budget() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let site = "usr/lib/python3/dist-packages";
    let record: String = (0..2_000_000).map(|i| format!("m/{i},,\n")).collect();
    let idx = index(vec![
        (
            format!("{site}/evil-1.0.dist-info/METADATA"),
            b"Name: evil\nVersion: 1.0\n".to_vec(),
        ),
        (
            format!("{site}/evil-1.0.dist-info/RECORD"),
            record.into_bytes(),
        ),
    ]);
    let limits = Limits {
        max_file_bytes: 8 * MIB as u64,
        ..Limits::default()
    };
    let (inv, peak) = peak_of(|| analyze_with(&idx, &limits));
    let files = &inv.packages[0].files;
    assert!(
        !files.is_empty() && files.len() < 200_000,
        "{}",
        files.len()
    );
    assert!(inv.warnings.join("\n").contains("paths left out"));
    eprintln!(
        "2M-line RECORD: {} paths kept, peak {} MiB",
        files.len(),
        peak >> 20
    );
    assert!(peak < 24 * MIB, "peak {} MiB", peak >> 20);
}

#[test]
fn apk_files_under_a_long_directory_are_bounded() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // F: names a 3000-byte directory, then 200,000 one-letter R: lines (1.2 MB of database): each
    // path repeats the directory (600 MB before).
    let mut db = format!("P:evil\nV:1.0-r0\nF:{}\n", "d".repeat(3000));
    for _ in 0..200_000 {
        db.push_str("R:a\n");
    }
    let idx = index(vec![("lib/apk/db/installed".into(), db.into_bytes())]);
    let limits = Limits {
        max_file_bytes: 16 * MIB as u64,
        ..Limits::default()
    };
    let (inv, peak) = peak_of(|| analyze_with(&idx, &limits));
    assert_eq!(inv.packages.len(), 1);
    let n = inv.packages[0].files.len();
    assert_eq!(n as u64, 16 * MIB as u64 / (3000 + 3 + 48));
    eprintln!("apk long dir: {n} paths kept, peak {} MiB", peak >> 20);
    assert!(peak < 24 * MIB, "peak {} MiB", peak >> 20);
}

#[test]
fn packages_and_warnings_are_capped() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // 100,000 installed packages, and 100,000 paragraphs without a Version.
    let mut text = String::new();
    for i in 0..100_000 {
        text.push_str(&format!(
            "Package: p{i}\nStatus: install ok installed\nVersion: 1.{i}\n\n"
        ));
        text.push_str(&format!(
            "Package: bad{i}\nStatus: install ok installed\n\n"
        ));
    }
    let idx = index(vec![status(&text)]);
    let limits = Limits {
        max_packages: 1000,
        ..Limits::default()
    };
    let (inv, peak) = peak_of(|| analyze_with(&idx, &limits));
    assert_eq!(inv.packages.len(), 1000);
    assert_eq!(
        inv.warnings.len(),
        MAX_WARNINGS_PER_FILE + 2,
        "{:#?}",
        inv.warnings
    );
    assert!(
        inv.warnings[MAX_WARNINGS_PER_FILE].contains(&format!(
            "… and {} more problems",
            100_000 - MAX_WARNINGS_PER_FILE
        )),
        "{}",
        inv.warnings[MAX_WARNINGS_PER_FILE]
    );
    assert!(inv.warnings.last().unwrap().contains(
        "left out 99000 packages: the inventory holds at most 1000 (limit max_packages)"
    ));
    eprintln!("200k paragraphs: peak {} MiB", peak >> 20);
    assert!(peak < 8 * MIB, "peak {} MiB", peak >> 20);
    // A name over 1 KiB is not a package.
    let long = format!(
        "Package: {}\nStatus: install ok installed\nVersion: 1\n",
        "n".repeat(2000)
    );
    let inv = analyze_with(&index(vec![status(&long)]), &Limits::default());
    assert!(inv.packages.is_empty());
    assert!(
        inv.warnings[0].contains("its name is longer than 1024 bytes"),
        "{:?}",
        inv.warnings
    );
}

#[test]
fn release_files_are_read_only_so_far() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // A 64 MiB os-release of `K=v` lines (each a pair of Strings before).
    let mut text = String::from("ID=debian\nVERSION_ID=\"12\"\n");
    while text.len() < 64 * MIB {
        text.push_str("K=v\n");
    }
    let idx = index(vec![("etc/os-release".into(), text.into_bytes())]);
    let (inv, peak) = peak_of(|| analyze_with(&idx, &Limits::default()));
    assert_eq!(inv.os.unwrap().version, "12");
    assert!(peak < 4 * MIB, "peak {peak}");
}
