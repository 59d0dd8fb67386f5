//! SBOM outputs validate against the official CycloneDX 1.6 and SPDX 2.3 JSON schemas (vendored in
//! crates/bulkhead-report/schemas with provenance).

mod common;
use common::*;
use std::path::PathBuf;

fn schema(name: &str) -> serde_json::Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../bulkhead-report/schemas")
        .join(name);
    serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap()
}

fn validate_cdx(doc: &serde_json::Value) {
    let bom = schema("bom-1.6.schema.json");
    let spdx = schema("spdx.schema.json");
    let jsf = schema("jsf-0.82.schema.json");
    let opts = jsonschema::options();
    let opts = opts
        .with_resource(
            "http://cyclonedx.org/schema/spdx.schema.json",
            jsonschema::Resource::from_contents(spdx).unwrap(),
        )
        .with_resource(
            "http://cyclonedx.org/schema/jsf-0.82.schema.json",
            jsonschema::Resource::from_contents(jsf).unwrap(),
        )
        .with_resource(
            "spdx.schema.json",
            jsonschema::Resource::from_contents(schema("spdx.schema.json")).unwrap(),
        )
        .with_resource(
            "jsf-0.82.schema.json",
            jsonschema::Resource::from_contents(schema("jsf-0.82.schema.json")).unwrap(),
        );
    let v = opts.build(&bom).expect("CycloneDX schema compiles");
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "CycloneDX 1.6 validation errors: {errors:#?}"
    );
}

fn validate_spdx(doc: &serde_json::Value) {
    let s = schema("spdx-schema.json");
    let v = jsonschema::validator_for(&s).expect("SPDX schema compiles");
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "SPDX 2.3 validation errors: {errors:#?}");
}

fn small_rootfs() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("var/lib/dpkg/info")).unwrap();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(
        root.join("etc/os-release"),
        "ID=debian\nVERSION_ID=\"12\"\n",
    )
    .unwrap();
    std::fs::write(
        root.join("var/lib/dpkg/status"),
        "Package: libstdc++6\nStatus: install ok installed\nSource: gcc-12 (12.2.0-14)\nVersion: 12.2.0-14\nArchitecture: amd64\nMaintainer: Debian GCC <gcc@debian.org>\n",
    )
    .unwrap();
    std::fs::write(
        root.join("var/lib/dpkg/info/libstdc++6:amd64.list"),
        "/.\n/usr\n/usr/lib/x.so\n",
    )
    .unwrap();
    dir
}

#[test]
fn cyclonedx_validates_and_is_a_broken_schema_detector() {
    let dir = small_rootfs();
    let doc = bulkhead_json(&[
        "sbom",
        dir.path().to_str().unwrap(),
        "--format",
        "cyclonedx",
    ]);
    validate_cdx(&doc);
    // The validator really checks: a broken document is refused.
    let mut broken = doc.clone();
    broken["components"][0]["type"] = serde_json::json!("not-a-type");
    let bom = schema("bom-1.6.schema.json");
    let opts = jsonschema::options();
    let v = opts
        .with_resource(
            "http://cyclonedx.org/schema/spdx.schema.json",
            jsonschema::Resource::from_contents(schema("spdx.schema.json")).unwrap(),
        )
        .with_resource(
            "http://cyclonedx.org/schema/jsf-0.82.schema.json",
            jsonschema::Resource::from_contents(schema("jsf-0.82.schema.json")).unwrap(),
        )
        .build(&bom)
        .unwrap();
    assert!(!v.is_valid(&broken));
}

#[test]
fn spdx_validates() {
    let dir = small_rootfs();
    let doc = bulkhead_json(&[
        "sbom",
        dir.path().to_str().unwrap(),
        "--format",
        "spdx-json",
    ]);
    validate_spdx(&doc);
    let mut broken = doc.clone();
    broken["packages"][0]["filesAnalyzed"] = serde_json::json!("yes");
    let v = jsonschema::validator_for(&schema("spdx-schema.json")).unwrap();
    assert!(!v.is_valid(&broken));
}

#[test]
fn real_image_sboms_validate() {
    let Some(t) = testdata() else { return };
    for img in [
        "bookworm.docker.tar",
        "rpm.docker.tar",
        "busybox.docker.tar",
    ] {
        let p = t.join(img);
        validate_cdx(&bulkhead_json(&[
            "sbom",
            p.to_str().unwrap(),
            "--format",
            "cyclonedx",
            "--no-cache",
        ]));
        validate_spdx(&bulkhead_json(&[
            "sbom",
            p.to_str().unwrap(),
            "--format",
            "spdx-json",
            "--no-cache",
        ]));
        println!("{img}: CycloneDX 1.6 and SPDX 2.3 documents valid");
    }
}

#[test]
fn cyclonedx_with_vulnerabilities_validates_and_links_components() {
    // A tree with one old PyYAML and the repo's fixture advisories (pypa/advisory-database records).
    let dir = tempfile::tempdir().unwrap();
    let (root, db) = python_tree_with_db(dir.path(), &[("PyYAML", "5.1")]);
    let doc = bulkhead_json(&[
        "image",
        root.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
        "--format",
        "cyclonedx",
    ]);
    validate_cdx(&doc);
    let vulns = doc["vulnerabilities"]
        .as_array()
        .expect("vulnerabilities[]");
    assert!(
        vulns.iter().any(|v| v["id"] == "CVE-2019-20477"),
        "{vulns:#?}"
    );
    let refs: std::collections::HashSet<&str> = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["bom-ref"].as_str())
        .collect();
    for v in vulns {
        assert!(v["ratings"].is_array() && v["source"]["name"].is_string());
        for a in v["affects"].as_array().unwrap() {
            assert!(
                refs.contains(a["ref"].as_str().unwrap()),
                "dangling affects ref {a}"
            );
        }
    }
}

fn validate_sarif(doc: &serde_json::Value) -> Vec<String> {
    let s = schema("sarif-2.1.0-rtm.5.json");
    let v = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .build(&s)
        .expect("SARIF schema compiles");
    v.iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect()
}

#[test]
fn sarif_validates_and_matches_the_findings() {
    let dir = tempfile::tempdir().unwrap();
    let (root, db) = python_tree_with_db(dir.path(), &[("PyYAML", "5.1"), ("Jinja2", "2.7")]);
    let json = scan_with_db(&root, &db, &["--format", "json"]);
    let sarif = scan_with_db(&root, &db, &["--format", "sarif"]);
    let errors = validate_sarif(&sarif);
    assert!(
        errors.is_empty(),
        "SARIF 2.1.0 validation errors: {errors:#?}"
    );
    // The schema is a working detector: a result without its message is refused.
    let mut broken = sarif.clone();
    broken["runs"][0]["results"][0]
        .as_object_mut()
        .unwrap()
        .remove("message");
    assert!(
        !validate_sarif(&broken).is_empty(),
        "schema accepted a result without message"
    );

    let vulns = findings(&json);
    let run = &sarif["runs"][0];
    let results = run["results"].as_array().unwrap();
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(!vulns.is_empty());
    assert_eq!(results.len(), vulns.len(), "one result per finding");
    let ids: std::collections::BTreeSet<&str> =
        vulns.iter().map(|v| v["id"].as_str().unwrap()).collect();
    assert_eq!(rules.len(), ids.len(), "one rule per vulnerability id");
    for (r, v) in results.iter().zip(vulns) {
        assert_eq!(r["ruleId"], v["id"]);
        let rule = &rules[r["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(rule["id"], v["id"], "ruleIndex points at the rule");
        let want_level = match v["severity"].as_str().unwrap() {
            "CRITICAL" | "HIGH" => "error",
            "MEDIUM" => "warning",
            _ => "note",
        };
        assert_eq!(r["level"], want_level);
        let sev: f64 = rule["properties"]["security-severity"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((0.0..=10.0).contains(&sev));
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert!(uri.ends_with(".dist-info/METADATA"), "{uri}");
    }
}

#[test]
fn ignore_file_suppresses_by_alias_and_expired_entries_warn() {
    let dir = tempfile::tempdir().unwrap();
    // A second vulnerable package (Jinja2 2.7 < 2.7.2, PYSEC-2014-8 in the fixtures).
    let (root, db) = python_tree_with_db(dir.path(), &[("PyYAML", "5.1"), ("Jinja2", "2.7")]);
    let all = scan_with_db(&root, &db, &["--format", "json"]);
    let ids = |r: &serde_json::Value| -> Vec<String> {
        findings(r)
            .iter()
            .map(|v| v["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(ids(&all).contains(&"CVE-2019-20477".to_string()));
    // Suppress it through its PYSEC alias; an expired entry for another finding must not suppress.
    let ign = dir.path().join("ignore.yaml");
    let other = ids(&all)
        .into_iter()
        .find(|i| i != "CVE-2019-20477")
        .expect("a second finding");
    std::fs::write(
        &ign,
        format!("vulnerabilities:\n  - id: PYSEC-2020-176\n    package: pyyaml\n    reason: test\n  - id: {other}\n    expires: 2001-01-01\n"),
    )
    .unwrap();
    let out = bulkhead(&[
        "image",
        root.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
        "--format",
        "json",
        "--ignorefile",
        ign.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    validate_report(&r);
    assert!(!ids(&r).contains(&"CVE-2019-20477".to_string()));
    // The report says what was suppressed, and by what.
    let sup = r["suppressed"].as_array().unwrap();
    assert_eq!(sup.len(), 1, "{sup:#?}");
    assert_eq!(sup[0]["id"], "CVE-2019-20477");
    assert!(
        sup[0]["by"]
            .as_str()
            .unwrap()
            .ends_with("ignore.yaml: test")
    );
    assert!(ids(&r).contains(&other));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("expired on 2001-01-01")
            && err.contains("suppressed: CVE-2019-20477 in PyYAML 5.1"),
        "{err}"
    );
}

#[test]
fn openvex_not_affected_suppresses_with_justification() {
    let dir = tempfile::tempdir().unwrap();
    let (root, db) = python_tree_with_db(dir.path(), &[("PyYAML", "5.1")]);
    let vex = dir.path().join("app.openvex.json");
    std::fs::write(
        &vex,
        r#"{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://example.invalid/vex-1","author":"t","timestamp":"2026-11-28T00:00:00Z","version":1,
           "statements":[{"vulnerability":{"name":"CVE-2019-20477"},"products":[{"@id":"pkg:oci/app","subcomponents":[{"@id":"pkg:pypi/pyyaml@5.1"}]}],
           "status":"not_affected","justification":"vulnerable_code_not_in_execute_path"}]}"#,
    )
    .unwrap();
    let out = bulkhead(&[
        "image",
        root.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
        "--format",
        "json",
        "--vex",
        vex.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    validate_report(&r);
    assert!(findings(&r).iter().all(|v| v["id"] != "CVE-2019-20477"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("suppressed: CVE-2019-20477 in PyYAML 5.1 (by VEX (not_affected: vulnerable_code_not_in_execute_path))"),
        "{err}"
    );
}

#[test]
fn json_reports_validate_against_docs_report_schema() {
    // Inventory only, and with vulnerabilities; `bulkhead_json` validates every report it parses.
    let dir = tempfile::tempdir().unwrap();
    let (root, db) = python_tree_with_db(dir.path(), &[("PyYAML", "5.1")]);
    let inv = bulkhead_json(&["fs", root.to_str().unwrap(), "--format", "json"]);
    assert_eq!(inv["schema_version"], 2);
    assert!(inv.get("scanners").is_none(), "no scanner ran: {inv:#}");
    let r = scan_with_db(&root, &db, &["--format", "json"]);
    assert_eq!(r["scanners"], serde_json::json!(["vulnerability"]));
    let f = &findings(&r)[0];
    assert_eq!(f["kind"], "vulnerability");
    assert!(
        f["package"]["purl"]
            .as_str()
            .unwrap()
            .starts_with("pkg:pypi/pyyaml@")
    );
    // The schema is a working detector: drift in the model is refused.
    let s: serde_json::Value = serde_json::from_slice(
        &std::fs::read(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/report.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let v = jsonschema::validator_for(&s).unwrap();
    assert!(v.is_valid(&r));
    let mut broken = r.clone();
    broken["targets"][0]["findings"][0]["severity"] = serde_json::json!("SEVERE");
    assert!(!v.is_valid(&broken));
    let mut broken = r.clone();
    broken["targets"][0]["findings"][0]["package_name"] = serde_json::json!("x");
    assert!(!v.is_valid(&broken), "unknown fields are refused");
    let mut broken = r.clone();
    broken["schema_version"] = serde_json::json!(1);
    assert!(!v.is_valid(&broken));
}

/// The image audit and the secret scanner in SARIF: valid SARIF 2.1.0, every result located (a
/// finding of the image as a whole at the image, a finding about files at the first file, a
/// secret at its file and line), one result per finding.
#[test]
fn hardening_and_secrets_sarif_validate_and_every_result_is_located() {
    let Some(t) = testdata() else { return };
    let image = t.join("bookworm.docker.tar");
    let args = |f: &str| {
        vec![
            "image".to_string(),
            image.to_str().unwrap().to_string(),
            "--scanners".into(),
            "hardening,secret".into(),
            "-q".into(),
            "-f".into(),
            f.into(),
        ]
    };
    let run = |f: &str| -> serde_json::Value {
        let a = args(f);
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        bulkhead_json(&refs)
    };
    let json = run("json");
    let sarif = run("sarif");
    let errors = validate_sarif(&sarif);
    assert!(
        errors.is_empty(),
        "SARIF 2.1.0 validation errors: {errors:#?}"
    );
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), findings(&json).len());
    assert!(results.len() >= 8, "{results:#?}");
    for (r, f) in results.iter().zip(findings(&json)) {
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap_or_else(|| panic!("{} has no location", r["ruleId"]));
        match f["location"]["file"].as_str() {
            Some(file) => assert_eq!(uri, file.trim_start_matches('/')),
            None => assert_eq!(uri, image.to_str().unwrap()),
        }
    }
    let setuid = results
        .iter()
        .find(|r| r["ruleId"] == "CIS-DI-0008")
        .unwrap();
    assert_eq!(
        setuid["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "usr/bin/chage"
    );
    let user = results
        .iter()
        .find(|r| r["ruleId"] == "CIS-DI-0001")
        .unwrap();
    assert_eq!(
        user["locations"][0]["logicalLocations"][0]["name"],
        "config.User"
    );
}
