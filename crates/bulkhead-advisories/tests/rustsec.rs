//! The RustSec importer: the committed advisories (CC0), directory filtering and broken files; then
//! ALL of ../shared/data/advisories-raw/rustsec/crates against an independent count of the files,
//! their `withdrawn`/`informational` lines, and an independent evaluation of every advisory's
//! `patched`/`unaffected` requirements (Cargo's own `VersionReq::matches`) at probe versions around
//! each bound, compared with the matcher's evaluation of the converted OSV ranges.

mod common;
use common::*;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use bulkhead_advisories::Store;
use bulkhead_advisories::matcher::affected_version;
use bulkhead_advisories::osv::{Event, RangeType};
use bulkhead_versions::Ecosystem;
use semver::{Op, Version, VersionReq};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rustsec")
}

/// `Some(fixed)` when `version` of `krate` is affected by record `id`, `None` when not.
fn affected(store: &Store, krate: &str, id: &str, version: &str) -> Option<Option<String>> {
    store
        .affected("crates.io", krate)
        .unwrap()
        .into_iter()
        .filter(|e| e.record_id == id)
        .find_map(|e| affected_version(&e.affected, version, Ecosystem::CratesIo))
}

#[test]
fn fixtures_import_and_match() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create_or_open(&dir.path().join("adv.db")).unwrap();
    let report = import(&mut store, &[fixtures()]);
    assert!(report.errors.is_empty(), "{:#?}", report.errors);
    assert!(report.skipped.is_empty(), "{:#?}", report.skipped);
    // PROVENANCE.md is not an advisory.
    assert_eq!((report.files_read, report.rustsec_advisories), (4, 4));
    assert_eq!(report.records_imported, 4);

    // smallvec: patched >= 0.6.3, ^0.3.4, ^0.4.5, ^0.5.1; unaffected < 0.3.2.
    let r = store.record("RUSTSEC-2018-0003").unwrap().unwrap();
    assert_eq!(r.aliases, ["CVE-2018-20991", "GHSA-rxr4-x558-x7hw"]);
    assert_eq!(r.published.as_deref(), Some("2018-07-19T12:00:00Z"));
    assert_eq!(
        r.summary.as_deref(),
        Some("Possible double free during unwinding in SmallVec::insert_many")
    );
    assert_eq!(r.severity[0].kind, "CVSS_V3");
    let range = &r.affected[0].ranges[0];
    assert_eq!(range.kind, RangeType::Semver);
    let events: Vec<String> = range
        .events
        .iter()
        .map(|e| match e {
            Event::Introduced(v) => format!("+{v}"),
            Event::Fixed(v) => format!("-{v}"),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        events,
        [
            "+0.3.2", "-0.3.4", "+0.4.0-0", "-0.4.5", "+0.5.0-0", "-0.5.1", "+0.6.0-0", "-0.6.3"
        ]
    );
    for (v, want) in [
        ("0.3.1", None),
        ("0.3.2", Some("0.3.4")),
        ("0.3.4", None),
        ("0.4.0", Some("0.4.5")),
        ("0.4.5", None),
        ("0.5.0", Some("0.5.1")),
        ("0.5.1", None),
        ("0.6.2", Some("0.6.3")),
        ("0.6.3", None),
        ("1.15.1", None),
    ] {
        assert_eq!(
            affected(&store, "smallvec", "RUSTSEC-2018-0003", v),
            want.map(|f| Some(f.to_string())),
            "smallvec {v}"
        );
    }

    // time: unaffected =0.2.0 … =0.2.6, patched >= 0.2.23; [affected] os and functions.
    for (v, want) in [
        ("0.1.44", Some("0.2.0")),
        ("0.2.0", None),
        ("0.2.6", None),
        ("0.2.7", Some("0.2.23")),
        ("0.2.22", Some("0.2.23")),
        ("0.2.23", None),
        ("0.3.36", None),
    ] {
        assert_eq!(
            affected(&store, "time", "RUSTSEC-2020-0071", v),
            want.map(|f| Some(f.to_string())),
            "time {v}"
        );
    }
    let t = store.record("RUSTSEC-2020-0071").unwrap().unwrap();
    let affects = &t.affected[0].ecosystem_specific.as_ref().unwrap()["affects"];
    assert_eq!(affects["os"][0], "linux");
    assert!(
        affects["functions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "time::OffsetDateTime::now_local")
    );

    // daemonize: withdrawn (stored, never matched).
    let d = store.record("RUSTSEC-2021-0147").unwrap().unwrap();
    assert_eq!(d.withdrawn.as_deref(), Some("2023-02-19T12:00:00Z"));
    assert!(store.affected("crates.io", "daemonize").unwrap().is_empty());
    assert_eq!(store.info().unwrap().withdrawn_records, 1);

    // odbc: informational `unmaintained`, no patched version: every version affected.
    let o = store.record("RUSTSEC-2022-0039").unwrap().unwrap();
    assert_eq!(
        o.database_specific.as_ref().unwrap()["informational"],
        "unmaintained"
    );
    assert_eq!(
        o.affected[0].database_specific.as_ref().unwrap()["informational"],
        "unmaintained"
    );
    assert_eq!(
        affected(&store, "odbc", "RUSTSEC-2022-0039", "0.17.0"),
        Some(None)
    );

    // Re-import: the files' modification times did not change.
    let again = import(&mut store, &[fixtures()]);
    assert_eq!((again.records_imported, again.records_unchanged), (0, 4));
}

#[test]
fn directories_take_only_rustsec_files_and_bad_ones_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("advisory-db");
    std::fs::create_dir_all(data.join("crates/a")).unwrap();
    std::fs::create_dir_all(data.join("rust/std")).unwrap();
    std::fs::write(data.join("README.md"), "```toml\n[advisory]\n```\n").unwrap();
    std::fs::write(
        data.join("rust/std/CVE-2021-1.md"),
        "```toml\n[advisory]\n```\n",
    )
    .unwrap();
    std::fs::write(
        data.join("crates/a/RUSTSEC-2099-0001.md"),
        "```toml\n[advisory]\nid = \"RUSTSEC-2099-0001\"\npackage = \"a\"\ndate = \"2099-01-01\"\n\n[versions]\npatched = [\">= 1.0.0\"]\n```\n\n# A\n\nB\n",
    )
    .unwrap();
    std::fs::write(
        data.join("crates/a/RUSTSEC-2099-0002.md"),
        "```toml\n[advisory]\nid = \"RUSTSEC-2099-0002\"\npackage = \"a\"\n",
    )
    .unwrap();
    std::fs::write(
        data.join("crates/a/RUSTSEC-2099-0003.md"),
        "```toml\n[advisory]\nid = \"RUSTSEC-2099-0003\"\npackage = \"a\"\ndate = \"2099-01-01\"\n[versions]\npatched = [\">= 1.0\", \">= 1.5\"]\n```\n",
    )
    .unwrap();
    std::fs::write(
        data.join("crates/a/RUSTSEC-2099-0004.md"),
        [0xff, 0xfe, 0x00],
    )
    .unwrap();

    let mut store = Store::create_or_open(&dir.path().join("adv.db")).unwrap();
    let report = import(&mut store, &[data]);
    assert_eq!(report.files_read, 4, "{report:#?}");
    assert_eq!((report.rustsec_advisories, report.records_imported), (1, 1));
    let errors: BTreeSet<(String, String)> = report
        .errors
        .iter()
        .map(|e| {
            let file = Path::new(&e.source)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (file, e.reason.clone())
        })
        .collect();
    let files: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        files,
        [
            "RUSTSEC-2099-0002.md",
            "RUSTSEC-2099-0003.md",
            "RUSTSEC-2099-0004.md"
        ]
    );
    let reasons: Vec<&str> = errors.iter().map(|(_, r)| r.as_str()).collect();
    assert!(reasons[0].contains("unterminated"), "{reasons:?}");
    assert!(reasons[1].contains("overlap"), "{reasons:?}");
    assert!(reasons[2].contains("UTF-8"), "{reasons:?}");
    assert_eq!(
        affected(&store, "a", "RUSTSEC-2099-0001", "0.9.0"),
        Some(Some("1.0.0".into()))
    );
}

fn advisory_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            advisory_files(&p, out);
        } else if p
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("RUSTSEC-")
            && p.extension().is_some_and(|x| x == "md")
        {
            out.push(p);
        }
    }
}

/// The string values of `key = [...]` in a `[versions]` table, read from the text (possibly over
/// several lines, with comments).
fn requirement_list(toml_text: &str, key: &str) -> Vec<String> {
    let mut in_versions = false;
    let mut collecting = false;
    let mut buf = String::new();
    for line in toml_text.lines() {
        let t = line.trim();
        if t.starts_with('[') && !collecting {
            in_versions = t == "[versions]";
            continue;
        }
        if !in_versions {
            continue;
        }
        let t = t.split(" #").next().unwrap();
        if !collecting {
            if let Some(rest) = t.strip_prefix(key).map(str::trim_start)
                && let Some(rest) = rest.strip_prefix('=')
            {
                collecting = true;
                buf.push_str(rest);
            }
        } else if !t.starts_with('#') {
            buf.push_str(t);
        }
        if collecting && buf.contains(']') {
            break;
        }
    }
    buf.split('"')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, s)| s.to_string())
        .collect()
}

#[test]
fn corpus_all_of_shared_rustsec() {
    let Some(root) = shared("advisories-raw/rustsec/crates") else {
        return;
    };
    let mut files = Vec::new();
    advisory_files(&root, &mut files);
    files.sort();
    // Independent counts from the text.
    let texts: Vec<String> = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    let front = |t: &str| t.split("\n```\n").next().unwrap().to_string();
    let withdrawn = texts
        .iter()
        .filter(|t| front(t).lines().any(|l| l.starts_with("withdrawn =")))
        .count() as u64;
    let informational = texts
        .iter()
        .filter(|t| front(t).lines().any(|l| l.starts_with("informational =")))
        .count();

    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create_or_open(&dir.path().join("adv.db")).unwrap();
    let started = std::time::Instant::now();
    let report = import(&mut store, std::slice::from_ref(&root));
    let took = started.elapsed();
    assert!(report.errors.is_empty(), "{:#?}", report.errors);
    assert!(report.skipped.is_empty(), "{:#?}", report.skipped);
    assert_eq!(report.files_read, files.len() as u64);
    assert_eq!(report.rustsec_advisories, files.len() as u64);
    assert_eq!(report.records_imported, files.len() as u64);
    let info = store.info().unwrap();
    assert_eq!(info.total_records, files.len() as u64);
    assert_eq!(info.withdrawn_records, withdrawn);
    assert_eq!(info.ecosystems.len(), 1);
    assert_eq!(info.ecosystems[0].name, "crates.io");

    // Every advisory: id = file name, package = directory, informational kept; and the converted
    // ranges agree with Cargo's reading of the requirements at probe versions around every bound.
    let (mut probes, mut informational_seen, mut partial) = (0u64, 0, 0);
    for (path, text) in files.iter().zip(&texts) {
        let id = path.file_stem().unwrap().to_string_lossy().into_owned();
        let krate = path
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let rec = store.record(&id).unwrap().unwrap_or_else(|| panic!("{id}"));
        let a = &rec.affected[0];
        assert_eq!(a.package.as_ref().unwrap().name, krate, "{id}");
        if a.database_specific.as_ref().unwrap()["informational"].is_string() {
            informational_seen += 1;
        }
        let fm = front(text);
        let reqs: Vec<VersionReq> = requirement_list(&fm, "patched")
            .into_iter()
            .chain(requirement_list(&fm, "unaffected"))
            .map(|r| VersionReq::parse(&r).unwrap_or_else(|e| panic!("{id}: {r:?}: {e}")))
            .collect();
        // With a partial version, `=1.0`, `> 1.0` and `<= 1.0` mean 1.0.0 to RustSec (whose reading
        // osv.dev's records follow) but 1.0.x to Cargo: leave those advisories out.
        if reqs.iter().flat_map(|r| &r.comparators).any(|c| {
            matches!(c.op, Op::Exact | Op::Greater | Op::LessEq)
                && (c.minor.is_none() || c.patch.is_none())
        }) {
            partial += 1;
            continue;
        }
        let mut candidates: BTreeSet<Version> =
            [(0, 0, 0), (0, 0, 1), (0, 1, 0), (1, 0, 0), (99, 0, 0)]
                .iter()
                .map(|&(a, b, c)| Version::new(a, b, c))
                .collect();
        for c in reqs.iter().flat_map(|r| &r.comparators) {
            let (ma, mi, pa) = (c.major, c.minor.unwrap_or(0), c.patch.unwrap_or(0));
            candidates.insert(Version::new(ma, mi, pa));
            candidates.insert(Version::new(ma, mi, pa + 1));
            candidates.insert(Version::new(ma, mi + 1, 0));
            candidates.insert(Version::new(ma + 1, 0, 0));
            if pa > 0 {
                candidates.insert(Version::new(ma, mi, pa - 1));
            }
            if mi > 0 {
                candidates.insert(Version::new(ma, mi - 1, 99));
            }
            if ma > 0 {
                candidates.insert(Version::new(ma - 1, 99, 99));
            }
        }
        for v in candidates {
            let cargo_unaffected = reqs.iter().any(|r| r.matches(&v));
            let ours = affected_version(a, &v.to_string(), Ecosystem::CratesIo).is_some();
            assert_eq!(
                ours, !cargo_unaffected,
                "{id} {krate} {v}: {:?}",
                a.ranges[0].events
            );
            probes += 1;
        }
    }
    assert_eq!(informational_seen, informational);
    assert!(probes > 10_000, "{probes}");

    // Spot checks: a known advisory through the store.
    for (v, want) in [
        ("1.0.8", Some("1.0.9")),
        ("1.0.9", None),
        ("0.5.0", Some("1.0.9")),
    ] {
        assert_eq!(
            affected(&store, "compu-brotli-sys", "RUSTSEC-2021-0132", v),
            want.map(|f| Some(f.to_string())),
            "compu-brotli-sys {v}"
        );
    }
    // OSV.dev answered "no vulnerability" for these crates.io packages when osv-scanner recorded its
    // test cassettes (advisories-raw/osv-api-expectations): the store agrees, withdrawn excluded.
    let mut negative = 0;
    if let Some(tsv) = shared("advisories-raw/osv-api-expectations/querybatch_results.tsv") {
        for line in std::fs::read_to_string(tsv).unwrap().lines() {
            let cols: Vec<&str> = line.split('\t').collect();
            if cols.len() < 6 || cols[0] != "crates.io" || cols[5] != "0" {
                continue;
            }
            let hits: Vec<String> = store
                .affected("crates.io", cols[1])
                .unwrap()
                .into_iter()
                .filter(|e| affected_version(&e.affected, cols[2], Ecosystem::CratesIo).is_some())
                .map(|e| e.record_id)
                .collect();
            assert!(hits.is_empty(), "{} {}: {hits:?}", cols[1], cols[2]);
            negative += 1;
        }
        assert!(negative >= 30, "{negative}");
    }
    println!(
        "rustsec corpus: {negative} OSV.dev no-vulnerability answers agree; {} advisories ({withdrawn} withdrawn, {informational} informational), \
         {probes} probe versions agree with Cargo's reading ({partial} advisories with a partial \
         `=`, `>` or `<=` left out), {:.2} s",
        files.len(),
        took.as_secs_f64()
    );
}
