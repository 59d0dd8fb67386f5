//! Language-ecosystem version orders against external ground truth:
//! - osv-scalibr's comparison lists (`tests/fixtures/lang/*.txt`, and the large `*-generated.txt`
//!   lists read from `../shared`), each line in both directions;
//! - the ecosystems' own implementations, run as live oracles over tens of thousands of pairs built
//!   from every version in those lists, every version named by the OSV records in `../shared`, and
//!   mutations of them (a fixed seed, so runs are reproducible): Python `packaging`, node-semver,
//!   `golang.org/x/mod/semver`, maven-artifact's `ComparableVersion`, Ruby's `Gem::Version`, and
//!   PHP with composer/semver. A missing oracle prints `SKIP: ...` (a failure with
//!   `BULKHEAD_STRICT=1`).
//!
//! Agreement must be 100 %; where a list disagrees with the ecosystem's own tool, the test says so
//! line by line and expects the tool's answer.

mod common_lang;

use bulkhead_versions::{composer, maven, nuget, pep440, rubygems, semver};
use common_lang::*;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

fn shared_cases(name: &str) -> Option<Vec<Case>> {
    shared(&format!("versions/osv-scalibr/{name}")).map(|p| read_cases(&p))
}

/// Lines of the osv-scalibr semver list (shared by npm, crates.io, Go) with a version the
/// ecosystem's parser rejects.
fn semver_list_overrides(cases: &[Case], rejects: impl Fn(&str) -> bool) -> Vec<String> {
    cases
        .iter()
        .filter(|c| rejects(&c.a) || rejects(&c.b))
        .map(|c| c.line.clone())
        .collect()
}

fn with_reason<'a>(
    lines: &'a [String],
    expected: &'a str,
    why: &'a str,
) -> Vec<(&'a str, &'a str, &'a str)> {
    lines.iter().map(|l| (l.as_str(), expected, why)).collect()
}

// =============================================================================================
// Lists
// =============================================================================================

#[test]
fn npm_semver_list() {
    let cases = read_cases(&fixture("semver-versions.txt"));
    // node-semver: numbers above Number.MAX_SAFE_INTEGER, and anything but three numbers.
    let bad = semver_list_overrides(&cases, |v| v.starts_with("999999") || v == "1.1.3.4.5");
    let ov = with_reason(
        &bad,
        "E",
        "node-semver rejects it (not major.minor.patch, or above 2^53-1)",
    );
    check_cases("npm semver-versions.txt", &cases, semver::compare_npm, &ov);
}

#[test]
fn crates_semver_list() {
    let cases = read_cases(&fixture("semver-versions.txt"));
    let bad = semver_list_overrides(&cases, |v| {
        v.starts_with('v') || v.starts_with("999999") || v == "1.1.3.4.5"
    });
    let ov = with_reason(
        &bad,
        "E",
        "Cargo's semver parser rejects it (`v` prefix, > u64, or 5 parts)",
    );
    check_cases(
        "crates.io semver-versions.txt",
        &cases,
        semver::compare,
        &ov,
    );
}

#[test]
fn go_semver_lists() {
    let cases = read_cases(&fixture("semver-versions.txt"));
    let bad = semver_list_overrides(&cases, |v| v == "1.1.3.4.5");
    let ov = with_reason(&bad, "E", "golang.org/x/mod/semver rejects 5 parts");
    check_cases("Go semver-versions.txt", &cases, semver::compare_go, &ov);
    let own = read_cases(&fixture("go-versions.txt"));
    check_cases("Go go-versions.txt", &own, semver::compare_go, &[]);
}

/// Check a PyPI list whose lines include pre-PEP 440 ("legacy") versions: osv-scalibr generated it
/// with a `packaging` that still had `LegacyVersion`; packaging 22+ rejects them, and so does this
/// module (`pypi_vs_packaging` runs every line through packaging 26 too). The number of such lines
/// is pinned, so a parser change that starts rejecting real versions shows up here.
fn check_pypi_list(label: &str, cases: Vec<Case>, expected_legacy: usize) {
    let valid = |v: &str| pep440::compare(v, v).is_ok();
    let (pep, legacy): (Vec<Case>, Vec<Case>) =
        cases.into_iter().partition(|c| valid(&c.a) && valid(&c.b));
    for c in &legacy {
        assert!(pep440::compare(&c.a, &c.b).is_err() && pep440::compare(&c.b, &c.a).is_err());
    }
    println!(
        "{label}: {} lines hold a legacy (non-PEP 440) version, rejected like packaging >= 22, e.g. {:?}",
        legacy.len(),
        legacy
            .iter()
            .take(3)
            .map(|c| c.line.as_str())
            .collect::<Vec<_>>()
    );
    assert_eq!(
        legacy.len(),
        expected_legacy,
        "{label}: legacy line count changed"
    );
    check_cases(label, &pep, pep440::compare, &[]);
}

#[test]
fn pypi_lists() {
    check_pypi_list(
        "PyPI pypi-versions.txt",
        read_cases(&fixture("pypi-versions.txt")),
        11,
    );
    if let Some(generated) = shared_cases("pypi-versions-generated.txt") {
        check_pypi_list("PyPI pypi-versions-generated.txt", generated, 69);
    }
}

/// Lines of osv-scalibr's Maven lists that follow the POM reference's "version order
/// specification" text rather than maven-artifact's `ComparableVersion` (3.8.7 and 3.9.9 both
/// answer `>` for every one of them).
const MAVEN_SPEC_NOT_IMPL: &str =
    "maven-artifact 3.8.7/3.9.9 answer >; the list follows the POM spec text";
const MAVEN_GENERATED_OVERRIDES: &[&str] = &[
    "1.0.0-RC16 < 1.0.0.RC8-beta",
    "1.0.0-gradle-rework-beta3 < 1.0.0.RC7-3",
    "2.9.0-1 < 2.9.0.RC1",
    "6.1.12.rc5 < 6.1.12rc1",
    "1.1.31.sec10 < 1.1.31_noneautotype",
    "1.1.34.sec10 < 1.1.34_noneautotype",
    "1.1.46.sec10 < 1.1.46_noneautotype",
    "1.2.8.sec10_noneautotype < 1.2.8_noneautotype",
    "1.2.31.sec10 < 1.2.31_noneautotype",
    "1.2.48.sec10 < 1.2.48_noneautotype",
    "1.2.50.sec10 < 1.2.50_noneautotype",
    "1.2.54.sec10 < 1.2.54_noneautotype",
    "1.2.57.sec10 < 1.2.57_noneautotype",
    "1.2.60.sec10 < 1.2.60_noneautotype",
    "1.2.67.sec10 < 1.2.67_noneautotype",
    "1.0.0rc0 < 1.0.beta8",
    "1.5.9.RC1 < 1.5.9-RC0",
    "1.1.0-01-glassfish < 1.1.0.Beta1",
];

#[test]
fn maven_lists() {
    let cases = read_cases(&fixture("maven-versions.txt"));
    check_cases(
        "Maven maven-versions.txt",
        &cases,
        maven::compare,
        &[("1-1 = 1-ga-1", ">", MAVEN_SPEC_NOT_IMPL)],
    );
    if let Some(generated) = shared_cases("maven-versions-generated.txt") {
        let ov: Vec<_> = MAVEN_GENERATED_OVERRIDES
            .iter()
            .map(|l| (*l, ">", MAVEN_SPEC_NOT_IMPL))
            .collect();
        check_cases(
            "Maven maven-versions-generated.txt",
            &generated,
            maven::compare,
            &ov,
        );
    }
}

#[test]
fn rubygems_lists() {
    let cases = read_cases(&fixture("rubygems-versions.txt"));
    let why = "Gem::Version rejects it: a letter must follow a `.` or `-` (Malformed version number string)";
    check_cases(
        "RubyGems rubygems-versions.txt",
        &cases,
        rubygems::compare,
        &[("1 > 1beta", "E", why), ("1 > 1gamma", "E", why)],
    );
    if let Some(generated) = shared_cases("rubygems-versions-generated.txt") {
        check_cases(
            "RubyGems rubygems-versions-generated.txt",
            &generated,
            rubygems::compare,
            &[],
        );
    }
}

#[test]
fn nuget_lists() {
    let cases = read_cases(&fixture("nuget-versions.txt"));
    check_cases("NuGet nuget-versions.txt", &cases, nuget::compare, &[]);
    let own = read_cases(&fixture("nuget-extra.txt"));
    check_cases("NuGet nuget-extra.txt", &own, nuget::compare, &[]);
}

#[test]
fn packagist_lists() {
    let cases = read_cases(&fixture("packagist-versions.txt"));
    let why = "PHP version_compare turns `#` into a separator: 1.2.3.# is 1.2.3. (empty last part); osv-scalibr keeps `#` as a number-like part";
    check_cases(
        "Packagist packagist-versions.txt",
        &cases,
        composer::compare,
        &[
            ("1.2.3.# = 1.2.3", "<", why),
            ("1.2.3.# = 1.2.3.1", "<", why),
        ],
    );
    if let Some(generated) = shared_cases("packagist-versions-generated.txt") {
        check_cases(
            "Packagist packagist-versions-generated.txt",
            &generated,
            composer::compare,
            &[],
        );
    }
}

// =============================================================================================
// Live oracles
// =============================================================================================

/// Cases of a fixture list plus its generated sibling in ../shared (when present).
fn all_cases(fixture_name: &str, generated: Option<&str>) -> Vec<Case> {
    let mut cases = read_cases(&fixture(fixture_name));
    if let Some(g) = generated
        && let Some(more) = shared_cases(g)
    {
        cases.extend(more);
    }
    cases
}

/// The list pairs themselves, then `n` generated ones. `BULKHEAD_LANG_PAIRS=N` and
/// `BULKHEAD_LANG_SEED=S` change the generated count and seed for longer exploratory runs.
fn pairs_for(
    cases: &[Case],
    pool: &[String],
    tokens: &[&str],
    seed: u64,
    n: usize,
) -> Vec<(String, String)> {
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    let n = env("BULKHEAD_LANG_PAIRS").map_or(n, |v| v as usize);
    let seed = seed ^ env("BULKHEAD_LANG_SEED").unwrap_or(0);
    let mut pairs: Vec<(String, String)> =
        cases.iter().map(|c| (c.a.clone(), c.b.clone())).collect();
    pairs.extend(gen_pairs(pool, tokens, seed, n / 3, n - n / 3));
    pairs
}

fn seeds(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|s| s.to_string()).collect()
}

fn has_non_ascii(a: &str, b: &str) -> bool {
    !a.is_ascii() || !b.is_ascii()
}

/// Longest run of ASCII digits in `s`.
fn longest_digit_run(s: &str) -> usize {
    s.split(|c: char| !c.is_ascii_digit())
        .map(str::len)
        .max()
        .unwrap_or(0)
}

fn python_with_packaging() -> Option<String> {
    let mut candidates = Vec::new();
    if let Ok(p) = std::env::var("BULKHEAD_PEERS") {
        candidates.push(format!("{p}/bin/python"));
    }
    candidates.push(
        manifest_dir()
            .join("../../.peers/bin/python")
            .display()
            .to_string(),
    );
    candidates.extend(["python3".to_string(), "/usr/bin/python3".to_string()]);
    candidates
        .into_iter()
        .find(|py| have(py, &["-c", "import packaging.version"]))
}

#[test]
fn pypi_vs_packaging() {
    let Some(py) = python_with_packaging() else {
        missing("Python `packaging` not installed (scripts/install-peers.sh puts it in .peers)");
        return;
    };
    let cases = all_cases("pypi-versions.txt", Some("pypi-versions-generated.txt"));
    let extra = seeds(&[
        "1.0",
        "1.0.0",
        "v1.0",
        "V1.0",
        "1!1.0",
        "01!01.01",
        "1.0a",
        "1.0.a.1",
        "1.0-a-1",
        "1.0_A_1",
        "1.0alpha1",
        "1.0beta",
        "1.0c1",
        "1.0pre1",
        "1.0preview1",
        "1.0rc",
        "1.0-1",
        "1.0-post1",
        "1.0.rev1",
        "1.0r",
        "1.0.post",
        "1.0.dev",
        "1.0dev1",
        "1.0-dev-1",
        "1.0a1.post2.dev3",
        "1.0+abc",
        "1.0+abc.5",
        "1.0+5.abc",
        "1.0+ABC-def_1",
        " 1.0 ",
        "\t1.0\n",
        "\u{85}1.0\u{a0}",
        "\u{1c}1.0",
        "1.0\u{3000}",
        "1.18446744073709551616",
        "1.99999999999999999999999999",
        "0.0",
        "0",
        "00",
        "1..0",
        "1.",
        ".1",
        "1.0+",
        "1.0-",
        "1.0.post.dev",
        "1.0a.1",
        "1.0.a.b",
    ]);
    let pool = pool_from(&cases, extra.into_iter().chain(osv_versions("PyPI")));
    let tokens = &[
        "!",
        "1!",
        "v",
        "V",
        "a",
        "b",
        "c",
        "rc",
        "alpha",
        "beta",
        "preview",
        "pre",
        "post",
        "rev",
        "r",
        "dev",
        "+",
        "+local",
        "+abc.1",
        "ubuntu",
        ".",
        "_",
        "-",
        " ",
        "\t",
        "\u{85}",
        "\u{a0}",
        "\u{1c}",
        "\u{3000}",
        "99999999999999999999999",
        "0000",
        "ALPHA",
        "Dev",
        "POST",
        "é",
        "\u{212a}",
        "\u{131}",
        "\u{130}",
        "\u{17f}",
        "\u{661}",
    ];
    let mut pairs = pairs_for(&cases, &pool, tokens, 0x5059_5049, 36_000);
    pairs.push(("1.".to_string() + &"0".repeat(4300) + "1", "1".to_string()));
    pairs.push(("1.".to_string() + &"1".repeat(4300), "1".to_string()));
    let file = write_pairs("pypi-pairs.txt", &pairs);
    let mut cmd = Command::new(&py);
    cmd.arg(script("pep440_oracle.py")).arg(&file);
    let (banner, out) = run_oracle("PyPI", &mut cmd, pairs.len());
    let modern = banner
        .strip_prefix("packaging ")
        .and_then(|v| v.split('.').next())
        .and_then(|m| m.parse::<u32>().ok())
        .is_some_and(|m| m >= 26);
    let mut t = Tally::default();
    for ((a, b), o) in pairs.iter().zip(&out) {
        if !modern && has_non_ascii(a, b) {
            t.skip("non-ASCII input: packaging < 26 matches letters with Unicode case folding");
            continue;
        }
        t.record(a, b, ours(pep440::compare, a, b), o);
    }
    t.finish("PyPI vs packaging");
}

/// node-semver, installed with npm into target/tmp on first use.
const NODE_SEMVER_VERSION: &str = "7.8.6";

fn node_semver_dir() -> Option<PathBuf> {
    if !have("node", &["--version"]) {
        missing("node not installed (apt package nodejs)");
        return None;
    }
    let prefix = tmp_dir().join(format!("node-semver-{NODE_SEMVER_VERSION}"));
    let dir = prefix.join("node_modules/semver");
    if dir.join("package.json").exists() {
        return Some(dir);
    }
    if !have("npm", &["--version"]) {
        missing("npm not installed (apt package npm)");
        return None;
    }
    let ok = Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--no-save",
            "--prefix",
        ])
        .arg(&prefix)
        .arg(format!("semver@{NODE_SEMVER_VERSION}"))
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok || !dir.join("package.json").exists() {
        missing(&format!(
            "`npm install semver@{NODE_SEMVER_VERSION}` failed (npm registry unreachable?)"
        ));
        return None;
    }
    Some(dir)
}

#[test]
fn npm_and_crates_vs_node_semver() {
    let Some(dir) = node_semver_dir() else { return };
    let cases = read_cases(&fixture("semver-versions.txt"));
    let extra = seeds(&[
        "1.2.3",
        "v1.2.3",
        "=1.2.3",
        "v=1.2.3",
        " =v1.2.3 ",
        "\u{feff}1.2.3",
        "\u{a0}1.2.3\u{2028}",
        "1.2.3beta",
        "1.2.3-beta",
        "1.2.3--",
        "1.2.3-",
        "1.2.34.5",
        "01.02.03",
        "1.2.3-01",
        "1.2.3-0.a",
        "1.2.3-a.0",
        "1.2.3+build.01",
        "1.2.3-alpha+build",
        "1.2",
        "1.2.3.4",
        "9007199254740991.0.0",
        "9007199254740992.0.0",
        "1.0.0-9007199254740990",
        "1.0.0-9007199254740991",
        "1.0.0-99999999999999999999",
        "1.0.0-100000000000000000000",
        "1.0.0-99999999999999999998",
        "0.0.0-20191109021931-daa7c04131f5",
        "18446744073709551615.0.0",
        "18446744073709551616.0.0",
    ]);
    let go: Vec<String> = osv_versions("Go");
    let pool = pool_from(
        &cases,
        extra.into_iter().chain(osv_versions("npm")).chain(go),
    );
    let tokens = &[
        "v",
        "=",
        " ",
        "\u{feff}",
        "\u{a0}",
        "\u{85}",
        "\u{2028}",
        "\t",
        "-",
        "+",
        ".",
        "build",
        "beta",
        "alpha",
        "0",
        "00",
        "9007199254740991",
        "9007199254740992",
        "99999999999999999999",
        "x",
        "*",
        "--",
        "-0",
        "+0",
        "a-b",
        "A",
    ];
    let mut pairs = pairs_for(&cases, &pool, tokens, 0x6E70_6D00, 36_000);
    let long = format!("1.2.3-{}", "a".repeat(250));
    pairs.push((long.clone(), "1.2.3".into()));
    pairs.push((format!(" {long}"), "1.2.3".into()));
    let file = write_pairs("npm-pairs.txt", &pairs);
    let mut cmd = Command::new("node");
    cmd.arg(script("node_semver_oracle.js"))
        .arg(&dir)
        .arg(&file);
    let (_, out) = run_oracle("npm", &mut cmd, pairs.len());
    let mut npm = Tally::default();
    let mut crates = Tally::default();
    for ((a, b), o) in pairs.iter().zip(&out) {
        let (loose, strict) = o.split_once(' ').expect("two columns");
        npm.record(a, b, ours(semver::compare_npm, a, b), loose);
        // crates.io (Cargo's parser) against node-semver's strict mode: same grammar, except that
        // node also takes a `v` prefix and surrounding blanks, and limits numbers to 2^53-1 and
        // versions to 256 characters, and compares numeric pre-release identifiers as doubles.
        let cargo = ours(semver::compare, a, b);
        if longest_digit_run(a).max(longest_digit_run(b)) > 15 {
            crates.skip("a digit run longer than 15 (node: 2^53 limit / double compare)");
        } else if a.len().max(b.len()) > 256 {
            crates.skip("longer than node-semver's 256 characters");
        } else if cargo == "E" && strict != "E" {
            let lax = |v: &str| {
                let t = v.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
                t != v || t.starts_with('v')
            };
            assert!(
                lax(a) || lax(b),
                "Cargo rejects, node strict accepts: {a:?} vs {b:?}"
            );
            crates.skip("node strict accepts a `v` prefix or blanks, Cargo does not");
        } else {
            crates.record(a, b, cargo, strict);
        }
    }
    npm.finish("npm vs node-semver (loose)");
    crates.finish("crates.io vs node-semver (strict)");
}

#[test]
fn go_vs_x_mod_semver() {
    let gopath = "/usr/share/gocode";
    if !have("go", &["version"]) {
        missing("go not installed (apt package golang-go)");
        return;
    }
    if !std::path::Path::new(gopath)
        .join("src/golang.org/x/mod/semver/semver.go")
        .exists()
    {
        missing("golang.org/x/mod/semver not installed (apt package golang-golang-x-mod-dev)");
        return;
    }
    let bin = tmp_dir().join("go-semver-oracle");
    let build = Command::new("go")
        .args(["build", "-o"])
        .arg(&bin)
        .arg(script("go_semver_oracle.go"))
        .env("GO111MODULE", "off")
        .env("GOPATH", gopath)
        .env("GOFLAGS", "")
        .env("GOCACHE", tmp_dir().join("go-cache"))
        .output()
        .expect("run go build");
    assert!(
        build.status.success(),
        "go build: {}",
        String::from_utf8_lossy(&build.stderr)
    );
    let mut cases = read_cases(&fixture("semver-versions.txt"));
    cases.extend(read_cases(&fixture("go-versions.txt")));
    let extra = seeds(&[
        "v1",
        "v1.2",
        "v1.2.3",
        "v1.2-pre",
        "v1-pre",
        "v01.2.3",
        "v1.02.3",
        "v1.2.3-01",
        "v1.2.3-0",
        "v1.2.3-a..b",
        "v1.2.3+",
        "v1.2.3+a..b",
        "v2.0.0+incompatible",
        "v2.0.0-rc.1+incompatible",
        "v0.0.0-20191109021931-daa7c04131f5",
        "v1.2.4-0.20191109021931-daa7c04131f5",
        "v1.2.3-pre.0.20191109021931-daa7c04131f5",
        "vv1.2.3",
        "V1.2.3",
        "v1.2.3 ",
        "0",
        "v0",
        "v99999999999999999999.0.0",
    ]);
    let pool = pool_from(&cases, extra.into_iter().chain(osv_versions("Go")));
    let tokens = &[
        "v",
        "+incompatible",
        "-0.20191109021931-daa7c04131f5",
        "-20191109021931-daa7c04131f5",
        "-pre",
        ".0",
        "-",
        "+",
        "0",
        "01",
        "-01",
        "99999999999999999999999",
        "-rc.1",
        ".",
        "a",
        " ",
    ];
    let pairs = pairs_for(&cases, &pool, tokens, 0x676F_0000, 36_000);
    // The oracle gets the `v`-prefixed strings this module parses.
    let with_v = |s: &str| {
        if s.starts_with('v') {
            s.to_string()
        } else {
            format!("v{s}")
        }
    };
    let vpairs: Vec<(String, String)> = pairs.iter().map(|(a, b)| (with_v(a), with_v(b))).collect();
    let file = write_pairs("go-pairs.txt", &vpairs);
    let (_, out) = run_oracle("Go", Command::new(&bin).arg(&file), pairs.len());
    let mut t = Tally::default();
    for ((a, b), o) in pairs.iter().zip(&out) {
        t.record(a, b, ours(semver::compare_go, a, b), o);
    }
    t.finish("Go vs golang.org/x/mod/semver");
}

fn maven_jars() -> Vec<PathBuf> {
    if let Ok(list) = std::env::var("BULKHEAD_MAVEN_ARTIFACT_JAR") {
        return list.split(',').map(PathBuf::from).collect();
    }
    let candidates = [
        "/usr/share/maven/lib/maven-artifact-3.x.jar",
        "/usr/share/java/maven3-artifact.jar",
        "/usr/share/java/maven-artifact.jar",
    ];
    let mut seen = BTreeSet::new();
    candidates
        .iter()
        .map(PathBuf::from)
        .filter(|p| p.exists())
        .filter(|p| seen.insert(p.canonicalize().unwrap_or_else(|_| p.clone())))
        .take(1)
        .collect()
}

#[test]
fn maven_vs_maven_artifact() {
    if !have("java", &["-version"]) {
        missing("java not installed (apt package default-jre-headless)");
        return;
    }
    let jars = maven_jars();
    if jars.is_empty() {
        missing("maven-artifact jar not installed (apt package libmaven3-core-java)");
        return;
    }
    let cases = all_cases("maven-versions.txt", Some("maven-versions-generated.txt"));
    let extra = seeds(&[
        "1",
        "1.0",
        "1-0",
        "1.0.0",
        "1-ga",
        "1.ga",
        "1-final",
        "1.release",
        "1-sp",
        "1-sp-1",
        "1-1",
        "1-ga-1",
        "1.0.0.RC1",
        "1.0.0-RC1",
        "1.0.0RC1",
        "1.0.X1",
        "1.0-X2",
        "2-X",
        "2.0.X",
        "1a1",
        "1-alpha-1",
        "1b",
        "1m1",
        "1cr1",
        "1rc1",
        "1-SNAPSHOT",
        "1.0-SNAPSHOT",
        "1.000000000000.1",
        "1.0.1",
        "2147483647",
        "2147483648",
        "9223372036854775807",
        "9223372036854775808",
        "99999999999999999999",
        "000000000000",
        "1..1",
        "1--1",
        "-1",
        ".1",
        "1.",
        "1-",
        "",
        "1.0.0.Final",
        "1.0.0.GA",
        "1.0.0.Beta2",
        "1.0.0-jre",
        "31.1-android",
        "1.0-\u{661}\u{662}",
        "\u{ff11}.\u{ff10}",
        "1.0-\u{130}",
        "1.0-\u{3a3}",
        "1.0-A\u{3a3}",
        "1.0-stra\u{df}e",
    ]);
    let pool = pool_from(&cases, extra.into_iter().chain(osv_versions("Maven")));
    let tokens = &[
        "-",
        ".",
        "alpha",
        "a",
        "b",
        "m",
        "milestone",
        "beta",
        "rc",
        "cr",
        "snapshot",
        "SNAPSHOT",
        "ga",
        "final",
        "release",
        "sp",
        "RELEASE",
        "Final",
        "GA",
        "-1",
        "0",
        "000000000000",
        "2147483648",
        "9223372036854775808",
        "99999999999999999999",
        "jre",
        "android",
        "M1",
        "RC1",
        "x",
        "é",
        "\u{661}\u{662}",
        "\u{ff10}",
        "\u{130}",
        "\u{3a3}",
        "\u{df}",
        "_",
    ];
    let pairs = pairs_for(&cases, &pool, tokens, 0x6D76_6E00, 36_000);
    let file = write_pairs("maven-pairs.txt", &pairs);
    for jar in jars {
        let label = format!("Maven ({})", jar.display());
        let mut cmd = Command::new("java");
        cmd.arg("-cp")
            .arg(&jar)
            .arg(script("MavenOracle.java"))
            .arg(&file);
        let (_, out) = run_oracle(&label, &mut cmd, pairs.len());
        let mut t = Tally::default();
        for ((a, b), o) in pairs.iter().zip(&out) {
            t.record(a, b, ours(maven::compare, a, b), o);
        }
        t.finish(&format!("{label} vs ComparableVersion"));
    }
}

#[test]
fn rubygems_vs_gem_version() {
    if !have("ruby", &["-e", "require 'rubygems'; Gem::Version"]) {
        missing("ruby not installed (apt package ruby)");
        return;
    }
    let cases = all_cases(
        "rubygems-versions.txt",
        Some("rubygems-versions-generated.txt"),
    );
    let extra = seeds(&[
        "1",
        "1.0",
        "1.0.0",
        "1.a",
        "1.0.a",
        "1.0.a.0",
        "1.a.0",
        "1-1",
        "1.pre.1",
        "1-a",
        "1.0-rc1",
        "1.0.rc1",
        "1.0.RC1",
        "1.0.b",
        "1.0.B",
        "",
        " ",
        "\t1.0\n",
        " 1.0 ",
        "1 .0",
        "1.",
        "1..0",
        "1-",
        "1.0-a..b",
        "a",
        ".1",
        "0",
        "00",
        "1.0\u{a0}",
        "1.0\u{0b}",
        "99999999999999999999999999999",
        "1.0-a-b",
        "1.0-a.b",
        "1.0--a",
    ]);
    let pool = pool_from(&cases, extra);
    let tokens = &[
        "-",
        ".",
        "pre",
        "a",
        "b",
        "rc",
        "0",
        "00",
        " ",
        "\t",
        "\n",
        "\u{a0}",
        "\u{0b}",
        "A",
        "Z",
        "99999999999999999999999999",
        "-1",
        ".a",
        "_",
    ];
    let pairs = pairs_for(&cases, &pool, tokens, 0x7275_6279, 30_000);
    let file = write_pairs("rubygems-pairs.txt", &pairs);
    let mut cmd = Command::new("ruby");
    cmd.arg(script("rubygems_oracle.rb")).arg(&file);
    let (_, out) = run_oracle("RubyGems", &mut cmd, pairs.len());
    let mut t = Tally::default();
    for ((a, b), o) in pairs.iter().zip(&out) {
        t.record(a, b, ours(rubygems::compare, a, b), o);
    }
    t.finish("RubyGems vs Gem::Version");
}

#[test]
fn packagist_vs_composer() {
    let autoload = "/usr/share/php/Composer/Semver/autoload.php";
    if !have("php", &["-v"]) {
        missing("php not installed (apt package php-cli)");
        return;
    }
    if !std::path::Path::new(autoload).exists() {
        missing("composer/semver not installed (apt package php-composer-semver)");
        return;
    }
    let cases = all_cases(
        "packagist-versions.txt",
        Some("packagist-versions-generated.txt"),
    );
    let extra = seeds(&[
        "1.0",
        "1.0.0",
        "v1.0",
        "V1.0",
        "vv1.0",
        "v.1",
        "1.0-dev",
        "1.0.x-dev",
        "dev-master",
        "dev-foo",
        "dev-Foo",
        "DEV-foo",
        "1.0a1",
        "1.0alpha",
        "1.0b",
        "1.0beta2",
        "1.0RC1",
        "1.0rc1",
        "1.0Rc1",
        "1.0pl1",
        "1.0p",
        "1.0patch1",
        "1.0-stable",
        "1.0#1",
        "#1.0",
        "#",
        "1.0-",
        "1.0.",
        "1.0+",
        "1.0_1",
        "1.0 1",
        "1.0..1",
        "-1.0",
        "_1",
        "+1",
        "1.0é",
        "1é",
        "é1",
        "1.0\0x",
        "a",
        "x.y",
        "99999999999999999999",
        "1.0.0.0",
        "4.3-2RC1",
        "1.0.0rc2",
        "1.0.0.rc2",
    ]);
    let pool = pool_from(&cases, extra.into_iter().chain(osv_versions("Packagist")));
    let tokens = &[
        "v",
        "V",
        "-",
        "_",
        "+",
        ".",
        "dev",
        "dev-",
        "alpha",
        "a",
        "beta",
        "b",
        "RC",
        "rc",
        "Rc",
        "#",
        "pl",
        "p",
        "patch",
        "stable",
        "x",
        "é",
        "\0",
        " ",
        "99999999999999999999",
        "00",
        "~",
    ];
    let pairs = pairs_for(&cases, &pool, tokens, 0x7068_7000, 36_000);
    let file = write_pairs("packagist-pairs.txt", &pairs);
    let mut cmd = Command::new("php");
    cmd.arg(script("composer_oracle.php"))
        .arg(autoload)
        .arg(&file);
    let (_, out) = run_oracle("Packagist", &mut cmd, pairs.len());
    let mut t = Tally::default();
    let mut php_inconsistent = 0usize;
    for ((a, b), o) in pairs.iter().zip(&out) {
        let (ab, ba) = o.split_once(' ').expect("two columns");
        let mine = ours(composer::compare, a, b);
        let ab = if ab == "N" { "E" } else { ab };
        let ba = if ba == "N" { "E" } else { ba };
        if longest_digit_run(a).max(longest_digit_run(b)) > 18 {
            t.skip("a digit run beyond 18 digits (PHP's strtol saturates; compared exactly here)");
        } else if ab != flip(ba) {
            // PHP itself is not antisymmetric here (trailing separators): ours must be one of its
            // two answers, or `=` where PHP calls each side smaller than the other (both end in an
            // empty part, e.g. `1.0+` vs `1.0+`).
            php_inconsistent += 1;
            let ok = mine == ab || mine == flip(ba) || (ab == ba && mine == "=");
            t.record(a, b, mine, if ok { mine } else { ab });
        } else {
            t.record(a, b, mine, ab);
        }
    }
    println!(
        "Packagist: {php_inconsistent} pairs where PHP answers (a,b) and (b,a) inconsistently"
    );
    t.finish("Packagist vs Composer\\Semver\\Comparator");
}

// =============================================================================================
// Hostile input: every scheme, no panics, reflexive and antisymmetric where it orders
// =============================================================================================

#[test]
fn odd_input_never_panics() {
    let schemes: &[(&str, CmpFn)] = &[
        ("crates.io", semver::compare),
        ("npm", semver::compare_npm),
        ("go", semver::compare_go),
        ("pypi", pep440::compare),
        ("maven", maven::compare),
        ("rubygems", rubygems::compare),
        ("nuget", nuget::compare),
        ("packagist", composer::compare),
    ];
    let mut inputs: Vec<String> = seeds(&[
        "",
        " ",
        "\0",
        "v",
        "V",
        ".",
        "-",
        "+",
        "#",
        "1",
        "1.",
        ".1",
        "1..2",
        "1--2",
        "dev-",
        "0!0",
        "\u{feff}",
        "\u{10ffff}",
        "\u{d7ff}",
        "é",
        "Σ",
        "İ",
        "1.0\0",
        "\u{661}",
        "9".repeat(5000).as_str(),
        "0".repeat(5000).as_str(),
    ]);
    inputs.push("1-".repeat(50_000));
    inputs.push("1.".repeat(50_000));
    inputs.push("a1".repeat(50_000));
    inputs.push(format!("1.0.0-{}", "a.".repeat(20_000)));
    inputs.push(format!("1.0+{}", "x".repeat(100_000)));
    let mut rng = Rng(0xF00D);
    let base = inputs.clone();
    for _ in 0..2000 {
        let s = rng.pick(&base).clone();
        let s: String = s.chars().take(1000).collect();
        inputs.push(mutate(
            &mut rng,
            &s,
            &["1", ".", "-", "+", "a", "#", "!", "é", "\u{10000}"],
        ));
    }
    for (name, cmp) in schemes {
        for a in &inputs {
            if let Ok(o) = cmp(a, a) {
                assert_eq!(
                    o,
                    std::cmp::Ordering::Equal,
                    "{name}: {a:?} not equal to itself"
                );
            }
        }
        for _ in 0..4000 {
            let a = rng.pick(&inputs);
            let b = rng.pick(&inputs);
            let _ = ours(*cmp, a, b);
        }
    }
}
