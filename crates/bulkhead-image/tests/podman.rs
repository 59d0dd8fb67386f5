//! Podman source against a real `podman system service` on a temporary socket, with an image imported
//! by `podman import` from a rootfs tar built here. The service is stopped and the image removed at the
//! end. Prints `SKIP: ...` and returns when podman or runc is missing.

use bulkhead_image::scan::{ScanOptions, scan_target};
use bulkhead_image::source::ImageSource;
use bulkhead_image::source::podman::PodmanImage;
use bulkhead_image::{Limits, Wanted};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn have(bin: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {bin}"))
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

const PODMAN_ARGS: [&str; 4] = ["--runtime", "runc", "--cgroup-manager", "cgroupfs"];

fn podman() -> Command {
    let mut c = Command::new("podman");
    c.args(PODMAN_ARGS);
    c
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

/// `podman system service` on a socket in a temp dir, killed on drop.
struct Service {
    child: Child,
    socket: PathBuf,
    _dir: tempfile::TempDir,
}

impl Service {
    fn start() -> Service {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("podman.sock");
        let child = podman()
            .args(["system", "service", "--time=0"])
            .arg(format!("unix://{}", socket.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn podman system service");
        let mut svc = Service {
            child,
            socket,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while UnixStream::connect(&svc.socket).is_err() {
            if let Some(st) = svc.child.try_wait().unwrap() {
                panic!("podman system service exited: {st}");
            }
            assert!(Instant::now() < deadline, "podman socket did not appear");
            std::thread::sleep(Duration::from_millis(50));
        }
        svc
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Removes the test image on drop.
struct ImageGuard(String);

impl Drop for ImageGuard {
    fn drop(&mut self) {
        let _ = podman().args(["rmi", "--force", &self.0]).output();
    }
}

fn ensure_containers_conf() {
    let p = Path::new("/etc/containers/containers.conf");
    if !p.exists() {
        let _ = std::fs::create_dir_all("/etc/containers");
        let _ = std::fs::write(p, "[containers]\ndefault_ulimits = []\n");
    }
}

fn rootfs_tar(path: &Path, marker: &str) {
    let mut b = tar::Builder::new(std::fs::File::create(path).unwrap());
    let mut add = |name: &str, data: &[u8], dir: bool| {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(if dir {
            tar::EntryType::Directory
        } else {
            tar::EntryType::Regular
        });
        h.set_mode(if dir { 0o755 } else { 0o644 });
        h.set_size(data.len() as u64);
        h.set_mtime(1_700_000_000);
        b.append_data(&mut h, name, data).unwrap();
    };
    add("etc/", b"", true);
    add("etc/os-release", b"ID=bhpodman\nVERSION_ID=7\n", false);
    add("etc/marker", marker.as_bytes(), false);
    add("usr/", b"", true);
    add("usr/bin/", b"", true);
    add("usr/bin/tool", b"\x7fELF not really", false);
    b.finish().unwrap();
}

#[test]
fn podman_socket_exports_and_scans_an_image() {
    for bin in ["podman", "runc"] {
        if !have(bin) {
            if std::env::var("BULKHEAD_STRICT").as_deref() == Ok("1") {
                panic!(
                    "required tool missing under BULKHEAD_STRICT=1 (scripts/install-deps.sh installs it)"
                );
            }
            println!("SKIP: {bin} not installed");
            return;
        }
    }
    let t0 = Instant::now();
    ensure_containers_conf();
    let dir = tempfile::tempdir().unwrap();
    let name = format!("localhost/bh-podman-test-{}:1", std::process::id());
    let marker = format!("marker-{}", std::process::id());
    let tar = dir.path().join("rootfs.tar");
    rootfs_tar(&tar, &marker);
    let id = run(podman().arg("import").arg("-q").arg(&tar).arg(&name))
        .trim()
        .to_string();
    let _guard = ImageGuard(name.clone());
    let svc = Service::start();
    let t_ready = t0.elapsed();

    let wanted = Wanted::new("podman-test-1", |p: &str| p.starts_with("etc/"));
    let cache_root = dir.path().join("cache");
    let opts = ScanOptions {
        podman_socket: Some(svc.socket.clone()),
        cache: Some(bulkhead_image::cache::LayerCache::open(&cache_root, 1 << 30).unwrap()),
        ..Default::default()
    };
    let spec = format!("podman://{name}");
    let img = scan_target(&spec, &wanted, &opts).unwrap_or_else(|e| panic!("{spec}: {e}"));
    assert_eq!(img.kind, "podman");
    assert_eq!(
        String::from_utf8_lossy(img.index.read("etc/os-release").unwrap()),
        "ID=bhpodman\nVERSION_ID=7\n"
    );
    assert_eq!(img.index.read("etc/marker").unwrap(), marker.as_bytes());
    assert!(img.index.entry("usr/bin/tool").is_some());
    assert!(
        img.index.read("usr/bin/tool").is_none(),
        "not wanted, not captured"
    );
    let meta = img.meta.as_ref().unwrap();
    assert_eq!(meta.source_kind, "podman");
    assert_eq!(meta.layers.len(), 1);
    let id_full = if id.starts_with("sha256:") {
        id.clone()
    } else {
        format!("sha256:{id}")
    };
    assert_eq!(meta.config_digest.as_deref(), Some(id_full.as_str()));
    assert_eq!(meta.repo_tags, vec![name.clone()]);
    assert!(
        meta.layers[0].location.starts_with(&spec),
        "{}",
        meta.layers[0].location
    );
    // The spool lived in the cache root (not among cache entries) and is gone with the source.
    let leftovers: Vec<_> = std::fs::read_dir(&cache_root)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".bulkhead-podman-")
        })
        .collect();
    assert!(leftovers.is_empty(), "spool not removed: {leftovers:?}");

    // Opened directly: the spool exists while the source lives, and is removed on drop.
    let src = PodmanImage::open(
        &name,
        &spec,
        Some(&svc.socket),
        Some(dir.path()),
        &Limits::default(),
        None,
    )
    .unwrap();
    let spool = src.spool_path().to_path_buf();
    assert!(spool.starts_with(dir.path()) && spool.is_file());
    assert_eq!(src.meta().layers.len(), 1);
    drop(src);
    assert!(!spool.exists());

    // A spool limit smaller than the export is refused.
    let tiny = Limits {
        max_image_uncompressed: 1024,
        ..Default::default()
    };
    let e = PodmanImage::open(
        &name,
        &spec,
        Some(&svc.socket),
        Some(dir.path()),
        &tiny,
        None,
    )
    .err()
    .unwrap()
    .to_string();
    println!("expected error: {e}");
    assert!(e.contains("exceeds 1024 bytes"), "{e}");

    // A missing image is named as such.
    let e = scan_target("podman://localhost/bh-no-such-image:1", &wanted, &opts)
        .err()
        .unwrap()
        .to_string();
    println!("expected error: {e}");
    assert!(e.contains("image not found in the podman store"), "{e}");
    assert!(e.contains("bh-no-such-image"), "{e}");

    // No socket: the message says how to start one.
    let none = ScanOptions {
        podman_socket: Some(dir.path().join("absent.sock")),
        ..Default::default()
    };
    let e = scan_target(&spec, &wanted, &none)
        .err()
        .unwrap()
        .to_string();
    println!("expected error: {e}");
    assert!(e.contains("podman system service --time=0"), "{e}");
    println!(
        "podman test: service ready after {t_ready:.2?}, total {:.2?}",
        t0.elapsed()
    );
}
