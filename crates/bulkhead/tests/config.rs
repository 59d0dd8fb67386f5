//! `bulkhead config` end to end: manifests in files, directories and stdin; SARIF validated against
//! the SARIF 2.1.0 schema with the `PSS-<check>` rule IDs of the command contract; JSON validated
//! against docs/report.schema.json; JUnit; exit codes. The `silent_pass_*` tests are the cases that
//! used to pass silently (issue 10): each failed before the fix.

mod common;
use common::*;
use std::io::Write;
use std::process::{Command, Stdio};

const DEPLOYMENT: &str = r#"# a typical Deployment that runs as root
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    spec:
      hostNetwork: true
      containers:
      - name: app
        image: nginx:1.25
        securityContext:
          privileged: true
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{port: 80}]}
"#;

fn sarif_errors(doc: &serde_json::Value) -> Vec<String> {
    let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../bulkhead-report/schemas/sarif-2.1.0-rtm.5.json");
    let schema: serde_json::Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
    let v = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .build(&schema)
        .unwrap();
    v.iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect()
}

/// Errors of a JSON report against docs/report.schema.json.
fn report_schema_errors(doc: &serde_json::Value) -> Vec<String> {
    let p =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/report.schema.json");
    let schema: serde_json::Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
    let v = jsonschema::validator_for(&schema).unwrap();
    v.iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect()
}

/// Every finding of a JSON report as (file name, id, line).
fn findings(r: &serde_json::Value) -> Vec<(String, String, Option<u64>)> {
    r["targets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["findings"].as_array().unwrap().iter())
        .map(|f| {
            (
                f["location"]["file"]
                    .as_str()
                    .unwrap_or("")
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string(),
                f["id"].as_str().unwrap().to_string(),
                f["location"]["line"].as_u64(),
            )
        })
        .collect()
}

fn ids(r: &serde_json::Value) -> Vec<String> {
    findings(r).into_iter().map(|f| f.1).collect()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn with_stdin(args: &[&str], input: &[u8]) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bulkhead"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn sarif_contract_pss_rule_ids_and_locations() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("deploy.yaml");
    std::fs::write(&f, DEPLOYMENT).unwrap();
    let doc = bulkhead_json(&[
        "config",
        "--pss",
        "baseline:v1.30",
        "--pss-only",
        "--format",
        "sarif",
        f.to_str().unwrap(),
    ]);
    let errors = sarif_errors(&doc);
    assert!(errors.is_empty(), "{errors:#?}");
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let got: Vec<(&str, u64)> = results
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap(),
                r["locations"][0]["physicalLocation"]["region"]["startLine"]
                    .as_u64()
                    .unwrap(),
            )
        })
        .collect();
    assert_eq!(got, [("PSS-hostNamespaces", 10), ("PSS-privileged", 15)]);
    for r in results {
        assert_eq!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            f.to_str().unwrap()
        );
        assert!(
            r["message"]["text"]
                .as_str()
                .unwrap()
                .starts_with("shop/Deployment/web: ")
        );
    }
    let msg = results[1]["message"]["text"].as_str().unwrap();
    assert!(
        msg.ends_with(
            r#"privileged (container "app" must not set securityContext.privileged=true)"#
        ),
        "{msg}"
    );
}

#[test]
fn directories_stdin_exit_code_and_junit() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("k8s")).unwrap();
    std::fs::write(dir.path().join("k8s/a.yaml"), DEPLOYMENT).unwrap();
    std::fs::write(dir.path().join("k8s/notes.txt"), "not a manifest").unwrap();
    std::fs::write(dir.path().join("k8s/broken.yml"), "a: [1, 2\n").unwrap();
    // Directory: .txt skipped, broken YAML reported without stopping the run; gate with --exit-code.
    let out = bulkhead(&[
        "config",
        "--format",
        "json",
        "--exit-code",
        "5",
        dir.path().join("k8s").to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors = report_schema_errors(&r);
    assert!(errors.is_empty(), "{errors:#?}");
    // Two targets: the manifest and the broken file (with its BH-PARSE finding); notes.txt skipped.
    let targets = r["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 2);
    assert!(targets[1]["name"].as_str().unwrap().ends_with("broken.yml"));
    assert_eq!(targets[1]["kind"], "kubernetes");
    assert_eq!(targets[1]["findings"][0]["id"], "BH-PARSE");
    assert_eq!(targets[1]["findings"][0]["kind"], "input-error");
    assert_eq!(targets[1]["findings"][0]["location"]["line"], 1);
    // restricted:latest adds the restricted checks.
    let ids = ids(&r);
    for want in [
        "PSS-hostNamespaces",
        "PSS-privileged",
        "PSS-runAsNonRoot",
        "PSS-allowPrivilegeEscalation",
    ] {
        assert!(ids.iter().any(|i| i == want), "{ids:?}");
    }
    // Best-practice rules with their peers' IDs as aliases.
    let bp: Vec<&serde_json::Value> = targets[0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "BH-K8S-005")
        .collect();
    assert_eq!(bp.len(), 1, "image without digest");
    assert_eq!(bp[0]["aliases"][0], "CKV_K8S_43");
    assert_eq!(bp[0]["location"]["line"], 13);
    // --severity filters before the gate: no CRITICAL findings, so exit 0.
    let out = bulkhead(&[
        "config",
        "--severity",
        "CRITICAL",
        "--exit-code",
        "5",
        dir.path().join("k8s/a.yaml").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));

    // stdin, JUnit.
    let out = with_stdin(
        &[
            "config",
            "--pss",
            "baseline",
            "--pss-only",
            "--format",
            "junit",
            "-",
        ],
        DEPLOYMENT.as_bytes(),
    );
    assert!(out.status.success());
    let xml = String::from_utf8(out.stdout).unwrap();
    assert!(xml.starts_with("<?xml"));
    assert!(
        xml.contains(r#"<testsuite name="-" tests="2" failures="2">"#),
        "{xml}"
    );
    assert!(
        xml.contains("must not set securityContext.privileged=true"),
        "{xml}"
    );
    assert!(xml.contains("&quot;app&quot;"), "quotes escaped: {xml}");
}

#[test]
fn exemption_annotations_bulkhead_and_checkov() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("d.yaml");
    let annotated = DEPLOYMENT.replace(
        "  namespace: shop\n",
        "  namespace: shop\n  annotations:\n    bulkhead.dev/ignore: \"PSS-privileged, BH-K8S-001\"\n    checkov.io/skip1: CKV_K8S_43=pinned by the release pipeline\n",
    );
    std::fs::write(&f, annotated).unwrap();
    let r = bulkhead_json(&["config", "--format", "json", f.to_str().unwrap()]);
    let ids = ids(&r);
    assert!(ids.iter().any(|i| i == "PSS-hostNamespaces"), "{ids:?}");
    for gone in ["PSS-privileged", "BH-K8S-001", "BH-K8S-005"] {
        assert!(
            !ids.iter().any(|i| i == gone),
            "{gone} must be exempted: {ids:?}"
        );
    }
}

#[test]
fn bad_policy_is_a_usage_error() {
    let out = bulkhead(&["config", "--pss", "restricted:v1.01", "-"]);
    assert_eq!(out.status.code(), Some(2));
    let e = stderr(&out);
    assert!(
        e.contains("invalid PSS version \"v1.01\" (valid: latest or v1.N"),
        "{e}"
    );
    let out = bulkhead(&["config", "--pss", "restricte", "-"]);
    assert_eq!(out.status.code(), Some(2));
    let e = stderr(&out);
    assert!(
        e.contains("unknown PSS level \"restricte\" (valid: privileged, baseline, restricted)"),
        "{e}"
    );
}

const DOCKERFILE: &str = "FROM debian:12\n# hadolint ignore=DL3009\nRUN apt-get update && apt-get install -y --no-install-recommends curl\nUSER root\nCMD [\"curl\", \"--version\"]\n";

#[test]
fn dockerfiles_in_directories_with_settings_and_pragmas() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("app")).unwrap();
    std::fs::write(dir.path().join("app/Dockerfile"), DOCKERFILE).unwrap();
    std::fs::write(dir.path().join("app/deploy.yaml"), DEPLOYMENT).unwrap();
    let run = |extra: &[&str]| -> Vec<(String, String, u64)> {
        let mut args = vec!["config", "--format", "json"];
        args.extend_from_slice(extra);
        let app = dir.path().join("app");
        args.push(app.to_str().unwrap());
        let r = bulkhead_json(&args);
        findings(&r)
            .into_iter()
            .map(|(f, id, l)| (f, id, l.unwrap_or(0)))
            .collect()
    };
    let all = run(&[]);
    let df: Vec<&(String, String, u64)> = all.iter().filter(|f| f.0 == "Dockerfile").collect();
    assert!(
        df.iter().any(|f| f.1 == "DL3008" && f.2 == 3),
        "unpinned apt-get install on line 3: {df:?}"
    );
    assert!(
        df.iter().any(|f| f.1 == "DL3002" && f.2 == 4),
        "USER root: {df:?}"
    );
    assert!(
        !df.iter().any(|f| f.1 == "DL3009"),
        "pragma ignores DL3009: {df:?}"
    );
    assert!(
        all.iter().any(|f| f.0 == "deploy.yaml"),
        "manifests in the same walk"
    );
    // A settings file: ignore DL3008 everywhere.
    let settings = dir.path().join("bh.yaml");
    std::fs::write(&settings, "ignored: [DL3008]\n").unwrap();
    let with = run(&["--config", settings.to_str().unwrap()]);
    assert!(!with.iter().any(|f| f.1 == "DL3008"), "{with:?}");
    assert!(with.iter().any(|f| f.1 == "DL3002"));
    // A bad settings file is a clear error naming the file.
    std::fs::write(&settings, "failure-threshold: sometimes\n").unwrap();
    let out = bulkhead(&[
        "config",
        "--config",
        settings.to_str().unwrap(),
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let e = stderr(&out);
    assert!(
        e.contains(
            "bh.yaml: `failure-threshold`: unknown level `sometimes` (valid: error, warning"
        ),
        "{e}"
    );
}

#[test]
fn dockerfile_parse_error_is_bh_parse_alias_dl1000_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("Dockerfile");
    std::fs::write(&f, "FROM alpine:3.19\nFOO bar\n").unwrap();
    let r = bulkhead_json(&["config", "--format", "json", f.to_str().unwrap()]);
    let f0 = &r["targets"][0]["findings"][0];
    assert_eq!(f0["id"], "BH-PARSE", "{r:#}");
    assert_eq!(f0["aliases"][0], "DL1000");
    assert_eq!(f0["location"]["line"], 2);
    assert_eq!(r["targets"][0]["kind"], "dockerfile");
}

// ---------------------------------------------------------------------------------------------
// Cases that used to pass silently (issue 10). Each of these failed before the fix.

/// `--severity SEVERE --exit-code 1` (a typo) used to report nothing and exit 0.
#[test]
fn silent_pass_unknown_severity_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("d.yaml");
    std::fs::write(&f, DEPLOYMENT).unwrap();
    let out = bulkhead(&[
        "config",
        "--severity",
        "SEVERE",
        "--exit-code",
        "1",
        f.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let e = stderr(&out);
    assert!(e.contains("SEVERE"), "{e}");
    for v in ["UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"] {
        assert!(e.contains(v), "valid values listed: {e}");
    }
    assert!(out.stdout.is_empty());
    // Any case of a valid name works (HIGH findings present: the gate trips).
    let out = bulkhead(&[
        "config",
        "--severity",
        "high",
        "--exit-code",
        "1",
        f.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    // An unknown format too.
    let out = bulkhead(&["config", "--format", "xml", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let e = stderr(&out);
    assert!(
        e.contains("xml") && e.contains("table") && e.contains("junit"),
        "{e}"
    );
}

/// An unparseable manifest used to count as "no misconfigurations": exit 0 with --exit-code 1, no
/// SARIF result, a passing JUnit test case.
#[test]
fn silent_pass_unparseable_file_trips_the_gate_and_shows_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("deploy.yaml");
    std::fs::write(
        &f,
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n spec: {}\n",
    )
    .unwrap();
    let path = f.to_str().unwrap();
    let out = bulkhead(&["config", "--exit-code", "1", path]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("BH-PARSE") && table.contains("HIGH"),
        "{table}"
    );
    assert!(
        stderr(&out).contains("deploy.yaml:5: not valid YAML"),
        "{}",
        stderr(&out)
    );
    // --severity does not filter it away, and a failure threshold above HIGH does not hide it.
    let settings = dir.path().join("s.yaml");
    std::fs::write(&settings, "failure-threshold: CRITICAL\n").unwrap();
    let out = bulkhead(&[
        "config",
        "--severity",
        "CRITICAL",
        "--config",
        settings.to_str().unwrap(),
        "--exit-code",
        "3",
        path,
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    // SARIF: a result with the file and line.
    let out = bulkhead(&["config", "--format", "sarif", path]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(sarif_errors(&doc).is_empty());
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{doc:#}");
    assert_eq!(results[0]["ruleId"], "BH-PARSE");
    assert_eq!(results[0]["level"], "error");
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        5
    );
    // JUnit: a failure, not a passing test case.
    let out = bulkhead(&["config", "--format", "junit", path]);
    let xml = String::from_utf8(out.stdout).unwrap();
    assert!(xml.contains("failures=\"1\""), "{xml}");
    assert!(
        xml.contains("<failure message=\"Input could not be parsed\""),
        "{xml}"
    );
    assert!(!xml.contains("name=\"no findings\""), "{xml}");
    // JSON validates against the report schema.
    let r = bulkhead_json(&["config", "--format", "json", path]);
    assert!(report_schema_errors(&r).is_empty());
    assert_eq!(ids(&r), ["BH-PARSE"]);
}

/// A tarball given to `config` used to give "1 file(s) checked, 0 finding(s)", exit 0.
#[test]
fn silent_pass_image_archive_is_refused_with_the_command_to_use() {
    let dir = tempfile::tempdir().unwrap();
    let tar = dir.path().join("image.tar");
    let mut data = vec![0u8; 2048];
    data[..12].copy_from_slice(b"manifest.jso");
    data[257..263].copy_from_slice(b"ustar\0");
    std::fs::write(&tar, &data).unwrap();
    let out = bulkhead(&["config", "--exit-code", "1", tar.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let e = stderr(&out);
    assert!(
        e.contains("a tar archive, not a Dockerfile or Kubernetes manifest")
            && e.contains(&format!("bulkhead image {}", tar.display())),
        "{e}"
    );
    assert!(out.stdout.is_empty(), "no report for refused input");
    // gzip on stdin too.
    let out = with_stdin(&["config", "-"], &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("gzip-compressed data"),
        "{}",
        stderr(&out)
    );
    // An OCI layout directory.
    let oci = dir.path().join("oci");
    std::fs::create_dir(&oci).unwrap();
    std::fs::write(oci.join("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}").unwrap();
    std::fs::write(
        oci.join("index.json"),
        "{\"schemaVersion\":2,\"manifests\":[]}",
    )
    .unwrap();
    let out = bulkhead(&["config", oci.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("an OCI image layout"),
        "{}",
        stderr(&out)
    );
}

/// `ignored:` with a wrong-case or unknown rule id used to be silently not applied.
#[test]
fn silent_pass_unknown_rule_ids_in_settings_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Dockerfile"), DOCKERFILE).unwrap();
    for (file, text, want) in [
        (
            ".bulkhead.yaml",
            "ignored: [dl3008]\n",
            "`ignored`: \"dl3008\" is not a rule id: did you mean DL3008?",
        ),
        (
            ".hadolint.yaml",
            "override:\n  info: [DL3O08]\n",
            "`override.info`: \"DL3O08\" is not a rule id: did you mean DL3008?",
        ),
        (
            ".bulkhead.yaml",
            "severity: {privileged: LOW}\n",
            "did you mean PSS-privileged?",
        ),
        (
            ".bulkhead.yaml",
            "trustedRegistries: [\"https://quay.io\"]\n",
            "`trustedRegistries`: \"https://quay.io\": write the registry host without the https:// scheme (e.g. quay.io)",
        ),
    ] {
        let work = tempfile::tempdir().unwrap();
        std::fs::write(work.path().join(file), text).unwrap();
        // Found in the working directory, as hadolint finds .hadolint.yaml.
        let out = Command::new(env!("CARGO_BIN_EXE_bulkhead"))
            .current_dir(work.path())
            .args(["config", dir.path().to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{file}: {}", stderr(&out));
        let e = stderr(&out);
        assert!(e.contains(file) && e.contains(want), "{e}");
    }
    // A hadolint rule Bulkhead does not report is accepted with a warning.
    let work = tempfile::tempdir().unwrap();
    std::fs::write(
        work.path().join(".hadolint.yaml"),
        "ignored: [DL3008, SC2086]\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_bulkhead"))
        .current_dir(work.path())
        .args(["config", "--format", "json", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("SC2086: a ShellCheck code"),
        "{}",
        stderr(&out)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report_schema_errors(&r).is_empty());
    assert!(!ids(&r).iter().any(|i| i == "DL3008"), "applied: {r:#}");
    assert_eq!(r["suppressed"][0]["id"], "DL3008");
    assert_eq!(r["suppressed"][0]["by"], ".hadolint.yaml (ignored)");
}

/// PSS restricted used to deny a volume without a source as type "unknown"; the API server makes
/// it an emptyDir before admission, so PSA admits it.
#[test]
fn restricted_admits_a_volume_without_a_source() {
    let y = "apiVersion: apps/v1
kind: Deployment
metadata: {name: w, namespace: shop}
spec:
  template:
    spec:
      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
      volumes: [{name: cache}]
      containers:
      - name: app
        image: app:1
        securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
";
    let out = with_stdin(
        &[
            "config",
            "--pss",
            "restricted",
            "--pss-only",
            "--exit-code",
            "1",
            "-",
        ],
        y.as_bytes(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        stderr(&out)
    );
}

/// Empty stdin (a failed `helm template … |`) used to be "0 findings", exit 0.
#[test]
fn silent_pass_empty_stdin_is_an_input_error() {
    let out = with_stdin(&["config", "--exit-code", "1", "-"], b"");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("BH-PARSE"));
}

/// A directory with nothing to check (only Helm values, templates named *.yaml.tpl) used to be
/// "0 file(s) checked", exit 0.
#[test]
fn silent_pass_directory_with_nothing_to_check_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("values.yaml"), "replicas: 2\n").unwrap();
    std::fs::write(dir.path().join("deploy.yaml.tpl"), "kind: Deployment\n").unwrap();
    let out = bulkhead(&["config", "--exit-code", "1", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let e = stderr(&out);
    assert!(
        e.contains("no Dockerfile or Kubernetes manifest found in this directory"),
        "{e}"
    );
}

#[test]
fn output_dash_is_stdout_and_list_rules_comes_from_the_rule_table() {
    let out = bulkhead(&["config", "--list-rules", "-o", "-"]);
    assert!(out.status.success());
    let t = String::from_utf8(out.stdout).unwrap();
    assert!(t.contains("| `BH-PARSE` | HIGH |"), "{t}");
    assert!(t.contains("| `PSS-restrictedVolumes` | MEDIUM |"), "{t}");
    assert!(t.contains("| `DL3008` | MEDIUM |"), "{t}");
}

/// The rule table of docs/config.md is the output of `--list-rules` (the one rule table), verbatim.
#[test]
fn the_documented_rule_table_is_current() {
    let out = bulkhead(&["config", "--list-rules"]);
    assert!(out.status.success());
    let table = String::from_utf8(out.stdout).unwrap();
    let doc = std::fs::read_to_string(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/config.md"),
    )
    .unwrap();
    assert!(
        doc.contains(&table),
        "docs/config.md's rule table differs from `bulkhead config --list-rules`:\n{table}"
    );
}
