//! The distance-from-minimal summary (`BH-IMG-000`) on an image built here: a Debian root with a
//! dpkg database of eight packages whose `Depends` form a graph, their files, a server started
//! through `tini`, and advisories for three of the packages. The summary must name the packages
//! that bring the shell and the network tool, count the vulnerabilities they carry, follow `tini`
//! to the server, and show unneeded exactly the packages outside the server's dependency closure.

mod common;
use bulkhead_core::{FindingKind, TargetKind};
use bulkhead_scan::{ScanRequest, VulnerabilityOptions, scan};
use common::{docker_archive, layer};

/// name, version, Depends, files.
const PACKAGES: [(&str, &str, &str, &[&str]); 8] = [
    (
        "libc6",
        "2.36-9",
        "",
        &["/usr/lib/x86_64-linux-gnu/libc.so.6"],
    ),
    (
        "libssl3",
        "3.0.11-1",
        "libc6 (>= 2.34)",
        &["/usr/lib/x86_64-linux-gnu/libssl.so.3"],
    ),
    (
        "app-server",
        "1.0-1",
        "libc6, libssl3 (>= 3.0)",
        &["/usr/sbin/app-server"],
    ),
    ("tini", "0.19.0-1", "libc6", &["/usr/bin/tini"]),
    ("bash", "5.2.15-2", "libc6, base-files", &["/bin/bash"]),
    ("base-files", "12.4", "", &["/etc/debian_version"]),
    (
        "curl",
        "7.88.1-10",
        "libc6, libcurl4 (= 7.88.1-10)",
        &["/usr/bin/curl"],
    ),
    (
        "libcurl4",
        "7.88.1-10",
        "libc6, libssl3",
        &["/usr/lib/x86_64-linux-gnu/libcurl.so.4"],
    ),
];

fn osv(id: &str, package: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id, "modified": "2024-01-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": "Debian:12", "name": package},
                      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "99.0-1"}]}]}]
    })
}

#[test]
fn the_summary_counts_what_removing_packages_takes_away() {
    let dir = tempfile::tempdir().unwrap();
    let mut status = String::new();
    let mut files: Vec<(String, Vec<u8>, u32)> = vec![(
        "etc/os-release".into(),
        b"ID=debian\nVERSION_ID=\"12\"\n".to_vec(),
        0o644,
    )];
    for (name, version, depends, owned) in PACKAGES {
        status.push_str(&format!(
            "Package: {name}\nStatus: install ok installed\nVersion: {version}\nArchitecture: amd64\n"
        ));
        if !depends.is_empty() {
            status.push_str(&format!("Depends: {depends}\n"));
        }
        status.push('\n');
        files.push((
            format!("var/lib/dpkg/info/{name}.list"),
            owned.join("\n").into_bytes(),
            0o644,
        ));
        for f in owned {
            let exec = f.contains("bin/");
            let data = if *f == "/etc/debian_version" {
                b"12.4\n".to_vec()
            } else {
                b"\x7fELF".to_vec()
            };
            files.push((
                f.trim_start_matches('/').into(),
                data,
                if exec { 0o755 } else { 0o644 },
            ));
        }
    }
    files.push(("var/lib/dpkg/status".into(), status.into_bytes(), 0o644));
    let refs: Vec<(&str, &[u8], u32)> = files
        .iter()
        .map(|(p, d, m)| (p.as_str(), d.as_slice(), *m))
        .collect();
    let l1 = layer(&refs);
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/usr/local/bin:/usr/sbin:/usr/bin:/bin"], "User": "app",
                   "Entrypoint": ["/usr/bin/tini", "--"], "Cmd": ["app-server", "--port", "8080"]},
        "history": [{"created_by": "COPY rootfs /"}]
    });
    let archive = docker_archive(dir.path(), "app", config, &[l1], "app:1.0");

    let adv = dir.path().join("adv");
    std::fs::create_dir(&adv).unwrap();
    for (id, p) in [
        ("DSA-T-1", "curl"),
        ("DSA-T-2", "bash"),
        ("DSA-T-3", "libssl3"),
    ] {
        std::fs::write(adv.join(format!("{id}.json")), osv(id, p).to_string()).unwrap();
    }
    let db = dir.path().join("adv.db");
    let mut store = bulkhead_advisories::Store::create_or_open(&db).unwrap();
    let rep = store.import_paths(&[adv], &mut |_| {}).unwrap();
    assert_eq!(rep.records_imported, 3);
    drop(store);

    let mut req = ScanRequest::new(archive.to_str().unwrap(), TargetKind::Image);
    req.hardening = true;
    req.vulnerabilities = Some(VulnerabilityOptions::new(db));
    let out = scan(req).unwrap();
    let t = &out.report.targets[0];
    let vulns: Vec<&str> = t
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::Vulnerability)
        .map(|f| f.package.as_ref().unwrap().name.as_str())
        .collect();
    assert_eq!(vulns.len(), 3, "{vulns:?}");
    let s = t
        .findings
        .iter()
        .find(|f| f.id == "BH-IMG-000")
        .expect("a summary");
    let ev = |k: &str| s.evidence.get(k).cloned().unwrap_or_default();
    let names = |k: &str| -> Vec<String> {
        ev(k)
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                let key = v.as_str().unwrap();
                key[4..key.find('@').unwrap()].to_string()
            })
            .collect()
    };
    assert_eq!(names("tool_packages"), ["bash", "curl"], "{s:#?}");
    assert_eq!(ev("tool_package_vulnerabilities"), 2);
    assert_eq!(
        ev("entrypoint"),
        serde_json::json!(["/usr/bin/tini", "/usr/sbin/app-server"])
    );
    let mut needed = names("needed_packages");
    needed.sort();
    assert_eq!(needed, ["app-server", "libc6", "libssl3", "tini"]);
    assert_eq!(
        names("unneeded_packages"),
        ["base-files", "bash", "curl", "libcurl4"]
    );
    assert_eq!(ev("unneeded_package_vulnerabilities"), 2);
    assert!(
        s.message.contains(
            "the 2 package(s) that bring a network tool (curl), a shell (bash) could be removed, taking away 2 of the 3 vulnerability finding(s)"
        ),
        "{}",
        s.message
    );
    assert!(
        s.message.contains("the entrypoint /usr/bin/tini → /usr/sbin/app-server needs 4 OS package(s) by their declared dependencies; the other 4 (2 vulnerability finding(s)) are not needed by anything it reaches"),
        "{}",
        s.message
    );
    // Runs as a user, no setuid: what is left are the shell, the network tool, the HEALTHCHECK.
    let ids: Vec<&str> = t
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::Misconfiguration)
        .map(|f| f.id.as_str())
        .collect();
    assert_eq!(
        ids,
        ["CIS-DI-0006", "BH-IMG-003", "BH-IMG-005", "BH-IMG-000"],
        "{ids:?}"
    );
    assert_eq!(ev("score"), 75);
}

/// Links in a layer: busybox linked as `sh` and `wget` is a shell and a network tool; a hard
/// link to perl is perl, once; a link into a directory that is not a bin directory is not a tool.
#[test]
fn tools_through_symlinks_and_hard_links() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |path: &str, kind: tar::EntryType, link: Option<&str>, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_size(data.len() as u64);
        h.set_mode(0o755);
        if let Some(l) = link {
            h.set_link_name(l).unwrap();
        }
        h.set_cksum();
        b.append_data(&mut h, path, data).unwrap();
    };
    add("bin/busybox", tar::EntryType::Regular, None, b"\x7fELF");
    add("bin/sh", tar::EntryType::Symlink, Some("busybox"), b"");
    add(
        "bin/wget",
        tar::EntryType::Symlink,
        Some("/bin/busybox"),
        b"",
    );
    add("usr/bin/perl", tar::EntryType::Regular, None, b"\x7fELF");
    add(
        "usr/bin/perl5.36.0",
        tar::EntryType::Link,
        Some("usr/bin/perl"),
        b"",
    );
    add("opt/tools/curl", tar::EntryType::Regular, None, b"\x7fELF");
    add(
        "usr/bin/python3-config",
        tar::EntryType::Regular,
        None,
        b"#!/bin/sh\n",
    );
    let l1 = b.into_inner().unwrap();
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "config": {"User": "1000", "Cmd": ["/bin/sh"]},
    });
    let archive = docker_archive(dir.path(), "tools", config, &[l1], "tools:1");
    let mut req = ScanRequest::new(archive.to_str().unwrap(), TargetKind::Image);
    req.hardening = true;
    let out = scan(req).unwrap();
    let found: Vec<(String, String)> = out.report.targets[0]
        .findings
        .iter()
        .filter(|f| f.id.starts_with("BH-IMG-00") && f.id != "BH-IMG-000")
        .map(|f| (f.id.clone(), f.message.clone()))
        .collect();
    assert_eq!(
        found,
        [
            (
                "BH-IMG-003".into(),
                "a shell is present: /bin/busybox".into()
            ),
            (
                "BH-IMG-005".into(),
                "a network tool is present: /bin/wget".into()
            ),
            (
                "BH-IMG-006".into(),
                "an interpreter is present: /usr/bin/perl".into()
            ),
        ],
        "{found:#?}"
    );
    let summary = out.report.targets[0]
        .findings
        .iter()
        .find(|f| f.id == "BH-IMG-000")
        .unwrap();
    // No package database: the score alone (shell 15, network tool 10, interpreter 5).
    assert_eq!(
        summary.message,
        "score 70/100; 0 OS package(s), 0 other package(s)"
    );
}
