//! apk analyzer vs an independent reader of `lib/apk/db/installed`.
//!
//! apk-tools is not packaged for Debian, so there is no reference binary here. The oracle below is
//! written differently from the crate's reader on purpose: it splits the text into blocks on blank
//! lines with `split("\n\n")` and reads each line by its second byte being `:` (apk keys are one
//! letter), instead of the crate's line-by-line RFC-822 paragraph reader with continuations.

mod common;

use bulkhead_core::{Package, PackageKind};
use common::{Rootfs, fixture_text};

#[derive(Debug, Default, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    name: String,
    version: String,
    arch: Option<String>,
    /// `o:` (origin = source package); apk and Trivy use the package itself when it is absent.
    origin: Option<String>,
    /// `R:` files joined to the last `F:` directory, absolute.
    files: Vec<String>,
}

struct OracleDb {
    entries: Vec<Entry>,
    /// Blocks holding lines that are not `X:value` records, or no P:/V:.
    bad_blocks: usize,
    /// Blocks with a `P:` but no `V:` (skipped, as apk-tools and Trivy do).
    unversioned: usize,
}

fn oracle(text: &str) -> OracleDb {
    let text = text.replace("\r\n", "\n");
    let mut entries = Vec::new();
    let mut bad_blocks = 0;
    let mut unversioned = 0;
    for block in text.split("\n\n") {
        let block = block.trim_matches('\n');
        if block.is_empty() {
            continue;
        }
        let mut e = Entry::default();
        let mut dir: Option<&str> = None;
        let mut bad = false;
        for line in block.split('\n') {
            let b = line.as_bytes();
            if b.len() < 2 || b[1] != b':' {
                bad = true;
                continue;
            }
            let value = &line[2..];
            match b[0] {
                b'P' => e.name = value.to_string(),
                b'V' => e.version = value.to_string(),
                b'A' => e.arch = Some(value.to_string()),
                b'o' => e.origin = Some(value.to_string()),
                b'F' => dir = Some(value),
                b'R' => e.files.push(match dir {
                    Some(d) if !d.is_empty() => format!("/{d}/{value}"),
                    _ => format!("/{value}"),
                }),
                _ => {}
            }
        }
        if e.name.is_empty() || e.version.is_empty() {
            bad = true;
            if !e.name.is_empty() {
                unversioned += 1;
            }
        } else {
            entries.push(e);
        }
        if bad {
            bad_blocks += 1;
        }
    }
    entries.sort();
    OracleDb {
        entries,
        bad_blocks,
        unversioned,
    }
}

fn ours(pkgs: &[Package]) -> Vec<Entry> {
    let mut v: Vec<Entry> = pkgs
        .iter()
        .filter(|p| p.kind == Some(PackageKind::Apk))
        .map(|p| Entry {
            name: p.name.clone(),
            version: p.full_version(),
            arch: p.arch.clone(),
            origin: p.src_name.clone(),
            files: p.files.clone(),
        })
        .collect();
    v.sort();
    v
}

/// Every apk fixture, and where it sits in its image.
const FIXTURES: &[(&str, &str)] = &[
    ("apk/trivy/installed", "lib/apk/db/installed"),
    // Same file under the other location apk uses (usr-merged images).
    ("apk/trivy/installed", "usr/lib/apk/db/installed"),
    ("apk/syft/base", "lib/apk/db/installed"),
    ("apk/syft/single", "lib/apk/db/installed"),
    ("apk/syft/extra-file-attributes", "lib/apk/db/installed"),
    ("apk/syft/empty-deps-and-provides", "lib/apk/db/installed"),
    (
        "apk/syft/multiple-1/lib/apk/db/installed",
        "lib/apk/db/installed",
    ),
    (
        "apk/syft/multiple-2/lib/apk/db/installed",
        "lib/apk/db/installed",
    ),
    (
        "apk/syft/glob-paths/lib/apk/db/installed",
        "lib/apk/db/installed",
    ),
    (
        "apk/syft/corrupt/lib/apk/db/installed",
        "lib/apk/db/installed",
    ),
    (
        "grype-match-coverage/alpine/lib/apk/db/installed",
        "lib/apk/db/installed",
    ),
];

#[test]
fn installed_dbs_agree_with_independent_reader() {
    let (mut agree, mut total, mut files_checked) = (0, 0, 0);
    let mut failures = Vec::new();
    for (fx, at) in FIXTURES {
        let text = fixture_text(fx);
        let want = oracle(&text);
        // A third, cruder count: lines starting with `P:`.
        let p_lines = text.lines().filter(|l| l.starts_with("P:")).count();
        assert_eq!(
            want.entries.len() + want.unversioned,
            p_lines,
            "{fx}: the oracle itself disagrees with a P: line count"
        );

        let root = Rootfs::new(fx);
        root.put_fixture(at, fx);
        let inv = root.inventory();
        let got = ours(&inv.packages);
        for p in &inv.packages {
            assert_eq!(p.db_path, format!("/{at}"), "{fx}");
        }

        // name/version/arch/origin of every package.
        let key = |e: &Entry| {
            (
                e.name.clone(),
                e.version.clone(),
                e.arch.clone(),
                e.origin.clone().unwrap_or_else(|| e.name.clone()),
            )
        };
        let want_keys: Vec<_> = want.entries.iter().map(key).collect();
        let got_keys: Vec<_> = got.iter().map(key).collect();
        let n = want_keys.iter().filter(|k| got_keys.contains(k)).count();
        println!(
            "{fx} (at /{at}): {n}/{} packages agree, {} warnings",
            want_keys.len(),
            inv.warnings.len()
        );
        if want_keys != got_keys {
            failures.push(format!("{fx}: want {want_keys:?}\n got {got_keys:?}"));
        }
        agree += n;
        total += want_keys.len();

        // File lists (R: under the last F:) of every package.
        for (w, g) in want.entries.iter().zip(got.iter()) {
            if w.files != g.files {
                failures.push(format!(
                    "{fx}: {} files differ:\n want {:?}\n got {:?}",
                    w.name, w.files, g.files
                ));
            }
            files_checked += w.files.len();
        }

        // Warnings exactly when the oracle saw a bad block.
        if want.bad_blocks > 0 {
            assert!(!inv.warnings.is_empty(), "{fx}: corrupt input, no warning");
        } else {
            assert!(inv.warnings.is_empty(), "{fx}: {:?}", inv.warnings);
        }
    }
    println!(
        "TOTAL apk vs independent reader: {agree}/{total} packages agree, {files_checked} file paths compared"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(agree, total);
    // 15 (trivy: its 16th P: has no V:) twice, 1+1+1+1 (syft flat), 4 + 14 (syft multiple),
    // 1 (corrupt), 3 (grype).
    assert_eq!(total, 56, "apk corpus changed size");
    assert!(files_checked > 300, "too few file paths compared");
}

/// The corrupt fixtures: a free-text line before the first package (syft `corrupt`) and a database
/// that is only free text (syft `glob-paths`). No panic, the readable package kept, a warning.
#[test]
fn corrupt_dbs_warn_and_keep_what_is_readable() {
    for (fx, want_pkgs) in [
        (
            "apk/syft/corrupt/lib/apk/db/installed",
            vec!["alpine-baselayout-data"],
        ),
        ("apk/syft/glob-paths/lib/apk/db/installed", vec![]),
    ] {
        let root = Rootfs::new(fx);
        root.put_fixture("lib/apk/db/installed", fx);
        let inv = root.inventory();
        let names: Vec<&str> = inv.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, want_pkgs, "{fx}");
        assert!(
            inv.warnings
                .iter()
                .any(|w| w.contains("/lib/apk/db/installed") && w.contains("line 1")),
            "{fx}: {:?}",
            inv.warnings
        );
        println!(
            "{fx}: {} package(s), warnings {:?}",
            names.len(),
            inv.warnings
        );
    }
}

/// Trivy's fixture has `P:invalidPackageWithoutAVersion` with no `V:`: skipped with a warning.
#[test]
fn entry_without_version_is_skipped_with_warning() {
    let root = Rootfs::new("apk-nov");
    root.put_fixture("lib/apk/db/installed", "apk/trivy/installed");
    let inv = root.inventory();
    assert!(
        !inv.packages
            .iter()
            .any(|p| p.name == "invalidPackageWithoutAVersion")
    );
    assert_eq!(inv.warnings.len(), 1, "{:?}", inv.warnings);
    assert!(inv.warnings[0].contains(":23:"), "{:?}", inv.warnings);
}

/// Hand-read spot checks (values copied from the fixture text, not from our output).
#[test]
fn spot_checks() {
    let root = Rootfs::new("apk-spot");
    root.put_fixture("lib/apk/db/installed", "apk/syft/single");
    let inv = root.inventory();
    assert_eq!(inv.packages.len(), 1);
    let p = &inv.packages[0];
    assert_eq!(
        (
            p.name.as_str(),
            p.version.as_str(),
            p.arch.as_deref(),
            p.src_name.as_deref()
        ),
        ("musl-utils", "1.1.24-r2", Some("x86_64"), Some("musl"))
    );
    assert_eq!(
        p.files,
        [
            "/sbin/ldconfig",
            "/usr/bin/iconv",
            "/usr/bin/ldd",
            "/usr/bin/getconf",
            "/usr/bin/getent"
        ]
    );
    assert_eq!(p.licenses, ["MIT", "BSD", "GPL2+"]);

    // extra-file-attributes: several F: in a row, then one R: under the last.
    let root = Rootfs::new("apk-spot2");
    root.put_fixture("lib/apk/db/installed", "apk/syft/extra-file-attributes");
    let inv = root.inventory();
    assert_eq!(
        inv.packages[0].files,
        ["/usr/lib/jvm/java-1.8-openjdk/bin/policytool"]
    );
}
