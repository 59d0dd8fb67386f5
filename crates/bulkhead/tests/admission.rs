//! The admission webhook's scan gate on a real recorded scan: the npmvuln image scanned by
//! `bulkhead image --store` with the npm advisories of ../shared, then pods using that image (by
//! its tag and by its digest), an image never scanned, and a namespace whose gate only warns,
//! decided by `bulkhead admission review` as the webhook decides them.

mod common;
use common::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn review_file(dir: &Path, name: &str, ns: &str, image: &str) -> PathBuf {
    let review = json!({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {
            "uid": format!("uid-{name}"),
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "name": name, "namespace": ns, "operation": "CREATE",
            "userInfo": {"username": "system:serviceaccount:kube-system:replicaset-controller"},
            "object": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                "spec": {"securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
                         "containers": [{"name": "app", "image": image,
                             "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}]}}
        }
    });
    let p = dir.join(format!("{name}.json"));
    std::fs::write(&p, review.to_string()).unwrap();
    p
}

#[test]
fn the_scan_gate_decides_on_a_real_recorded_scan() {
    let Some(t) = testdata() else { return };
    let Some(osv) = shared_data("osv/npm") else {
        return;
    };
    let image = t.join("npmvuln.docker.tar");
    assert!(
        image.exists(),
        "npmvuln image missing: run scripts/build-test-images.sh"
    );
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("adv.db");
    import_db(&db, &osv);
    let store = dir.path().join("scans.db");
    let report = scan_with_db(
        &image,
        &db,
        &["--format", "json", "--store", store.to_str().unwrap()],
    );
    let a = artifact(&report);
    let image_id = a["image_id"].as_str().unwrap().to_string();
    let tag = a["repo_tags"][0]
        .as_str()
        .expect("the image has a repo tag")
        .to_string();
    // What the gate must count: HIGH or CRITICAL vulnerabilities with a fixed version.
    let expected = findings(&report)
        .iter()
        .filter(|f| {
            matches!(f["severity"].as_str(), Some("HIGH" | "CRITICAL"))
                && f["fix"]["version"].is_string()
        })
        .count();
    assert!(
        expected > 0,
        "the npmvuln image has fixable HIGH vulnerabilities"
    );

    std::fs::write(
        dir.path().join("ns.yaml"),
        "kind: Namespace\nmetadata: {name: shop, labels: {pod-security.kubernetes.io/enforce: restricted}}\n---\nkind: Namespace\nmetadata: {name: dev}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("policy.yaml"),
        "apiVersion: bulkhead.dev/v1alpha1\nkind: AdmissionPolicy\nspec:\n  scanGate: {severity: HIGH, fixableOnly: true, maxAgeDays: 7, unscanned: Deny}\n  namespaces:\n    dev: {scanGate: {action: Warn, severity: HIGH, fixableOnly: true, unscanned: Warn}}\n",
    )
    .unwrap();
    let decide = |name: &str, ns: &str, img: &str| -> (Option<i32>, Value) {
        let f = review_file(dir.path(), name, ns, img);
        let out = bulkhead(&[
            "admission",
            "review",
            "--namespaces",
            dir.path().join("ns.yaml").to_str().unwrap(),
            "--policy",
            dir.path().join("policy.yaml").to_str().unwrap(),
            "--store",
            store.to_str().unwrap(),
            "--exit-code",
            "4",
            f.to_str().unwrap(),
        ]);
        assert!(
            out.stderr.is_empty() || out.status.code() == Some(4),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        (
            out.status.code(),
            serde_json::from_slice(&out.stdout).unwrap(),
        )
    };
    let noun = if expected == 1 {
        "vulnerability"
    } else {
        "vulnerabilities"
    };
    let want = format!(
        "has {expected} {noun} of severity HIGH or higher with a fix available (scanned at "
    );
    // By tag (as the scan recorded it), and by digest.
    for (name, img) in [
        ("by-tag", tag.clone()),
        ("by-digest", format!("localhost/bh-test/npmvuln@{image_id}")),
    ] {
        let (code, v) = decide(name, "shop", &img);
        let r = &v["response"];
        assert_eq!(code, Some(4), "{v}");
        assert_eq!(r["allowed"], false);
        assert_eq!(r["status"]["code"], 403);
        let m = r["status"]["message"].as_str().unwrap();
        assert!(
            m.starts_with(&format!(
                "pods \"{name}\" is forbidden: image policy: image "
            )),
            "{m}"
        );
        assert!(m.contains(&want), "{m}\nwant {want}");
        assert_eq!(
            r["auditAnnotations"]["image-policy"]
                .as_str()
                .map(|s| s.contains(&want)),
            Some(true)
        );
    }
    // Never scanned: denied as such.
    let (code, v) = decide("unscanned", "shop", "localhost/bh-test/bookworm:latest");
    assert_eq!(code, Some(4));
    assert!(v["response"]["status"]["message"].as_str().unwrap().ends_with("image policy: image \"localhost/bh-test/bookworm:latest\" has no scan in the scan store"));
    // A namespace whose gate warns: allowed, the same facts as a warning.
    let (code, v) = decide("dev-pod", "dev", &tag);
    assert_eq!(code, Some(0));
    assert_eq!(v["response"]["allowed"], true);
    let w = v["response"]["warnings"][0].as_str().unwrap();
    assert!(
        w.starts_with("image policy: image ") && w.contains(&want),
        "{w}"
    );
    println!(
        "admission scan gate: npmvuln's {expected} fixable HIGH/CRITICAL vulnerabilities named by tag and by digest; unscanned denied; warn namespace allowed"
    );

    // A scan gate without a store is refused at start, never a gate that passes everything.
    let out = bulkhead(&[
        "admission",
        "review",
        "--namespaces",
        dir.path().join("ns.yaml").to_str().unwrap(),
        "--policy",
        dir.path().join("policy.yaml").to_str().unwrap(),
        review_file(dir.path(), "x", "shop", &tag).to_str().unwrap(),
    ]);
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("scanGate but no scan store"));
}

/// `resolveTags` on a real registry (`docker-registry` on loopback, images pushed with skopeo):
/// the npmvuln image pushed as `shop/app:1.0` and scanned from the registry with `--store`; a pod
/// naming that tag is judged by the scan of the digest the registry gives now. When the tag is
/// moved to another image, the tag lookup still finds the old scan (stale) while `resolveTags`
/// finds that the new digest was never scanned; with the registry down, `resolveTags` denies.
#[test]
fn resolve_tags_judges_the_digest_a_tag_points_to_now() {
    let Some(t) = testdata() else { return };
    let Some(osv) = shared_data("osv/npm") else {
        return;
    };
    if !have("docker-registry") || !have("skopeo") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let reg = Registry::start(dir.path());
    let port = reg.port;
    let push = |archive: &str| reg.push(&t.join(archive), "shop/app:1.0");
    push("npmvuln.docker.tar");
    let db = dir.path().join("adv.db");
    import_db(&db, &osv);
    let store = dir.path().join("scans.db");
    let cache = dir.path().join("cache");
    let out = bulkhead(&[
        "image",
        &format!("registry://127.0.0.1:{port}/shop/app:1.0"),
        "--db",
        db.to_str().unwrap(),
        "--store",
        store.to_str().unwrap(),
        "--cache-dir",
        cache.to_str().unwrap(),
        "-q",
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(
        dir.path().join("ns.yaml"),
        "kind: Namespace\nmetadata: {name: shop}\n",
    )
    .unwrap();
    let policy = |resolve: bool| {
        let p = dir.path().join(format!("policy-{resolve}.yaml"));
        std::fs::write(
            &p,
            format!("apiVersion: bulkhead.dev/v1alpha1\nkind: AdmissionPolicy\nspec:\n  scanGate: {{severity: HIGH, fixableOnly: true, unscanned: Deny, resolveTags: {resolve}}}\n"),
        )
        .unwrap();
        p
    };
    let image = format!("127.0.0.1:{port}/shop/app:1.0");
    let decide = |resolve: bool| -> String {
        let f = review_file(dir.path(), "app", "shop", &image);
        let out = bulkhead(&[
            "admission",
            "review",
            "--namespaces",
            dir.path().join("ns.yaml").to_str().unwrap(),
            "--policy",
            policy(resolve).to_str().unwrap(),
            "--store",
            store.to_str().unwrap(),
            f.to_str().unwrap(),
        ]);
        let v: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
        assert_eq!(v["response"]["allowed"], false, "{v}");
        v["response"]["status"]["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let vulnerable = "vulnerability of severity HIGH or higher with a fix available";
    assert!(decide(false).contains(vulnerable));
    assert!(
        decide(true).contains(vulnerable),
        "the tag's digest is the scanned one"
    );
    // The tag moves to another image.
    push("bookworm.docker.tar");
    assert!(
        decide(false).contains(vulnerable),
        "by tag: the old scan, stale"
    );
    let m = decide(true);
    assert!(
        m.ends_with("has no scan in the scan store"),
        "by the digest the tag has now: {m}"
    );
    // The registry is gone: resolution fails closed.
    drop(reg);
    let m = decide(true);
    assert!(m.contains("could not be resolved at the registry"), "{m}");
    println!(
        "admission resolveTags: a moved tag is judged by its new digest (unscanned), a stale tag record is not used; registry down denies"
    );
}
