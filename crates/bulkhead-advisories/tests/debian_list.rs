//! The Debian security tracker list importer (`DSA-list`, `DLA-list`): a synthetic list with every
//! line form, the full real lists from ../shared (never copied into the repository: no licence file),
//! and matching real dpkg packages against them.

mod common;
use common::*;

use std::time::Instant;

use bulkhead_advisories::Store;
use bulkhead_advisories::debian_list::{self, ListKind};
use bulkhead_advisories::matcher::match_packages;
use bulkhead_advisories::osv::{Event, Record};
use bulkhead_core::{OsInfo, Package, VulnStatus};

const SYNTHETIC: &str = "\
[12 Apr 2023] DSA-5386-1 chromium - security update
\t{CVE-2023-1810 CVE-2023-1811}
\t[bullseye] - chromium 112.0.5615.49-2~deb11u1
\tNOTE: a note
[01 Jan 2020] DSA-4600-1 openssl - security update
\t{CVE-2019-1551}
\t[buster] - openssl 1.1.1d-0+deb10u2
\t[stretch] - openssl1.0 1.0.2u-1~deb9u1 (bug #123; medium)
\t[jessie] - openssl <not-affected> (Vulnerable code not present)
\t[wheezy] - openssl <end-of-life>
\t[sid] - openssl 1.1.1d-1
        [squeeze] - openssl  0.9.8o-4squeeze23
[02 Jan 2020] DSA-4601-1 foo - security update
\t{CVE-2020-0002}
\t[buster] - foo <no-dsa> (Minor issue)
\t[stretch] - foo <ignored>
\t[jessie] - foo <postponed>
\t[woody] - foo <unfixed> (high)
[16 Apr 2014] DSA-2907-1 squeeze end-of-life
[03 Jan 2020] DSA-4602  bar  - security update
\t{}
\t[buster] - bar 1:1.0-1+deb10u1
garbage line
\t[buster] - baz
[30 Feb 2020] DSA-9999-1 bad date
\t[buster] - qux 1.0
";

const LISTS: &str = "advisories-raw/debian-security-tracker/full-2023-04";

/// (ecosystem, package, events, database_specific.status) of every affected element.
fn entries(r: &Record) -> Vec<(String, String, Vec<Event>, Option<String>)> {
    r.affected
        .iter()
        .map(|a| {
            let p = a.package.as_ref().unwrap();
            (
                p.ecosystem.clone(),
                p.name.clone(),
                a.ranges[0].events.clone(),
                a.database_specific
                    .as_ref()
                    .and_then(|d| d.get("status"))
                    .and_then(|s| s.as_str())
                    .map(str::to_string),
            )
        })
        .collect()
}

fn fixed(eco: &str, name: &str, v: &str) -> (String, String, Vec<Event>, Option<String>) {
    (
        eco.into(),
        name.into(),
        vec![Event::Introduced("0".into()), Event::Fixed(v.into())],
        None,
    )
}

fn nofix(eco: &str, name: &str, status: &str) -> (String, String, Vec<Event>, Option<String>) {
    (
        eco.into(),
        name.into(),
        vec![Event::Introduced("0".into())],
        Some(status.into()),
    )
}

#[test]
fn synthetic_list_every_line_form() {
    let parsed = debian_list::parse_list(SYNTHETIC, ListKind::Dsa);
    let ids: Vec<&str> = parsed.records.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["DSA-5386-1", "DSA-4600-1", "DSA-4601-1", "DSA-4602"]);

    let r = &parsed.records[0];
    assert_eq!(r.aliases, ["CVE-2023-1810", "CVE-2023-1811"]);
    assert_eq!(r.published.as_deref(), Some("2023-04-12T00:00:00Z"));
    assert_eq!(r.modified.as_deref(), Some("2023-04-12T00:00:00Z"));
    assert_eq!(r.summary.as_deref(), Some("chromium - security update"));
    assert_eq!(
        r.database_specific,
        Some(serde_json::json!({"source": "debian-dsa-list"}))
    );
    assert_eq!(
        entries(r),
        [fixed("Debian:11", "chromium", "112.0.5615.49-2~deb11u1")]
    );

    let r = &parsed.records[1];
    assert_eq!(r.aliases, ["CVE-2019-1551"]);
    assert_eq!(
        entries(r),
        [
            fixed("Debian:10", "openssl", "1.1.1d-0+deb10u2"),
            fixed("Debian:9", "openssl1.0", "1.0.2u-1~deb9u1"),
            nofix("Debian:7", "openssl", "end_of_life"),
            fixed("Debian:6", "openssl", "0.9.8o-4squeeze23"),
        ]
    );

    let r = &parsed.records[2];
    assert_eq!(
        entries(r),
        [
            nofix("Debian:10", "foo", "will_not_fix"),
            nofix("Debian:9", "foo", "will_not_fix"),
            nofix("Debian:8", "foo", "fix_deferred"),
            nofix("Debian:3.0", "foo", "unfixed"),
        ]
    );

    let r = &parsed.records[3];
    assert!(r.aliases.is_empty());
    assert_eq!(r.summary.as_deref(), Some("bar - security update"));
    assert_eq!(entries(r), [fixed("Debian:10", "bar", "1:1.0-1+deb10u1")]);

    let s = &parsed.stats;
    assert_eq!(s.advisories, 5);
    assert_eq!(s.records, 4);
    assert_eq!(s.advisories_without_entries, 1);
    assert_eq!(s.entries, 10);
    assert_eq!(s.entries_fixed, 5);
    assert_eq!(s.entries_will_not_fix, 3);
    assert_eq!(s.entries_end_of_life, 1);
    assert_eq!(s.entries_unfixed, 1);
    assert_eq!(s.not_affected, 1);
    assert_eq!(s.unknown_release_lines(), 1);
    assert_eq!(s.unknown_release.get("sid"), Some(&1));
    assert_eq!(s.notes, 1);
    let errs: Vec<usize> = s.errors.iter().map(|e| e.line).collect();
    assert_eq!(errs, [23, 24, 25, 26], "{:#?}", s.errors);
}

#[test]
fn synthetic_list_through_the_store_and_matcher() {
    let dir = tempfile::tempdir().unwrap();
    let list_dir = dir.path().join("data/DSA");
    std::fs::create_dir_all(&list_dir).unwrap();
    std::fs::write(list_dir.join("list"), SYNTHETIC).unwrap();
    // Not a list: the name fits but the content does not; and another name with list content.
    std::fs::write(dir.path().join("data/list"), "CVE-2020-1 (x)\n").unwrap();
    std::fs::write(dir.path().join("data/notalist"), SYNTHETIC).unwrap();

    let mut store = Store::create_or_open(&dir.path().join("adv.db")).unwrap();
    let report = import(&mut store, &[dir.path().join("data")]);
    assert_eq!(report.files_read, 1, "{report:#?}");
    assert_eq!(report.records_imported, 4);
    assert_eq!(report.errors.len(), 4, "{:#?}", report.errors);
    assert!(report.errors[0].source.ends_with("list:23"));
    assert_eq!(report.debian_lists.len(), 1);
    assert_eq!(report.debian_lists[0].stats.entries, 10);

    // Re-import: same `modified`, nothing changes.
    let again = import(&mut store, &[list_dir.join("list")]);
    assert_eq!((again.records_imported, again.records_unchanged), (0, 4));

    let entries = store.affected("Debian", "openssl").unwrap();
    let ecos: Vec<&str> = entries.iter().map(|e| e.ecosystem.as_str()).collect();
    assert_eq!(ecos, ["Debian:10", "Debian:7", "Debian:6"]);

    let os = OsInfo {
        family: "debian".into(),
        version: "10.13".into(),
        pretty_name: None,
        codename: Some("buster".into()),
        source: "etc/os-release".into(),
        repository: None,
    };
    let pkg = |name: &str, src: &str, v: &str| Package {
        kind: Some(bulkhead_core::PackageKind::Deb),
        name: name.into(),
        version: v.into(),
        src_name: Some(src.into()),
        src_version: Some(v.into()),
        ..Default::default()
    };
    let found = match_packages(
        &store,
        Some(&os),
        &[
            pkg("libssl1.1", "openssl", "1.1.1d-0+deb10u1"),
            pkg("foo", "foo", "9.9"),
            pkg("bar", "bar", "1.0-1+deb10u9"),
        ],
    )
    .unwrap();
    let got: Vec<(&str, &str, VulnStatus, Option<&str>)> = found
        .iter()
        .map(|v| {
            (
                v.package_name(),
                v.id.as_str(),
                v.status.unwrap(),
                v.fixed_version(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            // No epoch sorts below epoch 1: bar 1.0-1+deb10u9 < 1:1.0-1+deb10u1.
            (
                "bar",
                "DSA-4602",
                VulnStatus::Fixed,
                Some("1:1.0-1+deb10u1")
            ),
            ("foo", "CVE-2020-0002", VulnStatus::WillNotFix, None),
            (
                "libssl1.1",
                "CVE-2019-1551",
                VulnStatus::Fixed,
                Some("1.1.1d-0+deb10u2")
            ),
        ]
    );
}

/// Independent counts, by plain line shapes: advisories are lines starting with `[`; entries are
/// indented `[release] - ` lines that are not `<not-affected>`.
fn independent_counts(text: &str) -> (u64, u64, u64) {
    let mut headers = 0;
    let mut package_lines = 0;
    let mut not_affected = 0;
    for line in text.split('\n') {
        if line.as_bytes().first() == Some(&b'[') {
            headers += 1;
        } else if line.starts_with([' ', '\t'])
            && line.trim_start().starts_with('[')
            && line.contains("] - ")
        {
            package_lines += 1;
            if line.contains("<not-affected>") {
                not_affected += 1;
            }
        }
    }
    (headers, package_lines - not_affected, not_affected)
}

#[test]
fn full_dsa_and_dla_lists() {
    let Some(dir) = shared(LISTS) else { return };
    let mut total_records = 0;
    for (name, kind) in [("DSA-list", ListKind::Dsa), ("DLA-list", ListKind::Dla)] {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        assert_eq!(debian_list::detect(name, text.as_bytes()), Some(kind));
        let t = Instant::now();
        let parsed = debian_list::parse_list(&text, kind);
        let took = t.elapsed();
        let s = &parsed.stats;
        println!(
            "{name}: {} advisories, {} records, {} without entries, {} entries ({} fixed, {} will_not_fix, \
             {} end_of_life, {} unfixed), skipped: {} not-affected, {} unknown release {:?}, {} NOTE, \
             {} errors; parsed in {took:?}",
            s.advisories,
            s.records,
            s.advisories_without_entries,
            s.entries,
            s.entries_fixed,
            s.entries_will_not_fix,
            s.entries_end_of_life,
            s.entries_unfixed,
            s.not_affected,
            s.unknown_release_lines(),
            s.unknown_release,
            s.notes,
            s.errors.len()
        );
        assert!(s.errors.is_empty(), "{:#?}", s.errors);
        let (headers, entries, not_affected) = independent_counts(&text);
        assert_eq!(s.advisories, headers);
        assert_eq!(s.records + s.advisories_without_entries, headers);
        assert_eq!(s.not_affected, not_affected);
        assert_eq!(s.entries + s.unknown_release_lines(), entries);
        assert_eq!(
            s.entries,
            s.entries_fixed + s.entries_will_not_fix + s.entries_end_of_life + s.entries_unfixed
        );
        let entry_sum: usize = parsed.records.iter().map(|r| r.affected.len()).sum();
        assert_eq!(entry_sum as u64, s.entries);
        // Every record is a valid OSV record that round-trips.
        for r in &parsed.records {
            let back = Record::from_json_slice(r.to_json().as_bytes()).unwrap();
            assert_eq!(&back, r);
        }
        total_records += s.records;
    }

    // Through the store: the directory walk finds both files by name and content.
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::create_or_open(&tmp.path().join("adv.db")).unwrap();
    let t = Instant::now();
    let report = import(&mut store, std::slice::from_ref(&dir));
    println!(
        "store import of {}: {} files, {} records imported, {} skipped, {} errors in {:?}",
        dir.display(),
        report.files_read,
        report.records_imported,
        report.skipped.len(),
        report.errors.len(),
        t.elapsed()
    );
    assert_eq!(report.files_read, 2);
    assert_eq!(report.debian_lists.len(), 2);
    assert_eq!(report.records_imported, total_records);
    assert!(report.skipped.is_empty(), "{:#?}", report.skipped);
    assert!(report.errors.is_empty(), "{:#?}", report.errors);
    let r = store.record("DSA-5380-1").unwrap().unwrap();
    assert_eq!(r.aliases, ["CVE-2023-1393"]);
    assert_eq!(
        entries(&r),
        [fixed("Debian:11", "xorg-server", "2:1.20.11-1+deb11u6")]
    );
    let r = store.record("DLA-3377-1").unwrap().unwrap();
    assert_eq!(
        r.database_specific,
        Some(serde_json::json!({"source": "debian-dla-list"}))
    );
}

#[test]
fn real_dpkg_status_matched_against_the_real_lists() {
    let (Some(lists), Some(status)) = (
        shared(LISTS),
        shared("pkgdb/dpkg/trivy/unpacked/valid/var/lib/dpkg/status"),
    ) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::create_or_open(&tmp.path().join("adv.db")).unwrap();
    let report = import(&mut store, &[lists]);
    assert!(report.errors.is_empty(), "{:#?}", report.errors);

    // The fixture is an Ubuntu 18.04 database (with a removed Debian buster git); its packages are
    // matched as Debian 10 (buster) here.
    let text = std::fs::read_to_string(&status).unwrap();
    let mut warnings = Vec::new();
    let packages =
        bulkhead_inventory::dpkg::parse_status(&text, "var/lib/dpkg/status", &mut warnings);
    assert!(packages.len() > 80, "{}", packages.len());
    let os = OsInfo {
        family: "debian".into(),
        version: "10".into(),
        pretty_name: None,
        codename: Some("buster".into()),
        source: "etc/os-release".into(),
        repository: None,
    };
    let t = Instant::now();
    let found = match_packages(&store, Some(&os), &packages).unwrap();
    println!(
        "{} packages, {} findings (Debian 10) in {:?}",
        packages.len(),
        found.len(),
        t.elapsed()
    );
    let with = |pkg: &str, adv: &str| {
        found
            .iter()
            .filter(|v| v.package_name() == pkg && v.advisories().contains(&adv))
            .collect::<Vec<_>>()
    };
    // systemd 237-3ubuntu10.3 (source of libsystemd0, libudev1, …): below the buster fixes
    // DSA-4942-1 (241-7~deb10u8) and DLA-3377-1 (241-7~deb10u9).
    let v = with("libsystemd0", "DLA-3377-1");
    assert_eq!(v.len(), 1, "{v:#?}");
    assert_eq!(v[0].fixed_version(), Some("241-7~deb10u9"));
    assert_eq!(v[0].id, "CVE-2023-26604");
    assert_eq!(with("libsystemd0", "DSA-4942-1").len(), 1);
    // The same package at the fixed version is not reported for DLA-3377-1.
    let mut patched: Package = packages
        .iter()
        .find(|p| p.name == "libsystemd0")
        .unwrap()
        .clone();
    patched.version = "241-7~deb10u9".into();
    patched.src_version = Some("241-7~deb10u9".into());
    let after = match_packages(&store, Some(&os), &[patched]).unwrap();
    assert!(
        !after.iter().any(|v| v
            .advisories()
            .iter()
            .any(|a| *a == "DLA-3377-1" || *a == "DSA-4942-1")),
        "{after:#?}"
    );
    // git 1:2.20.1-2+deb10u3 is in the fixture as `deinstall ok config-files` (so not an installed
    // package); the same version as a package value: the buster fixes up to deb10u3 (DSA-4581-1 u1,
    // DSA-4657-1 u2, DSA-4659-1 u3) are installed, DLA-3145-1 (u4) … DLA-3338-1 (u8) are not.
    assert!(text.contains("Package: git\nStatus: deinstall ok config-files"));
    assert!(text.contains("Version: 1:2.20.1-2+deb10u3"));
    assert!(!packages.iter().any(|p| p.name == "git"));
    let git = Package {
        kind: Some(bulkhead_core::PackageKind::Deb),
        name: "git".into(),
        version: "2.20.1-2+deb10u3".into(),
        epoch: Some(1),
        src_name: Some("git".into()),
        src_version: Some("2.20.1-2+deb10u3".into()),
        src_epoch: Some(1),
        ..Default::default()
    };
    let git_found = match_packages(&store, Some(&os), &[git]).unwrap();
    println!("git 1:2.20.1-2+deb10u3: {} findings", git_found.len());
    let git_with = |adv: &str| {
        git_found
            .iter()
            .filter(|v| v.advisories().contains(&adv))
            .collect::<Vec<_>>()
    };
    for adv in ["DSA-4581-1", "DSA-4657-1", "DSA-4659-1"] {
        assert!(git_with(adv).is_empty(), "{adv}: {:#?}", git_with(adv));
    }
    // A DLA fixing two CVEs gives one finding per CVE (as Trivy reports them), each naming the DLA.
    let v = git_with("DLA-3145-1");
    let ids: Vec<&str> = v.iter().map(|v| v.id.as_str()).collect();
    assert_eq!(ids, ["CVE-2021-21300", "CVE-2021-40330"], "{git_found:#?}");
    for v in &v {
        assert_eq!(v.fixed_version(), Some("1:2.20.1-2+deb10u4"));
        assert_eq!(v.installed_version(), "1:2.20.1-2+deb10u3");
        assert_eq!(v.status, Some(VulnStatus::Fixed));
    }
    let v = git_with("DLA-3338-1");
    let ids: Vec<&str> = v.iter().map(|v| v.id.as_str()).collect();
    assert_eq!(ids, ["CVE-2023-22490", "CVE-2023-23946"], "{git_found:#?}");
    assert!(
        v.iter()
            .all(|v| v.fixed_version() == Some("1:2.20.1-2+deb10u8"))
    );
    // Matched as another release (Debian 11), the buster entries do not apply.
    let bullseye = OsInfo {
        version: "11".into(),
        codename: Some("bullseye".into()),
        ..os.clone()
    };
    let found11 = match_packages(&store, Some(&bullseye), &packages).unwrap();
    println!("{} findings (Debian 11)", found11.len());
    assert!(
        found11
            .iter()
            .all(|v| v.advisories().iter().all(|a| *a != "DLA-3377-1")),
        "DLA-3377-1 is buster only"
    );
}
