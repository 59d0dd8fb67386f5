//! Matching benchmark (run by `bench/match-10k.sh`): open an advisory database, build N installed
//! packages from what it holds, match them, and print timings.
//!
//! Usage: `match_bench DB [N] [RUNS]` (N = 10000, RUNS = 5).
//!
//! The packages are real names from the database's Debian and PyPI entries (the ecosystems the
//! matcher covers today besides Alpine and the RPM distributions), each with several versions taken
//! from the advisory events themselves (introduced, fixed, and a version just below the fix), cycled
//! until N packages exist: a worst case where most lookups hit and most ranges are evaluated. Debian
//! packages are matched as Debian 10 (buster, the release the DSA/DLA lists cover most).
//!
//! Output: one line per measurement, then `RESULT open_ms=… match_ms=… packages=… findings=…`.

use bulkhead_advisories::Store;
use bulkhead_advisories::matcher::match_packages;
use bulkhead_core::{OsInfo, Package, PackageKind};
use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(db) = args.get(1) else {
        eprintln!("usage: match_bench DB [N] [RUNS]");
        std::process::exit(2);
    };
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let runs: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(5);

    // Package names and candidate versions straight from the database file.
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open the database");
    let mut stmt = conn
        .prepare(
            "SELECT ecosystem_base, package_name_normalised, affected_json FROM affected
             WHERE ecosystem_base IN ('Debian', 'PyPI') ORDER BY ecosystem_base, package_name_normalised",
        )
        .unwrap();
    let mut candidates: Vec<(String, String, String)> = Vec::new();
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })
        .unwrap();
    for row in rows {
        let (eco, name, json) = row.unwrap();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
        let mut versions: Vec<String> = Vec::new();
        for range in v["ranges"].as_array().into_iter().flatten() {
            for ev in range["events"].as_array().into_iter().flatten() {
                for key in ["introduced", "fixed"] {
                    if let Some(s) = ev[key].as_str().filter(|s| *s != "0") {
                        versions.push(s.to_string());
                        if key == "fixed" {
                            // Just below the fix: vulnerable in most orders.
                            versions.push(format!("{s}~bench"));
                        }
                    }
                }
            }
        }
        for ver in versions.into_iter().take(3) {
            candidates.push((eco.clone(), name.clone(), ver));
        }
    }
    candidates.sort();
    candidates.dedup();
    if candidates.is_empty() {
        eprintln!("{db}: no Debian or PyPI entries to build packages from");
        std::process::exit(1);
    }
    let packages: Vec<Package> = candidates
        .iter()
        .cycle()
        .take(n)
        .map(|(eco, name, version)| {
            let deb = eco == "Debian";
            let version = if deb {
                version.clone()
            } else {
                version.trim_end_matches("~bench").to_string()
            };
            Package {
                kind: Some(if deb {
                    PackageKind::Deb
                } else {
                    PackageKind::PyPI
                }),
                name: name.clone(),
                version: version.clone(),
                src_name: deb.then(|| name.clone()),
                src_version: deb.then(|| version.clone()),
                ..Default::default()
            }
        })
        .collect();
    let distinct = candidates.len().min(n);
    println!(
        "{} packages ({} distinct name/version pairs) from {db}",
        packages.len(),
        distinct
    );
    let os = OsInfo {
        family: "debian".into(),
        version: "10".into(),
        pretty_name: None,
        codename: Some("buster".into()),
        source: "bench".into(),
        repository: None,
    };

    let mut open_ms = Vec::new();
    let mut match_ms = Vec::new();
    let mut findings = 0;
    for run in 0..runs {
        let t = Instant::now();
        let store = Store::open_read_only(std::path::Path::new(db)).expect("open store");
        let info = store.info().expect("info");
        let opened = t.elapsed().as_secs_f64() * 1e3;
        let t = Instant::now();
        let found = match_packages(&store, Some(&os), &packages).expect("match");
        let matched = t.elapsed().as_secs_f64() * 1e3;
        findings = found.len();
        println!(
            "run {run}: open {opened:.2} ms ({} records), match {matched:.1} ms, {findings} findings",
            info.total_records
        );
        open_ms.push(opened);
        match_ms.push(matched);
    }
    println!(
        "RESULT open_ms={:.2} match_ms={:.1} packages={} findings={findings}",
        median(open_ms),
        median(match_ms),
        packages.len()
    );
}
