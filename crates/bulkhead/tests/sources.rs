//! The real test images through the network and socket sources, end to end with the CLI: the bullseye
//! docker-archive pushed with skopeo to a real `docker-registry` on loopback and scanned as
//! `registry://…`, and the bookworm image scanned from podman's store through a real
//! `podman system service` socket. Both must give exactly dpkg-query's package set.

mod common;
use common::*;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn have(bin: &str) -> bool {
    let ok = on_path(bin);
    if !ok {
        if std::env::var("BULKHEAD_STRICT").as_deref() == Ok("1") {
            panic!("{bin} not installed (BULKHEAD_STRICT=1)");
        }
        println!("SKIP: {bin} not installed (this test checked nothing)");
    }
    ok
}

fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{what} did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn registry_pull_of_a_real_image_matches_dpkg_query() {
    let Some(t) = testdata() else { return };
    if !have("docker-registry") || !have("skopeo") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cfg = dir.path().join("reg.yml");
    std::fs::write(
        &cfg,
        format!(
            "version: 0.1\nstorage: {{filesystem: {{rootdirectory: {}}}}}\nhttp: {{addr: 127.0.0.1:{port}}}\n",
            dir.path().join("data").display()
        ),
    )
    .unwrap();
    let _reg = Killed(
        Command::new("docker-registry")
            .args(["serve", cfg.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for("docker-registry", || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    let archive = t.join("bullseye.docker.tar");
    let st = Command::new("skopeo")
        .args([
            "copy",
            "-q",
            "--dest-tls-verify=false",
            &format!("docker-archive:{}", archive.display()),
            &format!("docker://127.0.0.1:{port}/real/bullseye:11"),
        ])
        .status()
        .unwrap();
    assert!(st.success(), "skopeo push failed");
    let cache = tempfile::tempdir().unwrap();
    let reference = format!("registry://127.0.0.1:{port}/real/bullseye:11");
    let args = [
        "image",
        reference.as_str(),
        "--format",
        "json",
        "--cache-dir",
        cache.path().to_str().unwrap(),
    ];
    let r = inventory_json(&args);
    let expected = expected_packages(&t.join("bullseye.expected-packages.txt"));
    assert_eq!(report_packages(&r), expected);
    assert_eq!(r["kind"], "registry");
    assert!(
        r["manifest_digest"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    println!(
        "registry pull: {} packages agree with dpkg-query",
        expected.len()
    );
    // Warm: served from the cache, identical.
    assert_eq!(inventory_json(&args)["packages"], r["packages"]);
}

#[test]
fn podman_socket_image_matches_dpkg_query() {
    let Some(t) = testdata() else { return };
    if !have("podman") || !have("runc") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("podman.sock");
    let _svc = Killed(
        Command::new("podman")
            .args([
                "--runtime",
                "runc",
                "--cgroup-manager",
                "cgroupfs",
                "system",
                "service",
                "--time=0",
            ])
            .arg(format!("unix://{}", sock.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for("podman system service", || sock.exists());
    let out = bulkhead(&[
        "image",
        "podman://localhost/bh-test/bookworm:latest",
        "--podman-socket",
        sock.to_str().unwrap(),
        "--format",
        "json",
        "--no-cache",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = inventory_of(&out.stdout);
    let expected = expected_packages(&t.join("bookworm.expected-packages.txt"));
    assert_eq!(report_packages(&r), expected);
    assert_eq!(r["kind"], "podman");
    println!(
        "podman socket: {} packages agree with dpkg-query",
        expected.len()
    );
}
