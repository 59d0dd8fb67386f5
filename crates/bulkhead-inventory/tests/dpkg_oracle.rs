//! dpkg analyzer vs dpkg-query, the reference implementation.
//!
//! `tests/fixtures/expected-dpkg-query/<path>.tsv` holds what `dpkg-query -W` (Debian dpkg 1.21.22)
//! printed over the status file `tests/fixtures/<path>` (columns binary_package, version,
//! source_package, source_version, architecture, status_abbrev). Our installed packages must be
//! exactly the rows whose status abbreviation has `i` (installed) as its second character.
//! When dpkg-query is installed, `committed_oracles_match_live_dpkg_query` re-runs it to prove the
//! committed files are still what it prints.

mod common;

use bulkhead_core::{Package, PackageKind};
use common::{Rootfs, files_under, fixture, fixture_text, with_epoch};
use std::collections::BTreeSet;

const ORACLE_DIR: &str = "expected-dpkg-query";

/// (binary name without `:arch`, full version, source name, full source version, architecture)
type Row = (String, String, String, String, String);

struct Oracle {
    /// Fixture path of the status file, relative to tests/fixtures.
    input: String,
    /// Rows dpkg-query reports as installed.
    installed: Vec<Row>,
    /// Every data row as printed (for the live re-check).
    raw: Vec<String>,
}

fn oracles() -> Vec<Oracle> {
    let dir = fixture(ORACLE_DIR);
    let mut out = Vec::new();
    for rel in files_under(&dir) {
        let Some(input) = rel.strip_suffix(".tsv") else {
            continue;
        };
        let text = fixture_text(&format!("{ORACLE_DIR}/{rel}"));
        let mut installed = Vec::new();
        let mut raw = Vec::new();
        for line in text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            raw.push(line.to_string());
            let cols: Vec<&str> = line.split('\t').collect();
            assert_eq!(cols.len(), 6, "{rel}: bad oracle row {line:?}");
            let abbrev = cols[5].as_bytes();
            assert!(abbrev.len() >= 2, "{rel}: bad status abbrev {line:?}");
            if abbrev[1] != b'i' {
                continue;
            }
            let name = cols[0].split(':').next().unwrap().to_string();
            installed.push((
                name,
                cols[1].into(),
                cols[2].into(),
                cols[3].into(),
                cols[4].into(),
            ));
        }
        installed.sort();
        out.push(Oracle {
            input: input.to_string(),
            installed,
            raw,
        });
    }
    assert!(
        out.len() >= 11,
        "expected the 11 committed oracle files, found {}",
        out.len()
    );
    out
}

fn row_of(p: &Package) -> Row {
    (
        p.name.clone(),
        with_epoch(p.epoch, &p.version),
        p.src_name.clone().unwrap_or_default(),
        with_epoch(p.src_epoch, p.src_version.as_deref().unwrap_or_default()),
        p.arch.clone().unwrap_or_default(),
    )
}

fn deb_rows(pkgs: &[Package]) -> Vec<Row> {
    let mut rows: Vec<Row> = pkgs
        .iter()
        .filter(|p| p.kind == Some(PackageKind::Deb))
        .map(row_of)
        .collect();
    rows.sort();
    rows
}

/// Compare and print `file: N/M agree`; returns (agreeing, expected) and records a failure message.
fn compare(label: &str, want: &[Row], got: &[Row], failures: &mut Vec<String>) -> (usize, usize) {
    let want_set: BTreeSet<&Row> = want.iter().collect();
    let got_set: BTreeSet<&Row> = got.iter().collect();
    let agree = want_set.intersection(&got_set).count();
    println!("{label}: {agree}/{} agree", want.len());
    let missing: Vec<_> = want_set.difference(&got_set).collect();
    let extra: Vec<_> = got_set.difference(&want_set).collect();
    if !missing.is_empty() || !extra.is_empty() || want.len() != got.len() {
        failures.push(format!(
            "{label}: missing {missing:?}; unexpected {extra:?}; {} rows vs {} expected",
            got.len(),
            want.len()
        ));
    }
    (agree, want.len())
}

/// Warnings dpkg-query printed about invalid entries (from shared/data/pkgdb/MANIFEST.md): the
/// package it skipped and a word of the reason. "missing 'Description' field" warnings are not
/// about validity (dpkg still lists those packages) and are covered by the row comparison.
const DPKG_QUERY_INVALID: &[(&str, &str)] = &[(
    "dpkg/trivy/unpacked/corrupsed/var/lib/dpkg/status",
    "invalidpkg",
)];

#[test]
fn status_files_agree_with_dpkg_query() {
    let mut failures = Vec::new();
    let (mut agree, mut total) = (0, 0);
    for o in oracles() {
        let root = Rootfs::new(&o.input);
        root.put_fixture("var/lib/dpkg/status", &o.input);
        let inv = root.inventory();
        let got = deb_rows(&inv.packages);
        let (a, t) = compare(&o.input, &o.installed, &got, &mut failures);
        agree += a;
        total += t;
        for p in inv.packages.iter() {
            assert_eq!(p.db_path, "/var/lib/dpkg/status");
        }
        for (input, pkg) in DPKG_QUERY_INVALID {
            if *input == o.input {
                assert!(
                    inv.warnings.iter().any(|w| w.contains(&format!("{pkg:?}"))),
                    "{input}: dpkg-query warned about {pkg} and skipped it; we must warn too: {:?}",
                    inv.warnings
                );
                assert!(!got.iter().any(|r| r.0 == *pkg));
            }
        }
    }
    println!("TOTAL dpkg status vs dpkg-query: {agree}/{total} agree");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(agree, total);
    // The committed oracles hold 116 rows: 114 `ii` and 2 `rc` (config files only, excluded); a silently
    // empty corpus must not pass.
    assert_eq!(total, 114, "oracle corpus changed size");
}

/// The same paragraphs read from the distroless layout (`var/lib/dpkg/status.d/<name>`, one file per
/// package, where a paragraph without Status counts as installed) give the same packages.
#[test]
fn status_d_files_agree_with_dpkg_query() {
    let mut failures = Vec::new();
    let (mut agree, mut total) = (0, 0);
    for o in oracles() {
        let Some((_, name)) = o.input.split_once("/status.d/") else {
            continue;
        };
        let root = Rootfs::new(name);
        root.put_fixture(&format!("var/lib/dpkg/status.d/{name}"), &o.input);
        let inv = root.inventory();
        let got = deb_rows(&inv.packages);
        let (a, t) = compare(
            &format!("status.d/{name}"),
            &o.installed,
            &got,
            &mut failures,
        );
        agree += a;
        total += t;
    }
    println!("TOTAL dpkg status.d vs dpkg-query: {agree}/{total} agree");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(total >= 13, "status.d corpus too small: {total}");
}

/// Re-run the real dpkg-query over each fixture and compare with the committed oracle rows.
#[test]
fn committed_oracles_match_live_dpkg_query() {
    let ok = std::process::Command::new("dpkg-query")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        if std::env::var("BULKHEAD_STRICT").as_deref() == Ok("1") {
            panic!(
                "required tool missing under BULKHEAD_STRICT=1 (scripts/install-deps.sh installs it)"
            );
        }
        println!("SKIP: dpkg-query not installed");
        return;
    }
    for o in oracles() {
        let admin = Rootfs::new("dpkg-admin");
        admin.put_fixture("status", &o.input);
        admin.put("available", b"");
        admin.mkdir("updates").mkdir("info");
        let out = std::process::Command::new("dpkg-query")
            .arg(format!("--admindir={}", admin.path.display()))
            .arg("-W")
            .arg("-f=${binary:Package}\t${Version}\t${source:Package}\t${source:Version}\t${Architecture}\t${db:Status-Abbrev}\n")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            o.input,
            String::from_utf8_lossy(&out.stderr)
        );
        let mut live: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect();
        let mut committed = o.raw.clone();
        live.sort();
        committed.sort();
        assert_eq!(live, committed, "{}: committed oracle is stale", o.input);
        println!("{}: live dpkg-query agrees ({} rows)", o.input, live.len());
    }
}

/// dpkg databases dpkg-query itself refuses (fatal parse errors, so no oracle): we must not panic,
/// must keep what is readable, and must say what we skipped.
#[test]
fn unparseable_status_d_fixtures_warn() {
    for (name, want_pkgs) in [
        // "Pakij:", "Stratus:" ... and a free-text line: no package at all.
        ("corrupt", vec![]),
        // "Package:" alone.
        ("empty", vec![]),
        // An empty Package paragraph, one without Version, then two real ones.
        ("multiple", vec!["tzdata", "util-linux"]),
    ] {
        let root = Rootfs::new(name);
        root.put_fixture(
            &format!("var/lib/dpkg/status.d/{name}"),
            &format!("dpkg/syft/var/lib/dpkg/status.d/{name}"),
        );
        let inv = root.inventory();
        let mut got: Vec<&str> = inv.packages.iter().map(|p| p.name.as_str()).collect();
        got.sort();
        assert_eq!(got, want_pkgs, "{name}");
        assert!(!inv.warnings.is_empty(), "{name}: no warning");
        println!(
            "status.d/{name}: {} packages, {} warnings",
            got.len(),
            inv.warnings.len()
        );
    }
}

/// md5sums lines are `<hash>  <path>` with the path relative to `/`.
fn md5sums_paths(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let path = l
                .split_whitespace()
                .nth(1)
                .unwrap_or_else(|| panic!("bad md5sums line {l:?}"));
            format!("/{path}")
        })
        .collect()
}

/// A `.list` the way dpkg writes it: `/.`, then every directory and file the package ships.
fn list_from(files: &[String]) -> String {
    let mut entries = BTreeSet::new();
    for f in files {
        let mut dir = f.as_str();
        while let Some((parent, _)) = dir.rsplit_once('/') {
            if parent.is_empty() {
                break;
            }
            entries.insert(parent.to_string());
            dir = parent;
        }
    }
    let mut out = String::from("/.\n");
    for d in &entries {
        out.push_str(d);
        out.push('\n');
    }
    for f in files {
        out.push_str(f);
        out.push('\n');
    }
    out
}

/// Directories of `files` (what a real image has on disk).
fn dirs_of(files: &[String]) -> Vec<String> {
    let mut d: Vec<String> = files
        .iter()
        .filter_map(|f| f.rsplit_once('/').map(|(p, _)| p.to_string()))
        .filter(|p| !p.is_empty())
        .collect();
    d.sort();
    d.dedup();
    d
}

#[test]
fn distroless_status_d_with_md5sums() {
    let base = "dpkg/syft/image-distroless-deb";
    let root = Rootfs::new("distroless");
    root.put_fixture_tree(base);
    let want_files = md5sums_paths(&fixture_text(&format!(
        "{base}/var/lib/dpkg/status.d/libsqlite3-0.md5sums"
    )));
    assert_eq!(want_files.len(), 6);
    for d in dirs_of(&want_files) {
        root.mkdir(&d);
    }
    let inv = root.inventory();
    assert!(inv.warnings.is_empty(), "{:?}", inv.warnings);
    assert_eq!(inv.packages.len(), 1, "{:?}", inv.packages);
    let p = &inv.packages[0];
    // Values read off the status.d paragraph.
    assert_eq!(
        row_of(p),
        (
            "libsqlite3-0".into(),
            "3.34.1-3".into(),
            "sqlite3".into(),
            "3.34.1-3".into(),
            "arm64".into()
        )
    );
    assert_eq!(p.db_path, "/var/lib/dpkg/status.d/libsqlite3-0");
    assert_eq!(p.files, want_files);
    println!(
        "distroless status.d: 1/1 package, {}/{} files",
        p.files.len(),
        want_files.len()
    );
}

/// Ownership from `info/<pkg>.list` (made from the fixture's md5sums, with the directories dpkg also
/// lists): directories that exist in the image are dropped, files are kept in order.
#[test]
fn info_list_ownership() {
    let cases = [
        // syft image-dpkg: status + info/libpam-runtime.md5sums (its content is zlib1g's paths).
        (
            "dpkg/syft/image-dpkg/var/lib/dpkg/status",
            "dpkg/syft/image-dpkg/var/lib/dpkg/info/libpam-runtime.md5sums",
            "libpam-runtime",
            "libpam-runtime.list",
            ("1.1.8-3.6", "pam", "all"),
        ),
        // trivy md5sums.txtar: status + info/tar.md5sums.
        (
            "dpkg/trivy/unpacked/md5sums/var/lib/dpkg/status",
            "dpkg/trivy/unpacked/md5sums/var/lib/dpkg/info/tar.md5sums",
            "tar",
            "tar.list",
            ("1.29b-2", "tar", "amd64"),
        ),
        // The same under the Multi-Arch name dpkg uses for `Multi-Arch: same` packages.
        (
            "dpkg/trivy/unpacked/md5sums/var/lib/dpkg/status",
            "dpkg/trivy/unpacked/md5sums/var/lib/dpkg/info/tar.md5sums",
            "tar",
            "tar:amd64.list",
            ("1.29b-2", "tar", "amd64"),
        ),
    ];
    for (status, md5sums, pkg, list_name, (version, src, arch)) in cases {
        let files = md5sums_paths(&fixture_text(md5sums));
        assert!(files.len() >= 4, "{md5sums}");
        let root = Rootfs::new(pkg);
        root.put_fixture("var/lib/dpkg/status", status);
        root.put(
            &format!("var/lib/dpkg/info/{list_name}"),
            list_from(&files).as_bytes(),
        );
        for d in dirs_of(&files) {
            root.mkdir(&d);
        }
        let inv = root.inventory();
        let debs: Vec<&Package> = inv
            .packages
            .iter()
            .filter(|p| p.kind == Some(PackageKind::Deb))
            .collect();
        assert_eq!(debs.len(), 1, "{status}: {debs:?}");
        let p = debs[0];
        assert_eq!(
            (
                p.name.as_str(),
                p.version.as_str(),
                p.src_name.as_deref(),
                p.arch.as_deref()
            ),
            (pkg, version, Some(src), Some(arch))
        );
        assert_eq!(p.files, files, "{list_name}");
        println!(
            "{list_name}: {}/{} files owned (directories dropped)",
            p.files.len(),
            files.len()
        );
    }
}

/// A `.list` entry missing from the image is kept (ownership is what dpkg recorded), and a `.list`
/// for a package that is not installed adds nothing.
#[test]
fn info_list_edge_cases() {
    let root = Rootfs::new("list-edge");
    root.put_fixture(
        "var/lib/dpkg/status",
        "dpkg/trivy/unpacked/md5sums/var/lib/dpkg/status",
    );
    root.put("var/lib/dpkg/info/tar.list", b"/.\n/usr\n/usr/bin/tar\n");
    root.put("var/lib/dpkg/info/gone.list", b"/.\n/usr/bin/gone\n");
    root.mkdir("usr");
    let inv = root.inventory();
    assert_eq!(inv.packages.len(), 1);
    assert_eq!(inv.packages[0].files, vec!["/usr/bin/tar"]);
}
