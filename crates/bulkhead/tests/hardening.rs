//! The minimal-image audit on the real bookworm image, checked against `find` on the same root
//! filesystem (the image's layer unpacked by debootstrap's build): the setuid/setgid files and the
//! world-writable paths outside temporary directories are exactly find's, and the tools a minimal
//! image does without are the ones the root filesystem has.

mod common;
use common::*;
use std::process::Command;

fn find(root: &std::path::Path, args: &[&str]) -> Vec<String> {
    let out = Command::new("find").arg(root).args(args).output().unwrap();
    let mut v: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            l.strip_prefix(root.to_str().unwrap())
                .unwrap_or(l)
                .trim_start_matches('/')
                .to_string()
        })
        .filter(|p| !p.is_empty())
        .collect();
    v.sort();
    v
}

fn count_in(message: &str) -> usize {
    message
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[test]
fn hardening_checks_agree_with_find_on_bookworm() {
    let Some(t) = testdata() else { return };
    let rootfs = t.join("bookworm.rootfs");
    assert!(
        rootfs.is_dir(),
        "bookworm.rootfs missing: run scripts/build-test-images.sh"
    );
    let r = bulkhead_json(&[
        "fs",
        rootfs.to_str().unwrap(),
        "--scanners",
        "hardening",
        "-f",
        "json",
    ]);
    let f = findings(&r);
    let by = |id: &str| f.iter().filter(move |x| x["id"] == id).collect::<Vec<_>>();
    let setid = find(&rootfs, &["-type", "f", "-perm", "/6000"]);
    assert!(!setid.is_empty());
    let m = by("CIS-DI-0008")[0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(count_in(&m), setid.len(), "{m} vs {setid:?}");
    for p in setid.iter().take(10) {
        assert!(m.contains(&format!("/{p}")), "{p} in {m}");
    }
    let writable: Vec<String> = find(
        &rootfs,
        &[
            "(", "-type", "f", "-o", "-type", "d", ")", "-perm", "-0002", "!", "-perm", "-1000",
        ],
    )
    .into_iter()
    .filter(|p| {
        !["tmp", "var/tmp", "dev/shm", "run/lock", "var/lock"]
            .iter()
            .any(|t| p == t || p.starts_with(&format!("{t}/")))
    })
    .collect();
    let w = by("BH-IMG-002");
    assert_eq!(w.len(), usize::from(!writable.is_empty()), "{writable:?}");
    if let Some(w) = w.first() {
        assert_eq!(count_in(w["message"].as_str().unwrap()), writable.len());
    }
    let tools: Vec<&str> = by("BH-IMG-003")
        .iter()
        .map(|x| x["message"].as_str().unwrap())
        .collect();
    assert!(
        tools
            .iter()
            .any(|m| m.starts_with("a shell is present: /bin/sh")),
        "{tools:?}"
    );
    assert!(
        tools
            .iter()
            .any(|m| m.starts_with("a package manager is present") && m.contains("/usr/bin/dpkg")),
        "{tools:?}"
    );
    // The image itself: no USER, no HEALTHCHECK; the same setuid files.
    let img = bulkhead_json(&[
        "image",
        t.join("bookworm.docker.tar").to_str().unwrap(),
        "--scanners",
        "hardening",
        "-f",
        "json",
    ]);
    let fi = findings(&img);
    assert!(fi.iter().any(|x| x["id"] == "CIS-DI-0001"));
    assert!(fi.iter().any(|x| x["id"] == "CIS-DI-0006"));
    let mi = fi.iter().find(|x| x["id"] == "CIS-DI-0008").unwrap()["message"]
        .as_str()
        .unwrap();
    assert_eq!(count_in(mi), setid.len());
    println!(
        "hardening: {} setuid/setgid files and {} world-writable paths, as find lists them",
        setid.len(),
        writable.len()
    );
}
