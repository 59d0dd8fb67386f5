//! A client of the Kubernetes Container Runtime Interface (`runtime.v1.RuntimeService`, gRPC on
//! the runtime's unix socket: containerd, CRI-O, cri-dockerd), as libsinsp's CRI engine uses it:
//! `ContainerStatus` (verbose) and `PodSandboxStatus` (verbose) for a container id the cgroups
//! gave, turned into the libs container event (`{"container":{...}}`) with the pod's identity
//! (`io.kubernetes.pod.*` labels, sandbox id, pod labels, pod IP, CNI result).
//!
//! Every call has a deadline and a bounded answer ([`MAX_MESSAGE`]); the client runs on the
//! metadata thread's own single-threaded tokio runtime, never on the event path.

pub mod messages;

use messages::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Largest answer decoded from the runtime (tonic's default, stated).
pub const MAX_MESSAGE: usize = 4 << 20;

/// The CRI sockets looked for when none is given (Falco's defaults plus k3s's and cri-dockerd's).
pub const DEFAULT_SOCKETS: &[&str] = &[
    "/run/containerd/containerd.sock",
    "/run/crio/crio.sock",
    "/run/k3s/containerd/containerd.sock",
    "/run/cri-dockerd.sock",
];

#[derive(Debug, thiserror::Error)]
pub enum CriError {
    #[error("CRI socket {path}: {msg}")]
    Connect { path: PathBuf, msg: String },
    #[error("CRI {method} on {path}: {msg}")]
    Call {
        path: PathBuf,
        method: &'static str,
        msg: String,
    },
    #[error("CRI {method} on {path}: no answer within {timeout:?}")]
    Timeout {
        path: PathBuf,
        method: &'static str,
        timeout: Duration,
    },
    #[error("CRI {method} on {path}: not found")]
    NotFound { path: PathBuf, method: &'static str },
}

/// A connection to one CRI runtime.
pub struct CriClient {
    rt: tokio::runtime::Runtime,
    grpc: tonic::client::Grpc<tonic::transport::Channel>,
    path: PathBuf,
    timeout: Duration,
    /// The runtime's name (`containerd`, `cri-o`), asked once per connection.
    runtime: Option<String>,
}

impl CriClient {
    /// Connects to the runtime's socket (nothing is sent until the first call).
    pub fn connect(path: &Path, timeout: Duration) -> Result<CriClient, CriError> {
        let err = |msg: String| CriError::Connect {
            path: path.to_path_buf(),
            msg,
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(|e| err(e.to_string()))?;
        let socket = path.to_path_buf();
        // The URI is unused: the connector dials the unix socket.
        let endpoint = tonic::transport::Endpoint::from_static("http://cri.local")
            .connect_timeout(timeout)
            .timeout(timeout);
        let channel = rt
            .block_on(async {
                tokio::time::timeout(
                    timeout,
                    endpoint.connect_with_connector(tower::service_fn(move |_: http::Uri| {
                        let socket = socket.clone();
                        async move {
                            let s = tokio::net::UnixStream::connect(socket).await?;
                            Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(s))
                        }
                    })),
                )
                .await
            })
            .map_err(|_| err(format!("no connection within {timeout:?}")))?
            .map_err(|e| err(error_chain(&e)))?;
        let grpc = tonic::client::Grpc::new(channel).max_decoding_message_size(MAX_MESSAGE);
        Ok(CriClient {
            rt,
            grpc,
            path: path.to_path_buf(),
            timeout,
            runtime: None,
        })
    }

    /// The socket this client talks to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// One unary call of `runtime.v1.RuntimeService/{method}`.
    pub fn call<Req, Resp>(&mut self, method: &'static str, req: Req) -> Result<Resp, CriError>
    where
        Req: prost::Message + Send + Sync + 'static,
        Resp: prost::Message + Default + Send + Sync + 'static,
    {
        self.rpc("RuntimeService", method, req)
    }

    /// One unary call of `runtime.v1.{service}/{method}`.
    pub fn rpc<Req, Resp>(
        &mut self,
        service: &str,
        method: &'static str,
        req: Req,
    ) -> Result<Resp, CriError>
    where
        Req: prost::Message + Send + Sync + 'static,
        Resp: prost::Message + Default + Send + Sync + 'static,
    {
        let path = http::uri::PathAndQuery::try_from(format!("/runtime.v1.{service}/{method}"))
            .map_err(|e| self.call_err(method, e.to_string()))?;
        let timeout = self.timeout;
        let grpc = &mut self.grpc;
        let answer = self.rt.block_on(async {
            tokio::time::timeout(timeout, async {
                grpc.ready()
                    .await
                    .map_err(|e| tonic::Status::unavailable(error_chain(&e)))?;
                let codec = tonic_prost::ProstCodec::<Req, Resp>::default();
                grpc.unary(tonic::Request::new(req), path, codec).await
            })
            .await
        });
        match answer {
            Err(_) => Err(CriError::Timeout {
                path: self.path.clone(),
                method,
                timeout,
            }),
            Ok(Err(s)) if s.code() == tonic::Code::NotFound => Err(CriError::NotFound {
                path: self.path.clone(),
                method,
            }),
            Ok(Err(s)) => Err(self.call_err(method, format!("{:?}: {}", s.code(), s.message()))),
            Ok(Ok(r)) => Ok(r.into_inner()),
        }
    }

    fn call_err(&self, method: &'static str, msg: String) -> CriError {
        CriError::Call {
            path: self.path.clone(),
            method,
            msg,
        }
    }

    /// `Version`: the runtime's name (`containerd`, `cri-o`, …) and versions.
    pub fn version(&mut self) -> Result<VersionResponse, CriError> {
        self.call(
            "Version",
            VersionRequest {
                version: "v1".into(),
            },
        )
    }

    /// The libs container JSON of container `id` (full or a unique prefix: containerd and
    /// CRI-O resolve the 12-character ids the cgroups give), `None` when the runtime does not
    /// know it.
    pub fn container_json(&mut self, id: &str) -> Result<Option<String>, CriError> {
        let status: ContainerStatusResponse = match self.call(
            "ContainerStatus",
            ContainerStatusRequest {
                container_id: id.to_string(),
                verbose: true,
            },
        ) {
            Err(CriError::NotFound { .. }) => return Ok(None),
            r => r?,
        };
        let Some(c) = status.status.as_ref() else {
            return Ok(None);
        };
        let info = verbose_info(&status.info);
        let sandbox_id = info
            .pointer("/sandboxID")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let sandbox = if sandbox_id.is_empty() {
            None
        } else {
            match self.call::<_, PodSandboxStatusResponse>(
                "PodSandboxStatus",
                PodSandboxStatusRequest {
                    pod_sandbox_id: sandbox_id.clone(),
                    verbose: true,
                },
            ) {
                Ok(s) => Some(s),
                Err(CriError::NotFound { .. }) => None,
                Err(e) => return Err(e),
            }
        };
        // The image's id, as libsinsp asks it: `ImageStatus` of the image reference, unless the
        // reference is the id itself.
        let image = if c.image_ref.contains("@sha256:") {
            self.rpc::<_, ImageStatusResponse>(
                "ImageService",
                "ImageStatus",
                ImageStatusRequest {
                    image: Some(ImageSpec {
                        image: c.image_ref.clone(),
                        ..Default::default()
                    }),
                    verbose: false,
                },
            )
            .ok()
            .and_then(|r| r.image)
        } else {
            None
        };
        if self.runtime.is_none() {
            self.runtime = self.version().ok().map(|v| v.runtime_name);
        }
        let runtime = self.runtime.clone().unwrap_or_default();
        Ok(answer_json(
            &status,
            sandbox.as_ref(),
            image.as_ref(),
            &runtime,
        ))
    }
}

/// A pod of one container, as kubelet asks a runtime for it: the spec the calls below send.
#[derive(Debug, Clone, Default)]
pub struct PodSpec {
    pub name: String,
    pub namespace: String,
    pub uid: String,
    pub labels: Vec<(String, String)>,
    pub container: String,
    pub image: String,
    pub command: Vec<String>,
    /// The node's network namespace (`hostNetwork: true`): no CNI needed.
    pub host_network: bool,
    pub privileged: bool,
    /// Where the runtime writes the container's log.
    pub log_directory: String,
}

impl CriClient {
    /// `RunPodSandbox`, `CreateContainer` and `StartContainer` with the labels kubelet sets
    /// (`io.kubernetes.pod.name`, `.namespace`, `.uid`, `io.kubernetes.container.name`) and its
    /// cgroup parent (`/kubepods/besteffort/pod<uid>`): (sandbox id, container id).
    pub fn run_pod(&mut self, p: &PodSpec) -> Result<(String, String), CriError> {
        let labels = |extra: &[(&str, &str)]| -> std::collections::HashMap<String, String> {
            p.labels
                .iter()
                .cloned()
                .chain(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())))
                .collect()
        };
        let ns = NamespaceOption {
            network: if p.host_network {
                NamespaceMode::Node as i32
            } else {
                NamespaceMode::Pod as i32
            },
            pid: NamespaceMode::Container as i32,
            ipc: NamespaceMode::Pod as i32,
        };
        let sandbox_config = PodSandboxConfig {
            metadata: Some(PodSandboxMetadata {
                name: p.name.clone(),
                uid: p.uid.clone(),
                namespace: p.namespace.clone(),
                attempt: 0,
            }),
            // The node's UTS namespace comes with its network: no hostname of the pod's own.
            hostname: if p.host_network {
                String::new()
            } else {
                p.name.clone()
            },
            log_directory: p.log_directory.clone(),
            labels: labels(&[
                ("io.kubernetes.pod.name", &p.name),
                ("io.kubernetes.pod.namespace", &p.namespace),
                ("io.kubernetes.pod.uid", &p.uid),
            ]),
            linux: Some(LinuxPodSandboxConfig {
                cgroup_parent: format!("/kubepods/besteffort/pod{}", p.uid),
                security_context: Some(LinuxSandboxSecurityContext {
                    namespace_options: Some(ns.clone()),
                    privileged: p.privileged,
                }),
            }),
            ..Default::default()
        };
        let sandbox: RunPodSandboxResponse = self.call(
            "RunPodSandbox",
            RunPodSandboxRequest {
                config: Some(sandbox_config.clone()),
                runtime_handler: String::new(),
            },
        )?;
        let created: CreateContainerResponse = self.call(
            "CreateContainer",
            CreateContainerRequest {
                pod_sandbox_id: sandbox.pod_sandbox_id.clone(),
                config: Some(ContainerConfig {
                    metadata: Some(ContainerMetadata {
                        name: p.container.clone(),
                        attempt: 0,
                    }),
                    image: Some(ImageSpec {
                        image: p.image.clone(),
                        ..Default::default()
                    }),
                    command: p.command.clone(),
                    log_path: format!("{}.log", p.container),
                    labels: labels(&[
                        ("io.kubernetes.pod.name", &p.name),
                        ("io.kubernetes.pod.namespace", &p.namespace),
                        ("io.kubernetes.pod.uid", &p.uid),
                        ("io.kubernetes.container.name", &p.container),
                    ]),
                    linux: Some(LinuxContainerConfig {
                        security_context: Some(LinuxContainerSecurityContext {
                            privileged: p.privileged,
                            namespace_options: Some(ns),
                            run_as_user: None,
                        }),
                    }),
                    ..Default::default()
                }),
                sandbox_config: Some(sandbox_config),
            },
        )?;
        let _: StartContainerResponse = self.call(
            "StartContainer",
            StartContainerRequest {
                container_id: created.container_id.clone(),
            },
        )?;
        Ok((sandbox.pod_sandbox_id, created.container_id))
    }

    /// `ExecSync`: runs `cmd` in the container, (exit code, stdout, stderr).
    pub fn exec_sync(
        &mut self,
        container_id: &str,
        cmd: &[&str],
    ) -> Result<(i32, Vec<u8>, Vec<u8>), CriError> {
        let r: ExecSyncResponse = self.call(
            "ExecSync",
            ExecSyncRequest {
                container_id: container_id.to_string(),
                cmd: cmd.iter().map(|s| s.to_string()).collect(),
                timeout: self.timeout.as_secs() as i64,
            },
        )?;
        Ok((r.exit_code, r.stdout, r.stderr))
    }

    /// `StopPodSandbox` then `RemovePodSandbox` (its containers go with it).
    pub fn remove_pod(&mut self, sandbox_id: &str) -> Result<(), CriError> {
        let _: StopPodSandboxResponse = self.call(
            "StopPodSandbox",
            StopPodSandboxRequest {
                pod_sandbox_id: sandbox_id.to_string(),
            },
        )?;
        let _: RemovePodSandboxResponse = self.call(
            "RemovePodSandbox",
            RemovePodSandboxRequest {
                pod_sandbox_id: sandbox_id.to_string(),
            },
        )?;
        Ok(())
    }
}

/// The libs container JSON of the runtime's answers: `ContainerStatus` (verbose), the pod's
/// `PodSandboxStatus` (verbose) and the image's `ImageStatus` when asked; `None` without a status.
pub fn answer_json(
    status: &ContainerStatusResponse,
    sandbox: Option<&PodSandboxStatusResponse>,
    image: Option<&Image>,
    runtime: &str,
) -> Option<String> {
    let c = status.status.as_ref()?;
    let info = verbose_info(&status.info);
    let sandbox_id = info
        .pointer("/sandboxID")
        .and_then(Value::as_str)
        .unwrap_or_default();
    Some(libs_json(c, &info, sandbox_id, sandbox, image, runtime))
}

/// The `info` map's `"info"` entry (a JSON document the runtime writes when verbose).
fn verbose_info(info: &std::collections::HashMap<String, String>) -> Value {
    info.get("info")
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or(Value::Null)
}

/// The error and its sources, one line (tonic's transport errors nest the io error).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// A CRI container (and its pod) as the libs container event's JSON, as libsinsp's CRI engine
/// fills `sinsp_container_info`: type 7 containerd, 8 CRI-O, 6 another CRI runtime; the image
/// the pod spec named; its id and repo digest from `image_ref`; privileged from the verbose
/// config (containerd) or `privileged` (CRI-O); the sandbox's labels, IP, CNI result and
/// namespace sharing.
pub fn libs_json(
    c: &ContainerStatus,
    info: &Value,
    sandbox_id: &str,
    sandbox: Option<&PodSandboxStatusResponse>,
    image_status: Option<&Image>,
    runtime: &str,
) -> String {
    let ctype = match runtime {
        "containerd" => 7,
        "cri-o" => 8,
        _ => 6,
    };
    let spec_image = c.image.as_ref().map(|i| i.image.as_str()).unwrap_or("");
    // The name the pod asked for: `image`, unless the runtime answers an id there (then the
    // verbose config's, or the image's first tag).
    let configured = info
        .pointer("/config/image/image")
        .and_then(Value::as_str)
        .filter(|s| !s.starts_with("sha256:"))
        .or_else(|| {
            image_status
                .and_then(|i| i.repo_tags.first())
                .map(String::as_str)
        })
        .unwrap_or("");
    let image = if spec_image.starts_with("sha256:") && !configured.is_empty() {
        configured
    } else {
        spec_image
    };
    let (repo, tag) = crate::containers::split_image(image);
    // `image_ref` is `repo@sha256:digest` (pulled from a registry) or `sha256:id` (no digest).
    let (image_id, digest) = match c.image_ref.split_once("@sha256:") {
        Some((_, d)) => (
            image_status
                .map(|i| i.id.trim_start_matches("sha256:"))
                .unwrap_or(""),
            format!("sha256:{d}"),
        ),
        None => (
            c.image_ref
                .strip_prefix("sha256:")
                .or_else(|| spec_image.strip_prefix("sha256:"))
                .unwrap_or(""),
            image
                .split_once('@')
                .map(|(_, d)| d.to_string())
                .unwrap_or_default(),
        ),
    };
    let privileged = info
        .pointer("/config/linux/security_context/privileged")
        .or_else(|| info.pointer("/privileged"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut labels: serde_json::Map<String, Value> = c
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    if !sandbox_id.is_empty() {
        // libsinsp adds it, so the sandbox is known from the container's labels alone.
        labels.insert("io.kubernetes.sandbox.id".into(), json!(sandbox_id));
    }
    let mounts: Vec<Value> = c
        .mounts
        .iter()
        .map(|m| {
            json!({
                "Source": m.host_path,
                "Destination": m.container_path,
                "Mode": "",
                "RW": !m.readonly,
                "Propagation": match m.propagation {
                    1 => "rslave",
                    2 => "rshared",
                    _ => "rprivate",
                },
            })
        })
        .collect();
    let status = sandbox.and_then(|s| s.status.as_ref());
    let ip = status
        .and_then(|s| s.network.as_ref())
        .map(|n| n.ip.as_str())
        .unwrap_or("");
    let pod_labels: serde_json::Map<String, Value> = status
        .map(|s| {
            s.labels
                .iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect()
        })
        .unwrap_or_default();
    let cni = sandbox
        .map(|s| verbose_info(&s.info))
        .and_then(|i| i.get("cniResult").cloned())
        .filter(|v| !v.is_null())
        .map(|v| v.to_string())
        .unwrap_or_default();
    let ns = status
        .and_then(|s| s.linux.as_ref())
        .and_then(|l| l.namespaces.as_ref())
        .and_then(|n| n.options.as_ref());
    let node = NamespaceMode::Node as i32;
    let full_id = c.id.as_str();
    json!({"container": {
        "id": full_id.get(..12).unwrap_or(full_id),
        "full_id": full_id,
        "type": ctype,
        "name": c.metadata.as_ref().map(|m| m.name.as_str()).unwrap_or(""),
        "image": image,
        "imagerepo": repo,
        "imagetag": tag,
        "imageid": image_id,
        "imagedigest": digest,
        "privileged": privileged,
        "labels": labels,
        "ip": ip,
        "Mounts": mounts,
        "created_time": c.created_at / 1_000_000_000,
        "host_pid": ns.is_some_and(|n| n.pid == node),
        "host_network": ns.is_some_and(|n| n.network == node),
        "host_ipc": ns.is_some_and(|n| n.ipc == node),
        "is_pod_sandbox": false,
        "pod_sandbox_id": sandbox_id,
        "pod_sandbox_labels": pod_labels,
        "cni_json": cni,
    }})
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn map(kv: &[(&str, &str)]) -> HashMap<String, String> {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// A containerd answer's shape (ids and names as containerd 1.6 gives them).
    #[test]
    fn containerd_status_becomes_libs_container_json() {
        let c = ContainerStatus {
            id: "ab".repeat(32),
            metadata: Some(ContainerMetadata {
                name: "web".into(),
                attempt: 0,
            }),
            image: Some(ImageSpec {
                image: format!("sha256:{}", "cd".repeat(32)),
                ..Default::default()
            }),
            // Pulled from a registry: the reference carries the repo digest.
            image_ref: format!("localhost:5000/app@sha256:{}", "ef".repeat(32)),
            labels: map(&[
                ("io.kubernetes.pod.name", "web-0"),
                ("io.kubernetes.pod.namespace", "prod"),
                ("io.kubernetes.pod.uid", "6f1c"),
            ]),
            mounts: vec![Mount {
                container_path: "/data".into(),
                host_path: "/srv".into(),
                readonly: true,
                ..Default::default()
            }],
            created_at: 1_700_000_000_123_456_789,
            ..Default::default()
        };
        let info = json!({"sandboxID": "12".repeat(32), "config": {
            "image": {"image": "localhost:5000/app:1.2"},
            "linux": {"security_context": {"privileged": true}}}});
        let sandbox = PodSandboxStatusResponse {
            status: Some(PodSandboxStatus {
                network: Some(PodSandboxNetworkStatus {
                    ip: "10.88.0.7".into(),
                }),
                labels: map(&[("app", "web"), ("tier", "")]),
                linux: Some(LinuxPodSandboxStatus {
                    namespaces: Some(Namespace {
                        options: Some(NamespaceOption {
                            network: NamespaceMode::Node as i32,
                            pid: NamespaceMode::Container as i32,
                            ipc: NamespaceMode::Pod as i32,
                        }),
                    }),
                }),
                ..Default::default()
            }),
            info: map(&[("info", r#"{"cniResult":{"Interfaces":{}}}"#)]),
        };
        let j: Value = serde_json::from_str(&libs_json(
            &c,
            &info,
            &"12".repeat(32),
            Some(&sandbox),
            Some(&Image {
                id: format!("sha256:{}", "cd".repeat(32)),
                ..Default::default()
            }),
            "containerd",
        ))
        .unwrap();
        let c = &j["container"];
        assert_eq!(c["id"], "abababababab");
        assert_eq!(c["type"], 7);
        assert_eq!(c["name"], "web");
        assert_eq!(c["image"], "localhost:5000/app:1.2");
        assert_eq!(c["imagerepo"], "localhost:5000/app");
        assert_eq!(c["imagetag"], "1.2");
        assert_eq!(c["imageid"], "cd".repeat(32));
        assert_eq!(c["imagedigest"], format!("sha256:{}", "ef".repeat(32)));
        assert_eq!(c["privileged"], true);
        assert_eq!(c["labels"]["io.kubernetes.sandbox.id"], "12".repeat(32));
        assert_eq!(c["pod_sandbox_labels"]["app"], "web");
        assert_eq!(c["ip"], "10.88.0.7");
        assert_eq!(c["host_network"], true);
        assert_eq!(c["host_pid"], false);
        assert_eq!(c["Mounts"][0]["RW"], false);
        assert_eq!(c["created_time"], 1_700_000_000u64);
        assert_eq!(c["cni_json"], r#"{"Interfaces":{}}"#);
    }

    #[test]
    fn a_missing_socket_is_a_connect_error_naming_it() {
        let e = CriClient::connect(
            Path::new("/nonexistent/cri.sock"),
            Duration::from_millis(500),
        )
        .and_then(|mut c| c.version())
        .expect_err("no runtime there");
        assert!(e.to_string().contains("/nonexistent/cri.sock"), "{e}");
    }
}
