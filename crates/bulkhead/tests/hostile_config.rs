//! Hostile Dockerfiles, manifests and settings for `bulkhead config` (issue 11): every class that
//! aborted, used gigabytes or evaded the gate ends under a 4 GiB address-space limit and a 512 MiB
//! peak RSS, with the objects judged and each limit reported as a `BH-PARSE` finding at its line;
//! a FIFO or a device is refused at once with the hint to use `-`. Small sizes here (a debug
//! build); the sizes are in bench/hostile-config.sh.

mod common;
use common::*;
use std::path::Path;
use std::time::Duration;

const RSS_MIB: u64 = 512;
const WALL: Duration = Duration::from_secs(90);

const POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: evil
spec:
  containers:
  - name: c
    image: nginx:1.25
    securityContext:
      privileged: true
";

/// `bulkhead config -f json ARGS` in `dir`, bounded; exit 0 (no `--exit-code`) is required.
fn config(what: &str, dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Vec<(String, u64)> {
    let mut all = vec!["config", "-f", "json"];
    all.extend_from_slice(args);
    let r = run_bounded(&all, Some(dir), stdin, WALL);
    assert_bounded(what, &r, &[0], RSS_MIB);
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).expect("JSON report");
    validate_report(&v);
    v["targets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["findings"].as_array().unwrap().iter())
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["location"]["line"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

fn ids(found: &[(String, u64)]) -> Vec<&str> {
    found.iter().map(|(i, _)| i.as_str()).collect()
}

fn line_of(found: &[(String, u64)], id: &str) -> Option<u64> {
    found.iter().find(|(i, _)| i == id).map(|(_, l)| *l)
}

fn write(dir: &Path, name: &str, data: impl AsRef<[u8]>) -> String {
    std::fs::write(dir.join(name), data).unwrap();
    name.to_string()
}

fn config_map(name: &str, keys: usize) -> String {
    let mut s = format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n");
    for i in 0..keys {
        s.push_str(&format!("  k{i}: v\n"));
    }
    s
}

fn nested_pod(depth: usize) -> String {
    let mut s = String::from(POD);
    s.push_str("      x:\n");
    let mut indent = "        ".to_string();
    for _ in 0..depth {
        s.push_str(&format!("{indent}y:\n"));
        indent.push_str("  ");
    }
    s.push_str(&format!("{indent}z: 1\n"));
    s
}

#[test]
fn variable_expansion_is_bounded() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let doubling = format!(
        "FROM alpine:3.20\nENV A=x\n{}USER root\n",
        "ENV A=$A$A\n".repeat(40)
    );
    let squaring = format!(
        "FROM alpine:3.20\nENV A=xx\n{}USER root\n",
        "ENV A=${A//?/$A}\n".repeat(8)
    );
    let from_var = format!("ARG A=x\n{}FROM $A\nUSER root\n", "ARG A=$A$A\n".repeat(40));
    let heredoc = format!(
        "FROM alpine:3.20\nENV A={}\nRUN <<EOF\n{}EOF\nUSER root\n",
        "y".repeat(60_000),
        "echo $A $A $A $A\n".repeat(2_000)
    );
    for (what, text, line) in [
        ("ENV A=$A$A × 40", doubling, 23),
        ("ENV A=${A//?/$A} × 8", squaring, 7),
        ("ARG A=$A$A × 40, FROM $A", from_var, 22),
        ("a heredoc of 8000 references to a 60 KB value", heredoc, 3),
    ] {
        let f = write(p, "Dockerfile", &text);
        let found = config(what, p, &[&f], None);
        assert_eq!(line_of(&found, "BH-PARSE"), Some(line), "{what}: {found:?}");
        assert!(
            ids(&found).contains(&"DL3002"),
            "{what}: the rest is checked"
        );
        // The same from standard input.
        let found = config(what, p, &["--stdin-dockerfile", "-"], Some(text.as_bytes()));
        assert_eq!(line_of(&found, "BH-PARSE"), Some(line), "{what} (stdin)");
    }
}

#[test]
fn the_pod_is_judged_whatever_surrounds_it() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let cases = [
        (
            "a privileged Pod and 1000 empty documents",
            format!("{POD}{}", "---\n".repeat(1_000)),
        ),
        (
            "a privileged Pod next to two ConfigMaps of 65,536 keys",
            format!(
                "{}---\n{POD}---\n{}",
                config_map("a", 65_536),
                config_map("b", 65_536)
            ),
        ),
        (
            "a privileged Pod with a field nested 70 deep",
            nested_pod(70),
        ),
        (
            "a privileged Pod after a comment in Latin-1",
            format!("# caf\u{e9}\n{POD}"),
        ),
    ];
    for (what, text) in cases {
        let mut data = text.into_bytes();
        if what.contains("Latin-1") {
            // é as one Latin-1 byte: not UTF-8.
            let i = data.windows(2).position(|w| w == "é".as_bytes()).unwrap();
            data.splice(i..i + 2, [0xe9]);
        }
        let f = write(p, "m.yaml", &data);
        let found = config(what, p, &[&f], None);
        assert!(ids(&found).contains(&"PSS-privileged"), "{what}: {found:?}");
        assert!(!ids(&found).contains(&"BH-PARSE"), "{what}: {found:?}");
        if what.contains("Latin-1") {
            assert_eq!(line_of(&found, "BH-ENCODING"), Some(1));
        }
        // From standard input too.
        let found = config(what, p, &["-"], Some(&data));
        assert!(ids(&found).contains(&"PSS-privileged"), "{what} (stdin)");
        // And the gate trips on it.
        let out = bulkhead_in(Some(p), &[], &["config", "--exit-code", "7", &f]);
        assert_eq!(out.status.code(), Some(7), "{what}");
    }
}

#[test]
fn documents_over_a_limit_are_findings_next_to_the_judged_ones() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    // 300 deep (limit 256), an alias bomb, then a Pod: both bad documents are findings, the Pods
    // are judged.
    let mut bomb = String::from("kind: ConfigMap\na: &a [x, x, x, x, x, x, x, x, x, x]\n");
    let mut prev = 'a';
    for c in 'b'..='k' {
        bomb.push_str(&format!(
            "{c}: &{c} [{}]\n",
            vec![format!("*{prev}"); 10].join(", ")
        ));
        prev = c;
    }
    let text = format!(
        "{POD}---\n{}---\n{bomb}---\n{}",
        nested_pod(300),
        POD.replace("evil", "after")
    );
    let f = write(p, "m.yaml", &text);
    let found = config("depth 300 and an alias bomb", p, &[&f], None);
    assert_eq!(
        found.iter().filter(|(i, _)| i == "PSS-privileged").count(),
        2,
        "{found:?}"
    );
    assert_eq!(found.iter().filter(|(i, _)| i == "BH-PARSE").count(), 2);
    // The node limit per document is a flag.
    let text = format!("{POD}---\n{}", config_map("c", 5_000));
    let f = write(p, "m.yaml", &text);
    let found = config(
        "--max-yaml-nodes",
        p,
        &["--max-yaml-nodes", "1000", &f],
        None,
    );
    assert!(ids(&found).contains(&"PSS-privileged") && ids(&found).contains(&"BH-PARSE"));
    assert_eq!(line_of(&found, "BH-PARSE").map(|l| l > 11), Some(true));
}

#[test]
fn large_files_are_a_finding_read_no_further_than_the_limit() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    // 40 MiB: over the default 32 MiB limit.
    let mut text = String::from(POD);
    text.push_str(&"# padding padding padding padding padding padding padding\n".repeat(760_000));
    assert!(text.len() > 40 << 20);
    let f = write(p, "big.yaml", &text);
    let r = run_bounded(&["config", "-f", "json", &f], Some(p), None, WALL);
    assert_bounded("a 40 MiB manifest", &r, &[0], 64);
    assert!(r.took < Duration::from_secs(10), "{:?}", r.took);
    let s = String::from_utf8_lossy(&r.stdout);
    assert!(
        s.contains("larger than the limit of 32 MiB (raise it with --max-file-size"),
        "{s}"
    );
    // From standard input: cut at the limit while reading.
    let r = run_bounded(
        &["config", "-f", "json", "-"],
        Some(p),
        Some(text.as_bytes()),
        WALL,
    );
    assert_bounded("40 MiB on stdin", &r, &[0], 200);
    assert!(String::from_utf8_lossy(&r.stdout).contains("larger than the limit of 32 MiB"));
    // A smaller limit by flag.
    let f = write(p, "m.yaml", format!("{POD}{}", "# x\n".repeat(300_000)));
    let r = run_bounded(
        &["config", "-f", "json", "--max-file-size", "1", &f],
        Some(p),
        None,
        WALL,
    );
    assert_bounded("--max-file-size 1", &r, &[0], RSS_MIB);
    assert!(String::from_utf8_lossy(&r.stdout).contains("larger than the limit of 1 MiB"));
}

/// What is run, its arguments, its standard input.
type Case<'a> = (&'a str, Vec<&'a str>, Option<&'a [u8]>);

#[test]
fn fifos_and_devices_are_refused_with_the_hint_to_use_stdin() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let fifo = p.join("Dockerfile");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    write(p, "pod.yaml", POD);
    let cases: [Case; 6] = [
        ("a FIFO", vec!["config", fifo.to_str().unwrap()], None),
        ("/dev/zero", vec!["config", "/dev/zero"], None),
        ("/dev/urandom", vec!["config", "/dev/urandom"], None),
        // `bulkhead config <(cat Dockerfile)` names a pipe like this one.
        (
            "/dev/stdin as a pipe",
            vec!["config", "/dev/stdin"],
            Some(b"FROM alpine:3.20\n"),
        ),
        (
            "--config /dev/zero",
            vec!["config", "--config", "/dev/zero", "pod.yaml"],
            None,
        ),
        (
            "--config FIFO",
            vec!["config", "--config", fifo.to_str().unwrap(), "pod.yaml"],
            None,
        ),
    ];
    for (what, args, stdin) in cases {
        let r = run_bounded(&args, Some(p), stdin, Duration::from_secs(30));
        assert_bounded(what, &r, &[2], 64);
        assert!(r.took < Duration::from_secs(10), "{what}: {:?}", r.took);
        assert!(
            r.stderr.contains("not a regular file"),
            "{what}: {}",
            r.stderr
        );
        if !what.starts_with("--config") {
            assert!(
                r.stderr.contains("`… | bulkhead config -`")
                    && r.stderr.contains("--stdin-dockerfile - < Dockerfile"),
                "{what}: {}",
                r.stderr
            );
        }
    }
    // The same content through `-` is checked.
    let found = config(
        "stdin",
        p,
        &["--stdin-dockerfile", "-"],
        Some(b"FROM alpine:3.20\nUSER root\n"),
    );
    assert!(ids(&found).contains(&"DL3002"));
}
