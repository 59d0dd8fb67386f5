//! Hostile images through the CLI (issue 11, image and inventory inputs): each run under a 4 GiB
//! address-space limit with its peak RSS measured (`common::run_bounded`), and each must end with
//! exit 0/1/2 and a message, no signal, no panic, and RSS under 512 MiB. Inputs are small enough to
//! build and scan in a few seconds; `bench/hostile-image.sh` runs the same classes at full size.
//!
//! Before issue 11 every case here failed: the huge status field, the 20-million-line `.list`, the
//! million-header METADATA and the repeated long names took 0.6-4 GB (or aborted on allocation
//! failure), 10,000 layers took 100 s, a FIFO blocked forever, and a registry dripping a byte at a
//! time held the scan past `--timeout`.

mod common;
use bulkhead_image::source::digest::sha256_of;
use common::*;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Peak RSS allowed for every run.
const RSS_MIB: u64 = 512;
/// Wall time allowed for every run (a hang is a failure, not a stuck test).
const WALL: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------------------
// Hand-made tars and docker-archives (this crate has no tar dependency).
// ---------------------------------------------------------------------------------------------------

fn octal(field: &mut [u8], v: u64) {
    let s = format!("{v:0width$o}", width = field.len() - 1);
    field[..s.len()].copy_from_slice(s.as_bytes());
    field[s.len()] = 0;
}

fn header(name: &str, size: u64, typeflag: u8) -> [u8; 512] {
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name.as_bytes());
    octal(&mut h[100..108], 0o644);
    octal(&mut h[108..116], 0);
    octal(&mut h[116..124], 0);
    octal(&mut h[124..136], size);
    octal(&mut h[136..148], 1_700_000_000);
    h[156] = typeflag;
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].fill(b' ');
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    h
}

#[derive(Default)]
struct Tar(Vec<u8>);

impl Tar {
    fn entry(&mut self, name: &str, typeflag: u8, data: &[u8]) -> &mut Self {
        self.0
            .extend_from_slice(&header(name, data.len() as u64, typeflag));
        self.0.extend_from_slice(data);
        let pad = (512 - data.len() % 512) % 512;
        self.0.resize(self.0.len() + pad, 0);
        self
    }

    fn file(&mut self, name: &str, data: &[u8]) -> &mut Self {
        self.entry(name, b'0', data)
    }

    /// A file whose name (any length) is carried by a PAX `path` record.
    fn pax_file(&mut self, name: &str) -> &mut Self {
        let body = format!(" path={name}\n");
        let mut len = body.len() + 1;
        while format!("{len}{body}").len() != len {
            len += 1;
        }
        self.entry("pax", b'x', format!("{len}{body}").as_bytes());
        self.file("placeholder", b"")
    }

    fn finish(&mut self) -> Vec<u8> {
        let mut out = std::mem::take(&mut self.0);
        out.resize(out.len() + 1024, 0);
        out
    }
}

/// A docker-archive at `path` of plain layer tars (identical layers stored once).
fn docker_archive(path: &Path, layers: &[Vec<u8>]) -> PathBuf {
    let diff_ids: Vec<String> = layers.iter().map(|l| sha256_of(l)).collect();
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }))
    .unwrap();
    let config_name = format!("{}.json", &sha256_of(&config)[7..]);
    let names: Vec<String> = diff_ids
        .iter()
        .map(|d| format!("{}/layer.tar", &d[7..]))
        .collect();
    let manifest = serde_json::to_vec(&serde_json::json!([
        {"Config": config_name, "RepoTags": ["hostile:1"], "Layers": names}
    ]))
    .unwrap();
    let mut out = Tar::default();
    out.file("manifest.json", &manifest)
        .file(&config_name, &config);
    let mut seen = std::collections::HashSet::new();
    for (name, l) in names.iter().zip(layers) {
        if seen.insert(name.as_str()) {
            out.file(name, l);
        }
    }
    std::fs::write(path, out.finish()).unwrap();
    path.to_path_buf()
}

const STATUS: &[u8] =
    b"Package: bash\nStatus: install ok installed\nVersion: 5.2-1\nArchitecture: amd64\n";

fn scan(target: &Path, extra: &[&str]) -> Bounded {
    let t = target.display().to_string();
    let mut args = vec!["image", t.as_str()];
    args.extend_from_slice(extra);
    run_bounded(&args, None, None, WALL)
}

// ---------------------------------------------------------------------------------------------------
// Captured metadata parsed whole.
// ---------------------------------------------------------------------------------------------------

#[test]
fn a_status_file_with_a_200_mib_field() {
    // A Description of 6.5 million continuation lines. Before: the field was copied whole while
    // parsing (~200 MB), after a whole copy of the file for the cache (~650 MB in all).
    let dir = tempfile::tempdir().unwrap();
    let mut status = STATUS.to_vec();
    status.extend_from_slice(b"Description: shell\n");
    let line = format!(" {}\n", "x".repeat(30));
    while status.len() < 200 << 20 {
        status.extend_from_slice(line.as_bytes());
    }
    status.extend_from_slice(b"\nPackage: zsh\nStatus: install ok installed\nVersion: 5.9-4\n");
    let layer = Tar::default().file("var/lib/dpkg/status", &status).finish();
    let target = docker_archive(&dir.path().join("status.tar"), &[layer]);
    let r = scan(&target, &["--format", "json"]);
    assert_bounded("200 MiB status field", &r, &[0], RSS_MIB);
    let inv = inventory_of(&r.stdout);
    let names: Vec<&str> = inv["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["bash", "zsh"]);
}

#[test]
fn a_dpkg_list_of_twenty_million_lines() {
    // 20 million one-character paths (60 MB). Before: two Strings per line, > 2 GB, abort.
    let dir = tempfile::tempdir().unwrap();
    let lines = 20_000_000usize;
    let mut list = Vec::with_capacity(lines * 3);
    for i in 0..lines {
        list.extend_from_slice(&[b'/', b'a' + (i % 26) as u8, b'\n']);
    }
    let layer = Tar::default()
        .file("var/lib/dpkg/status", STATUS)
        .file("var/lib/dpkg/info/bash.list", &list)
        .finish();
    drop(list);
    let target = docker_archive(&dir.path().join("list.tar"), &[layer]);
    let r = scan(&target, &[]);
    assert_bounded("20M-line .list", &r, &[0], RSS_MIB);
    assert!(
        r.stderr.contains("file lists are incomplete") && r.stderr.contains("max_file_bytes"),
        "{}",
        r.stderr
    );
    assert!(String::from_utf8_lossy(&r.stdout).contains("bash"));
}

#[test]
fn python_metadata_with_ten_million_headers() {
    // 10 million `X: y` header lines (50 MB). Before: every header kept as a pair of Strings (~1 GB).
    let dir = tempfile::tempdir().unwrap();
    let mut md = b"Metadata-Version: 2.1\nName: evil\nVersion: 1.0\n".to_vec();
    for _ in 0..10_000_000 {
        md.extend_from_slice(b"X: y\n");
    }
    let layer = Tar::default()
        .file(
            "usr/lib/python3/dist-packages/evil-1.0.dist-info/METADATA",
            &md,
        )
        .finish();
    drop(md);
    let target = docker_archive(&dir.path().join("py.tar"), &[layer]);
    let r = scan(&target, &["--format", "json"]);
    assert_bounded("10M-header METADATA", &r, &[0], RSS_MIB);
    let inv = inventory_of(&r.stdout);
    assert_eq!(inv["packages"][0]["name"], "evil");
}

// ---------------------------------------------------------------------------------------------------
// Entries: long names repeated, many layers.
// ---------------------------------------------------------------------------------------------------

#[test]
fn long_entry_names_repeated() {
    // 3200 entries named by 64 KiB PAX paths (200 MB of names). Before: each name was kept twice in
    // the index and once more in the cache entry (~650 MB). Now: over PATH_MAX, skipped, with at
    // most 100 warnings for the layer.
    let dir = tempfile::tempdir().unwrap();
    let mut t = Tar::default();
    let long = "n/".repeat(32 << 10);
    for i in 0..3200 {
        t.pax_file(&format!("{long}{i}"));
    }
    t.file("etc/ok", b"");
    let target = docker_archive(&dir.path().join("names.tar"), &[t.finish()]);
    let r = scan(&target, &["--format", "json"]);
    assert_bounded("long names", &r, &[0], RSS_MIB);
    assert_eq!(inventory_of(&r.stdout)["file_count"], 1);
    let warnings = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning:"))
        .count();
    assert!(warnings <= 102, "{warnings} warning lines");
    assert!(
        r.stderr.contains("more warnings (not shown)"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.len() < 200_000, "stderr repeats the names");
}

#[test]
fn ten_thousand_layers_stop_at_the_layer_limit() {
    // Before: 100 s with the cache on (the cache directory was listed after every layer written).
    let dir = tempfile::tempdir().unwrap();
    let layers: Vec<Vec<u8>> = (0..10_000)
        .map(|i| Tar::default().file(&format!("d/f{i}"), b"x").finish())
        .collect();
    let target = docker_archive(&dir.path().join("layers.tar"), &layers);
    let start = Instant::now();
    let r = scan(&target, &[]);
    assert_bounded("10,000 layers", &r, &[2], RSS_MIB);
    assert!(
        r.stderr.contains("10000 layers") && r.stderr.contains("max_layers"),
        "{}",
        r.stderr
    );
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
}

// ---------------------------------------------------------------------------------------------------
// Only regular files.
// ---------------------------------------------------------------------------------------------------

#[test]
fn a_fifo_or_a_device_is_not_an_image() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("image.tar");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo has no other precondition.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let r = run_bounded(
        &["image", fifo.to_str().unwrap()],
        None,
        None,
        Duration::from_secs(20),
    );
    assert_bounded("FIFO as image", &r, &[2], RSS_MIB);
    assert!(r.stderr.contains("a FIFO"), "{}", r.stderr);
    let r = run_bounded(&["image", "/dev/zero"], None, None, Duration::from_secs(20));
    assert_bounded("/dev/zero as image", &r, &[2], RSS_MIB);
    assert!(r.stderr.contains("a character device"), "{}", r.stderr);
}

// ---------------------------------------------------------------------------------------------------
// The registry deadline.
// ---------------------------------------------------------------------------------------------------

/// A plain-HTTP registry on loopback whose manifest for `x:1` comes one byte every 100 ms.
fn dripping_registry() -> u16 {
    let manifest = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":2},"layers":[]}"#;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { continue };
            std::thread::spawn(move || {
                let mut r = BufReader::new(conn.try_clone().unwrap());
                // The client probes https first on loopback: answer as a plain-HTTP server does.
                if r.fill_buf()
                    .map(|b| b.first() == Some(&0x16))
                    .unwrap_or(true)
                {
                    let _ = (&conn).write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n");
                    return;
                }
                loop {
                    let mut first = String::new();
                    if r.read_line(&mut first).unwrap_or(0) == 0 {
                        return;
                    }
                    loop {
                        let mut l = String::new();
                        if r.read_line(&mut l).unwrap_or(0) == 0 || l.trim().is_empty() {
                            break;
                        }
                    }
                    let path = first.split_whitespace().nth(1).unwrap_or("").to_string();
                    let mut w = &conn;
                    if path.ends_with("/manifests/1") {
                        let _ = w.write_all(
                            format!(
                                "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nContent-Length: {}\r\n\r\n",
                                manifest.len()
                            )
                            .as_bytes(),
                        );
                        for b in manifest.iter() {
                            if w.write_all(&[*b]).is_err() {
                                return;
                            }
                            std::thread::sleep(Duration::from_millis(100));
                        }
                        return;
                    }
                    let _ = w.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
                }
            });
        }
    });
    port
}

#[test]
fn a_dripping_registry_ends_at_the_timeout() {
    // Before, --timeout bounded each read only: a byte every 100 ms kept the scan going for the
    // whole 24 s drip. Now it is the deadline of the whole read.
    let port = dripping_registry();
    let target = format!("registry://127.0.0.1:{port}/x:1");
    let start = Instant::now();
    let r = run_bounded(
        &["image", &target, "--timeout", "2s"],
        None,
        None,
        Duration::from_secs(20),
    );
    let took = start.elapsed();
    assert_bounded("dripping registry", &r, &[2], RSS_MIB);
    assert!(r.stderr.contains("deadline of 2 s"), "{}", r.stderr);
    assert!(took < Duration::from_secs(8), "{took:?}");
}
