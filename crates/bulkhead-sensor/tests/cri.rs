//! The CRI client against a real containerd (its CRI plugin, as a Kubernetes node runs it; started
//! by scripts/start-containerd.sh with the bookworm test image): a pod made as kubelet makes it,
//! then the metadata the monitor reads for the container id its cgroup gives. Without containerd
//! or the test image the test says so and passes, unless BULKHEAD_STRICT=1 (CI), where it fails.

use bulkhead_sensor::containers::{ContainerLookup, Engine};
use bulkhead_sensor::cri::{CriClient, PodSpec};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Stops the private containerd when dropped.
struct Stop(PathBuf);
impl Drop for Stop {
    fn drop(&mut self) {
        if let Some(pid) = std::fs::read_to_string(self.0.join("containerd.pid"))
            .ok()
            .and_then(|p| p.trim().parse::<i32>().ok())
        {
            unsafe { libc::kill(pid, libc::SIGTERM) };
        }
    }
}

/// The CRI socket of the private containerd, or `None` (SKIP) where it cannot start.
fn containerd() -> Option<(PathBuf, Stop)> {
    let dir = root().join("target/tmp/containerd");
    let out = Command::new("bash")
        .arg(root().join("scripts/start-containerd.sh"))
        .arg(&dir)
        .output()
        .expect("bash");
    if !out.status.success() {
        let why = String::from_utf8_lossy(&out.stderr).to_string();
        let strict = std::env::var("BULKHEAD_STRICT").is_ok_and(|v| v == "1");
        assert!(
            !strict,
            "BULKHEAD_STRICT=1 and containerd cannot start: {why}"
        );
        eprintln!("SKIP: containerd cannot start here: {why}");
        return None;
    }
    Some((
        PathBuf::from(String::from_utf8(out.stdout).unwrap().trim()),
        Stop(dir),
    ))
}

#[test]
fn a_pod_made_as_kubelet_makes_it_gives_its_identity() {
    let Some((sock, _stop)) = containerd() else {
        return;
    };
    let mut cri = CriClient::connect(&sock, Duration::from_secs(20)).expect("connect");
    let v = cri.version().expect("Version");
    assert_eq!(v.runtime_name, "containerd");
    let uid = format!(
        "0f6a2c1e-{:04x}-4b7e-9d3c-7e1f00c0ffee",
        std::process::id() & 0xffff
    );
    let logs = root().join("target/tmp/containerd/logs").join(&uid);
    std::fs::create_dir_all(&logs).unwrap();
    let spec = PodSpec {
        name: "web-0".into(),
        namespace: "shop".into(),
        uid: uid.clone(),
        labels: vec![
            ("app".into(), "web".into()),
            ("tier".into(), "front".into()),
        ],
        container: "app".into(),
        image: "localhost/bh-test/bookworm:latest".into(),
        command: vec!["sleep".into(), "120".into()],
        host_network: true,
        privileged: false,
        log_directory: logs.to_string_lossy().into(),
    };
    let (sandbox, id) = cri.run_pod(&spec).expect("run pod");
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // The container's cgroup ends in its id, as the sensor reads it.
        let (code, out, _) = cri.exec_sync(&id, &["cat", "/proc/self/cgroup"]).unwrap();
        assert_eq!(code, 0);
        let cgroup = String::from_utf8_lossy(&out).to_string();
        assert!(
            cgroup.contains(&format!("/kubepods/besteffort/pod{uid}/{id}")),
            "{cgroup}"
        );
        let short = &id[..12];
        let json = cri
            .container_json(short)
            .unwrap()
            .expect("known by its short id");
        let j: Value = serde_json::from_str(&json).unwrap();
        let c = &j["container"];
        assert_eq!(c["id"], short);
        assert_eq!(c["full_id"], id.as_str());
        assert_eq!(c["type"], 7, "containerd");
        assert_eq!(c["name"], "app");
        assert_eq!(c["image"], "localhost/bh-test/bookworm:latest");
        assert_eq!(c["imagerepo"], "localhost/bh-test/bookworm");
        assert_eq!(c["imagetag"], "latest");
        assert_eq!(c["imageid"].as_str().unwrap().len(), 64, "{c}");
        assert_eq!(c["imagedigest"], "", "a local image has no repo digest");
        assert_eq!(c["labels"]["io.kubernetes.pod.name"], "web-0");
        assert_eq!(c["labels"]["io.kubernetes.pod.namespace"], "shop");
        assert_eq!(c["labels"]["io.kubernetes.pod.uid"], uid.as_str());
        assert_eq!(c["pod_sandbox_id"], sandbox.as_str());
        assert_eq!(c["pod_sandbox_labels"]["app"], "web");
        assert_eq!(c["host_network"], true);
        assert_eq!(c["privileged"], false);
        // An unknown id is no metadata, not an error.
        assert_eq!(cri.container_json("0123456789ab").unwrap(), None);

        // The lookup thread the monitor uses, with only this socket.
        let lookup = ContainerLookup::start(vec![Engine::Cri(sock.clone())]);
        assert!(lookup.request(short));
        let (got, json) = lookup.answer(Duration::from_secs(20)).expect("an answer");
        assert_eq!(got, short);
        let j: Value = serde_json::from_str(&json.expect("metadata")).unwrap();
        assert_eq!(j["container"]["labels"]["io.kubernetes.pod.name"], "web-0");
    }));
    cri.remove_pod(&sandbox).expect("remove pod");
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}
