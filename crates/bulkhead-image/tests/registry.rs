//! Registry source against real servers: `docker-registry serve` (distribution 2.8) on a free loopback
//! port — anonymous, htpasswd (Basic) and token (Bearer, with an in-test token service signing RS256 JWTs
//! through the openssl CLI) — with images pushed by `skopeo copy`.
//!
//! Each test starts the servers it needs and stops them on drop. When a required binary is missing the
//! test prints `SKIP: ...` and returns.

use bulkhead_image::scan::{ScanOptions, scan_target};
use bulkhead_image::source::Platform;
use bulkhead_image::source::registry::RegistryOptions;
use bulkhead_image::{Error, Wanted};
use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

fn have(bin: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {bin}"))
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn require(bins: &[&str]) -> bool {
    for b in bins {
        if !have(b) {
            if std::env::var("BULKHEAD_STRICT").as_deref() == Ok("1") {
                panic!(
                    "required tool missing under BULKHEAD_STRICT=1 (scripts/install-deps.sh installs it)"
                );
            }
            println!("SKIP: {b} not installed");
            return false;
        }
    }
    true
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn sha256(b: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(b)))
}

/// A `docker-registry serve` process on a free loopback port, killed on drop.
struct Registry {
    child: Child,
    port: u16,
    root: PathBuf,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Registry {
    /// `extra` is appended to the YAML config (e.g. an `auth:` section).
    fn start(extra: &str) -> Registry {
        Self::start_with("", extra)
    }

    /// `http_extra` is added inside the `http:` map (e.g. `, tls: {...}`).
    fn start_with(http_extra: &str, extra: &str) -> Registry {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("data");
        let log = dir.path().join("registry.log");
        for _attempt in 0..5 {
            let port = free_port();
            let cfg = dir.path().join("config.yml");
            std::fs::write(
                &cfg,
                format!(
                    "version: 0.1\nlog: {{level: warn}}\nstorage: {{filesystem: {{rootdirectory: {}}}}}\n\
                     http: {{addr: 127.0.0.1:{port}{http_extra}}}\ncompatibility: {{schema1: {{enabled: true}}}}\n{extra}",
                    root.display()
                ),
            )
            .unwrap();
            let mut child = Command::new("docker-registry")
                .arg("serve")
                .arg(&cfg)
                .stdout(std::fs::File::create(&log).unwrap())
                .stderr(std::fs::File::create(dir.path().join("registry.err")).unwrap())
                .spawn()
                .expect("spawn docker-registry");
            let deadline = Instant::now() + Duration::from_secs(15);
            loop {
                if let Some(st) = child.try_wait().unwrap() {
                    let err = std::fs::read_to_string(dir.path().join("registry.err"))
                        .unwrap_or_default();
                    if err.contains("address already in use") {
                        break; // retry on another port
                    }
                    panic!("docker-registry exited ({st}): {err}");
                }
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Registry {
                        child,
                        port,
                        root,
                        log,
                        _dir: dir,
                    };
                }
                assert!(
                    Instant::now() < deadline,
                    "docker-registry did not listen on {port}"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        panic!("could not start docker-registry on a free port");
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The stored bytes of a blob (filesystem driver layout).
    fn blob_path(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").unwrap();
        self.root
            .join("docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!(
                "registry log:\n{}",
                std::fs::read_to_string(&self.log).unwrap_or_default()
            );
        }
    }
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn skopeo_push(archive: &Path, dest: &str, extra: &[&str]) {
    let mut c = Command::new("skopeo");
    c.args(["copy", "-q", "--dest-tls-verify=false"])
        .args(extra);
    c.arg(format!("docker-archive:{}", archive.display()));
    c.arg(format!("docker://{dest}"));
    run(&mut c);
}

fn skopeo_digest(reference: &str, creds: Option<&str>) -> String {
    let mut c = Command::new("skopeo");
    c.args(["inspect", "--tls-verify=false"]);
    if let Some(cr) = creds {
        c.arg(format!("--creds={cr}"));
    }
    c.arg(format!("docker://{reference}"));
    let v: serde_json::Value = serde_json::from_str(&run(&mut c)).unwrap();
    v["Digest"].as_str().unwrap().to_string()
}

/// One layer tar: `(path, contents)`; a `None` content is a whiteout of that path.
fn layer_tar(files: &[(&str, Option<&[u8]>)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let mut dirs = std::collections::BTreeSet::new();
    for (p, _) in files {
        let mut acc = String::new();
        let parts: Vec<&str> = p.split('/').collect();
        for c in &parts[..parts.len() - 1] {
            acc.push_str(c);
            acc.push('/');
            dirs.insert(acc.clone());
        }
    }
    for d in dirs {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Directory);
        h.set_mode(0o755);
        h.set_size(0);
        h.set_mtime(1_700_000_000);
        b.append_data(&mut h, &d, std::io::empty()).unwrap();
    }
    for (p, data) in files {
        let (path, data): (String, &[u8]) = match data {
            Some(d) => (p.to_string(), d),
            None => {
                let (dir, name) = p.rsplit_once('/').unwrap_or(("", p));
                let wh = if dir.is_empty() {
                    format!(".wh.{name}")
                } else {
                    format!("{dir}/.wh.{name}")
                };
                (wh, b"")
            }
        };
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_mode(0o644);
        h.set_size(data.len() as u64);
        h.set_mtime(1_700_000_000);
        b.append_data(&mut h, &path, data).unwrap();
    }
    b.into_inner().unwrap()
}

/// Write a docker-archive (`docker save` layout) holding `layers` (uncompressed tars).
fn docker_archive(path: &Path, layers: &[Vec<u8>], arch: &str, tag: &str) {
    let diff_ids: Vec<String> = layers.iter().map(|l| sha256(l)).collect();
    let config = serde_json::json!({
        "architecture": arch,
        "os": "linux",
        "config": {"Env": ["PATH=/usr/bin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": layers.iter().enumerate().map(|(i, _)| serde_json::json!({"created_by": format!("layer {i}")})).collect::<Vec<_>>(),
    });
    let config_raw = serde_json::to_vec(&config).unwrap();
    let config_name = format!("{}.json", &sha256(&config_raw)[7..]);
    let mut b = tar::Builder::new(std::fs::File::create(path).unwrap());
    let mut add = |name: &str, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, name, data).unwrap();
    };
    let mut members = Vec::new();
    for (l, d) in layers.iter().zip(&diff_ids) {
        let m = format!("{}/layer.tar", &d[7..]);
        add(&m, l);
        members.push(m);
    }
    add(&config_name, &config_raw);
    let manifest =
        serde_json::json!([{"Config": config_name, "RepoTags": [tag], "Layers": members}]);
    add("manifest.json", &serde_json::to_vec(&manifest).unwrap());
    b.finish().unwrap();
}

/// The two-layer test image: os-release, a binary later whited out, a config file added on top.
fn test_image(path: &Path, arch: &str, marker: &str) -> (Vec<u8>, Vec<u8>) {
    let l1 = layer_tar(&[
        (
            "etc/os-release",
            Some(b"ID=bhtest\nVERSION_ID=1.0\nPRETTY_NAME=\"Bulkhead Test\"\n"),
        ),
        ("etc/passwd", Some(b"root:x:0:0:root:/root:/bin/sh\n")),
        // Distinct per image, so no registry or skopeo blob reuse can replace the compression asked for.
        ("etc/hostname", Some(format!("{marker}\n").as_bytes())),
        ("usr/bin/tool", Some(b"\x7fELF fake binary")),
    ]);
    let l2 = layer_tar(&[
        (
            "etc/app.conf",
            Some(format!("arch={arch}\nmarker={marker}\n").as_bytes()),
        ),
        ("usr/bin/tool", None),
    ]);
    docker_archive(
        path,
        &[l1.clone(), l2.clone()],
        arch,
        &format!("bh/test:{arch}"),
    );
    (l1, l2)
}

fn wanted() -> Wanted {
    Wanted::new("registry-test-1", |p: &str| p.starts_with("etc/"))
}

fn opts() -> ScanOptions {
    ScanOptions::default()
}

fn text(index: &bulkhead_image::ImageIndex, p: &str) -> String {
    String::from_utf8_lossy(index.read(p).unwrap_or_else(|| panic!("{p} not captured")))
        .into_owned()
}

#[test]
fn anonymous_registry_tags_digests_platforms_and_verification() {
    if !require(&["docker-registry", "skopeo"]) {
        return;
    }
    let t0 = Instant::now();
    let reg = Registry::start("");
    let host = reg.host();
    let work = tempfile::tempdir().unwrap();
    let amd = work.path().join("amd64.tar");
    let arm = work.path().join("arm64.tar");
    let zst = work.path().join("zstd.tar");
    test_image(&amd, "amd64", "first");
    test_image(&arm, "arm64", "second");
    test_image(&zst, "amd64", "zstd");

    // Docker v2 schema 2 (skopeo gzips the layers), and OCI with zstd layers.
    skopeo_push(&amd, &format!("{host}/test/img:1"), &[]);
    skopeo_push(
        &zst,
        &format!("{host}/test/img:zstd"),
        &["--format", "oci", "--dest-compress-format", "zstd"],
    );

    for tag in ["1", "zstd"] {
        let spec = format!("registry://{host}/test/img:{tag}");
        let img = scan_target(&spec, &wanted(), &opts()).unwrap_or_else(|e| panic!("{spec}: {e}"));
        assert_eq!(img.kind, "registry");
        let meta = img.meta.as_ref().unwrap();
        assert_eq!(meta.layers.len(), 2);
        assert!(text(&img.index, "etc/os-release").contains("ID=bhtest"));
        let marker = if tag == "1" { "first" } else { "zstd" };
        assert_eq!(
            text(&img.index, "etc/app.conf"),
            format!("arch=amd64\nmarker={marker}\n")
        );
        assert_eq!(text(&img.index, "etc/hostname"), format!("{marker}\n"));
        assert!(img.index.entry("etc/passwd").is_some());
        assert!(
            img.index.entry("usr/bin/tool").is_none(),
            "whiteout in layer 2 must hide usr/bin/tool"
        );
        assert_eq!(meta.platform().as_deref(), Some("linux/amd64"));
        let skopeo = skopeo_digest(&format!("{host}/test/img:{tag}"), None);
        assert_eq!(
            meta.manifest_digest.as_deref(),
            Some(skopeo.as_str()),
            "{tag}"
        );
        assert_eq!(meta.repo_digests, vec![format!("{host}/test/img@{skopeo}")]);
        assert_eq!(meta.repo_tags, vec![format!("{host}/test/img:{tag}")]);
        if tag == "zstd" {
            assert!(
                meta.layers
                    .iter()
                    .all(|l| l.media_type.as_deref().is_some_and(|m| m.contains("zstd"))),
                "{:?}",
                meta.layers
            );
        }
    }

    // By digest, and tag+digest.
    let d = skopeo_digest(&format!("{host}/test/img:1"), None);
    let img = scan_target(
        &format!("registry://{host}/test/img@{d}"),
        &wanted(),
        &opts(),
    )
    .unwrap();
    assert_eq!(
        img.meta.as_ref().unwrap().manifest_digest.as_deref(),
        Some(d.as_str())
    );
    assert!(img.index.entry("etc/os-release").is_some());
    // A plain reference (no registry:// prefix) to a loopback registry is a registry target too.
    let img = scan_target(&format!("{host}/test/img:1@{d}"), &wanted(), &opts()).unwrap();
    assert_eq!(
        img.meta.as_ref().unwrap().manifest_digest.as_deref(),
        Some(d.as_str())
    );

    // Errors name the registry, repository and reference.
    let e = scan_target(
        &format!("registry://{host}/test/img:nope"),
        &wanted(),
        &opts(),
    )
    .err()
    .unwrap();
    let msg = e.to_string();
    assert!(matches!(e, Error::Registry { .. }), "{msg}");
    assert!(
        msg.contains(&host) && msg.contains("test/img:nope") && msg.contains("not found"),
        "{msg}"
    );
    let e = scan_target(&format!("registry://{host}/no/such:1"), &wanted(), &opts())
        .err()
        .unwrap()
        .to_string();
    println!("expected error: {e}");
    assert!(e.contains("no/such") && e.contains("not found"), "{e}");
    let absent = format!("sha256:{}", "0".repeat(64));
    let e = scan_target(
        &format!("registry://{host}/test/img@{absent}"),
        &wanted(),
        &opts(),
    )
    .err()
    .unwrap()
    .to_string();
    println!("expected error: {e}");
    assert!(e.contains(&absent) && e.contains("not found"), "{e}");
    let e = scan_target("registry://127.0.0.1:1/x/y:1", &wanted(), &opts())
        .err()
        .unwrap()
        .to_string();
    println!("expected error: {e}");
    assert!(
        e.contains("127.0.0.1:1") && e.contains("cannot reach"),
        "{e}"
    );

    // Multi-arch: push both, then PUT a Docker manifest list referencing them.
    skopeo_push(&arm, &format!("{host}/test/multi:arm64"), &[]);
    skopeo_push(&amd, &format!("{host}/test/multi:amd64"), &[]);
    let agent = ureq::Agent::new_with_defaults();
    let mut entries = Vec::new();
    for arch in ["amd64", "arm64"] {
        let mut resp = agent
            .get(format!("http://{host}/v2/test/multi/manifests/{arch}"))
            .header(
                "Accept",
                "application/vnd.docker.distribution.manifest.v2+json",
            )
            .call()
            .unwrap();
        let raw = resp.body_mut().read_to_vec().unwrap();
        entries.push(serde_json::json!({
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "size": raw.len(),
            "digest": sha256(&raw),
            "platform": {"architecture": arch, "os": "linux"}
        }));
    }
    let list = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
        "manifests": entries,
    }))
    .unwrap();
    let resp = agent
        .put(format!("http://{host}/v2/test/multi/manifests/latest"))
        .header(
            "Content-Type",
            "application/vnd.docker.distribution.manifest.list.v2+json",
        )
        .send(&list[..])
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201, "manifest list PUT");
    let list_digest = sha256(&list);
    for (arch, marker) in [("arm64", "second"), ("amd64", "first")] {
        let o = ScanOptions {
            platform: Some(Platform::parse(&format!("linux/{arch}")).unwrap()),
            ..Default::default()
        };
        let img = scan_target(
            &format!("registry://{host}/test/multi:latest"),
            &wanted(),
            &o,
        )
        .unwrap();
        assert_eq!(
            text(&img.index, "etc/app.conf"),
            format!("arch={arch}\nmarker={marker}\n")
        );
        let meta = img.meta.unwrap();
        assert_eq!(meta.platform(), Some(format!("linux/{arch}")));
        assert_eq!(
            meta.manifest_digest,
            Some(
                entries[if arch == "amd64" { 0 } else { 1 }]["digest"]
                    .as_str()
                    .unwrap()
                    .to_string()
            )
        );
        assert_ne!(meta.manifest_digest.as_deref(), Some(list_digest.as_str()));
    }
    // By the list's digest, too; and an absent platform lists what there is.
    let o = ScanOptions {
        platform: Some(Platform::parse("linux/arm64").unwrap()),
        ..Default::default()
    };
    let img = scan_target(
        &format!("registry://{host}/test/multi@{list_digest}"),
        &wanted(),
        &o,
    )
    .unwrap();
    assert_eq!(img.meta.unwrap().platform().as_deref(), Some("linux/arm64"));
    let o = ScanOptions {
        platform: Some(Platform::parse("linux/s390x").unwrap()),
        ..Default::default()
    };
    let e = scan_target(
        &format!("registry://{host}/test/multi:latest"),
        &wanted(),
        &o,
    )
    .err()
    .unwrap()
    .to_string();
    println!("expected error: {e}");
    assert!(
        e.contains("linux/s390x") && e.contains("linux/amd64") && e.contains("linux/arm64"),
        "{e}"
    );

    // Docker schema 1 is refused clearly.
    skopeo_push(&amd, &format!("{host}/test/old:1"), &["--format", "v2s1"]);
    let e = scan_target(&format!("registry://{host}/test/old:1"), &wanted(), &opts())
        .err()
        .unwrap()
        .to_string();
    println!("expected error: {e}");
    assert!(e.contains("schema 1"), "{e}");

    // Digest verification: a stored layer blob replaced by a different gzip of the same tar (so the
    // diff_id still matches and only the blob digest is wrong).
    let work2 = work.path().join("unique.tar");
    test_image(&work2, "amd64", "corrupt-me");
    skopeo_push(&work2, &format!("{host}/test/bad:1"), &[]);
    let img = scan_target(&format!("registry://{host}/test/bad:1"), &wanted(), &opts()).unwrap();
    let meta = img.meta.unwrap();
    let top = meta.layers[1].clone();
    let top_digest = top.digest.clone().unwrap();
    let stored = std::fs::read(reg.blob_path(&top_digest)).unwrap();
    let mut tar_bytes = Vec::new();
    flate2::read::GzDecoder::new(&stored[..])
        .read_to_end(&mut tar_bytes)
        .unwrap();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(&tar_bytes).unwrap();
    let regzipped = enc.finish().unwrap();
    assert_ne!(sha256(&regzipped), top_digest);
    std::fs::write(reg.blob_path(&top_digest), &regzipped).unwrap();
    let e = scan_target(&format!("registry://{host}/test/bad:1"), &wanted(), &opts())
        .err()
        .unwrap();
    match &e {
        Error::DigestMismatch { digest, actual } => {
            assert_eq!(digest, &top_digest);
            assert_eq!(actual, &sha256(&regzipped));
        }
        other => panic!("expected a digest mismatch, got {other}"),
    }
    // A corrupted config is caught before any layer is read.
    let cfg = meta.config_digest.unwrap();
    let mut c = std::fs::read(reg.blob_path(&cfg)).unwrap();
    // Same length (the registry serves the stored size): one byte changed.
    let i = c.iter().position(|&b| b == b'{').unwrap();
    c[i] = b' ';
    std::fs::write(reg.blob_path(&cfg), &c).unwrap();
    let e = scan_target(&format!("registry://{host}/test/bad:1"), &wanted(), &opts())
        .err()
        .unwrap();
    println!("expected error: {e}");
    assert!(
        matches!(&e, Error::DigestMismatch { digest, .. } if *digest == cfg),
        "{e}"
    );
    println!("anonymous registry test: {:.2?}", t0.elapsed());
}

fn htpasswd_line(user: &str, pass: &str) -> String {
    run(Command::new("htpasswd").args(["-Bbn", user, pass]))
        .trim()
        .to_string()
        + "\n"
}

#[test]
fn htpasswd_registry_needs_credentials() {
    if !require(&["docker-registry", "skopeo", "htpasswd"]) {
        return;
    }
    let t0 = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("htpasswd");
    std::fs::write(&pw, htpasswd_line("alice", "s3cret")).unwrap();
    let reg = Registry::start(&format!(
        "auth: {{htpasswd: {{realm: bh-realm, path: {}}}}}\n",
        pw.display()
    ));
    let host = reg.host();
    let archive = dir.path().join("img.tar");
    test_image(&archive, "amd64", "auth");
    skopeo_push(
        &archive,
        &format!("{host}/private/img:1"),
        &["--dest-creds", "alice:s3cret"],
    );
    let spec = format!("registry://{host}/private/img:1");

    let e = scan_target(&spec, &wanted(), &opts())
        .err()
        .unwrap()
        .to_string();
    println!("expected error: {e}");
    assert!(
        e.contains("authentication required") && e.contains(&host),
        "{e}"
    );

    let bad = ScanOptions {
        registry: RegistryOptions {
            username: Some("alice".into()),
            password: Some("wrong".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let e = scan_target(&spec, &wanted(), &bad)
        .err()
        .unwrap()
        .to_string();
    println!("expected error: {e}");
    assert!(
        e.contains("credentials") && e.contains("refused") && e.contains("alice"),
        "{e}"
    );

    let good = ScanOptions {
        registry: RegistryOptions {
            username: Some("alice".into()),
            password: Some("s3cret".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let img = scan_target(&spec, &wanted(), &good).unwrap();
    assert_eq!(
        text(&img.index, "etc/app.conf"),
        "arch=amd64\nmarker=auth\n"
    );
    assert_eq!(
        img.meta.unwrap().manifest_digest.unwrap(),
        skopeo_digest(&format!("{host}/private/img:1"), Some("alice:s3cret"))
    );
    println!("htpasswd registry test: {:.2?}", t0.elapsed());
}

/// A token service for the registry's `auth: token:` mode: Basic-authenticated GET → an RS256 JWT
/// (signed with the openssl CLI) carrying the requested scopes, with the certificate in `x5c`.
struct TokenServer {
    port: u16,
    stop: Arc<AtomicBool>,
    requests: Arc<AtomicUsize>,
    thread: Option<std::thread::JoinHandle<()>>,
}

fn b64u(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

fn unpercent(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

impl TokenServer {
    fn start(key: PathBuf, cert_der: Vec<u8>, basic: String) -> TokenServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(AtomicUsize::new(0));
        let (stop2, req2) = (stop.clone(), requests.clone());
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut conn) = conn else { continue };
                let mut r = BufReader::new(conn.try_clone().unwrap());
                let mut line = String::new();
                if r.read_line(&mut line).is_err() {
                    continue;
                }
                let target = line.split_whitespace().nth(1).unwrap_or("").to_string();
                let mut auth = None;
                loop {
                    let mut h = String::new();
                    if r.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                        break;
                    }
                    if let Some((k, v)) = h.split_once(':')
                        && k.eq_ignore_ascii_case("authorization")
                    {
                        auth = Some(v.trim().to_string());
                    }
                }
                req2.fetch_add(1, Ordering::SeqCst);
                let respond = |conn: &mut TcpStream, status: &str, body: &str| {
                    let _ = write!(
                        conn,
                        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                };
                if auth.as_deref() != Some(basic.as_str()) {
                    respond(
                        &mut conn,
                        "401 Unauthorized",
                        r#"{"details":"bad credentials"}"#,
                    );
                    continue;
                }
                let query = target.split_once('?').map(|x| x.1).unwrap_or("");
                let mut service = String::new();
                let mut access = Vec::new();
                for kv in query.split('&') {
                    let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                    let v = unpercent(v);
                    match k {
                        "service" => service = v,
                        "scope" => {
                            let parts: Vec<&str> = v.splitn(3, ':').collect();
                            if parts.len() == 3 {
                                access.push(serde_json::json!({
                                    "type": parts[0], "name": parts[1],
                                    "actions": parts[2].split(',').collect::<Vec<_>>()
                                }));
                            }
                        }
                        _ => {}
                    }
                }
                use base64::Engine as _;
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_secs();
                let header = serde_json::json!({"typ": "JWT", "alg": "RS256",
                    "x5c": [base64::engine::general_purpose::STANDARD.encode(&cert_der)]});
                let claims = serde_json::json!({"iss": "bh-issuer", "sub": "alice", "aud": service,
                    "exp": now + 600, "nbf": now - 30, "iat": now, "jti": format!("{now}-{}", req2.load(Ordering::SeqCst)),
                    "access": access});
                let signing_input = format!(
                    "{}.{}",
                    b64u(&serde_json::to_vec(&header).unwrap()),
                    b64u(&serde_json::to_vec(&claims).unwrap())
                );
                let mut child = Command::new("openssl")
                    .args(["dgst", "-sha256", "-sign"])
                    .arg(&key)
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .spawn()
                    .unwrap();
                child
                    .stdin
                    .take()
                    .unwrap()
                    .write_all(signing_input.as_bytes())
                    .unwrap();
                let sig = child.wait_with_output().unwrap().stdout;
                let token = format!("{signing_input}.{}", b64u(&sig));
                respond(
                    &mut conn,
                    "200 OK",
                    &serde_json::json!({"token": token, "expires_in": 600}).to_string(),
                );
            }
        });
        TokenServer {
            port,
            stop,
            requests,
            thread: Some(thread),
        }
    }
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[test]
fn bearer_token_registry() {
    if !require(&["docker-registry", "skopeo", "openssl"]) {
        return;
    }
    let t0 = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("token.key");
    let crt = dir.path().join("token.crt");
    run(Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=bh-token",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&crt));
    let der = Command::new("openssl")
        .args(["x509", "-outform", "der", "-in"])
        .arg(&crt)
        .output()
        .unwrap()
        .stdout;
    assert!(!der.is_empty(), "openssl x509 -outform der");
    use base64::Engine as _;
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("alice:tok3n")
    );
    let tokens = TokenServer::start(key, der, basic);
    let reg = Registry::start(&format!(
        "auth: {{token: {{realm: \"http://127.0.0.1:{}/token\", service: bh-test, issuer: bh-issuer, rootcertbundle: {}}}}}\n",
        tokens.port,
        crt.display()
    ));
    let host = reg.host();
    let archive = dir.path().join("img.tar");
    test_image(&archive, "amd64", "bearer");
    skopeo_push(
        &archive,
        &format!("{host}/tok/img:1"),
        &["--dest-creds", "alice:tok3n"],
    );
    let spec = format!("registry://{host}/tok/img:1");

    // Anonymous: the token service refuses, and the message says so.
    let e = scan_target(&spec, &wanted(), &opts())
        .err()
        .unwrap()
        .to_string();
    println!("expected error: {e}");
    assert!(
        e.contains("token service") && e.contains("anonymous") && e.contains(&host),
        "{e}"
    );
    // Wrong password.
    let bad = ScanOptions {
        registry: RegistryOptions {
            username: Some("alice".into()),
            password: Some("nope".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let e = scan_target(&spec, &wanted(), &bad)
        .err()
        .unwrap()
        .to_string();
    println!("expected error: {e}");
    assert!(e.contains("refused") && e.contains("alice"), "{e}");

    let good = ScanOptions {
        registry: RegistryOptions {
            username: Some("alice".into()),
            password: Some("tok3n".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let before = tokens.requests.load(Ordering::SeqCst);
    let img = scan_target(&spec, &wanted(), &good).unwrap();
    let after = tokens.requests.load(Ordering::SeqCst);
    assert_eq!(
        text(&img.index, "etc/app.conf"),
        "arch=amd64\nmarker=bearer\n"
    );
    assert_eq!(
        text(&img.index, "etc/os-release").lines().next(),
        Some("ID=bhtest")
    );
    // Manifest + config + 2 layers went through with one token.
    assert_eq!(
        after - before,
        1,
        "the bearer token is cached for the session"
    );
    assert_eq!(
        img.meta.unwrap().manifest_digest.unwrap(),
        skopeo_digest(&format!("{host}/tok/img:1"), Some("alice:tok3n"))
    );
    println!("bearer registry test: {:.2?}", t0.elapsed());
}

fn self_signed(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let key = dir.join(format!("{name}.key"));
    let crt = dir.join(format!("{name}.crt"));
    run(Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args([
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .args(["-addext", "basicConstraints=critical,CA:FALSE", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&crt));
    (key, crt)
}

#[test]
fn tls_registry_on_loopback_and_ca_file_verification() {
    use bulkhead_image::source::registry::RegistryImage;
    if !require(&["docker-registry", "skopeo", "openssl"]) {
        return;
    }
    let t0 = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let (key, crt) = self_signed(dir.path(), "server");
    let (_, other) = self_signed(dir.path(), "other");
    let reg = Registry::start_with(
        &format!(
            ", tls: {{certificate: {}, key: {}}}",
            crt.display(),
            key.display()
        ),
        "",
    );
    let host = reg.host();
    let archive = dir.path().join("img.tar");
    test_image(&archive, "amd64", "tls");
    skopeo_push(&archive, &format!("{host}/sec/img:1"), &[]);
    let reference = format!("{host}/sec/img:1");
    let limits = bulkhead_image::Limits::default();

    // Loopback without a CA file: https preferred, certificate not verified (Docker's default).
    let img = RegistryImage::open(
        &reference,
        &reference,
        None,
        &RegistryOptions::default(),
        &limits,
    )
    .unwrap();
    assert!(
        img.client().base_url().starts_with("https://"),
        "{}",
        img.client().base_url()
    );

    // With the right CA file the certificate is verified and the scan works.
    let ok = ScanOptions {
        registry: RegistryOptions {
            ca_file: Some(crt.clone()),
            ..Default::default()
        },
        ..Default::default()
    };
    let scanned = scan_target(&format!("registry://{reference}"), &wanted(), &ok).unwrap();
    assert_eq!(text(&scanned.index, "etc/hostname"), "tls\n");

    // With another CA the handshake fails, and there is no fallback to http.
    let wrong = ScanOptions {
        registry: RegistryOptions {
            ca_file: Some(other),
            ..Default::default()
        },
        ..Default::default()
    };
    let e = scan_target(&format!("registry://{reference}"), &wanted(), &wrong)
        .err()
        .unwrap()
        .to_string();
    println!("expected error: {e}");
    assert!(e.contains(&host) && e.contains("https://"), "{e}");
    println!("tls registry test: {:.2?}", t0.elapsed());
}
