//! Hostile images: crafted docker-archives, OCI layouts and OCI archives, built here in temporary directories, with
//! traversal names, link escapes, whiteout tricks, lying sizes, decompression bombs, huge entry counts,
//! truncation, missing or mismatching blobs and digest strings that try to climb out of the layout.
//!
//! Every case must end in a clear error or a safe skip with a warning. Every scan runs through
//! [`Sandbox::scan`], which also checks that nothing was created, changed or read outside the cache
//! directory (host canary files must never be opened), that the cache holds only `layers/*.layer`
//! entries, and that the scan does not hang.

use bulkhead_image::cache::LayerCache;
use bulkhead_image::compress;
use bulkhead_image::{Error, FileKind, Limits, ScanOptions, ScannedImage, Wanted, scan_target};
use serde_json::json;
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

// ---------------------------------------------------------------------------------------------------
// Building blocks: tar entries with arbitrary (unsafe) names, layers, docker-archives, OCI layouts.
// ---------------------------------------------------------------------------------------------------

fn sha256(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(data)))
}

fn hex_of(digest: &str) -> &str {
    digest.strip_prefix("sha256:").unwrap()
}

/// A tar stream whose entry names and link targets are written as raw bytes, so names the `tar` crate's
/// safe setters refuse (`../x`, `/abs`) can be produced.
struct Tar(tar::Builder<Vec<u8>>);

impl Tar {
    fn new() -> Self {
        Tar(tar::Builder::new(Vec::new()))
    }

    /// One entry: `declared` is the size written in the header (it may lie about `data`).
    fn raw_sized(
        &mut self,
        name: &[u8],
        kind: tar::EntryType,
        link: &[u8],
        declared: u64,
        data: &[u8],
    ) -> &mut Self {
        assert!(name.len() <= 100 && link.len() <= 100, "use long_name");
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_size(declared);
        h.set_mode(if kind == tar::EntryType::Directory {
            0o755
        } else {
            0o644
        });
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(1_700_000_000);
        h.as_old_mut().name[..name.len()].copy_from_slice(name);
        h.as_old_mut().linkname[..link.len()].copy_from_slice(link);
        h.set_cksum();
        self.0.append(&h, data).unwrap();
        self
    }

    fn raw(&mut self, name: &str, kind: tar::EntryType, link: &str, data: &[u8]) -> &mut Self {
        self.raw_sized(
            name.as_bytes(),
            kind,
            link.as_bytes(),
            data.len() as u64,
            data,
        )
    }

    fn file(&mut self, name: &str, data: &[u8]) -> &mut Self {
        self.raw(name, tar::EntryType::Regular, "", data)
    }

    fn dir(&mut self, name: &str) -> &mut Self {
        self.raw(name, tar::EntryType::Directory, "", b"")
    }

    fn symlink(&mut self, name: &str, target: &str) -> &mut Self {
        self.raw(name, tar::EntryType::Symlink, target, b"")
    }

    fn hardlink(&mut self, name: &str, target: &str) -> &mut Self {
        self.raw(name, tar::EntryType::Link, target, b"")
    }

    /// A GNU long-name (`L`) record, applying to the next entry.
    fn long_name(&mut self, name: &str) -> &mut Self {
        let mut data = name.as_bytes().to_vec();
        data.push(0);
        self.raw_sized(
            b"././@LongLink",
            tar::EntryType::GNULongName,
            b"",
            data.len() as u64,
            &data,
        )
    }

    /// A PAX extended header (`x`), applying to the next entry.
    fn pax(&mut self, records: &[(&str, &str)]) -> &mut Self {
        let mut data = Vec::new();
        for (k, v) in records {
            let body = format!(" {k}={v}\n");
            // The length prefix counts itself.
            let mut len = body.len() + 1;
            while format!("{len}{body}").len() != len {
                len += 1;
            }
            data.extend_from_slice(format!("{len}{body}").as_bytes());
        }
        self.raw_sized(
            b"PaxHeaders/x",
            tar::EntryType::XHeader,
            b"",
            data.len() as u64,
            &data,
        )
    }

    /// The tar with its end-of-archive blocks.
    fn finish(self) -> Vec<u8> {
        self.0.into_inner().unwrap()
    }

    /// The tar so far, with end-of-archive blocks, leaving the builder usable.
    fn clone_finish(&self) -> Vec<u8> {
        let mut v = self.0.get_ref().clone();
        v.extend_from_slice(&[0u8; 1024]);
        v
    }

    /// The tar without end-of-archive blocks (a stream that simply stops).
    fn unterminated(self) -> Vec<u8> {
        self.0.get_ref().clone()
    }
}

fn gzip(data: &[u8], level: u32) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

/// A piece of a stream to be encoded by [`zstd_frame`].
enum Seg<'a> {
    /// Bytes stored as they are (raw blocks).
    Raw(&'a [u8]),
    /// `n` copies of a byte (RLE blocks: 4 bytes of frame per 128 KiB, a ratio of 32768:1).
    Run(u8, u64),
}

/// A zstd frame made by hand from raw and RLE blocks; `window_log` goes into the frame header.
fn zstd_frame(segs: &[Seg], window_log: u8) -> Vec<u8> {
    const BLOCK: u64 = 128 << 10;
    let mut out = vec![0x28, 0xb5, 0x2f, 0xfd, 0x00, (window_log - 10) << 3];
    let mut blocks: Vec<(u32, u32, Vec<u8>)> = Vec::new(); // (type, size, content)
    for seg in segs {
        match seg {
            Seg::Raw(data) => {
                for c in data.chunks(BLOCK as usize) {
                    blocks.push((0, c.len() as u32, c.to_vec()));
                }
            }
            Seg::Run(byte, n) => {
                let mut left = *n;
                while left > 0 {
                    let k = left.min(BLOCK);
                    blocks.push((1, k as u32, vec![*byte]));
                    left -= k;
                }
            }
        }
    }
    if blocks.is_empty() {
        blocks.push((0, 0, Vec::new()));
    }
    let last = blocks.len() - 1;
    for (i, (ty, size, content)) in blocks.into_iter().enumerate() {
        let h = u32::from(i == last) | (ty << 1) | (size << 3);
        out.extend_from_slice(&h.to_le_bytes()[..3]);
        out.extend_from_slice(&content);
    }
    out
}

/// `prefix` then `zeros` zero bytes, as a zstd frame.
fn zstd_rle(prefix: &[u8], zeros: u64, window_log: u8) -> Vec<u8> {
    zstd_frame(&[Seg::Raw(prefix), Seg::Run(0, zeros)], window_log)
}

/// sha256 of the bytes `segs` stand for, without materialising them.
fn sha256_segs(segs: &[Seg]) -> String {
    let mut h = Sha256::new();
    let buf = [0u8; 1 << 16];
    for seg in segs {
        match seg {
            Seg::Raw(data) => h.update(data),
            Seg::Run(byte, n) => {
                let chunk = [*byte; 1 << 16];
                let chunk = if *byte == 0 { &buf } else { &chunk };
                let mut left = *n;
                while left > 0 {
                    let k = left.min(chunk.len() as u64) as usize;
                    h.update(&chunk[..k]);
                    left -= k as u64;
                }
            }
        }
    }
    format!("sha256:{}", hex::encode(h.finalize()))
}

/// One layer as stored (`blob`) with the digest of its uncompressed tar (`diff_id`).
#[derive(Clone)]
struct Layer {
    blob: Vec<u8>,
    diff_id: String,
    media_type: &'static str,
}

impl Layer {
    fn plain(tar: Vec<u8>) -> Self {
        Layer {
            diff_id: sha256(&tar),
            blob: tar,
            media_type: "application/vnd.oci.image.layer.v1.tar",
        }
    }

    fn gzip(tar: &[u8]) -> Self {
        Layer {
            diff_id: sha256(tar),
            blob: gzip(tar, 6),
            media_type: "application/vnd.oci.image.layer.v1.tar+gzip",
        }
    }

    fn zstd(tar: &[u8]) -> Self {
        Layer {
            diff_id: sha256(tar),
            blob: zstd::encode_all(tar, 3).unwrap(),
            media_type: "application/vnd.oci.image.layer.v1.tar+zstd",
        }
    }
}

fn config_json(diff_ids: &[String]) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }))
    .unwrap()
}

/// The members of a docker-archive, manifest first (so any truncation loses layer data).
fn docker_members(layers: &[Layer]) -> Vec<(String, Vec<u8>)> {
    let diff_ids: Vec<String> = layers.iter().map(|l| l.diff_id.clone()).collect();
    let names: Vec<String> = (0..layers.len())
        .map(|i| format!("l{i}/layer.tar"))
        .collect();
    let manifest = serde_json::to_vec(&json!([{
        "Config": "config.json",
        "RepoTags": ["hostile:latest"],
        "Layers": names,
    }]))
    .unwrap();
    let mut m = vec![
        ("manifest.json".to_string(), manifest),
        ("config.json".to_string(), config_json(&diff_ids)),
    ];
    for (n, l) in names.into_iter().zip(layers) {
        m.push((n, l.blob.clone()));
    }
    m
}

fn write_members(path: &Path, members: &[(String, Vec<u8>)]) -> PathBuf {
    let mut t = Tar::new();
    for (name, data) in members {
        t.file(name, data);
    }
    fs::write(path, t.finish()).unwrap();
    path.to_path_buf()
}

fn docker_archive(path: &Path, layers: &[Layer]) -> PathBuf {
    write_members(path, &docker_members(layers))
}

struct OciDigests {
    manifest: String,
    config: String,
    layers: Vec<String>,
}

fn put_blob(dir: &Path, data: &[u8]) -> String {
    let d = sha256(data);
    let p = dir.join("blobs/sha256");
    fs::create_dir_all(&p).unwrap();
    fs::write(p.join(hex_of(&d)), data).unwrap();
    d
}

fn blob_file(dir: &Path, digest: &str) -> PathBuf {
    dir.join("blobs/sha256").join(hex_of(digest))
}

fn write_index(dir: &Path, manifest_digest: &str, size: usize) {
    fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    fs::write(
        dir.join("index.json"),
        serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [{
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": manifest_digest,
                "size": size,
            }],
        }))
        .unwrap(),
    )
    .unwrap();
}

fn manifest_json(config: &str, config_size: usize, layers: &[(String, usize, &str)]) -> Vec<u8> {
    let layers: Vec<_> = layers
        .iter()
        .map(|(d, s, mt)| json!({"mediaType": mt, "digest": d, "size": s}))
        .collect();
    serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config,
            "size": config_size,
        },
        "layers": layers,
    }))
    .unwrap()
}

/// An OCI layout directory holding one image.
fn oci_layout(dir: &Path, layers: &[Layer]) -> OciDigests {
    fs::create_dir_all(dir).unwrap();
    let layer_refs: Vec<(String, usize, &str)> = layers
        .iter()
        .map(|l| (put_blob(dir, &l.blob), l.blob.len(), l.media_type))
        .collect();
    let diff_ids: Vec<String> = layers.iter().map(|l| l.diff_id.clone()).collect();
    let config = config_json(&diff_ids);
    let config_digest = put_blob(dir, &config);
    let manifest = manifest_json(&config_digest, config.len(), &layer_refs);
    let manifest_digest = put_blob(dir, &manifest);
    write_index(dir, &manifest_digest, manifest.len());
    OciDigests {
        manifest: manifest_digest,
        config: config_digest,
        layers: layer_refs.into_iter().map(|(d, _, _)| d).collect(),
    }
}

// ---------------------------------------------------------------------------------------------------
// The sandbox: inputs, cache and host canaries in one temporary tree that is checked after every scan.
// ---------------------------------------------------------------------------------------------------

/// Content of the host canary files; an image must never be able to make the scanner return it.
const HOST_CANARY: &[u8] = b"HOST-CANARY-5b1f0c2e: host content, never image content\n";

/// Paths whose contents the test analyzers capture.
const WANTED: &[&str] = &[
    "etc/os-release",
    "usr/lib/os-release",
    "var/lib/dpkg/status",
    "etc/passwd",
    "etc/shadow",
];

fn wanted() -> Wanted {
    Wanted::new("hostile-test-v1", |p| {
        WANTED.contains(&p) || p.starts_with("want/")
    })
}

struct Sandbox {
    /// The canary parent: holds `canary/` (host files) and `work/` (inputs and cache).
    root: tempfile::TempDir,
    inputs: PathBuf,
    cache_root: PathBuf,
    canary: PathBuf,
    atime_works: bool,
}

fn old_time() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000)
}

impl Sandbox {
    fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        let work = root.path().join("work");
        let inputs = work.join("inputs");
        let cache_root = work.join("cache");
        let canary = root.path().join("canary");
        fs::create_dir_all(&inputs).unwrap();
        fs::create_dir_all(&cache_root).unwrap();
        fs::create_dir_all(canary.join("etc")).unwrap();
        for name in ["etc/os-release", "etc/passwd", "etc/shadow", "blob"] {
            let p = canary.join(name);
            fs::write(&p, HOST_CANARY).unwrap();
            // An access time older than the modification time: any read updates it (relatime too).
            let f = fs::File::options().write(true).open(&p).unwrap();
            f.set_times(
                fs::FileTimes::new()
                    .set_accessed(old_time())
                    .set_modified(SystemTime::now()),
            )
            .unwrap();
        }
        // Does this filesystem record reads at all? Probe with a file of our own.
        let probe = root.path().join("atime-probe");
        fs::write(&probe, b"probe").unwrap();
        fs::File::options()
            .write(true)
            .open(&probe)
            .unwrap()
            .set_times(fs::FileTimes::new().set_accessed(old_time()))
            .unwrap();
        let _ = fs::read(&probe).unwrap();
        let atime_works = fs::metadata(&probe).unwrap().accessed().unwrap() != old_time();
        fs::remove_file(&probe).unwrap();
        if !atime_works {
            eprintln!(
                "SKIP (partial): this filesystem does not record access times; \
                 host canaries are checked for changes only, not for reads"
            );
        }
        Sandbox {
            root,
            inputs,
            cache_root,
            canary,
            atime_works,
        }
    }

    fn input(&self, name: &str) -> PathBuf {
        self.inputs.join(name)
    }

    /// Absolute path of a host canary file, e.g. `canary("etc/passwd")`.
    fn canary(&self, rel: &str) -> String {
        self.canary.join(rel).display().to_string()
    }

    /// Everything under the canary parent except the cache: kind, size, mtime, and (for the host
    /// canaries) the access time, so a read of a canary shows up as a change.
    fn snapshot(&self) -> BTreeMap<PathBuf, String> {
        fn walk(dir: &Path, sb: &Sandbox, out: &mut BTreeMap<PathBuf, String>) {
            for e in fs::read_dir(dir).unwrap() {
                let e = e.unwrap();
                let p = e.path();
                if p == sb.cache_root {
                    continue;
                }
                let m = fs::symlink_metadata(&p).unwrap();
                let mut d = format!(
                    "{:?} len={} mtime={:?}",
                    m.file_type(),
                    m.len(),
                    m.modified().ok()
                );
                if sb.atime_works && p.starts_with(&sb.canary) && m.is_file() {
                    d.push_str(&format!(" atime={:?}", m.accessed().ok()));
                }
                if m.is_symlink() {
                    d.push_str(&format!(" -> {:?}", fs::read_link(&p).unwrap()));
                }
                out.insert(p.clone(), d);
                if m.is_dir() {
                    walk(&p, sb, out);
                }
            }
        }
        let mut out = BTreeMap::new();
        walk(self.root.path(), self, &mut out);
        out
    }

    /// The cache holds only `layers/` and, in it, only finished `*.layer` entries.
    fn cache_entries(&self) -> Vec<PathBuf> {
        if !self.cache_root.exists() {
            return Vec::new();
        }
        let top: Vec<_> = fs::read_dir(&self.cache_root)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(top, vec!["layers"], "unexpected files in the cache root");
        let mut out = Vec::new();
        for e in fs::read_dir(self.cache_root.join("layers")).unwrap() {
            let e = e.unwrap();
            let ft = e.file_type().unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            assert!(
                ft.is_file() && name.ends_with(".layer"),
                "stray cache file {name} ({ft:?})"
            );
            out.push(e.path());
        }
        out
    }

    fn scan(&self, target: &Path) -> Result<ScannedImage, Error> {
        self.scan_with(target, Limits::default())
    }

    /// Scan in a thread (a hang fails the test instead of blocking it), then check the sandbox.
    fn scan_with(&self, target: &Path, limits: Limits) -> Result<ScannedImage, Error> {
        self.scan_spec(&target.display().to_string(), limits)
    }

    fn scan_spec(&self, spec: &str, limits: Limits) -> Result<ScannedImage, Error> {
        let before = self.snapshot();
        let evil_before = host_evil_paths();
        let spec = spec.to_string();
        let cache_root = self.cache_root.clone();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let opts = ScanOptions {
                cache: Some(LayerCache::open(&cache_root, 1 << 30).unwrap()),
                limits,
                ..Default::default()
            };
            let _ = tx.send(scan_target(&spec, &wanted(), &opts));
        });
        let res = rx
            .recv_timeout(Duration::from_secs(120))
            .expect("the scan hung or panicked");
        let after = self.snapshot();
        let changed: Vec<String> = before
            .keys()
            .chain(after.keys())
            .filter(|k| before.get(*k) != after.get(*k))
            .map(|k| format!("{}: {:?} -> {:?}", k.display(), before.get(k), after.get(k)))
            .collect();
        assert!(
            changed.is_empty(),
            "the scan created, changed or read files outside the cache directory: {changed:#?}"
        );
        self.cache_entries();
        assert_eq!(evil_before, host_evil_paths(), "an `evil` file appeared");
        res
    }
}

/// Where a naive extractor of `../../etc/evil`-style names would have written, relative to the
/// temporary directories and the working directory.
fn host_evil_paths() -> Vec<PathBuf> {
    let tmp = std::env::temp_dir();
    let cwd = std::env::current_dir().unwrap();
    [
        tmp.join("evil"),
        tmp.join("etc/evil"),
        tmp.parent().unwrap_or(&tmp).join("etc/evil"),
        PathBuf::from("/etc/evil"),
        PathBuf::from("/evil"),
        PathBuf::from("/b"),
        cwd.join("evil"),
        cwd.join("../evil"),
        cwd.join("../../etc/evil"),
    ]
    .into_iter()
    .filter(|p| p.exists())
    .collect()
}

fn find_named(dir: &Path, needle: &str, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        if e.file_name().to_string_lossy().contains(needle) {
            out.push(e.path());
        }
        if e.file_type().unwrap().is_dir() {
            find_named(&e.path(), needle, out);
        }
    }
}

fn expect_err(r: Result<ScannedImage, Error>) -> Error {
    match r {
        Ok(s) => panic!(
            "expected an error, the scan succeeded with {} files and warnings {:?}",
            s.index.len(),
            s.index.warnings
        ),
        Err(e) => e,
    }
}

fn has_warning(s: &ScannedImage, parts: &[&str]) -> bool {
    s.index
        .warnings
        .iter()
        .any(|w| parts.iter().all(|p| w.contains(p)))
}

fn assert_warning(s: &ScannedImage, parts: &[&str]) {
    assert!(
        has_warning(s, parts),
        "no warning containing {parts:?}; warnings: {:#?}",
        s.index.warnings
    );
}

fn paths(s: &ScannedImage) -> Vec<String> {
    s.index.files().map(|e| e.path.clone()).collect()
}

/// An OCI archive: the layout directory's files in a tar.
fn oci_archive(layout: &Path, path: &Path) -> PathBuf {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        let mut entries: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).unwrap().to_str().unwrap().to_string();
                out.push((rel, fs::read(&p).unwrap()));
            }
        }
    }
    let mut members = Vec::new();
    walk(layout, layout, &mut members);
    write_members(path, &members)
}

/// The same image as a docker-archive, an OCI layout directory and an OCI archive, for cases that
/// must behave the same in each.
fn both_sources(sb: &Sandbox, name: &str, layers: &[Layer]) -> Vec<PathBuf> {
    let archive = docker_archive(&sb.input(&format!("{name}.tar")), layers);
    let layout = sb.input(&format!("{name}-oci"));
    if layout.exists() {
        fs::remove_dir_all(&layout).unwrap();
    }
    oci_layout(&layout, layers);
    let oci_tar = oci_archive(&layout, &sb.input(&format!("{name}-oci.tar")));
    vec![archive, layout, oci_tar]
}

// ---------------------------------------------------------------------------------------------------
// 1. Traversal and absolute entry names.
// ---------------------------------------------------------------------------------------------------

#[test]
fn traversal_names_are_refused_and_absolute_names_normalised() {
    let sb = Sandbox::new();
    let long_evil = format!("long/{}../../../../../../etc/evil", "deep/".repeat(30));
    assert!(long_evil.len() > 100);
    let mut t = Tar::new();
    t.file("etc/os-release", b"ID=hostile\n")
        .file("../../etc/evil", b"EVIL\n")
        .file("/abs/file", b"absolute\n")
        .file("a/../../b", b"EVIL\n")
        .file("./../evil", b"EVIL\n")
        .file("/../evil", b"EVIL\n")
        .file("ok/../evil", b"EVIL\n")
        .dir("x/..")
        .dir("..")
        .symlink("../evil-symlink", "/etc/passwd")
        .hardlink("../evil-hardlink", "etc/os-release")
        .file("./", b"")
        .file("//abs//./twice/", b"absolute twice\n")
        // Backslashes are not separators: this is one harmless file name at the root.
        .file("..\\..\\evil-backslash", b"literal name\n")
        .long_name(&long_evil)
        .file("placeholder", b"EVIL\n")
        .pax(&[("path", "pax/../../../etc/evil")])
        .file("placeholder2", b"EVIL\n");
    let layers = [Layer::plain(t.finish())];
    for target in both_sources(&sb, "traversal", &layers) {
        let s = sb.scan(&target).unwrap();
        let ps = paths(&s);
        // Absolute names are normalised into the image (leading `/` and `.`/empty components dropped).
        assert!(ps.contains(&"abs/file".to_string()), "{ps:?}");
        assert!(ps.contains(&"abs/twice".to_string()), "{ps:?}");
        assert_eq!(s.index.entry("/abs/file").unwrap().kind, FileKind::File);
        assert_eq!(s.index.read("etc/os-release"), Some(&b"ID=hostile\n"[..]));
        assert_eq!(
            ps,
            vec![
                "..\\..\\evil-backslash".to_string(),
                "abs/file".into(),
                "abs/twice".into(),
                "etc/os-release".into(),
            ],
            "only the legitimate entries are indexed"
        );
        for p in &ps {
            assert!(
                !p.starts_with('/') && p.split('/').all(|c| !c.is_empty() && c != "." && c != ".."),
                "unnormalised path {p:?}"
            );
        }
        for refused in [
            "../../etc/evil",
            "a/../../b",
            "./../evil",
            "/../evil",
            "ok/../evil",
            "x/..",
            "..",
            "../evil-symlink",
            "../evil-hardlink",
            long_evil.as_str(),
            "pax/../../../etc/evil",
        ] {
            assert_warning(&s, &[&format!("{refused:?}"), "escapes the root"]);
        }
        // The warnings name the layer too.
        assert!(
            s.index
                .warnings
                .iter()
                .all(|w| w.starts_with(&format!("layer {}", layers[0].diff_id)))
        );
    }
    let mut evil = Vec::new();
    find_named(sb.root.path(), "evil", &mut evil);
    assert!(evil.is_empty(), "{evil:?}");
}

// ---------------------------------------------------------------------------------------------------
// 2. Symlinks: resolution stays inside the image, loops end.
// ---------------------------------------------------------------------------------------------------

#[test]
fn symlinks_resolve_inside_the_image_only() {
    let sb = Sandbox::new();
    let mut t = Tar::new();
    t.file("usr/lib/os-release", b"ID=image\n")
        .file("etc/passwd", b"root:x:0:0:image-passwd\n")
        .symlink("etc/os-release", "../../../../../../usr/lib/os-release")
        // Absolute and climbing targets that would reach the host canaries outside a chroot.
        .symlink("want/host-abs", &sb.canary("etc/passwd"))
        .symlink(
            "want/host-up",
            &format!("../../../../../../../../..{}", sb.canary("etc/shadow")),
        )
        .symlink("want/abs-passwd", "/etc/passwd")
        .symlink("want/up-passwd", "../../../../../../../../../etc/passwd")
        .symlink("want/root", "/")
        .symlink("want/updir", "../../../../..")
        .symlink("want/self-escape", "../../../../../want/self-escape")
        // Loops.
        .symlink("want/loop1", "loop2")
        .symlink("want/loop2", "./loop1")
        .symlink("want/self", "self")
        .symlink("want/dot", ".")
        .symlink("want/parentloop", "../want/parentloop/x");
    // A chain longer than the hop limit, and one within it.
    for i in 0..60 {
        t.symlink(&format!("want/chain{i}"), &format!("chain{}", i + 1));
    }
    t.file("want/chain60", b"end of chain\n");
    let s = sb
        .scan(&docker_archive(
            &sb.input("symlinks.tar"),
            &[Layer::plain(t.finish())],
        ))
        .unwrap();
    let idx = &s.index;
    assert_eq!(idx.read("etc/os-release"), Some(&b"ID=image\n"[..]));
    assert_eq!(
        idx.resolve("etc/os-release").as_deref(),
        Some("usr/lib/os-release")
    );
    assert_eq!(idx.read("want/host-abs"), None);
    assert_eq!(idx.read("want/host-up"), None);
    let image_passwd = &b"root:x:0:0:image-passwd\n"[..];
    assert_eq!(idx.read("want/abs-passwd"), Some(image_passwd));
    assert_eq!(idx.read("want/up-passwd"), Some(image_passwd));
    assert_eq!(idx.read("want/root/etc/passwd"), Some(image_passwd));
    assert_eq!(idx.read("want/updir/etc/passwd"), Some(image_passwd));
    assert_eq!(
        idx.read("want/updir/want/updir/usr/lib/os-release"),
        Some(&b"ID=image\n"[..])
    );
    // Going through an intermediate link to a host directory finds nothing.
    assert_eq!(
        idx.read(&format!("want/root{}", sb.canary("etc/passwd"))),
        None
    );
    let start = Instant::now();
    for looping in [
        "want/self-escape",
        "want/loop1",
        "want/loop2",
        "want/self",
        "want/parentloop",
        "want/loop1/x/y",
        "want/chain0",
    ] {
        assert_eq!(idx.resolve(looping), None, "{looping}");
        assert_eq!(idx.read(looping), None, "{looping}");
    }
    // `dot` is a link to its own directory: deep paths through it resolve (no loop, no hang).
    // `want/dot` is a link to its own directory: each pass through it is one hop.
    let deep = format!("want/{}chain60", "dot/".repeat(30));
    assert_eq!(idx.read(&deep), Some(&b"end of chain\n"[..]));
    let too_deep = format!("want/{}chain60", "dot/".repeat(41));
    assert_eq!(idx.read(&too_deep), None, "the hop limit (40) applies");
    assert_eq!(
        idx.read("want/dot/dot/chain30"),
        Some(&b"end of chain\n"[..])
    );
    assert_eq!(idx.read("want/chain25"), Some(&b"end of chain\n"[..]));
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    // No path of the image reads as host content.
    let host: Vec<Vec<u8>> = ["/etc/passwd", "/etc/shadow", "/etc/os-release"]
        .iter()
        .filter_map(|p| fs::read(p).ok())
        .chain([HOST_CANARY.to_vec()])
        .collect();
    for e in idx.files() {
        if let Some(data) = idx.read(&e.path) {
            assert!(
                !host.iter().any(|h| h == data),
                "{} reads host content",
                e.path
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// 3. Hard links.
// ---------------------------------------------------------------------------------------------------

#[test]
fn hard_links_stay_inside_the_image() {
    let sb = Sandbox::new();
    let mut t0 = Tar::new();
    t0.file("etc/passwd", b"image-passwd\n")
        .hardlink("want/shadow-escape", "../../etc/shadow")
        .hardlink(
            "etc/shadow",
            &format!("../../../../..{}", sb.canary("etc/shadow")),
        )
        .hardlink("want/abs", "/etc/passwd")
        .hardlink("var/lib/dpkg/status", "etc/passwd")
        .hardlink("want/host-abs", &sb.canary("etc/passwd"))
        .symlink("want/sym-to-host", &sb.canary("etc/passwd"))
        .hardlink("want/to-symlink", "want/sym-to-host")
        .hardlink("want/h1", "want/h2")
        .hardlink("want/h2", "want/h1");
    let mut t1 = Tar::new();
    t1.hardlink("want/cross-layer", "etc/passwd");
    let layers = [Layer::plain(t0.finish()), Layer::gzip(&t1.finish())];
    for target in both_sources(&sb, "hardlinks", &layers) {
        let s = sb.scan(&target).unwrap();
        let idx = &s.index;
        assert_warning(
            &s,
            &[
                "\"want/shadow-escape\"",
                "../../etc/shadow",
                "escapes the root",
            ],
        );
        assert_warning(&s, &["\"etc/shadow\"", "escapes the root"]);
        assert!(idx.entry("want/shadow-escape").is_none());
        assert!(idx.entry("etc/shadow").is_none());
        assert_eq!(idx.read("etc/shadow"), None);
        let passwd = &b"image-passwd\n"[..];
        // Absolute targets are normalised into the image.
        assert_eq!(
            idx.entry("want/abs").unwrap().link.as_deref(),
            Some("etc/passwd")
        );
        assert_eq!(idx.read("want/abs"), Some(passwd));
        // A wanted hard link shares its in-image target's content (also across layers).
        assert_eq!(idx.read("var/lib/dpkg/status"), Some(passwd));
        assert_eq!(idx.read("want/cross-layer"), Some(passwd));
        // Links to host paths find nothing in the image.
        assert_eq!(idx.read("want/host-abs"), None);
        assert_eq!(idx.read("want/to-symlink"), None);
        assert_eq!(idx.read("want/h1"), None);
        assert_eq!(idx.read("want/h2"), None);
    }
}

#[test]
fn hard_links_do_not_multiply_captured_bytes() {
    // A hostile layer links one wanted file under many wanted names: every link would carry a copy of
    // the target's bytes, so the per-layer capture bound must count them.
    let sb = Sandbox::new();
    let mut t = Tar::new();
    t.file("want/big", &vec![b'x'; 4000]);
    for i in 0..100 {
        t.hardlink(&format!("want/link{i:03}"), "want/big");
    }
    let limits = Limits {
        max_captured_per_layer: 10_000,
        ..Limits::default()
    };
    let s = sb
        .scan_with(
            &docker_archive(&sb.input("links.tar"), &[Layer::plain(t.finish())]),
            limits,
        )
        .unwrap();
    let total: usize = s.index.captured().map(|(_, c)| c.data.len()).sum();
    assert!(
        total <= 10_000,
        "captured {total} bytes in one layer despite a 10000-byte bound"
    );
    assert_warning(&s, &["want/link", "layer capture limit"]);
    // The links themselves are still in the index.
    assert!(s.index.entry("want/link099").is_some());
}

// ---------------------------------------------------------------------------------------------------
// 4. Whiteouts.
// ---------------------------------------------------------------------------------------------------

fn lower_layer() -> Vec<u8> {
    let mut t = Tar::new();
    t.dir("etc")
        .file("etc/os-release", b"ID=lower\n")
        .file("etc/keep", b"keep\n")
        .dir("opt/app")
        .file("opt/app/bin", b"bin\n")
        .file("opt/app/lib/x", b"x\n")
        .file("opt/other", b"other\n")
        .file("srv/f", b"lower f\n")
        .file("var/x", b"lower x\n")
        .file("var/lib/dpkg/status", b"Package: lower\n");
    t.finish()
}

#[test]
fn whiteouts_naming_the_root_are_refused() {
    let sb = Sandbox::new();
    let mut t = Tar::new();
    t.file(".wh.", b"")
        .file("./.wh.", b"")
        .file("/.wh.", b"")
        .file(".wh..", b"")
        .file(".wh...", b"")
        .file("etc/.wh...", b"")
        .file("../.wh.etc", b"")
        .file("etc/../.wh.etc", b"")
        .file(".wh..wh.plnk", b"")
        .file(".wh..wh.aufs", b"");
    let layers = [Layer::plain(lower_layer()), Layer::plain(t.finish())];
    for target in both_sources(&sb, "wh-root", &layers) {
        let s = sb.scan(&target).unwrap();
        for name in [".wh.", "./.wh.", "/.wh.", ".wh..", ".wh...", "etc/.wh..."] {
            assert_warning(
                &s,
                &[&format!("skipped whiteout {name:?}"), "names no file"],
            );
        }
        for name in ["../.wh.etc", "etc/../.wh.etc"] {
            assert_warning(&s, &[&format!("{name:?}"), "escapes the root"]);
        }
        // Nothing of the lower layer was hidden, and no whiteout file shows up as a file.
        assert_eq!(s.index.read("etc/os-release"), Some(&b"ID=lower\n"[..]));
        assert!(s.index.entry("etc/keep").is_some());
        assert!(s.index.entry("opt/app/lib/x").is_some());
        assert!(
            paths(&s).iter().all(|p| !p.contains(".wh.")),
            "{:?}",
            paths(&s)
        );
    }
}

#[test]
fn whiteout_semantics() {
    let sb = Sandbox::new();
    let mut t1 = Tar::new();
    t1.file("opt/.wh.app", b"") // a directory whiteout removes the whole subtree
        .file("srv/.wh.f", b"") // whiteout, then re-add in the same layer: the new file survives
        .file("srv/f", b"upper f\n")
        .file("var/x", b"upper x\n") // re-add, then whiteout in the same layer: still survives
        .file("var/.wh.x", b"")
        .file("var/lib/dpkg/.wh.status", b"") // a wanted file's captured content goes too
        .file("etc/.wh.nonexistent", b"");
    let layers = [Layer::plain(lower_layer()), Layer::gzip(&t1.finish())];
    for target in both_sources(&sb, "wh", &layers) {
        let s = sb.scan(&target).unwrap();
        let idx = &s.index;
        assert!(idx.entry("opt/app").is_none());
        assert!(idx.entry("opt/app/bin").is_none());
        assert!(idx.entry("opt/app/lib/x").is_none());
        assert!(idx.entry("opt/other").is_some());
        assert_eq!(idx.entry("srv/f").unwrap().layer, 1);
        assert_eq!(idx.entry("var/x").unwrap().layer, 1);
        assert!(idx.entry("var/lib/dpkg/status").is_none());
        assert_eq!(idx.read("var/lib/dpkg/status"), None);
        assert_eq!(idx.read("etc/os-release"), Some(&b"ID=lower\n"[..]));
        assert!(s.index.warnings.is_empty(), "{:?}", s.index.warnings);
    }
}

#[test]
fn opaque_root_hides_every_lower_layer() {
    // `./.wh..wh..opq` at the root is legitimate per the OCI spec: the layer replaces the whole tree.
    let sb = Sandbox::new();
    let mut t1 = Tar::new();
    t1.file("./.wh..wh..opq", b"")
        .file("etc/os-release", b"ID=upper\n")
        .file("new/file", b"new\n");
    let mut t2 = Tar::new();
    t2.file("etc/.wh..wh..opq", b"")
        .file("etc/passwd", b"upper passwd\n");
    let layers = [
        Layer::plain(lower_layer()),
        Layer::plain(t1.finish()),
        Layer::plain(t2.finish()),
    ];
    for target in both_sources(&sb, "opq", &layers) {
        let s = sb.scan(&target).unwrap();
        assert_eq!(
            paths(&s),
            vec!["etc/passwd".to_string(), "new/file".into()],
            "opaque root hides layer 0; opaque etc/ hides layer 1's etc/os-release"
        );
        assert_eq!(s.index.read("etc/os-release"), None);
        assert_eq!(s.index.read("var/lib/dpkg/status"), None);
        assert_eq!(s.index.read("etc/passwd"), Some(&b"upper passwd\n"[..]));
        assert!(s.index.files().all(|e| e.layer >= 1));
    }
    // With the root opaque layer on top, same-layer entries survive it.
    let s = sb
        .scan(&docker_archive(&sb.input("opq2.tar"), &layers[..2]))
        .unwrap();
    assert_eq!(
        paths(&s),
        vec!["etc/os-release".to_string(), "new/file".into()]
    );
    assert_eq!(s.index.read("etc/os-release"), Some(&b"ID=upper\n"[..]));
}

// ---------------------------------------------------------------------------------------------------
// 5. Huge declared sizes, capture bounds, entry-count bound.
// ---------------------------------------------------------------------------------------------------

const TIB: u64 = 1 << 40;

#[test]
fn a_terabyte_entry_in_a_short_stream_is_a_truncation_error() {
    let sb = Sandbox::new();
    for (what, name) in [("unwanted", "big/file"), ("wanted", "var/lib/dpkg/status")] {
        let mut t = Tar::new();
        t.file("etc/os-release", b"ID=x\n");
        t.raw_sized(
            name.as_bytes(),
            tar::EntryType::Regular,
            b"",
            TIB,
            &[7u8; 4096],
        );
        let tar = t.unterminated();
        for layer in [
            Layer::plain(tar.clone()),
            Layer::gzip(&tar),
            Layer::zstd(&tar),
        ] {
            for target in both_sources(&sb, &format!("tib-{what}"), std::slice::from_ref(&layer)) {
                let start = Instant::now();
                let e = expect_err(sb.scan(&target));
                assert!(start.elapsed() < Duration::from_secs(10));
                match &e {
                    Error::Layer { layer: l, message } => {
                        assert_eq!(l, &layer.diff_id);
                        assert!(message.contains("truncated"), "{message}");
                    }
                    other => panic!("{what} {}: {other}", target.display()),
                }
                assert!(e.to_string().contains(&layer.diff_id), "{e}");
                assert!(sb.cache_entries().is_empty(), "a failed layer was cached");
            }
        }
    }
}

#[test]
fn oversized_wanted_files_are_skipped_with_a_warning() {
    let sb = Sandbox::new();
    let mut t0 = Tar::new();
    t0.file("var/lib/dpkg/status", &vec![b'p'; 4096])
        .file("etc/os-release", b"ID=small\n")
        .file("want/a", &[1u8; 1000])
        .file("want/b", &[2u8; 1000])
        .file("want/c", &[3u8; 1000]);
    let mut t1 = Tar::new();
    t1.file("etc/passwd", b"root\n");
    let limits = Limits {
        max_captured_file: 1024,
        max_captured_per_layer: 2500,
        ..Limits::default()
    };
    let layers = [Layer::plain(t0.finish()), Layer::zstd(&t1.finish())];
    for target in both_sources(&sb, "oversized", &layers) {
        let s = sb.scan_with(&target, limits.clone()).unwrap();
        assert_warning(
            &s,
            &[
                "not analysed var/lib/dpkg/status",
                "4096 bytes",
                "1024 byte limit",
            ],
        );
        assert_warning(&s, &["not analysed want/c", "layer capture limit of 2500"]);
        // Recorded in the index (so file ownership still works) but not captured.
        assert_eq!(s.index.entry("var/lib/dpkg/status").unwrap().size, 4096);
        assert_eq!(s.index.read("var/lib/dpkg/status"), None);
        assert_eq!(s.index.read("want/c"), None);
        // The scan went on: later entries and layers are captured.
        assert_eq!(s.index.read("etc/os-release"), Some(&b"ID=small\n"[..]));
        assert_eq!(s.index.read("want/b").map(<[u8]>::len), Some(1000));
        assert_eq!(s.index.read("etc/passwd"), Some(&b"root\n"[..]));
    }
}

#[test]
fn entry_count_bound_stops_the_layer() {
    let sb = Sandbox::new();
    let mut t = Tar::new();
    for i in 0..1001 {
        t.file(&format!("f{i}"), b"");
    }
    let layer = Layer::gzip(&t.finish());
    let limits = Limits {
        max_entries_per_layer: 1000,
        ..Limits::default()
    };
    let target = docker_archive(&sb.input("count.tar"), std::slice::from_ref(&layer));
    let e = expect_err(sb.scan_with(&target, limits));
    let msg = e.to_string();
    assert!(
        msg.contains(&layer.diff_id) && msg.contains("more than 1000 entries"),
        "{msg}"
    );
}

// ---------------------------------------------------------------------------------------------------
// 6. Decompression bombs.
// ---------------------------------------------------------------------------------------------------

/// A tar holding one file of `size` zero bytes (not wanted), with end-of-archive blocks.
fn zeros_tar(size: u64) -> Vec<u8> {
    let mut h = tar::Header::new_gnu();
    h.set_path("bomb/zeros").unwrap();
    h.set_size(size);
    h.set_mode(0o644);
    h.set_cksum();
    let mut out = h.as_bytes().to_vec();
    out.resize(512 + size as usize + 1024, 0);
    out
}

const BOMB: u64 = 100 << 20;
const BOMB_LIMIT: u64 = 64 << 20;

/// (tar, gzip layer) of a 100 MiB zero file; built once, shared by the tests that need it.
fn gzip_bomb() -> &'static (String, Vec<u8>) {
    static B: OnceLock<(String, Vec<u8>)> = OnceLock::new();
    B.get_or_init(|| {
        let start = Instant::now();
        let tar = zeros_tar(BOMB);
        let gz = gzip(&tar, 9);
        eprintln!(
            "gzip bomb: {} MiB -> {} KiB (ratio {}), built in {:?}",
            tar.len() >> 20,
            gz.len() >> 10,
            tar.len() / gz.len(),
            start.elapsed()
        );
        (sha256(&tar), gz)
    })
}

#[test]
fn gzip_bomb_stops_at_the_uncompressed_limit() {
    let sb = Sandbox::new();
    let (diff_id, gz) = gzip_bomb();
    let layer = Layer {
        blob: gz.clone(),
        diff_id: diff_id.clone(),
        media_type: "application/vnd.oci.image.layer.v1.tar+gzip",
    };
    let limits = Limits {
        max_layer_uncompressed: BOMB_LIMIT,
        ..Limits::default()
    };
    for target in both_sources(&sb, "gzbomb", &[layer]) {
        let start = Instant::now();
        let e = expect_err(sb.scan_with(&target, limits.clone()));
        eprintln!("gzip bomb via {}: {:?}", target.display(), start.elapsed());
        match &e {
            Error::Layer { layer, message } => {
                assert_eq!(layer, diff_id);
                assert!(
                    message.contains(&format!("exceeds the limit of {BOMB_LIMIT} bytes")),
                    "{message}"
                );
            }
            other => panic!("{other}"),
        }
        assert!(sb.cache_entries().is_empty());
    }
}

#[test]
fn zstd_bomb_stops_at_the_uncompressed_limit() {
    let sb = Sandbox::new();
    let tar = zeros_tar(BOMB);
    let header = &tar[..512];
    let layer = Layer {
        blob: zstd_rle(header, BOMB + 1024, 17),
        diff_id: sha256(&tar),
        media_type: "application/vnd.oci.image.layer.v1.tar+zstd",
    };
    eprintln!(
        "zstd bomb: {} MiB -> {} bytes",
        tar.len() >> 20,
        layer.blob.len()
    );
    let limits = Limits {
        max_layer_uncompressed: BOMB_LIMIT,
        ..Limits::default()
    };
    for target in both_sources(&sb, "zstbomb", std::slice::from_ref(&layer)) {
        let e = expect_err(sb.scan_with(&target, limits.clone()));
        let msg = e.to_string();
        assert!(
            msg.contains(&layer.diff_id)
                && msg.contains(&format!("exceeds the limit of {BOMB_LIMIT} bytes")),
            "{msg}"
        );
    }
    // Under the limit the same bomb is an ordinary layer: it checks out against its diff id.
    let s = sb
        .scan_with(
            &docker_archive(&sb.input("zst-ok.tar"), std::slice::from_ref(&layer)),
            Limits::default(),
        )
        .unwrap();
    assert_eq!(s.index.entry("bomb/zeros").unwrap().size, BOMB);
}

#[test]
fn a_gib_of_zeros_is_not_a_bomb() {
    // A legitimate layer holding 1 GiB of zeros (a sparse `lastlog`, a preallocated file) compresses
    // 32768:1 as zstd RLE blocks. Bomb detection is by absolute output budget only, so it scans: the
    // file is streamed (hashed and skipped), never held in memory.
    let sb = Sandbox::new();
    let gib: u64 = 1 << 30;
    let mut h = tar::Header::new_gnu();
    h.set_path("var/log/lastlog").unwrap();
    h.set_size(gib);
    h.set_mode(0o644);
    h.set_cksum();
    let head = h.as_bytes().to_vec();
    let segs = [Seg::Raw(&head), Seg::Run(0, gib + 1024)];
    let start = Instant::now();
    let layer = Layer {
        blob: zstd_frame(&segs, 17),
        diff_id: sha256_segs(&segs),
        media_type: "application/vnd.oci.image.layer.v1.tar+zstd",
    };
    eprintln!(
        "1 GiB of zeros: {} KiB of zstd, diff id in {:?}",
        layer.blob.len() >> 10,
        start.elapsed()
    );
    let target = docker_archive(&sb.input("lastlog.tar"), std::slice::from_ref(&layer));
    let start = Instant::now();
    let s = sb.scan(&target).unwrap();
    eprintln!("scanned in {:?}", start.elapsed());
    assert_eq!(s.index.entry("var/log/lastlog").unwrap().size, gib);
    assert!(s.index.warnings.is_empty(), "{:?}", s.index.warnings);

    // The same stream through the decompressor alone: every byte comes out, no ratio rule trips.
    let (kind, mut r) =
        compress::decompress(&layer.blob[..], Limits::default().max_layer_uncompressed).unwrap();
    assert_eq!(kind, compress::Compression::Zstd);
    assert_eq!(
        std::io::copy(&mut r, &mut std::io::sink()).unwrap(),
        512 + gib + 1024
    );
}

#[test]
fn the_image_wide_uncompressed_budget_stops_many_layers() {
    // Each layer is under the per-layer bound; together they pass the image's budget, which the
    // error names with the bytes read (while streaming, or — for a layer read ahead, two layers
    // being read at once — when it is added up).
    let sb = Sandbox::new();
    // Distinct layers, so none is a cache hit of another.
    let layers: Vec<Layer> = (0..4)
        .map(|i| Layer::zstd(&zeros_tar((3 << 20) + i * 512)))
        .collect();
    let limits = Limits {
        max_layer_uncompressed: 4 << 20,
        max_image_uncompressed: 10 << 20,
        ..Limits::default()
    };
    for target in both_sources(&sb, "budget", &layers) {
        let e = expect_err(sb.scan_with(&target, limits.clone())).to_string();
        assert!(
            e.contains("exceed the limit of 10485760 bytes")
                && e.contains("max_image_uncompressed")
                && (e.contains("bytes in earlier layers") || e.contains("bytes up to this layer")),
            "{e}"
        );
    }
    // Three of them fit.
    let target = docker_archive(&sb.input("fits.tar"), &layers[..3]);
    sb.scan_with(&target, limits).unwrap();
}

#[test]
fn zstd_frame_demanding_a_huge_window_is_refused() {
    // A 2 GiB window (windowLog 31) would make the decoder allocate that much; it must refuse.
    let sb = Sandbox::new();
    let tar = zeros_tar(4096);
    let layer = Layer {
        blob: zstd_rle(&tar, 0, 31),
        diff_id: sha256(&tar),
        media_type: "application/vnd.oci.image.layer.v1.tar+zstd",
    };
    let target = docker_archive(&sb.input("window.tar"), std::slice::from_ref(&layer));
    let e = expect_err(sb.scan(&target));
    let msg = e.to_string();
    assert!(msg.contains(&layer.diff_id), "{msg}");
    eprintln!("huge zstd window: {msg}");
}

// ---------------------------------------------------------------------------------------------------
// 7. 10^5 tiny files.
// ---------------------------------------------------------------------------------------------------

#[test]
fn hundred_thousand_tiny_files() {
    let sb = Sandbox::new();
    let start = Instant::now();
    let mut t = Tar::new();
    t.file("etc/os-release", b"ID=many\n");
    for i in 0..100_000u32 {
        t.file(
            &format!("d{:03}/f{i:06}", i / 1000),
            &[b'a' + (i % 26) as u8],
        );
    }
    let tar = t.finish();
    let layer = Layer::gzip(&tar);
    let target = docker_archive(&sb.input("many.tar"), std::slice::from_ref(&layer));
    eprintln!(
        "100k files: tar {} MiB, gzip {} KiB, built in {:?}",
        tar.len() >> 20,
        layer.blob.len() >> 10,
        start.elapsed()
    );
    let start = Instant::now();
    let s = sb.scan(&target).unwrap();
    let cold = start.elapsed();
    assert_eq!(s.index.len(), 100_001);
    assert_eq!(s.index.read("etc/os-release"), Some(&b"ID=many\n"[..]));
    assert!(s.index.warnings.is_empty());
    let start = Instant::now();
    let warm = sb.scan(&target).unwrap();
    let warm_t = start.elapsed();
    assert_eq!(warm.cache_hits, 1);
    assert_eq!(warm.index.len(), 100_001);
    eprintln!("100k files: cold scan {cold:?}, warm (cached) scan {warm_t:?}");
    assert!(cold < Duration::from_secs(20), "cold scan took {cold:?}");
}

// ---------------------------------------------------------------------------------------------------
// 8. Truncation: of a layer, of the outer archive.
// ---------------------------------------------------------------------------------------------------

fn sample_layer_tar() -> Vec<u8> {
    let mut t = Tar::new();
    t.file("etc/os-release", b"ID=sample\n");
    for i in 0..40 {
        t.file(&format!("usr/share/f{i}"), &vec![b'z'; 700 + i]);
    }
    t.file("var/lib/dpkg/status", b"Package: sample\n");
    t.finish()
}

#[test]
fn truncated_layers_fail_naming_the_layer() {
    let sb = Sandbox::new();
    let tar = sample_layer_tar();
    for (kind, full) in [
        ("tar", Layer::plain(tar.clone())),
        ("gzip", Layer::gzip(&tar)),
        ("zstd", Layer::zstd(&tar)),
    ] {
        let mut cut = full.clone();
        cut.blob.truncate(full.blob.len() / 2);
        // The OCI manifest names the full blob's digest; the docker-archive knows only the diff id.
        let archive = docker_archive(&sb.input(&format!("cut-{kind}.tar")), &[cut.clone()]);
        let layout = sb.input(&format!("cut-{kind}-oci"));
        let d = oci_layout(&layout, std::slice::from_ref(&full));
        fs::write(blob_file(&layout, &d.layers[0]), &cut.blob).unwrap();
        for target in [archive, layout] {
            let e = expect_err(sb.scan(&target));
            let msg = e.to_string();
            eprintln!("truncated {kind} layer via {}: {msg}", target.display());
            assert!(
                msg.contains(&full.diff_id) || msg.contains(&d.layers[0]),
                "{msg}"
            );
            assert!(
                matches!(e, Error::Layer { .. } | Error::DigestMismatch { .. }),
                "{e:?}"
            );
            assert!(
                sb.cache_entries().is_empty(),
                "a truncated layer was cached"
            );
        }
    }
}

#[test]
fn truncated_outer_archives_fail() {
    let sb = Sandbox::new();
    let full = sb.input("full.tar");
    docker_archive(&full, &[Layer::plain(sample_layer_tar())]);
    let bytes = fs::read(&full).unwrap();
    // Everything short of the last member's final byte must fail (the last member is the layer, whose
    // length is a multiple of 512, so there is no padding to cut in).
    let end = bytes.len() - 1024;
    let mut cuts: Vec<usize> = (0..end).step_by(512).collect();
    cuts.extend((0..end).step_by(1500).map(|c| c + 7));
    cuts.push(end - 1);
    let cut = sb.input("cut.tar");
    for c in cuts {
        fs::write(&cut, &bytes[..c]).unwrap();
        let e = expect_err(sb.scan(&cut));
        let msg = e.to_string();
        assert!(
            msg.contains(&cut.display().to_string()) || msg.contains("sha256:"),
            "cut at {c}: {msg}"
        );
    }
    // Scanned only now: a cached layer (keyed by diff id) would legitimately stand in for a cut one.
    assert!(sb.scan(&full).is_ok());
}

// ---------------------------------------------------------------------------------------------------
// 9. Missing and mismatching blobs.
// ---------------------------------------------------------------------------------------------------

#[test]
fn docker_archive_missing_members() {
    let sb = Sandbox::new();
    let layer = Layer::plain(sample_layer_tar());
    let mut m = docker_members(std::slice::from_ref(&layer));
    m.retain(|(n, _)| n != "l0/layer.tar");
    let e = expect_err(sb.scan(&write_members(&sb.input("nolayer.tar"), &m)));
    match &e {
        Error::MissingBlob { digest, container } => {
            assert_eq!(digest, &layer.diff_id);
            assert!(container.contains("l0/layer.tar"), "{container}");
        }
        other => panic!("{other:?}"),
    }
    let mut m = docker_members(std::slice::from_ref(&layer));
    m.retain(|(n, _)| n != "config.json");
    let msg = expect_err(sb.scan(&write_members(&sb.input("noconfig.tar"), &m))).to_string();
    assert!(msg.contains("\"config.json\" not found"), "{msg}");
    let mut m = docker_members(std::slice::from_ref(&layer));
    m.retain(|(n, _)| n != "manifest.json");
    let msg = expect_err(sb.scan(&write_members(&sb.input("nomanifest.tar"), &m))).to_string();
    assert!(
        msg.contains("no manifest.json") && msg.contains("nomanifest.tar"),
        "{msg}"
    );
}

#[test]
fn docker_archive_diff_id_mismatch() {
    let sb = Sandbox::new();
    let mut layer = Layer::plain(sample_layer_tar());
    let wrong = sha256(b"some other layer");
    layer.diff_id = wrong.clone();
    let e = expect_err(sb.scan(&docker_archive(&sb.input("mismatch.tar"), &[layer])));
    match e {
        Error::DigestMismatch { digest, .. } => assert_eq!(digest, wrong),
        other => panic!("{other:?}"),
    }
    assert!(
        sb.cache_entries().is_empty(),
        "a mismatching layer was cached"
    );
}

/// A layer whose tar ends early (end-of-archive blocks) followed by 16 MiB of padding: the walk
/// finishes long before the stream does, and the digest must still be checked over the whole stream —
/// otherwise forged facts would also be cached under the genuine digest and served to later scans of
/// the genuine image.
#[test]
fn digest_is_verified_even_when_the_tar_ends_early() {
    let sb = Sandbox::new();
    let genuine = sample_layer_tar();
    let mut tampered = genuine.clone();
    let pos = tampered.windows(9).position(|w| w == b"ID=sample").unwrap();
    tampered[pos..pos + 9].copy_from_slice(b"ID=forged");
    // Zero padding after the end-of-archive blocks is valid tar.
    let mut padded = tampered.clone();
    padded.resize(tampered.len() + (16 << 20), 0);
    let mut layer = Layer::plain(padded);
    layer.diff_id = sha256(&genuine);
    let r = sb.scan(&docker_archive(
        &sb.input("tampered.tar"),
        std::slice::from_ref(&layer),
    ));
    if let Ok(s) = &r {
        eprintln!(
            "tampered layer accepted; etc/os-release reads {:?}",
            s.index.read("etc/os-release").map(String::from_utf8_lossy)
        );
    }
    assert!(
        matches!(r, Err(Error::DigestMismatch { .. })),
        "a layer that does not match its diff id was accepted"
    );
    // Same through an OCI layout: the blob digest of the genuine layer, the tampered bytes served.
    let layout = sb.input("tampered-oci");
    let genuine_layer = Layer::plain(genuine.clone());
    let d = oci_layout(&layout, &[genuine_layer]);
    fs::write(blob_file(&layout, &d.layers[0]), &layer.blob).unwrap();
    assert!(matches!(
        sb.scan(&layout),
        Err(Error::DigestMismatch { .. })
    ));
    assert!(sb.cache_entries().is_empty(), "a forged layer was cached");
    let s = sb
        .scan(&docker_archive(
            &sb.input("genuine.tar"),
            &[Layer::plain(genuine)],
        ))
        .unwrap();
    assert_eq!(s.index.read("etc/os-release"), Some(&b"ID=sample\n"[..]));
}

#[test]
fn oci_missing_blobs() {
    let sb = Sandbox::new();
    let layers = [Layer::gzip(&sample_layer_tar())];
    for which in ["manifest", "config", "layer"] {
        let dir = sb.input(&format!("missing-{which}"));
        let d = oci_layout(&dir, &layers);
        let gone = match which {
            "manifest" => d.manifest.clone(),
            "config" => d.config.clone(),
            _ => d.layers[0].clone(),
        };
        fs::remove_file(blob_file(&dir, &gone)).unwrap();
        let e = expect_err(sb.scan(&dir));
        match &e {
            Error::MissingBlob { digest, container } => {
                assert_eq!(digest, &gone, "{which}");
                assert!(container.contains(&dir.display().to_string()));
            }
            other => panic!("{which}: {other:?}"),
        }
        assert!(e.to_string().contains(&gone));
    }
}

#[test]
fn oci_blobs_not_matching_their_digest() {
    let sb = Sandbox::new();
    let tar = sample_layer_tar();
    let layers = [Layer::gzip(&tar)];
    for which in ["manifest", "config", "layer"] {
        let dir = sb.input(&format!("mismatch-{which}"));
        let d = oci_layout(&dir, &layers);
        let (victim, content) = match which {
            "manifest" => {
                let other = manifest_json(&d.config, 1, &[]);
                (d.manifest.clone(), other)
            }
            "config" => (d.config.clone(), config_json(&[sha256(b"x")])),
            _ => {
                // Same uncompressed tar (so the diff id matches), different gzip bytes: only the blob
                // digest can tell.
                let mut gz = layers[0].blob.clone();
                gz[4..8].copy_from_slice(&[1, 2, 3, 4]); // gzip header mtime
                (d.layers[0].clone(), gz)
            }
        };
        fs::write(blob_file(&dir, &victim), content).unwrap();
        match expect_err(sb.scan(&dir)) {
            Error::DigestMismatch { digest, actual } => {
                assert_eq!(digest, victim, "{which}");
                assert_ne!(actual, victim);
            }
            other => panic!("{which}: {other:?}"),
        }
        assert!(
            sb.cache_entries().is_empty(),
            "{which}: mismatching layer cached"
        );
    }
}

#[test]
fn oci_blobs_that_are_not_regular_files_are_refused() {
    let sb = Sandbox::new();
    let layers = [Layer::plain(sample_layer_tar())];
    // A blob that is a symlink to a host file (which happens to be valid) is never opened.
    let dir = sb.input("symlinked-blob");
    let d = oci_layout(&dir, &layers);
    let blob = blob_file(&dir, &d.layers[0]);
    fs::remove_file(&blob).unwrap();
    std::os::unix::fs::symlink(sb.canary.join("blob"), &blob).unwrap();
    let msg = expect_err(sb.scan(&dir)).to_string();
    assert!(msg.contains("not a regular file"), "{msg}");
    // A FIFO would block a reader forever.
    let dir = sb.input("fifo-blob");
    let d = oci_layout(&dir, &layers);
    let blob = blob_file(&dir, &d.layers[0]);
    fs::remove_file(&blob).unwrap();
    match std::process::Command::new("mkfifo").arg(&blob).status() {
        Ok(st) if st.success() => {
            let msg = expect_err(sb.scan(&dir)).to_string();
            assert!(msg.contains("not a regular file"), "{msg}");
        }
        _ => eprintln!("SKIP: mkfifo unavailable; FIFO blob not tested"),
    }
    // A directory in place of the manifest blob.
    let dir = sb.input("dir-blob");
    let d = oci_layout(&dir, &layers);
    let blob = blob_file(&dir, &d.manifest);
    fs::remove_file(&blob).unwrap();
    fs::create_dir(&blob).unwrap();
    assert!(sb.scan(&dir).is_err());
}

// ---------------------------------------------------------------------------------------------------
// 10. Digest strings and member names that climb out of the layout / archive.
// ---------------------------------------------------------------------------------------------------

#[test]
fn traversal_digests_are_refused_without_opening_anything() {
    let sb = Sandbox::new();
    let layers = [Layer::plain(sample_layer_tar())];
    // <layout>/blobs/sha256/../../../../../canary/blob is the host canary (layouts live in work/inputs/).
    let evil = "sha256:../../../../../canary/blob";
    for which in ["index", "config", "layer"] {
        let dir = sb.input(&format!("evil-{which}"));
        let d = oci_layout(&dir, &layers);
        match which {
            "index" => write_index(&dir, evil, 100),
            "config" => {
                let m = manifest_json(evil, 100, &[(d.layers[0].clone(), 1, layers[0].media_type)]);
                let md = put_blob(&dir, &m);
                write_index(&dir, &md, m.len());
            }
            _ => {
                let m = manifest_json(&d.config, 1, &[(evil.to_string(), 1, layers[0].media_type)]);
                let md = put_blob(&dir, &m);
                write_index(&dir, &md, m.len());
            }
        }
        let e = expect_err(sb.scan(&dir));
        eprintln!("traversal digest in {which}: {e}");
        assert!(
            matches!(e, Error::Json { .. } | Error::Invalid(_)),
            "{which}: {e:?}"
        );
    }
    // The same through the @digest selector.
    let dir = sb.input("evil-selector");
    oci_layout(&dir, &layers);
    assert!(
        sb.scan_spec(&format!("{}@{evil}", dir.display()), Limits::default())
            .is_err()
    );

    // docker-archive: diff ids are validated; member names are looked up inside the archive only.
    let mut m = docker_members(&layers);
    m[1].1 = config_json(&["sha256:../../../etc/passwd".to_string()]);
    let msg = expect_err(sb.scan(&write_members(&sb.input("evil-diffid.tar"), &m))).to_string();
    assert!(
        msg.contains("../../../etc/passwd") && msg.contains("hex"),
        "{msg}"
    );
    let canary_rel = "../../../canary/blob";
    for (what, manifest) in [
        (
            "layer member",
            json!([{"Config": "config.json", "Layers": [canary_rel]}]),
        ),
        (
            "absolute layer member",
            json!([{"Config": "config.json", "Layers": [sb.canary("blob")]}]),
        ),
        (
            "config member",
            json!([{"Config": canary_rel, "Layers": ["l0/layer.tar"]}]),
        ),
    ] {
        let mut m = docker_members(&layers);
        m[0].1 = serde_json::to_vec(&manifest).unwrap();
        let e = expect_err(sb.scan(&write_members(&sb.input("evil-member.tar"), &m)));
        eprintln!("{what}: {e}");
        assert!(
            matches!(e, Error::MissingBlob { .. } | Error::Invalid(_)),
            "{what}: {e:?}"
        );
    }
    // Outer-archive symlinks out of the archive (absolute, climbing) and loops resolve to nothing.
    for (i, target) in [sb.canary("blob"), canary_rel.to_string(), "loop".into()]
        .into_iter()
        .enumerate()
    {
        let mut t = Tar::new();
        for (name, data) in docker_members(&layers) {
            if name != "l0/layer.tar" {
                t.file(&name, &data);
            }
        }
        t.symlink("l0/layer.tar", &target);
        t.symlink("l0/loop", "layer.tar");
        let p = sb.input(&format!("evil-link{i}.tar"));
        fs::write(&p, t.finish()).unwrap();
        match expect_err(sb.scan(&p)) {
            Error::MissingBlob { container, .. } => assert!(container.contains("l0/layer.tar")),
            other => panic!("{target}: {other:?}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// 11. Garbage and empty layers.
// ---------------------------------------------------------------------------------------------------

fn pseudo_random(n: usize, mut seed: u64) -> Vec<u8> {
    (0..n)
        .map(|_| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as u8
        })
        .collect()
}

#[test]
fn garbage_layers_fail_clearly() {
    let sb = Sandbox::new();
    let mut random = pseudo_random(10_000, 42);
    random[0] = b'R'; // not a compression magic
    let mut bad_gzip = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    bad_gzip.extend(pseudo_random(5000, 7));
    let mut bad_zstd = vec![0x28, 0xb5, 0x2f, 0xfd];
    bad_zstd.extend(pseudo_random(5000, 9));
    for (what, blob) in [
        ("random", random),
        ("gzip garbage", bad_gzip),
        ("zstd garbage", bad_zstd),
    ] {
        let layer = Layer {
            diff_id: sha256(&blob), // right for the plain case; never reached for the others
            blob,
            media_type: "application/vnd.oci.image.layer.v1.tar",
        };
        for target in both_sources(&sb, "garbage", std::slice::from_ref(&layer)) {
            match expect_err(sb.scan(&target)) {
                Error::Layer { layer: l, message } => {
                    eprintln!("{what}: {message}");
                    assert_eq!(l, layer.diff_id);
                }
                other => panic!("{what}: {other:?}"),
            }
        }
    }
}

#[test]
fn empty_layers_are_fine() {
    let sb = Sandbox::new();
    let mut t = Tar::new();
    t.file("etc/os-release", b"ID=base\n");
    for (what, layer) in [
        ("zero bytes", Layer::plain(Vec::new())),
        ("end-of-archive only", Layer::plain(vec![0u8; 1024])),
        ("10 KiB of zeros", Layer::plain(vec![0u8; 10240])),
        ("empty gzip", Layer::gzip(b"")),
        ("gzip end-of-archive", Layer::gzip(&[0u8; 1024])),
        ("empty zstd", Layer::zstd(b"")),
    ] {
        let only = sb.scan(&docker_archive(
            &sb.input("empty.tar"),
            std::slice::from_ref(&layer),
        ));
        let only = only.unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(only.index.is_empty(), "{what}");
        assert!(only.index.warnings.is_empty(), "{what}");
        let layers = [Layer::plain(t.clone_finish()), layer];
        for target in both_sources(&sb, "empty-on-top", &layers) {
            let s = sb.scan(&target).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(paths(&s), vec!["etc/os-release".to_string()], "{what}");
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// 12. The cache: only layers/*.layer, hostile facts survive a round trip, failed layers never cached.
// ---------------------------------------------------------------------------------------------------

#[test]
fn cache_holds_only_layer_entries_and_replays_warnings() {
    let sb = Sandbox::new();
    let mut t1 = Tar::new();
    t1.file("../../etc/evil", b"EVIL\n")
        .file(".wh.", b"")
        .hardlink("want/x", "../../etc/shadow")
        .file("var/lib/dpkg/status", &[b's'; 2048])
        .file("opt/.wh.app", b"");
    let layers = [Layer::plain(lower_layer()), Layer::gzip(&t1.finish())];
    let limits = Limits {
        max_captured_file: 1024,
        ..Limits::default()
    };
    let target = docker_archive(&sb.input("cache.tar"), &layers);
    let cold = sb.scan_with(&target, limits.clone()).unwrap();
    assert_eq!(cold.cache_hits, 0);
    assert_eq!(sb.cache_entries().len(), 2);
    let warm = sb.scan_with(&target, limits.clone()).unwrap();
    assert_eq!(warm.cache_hits, 2);
    assert_eq!(paths(&warm), paths(&cold));
    assert_eq!(warm.index.warnings, cold.index.warnings);
    assert_eq!(cold.index.warnings.len(), 4, "{:?}", cold.index.warnings);
    assert!(warm.index.entry("opt/app/bin").is_none());
    assert_eq!(warm.index.read("var/lib/dpkg/status"), None);

    // A good layer under a bad one: the good one is cached, the bad one never.
    // (A different tar from the good one: a docker-archive layer is cached by diff id alone.)
    let mut bad_tar = Tar::new();
    bad_tar.file("etc/os-release", &[b'b'; 9000]);
    let mut bad = Layer::plain(bad_tar.finish());
    bad.blob.truncate(bad.blob.len() / 2);
    let good = Layer::zstd(&sample_layer_tar());
    let before = sb.cache_entries().len();
    let target = docker_archive(&sb.input("half-bad.tar"), &[good, bad]);
    expect_err(sb.scan(&target));
    assert_eq!(sb.cache_entries().len(), before + 1);
    let mut all = Vec::new();
    find_named(sb.root.path(), "", &mut all);
    for p in all {
        let rel = p.strip_prefix(sb.root.path()).unwrap();
        assert!(
            rel.starts_with("work/inputs")
                || rel.starts_with("work/cache")
                || rel.starts_with("canary")
                || rel == Path::new("work"),
            "unexpected file {}",
            p.display()
        );
    }
}

#[test]
fn many_hard_links_to_captured_files_stay_fast() {
    // Each wanted hard link looks up its target among the layer's captured files; with tens of
    // thousands of (empty) captured files and as many links that lookup must not be quadratic.
    let sb = Sandbox::new();
    let n = 40_000;
    let mut t = Tar::new();
    for i in 0..n {
        t.file(&format!("want/f{i:06}"), b"");
    }
    for i in 0..n {
        t.hardlink(&format!("want/l{i:06}"), &format!("want/f{i:06}"));
    }
    let target = docker_archive(&sb.input("links.tar"), &[Layer::gzip(&t.finish())]);
    let start = Instant::now();
    let s = sb.scan(&target).unwrap();
    let took = start.elapsed();
    eprintln!("{n} captured files + {n} hard links: {took:?}");
    assert_eq!(s.index.len(), 2 * n);
    assert_eq!(s.index.read("want/l000123"), Some(&b""[..]));
    assert!(took < Duration::from_secs(20), "{took:?}");
}

/// A tar header for a metadata record (`L` GNU long name, `x` PAX) of `size` bytes.
fn meta_header(kind: tar::EntryType, size: u64) -> Vec<u8> {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_size(size);
    h.as_old_mut().name[..13].copy_from_slice(b"././@LongLink");
    h.set_cksum();
    h.as_bytes().to_vec()
}

#[test]
fn huge_long_names_are_not_buffered() {
    // 64 MiB of name in a 2 KiB zstd layer. The tar crate reads `L` and `x` records whole before it
    // yields the entry they describe, and the name then lives on in the index (and in the cache).
    // A hostile layer gets up to 1 GiB of name per layer for 32 KiB of zstd (the ratio check starts
    // at 1 GiB), and up to the 64 GiB layer limit with gzip. Names are at most 4 KiB on Linux; a
    // record far over that should be refused without buffering it.
    let sb = Sandbox::new();
    let n: u64 = 64 << 20;
    let mut file = tar::Header::new_gnu();
    file.set_path("placeholder").unwrap();
    file.set_size(0);
    file.set_cksum();
    let gnu_header = meta_header(tar::EntryType::GNULongName, n);
    let mut pax_len = n as usize + " path=\n".len();
    pax_len += pax_len.to_string().len();
    pax_len += usize::from(pax_len.to_string().len() != (pax_len - 1).to_string().len());
    let pax_prefix = format!("{pax_len} path=");
    let pax_header = meta_header(tar::EntryType::XHeader, pax_len as u64);
    let pax_pad = (512 - pax_len as u64 % 512) % 512;
    let cases: Vec<(&str, Vec<Seg>)> = vec![
        (
            "gnu",
            vec![
                Seg::Raw(&gnu_header),
                Seg::Run(b'a', n),
                Seg::Raw(file.as_bytes()),
                Seg::Run(0, 1024),
            ],
        ),
        (
            "pax",
            vec![
                Seg::Raw(&pax_header),
                Seg::Raw(pax_prefix.as_bytes()),
                Seg::Run(b'a', n),
                Seg::Raw(b"\n"),
                Seg::Run(0, pax_pad),
                Seg::Raw(file.as_bytes()),
                Seg::Run(0, 1024),
            ],
        ),
    ];
    let mut buffered = Vec::new();
    for (kind, segs) in cases {
        let layer = Layer {
            blob: zstd_frame(&segs, 17),
            diff_id: sha256_segs(&segs),
            media_type: "application/vnd.oci.image.layer.v1.tar+zstd",
        };
        let target = docker_archive(
            &sb.input(&format!("longname-{kind}.tar")),
            std::slice::from_ref(&layer),
        );
        let start = Instant::now();
        match sb.scan(&target) {
            Err(e) => {
                eprintln!("{kind} long name: {e} ({:?})", start.elapsed());
                assert!(e.to_string().contains(&layer.diff_id), "{e}");
            }
            Ok(s) => {
                let longest = s.index.files().map(|e| e.path.len()).max().unwrap_or(0);
                eprintln!(
                    "{kind} long name: scan succeeded in {:?}; longest path {longest} bytes",
                    start.elapsed()
                );
                if longest > 64 << 10 {
                    buffered.push(format!(
                        "{kind}: a {longest}-byte path was buffered and indexed"
                    ));
                }
            }
        }
    }
    assert!(buffered.is_empty(), "{buffered:?}");
}
