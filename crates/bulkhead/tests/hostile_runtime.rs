//! Hostile inputs of `bulkhead runtime` (issue 11): rules files whose macros multiply or chain,
//! rules that cannot compile, devices and FIFOs where files are expected, endless records,
//! captures that describe too many threads, a capture on a pipe. Each run is bounded (4 GiB of
//! address space, a wall-time limit): no signal, no panic, an exit code with a message, peak RSS
//! under 512 MiB. Large sizes are in bench/hostile-runtime.sh.

mod common;
use common::*;

use std::path::{Path, PathBuf};
use std::time::Duration;

const RSS_MIB: u64 = 512;
const WALL: Duration = Duration::from_secs(60);

fn falco() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/falco");
    if p.is_dir() {
        return Some(p);
    }
    if std::env::var("BULKHEAD_STRICT").as_deref() == Ok("1") {
        panic!("../shared/data/falco absent");
    }
    eprintln!("SKIP: ../shared/data/falco absent (this test checked nothing)");
    None
}

fn rule(name: &str, cond: &str) -> String {
    format!(
        "- rule: {name}\n  desc: d\n  condition: {cond}\n  output: o %proc.name\n  priority: INFO\n"
    )
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

fn mkfifo(p: &Path) {
    assert!(
        std::process::Command::new("mkfifo")
            .arg(p)
            .status()
            .unwrap()
            .success()
    );
}

fn run(args: &[&str]) -> Bounded {
    run_bounded(args, None, None, WALL)
}

#[test]
fn macros_that_multiply_are_a_validation_error_not_an_abort() {
    let d = tempfile::tempdir().unwrap();
    // 2^18 expansions of one check in each of 30 rules.
    let mut doc = String::from("- macro: m0\n  condition: proc.name=a\n");
    for k in 1..=18 {
        doc += &format!("- macro: m{k}\n  condition: m{} or m{}\n", k - 1, k - 1);
    }
    for r in 0..30 {
        doc += &rule(&format!("r{r}"), "evt.type=open and m18");
    }
    let rules = write(d.path(), "fanout.yaml", &doc);
    let r = run(&["runtime", "validate", &rules]);
    assert_bounded("validate 2^18 macro fan-out", &r, &[1], RSS_MIB);
    let out = String::from_utf8_lossy(&r.stdout);
    assert!(
        out.contains("Invalid")
            && out.contains("LOAD_ERR_VALIDATE")
            && out.contains("LoadLimits::max_condition_nodes"),
        "{out}"
    );
    assert!(r.took < Duration::from_secs(10), "{:?}", r.took);
}

#[test]
fn long_macro_chains_and_many_macros_load_or_fail_in_linear_time() {
    let d = tempfile::tempdir().unwrap();
    // 20,000 macros, each the previous one and a check: over the total expansion budget.
    let mut chain = String::from("- macro: m0\n  condition: proc.name=a\n");
    for k in 1..20_000 {
        chain += &format!("- macro: m{k}\n  condition: m{} and proc.name=b\n", k - 1);
    }
    chain += &rule("r", "evt.type=open and m19999");
    let rules = write(d.path(), "chain.yaml", &chain);
    let r = run(&["runtime", "validate", &rules]);
    assert_bounded("validate 20,000 chained macros", &r, &[1], RSS_MIB);
    assert!(String::from_utf8_lossy(&r.stdout).contains("LOAD_ERR_VALIDATE"));
    // 20,000 independent macros, each used by its rule: loads.
    let mut indep = String::new();
    for k in 0..20_000 {
        indep += &format!("- macro: m{k}\n  condition: proc.name=a{k}\n");
        indep += &rule(&format!("r{k}"), &format!("evt.type=open and m{k}"));
    }
    let rules = write(d.path(), "independent.yaml", &indep);
    let r = run(&["runtime", "validate", &rules]);
    assert_bounded("validate 20,000 independent macros", &r, &[0], RSS_MIB);
    assert!(String::from_utf8_lossy(&r.stdout).contains(": Ok"));
}

#[test]
fn a_rule_that_cannot_compile_is_invalid_and_never_silently_dropped() {
    let Some(falco) = falco() else { return };
    let d = tempfile::tempdir().unwrap();
    let capture = falco.join("captures/cat_write.scap");
    for (name, cond, expect) in [
        (
            "bad-regex.yaml",
            "evt.type=open and proc.name regex '(('",
            "invalid regex pattern: unclosed group",
        ),
        (
            "huge-regex.yaml",
            "evt.type=open and proc.name regex '(.{1000}){100}'",
            "invalid regex pattern: pattern too large",
        ),
    ] {
        let rules = write(d.path(), name, &rule("r", cond));
        let r = run(&["runtime", "validate", &rules]);
        assert_bounded(name, &r, &[1], RSS_MIB);
        let out = String::from_utf8_lossy(&r.stdout);
        assert!(
            out.contains("Invalid")
                && out.contains("LOAD_ERR_COMPILE_CONDITION")
                && out.contains(expect),
            "{out}"
        );
        // replay refuses the rules instead of running without the rule.
        let r = run(&[
            "runtime",
            "replay",
            "-r",
            &rules,
            "-e",
            capture.to_str().unwrap(),
        ]);
        assert_bounded(name, &r, &[1], RSS_MIB);
        assert!(r.stderr.contains(expect), "{}", r.stderr);
    }
}

#[test]
fn devices_fifos_and_oversized_files_are_refused_at_once() {
    let Some(falco) = falco() else { return };
    let d = tempfile::tempdir().unwrap();
    let fifo = d.path().join("fifo");
    mkfifo(&fifo);
    let fifo = fifo.to_str().unwrap();
    let sparse = d.path().join("sparse.yaml");
    std::fs::File::create(&sparse)
        .unwrap()
        .set_len(40 << 20)
        .unwrap();
    let sparse = sparse.to_str().unwrap();
    let rules = falco.join("rules/falco-0.34.1-test-rules/single_rule.yaml");
    let rules = rules.to_str().unwrap();
    let capture = falco.join("captures/cat_write.scap");
    let capture = capture.to_str().unwrap();
    for bad in ["/dev/zero", "/dev/urandom", fifo, sparse] {
        let r = run(&["runtime", "validate", bad]);
        assert_bounded(&format!("validate {bad}"), &r, &[1], RSS_MIB);
        assert!(String::from_utf8_lossy(&r.stdout).contains("LOAD_ERR_FILE_READ"));
        assert!(r.took < Duration::from_secs(5), "{bad}: {:?}", r.took);
        // as a rules file, a configuration, a capture of replay
        for args in [
            vec!["runtime", "replay", "-r", bad, "-e", capture],
            vec!["runtime", "replay", "-r", rules, "-c", bad, "-e", capture],
            vec!["runtime", "replay", "-r", rules, "-e", bad],
        ] {
            let r = run(&args);
            assert_bounded(&format!("{args:?}"), &r, &[1, 2], RSS_MIB);
            assert!(r.took < Duration::from_secs(5), "{args:?}: {:?}", r.took);
        }
    }
    let r = run(&["runtime", "replay", "-r", rules, "-e", fifo]);
    assert!(
        r.stderr.contains("a FIFO (named pipe), not a regular file") && r.stderr.contains("`-`"),
        "{}",
        r.stderr
    );
    let r = run(&[
        "runtime",
        "replay",
        "-r",
        rules,
        "-c",
        "/dev/zero",
        "-e",
        capture,
    ]);
    assert!(
        r.stderr
            .contains("Error reading config file (/dev/zero): a character device"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_capture_on_standard_input_is_read_once() {
    let Some(falco) = falco() else { return };
    let rules = falco.join("rules/falco-0.34.1-test-rules/single_rule.yaml");
    let capture = std::fs::read(falco.join("captures/cat_write.scap")).unwrap();
    let r = run_bounded(
        &[
            "runtime",
            "replay",
            "-q",
            "-r",
            rules.to_str().unwrap(),
            "-e",
            "-",
        ],
        None,
        Some(&capture),
        WALL,
    );
    assert_bounded("replay -e - (gzip .scap on a pipe)", &r, &[0], RSS_MIB);
    let out = String::from_utf8_lossy(&r.stdout);
    assert_eq!(out.matches("An open was seen").count(), 8, "{out}");
    // Audit events on a pipe too.
    let audit =
        std::fs::read(falco.join("captures/k8s_audit/create_nginx_pod_privileged.json")).unwrap();
    let rules = falco.join("rules/plugins-k8saudit/k8s_audit_rules.yaml");
    let r = run_bounded(
        &[
            "runtime",
            "replay",
            "-q",
            "-r",
            rules.to_str().unwrap(),
            "-e",
            "-",
        ],
        None,
        Some(&audit),
        WALL,
    );
    assert_bounded("replay -e - (audit on a pipe)", &r, &[0], RSS_MIB);
    assert!(String::from_utf8_lossy(&r.stdout).contains("Pod started with privileged container"));
}

#[test]
fn endless_and_oversized_records_end_at_their_limit() {
    let Some(falco) = falco() else { return };
    let d = tempfile::tempdir().unwrap();
    let rules = falco.join("rules/plugins-k8saudit/k8s_audit_rules.yaml");
    let rules = rules.to_str().unwrap();
    // 40 MiB of zeros on standard input, and one 20 MiB audit event in a file.
    let zeros = vec![b'0'; 40 << 20];
    let r = run_bounded(
        &["runtime", "replay", "-q", "-r", rules, "-e", "-"],
        None,
        Some(&zeros),
        WALL,
    );
    assert_bounded("40 MiB of zeros as audit events", &r, &[1], RSS_MIB);
    assert!(
        r.stderr.contains("larger than 16777216 bytes") && r.stderr.contains("--max-event-size"),
        "{}",
        r.stderr
    );
    let big = format!(
        "{{\"kind\":\"Event\",\"auditID\":\"a\",\"verb\":\"get\",\"pad\":\"{}\"}}\n",
        "x".repeat(20 << 20)
    );
    let big = write(d.path(), "big.json", &big);
    let r = run(&["runtime", "replay", "-q", "-r", rules, "-e", &big]);
    assert_bounded("a 20 MiB audit event", &r, &[1], RSS_MIB);
    let r = run(&[
        "runtime",
        "replay",
        "-q",
        "-r",
        rules,
        "-e",
        &big,
        "--max-event-size",
        "32",
    ]);
    assert_bounded(
        "a 20 MiB audit event under --max-event-size 32",
        &r,
        &[0],
        RSS_MIB,
    );
    // A JSON array of 2 MiB of zeros (a million documents that are not events): streamed.
    let mut arr = String::from("[");
    arr += &vec!["0"; 1 << 20].join(",");
    arr += "]";
    let arr = write(d.path(), "zeros.json", &arr);
    let r = run(&["runtime", "replay", "-q", "-r", rules, "-e", &arr]);
    assert_bounded("an array of a million zeros", &r, &[0], RSS_MIB);
    assert!(
        r.stderr
            .contains("1048576 document(s): data not recognized"),
        "{}",
        r.stderr
    );
    // A Bulkhead capture whose second line never ends.
    let mut line = b"{\"bulkhead_capture\":2}\n".to_vec();
    line.extend(std::iter::repeat_n(b'x', 20 << 20));
    let p = d.path().join("endless.jsonl");
    std::fs::write(&p, &line).unwrap();
    let r = run(&[
        "runtime",
        "replay",
        "-q",
        "-r",
        rules,
        "-e",
        p.to_str().unwrap(),
    ]);
    assert_bounded("a 20 MiB capture line", &r, &[1], RSS_MIB);
    assert!(r.stderr.contains("line 2: longer than"), "{}", r.stderr);
}

/// The blocks of a plain `.scap` file: (type, body).
fn blocks(path: &Path) -> Vec<(u32, Vec<u8>)> {
    let b = std::fs::read(path).unwrap();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 8 <= b.len() {
        let t = u32::from_le_bytes(b[i..i + 4].try_into().unwrap());
        let l = u32::from_le_bytes(b[i + 4..i + 8].try_into().unwrap()) as usize;
        out.push((t, b[i + 8..i + l - 4].to_vec()));
        i += l;
    }
    out
}

fn block(out: &mut Vec<u8>, t: u32, body: &[u8]) {
    let l = (body.len() + 12) as u32;
    out.extend(t.to_le_bytes());
    out.extend(l.to_le_bytes());
    out.extend(body);
    out.extend(l.to_le_bytes());
}

/// sample.scap's metadata, then `n` generic enter events of distinct threads.
fn many_threads(falco: &Path, n: u64) -> Vec<u8> {
    let bs = blocks(&falco.join("captures/libs/sample.scap"));
    let mut out = Vec::new();
    let mut ev = None;
    for (t, b) in &bs {
        if matches!(t, 0x204 | 0x216 | 0x221) {
            if ev.is_none() && *t == 0x216 && b[22..24] == [0, 0] {
                ev = Some(b.clone());
            }
        } else if ev.is_none() {
            block(&mut out, *t, b);
        }
    }
    let ev = ev.expect("a generic enter event");
    for k in 0..n {
        let mut b = ev.clone();
        b[10..18].copy_from_slice(&(1_000_000 + k).to_le_bytes());
        block(&mut out, 0x216, &b);
    }
    out
}

#[test]
fn captures_of_too_many_threads_stay_within_the_tables() {
    let Some(falco) = falco() else { return };
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("threads.scap");
    std::fs::write(&p, many_threads(&falco, 60_000)).unwrap();
    let p = p.to_str().unwrap();
    let rules = falco.join("rules/falcosecurity-rules/falco_rules.yaml");
    let rules = rules.to_str().unwrap();
    // A thread table of 20,000 (Falco's falco_libs.thread_table_size): the oldest are dropped.
    let r = run(&[
        "runtime",
        "replay",
        "-q",
        "-r",
        rules,
        "-e",
        p,
        "-o",
        "falco_libs.thread_table_size=20000",
    ]);
    assert_bounded("60,000 threads, a table of 20,000", &r, &[0], RSS_MIB);
    // 60,000 threads of events and those of the capture's process list, 20,000 kept.
    let dropped: u64 = r
        .stderr
        .split(" thread(s) dropped")
        .next()
        .and_then(|s| s.rsplit(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!((40_000..40_200).contains(&dropped), "{}", r.stderr);
    // A state limit of 8 MiB: an error naming it.
    let r = run(&[
        "runtime",
        "replay",
        "-q",
        "-r",
        rules,
        "-e",
        p,
        "--max-state-size",
        "8",
    ]);
    assert_bounded("60,000 threads in 8 MiB of state", &r, &[1], RSS_MIB);
    assert!(r.stderr.contains("--max-state-size"), "{}", r.stderr);
    // A gzip bomb of the same stream (about 40:1) under a small capture budget.
    let big = many_threads(&falco, 200_000);
    let gz = d.path().join("bomb.scap.gz");
    let mut child = std::process::Command::new("gzip")
        .arg("-c")
        .stdin(std::process::Stdio::piped())
        .stdout(std::fs::File::create(&gz).unwrap())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(&big).unwrap();
    }
    assert!(child.wait().unwrap().success());
    let r = run(&[
        "runtime",
        "replay",
        "-q",
        "-r",
        rules,
        "-e",
        gz.to_str().unwrap(),
        "--max-capture-size",
        "4",
    ]);
    assert_bounded("gzip bomb over --max-capture-size 4", &r, &[1], RSS_MIB);
    assert!(
        r.stderr.contains("larger than 4194304 bytes"),
        "{}",
        r.stderr
    );
}
