//! Hostile inputs to the config pipeline (issue 11): nothing aborts, nothing is dropped for what
//! surrounds it, every limit is a finding at its line, only regular files are read, and time is
//! linear in each input class. Sizes are small (a debug build runs this in seconds); the large
//! ones are in bench/hostile-config.sh.

use bulkhead_config::{
    ConfigError, ExpandLimits, FileKind, Input, Limits, Request, Settings, YamlLimits, check,
};
use bulkhead_core::{Finding, FindingKind, PARSE_RULE_ID, Report};
use std::path::Path;
use std::time::{Duration, Instant};

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

fn run_with(inputs: Vec<Input>, limits: Limits) -> Report {
    check(&Request {
        inputs,
        limits,
        ..Request::default()
    })
    .unwrap()
}

fn run(inputs: Vec<Input>) -> Report {
    run_with(inputs, Limits::default())
}

fn manifest(text: impl Into<Vec<u8>>) -> Input {
    Input::Bytes {
        name: "m.yaml".into(),
        data: text.into(),
        kind: FileKind::Manifest,
    }
}

fn dockerfile(text: impl Into<Vec<u8>>) -> Input {
    Input::Bytes {
        name: "Dockerfile".into(),
        data: text.into(),
        kind: FileKind::Dockerfile,
    }
}

/// (id, line) of every finding.
fn found(r: &Report) -> Vec<(String, Option<u32>)> {
    r.findings()
        .map(|f| (f.id.clone(), f.location.line))
        .collect()
}

fn has(r: &Report, id: &str) -> bool {
    r.findings().any(|f| f.id == id)
}

fn parse_errors(r: &Report) -> Vec<&Finding> {
    r.findings().filter(|f| f.id == PARSE_RULE_ID).collect()
}

/// The gate: with default settings, does the report fail `--exit-code`?
fn fails(r: &Report) -> bool {
    r.findings().any(|f| Settings::default().fails(f))
}

/// A mapping key that nests `depth` levels below the container's securityContext.
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

fn config_map(name: &str, keys: usize) -> String {
    let mut s = format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n");
    for i in 0..keys {
        s.push_str(&format!("  k{i}: v\n"));
    }
    s
}

// --- No evasion: the Pod is judged ---------------------------------------------------------

#[test]
fn a_pod_followed_by_empty_documents_is_judged() {
    let r = run(vec![manifest(format!("{POD}{}", "---\n".repeat(5_000)))]);
    assert!(has(&r, "PSS-privileged"), "{:?}", found(&r));
    assert!(parse_errors(&r).is_empty(), "{:?}", found(&r));
}

#[test]
fn a_pod_next_to_two_huge_config_maps_is_judged() {
    let text = format!(
        "{}---\n{POD}---\n{}",
        config_map("a", 65_536),
        config_map("b", 65_536)
    );
    let r = run(vec![manifest(text)]);
    let privileged: Vec<_> = r.findings().filter(|f| f.id == "PSS-privileged").collect();
    assert_eq!(privileged.len(), 1, "{:?}", found(&r));
    // The Pod's lines are its own, after the first ConfigMap's 65,541 lines.
    assert_eq!(privileged[0].location.line, Some(65_542 + 10));
    assert!(parse_errors(&r).is_empty());
}

#[test]
fn a_pod_with_a_field_nested_seventy_deep_is_judged() {
    let r = run(vec![manifest(nested_pod(70))]);
    assert!(has(&r, "PSS-privileged"), "{:?}", found(&r));
    assert!(parse_errors(&r).is_empty());
}

#[test]
fn a_document_over_the_depth_limit_is_a_finding_and_the_others_are_judged() {
    // 300 deep: over the default limit of 256. The Pod before it and the one after it are judged;
    // the deep document is a BH-PARSE finding at its line, which fails the gate.
    let deep = nested_pod(300);
    let text = format!("{POD}---\n{deep}---\n{}", POD.replace("evil", "after"));
    let r = run(vec![manifest(text)]);
    let objects: Vec<_> = r
        .findings()
        .filter(|f| f.id == "PSS-privileged")
        .map(|f| f.location.object.clone().unwrap())
        .collect();
    assert_eq!(objects, ["Pod/evil", "Pod/after"]);
    let e = parse_errors(&r);
    assert_eq!(e.len(), 1);
    assert!(
        e[0].message.contains("nested more than 256 levels deep")
            && e[0].message.contains("this document was not checked"),
        "{}",
        e[0].message
    );
    // The breach is inside the second document (it starts on line 12).
    assert!(e[0].location.line.unwrap() > 12, "{:?}", e[0].location);
    assert!(fails(&r));
}

#[test]
fn invalid_utf8_is_read_and_judged() {
    let mut text = b"# caf\xe9 au lait\n".to_vec();
    text.extend_from_slice(
        POD.replace("evil", "ev\u{0}il")
            .replace('\0', "")
            .as_bytes(),
    );
    let r = run(vec![manifest(text)]);
    assert!(has(&r, "PSS-privileged"), "{:?}", found(&r));
    let enc: Vec<_> = r.findings().filter(|f| f.id == "BH-ENCODING").collect();
    assert_eq!(enc.len(), 1);
    assert_eq!(enc[0].location.line, Some(1));
    assert!(enc[0].message.contains("1 invalid UTF-8 sequence"));
    assert!(parse_errors(&r).is_empty());
    // The same in a Dockerfile: its rules still run.
    let r = run(vec![dockerfile(
        b"FROM alpine:3.20\n# \xff\xfe\nUSER root\n".to_vec(),
    )]);
    assert!(
        has(&r, "DL3002") && has(&r, "BH-ENCODING"),
        "{:?}",
        found(&r)
    );
    // And a Latin-1 value is replaced, not dropped: the object keeps its (replaced) name.
    let r = run(vec![manifest(
        POD.replace("evil", "ev\u{e9}il")
            .replace("ev\u{e9}il", &String::from_utf8_lossy(b"ev\xe9il")),
    )]);
    assert!(has(&r, "PSS-privileged"));
}

#[test]
fn a_syntax_error_in_one_document_leaves_the_others_judged() {
    let text = format!("{POD}---\na: [1, 2\n---\n{}", POD.replace("evil", "after"));
    let r = run(vec![manifest(text)]);
    assert_eq!(r.findings().filter(|f| f.id == "PSS-privileged").count(), 2);
    let e = parse_errors(&r);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].location.line, Some(12));
    assert!(
        e[0].message.starts_with("not valid YAML or JSON: ")
            && e[0]
                .message
                .ends_with("; this document was not checked (the file's other documents were)"),
        "{}",
        e[0].message
    );
}

// --- The limits, each a finding at its line --------------------------------------------------

fn yaml_limits(f: impl FnOnce(&mut YamlLimits)) -> Limits {
    let mut l = Limits::default();
    f(&mut l.yaml);
    l
}

#[test]
fn nodes_per_document() {
    let text = format!(
        "{POD}---\n{}---\n{}",
        config_map("big", 2_000),
        POD.replace("evil", "after")
    );
    let r = run_with(vec![manifest(text)], yaml_limits(|y| y.max_nodes = 1_000));
    assert_eq!(r.findings().filter(|f| f.id == "PSS-privileged").count(), 2);
    let e = parse_errors(&r);
    assert_eq!(e.len(), 1);
    assert!(
        e[0].message.contains("more than 1000 nodes"),
        "{}",
        e[0].message
    );
    assert!((12..12 + 2_006).contains(&e[0].location.line.unwrap()));
    // A remediation that names the limit.
    assert!(e[0].remediation().unwrap().contains("--max-yaml-nodes"));
}

#[test]
fn documents_per_file() {
    let mut text = String::new();
    for i in 0..10 {
        text.push_str(&format!("---\n{}", POD.replace("evil", &format!("p{i}"))));
    }
    let r = run_with(vec![manifest(text)], yaml_limits(|y| y.max_documents = 4));
    assert_eq!(r.findings().filter(|f| f.id == "PSS-privileged").count(), 4);
    let e = parse_errors(&r);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].location.line, Some(4 * 11 + 1));
    assert!(
        e[0].message.contains(
            "more than 4 documents in one file: the documents from this line on were not read"
        ),
        "{}",
        e[0].message
    );
}

#[test]
fn nodes_per_file_bound_alias_expansion() {
    // Each document expands one anchor 50 times: 10 × 50 = 500 nodes per document.
    let mut text = String::from(POD);
    for i in 0..20 {
        text.push_str(&format!(
            "---\nkind: ConfigMap\nmetadata: {{name: c{i}}}\na: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\nb: [{}]\n",
            vec!["*a"; 50].join(", ")
        ));
    }
    let r = run_with(
        vec![manifest(text)],
        yaml_limits(|y| y.max_file_nodes = 3_000),
    );
    assert!(has(&r, "PSS-privileged"));
    let e = parse_errors(&r);
    assert_eq!(e.len(), 1, "{:?}", found(&r));
    assert!(
        e[0].message.contains("more than 3000 YAML nodes")
            && e[0].message.contains("were not read"),
        "{}",
        e[0].message
    );
}

#[test]
fn an_alias_bomb_is_one_document_over_the_limit() {
    let mut y = String::from("kind: ConfigMap\na: &a [x, x, x, x, x, x, x, x, x, x]\n");
    let mut prev = 'a';
    for c in 'b'..='k' {
        y.push_str(&format!(
            "{c}: &{c} [{}]\n",
            vec![format!("*{prev}"); 10].join(", ")
        ));
        prev = c;
    }
    let start = Instant::now();
    let r = run(vec![manifest(format!("{POD}---\n{y}"))]);
    assert!(start.elapsed() < Duration::from_secs(20));
    assert!(has(&r, "PSS-privileged"));
    let e = parse_errors(&r);
    assert_eq!(e.len(), 1);
    assert!(
        e[0].message.contains("over the YAML reader's limits"),
        "{}",
        e[0].message
    );
}

#[test]
fn findings_per_file() {
    // A List of 30 privileged pods gives about 10 findings each: judged up to the limit.
    let items: String = (0..30)
        .map(|i| {
            format!(
                "- {{kind: Pod, metadata: {{name: p{i}}}, spec: {{containers: [{{name: c, image: x, securityContext: {{privileged: true}}}}]}}}}\n"
            )
        })
        .collect();
    let text = format!("apiVersion: v1\nkind: List\nitems:\n{items}");
    let all = run(vec![manifest(text.clone())]).findings().count();
    let per_pod = all / 30;
    let limits = Limits {
        max_findings: 10 * per_pod,
        ..Limits::default()
    };
    let r = run_with(vec![manifest(text)], limits);
    assert_eq!(
        r.findings().filter(|f| f.id == "PSS-privileged").count(),
        10
    );
    let e = parse_errors(&r);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].location.line, Some(14), "the 11th item");
    assert!(
        e[0].message.starts_with(&format!(
            "more than {} findings in this file: the objects from this line on were not judged",
            10 * per_pod
        )),
        "{}",
        e[0].message
    );
    assert!(fails(&r));
    // One Pod with 2000 containers: its best-practice findings are per container.
    let containers: String = (0..2_000)
        .map(|i| format!("  - {{name: c{i}, image: x, securityContext: {{privileged: true}}}}\n"))
        .collect();
    let text = format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n  containers:\n{containers}"
    );
    let limits = Limits {
        max_findings: 1_000,
        ..Limits::default()
    };
    let r = run_with(vec![manifest(text)], limits);
    assert!(has(&r, "PSS-privileged"), "the PSS checks always fit");
    assert!(
        r.findings().count() <= 1_000 + 20 + 1,
        "{}",
        r.findings().count()
    );
    let e = parse_errors(&r);
    assert_eq!(e.len(), 1);
    assert!(
        e[0].message.contains("this object was judged in part"),
        "{}",
        e[0].message
    );
    // A Dockerfile of 3000 `RUN apt-get install` lines (3 findings each): the first 1000 findings
    // by line, then one finding at the line where reporting stopped.
    let text = format!(
        "FROM alpine:3.20\n{}",
        "RUN apt-get install -y curl\n".repeat(3_000)
    );
    let limits = Limits {
        max_findings: 1_000,
        ..Limits::default()
    };
    let r = run_with(vec![dockerfile(text)], limits);
    assert!(r.findings().count() <= 1_002, "{}", r.findings().count());
    let e = parse_errors(&r);
    assert_eq!(e.len(), 1);
    assert!(
        e[0].message
            .contains("nothing from this line on is reported")
    );
    let last_reported = r
        .findings()
        .filter(|f| f.id != PARSE_RULE_ID)
        .filter_map(|f| f.location.line)
        .max()
        .unwrap();
    assert!(last_reported <= e[0].location.line.unwrap());
}

#[test]
fn file_size_is_a_finding_and_configurable() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("big.yaml");
    let mut text = String::from(POD);
    text.push_str(&"# padding\n".repeat(200_000));
    std::fs::write(&p, &text).unwrap();
    let limits = Limits {
        max_file_bytes: 1 << 20,
        ..Limits::default()
    };
    let r = run_with(vec![Input::Path(p.clone())], limits);
    let e = parse_errors(&r);
    assert_eq!(e.len(), 1);
    assert!(
        e[0].message
            .starts_with("larger than the limit of 1 MiB (raise it with --max-file-size"),
        "{}",
        e[0].message
    );
    // The same bytes from stdin (a stream: cut while reading, then reported).
    let r = run_with(vec![manifest(text.clone())], limits);
    assert!(
        parse_errors(&r)[0]
            .message
            .starts_with("larger than the limit")
    );
    // Raised: checked.
    let r = run_with(
        vec![Input::Path(p)],
        Limits {
            max_file_bytes: 4 << 20,
            ..Limits::default()
        },
    );
    assert!(has(&r, "PSS-privileged") && parse_errors(&r).is_empty());
}

#[test]
fn run_scripts_per_file() {
    // Each script (`apt-get install -y curl`) is 23 bytes; 100 bytes cover four of them.
    let text = format!(
        "FROM alpine:3.20\n{}",
        "RUN apt-get install -y curl\n".repeat(10)
    );
    let limits = Limits {
        max_script_bytes: 100,
        ..Limits::default()
    };
    let r = run_with(vec![dockerfile(text)], limits);
    let lines: Vec<u32> = r
        .findings()
        .filter(|f| f.id == "DL3008")
        .filter_map(|f| f.location.line)
        .collect();
    assert_eq!(lines, [2, 3, 4, 5]);
    let e = parse_errors(&r);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].location.line, Some(6));
    assert!(
        e[0].message
            .starts_with("RUN scripts of more than 100 bytes in this file")
    );
    // A 30 MB heredoc script: analysed up to the default 4 MiB, quickly.
    let text = format!(
        "FROM alpine:3.20\nRUN <<EOF\n{}EOF\n",
        "echo hello && apt-get install -y foo\n".repeat(200_000)
    );
    let start = Instant::now();
    let r = run(vec![dockerfile(text)]);
    assert!(start.elapsed() < Duration::from_secs(30));
    assert!(has(&r, "DL3008"));
    assert_eq!(parse_errors(&r)[0].location.line, Some(2));
}

// --- Dockerfile expansion -------------------------------------------------------------------

#[test]
fn doubling_env_is_checked_up_to_the_budget_and_trips_the_gate() {
    let mut text = String::from("FROM alpine:3.20\nENV A=x\n");
    text.push_str(&"ENV A=$A$A\n".repeat(40));
    text.push_str("USER root\nRUN echo $A\n");
    let start = Instant::now();
    let r = run(vec![dockerfile(text)]);
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
    let e = parse_errors(&r);
    assert_eq!(e.len(), 1, "{:?}", found(&r));
    assert_eq!(e[0].location.line, Some(23));
    assert_eq!(e[0].kind, FindingKind::InputError);
    assert!(
        e[0].message
            .starts_with("variable substitution stopped: a word's variables expand to more than 1048576 bytes; the values over the limit were left unexpanded"),
        "{}",
        e[0].message
    );
    // The rest of the file was checked: the root USER after the doubling lines is reported.
    assert!(has(&r, "DL3002"), "{:?}", found(&r));
    assert!(fails(&r));
}

#[test]
fn replacement_global_args_and_heredocs_are_bounded() {
    let squaring = format!(
        "FROM alpine:3.20\nENV A=xx\n{}USER root\n",
        "ENV A=${A//?/$A}\n".repeat(8)
    );
    let from_var = format!("ARG A=x\n{}FROM $A\nUSER root\n", "ARG A=$A$A\n".repeat(40));
    // A heredoc body substituted with a 60 KB value on every line (hadolint substitutes RUN).
    let heredoc = format!(
        "FROM alpine:3.20\nENV A={}\nRUN <<EOF\n{}EOF\nUSER root\n",
        "y".repeat(60_000),
        "echo $A $A $A $A\n".repeat(2_000)
    );
    for (what, text, line) in [
        ("${A//?/$A}", squaring, 7),
        ("FROM $A", from_var, 22),
        ("heredoc", heredoc, 3),
    ] {
        let start = Instant::now();
        let r = run(vec![dockerfile(text)]);
        assert!(start.elapsed() < Duration::from_secs(20), "{what}");
        let e = parse_errors(&r);
        assert_eq!(e.len(), 1, "{what}: {:?}", found(&r));
        assert_eq!(e[0].location.line, Some(line), "{what}: {}", e[0].message);
        assert!(has(&r, "DL3002"), "{what}: the file was checked");
    }
}

#[test]
fn expansion_limits_are_configurable() {
    let text = "FROM alpine:3.20\nENV A=0123456789\nENV B=$A$A$A\nUSER root\n";
    let r = run(vec![dockerfile(text)]);
    assert!(parse_errors(&r).is_empty());
    let limits = Limits {
        expand: ExpandLimits {
            max_word_bytes: 20,
            max_file_bytes: 1 << 20,
        },
        ..Limits::default()
    };
    let r = run_with(vec![dockerfile(text)], limits);
    let e = parse_errors(&r);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].location.line, Some(3));
    assert!(e[0].message.contains("expand to more than 20 bytes"));
}

// --- Only regular files ---------------------------------------------------------------------

fn mkfifo(p: &Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(p)
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

#[test]
fn fifos_and_devices_are_refused_without_blocking() {
    let d = tempfile::tempdir().unwrap();
    let fifo = d.path().join("Dockerfile");
    mkfifo(&fifo);
    for p in [
        fifo.as_path(),
        Path::new("/dev/zero"),
        Path::new("/dev/urandom"),
    ] {
        let start = Instant::now();
        let e = check(&Request {
            inputs: vec![Input::Path(p.to_path_buf())],
            ..Request::default()
        })
        .unwrap_err();
        assert!(start.elapsed() < Duration::from_secs(5));
        assert!(matches!(e, ConfigError::NotRegular { .. }), "{e}");
        let m = e.to_string();
        assert!(
            m.contains("not a regular file") && m.contains("`… | bulkhead config -`"),
            "{m}"
        );
    }
    // In a walked directory: a finding for each, the regular files checked.
    std::fs::write(d.path().join("pod.yaml"), POD).unwrap();
    std::os::unix::fs::symlink("/dev/zero", d.path().join("zero.yaml")).unwrap();
    std::os::unix::fs::symlink("missing", d.path().join("gone.yml")).unwrap();
    let r = run(vec![Input::Path(d.path().to_path_buf())]);
    assert!(has(&r, "PSS-privileged"));
    let mut msgs: Vec<String> = parse_errors(&r)
        .iter()
        .map(|f| {
            let file = Path::new(f.location.file.as_deref().unwrap());
            format!(
                "{}: {}",
                file.file_name().unwrap().to_string_lossy(),
                f.message
            )
        })
        .collect();
    msgs.sort();
    assert_eq!(
        msgs,
        [
            "Dockerfile: a FIFO (named pipe), not a regular file; not read",
            "gone.yml: a symbolic link that cannot be followed (no such file or directory); not read",
            "zero.yaml: a symbolic link to a character device, not a regular file; not read",
        ]
    );
}

#[test]
fn settings_files_are_bounded() {
    let d = tempfile::tempdir().unwrap();
    let fifo = d.path().join(".bulkhead.yaml");
    mkfifo(&fifo);
    for p in [
        fifo.as_path(),
        Path::new("/dev/zero"),
        Path::new("/dev/urandom"),
    ] {
        let start = Instant::now();
        let e = Settings::load(p).unwrap_err().to_string();
        assert!(start.elapsed() < Duration::from_secs(5));
        assert!(
            e.contains("cannot read the settings file") && e.contains("not a regular file"),
            "{e}"
        );
    }
    // Found in the working directory: an error too, not skipped.
    let e = Settings::discover(d.path()).unwrap_err().to_string();
    assert!(
        e.contains(".bulkhead.yaml: cannot read the settings file: a FIFO"),
        "{e}"
    );
    let big = d.path().join("big.yaml");
    std::fs::write(
        &big,
        format!("ignored: [DL3008]\n{}", "# x\n".repeat(300_000)),
    )
    .unwrap();
    let e = Settings::load(&big).unwrap_err().to_string();
    assert!(e.contains("larger than 1048576 bytes"), "{e}");
    let bad = d.path().join("bad.yaml");
    std::fs::write(&bad, b"ignored: [DL3008]\n# \xff\n").unwrap();
    let e = Settings::load(&bad).unwrap_err().to_string();
    assert!(
        e.ends_with("not UTF-8 text (invalid byte at offset 20)"),
        "{e}"
    );
}

// --- Linear time ----------------------------------------------------------------------------

/// Time `f(n)` for growing `n`; each step may take at most `factor` × the size ratio × the
/// previous time (with a floor for timer noise). Prints the figures.
fn assert_linear(what: &str, sizes: &[usize], factor: f64, mut f: impl FnMut(usize)) {
    let mut prev: Option<(usize, Duration)> = None;
    for &n in sizes {
        let start = Instant::now();
        f(n);
        let took = start.elapsed();
        eprintln!("{what}: n={n} took {took:?}");
        if let Some((pn, pt)) = prev {
            let floor = Duration::from_millis(30);
            let allowed = pt.max(floor).as_secs_f64() * (n as f64 / pn as f64) * factor;
            assert!(
                took.as_secs_f64() <= allowed,
                "{what}: n={n} took {took:?}, more than {factor}× linear from n={pn} ({pt:?})"
            );
        }
        prev = Some((n, took));
    }
}

#[test]
fn linear_in_documents_per_file() {
    assert_linear("documents", &[500, 5_000], 4.0, |n| {
        let mut text = String::new();
        for i in 0..n {
            text.push_str(&format!("---\n{}", POD.replace("evil", &format!("p{i}"))));
        }
        let limits = Limits {
            max_findings: usize::MAX,
            ..Limits::default()
        };
        let r = run_with(vec![manifest(text)], limits);
        assert_eq!(r.findings().filter(|f| f.id == "PSS-privileged").count(), n);
    });
}

#[test]
fn linear_in_keys_per_mapping() {
    assert_linear("keys", &[10_000, 100_000], 4.0, |n| {
        let r = run(vec![manifest(format!("{POD}---\n{}", config_map("c", n)))]);
        assert!(has(&r, "PSS-privileged"));
    });
}

#[test]
fn linear_in_empty_documents() {
    assert_linear("empty documents", &[10_000, 100_000], 4.0, |n| {
        let r = run(vec![manifest(format!("{POD}{}", "---\n".repeat(n)))]);
        assert!(has(&r, "PSS-privileged"));
    });
}

#[test]
fn linear_in_dockerfile_instructions() {
    assert_linear("instructions", &[2_000, 20_000], 4.0, |n| {
        let text = format!(
            "FROM alpine:3.20\n{}",
            "RUN apt-get install -y curl\n".repeat(n)
        );
        let limits = Limits {
            max_findings: usize::MAX,
            ..Limits::default()
        };
        let r = run_with(vec![dockerfile(text)], limits);
        assert_eq!(r.findings().filter(|f| f.id == "DL3008").count(), n);
    });
}

#[test]
fn linear_in_dockerfile_lines() {
    // Comment and continuation lines: many lines, few instructions.
    assert_linear("lines", &[5_000, 50_000], 4.0, |n| {
        let text = format!(
            "FROM alpine:3.20\n{}RUN echo \\\n{}  done\n",
            "# a comment\n".repeat(n),
            "  a \\\n".repeat(n)
        );
        let r = run(vec![dockerfile(text)]);
        assert!(parse_errors(&r).is_empty());
    });
}

#[test]
fn linear_in_ignore_pragmas() {
    assert_linear("line pragmas", &[2_000, 20_000], 4.0, |n| {
        let text = format!(
            "FROM alpine:3.20\n{}",
            "# hadolint ignore=DL3008\nRUN apt-get install -y curl\n".repeat(n)
        );
        let r = run(vec![dockerfile(text)]);
        assert!(!has(&r, "DL3008"));
    });
    assert_linear("stage pragmas", &[1_000, 10_000], 4.0, |n| {
        let mut text = String::new();
        for i in 0..n {
            text.push_str(&format!(
                "FROM alpine:3.20 AS s{i}\n# hadolint stage ignore=DL3018\nRUN apk add curl\n"
            ));
        }
        let r = run(vec![dockerfile(text)]);
        assert!(!has(&r, "DL3018"));
    });
}

#[test]
fn linear_in_env_pairs() {
    // DL3044 compares every pair of one ENV with the others.
    assert_linear("ENV pairs", &[4_000, 40_000], 4.0, |n| {
        let pairs: Vec<String> = (0..n).map(|i| format!("a{i}=$a{}", i + 1)).collect();
        let text = format!("FROM alpine:3.20\nENV {}\n", pairs.join(" \\\n  "));
        let r = run(vec![dockerfile(text)]);
        assert!(has(&r, "DL3044"));
    });
}

#[test]
fn linear_in_stages() {
    assert_linear("chained stages", &[500, 5_000], 4.0, |n| {
        let mut text = String::from("FROM alpine:3.20 AS s0\nUSER app\n");
        for i in 1..n {
            text.push_str(&format!("FROM s{} AS s{i}\nENV V{i}=x\n", i - 1));
        }
        let r = run(vec![dockerfile(text)]);
        assert!(
            !has(&r, "BH-DF-001"),
            "USER app is inherited through the chain"
        );
    });
    assert_linear("FROM $VAR", &[1_000, 10_000], 4.0, |n| {
        let mut text = String::new();
        for i in 0..n {
            text.push_str(&format!("ARG A{i}=alpine\n"));
        }
        for i in 0..n {
            text.push_str(&format!("FROM $A{i}:3.20 AS s{i}\n"));
        }
        run(vec![dockerfile(text)]);
    });
}

#[test]
fn the_deepest_depth_allowed_fits_the_stack() {
    // 1000 levels inside a Pod spec (cloned by API defaulting, dropped after judging) on a test
    // thread's 2 MiB stack, with the limit raised to its maximum.
    let limits = yaml_limits(|y| y.max_depth = usize::MAX);
    let r = run_with(vec![manifest(nested_pod(1_000))], limits);
    assert!(has(&r, "PSS-privileged"), "{:?}", found(&r));
    let r = run_with(vec![manifest(nested_pod(1_100))], limits);
    let e = parse_errors(&r);
    assert!(
        e[0].message.contains("nested more than 1024 levels deep"),
        "{}",
        e[0].message
    );
    // Flow style too (`[[[[…]]]]`): the parser's own flow limit (255) applies first.
    let flow = format!(
        "kind: ConfigMap\ndata: {}{}\n",
        "[".repeat(300),
        "]".repeat(300)
    );
    let r = run_with(vec![manifest(format!("{POD}---\n{flow}"))], limits);
    assert!(has(&r, "PSS-privileged"));
    assert_eq!(parse_errors(&r).len(), 1);
}
