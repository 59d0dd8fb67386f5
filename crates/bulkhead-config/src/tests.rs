//! The pipeline end to end ([`check`]): walking, reading, input errors, wrong inputs, objects in
//! memory, API defaulting, settings, the severity filter.

use super::*;
use bulkhead_core::{PARSE_RULE_ID, Severity};
use serde_json::json;

const POD: &str = "apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
  - name: app
    image: nginx:1.25
    securityContext:
      privileged: true
";

fn ids(t: &Target) -> Vec<&str> {
    t.findings.iter().map(|f| f.id.as_str()).collect()
}

fn run(inputs: Vec<Input>, options: Options) -> Report {
    check(&Request {
        inputs,
        options,
        ..Request::default()
    })
    .unwrap()
}

fn baseline() -> Options {
    Options {
        pss: Policy::parse("baseline").unwrap(),
        best_practice: false,
        ..Options::default()
    }
}

#[test]
fn a_directory_gives_one_target_per_file() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    std::fs::create_dir(p.join("k8s")).unwrap();
    std::fs::write(p.join("k8s/pod.yaml"), POD).unwrap();
    std::fs::write(p.join("k8s/broken.yml"), "a: [1, 2\n").unwrap();
    std::fs::write(p.join("k8s/ci.yaml"), "stages: [build]\n").unwrap();
    std::fs::write(p.join("k8s/blob.json"), [0x1f, 0x8b, 8, 0, 1, 2]).unwrap();
    std::fs::write(p.join("Dockerfile"), "FROM alpine:3.20\nUSER root\n").unwrap();
    let r = run(vec![Input::Path(p.to_path_buf())], baseline());
    let names: Vec<(String, TargetKind)> = r
        .targets
        .iter()
        .map(|t| {
            let rel = std::path::Path::new(&t.name).strip_prefix(p).unwrap();
            (rel.to_string_lossy().into_owned(), t.kind)
        })
        .collect();
    assert_eq!(
        names,
        [
            ("Dockerfile".to_string(), TargetKind::Dockerfile),
            ("k8s/blob.json".to_string(), TargetKind::File),
            ("k8s/broken.yml".to_string(), TargetKind::Kubernetes),
            ("k8s/pod.yaml".to_string(), TargetKind::Kubernetes),
        ],
        "ci.yaml holds no Kubernetes object and is not a target"
    );
    let broken = &r.targets[2];
    assert_eq!(ids(broken), [PARSE_RULE_ID]);
    let f = &broken.findings[0];
    assert_eq!(f.severity, Severity::High);
    assert_eq!(f.location.line, Some(1));
    assert_eq!(
        f.message,
        "not valid YAML or JSON: unclosed bracket '[' (column 4); not checked"
    );
    assert!(
        r.targets[1].findings[0]
            .message
            .starts_with("gzip-compressed data, not a Dockerfile")
    );
    assert_eq!(ids(&r.targets[3]), ["PSS-privileged"]);
    let pod = &r.targets[3].findings[0];
    assert_eq!(pod.location.line, Some(9));
    assert_eq!(pod.location.object.as_deref(), Some("shop/Pod/web"));
    assert_eq!(
        pod.location.pointer.as_deref(),
        Some("/spec/containers/0/securityContext/privileged")
    );
    assert_eq!(pod.evidence["policy"], "baseline:latest");
    assert!(ids(&r.targets[0]).contains(&"DL3002"));
    assert_eq!(r.scanners, [FindingKind::Misconfiguration]);
}

#[test]
fn wrong_inputs_are_refused_with_the_command_to_use() {
    let d = tempfile::tempdir().unwrap();
    let tar = d.path().join("image.tar");
    let mut data = vec![0u8; 1024];
    data[..9].copy_from_slice(b"layer.tar");
    data[257..262].copy_from_slice(b"ustar");
    std::fs::write(&tar, &data).unwrap();
    let err = check(&Request {
        inputs: vec![Input::Path(tar.clone())],
        ..Request::default()
    })
    .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, ConfigError::WrongInput { .. }));
    assert!(
        msg.contains("image.tar: a tar archive, not a Dockerfile or Kubernetes manifest")
            && msg.contains(&format!("`bulkhead image {}`", tar.display())),
        "{msg}"
    );
    // The same from stdin.
    let err = check(&Request {
        inputs: vec![Input::Bytes {
            name: "-".into(),
            data,
            kind: FileKind::Manifest,
        }],
        ..Request::default()
    })
    .unwrap_err();
    assert!(err.to_string().contains("bulkhead image -"), "{err}");
    // A path that does not exist.
    let err = check(&Request {
        inputs: vec![Input::Path(d.path().join("missing.yaml"))],
        ..Request::default()
    })
    .unwrap_err();
    assert!(
        err.to_string()
            .ends_with("missing.yaml: no such file or directory"),
        "{err}"
    );
}

#[test]
fn empty_or_objectless_input_named_explicitly_is_an_input_error() {
    let r = run(vec![Input::manifest("-", "")], baseline());
    assert_eq!(ids(&r.targets[0]), [PARSE_RULE_ID]);
    assert!(r.targets[0].findings[0].message.starts_with("empty"));
    let r = run(
        vec![Input::manifest(
            "compose.yaml",
            "services: {web: {image: x}}\n",
        )],
        baseline(),
    );
    assert_eq!(ids(&r.targets[0]), [PARSE_RULE_ID]);
    let r = run(
        vec![Input::Objects {
            name: "request".into(),
            objects: vec![json!({"spec": {}})],
        }],
        baseline(),
    );
    assert_eq!(ids(&r.targets[0]), [PARSE_RULE_ID]);
}

#[test]
fn objects_in_memory_are_checked_like_files() {
    let pod: Value = serde_saphyr::from_str(POD).unwrap();
    let r = run(
        vec![Input::Objects {
            name: "admission".into(),
            objects: vec![pod],
        }],
        baseline(),
    );
    let t = &r.targets[0];
    assert_eq!(t.kind, TargetKind::Kubernetes);
    assert_eq!(ids(t), ["PSS-privileged"]);
    assert_eq!(t.findings[0].location.line, None, "no lines in memory");
    assert_eq!(
        t.findings[0].location.pointer.as_deref(),
        Some("/spec/containers/0/securityContext/privileged")
    );
}

#[test]
fn restricted_allows_a_volume_the_api_server_defaults_to_empty_dir() {
    let y = "apiVersion: apps/v1
kind: Deployment
metadata: {name: w}
spec:
  template:
    spec:
      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
      volumes:
      - name: scratch
      containers:
      - name: app
        image: app:1
        securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
        volumeMounts: [{name: scratch, mountPath: /tmp}]
";
    let opts = Options {
        pss: Policy::parse("restricted").unwrap(),
        best_practice: false,
        ..Options::default()
    };
    let r = run(vec![Input::manifest("d.yaml", y)], opts.clone());
    assert!(r.targets[0].findings.is_empty(), "{:#?}", r.targets[0]);
    // Without defaulting PSA's check itself calls the volume "unknown" (its unit tests do).
    let raw = pss::evaluate(
        opts.pss,
        &json!({}),
        &json!({"volumes": [{"name": "scratch"}], "containers": []}),
    );
    assert!(raw.iter().any(|v| v.detail.contains("\"unknown\"")));
    // A real restricted volume type is still denied.
    let nfs = y.replace(
        "      - name: scratch\n",
        "      - name: scratch\n        nfs: {server: s, path: /}\n",
    );
    let r = run(vec![Input::manifest("d.yaml", nfs)], opts);
    assert_eq!(ids(&r.targets[0]), ["PSS-restrictedVolumes"]);
    assert!(r.targets[0].findings[0].message.contains("\"nfs\""));
}

#[test]
fn host_network_pods_get_host_ports_as_the_api_server_defaults_them() {
    let pod = "apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  hostNetwork: true
  containers:
  - name: app
    image: app:1
    ports:
    - containerPort: 8080
";
    let r = run(vec![Input::manifest("p.yaml", pod)], baseline());
    let t = &r.targets[0];
    assert_eq!(ids(t), ["PSS-hostNamespaces", "PSS-hostPorts"]);
    let hp = &t.findings[1];
    assert_eq!(
        hp.message,
        "hostPort (container \"app\" uses hostPort 8080)"
    );
    assert_eq!(hp.location.line, Some(10), "the containerPort's line");
    assert!(hp.evidence.contains_key("api_default"));
    // A Deployment's template is not defaulted that way (SetDefaults_Pod is for Pods).
    let dep = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d}}\nspec:\n  template:\n    spec:\n{}",
        pod.split("spec:\n")
            .nth(1)
            .unwrap()
            .lines()
            .map(|l| format!("    {l}\n"))
            .collect::<String>()
    );
    let r = run(vec![Input::manifest("d.yaml", dep)], baseline());
    assert_eq!(ids(&r.targets[0]), ["PSS-hostNamespaces"]);
}

#[test]
fn settings_and_the_severity_filter() {
    let settings = Settings::parse(
        "ignored: [KSV017]\nseverity: {BH-K8S-004: CRITICAL}\n",
        "s.yaml",
    )
    .unwrap();
    let pod = POD.replace("nginx:1.25", "nginx");
    let r = check(&Request {
        inputs: vec![
            Input::manifest("p.yaml", pod),
            Input::manifest("bad.yaml", "a: [\n"),
        ],
        options: Options {
            severities: vec![Severity::Critical],
            ..Options::default()
        },
        settings,
        ..Request::default()
    })
    .unwrap();
    // Sorted by name: bad.yaml first; its input error survives the CRITICAL-only filter.
    assert_eq!(r.targets[0].name, "bad.yaml");
    assert_eq!(ids(&r.targets[0]), [PARSE_RULE_ID]);
    assert_eq!(ids(&r.targets[1]), ["BH-K8S-004"]);
    assert_eq!(r.targets[1].findings[0].severity, Severity::Critical);
    assert_eq!(r.suppressed.len(), 1);
    assert_eq!(r.suppressed[0].id, "PSS-privileged");
    assert_eq!(r.suppressed[0].by, "s.yaml (ignored)");
    assert_eq!(r.suppressed[0].subject, "p.yaml:9 shop/Pod/web");
}

#[test]
fn many_files_keep_their_order_and_findings() {
    let d = tempfile::tempdir().unwrap();
    for i in 0..40 {
        std::fs::write(d.path().join(format!("p{i:02}.yaml")), POD).unwrap();
    }
    let r = run(vec![Input::Path(d.path().to_path_buf())], baseline());
    assert_eq!(r.targets.len(), 40);
    for (i, t) in r.targets.iter().enumerate() {
        assert!(t.name.ends_with(&format!("p{i:02}.yaml")), "{}", t.name);
        assert_eq!(ids(t), ["PSS-privileged"]);
    }
}

#[test]
fn dockerfile_parse_errors_are_input_errors_in_their_target() {
    let r = run(
        vec![Input::dockerfile(
            "Dockerfile",
            "FROM alpine:3.20\nFOO bar\n",
        )],
        Options::default(),
    );
    let t = &r.targets[0];
    assert_eq!(t.kind, TargetKind::Dockerfile);
    assert_eq!(ids(t), [PARSE_RULE_ID]);
    assert_eq!(t.findings[0].location.line, Some(2));
    assert!(t.findings[0].is_named("DL1000"));
}

#[test]
fn a_named_file_without_a_telling_name_is_judged_by_its_content() {
    // A rendered file saved under a name that says nothing (`rendered`, `63`).
    let d = tempfile::tempdir().unwrap();
    let m = d.path().join("63");
    std::fs::write(&m, format!("# rendered\n{POD}")).unwrap();
    let df = d.path().join("build");
    std::fs::write(&df, "FROM alpine:3.20\nUSER root\n").unwrap();
    let r = run(vec![Input::Path(m), Input::Path(df)], baseline());
    assert_eq!(r.targets[0].kind, TargetKind::Kubernetes);
    assert_eq!(ids(&r.targets[0]), ["PSS-privileged"]);
    assert_eq!(r.targets[1].kind, TargetKind::Dockerfile);
    assert!(ids(&r.targets[1]).contains(&"DL3002"));
}

#[test]
fn a_named_directory_with_nothing_to_check_is_an_input_error() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("values.yaml"), "replicas: 2\n").unwrap();
    std::fs::write(d.path().join("README.md"), "# chart\n").unwrap();
    let r = run(vec![Input::Path(d.path().to_path_buf())], baseline());
    assert_eq!(r.targets.len(), 1);
    let t = &r.targets[0];
    assert_eq!((t.kind, ids(t)), (TargetKind::File, vec![PARSE_RULE_ID]));
    assert_eq!(
        t.findings[0].message,
        "no Dockerfile or Kubernetes manifest found in this directory (1 YAML/JSON file(s) without a Kubernetes object): nothing was checked"
    );
    // With one manifest in it, the directory is fine.
    std::fs::write(d.path().join("pod.yaml"), POD).unwrap();
    let r = run(vec![Input::Path(d.path().to_path_buf())], baseline());
    assert_eq!(r.targets.len(), 1);
    assert_eq!(ids(&r.targets[0]), ["PSS-privileged"]);
}
