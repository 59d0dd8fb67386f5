//! Every example in README.md and docs/*.md runs as shown. An example is a ```console block: lines
//! starting with `$ ` are commands (run by bash from the repository root, with the freshly built
//! `bulkhead` first on PATH, stderr merged into stdout, `NO_COLOR=1`, a fresh `XDG_CACHE_HOME`), the
//! lines after a command are its output. Each documented output line must appear in the real output,
//! in order; `…` in a documented line stands for any text (times, sizes, hashes). A command ending
//! in `# exit N` must exit with N, every other with 0. Blocks of one file share state (files under
//! /tmp/bulkhead-docs), in order.

mod common;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Example {
    file: String,
    line: usize,
    command: String,
    exit: i32,
    output: Vec<String>,
}

fn examples(path: &Path) -> Vec<Example> {
    let text = std::fs::read_to_string(path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let mut out: Vec<Example> = Vec::new();
    let mut in_block = false;
    let mut indent = 0;
    let mut pending: Option<String> = None;
    for (i, raw) in text.lines().enumerate() {
        if !in_block {
            in_block = raw.trim_start() == "```console";
            indent = raw.len() - raw.trim_start().len();
            continue;
        }
        // A block indented in a list item: its lines carry the fence's indentation.
        let line = if raw.len() >= indent && raw[..indent].trim().is_empty() {
            &raw[indent..]
        } else {
            raw
        };
        if line.trim_start().starts_with("```") {
            in_block = false;
            continue;
        }
        if let Some(p) = pending.as_mut() {
            p.push('\n');
            p.push_str(line);
            if !line.ends_with('\\') {
                let cmd = pending.take().unwrap();
                let e = out.last_mut().unwrap();
                (e.command, e.exit) = split_exit(&cmd);
            }
            continue;
        }
        if let Some(cmd) = line.strip_prefix("$ ") {
            let (command, exit) = split_exit(cmd);
            out.push(Example {
                file: name.clone(),
                line: i + 1,
                command,
                exit,
                output: Vec::new(),
            });
            if cmd.ends_with('\\') {
                pending = Some(cmd.to_string());
            }
        } else if let Some(e) = out.last_mut() {
            e.output.push(line.trim_end().to_string());
        }
    }
    out
}

/// A command and its documented exit code (`# exit N` at its end; 0 without).
fn split_exit(cmd: &str) -> (String, i32) {
    match cmd.rsplit_once("# exit ") {
        Some((c, n)) if n.trim().parse::<i32>().is_ok() => {
            (c.trim_end().to_string(), n.trim().parse().unwrap())
        }
        _ => (cmd.to_string(), 0),
    }
}

/// Whether `actual` matches the documented `want` (`…` stands for any text).
fn line_matches(want: &str, actual: &str) -> bool {
    let actual = actual.trim_end();
    if !want.contains('…') {
        return want == actual;
    }
    let parts: Vec<&str> = want.split('…').collect();
    let mut rest = actual;
    for (i, p) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(p) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(p);
        } else {
            match rest.find(p) {
                Some(at) => rest = &rest[at + p.len()..],
                None => return false,
            }
        }
    }
    true
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn documented_examples_run_as_shown() {
    if common::testdata().is_none() {
        return;
    }
    if !repo().join("../shared/data").is_dir() {
        if std::env::var("BULKHEAD_STRICT").as_deref() == Ok("1") {
            panic!("../shared/data missing: the documented examples read it");
        }
        println!("SKIP: ../shared/data absent; the documented examples read it (checked nothing)");
        return;
    }
    let bin_dir = PathBuf::from(env!("CARGO_BIN_EXE_bulkhead"))
        .parent()
        .unwrap()
        .to_path_buf();
    let mut files = vec![repo().join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(repo().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    let mut total = 0;
    let mut failures = Vec::new();
    for f in &files {
        let list = examples(f);
        if list.is_empty() {
            continue;
        }
        let cache = tempfile::tempdir().unwrap();
        let scratch = Path::new("/tmp/bulkhead-docs");
        let _ = std::fs::remove_dir_all(scratch);
        std::fs::create_dir_all(scratch).unwrap();
        for ex in list {
            total += 1;
            let out = Command::new("bash")
                .arg("-c")
                .arg(format!("exec 2>&1\n{}", ex.command))
                .current_dir(repo())
                .env(
                    "PATH",
                    format!(
                        "{}:{}",
                        bin_dir.display(),
                        std::env::var("PATH").unwrap_or_default()
                    ),
                )
                .env("XDG_CACHE_HOME", cache.path())
                .env("NO_COLOR", "1")
                .env_remove("COLUMNS")
                .env_remove("BULKHEAD_DB")
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            let code = out.status.code().unwrap_or(-1);
            let where_ = format!("{}:{}: {}", ex.file, ex.line, ex.command);
            if code != ex.exit {
                failures.push(format!(
                    "{where_}\n  exit {code}, documented {}\n{text}",
                    ex.exit
                ));
                continue;
            }
            let lines: Vec<&str> = text.lines().collect();
            let mut at = 0;
            for want in ex.output.iter().filter(|w| !w.trim().is_empty()) {
                match lines[at..].iter().position(|l| line_matches(want, l)) {
                    Some(p) => at += p + 1,
                    None => {
                        failures.push(format!(
                            "{where_}\n  documented line not in the output (in order): {want:?}\n--- output ---\n{text}"
                        ));
                        break;
                    }
                }
            }
        }
    }
    println!(
        "documented examples: {total} run, {} as shown",
        total - failures.len()
    );
    assert!(total > 0, "no ```console example found");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_matcher_of_documented_lines() {
    assert!(line_matches("a …s done", "a 3.2s done"));
    assert!(line_matches("x", "x   "));
    assert!(!line_matches("x", "xy"));
    assert!(line_matches("…tail", "any tail"));
    assert!(line_matches("head…", "head and more"));
    assert!(!line_matches("a…b…c", "a c b"));
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("x.md");
    std::fs::write(
        &md,
        "text\n```console\n$ bulkhead version # exit 0\nVersion: …\n$ false \\\n  && true # exit 1\n```\n```\n$ not run\n```\n",
    )
    .unwrap();
    let ex = examples(&md);
    assert_eq!(ex.len(), 2);
    assert_eq!(ex[0].output, vec!["Version: …"]);
    assert_eq!(ex[1].command, "false \\\n  && true");
    assert_eq!(ex[1].exit, 1);
}
