//! `bulkhead runtime monitor` on this machine's kernel, end to end: the eBPF sensor, the upstream
//! falco_rules.yaml unchanged, real attacks in real podman containers (runc, from the test images
//! scripts/build-test-images.sh builds), container metadata from a real `podman system service`
//! socket. Each attack must raise its stable rule with the container's id, name and image; each
//! benign twin must raise nothing. Needs root (BPF), podman and runc: without them the test says
//! so loudly, and fails under BULKHEAD_STRICT=1 (CI).

mod common;
use common::{Killed, on_path as have, testdata};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const RULES: &str = "../../../shared/data/falco/rules/falcosecurity-rules/falco_rules.yaml";

fn strict() -> bool {
    std::env::var("BULKHEAD_STRICT").as_deref() == Ok("1")
}

fn skip(why: &str) {
    assert!(!strict(), "BULKHEAD_STRICT=1: {why}");
    eprintln!("SKIP: {why} (this test checked nothing)");
}

fn rules() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(RULES);
    if p.exists() {
        Some(p)
    } else {
        skip(&format!("{} is absent (../shared not here)", p.display()));
        None
    }
}

/// `podman run --rm` of one command in a named container; its full id (from --cidfile).
fn run(dir: &Path, name: &str, image: &str, extra: &[&str], cmd: &[&str]) -> String {
    let cidfile = dir.join(format!("{name}.cid"));
    let mut c = Command::new("podman");
    c.args([
        "--runtime",
        "runc",
        "--cgroup-manager",
        "cgroupfs",
        "run",
        "--rm",
    ])
    .args(["--name", name, "--cidfile"])
    .arg(&cidfile)
    .args(extra)
    .arg(image)
    .args(cmd)
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    let st = c.status().unwrap();
    // Attacks may fail on purpose (nc to a closed port); the container must have run.
    let id = std::fs::read_to_string(&cidfile).unwrap_or_default();
    assert_eq!(
        id.trim().len(),
        64,
        "container {name} did not run (status {st})"
    );
    id.trim().to_string()
}

type Case<'a> = (&'a str, &'a str, Vec<&'a str>, &'a str, Option<&'a str>);

/// One sensor at a time (each monitor sees every container of the machine).
static ONE: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The one-monitor-at-a-time lock, when the eBPF sensor can run (root); else a SKIP (a failure
/// under BULKHEAD_STRICT=1) and `None`.
fn root_monitor() -> Option<std::sync::MutexGuard<'static, ()>> {
    let one = ONE.lock().unwrap_or_else(|e| e.into_inner());
    if unsafe { libc::geteuid() } != 0 {
        skip("the eBPF sensor needs root");
        return None;
    }
    Some(one)
}

/// Starts a podman API service and the monitor (with `extra` flags), runs every case in its
/// container, waits `settle`, stops the monitor with SIGTERM and checks each case: its rule with
/// the container's id and image, or no alert at all. Returns the alerts; `None` when skipped.
fn scenario(
    rules: Option<PathBuf>,
    cases: &[Case],
    extra: &[std::ffi::OsString],
    settle: Duration,
) -> Option<Vec<serde_json::Value>> {
    scenario_tolerating(rules, cases, extra, settle, &[])
}

/// [`scenario`], where the `tolerated` rules may fire in any container (rules that fire on every
/// container start, so on benign twins too).
fn scenario_tolerating(
    rules: Option<PathBuf>,
    cases: &[Case],
    extra: &[std::ffi::OsString],
    settle: Duration,
    tolerated: &[&str],
) -> Option<Vec<serde_json::Value>> {
    let _one = ONE.lock().unwrap_or_else(|e| e.into_inner());
    let _t = testdata()?;
    let rules = match rules {
        Some(r) => r,
        None => self::rules()?,
    };
    if !have("podman") || !have("runc") {
        skip("podman and runc are needed");
        return None;
    }
    if unsafe { libc::geteuid() } != 0 {
        skip("the eBPF sensor needs root");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("podman.sock");
    let _svc = Killed(
        Command::new("podman")
            .args([
                "--runtime",
                "runc",
                "--cgroup-manager",
                "cgroupfs",
                "system",
                "service",
                "--time=0",
            ])
            .arg(format!("unix://{}", sock.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let t0 = Instant::now();
    while !sock.exists() {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "podman system service did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut mon = Command::new(env!("CARGO_BIN_EXE_bulkhead"))
        .args(["runtime", "monitor", "-r"])
        .arg(&rules)
        .args([
            "-o",
            "json_output=true",
            "-p",
            "container",
            "-M",
            "300",
            "--container-socket",
        ])
        .arg(&sock)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Ready once it says it opened the source (Falco's "Opening 'syscall' source" line).
    let stderr = mon.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut log = Vec::new();
    loop {
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(l) => {
                let ready = l.contains("Opening 'syscall' source");
                log.push(l);
                if ready {
                    break;
                }
            }
            Err(_) => panic!("monitor did not start: {log:#?}"),
        }
    }
    let stdout = mon.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<String>>()
    });
    let d = dir.path();
    let mut ids = std::collections::HashMap::new();
    for (name, image, extra, cmd, _) in cases {
        // The container lingers 2 s after its command: its metadata is asked for when its first
        // process starts, and a `--rm` container gone before the engine answers has none (as with
        // Falco's engine lookups) — 1 s was seen too short on this 2-core VM under load.
        let script = format!("{cmd}; sleep 2");
        ids.insert(*name, run(d, name, image, extra, &["sh", "-c", &script]));
    }
    // Let the last events through, then stop as a service manager would: SIGTERM.
    std::thread::sleep(settle);
    unsafe { libc::kill(mon.id() as i32, libc::SIGTERM) };
    let status = mon.wait().unwrap();
    let lines = reader.join().unwrap();
    log.extend(rx.try_iter());
    assert!(status.success(), "monitor exit {status}: {log:#?}");
    let alerts: Vec<serde_json::Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let by_container = |name: &str| -> Vec<&serde_json::Value> {
        alerts
            .iter()
            .filter(|a| a["output_fields"]["container.name"] == name)
            .collect()
    };
    let summary: Vec<String> = alerts
        .iter()
        .map(|a| {
            format!(
                "{} [{}] {}",
                a["rule"], a["output_fields"]["container.name"], a["output_fields"]["container.id"]
            )
        })
        .collect();
    let mut fired = 0;
    for (name, image, _, _, rule) in cases {
        let got = by_container(name);
        let rules: Vec<&str> = got.iter().filter_map(|a| a["rule"].as_str()).collect();
        match rule {
            Some(rule) => {
                let a = got
                    .iter()
                    .find(|a| a["rule"] == *rule)
                    .unwrap_or_else(|| panic!("{name}: no {rule:?} alert (got {rules:?}); all alerts: {summary:#?}; monitor log: {log:#?}"));
                let f = &a["output_fields"];
                assert_eq!(f["container.id"], ids[name][..12], "{name}");
                assert_eq!(f["container.image.repository"], *image, "{name}");
                assert_eq!(a["source"], "syscall");
                assert!(a["output"].as_str().unwrap().contains(&ids[name][..12]));
                fired += 1;
            }
            None => {
                let got: Vec<_> = got
                    .iter()
                    .filter(|a| !tolerated.iter().any(|t| a["rule"] == *t))
                    .collect();
                assert!(got.is_empty(), "{name} (benign) raised {rules:?}: {got:#?}")
            }
        }
    }
    println!(
        "monitor: {fired}/{} attacks raised their rule with container id and image; {} benign twins raised nothing ({} alerts)",
        cases.iter().filter(|c| c.4.is_some()).count(),
        cases.iter().filter(|c| c.4.is_none()).count(),
        alerts.len()
    );
    Some(alerts)
}

#[test]
fn attacks_in_containers_raise_their_rules_and_benign_twins_nothing() {
    let (deb, bb) = ("localhost/bh-test/bookworm", "localhost/bh-test/busybox");
    // (container name, image, extra podman flags, shell command, the rule it must raise or
    // None). Each container lives two seconds after its command: the engine is asked for its
    // metadata when its first process starts, and a container removed before the answer has
    // none (as with Falco's engine lookups).
    let cases: Vec<Case> = vec![
        (
            "bh-tty",
            deb,
            vec!["-t"],
            "true",
            Some("Terminal shell in container"),
        ),
        ("bh-notty", deb, vec![], "true", None),
        (
            "bh-shadow",
            deb,
            vec![],
            "cat /etc/shadow",
            Some("Read sensitive file untrusted"),
        ),
        ("bh-hostname", deb, vec![], "cat /etc/hostname", None),
        (
            "bh-keys",
            deb,
            vec![],
            "find /etc -name id_rsa",
            Some("Search Private Keys or Passwords"),
        ),
        ("bh-find", deb, vec![], "find /etc -name hostname", None),
        (
            "bh-clearlog",
            deb,
            vec![],
            "echo x > /var/log/syslog",
            Some("Clear Log Activities"),
        ),
        (
            "bh-appendlog",
            deb,
            vec![],
            "echo x >> /var/log/syslog",
            None,
        ),
        (
            "bh-shred",
            deb,
            vec![],
            "echo x > /tmp/f && shred -u /tmp/f",
            Some("Remove Bulk Data from Disk"),
        ),
        ("bh-rm", deb, vec![], "echo x > /tmp/f && rm /tmp/f", None),
        (
            "bh-symlink",
            deb,
            vec![],
            "ln -s /etc/shadow /tmp/s",
            Some("Create Symlink Over Sensitive Files"),
        ),
        (
            "bh-symlink-ok",
            deb,
            vec![],
            "ln -s /etc/hostname /tmp/s",
            None,
        ),
        (
            "bh-hardlink",
            deb,
            vec![],
            "ln /etc/shadow /tmp/h",
            Some("Create Hardlink Over Sensitive Files"),
        ),
        (
            "bh-hardlink-ok",
            deb,
            vec![],
            "ln /etc/hostname /tmp/h",
            None,
        ),
        (
            "bh-drop",
            deb,
            vec![],
            "cp /bin/true /tmp/dropped && /tmp/dropped",
            Some("Drop and execute new binary in container"),
        ),
        ("bh-imagebin", deb, vec![], "/bin/true", None),
        (
            "bh-shm",
            deb,
            vec!["--tmpfs", "/dev/shm:rw,exec"],
            "cp /bin/true /dev/shm/x && /dev/shm/x",
            Some("Execution from /dev/shm"),
        ),
        (
            "bh-nc",
            bb,
            vec![],
            "ln -s /bin/busybox /tmp/nc && /tmp/nc 127.0.0.1 9 -e /bin/sh",
            Some("Netcat Remote Code Execution in Container"),
        ),
        (
            "bh-nc-ok",
            bb,
            vec![],
            "ln -s /bin/busybox /tmp/nc && /tmp/nc -w 1 127.0.0.1 9",
            None,
        ),
        (
            "bh-revshell",
            bb,
            vec![],
            "(busybox nc -l -p 4444 </dev/null >/dev/null &); sleep 0.5; busybox nc 127.0.0.1 4444 -e /bin/true",
            Some("Redirect STDOUT/STDIN to Network Connection in Container"),
        ),
        (
            "bh-connect",
            bb,
            vec![],
            "(busybox nc -l -p 4444 </dev/null >/dev/null &); sleep 0.5; busybox nc -w 1 127.0.0.1 4444 </dev/null",
            None,
        ),
    ];
    scenario(None, &cases, &[], Duration::from_secs(2));
}

/// The upstream incubating rules unchanged, on the system calls only they use: `unshare` of a user
/// namespace by a process without CAP_SYS_ADMIN, and `fchmod` setting the setuid bit (perl's
/// `chmod` on a handle). The `unshare` container runs without seccomp: podman's default profile
/// refuses `unshare` before the syscall tracepoint sees it (Falco sees nothing there either).
#[test]
fn incubating_rules_fire_on_unshare_and_fchmod_in_containers() {
    let deb = "localhost/bh-test/bookworm";
    let shared = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/falco/rules/falcosecurity-rules/falco-incubating_rules.yaml");
    if !shared.exists() {
        return skip("../shared is absent");
    }
    let fchmod = |mode: &str| {
        format!(
            "echo x > /tmp/f && perl -e 'open(my $f, q(<), q(/tmp/f)) or die; chmod({mode}, $f) or die'"
        )
    };
    let (setuid, plain) = (fchmod("04755"), fchmod("0755"));
    let cases: Vec<Case> = vec![
        (
            "bh-unshare",
            deb,
            vec!["--security-opt", "seccomp=unconfined"],
            "unshare -U true",
            Some("Change namespace privileges via unshare"),
        ),
        (
            "bh-nounshare",
            deb,
            vec!["--security-opt", "seccomp=unconfined"],
            "true",
            None,
        ),
        (
            "bh-fchmod-suid",
            deb,
            vec![],
            &setuid,
            Some("Set Setuid or Setgid bit"),
        ),
        ("bh-fchmod", deb, vec![], &plain, None),
    ];
    // "Launch Excessively Capable Container" fires on every container here: runc's init stage
    // (`runc:[1:CHILD]`, pid 1 of the new namespace) execs with the full capability set before
    // dropping to the container's — the same kernel events Falco gets.
    let alerts = scenario_tolerating(
        Some(shared),
        &cases,
        &[],
        Duration::from_secs(2),
        &["Launch Excessively Capable Container"],
    );
    if let Some(alerts) = alerts {
        let runc = alerts
            .iter()
            .filter(|a| a["rule"] == "Launch Excessively Capable Container")
            .all(|a| a["output"].as_str().unwrap_or("").contains("process=runc:"));
        assert!(runc, "the tolerated rule fired only for runc's init stage");
    }
}

/// `--capture` records the live stream; replayed, it gives the very same alerts. (A few cases:
/// recording every event costs the debug build of the test suite much more than a release.)
#[test]
fn a_live_capture_replays_to_the_same_alerts() {
    let deb = "localhost/bh-test/bookworm";
    let cases: Vec<Case> = vec![
        (
            "bh-cap-shadow",
            deb,
            vec![],
            "cat /etc/shadow",
            Some("Read sensitive file untrusted"),
        ),
        (
            "bh-cap-keys",
            deb,
            vec![],
            "find /etc -name id_rsa",
            Some("Search Private Keys or Passwords"),
        ),
        ("bh-cap-ok", deb, vec![], "cat /etc/hostname", None),
    ];
    let dir = tempfile::tempdir().unwrap();
    let cap = dir.path().join("live.bhcap");
    // Two rules of the upstream file's kind (recording resolves every field of every event a rule
    // can match: with the whole upstream file the debug build of the suite falls seconds behind,
    // and a `--rm` container's cgroup is gone before its events are read).
    let rules = dir.path().join("rules.yaml");
    std::fs::write(
        &rules,
        "- rule: Read sensitive file untrusted\n  desc: d\n  condition: evt.type in (open, openat) and evt.dir=< and fd.name=/etc/shadow and container.id != host\n  output: \"Sensitive file opened for reading by non-trusted program | file=%fd.name command=%proc.cmdline\"\n  priority: WARNING\n- rule: Search Private Keys or Passwords\n  desc: d\n  condition: evt.type=execve and evt.dir=< and proc.name=find and proc.args contains id_rsa and container.id != host\n  output: \"Grep private keys or passwords activities found | command=%proc.cmdline\"\n  priority: WARNING\n",
    )
    .unwrap();
    let Some(alerts) = scenario(
        Some(rules.clone()),
        &cases,
        &["--capture".into(), cap.clone().into()],
        Duration::from_secs(6),
    ) else {
        return;
    };
    let replay = Command::new(env!("CARGO_BIN_EXE_bulkhead"))
        .args(["runtime", "replay", "-q", "-r"])
        .arg(&rules)
        .args(["-o", "json_output=true", "-p", "container", "-e"])
        .arg(&cap)
        .output()
        .unwrap();
    assert!(
        replay.status.success(),
        "{}",
        String::from_utf8_lossy(&replay.stderr)
    );
    let key = |a: &serde_json::Value| (a["rule"].to_string(), a["output"].to_string());
    let replayed: Vec<_> = String::from_utf8_lossy(&replay.stdout)
        .lines()
        .map(|l| key(&serde_json::from_str(l).unwrap()))
        .collect();
    let live: Vec<_> = alerts.iter().map(key).collect();
    assert!(!live.is_empty());
    assert_eq!(replayed, live, "the --capture replay gives the live alerts");
    println!(
        "monitor --capture: the replay gives the same {} alerts",
        live.len()
    );
}

fn http_get(addr: &str, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let code = text.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = text
        .split_once("\r\n\r\n")
        .map(|x| x.1.to_string())
        .unwrap_or_default();
    (code, body)
}

/// Falco's web server while the monitor runs: /healthz, and /metrics with the kernel's event
/// and drop counters and the rule matches.
#[test]
fn healthz_and_prometheus_metrics_while_monitoring() {
    let Some(_one) = root_monitor() else {
        return;
    };
    let rules =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/examples/runtime/shadow.yaml");
    let mut mon = Command::new(env!("CARGO_BIN_EXE_bulkhead"))
        .args(["runtime", "monitor", "-r"])
        .arg(&rules)
        .args([
            "-M",
            "60",
            "-o",
            "webserver.enabled=true",
            "-o",
            "webserver.listen_port=0",
        ])
        .args([
            "-o",
            "webserver.listen_address=127.0.0.1",
            "-o",
            "webserver.prometheus_metrics_enabled=true",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _guard_pid = mon.id();
    let mut err = BufReader::new(mon.stderr.take().unwrap());
    let addr = loop {
        let mut l = String::new();
        assert!(
            err.read_line(&mut l).unwrap() > 0,
            "monitor ended before its web server started"
        );
        if let Some(a) = l.trim().rsplit_once("Starting health webserver on ") {
            break a.1.to_string();
        }
    };
    let (code, body) = http_get(&addr, "/healthz");
    assert_eq!((code, body.as_str()), (200, "{\"status\": \"ok\"}"));
    assert_eq!(http_get(&addr, "/nothing").0, 404);
    // A rule match the metrics must count.
    assert!(
        Command::new("cat")
            .arg("/etc/shadow")
            .output()
            .unwrap()
            .status
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let metrics = loop {
        let (code, body) = http_get(&addr, "/metrics");
        assert_eq!(code, 200);
        if body.contains("rule_name=\"Shadow file read\"") || Instant::now() > deadline {
            break body;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let value = |name: &str| -> f64 {
        metrics
            .lines()
            .find(|l| l.starts_with(name) && !l.starts_with('#'))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name} missing: {metrics}"))
    };
    assert!(value("falcosecurity_scap_n_evts_total") > 0.0);
    assert!(value("falcosecurity_falco_num_evts_total") > 0.0);
    assert_eq!(value("falcosecurity_scap_n_drops_total"), 0.0);
    assert!(value("falcosecurity_falco_memory_rss_bytes") > 1e6);
    assert!(value("falcosecurity_falco_rules_matches_total{rule_name=\"Shadow file read\"") >= 1.0);
    // Per CPU: the events of every CPU add up to the total of the same scrape; the ring's size and
    // each CPU's view of its fill.
    let per_cpu = |name: &str| -> Vec<f64> {
        metrics
            .lines()
            .filter(|l| l.starts_with(&format!("{name}{{cpu=")))
            .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
            .collect()
    };
    let cpus = per_cpu("falcosecurity_scap_n_evts_cpu_total");
    assert!(!cpus.is_empty(), "{metrics}");
    assert_eq!(
        cpus.iter().sum::<f64>(),
        value("falcosecurity_scap_n_evts_total")
    );
    assert_eq!(
        per_cpu("falcosecurity_scap_n_drops_cpu_total").len(),
        cpus.len()
    );
    assert_eq!(
        value("bulkhead_sensor_ring_size_bytes"),
        (16u64 << 20) as f64
    );
    let fill_max = per_cpu("bulkhead_sensor_ring_fill_max_bytes");
    assert_eq!(fill_max.len(), cpus.len());
    assert!(fill_max.iter().all(|&f| f <= (16u64 << 20) as f64));
    // Wakeups are batched: events wait in the ring until the reader's poll, so some CPU saw it
    // hold something.
    assert!(fill_max.iter().sum::<f64>() > 0.0, "{metrics}");
    assert!(
        per_cpu("bulkhead_sensor_ring_fill_bytes")
            .iter()
            .zip(&fill_max)
            .all(|(f, m)| f <= m),
        "a CPU's last fill is never above its most"
    );
    unsafe { libc::kill(mon.id() as i32, libc::SIGTERM) };
    assert!(mon.wait().unwrap().success());
    println!("webserver: /healthz ok, /metrics counts events, drops and the rule match");
}

fn shadow_rule(name: &str) -> String {
    format!(
        "- rule: {name}\n  desc: d\n  condition: evt.type in (open, openat) and evt.dir=< and fd.name=/etc/shadow and proc.name=cat\n  output: \"{name} read by %proc.name\"\n  priority: WARNING\n"
    )
}

/// A monitor whose stdout (alert lines) and stderr (log lines) come over channels.
struct Running {
    child: Child,
    out: std::sync::mpsc::Receiver<String>,
    err: std::sync::mpsc::Receiver<String>,
    /// The log lines `wait_log` went past.
    seen: std::cell::RefCell<Vec<String>>,
}

impl Running {
    fn start(args: &[&std::ffi::OsStr]) -> Running {
        Running::start_via(&[], args)
    }

    /// The monitor started by `via` (a wrapper command and its arguments, e.g. setpriv's).
    fn start_via(via: &[&str], args: &[&std::ffi::OsStr]) -> Running {
        let mut cmd = match via.split_first() {
            Some((prog, rest)) => {
                let mut c = Command::new(prog);
                c.args(rest).arg(env!("CARGO_BIN_EXE_bulkhead"));
                c
            }
            None => Command::new(env!("CARGO_BIN_EXE_bulkhead")),
        };
        let mut child = cmd
            .args(["runtime", "monitor"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = |r: Box<dyn std::io::Read + Send>| {
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                for l in BufReader::new(r).lines().map_while(Result::ok) {
                    let _ = tx.send(l);
                }
            });
            rx
        };
        let out = lines(Box::new(child.stdout.take().unwrap()));
        let err = lines(Box::new(child.stderr.take().unwrap()));
        let r = Running {
            child,
            out,
            err,
            seen: Default::default(),
        };
        r.wait_log("Opening 'syscall' source");
        r
    }

    fn wait_log(&self, text: &str) -> String {
        loop {
            let l = self
                .err
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| panic!("no log line with {text:?}"));
            self.seen.borrow_mut().push(l.clone());
            if l.contains(text) {
                return l;
            }
        }
    }

    /// Runs `cat /etc/shadow` until an alert comes; its line.
    fn shadow_alert(&self) -> String {
        while self.out.try_recv().is_ok() {}
        for _ in 0..20 {
            assert!(
                Command::new("cat")
                    .arg("/etc/shadow")
                    .output()
                    .unwrap()
                    .status
                    .success()
            );
            if let Ok(l) = self.out.recv_timeout(Duration::from_secs(1)) {
                return l;
            }
        }
        panic!("no alert for cat /etc/shadow");
    }

    fn stop(mut self) {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        assert!(self.child.wait().unwrap().success());
    }
}

/// SIGHUP reloads the rules (and configuration) with the sensor and the state kept; a reload that
/// fails keeps the previous rules in force.
#[test]
fn sighup_reloads_rules_and_a_failed_reload_keeps_the_old_ones() {
    let Some(_one) = root_monitor() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.yaml");
    std::fs::write(&rules, shadow_rule("First")).unwrap();
    let m = Running::start(&[
        "-r".as_ref(),
        rules.as_os_str(),
        "-o".as_ref(),
        "watch_config_files=false".as_ref(),
    ]);
    assert!(m.shadow_alert().contains("First read by cat"));
    let hup = |m: &Running| unsafe { libc::kill(m.child.id() as i32, libc::SIGHUP) };
    std::fs::write(&rules, shadow_rule("Second")).unwrap();
    hup(&m);
    m.wait_log("Configuration and rules reloaded");
    assert!(m.shadow_alert().contains("Second read by cat"));
    std::fs::write(&rules, "- rule: broken\n").unwrap();
    hup(&m);
    m.wait_log("reload failed, the previous configuration and rules stay in force");
    assert!(m.shadow_alert().contains("Second read by cat"));
    m.stop();
    println!("SIGHUP: rules reloaded live; a broken rules file left the previous ones in force");
}

/// `watch_config_files` (Falco's default): changing a rules file reloads it.
#[test]
fn a_changed_rules_file_is_reloaded() {
    let Some(_one) = root_monitor() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.yaml");
    std::fs::write(&rules, shadow_rule("Before")).unwrap();
    let m = Running::start(&["-r".as_ref(), rules.as_os_str()]);
    assert!(m.shadow_alert().contains("Before read by cat"));
    std::fs::write(&rules, shadow_rule("After, changed")).unwrap();
    m.wait_log("Configuration and rules reloaded");
    assert!(m.shadow_alert().contains("After, changed read by cat"));
    m.stop();
}

/// Falco's `syscall_event_drops` live: a 1 MiB ring (`buf_size_preset: 1`) under a flood of
/// opens drops, and the drop monitor raises its alert from the kernel's counters.
#[test]
fn the_drop_monitor_alerts_from_the_kernel_counters() {
    let Some(_one) = root_monitor() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.yaml");
    std::fs::write(&rules, shadow_rule("Shadow")).unwrap();
    let m = Running::start(&[
        "-r".as_ref(),
        rules.as_os_str(),
        "-o".as_ref(),
        "engine.modern_ebpf.buf_size_preset=1".as_ref(),
        "-o".as_ref(),
        "syscall_event_drops.actions=alert".as_ref(),
        "-o".as_ref(),
        "json_output=true".as_ref(),
    ]);
    let flood = Command::new("sh")
        .args([
            "-c",
            "i=0; while [ $i -lt 200000 ]; do : < /dev/null; i=$((i+1)); done",
        ])
        .status()
        .unwrap();
    assert!(flood.success());
    // The monitor checks the counters once per second of event time, on an event: a little
    // activity after the flood (an idle machine may have none) lets the check run.
    let deadline = Instant::now() + Duration::from_secs(30);
    let alert = loop {
        assert!(Instant::now() < deadline, "no drop alert");
        let _ = Command::new("cat").arg("/etc/hostname").output();
        match m.out.recv_timeout(Duration::from_millis(500)) {
            Ok(l) if l.contains("Falco internal: syscall event drop") => break l,
            _ => {}
        }
    };
    let v: serde_json::Value = serde_json::from_str(&alert).unwrap();
    assert_eq!(v["source"], "internal");
    assert_eq!(v["output_fields"]["ebpf_enabled"], "1");
    let n: u64 = v["output_fields"]["n_drops"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(n > 0);
    m.stop();
    println!("drop monitor: live alert with {n} drops in its interval");
}

/// Kubernetes audit events live: the shared audit captures posted to the monitor's webhook as the
/// API server's webhook backend posts them (one `EventList` per batch) raise exactly the alerts
/// their replay raises, with k8s_audit_rules.yaml; a non-event body is refused.
#[test]
fn audit_events_posted_to_the_webhook_alert_as_their_replay() {
    let Some(_one) = root_monitor() else {
        return;
    };
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/falco");
    let rules = shared.join("rules/plugins-k8saudit/k8s_audit_rules.yaml");
    if !rules.exists() {
        return skip("../shared is absent");
    }
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("falco.yaml");
    std::fs::write(
        &conf,
        "json_output: true\nlog_stderr: true\nstdout_output:\n  enabled: true\nwatch_config_files: false\nload_plugins: [k8saudit, json]\nplugins:\n  - name: k8saudit\n    library_path: libk8saudit.so\n    open_params: \"http://127.0.0.1:0/k8s-audit\"\n  - name: json\n    library_path: libjson.so\n",
    )
    .unwrap();
    let m = Running::start(&[
        "-c".as_ref(),
        conf.as_os_str(),
        "-r".as_ref(),
        rules.as_os_str(),
    ]);
    let line = m.wait_log("Opening 'k8s_audit' source");
    let addr = line
        .split("audit webhook on ")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap()
        .to_string();
    let post = |body: &str| -> u16 {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        write!(
            s,
            "POST /k8s-audit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut r = String::new();
        s.read_to_string(&mut r).unwrap();
        r.split_whitespace().nth(1).unwrap().parse().unwrap()
    };
    let mut files: Vec<_> = std::fs::read_dir(shared.join("captures/k8s_audit"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let key = |l: &str| {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        (v["rule"].to_string(), v["output"].to_string())
    };
    let (mut expected, mut got) = (Vec::new(), Vec::new());
    for f in &files {
        let replay = Command::new(env!("CARGO_BIN_EXE_bulkhead"))
            .args(["runtime", "replay", "-q", "-o", "json_output=true", "-r"])
            .arg(&rules)
            .arg("-e")
            .arg(f)
            .output()
            .unwrap();
        let want: Vec<_> = String::from_utf8_lossy(&replay.stdout)
            .lines()
            .map(key)
            .collect();
        // The file's events as one EventList.
        let text = std::fs::read_to_string(f).unwrap();
        let items: Vec<serde_json::Value> = serde_json::Deserializer::from_str(&text)
            .into_iter::<serde_json::Value>()
            .map(Result::unwrap)
            .flat_map(|v| match v.get("items") {
                Some(serde_json::Value::Array(a)) => a.clone(),
                _ => vec![v],
            })
            .collect();
        let list = serde_json::json!({"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "items": items});
        assert_eq!(post(&list.to_string()), 200, "{}", f.display());
        for _ in 0..want.len() {
            let l = m
                .out
                .recv_timeout(Duration::from_secs(20))
                .unwrap_or_else(|_| {
                    panic!(
                        "{}: fewer alerts than the replay's {}",
                        f.display(),
                        want.len()
                    )
                });
            got.push(key(&l));
        }
        expected.extend(want);
    }
    assert!(
        m.out.recv_timeout(Duration::from_secs(1)).is_err(),
        "more alerts than the replays"
    );
    assert_eq!(got, expected);
    assert_eq!(
        post("{\"not\": \"an event\"}"),
        200,
        "skipped, as the plugin does"
    );
    assert_eq!(post("[1, 2"), 400);
    m.stop();
    println!(
        "k8s audit webhook: {} files posted as EventLists, {} alerts, identical to their replay",
        files.len(),
        got.len()
    );
}

/// A self-signed certificate for 127.0.0.1 and its key in one PEM file (as Falco's
/// `/etc/falco/falco.pem`), made by openssl in `dir`.
fn self_signed_pem(dir: &Path) -> PathBuf {
    let (key, crt, pem) = (dir.join("k.pem"), dir.join("c.pem"), dir.join("falco.pem"));
    let ok = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&crt)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(ok.success());
    let mut both = std::fs::read(&crt).unwrap();
    both.extend(std::fs::read(&key).unwrap());
    std::fs::write(&pem, both).unwrap();
    pem
}

/// The web server over HTTPS (`webserver.ssl_enabled`, `ssl_certificate`): /healthz and /metrics
/// answer over TLS, and a plain HTTP request gets no answer.
#[test]
fn the_web_server_serves_https() {
    let Some(_one) = root_monitor() else {
        return;
    };
    if !have("openssl") || !have("curl") {
        return skip("openssl and curl are needed");
    }
    let dir = tempfile::tempdir().unwrap();
    let pem = self_signed_pem(dir.path());
    let rules =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/examples/runtime/shadow.yaml");
    let cert = format!("webserver.ssl_certificate={}", pem.display());
    let m = Running::start(&[
        "-r".as_ref(),
        rules.as_os_str(),
        "-o".as_ref(),
        "webserver.enabled=true".as_ref(),
        "-o".as_ref(),
        "webserver.listen_address=127.0.0.1".as_ref(),
        "-o".as_ref(),
        "webserver.listen_port=0".as_ref(),
        "-o".as_ref(),
        "webserver.prometheus_metrics_enabled=true".as_ref(),
        "-o".as_ref(),
        "webserver.ssl_enabled=true".as_ref(),
        "-o".as_ref(),
        cert.as_ref(),
    ]);
    let line = m.wait_log("Starting health webserver on ");
    assert!(line.ends_with("(https)"), "{line}");
    let addr = line
        .rsplit("webserver on ")
        .next()
        .unwrap()
        .trim_end_matches(" (https)")
        .to_string();
    let get = |url: String| {
        let out = Command::new("curl")
            .args(["-sk", "--max-time", "5", "-w", "\n%{http_code}"])
            .arg(url)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    assert_eq!(
        get(format!("https://{addr}/healthz")),
        "{\"status\": \"ok\"}\n200"
    );
    let metrics = get(format!("https://{addr}/metrics"));
    assert!(metrics.contains("falcosecurity_scap_n_evts_total") && metrics.ends_with("\n200"));
    // Plain HTTP on the TLS port is no answer (curl reports status 000).
    assert!(get(format!("http://{addr}/healthz")).ends_with("000"));
    m.stop();
    println!("webserver: /healthz and /metrics over HTTPS");
}

/// The webhook over HTTPS (`https://` open params, `sslCertificate`: a PEM with the certificate and
/// its key, made here by openssl), as the API server posts to it.
#[test]
fn the_audit_webhook_serves_https() {
    let Some(_one) = root_monitor() else {
        return;
    };
    if !have("openssl") || !have("curl") {
        return skip("openssl and curl are needed");
    }
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/falco");
    let rules = shared.join("rules/plugins-k8saudit/k8s_audit_rules.yaml");
    if !rules.exists() {
        return skip("../shared is absent");
    }
    let dir = tempfile::tempdir().unwrap();
    let pem = self_signed_pem(dir.path());
    let conf = dir.path().join("falco.yaml");
    std::fs::write(
        &conf,
        format!(
            "json_output: true\nlog_stderr: true\nstdout_output:\n  enabled: true\nwatch_config_files: false\nload_plugins: [k8saudit, json]\nplugins:\n  - name: k8saudit\n    library_path: libk8saudit.so\n    open_params: \"https://127.0.0.1:0/k8s-audit\"\n    init_config:\n      sslCertificate: {}\n  - name: json\n    library_path: libjson.so\n",
            pem.display()
        ),
    )
    .unwrap();
    let m = Running::start(&[
        "-c".as_ref(),
        conf.as_os_str(),
        "-r".as_ref(),
        rules.as_os_str(),
    ]);
    let line = m.wait_log("Opening 'k8s_audit' source");
    assert!(line.ends_with("(https)"), "{line}");
    let addr = line
        .split("audit webhook on ")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let event = shared.join("captures/k8s_audit/create_nginx_pod_privileged.json");
    let out = Command::new("curl")
        .args([
            "-sk",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--data-binary",
        ])
        .arg(format!("@{}", event.display()))
        .arg(format!("https://{addr}/k8s-audit"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "200");
    let l = m
        .out
        .recv_timeout(Duration::from_secs(20))
        .expect("an alert");
    assert!(l.contains("\"source\":\"k8s_audit\""), "{l}");
    m.stop();
}

/// A Kubernetes pod on containerd, made through the CRI as kubelet makes it: the monitor asks the
/// runtime's CRI socket (`--cri`) and the alert names the pod, its namespace, uid, sandbox and
/// labels beside the container and image.
#[test]
fn a_pod_on_containerd_is_named_in_its_alerts() {
    let _one = ONE.lock().unwrap_or_else(|e| e.into_inner());
    let Some(rules) = rules() else { return };
    if unsafe { libc::geteuid() } != 0 {
        return skip("the eBPF sensor needs root");
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = root.join("target/tmp/containerd");
    let out = Command::new("bash")
        .arg(root.join("scripts/start-containerd.sh"))
        .arg(&dir)
        .output()
        .unwrap();
    if !out.status.success() {
        return skip(&format!(
            "containerd cannot start: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let sock = PathBuf::from(String::from_utf8(out.stdout).unwrap().trim());
    // Stops the private containerd at the end.
    struct Stop(PathBuf);
    impl Drop for Stop {
        fn drop(&mut self) {
            if let Some(pid) = std::fs::read_to_string(self.0.join("containerd.pid"))
                .ok()
                .and_then(|p| p.trim().parse::<i32>().ok())
            {
                unsafe { libc::kill(pid, libc::SIGTERM) };
            }
        }
    }
    let _stop = Stop(dir.clone());
    let mut cri = bulkhead_sensor::cri::CriClient::connect(&sock, Duration::from_secs(20)).unwrap();
    let uid = format!(
        "7c0ffee0-{:04x}-4d2a-8c55-2b9e6a1d3f10",
        std::process::id() & 0xffff
    );
    let logs = dir.join("logs").join(&uid);
    std::fs::create_dir_all(&logs).unwrap();
    let (sandbox, id) = cri
        .run_pod(&bulkhead_sensor::cri::PodSpec {
            name: "checkout-5d8f".into(),
            namespace: "payments".into(),
            uid: uid.clone(),
            labels: vec![("app".into(), "checkout".into())],
            container: "api".into(),
            image: "localhost/bh-test/bookworm:latest".into(),
            command: vec!["sleep".into(), "300".into()],
            host_network: true,
            privileged: false,
            log_directory: logs.to_string_lossy().into(),
        })
        .unwrap();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let format = "k8s.pod.name=%k8s.pod.name k8s.ns.name=%k8s.ns.name uid=%k8s.pod.uid sandbox=%k8s.pod.sandbox_id podlabels=%k8s.pod.labels app=%k8s.pod.label[app] container=%container.name id=%container.id image=%container.image.repository ctype=%container.type";
        let mon = Running::start(&[
            "-r".as_ref(),
            rules.as_os_str(),
            "-o".as_ref(),
            "json_output=true".as_ref(),
            "-p".as_ref(),
            format.as_ref(),
            "--cri".as_ref(),
            sock.as_os_str(),
        ]);
        // The attack, in the pod: a sensitive file read by an untrusted program.
        let (code, _, err) = cri.exec_sync(&id, &["cat", "/etc/shadow"]).unwrap();
        assert_eq!(code, 0, "{}", String::from_utf8_lossy(&err));
        let line = mon
            .out
            .recv_timeout(Duration::from_secs(30))
            .expect("an alert for the read of /etc/shadow in the pod");
        mon.stop();
        let a: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(a["rule"], "Read sensitive file untrusted", "{line}");
        let f = &a["output_fields"];
        assert_eq!(f["container.id"], id[..12], "{line}");
        assert_eq!(f["container.name"], "api", "{line}");
        assert_eq!(
            f["container.image.repository"],
            "localhost/bh-test/bookworm"
        );
        assert_eq!(f["k8s.pod.name"], "checkout-5d8f", "{line}");
        assert_eq!(f["k8s.ns.name"], "payments", "{line}");
        assert_eq!(f["k8s.pod.uid"], uid.as_str(), "{line}");
        assert_eq!(f["k8s.pod.sandbox_id"], sandbox[..12], "{line}");
        assert_eq!(f["k8s.pod.labels"], "app:checkout", "{line}");
        assert_eq!(f["k8s.pod.label[app]"], "checkout", "{line}");
        assert_eq!(f["container.type"], "containerd", "{line}");
        let out = a["output"].as_str().unwrap();
        assert!(out.contains("k8s.pod.name=checkout-5d8f"), "{out}");
        println!(
            "monitor: a containerd pod's alert carries its pod, namespace, uid, sandbox and labels: {out}"
        );
    }));
    cri.remove_pod(&sandbox).unwrap();
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

/// `evt.buffer` live: a rule on the data a process writes fires for bytes within the snaplen
/// (80 by default, as Falco) and not past it; `-S` widens it.
#[test]
fn rules_see_io_data_up_to_the_snaplen() {
    let Some(_one) = root_monitor() else {
        return;
    };
    if !have("python3") {
        return skip("python3 is needed");
    }
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("buffer.yaml");
    std::fs::write(
        &rules,
        "- rule: Secret written\n  desc: d\n  condition: evt.type=write and evt.dir=< and proc.name=python3 and evt.buffer contains \"bulkhead-secret\"\n  output: \"secret written (data=%evt.buffer)\"\n  priority: WARNING\n",
    )
    .unwrap();
    let target = dir.path().join("out.txt");
    // One write with the marker at the start, one with it after 100 bytes.
    let write = |offset: usize, tag: &str| {
        let script = format!(
            "import os\nfd = os.open({:?}, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)\nos.write(fd, b'{}bulkhead-secret-{tag}')\nos.close(fd)\n",
            target.display().to_string(),
            "x".repeat(offset)
        );
        assert!(
            Command::new("python3")
                .args(["-c", &script])
                .status()
                .unwrap()
                .success()
        );
    };
    let alerts = |m: &Running| -> Vec<String> {
        let mut v = Vec::new();
        while let Ok(l) = m.out.recv_timeout(Duration::from_secs(3)) {
            v.push(l);
        }
        v
    };
    let m = Running::start(&["-r".as_ref(), rules.as_os_str()]);
    write(0, "near");
    write(100, "far");
    let got = alerts(&m);
    m.stop();
    assert_eq!(got.len(), 1, "{got:#?}");
    assert!(got[0].contains("data=bulkhead-secret-near"), "{got:#?}");
    let m = Running::start(&[
        "-r".as_ref(),
        rules.as_os_str(),
        "-S".as_ref(),
        "200".as_ref(),
    ]);
    write(100, "far");
    let got = alerts(&m);
    m.stop();
    assert_eq!(got.len(), 1, "{got:#?}");
    assert!(got[0].contains("bulkhead-secret-far"), "{got:#?}");
    println!("monitor: evt.buffer within the 80-byte snaplen fires, past it only with -S 200");
}

/// Without the privileges eBPF needs, the monitor refuses at once, naming them, and leaves nothing
/// behind (run as `nobody` with no capabilities).
#[test]
fn without_privileges_the_monitor_refuses_and_names_what_is_missing() {
    if unsafe { libc::geteuid() } != 0 || !have("setpriv") {
        return skip("needs root (to drop to nobody) and setpriv");
    }
    let rules =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/examples/runtime/shadow.yaml");
    let out = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
        ])
        .arg(env!("CARGO_BIN_EXE_bulkhead"))
        .args(["runtime", "monitor", "-r"])
        .arg(&rules)
        .args(["-M", "5"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("CAP_BPF") && err.contains("CAP_PERFMON"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
    println!(
        "monitor: unprivileged run refused: {}",
        err.lines().last().unwrap_or("")
    );

    // Least privilege, as the systemd unit of docs/runtime.md grants it: `nobody` with CAP_BPF,
    // CAP_PERFMON, CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH monitors and alerts; without the last
    // two the /proc scan's gap is a warning, never silent.
    for (caps, gap) in [
        ("+bpf,+perfmon,+sys_ptrace,+dac_read_search", false),
        ("+bpf,+perfmon", true),
    ] {
        let (inh, amb) = (
            format!("--inh-caps={caps}"),
            format!("--ambient-caps={caps}"),
        );
        let via = [
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            inh.as_str(),
            amb.as_str(),
        ];
        let m = Running::start_via(&via, &["-r".as_ref(), rules.as_os_str()]);
        let line = m.shadow_alert();
        assert!(line.contains("shadow read"), "{line}");
        let mut log = m.seen.borrow().clone();
        log.extend(m.err.try_iter());
        m.stop();
        let warned = log
            .iter()
            .any(|l| l.contains("could not read the open files"));
        assert_eq!(warned, gap, "caps {caps}: {log:#?}");
    }
    println!(
        "monitor: runs as nobody with CAP_BPF+CAP_PERFMON(+CAP_SYS_PTRACE+CAP_DAC_READ_SEARCH)"
    );
}
