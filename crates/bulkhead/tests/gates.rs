//! No silent pass, and the CLI conventions users expect, for `image`, `fs`, `sbom`, `db` and
//! `version`: each case here passed silently (exit 0, nothing on stderr) or behaved unlike Trivy
//! before issue 10.

mod common;
use common::*;
use std::path::Path;

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A tree with one vulnerable Python package and a database of the repo's fixture advisories.
fn tree() -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let (root, db) = python_tree_with_db(dir.path(), &[("PyYAML", "5.1")]);
    let (root, db) = (
        root.to_str().unwrap().to_string(),
        db.to_str().unwrap().to_string(),
    );
    (dir, root, db)
}

#[test]
fn typos_in_enum_values_are_usage_errors_listing_the_valid_ones() {
    let (_d, root, db) = tree();
    for (flag, value, valid) in [
        (
            "--severity",
            "SEVERE",
            "UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL",
        ),
        (
            "--format",
            "xml",
            "table, json, sarif, cyclonedx, spdx-json",
        ),
        ("--scanners", "vulns", "vuln, secret, hardening, none"),
        ("--image-src", "docker", "auto, podman"),
        ("--timeout", "soon", "expected e.g. 30s"),
        ("--platform", "linux", "os/arch"),
    ] {
        let o = bulkhead(&["image", &root, "--db", &db, flag, value, "--exit-code", "1"]);
        assert_eq!(o.status.code(), Some(2), "{flag} {value}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(
            e.contains(&format!("'{value}'")) && e.contains(valid),
            "{flag} {value}: {e}"
        );
        assert!(o.stdout.is_empty());
    }
    // Severities are accepted in any case, as Trivy does.
    let o = bulkhead(&["image", &root, "--db", &db, "--severity", "high,Critical"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Environment variables are typed the same way.
    let o = bulkhead_in(
        None,
        &[("BULKHEAD_SEVERITY", "SEVERE")],
        &["fs", &root, "--db", &db],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = bulkhead_in(
        None,
        &[("BULKHEAD_FORMAT", "json")],
        &["fs", &root, "--db", &db],
    );
    assert!(o.status.success());
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    validate_report(&r);
}

#[test]
fn vulnerability_gates_without_a_database_are_errors() {
    let (_d, root, _db) = tree();
    for extra in [
        &["--severity", "HIGH,CRITICAL", "--exit-code", "1"][..],
        &["--exit-code", "1"],
        &["--ignore-unfixed"],
        &["--format", "sarif"],
        &["--scanners", "vuln"],
    ] {
        let mut args = vec!["image", root.as_str()];
        args.extend_from_slice(extra);
        let o = bulkhead_in(None, &[], &args);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(
            e.contains("no advisory database")
                && e.contains("bulkhead db update")
                && e.contains("--scanners none"),
            "{extra:?}: {e}"
        );
        assert!(o.stdout.is_empty(), "{extra:?}");
    }
    // --scanners none cannot carry a gate (nothing could ever trip it).
    let o = bulkhead_in(
        None,
        &[],
        &["image", &root, "--scanners", "none", "--exit-code", "1"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--scanners none"), "{}", stderr(&o));
    // Without a gate, the inventory is reported, and stderr says that no vulnerability was looked for.
    let o = bulkhead_in(None, &[], &["image", &root, "--format", "json"]);
    assert!(o.status.success());
    assert!(stderr(&o).contains("inventory only"), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    validate_report(&r);
    assert!(r.get("scanners").is_none());
    // Asked for explicitly, the inventory is reported without a note.
    let o = bulkhead_in(None, &[], &["image", &root, "--scanners", "none", "-q"]);
    assert!(o.status.success() && o.stderr.is_empty(), "{}", stderr(&o));
}

#[test]
fn the_gate_trips_on_findings_and_the_table_shows_status() {
    let (_d, root, db) = tree();
    let o = bulkhead(&["image", &root, "--db", &db, "--exit-code", "5"]);
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
    let t = stdout(&o);
    // The vulnerability table (with its status column), not the package list.
    assert!(
        t.contains("Vulnerabilities: ") && t.contains("Status"),
        "{t}"
    );
    assert!(t.contains("CVE-2019-20477") && t.contains("fixed"), "{t}");
    assert!(!t.contains("Files │") && !t.contains("┆ Files"), "{t}");
    let all = bulkhead(&["image", &root, "--db", &db, "--list-all-pkgs"]);
    assert!(stdout(&all).contains("Files"), "{}", stdout(&all));
    // --severity narrowing to nothing passes the gate.
    let o = bulkhead(&[
        "image",
        &root,
        "--db",
        &db,
        "--severity",
        "LOW",
        "--exit-code",
        "5",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn colour_follows_no_color_and_clicolor_force() {
    let (_d, root, db) = tree();
    let args = ["image", root.as_str(), "--db", db.as_str()];
    let plain = bulkhead_in(None, &[], &args);
    assert!(!stdout(&plain).contains("\x1b["), "no colour into a pipe");
    let forced = bulkhead_in(None, &[("CLICOLOR_FORCE", "1")], &args);
    assert!(stdout(&forced).contains("\x1b["), "CLICOLOR_FORCE colours");
    let none = bulkhead_in(None, &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")], &args);
    assert!(!stdout(&none).contains("\x1b["), "NO_COLOR wins");
    // $COLUMNS narrows the table to the terminal's width.
    let narrow = bulkhead_in(None, &[("COLUMNS", "80")], &args);
    let widest = stdout(&narrow)
        .lines()
        .map(|l| l.chars().count())
        .max()
        .unwrap();
    assert!(widest <= 80, "widest line {widest}");
}

#[test]
fn output_files_follow_the_umask_and_dash_is_stdout() {
    let (d, root, _db) = tree();
    let out = d.path().join("report.json");
    let o = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "umask 027; exec '{}' fs '{root}' --scanners none --format json -o '{}'",
            env!("CARGO_BIN_EXE_bulkhead"),
            out.display()
        ))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640, "0666 & !027");
    let o = bulkhead(&[
        "fs",
        &root,
        "--scanners",
        "none",
        "--format",
        "json",
        "-o",
        "-",
    ]);
    assert!(o.status.success());
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    validate_report(&r);
    assert!(!Path::new("-").exists(), "no file named -");
}

#[test]
fn db_import_fails_loudly_and_leaves_no_database() {
    let d = tempfile::tempdir().unwrap();
    let db = d.path().join("t.db");
    let dbs = db.to_str().unwrap();
    let o = bulkhead(&["db", "import", "--db", dbs, "/nonexistent"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("/nonexistent"), "{}", stderr(&o));
    assert!(!db.exists(), "no empty database left behind");
    // A directory without advisories: refused, nothing created.
    let empty = d.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    std::fs::write(empty.join("README.md"), "# not advisories\n").unwrap();
    let o = bulkhead(&["db", "import", "--db", dbs, empty.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no advisory record"), "{}", stderr(&o));
    assert!(!db.exists());
    // A good import, then one with a broken file: the database is left byte-identical.
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../bulkhead-advisories/tests/fixtures/osv/PyPI");
    import_db(&db, &fixtures);
    let before = std::fs::read(&db).unwrap();
    let bad = d.path().join("broken.json");
    std::fs::write(&bad, "{\"id\": ").unwrap();
    let o = bulkhead(&[
        "db",
        "import",
        "--db",
        dbs,
        fixtures.to_str().unwrap(),
        bad.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("broken.json"), "{}", stderr(&o));
    assert_eq!(std::fs::read(&db).unwrap(), before);
    let leftovers: Vec<_> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn wrong_inputs_are_refused_with_the_command_to_use() {
    let d = tempfile::tempdir().unwrap();
    let df = d.path().join("Dockerfile");
    std::fs::write(&df, "FROM debian:12\nRUN apt-get update\n").unwrap();
    let o = bulkhead(&["image", df.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(&format!("bulkhead config {}", df.display())),
        "{}",
        stderr(&o)
    );
    let m = d.path().join("pod.yaml");
    std::fs::write(&m, "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n").unwrap();
    let o = bulkhead(&["sbom", m.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("Kubernetes manifest"), "{}", stderr(&o));
}

#[test]
fn platform_that_matches_nothing_is_an_error() {
    let Some(t) = testdata() else { return };
    let img = t.join("bookworm.docker.tar");
    let o = bulkhead(&[
        "image",
        img.to_str().unwrap(),
        "--platform",
        "linux/arm64",
        "--scanners",
        "none",
        "--no-cache",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("the image is linux/amd64; --platform linux/arm64 matches nothing"),
        "{}",
        stderr(&o)
    );
    let o = bulkhead(&[
        "image",
        img.to_str().unwrap(),
        "--platform",
        "linux/amd64",
        "--scanners",
        "none",
        "--no-cache",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // A directory has no platform.
    let d = tempfile::tempdir().unwrap();
    let o = bulkhead(&[
        "fs",
        d.path().to_str().unwrap(),
        "--platform",
        "linux/amd64",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no platform"), "{}", stderr(&o));
}

#[test]
fn skip_dirs_and_files_leave_paths_out() {
    let d = tempfile::tempdir().unwrap();
    let (root, db) = python_tree_with_db(d.path(), &[("PyYAML", "5.1"), ("Jinja2", "2.7")]);
    let r = root.to_str().unwrap();
    let all = bulkhead_json(&["fs", r, "--db", db.to_str().unwrap(), "--format", "json"]);
    assert_eq!(artifact(&all)["packages"].as_array().unwrap().len(), 2);
    let skipped = bulkhead_json(&[
        "fs",
        r,
        "--db",
        db.to_str().unwrap(),
        "--format",
        "json",
        "--skip-dirs",
        "/usr/lib/python3/dist-packages/PyYAML-*",
    ]);
    let names: Vec<&str> = artifact(&skipped)["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Jinja2"]);
    assert!(
        findings(&skipped)
            .iter()
            .all(|f| f["package"]["name"] != "PyYAML")
    );
    let files = bulkhead_json(&[
        "fs",
        r,
        "--scanners",
        "none",
        "--format",
        "json",
        "--skip-files",
        "**/METADATA",
    ]);
    assert_eq!(artifact(&files)["packages"].as_array().unwrap().len(), 0);
    let o = bulkhead(&["fs", r, "--skip-dirs", "a/[b"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--skip-dirs \"a/[b\""),
        "{}",
        stderr(&o)
    );
}

#[test]
fn trivyignore_in_the_working_directory_is_applied() {
    let (d, root, db) = tree();
    std::fs::write(
        d.path().join(".trivyignore"),
        "# accepted until the upgrade\nCVE-2019-20477\n",
    )
    .unwrap();
    let o = bulkhead_in(
        Some(d.path()),
        &[],
        &[
            "fs",
            &root,
            "--db",
            &db,
            "--format",
            "json",
            "--exit-code",
            "1",
        ],
    );
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    validate_report(&r);
    assert!(
        findings(&r).iter().all(|f| f["id"] != "CVE-2019-20477"),
        "{r:#}"
    );
    assert_eq!(r["suppressed"][0]["id"], "CVE-2019-20477");
    // A lower-case id would match nothing: refused, not silently ignored.
    std::fs::write(d.path().join(".trivyignore"), "cve-2019-20477\n").unwrap();
    let o = bulkhead_in(Some(d.path()), &[], &["fs", &root, "--db", &db]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("did you mean \"CVE-2019-20477\""),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_stalled_registry_fails_within_the_timeout() {
    // A server that accepts connections and never answers.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let _keep = std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in l.incoming().flatten() {
            held.push(s);
        }
    });
    let start = std::time::Instant::now();
    let o = bulkhead_in(
        None,
        &[],
        &[
            "image",
            &format!("registry://127.0.0.1:{port}/app:1"),
            "--timeout",
            "2s",
            "--scanners",
            "none",
        ],
    );
    let took = start.elapsed();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(took < std::time::Duration::from_secs(20), "took {took:?}");
    let e = stderr(&o).to_lowercase();
    assert!(e.contains("127.0.0.1") && e.contains("time"), "{e}");
}

#[test]
fn version_completions_and_man_pages() {
    let (_d, _root, db) = tree();
    let o = bulkhead(&["version", "--db", &db]);
    assert!(o.status.success());
    let t = stdout(&o);
    assert!(
        t.starts_with(&format!("Version: {}", env!("CARGO_PKG_VERSION")))
            && t.contains(&db)
            && t.contains("Records: ")
            && t.contains("age:"),
        "{t}"
    );
    let j = bulkhead(&["version", "--db", &db, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&j.stdout).unwrap();
    assert!(v["advisory_database"]["records"].as_u64().unwrap() > 0);
    let none = bulkhead_in(None, &[], &["version"]);
    assert!(
        stdout(&none).contains("Advisory database: none"),
        "{}",
        stdout(&none)
    );
    let c = bulkhead(&["completion", "bash"]);
    assert!(
        c.status.success() && stdout(&c).contains("_bulkhead()"),
        "{}",
        stdout(&c)
    );
    assert!(stdout(&c).contains("--skip-dirs"));
    let d = tempfile::tempdir().unwrap();
    let m = bulkhead(&["man", d.path().to_str().unwrap()]);
    assert!(m.status.success(), "{}", stderr(&m));
    let page = std::fs::read_to_string(d.path().join("bulkhead-image.1")).unwrap();
    assert!(
        page.contains(".TH bulkhead-image") && page.contains("skip\\-dirs"),
        "{page}"
    );
    assert!(d.path().join("bulkhead.1").is_file());
}

#[test]
fn config_reads_env_and_skip_patterns() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    std::fs::create_dir_all(p.join("app")).unwrap();
    std::fs::create_dir_all(p.join("vendor/chart")).unwrap();
    std::fs::write(p.join("app/Dockerfile"), "FROM debian\nUSER root\n").unwrap();
    std::fs::write(
        p.join("vendor/chart/pod.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: x, securityContext: {privileged: true}}]\n",
    )
    .unwrap();
    let root = p.to_str().unwrap();
    let run = |env: &[(&str, &str)], extra: &[&str]| {
        let mut args = vec!["config", root, "--format", "json"];
        args.extend_from_slice(extra);
        let o = bulkhead_in(Some(p), env, &args);
        let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|_| {
            panic!("{}", stderr(&o));
        });
        validate_report(&r);
        let names: Vec<String> = r["targets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                t["name"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect();
        (o, names)
    };
    let (_, all) = run(&[], &[]);
    assert_eq!(all, vec!["Dockerfile", "pod.yaml"]);
    let (_, skipped) = run(&[], &["--skip-dirs", "vendor/**"]);
    assert_eq!(skipped, vec!["Dockerfile"]);
    let (_, files) = run(&[("BULKHEAD_SKIP_FILES", "**/Dockerfile")], &[]);
    assert_eq!(files, vec!["pod.yaml"]);
    // The gate and the severity filter from the environment, typed as the flags are.
    let (o, _) = run(&[("BULKHEAD_EXIT_CODE", "4")], &[]);
    assert_eq!(o.status.code(), Some(4));
    let o = bulkhead_in(
        Some(p),
        &[("BULKHEAD_SEVERITY", "SEVERE")],
        &["config", root],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("'SEVERE'"), "{}", stderr(&o));
    // A config command does not take image formats.
    let o = bulkhead(&["config", root, "--format", "cyclonedx"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("table, json, sarif, junit"),
        "{}",
        stderr(&o)
    );
}
