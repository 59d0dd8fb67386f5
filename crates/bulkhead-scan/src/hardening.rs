//! The minimal-image audit (`--scanners hardening`): the checks of the image configuration,
//! its build history and its file system that Dockle and the CIS Docker Benchmark §4 make, each
//! with their ids where they have one, the tools a minimal image does without, and a summary of
//! how far the image is from minimal ([`summary`]): what could be removed, and what removing it
//! would take away.
//!
//! Every check is in [`CHECKS`], the one table the findings, the docs and the tests use.

use bulkhead_core::names::floats;
use bulkhead_core::{Finding, FindingKind, Package, PackageKind, Severity};
use bulkhead_image::{FileKind, ImageIndex, ImageMeta};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Most paths named in one finding (the rest are counted).
const NAMED: usize = 10;

/// One check: its id, the same check's ids elsewhere, severity and title.
pub struct Check {
    pub id: &'static str,
    pub aliases: &'static [&'static str],
    pub severity: Severity,
    pub title: &'static str,
    pub fix: &'static str,
}

const fn check(
    id: &'static str,
    aliases: &'static [&'static str],
    severity: Severity,
    title: &'static str,
    fix: &'static str,
) -> Check {
    Check {
        id,
        aliases,
        severity,
        title,
        fix,
    }
}

const MINIMAL_FIX: &str = "Build the final stage FROM a distroless or scratch base and copy only the application into it (a multi-stage build).";

/// Every check of the audit.
pub const CHECKS: &[Check] = &[
    check(
        "BH-IMG-000",
        &[],
        Severity::Low,
        "Distance from a minimal image",
        MINIMAL_FIX,
    ),
    check(
        "CIS-DI-0001",
        &["CIS 4.1"],
        Severity::Medium,
        "Create a user for the container",
        "Add a non-root USER to the Dockerfile (a numeric uid, so that Kubernetes can check runAsNonRoot).",
    ),
    check(
        "CIS-DI-0006",
        &["CIS 4.6"],
        Severity::Low,
        "Add HEALTHCHECK instruction to the container image",
        "Add a HEALTHCHECK to the Dockerfile (or HEALTHCHECK NONE to say none is wanted).",
    ),
    check(
        "CIS-DI-0007",
        &["CIS 4.7"],
        Severity::Medium,
        "Do not use update instructions alone in the Dockerfile",
        "Update the package index in the same RUN as the install (apt-get update && apt-get install …), so a cached layer never installs from a stale index.",
    ),
    check(
        "CIS-DI-0008",
        &["CIS 4.8"],
        Severity::Medium,
        "Confirm safety of setuid/setgid files",
        "Remove the setuid/setgid bits the application does not need (RUN chmod a-s …), or the packages that bring them.",
    ),
    check(
        "CIS-DI-0009",
        &["CIS 4.9"],
        Severity::Medium,
        "Use COPY instead of ADD: ADD of a remote URL",
        "Download with RUN curl/wget and verify a checksum, or use ADD --checksum=sha256:….",
    ),
    check(
        "CIS-DI-0010",
        &["CIS 4.10"],
        Severity::High,
        "Do not store credentials in environment variables or files",
        "Pass credentials at run time (a Kubernetes Secret, a mounted file, a build secret with RUN --mount=type=secret), never in ENV or ARG.",
    ),
    check(
        "DKL-DI-0001",
        &[],
        Severity::Medium,
        "Avoid sudo command",
        "Run the build steps as root and switch with USER afterwards; remove sudo from the image.",
    ),
    check(
        "DKL-DI-0002",
        &[],
        Severity::High,
        "Avoid sensitive directory mounting",
        "Declare VOLUMEs only for the application's data directories.",
    ),
    check(
        "DKL-DI-0003",
        &[],
        Severity::Low,
        "Avoid apt-get dist-upgrade",
        "Upgrade by rebuilding FROM a newer base image instead of upgrading the distribution inside the build.",
    ),
    check(
        "BH-IMG-008",
        &[],
        Severity::Low,
        "Package manager caches and indexes are left in the image",
        "Remove them in the RUN that made them: rm -rf /var/lib/apt/lists/* (apt), apk add --no-cache (apk), pip install --no-cache-dir, npm cache clean --force, dnf/yum clean all.",
    ),
    check(
        "DKL-DI-0006",
        &[],
        Severity::Low,
        "Avoid latest tag",
        "Pin the base and the image by version tag or digest (FROM debian:12.8@sha256:…).",
    ),
    check(
        "DKL-LI-0001",
        &[],
        Severity::High,
        "Avoid empty password",
        "Lock the account (passwd -l, or * in /etc/shadow) or give it a password hash.",
    ),
    check(
        "DKL-LI-0002",
        &[],
        Severity::Medium,
        "Be unique UID/GROUPs",
        "Give every user and group its own name and id (edit /etc/passwd and /etc/group, or create them with useradd/groupadd).",
    ),
    check(
        "DKL-LI-0003",
        &[],
        Severity::Low,
        "Only put necessary files",
        "Add them to .dockerignore (.git, .DS_Store, editor and VCS files).",
    ),
    check(
        "BH-IMG-001",
        &[],
        Severity::Medium,
        "A sensitive port is exposed",
        "Do not expose remote-shell or administration ports; reach containers through the orchestrator (kubectl exec, a bastion).",
    ),
    check(
        "BH-IMG-002",
        &[],
        Severity::Medium,
        "World-writable files or directories outside temporary directories",
        "Remove the write permission for others (chmod o-w), or give the directory the sticky bit.",
    ),
    check(
        "BH-IMG-003",
        &[],
        Severity::Low,
        "A shell is present",
        MINIMAL_FIX,
    ),
    check(
        "BH-IMG-004",
        &[],
        Severity::Low,
        "A package manager is present",
        MINIMAL_FIX,
    ),
    check(
        "BH-IMG-005",
        &[],
        Severity::Low,
        "A network tool is present",
        MINIMAL_FIX,
    ),
    check(
        "BH-IMG-006",
        &[],
        Severity::Low,
        "An interpreter is present",
        "Keep an interpreter only where the application is written for it; else build the final stage FROM a distroless or scratch base.",
    ),
    check(
        "BH-IMG-007",
        &[],
        Severity::Low,
        "A compiler or build tool is present",
        "Compile in a build stage and copy only the result into the final stage (a multi-stage build).",
    ),
];

/// The check named `id` (every id used here is in [`CHECKS`]).
fn spec(id: &str) -> &'static Check {
    CHECKS
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("hardening check {id} is not in CHECKS"))
}

fn finding(id: &str, message: String) -> Finding {
    let c = spec(id);
    let mut f = Finding::new(
        FindingKind::Misconfiguration,
        c.id,
        c.severity,
        c.title,
        message,
    );
    f.aliases = c.aliases.iter().map(|a| a.to_string()).collect();
    f.fix = Some(bulkhead_core::Fix {
        version: None,
        remediation: Some(c.fix.to_string()),
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

/// A finding about files: what, then the first ten paths; located at the first.
fn listing(id: &str, what: &str, paths: &[String]) -> Finding {
    let mut f = finding(id, format!("{what}: {}", listed(paths)));
    f.location.file = paths.first().map(|p| format!("/{p}"));
    f
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

/// `VOLUME`s that would mount a host's system directory (Dockle's sensitive directories).
const SENSITIVE_VOLUMES: [&str; 9] = [
    "/",
    "/boot",
    "/dev",
    "/etc",
    "/lib",
    "/proc",
    "/sys",
    "/usr",
    "/var/run/docker.sock",
];

/// A kind of tool a minimal image does without: its check and how its executables are named.
struct Tool {
    id: &'static str,
    what: &'static str,
    /// Executable names: exact, or a prefix followed only by digits, dots and dashes
    /// (`python` matches `python3.11`; `gcc` matches `gcc-12`).
    names: &'static [&'static str],
}

const TOOLS: [Tool; 5] = [
    Tool {
        id: "BH-IMG-003",
        what: "a shell",
        names: &[
            "sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "csh", "tcsh", "fish", "busybox",
        ],
    },
    Tool {
        id: "BH-IMG-004",
        what: "a package manager",
        names: &[
            "apt", "apt-get", "dpkg", "apk", "yum", "dnf", "rpm", "microdnf", "zypper", "pip",
            "npm", "yarn", "pnpm", "gem", "composer",
        ],
    },
    Tool {
        id: "BH-IMG-005",
        what: "a network tool",
        names: &[
            "curl", "wget", "nc", "netcat", "ncat", "socat", "telnet", "ftp", "ssh", "scp", "sftp",
            "rsync",
        ],
    },
    Tool {
        id: "BH-IMG-006",
        what: "an interpreter",
        names: &[
            "python", "perl", "ruby", "node", "php", "lua", "tclsh", "java",
        ],
    },
    Tool {
        id: "BH-IMG-007",
        what: "a compiler or build tool",
        names: &[
            "gcc",
            "cc",
            "c++",
            "g++",
            "clang",
            "clang++",
            "x86_64-linux-gnu-gcc",
            "aarch64-linux-gnu-gcc",
            "make",
            "go",
            "rustc",
            "cargo",
            "javac",
            "as",
            "ld",
        ],
    },
];

/// Directories whose executables count as present tools.
const BIN_DIRS: [&str; 6] = [
    "bin",
    "sbin",
    "usr/bin",
    "usr/sbin",
    "usr/local/bin",
    "usr/local/sbin",
];

fn tool_matches(names: &[&str], base: &str) -> bool {
    names.iter().any(|n| {
        base == *n
            || base.strip_prefix(n).is_some_and(|rest| {
                rest.starts_with(|c: char| c.is_ascii_digit() || c == '.' || c == '-')
                    && rest
                        .bytes()
                        .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
            })
    })
}

/// What each kind of tool is present as: per tool check, the executables found, each file once
/// per kind, by the first path that reaches it (with usrmerge `/bin/bash` and `/usr/bin/bash`
/// are one file; a hard link is its target). One file can be several kinds: busybox linked as
/// `sh` and as `wget` is a shell and a network tool.
fn present_tools(index: &ImageIndex) -> Vec<(&'static Tool, Vec<(String, String)>)> {
    /// A kind of tool, the files seen as it, and (path, file) of each.
    type Seen = (&'static Tool, BTreeSet<String>, Vec<(String, String)>);
    let mut found: Vec<Seen> = TOOLS
        .iter()
        .map(|t| (t, BTreeSet::new(), Vec::new()))
        .collect();
    for e in index.files() {
        let Some((dir, base)) = e.path.rsplit_once('/') else {
            continue;
        };
        if !BIN_DIRS.contains(&dir) {
            continue;
        }
        let real = match e.kind {
            FileKind::File | FileKind::Symlink => index.resolve(&e.path),
            FileKind::Hardlink => e.link.as_deref().and_then(|l| index.resolve(l)),
            _ => None,
        };
        let Some(real) = real else { continue };
        let Some((_, seen, list)) = found
            .iter_mut()
            .find(|(t, _, _)| tool_matches(t.names, base))
        else {
            continue;
        };
        let exec = index
            .entry(&real)
            .is_some_and(|r| r.kind == FileKind::File && r.mode & 0o111 != 0);
        if exec && seen.insert(real.clone()) {
            list.push((e.path.clone(), real));
        }
    }
    found
        .into_iter()
        .filter(|(_, _, v)| !v.is_empty())
        .map(|(t, _, v)| (t, v))
        .collect()
}

/// The paths [`findings`] reads the contents of: the account databases.
pub fn wants(path: &str) -> bool {
    matches!(path, "etc/passwd" | "etc/group" | "etc/shadow")
}

fn str_list(v: Option<&Value>) -> Vec<String> {
    v.and_then(|v| v.as_array())
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

/// The shell commands of a build step (`RUN a && b; c | d`), each as its words.
fn commands(cmd: &str) -> Vec<Vec<&str>> {
    let body = cmd
        .strip_prefix("/bin/sh -c ")
        .or_else(|| cmd.strip_prefix("RUN /bin/sh -c "))
        .unwrap_or(cmd);
    body.split(['&', ';', '|', '\n'])
        .map(|c| c.split_whitespace().collect::<Vec<_>>())
        .filter(|c| !c.is_empty())
        .collect()
}

fn shown(cmd: &str) -> String {
    let mut s: String = cmd.chars().take(160).collect();
    if s.len() < cmd.len() {
        s.push('…');
    }
    s
}

fn config_findings(meta: &ImageMeta, out: &mut Vec<Finding>) {
    let cfg = meta.run_config();
    let user = cfg.get("User").and_then(|u| u.as_str()).unwrap_or("");
    let name = user.split(':').next().unwrap_or("");
    let at = |mut f: Finding, object: String| {
        f.location.object = Some(object);
        f
    };
    if name.is_empty() || name == "root" || name == "0" {
        out.push(at(
            finding(
                "CIS-DI-0001",
                if user.is_empty() {
                    "the image sets no USER: its processes run as root".into()
                } else {
                    format!("the image runs as {user:?} (root)")
                },
            ),
            "config.User".into(),
        ));
    }
    if cfg.get("Healthcheck").is_none_or(|h| h.is_null()) {
        out.push(at(
            finding("CIS-DI-0006", "the image has no HEALTHCHECK".into()),
            "config.Healthcheck".into(),
        ));
    }
    for e in str_list(cfg.get("Env")) {
        let (k, v) = e.split_once('=').unwrap_or((&e, ""));
        if bulkhead_core::names::credential_name(k) && !v.trim().is_empty() {
            let mut f = finding(
                "CIS-DI-0010",
                format!(
                    "the environment variable {k} looks like a credential and is set in the image ({} characters)",
                    v.chars().count()
                ),
            );
            f.location.object = Some(format!("config.Env.{k}"));
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
            out.push(at(
                finding("BH-IMG-001", format!("the image exposes {port}, {what}")),
                format!("config.ExposedPorts.{port}"),
            ));
        }
    }
    for v in cfg
        .get("Volumes")
        .and_then(|p| p.as_object())
        .into_iter()
        .flat_map(|m| m.keys())
    {
        let norm = format!("/{}", v.trim_matches('/'));
        if SENSITIVE_VOLUMES.contains(&norm.as_str()) {
            out.push(at(
                finding(
                    "DKL-DI-0002",
                    format!("the image declares VOLUME {v}, a system directory"),
                ),
                format!("config.Volumes.{v}"),
            ));
        }
    }
    // The image's own tag and its base's (the OCI base-name label).
    if let Some(tag) = meta.repo_tags.iter().find(|t| floats(t)) {
        out.push(finding(
            "DKL-DI-0006",
            format!("the image is tagged {tag}: what it names changes with every push"),
        ));
    }
    if let Some(base) = cfg
        .get("Labels")
        .and_then(|l| l.get("org.opencontainers.image.base.name"))
        .and_then(|b| b.as_str())
        .filter(|b| floats(b))
    {
        let mut f = finding(
            "DKL-DI-0006",
            format!(
                "the image was built FROM {base}, a latest tag: rebuilding it can change the base"
            ),
        );
        f.location.object = Some("config.Labels.org.opencontainers.image.base.name".into());
        out.push(f);
    }
    for (i, cmd) in meta.build_steps() {
        let n = i + 1;
        let at = |mut f: Finding| {
            f.location.object = Some(format!("history[{i}].created_by"));
            f
        };
        let add = cmd.contains("ADD ") || cmd.starts_with("ADD") || cmd.contains("#(nop) ADD");
        if add && (cmd.contains("http://") || cmd.contains("https://")) {
            out.push(at(finding(
                "CIS-DI-0009",
                format!("build step {n} adds a remote URL: {}", shown(cmd)),
            )));
        }
        if cmd.contains("#(nop)") {
            continue;
        }
        let cmds = commands(cmd);
        let has = |tool: &[&str], verbs: &[&str]| {
            cmds.iter().any(|c| {
                let c: Vec<&str> = c.iter().copied().filter(|w| !w.starts_with('-')).collect();
                c.windows(2)
                    .any(|w| tool.contains(&w[0]) && verbs.contains(&w[1]))
            })
        };
        let apt = ["apt-get", "apt", "aptitude"];
        if has(&apt, &["update"]) && !has(&apt, &["install", "upgrade", "dist-upgrade"])
            || has(&["apk"], &["update"]) && !has(&["apk"], &["add", "upgrade"])
        {
            out.push(at(finding(
                "CIS-DI-0007",
                format!(
                    "build step {n} updates the package index without installing in the same step: {}",
                    shown(cmd)
                ),
            )));
        }
        if cmds.iter().any(|c| c.first() == Some(&"sudo")) {
            out.push(at(finding(
                "DKL-DI-0001",
                format!("build step {n} runs sudo: {}", shown(cmd)),
            )));
        }
        if has(&apt, &["dist-upgrade", "full-upgrade"]) {
            out.push(at(finding(
                "DKL-DI-0003",
                format!("build step {n} upgrades the distribution: {}", shown(cmd)),
            )));
        }
    }
}

/// The accounts of `etc/passwd` (`name:x:uid:gid:…`) or `etc/group`: name and id.
fn accounts(text: &str) -> Vec<(&str, &str)> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let mut f = l.split(':');
            let name = f.next()?;
            let id = f.nth(1)?;
            Some((name, id))
        })
        .collect()
}

/// At most [`NAMED`] items joined, the rest counted (a hostile file cannot make a message huge).
fn capped(items: &[String], sep: &str) -> String {
    let mut s = items
        .iter()
        .take(NAMED)
        .cloned()
        .collect::<Vec<_>>()
        .join(sep);
    if items.len() > NAMED {
        s.push_str(&format!("{sep}and {} more", items.len() - NAMED));
    }
    s
}

/// Names and ids used more than once, described.
fn duplicates(what: &str, list: &[(&str, &str)]) -> Vec<String> {
    let mut out = Vec::new();
    let mut by_name: BTreeMap<&str, usize> = BTreeMap::new();
    let mut by_id: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (n, id) in list {
        *by_name.entry(n).or_default() += 1;
        by_id.entry(id).or_default().push(n);
    }
    for (n, c) in by_name.into_iter().filter(|(_, c)| *c > 1) {
        out.push(format!("{what} name {n} appears {c} times"));
    }
    for (id, names) in by_id.into_iter().filter(|(_, v)| v.len() > 1) {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        out.push(format!(
            "{what} id {id} is shared by {}",
            capped(&names, ", ")
        ));
    }
    out
}

/// Files and directories a build context should not have copied in (Dockle's list, and VCS
/// directories; as Dockle, directories inside `node_modules` and `vendor` are the packages' own).
fn unnecessary(path: &str, kind: FileKind) -> bool {
    let base = path.rsplit('/').next().unwrap_or(path);
    match kind {
        FileKind::Dir => {
            matches!(base, ".git" | ".svn" | ".hg" | ".vscode" | ".idea")
                && !path
                    .split('/')
                    .any(|c| c == "node_modules" || c == "vendor")
        }
        FileKind::File => matches!(
            base,
            ".DS_Store"
                | "Thumbs.db"
                | ".gitconfig"
                | ".bash_history"
                | ".vimrc"
                | "Dockerfile"
                | "docker-compose.yml"
                | "docker-compose.yaml"
        ),
        _ => false,
    }
}

/// Files whose name says they hold a credential (Dockle's CIS-DI-0010 names and extensions,
/// without those it marks as too noisy). Their contents are the secret scanner's.
fn credential_file(path: &str) -> bool {
    let base = path.rsplit('/').next().unwrap_or(path);
    let ext = base.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    matches!(
        base,
        "credentials.json"
            | "credential.json"
            | "credentials.xml"
            | "password.txt"
            | "id_rsa"
            | "id_dsa"
            | "id_ecdsa"
            | "id_ed25519"
            | "secret_token.rb"
    ) || path.ends_with(".aws/credentials")
        || matches!(
            ext,
            "secret" | "ovpn" | "private_key" | "jks" | "keychain" | "agilekeychain" | "psafe3"
        )
}

/// Package manager caches and downloaded indexes: (what, directory, entries to leave alone).
const CACHES: [(&str, &str, &[&str]); 7] = [
    (
        "apt's package lists",
        "var/lib/apt/lists",
        &["lock", "partial", "auxfiles"],
    ),
    (
        "apt's package cache",
        "var/cache/apt",
        &["archives/lock", "archives/partial"],
    ),
    ("apk's package cache", "var/cache/apk", &[]),
    ("dnf's cache", "var/cache/dnf", &[]),
    ("yum's cache", "var/cache/yum", &[]),
    ("pip's cache", "root/.cache/pip", &[]),
    ("npm's cache", "root/.npm/_cacache", &[]),
];

fn filesystem_findings(index: &ImageIndex, out: &mut Vec<Finding>) {
    let mut setid = Vec::new();
    let mut writable = Vec::new();
    let mut extra = Vec::new();
    let mut credentials = Vec::new();
    let mut caches: Vec<(usize, u64)> = vec![(0, 0); CACHES.len()];
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
        if unnecessary(&e.path, e.kind) {
            extra.push(e.path.clone());
        }
        if e.kind == FileKind::File && credential_file(&e.path) {
            credentials.push(e.path.clone());
        }
        if e.kind == FileKind::File {
            for (i, (_, dir, keep)) in CACHES.iter().enumerate() {
                if let Some(rest) = e.path.strip_prefix(dir).and_then(|r| r.strip_prefix('/'))
                    && !keep
                        .iter()
                        .any(|k| rest == *k || rest.starts_with(&format!("{k}/")))
                {
                    caches[i].0 += 1;
                    caches[i].1 += e.size;
                }
            }
        }
    }
    for (id, what, paths) in [
        (
            "CIS-DI-0008",
            format!("{} setuid/setgid file(s)", setid.len()),
            &setid,
        ),
        (
            "BH-IMG-002",
            format!("{} world-writable path(s)", writable.len()),
            &writable,
        ),
        (
            "CIS-DI-0010",
            format!(
                "{} file(s) named like credentials (--scanners secret reads what they hold)",
                credentials.len()
            ),
            &credentials,
        ),
        (
            "DKL-LI-0003",
            format!("{} unnecessary file(s)", extra.len()),
            &extra,
        ),
    ] {
        if !paths.is_empty() {
            out.push(listing(id, &what, paths));
        }
    }
    for ((what, dir, _), (n, bytes)) in CACHES.iter().zip(caches) {
        if n > 0 {
            let mut f = finding(
                "BH-IMG-008",
                format!(
                    "{what} left in the image: {n} file(s), {} KiB under /{dir}",
                    bytes.div_ceil(1024)
                ),
            );
            // Dockle's ids for the same leftovers (its checks read the history instead).
            if dir.contains("apk") {
                f.aliases = vec!["DKL-DI-0004".into()];
            } else if dir.contains("apt") {
                f.aliases = vec!["DKL-DI-0005".into()];
            }
            f.location.file = Some(format!("/{dir}"));
            out.push(f);
        }
    }
    for (tool, found) in present_tools(index) {
        let paths: Vec<String> = found.into_iter().map(|(p, _)| p).collect();
        out.push(listing(
            tool.id,
            &format!("{} is present", tool.what),
            &paths,
        ));
    }
    let text = |p: &str| index.read(p).map(String::from_utf8_lossy);
    out.extend(account_findings(
        text("etc/passwd").as_deref(),
        text("etc/group").as_deref(),
        text("etc/shadow").as_deref(),
    ));
}

/// The account databases' checks (`DKL-LI-0001`, `DKL-LI-0002`) on the texts of `/etc/passwd`,
/// `/etc/group` and `/etc/shadow`, those the image has.
pub fn account_findings(
    passwd: Option<&str>,
    group: Option<&str>,
    shadow: Option<&str>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(shadow) = shadow {
        let empty: Vec<String> = shadow
            .lines()
            .filter_map(|l| {
                let mut f = l.split(':');
                let name = f.next()?;
                let hash = f.next()?;
                (!name.is_empty() && hash.is_empty()).then(|| name.to_string())
            })
            .collect();
        if !empty.is_empty() {
            let mut f = finding(
                "DKL-LI-0001",
                format!(
                    "{} account(s) with an empty password, anyone can log in as them: {}",
                    empty.len(),
                    capped(&empty, ", ")
                ),
            );
            f.location.file = Some("/etc/shadow".into());
            out.push(f);
        }
    }
    for (file, what, text) in [
        ("etc/passwd", "user", passwd),
        ("etc/group", "group", group),
    ] {
        if let Some(t) = text {
            let d = duplicates(what, &accounts(t));
            if !d.is_empty() {
                let mut f = finding("DKL-LI-0002", capped(&d, "; "));
                f.location.file = Some(format!("/{file}"));
                out.push(f);
            }
        }
    }
    out
}

/// The audit's findings: the image configuration and history (when there is one) and the file
/// system.
pub fn findings(index: &ImageIndex, meta: Option<&ImageMeta>) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(meta) = meta {
        config_findings(meta, &mut out);
    }
    filesystem_findings(index, &mut out);
    out
}

/// Programs that start another program named by their arguments (an init or a user switch):
/// the entrypoint is what they run. The number is how many non-option arguments come first.
const LAUNCHERS: [(&str, usize); 6] = [
    ("tini", 0),
    ("tini-static", 0),
    ("dumb-init", 0),
    ("catatonit", 0),
    ("gosu", 1),
    ("su-exec", 1),
];

/// What the container runs first: `Entrypoint` followed by `Cmd`.
fn argv(meta: &ImageMeta) -> Vec<String> {
    let cfg = meta.run_config();
    let mut a = str_list(cfg.get("Entrypoint"));
    a.extend(str_list(cfg.get("Cmd")));
    a
}

/// `program` as the image's `PATH` finds it, resolved inside the image.
fn which(index: &ImageIndex, meta: &ImageMeta, program: &str) -> Option<String> {
    if program.contains('/') {
        return index.resolve(program.trim_start_matches('/'));
    }
    let path = str_list(meta.run_config().get("Env"))
        .into_iter()
        .find_map(|e| e.strip_prefix("PATH=").map(str::to_string))
        .unwrap_or_else(|| "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into());
    path.split(':').find_map(|d| {
        let p = format!("{}/{program}", d.trim_matches('/'));
        index
            .resolve(&p)
            .filter(|r| index.entry(r).is_some_and(|e| e.kind == FileKind::File))
    })
}

/// Why the packages an entrypoint needs can or cannot be told.
enum Reach {
    /// The programs the container starts (resolved paths) and the OS packages (indexes) that own
    /// them and everything those depend on, by the package manager's own dependencies.
    Needs(Vec<String>, BTreeSet<usize>),
    NotShown(String),
}

/// `owners`: resolved file → the OS packages (indexes into `os`) that own it, first owner first.
fn reach(
    index: &ImageIndex,
    meta: &ImageMeta,
    os: &[&Package],
    owners: &HashMap<String, Vec<usize>>,
    tools: &HashMap<String, Vec<&'static str>>,
) -> Reach {
    let args = argv(meta);
    if args.is_empty() {
        return Reach::NotShown("the image names no entrypoint or command".into());
    }
    let mut programs = Vec::new();
    let mut rest: &[String] = &args;
    while let Some(program) = rest.first() {
        let Some(path) = which(index, meta, program) else {
            return Reach::NotShown(format!("the entrypoint {program} is not in the image"));
        };
        if let Some(what) = tools.get(&path) {
            return Reach::NotShown(format!(
                "the entrypoint /{path} is {}: what it runs cannot be told from the image",
                what.join(" and ")
            ));
        }
        programs.push(path.clone());
        let base = path.rsplit('/').next().unwrap_or(&path);
        let Some((_, skip)) = LAUNCHERS.iter().find(|(n, _)| *n == base) else {
            break;
        };
        // A launcher runs its first argument that is not an option (after `skip` others).
        let mut after = rest[1..]
            .iter()
            .position(|a| !a.starts_with('-'))
            .map(|i| &rest[1 + i..])
            .unwrap_or(&[]);
        after = after.get(*skip..).unwrap_or(&[]);
        if after.is_empty() {
            return Reach::NotShown(format!("the launcher /{path} is given no program"));
        }
        rest = after;
    }
    let mut needs = BTreeSet::new();
    for path in &programs {
        let Some(&i) = owners.get(path).and_then(|v| v.first()) else {
            return Reach::NotShown(format!(
                "the entrypoint /{path} is not from a package: what it loads cannot be told from package data"
            ));
        };
        needs.insert(i);
    }
    // The closure of the owners' dependencies.
    let by_id: HashMap<String, usize> = os
        .iter()
        .enumerate()
        .map(|(i, p)| (format!("{}@{}", p.name, p.version), i))
        .collect();
    let mut stack: Vec<usize> = needs.iter().copied().collect();
    while let Some(i) = stack.pop() {
        for d in &os[i].depends_on {
            if let Some(&j) = by_id.get(d)
                && needs.insert(j)
            {
                stack.push(j);
            }
        }
    }
    Reach::Needs(programs, needs)
}

/// Points taken off a perfect 100 for each kind of finding (documented in docs/image.md).
const PENALTIES: [(&str, u32); 13] = [
    ("CIS-DI-0001", 20),
    ("BH-IMG-003", 15),
    ("BH-IMG-004", 15),
    ("BH-IMG-007", 15),
    ("BH-IMG-005", 10),
    ("CIS-DI-0008", 10),
    ("CIS-DI-0010", 10),
    ("DKL-LI-0001", 10),
    ("BH-IMG-006", 5),
    ("BH-IMG-002", 5),
    ("BH-IMG-008", 5),
    ("BH-IMG-001", 5),
    ("DKL-DI-0002", 5),
];

/// How far the image is from minimal (`BH-IMG-000`), from the audit's own findings, the
/// inventory and the vulnerability findings: a score, what the tools found come from and what
/// removing them takes away, and — only when the entrypoint is a program from a package that is
/// not a shell or interpreter — the OS packages nothing it depends on needs. `None` when the image
/// is already minimal by every check. `vulns` are the vulnerability findings when vulnerabilities
/// were scanned for (`None`: what removing packages would take away is not counted).
pub fn summary(
    index: &ImageIndex,
    meta: Option<&ImageMeta>,
    packages: &[Package],
    audit: &[Finding],
    vulns: Option<&[Finding]>,
) -> Option<Finding> {
    let os: Vec<&Package> = packages
        .iter()
        .filter(|p| {
            matches!(
                p.kind,
                Some(PackageKind::Deb | PackageKind::Apk | PackageKind::Rpm)
            )
        })
        .collect();
    let ids: BTreeSet<&str> = audit.iter().map(|f| f.id.as_str()).collect();
    let taken: u32 = PENALTIES
        .iter()
        .filter(|(id, _)| ids.contains(id))
        .map(|(_, p)| p)
        .sum::<u32>()
        + (os.len().saturating_sub(10) / 10).min(10) as u32;
    let score = 100u32.saturating_sub(taken);
    if score == 100 {
        return None;
    }
    let vulns_of = |keys: &BTreeSet<String>| {
        vulns.map(|v| {
            v.iter()
                .filter(|f| {
                    f.kind == FindingKind::Vulnerability
                        && f.package.as_ref().is_some_and(|p| keys.contains(&p.key))
                })
                .count()
        })
    };
    let total_vulns = vulns.map(|v| {
        v.iter()
            .filter(|f| f.kind == FindingKind::Vulnerability)
            .count()
    });
    let mut parts = vec![format!(
        "score {score}/100; {} OS package(s), {} other package(s)",
        os.len(),
        packages.len() - os.len()
    )];
    let mut f = finding("BH-IMG-000", String::new());
    f.evidence.insert("score".into(), score.into());
    f.evidence.insert("os_packages".into(), os.len().into());
    // The tools' packages.
    let tools = present_tools(index);
    let mut tool_at: HashMap<String, Vec<&'static str>> = HashMap::new();
    for (t, found) in &tools {
        for (_, real) in found {
            tool_at.entry(real.clone()).or_default().push(t.what);
        }
    }
    // Resolved file → the packages that own it, read once for the tools' owners and the
    // entrypoint's.
    let mut owners: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, p) in os.iter().enumerate() {
        for file in &p.files {
            if let Some(r) = index.resolve(file.trim_start_matches('/')) {
                let v = owners.entry(r).or_default();
                if v.last() != Some(&i) {
                    v.push(i);
                }
            }
        }
    }
    let reached = meta.map(|m| reach(index, m, &os, &owners, &tool_at));
    let needed: BTreeSet<usize> = match &reached {
        Some(Reach::Needs(_, needs)) => needs.clone(),
        _ => BTreeSet::new(),
    };
    // The tools' packages: those the entrypoint does not need could go; the others stay.
    let mut owner_of_tool: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut tool_keys = BTreeSet::new();
    let mut kept: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (real, kinds) in &tool_at {
        for &i in owners.get(real).into_iter().flatten() {
            let p = os[i];
            for what in kinds {
                if needed.contains(&i) {
                    kept.entry(&p.name).or_default().insert(what);
                } else {
                    owner_of_tool.entry(what).or_default().insert(&p.name);
                    tool_keys.insert(p.key());
                }
            }
        }
    }
    let named = |m: &BTreeMap<&str, BTreeSet<&str>>| -> String {
        m.iter()
            .map(|(k, v)| format!("{k} ({})", v.iter().copied().collect::<Vec<_>>().join(", ")))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !tool_keys.is_empty() {
        let mut line = format!(
            "the {} package(s) that bring {} could be removed",
            tool_keys.len(),
            named(&owner_of_tool)
        );
        match (vulns_of(&tool_keys), total_vulns) {
            (Some(v), Some(total)) => {
                line.push_str(&format!(
                    ", taking away {v} of the {total} vulnerability finding(s)"
                ));
                f.evidence
                    .insert("tool_package_vulnerabilities".into(), v.into());
            }
            _ => line.push_str(" (--scanners vuln counts the vulnerabilities they carry)"),
        }
        parts.push(line);
        f.evidence.insert(
            "tool_packages".into(),
            tool_keys.iter().cloned().collect::<Vec<_>>().into(),
        );
    }
    if !kept.is_empty() {
        let (verb, them) = if kept.len() == 1 {
            ("stays", "it")
        } else {
            ("stay", "them")
        };
        parts.push(format!(
            "{} {verb}: the entrypoint's dependencies need {them}",
            named(&kept)
        ));
    }
    match reached {
        Some(Reach::Needs(programs, needs)) => {
            let unneeded: BTreeSet<String> = os
                .iter()
                .enumerate()
                .filter(|(i, _)| !needs.contains(i))
                .map(|(_, p)| p.key())
                .collect();
            let v = vulns_of(&unneeded);
            let shown: Vec<String> = programs.iter().map(|p| format!("/{p}")).collect();
            let carried = v
                .map(|v| format!(" ({v} vulnerability finding(s))"))
                .unwrap_or_default();
            parts.push(format!(
                "the entrypoint {} needs {} OS package(s) by their declared dependencies; the other {}{carried} are not needed by anything it reaches",
                shown.join(" → "),
                needs.len(),
                unneeded.len()
            ));
            f.evidence.insert("entrypoint".into(), shown.into());
            f.evidence.insert(
                "needed_packages".into(),
                needs
                    .iter()
                    .map(|&i| os[i].key())
                    .collect::<Vec<_>>()
                    .into(),
            );
            f.evidence.insert(
                "unneeded_packages".into(),
                unneeded.iter().cloned().collect::<Vec<_>>().into(),
            );
            if let Some(v) = v {
                f.evidence
                    .insert("unneeded_package_vulnerabilities".into(), v.into());
            }
        }
        Some(Reach::NotShown(why)) if !os.is_empty() => {
            parts.push(format!("no package is shown unneeded: {why}"));
        }
        _ => {}
    }
    f.message = parts.join("; ");
    Some(f)
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

    fn ids_messages(m: &ImageMeta) -> Vec<(String, String)> {
        findings(&ImageIndex::new(), Some(m))
            .into_iter()
            .map(|f| (f.id, f.message))
            .collect()
    }

    #[test]
    fn every_check_is_in_the_table_once() {
        let mut ids: Vec<&str> = CHECKS.iter().map(|c| c.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), CHECKS.len());
        for t in &TOOLS {
            spec(t.id);
        }
        for (id, _) in PENALTIES {
            spec(id);
        }
    }

    #[test]
    fn configuration_checks() {
        let mut m = meta(serde_json::json!({
            "config": {"User": "0:0", "ExposedPorts": {"22/tcp": {}, "8080/tcp": {}},
                       "Env": ["PATH=/bin", "DB_PASSWORD=hunter2", "PASSWORD_FILE=/run/secrets/pw", "API_TOKEN="],
                       "Volumes": {"/etc/": {}, "/data": {}},
                       "Labels": {"org.opencontainers.image.base.name": "docker.io/library/debian"}},
            "history": [{"created_by": "/bin/sh -c #(nop) ADD https://example.com/app.tgz /opt/"},
                        {"created_by": "/bin/sh -c #(nop) ADD file:abc in /"},
                        {"created_by": "/bin/sh -c apt-get update"},
                        {"created_by": "/bin/sh -c apt-get update && apt-get install -y curl"},
                        {"created_by": "RUN /bin/sh -c sudo apt-get -y dist-upgrade # buildkit"},
                        {"created_by": "/bin/sh -c apk update; apk add --no-cache curl"},
                        {"created_by": "/bin/sh -c echo not sudo"}]
        }));
        m.repo_tags = vec!["registry.local:5000/app:latest".into(), "app:1.2".into()];
        let ids = ids_messages(&m);
        let has = |id: &str, text: &str| ids.iter().any(|(i, m)| i == id && m.contains(text));
        let count = |id: &str| ids.iter().filter(|(i, _)| i == id).count();
        assert!(has("CIS-DI-0001", "\"0:0\""), "{ids:?}");
        assert!(has("CIS-DI-0009", "build step 1 "), "{ids:?}");
        assert_eq!(count("CIS-DI-0009"), 1, "a local ADD is fine");
        assert!(has("BH-IMG-001", "22/tcp, SSH"), "{ids:?}");
        assert!(!ids.iter().any(|(_, m)| m.contains("8080")));
        // Named by the variable, never with its value; empty and *_FILE variables are fine.
        assert!(has("CIS-DI-0010", "DB_PASSWORD"), "{ids:?}");
        assert!(!ids.iter().any(|(_, m)| m.contains("hunter2")));
        assert_eq!(count("CIS-DI-0010"), 1, "{ids:?}");
        assert!(has("DKL-DI-0002", "VOLUME /etc/"), "{ids:?}");
        assert_eq!(count("DKL-DI-0002"), 1);
        assert!(
            has("DKL-DI-0006", "tagged registry.local:5000/app:latest"),
            "{ids:?}"
        );
        assert!(
            has("DKL-DI-0006", "FROM docker.io/library/debian"),
            "{ids:?}"
        );
        assert!(has("CIS-DI-0007", "build step 3 "), "{ids:?}");
        assert_eq!(
            count("CIS-DI-0007"),
            1,
            "update with install or add is fine: {ids:?}"
        );
        assert!(has("DKL-DI-0001", "build step 5 "), "{ids:?}");
        assert_eq!(count("DKL-DI-0001"), 1, "{ids:?}");
        assert!(has("DKL-DI-0003", "build step 5 "), "{ids:?}");
        let fine = meta(serde_json::json!({"config": {"User": "65532",
            "Healthcheck": {"Test": ["CMD", "true"]},
            "Labels": {"org.opencontainers.image.base.name": "gcr.io/distroless/static:nonroot"}}}));
        assert!(ids_messages(&fine).is_empty());
    }

    #[test]
    fn tool_names() {
        assert!(tool_matches(&["python"], "python3.11"));
        assert!(tool_matches(&["gcc"], "gcc-12"));
        assert!(tool_matches(&["sh"], "sh"));
        assert!(!tool_matches(&["sh"], "shred"));
        assert!(!tool_matches(&["python"], "python3-config"));
        assert!(!tool_matches(&["as"], "assert"));
    }

    #[test]
    fn file_names() {
        assert!(credential_file("root/.ssh/id_ed25519"));
        assert!(credential_file("home/app/.aws/credentials"));
        assert!(credential_file("etc/openvpn/client.ovpn"));
        assert!(!credential_file("usr/share/doc/credentials-howto.txt"));
        assert!(!credential_file("etc/ssl/certs/ca.pem"));
        assert!(unnecessary("app/.git", FileKind::Dir));
        assert!(!unnecessary("app/node_modules/x/.git", FileKind::Dir));
        assert!(unnecessary("app/node_modules/x/.DS_Store", FileKind::File));
        assert!(unnecessary("src/Dockerfile", FileKind::File));
        assert!(!unnecessary("app/.git", FileKind::File));
    }

    #[test]
    fn accounts_and_duplicates() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\ntoor:x:0:0::/:/bin/sh\napp:x:1000:1000::/app:/bin/false\napp:x:1001:1001::/:/bin/false\n";
        let d = duplicates("user", &accounts(passwd));
        assert_eq!(
            d,
            [
                "user name app appears 2 times",
                "user id 0 is shared by root, toor"
            ]
        );
        assert!(duplicates("group", &accounts("root:x:0:\nstaff:x:50:\n")).is_empty());
        // A hostile file names at most ten of anything.
        let many: String = (0..1000)
            .map(|i| format!("u{i}::0:0::/:/bin/sh\n"))
            .collect();
        let f = account_findings(Some(&many), None, Some(&many));
        assert_eq!(f.len(), 2);
        assert!(
            f[0].message
                .starts_with("1000 account(s) with an empty password")
        );
        assert!(
            f[0].message.ends_with("u9, and 990 more"),
            "{}",
            f[0].message
        );
        assert!(
            f[1].message.ends_with("u9, and 990 more"),
            "{}",
            f[1].message
        );
    }
}
