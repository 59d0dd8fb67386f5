//! rpm itself as the oracle: packages built with `rpmbuild` and installed with
//! `rpm --root` into a temporary root, and the fixtures queried with `rpm -qa`,
//! compared field by field with what this crate reads. Skipped (with a SKIP
//! line) when rpm/rpmbuild are not installed; CI has them.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use bulkhead_rpmdb::{RpmPackage, read_packages};

fn on_path(cmd: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(cmd).is_file()))
        .unwrap_or(false)
}

fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// What `rpm -q --qf` reports for one package.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Oracle {
    name: String,
    epoch: Option<u32>,
    version: String,
    release: String,
    arch: String,
    license: String,
    vendor: String,
    size: u64,
    source_rpm: String,
    files: Vec<String>,
}

const QUERY_FORMAT: &str = "@@%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{LICENSE}\\t%{VENDOR}\\t%{LONGSIZE}\\t%{SOURCERPM}\\n[%{FILENAMES}\\n]";

fn none(s: &str) -> String {
    if s == "(none)" {
        String::new()
    } else {
        s.to_string()
    }
}

fn parse_oracle(out: &str) -> Vec<Oracle> {
    let mut pkgs = Vec::new();
    for rec in out.split("@@").filter(|r| !r.is_empty()) {
        let mut lines = rec.lines();
        let f: Vec<&str> = lines.next().unwrap().split('\t').collect();
        assert_eq!(f.len(), 9, "oracle line {rec:?}");
        pkgs.push(Oracle {
            name: f[0].to_string(),
            epoch: if f[1] == "(none)" {
                None
            } else {
                Some(f[1].parse().unwrap())
            },
            version: f[2].to_string(),
            release: f[3].to_string(),
            arch: none(f[4]),
            license: none(f[5]),
            vendor: none(f[6]),
            size: f[7].parse().unwrap(),
            source_rpm: none(f[8]),
            files: lines
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect(),
        });
    }
    pkgs.sort();
    pkgs
}

fn as_oracle(p: &RpmPackage) -> Oracle {
    Oracle {
        name: p.name.clone(),
        epoch: p.epoch,
        version: p.version.clone(),
        release: p.release.clone(),
        arch: p.arch.clone(),
        license: p.license.clone(),
        vendor: p.vendor.clone(),
        size: p.size,
        source_rpm: p.source_rpm.clone(),
        files: p.files.clone(),
    }
}

fn compare(ours: &[RpmPackage], oracle: &[Oracle], what: &str) -> usize {
    let mut mine: Vec<Oracle> = ours.iter().map(as_oracle).collect();
    mine.sort();
    assert_eq!(mine.len(), oracle.len(), "{what}: package count");
    let mut files = 0;
    for (m, o) in mine.iter().zip(oracle) {
        assert_eq!(m, o, "{what}: package {}", o.name);
        files += o.files.len();
    }
    files
}

const SPECS: &[(&str, &str)] = &[
    (
        "bh-alpha",
        r#"Name: bh-alpha
Epoch: 3
Version: 1.2.3
Release: 4
Summary: Bulkhead test package alpha
License: MIT AND (BSD-3-Clause OR GPL-2.0-or-later)
Vendor: Bulkhead Tests
BuildArch: noarch
%description
Test package.
%install
mkdir -p %{buildroot}/usr/bin %{buildroot}/etc/bh-alpha
printf '#!/bin/sh\necho alpha\n' > %{buildroot}/usr/bin/bh-alpha
chmod 755 %{buildroot}/usr/bin/bh-alpha
echo 'key=value' > %{buildroot}/etc/bh-alpha/alpha.conf
%files
%dir /etc/bh-alpha
%config(noreplace) /etc/bh-alpha/alpha.conf
/usr/bin/bh-alpha
"#,
    ),
    (
        "bh-beta",
        r#"Name: bh-beta
Version: 0.9
Release: 1.fc40
Summary: Bulkhead test package beta
License: GPL-2.0-only
BuildArch: noarch
%description
Test package without epoch.
%install
mkdir -p %{buildroot}/usr/bin %{buildroot}/etc %{buildroot}/usr/share/bh-beta/deep/er
printf '#!/bin/sh\necho beta\n' > %{buildroot}/usr/bin/bh-beta
chmod 755 %{buildroot}/usr/bin/bh-beta
ln -s bh-beta %{buildroot}/usr/bin/bh-b
echo 'x' > %{buildroot}/etc/bh-beta.conf
echo 'data' > %{buildroot}/usr/share/bh-beta/deep/er/data.txt
%files
/usr/bin/bh-beta
/usr/bin/bh-b
%config /etc/bh-beta.conf
/usr/share/bh-beta
"#,
    ),
    (
        "bh-gamma",
        r#"Name: bh-gamma
Epoch: 0
Version: 2024.1
Release: 7
Summary: Bulkhead test package gamma (no files)
License: Apache-2.0
BuildArch: noarch
%description
Meta package with no files and an explicit zero epoch.
%files
"#,
    ),
];

#[test]
fn rpmbuild_installed_sqlite_db_matches_rpm_query() {
    if !on_path("rpmbuild") || !on_path("rpm") {
        if std::env::var("BULKHEAD_STRICT").as_deref() == Ok("1") {
            panic!(
                "required tool missing under BULKHEAD_STRICT=1 (scripts/install-deps.sh installs it)"
            );
        }
        println!("SKIP: rpmbuild/rpm not installed");
        return;
    }
    // `rpm --root` chroots, which needs root (CI runs as root).
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    if !is_root {
        if std::env::var("BULKHEAD_STRICT").as_deref() == Ok("1") {
            panic!(
                "required tool missing under BULKHEAD_STRICT=1 (scripts/install-deps.sh installs it)"
            );
        }
        println!("SKIP: rpm --root needs root privileges");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let home = t.join("home");
    let topdir = t.join("rpmbuild");
    let tmppath = t.join("tmp");
    let root = t.join("root");
    for d in [&home, &topdir, &tmppath, &root] {
        std::fs::create_dir_all(d).unwrap();
    }
    let defines = |c: &mut Command| {
        c.env("HOME", &home)
            .env("TMPDIR", &tmppath)
            .arg("--define")
            .arg(format!("_topdir {}", topdir.display()))
            .arg("--define")
            .arg(format!("_tmppath {}", tmppath.display()));
    };

    let mut rpms: Vec<PathBuf> = Vec::new();
    for (name, spec) in SPECS {
        let spec_path = t.join(format!("{name}.spec"));
        std::fs::write(&spec_path, spec).unwrap();
        let mut c = Command::new("rpmbuild");
        defines(&mut c);
        c.args(["--define", "debug_package %{nil}"])
            .args(["--define", "_build_id_links none"])
            .args(["-bb", "--nodeps"])
            .arg(&spec_path);
        run(&mut c);
    }
    for entry in std::fs::read_dir(topdir.join("RPMS/noarch")).unwrap() {
        rpms.push(entry.unwrap().path());
    }
    rpms.sort();
    assert_eq!(rpms.len(), 3, "built {rpms:?}");

    let rpm_root = |c: &mut Command| {
        defines(c);
        c.arg("--root")
            .arg(&root)
            .args(["--dbpath", "/var/lib/rpm"]);
    };
    let mut c = Command::new("rpm");
    rpm_root(&mut c);
    run(c.arg("--initdb"));
    let mut c = Command::new("rpm");
    rpm_root(&mut c);
    run(c.args(["-i", "--nodeps", "--nosignature"]).args(&rpms));

    let mut c = Command::new("rpm");
    rpm_root(&mut c);
    let oracle = parse_oracle(&run(c.args(["-qa", "--qf", QUERY_FORMAT])));

    let db = root.join("var/lib/rpm/rpmdb.sqlite");
    let bytes = std::fs::read(&db).unwrap_or_else(|e| panic!("{}: {e}", db.display()));
    let pkgs = read_packages(&bytes).unwrap();
    let nfiles = compare(&pkgs, &oracle, "rpmbuild root");
    println!(
        "rpm oracle: {} packages, {nfiles} files compared",
        oracle.len()
    );

    // The oracle agrees with us; make sure it also says what the specs say.
    let get = |n: &str| pkgs.iter().find(|p| p.name == n).unwrap();
    let alpha = get("bh-alpha");
    assert_eq!(alpha.epoch, Some(3));
    assert_eq!(
        (
            alpha.version.as_str(),
            alpha.release.as_str(),
            alpha.arch.as_str()
        ),
        ("1.2.3", "4", "noarch")
    );
    assert_eq!(alpha.license, "MIT AND (BSD-3-Clause OR GPL-2.0-or-later)");
    assert_eq!(alpha.vendor, "Bulkhead Tests");
    assert_eq!(alpha.source_rpm, "bh-alpha-1.2.3-4.src.rpm");
    assert_eq!(
        alpha.files,
        [
            "/etc/bh-alpha",
            "/etc/bh-alpha/alpha.conf",
            "/usr/bin/bh-alpha"
        ]
    );
    let beta = get("bh-beta");
    assert_eq!(beta.epoch, None);
    assert!(
        beta.files
            .contains(&"/usr/share/bh-beta/deep/er/data.txt".to_string())
    );
    assert!(beta.files.contains(&"/usr/bin/bh-b".to_string()));
    let gamma = get("bh-gamma");
    assert_eq!(gamma.epoch, Some(0));
    assert!(gamma.files.is_empty());
    assert_eq!(gamma.license, "Apache-2.0");
}

fn rpm_has_backend(name: &str) -> bool {
    let Ok(out) = Command::new("rpm").arg("--showrc").output() else {
        return false;
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|l| l.contains("available backends") && l.split_whitespace().any(|w| w == name))
}

/// Queries a copy of `db` (placed as `file_name` in a temporary dbpath) with rpm.
fn rpm_query_copy(db: &Path, file_name: &str, backend: &str) -> Vec<Oracle> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(db, dir.path().join(file_name)).unwrap();
    let mut perms = std::fs::metadata(dir.path().join(file_name))
        .unwrap()
        .permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(dir.path().join(file_name), perms).unwrap();
    let mut c = Command::new("rpm");
    c.env("HOME", dir.path())
        .arg("--dbpath")
        .arg(dir.path())
        .args(["--define", &format!("_db_backend {backend}")])
        .args(["-qa", "--qf", QUERY_FORMAT]);
    // bdb_ro warns about the missing index files; only stdout matters.
    parse_oracle(&run(&mut c))
}

#[test]
fn fixtures_match_rpm_query() {
    if !on_path("rpm") {
        if std::env::var("BULKHEAD_STRICT").as_deref() == Ok("1") {
            panic!(
                "required tool missing under BULKHEAD_STRICT=1 (scripts/install-deps.sh installs it)"
            );
        }
        println!("SKIP: rpm not installed");
        return;
    }
    let mut dbs: Vec<(PathBuf, &str, &str)> = Vec::new();
    if rpm_has_backend("bdb_ro") {
        dbs.push((
            common::fixture("go-rpmdb/libuuid/Packages"),
            "Packages",
            "bdb_ro",
        ));
        dbs.push((common::fixture("syft/Packages"), "Packages", "bdb_ro"));
    } else {
        println!("SKIP: this rpm has no bdb_ro backend");
    }
    if let Some(p) = common::shared("rpm/go-rpmdb/cbl-mariner-2.0/rpmdb.sqlite") {
        dbs.push((p, "rpmdb.sqlite", "sqlite"));
    }
    for (path, file_name, backend) in dbs {
        let oracle = rpm_query_copy(&path, file_name, backend);
        assert!(
            !oracle.is_empty(),
            "rpm found no packages in {}",
            path.display()
        );
        let ours = read_packages(&std::fs::read(&path).unwrap()).unwrap();
        let nfiles = compare(&ours, &oracle, &path.display().to_string());
        println!(
            "rpm oracle {}: {} packages, {nfiles} files",
            path.display(),
            oracle.len()
        );
    }
}
