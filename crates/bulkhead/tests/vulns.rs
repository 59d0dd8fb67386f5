//! End to end: import the real PyPI advisories (../shared/data/osv/PyPI, pypa/advisory-database) with
//! `bulkhead db import`, scan the real vulnerable image (bookworm + old Python packages installed from
//! PyPI, built by scripts/build-test-images.sh) with `bulkhead image --db`, and compare every
//! (package, advisory) pair with an independent oracle: the same OSV ranges evaluated by Python
//! `packaging` (tests/oracle/osv_pypi_oracle.py).

mod common;
use common::*;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn peers_python() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.peers/bin/python");
    if p.exists() {
        return Some(p);
    }
    if std::env::var("BULKHEAD_STRICT").as_deref() == Ok("1") {
        panic!(
            ".peers/bin/python missing (scripts/install-peers.sh installs packaging and pyyaml)"
        );
    }
    println!(
        "SKIP: .peers/bin/python missing (run scripts/install-peers.sh); this test checked nothing"
    );
    None
}

/// Run an oracle program: `input` on its stdin, its "a<TAB>b<TAB>c" lines as a set.
fn run_oracle(cmd: &mut Command, input: &[u8]) -> BTreeSet<(String, String, String)> {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "oracle failed");
    String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].to_string(), f[1].to_string(), f[2].to_string())
        })
        .collect()
}

#[test]
fn pyvuln_findings_match_the_packaging_oracle() {
    let Some(t) = testdata() else { return };
    let Some(pypi) = shared_data("osv/PyPI") else {
        return;
    };
    let Some(python) = peers_python() else { return };
    let image = t.join("pyvuln.docker.tar");
    assert!(
        image.exists(),
        "pyvuln image missing: run scripts/build-test-images.sh"
    );
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("adv.db");
    import_db(&db, &pypi);

    let r = scan_with_db(&image, &db, &["--format", "json"]);
    assert_eq!(r["scanners"], serde_json::json!(["vulnerability"]));
    let vulns = findings(&r);
    let mut ours: BTreeSet<(String, String, String)> = BTreeSet::new();
    for v in vulns {
        assert_eq!(v["kind"], "vulnerability");
        for adv in v["evidence"]["advisories"].as_array().unwrap() {
            ours.insert((
                v["package"]["name"].as_str().unwrap().to_lowercase(),
                v["package"]["version"].as_str().unwrap().to_string(),
                adv.as_str().unwrap().to_string(),
            ));
        }
    }
    // Oracle over the image's Python packages as importlib.metadata listed them at build time.
    let pkgs = std::fs::read_to_string(t.join("pyvuln.expected-python.txt")).unwrap();
    let oracle: BTreeSet<(String, String, String)> = run_oracle(
        Command::new(python)
            .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/osv_pypi_oracle.py"))
            .arg(&pypi),
        pkgs.as_bytes(),
    )
    .into_iter()
    .map(|(n, v, a)| (n.to_lowercase(), v, a))
    .collect();
    assert!(
        oracle.len() > 20,
        "oracle found only {} advisories; image or data wrong",
        oracle.len()
    );
    let missing: Vec<_> = oracle.difference(&ours).collect();
    let extra: Vec<_> = ours.difference(&oracle).collect();
    println!(
        "pyvuln: {} (package, advisory) pairs from the packaging oracle, {} from bulkhead, {} agree",
        oracle.len(),
        ours.len(),
        oracle.intersection(&ours).count()
    );
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:#?}\nextra {extra:#?}"
    );
    // Findings are deduplicated: one per (package, primary id), aliases merged.
    let mut keys = BTreeSet::new();
    for v in vulns {
        assert!(
            keys.insert((
                v["package"]["key"].as_str().unwrap(),
                v["id"].as_str().unwrap()
            )),
            "duplicate finding {v}"
        );
    }
    println!("pyvuln: {} findings after alias merging", vulns.len());

    // The scan store records the findings under the image's digests.
    let store = dir.path().join("scans.db");
    let stored = scan_with_db(
        &image,
        &db,
        &["--format", "json", "--store", store.to_str().unwrap()],
    );
    let st = bulkhead_advisories::scanstore::ScanStore::open(&store).unwrap();
    let latest = st
        .latest(artifact(&stored)["image_id"].as_str().unwrap())
        .unwrap()
        .expect("scan recorded");
    assert_eq!(
        serde_json::to_value(&latest.target.findings).unwrap(),
        stored["targets"][0]["findings"]
    );

    // Gates: --exit-code with findings; --severity CRITICAL narrows; --ignore-unfixed drops no-fix ones.
    let out = bulkhead(&[
        "image",
        image.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
        "--exit-code",
        "3",
        "--no-cache",
    ]);
    assert_eq!(out.status.code(), Some(3));
    let crit = scan_with_db(&image, &db, &["--format", "json", "--severity", "CRITICAL"]);
    let crit = findings(&crit);
    assert!(crit.iter().all(|v| v["severity"] == "CRITICAL"));
    assert!(crit.len() < vulns.len());
    let fixed = scan_with_db(&image, &db, &["--format", "json", "--ignore-unfixed"]);
    assert!(
        findings(&fixed)
            .iter()
            .all(|v| v["fix"]["version"].is_string())
    );
}

/// npm: the real OSV npm records of ../shared (osv-scanner's offline snapshot) imported with
/// `db import`, the npmvuln image scanned, and every (package, advisory) pair compared with the same
/// OSV ranges evaluated by node-semver (the copy npm ships: tests/oracle/osv_npm_oracle.js).
#[test]
fn npmvuln_findings_match_the_node_semver_oracle() {
    let Some(t) = testdata() else { return };
    let Some(osv) = shared_data("osv/npm") else {
        return;
    };
    let image = t.join("npmvuln.docker.tar");
    assert!(
        image.exists(),
        "npmvuln image missing: run scripts/build-test-images.sh"
    );
    let npm_root = Command::new("npm").args(["root", "-g"]).output();
    let semver = npm_root
        .ok()
        .filter(|o| o.status.success())
        .map(|o| {
            PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()).join("npm/node_modules/semver")
        })
        .filter(|p| p.is_dir());
    let Some(semver) = semver else {
        assert!(
            std::env::var("BULKHEAD_STRICT").as_deref() != Ok("1"),
            "npm (with its node-semver) is needed"
        );
        println!("SKIP: npm absent; this test checked nothing");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("adv.db");
    import_db(&db, &osv);
    let r = scan_with_db(&image, &db, &["--format", "json"]);
    let mut ours: BTreeSet<(String, String, String)> = BTreeSet::new();
    for v in findings(&r) {
        if v["package"]["kind"] != "npm" {
            continue;
        }
        assert_eq!(
            v["package"]["purl"].as_str().unwrap().split('@').next(),
            Some(format!("pkg:npm/{}", v["package"]["name"].as_str().unwrap()).as_str())
        );
        for adv in v["evidence"]["advisories"].as_array().unwrap() {
            ours.insert((
                v["package"]["name"].as_str().unwrap().to_string(),
                v["package"]["version"].as_str().unwrap().to_string(),
                adv.as_str().unwrap().to_string(),
            ));
        }
    }
    let pkgs = std::fs::read_to_string(t.join("npmvuln.expected-npm.txt")).unwrap();
    let oracle = run_oracle(
        Command::new("node")
            .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/osv_npm_oracle.js"))
            .arg(&osv)
            .arg(&semver),
        pkgs.as_bytes(),
    );
    assert!(
        oracle.contains(&(
            "ansi-html".into(),
            "0.0.7".into(),
            "GHSA-whgm-jr23-g3j9".into()
        )),
        "the oracle finds the image's known advisory: {oracle:?}"
    );
    assert_eq!(ours, oracle);
    println!(
        "npmvuln: {} (package, advisory) pairs, node-semver oracle and bulkhead agree",
        oracle.len()
    );
}

/// Go modules of a project: `bulkhead fs` on Trivy's gomod fixture (three `go.mod` files) with the
/// Go vulnerability database of ../shared (OSV, 4,291 records) imported; every (module, version,
/// advisory) pair equals the same OSV ranges evaluated by golang.org/x/mod/semver
/// (tests/oracle/osv_go_oracle, built with Debian's golang-golang-x-mod-dev), and every module
/// Trivy's golden output flags is flagged (its ids come from another database, so the vulnerable
/// (module, version) pairs are compared, and its CVE ids must be among the findings' ids).
#[test]
fn gomod_findings_match_the_x_mod_semver_oracle_and_trivys_golden() {
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    let (osv, fixture) = (
        shared.join("osv/Go"),
        shared.join("pkgdb/lockfiles/trivy-repo/gomod"),
    );
    if !osv.is_dir() || !fixture.is_dir() {
        println!("SKIP: ../shared absent; this test checked nothing");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(oracle_bin) = go_oracle(dir.path()) else {
        return;
    };
    let db = dir.path().join("adv.db");
    import_db(&db, &osv);
    let r = fs_with_db(&fixture, &db);
    let mut ours: BTreeSet<(String, String, String)> = BTreeSet::new();
    let mut ids: BTreeSet<String> = BTreeSet::new();
    let mut vulnerable: BTreeSet<(String, String)> = BTreeSet::new();
    for v in findings(&r) {
        assert_eq!(v["package"]["kind"], "golang");
        let (m, ver) = (
            v["package"]["name"].as_str().unwrap().to_string(),
            v["package"]["version"].as_str().unwrap().to_string(),
        );
        ids.insert(v["id"].as_str().unwrap().to_string());
        for a in v["aliases"].as_array().into_iter().flatten() {
            ids.insert(a.as_str().unwrap().to_string());
        }
        for adv in v["evidence"]["advisories"].as_array().unwrap() {
            ours.insert((m.clone(), ver.clone(), adv.as_str().unwrap().to_string()));
        }
        vulnerable.insert((m, ver));
    }
    // The oracle over every module the three go.mod files require.
    let modules: BTreeSet<String> = r["targets"][0]["artifact"]["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{}\t{}",
                p["name"].as_str().unwrap(),
                p["version"].as_str().unwrap()
            )
        })
        .collect();
    assert!(modules.len() >= 18, "{modules:?}");
    let oracle = run_oracle(
        Command::new(&oracle_bin).arg(&osv),
        modules
            .iter()
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
            .as_bytes(),
    );
    assert!(oracle.len() > 20, "oracle found only {}", oracle.len());
    let missing: Vec<_> = oracle.difference(&ours).collect();
    let extra: Vec<_> = ours.difference(&oracle).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:#?}\nextra {extra:#?}"
    );
    // Trivy's golden: every module it flags, flagged; its CVE ids among ours.
    let golden: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(shared.join("scanner-goldens/trivy/gomod.json.golden")).unwrap(),
    )
    .unwrap();
    let mut golden_pairs = 0;
    for res in golden["Results"].as_array().unwrap() {
        for v in res["Vulnerabilities"].as_array().into_iter().flatten() {
            let pair = (
                v["PkgName"].as_str().unwrap().to_string(),
                v["InstalledVersion"].as_str().unwrap().to_string(),
            );
            assert!(
                vulnerable.contains(&pair),
                "Trivy flags {pair:?}, we do not"
            );
            let id = v["VulnerabilityID"].as_str().unwrap();
            if id.starts_with("CVE-") {
                assert!(
                    ids.contains(id),
                    "Trivy's {id} for {pair:?} is not among our ids"
                );
            }
            golden_pairs += 1;
        }
    }
    assert!(golden_pairs >= 3);
    println!(
        "gomod: {} (module, advisory) pairs equal to the x/mod/semver oracle; Trivy's {golden_pairs} golden findings all found",
        oracle.len()
    );
}

/// Build the Go module oracle (tests/oracle/osv_go_oracle, golang.org/x/mod/semver from Debian's
/// golang-golang-x-mod-dev) into `dir`; `None` (a SKIP line, or a failure under BULKHEAD_STRICT)
/// when Go or x/mod is absent.
fn go_oracle(dir: &std::path::Path) -> Option<PathBuf> {
    let gopath = PathBuf::from("/usr/share/gocode");
    let have_go = Command::new("go")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have_go
        || !gopath
            .join("src/golang.org/x/mod/semver/semver.go")
            .exists()
    {
        assert!(
            std::env::var("BULKHEAD_STRICT").as_deref() != Ok("1"),
            "go and golang-golang-x-mod-dev are needed (scripts/install-deps.sh)"
        );
        println!("SKIP: go or golang.org/x/mod absent; this test checked nothing");
        return None;
    }
    let oracle_bin = dir.join("osv-go-oracle");
    let built = Command::new("go")
        .args(["build", "-o"])
        .arg(&oracle_bin)
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/osv_go_oracle/main.go"))
        .env("GO111MODULE", "off")
        .env("GOPATH", &gopath)
        .env("GOFLAGS", "")
        .env("GOCACHE", dir.join("gocache"))
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    Some(oracle_bin)
}

/// Go binaries in an image (the langvuln test image: Debian's Go 1.19.8 builds, a module binary
/// with golang.org/x/net 0.7.0): every (module, version, advisory) pair — the `stdlib`
/// pseudo-module at the Go version included — equals the x/mod/semver oracle over the same OSV
/// records; and the Rust binary built with cargo-auditable is matched against RustSec.
#[test]
fn go_binaries_match_the_x_mod_semver_oracle() {
    let Some(t) = testdata() else { return };
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    let (osv, rustsec) = (shared.join("osv/Go"), shared.join("advisories-raw/rustsec"));
    if !osv.is_dir() || !rustsec.is_dir() {
        println!("SKIP: ../shared absent; this test checked nothing");
        return;
    }
    let image = t.join("langvuln.docker.tar");
    assert!(
        image.exists(),
        "langvuln image missing: run scripts/build-test-images.sh"
    );
    let dir = tempfile::tempdir().unwrap();
    let Some(oracle_bin) = go_oracle(dir.path()) else {
        return;
    };
    let db = dir.path().join("adv.db");
    import_db(&db, &osv);
    import_db(&db, &rustsec);
    import_db(&db, &shared.join("osv/Maven"));
    let r = scan_with_db(&image, &db, &["--format", "json"]);
    // Java: log4j-core 2.19.0 (Debian's jar) is in GHSA-3pxv-7cmr-fjr4's range [2.0-alpha1, 2.25.4).
    let log4j = findings(&r)
        .iter()
        .find(|f| f["package"]["name"] == "org.apache.logging.log4j:log4j-core")
        .expect("a finding for Debian's log4j-core jar");
    assert!(
        log4j["evidence"]["advisories"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "GHSA-3pxv-7cmr-fjr4"),
        "{log4j}"
    );
    assert_eq!(
        log4j["package"]["name"],
        "org.apache.logging.log4j:log4j-core"
    );
    assert_eq!(log4j["package"]["version"], "2.19.0");
    assert_eq!(log4j["location"]["file"], "usr/share/java/log4j-core.jar");
    assert_eq!(
        log4j["package"]["purl"],
        "pkg:maven/org.apache.logging.log4j/log4j-core@2.19.0"
    );
    let mut ours: BTreeSet<(String, String, String)> = BTreeSet::new();
    let mut crates: BTreeSet<String> = BTreeSet::new();
    for v in findings(&r) {
        let (name, version) = (
            v["package"]["name"].as_str().unwrap().to_string(),
            v["package"]["version"].as_str().unwrap().to_string(),
        );
        match v["package"]["kind"].as_str() {
            Some("golang") => {
                for adv in v["evidence"]["advisories"].as_array().unwrap() {
                    ours.insert((name.clone(), version.clone(), adv.as_str().unwrap().into()));
                }
            }
            Some("cargo") => {
                crates.insert(format!("{name}@{version}"));
            }
            _ => {}
        }
    }
    let modules: BTreeSet<String> = r["targets"][0]["artifact"]["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["kind"] == "golang" && p["version"].as_str().is_some_and(|v| !v.is_empty()))
        .map(|p| {
            format!(
                "{}\t{}",
                p["name"].as_str().unwrap(),
                p["version"].as_str().unwrap()
            )
        })
        .collect();
    assert!(modules.contains("stdlib\tv1.19.8"), "{modules:?}");
    let oracle = run_oracle(
        Command::new(&oracle_bin).arg(&osv),
        modules
            .iter()
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
            .as_bytes(),
    );
    assert!(
        oracle.iter().filter(|(m, _, _)| m == "stdlib").count() > 50,
        "Go 1.19.8 has many standard library advisories: {oracle:?}"
    );
    let missing: Vec<_> = oracle.difference(&ours).collect();
    let extra: Vec<_> = ours.difference(&oracle).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:#?}\nextra {extra:#?}"
    );
    // regex 1.5.4 (RUSTSEC-2022-0013), smallvec 1.6.0, time 0.1.43, chrono 0.4.19.
    for c in [
        "regex@1.5.4",
        "smallvec@1.6.0",
        "time@0.1.43",
        "chrono@0.4.19",
    ] {
        assert!(crates.contains(c), "{c} not flagged: {crates:?}");
    }
    // The Go vulnerability database rates nothing: a severity gate says what it leaves out.
    let o = bulkhead(&[
        "image",
        image.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
        "--no-cache",
        "--severity",
        "HIGH,CRITICAL",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("vulnerabilities of UNKNOWN severity are not shown") && err.contains("golang"),
        "{err}"
    );
    println!(
        "langvuln: {} (module, advisory) pairs of Go binaries equal to the x/mod/semver oracle; {} \
         vulnerable crates in the cargo-auditable binary",
        oracle.len(),
        crates.len()
    );
}

/// Rust crates of a project: `bulkhead fs` on the rustvuln project (Cargo.lock made by cargo for
/// pinned old crates) with the RustSec advisory database of ../shared imported; every (crate,
/// version, advisory) pair equals what the `semver` crate (Cargo's own version requirements)
/// decides from each advisory's `patched` and `unaffected` requirements read straight from the
/// RustSec files — independent of the import's conversion to OSV ranges. Withdrawn advisories do
/// not count.
#[test]
fn cargo_lock_findings_match_rustsec_requirements() {
    let Some(t) = testdata() else { return };
    let rustsec = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/advisories-raw/rustsec");
    if !rustsec.is_dir() {
        println!("SKIP: ../shared absent; this test checked nothing");
        return;
    }
    let project = t.join("rustvuln.project");
    assert!(
        project.join("Cargo.lock").exists(),
        "rustvuln project missing: run scripts/build-test-images.sh"
    );
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("adv.db");
    import_db(&db, &rustsec);
    let r = fs_with_db(&project, &db);
    let mut ours: BTreeSet<(String, String, String)> = BTreeSet::new();
    for v in findings(&r) {
        assert_eq!(v["package"]["kind"], "cargo");
        for adv in v["evidence"]["advisories"].as_array().unwrap() {
            ours.insert((
                v["package"]["name"].as_str().unwrap().to_string(),
                v["package"]["version"].as_str().unwrap().to_string(),
                adv.as_str().unwrap().to_string(),
            ));
        }
    }
    let crates: Vec<(String, String)> = r["targets"][0]["artifact"]["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(crates.len() >= 10, "{crates:?}");
    // The oracle: each advisory's TOML front matter, its requirements matched by `semver`.
    let mut oracle: BTreeSet<(String, String, String)> = BTreeSet::new();
    for (name, version) in &crates {
        let ver = semver::Version::parse(version).unwrap();
        let Ok(rd) = std::fs::read_dir(rustsec.join("crates").join(name)) else {
            continue;
        };
        for f in rd.flatten() {
            let text = std::fs::read_to_string(f.path()).unwrap();
            let front = text
                .strip_prefix("```toml\n")
                .and_then(|x| x.split_once("\n```"))
                .map(|x| x.0)
                .expect("front matter");
            let doc: toml::Table = toml::from_str(front).unwrap();
            let adv = doc["advisory"].as_table().unwrap();
            if adv.contains_key("withdrawn") {
                continue;
            }
            let reqs = |k: &str| -> Vec<semver::VersionReq> {
                doc.get("versions")
                    .and_then(|v| v.get(k))
                    .and_then(|v| v.as_array())
                    .into_iter()
                    .flatten()
                    .filter_map(|x| x.as_str())
                    .map(|x| semver::VersionReq::parse(x).unwrap())
                    .collect()
            };
            let safe = reqs("patched")
                .iter()
                .chain(reqs("unaffected").iter())
                .any(|q| q.matches(&ver));
            if !safe {
                oracle.insert((
                    name.clone(),
                    version.clone(),
                    adv["id"].as_str().unwrap().to_string(),
                ));
            }
        }
    }
    for want in [
        "RUSTSEC-2022-0013",
        "RUSTSEC-2020-0071",
        "RUSTSEC-2021-0003",
        "RUSTSEC-2020-0159",
    ] {
        assert!(
            oracle.iter().any(|(_, _, id)| id == want),
            "{want} expected among {oracle:?}"
        );
    }
    let missing: Vec<_> = oracle.difference(&ours).collect();
    let extra: Vec<_> = ours.difference(&oracle).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:#?}\nextra {extra:#?}"
    );
    println!(
        "rustvuln: {} (crate, advisory) pairs equal to semver over the RustSec requirements",
        oracle.len()
    );
}
