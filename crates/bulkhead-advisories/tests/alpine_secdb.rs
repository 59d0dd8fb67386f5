//! The Alpine secdb importer: the committed vuln-list-update fixtures (Apache-2.0) against
//! vuln-list-update's golden outputs, detection next to OSV files, hostile files, re-import; then
//! ALL of ../shared/data/advisories-raw/alpine-secdb (the alpine-secdb YAML, never copied into the
//! repository: no licence file; the Wolfi/Chainguard and v3.15 vunnel inputs) against an independent
//! line scan of the same files, osv.dev's own Alpine conversion parts, and the matcher.

mod common;
use common::*;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use bulkhead_advisories::Store;
use bulkhead_advisories::alpine_secdb::{self, Distro};
use bulkhead_advisories::matcher::{affected_version, match_packages};
use bulkhead_advisories::osv::{Event, Format};
use bulkhead_core::{OsInfo, Package, PackageKind, VulnStatus};
use bulkhead_versions::Ecosystem;
use serde_json::Value;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/alpine-secdb")
}

/// (package, fixed version, upstream id) of every affected element of `ecosystem` in the store.
fn store_tuples(
    store: &Store,
    ecosystem: &str,
    package: &str,
) -> BTreeSet<(String, String, String)> {
    let base = ecosystem.split(':').next().unwrap();
    let mut out = BTreeSet::new();
    for e in store.affected(base, package).unwrap() {
        if e.ecosystem != ecosystem {
            continue;
        }
        let rec = store.record(&e.record_id).unwrap().unwrap();
        let events = &e.affected.ranges[0].events;
        assert_eq!(events[0], Event::Introduced("0".into()));
        let Event::Fixed(fixed) = &events[1] else {
            panic!("{events:?}")
        };
        out.insert((package.to_string(), fixed.clone(), rec.upstream[0].clone()));
    }
    out
}

/// (package, fixed version, id) of a vuln-list-update golden file (`{name, secfixes, …}`).
fn golden_tuples(path: &Path) -> (String, BTreeSet<(String, String, String)>) {
    let g: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let name = g["name"].as_str().unwrap().to_string();
    let mut out = BTreeSet::new();
    for (version, ids) in g["secfixes"].as_object().unwrap() {
        if version == "0" {
            continue;
        }
        for id in ids.as_array().into_iter().flatten() {
            out.insert((
                name.clone(),
                version.clone(),
                id.as_str().unwrap().to_string(),
            ));
        }
    }
    let eco = format!("Alpine:{}", g["distroversion"].as_str().unwrap());
    (eco, out)
}

#[test]
fn fixtures_agree_with_vuln_list_update_goldens() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create_or_open(&dir.path().join("adv.db")).unwrap();
    let inputs: Vec<PathBuf> = [
        "311-main.json",
        "312-main.json",
        "312-community.json",
        "edge-main.json",
    ]
    .iter()
    .map(|f| fixtures().join(f))
    .collect();
    let report = import(&mut store, &inputs);
    assert!(report.errors.is_empty(), "{:#?}", report.errors);
    assert!(report.skipped.is_empty(), "{:#?}", report.skipped);
    assert_eq!(report.files_read, 4);
    let ecos: Vec<&str> = report
        .alpine_secdbs
        .iter()
        .map(|s| s.ecosystem.as_str())
        .collect();
    assert_eq!(
        ecos,
        ["Alpine:v3.11", "Alpine:v3.12", "Alpine:v3.3", "Alpine:edge"]
    );
    // 2 (apache2) + 1 (ansible; `2.8.0-r0: {}` is an empty list) + 0 (`packages: {}`) + 2 (apk-tools).
    assert_eq!(report.records_imported, 5);
    assert_eq!(report.alpine_secdbs[2].stats.packages, 0);
    assert_eq!(report.alpine_secdbs[1].stats.fixed_versions, 2);

    let mut compared = 0;
    for golden in [
        "311-apache2.json",
        "312-ansible.json",
        "edge-apk-tools.json",
    ] {
        let (eco, want) = golden_tuples(&fixtures().join("golden").join(golden));
        let package = &want.iter().next().unwrap().0;
        assert_eq!(store_tuples(&store, &eco, package), want, "{golden}");
        compared += want.len();
    }
    assert_eq!(compared, 5);

    let r = store
        .record("ALPINE-v3.11-main-CVE-2018-1333")
        .unwrap()
        .unwrap();
    assert_eq!(r.upstream, ["CVE-2018-1333"]);
    assert!(r.modified.is_some(), "the file's modification time");
    let a = &r.affected[0];
    assert_eq!(
        a.package.as_ref().unwrap().purl.as_deref(),
        Some("pkg:apk/alpine/apache2?arch=source")
    );
    assert_eq!(
        affected_version(a, "2.4.33-r0", Ecosystem::Apk),
        Some(Some("2.4.34-r0".into()))
    );
    assert_eq!(affected_version(a, "2.4.34-r0", Ecosystem::Apk), None);

    // The matcher, for an apk package on Alpine 3.11.4 (origin apache2).
    let os = OsInfo {
        family: "alpine".into(),
        version: "3.11.4".into(),
        pretty_name: None,
        codename: None,
        source: "etc/os-release".into(),
        repository: None,
    };
    let pkg = |v: &str| Package {
        kind: Some(PackageKind::Apk),
        name: "apache2-utils".into(),
        version: v.into(),
        src_name: Some("apache2".into()),
        ..Default::default()
    };
    let found = match_packages(&store, Some(&os), &[pkg("2.4.33-r0")]).unwrap();
    let got: BTreeSet<(&str, VulnStatus, Option<&str>)> = found
        .iter()
        .map(|v| (v.id.as_str(), v.status.unwrap(), v.fixed_version()))
        .collect();
    assert_eq!(
        got,
        BTreeSet::from([
            ("CVE-2018-1333", VulnStatus::Fixed, Some("2.4.34-r0")),
            ("CVE-2018-8011", VulnStatus::Fixed, Some("2.4.34-r0")),
        ])
    );
    assert!(
        match_packages(&store, Some(&os), &[pkg("2.4.34-r0")])
            .unwrap()
            .is_empty()
    );

    // Re-import: same modification time, nothing changes; a newer file replaces its records.
    let again = import(&mut store, &inputs[..1]);
    assert_eq!((again.records_imported, again.records_unchanged), (0, 2));
    let copy = dir.path().join("main.json");
    std::fs::copy(&inputs[0], &copy).unwrap();
    let later = SystemTime::now() + Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&copy)
        .unwrap()
        .set_modified(later)
        .unwrap();
    let newer = import(&mut store, &[copy]);
    assert_eq!((newer.records_imported, newer.records_updated), (0, 2));
}

#[test]
fn detection_next_to_osv_files_and_hostile_files() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(data.join("v3.9")).unwrap();
    std::fs::write(
        data.join("v3.9/main.yaml"),
        "---\ndistroversion: v3.9\nreponame: main\narchs:\n  - x86_64\nurlprefix: http://dl-cdn.alpinelinux.org/alpine\npackages:\n  - pkg:\n      name: musl\n      secfixes:\n        1.1.20-r5:\n          - CVE-2019-14697\n        \"0\":\n          - CVE-2019-0000\n  - pkg:\n      name: xen\n      secfixes:\n        4.9.0-r1:\n          - CVE-2017-8904 XSA-214\n          - XSA-207\n          - just a comment\n",
    )
    .unwrap();
    // An OSV record whose start mentions secdb keys: sniffed as a candidate, read as OSV all the same.
    std::fs::write(
        data.join("ALPINE-CVE-2099-0001.json"),
        r#"{"id": "ALPINE-CVE-2099-0001", "database_specific": {"packages": [], "secfixes": {}},
            "modified": "2024-01-01T00:00:00Z",
            "affected": [{"package": {"ecosystem": "Alpine:v3.9", "name": "musl"},
              "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.1.20-r6"}]}]}]}"#,
    )
    .unwrap();
    // An OSV YAML record: not a secdb.
    std::fs::write(
        data.join("PYSEC-2099-1.yaml"),
        "id: PYSEC-2099-1\nmodified: 2024-01-01T00:00:00Z\naffected:\n- package:\n    ecosystem: PyPI\n    name: packages\n  versions:\n  - '1.0'\n",
    )
    .unwrap();
    // Hostile and broken secdb files: each an error naming the file; the import goes on.
    std::fs::write(
        data.join("broken.yaml"),
        "distroversion: v3.9\npackages:\n  - pkg: [\n",
    )
    .unwrap();
    std::fs::write(
        data.join("nodistro.json"),
        r#"{"reponame": "main", "packages": [{"pkg": {"name": "a", "secfixes": {"1-r0": ["CVE-2020-0001"]}}}]}"#,
    )
    .unwrap();
    // A billion laughs: the YAML reader's budget refuses it.
    let mut laughs = String::from("distroversion: v3.9\na0: &a0 [\"CVE-2020-0001\"]\n");
    for i in 1..12 {
        let prev = format!("*a{}", i - 1);
        laughs.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 10].join(", ")));
    }
    laughs.push_str("packages:\n  - pkg:\n      name: x\n      secfixes:\n        1-r0: *a11\n");
    std::fs::write(data.join("aliases.yaml"), laughs).unwrap();

    let mut store = Store::create_or_open(&dir.path().join("adv.db")).unwrap();
    let report = import(&mut store, std::slice::from_ref(&data));
    assert_eq!(report.files_read, 6, "{report:#?}");
    let ids: BTreeSet<String> = ["ALPINE-CVE-2099-0001", "PYSEC-2099-1"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for id in &ids {
        assert!(store.record(id).unwrap().is_some(), "{id}");
    }
    assert_eq!(report.alpine_secdbs.len(), 1, "{report:#?}");
    let s = &report.alpine_secdbs[0].stats;
    assert_eq!((s.records, s.entries, s.not_affected), (3, 3, 1));
    for id in [
        "ALPINE-v3.9-main-CVE-2019-14697",
        "ALPINE-v3.9-main-CVE-2017-8904",
        "ALPINE-v3.9-main-XSA-207",
    ] {
        assert!(store.record(id).unwrap().is_some(), "{id}");
    }
    assert!(
        store
            .record("ALPINE-v3.9-main-CVE-2019-0000")
            .unwrap()
            .is_none()
    );
    let r = store
        .record("ALPINE-v3.9-main-CVE-2017-8904")
        .unwrap()
        .unwrap();
    assert_eq!(r.related, ["XSA-214"]);
    assert_eq!(report.records_imported, 5);

    let errors: BTreeMap<String, &str> = report
        .errors
        .iter()
        .map(|e| {
            let file = Path::new(&e.source)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (file, e.reason.as_str())
        })
        .collect();
    assert_eq!(errors.len(), 4, "{:#?}", report.errors);
    assert!(
        errors["broken.yaml"].starts_with("invalid YAML"),
        "{errors:?}"
    );
    assert!(
        errors["nodistro.json"].contains("ecosystem is unknown"),
        "{errors:?}"
    );
    assert!(errors.contains_key("aliases.yaml"), "{errors:?}");
    assert!(
        errors["main.yaml:xen@4.9.0-r1"].starts_with("no vulnerability id"),
        "{errors:?}"
    );

    // Both musl records (osv.dev-style and secdb) apply to an Alpine 3.9 musl and merge as one flaw
    // only when they share an id: here they do not.
    let musl = store.affected("Alpine", "musl").unwrap();
    assert_eq!(musl.len(), 2);
}

#[test]
fn parse_reads_yaml_and_json_alike() {
    let yaml = b"distroversion: v3.11\nreponame: main\npackages:\n- pkg:\n    name: apache2\n    secfixes:\n      2.4.34-r0:\n      - CVE-2018-1333\n      - CVE-2018-8011\n";
    let json = std::fs::read(fixtures().join("311-main.json")).unwrap();
    let a = alpine_secdb::parse(yaml, Format::Yaml, Some("2024-01-01T00:00:00Z")).unwrap();
    let b = alpine_secdb::parse(&json, Format::Json, Some("2024-01-01T00:00:00Z")).unwrap();
    assert_eq!(a.distro, Distro::Alpine);
    assert_eq!(a.records, b.records);
    assert!(alpine_secdb::detect(yaml));
    assert!(alpine_secdb::detect(&json));
}

/// What an independent scan of one secdb file expects: record id → {(package, fixed version)}, from
/// the text alone (YAML: line by line; JSON: serde_json) and the documented rules: ids
/// `PREFIX-[release-]repo-ID`; `"0"` is not affected; a line gives its CVEs, or its other ids (XSA,
/// TALOS, GHSA, ZBX: all the data has) when it has no CVE; text in parentheses is a comment.
type Expected = BTreeMap<String, BTreeSet<(String, String)>>;

fn line_ids(line: &str) -> Vec<String> {
    let mut depth = 0i32;
    let line: String = line
        .chars()
        .filter(|c| {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => return depth == 0,
            }
            false
        })
        .collect();
    let line = line.replace("CVE 2", "CVE-2");
    let (mut cves, mut others) = (Vec::new(), Vec::new());
    for tok in line.split_whitespace() {
        let t = tok.replacen("CVE_", "CVE-", 1);
        let parts: Vec<&str> = t.split('-').collect();
        if parts.len() >= 3 && parts[0] == "CVE" {
            let num: String = parts[2]
                .chars()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            if parts[1].len() == 4 && parts[1].chars().all(|c| c.is_ascii_digit()) && num.len() >= 4
            {
                cves.push(format!("CVE-{}-{num}", parts[1]));
            }
        } else if ["XSA-", "TALOS-", "GHSA-", "ZBX-", "wnpa-sec-"]
            .iter()
            .any(|p| t.starts_with(p))
            && t.chars().any(|c| c.is_ascii_digit())
        {
            others.push(t);
        }
    }
    if cves.is_empty() { others } else { cves }
}

fn scan(path: &Path) -> Expected {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines: Vec<(String, String, String)> = Vec::new(); // (package, version, line)
    let (mut release, mut repo, mut url) = (String::new(), String::new(), String::new());
    if path.extension().unwrap() == "json" {
        let v: Value = serde_json::from_str(&text).unwrap();
        let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
        (release, repo, url) = (s("distroversion"), s("reponame"), s("urlprefix"));
        let packages: Vec<&Value> = match &v["packages"] {
            Value::Array(a) => a.iter().collect(),
            Value::Object(o) => o.values().collect(),
            _ => Vec::new(),
        };
        for p in packages {
            let name = p["pkg"]["name"].as_str().unwrap();
            for (version, items) in p["pkg"]["secfixes"].as_object().into_iter().flatten() {
                for item in items.as_array().into_iter().flatten() {
                    lines.push((name.into(), version.clone(), item.as_str().unwrap().into()));
                }
            }
        }
    } else {
        let (mut name, mut version) = (String::new(), String::new());
        for line in text.lines() {
            let t = line.trim();
            if let Some(r) = line.strip_prefix("distroversion:") {
                release = r.trim().to_string();
            } else if let Some(r) = line.strip_prefix("reponame:") {
                repo = r.trim().to_string();
            } else if let Some(n) = t.strip_prefix("name:") {
                name = n.trim().to_string();
                version.clear();
            } else if let Some(item) = t.strip_prefix("- ") {
                if !version.is_empty() && item != "pkg:" {
                    lines.push((name.clone(), version.clone(), item.to_string()));
                }
            } else if t.ends_with(':') && !matches!(t, "secfixes:" | "packages:" | "archs:") {
                version = t
                    .trim_end_matches(':')
                    .trim_matches(['"', '\''])
                    .to_string();
            }
        }
    }
    let prefix = if url.contains("wolfi") {
        format!("WOLFI-{repo}-")
    } else if url.contains("cgr.dev") {
        format!("CHAINGUARD-{repo}-")
    } else {
        format!("ALPINE-{release}-{repo}-")
    };
    let mut out = Expected::new();
    for (package, version, line) in lines {
        if version == "0" {
            continue;
        }
        for id in line_ids(&line) {
            out.entry(format!("{prefix}{id}"))
                .or_default()
                .insert((package.clone(), version.clone()));
        }
    }
    out
}

#[test]
fn corpus_all_of_shared_alpine_secdb() {
    let Some(root) = shared("advisories-raw/alpine-secdb") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create_or_open(&dir.path().join("adv.db")).unwrap();
    let started = std::time::Instant::now();
    let report = import(&mut store, std::slice::from_ref(&root));
    let took = started.elapsed();

    // The secdb inputs (not the goldens, not osv.dev's parts), scanned independently.
    let mut files: Vec<PathBuf> = Vec::new();
    for release in std::fs::read_dir(root.join("alpinelinux-alpine-secdb")).unwrap() {
        for f in std::fs::read_dir(release.unwrap().path()).unwrap() {
            files.push(f.unwrap().path());
        }
    }
    for f in ["main.yaml", "community.yaml"] {
        files.push(root.join("vunnel-v3.15").join(f));
    }
    for f in ["311", "312", "edge"] {
        for repo in ["main", "community"] {
            files.push(
                root.join("vuln-list-update")
                    .join(format!("{f}-{repo}.json")),
            );
        }
    }
    files.push(root.join("wolfi-security.json"));
    files.push(root.join("chainguard-security.json"));
    let expected: BTreeMap<String, Expected> = files
        .iter()
        .map(|f| (f.display().to_string(), scan(f)))
        .collect();
    let per_file: u64 = expected.values().map(|e| e.len() as u64).sum();
    let entries: u64 = expected
        .values()
        .flat_map(|e| e.values())
        .map(|s| s.len() as u64)
        .sum();
    // An id in two files: two copies of one release and repository (vuln-list-update's v3.11 main
    // excerpt and alpine-secdb's v3.11/main.yaml); the store keeps the one with the newer file.
    let mut candidates: BTreeMap<&String, Vec<&BTreeSet<(String, String)>>> = BTreeMap::new();
    for e in expected.values() {
        for (id, set) in e {
            candidates.entry(id).or_default().push(set);
        }
    }

    assert_eq!(
        report.alpine_secdbs.len(),
        files.len(),
        "every secdb file detected"
    );
    let mut sources: Vec<&str> = report
        .alpine_secdbs
        .iter()
        .map(|s| s.source.as_str())
        .collect();
    sources.sort();
    assert_eq!(
        sources,
        expected.keys().map(String::as_str).collect::<Vec<_>>()
    );
    for imp in &report.alpine_secdbs {
        let want = &expected[&imp.source];
        if imp.stats.records != want.len() as u64 {
            let text = std::fs::read(&imp.source).unwrap();
            let format = if imp.source.ends_with(".json") {
                Format::Json
            } else {
                Format::Yaml
            };
            let parsed = alpine_secdb::parse(&text, format, None).unwrap();
            let got: BTreeSet<&str> = parsed.records.iter().map(|r| r.id.as_str()).collect();
            let scanned: BTreeSet<&str> = want.keys().map(String::as_str).collect();
            panic!(
                "{}: converted but not scanned {:?}; scanned but not converted {:?}",
                imp.source,
                got.difference(&scanned).collect::<Vec<_>>(),
                scanned.difference(&got).collect::<Vec<_>>()
            );
        }
        let want_entries: usize = want.values().map(BTreeSet::len).sum();
        assert_eq!(imp.stats.entries, want_entries as u64, "{}", imp.source);
    }
    assert_eq!(report.records_imported, candidates.len() as u64);
    assert_eq!(
        report.records_imported + report.records_updated + report.records_unchanged,
        per_file
    );
    assert_eq!(store.info().unwrap().total_records, candidates.len() as u64);
    // The goldens and osv.dev's parts are not OSV records: skipped; nothing else is.
    for s in &report.skipped {
        assert!(
            s.source.contains("/golden/") || s.source.contains("/osvdev-parts/"),
            "{s:?}"
        );
    }
    // Every record holds what the scan expects (for a shared id: one file's version of it).
    for (id, sets) in &candidates {
        let rec = store
            .record(id)
            .unwrap()
            .unwrap_or_else(|| panic!("{id} missing"));
        let got: BTreeSet<(String, String)> = rec
            .affected
            .iter()
            .map(|a| {
                let Event::Fixed(v) = &a.ranges[0].events[1] else {
                    panic!("{id}")
                };
                (a.package.as_ref().unwrap().name.clone(), v.clone())
            })
            .collect();
        assert!(
            sets.contains(&&got),
            "{id}: store {got:?}, scanned {sets:?}"
        );
    }
    let shared_ids = candidates.values().filter(|s| s.len() > 1).count();
    let unusable: usize = report
        .alpine_secdbs
        .iter()
        .map(|s| s.stats.errors.len())
        .sum();
    assert_eq!(
        report.errors.len(),
        unusable,
        "only entry errors: {:#?}",
        report.errors
    );
    for e in &report.errors {
        let short = e.source.rsplit("alpine-secdb/").next().unwrap_or(&e.source);
        println!("unusable: {short}: {}", e.reason);
    }

    // Ecosystems: every Alpine release, Wolfi, Chainguard.
    let info = store.info().unwrap();
    let fams: BTreeMap<&str, Vec<&str>> = info
        .ecosystems
        .iter()
        .map(|e| {
            (
                e.name.as_str(),
                e.releases.iter().map(|r| r.ecosystem.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(fams["Wolfi"], ["Wolfi"]);
    assert_eq!(fams["Chainguard"], ["Chainguard"]);
    for rel in [
        "v3.3", "v3.4", "v3.5", "v3.6", "v3.7", "v3.8", "v3.9", "v3.10", "v3.11", "v3.12", "v3.15",
        "edge",
    ] {
        assert!(
            fams["Alpine"].contains(&format!("Alpine:{rel}").as_str()),
            "{rel}: {fams:?}"
        );
    }

    // Spot checks through the matcher's range evaluation.
    let check = |eco: &str, pkg: &str, id: &str, version: &str, want: Option<&str>| {
        let base = eco.split(':').next().unwrap();
        let hit = store
            .affected(base, pkg)
            .unwrap()
            .into_iter()
            .filter(|e| e.ecosystem == eco && e.record_id == id)
            .find_map(|e| affected_version(&e.affected, version, Ecosystem::Apk));
        assert_eq!(
            hit,
            want.map(|f| Some(f.to_string())),
            "{eco} {pkg} {version} {id}"
        );
    };
    check(
        "Alpine:v3.11",
        "ansible",
        "ALPINE-v3.11-main-CVE-2019-14904",
        "2.9.2-r0",
        Some("2.9.3-r0"),
    );
    check(
        "Alpine:v3.11",
        "ansible",
        "ALPINE-v3.11-main-CVE-2019-14904",
        "2.9.3-r0",
        None,
    );
    check(
        "Alpine:v3.11",
        "ansible",
        "ALPINE-v3.11-main-CVE-2019-14904",
        "2.10.0-r0",
        None,
    );
    check(
        "Wolfi",
        "busybox",
        "WOLFI-os-CVE-2022-28391",
        "1.35.0-r2",
        Some("1.35.0-r3"),
    );
    check(
        "Wolfi",
        "busybox",
        "WOLFI-os-CVE-2022-28391",
        "1.35.0-r3",
        None,
    );
    check(
        "Chainguard",
        "grafana",
        "CHAINGUARD-chainguard-CVE-2022-31130",
        "7.5.18-r0",
        Some("7.5.19-r0"),
    );
    check(
        "Chainguard",
        "grafana",
        "CHAINGUARD-chainguard-CVE-2022-31130",
        "7.5.19-r0",
        None,
    );
    // `"0"`: not affected, no record.
    assert!(store.record("WOLFI-os-CVE-2016-2781").unwrap().is_none());
    // A Xen line with a CVE and an XSA.
    let r = store
        .record("ALPINE-v3.7-main-CVE-2017-8904")
        .unwrap()
        .unwrap();
    assert_eq!(r.related, ["XSA-214"]);

    // osv.dev's own conversion parts (per CVE: release, package, fixed version), for the releases the
    // deprecated alpine-secdb repository covers: every tuple whose (release, package, CVE) the
    // snapshot names at all is in the store.
    let mut known: BTreeSet<(String, String, String)> = BTreeSet::new();
    for (id, sets) in &candidates {
        let Some(rest) = id.strip_prefix("ALPINE-") else {
            continue;
        };
        let release = rest.split('-').next().unwrap();
        let cve = &rest[rest.find("CVE-").unwrap_or(0)..];
        for set in sets {
            for (p, _) in set.iter() {
                known.insert((format!("Alpine:{release}"), p.clone(), cve.to_string()));
            }
        }
    }
    let (mut compared, mut newer) = (0, 0);
    for f in std::fs::read_dir(root.join("osvdev-parts")).unwrap() {
        let f = f.unwrap().path();
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let cve = name.split(".alpine").next().unwrap().to_string();
        let parts: Value = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
        for part in parts.as_array().unwrap() {
            let eco = part["ecosystem"].as_str().unwrap();
            let rel = eco.trim_start_matches("Alpine:");
            if !(3..=11).any(|m| rel == format!("v3.{m}")) {
                continue;
            }
            let pkg = part["pkg_name"].as_str().unwrap();
            for av in part["fixed_version"]["AffectedVersions"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let fixed = av["Fixed"].as_str().unwrap();
                if !known.contains(&(eco.to_string(), pkg.to_string(), cve.clone())) {
                    newer += 1; // fixed after the repository was frozen
                    continue;
                }
                compared += 1;
                let tuples = store_tuples(&store, eco, pkg);
                assert!(
                    tuples.contains(&(pkg.to_string(), fixed.to_string(), cve.clone())),
                    "osv.dev: {eco} {pkg} {fixed} {cve}; store: {tuples:?}"
                );
            }
        }
    }
    assert!(compared >= 30, "{compared} osv.dev tuples compared");
    println!(
        "alpine-secdb corpus: {} secdb files, {per_file} records converted ({} distinct, {shared_ids} \
         ids in two copies of a release), {entries} affected entries, {unusable} unusable lines, \
         {compared} osv.dev tuples agree ({newer} newer than the snapshot), {:.2} s",
        files.len(),
        candidates.len(),
        took.as_secs_f64()
    );
}
