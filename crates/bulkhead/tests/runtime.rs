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
