//! `bulkhead runtime validate`: the contract (exit 0 when the files load with no error) and Falco's
//! `-V` text and JSON shapes.

mod common;
use common::*;

#[test]
fn validate_good_and_bad_rules_files() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.yaml");
    std::fs::write(
        &good,
        "- list: shells\n  items: [bash, sh]\n- macro: spawned\n  condition: evt.type = execve and evt.dir = <\n- rule: Shell\n  desc: a shell\n  condition: spawned and proc.name in (shells)\n  output: shell %proc.name\n  priority: WARNING\n",
    )
    .unwrap();
    let out = bulkhead(&["runtime", "validate", good.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("{}: Ok", good.display())
    );
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "- rule: Broken\n  desc: x\n  condition: evt.type = execve and (proc.name = a\n  output: x\n  priority: INFO\n",
    )
    .unwrap();
    let out = bulkhead(&["runtime", "validate", "--json", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let r = &v["falco_load_results"][0];
    assert_eq!(r["successful"], false);
    assert_eq!(
        r["errors"][0]["code"], "LOAD_ERR_COMPILE_CONDITION",
        "{v:#}"
    );
}

#[test]
fn upstream_rules_files_validate() {
    let root =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/falco/rules");
    if !root.is_dir() {
        assert!(
            std::env::var_os("BULKHEAD_STRICT").is_none(),
            "../shared absent"
        );
        println!("SKIP: ../shared absent");
        return;
    }
    let files = [
        "falcosecurity-rules/falco_rules.yaml",
        "falcosecurity-rules/falco-incubating_rules.yaml",
        "falcosecurity-rules/falco-sandbox_rules.yaml",
    ];
    let paths: Vec<String> = files
        .iter()
        .map(|f| root.join(f).display().to_string())
        .collect();
    let mut args = vec!["runtime", "validate"];
    args.extend(paths.iter().map(String::as_str));
    let out = bulkhead(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let k8s = root.join("plugins-k8saudit/k8s_audit_rules.yaml");
    let out = bulkhead(&["runtime", "validate", k8s.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn replay_k8s_audit_events_as_falco_json() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("k8s.yaml");
    std::fs::write(
        &rules,
        "- required_engine_version: 2\n- list: trusted\n  items: [registry.k8s.io/pause]\n- macro: kcreate\n  condition: ka.verb=create\n- rule: Privileged pod\n  desc: x\n  condition: kcreate and ka.target.resource=pods and ka.req.pod.containers.privileged intersects (true) and not ka.req.pod.containers.image.repository in (trusted)\n  output: privileged pod (user=%ka.user.name images=%ka.req.pod.containers.image ns=%ka.target.namespace)\n  priority: WARNING\n  source: k8s_audit\n  tags: [k8s]\n",
    )
    .unwrap();
    let ev = |image: &str, privileged: bool| {
        serde_json::json!({"kind": "Event", "apiVersion": "audit.k8s.io/v1", "auditID": "x", "stage": "ResponseComplete",
            "verb": "create", "user": {"username": "alice"}, "objectRef": {"resource": "pods", "namespace": "prod"},
            "stageTimestamp": "2024-05-01T10:00:00.123456Z",
            "requestObject": {"spec": {"containers": [{"name": "c", "image": image, "securityContext": {"privileged": privileged}}]}}})
            .to_string()
    };
    let capture = dir.path().join("audit.jsonl");
    std::fs::write(
        &capture,
        [
            ev("nginx:1.25", true),
            ev("nginx:1.25", false),
            ev("registry.k8s.io/pause:3.9", true),
        ]
        .join("\n"),
    )
    .unwrap();
    let out = bulkhead(&[
        "runtime",
        "replay",
        "-r",
        rules.to_str().unwrap(),
        "-e",
        capture.to_str().unwrap(),
        "-o",
        "json_output=true",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{lines:#?}");
    let a = &lines[0];
    assert_eq!(a["rule"], "Privileged pod");
    assert_eq!(a["priority"], "Warning");
    assert_eq!(a["source"], "k8s_audit");
    assert_eq!(a["time"], "2024-05-01T10:00:00.123456000Z");
    assert_eq!(a["tags"][0], "k8s");
    assert_eq!(a["output_fields"]["ka.user.name"], "alice");
    assert!(
        a["output"]
            .as_str()
            .unwrap()
            .ends_with("Warning privileged pod (user=alice images=nginx:1.25 ns=prod)"),
        "{a}"
    );
    // A priority threshold above WARNING drops it; -T drops it by tag.
    for extra in [["-o", "priority=error"], ["-T", "k8s"]] {
        let out = bulkhead(&[
            "runtime",
            "replay",
            "-r",
            rules.to_str().unwrap(),
            "-e",
            capture.to_str().unwrap(),
            extra[0],
            extra[1],
        ]);
        assert!(out.status.success());
        assert!(
            out.stdout.is_empty(),
            "{extra:?}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

/// The capture shipped with the repository (Falco's cat_write.scap, Apache-2.0; see
/// crates/bulkhead-scap/tests/fixtures/PROVENANCE.md) through Falco's `single_rule.yaml` test rule:
/// 8 alerts (4 open enter + 4 open exit events), with Falco's exact text line (both time formats).
#[test]
fn replay_scap_capture_as_falco() {
    let capture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../bulkhead-scap/tests/fixtures/cat_write.scap");
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("single_rule.yaml");
    std::fs::write(
        &rules,
        "- list: cat_binaries\n  items: [cat]\n- list: cat_capable_binaries\n  items: [cat_binaries]\n- macro: is_cat\n  condition: proc.name in (cat_capable_binaries)\n- rule: open_from_cat\n  desc: A process named cat does an open\n  condition: evt.type=open and is_cat\n  output: \"An open was seen (command=%proc.cmdline)\"\n  priority: WARNING\n",
    )
    .unwrap();
    let out = bulkhead(&[
        "runtime",
        "replay",
        "-r",
        rules.to_str().unwrap(),
        "-e",
        capture.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 8, "{text}");
    // Falco's default time is %evt.time; time_format_iso_8601 gives %evt.time.iso8601.
    assert_eq!(
        lines[0],
        "16:17:57.881781397: Warning An open was seen (command=cat /dev/null)"
    );
    let out = bulkhead(&[
        "runtime",
        "replay",
        "-r",
        rules.to_str().unwrap(),
        "-e",
        capture.to_str().unwrap(),
        "-o",
        "time_format_iso_8601=true",
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text.lines().next(),
        Some(
            "2016-08-04T16:17:57.881781397+0000: Warning An open was seen (command=cat /dev/null)"
        )
    );
}

/// Bulkhead's own capture format: a .scap converted with `runtime convert` replays to the same
/// alerts, byte for byte.
#[test]
fn own_capture_format_round_trip() {
    let capture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../bulkhead-scap/tests/fixtures/cat_write.scap");
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("r.yaml");
    std::fs::write(
        &rules,
        "- rule: opens\n  desc: x\n  condition: evt.type in (open, openat) and evt.dir=<\n  output: \"%proc.name opened %fd.name (parent %proc.aname[1], fd %fd.num)\"\n  priority: NOTICE\n",
    )
    .unwrap();
    let own = dir.path().join("cat.bhcap");
    let out = bulkhead(&[
        "runtime",
        "convert",
        "-e",
        capture.to_str().unwrap(),
        "-o",
        own.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let header = std::fs::read_to_string(&own).unwrap();
    assert!(
        header.starts_with("{\"bulkhead_capture\":2"),
        "{}",
        &header[..80]
    );
    // Compact: thread state in `thread` records, written when it changes, not in every event.
    let threads = header
        .lines()
        .filter(|l| l.starts_with("{\"ancestors\""))
        .count();
    let events = header
        .lines()
        .filter(|l| l.contains("\"source\":\"syscall\""))
        .count();
    assert!(
        threads > 0 && threads < events,
        "{threads} thread records, {events} events"
    );
    let replay = |c: &std::path::Path| {
        let out = bulkhead(&[
            "runtime",
            "replay",
            "-r",
            rules.to_str().unwrap(),
            "-e",
            c.to_str().unwrap(),
            "-o",
            "json_output=true",
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let direct = replay(&capture);
    assert!(direct.lines().count() >= 4, "{direct}");
    assert!(direct.contains("opened /dev/null"), "{direct}");
    assert_eq!(replay(&own), direct);
}

#[test]
fn fields_lists_types_and_what_is_extracted() {
    let v = bulkhead_json(&["runtime", "fields", "--json"]);
    let fields = v.as_array().unwrap();
    assert!(fields.len() > 300, "{}", fields.len());
    let get = |n: &str| {
        fields
            .iter()
            .find(|f| f["name"] == n)
            .unwrap_or_else(|| panic!("{n}"))
    };
    assert_eq!(get("proc.name")["source"], "syscall");
    assert_eq!(get("proc.name")["extracted"], true);
    assert_eq!(get("ka.verb")["extracted"], true);
    assert!(get("ka.user.groups")["list"].as_bool().unwrap());
    // Container image id and digest are extracted; a field that is not says why.
    assert_eq!(get("container.image.id")["extracted"], true);
    assert_eq!(get("container.image.digest")["extracted"], true);
    assert!(get("container.image.id").get("not_extracted").is_none());
    assert_eq!(get("fd.sip.name")["extracted"], false);
    assert!(
        get("fd.sip.name")["not_extracted"]
            .as_str()
            .unwrap()
            .contains("DNS"),
        "{}",
        get("fd.sip.name")
    );
    let text = String::from_utf8(bulkhead(&["runtime", "fields"]).stdout).unwrap();
    let latency = text
        .lines()
        .find(|l| l.starts_with("evt.latency "))
        .unwrap();
    assert!(
        latency.contains(" no ") && latency.contains("[not extracted: "),
        "{latency}"
    );
    let k8s = bulkhead_json(&["runtime", "fields", "--json", "--source", "k8s_audit"]);
    assert!(
        k8s.as_array()
            .unwrap()
            .iter()
            .all(|f| f["source"] == "k8s_audit")
    );
}

/// The Falco regression tests that run with a configuration file (`-c`): syscall event drop
/// monitoring on ping_sendto.scap (actions, thresholds, exit) and the stdout output, run through
/// the CLI as Falco's test runner runs Falco — exit code and regular expressions over stdout and
/// stderr. The four tests of expectations.yaml are joined by the four other drop tests of the same
/// legacy suite (falcosecurity/testing@9a9c8676 tests/falco/legacy_test.go: MonitorSyscallDrops
/// Exit, None, IgnoreAndLog, ThresholdOor), whose assertions are written out below.
#[test]
fn falco_configuration_tests_through_the_cli() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/falco");
    if !root.is_dir() {
        assert!(
            std::env::var_os("BULKHEAD_STRICT").is_none(),
            "../shared absent"
        );
        println!("SKIP: ../shared absent (this test checked nothing)");
        return;
    }
    let work = root.join("../../..");
    let text = std::fs::read_to_string(root.join("expectations.yaml")).unwrap();
    let mut tests: Vec<serde_json::Value> = serde_saphyr::from_str(&text).unwrap();
    tests.retain(|t| {
        t["config_files"].is_array()
            && t["capture_file"]
                .as_str()
                .is_some_and(|c| c.ends_with(".scap"))
    });
    let extra = |name: &str, conf: &str, exit: i64, regexps: serde_json::Value| {
        serde_json::json!({
            "test": name,
            "rules_files": ["shared/data/falco/rules/testing-embedded/single_rule.yaml"],
            "config_files": [format!("shared/data/falco/configs/testing-embedded/{conf}.yaml")],
            "capture_file": "shared/data/falco/captures/ping_sendto.scap",
            "expect": {"exit_code": exit, "output_regexps": regexps},
        })
    };
    // (test, configuration, exit code, [(stream, must match?, expression)]), from legacy_test.go.
    let drop = "Falco internal: syscall event drop";
    let ignore_log =
        "syscall event drop action \"log\" does not make sense with the \"ignore\" action";
    let range = "syscall event drops threshold must be a double in the range";
    type Expect<'a> = Vec<(&'a str, bool, &'a str)>;
    let written: [(&str, &str, i64, Expect); 4] = [
        (
            "Exit",
            "drops_exit",
            1,
            vec![
                ("stderr", true, "event drop detected: 1 occurrences"),
                ("stderr", true, "num times actions taken: 1"),
                ("stderr", true, drop),
                ("stderr", true, "Exiting."),
                ("stdout", false, drop),
            ],
        ),
        (
            "None",
            "drops_none",
            0,
            vec![
                ("stderr", false, "event drop detected: 9 occurrences"),
                ("stderr", false, "num times actions taken: 9"),
                ("stderr", false, drop),
                ("stdout", false, drop),
            ],
        ),
        (
            "IgnoreAndLog",
            "drops_ignore_log",
            1,
            vec![
                ("stderr", true, ignore_log),
                ("stderr", false, "event drop detected: 9 occurrences"),
                ("stderr", false, drop),
                ("stdout", false, drop),
            ],
        ),
        (
            "ThresholdOor",
            "drops_threshold_oor",
            1,
            vec![
                ("stderr", true, range),
                ("stderr", false, "event drop detected: 9 occurrences"),
                ("stderr", false, drop),
                ("stdout", false, drop),
            ],
        ),
    ];
    for (name, conf, exit, regexps) in written {
        let regexps: Vec<serde_json::Value> = regexps
            .into_iter()
            .map(|(stream, must, pat)| {
                let kind = if must { "must_match" } else { "must_not_match" };
                serde_json::json!({"stream": stream, kind: pat})
            })
            .collect();
        tests.push(extra(
            &format!("TestFalco_Legacy_MonitorSyscallDrops{name}"),
            conf,
            exit,
            serde_json::Value::Array(regexps),
        ));
    }
    let (mut agree, mut total) = (0, 0);
    for t in &tests {
        let name = t["test"].as_str().unwrap();
        let path = |v: &serde_json::Value| work.join(v.as_str().unwrap()).display().to_string();
        let mut args: Vec<String> = vec!["runtime".into(), "replay".into()];
        for r in t["rules_files"].as_array().unwrap() {
            args.extend(["-r".into(), path(r)]);
        }
        args.extend(["-c".into(), path(&t["config_files"][0])]);
        args.extend(["-e".into(), path(&t["capture_file"])]);
        for a in t["options"]["args"].as_array().into_iter().flatten() {
            args.push(a.as_str().unwrap().to_string());
        }
        if !std::path::Path::new(&path(&t["capture_file"])).is_file() {
            println!("  {name}: capture absent, not run");
            continue;
        }
        total += 1;
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = bulkhead(&argv);
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        );
        let mut ok = true;
        let want_exit = t["expect"]["exit_code"].as_i64().unwrap_or(0);
        if out.status.code() != Some(want_exit as i32) {
            ok = false;
            println!(
                "  {name}: exit {:?}, want {want_exit}: {stderr}",
                out.status.code()
            );
        }
        for r in t["expect"]["output_regexps"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let text = if r["stream"] == "stderr" {
                &stderr
            } else {
                &stdout
            };
            if let Some(p) = r["must_match"].as_str()
                && !regex::Regex::new(p).unwrap().is_match(text)
            {
                ok = false;
                println!("  {name}: {} should match {p:?}", r["stream"]);
            }
            if let Some(p) = r["must_not_match"].as_str()
                && regex::Regex::new(p).unwrap().is_match(text)
            {
                ok = false;
                println!("  {name}: {} should not match {p:?}", r["stream"]);
            }
        }
        for f in t["expect"]["expected_output_files"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let want = std::fs::read_to_string(path(f)).unwrap();
            for l in want.lines().filter(|l| !l.is_empty()) {
                if !stdout.lines().any(|x| x == l) {
                    ok = false;
                    println!("  {name}: stdout lacks {l:?}");
                }
            }
        }
        if ok {
            agree += 1;
        }
    }
    println!("Falco configuration tests through the CLI: {agree}/{total} agree");
    assert_eq!(
        total, 9,
        "the 5 tests of expectations.yaml and the 4 written out here"
    );
    assert_eq!(agree, total);
}

/// `-p FORMAT` appends to every syscall rule's output (Falco's extra output); `-t` with `-T`/`-D`
/// is refused with Falco's message and exit code 1.
#[test]
fn replay_extra_output_and_tag_conflict() {
    let capture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../bulkhead-scap/tests/fixtures/cat_write.scap");
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("r.yaml");
    std::fs::write(
        &rules,
        "- rule: open_from_cat\n  desc: d\n  condition: evt.type=open and proc.name=cat\n  output: \"open (command=%proc.cmdline)\"\n  priority: WARNING\n  tags: [a]\n",
    )
    .unwrap();
    let (r, c) = (rules.to_str().unwrap(), capture.to_str().unwrap());
    let out = bulkhead(&[
        "runtime",
        "replay",
        "-r",
        r,
        "-e",
        c,
        "-p",
        "pid=%proc.pid parent=%proc.pname",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text.lines().next(),
        Some("16:17:57.881781397: Warning open (command=cat /dev/null) pid=20072 parent=bash"),
        "{text}"
    );
    let out = bulkhead(&["runtime", "replay", "-r", r, "-e", c, "-t", "a", "-T", "b"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("You can not specify both disabled (-D/-T) and enabled (-t) rules")
    );
}

/// A rules directory loads its `*.yaml`/`*.yml` files in name order (Falco's
/// `read_rules_file_directory`), for `validate` and `replay`.
#[test]
fn rules_directories_load_in_name_order() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("rules.d");
    std::fs::create_dir(&d).unwrap();
    // b.yaml appends to the list a.yaml defines: only valid in name order.
    std::fs::write(
        d.join("a.yaml"),
        "- list: bins\n  items: [cat]\n- rule: r\n  desc: d\n  condition: evt.type=open and proc.name in (bins)\n  output: \"open by %proc.name\"\n  priority: WARNING\n",
    )
    .unwrap();
    std::fs::write(
        d.join("b.yml"),
        "- list: bins\n  items: [ls]\n  override:\n    items: append\n",
    )
    .unwrap();
    std::fs::write(d.join("notes.txt"), "not rules").unwrap();
    let out = bulkhead(&["runtime", "validate", d.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("a.yaml: Ok") && text.contains("b.yml: Ok"),
        "{text}"
    );
    assert!(!text.contains("notes.txt"), "{text}");
    let capture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../bulkhead-scap/tests/fixtures/cat_write.scap");
    let out = bulkhead(&[
        "runtime",
        "replay",
        "-r",
        d.to_str().unwrap(),
        "-e",
        capture.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 8);
}

/// `--convert-old-events` replays through libscap's newer converter: the enter events of
/// fstat/read/close are merged into their exits, so a rule on `fd.name=/dev/null` (Falco's
/// catchall_order.yaml) sees 3 of the 6 events the capture stores (Falco 0.34.1's count, which
/// the regression expectations hold).
#[test]
fn replay_with_the_old_event_converter() {
    let capture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../bulkhead-scap/tests/fixtures/cat_write.scap");
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("r.yaml");
    std::fs::write(
        &rules,
        "- rule: dev_null\n  desc: d\n  condition: fd.name=/dev/null\n  output: \"%evt.type %evt.dir\"\n  priority: INFO\n  warn_evttypes: false\n",
    )
    .unwrap();
    let (r, c) = (rules.to_str().unwrap(), capture.to_str().unwrap());
    let lines = |extra: &[&str]| {
        let mut args = vec!["runtime", "replay", "-r", r, "-e", c];
        args.extend(extra);
        let out = bulkhead(&args);
        assert!(out.status.success());
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| l.split_once(": Informational ").unwrap().1.to_string())
            .collect::<Vec<_>>()
    };
    let stored = lines(&[]);
    let converted = lines(&["--convert-old-events"]);
    assert_eq!(stored.len(), 7, "{stored:?}");
    assert!(stored.contains(&"read >".to_string()));
    assert_eq!(
        converted,
        vec!["open <", "fstat <", "read <", "close <"],
        "{converted:?}"
    );
}

/// Every event of every shared capture, with ~40 fields in its output (process, user, fd, socket,
/// container, capabilities, environment, buffers), prints the same from the `.scap` and from its
/// conversion to Bulkhead's own format: the format carries the whole event model.
#[test]
fn own_format_carries_every_field_of_every_event() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("all.yaml");
    std::fs::write(
        &rules,
        "- rule: everything\n  desc: d\n  condition: evt.num > 0\n  output: \"%evt.num %evt.time %evt.type %evt.dir %evt.args %proc.name %proc.pid %proc.ppid %proc.cmdline %proc.exepath %proc.cwd %proc.aname[2] %proc.tty %proc.vpid %proc.sname %user.name %user.uid %user.loginuid %group.name %fd.num %fd.name %fd.nameraw %fd.type %fd.typechar %fd.l4proto %fd.cip %fd.sip %fd.cport %fd.sport %fd.lip %fd.rip %fd.name_changed %fd.types %container.id %container.name %thread.cap_effective %proc.env %evt.hostname %evt.is_open_exec %evt.buffer\"\n  priority: INFO\n  warn_evttypes: false\n",
    )
    .unwrap();
    let mut captures = vec![
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../bulkhead-scap/tests/fixtures/cat_write.scap"),
    ];
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/falco/captures");
    for c in [
        "open-multiple-files.scap",
        "ping_sendto.scap",
        "libs/curl_google.scap",
        "libs/sample.scap",
    ] {
        if shared.join(c).is_file() {
            captures.push(shared.join(c));
        } else {
            println!("SKIP {c}: ../shared absent");
        }
    }
    let r = rules.to_str().unwrap();
    for c in &captures {
        let own = dir.path().join("own.jsonl");
        let out = bulkhead(&[
            "runtime",
            "convert",
            "-e",
            c.to_str().unwrap(),
            "-o",
            own.to_str().unwrap(),
        ]);
        assert!(out.status.success());
        let replay = |p: &std::path::Path| {
            let out = bulkhead(&["runtime", "replay", "-r", r, "-e", p.to_str().unwrap()]);
            assert!(out.status.success());
            String::from_utf8_lossy(&out.stdout).to_string()
        };
        let (a, b) = (replay(c), replay(&own));
        assert!(a.lines().count() > 300, "{}", c.display());
        assert_eq!(a, b, "{}", c.display());
    }
}

/// Falco's own flags under `bulkhead runtime`: `-V` validates (not `--version`), `-L` lists the
/// rules with their descriptions in Falco's layout (JSON with `-o json_output=true`), `-l RULE`
/// describes one (an unknown one exits 1, as Falco), `--list-events` lists the events and the
/// syscalls that come as generic events, `--list SOURCE` the fields.
#[test]
fn falco_flags_under_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("r.yaml");
    std::fs::write(
        &rules,
        "- rule: Shell in container\n  desc: A shell was spawned in a container.\n  condition: evt.type=execve and proc.name=bash\n  output: shell\n  priority: NOTICE\n  tags: [shell]\n- rule: Madvise seen\n  desc: Any madvise.\n  condition: evt.type=madvise\n  output: m\n  priority: INFO\n",
    )
    .unwrap();
    let r = rules.to_str().unwrap();
    let out = bulkhead(&["runtime", "-V", r]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("{r}: Ok")
    );
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "- rule: x\n  desc: x\n  condition: proc.nope = 1\n  output: x\n  priority: INFO\n",
    )
    .unwrap();
    let out = bulkhead(&["runtime", "-V", r, "-V", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("bad.yaml: Invalid"));
    let out = bulkhead(&["runtime", "-L", "-r", r]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], format!("{:<50} Description", "Rule"));
    assert_eq!(lines[1], format!("{:<50} -----------", "----"));
    assert_eq!(
        lines[2],
        format!(
            "{:<50} A shell was spawned in a container. ",
            "Shell in container"
        )
    );
    assert!(text.contains("Madvise seen"), "{text}");
    let out = bulkhead(&["runtime", "-l", "Madvise seen", "-r", r]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Madvise seen") && !text.contains("Shell in container"),
        "{text}"
    );
    let out = bulkhead(&["runtime", "-l", "No such rule", "-r", r]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Rule \"No such rule\" not found"));
    let j = bulkhead_json(&["runtime", "-L", "-r", r, "-o", "json_output=true"]);
    assert_eq!(j["rules"][0]["info"]["name"], "Shell in container");
    assert_eq!(j["rules"][0]["info"]["priority"], "Notice");
    let out = bulkhead(&["runtime", "--list-events"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("> execve(FSPATH filename)"), "{text}");
    assert!(text.lines().any(|l| l == "28 madvise"), "{text}");
    let fields = String::from_utf8(bulkhead(&["runtime", "--list", "k8s_audit"]).stdout).unwrap();
    assert!(fields.contains("ka.verb") && !fields.contains("proc.name"));
    // -V is not --version here; --version is not a runtime flag.
    let out = bulkhead(&["runtime", "--version"]);
    assert_eq!(out.status.code(), Some(2));
    // Falco flags and a subcommand together are a usage error.
    let out = bulkhead(&["runtime", "-L", "fields"]);
    assert_eq!(out.status.code(), Some(2));
}

/// Enum-valued flags are typed: an unknown source is a usage error (exit 2) that lists the valid
/// values, never a silent "no rules of that source".
#[test]
fn unknown_sources_are_usage_errors() {
    for args in [
        vec!["runtime", "fields", "--source", "k8saudit"],
        vec![
            "runtime",
            "replay",
            "-e",
            "x.scap",
            "--enable-source",
            "syscalls",
        ],
        vec![
            "runtime",
            "replay",
            "-e",
            "x.scap",
            "--disable-source",
            "audit",
        ],
        vec!["runtime", "--list", "sycall"],
    ] {
        let out = bulkhead(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("[possible values: syscall, k8s_audit]"),
            "{args:?}: {err}"
        );
    }
}

/// Falco configuration keys Bulkhead does not implement are named on stderr, whether the file or
/// `-o` enables them (even with logging off), and the replay still runs; disabled ones are quiet.
#[test]
fn unimplemented_falco_outputs_are_reported() {
    let capture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../bulkhead-scap/tests/fixtures/cat_write.scap");
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("r.yaml");
    std::fs::write(
        &rules,
        "- rule: open_from_cat\n  desc: d\n  condition: evt.type=open and proc.name=cat\n  output: \"open (command=%proc.cmdline)\"\n  priority: WARNING\n",
    )
    .unwrap();
    let conf = dir.path().join("falco.yaml");
    std::fs::write(
        &conf,
        "stdout_output:\n  enabled: true\nwebserver:\n  enabled: true\nprogram_output:\n  enabled: false\n  program: mail\ncapture:\n  enabled: true\n",
    )
    .unwrap();
    let out = bulkhead(&[
        "runtime",
        "replay",
        "-c",
        conf.to_str().unwrap(),
        "-o",
        "metrics.enabled=true",
        "-r",
        rules.to_str().unwrap(),
        "-e",
        capture.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 8);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`webserver` is served by `runtime monitor` only: ignored by replay"),
        "{err}"
    );
    for key in ["metrics", "capture"] {
        assert!(
            err.contains(&format!("warning: falco configuration: `{key}` is set but Bulkhead does not implement it yet")),
            "{key}: {err}"
        );
    }
    assert!(!err.contains("program_output"), "{err}");
    // The same through Falco's -L.
    let out = bulkhead(&[
        "runtime",
        "-L",
        "-r",
        rules.to_str().unwrap(),
        "-o",
        "grpc_output.enabled=true",
    ]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("`grpc_output` is set"));
}

/// `-q` leaves out the drop monitor's summary (and nothing else).
#[test]
fn quiet_silences_the_drop_summary() {
    let capture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../bulkhead-scap/tests/fixtures/cat_write.scap");
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("r.yaml");
    std::fs::write(
        &rules,
        "- rule: open_from_cat\n  desc: d\n  condition: evt.type=open and proc.name=cat\n  output: \"open (command=%proc.cmdline)\"\n  priority: WARNING\n",
    )
    .unwrap();
    let (r, c) = (rules.to_str().unwrap(), capture.to_str().unwrap());
    let loud = bulkhead(&["runtime", "replay", "-r", r, "-e", c]);
    assert!(String::from_utf8_lossy(&loud.stderr).contains("Syscall event drop monitoring:"));
    for args in [
        ["runtime", "replay", "-q", "-r", r, "-e", c],
        ["runtime", "-q", "replay", "-r", r, "-e", c],
    ] {
        let quiet = bulkhead(&args);
        assert!(quiet.status.success());
        assert!(
            quiet.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&quiet.stderr)
        );
        assert_eq!(quiet.stdout, loud.stdout);
    }
}

/// Generic events get their syscall's name: Falco's `Syscalls` test rules
/// (`evt.type=madvise and evt.dir=<`) on curl_google.scap, whose curl calls madvise (recorded as
/// the generic event with native id 28).
#[test]
fn generic_events_match_by_syscall_name() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/falco");
    let capture = root.join("captures/libs/curl_google.scap");
    if !capture.is_file() {
        assert!(
            std::env::var_os("BULKHEAD_STRICT").is_none(),
            "../shared absent"
        );
        println!("SKIP: ../shared absent");
        return;
    }
    let rules = root.join("rules/testing-embedded/syscalls.yaml");
    let out = bulkhead(&[
        "runtime",
        "replay",
        "-r",
        rules.to_str().unwrap(),
        "-e",
        capture.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let madvise: Vec<&str> = text.lines().filter(|l| l.contains("madvise")).collect();
    assert_eq!(
        madvise,
        [
            "17:35:48.531220764: Informational A madvise syscall was seen (command=curl -6 http://www.google.com evt=madvise)"
        ],
        "{text}"
    );
}
