//! OS detection from release files, the way Trivy's fanal OS analyzers do it: os-release gives the
//! family; Debian's precise point release comes from `etc/debian_version`, Alpine's from
//! `etc/alpine-release`; Red Hat-style `*-release` files cover images without os-release.

use bulkhead_core::OsInfo;
use bulkhead_image::ImageIndex;

const FILES: &[&str] = &[
    "etc/os-release",
    "usr/lib/os-release",
    "etc/debian_version",
    "etc/alpine-release",
    "etc/redhat-release",
    "etc/centos-release",
    "etc/rocky-release",
    "etc/almalinux-release",
    "etc/fedora-release",
    "etc/oracle-release",
    "etc/system-release",
    "etc/lsb-release",
    "etc/photon-release",
    "etc/SuSE-release",
    "etc/apk/repositories",
];

/// Whether `path` is a release file this analyzer reads.
pub fn wants(path: &str) -> bool {
    FILES.contains(&path)
}

/// Parse os-release `KEY=value` lines (values may be quoted).
pub fn parse_os_release(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim();
            if l.starts_with('#') {
                return None;
            }
            let (k, v) = l.split_once('=')?;
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(v);
            Some((k.trim().to_string(), v.replace("\\\"", "\"")))
        })
        .collect()
}

/// Map an os-release `ID` to the family name Trivy uses; other IDs are kept as they are.
///
/// SUSE names follow Trivy >= 0.58 (aquasecurity/trivy PR #7965, "Align SUSE/OpenSUSE OS
/// Identifiers"): `opensuse-leap`, `opensuse-tumbleweed`, `sles`, `slem` — Trivy 0.59.1 reports
/// exactly these (the dotted/long pre-0.58 names survive there only as input aliases). `opensuse` is
/// openSUSE Leap 42's ID.
pub fn family_of(id: &str) -> &str {
    match id {
        "rhel" => "redhat",
        "ol" => "oracle",
        "amzn" => "amazon",
        "almalinux" => "alma",
        "opensuse-leap" | "opensuse" => "opensuse-leap",
        "opensuse-tumbleweed" => "opensuse-tumbleweed",
        "sles" => "sles",
        "sle-micro" | "sl-micro" | "sle-micro-rancher" => "slem",
        "mariner" => "cbl-mariner",
        other => other,
    }
}

/// Bytes of a release file read: release files are a few hundred bytes, and the parsers keep every
/// `KEY=value` line they see, so a huge one is read only this far.
pub const MAX_RELEASE_FILE: usize = 64 << 10;

fn text(index: &ImageIndex, path: &str) -> Option<String> {
    index
        .read(path)
        .map(|b| {
            String::from_utf8_lossy(&b[..b.len().min(MAX_RELEASE_FILE)])
                .trim()
                .to_string()
        })
        .filter(|s| !s.is_empty())
}

/// `Red Hat Enterprise Linux release 8.9 (Ootpa)` → ("Red Hat Enterprise Linux", "8.9").
fn parse_release_line(line: &str) -> Option<(String, String)> {
    let (name, rest) = line.split_once(" release ")?;
    let version = rest.split_whitespace().next()?.to_string();
    Some((name.trim().to_string(), version))
}

/// Detect the OS of an indexed image; for Alpine, also the release its apk repositories point at.
pub fn detect(index: &ImageIndex) -> Option<OsInfo> {
    let mut os = detect_release(index)?;
    if os.family == "alpine" {
        os.repository = text(index, "etc/apk/repositories").and_then(|t| apk_repository(&t));
    }
    Some(os)
}

/// The release named by `etc/apk/repositories` URLs (`https://host/alpine/v3.19/main` → `3.19`,
/// `…/alpine/edge/community` → `edge`), the newest when several are listed, `edge` above all; `None`
/// when no line names an Alpine release or the lines name another distribution (Trivy's apk-repo
/// analyzer does the same).
fn apk_repository(text: &str) -> Option<String> {
    let mut best: Option<String> = None;
    for line in text.lines().map(str::trim).filter(|l| !l.starts_with('#')) {
        let Some((_, rest)) = line.split_once("://") else {
            continue;
        };
        let mut parts = rest.split('/');
        let (_host, distro, release) = (parts.next()?, parts.next(), parts.next());
        let (Some(distro), Some(release)) = (distro, release) else {
            continue;
        };
        if parts.next().is_none() {
            continue; // `…/alpine/v3.19` without a repository after it is not a repository URL.
        }
        if distro != "alpine" {
            return None;
        }
        let release = release.strip_prefix('v').unwrap_or(release);
        let numeric =
            |r: &str| -> Option<Vec<u64>> { r.split('.').map(|p| p.parse().ok()).collect() };
        best = match best {
            None => Some(release.to_string()),
            Some(b) if b == "edge" || release == "edge" => Some("edge".to_string()),
            Some(b) => match (numeric(&b), numeric(release)) {
                (Some(old), Some(new)) if new > old => Some(release.to_string()),
                (None, Some(_)) => Some(release.to_string()),
                _ => Some(b),
            },
        };
    }
    best.filter(|b| b == "edge" || b.split('.').all(|p| p.parse::<u64>().is_ok()))
}

fn detect_release(index: &ImageIndex) -> Option<OsInfo> {
    let os_release = ["etc/os-release", "usr/lib/os-release"]
        .iter()
        .find_map(|p| text(index, p).map(|t| (p.to_string(), parse_os_release(&t))));
    if let Some((src, kv)) = os_release {
        let get = |k: &str| kv.iter().find(|(kk, _)| kk == k).map(|(_, v)| v.clone());
        if let Some(id) = get("ID").filter(|s| !s.is_empty()) {
            let family = family_of(&id.to_ascii_lowercase()).to_string();
            let mut version = get("VERSION_ID").unwrap_or_default();
            let mut source = src.clone();
            match family.as_str() {
                "debian" => {
                    // `12.5` from debian_version beats os-release's `12`. Testing/sid write
                    // `trixie/sid` there and have no VERSION_ID; Trivy 0.59.1 reports that text as
                    // the version (checked on a rootfs with it), so we do too rather than nothing.
                    if let Some(v) = text(index, "etc/debian_version")
                        .and_then(|t| t.lines().next().map(|l| l.trim().to_string()))
                        .filter(|l| !l.is_empty())
                    {
                        version = v;
                        source = "etc/debian_version".into();
                    }
                }
                "alpine" => {
                    if let Some(v) = text(index, "etc/alpine-release") {
                        version = v.lines().next().unwrap_or_default().to_string();
                        source = "etc/alpine-release".into();
                    }
                }
                "centos" | "rocky" | "alma" | "redhat" | "oracle" => {
                    let file = match family.as_str() {
                        "centos" => "etc/centos-release",
                        "rocky" => "etc/rocky-release",
                        "alma" => "etc/almalinux-release",
                        "oracle" => "etc/oracle-release",
                        _ => "etc/redhat-release",
                    };
                    if let Some((_, v)) = text(index, file).and_then(|t| parse_release_line(&t)) {
                        version = v;
                        source = file.into();
                    }
                }
                _ => {}
            }
            return Some(OsInfo {
                family,
                version,
                // `VERSION_CODENAME=""` (Fedora) means no codename.
                pretty_name: get("PRETTY_NAME").filter(|s| !s.is_empty()),
                codename: get("VERSION_CODENAME").filter(|s| !s.is_empty()),
                source,
                repository: None,
            });
        }
    }
    // No usable os-release: fall back to distribution-specific files.
    if let Some(v) = text(index, "etc/alpine-release") {
        return Some(OsInfo {
            family: "alpine".into(),
            version: v.lines().next().unwrap_or_default().to_string(),
            pretty_name: None,
            codename: None,
            source: "etc/alpine-release".into(),
            repository: None,
        });
    }
    for (file, default_family) in [
        ("etc/centos-release", "centos"),
        ("etc/rocky-release", "rocky"),
        ("etc/almalinux-release", "alma"),
        ("etc/oracle-release", "oracle"),
        ("etc/fedora-release", "fedora"),
        ("etc/redhat-release", "redhat"),
        ("etc/system-release", "amazon"),
    ] {
        if let Some(t) = text(index, file)
            && let Some((name, version)) = parse_release_line(t.lines().next().unwrap_or_default())
        {
            let lname = name.to_ascii_lowercase();
            let family = if lname.contains("centos") {
                "centos"
            } else if lname.contains("rocky") {
                "rocky"
            } else if lname.contains("alma") {
                "alma"
            } else if lname.contains("oracle") {
                "oracle"
            } else if lname.contains("fedora") {
                "fedora"
            } else if lname.contains("amazon") {
                "amazon"
            } else if lname.contains("red hat") {
                "redhat"
            } else {
                default_family
            };
            return Some(OsInfo {
                family: family.into(),
                version,
                pretty_name: Some(t.lines().next().unwrap_or_default().to_string()),
                codename: None,
                source: file.into(),
                repository: None,
            });
        }
    }
    if let Some(v) = text(index, "etc/debian_version") {
        return Some(OsInfo {
            family: "debian".into(),
            version: v,
            pretty_name: None,
            codename: None,
            source: "etc/debian_version".into(),
            repository: None,
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apk_repositories_release() {
        let r = |t: &str| apk_repository(t);
        assert_eq!(
            r(
                "https://dl-cdn.alpinelinux.org/alpine/v3.19/main\nhttps://dl-cdn.alpinelinux.org/alpine/v3.19/community\n"
            ),
            Some("3.19".into())
        );
        assert_eq!(
            r("http://x/alpine/v3.9/main\nhttp://x/alpine/v3.10/main\n"),
            Some("3.10".into()),
            "numeric order, not text order"
        );
        assert_eq!(
            r("https://x/alpine/v3.16/main\nhttps://x/alpine/edge/testing\n"),
            Some("edge".into())
        );
        assert_eq!(r("# https://x/alpine/edge/main\n/local/repo\n"), None);
        assert_eq!(r("https://packages.wolfi.dev/os/x86_64\n"), None);
        assert_eq!(
            r("https://x/alpine/v3.19/main\nhttps://y/postmarketos/v23.12/main\n"),
            None
        );
        assert_eq!(r(""), None);
    }
    use bulkhead_image::index::{FileEntry, FileKind, LayerInfo};
    use bulkhead_image::walk::LayerFacts;

    fn index_with(files: &[(&str, &str)]) -> ImageIndex {
        let mut idx = ImageIndex::new();
        idx.apply_layer(
            LayerInfo {
                diff_id: "l0".into(),
                digest: None,
                created_by: None,
            },
            LayerFacts {
                entries: files
                    .iter()
                    .map(|(p, d)| FileEntry {
                        path: p.to_string(),
                        kind: FileKind::File,
                        mode: 0o644,
                        uid: 0,
                        gid: 0,
                        size: d.len() as u64,
                        link: None,
                        layer: 0,
                    })
                    .collect(),
                contents: files
                    .iter()
                    .map(|(p, d)| (p.to_string(), d.as_bytes().to_vec()))
                    .collect(),
                ..Default::default()
            },
        )
        .unwrap();
        idx
    }

    #[test]
    fn suse_families_use_trivy_0_58_names() {
        assert_eq!(family_of("opensuse-leap"), "opensuse-leap");
        assert_eq!(family_of("opensuse"), "opensuse-leap");
        assert_eq!(family_of("opensuse-tumbleweed"), "opensuse-tumbleweed");
        assert_eq!(family_of("sles"), "sles");
        assert_eq!(family_of("sle-micro-rancher"), "slem");
        assert_eq!(family_of("arch"), "arch");
    }

    #[test]
    fn debian_version_wins_even_for_sid() {
        for (dv, want) in [("8.11\n", "8.11"), ("trixie/sid\n", "trixie/sid")] {
            let os = detect(&index_with(&[
                ("etc/os-release", "ID=debian\nVERSION_CODENAME=trixie\n"),
                ("etc/debian_version", dv),
            ]))
            .unwrap();
            assert_eq!((os.family.as_str(), os.version.as_str()), ("debian", want));
            assert_eq!(os.source, "etc/debian_version");
        }
    }

    #[test]
    fn empty_codename_is_none() {
        let os = detect(&index_with(&[(
            "etc/os-release",
            "ID=fedora\nVERSION_ID=31\nVERSION_CODENAME=\"\"\nPRETTY_NAME=\"\"\n",
        )]))
        .unwrap();
        assert_eq!((os.family.as_str(), os.version.as_str()), ("fedora", "31"));
        assert_eq!(os.codename, None);
        assert_eq!(os.pretty_name, None);
    }
}
