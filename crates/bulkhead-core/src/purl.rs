//! Package URLs (purl spec) for installed packages, built with the `packageurl` crate.
//!
//! Shape follows the purl spec and what Trivy emits, so SBOMs line up:
//! `pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12.5`,
//! `pkg:rpm/redhat/bash@5.1.8-6.el9?arch=x86_64&distro=redhat-9.2&epoch=1`,
//! `pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=3.19.1`.
//! The epoch goes in an `epoch` qualifier (never in the version) and qualifiers are sorted by key.
//! Language packages carry no namespace and no distro qualifier: `pkg:pypi/django@2.2.28`, the name
//! normalised as PEP 503 (and the purl spec's pypi rules) require.

use crate::{OsInfo, Package, PackageKind};
use packageurl::PackageUrl;

/// PEP 503 normalised Python project name: lowercase, every run of `-`, `_` and `.` becomes one `-`
/// (`Jinja2` → `jinja2`, `zope.interface` → `zope-interface`, `Foo__Bar` → `foo-bar`).
pub fn pep503_normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_sep {
                out.push('-');
            }
            in_sep = true;
        } else {
            out.extend(c.to_lowercase());
            in_sep = false;
        }
    }
    out
}

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
        (_, _) => String::new(),
    }
}

/// The purl of a language package: no namespace, no OS qualifiers.
fn language_purl(kind: PackageKind, pkg: &Package) -> Option<String> {
    let name = match kind {
        PackageKind::PyPI => pep503_normalize(&pkg.name),
        _ => pkg.name.clone(),
    };
    if name.is_empty() {
        return None;
    }
    // npm scopes are the purl namespace: `@babel/core` → `pkg:npm/%40babel/core`.
    let (namespace, name) = match (kind, name.split_once('/')) {
        (PackageKind::Npm, Some((scope, n))) if scope.starts_with('@') => {
            (Some(scope.to_string()), n.to_string())
        }
        // A Go module path: all but its last element is the namespace
        // (`pkg:golang/github.com/open-policy-agent/opa@v0.35.0`).
        (PackageKind::Golang, Some(_)) => match name.rsplit_once('/') {
            Some((ns, n)) => (Some(ns.to_string()), n.to_string()),
            None => (None, name),
        },
        // `vendor/name` → `pkg:composer/vendor/name`.
        (PackageKind::Composer, Some((ns, n))) => (Some(ns.to_string()), n.to_string()),
        // `group:artifact` → `pkg:maven/group/artifact`.
        (PackageKind::Maven, _) => match name.split_once(':') {
            Some((g, a)) => (Some(g.to_string()), a.to_string()),
            None => (None, name),
        },
        _ => (None, name),
    };
    let mut purl = PackageUrl::new(kind.purl_type(), name.as_str()).ok()?;
    if let Some(ns) = &namespace {
        purl.with_namespace(ns.as_str());
    }
    let version = pkg.display_version();
    if !version.is_empty() {
        purl.with_version(version.as_str());
    }
    Some(purl.to_string())
}

/// Build the purl of a package (OS packages get the OS namespace and distro qualifier; language
/// packages neither). Returns `None` for packages with no kind or no name.
pub fn package_purl(pkg: &Package, os: Option<&OsInfo>) -> Option<String> {
    let kind = pkg.kind?;
    if pkg.name.is_empty() {
        return None;
    }
    if !kind.is_os() {
        return language_purl(kind, pkg);
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
            repository: None,
        }
    }

    #[test]
    fn golang_purls_as_trivy_writes_them() {
        let m = Package {
            kind: Some(PackageKind::Golang),
            name: "github.com/open-policy-agent/opa".into(),
            version: "v0.35.0".into(),
            ..Default::default()
        };
        assert_eq!(
            package_purl(&m, None).unwrap(),
            "pkg:golang/github.com/open-policy-agent/opa@v0.35.0"
        );
    }

    #[test]
    fn npm_purls_as_trivy_writes_them() {
        let npm = |name: &str, version: &str| Package {
            kind: Some(PackageKind::Npm),
            name: name.into(),
            version: version.into(),
            ..Default::default()
        };
        assert_eq!(
            package_purl(&npm("lodash", "4.17.15"), Some(&os("debian", "12"))).unwrap(),
            "pkg:npm/lodash@4.17.15"
        );
        assert_eq!(
            package_purl(&npm("@babel/code-frame", "7.0.0"), None).unwrap(),
            "pkg:npm/%40babel/code-frame@7.0.0"
        );
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

    fn pypi(name: &str, version: &str) -> Package {
        Package {
            kind: Some(PackageKind::PyPI),
            name: name.into(),
            version: version.into(),
            db_path: "/usr/lib/python3/dist-packages/x.dist-info/METADATA".into(),
            ..Default::default()
        }
    }

    #[test]
    fn pypi_purl_matches_spec_example() {
        // purl spec (PURL-TYPES.rst, pypi): `pkg:pypi/django@1.11.1`; no namespace, and an OS does not
        // add a distro qualifier to a language package.
        assert_eq!(
            package_purl(&pypi("Django", "2.2.28"), Some(&os("debian", "12"))).unwrap(),
            "pkg:pypi/django@2.2.28"
        );
        assert_eq!(
            package_purl(&pypi("django", "1.11.1"), None).unwrap(),
            "pkg:pypi/django@1.11.1"
        );
    }

    #[test]
    fn pypi_names_are_pep503_normalised() {
        assert_eq!(
            package_purl(&pypi("zope.interface", "6.1"), None).unwrap(),
            "pkg:pypi/zope-interface@6.1"
        );
        assert_eq!(
            package_purl(&pypi("Typing_Extensions", "4.9.0"), None).unwrap(),
            "pkg:pypi/typing-extensions@4.9.0"
        );
        assert_eq!(
            package_purl(&pypi("Foo._-Bar", "1.0+local.1"), None).unwrap(),
            "pkg:pypi/foo-bar@1.0%2Blocal.1"
        );
        for (raw, norm) in [
            ("Jinja2", "jinja2"),
            ("PyYAML", "pyyaml"),
            ("ruamel.yaml.clib", "ruamel-yaml-clib"),
            ("a--b__c..d", "a-b-c-d"),
            ("  six ", "six"),
        ] {
            assert_eq!(pep503_normalize(raw), norm, "{raw}");
        }
        assert_eq!(package_purl(&pypi("", "1"), None), None);
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
