//! Bounds and linear time (issue 11): layer count, image-wide captured and uncompressed budgets, the
//! index memory budget, long names, capped warnings, linear time over many layers (with whiteouts,
//! opaque directories and the layer cache) and over deep paths, regular files only, and the deadline
//! of registry and podman reads against servers that drip bytes.
//!
//! Time checks compare a small and a large size: the large run may take at most `SLACK` times the
//! size ratio times the small one (small runs below `FLOOR` count as `FLOOR`, for timer noise).

use bulkhead_image::cache::LayerCache;
use bulkhead_image::index::{FileEntry, FileKind, ImageIndex, LayerInfo};
use bulkhead_image::walk::LayerFacts;
use bulkhead_image::{
    Limits, MAX_INDEX_WARNINGS, MAX_LAYER_WARNINGS, ScanOptions, Wanted, scan_target,
};
use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const SLACK: f64 = 3.0;
const FLOOR: Duration = Duration::from_millis(20);

fn sha256(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(data)))
}

/// Assert `large` grew at most linearly from `small` for a size ratio of `ratio`.
fn assert_linear(what: &str, small: Duration, large: Duration, ratio: f64) {
    let base = small.max(FLOOR).as_secs_f64();
    let bound = base * ratio * SLACK;
    eprintln!(
        "{what}: small {small:?}, large {large:?} (x{ratio}); bound {:.3}s",
        bound
    );
    assert!(
        large.as_secs_f64() <= bound,
        "{what}: {large:?} for x{ratio} the size of a {small:?} run: not linear"
    );
}

/// A tar builder that accepts any name (PAX records for long ones).
struct Tar(tar::Builder<Vec<u8>>);

impl Tar {
    fn new() -> Self {
        Tar(tar::Builder::new(Vec::new()))
    }

    /// A regular file; the name (at most 100 bytes) is written as it is, `..` included.
    fn file(&mut self, name: &str, data: &[u8]) -> &mut Self {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        h.set_cksum();
        self.0.append(&h, data).unwrap();
        self
    }

    fn dir(&mut self, name: &str) -> &mut Self {
        let mut h = tar::Header::new_ustar();
        h.set_size(0);
        h.set_mode(0o755);
        h.set_entry_type(tar::EntryType::Directory);
        self.0.append_data(&mut h, name, &[][..]).unwrap();
        self
    }

    /// An entry whose name is carried by a PAX `path` record (any length).
    fn pax_file(&mut self, name: &str) -> &mut Self {
        let record = {
            let body = format!(" path={name}\n");
            // The length prefix counts itself.
            let mut len = body.len() + 1;
            while format!("{len}{body}").len() != len {
                len += 1;
            }
            format!("{len}{body}")
        };
        let mut x = tar::Header::new_ustar();
        x.set_entry_type(tar::EntryType::XHeader);
        x.set_size(record.len() as u64);
        x.set_mode(0o644);
        x.set_path("pax").unwrap();
        x.set_cksum();
        self.0.append(&x, record.as_bytes()).unwrap();
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_size(0);
        h.set_mode(0o644);
        h.set_path("placeholder").unwrap();
        h.set_cksum();
        self.0.append(&h, &[][..]).unwrap();
        self
    }

    fn finish(&mut self) -> Vec<u8> {
        let b = std::mem::replace(&mut self.0, tar::Builder::new(Vec::new()));
        b.into_inner().unwrap()
    }
}

/// A docker-archive of plain (uncompressed) layer tars, written to `path`. Identical layers are
/// stored once.
fn docker_archive(path: &Path, layers: &[Vec<u8>]) -> PathBuf {
    let diff_ids: Vec<String> = layers.iter().map(|l| sha256(l)).collect();
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }))
    .unwrap();
    let config_name = format!("{}.json", &sha256(&config)[7..]);
    let names: Vec<String> = diff_ids
        .iter()
        .map(|d| format!("{}/layer.tar", &d[7..]))
        .collect();
    let manifest = serde_json::to_vec(&serde_json::json!([
        {"Config": config_name, "RepoTags": ["t:1"], "Layers": names}
    ]))
    .unwrap();
    let mut out = tar::Builder::new(std::fs::File::create(path).unwrap());
    let mut add = |name: &str, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        out.append_data(&mut h, name, data).unwrap();
    };
    add("manifest.json", &manifest);
    add(&config_name, &config);
    let mut seen = std::collections::HashSet::new();
    for (name, l) in names.iter().zip(layers) {
        if seen.insert(name.clone()) {
            add(name, l);
        }
    }
    out.finish().unwrap();
    path.to_path_buf()
}

/// Everything under `var/lib/dpkg/` and `want/` is captured.
fn wanted() -> Wanted {
    Wanted::new("limits-test", |p| {
        p.starts_with("want/") || p.starts_with("var/lib/dpkg/")
    })
}

/// Scan on a helper thread, failing the test if it does not end within `limit`.
fn scan_within(
    target: &Path,
    opts: ScanOptions,
    limit: Duration,
) -> bulkhead_image::Result<bulkhead_image::ScannedImage> {
    let spec = target.display().to_string();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(scan_target(&spec, &wanted(), &opts));
    });
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("scan of {} did not end within {limit:?}", target.display()))
}

fn with_limits(limits: Limits) -> ScanOptions {
    ScanOptions {
        limits,
        ..Default::default()
    }
}

// ---------------------------------------------------------------------------------------------------
// Layers: a count limit, and linear time over many of them.
// ---------------------------------------------------------------------------------------------------

#[test]
fn the_layer_count_limit_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let layers: Vec<Vec<u8>> = (0..5)
        .map(|i| Tar::new().file(&format!("f{i}"), b"x").finish())
        .collect();
    let target = docker_archive(&dir.path().join("five.tar"), &layers);
    let limits = Limits {
        max_layers: 4,
        ..Limits::default()
    };
    let e = scan_within(&target, with_limits(limits), Duration::from_secs(30))
        .err()
        .expect("over the layer limit")
        .to_string();
    assert!(
        e.contains("5 layers") && e.contains("limit of 4 (max_layers)"),
        "{e}"
    );
    let s = scan_within(&target, ScanOptions::default(), Duration::from_secs(30)).unwrap();
    assert_eq!(s.index.layers.len(), 5);
    assert_eq!(Limits::default().max_layers, 1000);
}

/// `n` layers; layer `i` adds `d/f{i}`, whites out `d/f{i-1}`, makes `o/` opaque and adds `o/x{i}`,
/// so every layer exercises whiteouts and opaque directories over the index built so far.
fn churning_layers(n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            let mut t = Tar::new();
            t.dir("d").file(&format!("d/f{i}"), b"x");
            if i > 0 {
                t.file(&format!("d/.wh.f{}", i - 1), b"");
            }
            t.dir("o")
                .file("o/.wh..wh..opq", b"")
                .file(&format!("o/x{i}"), b"y");
            t.finish()
        })
        .collect()
}

fn timed_scan(target: &Path, opts: ScanOptions) -> (Duration, bulkhead_image::ScannedImage) {
    let start = Instant::now();
    let s = scan_within(target, opts, Duration::from_secs(120)).unwrap();
    (start.elapsed(), s)
}

#[test]
fn many_layers_scan_in_linear_time_cold_and_cached() {
    // 1,000 vs 10,000 distinct layers, each with a whiteout and an opaque directory, read with the
    // layer cache on (cold, then warm). Cache eviction used to list the cache directory after every
    // layer written: 100 s for 10,000 layers.
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits {
        max_layers: 20_000,
        ..Limits::default()
    };
    let mut cold = Vec::new();
    let mut warm = Vec::new();
    for n in [1_000usize, 10_000] {
        let target = docker_archive(
            &dir.path().join(format!("churn{n}.tar")),
            &churning_layers(n),
        );
        let cache_root = dir.path().join(format!("cache{n}"));
        let opts = || ScanOptions {
            cache: Some(LayerCache::open(&cache_root, 1 << 30).unwrap()),
            limits: limits.clone(),
            ..Default::default()
        };
        let (t, s) = timed_scan(&target, opts());
        // The final tree: d, its last file, o and the last layer's o/x.
        let paths: Vec<&str> = s.index.files().map(|e| e.path.as_str()).collect();
        let last = n - 1;
        assert_eq!(
            paths,
            vec![
                "d".to_string(),
                format!("d/f{last}"),
                "o".to_string(),
                format!("o/x{last}")
            ]
        );
        assert_eq!(s.cache_hits, 0);
        cold.push(t);
        let (t, s) = timed_scan(&target, opts());
        assert_eq!(s.cache_hits, n);
        assert_eq!(s.index.len(), 4);
        warm.push(t);
    }
    assert_linear("10k layers, cold cache", cold[0], cold[1], 10.0);
    assert_linear("10k layers, warm cache", warm[0], warm[1], 10.0);
}

#[test]
fn one_layer_repeated_ten_thousand_times() {
    // The same blob listed 10,000 times: read once, then served by the cache (or re-read without
    // one) — linear either way.
    let dir = tempfile::tempdir().unwrap();
    let layer = Tar::new().dir("etc").file("etc/x", b"same").finish();
    let limits = Limits {
        max_layers: 20_000,
        ..Limits::default()
    };
    let mut times = Vec::new();
    for n in [1_000usize, 10_000] {
        let target = docker_archive(
            &dir.path().join(format!("rep{n}.tar")),
            &vec![layer.clone(); n],
        );
        let (t, s) = timed_scan(&target, with_limits(limits.clone()));
        assert_eq!(s.index.layers.len(), n);
        assert_eq!(s.index.entry("etc/x").unwrap().layer as usize, n - 1);
        times.push(t);
    }
    assert_linear("10k repeated layers, no cache", times[0], times[1], 10.0);
}

// ---------------------------------------------------------------------------------------------------
// Budgets: captured bytes image-wide, index memory, uncompressed bytes.
// ---------------------------------------------------------------------------------------------------

#[test]
fn captured_contents_have_an_image_wide_budget() {
    // Five layers each capture a 1 MiB wanted file, each under the per-file and per-layer limits;
    // the image keeps 3 MiB and says which files it left out.
    let dir = tempfile::tempdir().unwrap();
    let mib = vec![b'a'; 1 << 20];
    let layers: Vec<Vec<u8>> = (0..5)
        .map(|i| Tar::new().file(&format!("want/f{i}"), &mib).finish())
        .collect();
    let target = docker_archive(&dir.path().join("cap.tar"), &layers);
    let limits = Limits {
        max_captured_total: 3 << 20,
        ..Limits::default()
    };
    let s = scan_within(
        &target,
        with_limits(limits.clone()),
        Duration::from_secs(60),
    )
    .unwrap();
    assert!(s.index.captured_bytes() <= 3 << 20);
    for i in 0..3 {
        assert_eq!(
            s.index.read(&format!("want/f{i}")).map(<[u8]>::len),
            Some(1 << 20)
        );
    }
    for i in 3..5 {
        assert_eq!(s.index.read(&format!("want/f{i}")), None);
        assert!(
            s.index
                .warnings
                .iter()
                .any(|w| w.contains(&format!("not analysed want/f{i}"))
                    && w.contains("image capture limit of 3145728 bytes")
                    && w.contains("max_captured_total")),
            "{:?}",
            s.index.warnings
        );
    }
    // Contents replaced by a later layer are released: rewriting the same file five times keeps one.
    let same: Vec<Vec<u8>> = (0..5)
        .map(|_| {
            Tar::new()
                .file("want/same", &mib)
                .file("want/pad", &[])
                .finish()
        })
        .collect();
    let target = docker_archive(&dir.path().join("same.tar"), &same);
    let s = scan_within(&target, with_limits(limits), Duration::from_secs(60)).unwrap();
    assert_eq!(s.index.captured_bytes(), 1 << 20);
    assert!(s.index.warnings.is_empty(), "{:?}", s.index.warnings);
}

#[test]
fn the_file_index_has_a_memory_budget() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = Tar::new();
    for i in 0..2000 {
        t.file(&format!("many/file-{i:05}"), b"");
    }
    let target = docker_archive(&dir.path().join("many.tar"), &[t.finish()]);
    // 2000 entries of ~16 bytes cost ~2000 * (2*16 + 160) = ~384 KB in index units.
    let limits = Limits {
        max_index_bytes: 200_000,
        ..Limits::default()
    };
    let e = scan_within(&target, with_limits(limits), Duration::from_secs(30))
        .err()
        .expect("over the index budget")
        .to_string();
    assert!(
        e.contains("more than 200000 bytes") && e.contains("max_index_bytes"),
        "{e}"
    );
    let s = scan_within(&target, ScanOptions::default(), Duration::from_secs(30)).unwrap();
    assert_eq!(s.index.len(), 2000);
    assert!(s.index.index_bytes() > 200_000 && s.index.index_bytes() < 500_000);

    // Applied layer by layer, the merged index is held to the same budget.
    let mut idx = ImageIndex::with_limits(&Limits {
        max_index_bytes: 10_000,
        ..Limits::default()
    });
    let layer = |names: &[&str]| LayerFacts {
        entries: names
            .iter()
            .map(|p| FileEntry {
                path: p.to_string(),
                kind: FileKind::File,
                mode: 0o644,
                uid: 0,
                gid: 0,
                size: 0,
                link: None,
                layer: 0,
            })
            .collect(),
        ..Default::default()
    };
    let info = |n: &str| LayerInfo {
        diff_id: n.into(),
        digest: None,
        created_by: None,
    };
    let names: Vec<String> = (0..40).map(|i| format!("a{i:03}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    idx.apply_layer(info("l0"), layer(&refs)).unwrap();
    // Replacing the same paths costs nothing more.
    idx.apply_layer(info("l1"), layer(&refs)).unwrap();
    let more: Vec<String> = (0..40).map(|i| format!("b{i:03}")).collect();
    let refs: Vec<&str> = more.iter().map(String::as_str).collect();
    let e = idx
        .apply_layer(info("l2"), layer(&refs))
        .unwrap_err()
        .to_string();
    assert!(e.contains("l2") && e.contains("max_index_bytes"), "{e}");
}

// ---------------------------------------------------------------------------------------------------
// Long names and warnings.
// ---------------------------------------------------------------------------------------------------

#[test]
fn long_names_are_skipped_and_warnings_are_capped() {
    // 3000 entries whose PAX names are 6 KB each (over PATH_MAX), then 3000 entries escaping the
    // root: the layer keeps MAX_LAYER_WARNINGS warnings and one counting the rest, each naming its
    // entry in at most a few hundred characters.
    let dir = tempfile::tempdir().unwrap();
    let mut t = Tar::new();
    for i in 0..3000 {
        t.pax_file(&format!("{}{i}", "n/".repeat(3_000)));
    }
    for i in 0..3000 {
        t.file(&format!("../escape{i}"), b"");
    }
    t.file("ok", b"");
    let target = docker_archive(&dir.path().join("names.tar"), &[t.finish()]);
    let s = scan_within(&target, ScanOptions::default(), Duration::from_secs(60)).unwrap();
    let paths: Vec<&str> = s.index.files().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, vec!["ok"]);
    let w = &s.index.warnings;
    assert_eq!(w.len(), MAX_LAYER_WARNINGS + 1, "{}", w.len());
    assert!(
        w[0].contains("its name is over the 4096 byte limit"),
        "{}",
        w[0]
    );
    assert!(
        w.iter().all(|w| w.len() < 600),
        "a warning repeats a long name"
    );
    assert!(
        w.last().unwrap().ends_with(&format!(
            "… and {} more warnings (not shown)",
            6000 - MAX_LAYER_WARNINGS
        )),
        "{}",
        w.last().unwrap()
    );

    // Across layers, the index keeps MAX_INDEX_WARNINGS.
    let bad: Vec<Vec<u8>> = (0..30)
        .map(|l| {
            let mut t = Tar::new();
            for i in 0..60 {
                t.file(&format!("../l{l}-{i}"), b"");
            }
            t.finish()
        })
        .collect();
    let target = docker_archive(&dir.path().join("bad.tar"), &bad);
    let s = scan_within(&target, ScanOptions::default(), Duration::from_secs(60)).unwrap();
    assert_eq!(s.index.warnings.len(), MAX_INDEX_WARNINGS + 1);
    assert!(s.index.warnings.last().unwrap().ends_with(&format!(
        "… and {} more warnings (not shown)",
        1800 - MAX_INDEX_WARNINGS
    )));
}

// ---------------------------------------------------------------------------------------------------
// Deep paths: resolution is linear in the path's length.
// ---------------------------------------------------------------------------------------------------

fn deep_index(depth: usize) -> (ImageIndex, String) {
    // `l` is a symlink to `a`; the file sits at a/a/…/a/f (depth components), looked up through l.
    let deep = format!("{}f", "a/".repeat(depth));
    let mut idx = ImageIndex::with_limits(&Limits {
        max_path_len: usize::MAX,
        ..Limits::default()
    });
    let entry = |path: &str, kind, link: Option<&str>| FileEntry {
        path: path.to_string(),
        kind,
        mode: 0o644,
        uid: 0,
        gid: 0,
        size: 0,
        link: link.map(str::to_string),
        layer: 0,
    };
    idx.apply_layer(
        LayerInfo {
            diff_id: "deep".into(),
            digest: None,
            created_by: None,
        },
        LayerFacts {
            entries: vec![
                entry(&deep, FileKind::File, None),
                entry("l", FileKind::Symlink, Some("a")),
                entry("a/a/up", FileKind::Symlink, Some("../..")),
            ],
            ..Default::default()
        },
    )
    .unwrap();
    let through_link = format!("l/a/up/{}f", "a/".repeat(depth));
    (idx, through_link)
}

#[test]
fn deep_paths_resolve_in_linear_time() {
    // Resolution used to join the resolved prefix after every component: quadratic in the depth
    // (100,000 components took minutes).
    let mut times = Vec::new();
    for depth in [1_000usize, 10_000, 100_000] {
        let (idx, query) = deep_index(depth);
        let want = format!("{}f", "a/".repeat(depth));
        let start = Instant::now();
        for _ in 0..5 {
            assert_eq!(idx.resolve(&query).as_deref(), Some(want.as_str()));
            assert_eq!(idx.resolve(&format!("{want}/missing")), None);
        }
        times.push(start.elapsed());
    }
    assert_linear("depth 10k vs 1k", times[0], times[1], 10.0);
    assert_linear("depth 100k vs 10k", times[1], times[2], 10.0);
}

// ---------------------------------------------------------------------------------------------------
// Only regular files.
// ---------------------------------------------------------------------------------------------------

#[test]
fn fifos_and_devices_are_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("image.tar");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo has no other precondition.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let e = scan_within(&fifo, ScanOptions::default(), Duration::from_secs(10))
        .err()
        .expect("a FIFO is not an image")
        .to_string();
    assert!(e.contains("a FIFO") && e.contains("not an image"), "{e}");
    let e = scan_within(
        Path::new("/dev/zero"),
        ScanOptions::default(),
        Duration::from_secs(10),
    )
    .err()
    .expect("a device is not an image")
    .to_string();
    assert!(e.contains("a character device"), "{e}");

    // An OCI layout whose index.json is a FIFO.
    let layout = dir.path().join("layout");
    std::fs::create_dir(&layout).unwrap();
    std::fs::write(
        layout.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    let c = std::ffi::CString::new(layout.join("index.json").to_str().unwrap()).unwrap();
    // SAFETY: as above.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let r = scan_within(&layout, ScanOptions::default(), Duration::from_secs(10));
    // `index.json` is not a regular file: the directory is not an OCI layout, and is read as a
    // root filesystem whose FIFO is recorded, never opened.
    let s = r.unwrap();
    assert_eq!(s.kind, "rootfs");
    assert_eq!(s.index.entry("index.json").unwrap().kind, FileKind::Fifo);
}

// ---------------------------------------------------------------------------------------------------
// Deadlines: a registry or podman socket that drips one byte at a time.
// ---------------------------------------------------------------------------------------------------

/// Read an HTTP request head; returns the request path.
fn request_path(r: &mut impl BufRead) -> Option<String> {
    let mut first = String::new();
    r.read_line(&mut first).ok()?;
    loop {
        let mut l = String::new();
        if r.read_line(&mut l).ok()? == 0 || l == "\r\n" || l == "\n" {
            break;
        }
    }
    first.split_whitespace().nth(1).map(str::to_string)
}

/// Write `head` then `body`, the body one byte every 100 ms.
fn drip(mut w: impl Write, head: &str, body: &[u8]) {
    if w.write_all(head.as_bytes()).is_err() {
        return;
    }
    for b in body {
        if w.write_all(&[*b]).and_then(|_| w.flush()).is_err() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A plain-HTTP registry on loopback serving one image, `x:1`, whose config and manifest come at
/// once and whose single layer blob drips (or whose manifest drips, with `drip_manifest`).
fn dripping_registry(drip_manifest: bool) -> u16 {
    let layer = Tar::new().file("f", b"x").finish();
    let layer_digest = sha256(&layer);
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
    }))
    .unwrap();
    let config_digest = sha256(&config);
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": config_digest, "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": layer_digest, "size": layer.len()}],
    }))
    .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { continue };
            let (manifest, config, layer) = (manifest.clone(), config.clone(), layer.clone());
            let (config_digest, layer_digest) = (config_digest.clone(), layer_digest.clone());
            std::thread::spawn(move || {
                let mut r = BufReader::new(conn.try_clone().unwrap());
                // A TLS ClientHello (the client probes https first on loopback): answer as a
                // plain-HTTP server does, so the client falls back to http at once.
                if r.fill_buf()
                    .map(|b| b.first() == Some(&0x16))
                    .unwrap_or(true)
                {
                    let _ = (&conn).write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n");
                    return;
                }
                while let Some(path) = request_path(&mut r) {
                    let head = |len: usize, ct: &str| {
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Length: {len}\r\nContent-Type: {ct}\r\n\r\n"
                        )
                    };
                    let w = &conn;
                    let (body, slow, ct): (&[u8], bool, &str) = if path == "/v2/" {
                        (b"{}", false, "application/json")
                    } else if path.ends_with("/manifests/1") {
                        (
                            &manifest,
                            drip_manifest,
                            "application/vnd.oci.image.manifest.v1+json",
                        )
                    } else if path.ends_with(&config_digest) {
                        (&config, false, "application/octet-stream")
                    } else if path.ends_with(&layer_digest) {
                        (&layer, true, "application/octet-stream")
                    } else {
                        let _ =
                            (&*w).write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
                        continue;
                    };
                    if slow {
                        drip(w, &head(body.len(), ct), body);
                        return;
                    }
                    if (&*w).write_all(head(body.len(), ct).as_bytes()).is_err()
                        || (&*w).write_all(body).is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    port
}

#[test]
fn a_dripping_registry_stops_at_the_deadline() {
    for drip_manifest in [true, false] {
        let port = dripping_registry(drip_manifest);
        let opts = ScanOptions {
            timeout: Some(Duration::from_secs(2)),
            ..Default::default()
        };
        let start = Instant::now();
        let spec = format!("registry://127.0.0.1:{port}/x:1");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(scan_target(&spec, &wanted(), &opts).map(|_| ()));
        });
        let r = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the scan did not stop at its deadline");
        let took = start.elapsed();
        let e = r.expect_err("the drip cannot finish in 2 s").to_string();
        eprintln!("drip (manifest: {drip_manifest}): {took:?}: {e}");
        assert!(
            e.contains("deadline of 2 s") && e.contains("--timeout"),
            "{e}"
        );
        assert!(
            took >= Duration::from_millis(1900) && took < Duration::from_secs(6),
            "{took:?}"
        );
    }
}

#[test]
fn a_dripping_podman_socket_stops_at_the_deadline() {
    use std::os::unix::net::UnixListener;
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("podman.sock");
    let listener = UnixListener::bind(&sock).unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { continue };
            std::thread::spawn(move || {
                let mut r = BufReader::new(conn.try_clone().unwrap());
                let _ = request_path(&mut r);
                let body = br#"{"Id":"sha256:0000000000000000000000000000000000000000000000000000000000000000"}"#;
                drip(
                    &conn,
                    &format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()),
                    body,
                );
            });
        }
    });
    let opts = ScanOptions {
        podman_socket: Some(sock.clone()),
        timeout: Some(Duration::from_millis(1500)),
        ..Default::default()
    };
    let start = Instant::now();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(scan_target("podman://x:1", &wanted(), &opts).map(|_| ()));
    });
    let r = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the scan did not stop at its deadline");
    let took = start.elapsed();
    let e = r.expect_err("the drip cannot finish").to_string();
    eprintln!("podman drip: {took:?}: {e}");
    assert!(e.contains("deadline of 1.5 s"), "{e}");
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[test]
fn the_stall_limit_still_applies_within_the_deadline() {
    // A socket that answers nothing: the stall limit (here 500 ms) ends it long before the deadline.
    use std::os::unix::net::UnixListener;
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("silent.sock");
    let listener = UnixListener::bind(&sock).unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming().flatten() {
            held.push(conn); // never answer, never close
        }
    });
    let opts = ScanOptions {
        podman_socket: Some(sock),
        timeout: Some(Duration::from_secs(60)),
        stall_timeout: Some(Duration::from_millis(500)),
        ..Default::default()
    };
    let start = Instant::now();
    let e = scan_target("podman://x:1", &wanted(), &opts)
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert!(e.contains("stall limit"), "{e}");
}
