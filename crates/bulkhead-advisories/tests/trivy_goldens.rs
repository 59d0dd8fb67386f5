//! OS matching semantics against the peer: Trivy's integration-test goldens (its expected reports for
//! debian, ubuntu, alpine, centos, ubi, alma, rocky, oracle, amazon, photon, mariner and openSUSE
//! images) and the mini vulnerability DB they were produced with (`tests/fixtures/trivy/`, Apache-2.0,
//! see PROVENANCE.md).
//!
//! The test converts the DB fixtures (Trivy's bolt-fixture YAML) into OSV records, imports them into a
//! Bulkhead store, rebuilds each test image's package list from the goldens (the images themselves are
//! on ghcr.io, out of reach here; every golden of the same image contributes its packages, so the
//! `--ignore-unfixed` and `--severity` variants also check that the flags drop what they must), scans
//! it with the matcher and compares (vulnerability id, package, installed version, fixed version,
//! status) with Trivy's. It prints the agreement and every difference, and fails under 95 %.
//!
//! Inputs the goldens do not carry are stated here, not guessed from the expected output:
//! - the source package of each binary package (Debian, Ubuntu and Alpine advisories key on it), as
//!   the distributions' package metadata records it ([`source_of`]);
//! - the flags each golden was produced with ([`flags`]), as Trivy's integration test
//!   (`integration/standalone_tar_test.go`, same commit) passes them.
//!
//! - the release named by the image's `/etc/apk/repositories` ([`repository_of`]): Trivy reads it, and
//!   the golden's metadata does not carry it.

use bulkhead_advisories::Store;
use bulkhead_advisories::matcher::{filter, match_packages};
use bulkhead_core::{OsInfo, Package, PackageKind};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/trivy")
}

/// Trivy's bucket name → (OSV-style ecosystem, Trivy data-source id for vendor severities).
fn ecosystem_of(bucket: &str) -> Option<(String, &'static str)> {
    let (name, rel) = bucket.rsplit_once(' ').unwrap_or((bucket, ""));
    Some(match name {
        "debian" => (format!("Debian:{rel}"), "debian"),
        "ubuntu" => (format!("Ubuntu:{rel}"), "ubuntu"),
        "alpine" => (
            format!(
                "Alpine:{}",
                if rel == "edge" {
                    "edge".into()
                } else {
                    format!("v{rel}")
                }
            ),
            "alpine",
        ),
        "amazon linux" => (format!("Amazon Linux:{rel}"), "amazon"),
        "alma" => (format!("AlmaLinux:{rel}"), "alma"),
        "rocky" => (format!("Rocky Linux:{rel}"), "rocky"),
        "Oracle Linux" => (format!("Oracle Linux:{rel}"), "oracle-oval"),
        "Photon OS" => (format!("Photon OS:{rel}"), "photon"),
        "CBL-Mariner" => (format!("Mariner:{rel}"), "cbl-mariner"),
        "openSUSE Leap" => (format!("openSUSE:Leap {rel}"), "suse-cvrf"),
        "openSUSE" if rel == "Tumbleweed" => ("openSUSE:Tumbleweed".into(), "suse-cvrf"),
        "SUSE Linux Enterprise" => (
            format!("SUSE:Linux Enterprise Server {}", rel.replace("-SP", " SP")),
            "suse-cvrf",
        ),
        "SUSE Linux Enterprise Micro" => {
            (format!("SUSE:Linux Enterprise Micro {rel}"), "suse-cvrf")
        }
        _ => return None,
    })
}

/// Trivy's numeric status → OSV `database_specific.status` as Bulkhead reads it.
fn status_name(n: i64) -> Option<&'static str> {
    match n {
        2 => Some("affected"),
        5 => Some("will_not_fix"),
        6 => Some("fix_deferred"),
        7 => Some("end_of_life"),
        _ => None,
    }
}

fn severity_word(n: f64) -> &'static str {
    match n as i64 {
        1 => "LOW",
        2 => "MEDIUM",
        3 => "HIGH",
        4 => "CRITICAL",
        _ => "UNKNOWN",
    }
}

fn load_yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn pairs(v: &Value) -> impl Iterator<Item = &Value> {
    v["pairs"].as_array().into_iter().flatten()
}

/// Convert every OS fixture into OSV records (one per advisory key, `affected[]` per bucket/package).
fn convert(db: &Path) -> BTreeMap<String, Value> {
    let mut details: BTreeMap<String, Value> = BTreeMap::new();
    for b in load_yaml(&db.join("vulnerability.yaml"))
        .as_array()
        .unwrap()
    {
        for p in pairs(b) {
            details.insert(p["key"].as_str().unwrap().to_string(), p["value"].clone());
        }
    }
    // The vendor severity Trivy shows for an OS package: the data source's own, else NVD's, else the
    // record's overall one.
    let severity = |id: &str, source: &str| -> Option<&'static str> {
        let d = details.get(id)?;
        d["VendorSeverity"][source]
            .as_f64()
            .or_else(|| d["VendorSeverity"]["nvd"].as_f64())
            .map(severity_word)
            .or_else(|| {
                d["Severity"].as_str().and_then(|s| match s {
                    "LOW" => Some("LOW"),
                    "MEDIUM" => Some("MEDIUM"),
                    "HIGH" => Some("HIGH"),
                    "CRITICAL" => Some("CRITICAL"),
                    _ => None,
                })
            })
    };
    let mut records: BTreeMap<String, Value> = BTreeMap::new();
    let mut add = |id: &str, related: Option<&str>, affected: Value| {
        let rec = records.entry(id.to_string()).or_insert_with(
            || json!({"id": id, "modified": "2024-01-01T00:00:00Z", "affected": []}),
        );
        if let Some(r) = related {
            rec["related"] = json!([r]);
        }
        rec["affected"].as_array_mut().unwrap().push(affected);
    };
    let entry =
        |eco: &str, pkg: &str, fixed: Option<&str>, status: Option<&str>, sev: Option<&str>| {
            let mut events = vec![json!({"introduced": "0"})];
            if let Some(f) = fixed {
                events.push(json!({"fixed": f}));
            }
            let mut ds = serde_json::Map::new();
            if let Some(s) = status {
                ds.insert("status".into(), json!(s));
            }
            if let Some(s) = sev {
                ds.insert("severity".into(), json!(s));
            }
            json!({
                "package": {"ecosystem": eco, "name": pkg},
                "ranges": [{"type": "ECOSYSTEM", "events": events}],
                "database_specific": ds,
            })
        };
    let mut names: Vec<PathBuf> = std::fs::read_dir(db)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    for path in names {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        if file == "vulnerability.yaml" || file == "cpe.yaml" {
            continue;
        }
        let doc = load_yaml(&path);
        if file == "redhat.yaml" {
            // Red Hat OVAL: entries name the CPE indices they affect; cpe.yaml's "Red Hat CPE" bucket
            // maps them to CPEs.
            let cpe_doc = load_yaml(&db.join("cpe.yaml"));
            let mut cpes: BTreeMap<i64, String> = BTreeMap::new();
            for b in cpe_doc
                .as_array()
                .unwrap()
                .iter()
                .filter(|b| b["bucket"] == "Red Hat CPE")
            {
                for sub in pairs(b).filter(|s| s["bucket"] == "cpe") {
                    for p in pairs(sub) {
                        let idx: i64 = p["key"].as_str().unwrap().parse().unwrap();
                        let cpe = p["value"].as_str().unwrap();
                        let tail = cpe
                            .strip_prefix("cpe:/o:redhat:")
                            .or_else(|| cpe.strip_prefix("cpe:/a:redhat:"))
                            .unwrap();
                        cpes.insert(idx, format!("Red Hat:{tail}"));
                    }
                }
            }
            for b in doc
                .as_array()
                .unwrap()
                .iter()
                .filter(|b| b["bucket"] == "Red Hat")
            {
                for pkg in pairs(b) {
                    let name = pkg["bucket"].as_str().unwrap();
                    for adv in pairs(pkg) {
                        let id = adv["key"].as_str().unwrap();
                        for e in adv["value"]["Entries"].as_array().into_iter().flatten() {
                            let fixed = adv["value"]["FixedVersion"]
                                .as_str()
                                .or(e["FixedVersion"].as_str());
                            let status = e["Status"].as_i64().and_then(status_name);
                            // Trivy reports an RHSA once per CVE it lists, with that CVE's severity:
                            // one OSV record per CVE, the RHSA in `related`.
                            for c in e["Cves"].as_array().into_iter().flatten() {
                                let cve = c["ID"].as_str().unwrap_or(id);
                                let sev = c["Severity"].as_f64().map(severity_word);
                                for idx in e["Affected"].as_array().into_iter().flatten() {
                                    if let Some(eco) = idx.as_i64().and_then(|i| cpes.get(&i)) {
                                        let related = (cve != id).then_some(id);
                                        add(cve, related, entry(eco, name, fixed, status, sev));
                                    }
                                }
                            }
                        }
                    }
                }
            }
            continue;
        }
        for b in doc.as_array().unwrap() {
            let bucket = b["bucket"].as_str().unwrap();
            let Some((eco, source)) = ecosystem_of(bucket) else {
                panic!("{file}: unknown bucket {bucket:?}");
            };
            for pkg in pairs(b) {
                let name = pkg["bucket"].as_str().unwrap();
                for adv in pairs(pkg) {
                    let id = adv["key"].as_str().unwrap().trim();
                    let v = &adv["value"];
                    let fixed = v["FixedVersion"].as_str();
                    let status = v["Status"].as_i64().and_then(status_name);
                    let sev = v["Severity"]
                        .as_f64()
                        .map(severity_word)
                        .or_else(|| severity(id, source));
                    add(id, None, entry(&eco, name, fixed, status, sev));
                }
            }
        }
    }
    records
}

/// Source package of a binary package, from the distributions' package metadata (Debian stretch/buster
/// and Ubuntu 18.04 `Source:` fields, Alpine 3.9/3.10 `o:` origins). Binary packages built from a
/// source of their own name are not listed.
fn source_of(family: &str, name: &str) -> Option<&'static str> {
    Some(match (family, name) {
        (
            "debian" | "ubuntu",
            "e2fslibs" | "libcomerr2" | "libss2" | "libcom-err2" | "libext2fs2",
        ) => "e2fsprogs",
        ("debian", "libidn2-0") => "libidn2",
        ("debian", "libssl1.1") => "openssl",
        ("alpine", "libcrypto1.1" | "libssl1.1") => "openssl",
        ("alpine", "musl-utils") => "musl",
        ("photon", "curl-libs") => "curl",
        _ => return None,
    })
}

fn package(family: &str, name: &str, installed: &str) -> Package {
    let kind = match family {
        "debian" | "ubuntu" => PackageKind::Deb,
        "alpine" => PackageKind::Apk,
        _ => PackageKind::Rpm,
    };
    let (epoch, rest) = match installed.split_once(':') {
        Some((e, r)) if kind != PackageKind::Apk => (e.parse().ok(), r),
        _ => (None, installed),
    };
    let (version, release) = match kind {
        PackageKind::Rpm => {
            let (v, r) = rest.rsplit_once('-').unwrap();
            (v.to_string(), Some(r.to_string()))
        }
        _ => (rest.to_string(), None),
    };
    let src = source_of(family, name).unwrap_or(name);
    Package {
        kind: Some(kind),
        name: name.into(),
        version: version.clone(),
        epoch,
        release,
        src_name: Some(src.into()),
        src_version: (kind == PackageKind::Deb).then(|| version.clone()),
        src_epoch: epoch,
        ..Default::default()
    }
}

type Row = (String, String, String, String, String);

/// The apk repositories' release of a test image, where it differs from the OS release: the
/// `alpine-distroless` image (Alpine 3.16, built by apko from edge; its `.apk` origin and the golden's
/// reliance on Trivy's `alpine edge` bucket say so).
fn repository_of(golden: &str) -> Option<String> {
    (golden == "alpine-distroless").then(|| "edge".to_string())
}

/// (`--ignore-unfixed`, `--severity`, ignored ids) of a golden, from Trivy's test table.
fn flags(golden: &str) -> (bool, &'static [&'static str], &'static [&'static str]) {
    match golden {
        "alpine-39-high-critical" => (true, &["HIGH", "CRITICAL"], &[]),
        "alpine-39-ignore-cveids" => (false, &[], &["CVE-2019-1549", "CVE-2019-14697"]),
        "centos-7-medium" => (true, &["MEDIUM"], &[]),
        "centos-7-ignore-unfixed"
        | "debian-buster-ignore-unfixed"
        | "ubuntu-1804-ignore-unfixed"
        | "fluentd-gems" => (true, &[], &[]),
        _ => (false, &[], &[]),
    }
}

#[test]
fn trivy_goldens_agree() {
    let dir = fixtures();
    let records = convert(&dir.join("db"));
    let tmp = tempfile::tempdir().unwrap();
    let osv = tmp.path().join("osv");
    std::fs::create_dir(&osv).unwrap();
    for (id, rec) in &records {
        let file = osv.join(format!("{}.json", id.replace(':', "_")));
        std::fs::write(file, serde_json::to_vec(rec).unwrap()).unwrap();
    }
    let mut store = Store::create_or_open(&tmp.path().join("db.sqlite")).unwrap();
    let report = store.import_paths(&[osv], &mut |_| {}).unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    println!(
        "converted Trivy's DB fixtures: {} OSV records",
        records.len()
    );
    if std::env::var_os("BULKHEAD_DEBUG_GOLDENS").is_some() {
        for r in records.values() {
            println!("{r}");
        }
    }

    // Goldens grouped by image: every golden of an image adds the packages it reports.
    let mut goldens: Vec<(String, Value)> = Vec::new();
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir.join("goldens"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    for p in names {
        let name = p
            .file_name()
            .unwrap()
            .to_string_lossy()
            .replace(".json.golden", "");
        goldens.push((
            name,
            serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap(),
        ));
    }
    let mut images: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    for (_, g) in &goldens {
        let image = g["Metadata"]["ImageID"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        for r in g["Results"].as_array().into_iter().flatten() {
            if r["Class"] != "os-pkgs" {
                continue;
            }
            for v in r["Vulnerabilities"].as_array().into_iter().flatten() {
                images.entry(image.clone()).or_default().insert((
                    v["PkgName"].as_str().unwrap().into(),
                    v["InstalledVersion"].as_str().unwrap().into(),
                ));
            }
        }
    }

    let mut expected: BTreeSet<(String, Row)> = BTreeSet::new();
    let mut got: BTreeSet<(String, Row)> = BTreeSet::new();
    let mut severity_same = 0;
    let mut severity_total = 0;
    let mut compared = 0;
    for (name, g) in &goldens {
        let os = &g["Metadata"]["OS"];
        let family = os["Family"].as_str().unwrap().to_string();
        let version = os["Name"].as_str().unwrap().to_string();
        let image = g["Metadata"]["ImageID"].as_str().unwrap_or_default();
        let Some(pkgs) = images.get(image) else {
            continue; // No OS package of this image is vulnerable in the fixtures: nothing to compare.
        };
        compared += 1;
        let packages: Vec<Package> = pkgs.iter().map(|(n, v)| package(&family, n, v)).collect();
        let osinfo = OsInfo {
            family: family.clone(),
            version,
            pretty_name: None,
            codename: None,
            source: "golden".into(),
            repository: repository_of(name),
        };
        let mut vulns = match_packages(&store, Some(&osinfo), &packages).unwrap();
        let (ignore_unfixed, severities, ignore_ids) = flags(name);
        let severities: Vec<bulkhead_core::Severity> =
            severities.iter().map(|s| s.parse().unwrap()).collect();
        filter(&mut vulns, &severities, ignore_unfixed);
        if !ignore_ids.is_empty() {
            // Trivy's .trivyignore, in its own plain format.
            let path = tmp.path().join(format!("{name}.trivyignore"));
            let plain: String = ignore_ids.iter().map(|id| format!("{id}\n")).collect();
            std::fs::write(&path, plain).unwrap();
            let file = bulkhead_advisories::ignore::IgnoreFile::load(&path).unwrap();
            file.apply(&mut vulns, &packages, "2024-01-01");
        }
        let mut trivy_sev: BTreeMap<Row, String> = BTreeMap::new();
        for r in g["Results"].as_array().into_iter().flatten() {
            if r["Class"] != "os-pkgs" {
                continue;
            }
            for v in r["Vulnerabilities"].as_array().into_iter().flatten() {
                let row: Row = (
                    v["VulnerabilityID"].as_str().unwrap().into(),
                    v["PkgName"].as_str().unwrap().into(),
                    v["InstalledVersion"].as_str().unwrap().into(),
                    v["FixedVersion"].as_str().unwrap_or("").into(),
                    v["Status"].as_str().unwrap().into(),
                );
                trivy_sev.insert(row.clone(), v["Severity"].as_str().unwrap_or("").into());
                expected.insert((name.clone(), row));
            }
        }
        for v in &vulns {
            let row: Row = (
                v.id.clone(),
                v.package_name().to_string(),
                v.installed_version().to_string(),
                v.fixed_version().unwrap_or_default().to_string(),
                v.status.unwrap().as_str().into(),
            );
            if let Some(s) = trivy_sev.get(&row) {
                severity_total += 1;
                let ours = format!("{:?}", v.severity).to_ascii_uppercase();
                if *s == ours {
                    severity_same += 1;
                } else {
                    println!(
                        "  severity differs: {name}: {} {}: Trivy {s}, Bulkhead {ours}",
                        row.0, row.1
                    );
                }
            }
            got.insert((name.clone(), row));
        }
    }
    let agree = expected.intersection(&got).count();
    let union = expected.union(&got).count();
    println!(
        "Trivy goldens: {compared} reports, {} expected rows, {} rows found, agreement {agree}/{union} = {:.1}% \
         (vulnerability id, package, installed, fixed, status)",
        expected.len(),
        got.len(),
        100.0 * agree as f64 / union.max(1) as f64
    );
    println!("severity agrees on {severity_same}/{severity_total} common rows");
    for (name, row) in expected.difference(&got) {
        println!("  only Trivy:    {name}: {row:?}");
    }
    for (name, row) in got.difference(&expected) {
        println!("  only Bulkhead: {name}: {row:?}");
    }
    assert!(compared >= 25, "too few goldens compared: {compared}");
    assert!(
        agree as f64 >= 0.95 * union as f64,
        "agreement with Trivy below 95%: {agree}/{union}"
    );
}
