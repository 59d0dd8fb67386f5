//! What the user typed as IMAGE, classified: a path (docker-archive / oci-archive tar, OCI layout dir
//! with optional `:tag` / `@digest`, root filesystem dir), a registry reference, or a podman image.

use std::path::{Path, PathBuf};

/// A classified target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetSpec {
    /// A file or directory, with an optional tag or digest selector (for OCI layouts and archives).
    Path {
        path: PathBuf,
        tag: Option<String>,
        digest: Option<String>,
    },
    /// `registry://host/repo:tag` or a plain reference such as `127.0.0.1:5000/repo:tag`.
    Registry(String),
    /// `podman://name:tag`: an image in the local podman store, read through its API socket.
    Podman(String),
}

/// Classify `spec`. Existing paths win over registry references.
pub fn classify(spec: &str) -> TargetSpec {
    if let Some(r) = spec.strip_prefix("registry://") {
        return TargetSpec::Registry(r.to_string());
    }
    if let Some(r) = spec.strip_prefix("podman://") {
        return TargetSpec::Podman(r.to_string());
    }
    if let Some(r) = spec.strip_prefix("docker://") {
        return TargetSpec::Registry(r.to_string());
    }
    for prefix in [
        "docker-archive:",
        "oci-archive:",
        "oci-dir:",
        "oci:",
        "dir:",
        "rootfs:",
    ] {
        if let Some(rest) = spec.strip_prefix(prefix) {
            return classify_path(rest).unwrap_or(TargetSpec::Path {
                path: PathBuf::from(rest),
                tag: None,
                digest: None,
            });
        }
    }
    if let Some(p) = classify_path(spec) {
        return p;
    }
    // Things that can only be paths stay paths, so a typo gives "no such file", not a registry error.
    let pathish = spec.starts_with('/')
        || spec.starts_with("./")
        || spec.starts_with("../")
        || spec.ends_with(".tar")
        || spec.ends_with(".tar.gz")
        || spec.ends_with(".tgz");
    if pathish {
        return TargetSpec::Path {
            path: PathBuf::from(spec),
            tag: None,
            digest: None,
        };
    }
    TargetSpec::Registry(spec.to_string())
}

fn classify_path(spec: &str) -> Option<TargetSpec> {
    if Path::new(spec).exists() {
        return Some(TargetSpec::Path {
            path: PathBuf::from(spec),
            tag: None,
            digest: None,
        });
    }
    if let Some((p, d)) = spec.rsplit_once('@')
        && Path::new(p).exists()
    {
        return Some(TargetSpec::Path {
            path: PathBuf::from(p),
            tag: None,
            digest: Some(d.to_string()),
        });
    }
    if let Some((p, t)) = spec.rsplit_once(':')
        && !t.contains('/')
        && Path::new(p).exists()
    {
        return Some(TargetSpec::Path {
            path: PathBuf::from(p),
            tag: Some(t.to_string()),
            digest: None,
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        let dir = std::env::temp_dir();
        let d = dir.display().to_string();
        assert_eq!(
            classify(&format!("{d}:v1")),
            TargetSpec::Path {
                path: dir.clone(),
                tag: Some("v1".into()),
                digest: None
            }
        );
        assert_eq!(
            classify("registry://127.0.0.1:5000/a/b:1"),
            TargetSpec::Registry("127.0.0.1:5000/a/b:1".into())
        );
        assert_eq!(
            classify("podman://x:latest"),
            TargetSpec::Podman("x:latest".into())
        );
        assert!(matches!(
            classify("/no/such/image.tar"),
            TargetSpec::Path { .. }
        ));
        assert_eq!(
            classify("no/such/thing:tag"),
            TargetSpec::Registry("no/such/thing:tag".into())
        );
    }
}
