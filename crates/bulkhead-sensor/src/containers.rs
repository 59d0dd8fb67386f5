//! Container metadata for the container ids the cgroups give: image, image id and digest,
//! name, labels, privileged, mounts and IP, from the podman or docker API socket
//! (`GET /containers/{id}/json`, the Docker-compatible API both serve) or a CRI runtime's
//! socket (containerd, CRI-O: [`crate::cri`], with the pod's identity), turned into the libs
//! container event (`{"container":{...}}`) that the state already consumes from captures.
//!
//! Lookups run on their own thread with a bounded queue and an overall timeout per request, so a
//! slow or hostile engine never blocks the event path; the answers are cached per id.

use bulkhead_image::source::podman;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::Duration;

/// Requests waiting for the lookup thread (more are answered "unknown" at once).
pub const QUEUE: usize = 256;
/// Longest answer read from the engine.
pub const MAX_BODY: u64 = 4 << 20;
/// Deadline of one lookup.
pub const LOOKUP_TIMEOUT: Duration = Duration::from_secs(2);

/// An answer: the 12-character id and the libs container JSON, or `None` when no engine knows it.
pub type Answer = (String, Option<String>);

/// Where container metadata comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Engine {
    /// A Docker-compatible API socket (podman, docker).
    Api(PathBuf),
    /// A CRI runtime socket (containerd, CRI-O, cri-dockerd).
    Cri(PathBuf),
}

impl Engine {
    pub fn path(&self) -> &std::path::Path {
        match self {
            Engine::Api(p) | Engine::Cri(p) => p,
        }
    }
}

/// One engine and, for a CRI runtime, its connection (made at first use, again after an error).
struct Backend {
    engine: Engine,
    cri: Option<crate::cri::CriClient>,
}

impl Backend {
    fn lookup(&mut self, id: &str) -> Option<String> {
        if !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        match &self.engine {
            Engine::Api(socket) => lookup(socket, id),
            Engine::Cri(socket) => {
                if self.cri.is_none() {
                    match crate::cri::CriClient::connect(socket, LOOKUP_TIMEOUT) {
                        Ok(c) => self.cri = Some(c),
                        Err(e) => {
                            tracing::debug!("{e}");
                            return None;
                        }
                    }
                }
                let client = self.cri.as_mut()?;
                match client.container_json(id) {
                    Ok(found) => found,
                    Err(e) => {
                        tracing::debug!("{e}");
                        self.cri = None;
                        None
                    }
                }
            }
        }
    }
}

pub struct ContainerLookup {
    tx: SyncSender<String>,
    rx: Receiver<Answer>,
}

impl ContainerLookup {
    /// A lookup thread asking the given engines, in order.
    pub fn start(engines: Vec<Engine>) -> ContainerLookup {
        let (tx, req_rx) = sync_channel::<String>(QUEUE);
        let (ans_tx, rx) = sync_channel::<Answer>(QUEUE);
        let spawned = std::thread::Builder::new()
            .name("bulkhead-containers".into())
            .spawn(move || {
                let mut backends: Vec<Backend> = engines
                    .into_iter()
                    .map(|engine| Backend { engine, cri: None })
                    .collect();
                for id in req_rx {
                    let json = backends.iter_mut().find_map(|b| b.lookup(&id));
                    if ans_tx.send((id, json)).is_err() {
                        return;
                    }
                }
            });
        // Without its thread every request is refused (the channel is closed): no metadata.
        drop(spawned);
        ContainerLookup { tx, rx }
    }

    /// The engines a host has: podman's API socket (root and `$XDG_RUNTIME_DIR`), docker's,
    /// then the CRI runtimes' ([`crate::cri::DEFAULT_SOCKETS`]), those that exist.
    pub fn host_engines() -> Vec<Engine> {
        let mut v: Vec<Engine> = podman::socket_candidates(None)
            .unwrap_or_default()
            .into_iter()
            .chain([PathBuf::from("/var/run/docker.sock")])
            .map(Engine::Api)
            .collect();
        v.extend(
            crate::cri::DEFAULT_SOCKETS
                .iter()
                .map(|p| Engine::Cri(PathBuf::from(p))),
        );
        v.retain(|e| e.path().exists());
        v
    }

    /// A handle that asks for ids from another thread (the sensor's).
    pub fn requester(&self) -> SyncSender<String> {
        self.tx.clone()
    }

    /// Asks for `id` (12 characters); `false` when the queue is full.
    pub fn request(&self, id: &str) -> bool {
        self.tx.try_send(id.to_string()).is_ok()
    }

    /// An answer, waiting at most `timeout`.
    pub fn answer(&self, timeout: Duration) -> Option<Answer> {
        self.rx.recv_timeout(timeout).ok()
    }

    /// An answer if one is ready.
    pub fn try_answer(&self) -> Option<Answer> {
        self.rx.try_recv().ok()
    }
}

fn lookup(socket: &std::path::Path, id: &str) -> Option<String> {
    let resp = podman::get(socket, &format!("/containers/{id}/json"), LOOKUP_TIMEOUT).ok()?;
    if resp.status != 200 {
        return None;
    }
    let body = resp.read_body(MAX_BODY).ok()?;
    let v: Value = serde_json::from_slice(&body).ok()?;
    Some(libs_json(&v, socket.to_string_lossy().contains("podman")))
}

/// A Docker-compatible inspect answer as the libs container event's JSON.
pub fn libs_json(v: &Value, podman: bool) -> String {
    let s = |p: &str| v.pointer(p).and_then(Value::as_str).unwrap_or_default();
    let full_id = s("/Id");
    let image = s("/Config/Image");
    let (repo, tag) = split_image(image);
    let image_id = s("/Image").trim_start_matches("sha256:");
    let digest = v
        .pointer("/ImageDigest")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let labels = v.pointer("/Config/Labels").cloned().unwrap_or(json!({}));
    let mounts: Vec<Value> = v
        .pointer("/Mounts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|m| {
            json!({
                "Source": m.get("Source").cloned().unwrap_or(json!("")),
                "Destination": m.get("Destination").cloned().unwrap_or(json!("")),
                "Mode": m.get("Mode").cloned().unwrap_or(json!("")),
                "RW": m.get("RW").cloned().unwrap_or(json!(false)),
                "Propagation": m.get("Propagation").cloned().unwrap_or(json!("")),
            })
        })
        .collect();
    json!({"container": {
        "id": full_id.get(..12).unwrap_or(full_id),
        "full_id": full_id,
        // libsinsp CT_PODMAN (11) or CT_DOCKER (0).
        "type": if podman { 11 } else { 0 },
        "name": s("/Name").trim_start_matches('/'),
        "image": image,
        "imagerepo": repo,
        "imagetag": tag,
        "imageid": image_id,
        "imagedigest": digest,
        "privileged": v.pointer("/HostConfig/Privileged").and_then(Value::as_bool).unwrap_or(false),
        "labels": labels,
        "ip": s("/NetworkSettings/IPAddress"),
        "Mounts": mounts,
        "host_pid": s("/HostConfig/PidMode") == "host",
        "host_network": s("/HostConfig/NetworkMode") == "host",
        "host_ipc": s("/HostConfig/IpcMode") == "host",
    }})
    .to_string()
}

/// `repo[:tag][@digest]` → (repo, tag), as libsinsp splits an image name.
pub(crate) fn split_image(image: &str) -> (&str, &str) {
    let no_digest = image.split('@').next().unwrap_or(image);
    match no_digest.rfind(':') {
        Some(i) if !no_digest[i..].contains('/') => (&no_digest[..i], &no_digest[i + 1..]),
        _ => (no_digest, if no_digest.is_empty() { "" } else { "latest" }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inspect_answers_become_libs_container_json() {
        let v = json!({
            "Id": "0123456789abcdef".repeat(4),
            "Name": "/web",
            "Image": "sha256:feedface",
            "ImageDigest": "sha256:d1g3st",
            "Config": {"Image": "localhost:5000/team/app:1.2", "Labels": {"app": "web"}},
            "HostConfig": {"Privileged": true, "NetworkMode": "host", "PidMode": "private"},
            "NetworkSettings": {"IPAddress": "10.88.0.5"},
            "Mounts": [{"Source": "/srv", "Destination": "/data", "Mode": "", "RW": true, "Propagation": "rprivate"}],
        });
        let j: Value = serde_json::from_str(&libs_json(&v, true)).unwrap();
        let c = &j["container"];
        assert_eq!(c["id"], "0123456789ab");
        assert_eq!(c["type"], 11);
        assert_eq!(c["name"], "web");
        assert_eq!(c["imagerepo"], "localhost:5000/team/app");
        assert_eq!(c["imagetag"], "1.2");
        assert_eq!(c["imageid"], "feedface");
        assert_eq!(c["privileged"], true);
        assert_eq!(c["host_network"], true);
        assert_eq!(c["host_pid"], false);
        assert_eq!(c["labels"]["app"], "web");
        assert_eq!(c["Mounts"][0]["Destination"], "/data");
        assert_eq!(split_image("debian"), ("debian", "latest"));
        assert_eq!(
            split_image("localhost:5000/x"),
            ("localhost:5000/x", "latest")
        );
        assert_eq!(split_image("x:1@sha256:ab"), ("x", "1"));
    }
}
