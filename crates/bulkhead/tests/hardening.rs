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
    // Tools, each file once: bookworm's /bin is /usr/bin (usrmerge); sh, rbash are links to dash, bash.
    let msg = |id: &str| {
        by(id)
            .first()
            .map(|x| x["message"].as_str().unwrap().to_string())
    };
    assert_eq!(
        msg("BH-IMG-003").as_deref(),
        Some("a shell is present: /usr/bin/bash, /usr/bin/dash")
    );
    assert_eq!(
        msg("BH-IMG-004").as_deref(),
        Some("a package manager is present: /usr/bin/apt, /usr/bin/apt-get, /usr/bin/dpkg")
    );
    // perl5.36.0 is a hard link to perl: one file in the image's tar, two names in a directory.
    assert!(
        msg("BH-IMG-006")
            .unwrap_or_default()
            .starts_with("an interpreter is present: /usr/bin/perl"),
        "{:?}",
        msg("BH-IMG-006")
    );
    for (id, bins) in [
        ("BH-IMG-005", ["curl", "wget"]),
        ("BH-IMG-007", ["gcc", "make"]),
    ] {
        for b in bins {
            assert!(!rootfs.join("usr/bin").join(b).exists());
        }
        assert!(msg(id).is_none(), "{id}: {:?}", msg(id));
    }
    // apt's lists: debootstrap leaves them; the count and size are find's.
    let lists: Vec<String> = find(
        &rootfs.join("var/lib/apt/lists"),
        &["-maxdepth", "1", "-type", "f", "!", "-name", "lock"],
    );
    let bytes: u64 = lists
        .iter()
        .map(|l| {
            std::fs::metadata(rootfs.join("var/lib/apt/lists").join(l))
                .unwrap()
                .len()
        })
        .sum();
    assert_eq!(
        msg("BH-IMG-008").as_deref(),
        Some(
            format!(
                "apt's package lists left in the image: {} file(s), {} KiB under /var/lib/apt/lists",
                lists.len(),
                bytes.div_ceil(1024)
            )
            .as_str()
        )
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

fn sh(script: &str) -> String {
    let out = Command::new("sh").arg("-ec").arg(script).output().unwrap();
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The bookworm image with a second layer and a new configuration, written as a docker-archive
/// with real digests: the layer holds an account with an empty password, a second uid 0, a
/// `.git` directory, a `.DS_Store` and pip's cache; the configuration runs `gzip` (found through
/// `PATH`), sets a password variable, and its history updates apt's index alone and uses sudo.
fn planted_bookworm(t: &std::path::Path, dir: &std::path::Path) -> std::path::PathBuf {
    let d = dir.display();
    sh(&format!(
        "cd {d} && mkdir x l2 && tar -xf {}/bookworm.docker.tar -C x && \
         mkdir -p l2/etc l2/app/.git l2/root/.cache/pip/http && \
         cp {}/bookworm.rootfs/etc/shadow {}/bookworm.rootfs/etc/passwd l2/etc/ && \
         echo 'ghost::19000:0:99999:7:::' >> l2/etc/shadow && \
         echo 'toor:x:0:0:root:/root:/bin/sh' >> l2/etc/passwd && \
         echo '[core]' > l2/app/.git/config && echo x > l2/app/.DS_Store && \
         head -c 4096 /dev/zero > l2/root/.cache/pip/http/0a1b && \
         tar --numeric-owner -cf x/l2.tar -C l2 .",
        t.display(),
        t.display(),
        t.display()
    ));
    let x = dir.join("x");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(x.join("manifest.json")).unwrap()).unwrap();
    let cfg_name = manifest[0]["Config"].as_str().unwrap().to_string();
    let mut cfg: serde_json::Value =
        serde_json::from_slice(&std::fs::read(x.join(&cfg_name)).unwrap()).unwrap();
    let l2 = sh(&format!("sha256sum {d}/x/l2.tar | cut -d' ' -f1"));
    cfg["rootfs"]["diff_ids"]
        .as_array_mut()
        .unwrap()
        .push(format!("sha256:{l2}").into());
    cfg["history"].as_array_mut().unwrap().extend([
        serde_json::json!({"created_by": "/bin/sh -c apt-get update", "empty_layer": true}),
        serde_json::json!({"created_by": "/bin/sh -c sudo cp -r /ctx /", "comment": "planted"}),
    ]);
    cfg["config"]["Cmd"] = serde_json::json!(["gzip", "-d"]);
    cfg["config"]["Env"]
        .as_array_mut()
        .unwrap()
        .push("DB_PASSWORD=planted-not-real".into());
    let cfg_bytes = serde_json::to_vec(&cfg).unwrap();
    std::fs::write(x.join("new.json"), &cfg_bytes).unwrap();
    let digest = sh(&format!("sha256sum {d}/x/new.json | cut -d' ' -f1"));
    std::fs::rename(x.join("new.json"), x.join(format!("{digest}.json"))).unwrap();
    std::fs::remove_file(x.join(&cfg_name)).unwrap();
    let layers = manifest[0]["Layers"].as_array().unwrap().clone();
    let mut layers: Vec<String> = layers
        .iter()
        .map(|l| l.as_str().unwrap().to_string())
        .collect();
    layers.push("l2.tar".into());
    let m = serde_json::json!([{"Config": format!("{digest}.json"), "RepoTags": ["planted/bookworm:1"], "Layers": layers}]);
    std::fs::write(x.join("manifest.json"), m.to_string()).unwrap();
    let out = dir.join("planted.tar");
    sh(&format!(
        "cd {d}/x && tar -cf {} manifest.json {digest}.json {}",
        out.display(),
        layers.join(" ")
    ));
    out
}

/// dpkg, on a copy of the image's database, removing `packages` together: whether it refuses for
/// dependency problems (what stays would miss something it depends on).
fn dpkg_breaks(admindir: &std::path::Path, packages: &[&str]) -> (bool, String) {
    let out = Command::new("dpkg")
        .arg(format!("--admindir={}", admindir.display()))
        .args([
            "--simulate",
            "--force-remove-essential",
            "--force-remove-protected",
            "--purge",
        ])
        .args(packages)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (
        text.contains("dependency problems") || !out.status.success(),
        text,
    )
}

#[test]
fn planted_image_every_check_and_the_entrypoint_reach_checked_by_dpkg() {
    let Some(t) = testdata() else { return };
    if !on_path("dpkg") {
        panic!("dpkg is needed (install-deps installs it)");
    }
    let dir = tempfile::tempdir().unwrap();
    let image = planted_bookworm(&t, dir.path());
    let r = bulkhead_json(&[
        "image",
        image.to_str().unwrap(),
        "--scanners",
        "hardening",
        "--no-cache",
        "-f",
        "json",
    ]);
    validate_report(&r);
    let f = findings(&r);
    let msg = |id: &str| -> String {
        f.iter()
            .filter(|x| x["id"] == id)
            .map(|x| x["message"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
            .join(" | ")
    };
    assert!(msg("DKL-LI-0001").contains("ghost"), "{f:#?}");
    assert!(
        msg("DKL-LI-0002").contains("user id 0 is shared by root, toor"),
        "{}",
        msg("DKL-LI-0002")
    );
    let extra = msg("DKL-LI-0003");
    assert!(
        extra.contains("/app/.git") && extra.contains("/app/.DS_Store"),
        "{extra}"
    );
    assert!(msg("BH-IMG-008").contains("pip's cache left in the image: 1 file(s), 4 KiB"));
    assert!(msg("BH-IMG-008").contains("apt's package lists"));
    assert!(msg("CIS-DI-0007").contains("apt-get update"));
    assert!(msg("DKL-DI-0001").contains("sudo"));
    assert!(msg("CIS-DI-0010").contains("DB_PASSWORD"));
    assert!(!msg("CIS-DI-0010").contains("planted-not-real"));
    assert!(msg("DKL-DI-0006").is_empty(), "tagged :1, not latest");
    // The entrypoint: gzip through PATH; what it needs, by dpkg's own judgement.
    let s = f.iter().find(|x| x["id"] == "BH-IMG-000").unwrap();
    let message = s["message"].as_str().unwrap();
    println!("summary: {message}");
    // dpkg brings a package manager, but gzip depends on it (`dpkg | install-info`): it stays.
    assert!(
        message.contains("the 4 package(s) that bring a package manager (apt), a shell (bash, dash), an interpreter (perl-base) could be removed")
            && message.contains("dpkg (a package manager) stays: the entrypoint's dependencies need it"),
        "{message}"
    );
    let ev = &s["evidence"];
    assert_eq!(
        ev["entrypoint"],
        serde_json::json!(["/usr/bin/gzip"]),
        "{s:#}"
    );
    let names = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|k| {
                // deb:name@version:arch
                let k = k.as_str().unwrap();
                k.split_once(':')
                    .unwrap()
                    .1
                    .split('@')
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    let needed = names(&ev["needed_packages"]);
    let unneeded = names(&ev["unneeded_packages"]);
    assert!(needed.contains(&"gzip".to_string()) && needed.contains(&"libc6".to_string()));
    assert_eq!(needed.len() + unneeded.len(), 88);
    let admin = dir.path().join("dpkg");
    sh(&format!(
        "cp -a {}/bookworm.rootfs/var/lib/dpkg {}",
        t.display(),
        admin.display()
    ));
    let unneeded_refs: Vec<&str> = unneeded.iter().map(String::as_str).collect();
    let (broken, said) = dpkg_breaks(&admin, &unneeded_refs);
    assert!(
        !broken,
        "dpkg refuses to remove the {} packages shown unneeded: {said}",
        unneeded.len()
    );
    // And each needed package is needed: removing it too breaks what stays.
    for n in needed.iter().filter(|n| *n != "gzip") {
        let mut with = unneeded_refs.clone();
        with.push(n);
        let (broken, said) = dpkg_breaks(&admin, &with);
        assert!(broken, "{n} is shown needed, but dpkg removes it: {said}");
    }
    println!(
        "entrypoint reach: gzip needs {} of 88 packages ({}); dpkg removes the other {} without a dependency problem and refuses each needed one",
        needed.len(),
        needed.join(", "),
        unneeded.len()
    );
}
