//! `admission manifests` as a cluster operator applies them: the objects an install needs, the
//! webhook configuration's fields, Bulkhead's own `config` checks at `restricted` (no finding),
//! kubectl's typed decoding of every object (when kubectl is installed; required in CI), and the
//! generated certificate really served: the webhook started with the Secret's certificate and the
//! ConfigMap's namespaces, a TLS client trusting only the configuration's caBundle and naming the
//! Service's DNS name completes the handshake and gets a decision.

use base64::Engine as _;
use bulkhead_admission::manifests::{ManifestOptions, objects, render};
use bulkhead_admission::server::{ServeOptions, Server};
use serde_json::Value;
use std::io::{Read, Write};
use std::sync::Arc;

const NAMESPACES: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    pod-security.kubernetes.io/enforce: restricted\n";

fn options() -> ManifestOptions {
    let mut o = ManifestOptions::new(
        "registry.example.com/bulkhead@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        Some(NAMESPACES.into()),
    );
    o.exclude_namespaces = vec!["monitoring".into()];
    o
}

fn b64d(v: &Value) -> String {
    String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap())
            .unwrap(),
    )
    .unwrap()
}

#[test]
fn the_objects_an_install_needs() {
    let objs = objects(&options()).unwrap();
    let kinds: Vec<&str> = objs.iter().map(|o| o["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "Namespace",
            "ServiceAccount",
            "Secret",
            "ConfigMap",
            "Deployment",
            "PodDisruptionBudget",
            "Service",
            "ValidatingWebhookConfiguration"
        ]
    );
    let dep = &objs[4];
    assert_eq!(dep["spec"]["replicas"], 2);
    let pod = &dep["spec"]["template"]["spec"];
    assert!(pod["affinity"]["podAntiAffinity"].is_object());
    let c = &pod["containers"][0];
    assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true);
    assert!(c["resources"]["limits"]["memory"].is_string());
    let vwc = &objs[7];
    for hook in vwc["webhooks"].as_array().unwrap() {
        assert_eq!(hook["sideEffects"], "None");
        assert_eq!(hook["failurePolicy"], "Fail");
        assert_eq!(hook["timeoutSeconds"], 5);
        assert_eq!(hook["admissionReviewVersions"], serde_json::json!(["v1"]));
        let sel = &hook["namespaceSelector"]["matchExpressions"][0];
        assert_eq!(sel["operator"], "NotIn");
        assert_eq!(
            sel["values"],
            serde_json::json!(["kube-system", "bulkhead", "monitoring"])
        );
        assert_eq!(hook["clientConfig"]["service"]["path"], "/validate");
    }
    // The YAML stream parses back to the same objects.
    let yaml = render(&options()).unwrap();
    let back: Vec<Value> = bulkhead_config::yaml::parse_documents(&yaml)
        .unwrap()
        .into_iter()
        .map(|d| d.value)
        .collect();
    assert_eq!(back.len(), 8);
    assert_eq!(
        back[4]["spec"]["template"]["spec"]["containers"][0]["args"],
        c["args"]
    );
    // --mutating adds the mutating configuration, calling /mutate for pod creations.
    let mut o = options();
    o.mutating = true;
    let objs = objects(&o).unwrap();
    assert_eq!(objs.len(), 9);
    let m = &objs[8];
    assert_eq!(m["kind"], "MutatingWebhookConfiguration");
    assert_eq!(
        m["webhooks"][0]["clientConfig"]["service"]["path"],
        "/mutate"
    );
    assert_eq!(
        m["webhooks"][0]["rules"][0]["operations"],
        serde_json::json!(["CREATE"])
    );
    assert_eq!(m["webhooks"][0]["sideEffects"], "None");
    // Namespaces from the cluster: read access to namespaces only, and a token to use it.
    let mut o = options();
    o.namespaces = None;
    let objs = objects(&o).unwrap();
    let kinds: Vec<&str> = objs.iter().map(|o| o["kind"].as_str().unwrap()).collect();
    assert_eq!(
        &kinds[..4],
        [
            "Namespace",
            "ServiceAccount",
            "ClusterRole",
            "ClusterRoleBinding"
        ]
    );
    assert_eq!(
        objs[2]["rules"],
        serde_json::json!([{"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get", "list"]}])
    );
    assert_eq!(objs[3]["subjects"][0]["name"], "bulkhead-admission");
    let dep = objs.iter().find(|o| o["kind"] == "Deployment").unwrap();
    assert_eq!(
        dep["spec"]["template"]["spec"]["automountServiceAccountToken"],
        false
    );
    assert_eq!(
        dep["spec"]["template"]["spec"]["containers"][0]["volumeMounts"][2]["mountPath"],
        "/var/run/secrets/kubernetes.io/serviceaccount",
        "the token mounted by name into the webhook's container only"
    );
    let args = dep["spec"]["template"]["spec"]["containers"][0]["args"]
        .as_array()
        .unwrap();
    assert!(args.contains(&serde_json::json!("--namespaces-from-cluster")));
    assert!(
        !args
            .iter()
            .any(|a| a.as_str().unwrap().starts_with("--namespaces="))
    );
    let cm = objs.iter().find(|o| o["kind"] == "ConfigMap").unwrap();
    assert!(cm["data"].get("namespaces.yaml").is_none());
    let findings = bulkhead_config::check_manifest(
        "m.yaml",
        &render(&o).unwrap(),
        &bulkhead_config::Options::default(),
    )
    .unwrap();
    assert!(findings.is_empty(), "{findings:#?}");
    // Bad values are refused.
    let mut o = options();
    o.timeout_seconds = 31;
    assert!(objects(&o).unwrap_err().to_string().contains("1 to 30"));
}

#[test]
fn the_manifests_pass_bulkheads_own_restricted_checks() {
    let mut o = options();
    o.mutating = true;
    let yaml = render(&o).unwrap();
    let findings = bulkhead_config::check_manifest(
        "manifests.yaml",
        &yaml,
        &bulkhead_config::Options::default(),
    )
    .unwrap();
    assert!(findings.is_empty(), "{findings:#?}");
}

#[test]
fn kubectl_decodes_every_object() {
    let Some(kubectl) = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("kubectl"))
            .find(|k| k.is_file())
    }) else {
        assert!(
            std::env::var("BULKHEAD_STRICT").as_deref() != Ok("1"),
            "kubectl is needed (scripts/install-deps.sh)"
        );
        println!("SKIP: kubectl absent; this test checked nothing");
        return;
    };
    // `kubectl apply --dry-run=client` needs an API server for discovery (none runs here);
    // `kubectl set resources --local` decodes each object into kubectl's own Go types offline (a
    // wrong field type fails), then says whether it has a pod template.
    let mut o = options();
    o.mutating = true;
    let yaml = render(&o).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut decoded = 0;
    for (i, doc) in yaml
        .split("---\n")
        .filter(|d| !d.trim().is_empty())
        .enumerate()
    {
        let f = dir.path().join(format!("{i}.yaml"));
        std::fs::write(&f, doc).unwrap();
        let out = std::process::Command::new(&kubectl)
            .args([
                "set",
                "resources",
                "--local",
                "-o",
                "json",
                "--limits=cpu=1",
                "-f",
            ])
            .arg(&f)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() || err.contains("does not have a pod template"),
            "kubectl refused object {i}: {err}\n{doc}"
        );
        assert!(!err.contains("unable to decode"), "{err}");
        decoded += 1;
    }
    // A wrong type is caught by the same check (it is a check).
    let f = dir.path().join("bad.yaml");
    std::fs::write(
        &f,
        "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {ports: [{port: \"443x\"}]}\n",
    )
    .unwrap();
    let out = std::process::Command::new(&kubectl)
        .args([
            "set",
            "resources",
            "--local",
            "-o",
            "json",
            "--limits=cpu=1",
            "-f",
        ])
        .arg(&f)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("unable to decode"));
    println!("kubectl decoded {decoded}/9 objects");
    assert_eq!(decoded, 9);
}

#[test]
fn the_generated_certificate_is_served_and_trusted_through_the_ca_bundle() {
    let objs = objects(&options()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, ns) = (
        dir.path().join("tls.crt"),
        dir.path().join("tls.key"),
        dir.path().join("ns.yaml"),
    );
    std::fs::write(&cert, b64d(&objs[2]["data"]["tls.crt"])).unwrap();
    std::fs::write(&key, b64d(&objs[2]["data"]["tls.key"])).unwrap();
    std::fs::write(&ns, objs[3]["data"]["namespaces.yaml"].as_str().unwrap()).unwrap();
    let admission = bulkhead_admission::Settings {
        namespaces: bulkhead_admission::NamespaceSource::File(ns),
        ..Default::default()
    }
    .build()
    .unwrap();
    let server = Server::start(
        Arc::new(admission),
        ServeOptions::new("127.0.0.1:0", &cert, &key),
    )
    .unwrap();
    let ca_pem = b64d(&objs[7]["webhooks"][0]["clientConfig"]["caBundle"]);
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls::pki_types::CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(c.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    // The API server calls https://<service>.<namespace>.svc:443/validate.
    let name = rustls::pki_types::ServerName::try_from("bulkhead-admission.bulkhead.svc").unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let tcp = std::net::TcpStream::connect(server.addr).unwrap();
    tcp.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let body = serde_json::json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": "m1", "resource": {"group": "", "version": "v1", "resource": "pods"}, "name": "p", "namespace": "shop",
        "operation": "CREATE", "object": {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}})
        .to_string();
    write!(tls, "POST /validate HTTP/1.1\r\nHost: bulkhead-admission.bulkhead.svc\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).unwrap();
    let mut resp = String::new();
    let _ = tls.read_to_string(&mut resp);
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    let json = &resp[resp.find("\r\n\r\n").unwrap() + 4..];
    let v: Value = serde_json::from_str(json).unwrap();
    assert_eq!(v["response"]["uid"], "m1");
    assert_eq!(v["response"]["allowed"], false, "shop enforces restricted");
    server.stop();
}
