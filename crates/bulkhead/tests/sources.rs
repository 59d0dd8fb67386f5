//! The real test images through the network and socket sources, end to end with the CLI: the bullseye
//! docker-archive pushed with skopeo to a real `docker-registry` on loopback and scanned as
//! `registry://…`, and the bookworm image scanned from podman's store through a real
//! `podman system service` socket. Both must give exactly dpkg-query's package set.

mod common;
use common::*;
use std::process::{Command, Stdio};

#[test]
fn registry_pull_of_a_real_image_matches_dpkg_query() {
    let Some(t) = testdata() else { return };
    if !have("docker-registry") || !have("skopeo") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let reg = Registry::start(dir.path());
    let port = reg.port;
    reg.push(&t.join("bullseye.docker.tar"), "real/bullseye:11");
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
