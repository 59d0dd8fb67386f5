//! The advisory store against the committed fixtures (real OSV records, see fixtures/PROVENANCE.md):
//! import, queries, upsert, archives, malformed input, schema checks, read-only open time.

mod common;
use common::*;

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use bulkhead_advisories::osv::{Event, RangeType};
use bulkhead_advisories::{Error, SCHEMA_VERSION, Store};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/osv")
}

fn fixture(rel: &str) -> PathBuf {
    fixtures().join(rel)
}

fn fixture_store(dir: &Path) -> Store {
    let mut store = Store::create_or_open(&dir.join("adv.db")).unwrap();
    let report = import(&mut store, &[fixtures()]);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    store
}

fn events(store: &Store, eco: &str, pkg: &str, id: &str) -> Vec<Vec<Event>> {
    let entries = store.affected(eco, pkg).unwrap();
    let e = entries
        .iter()
        .find(|e| e.record_id == id)
        .unwrap_or_else(|| panic!("{id} not found for {eco}/{pkg}: {entries:?}"));
    e.affected.ranges.iter().map(|r| r.events.clone()).collect()
}

fn ev(kind: &str, v: &str) -> Event {
    match kind {
        "introduced" => Event::Introduced(v.into()),
        "fixed" => Event::Fixed(v.into()),
        "last_affected" => Event::LastAffected(v.into()),
        _ => Event::Limit(v.into()),
    }
}

#[test]
fn imports_fixtures_and_answers_queries() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create_or_open(&dir.path().join("adv.db")).unwrap();
    let mut calls = 0;
    let report = store
        .import_paths(&[fixtures()], &mut |p| {
            calls += 1;
            assert!(p.files_done <= p.files_total);
        })
        .unwrap();
    println!("{report:?}");
    assert_eq!(report.files_read, 10);
    assert_eq!(calls, 10);
    // 10 files, 9 ids: PYSEC-2020-148 is both the pypa YAML (modified 2020) and the osv.dev JSON
    // (modified 2023). The sorted walk reads PyPI/ before PyPI-osvdev-snapshot/: the newer JSON
    // replaces the YAML.
    assert_eq!(report.records_imported, 9);
    assert_eq!(report.records_updated, 1);
    assert_eq!(report.records_unchanged, 0);
    assert_eq!(report.records_skipped(), 0);
    assert!(report.errors.is_empty() && report.skipped.is_empty());

    // PyPI, YAML, names normalised per PEP 503 on both sides.
    assert_eq!(
        events(&store, "PyPI", "Jinja2", "PYSEC-2014-8"),
        [vec![ev("introduced", "0"), ev("fixed", "2.7.2")]]
    );
    let jinja = store.affected("PyPI", "jinja2").unwrap();
    assert_eq!(jinja.len(), 1);
    assert_eq!(jinja[0].ecosystem, "PyPI");
    assert!(
        jinja[0].affected.versions.iter().any(|v| v == "2.0"),
        "quoted YAML '2.0' stays a string"
    );
    assert_eq!(
        events(&store, "PyPI", "PyYAML", "PYSEC-2020-176"),
        [vec![ev("introduced", "5.1"), ev("fixed", "5.2b1")]]
    );
    let urllib3 = store.affected("PyPI", "URLLIB3").unwrap();
    assert_eq!(urllib3.len(), 1);
    let ranges = &urllib3[0].affected.ranges;
    assert_eq!(ranges[0].kind, RangeType::Git);
    assert_eq!(
        ranges[0].repo.as_deref(),
        Some("https://github.com/urllib3/urllib3")
    );
    assert_eq!(ranges[1].kind, RangeType::Ecosystem);
    assert_eq!(
        ranges[1].events,
        [ev("introduced", "0"), ev("fixed", "1.25.9")]
    );
    let rec = store.record("PYSEC-2020-148").unwrap().unwrap();
    assert_eq!(
        rec.modified.as_deref(),
        Some("2023-11-08T04:03:14.251187Z"),
        "the newer JSON copy is kept"
    );

    // Go.
    assert_eq!(
        events(&store, "Go", "github.com/gin-gonic/gin", "GO-2020-0001"),
        [vec![ev("introduced", "0"), ev("fixed", "1.6.0")]]
    );
    assert!(
        store
            .affected("Go", "github.com/Gin-Gonic/gin")
            .unwrap()
            .is_empty(),
        "Go names are exact"
    );
    assert_eq!(
        events(
            &store,
            "Go",
            "github.com/opencontainers/runc",
            "GO-2022-0274"
        )[0][0],
        ev("introduced", "1.0.1-0.20211012131345-9c444070ec7b")
    );
    // Withdrawn: stored, never matched.
    assert!(
        store
            .affected("Go", "github.com/gorilla/sessions")
            .unwrap()
            .is_empty()
    );
    let withdrawn = store.record("GO-2024-2730").unwrap().unwrap();
    assert_eq!(withdrawn.withdrawn.as_deref(), Some("2024-04-17T18:06:23Z"));

    // npm (SEMVER).
    let npm = store.affected("npm", "ansi-html").unwrap();
    assert_eq!(npm.len(), 1);
    assert_eq!(npm[0].affected.ranges[0].kind, RangeType::Semver);
    assert_eq!(
        npm[0].affected.ranges[0].events,
        [ev("introduced", "0"), ev("fixed", "0.0.8")]
    );

    // Debian: family query, full ecosystem in the entry; family compares without case.
    for family in ["Debian", "debian"] {
        let nginx = store.affected(family, "nginx").unwrap();
        assert_eq!(nginx.len(), 1, "{family}");
        assert_eq!(nginx[0].record_id, "DSA-3029-1");
        assert_eq!(nginx[0].ecosystem, "Debian:7");
        assert_eq!(
            nginx[0].affected.ranges[0].events,
            [ev("introduced", "0"), ev("fixed", "1.2.1-2.2+wheezy3")]
        );
    }

    // Alpine: one record, one entry per release.
    let musl = store.affected("Alpine", "musl").unwrap();
    let raw = store.raw_record("ALPINE-CVE-2025-26519").unwrap().unwrap();
    assert_eq!(musl.len(), raw["affected"].as_array().unwrap().len());
    assert!(
        musl.iter().all(
            |e| e.record_id == "ALPINE-CVE-2025-26519" && e.ecosystem.starts_with("Alpine:v3.")
        )
    );
    let v316 = musl.iter().find(|e| e.ecosystem == "Alpine:v3.16").unwrap();
    assert_eq!(
        v316.affected.ranges[0].events,
        [ev("introduced", "0.9.13"), ev("fixed", "1.2.3-r4")]
    );
    assert_eq!(
        v316.affected.package.as_ref().unwrap().purl.as_deref(),
        Some("pkg:apk/alpine/musl?arch=source")
    );

    // Unknown package / family.
    assert!(
        store
            .affected("PyPI", "no-such-package")
            .unwrap()
            .is_empty()
    );
    assert!(store.affected("Nope", "musl").unwrap().is_empty());
    assert!(store.record("NOPE-1").unwrap().is_none());

    // The full record is kept as read (fields outside the model included).
    let raw = store.raw_record("GO-2022-0274").unwrap().unwrap();
    let original: serde_json::Value = serde_json::from_slice(
        &std::fs::read(fixture("Go-osvdev-snapshot/GO-2022-0274.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(raw, original);
    let rec = store.record("GO-2022-0274").unwrap().unwrap();
    assert_eq!(rec.aliases, ["CVE-2021-43784", "GHSA-v95c-p5hm-xq8f"]);
    assert_eq!(rec.related, ["CGA-544p-2622-xf73"]);

    // info.
    let info = store.info().unwrap();
    println!("{}", serde_json::to_string_pretty(&info).unwrap());
    assert_eq!(info.schema_version, SCHEMA_VERSION);
    assert_eq!(info.total_records, 9);
    assert_eq!(info.withdrawn_records, 1);
    assert!(info.build_time.as_deref().is_some_and(|t| t.ends_with('Z')));
    assert!(info.age().unwrap().as_secs() < 3600);
    let counts: Vec<(&str, u64)> = info
        .ecosystems
        .iter()
        .map(|e| (e.name.as_str(), e.records))
        .collect();
    assert_eq!(
        counts,
        [
            ("Alpine", 1),
            ("Debian", 1),
            ("Go", 2),
            ("npm", 1),
            ("PyPI", 3)
        ]
    );
    let alpine = &info.ecosystems[0];
    assert_eq!(alpine.entries as usize, musl.len());
    assert!(
        alpine
            .releases
            .iter()
            .any(|r| r.ecosystem == "Alpine:v3.19" && r.records == 1)
    );
    assert_eq!(info.sources.len(), 1);
    assert_eq!(info.sources[0].files, 10);
}

#[test]
fn upsert_keeps_the_newer_modified() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create_or_open(&dir.path().join("adv.db")).unwrap();
    let yaml = fixture("PyPI/urllib3/PYSEC-2020-148.yaml"); // modified 2020-10-14
    let json = fixture("PyPI-osvdev-snapshot/PYSEC-2020-148.json"); // modified 2023-11-08

    let r = import(&mut store, std::slice::from_ref(&yaml));
    assert_eq!(
        (r.records_imported, r.records_updated, r.records_unchanged),
        (1, 0, 0)
    );
    assert_eq!(
        store
            .record("PYSEC-2020-148")
            .unwrap()
            .unwrap()
            .modified
            .as_deref(),
        Some("2020-10-14T05:15:00Z")
    );
    let r = import(&mut store, std::slice::from_ref(&json));
    assert_eq!(
        (r.records_imported, r.records_updated, r.records_unchanged),
        (0, 1, 0)
    );
    assert_eq!(
        store
            .record("PYSEC-2020-148")
            .unwrap()
            .unwrap()
            .modified
            .as_deref(),
        Some("2023-11-08T04:03:14.251187Z")
    );
    // Older again: ignored. Same again: ignored.
    for p in [&yaml, &json] {
        let r = import(&mut store, std::slice::from_ref(p));
        assert_eq!(
            (r.records_imported, r.records_updated, r.records_unchanged),
            (0, 0, 1),
            "{p:?}"
        );
    }
    // The affected index was replaced, not duplicated.
    assert_eq!(store.affected("PyPI", "urllib3").unwrap().len(), 1);
    assert_eq!(store.info().unwrap().total_records, 1);
    assert_eq!(store.info().unwrap().sources.len(), 4);

    // A newer copy that drops a package removes it from the index.
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    v["modified"] = "2030-01-01T00:00:00Z".into();
    v["affected"][0]["package"]["name"] = "urllib3-renamed".into();
    let newer = dir.path().join("newer.json");
    std::fs::write(&newer, serde_json::to_vec(&v).unwrap()).unwrap();
    let r = import(&mut store, &[newer]);
    assert_eq!(r.records_updated, 1);
    assert!(store.affected("PyPI", "urllib3").unwrap().is_empty());
    assert_eq!(store.affected("PyPI", "urllib3_renamed").unwrap().len(), 1);
    // A newer copy that is withdrawn leaves the index.
    v["modified"] = "2031-01-01T00:00:00Z".into();
    v["withdrawn"] = "2031-01-01T00:00:00Z".into();
    let withdrawn = dir.path().join("withdrawn.json");
    std::fs::write(&withdrawn, serde_json::to_vec(&v).unwrap()).unwrap();
    assert_eq!(import(&mut store, &[withdrawn]).records_updated, 1);
    assert!(
        store
            .affected("PyPI", "urllib3-renamed")
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.info().unwrap().withdrawn_records, 1);
}

#[test]
fn malformed_input_is_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir_all(input.join("nested")).unwrap();
    let w = |name: &str, body: &str| std::fs::write(input.join(name), body).unwrap();
    w("bad.json", "{\"id\": \"X-1\", ");
    w("bad.yaml", "id: X-2\naffected: [\n");
    w(
        "nested/wrong-types.json",
        r#"{"id": "X-3", "affected": [{"ranges": [{"events": [{"fixed": {"no": 1}}]}]}]}"#,
    );
    w(
        "no-id.json",
        r#"{"modified": "2024-01-01T00:00:00Z", "affected": [{"package": {"ecosystem": "npm", "name": "a"}}]}"#,
    );
    w(
        "no-affected.yaml",
        "id: X-4\nmodified: 2024-01-01T00:00:00Z\n",
    );
    w("scalar.json", "42");
    w(
        "list.json",
        r#"[{"id": "X-5", "affected": [{"package": {"ecosystem": "npm", "name": "b"}}]}, 7]"#,
    );
    w("notes.txt", "not a record, ignored inside directories");
    std::fs::copy(
        fixture("npm/GHSA-whgm-jr23-g3j9.json"),
        input.join("nested/good.json"),
    )
    .unwrap();
    let missing = dir.path().join("does-not-exist");

    let mut store = Store::create_or_open(&dir.path().join("adv.db")).unwrap();
    let report = import(&mut store, &[input.clone(), missing.clone()]);
    for e in &report.errors {
        println!("error: {}: {}", e.source, e.reason);
    }
    for s in &report.skipped {
        println!("skipped: {} {:?}: {}", s.source, s.id, s.reason);
    }
    let err_sources: Vec<&str> = report.errors.iter().map(|e| e.source.as_str()).collect();
    assert!(err_sources.iter().any(|s| s.ends_with("does-not-exist")));
    assert!(err_sources.iter().any(|s| s.ends_with("bad.json")));
    assert!(err_sources.iter().any(|s| s.ends_with("bad.yaml")));
    assert!(err_sources.iter().any(|s| s.ends_with("scalar.json")));
    // An array element that is not an object ends its document with an error (the import fails),
    // after the records before it.
    assert!(err_sources.iter().any(|s| s.ends_with("list.json")));
    assert_eq!(report.errors.len(), 5);
    assert_eq!(report.errors_total, 5);
    let skipped: Vec<(Option<&str>, &str)> = report
        .skipped
        .iter()
        .map(|s| (s.id.as_deref(), s.reason.as_str()))
        .collect();
    assert_eq!(report.skipped.len(), 3, "{skipped:?}");
    assert!(
        skipped
            .iter()
            .any(|(id, r)| *id == Some("X-3") && r.contains("version string"))
    );
    assert!(
        skipped
            .iter()
            .any(|(id, r)| id.is_none() && r.contains("no `id`"))
    );
    assert!(
        skipped
            .iter()
            .any(|(id, r)| *id == Some("X-4") && r.contains("no `affected`"))
    );
    assert_eq!(
        report.records_imported, 2,
        "the good record and X-5 from the list"
    );
    assert_eq!(store.affected("npm", "ansi-html").unwrap().len(), 1);
    assert_eq!(store.affected("npm", "b").unwrap()[0].record_id, "X-5");

    // An explicit file is read whatever its extension (content sniffed).
    let odd = dir.path().join("record.osv");
    std::fs::copy(fixture("PyPI/jinja2/PYSEC-2014-8.yaml"), &odd).unwrap();
    assert_eq!(import(&mut store, &[odd]).records_imported, 1);
}

/// Patch the declared uncompressed size of entry `name` in both its local and central headers.
fn patch_declared_size(zip: &mut [u8], name: &str, size: u32) {
    let mut patched = 0;
    for i in 0..zip.len().saturating_sub(46) {
        let (sig, name_len_at, size_at, name_at) = match &zip[i..i + 4] {
            b"PK\x03\x04" => ("local", i + 26, i + 22, i + 30),
            b"PK\x01\x02" => ("central", i + 28, i + 24, i + 46),
            _ => continue,
        };
        let n = u16::from_le_bytes([zip[name_len_at], zip[name_len_at + 1]]) as usize;
        if zip.get(name_at..name_at + n) == Some(name.as_bytes()) {
            zip[size_at..size_at + 4].copy_from_slice(&size.to_le_bytes());
            patched += 1;
            let _ = sig;
        }
    }
    assert_eq!(patched, 2, "{name}: local and central header");
}

#[test]
fn imports_zip_archives_within_bounds() {
    use zip::write::SimpleFileOptions;
    let dir = tempfile::tempdir().unwrap();
    let deflate = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut zw = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let add = |zw: &mut zip::ZipWriter<Cursor<Vec<u8>>>, name: &str, body: &[u8]| {
        zw.start_file(name, deflate).unwrap();
        zw.write_all(body).unwrap();
    };
    let go = std::fs::read(fixture("Go/GO-2020-0001.json")).unwrap();
    let jinja = std::fs::read(fixture("PyPI/jinja2/PYSEC-2014-8.yaml")).unwrap();
    let npm = std::fs::read(fixture("npm/GHSA-whgm-jr23-g3j9.json")).unwrap();
    add(&mut zw, "GO-2020-0001.json", &go);
    zw.add_directory("sub/", deflate).unwrap();
    add(&mut zw, "sub/PYSEC-2014-8.yaml", &jinja);
    add(&mut zw, "README.md", b"not a record");
    add(&mut zw, "../GHSA-whgm-jr23-g3j9.json", &npm);
    add(&mut zw, "sub/../../escape.json", &npm);
    add(&mut zw, "/abs.json", &npm);
    add(&mut zw, "broken.json", b"{\"id\": ");
    // Honest but too big: 65 MiB of whitespace around a record (compresses to almost nothing).
    let mut big = vec![b' '; 65 << 20];
    big.extend_from_slice(&npm);
    add(&mut zw, "big.json", &big);
    // Declares 4 GiB.
    add(&mut zw, "huge.json", &npm);
    // Declares 100 bytes, inflates to 65 MiB.
    add(&mut zw, "liar.json", &big);
    drop(big);
    let mut bytes = zw.finish().unwrap().into_inner();
    patch_declared_size(&mut bytes, "huge.json", 0xFFFF_FFF0);
    patch_declared_size(&mut bytes, "liar.json", 100);
    let archive = dir.path().join("all.zip");
    std::fs::write(&archive, &bytes).unwrap();

    let mut store = Store::create_or_open(&dir.path().join("adv.db")).unwrap();
    let mut last = None;
    let report = store
        .import_paths(std::slice::from_ref(&archive), &mut |p| last = Some(p))
        .unwrap();
    for e in &report.errors {
        println!("error: {}: {}", e.source, e.reason);
    }
    assert_eq!(report.archives_read, 1);
    assert_eq!(report.records_imported, 2, "{report:?}");
    assert!(
        store.affected("Go", "github.com/gin-gonic/gin").unwrap()[0].record_id == "GO-2020-0001"
    );
    assert!(store.affected("PyPI", "jinja2").unwrap()[0].record_id == "PYSEC-2014-8");
    assert!(
        store.affected("npm", "ansi-html").unwrap().is_empty(),
        "no escaping entry was read"
    );
    let reason = |suffix: &str| {
        report
            .errors
            .iter()
            .find(|e| e.source.ends_with(&format!("!{suffix}")))
            .map(|e| e.reason.clone())
            .unwrap_or_else(|| panic!("no error for {suffix}"))
    };
    for unsafe_name in [
        "../GHSA-whgm-jr23-g3j9.json",
        "sub/../../escape.json",
        "/abs.json",
    ] {
        assert!(
            reason(unsafe_name).contains("unsafe entry name"),
            "{unsafe_name}"
        );
    }
    assert!(reason("big.json").contains("declared size"));
    assert!(reason("huge.json").contains("declared size 4294967280"));
    println!("liar.json: {}", reason("liar.json"));
    assert!(reason("broken.json").contains("invalid JSON"));
    assert_eq!(report.errors.len(), 7);
    let last = last.unwrap();
    assert_eq!(last.files_done, last.files_total);
    assert_eq!(
        last.files_total, 11,
        "every entry, directories and README included"
    );

    // Not a zip at all, named .zip: reported.
    let fake = dir.path().join("fake.zip");
    std::fs::write(&fake, b"PK\x03\x04 truncated").unwrap();
    let r = import(&mut store, &[fake]);
    assert_eq!(r.errors.len(), 1);
    assert!(r.errors[0].reason.contains("zip"), "{:?}", r.errors);
}

#[test]
fn read_only_open_is_fast_and_refuses_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("adv.db");
    drop(fixture_store(dir.path()));
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let store = Store::open_read_only(&path).unwrap();
        let found = store.affected("Debian", "nginx").unwrap();
        times.push(t.elapsed());
        assert_eq!(found.len(), 1);
    }
    times.sort();
    println!(
        "read-only open + one query: first {:?}, median {:?}",
        times[0], times[2]
    );
    assert!(times[2].as_millis() < 50);

    let mut ro = Store::open_read_only(&path).unwrap();
    let err = ro.import_paths(&[fixtures()], &mut |_| {}).unwrap_err();
    assert!(matches!(err, Error::ReadOnly { .. }), "{err}");
}

#[test]
fn refuses_foreign_missing_and_newer_databases() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.db");
    let err = Store::open_read_only(&missing).err().unwrap();
    assert!(matches!(err, Error::Missing { .. }));
    println!("{err}");
    assert!(!missing.exists(), "read-only open creates nothing");

    let text = dir.path().join("text.db");
    std::fs::write(&text, "this is not a database, just some text that is long enough to look like a header ..........").unwrap();
    let err = Store::open_read_only(&text).err().unwrap();
    assert!(matches!(err, Error::NotAdvisoryDb { .. }), "{err}");
    let err = Store::create_or_open(&text).err().unwrap();
    assert!(matches!(err, Error::NotAdvisoryDb { .. }), "{err}");

    let foreign = dir.path().join("foreign.db");
    rusqlite::Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE t (x)")
        .unwrap();
    assert!(matches!(
        Store::open_read_only(&foreign).err().unwrap(),
        Error::NotAdvisoryDb { .. }
    ));
    assert!(matches!(
        Store::create_or_open(&foreign).err().unwrap(),
        Error::NotAdvisoryDb { .. }
    ));

    let newer = dir.path().join("newer.db");
    drop(Store::create_or_open(&newer).unwrap());
    rusqlite::Connection::open(&newer)
        .unwrap()
        .execute_batch(&format!("PRAGMA user_version = {}", SCHEMA_VERSION + 1))
        .unwrap();
    for err in [
        Store::open_read_only(&newer).err().unwrap(),
        Store::create_or_open(&newer).err().unwrap(),
    ] {
        println!("{err}");
        assert!(
            matches!(err, Error::SchemaTooNew { found, supported, .. } if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION)
        );
        assert!(
            err.to_string()
                .contains("newer than this Bulkhead supports")
        );
    }

    // A fresh database (parent directories created) opens read-only and reports no content yet.
    let fresh = dir.path().join("cache/bulkhead/fresh.db");
    drop(Store::create_or_open(&fresh).unwrap());
    let info = Store::open_read_only(&fresh).unwrap().info().unwrap();
    assert_eq!(
        (
            info.total_records,
            info.build_time.is_none(),
            info.created.is_some()
        ),
        (0, true, true)
    );
}

#[test]
fn failed_import_keeps_old_content() {
    // A database error mid-import rolls back the whole import (one transaction).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("adv.db");
    let mut store = fixture_store(dir.path());
    let before = store.info().unwrap();
    // Make the affected table unwritable behind the store's back.
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch(
            "CREATE TRIGGER no_insert BEFORE INSERT ON affected BEGIN SELECT RAISE(ABORT, 'boom'); END;",
        )
        .unwrap();
    let extra = dir.path().join("extra.json");
    let mut v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixture("npm/GHSA-whgm-jr23-g3j9.json")).unwrap())
            .unwrap();
    v["id"] = "EXTRA-1".into();
    std::fs::write(&extra, serde_json::to_vec(&v).unwrap()).unwrap();
    let err = store.import_paths(&[extra], &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("boom"), "{err}");
    assert!(store.record("EXTRA-1").unwrap().is_none());
    assert_eq!(store.info().unwrap(), before);
}
