//! SBOMs in: the packages of a CycloneDX (1.2–1.6 JSON) or SPDX 2.x JSON document as Bulkhead's own
//! packages, so they are matched exactly as a scanned image's are.
//!
//! Each component/package with a purl becomes a package of the purl's type (`deb`, `rpm`, `apk`,
//! `pypi`, `npm`, `golang`, `cargo`, `maven`, `gem`, `composer`, `nuget`); names take Bulkhead's
//! form (`@scope/name`, `group:artifact`, `vendor/name`, a Go module path). What OS advisories key
//! on is read where each producer writes it: the source package from Bulkhead's or Trivy's
//! `SrcName`/`SrcVersion`/`SrcRelease`/`SrcEpoch` properties, SPDX `sourceInfo`
//! (`built package from: glibc 2.36-9`), or Syft's `upstream` purl qualifier; the epoch from the
//! `epoch` qualifier. The OS from an `operating-system` component (SPDX: a package whose purpose is
//! `OPERATING-SYSTEM`), else from the `distro` qualifier of the OS packages' purls. Components
//! without a purl or with an unknown type are counted in a notice, never dropped silently.

use bulkhead_core::{OsInfo, Package, PackageKind};
use packageurl::PackageUrl;
use serde_json::Value;
use std::collections::BTreeMap;
use std::str::FromStr;

/// Largest SBOM read (an error past it).
pub const MAX_SBOM_BYTES: u64 = 256 << 20;

/// What an SBOM gives.
#[derive(Debug, Default)]
pub struct SbomContents {
    /// `CycloneDX 1.6`, `SPDX-2.3`.
    pub format: String,
    /// The subject's name (the image or directory the SBOM describes), when given.
    pub subject: Option<String>,
    pub os: Option<OsInfo>,
    pub packages: Vec<Package>,
    /// Components left out, and why.
    pub notices: Vec<String>,
}

/// Why an SBOM cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum SbomError {
    #[error("not JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error(
        "neither CycloneDX (`\"bomFormat\": \"CycloneDX\"`) nor SPDX (`\"spdxVersion\"`) JSON; \
         only JSON SBOMs are read"
    )]
    UnknownFormat,
    #[error("CycloneDX {0} is not supported (1.2 to 1.6 are)")]
    Version(String),
}

/// Parse an SBOM document.
pub fn parse(data: &[u8]) -> Result<SbomContents, SbomError> {
    let v: Value = serde_json::from_slice(data)?;
    if v.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
        cyclonedx(&v)
    } else if v.get("spdxVersion").and_then(Value::as_str).is_some() {
        Ok(spdx(&v))
    } else {
        Err(SbomError::UnknownFormat)
    }
}

/// Properties by their name without the producer's prefix (`bulkhead:SrcName`,
/// `aquasecurity:trivy:SrcName` → `SrcName`).
fn properties(c: &Value) -> BTreeMap<String, String> {
    c.get("properties")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| {
            let name = p.get("name")?.as_str()?;
            let value = p.get("value")?.as_str()?;
            let short = name
                .strip_prefix("bulkhead:")
                .or_else(|| name.strip_prefix("aquasecurity:trivy:"))?;
            Some((short.to_string(), value.to_string()))
        })
        .collect()
}

fn cyclonedx(v: &Value) -> Result<SbomContents, SbomError> {
    let spec = v
        .get("specVersion")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if !matches!(spec.as_str(), "1.2" | "1.3" | "1.4" | "1.5" | "1.6") {
        return Err(SbomError::Version(spec));
    }
    let mut out = SbomContents {
        format: format!("CycloneDX {spec}"),
        subject: v
            .pointer("/metadata/component/name")
            .and_then(Value::as_str)
            .map(String::from),
        ..Default::default()
    };
    // Depth first, in document order (the first OS package's `distro` names the OS).
    let mut stack: Vec<&Value> = v
        .get("components")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .rev()
        .collect();
    let (mut no_purl, mut unknown) = (0usize, BTreeMap::<String, usize>::new());
    let mut os_purls: Vec<String> = Vec::new();
    while let Some(c) = stack.pop() {
        if let Some(children) = c.get("components").and_then(Value::as_array) {
            stack.extend(children.iter().rev());
        }
        let kind = c.get("type").and_then(Value::as_str).unwrap_or("");
        if kind == "operating-system" {
            if let (Some(name), Some(version)) = (
                c.get("name").and_then(Value::as_str),
                c.get("version").and_then(Value::as_str),
            ) {
                out.os = Some(os_info(
                    name,
                    version,
                    "CycloneDX operating-system component",
                ));
            }
            continue;
        }
        let Some(purl) = c.get("purl").and_then(Value::as_str) else {
            if matches!(kind, "library" | "application" | "framework") {
                no_purl += 1;
            }
            continue;
        };
        let props = properties(c);
        let given = c.get("name").and_then(Value::as_str);
        match package(purl, &props, None, given) {
            Ok(p) => {
                if p.kind.is_some_and(|k| k.is_os()) {
                    os_purls.push(purl.to_string());
                }
                out.packages.push(p)
            }
            Err(t) => *unknown.entry(t).or_default() += 1,
        }
    }
    finish(&mut out, no_purl, unknown, &os_purls);
    Ok(out)
}

fn spdx(v: &Value) -> SbomContents {
    let mut out = SbomContents {
        format: v
            .get("spdxVersion")
            .and_then(Value::as_str)
            .unwrap_or("SPDX")
            .to_string(),
        subject: v.get("name").and_then(Value::as_str).map(String::from),
        ..Default::default()
    };
    let (mut no_purl, mut unknown) = (0usize, BTreeMap::<String, usize>::new());
    let mut os_purls: Vec<String> = Vec::new();
    for p in v
        .get("packages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let purpose = p
            .get("primaryPackagePurpose")
            .and_then(Value::as_str)
            .unwrap_or("");
        if purpose == "OPERATING-SYSTEM" || purpose == "OPERATING_SYSTEM" {
            if let (Some(name), Some(version)) = (
                p.get("name").and_then(Value::as_str),
                p.get("versionInfo").and_then(Value::as_str),
            ) {
                out.os = Some(os_info(name, version, "SPDX operating-system package"));
            }
            continue;
        }
        let purl = p
            .get("externalRefs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|r| r.get("referenceType").and_then(Value::as_str) == Some("purl"))
            .and_then(|r| r.get("referenceLocator").and_then(Value::as_str));
        let Some(purl) = purl else {
            if !matches!(purpose, "CONTAINER" | "FILE" | "OPERATING-SYSTEM") {
                no_purl += 1;
            }
            continue;
        };
        // `built package from: <source name> <source version>` (Bulkhead, Trivy).
        let source = p
            .get("sourceInfo")
            .and_then(Value::as_str)
            .and_then(|s| s.strip_prefix("built package from: "))
            .and_then(|s| s.split_once(' '))
            .map(|(n, v)| (n.to_string(), v.to_string()));
        // `package found in: <path>` (Bulkhead's language packages).
        let mut props = BTreeMap::new();
        if let Some(path) = p
            .get("sourceInfo")
            .and_then(Value::as_str)
            .and_then(|s| s.strip_prefix("package found in: "))
        {
            props.insert("DBPath".to_string(), path.to_string());
        }
        match package(purl, &props, source, p.get("name").and_then(Value::as_str)) {
            Ok(p) => {
                if p.kind.is_some_and(|k| k.is_os()) {
                    os_purls.push(purl.to_string());
                }
                out.packages.push(p)
            }
            Err(t) => *unknown.entry(t).or_default() += 1,
        }
    }
    finish(&mut out, no_purl, unknown, &os_purls);
    out
}

fn finish(
    out: &mut SbomContents,
    no_purl: usize,
    unknown: BTreeMap<String, usize>,
    os_purls: &[String],
) {
    if out.os.is_none() {
        out.os = os_from_purls(os_purls.iter().map(String::as_str));
    }
    if no_purl > 0 {
        out.notices.push(format!(
            "{no_purl} components have no purl: they are not matched"
        ));
    }
    for (t, n) in unknown {
        out.notices.push(format!(
            "{n} components of purl type `{t}` are not matched (no advisory source for it)"
        ));
    }
}

fn os_info(name: &str, version: &str, source: &str) -> OsInfo {
    // os-release IDs (what Syft writes) as Bulkhead (and Trivy) name the families.
    let id = name.to_ascii_lowercase();
    OsInfo {
        family: bulkhead_inventory::os::family_of(&id).to_string(),
        version: version.to_string(),
        pretty_name: None,
        codename: None,
        source: source.to_string(),
        repository: None,
    }
}

/// The package a purl names; `Err(type)` for a type without advisories here.
fn package(
    purl: &str,
    props: &BTreeMap<String, String>,
    spdx_source: Option<(String, String)>,
    given_name: Option<&str>,
) -> Result<Package, String> {
    let u = PackageUrl::from_str(purl).map_err(|_| "invalid purl".to_string())?;
    let kind = match u.ty() {
        "deb" => PackageKind::Deb,
        "rpm" => PackageKind::Rpm,
        "apk" => PackageKind::Apk,
        "pypi" => PackageKind::PyPI,
        "npm" => PackageKind::Npm,
        "golang" => PackageKind::Golang,
        "cargo" => PackageKind::Cargo,
        "maven" => PackageKind::Maven,
        "gem" => PackageKind::Gem,
        "composer" => PackageKind::Composer,
        "nuget" => PackageKind::NuGet,
        other => return Err(other.to_string()),
    };
    let q: BTreeMap<&str, &str> = u
        .qualifiers()
        .iter()
        .map(|(k, v)| (k.as_ref(), v.as_ref()))
        .collect();
    let ns = u.namespace().unwrap_or("");
    let name = match kind {
        PackageKind::Npm | PackageKind::Golang | PackageKind::Composer if !ns.is_empty() => {
            format!("{ns}/{}", u.name())
        }
        PackageKind::Maven if !ns.is_empty() => format!("{ns}:{}", u.name()),
        // A PyPI purl's name is normalised (`flask`); the component's keeps how the project
        // writes it (`Flask`), as a scan reports it.
        PackageKind::PyPI => match given_name {
            Some(g) if bulkhead_core::purl::pep503_normalize(g) == u.name() => g.to_string(),
            _ => u.name().to_string(),
        },
        _ => u.name().to_string(),
    };
    let full = u.version().unwrap_or("").to_string();
    let epoch = q
        .get("epoch")
        .and_then(|e| e.parse().ok())
        .or_else(|| props.get("Epoch").and_then(|e| e.parse().ok()));
    let mut p = Package {
        kind: Some(kind),
        name,
        version: full.clone(),
        epoch: epoch.filter(|e| *e > 0),
        arch: q.get("arch").map(|a| a.to_string()),
        db_path: props
            .get("DBPath")
            .or_else(|| props.get("FilePath"))
            .cloned()
            .unwrap_or_default(),
        ..Default::default()
    };
    if kind == PackageKind::Rpm
        && let Some((v, r)) = full.rsplit_once('-')
    {
        p.version = v.to_string();
        p.release = Some(r.to_string());
    }
    // The source package: properties, SPDX sourceInfo, Syft's `upstream` qualifier.
    let upstream = q.get("upstream").map(|u| match u.split_once('@') {
        Some((n, v)) => (n.to_string(), Some(v.to_string())),
        None => (u.to_string(), None),
    });
    let (src_name, src_version) = match (props.get("SrcName"), spdx_source, upstream) {
        // Trivy splits a Debian or Alpine source version into `SrcVersion` and `SrcRelease`.
        (Some(n), _, _) if kind != PackageKind::Rpm => {
            let v = match (props.get("SrcVersion"), props.get("SrcRelease")) {
                (Some(v), Some(r)) if !r.is_empty() => Some(format!("{v}-{r}")),
                (v, _) => v.cloned(),
            };
            (Some(n.clone()), v)
        }
        (Some(n), _, _) => (Some(n.clone()), props.get("SrcVersion").cloned()),
        (None, Some((n, v)), _) => (Some(n), Some(v)),
        (None, None, Some((n, v))) if kind == PackageKind::Rpm => {
            // `openssl-3.0.7-16.el9.src.rpm`: name-version-release.
            let stem = n.trim_end_matches(".src.rpm");
            let mut parts = stem.rsplitn(3, '-');
            let (rel, ver, name) = (parts.next(), parts.next(), parts.next());
            match (name, ver, rel) {
                (Some(name), Some(ver), Some(rel)) => {
                    (Some(name.to_string()), Some(format!("{ver}-{rel}")))
                }
                _ => (Some(stem.to_string()), v),
            }
        }
        (None, None, Some((n, v))) => (Some(n), v),
        (None, None, None) => (None, None),
    };
    if kind.is_os() {
        p.src_name = src_name;
        p.src_epoch = props
            .get("SrcEpoch")
            .and_then(|e| e.parse().ok())
            .filter(|e| *e > 0);
        // A source version may carry its epoch (`1:2.3-4`, SPDX `sourceInfo`).
        let src_version = src_version.map(|sv| match sv.split_once(':') {
            Some((e, v)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => {
                if let Ok(e) = e.parse::<u32>()
                    && e > 0
                {
                    p.src_epoch = Some(e);
                }
                v.to_string()
            }
            _ => sv,
        });
        match (kind, src_version) {
            // rpm: version-release of the source, split like the binary's.
            (PackageKind::Rpm, Some(sv)) => match props.get("SrcRelease") {
                Some(r) => {
                    p.src_version = Some(sv);
                    p.src_release = Some(r.clone());
                }
                None => match sv.rsplit_once('-') {
                    Some((v, r)) => {
                        p.src_version = Some(v.to_string());
                        p.src_release = Some(r.to_string());
                    }
                    None => p.src_version = Some(sv),
                },
            },
            (_, Some(sv)) => p.src_version = Some(sv),
            (_, None) => {}
        }
    }
    Ok(p)
}

/// The OS a set of OS packages' `distro` qualifiers name (`debian-12.5` → debian 12.5), for SBOMs
/// without an operating-system component.
pub fn os_from_purls<'a>(purls: impl IntoIterator<Item = &'a str>) -> Option<OsInfo> {
    purls.into_iter().find_map(|purl| {
        let u = PackageUrl::from_str(purl).ok()?;
        if !matches!(u.ty(), "deb" | "rpm" | "apk") {
            return None;
        }
        let d = u
            .qualifiers()
            .iter()
            .find(|(k, _)| k.as_ref() == "distro")?
            .1
            .to_string();
        let (family, version) = d.split_once('-')?;
        Some(os_info(family, version, "purl distro qualifier"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Syft writes the source package in the purl's `upstream` qualifier (and the OS only in the
    /// `distro` qualifier when its SBOM has no OS component).
    #[test]
    fn syft_style_purls() {
        let doc = br#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[
          {"type":"library","name":"libssl3","version":"3.0.11-1~deb12u2",
           "purl":"pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&upstream=openssl&distro=debian-12"},
          {"type":"library","name":"libgcc-s1","version":"12.2.0-14",
           "purl":"pkg:deb/debian/libgcc-s1@12.2.0-14?arch=amd64&upstream=gcc-12%4012.2.0-14&distro=debian-12"},
          {"type":"library","name":"openssl-libs","version":"1:3.0.7-16.el9",
           "purl":"pkg:rpm/redhat/openssl-libs@3.0.7-16.el9?arch=x86_64&epoch=1&upstream=openssl-3.0.7-16.el9.src.rpm&distro=rhel-9.2"},
          {"type":"library","name":"Jinja2","version":"3.1.2","purl":"pkg:pypi/jinja2@3.1.2"},
          {"type":"library","name":"core","version":"7.20.5","purl":"pkg:npm/%40babel/core@7.20.5"},
          {"type":"library","name":"x","version":"1","purl":"pkg:hex/x@1"},
          {"type":"library","name":"nopurl","version":"1"}]}"#;
        let s = parse(doc).unwrap();
        let os = s.os.as_ref().unwrap();
        assert_eq!((os.family.as_str(), os.version.as_str()), ("debian", "12"));
        let by = |n: &str| s.packages.iter().find(|p| p.name == n).unwrap();
        let ssl = by("libssl3");
        assert_eq!(ssl.src_name.as_deref(), Some("openssl"));
        assert_eq!(ssl.src_version, None);
        let gcc = by("libgcc-s1");
        assert_eq!(
            (gcc.src_name.as_deref(), gcc.src_version.as_deref()),
            (Some("gcc-12"), Some("12.2.0-14"))
        );
        let rpm = by("openssl-libs");
        assert_eq!(
            (rpm.version.as_str(), rpm.release.as_deref(), rpm.epoch),
            ("3.0.7", Some("16.el9"), Some(1))
        );
        assert_eq!(
            (
                rpm.src_name.as_deref(),
                rpm.src_version.as_deref(),
                rpm.src_release.as_deref()
            ),
            (Some("openssl"), Some("3.0.7"), Some("16.el9"))
        );
        assert_eq!(by("Jinja2").kind, Some(PackageKind::PyPI));
        assert_eq!(by("@babel/core").version, "7.20.5");
        assert_eq!(s.packages.len(), 5);
        assert!(
            s.notices
                .iter()
                .any(|n| n.contains("1 components have no purl"))
        );
        assert!(s.notices.iter().any(|n| n.contains("`hex`")));
        let rhel = os_from_purls(["pkg:rpm/redhat/bash@5.1.8-6.el9?distro=rhel-9.2"]).unwrap();
        assert_eq!(
            (rhel.family.as_str(), rhel.version.as_str()),
            ("redhat", "9.2")
        );
    }
}
