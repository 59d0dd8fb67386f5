//! The config pipeline over the real Kubernetes manifests of ../shared/data/k8s-manifests (70 files
//! from public repositories, some Helm- or jsonnet-rendered): every file is a target, every
//! finding names a rule of the rule table with a line inside its file, and a file is a `BH-PARSE`
//! input error exactly when kubectl cannot read it either (`kubectl create --dry-run=client`
//! reports "error parsing" before it needs a cluster; that oracle part runs when kubectl is
//! installed).

use bulkhead_config::{Input, Request, check, rules};
use bulkhead_core::{PARSE_RULE_ID, TargetKind};
use std::path::{Path, PathBuf};
use std::process::Command;

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/k8s-manifests");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("BULKHEAD_STRICT").as_deref() == Ok("1") {
        panic!("BULKHEAD_STRICT=1 but {} is missing", dir.display());
    }
    println!("SKIP: {} absent", dir.display());
    None
}

#[test]
fn real_manifests() {
    let Some(dir) = corpus() else { return };
    let report = check(&Request {
        inputs: vec![Input::Path(dir.clone())],
        ..Request::default()
    })
    .unwrap();
    let files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    assert_eq!(report.targets.len(), files.len());
    let mut findings = 0;
    let mut unparsed = Vec::new();
    for t in &report.targets {
        assert_eq!(t.kind, TargetKind::Kubernetes, "{}", t.name);
        let lines = std::fs::read_to_string(&t.name).unwrap().lines().count() as u32;
        for f in &t.findings {
            findings += 1;
            assert!(rules::get(&f.id).is_some(), "{}: {}", t.name, f.id);
            let l = f.location.line.expect("manifests have lines");
            assert!(l >= 1 && l <= lines, "{}: line {l} of {lines}", t.name);
            if f.id == PARSE_RULE_ID {
                unparsed.push(t.name.clone());
            }
        }
    }
    println!(
        "k8s manifests: {} files, {findings} findings, {} not parseable: {unparsed:?}",
        report.targets.len(),
        unparsed.len()
    );
    // Upstream's producer-job.yaml has a sequence indented less than its key (kubectl: "yaml: line
    // 27: did not find expected key").
    assert_eq!(unparsed.len(), 1, "{unparsed:?}");
    assert!(unparsed[0].ends_with("gke-model-armor_preparing-the-model_producer-job.yaml"));

    let kubectl = Command::new("kubectl")
        .arg("version")
        .arg("--client")
        .output();
    if kubectl.is_err() {
        println!("SKIP: kubectl not installed (the parse verdicts were not compared with it)");
        return;
    }
    let mut disagree = Vec::new();
    for t in &report.targets {
        let out = Command::new("kubectl")
            .args([
                "create",
                "--dry-run=client",
                "--validate=false",
                "-o",
                "name",
                "--server",
                "http://127.0.0.1:9",
                "-f",
            ])
            .arg(&t.name)
            .output()
            .unwrap();
        let theirs = String::from_utf8_lossy(&out.stderr).contains("error parsing");
        let ours = t.findings.iter().any(|f| f.id == PARSE_RULE_ID);
        if theirs != ours {
            disagree.push(format!("{}: kubectl {theirs}, bulkhead {ours}", t.name));
        }
    }
    println!(
        "parse verdicts agree with kubectl on {}/{} files",
        report.targets.len() - disagree.len(),
        report.targets.len()
    );
    assert!(disagree.is_empty(), "{disagree:#?}");
}
