//! Import ALL of ../shared/data/osv (PyPI YAML, Go JSON, the distro and osv.dev snapshots) and check
//! the store against an independent scan of the same files: record counts overall and per ecosystem,
//! every (package → record) pair findable, every JSON record's ranges and versions returned as
//! written. Prints the figures (records, seconds, open time). Skips when ../shared is absent.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bulkhead_advisories::osv::Event;
use bulkhead_advisories::{Store, ecosystem_base};
use serde_json::Value;

fn corpus() -> Option<PathBuf> {
    common::shared("osv")
}

/// One copy of a record, as seen by the independent scan.
#[derive(Debug, Clone)]
struct Seen {
    modified: String,
    withdrawn: bool,
    has_affected: bool,
    /// (full ecosystem, package name as written or, for pypa YAML, the directory name).
    packages: Vec<(String, String)>,
    /// The parsed JSON (JSON files only).
    json: Option<Value>,
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out);
        } else if p
            .extension()
            .is_some_and(|e| e == "json" || e == "yaml" || e == "yml")
        {
            out.push(p);
        }
    }
}

/// Independent scan: JSON through serde_json's untyped Value; pypa YAML by its top-level lines
/// (`id:`, `modified:`, `withdrawn:`, `affected:`) with the package taken from the directory name
/// (vulns/<package>/PYSEC-*.yaml).
fn scan(path: &Path) -> Option<(String, Seen)> {
    let text = std::fs::read_to_string(path).unwrap();
    if path.extension().is_some_and(|e| e == "json") {
        let v: Value = serde_json::from_str(&text).unwrap();
        let id = v.get("id")?.as_str()?.to_string();
        let affected = v
            .get("affected")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let packages = affected
            .iter()
            .filter_map(|a| {
                let p = a.get("package")?;
                Some((
                    p.get("ecosystem")?.as_str()?.to_string(),
                    p.get("name")?.as_str()?.to_string(),
                ))
            })
            .collect();
        Some((
            id,
            Seen {
                modified: v
                    .get("modified")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                withdrawn: v.get("withdrawn").is_some_and(|w| !w.is_null()),
                has_affected: !affected.is_empty(),
                packages,
                json: Some(v),
            },
        ))
    } else {
        let top = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(key))
                .map(|v| v.trim().trim_matches(|c| c == '\'' || c == '"').to_string())
        };
        let id = top("id:")?;
        let dir = path
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let has_affected = top("affected:").is_some_and(|v| v != "[]");
        Some((
            id,
            Seen {
                modified: top("modified:").unwrap_or_default(),
                withdrawn: top("withdrawn:").is_some(),
                has_affected,
                packages: vec![("PyPI".into(), dir)],
                json: None,
            },
        ))
    }
}

#[test]
fn whole_corpus() {
    let Some(root) = corpus() else { return };
    let mut paths = Vec::new();
    files(&root, &mut paths);

    // Independent expectations. Of several copies of one id the newest `modified` wins.
    let mut newest: BTreeMap<String, Seen> = BTreeMap::new();
    let mut without_id = 0;
    for p in &paths {
        let Some((id, seen)) = scan(p) else {
            without_id += 1;
            continue;
        };
        match newest.get(&id) {
            Some(old) if old.modified >= seen.modified => {}
            _ => {
                newest.insert(id, seen);
            }
        }
    }
    let expected: BTreeMap<&String, &Seen> =
        newest.iter().filter(|(_, s)| s.has_affected).collect();
    let mut expected_families: BTreeMap<String, BTreeSet<&String>> = BTreeMap::new();
    for (id, s) in &expected {
        if s.withdrawn {
            continue;
        }
        for (eco, _) in &s.packages {
            expected_families
                .entry(ecosystem_base(eco).to_lowercase())
                .or_default()
                .insert(id);
        }
    }
    let expected_withdrawn = expected.values().filter(|s| s.withdrawn).count();
    println!(
        "independent scan: {} files, {} without id, {} distinct ids, {} with affected[] ({} withdrawn)",
        paths.len(),
        without_id,
        newest.len(),
        expected.len(),
        expected_withdrawn
    );

    // Import everything.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("advisories.db");
    let mut store = Store::create_or_open(&db).unwrap();
    let mut ticks = 0u64;
    let report = store
        .import_paths(std::slice::from_ref(&root), &mut |_| ticks += 1)
        .unwrap();
    let secs = report.duration.as_secs_f64();
    let handled = report.records_imported + report.records_updated + report.records_unchanged;
    println!(
        "import: {} files, {} records imported, {} updated, {} unchanged, {} skipped, {} errors in {:.2} s ({:.0} records/s)",
        report.files_read,
        report.records_imported,
        report.records_updated,
        report.records_unchanged,
        report.skipped.len(),
        report.errors.len(),
        secs,
        handled as f64 / secs
    );
    for s in &report.skipped {
        println!("  skipped {} {:?}: {}", s.source, s.id, s.reason);
    }
    for e in &report.errors {
        println!("  error {}: {}", e.source, e.reason);
    }
    assert!(report.errors.is_empty());
    assert_eq!(report.files_read as usize, paths.len());
    assert_eq!(ticks as usize, paths.len());
    let info = store.info().unwrap();
    println!(
        "db: {} records ({} withdrawn), {} bytes",
        info.total_records,
        info.withdrawn_records,
        std::fs::metadata(&db).unwrap().len()
    );
    for e in &info.ecosystems {
        let releases: Vec<String> = e
            .releases
            .iter()
            .map(|r| format!("{}={}", r.ecosystem, r.records))
            .collect();
        println!(
            "  {:<12} {:>5} records {:>5} entries  [{}]",
            e.name,
            e.records,
            e.entries,
            releases.join(", ")
        );
    }

    // Counts against the independent scan.
    assert_eq!(
        info.total_records as usize,
        expected.len(),
        "records stored vs independent count"
    );
    assert_eq!(
        report.records_imported as usize,
        expected.len(),
        "every distinct id with affected[] imported once"
    );
    let skipped_ids: BTreeSet<&str> = report
        .skipped
        .iter()
        .filter_map(|s| s.id.as_deref())
        .collect();
    let no_affected: BTreeSet<&str> = newest
        .iter()
        .filter(|(_, s)| !s.has_affected)
        .map(|(id, _)| id.as_str())
        .collect();
    assert_eq!(skipped_ids, no_affected, "skipped = ids without affected[]");
    assert_eq!(info.withdrawn_records as usize, expected_withdrawn);
    let got_families: BTreeMap<String, usize> = info
        .ecosystems
        .iter()
        .map(|e| (e.name.to_lowercase(), e.records as usize))
        .collect();
    let want_families: BTreeMap<String, usize> = expected_families
        .iter()
        .map(|(k, v)| (k.clone(), v.len()))
        .collect();
    assert_eq!(got_families, want_families, "records per ecosystem family");

    // Every (package → record) pair of the scan is found; every JSON record's entries come back with
    // the ranges and versions as written.
    let t = Instant::now();
    let mut queries = 0u64;
    let mut compared = 0u64;
    for (id, s) in &expected {
        if s.withdrawn {
            continue;
        }
        for (eco, name) in &s.packages {
            let entries = store.affected(ecosystem_base(eco), name).unwrap();
            queries += 1;
            let mine: Vec<_> = entries
                .iter()
                .filter(|e| &e.record_id == *id && &e.ecosystem == eco)
                .collect();
            assert!(!mine.is_empty(), "{id}: {eco}/{name} not found");
            let Some(json) = &s.json else { continue };
            let raw: Vec<&Value> = json["affected"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|a| {
                    a["package"]["ecosystem"] == eco.as_str()
                        && a["package"]["name"] == name.as_str()
                })
                .collect();
            assert_eq!(mine.len(), raw.len(), "{id}: {eco}/{name} entries");
            for (e, a) in mine.iter().zip(&raw) {
                let ranges = serde_json::to_value(&e.affected.ranges).unwrap();
                let want_ranges = a.get("ranges").cloned().unwrap_or(Value::Array(vec![]));
                assert_eq!(ranges, want_ranges, "{id}: ranges");
                let want_versions = a.get("versions").cloned().unwrap_or(Value::Array(vec![]));
                assert_eq!(
                    serde_json::to_value(&e.affected.versions).unwrap(),
                    want_versions,
                    "{id}: versions"
                );
                compared += 1;
            }
        }
    }
    println!(
        "{queries} package queries, {compared} JSON entries compared field by field in {:?}",
        t.elapsed()
    );

    // Query cost alone: every distinct package once, then 10,000 packages that have no advisory.
    let pairs: BTreeSet<(String, String)> = expected
        .values()
        .flat_map(|s| {
            s.packages
                .iter()
                .map(|(eco, name)| (ecosystem_base(eco).to_string(), name.clone()))
        })
        .collect();
    let t = Instant::now();
    let mut entries = 0;
    for (family, name) in &pairs {
        entries += store.affected(family, name).unwrap().len();
    }
    let hits = t.elapsed();
    let t = Instant::now();
    for i in 0..10_000 {
        assert!(
            store
                .affected("PyPI", &format!("no-such-package-{i}"))
                .unwrap()
                .is_empty()
        );
    }
    let misses = t.elapsed();
    println!(
        "queries: {} distinct packages ({entries} entries) in {hits:?} ({:?} each); 10000 misses in {misses:?}",
        pairs.len(),
        hits / pairs.len() as u32
    );

    // Hand-checked records from each kind of source.
    let find = |eco: &str, pkg: &str, id: &str| {
        store
            .affected(eco, pkg)
            .unwrap()
            .into_iter()
            .find(|e| e.record_id == id)
            .unwrap_or_else(|| panic!("{id} for {eco}/{pkg}"))
    };
    let django = find("PyPI", "Django", "PYSEC-2019-13");
    assert_eq!(
        django.affected.ranges[0].events,
        [
            Event::Introduced("2.1".into()),
            Event::Fixed("2.1.11".into()),
            Event::Introduced("1.11".into()),
            Event::Fixed("1.11.23".into()),
            Event::Introduced("2.2".into()),
            Event::Fixed("2.2.4".into()),
        ]
    );
    assert_eq!(django.affected.versions[0], "1.11");
    let urllib3 = find("PyPI", "urllib3", "PYSEC-2020-148");
    assert_eq!(urllib3.affected.ranges.len(), 2);
    assert_eq!(
        store
            .record("PYSEC-2020-148")
            .unwrap()
            .unwrap()
            .modified
            .as_deref(),
        Some("2023-11-08T04:03:14.251187Z"),
        "newest copy of a duplicated id wins"
    );
    let gin = find("Go", "github.com/gin-gonic/gin", "GO-2020-0001");
    assert_eq!(
        gin.affected.ranges[0].events[1],
        Event::Fixed("1.6.0".into())
    );
    let npm = find("npm", "ansi-html", "GHSA-whgm-jr23-g3j9");
    assert_eq!(
        npm.affected.ranges[0].events[1],
        Event::Fixed("0.0.8".into())
    );
    let nginx = find("Debian", "nginx", "DSA-3029-1");
    assert_eq!(nginx.ecosystem, "Debian:7");
    let musl = store.affected("Alpine", "musl").unwrap();
    assert_eq!(
        musl.iter()
            .filter(|e| e.record_id == "ALPINE-CVE-2025-26519")
            .count(),
        9
    );

    // Read-only open on the full database.
    drop(store);
    let mut opens: Vec<Duration> = (0..7)
        .map(|_| {
            let t = Instant::now();
            let s = Store::open_read_only(&db).unwrap();
            let n = s.affected("PyPI", "django").unwrap().len();
            let e = t.elapsed();
            assert!(n > 50);
            e
        })
        .collect();
    opens.sort();
    println!(
        "read-only open + django query (full db): min {:?}, median {:?}, max {:?}",
        opens[0], opens[3], opens[6]
    );
    assert!(opens[3] < Duration::from_millis(50));

    // Importing the same data again changes nothing.
    let mut store = Store::create_or_open(&db).unwrap();
    let again = store
        .import_paths(std::slice::from_ref(&root), &mut |_| {})
        .unwrap();
    println!(
        "re-import: {} unchanged in {:.2} s",
        again.records_unchanged,
        again.duration.as_secs_f64()
    );
    assert_eq!((again.records_imported, again.records_updated), (0, 0));
    assert_eq!(store.info().unwrap().total_records, info.total_records);

    // The same corpus as one all.zip gives the same database.
    let zip_path = dir.path().join("all.zip");
    let mut zw = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for p in &paths {
        zw.start_file(p.strip_prefix(&root).unwrap().to_string_lossy(), opts)
            .unwrap();
        zw.write_all(&std::fs::read(p).unwrap()).unwrap();
    }
    zw.finish().unwrap();
    let mut zstore = Store::create_or_open(&dir.path().join("from-zip.db")).unwrap();
    let zreport = zstore
        .import_paths(std::slice::from_ref(&zip_path), &mut |_| {})
        .unwrap();
    println!(
        "all.zip ({} bytes): {} records in {:.2} s",
        std::fs::metadata(&zip_path).unwrap().len(),
        zreport.records_imported,
        zreport.duration.as_secs_f64()
    );
    assert!(zreport.errors.is_empty(), "{:?}", zreport.errors);
    let zinfo = zstore.info().unwrap();
    assert_eq!(
        (zinfo.total_records, zinfo.withdrawn_records),
        (info.total_records, info.withdrawn_records)
    );
    assert_eq!(zinfo.ecosystems, info.ecosystems);
}
