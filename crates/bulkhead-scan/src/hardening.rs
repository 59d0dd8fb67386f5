//! The minimal-image audit (`--scanners hardening`), first part: the checks of the image
//! configuration and of the file system that Dockle and the CIS Docker Benchmark §4 make, each
//! with their ids as aliases where they have one — the user, HEALTHCHECK, `ADD` of remote URLs,
//! sensitive exposed ports, setuid/setgid files, world-writable files and directories, and the
//! tools a minimal image does without (shells, package managers, network tools).

use bulkhead_core::{Finding, FindingKind, Severity};
use bulkhead_image::{FileKind, ImageIndex, ImageMeta};

/// Most paths named in one finding (the rest are counted).
const NAMED: usize = 10;

fn finding(
    id: &str,
    aliases: &[&str],
    severity: Severity,
    title: &str,
    message: String,
    fix: &str,
) -> Finding {
    let mut f = Finding::new(FindingKind::Misconfiguration, id, severity, title, message);
    f.aliases = aliases.iter().map(|a| a.to_string()).collect();
    f.fix = Some(bulkhead_core::Fix {
        version: None,
        remediation: Some(fix.to_string()),
    });
    f
}

fn listed(paths: &[String]) -> String {
    let mut s = paths
        .iter()
        .take(NAMED)
        .map(|p| format!("/{p}"))
        .collect::<Vec<_>>()
        .join(", ");
    if paths.len() > NAMED {
        s.push_str(&format!(" and {} more", paths.len() - NAMED));
    }
    s
}

/// Ports that expose a remote shell or an unencrypted administration protocol.
const SENSITIVE_PORTS: [(u16, &str); 8] = [
    (22, "SSH"),
    (23, "Telnet"),
    (21, "FTP"),
    (3389, "RDP"),
    (5900, "VNC"),
    (2375, "the Docker API without TLS"),
    (10250, "the kubelet API"),
    (6443, "a Kubernetes API server"),
];

/// Tools a minimal image does without, by what they are.
const TOOLS: [(&str, &[&str]); 3] = [
    (
        "a shell",
        &[
            "bin/sh",
            "bin/bash",
            "bin/dash",
            "bin/ash",
            "bin/zsh",
            "usr/bin/bash",
            "usr/bin/zsh",
            "bin/busybox",
        ],
    ),
    (
        "a package manager",
        &[
            "usr/bin/apt",
            "usr/bin/apt-get",
            "usr/bin/dpkg",
            "sbin/apk",
            "usr/bin/yum",
            "usr/bin/dnf",
            "usr/bin/rpm",
            "usr/bin/microdnf",
            "usr/bin/pip",
            "usr/bin/pip3",
            "usr/bin/npm",
        ],
    ),
    (
        "a network download tool",
        &[
            "usr/bin/curl",
            "usr/bin/wget",
            "bin/nc",
            "usr/bin/nc",
            "usr/bin/netcat",
            "usr/bin/ncat",
        ],
    ),
];

/// The audit's findings.
pub fn findings(index: &ImageIndex, meta: Option<&ImageMeta>) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(meta) = meta {
        let cfg = meta
            .config
            .get("config")
            .unwrap_or(&serde_json::Value::Null);
        let user = cfg.get("User").and_then(|u| u.as_str()).unwrap_or("");
        let name = user.split(':').next().unwrap_or("");
        if name.is_empty() || name == "root" || name == "0" {
            out.push(finding(
                "CIS-DI-0001",
                &["CIS 4.1", "DKL-DI-0001"],
                Severity::Medium,
                "Create a user for the container",
                if user.is_empty() {
                    "the image sets no USER: its processes run as root".into()
                } else {
                    format!("the image runs as {user:?} (root)")
                },
                "Add a non-root USER to the Dockerfile (a numeric uid, so that Kubernetes can check runAsNonRoot).",
            ));
        }
        if cfg.get("Healthcheck").is_none_or(|h| h.is_null()) {
            out.push(finding(
                "CIS-DI-0006",
                &["CIS 4.6"],
                Severity::Low,
                "Add HEALTHCHECK instruction to the container image",
                "the image has no HEALTHCHECK".into(),
                "Add a HEALTHCHECK to the Dockerfile (or HEALTHCHECK NONE to say none is wanted).",
            ));
        }
        for (i, h) in meta
            .config
            .get("history")
            .and_then(|h| h.as_array())
            .into_iter()
            .flatten()
            .enumerate()
        {
            let cmd = h.get("created_by").and_then(|c| c.as_str()).unwrap_or("");
            let add = cmd.contains("ADD ") || cmd.starts_with("ADD") || cmd.contains("#(nop) ADD");
            if add && (cmd.contains("http://") || cmd.contains("https://")) {
                let mut f = finding(
                    "CIS-DI-0009",
                    &["CIS 4.9"],
                    Severity::Medium,
                    "Use COPY instead of ADD: ADD of a remote URL",
                    format!(
                        "build step {} adds a remote URL: {}",
                        i + 1,
                        cmd.chars().take(200).collect::<String>()
                    ),
                    "Download with RUN curl/wget and verify a checksum, or use ADD --checksum=sha256:….",
                );
                f.location.object = Some(format!("history[{i}].created_by"));
                out.push(f);
            }
        }
        for port in cfg
            .get("ExposedPorts")
            .and_then(|p| p.as_object())
            .into_iter()
            .flat_map(|m| m.keys())
        {
            let n: u16 = port
                .split('/')
                .next()
                .and_then(|p| p.parse().ok())
                .unwrap_or(0);
            if let Some((_, what)) = SENSITIVE_PORTS.iter().find(|(p, _)| *p == n) {
                out.push(finding(
                    "BH-IMG-001",
                    &[],
                    Severity::Medium,
                    "A sensitive port is exposed",
                    format!("the image exposes {port}, {what}"),
                    "Do not expose remote-shell or administration ports; reach containers through the orchestrator (kubectl exec, a bastion).",
                ));
            }
        }
    }
    let mut setid = Vec::new();
    let mut writable = Vec::new();
    for e in index.files() {
        if e.kind == FileKind::File && e.mode & 0o6000 != 0 {
            setid.push(e.path.clone());
        }
        let temp = ["tmp", "var/tmp", "dev/shm", "run/lock", "var/lock"]
            .iter()
            .any(|t| e.path == *t || e.path.starts_with(&format!("{t}/")));
        let sticky_dir = e.kind == FileKind::Dir && e.mode & 0o1000 != 0;
        if e.mode & 0o002 != 0
            && matches!(e.kind, FileKind::File | FileKind::Dir)
            && !temp
            && !sticky_dir
        {
            writable.push(e.path.clone());
        }
    }
    if !setid.is_empty() {
        out.push(finding(
            "CIS-DI-0008",
            &["CIS 4.8"],
            Severity::Medium,
            "Confirm safety of setuid/setgid files",
            format!("{} setuid/setgid file(s): {}", setid.len(), listed(&setid)),
            "Remove the setuid/setgid bits the application does not need (RUN chmod a-s …), or the packages that bring them.",
        ));
    }
    if !writable.is_empty() {
        out.push(finding(
            "BH-IMG-002",
            &[],
            Severity::Medium,
            "World-writable files or directories outside temporary directories",
            format!("{} world-writable path(s): {}", writable.len(), listed(&writable)),
            "Remove the write permission for others (chmod o-w), or give the directory the sticky bit.",
        ));
    }
    for (what, paths) in TOOLS {
        // Each file once (with usrmerge, /bin/bash and /usr/bin/bash are one file).
        let mut seen = std::collections::BTreeSet::new();
        let present: Vec<String> = paths
            .iter()
            .filter(|p| {
                index.resolve(p).is_some_and(|r| {
                    index.entry(&r).is_some_and(|e| e.kind == FileKind::File) && seen.insert(r)
                })
            })
            .map(|p| p.to_string())
            .collect();
        if !present.is_empty() {
            out.push(finding(
                "BH-IMG-003",
                &[],
                Severity::Low,
                "A minimal image does without this tool",
                format!("{what} is present: {}", listed(&present)),
                "Build the final stage FROM a distroless or scratch base and copy only the application into it (a multi-stage build).",
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(config: serde_json::Value) -> ImageMeta {
        ImageMeta {
            reference: "x".into(),
            source_kind: "docker-archive",
            config_digest: None,
            manifest_digest: None,
            repo_tags: Vec::new(),
            repo_digests: Vec::new(),
            config,
            layers: Vec::new(),
        }
    }

    #[test]
    fn configuration_checks() {
        let index = ImageIndex::new();
        let m = meta(serde_json::json!({
            "config": {"User": "0:0", "ExposedPorts": {"22/tcp": {}, "8080/tcp": {}}},
            "history": [{"created_by": "/bin/sh -c #(nop) ADD https://example.com/app.tgz /opt/"},
                        {"created_by": "/bin/sh -c #(nop) ADD file:abc in /"}]
        }));
        let ids: Vec<(String, String)> = findings(&index, Some(&m))
            .into_iter()
            .map(|f| (f.id, f.message))
            .collect();
        assert!(
            ids.iter()
                .any(|(i, m)| i == "CIS-DI-0001" && m.contains("\"0:0\"")),
            "{ids:?}"
        );
        assert!(
            ids.iter()
                .any(|(i, m)| i == "CIS-DI-0009" && m.starts_with("build step 1 ")),
            "{ids:?}"
        );
        assert_eq!(
            ids.iter().filter(|(i, _)| i == "CIS-DI-0009").count(),
            1,
            "a local ADD is fine"
        );
        assert!(
            ids.iter()
                .any(|(i, m)| i == "BH-IMG-001" && m.contains("22/tcp, SSH")),
            "{ids:?}"
        );
        assert!(!ids.iter().any(|(_, m)| m.contains("8080")));
        let fine = meta(
            serde_json::json!({"config": {"User": "65532", "Healthcheck": {"Test": ["CMD", "true"]}}}),
        );
        assert!(findings(&index, Some(&fine)).is_empty());
    }
}
