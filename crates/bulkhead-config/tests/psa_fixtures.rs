//! Ground truth: the Pod Security Admission conformance fixtures (kubernetes/pod-security-admission
//! test/testdata: `<level>/<version>/<pass|fail>/<check><n>.yaml`). Every `pass` fixture must be
//! allowed at its level and version, every `fail` fixture denied with the named check (or the
//! restricted check that overrides it at that version) among the failures. Each fixture's pod is also
//! wrapped into a Deployment, a Job and a CronJob, which must get the same verdicts.
//!
//! The full set (76 level/version directories) is read from ../shared/data/psa; without it, the
//! repository's copy of v1.0, v1.24 and v1.37 is used and the test says so.

use bulkhead_config::pss::Policy;
use bulkhead_config::{Options, check_manifest};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/psa");
    if shared.is_dir() {
        return shared;
    }
    if std::env::var_os("BULKHEAD_STRICT").is_some() {
        panic!("../shared/data/psa absent (BULKHEAD_STRICT=1)");
    }
    println!("SKIP: ../shared absent: using the repository's subset (v1.0, v1.24, v1.37)");
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/psa")
}

/// Check IDs by fixture prefix (the file stem without its trailing digits).
fn check_of(prefix: &str) -> &'static str {
    match prefix {
        "allowprivilegeescalation" => "allowPrivilegeEscalation",
        "apparmorprofile" => "appArmorProfile",
        "capabilities_baseline" => "capabilities_baseline",
        "capabilities_restricted" => "capabilities_restricted",
        "hostnamespaces" => "hostNamespaces",
        "hostpathvolumes" => "hostPathVolumes",
        "hostports" => "hostPorts",
        "hostprobesandhostlifecycle" => "hostProbesAndHostLifecycle",
        "privileged" => "privileged",
        "procmount" => "procMount",
        "procmount_restricted" => "procMount_restricted",
        "restrictedvolumes" => "restrictedVolumes",
        "runasnonroot" => "runAsNonRoot",
        "runasuser" => "runAsUser",
        "seccompprofile_baseline" => "seccompProfile_baseline",
        "seccompprofile_restricted" => "seccompProfile_restricted",
        "selinuxoptions" => "seLinuxOptions",
        "sysctls" => "sysctls",
        "windowshostprocess" => "windowsHostProcess",
        other => panic!("unknown fixture prefix {other:?}"),
    }
}

/// The restricted check that replaces a baseline one at `minor`, if any.
fn overridden_by(check: &str, minor: u32) -> Option<&'static str> {
    match check {
        "hostPathVolumes" => Some("restrictedVolumes"),
        "seccompProfile_baseline" if minor >= 19 => Some("seccompProfile_restricted"),
        "capabilities_baseline" if minor >= 22 => Some("capabilities_restricted"),
        "procMount" if minor >= 35 => Some("procMount_restricted"),
        _ => None,
    }
}

fn wrap(pod: &Value, kind: &str) -> Value {
    let template = json!({"metadata": pod["metadata"].clone(), "spec": pod["spec"].clone()});
    match kind {
        "Deployment" => {
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "w"},
                               "spec": {"template": template}})
        }
        "Job" => json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "w"},
                        "spec": {"template": template}}),
        "CronJob" => json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "w"},
                            "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": template}}}}),
        _ => unreachable!(),
    }
}

#[test]
fn psa_conformance_fixtures() {
    let root = root();
    let (mut total, mut agree) = (0usize, 0usize);
    let mut wrapped_total = 0usize;
    let mut disagreements = Vec::new();
    let mut dirs = 0;
    for level in ["baseline", "restricted"] {
        let mut versions: Vec<PathBuf> = std::fs::read_dir(root.join(level))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        versions.sort();
        for vdir in versions {
            let version = vdir.file_name().unwrap().to_string_lossy().into_owned();
            let policy = Policy::parse(&format!("{level}:{version}")).unwrap();
            let minor = policy.effective_minor();
            let opts = Options {
                pss: policy,
                best_practice: false,
                ..Options::default()
            };
            dirs += 1;
            for verdict in ["pass", "fail"] {
                let Ok(rd) = std::fs::read_dir(vdir.join(verdict)) else {
                    continue;
                };
                let mut files: Vec<PathBuf> = rd.map(|e| e.unwrap().path()).collect();
                files.sort();
                for f in files {
                    let stem = f.file_stem().unwrap().to_string_lossy().into_owned();
                    let text = std::fs::read_to_string(&f).unwrap();
                    let name = format!("{level}/{version}/{verdict}/{stem}");
                    let findings = check_manifest(&name, &text, &opts).unwrap();
                    let ids: Vec<String> = findings
                        .iter()
                        .map(|f| f.id.trim_start_matches("PSS-").to_string())
                        .collect();
                    let ok = if verdict == "pass" {
                        ids.is_empty()
                    } else {
                        let prefix = stem.trim_end_matches(|c: char| c.is_ascii_digit());
                        let check = check_of(prefix);
                        let alt = (level == "restricted")
                            .then(|| overridden_by(check, minor))
                            .flatten();
                        !ids.is_empty() && ids.iter().any(|i| i == check || Some(i.as_str()) == alt)
                    };
                    total += 1;
                    if ok {
                        agree += 1;
                    } else {
                        disagreements.push(format!(
                            "{name}: {:?}",
                            findings.iter().map(|f| &f.message).collect::<Vec<_>>()
                        ));
                    }
                    // Same verdict when the pod is a workload's template.
                    let pod: Value =
                        serde_json::to_value(serde_saphyr::from_str::<Value>(&text).unwrap())
                            .unwrap();
                    for kind in ["Deployment", "Job", "CronJob"] {
                        let w = serde_json::to_string(&wrap(&pod, kind)).unwrap();
                        let wf = check_manifest(&name, &w, &opts).unwrap();
                        let wids: Vec<&str> = wf.iter().map(|f| f.id.as_str()).collect();
                        let pids: Vec<&str> = findings.iter().map(|f| f.id.as_str()).collect();
                        wrapped_total += 1;
                        assert_eq!(wids, pids, "{name} as a {kind}");
                        assert!(wf.iter().all(
                            |f| f.location.object.as_deref() == Some(&format!("{kind}/w")[..])
                        ));
                    }
                }
            }
        }
    }
    println!(
        "PSA fixtures: {dirs} level/version directories, {total} fixtures, agreement {agree}/{total} = {:.2}%; \
         {wrapped_total} wrapped as Deployment/Job/CronJob with identical verdicts",
        100.0 * agree as f64 / total.max(1) as f64
    );
    for d in &disagreements {
        println!("  DISAGREE {d}");
    }
    assert!(total > 0);
    assert_eq!(agree, total, "PSA conformance must be 100%");
}
