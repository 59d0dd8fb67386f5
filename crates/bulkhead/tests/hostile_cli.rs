//! Hostile images through the CLI: exit code, stderr naming the culprit, nothing on stdout for errors,
//! nothing written outside `--cache-dir`, and peak RSS (measured with `/usr/bin/time -f %M`) bounded.
//!
//! Images are crafted here with a minimal hand-written tar writer, zstd frame writer (raw and RLE
//! blocks) and deflate/gzip writer (one maximum-ratio dynamic block), as this crate has no tar or
//! compression dev-dependencies. Measured on the development machine (debug build): every failing
//! hostile scan peaks under 15 MiB except the zstd bomb with a 128 MiB window (~141 MiB); the
//! 10^5-file image peaks at ~42 MiB and scans in ~1 s cold, ~0.5 s cached.

mod common;
use bulkhead_image::source::digest::{ThreadedDigestReader, sha256_of};
use common::inventory_of;
use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// Peak RSS allowed for any hostile scan (decompression bombs and the 10^5-file image included)...
const RSS_BOUND_KB: u64 = 150 * 1024;
/// ...except a zstd frame asking for the largest window the decoder accepts (2^27 = 128 MiB, zstd's
/// default `windowLogMax`), which the decoder allocates and fills.
const RSS_BOUND_ZSTD_MAX_WINDOW_KB: u64 = 200 * 1024;

// ---------------------------------------------------------------------------------------------------
// Hand-made tar and zstd.
// ---------------------------------------------------------------------------------------------------

fn octal(field: &mut [u8], v: u64) {
    let s = format!("{v:0width$o}", width = field.len() - 1);
    assert!(s.len() < field.len(), "{v} does not fit");
    field[..s.len()].copy_from_slice(s.as_bytes());
    field[s.len()] = 0;
}

/// A ustar header with raw name and link bytes (so `../x` and `/abs` can be written).
fn header(name: &str, size: u64, typeflag: u8, link: &str) -> [u8; 512] {
    let mut h = [0u8; 512];
    assert!(name.len() <= 100 && link.len() <= 100);
    h[..name.len()].copy_from_slice(name.as_bytes());
    octal(
        &mut h[100..108],
        if typeflag == b'5' { 0o755 } else { 0o644 },
    );
    octal(&mut h[108..116], 0);
    octal(&mut h[116..124], 0);
    octal(&mut h[124..136], size);
    octal(&mut h[136..148], 1_700_000_000);
    h[156] = typeflag;
    h[157..157 + link.len()].copy_from_slice(link.as_bytes());
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].fill(b' ');
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    let s = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(s.as_bytes());
    h
}

#[derive(Default)]
struct Tar(Vec<u8>);

impl Tar {
    fn entry(&mut self, name: &str, typeflag: u8, link: &str, data: &[u8]) -> &mut Self {
        self.0
            .extend_from_slice(&header(name, data.len() as u64, typeflag, link));
        self.0.extend_from_slice(data);
        self.0.resize(self.0.len().div_ceil(512) * 512, 0);
        self
    }

    fn file(&mut self, name: &str, data: &[u8]) -> &mut Self {
        self.entry(name, b'0', "", data)
    }

    fn finish(mut self) -> Vec<u8> {
        self.0.extend_from_slice(&[0u8; 1024]);
        self.0
    }
}

/// A piece of a stream for [`zstd_frame`].
enum Seg<'a> {
    Raw(&'a [u8]),
    /// `n` copies of a byte, as RLE blocks (4 bytes of frame per 128 KiB).
    Run(u8, u64),
}

/// A zstd frame of raw and RLE blocks, with a window of 2^`window_log` bytes.
fn zstd_frame(segs: &[Seg], window_log: u8) -> Vec<u8> {
    const BLOCK: u64 = 128 << 10;
    let mut out = vec![0x28, 0xb5, 0x2f, 0xfd, 0x00, (window_log - 10) << 3];
    let mut blocks: Vec<(u32, u32, Vec<u8>)> = Vec::new();
    for seg in segs {
        match seg {
            Seg::Raw(d) => {
                for c in d.chunks(BLOCK as usize) {
                    blocks.push((0, c.len() as u32, c.to_vec()));
                }
            }
            Seg::Run(b, n) => {
                let mut left = *n;
                while left > 0 {
                    let k = left.min(BLOCK);
                    blocks.push((1, k as u32, vec![*b]));
                    left -= k;
                }
            }
        }
    }
    let last = blocks.len() - 1;
    for (i, (ty, size, content)) in blocks.into_iter().enumerate() {
        let h = u32::from(i == last) | (ty << 1) | (size << 3);
        out.extend_from_slice(&h.to_le_bytes()[..3]);
        out.extend_from_slice(&content);
    }
    out
}

/// CRC-32 (gzip's) of `data`.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn gf2_times(mat: &[u32; 32], mut v: u32) -> u32 {
    let mut sum = 0;
    let mut i = 0;
    while v != 0 {
        if v & 1 == 1 {
            sum ^= mat[i];
        }
        v >>= 1;
        i += 1;
    }
    sum
}

fn gf2_square(mat: &[u32; 32]) -> [u32; 32] {
    std::array::from_fn(|i| gf2_times(mat, mat[i]))
}

/// The CRC-32 of (the data whose CRC is `crc`) followed by `n` zero bytes, in O(log n): appending a
/// zero bit is a linear map on the CRC register, squared up to bytes and then to `n`.
fn crc32_append_zeros(crc: u32, mut n: u64) -> u32 {
    let mut op = [0u32; 32];
    op[0] = 0xedb8_8320;
    for (i, v) in op.iter_mut().enumerate().skip(1) {
        *v = 1 << (i - 1);
    }
    for _ in 0..3 {
        op = gf2_square(&op);
    }
    let mut reg = !crc;
    while n > 0 {
        if n & 1 == 1 {
            reg = gf2_times(&op, reg);
        }
        op = gf2_square(&op);
        n >>= 1;
    }
    !reg
}

/// An LSB-first bit writer (deflate's order).
#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    fn put(&mut self, value: u64, nbits: u32) {
        self.acc |= value << self.n;
        self.n += nbits;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    /// A Huffman code: written most significant bit first.
    fn code(&mut self, code: u64, len: u32) {
        let rev = (0..len).fold(0, |r, i| r | (((code >> i) & 1) << (len - 1 - i)));
        self.put(rev, len);
    }

    fn zeros(&mut self, mut nbits: u64) {
        while nbits > 0 && self.n != 0 {
            self.put(0, 1);
            nbits -= 1;
        }
        self.out.resize(self.out.len() + (nbits / 8) as usize, 0);
        self.put(0, (nbits % 8) as u32);
    }

    fn align(&mut self) {
        if self.n > 0 {
            self.put(0, 8 - self.n);
        }
    }
}

/// A gzip member holding `prefix` then `zeros` zero bytes, at deflate's maximum ratio (1032:1): the
/// prefix goes in a stored block, the zeros in one dynamic-Huffman block whose only codes are literal
/// 0 (2 bits), length 258 (1 bit), end of block (2 bits) and distance 1 (1 bit), so every 258 zero
/// bytes cost 2 bits.
fn gzip_zeros(prefix: &[u8], zeros: u64) -> Vec<u8> {
    assert!(zeros > 0 && prefix.len() < 65536);
    let mut b = Bits::default();
    // Stored block (not final).
    b.put(0, 1);
    b.put(0, 2);
    b.align();
    let len = prefix.len() as u16;
    b.out.extend_from_slice(&len.to_le_bytes());
    b.out.extend_from_slice(&(!len).to_le_bytes());
    b.out.extend_from_slice(prefix);
    // Final dynamic block: HLIT 286 codes, HDIST 1 code, HCLEN 18 code-length codes.
    b.put(1, 1);
    b.put(2, 2);
    b.put(29, 5);
    b.put(0, 5);
    b.put(14, 4);
    // Code-length code lengths in the RFC 1951 order 16 17 18 0 8 7 9 6 10 5 11 4 12 3 13 2 14 1:
    // symbol 18 gets 1 bit (code 0), symbols 1 and 2 get 2 bits (codes 10 and 11).
    for l in [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 2] {
        b.put(l, 3);
    }
    // Literal/length lengths: 0 -> 2, 1..=255 -> 0, 256 -> 2, 257..=284 -> 0, 285 -> 1; distance 0 -> 1.
    b.code(0b11, 2); // length 2 (symbol 0)
    b.code(0, 1);
    b.put(138 - 11, 7); // 138 zeros
    b.code(0, 1);
    b.put(117 - 11, 7); // 117 zeros (symbols 1..=255 done)
    b.code(0b11, 2); // length 2 (symbol 256)
    b.code(0, 1);
    b.put(28 - 11, 7); // 28 zeros (257..=284)
    b.code(0b10, 2); // length 1 (symbol 285)
    b.code(0b10, 2); // length 1 (distance code 0)
    // Literal/length codes: 285 -> "0", 0 -> "10", 256 -> "11"; distance 1 -> "0".
    b.code(0b10, 2); // one literal zero, then copies of it
    let matches = (zeros - 1) / 258;
    b.zeros(2 * matches);
    for _ in 0..(zeros - 1) % 258 {
        b.code(0b10, 2);
    }
    b.code(0b11, 2); // end of block
    b.align();
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    out.extend_from_slice(&b.out);
    let crc = crc32_append_zeros(crc32(prefix), zeros);
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&((prefix.len() as u64 + zeros) as u32).to_le_bytes());
    out
}

/// The sha256 of what `segs` stand for, streamed (a ThreadedDigestReader expecting a wrong digest reports
/// the actual one).
fn sha256_segs(segs: &[Seg]) -> String {
    let mut stream: Box<dyn Read> = Box::new(std::io::empty());
    for seg in segs {
        let next: Box<dyn Read> = match seg {
            Seg::Raw(d) => Box::new(std::io::Cursor::new(d.to_vec())),
            Seg::Run(b, n) => Box::new(std::io::repeat(*b).take(*n)),
        };
        stream = Box::new(stream.chain(next));
    }
    let bogus = format!("sha256:{}", "0".repeat(64));
    match ThreadedDigestReader::new(stream, Some(&bogus))
        .unwrap()
        .finish()
    {
        Err(bulkhead_image::Error::DigestMismatch { actual, .. }) => actual,
        other => panic!("{other:?}"),
    }
}

/// A docker-archive of `layers` (stored blob, diff id), manifest first.
fn docker_archive(path: &Path, layers: &[(Vec<u8>, String)]) {
    docker_archive_listing(path, layers, None);
}

/// A docker-archive whose manifest lists `listed` as layer members (default: the real ones).
fn docker_archive_listing(path: &Path, layers: &[(Vec<u8>, String)], listed: Option<&[&str]>) {
    let names: Vec<String> = (0..layers.len())
        .map(|i| format!("l{i}/layer.tar"))
        .collect();
    let listed: Vec<String> = match listed {
        Some(l) => l.iter().map(|s| s.to_string()).collect(),
        None => names.clone(),
    };
    let diff_ids: Vec<&String> = layers.iter().map(|(_, d)| d).collect();
    let manifest = serde_json::json!([{
        "Config": "config.json",
        "RepoTags": ["hostile:latest"],
        "Layers": listed,
    }]);
    let config = serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    });
    let mut t = Tar::default();
    t.file("manifest.json", &serde_json::to_vec(&manifest).unwrap())
        .file("config.json", &serde_json::to_vec(&config).unwrap());
    for (n, (blob, _)) in names.iter().zip(layers) {
        t.file(n, blob);
    }
    fs::write(path, t.finish()).unwrap();
}

fn plain(tar: Vec<u8>) -> (Vec<u8>, String) {
    let d = sha256_of(&tar);
    (tar, d)
}

// ---------------------------------------------------------------------------------------------------
// Running the CLI in a sandbox.
// ---------------------------------------------------------------------------------------------------

struct Sandbox {
    root: tempfile::TempDir,
}

struct Run {
    out: Output,
    rss_kb: Option<u64>,
    took: Duration,
}

impl Run {
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).into_owned()
    }
}

impl Sandbox {
    fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        for d in ["inputs", "cache", "home"] {
            fs::create_dir_all(root.path().join(d)).unwrap();
        }
        Sandbox { root }
    }

    fn input(&self, name: &str) -> PathBuf {
        self.root.path().join("inputs").join(name)
    }

    fn cache(&self) -> PathBuf {
        self.root.path().join("cache")
    }

    /// Every path outside the cache dir, with kind, size and mtime.
    fn snapshot(&self) -> BTreeMap<PathBuf, String> {
        fn walk(dir: &Path, skip: &Path, out: &mut BTreeMap<PathBuf, String>) {
            for e in fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p == skip {
                    continue;
                }
                let m = fs::symlink_metadata(&p).unwrap();
                out.insert(
                    p.clone(),
                    format!("{:?} {} {:?}", m.file_type(), m.len(), m.modified().ok()),
                );
                if m.is_dir() {
                    walk(&p, skip, out);
                }
            }
        }
        let mut out = BTreeMap::new();
        walk(self.root.path(), &self.cache(), &mut out);
        out
    }

    /// `bulkhead image TARGET --cache-dir <sandbox>/cache ARGS`, with HOME and XDG dirs pointed into
    /// the sandbox, under `/usr/bin/time` when it exists. Checks that nothing outside the cache dir
    /// changed and that the cache holds only `layers/*.layer`.
    fn run(&self, target: &Path, args: &[&str]) -> Run {
        let before = self.snapshot();
        let rss_file = self.root.path().join("rss");
        let time = Path::new("/usr/bin/time");
        let mut cmd = if time.exists() {
            let mut c = Command::new(time);
            c.arg("-f")
                .arg("%M")
                .arg("-o")
                .arg(&rss_file)
                .arg(env!("CARGO_BIN_EXE_bulkhead"));
            c
        } else {
            Command::new(env!("CARGO_BIN_EXE_bulkhead"))
        };
        let home = self.root.path().join("home");
        cmd.arg("image")
            .arg(target)
            .arg("--cache-dir")
            .arg(self.cache())
            .args(args)
            .env("HOME", &home)
            .env("XDG_CACHE_HOME", home.join(".cache"))
            .env("TMPDIR", &home)
            .env_remove("BULKHEAD_CACHE_DIR")
            .env_remove("BULKHEAD_LOG");
        let start = Instant::now();
        let out = cmd.output().expect("run bulkhead");
        let took = start.elapsed();
        let rss_kb = fs::read_to_string(&rss_file)
            .ok()
            .and_then(|s| s.lines().last()?.trim().parse().ok());
        let _ = fs::remove_file(&rss_file);
        let after = self.snapshot();
        let changed: Vec<_> = before
            .keys()
            .chain(after.keys())
            .filter(|k| before.get(*k) != after.get(*k))
            .collect();
        assert!(
            changed.is_empty(),
            "bulkhead changed files outside --cache-dir: {changed:?}"
        );
        for e in fs::read_dir(self.cache()).unwrap() {
            let e = e.unwrap();
            assert_eq!(e.file_name(), "layers", "stray file in the cache dir");
            for f in fs::read_dir(e.path()).unwrap() {
                let f = f.unwrap();
                assert!(
                    f.file_type().unwrap().is_file()
                        && f.file_name().to_string_lossy().ends_with(".layer"),
                    "stray cache file {:?}",
                    f.path()
                );
            }
        }
        Run { out, rss_kb, took }
    }
}

/// Print the peak RSS, and check it against `bound_kb` (or say loudly that it was not measured).
fn check_rss(what: &str, run: &Run, bound_kb: u64) {
    match run.rss_kb {
        Some(kb) => {
            eprintln!(
                "{what}: peak RSS {} MiB (bound {} MiB), {:?}",
                kb / 1024,
                bound_kb / 1024,
                run.took
            );
            assert!(
                kb <= bound_kb,
                "{what}: peak RSS {kb} KiB over the {bound_kb} KiB bound"
            );
        }
        None => eprintln!(
            "SKIP: /usr/bin/time unavailable; peak RSS of {what} not measured ({:?})",
            run.took
        ),
    }
}

/// Exit code 2, nothing on stdout, and stderr containing every part.
fn assert_fails(what: &str, run: &Run, parts: &[&str]) {
    let err = run.stderr();
    assert_eq!(run.out.status.code(), Some(2), "{what}: {err}");
    assert!(
        run.out.stdout.is_empty(),
        "{what}: stdout not empty on error"
    );
    for p in parts {
        assert!(err.contains(p), "{what}: stderr lacks {p:?}: {err}");
    }
    eprintln!("{what}: {}", err.trim());
}

fn sample_layer() -> Vec<u8> {
    let mut t = Tar::default();
    t.file("etc/os-release", b"ID=debian\nVERSION_ID=\"12\"\n")
        .file(
            "var/lib/dpkg/status",
            b"Package: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.13.dfsg-1\nArchitecture: amd64\n",
        );
    for i in 0..20 {
        t.file(&format!("usr/share/doc/f{i}"), &vec![b'd'; 900 + i]);
    }
    t.finish()
}

// ---------------------------------------------------------------------------------------------------
// Cases.
// ---------------------------------------------------------------------------------------------------

#[test]
fn traversal_names_are_skipped_with_warnings() {
    let sb = Sandbox::new();
    let mut t = Tar::default();
    t.file("etc/os-release", b"ID=alpine\nVERSION_ID=3.20.0\n")
        .file("../../etc/evil", b"EVIL\n")
        .file("a/../../b", b"EVIL\n")
        .file("/abs/file", b"absolute\n")
        .entry("../evil-link", b'2', "/etc/passwd", b"")
        .entry("etc/shadow", b'1', "../../etc/shadow", b"");
    let target = sb.input("traversal.tar");
    docker_archive(&target, &[plain(t.finish())]);
    let run = sb.run(&target, &["--format", "json"]);
    let err = run.stderr();
    assert!(run.out.status.success(), "{err}");
    for name in [
        "../../etc/evil",
        "a/../../b",
        "../evil-link",
        "../../etc/shadow",
    ] {
        assert!(
            err.contains(name),
            "stderr does not warn about {name}: {err}"
        );
    }
    let report = inventory_of(&run.out.stdout);
    // etc/os-release and abs/file (absolute names are normalised into the image).
    assert_eq!(report["file_count"], 2, "{report:#}");
    let warnings = report["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains("../../etc/evil")),
        "{warnings:?}"
    );
    assert_eq!(report["os"]["family"], "alpine", "{report:#}");
    check_rss("traversal names", &run, RSS_BOUND_KB);
    for p in ["/etc/evil", "/b", "/tmp/evil", "/tmp/etc/evil"] {
        assert!(
            !Path::new(p).exists() || Path::new(p).is_dir(),
            "{p} exists"
        );
    }
}

/// A scan of a 1.5 GiB zero layer succeeded: one file, its size, and one cached layer.
fn assert_zero_layer_scanned(what: &str, sb: &Sandbox, run: &Run, size: u64) {
    let err = run.stderr();
    assert_eq!(run.out.status.code(), Some(0), "{what}: {err}");
    assert!(!err.contains("bomb"), "{what}: {err}");
    let inv = inventory_of(&run.out.stdout);
    assert_eq!(inv["file_count"], 1, "{what}: {inv}");
    assert_eq!(
        fs::read_dir(sb.cache().join("layers")).unwrap().count(),
        1,
        "{what}: the layer is cached"
    );
    eprintln!("{what}: {size} bytes of zeros scanned in {:?}", run.took);
}

#[test]
fn zstd_bomb_with_default_limits() {
    // A tar whose single file declares 1.5 GiB of zeros, zstd-compressed by hand at 32768:1 (~48 KiB).
    // Bomb detection is by absolute output budget only (issue 11: a legitimate layer can hold a GiB
    // of zeros, a sparse `lastlog`), so with the default limits it scans, streamed. The largest
    // window the decoder accepts (2^27) is used, so the RSS bound includes the worst zstd window.
    let sb = Sandbox::new();
    let size: u64 = 3 << 29;
    let head = header("bomb/zeros", size, b'0', "");
    let segs = [Seg::Raw(&head), Seg::Run(0, size + 1024)];
    let start = Instant::now();
    let diff_id = sha256_segs(&segs);
    let blob = zstd_frame(&segs, 27);
    eprintln!(
        "zstd bomb: {} KiB expanding to 1.5 GiB, diff id computed in {:?}",
        blob.len() >> 10,
        start.elapsed()
    );
    let target = sb.input("zstd-bomb.tar");
    docker_archive(&target, &[(blob, diff_id.clone())]);
    let run = sb.run(&target, &["--format", "json"]);
    assert_zero_layer_scanned("zstd zeros", &sb, &run, size);
    check_rss(
        "zstd zeros (128 MiB window)",
        &run,
        RSS_BOUND_ZSTD_MAX_WINDOW_KB,
    );
}

#[test]
fn gzip_bomb_with_default_limits() {
    // 1.5 GiB of zeros at deflate's maximum ratio (~1.5 MiB of gzip): no ratio rule, so it scans.
    let sb = Sandbox::new();
    let size: u64 = 3 << 29;
    let head = header("bomb/zeros", size, b'0', "");
    let segs = [Seg::Raw(&head), Seg::Run(0, size + 1024)];
    let start = Instant::now();
    let diff_id = sha256_segs(&segs);
    let blob = gzip_zeros(&head, size + 1024);
    eprintln!(
        "gzip bomb: {} KiB expanding to 1.5 GiB, built in {:?}",
        blob.len() >> 10,
        start.elapsed()
    );
    let target = sb.input("gzip-bomb.tar");
    docker_archive(&target, &[(blob, diff_id.clone())]);
    let run = sb.run(&target, &["--format", "json"]);
    assert_zero_layer_scanned("gzip zeros", &sb, &run, size);
    check_rss("gzip zeros", &run, RSS_BOUND_KB);
}

#[test]
fn hand_made_gzip_is_valid() {
    // Control for the bomb encoder: a small stream made the same way scans cleanly, which checks its
    // deflate codes, CRC and length against the real decoder.
    let sb = Sandbox::new();
    // An empty file's header, then zeros: the tar ends at the first zero block, the rest is still
    // decompressed, CRC-checked and hashed. The sizes cover every remainder modulo 258 near them.
    let head = header("data/empty", 0, b'0', "");
    for zeros in [512u64, 513, 774, 775, 776, 1031, 100_000, 1_000_003] {
        let mut raw = head.to_vec();
        raw.resize(512 + zeros as usize, 0);
        let target = sb.input("small-gzip.tar");
        docker_archive(&target, &[(gzip_zeros(&head, zeros), sha256_of(&raw))]);
        let run = sb.run(&target, &["--format", "json", "--no-cache"]);
        assert!(run.out.status.success(), "{zeros}: {}", run.stderr());
        let report = inventory_of(&run.out.stdout);
        assert_eq!(report["file_count"], 1, "{zeros}");
    }
    // ...and the trailer is really checked: a wrong CRC fails the layer.
    let mut raw = head.to_vec();
    raw.resize(512 + 100_000, 0);
    let mut bad = gzip_zeros(&head, 100_000);
    let n = bad.len();
    bad[n - 8] ^= 1;
    let target = sb.input("bad-crc.tar");
    docker_archive(&target, &[(bad, sha256_of(&raw))]);
    let run = sb.run(&target, &["--no-cache"]);
    assert_fails("bad gzip CRC", &run, &["bad-crc.tar"]);
}

#[test]
fn missing_layer_member() {
    let sb = Sandbox::new();
    let (layer, diff_id) = plain(sample_layer());
    // The manifest lists l0/layer.tar, the archive lacks it.
    let full = sb.input("full.tar");
    docker_archive(&full, &[(layer, diff_id.clone())]);
    let bytes = fs::read(&full).unwrap();
    let mut t = Tar::default();
    let mut pos = 0;
    for _ in 0..2 {
        // Copy the first two members (manifest.json, config.json) as they are.
        let h = &bytes[pos..pos + 512];
        let size = u64::from_str_radix(
            std::str::from_utf8(&h[124..135])
                .unwrap()
                .trim_matches('\0'),
            8,
        )
        .unwrap() as usize;
        let name = std::str::from_utf8(&h[..100])
            .unwrap()
            .trim_end_matches('\0')
            .to_string();
        t.file(&name, &bytes[pos + 512..pos + 512 + size]);
        pos += 512 + size.div_ceil(512) * 512;
    }
    let target = sb.input("missing.tar");
    fs::write(&target, t.finish()).unwrap();
    let run = sb.run(&target, &[]);
    assert_fails(
        "missing layer",
        &run,
        &["missing.tar", &diff_id, "l0/layer.tar", "not found"],
    );
    check_rss("missing layer", &run, RSS_BOUND_KB);
}

#[test]
fn truncated_layer_and_archive() {
    let sb = Sandbox::new();
    let (mut layer, diff_id) = plain(sample_layer());
    layer.truncate(layer.len() / 2);
    let target = sb.input("cut-layer.tar");
    docker_archive(&target, &[(layer, diff_id.clone())]);
    let run = sb.run(&target, &[]);
    assert_fails(
        "truncated layer",
        &run,
        &["cut-layer.tar", &diff_id, "truncated"],
    );
    check_rss("truncated layer", &run, RSS_BOUND_KB);

    // The outer archive cut in the middle of the layer member.
    let full = sb.input("full.tar");
    docker_archive(&full, &[plain(sample_layer())]);
    let bytes = fs::read(&full).unwrap();
    let target = sb.input("cut-archive.tar");
    fs::write(&target, &bytes[..bytes.len() / 2 + 100]).unwrap();
    let run = sb.run(&target, &[]);
    assert_fails("truncated archive", &run, &["cut-archive.tar"]);
    check_rss("truncated archive", &run, RSS_BOUND_KB);
}

#[test]
fn hundred_thousand_files() {
    let sb = Sandbox::new();
    let start = Instant::now();
    let mut t = Tar::default();
    t.file("etc/os-release", b"ID=alpine\nVERSION_ID=3.20.0\n");
    for i in 0..100_000u32 {
        t.file(&format!("d{:03}/f{i:06}", i / 1000), b"");
    }
    let target = sb.input("many.tar");
    docker_archive(&target, &[plain(t.finish())]);
    eprintln!(
        "100k files: {} MiB archive built in {:?}",
        fs::metadata(&target).unwrap().len() >> 20,
        start.elapsed()
    );
    let run = sb.run(&target, &["--format", "json"]);
    assert!(run.out.status.success(), "{}", run.stderr());
    let report = inventory_of(&run.out.stdout);
    assert_eq!(report["file_count"], 100_001);
    check_rss("100k files (cold)", &run, RSS_BOUND_KB);
    let warm = sb.run(&target, &["--format", "json"]);
    assert!(warm.out.status.success(), "{}", warm.stderr());
    check_rss("100k files (cached)", &warm, RSS_BOUND_KB);
    assert!(run.took < Duration::from_secs(30), "{:?}", run.took);
}

#[test]
fn huge_long_name_keeps_memory_bounded() {
    let sb = Sandbox::new();
    let n: u64 = 512 << 20;
    let long = header("././@LongLink", n, b'L', "");
    let file = header("placeholder", 0, b'0', "");
    let segs = [
        Seg::Raw(&long),
        Seg::Run(b'a', n),
        Seg::Raw(&file),
        Seg::Run(0, 1024),
    ];
    let target = sb.input("longname.tar");
    docker_archive(&target, &[(zstd_frame(&segs, 17), sha256_segs(&segs))]);
    let run = sb.run(&target, &["--no-cache"]);
    eprintln!(
        "long name: exit {:?}, stderr {} bytes",
        run.out.status.code(),
        run.out.stderr.len()
    );
    check_rss("512 MiB long name", &run, RSS_BOUND_KB);
}

/// Terminal control sequences an image could smuggle into messages (window title, screen clear).
const ESC_NAME: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2Jevil";

/// Whether the image's control sequences reached stderr raw (the CLI's own colour codes are fine).
fn smuggled(run: &Run) -> bool {
    let err = &run.out.stderr;
    [&b"\x1b]0;pwned"[..], &b"\x1b[2J"[..]]
        .iter()
        .any(|seq| err.windows(seq.len()).any(|w| w == *seq))
}

#[test]
fn control_characters_in_warnings_are_escaped() {
    let sb = Sandbox::new();
    let mut t = Tar::default();
    t.file("etc/os-release", b"ID=alpine\n")
        .file(&format!("../{ESC_NAME}"), b"x");
    let target = sb.input("esc-warning.tar");
    docker_archive(&target, &[plain(t.finish())]);
    let run = sb.run(&target, &[]);
    assert!(run.out.status.success(), "{}", run.stderr());
    assert!(run.stderr().contains("pwned"), "{}", run.stderr());
    assert!(!smuggled(&run), "{:?}", run.stderr());
}

#[test]
fn control_characters_in_errors_are_escaped() {
    let sb = Sandbox::new();
    // A manifest naming a missing member.
    let listed = sb.input("esc-error.tar");
    docker_archive_listing(&listed, &[plain(sample_layer())], Some(&[ESC_NAME]));
    // A layer header with a bad checksum: the tar crate quotes the header's name in its error, and
    // walk.rs passes that through as is.
    let mut h = header(ESC_NAME, 0, b'0', "");
    h[148..156].copy_from_slice(b"\xff\xff\xff\xff\xff\xff\0 ");
    let mut layer = h.to_vec();
    layer.resize(512 + 1024, 0);
    let bad_tar = sb.input("esc-tar.tar");
    docker_archive(&bad_tar, &[plain(layer)]);
    let mut smuggling = Vec::new();
    for target in [listed, bad_tar] {
        let run = sb.run(&target, &[]);
        let name = target.file_name().unwrap().to_str().unwrap();
        assert_fails(name, &run, &[name, "pwned"]);
        if smuggled(&run) {
            smuggling.push(name.to_string());
        }
    }
    assert!(
        smuggling.is_empty(),
        "raw control sequences on stderr: {smuggling:?}"
    );
}
