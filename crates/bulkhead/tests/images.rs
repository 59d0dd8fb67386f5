//! End-to-end: the CLI on real images built by scripts/build-test-images.sh (debootstrap bookworm and
//! bullseye, busybox-static, a synthetic rpm image, a multi-layer podman build), compared with oracles
//! computed independently when the images were built (dpkg-query inside the image, rpm -qa, the merged
//! filesystem from `podman image mount`).

mod common;
use common::*;
use std::collections::BTreeSet;

#[test]
fn dpkg_images_match_dpkg_query_in_every_format() {
    let Some(t) = testdata() else { return };
    for name in ["bookworm", "bullseye", "multilayer"] {
        let expected = expected_packages(&t.join(format!("{name}.expected-packages.txt")));
        assert!(expected.len() > 50, "{name}: oracle too small");
        let mut forms = vec![format!("{name}.docker.tar"), format!("{name}.oci.tar")];
        if name != "multilayer" {
            forms.push(format!("{name}.ocidir"));
            forms.push(format!("{name}.rootfs"));
        }
        for form in forms {
            let path = t.join(&form);
            let r = inventory_json(&[
                "image",
                path.to_str().unwrap(),
                "--format",
                "json",
                "--no-cache",
            ]);
            let got = report_packages(&r);
            assert_eq!(got, expected, "{form}: package set differs from dpkg-query");
            assert_eq!(r["os"]["family"], "debian", "{form}");
            println!(
                "{form}: {} packages agree with dpkg-query (100%)",
                got.len()
            );
            // Every package has its source package and owns files (from info/*.list).
            for p in r["packages"].as_array().unwrap() {
                assert!(
                    p["src_name"].is_string(),
                    "{form}: {} has no source",
                    p["name"]
                );
            }
            let with_files = r["packages"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p["files"].is_array())
                .count();
            assert!(
                with_files as f64 > got.len() as f64 * 0.9,
                "{form}: only {with_files} packages own files"
            );
        }
    }
}

#[test]
fn debian_version_comes_from_debian_version_file() {
    let Some(t) = testdata() else { return };
    let r = inventory_json(&[
        "image",
        t.join("bookworm.docker.tar").to_str().unwrap(),
        "--format",
        "json",
        "--no-cache",
    ]);
    let want = std::fs::read_to_string(t.join("bookworm.rootfs/etc/debian_version")).unwrap();
    assert_eq!(r["os"]["version"], want.trim());
    // coreutils records /bin/ls (bookworm is merged-/usr: the path as dpkg wrote it)
    let coreutils = r["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "coreutils")
        .unwrap();
    assert!(
        coreutils["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "/bin/ls")
    );
}

#[test]
fn multilayer_whiteouts_match_the_merged_filesystem() {
    let Some(t) = testdata() else { return };
    // Oracle: the merged filesystem of the final image as podman mounted it.
    let expected: BTreeSet<String> =
        std::fs::read_to_string(t.join("multilayer.expected-files.txt"))
            .unwrap()
            .lines()
            .filter_map(|l| l.split('\t').nth(1).map(str::to_string))
            .filter(|p| !p.is_empty())
            .collect();
    let out = bulkhead(&[
        "image",
        t.join("multilayer.oci.tar").to_str().unwrap(),
        "--format",
        "json",
        "--no-cache",
    ]);
    assert!(out.status.success());
    let r = inventory_of(&out.stdout);
    assert_eq!(
        r["file_count"].as_u64().unwrap() as usize,
        expected.len(),
        "file count differs from the mounted image"
    );
    assert!(
        r["layers"].as_array().unwrap().len() >= 4,
        "multi-layer image expected"
    );
}

#[test]
fn rpm_image_matches_rpm_qa() {
    let Some(t) = testdata() else { return };
    let expected = expected_packages(&t.join("rpm.expected-packages.txt"));
    let r = inventory_json(&[
        "image",
        t.join("rpm.docker.tar").to_str().unwrap(),
        "--format",
        "json",
        "--no-cache",
    ]);
    assert_eq!(report_packages(&r), expected);
    assert_eq!(r["os"]["family"], "rocky");
    println!("rpm image: {} packages agree with rpm -qa", expected.len());
}

#[test]
fn busybox_has_no_packages_and_no_os() {
    let Some(t) = testdata() else { return };
    let r = inventory_json(&[
        "image",
        t.join("busybox.docker.tar").to_str().unwrap(),
        "--format",
        "json",
        "--no-cache",
    ]);
    assert_eq!(r["packages"].as_array().unwrap().len(), 0);
    assert!(r["os"].is_null());
    assert!(r["file_count"].as_u64().unwrap() > 3);
}

#[test]
fn warm_cache_gives_identical_inventory() {
    let Some(t) = testdata() else { return };
    let cache = tempfile::tempdir().unwrap();
    let img = t.join("multilayer.docker.tar");
    let args = [
        "image",
        img.to_str().unwrap(),
        "--format",
        "json",
        "--cache-dir",
        cache.path().to_str().unwrap(),
    ];
    let cold = inventory_json(&args);
    let entries = std::fs::read_dir(cache.path().join("layers"))
        .unwrap()
        .count();
    assert_eq!(
        entries,
        cold["layers"].as_array().unwrap().len(),
        "one cache entry per layer"
    );
    let warm = inventory_json(&args);
    assert_eq!(cold, warm);
    let out = bulkhead(&[
        "cache",
        "clean",
        "--cache-dir",
        cache.path().to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert_eq!(
        std::fs::read_dir(cache.path().join("layers"))
            .unwrap()
            .count(),
        0
    );
}

#[test]
fn concurrent_scans_share_the_cache_without_a_lock() {
    let Some(t) = testdata() else { return };
    let cache = tempfile::tempdir().unwrap();
    let img = t.join("bookworm.docker.tar");
    let children: Vec<_> = (0..3)
        .map(|_| {
            std::process::Command::new(env!("CARGO_BIN_EXE_bulkhead"))
                .args([
                    "sbom",
                    img.to_str().unwrap(),
                    "--format",
                    "json",
                    "--cache-dir",
                    cache.path().to_str().unwrap(),
                ])
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    for o in &outs {
        assert!(o.status.success());
    }
    let a = inventory_of(&outs[0].stdout);
    for o in &outs[1..] {
        let b = inventory_of(&o.stdout);
        assert_eq!(a["packages"], b["packages"]);
    }
}
