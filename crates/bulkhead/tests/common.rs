//! Shared helpers for the CLI integration tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// The test-image directory built by scripts/build-test-images.sh. When it is absent the suite says so
/// loudly; with BULKHEAD_STRICT=1 (set by scripts/test.sh and CI) absence is a failure.
pub fn testdata() -> Option<PathBuf> {
    let dir = PathBuf::from(
        std::env::var("BULKHEAD_TESTDATA").unwrap_or_else(|_| "/var/tmp/bulkhead-testdata".into()),
    );
    if dir.join("bookworm.stamp").exists() {
        return Some(dir);
    }
    if std::env::var("BULKHEAD_STRICT").as_deref() == Ok("1") {
        panic!(
            "test images missing in {} (run scripts/build-test-images.sh)",
            dir.display()
        );
    }
    eprintln!(
        "SKIP: test images absent in {} — run scripts/build-test-images.sh (this test checked nothing)",
        dir.display()
    );
    None
}

pub fn bulkhead(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bulkhead"))
        .args(args)
        .output()
        .expect("run bulkhead")
}

/// Run with extra environment variables, in `dir` when given. `XDG_CACHE_HOME` points at a
/// fresh directory unless set here, so no default database or cache of the machine is used.
pub fn bulkhead_in(dir: Option<&std::path::Path>, env: &[(&str, &str)], args: &[&str]) -> Output {
    let cache = tempfile::tempdir().unwrap();
    let mut c = Command::new(env!("CARGO_BIN_EXE_bulkhead"));
    c.args(args).env("XDG_CACHE_HOME", cache.path());
    for (k, v) in env {
        c.env(k, v);
    }
    if let Some(d) = dir {
        c.current_dir(d);
    }
    c.output().expect("run bulkhead")
}

/// Run and parse JSON stdout, asserting success. A Bulkhead report (it has `schema_version`) is
/// validated against docs/report.schema.json.
pub fn bulkhead_json(args: &[&str]) -> serde_json::Value {
    let out = bulkhead(args);
    assert!(
        out.status.success(),
        "bulkhead {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON output");
    if v.get("schema_version").is_some() {
        validate_report(&v);
    }
    v
}

/// Assert that `v` validates against the report schema (docs/report.schema.json).
pub fn validate_report(v: &serde_json::Value) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/report.schema.json");
    let schema: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).expect("docs/report.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the report schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(v)
        .take(20)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "JSON report does not match docs/report.schema.json: {errors:#?}"
    );
}

/// Run and return the inventory (the single target's artifact) of a JSON report, validated.
pub fn inventory_json(args: &[&str]) -> serde_json::Value {
    let r = bulkhead_json(args);
    assert_eq!(r["targets"].as_array().map(Vec::len), Some(1), "{r:#}");
    artifact(&r).clone()
}

/// The inventory of a JSON report in `stdout`, validated against the schema.
pub fn inventory_of(stdout: &[u8]) -> serde_json::Value {
    let r: serde_json::Value = serde_json::from_slice(stdout).expect("JSON output");
    validate_report(&r);
    artifact(&r).clone()
}

/// The first target's inventory of a JSON report.
pub fn artifact(report: &serde_json::Value) -> &serde_json::Value {
    &report["targets"][0]["artifact"]
}

/// The first target's findings of a JSON report.
pub fn findings(report: &serde_json::Value) -> &Vec<serde_json::Value> {
    report["targets"][0]["findings"]
        .as_array()
        .expect("findings of the first target")
}

/// (name, version, arch) rows of an expected-packages file.
pub fn expected_packages(path: &std::path::Path) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (
                f[0].to_string(),
                f[1].to_string(),
                f.get(2).unwrap_or(&"").to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

/// (name, full version, arch) rows of our JSON report.
pub fn report_packages(report: &serde_json::Value) -> Vec<(String, String, String)> {
    let pkgs = if report.get("targets").is_some() {
        &artifact(report)["packages"]
    } else {
        &report["packages"]
    };
    let mut v: Vec<_> = pkgs
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let mut version = String::new();
            if let Some(e) = p["epoch"].as_u64().filter(|e| *e > 0) {
                version.push_str(&format!("{e}:"));
            }
            version.push_str(p["version"].as_str().unwrap());
            if let Some(r) = p["release"].as_str() {
                version.push('-');
                version.push_str(r);
            }
            (
                p["name"].as_str().unwrap().to_string(),
                version,
                p["arch"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

/// `bulkhead db import --db DB SOURCE`, asserting success.
pub fn import_db(db: &std::path::Path, source: &std::path::Path) {
    let out = bulkhead(&[
        "db",
        "import",
        "--db",
        db.to_str().unwrap(),
        source.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `bulkhead image TARGET --db DB --no-cache EXTRA...` as parsed JSON (EXTRA must select a JSON format).
pub fn scan_with_db(
    target: &std::path::Path,
    db: &std::path::Path,
    extra: &[&str],
) -> serde_json::Value {
    let mut args = vec!["--no-cache"];
    args.extend_from_slice(extra);
    command_with_db("image", target, db, &args)
}

/// `bulkhead fs DIR --db DB --format json --list-all-pkgs` (a project's packages and findings) as
/// parsed JSON.
pub fn fs_with_db(dir: &std::path::Path, db: &std::path::Path) -> serde_json::Value {
    command_with_db("fs", dir, db, &["--format", "json", "--list-all-pkgs"])
}

fn command_with_db(
    command: &str,
    target: &std::path::Path,
    db: &std::path::Path,
    extra: &[&str],
) -> serde_json::Value {
    let mut args = vec![
        command,
        target.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    bulkhead_json(&args)
}

/// A root filesystem with the given Python packages (dist-info METADATA only) and an advisory database
/// imported from the repo's PyPI fixture records (pypa/advisory-database).
pub fn python_tree_with_db(dir: &std::path::Path, packages: &[(&str, &str)]) -> (PathBuf, PathBuf) {
    let root = dir.join("root");
    for (name, version) in packages {
        let di = root.join(format!(
            "usr/lib/python3/dist-packages/{name}-{version}.dist-info"
        ));
        std::fs::create_dir_all(&di).unwrap();
        std::fs::write(
            di.join("METADATA"),
            format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nLicense: MIT\n"),
        )
        .unwrap();
    }
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../bulkhead-advisories/tests/fixtures/osv/PyPI");
    let db = dir.join("adv.db");
    import_db(&db, &fixtures);
    (root, db)
}

/// A run of the CLI under resource bounds (the hostile-input suites).
pub struct Bounded {
    pub status: std::process::ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: String,
    /// Peak RSS in KiB (`/usr/bin/time`), when it could be measured.
    pub rss_kb: Option<u64>,
    pub took: std::time::Duration,
    /// Killed at the wall-time limit.
    pub timed_out: bool,
}

/// Address-space limit of the hostile runs (as the attacker ran them): 4 GiB.
pub const HOSTILE_AS_KIB: u64 = 4 << 20;

/// Run `bulkhead ARGS` (in `dir`, with `stdin` bytes when given) under a 4 GiB address-space limit
/// and `/usr/bin/time`, killed after `limit`. `XDG_CACHE_HOME` points at a fresh directory.
pub fn run_bounded(
    args: &[&str],
    dir: Option<&std::path::Path>,
    stdin: Option<&[u8]>,
    limit: std::time::Duration,
) -> Bounded {
    use std::io::Write;
    use std::process::Stdio;
    let scratch = tempfile::tempdir().unwrap();
    let rss_file = scratch.path().join("rss");
    let time = std::path::Path::new("/usr/bin/time");
    let mut script = format!("ulimit -v {HOSTILE_AS_KIB}; exec ");
    if time.exists() {
        script.push_str(&format!("/usr/bin/time -f %M -o '{}' ", rss_file.display()));
    }
    script.push_str("\"$@\"");
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg(script)
        .arg("sh")
        .arg(env!("CARGO_BIN_EXE_bulkhead"))
        .args(args)
        .env("XDG_CACHE_HOME", scratch.path().join("cache"))
        .env_remove("BULKHEAD_LOG")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(d) = dir {
        c.current_dir(d);
    }
    let start = std::time::Instant::now();
    let mut child = c.spawn().expect("run bulkhead");
    if let Some(data) = stdin {
        let mut w = child.stdin.take().unwrap();
        let data = data.to_vec();
        std::thread::spawn(move || {
            let _ = w.write_all(&data);
        });
    }
    // Drain the pipes on threads so a chatty child never blocks on a full pipe.
    let mut out_pipe = child.stdout.take().unwrap();
    let mut err_pipe = child.stderr.take().unwrap();
    let out_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = std::io::Read::read_to_end(&mut out_pipe, &mut v);
        v
    });
    let err_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = std::io::Read::read_to_end(&mut err_pipe, &mut v);
        v
    });
    let mut timed_out = false;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > limit {
            timed_out = true;
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let took = start.elapsed();
    let stdout = out_t.join().unwrap();
    let stderr = String::from_utf8_lossy(&err_t.join().unwrap()).into_owned();
    let rss_kb = std::fs::read_to_string(&rss_file)
        .ok()
        .and_then(|s| s.lines().last()?.trim().parse().ok());
    Bounded {
        status,
        stdout,
        stderr,
        rss_kb,
        took,
        timed_out,
    }
}

/// Assert a hostile run ended well: not killed, no signal (no abort), an exit code of `codes` with a
/// message on stderr for a non-zero one, peak RSS under `rss_mib`, and no panic text. Prints the
/// figures.
pub fn assert_bounded(what: &str, r: &Bounded, codes: &[i32], rss_mib: u64) {
    use std::os::unix::process::ExitStatusExt;
    eprintln!(
        "{what}: exit {:?}, {:?}, peak RSS {} MiB",
        r.status.code(),
        r.took,
        r.rss_kb.map_or("?".into(), |k| (k / 1024).to_string())
    );
    assert!(!r.timed_out, "{what}: killed after {:?} (hang)", r.took);
    assert!(
        r.status.signal().is_none() && r.status.code() != Some(134),
        "{what}: ended by a signal ({:?}): {}",
        r.status,
        r.stderr
    );
    let code = r.status.code().unwrap_or(-1);
    assert!(codes.contains(&code), "{what}: exit {code}: {}", r.stderr);
    // Exit 2 (and Falco's 1 for runtime errors) carry a message; a gate's own exit code need not.
    if code == 2 {
        assert!(
            r.stderr.contains("bulkhead: error:") || r.stderr.contains("error:"),
            "{what}: exit {code} without a message"
        );
    }
    assert!(
        !r.stderr.contains("panicked") && !r.stderr.contains("memory allocation of"),
        "{what}: {}",
        r.stderr
    );
    if let Some(kb) = r.rss_kb {
        assert!(
            kb <= rss_mib * 1024,
            "{what}: peak RSS {} MiB over the {rss_mib} MiB bound",
            kb / 1024
        );
    }
}

/// A child process (a service a test started) killed and reaped when dropped.
pub struct Killed(pub std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Whether `bin` is a command on `PATH`.
pub fn on_path(bin: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {bin}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Whether `bin` is installed; when it is not, says the test checked nothing (and fails under
/// `BULKHEAD_STRICT=1`, as CI runs).
#[allow(dead_code)]
pub fn have(bin: &str) -> bool {
    let ok = on_path(bin);
    if !ok {
        if std::env::var("BULKHEAD_STRICT").as_deref() == Ok("1") {
            panic!("{bin} not installed (BULKHEAD_STRICT=1)");
        }
        println!("SKIP: {bin} not installed (this test checked nothing)");
    }
    ok
}

/// Wait up to 20 s for a service the test started.
#[allow(dead_code)]
pub fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "{what} did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// A real `docker-registry serve` (distribution) on a free loopback port, storing under `dir`,
/// killed when dropped.
#[allow(dead_code)]
pub struct Registry {
    pub port: u16,
    _child: Killed,
}

#[allow(dead_code)]
impl Registry {
    pub fn start(dir: &std::path::Path) -> Registry {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cfg = dir.join("reg.yml");
        std::fs::write(
            &cfg,
            format!(
                "version: 0.1\nstorage: {{filesystem: {{rootdirectory: {}}}}}\nhttp: {{addr: 127.0.0.1:{port}}}\n",
                dir.join("data").display()
            ),
        )
        .unwrap();
        let child = Killed(
            Command::new("docker-registry")
                .args(["serve", cfg.to_str().unwrap()])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap(),
        );
        wait_for("docker-registry", || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        Registry {
            port,
            _child: child,
        }
    }

    /// Push a docker-archive as `repo:tag` with skopeo.
    pub fn push(&self, archive: &std::path::Path, reference: &str) {
        let st = Command::new("skopeo")
            .args([
                "copy",
                "-q",
                "--dest-tls-verify=false",
                &format!("docker-archive:{}", archive.display()),
                &format!("docker://127.0.0.1:{}/{reference}", self.port),
            ])
            .status()
            .unwrap();
        assert!(st.success(), "skopeo push of {} failed", archive.display());
    }
}

/// `../shared/data/<rel>` when it is there; else `None`, with a SKIP line saying the test checked
/// nothing.
#[allow(dead_code)]
pub fn shared_data(rel: &str) -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(rel);
    if p.exists() {
        Some(p)
    } else {
        println!(
            "SKIP: ../shared absent ({}); this test checked nothing",
            p.display()
        );
        None
    }
}
