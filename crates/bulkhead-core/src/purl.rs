//! Package URLs (purl spec) for installed packages, built with the `packageurl` crate.
//!
//! Shape follows the purl spec and what Trivy emits, so SBOMs line up:
//! `pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12.5`,
//! `pkg:rpm/redhat/bash@5.1.8-6.el9?arch=x86_64&distro=redhat-9.2&epoch=1`,
//! `pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=3.19.1`.
//! The epoch goes in an `epoch` qualifier (never in the version) and qualifiers are sorted by key.

use crate::{OsInfo, Package, PackageKind};
use packageurl::PackageUrl;

/// The purl namespace for an OS family (`debian`, `ubuntu`, `alpine`, `redhat`, …).
fn namespace(kind: PackageKind, os: Option<&OsInfo>) -> String {
    match (kind, os) {
        // Trivy (checked with 0.59.1 on an SLES 15 tree) names every SUSE family's namespace `suse`.
        (_, Some(os))
            if os.family.starts_with("sles")
                || os.family.starts_with("opensuse")
                || os.family == "slem" =>
        {
            "suse".into()
        }
        (_, Some(os)) if !os.family.is_empty() => os.family.clone(),
        (PackageKind::Deb, _) => "debian".into(),
        (PackageKind::Apk, _) => "alpine".into(),
        (PackageKind::Rpm, _) => "redhat".into(),
    }
}

/// Build the purl of an OS package. Returns `None` for packages with no kind or no name.
pub fn package_purl(pkg: &Package, os: Option<&OsInfo>) -> Option<String> {
    let kind = pkg.kind?;
    if pkg.name.is_empty() {
        return None;
    }
    let ns = namespace(kind, os);
    let mut purl = PackageUrl::new(kind.purl_type(), pkg.name.as_str()).ok()?;
    purl.with_namespace(ns.as_str());
    let version = pkg.display_version();
    if !version.is_empty() {
        purl.with_version(version.as_str());
    }
    let mut qualifiers: Vec<(&str, String)> = Vec::new();
    if let Some(arch) = pkg.arch.as_deref().filter(|a| !a.is_empty()) {
        qualifiers.push(("arch", arch.to_string()));
    }
    if let Some(os) = os {
        // Trivy writes Alpine's distro qualifier as the bare version; others as family-version.
        let distro = if kind == PackageKind::Apk {
            os.version.clone()
        } else {
            os.distro_qualifier()
        };
        if !distro.is_empty() {
            qualifiers.push(("distro", distro));
        }
    }
    if let Some(e) = pkg.epoch.filter(|e| *e > 0) {
        qualifiers.push(("epoch", e.to_string()));
    }
    qualifiers.sort();
    for (k, v) in qualifiers {
        purl.add_qualifier(k, v).ok()?;
    }
    Some(purl.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(family: &str, version: &str) -> OsInfo {
        OsInfo {
            family: family.into(),
            version: version.into(),
            pretty_name: None,
            codename: None,
            source: "etc/os-release".into(),
        }
    }

    #[test]
    fn deb_purl_matches_spec_example() {
        let p = Package {
            kind: Some(PackageKind::Deb),
            name: "openssl".into(),
            version: "3.0.11-1~deb12u2".into(),
            arch: Some("amd64".into()),
            ..Default::default()
        };
        assert_eq!(
            package_purl(&p, Some(&os("debian", "12"))).unwrap(),
            "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"
        );
    }

    #[test]
    fn rpm_epoch_is_a_qualifier() {
        let p = Package {
            kind: Some(PackageKind::Rpm),
            name: "bash".into(),
            version: "5.1.8".into(),
            release: Some("6.el9".into()),
            epoch: Some(1),
            arch: Some("x86_64".into()),
            ..Default::default()
        };
        assert_eq!(
            package_purl(&p, Some(&os("redhat", "9.2"))).unwrap(),
            "pkg:rpm/redhat/bash@5.1.8-6.el9?arch=x86_64&distro=redhat-9.2&epoch=1"
        );
    }

    #[test]
    fn suse_families_share_a_namespace() {
        let p = Package {
            kind: Some(PackageKind::Rpm),
            name: "bash".into(),
            version: "4.4".into(),
            release: Some("19.6.1".into()),
            arch: Some("x86_64".into()),
            ..Default::default()
        };
        assert_eq!(
            package_purl(&p, Some(&os("sles", "15.2"))).unwrap(),
            "pkg:rpm/suse/bash@4.4-19.6.1?arch=x86_64&distro=sles-15.2"
        );
        assert!(
            package_purl(&p, Some(&os("opensuse-leap", "15.5")))
                .unwrap()
                .starts_with("pkg:rpm/suse/")
        );
    }

    #[test]
    fn special_characters_are_encoded() {
        let p = Package {
            kind: Some(PackageKind::Deb),
            name: "libstdc++6".into(),
            version: "12.2.0-14".into(),
            ..Default::default()
        };
        let s = package_purl(&p, None).unwrap();
        assert!(
            s.starts_with("pkg:deb/debian/libstdc%2B%2B6@12.2.0-14"),
            "{s}"
        );
    }
}
