//! The field table is the truth: every field it marks extracted gets a value from its source's
//! extractor on the shared captures (or on constructed events for what the captures lack), and no
//! field it marks not extracted ever does.

use super::rule_field_tests::{P, capture, mk};
use super::*;
use crate::fields::{ArgRule, FIELDS, FieldInfo};
use std::collections::BTreeSet;

/// Arguments tried for a field that takes one.
fn args_for(f: &FieldInfo) -> Vec<Option<&'static str>> {
    let samples: &[&str] = match f.name {
        "evt.arg" | "evt.rawarg" => &["0", "fd", "res", "name"],
        "proc.env" => &["PATH", "HOME"],
        "container.mount.dest" | "container.mount" | "container.mount.source" => &["0", "/data*"],
        "container.label" | "k8s.pod.label" | "k8s.ns.label" => &["app"],
        "thread.cgroup" => &["cpu"],
        "evt.type.is" => &["open"],
        "evt.around" => &["1"],
        "jevt.value" | "json.value" => &["/verb"],
        "ka.uri.param" => &["watch"],
        "ka.req.binding.subject.has_name" | "ka.req.volume.hostpath" => &["/var/run/docker.sock"],
        _ => &["1", "0"],
    };
    let mut v: Vec<Option<&str>> = samples.iter().map(|s| Some(*s)).collect();
    if f.arg != ArgRule::Required {
        v.insert(0, None);
    }
    v
}

/// Note in `seen` every syscall field `ev` has a value for.
fn note(ev: &dyn crate::eval::FieldSource, source: &str, seen: &mut BTreeSet<&'static str>) {
    for f in FIELDS.iter().filter(|f| f.source == source) {
        if seen.contains(f.name) {
            continue;
        }
        if args_for(f)
            .into_iter()
            .any(|a| ev.extract(f.name, a).is_some())
        {
            seen.insert(f.name);
        }
    }
}

/// A container event (libsinsp's JSON, with everything its container manager writes), a thread
/// of that container, and events of it.
fn container_events(r: &mut Inspector, seen: &mut BTreeSet<&'static str>) {
    let json = r#"{"container":{"id":"3ad7b26ded6d","full_id":"3ad7b26ded6d8e7b23da7d48fe889434573036c27ae5a74837233de441c3601e","type":0,"name":"web","image":"nginx:1.25","imageid":"sha256:a8758716bb6aa4d90071160d27028fe4eaee7ce8166221a97d30440c8eac2be6","imagerepo":"docker.io/library/nginx","imagetag":"1.25","imagedigest":"sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31","privileged":true,"ip":"172.17.0.2","labels":{"io.kubernetes.pod.namespace":"prod","io.kubernetes.pod.name":"web-0","io.kubernetes.pod.uid":"6f1c","app":"web"},"pod_sandbox_id":"5639be937200aaaa","pod_sandbox_labels":{"app":"web"},"cni_json":"{}","host_network":true,"Mounts":[{"Source":"/data/web","Destination":"/usr/share/nginx","Mode":"","RW":true,"Propagation":"rprivate"}]}}"#;
    let ev = r.apply(mk(
        "container",
        Direction::Enter,
        1,
        0,
        &[("json", P::S(json))],
    ));
    note(&ev, "syscall", seen);
    let cg = b"cpuset=/docker/3ad7b26ded6d8e7b23da7d48fe889434573036c27ae5a74837233de441c3601e\0";
    // A process of the container cloned from a placeholder thread, then an open and a socket.
    r.apply(mk(
        "clone",
        Direction::Exit,
        10,
        500,
        &[
            ("res", P::I(501)),
            ("exe", P::S("/usr/sbin/nginx")),
            ("pid", P::I(500)),
            ("ptid", P::I(1)),
            // The child is in a new pid namespace: its own exit creates it.
            ("flags", P::I(1 << 29)),
            ("cgroups", P::B(cg)),
        ],
    ));
    let ev = r.apply(mk(
        "clone",
        Direction::Exit,
        11,
        501,
        &[
            ("res", P::I(0)),
            ("exe", P::S("/usr/sbin/nginx")),
            ("pid", P::I(501)),
            ("ptid", P::I(500)),
            ("vtid", P::I(1)),
            ("vpid", P::I(1)),
            ("pidns_init_start_ts", P::I(5)),
            ("flags", P::I(1 << 29)),
            ("cgroups", P::B(cg)),
        ],
    ));
    note(&ev, "syscall", seen);
    // It executes nginx (with the executable's inode times), then forks a worker, which opens.
    let ev = r.apply(mk(
        "execve",
        Direction::Exit,
        12,
        501,
        &[
            ("res", P::I(0)),
            ("exe", P::S("/usr/sbin/nginx")),
            ("pid", P::I(501)),
            ("ptid", P::I(500)),
            ("cwd", P::S("/")),
            ("comm", P::S("nginx")),
            ("cgroups", P::B(cg)),
            ("exe_ino", P::I(1234)),
            ("exe_ino_ctime", P::I(3)),
            ("exe_ino_mtime", P::I(2)),
        ],
    ));
    note(&ev, "syscall", seen);
    r.apply(mk(
        "clone",
        Direction::Exit,
        13,
        501,
        &[
            ("res", P::I(502)),
            ("exe", P::S("/usr/sbin/nginx")),
            ("pid", P::I(501)),
            ("ptid", P::I(500)),
            ("vtid", P::I(1)),
            ("vpid", P::I(1)),
            ("flags", P::I(0)),
            ("cgroups", P::B(cg)),
        ],
    ));
    r.apply(mk(
        "clone",
        Direction::Exit,
        14,
        502,
        &[
            ("res", P::I(0)),
            ("exe", P::S("/usr/sbin/nginx")),
            ("pid", P::I(502)),
            ("ptid", P::I(501)),
            ("vtid", P::I(2)),
            ("vpid", P::I(2)),
            ("flags", P::I(0)),
            ("cgroups", P::B(cg)),
        ],
    ));
    let ev = r.apply(mk(
        "openat",
        Direction::Exit,
        15,
        502,
        &[
            ("fd", P::I(3)),
            ("dirfd", P::I(-100)),
            ("name", P::S("/etc/nginx/nginx.conf")),
            ("flags", P::I(1)),
        ],
    ));
    note(&ev, "syscall", seen);
}

#[test]
fn the_table_says_what_is_extracted() {
    let mut seen = BTreeSet::new();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../bulkhead-scap/tests/fixtures/cat_write.scap");
    let mut captures = vec![fixture];
    let shared = [
        "open-multiple-files.scap",
        "ping_sendto.scap",
        "libs/curl_google.scap",
        "libs/sample.scap",
        "libs/single_ipv6_conn.scap",
        "libs/test_ipv6_client.scap",
    ];
    let all_shared = shared.iter().all(|c| capture(c).is_some());
    captures.extend(shared.iter().filter_map(|c| capture(c)));
    for c in &captures {
        let mut r = Replayer::open(c).unwrap();
        while let Some(ev) = r.next_event().unwrap() {
            note(&ev, "syscall", &mut seen);
        }
        // The same events through Bulkhead's capture format.
        let mut buf = Vec::new();
        crate::capture::convert_scap(c, &mut buf).unwrap();
        crate::capture::read(std::io::Cursor::new(&buf), &mut |ev| {
            note(&ev, "syscall", &mut seen)
        })
        .unwrap();
    }
    container_events(&mut Inspector::new(), &mut seen);
    let mut audit_seen = BTreeSet::new();
    let audit_dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/falco/captures/k8s_audit");
    let mut audit_files: Vec<_> = std::fs::read_dir(&audit_dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    audit_files.sort();
    for p in &audit_files {
        let text = std::fs::read_to_string(p).unwrap();
        for e in crate::k8saudit::read_events(&text).unwrap().0 {
            note(&e, "k8s_audit", &mut audit_seen);
        }
    }
    // An audit event with what the shared ones lack (pod security settings, init and ephemeral
    // containers, a binding, impersonation, a query string, a response reason, source IPs).
    let crafted = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"c","stage":"ResponseComplete","verb":"create",
      "requestURI":"/api/v1/namespaces/default/pods?watch=true","sourceIPs":["10.0.0.7"],
      "user":{"username":"alice","groups":["dev"]},"impersonatedUser":{"username":"bob"},
      "objectRef":{"resource":"pods","namespace":"default","name":"p"},
      "responseStatus":{"code":403,"reason":"Forbidden"},"stageTimestamp":"2024-05-01T10:00:00Z",
      "requestObject":{"subjects":[{"kind":"User","name":"alice"}],"roleRef":{"name":"admin"},
        "spec":{"hostIPC":true,"hostPID":true,"securityContext":{"runAsUser":1000,"runAsGroup":1000,"fsGroup":2000,"supplementalGroups":[3000]},
          "volumes":[{"name":"f","flexVolume":{"driver":"example/lvm"}},{"name":"d","hostPath":{"path":"/var/run/docker.sock"}}],
          "containers":[{"name":"c","image":"nginx"}],
          "initContainers":[{"name":"i","image":"busybox","securityContext":{"privileged":true}}],
          "ephemeralContainers":[{"name":"e","image":"alpine","securityContext":{"privileged":false}}]}}}"#;
    for e in crate::k8saudit::read_events(crafted).unwrap().0 {
        note(&e, "k8s_audit", &mut audit_seen);
    }
    if !all_shared || audit_files.is_empty() {
        assert!(
            std::env::var_os("BULKHEAD_STRICT").is_none(),
            "../shared absent (BULKHEAD_STRICT=1)"
        );
        println!("SKIP: ../shared absent: only the constructed events were checked");
        return;
    }
    let check = |source: &str, seen: &BTreeSet<&str>| {
        let never: Vec<&str> = FIELDS
            .iter()
            .filter(|f| f.source == source && f.extracted() && !seen.contains(f.name))
            .map(|f| f.name)
            .collect();
        let but: Vec<&str> = FIELDS
            .iter()
            .filter(|f| f.source == source && !f.extracted() && seen.contains(f.name))
            .map(|f| f.name)
            .collect();
        let n = FIELDS.iter().filter(|f| f.source == source).count();
        println!(
            "{source}: {} of {n} fields extracted (each seen with a value)",
            FIELDS
                .iter()
                .filter(|f| f.source == source && f.extracted())
                .count()
        );
        assert!(
            never.is_empty(),
            "{source}: marked extracted, never had a value: {never:?}"
        );
        assert!(
            but.is_empty(),
            "{source}: marked not extracted, but had a value: {but:?}"
        );
    };
    check("syscall", &seen);
    check("k8s_audit", &audit_seen);
}

/// `container.image.id` and `container.image.digest` (declared by Falco, used by rules) come from
/// the container event libsinsp's container manager writes, match in conditions, and travel in
/// Bulkhead's capture format (the thread record) unchanged.
#[test]
fn container_image_id_and_digest() {
    let mut r = Inspector::new();
    let mut seen = BTreeSet::new();
    container_events(&mut r, &mut seen);
    let ev = r.current().unwrap();
    let get = |e: &dyn crate::eval::FieldSource, f: &str| e.extract(f, None).map(|v| v.join(","));
    let id = "sha256:a8758716bb6aa4d90071160d27028fe4eaee7ce8166221a97d30440c8eac2be6";
    let digest = "sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31";
    assert_eq!(get(&ev, "container.image.id").as_deref(), Some(id));
    assert_eq!(get(&ev, "container.image.digest").as_deref(), Some(digest));
    assert_eq!(get(&ev, "container.image.tag").as_deref(), Some("1.25"));
    assert_eq!(get(&ev, "container.type").as_deref(), Some("docker"));
    assert!(super::rule_field_tests::cond(
        &ev,
        "container.image.digest startswith sha256: and container.image.id = sha256:a8758716bb6aa4d90071160d27028fe4eaee7ce8166221a97d30440c8eac2be6"
    ));
    let names: Vec<&str> = ev.event.params.iter().map(|p| p.name).collect();
    let rec = crate::capture::CapturedEvent::from_syscall(&ev, ev.ts_ns(), &names);
    let mut buf = Vec::new();
    crate::capture::write_header(&mut buf, "x", None).unwrap();
    crate::capture::Writer::default()
        .write(&mut buf, &rec)
        .unwrap();
    let mut back = Vec::new();
    crate::capture::read(std::io::Cursor::new(&buf), &mut |e| back.push(e)).unwrap();
    assert_eq!(get(&back[0], "container.image.id").as_deref(), Some(id));
    assert_eq!(
        get(&back[0], "container.image.digest").as_deref(),
        Some(digest)
    );
    // A host process has none (container.id is `host`).
    let mut host = Inspector::new();
    let ev = host.apply(mk(
        "open",
        Direction::Exit,
        1,
        9,
        &[("fd", P::I(3)), ("name", P::S("/x"))],
    ));
    assert_eq!(get(&ev, "container.id").as_deref(), Some("host"));
    assert_eq!(get(&ev, "container.image.id"), None);
}
