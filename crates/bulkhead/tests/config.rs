//! `bulkhead config` end to end: manifests in files, directories and stdin; SARIF validated against
//! the SARIF 2.1.0 schema with the `PSS-<check>` rule IDs of the command contract; JUnit; exit codes.

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
    assert_eq!(r["files"].as_array().unwrap().len(), 2);
    assert_eq!(r["errors"].as_array().unwrap().len(), 1);
    assert!(r["errors"][0][0].as_str().unwrap().ends_with("broken.yml"));
    // restricted:latest adds the restricted checks.
    let ids: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    for want in [
        "PSS-hostNamespaces",
        "PSS-privileged",
        "PSS-runAsNonRoot",
        "PSS-allowPrivilegeEscalation",
    ] {
        assert!(ids.contains(&want), "{ids:?}");
    }
    // Best-practice rules with their peers' IDs as aliases.
    let bp: Vec<&serde_json::Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "BH-K8S-005")
        .collect();
    assert_eq!(bp.len(), 1, "image without digest");
    assert_eq!(bp[0]["aliases"][0], "CKV_K8S_43");
    assert_eq!(bp[0]["line"], 13);
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
    let mut child = Command::new(env!("CARGO_BIN_EXE_bulkhead"))
        .args([
            "config",
            "--pss",
            "baseline",
            "--pss-only",
            "--format",
            "junit",
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(DEPLOYMENT.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
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
    let ids: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"PSS-hostNamespaces"), "{ids:?}");
    for gone in ["PSS-privileged", "BH-K8S-001", "BH-K8S-005"] {
        assert!(!ids.contains(&gone), "{gone} must be exempted: {ids:?}");
    }
}

#[test]
fn bad_policy_is_a_clear_error() {
    let out = bulkhead(&["config", "--pss", "restricted:v1.01", "-"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid PSS version \"v1.01\""));
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
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["file"]
                        .as_str()
                        .unwrap()
                        .rsplit('/')
                        .next()
                        .unwrap()
                        .to_string(),
                    f["rule_id"].as_str().unwrap().to_string(),
                    f["line"].as_u64().unwrap(),
                )
            })
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
    assert!(String::from_utf8_lossy(&out.stderr).contains("bh.yaml"));
}

#[test]
fn dockerfile_parse_error_is_dl1000_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("Dockerfile");
    std::fs::write(&f, "FROM alpine:3.19\nFOO bar\n").unwrap();
    let r = bulkhead_json(&["config", "--format", "json", f.to_str().unwrap()]);
    let f0 = &r["findings"][0];
    assert_eq!(f0["rule_id"], "DL1000", "{r:#}");
    assert_eq!(f0["line"], 2);
}
