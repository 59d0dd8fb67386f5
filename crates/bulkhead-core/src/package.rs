//! Installed packages and the files they own.

use serde::{Deserialize, Serialize};

/// What kind of package database a package came from. Maps 1:1 to a purl type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PackageKind {
    Deb,
    Apk,
    Rpm,
    /// Python distribution (wheel `.dist-info` or egg `.egg-info`) installed in a site-packages dir.
    PyPI,
    /// Node.js package (a `package.json` with name and version: installed under `node_modules/`,
    /// or an application's own manifest; or locked in a project's lockfile).
    Npm,
    /// Go module (a project's `go.mod` requirement).
    Golang,
    /// Rust crate (a project's `Cargo.lock` package, or a cargo-auditable binary's).
    Cargo,
    /// Java archive (Maven coordinates `group:artifact`: a jar's `pom.properties`/manifest).
    Maven,
    /// Ruby gem (an installed gemspec, or a `Gemfile.lock` spec).
    Gem,
    /// PHP package (Composer's `installed.json` or `composer.lock`; name `vendor/name`).
    Composer,
    /// .NET package (NuGet: `*.deps.json`, `packages.lock.json`, `packages.config`).
    NuGet,
}

impl PackageKind {
    /// The purl type (`deb`, `apk`, `rpm`, `pypi`, `npm`, `golang`, `cargo`, `maven`, `gem`,
    /// `composer`, `nuget`).
    pub fn purl_type(self) -> &'static str {
        match self {
            PackageKind::Deb => "deb",
            PackageKind::Apk => "apk",
            PackageKind::Rpm => "rpm",
            PackageKind::PyPI => "pypi",
            PackageKind::Npm => "npm",
            PackageKind::Golang => "golang",
            PackageKind::Cargo => "cargo",
            PackageKind::Maven => "maven",
            PackageKind::Gem => "gem",
            PackageKind::Composer => "composer",
            PackageKind::NuGet => "nuget",
        }
    }

    /// Whether this is an operating-system package (as opposed to a language package).
    pub fn is_os(self) -> bool {
        matches!(self, PackageKind::Deb | PackageKind::Apk | PackageKind::Rpm)
    }
}

/// One installed package. Versions are kept split the way each ecosystem's advisories key them:
/// dpkg `epoch:upstream-revision` → `epoch` + `version` (upstream-revision, what Trivy shows);
/// rpm `epoch:version-release` → `epoch` + `version` + `release`; apk `version` (with `-rN`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Package {
    pub kind: Option<PackageKind>,
    pub name: String,
    /// Version without epoch (dpkg: upstream-revision; rpm: version only; apk: full version).
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<u32>,
    /// rpm release.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// Source package (dpkg `Source:`, rpm SOURCERPM name, apk origin).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub src_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub src_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub src_epoch: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub src_release: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintainer: Option<String>,
    /// The layer (diff id) that last wrote this package's database entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    /// Path of the package database the package was read from (`var/lib/dpkg/status`).
    pub db_path: String,
    /// Files this package owns, absolute (`/usr/bin/ls`), as recorded by the package manager.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
    /// A development-only dependency (a lockfile's `dev`): reported only when asked for
    /// (`--include-dev-deps`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dev: bool,
    /// The packages this one depends on, as `name@version` of packages of the same source (a
    /// lockfile's resolved dependencies), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// Facts of the package's source that have no field of their own, by name: a Go binary's
    /// main module carries `GoVersion` (the toolchain) and each build setting as
    /// `GoBuildSetting:<key>` (`-trimpath`, `CGO_ENABLED`, `vcs.revision`, …). SBOMs emit them as
    /// properties.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub properties: std::collections::BTreeMap<String, String>,
}

impl Package {
    /// The full version as its ecosystem writes it: `epoch:version-release` with the parts that exist.
    pub fn full_version(&self) -> String {
        let mut v = String::new();
        if let Some(e) = self.epoch.filter(|e| *e > 0) {
            v.push_str(&format!("{e}:"));
        }
        v.push_str(&self.version);
        if let Some(r) = &self.release {
            v.push('-');
            v.push_str(r);
        }
        v
    }

    /// Version without epoch as shown in SBOMs (`version-release`).
    pub fn display_version(&self) -> String {
        match &self.release {
            Some(r) => format!("{}-{}", self.version, r),
            None => self.version.clone(),
        }
    }

    /// Stable identity inside one image: `type:name@full_version:arch`.
    pub fn key(&self) -> String {
        format!(
            "{}:{}@{}:{}",
            self.kind.map(|k| k.purl_type()).unwrap_or("unknown"),
            self.name,
            self.full_version(),
            self.arch.as_deref().unwrap_or("")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compose() {
        let p = Package {
            kind: Some(PackageKind::Rpm),
            name: "openssl".into(),
            version: "3.0.7".into(),
            epoch: Some(1),
            release: Some("25.el9".into()),
            ..Default::default()
        };
        assert_eq!(p.full_version(), "1:3.0.7-25.el9");
        assert_eq!(p.display_version(), "3.0.7-25.el9");
        let d = Package {
            version: "1.2-3".into(),
            epoch: Some(0),
            ..Default::default()
        };
        assert_eq!(d.full_version(), "1.2-3");
    }

    #[test]
    fn only_os_kinds_are_os() {
        assert!(PackageKind::Deb.is_os() && PackageKind::Apk.is_os() && PackageKind::Rpm.is_os());
        assert!(!PackageKind::PyPI.is_os());
        assert_eq!(PackageKind::PyPI.purl_type(), "pypi");
    }
}
