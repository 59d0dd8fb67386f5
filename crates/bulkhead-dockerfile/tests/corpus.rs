//! Parse every Dockerfile of the shared corpus (`../shared/data/dockerfiles`, see its MANIFEST.md)
//! and the fixtures shipped with the crate.
//!
//! Asserts: no file panics; every file parses or gives a `ParseError` whose line is within the file;
//! every failure is listed in `KNOWN_INVALID` with the reason BuildKit rejects the file too.

use std::path::{Path, PathBuf};

/// Corpus files that BuildKit rejects as well, with the reason. Empty: every corpus file is valid.
const KNOWN_INVALID: &[(&str, &str)] = &[];

fn is_dockerfile(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.contains("dockerfile") && !lower.ends_with(".md") || lower.contains("containerfile")
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, out);
        } else if p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(is_dockerfile)
        {
            out.push(p);
        }
    }
}

struct Outcome {
    parsed: usize,
    total: usize,
    failures: Vec<(String, String)>,
}

fn run(files: &[PathBuf]) -> Outcome {
    let mut parsed = 0;
    let mut failures = Vec::new();
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let bytes = std::fs::read(f).unwrap();
        let lines = bytes.split(|&b| b == b'\n').count().max(1);
        let r = std::panic::catch_unwind(|| bulkhead_dockerfile::parse_bytes(&bytes));
        match r {
            Err(_) => panic!("{name}: parser panicked"),
            Ok(Ok(df)) => {
                assert!(!df.stages.is_empty(), "{name}: no stages");
                for i in df.instructions() {
                    assert!(
                        i.start_line >= 1 && i.start_line <= i.end_line && i.end_line <= lines,
                        "{name}: instruction lines {}..{} outside 1..{lines}",
                        i.start_line,
                        i.end_line
                    );
                }
                parsed += 1;
            }
            Ok(Err(e)) => {
                assert!(
                    e.line >= 1 && e.line <= lines,
                    "{name}: error line {} outside 1..{lines}: {e}",
                    e.line
                );
                failures.push((name, e.display_with_path("Dockerfile")));
            }
        }
    }
    Outcome {
        parsed,
        total: files.len(),
        failures,
    }
}

fn report(label: &str, o: &Outcome) {
    println!("{label}: parsed {}/{}", o.parsed, o.total);
    for (name, msg) in &o.failures {
        let known = KNOWN_INVALID.iter().find(|(n, _)| n == name);
        match known {
            Some((_, why)) => println!("  FAILED (known invalid: {why}) {name}: {msg}"),
            None => println!("  FAILED {name}: {msg}"),
        }
    }
    let unexpected: Vec<_> = o
        .failures
        .iter()
        .filter(|(n, _)| !KNOWN_INVALID.iter().any(|(k, _)| k == n))
        .collect();
    assert!(
        unexpected.is_empty(),
        "{label}: files BuildKit accepts failed to parse: {unexpected:?}"
    );
}

#[test]
fn shared_corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    let dir = root.join("data/dockerfiles");
    if !dir.is_dir() {
        if std::env::var("BULKHEAD_STRICT").as_deref() == Ok("1") {
            panic!("BULKHEAD_STRICT=1 but {} is absent", dir.display());
        }
        println!("SKIP: ../shared absent");
        return;
    }
    let mut files = Vec::new();
    collect(&dir, &mut files);
    assert!(!files.is_empty(), "no Dockerfiles under {}", dir.display());
    let o = run(&files);
    report("shared corpus", &o);
}

#[test]
fn fixtures() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut files = Vec::new();
    collect(&dir, &mut files);
    assert!(files.len() >= 3, "fixtures missing");
    let o = run(&files);
    report("fixtures", &o);
    assert_eq!(o.parsed, o.total);
}

fn fixture(name: &str) -> bulkhead_dockerfile::Dockerfile {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    bulkhead_dockerfile::parse_bytes(&std::fs::read(p).unwrap()).unwrap()
}

#[test]
fn fixture_contents() {
    use bulkhead_dockerfile::{Command, Kind, shell::split_commands};

    let df = fixture("nginx-modules.Dockerfile.alpine");
    assert_eq!(df.global_args.len(), 1);
    assert_eq!(df.stages.len(), 2);
    assert_eq!(df.stages[0].name.as_deref(), Some("builder"));
    assert_eq!(df.stages[0].base_expanded, "nginx:mainline-alpine");
    let big = &df.stages[0].instructions[4];
    assert_eq!(
        (big.kind, big.start_line, big.end_line),
        (Kind::Run, 15, 62)
    );
    let cmds = split_commands(&big.shell_script().unwrap());
    assert!(
        cmds.iter()
            .any(|c| c.name() == Some("apk") && c.has_arg("linux-headers"))
    );
    let run = &df.stages[1].instructions[0];
    let mount = run.flag("mount").unwrap();
    assert!(
        mount
            .fields()
            .contains(&("from".to_string(), Some("builder".to_string())))
    );

    let df = fixture("meteor-dockerbase.Dockerfile");
    let triggers: Vec<Kind> = df.stages[0]
        .instructions
        .iter()
        .filter_map(|i| match &i.command {
            Command::Onbuild(o) => o.trigger.as_ref().map(|t| t.kind),
            _ => None,
        })
        .collect();
    assert_eq!(
        triggers,
        vec![
            Kind::Workdir,
            Kind::Copy,
            Kind::Run,
            Kind::Workdir,
            Kind::Run
        ]
    );

    let df = fixture("cartservice.Dockerfile");
    assert_eq!(df.stages[0].platform.as_deref(), Some("$BUILDPLATFORM"));
    // a global ARG default replaces the automatic platform value
    assert_eq!(df.global_env().get("BUILDPLATFORM"), Some("linux/amd64"));

    let df = fixture("golang-nanoserver.Dockerfile");
    let Command::Copy(c) = &df.stages[0].instructions[6].command else {
        panic!("COPY expected")
    };
    assert!(c.json);
    assert_eq!(c.dest.value, "C:\\Program Files\\Go");
}
