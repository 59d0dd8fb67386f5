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
/// 8 alerts (4 open enter + 4 open exit events), with Falco's exact text line.
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
    assert_eq!(
        lines[0],
        "2016-08-04T16:17:57.881781397+0000: Warning An open was seen (command=cat /dev/null)"
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
        header.starts_with("{\"bulkhead_capture\":1"),
        "{}",
        &header[..80]
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
    let k8s = bulkhead_json(&["runtime", "fields", "--json", "--source", "k8s_audit"]);
    assert!(
        k8s.as_array()
            .unwrap()
            .iter()
            .all(|f| f["source"] == "k8s_audit")
    );
}
