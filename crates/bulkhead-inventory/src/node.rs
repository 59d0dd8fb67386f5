//! Node.js packages: every `package.json` in the image that names a package and its version, as
//! Trivy's node-pkg analyzer reads them (0.59: any file named `package.json`, wherever it is; one
//! package per file, skipped without `name` or `version`) — the installed modules under
//! `node_modules/` (scoped ones as `@scope/name`), nested copies at other versions, and the
//! application's own manifest. Each install is its own package (the same release in two
//! `node_modules` trees is two packages, as Trivy lists it).
//!
//! Fields read: `name`, `version`, and the licence from `license` (a string, or the legacy
//! `{"type": …}` object) or the legacy `licenses: [{"type": …}]` list. The rest of the manifest
//! (dependency ranges, scripts) is not package identity and is not read into the inventory.

use crate::{Ctx, FileWarnings, layer_of};
use bulkhead_core::{Package, PackageKind};
use bulkhead_image::ImageIndex;
use serde::Deserialize;

/// Whether `path` is a `package.json` (the only file this analyzer reads).
pub fn wants(path: &str) -> bool {
    path == "package.json" || path.ends_with("/package.json")
}

/// A licence as manifests write it: `"MIT"`, `{"type": "MIT", "url": …}`.
#[derive(Deserialize)]
#[serde(untagged)]
enum License {
    Name(String),
    Object {
        #[serde(rename = "type")]
        kind: Option<String>,
    },
    Other(serde::de::IgnoredAny),
}

impl License {
    fn name(self) -> Option<String> {
        match self {
            License::Name(s) => Some(s),
            License::Object { kind } => kind,
            License::Other(_) => None,
        }
    }
}

/// The fields of a manifest this analyzer uses (anything else is skipped unread).
#[derive(Deserialize, Default)]
pub struct Manifest {
    #[serde(default, deserialize_with = "string_or_none")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "string_or_none")]
    pub version: Option<String>,
    #[serde(default)]
    license: Option<License>,
    #[serde(default)]
    licenses: Option<Vec<License>>,
}

/// A string field, or nothing when the manifest has another type there (`"version": 1`).
fn string_or_none<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum S {
        S(String),
        Other(serde::de::IgnoredAny),
    }
    Ok(match S::deserialize(d)? {
        S::S(s) => Some(s),
        S::Other(_) => None,
    })
}

impl Manifest {
    /// Parse a manifest (JSON). Its size is bounded by the capture limits of the walk.
    pub fn parse(data: &[u8]) -> Result<Manifest, serde_json::Error> {
        serde_json::from_slice(data)
    }

    /// The licences: `license`, else the legacy `licenses` list.
    pub fn licenses(self) -> Vec<String> {
        match (self.license, self.licenses) {
            (Some(l), _) => l.name().into_iter().collect(),
            (None, Some(ls)) => ls.into_iter().filter_map(License::name).collect(),
            (None, None) => Vec::new(),
        }
        .into_iter()
        .filter(|l| !l.trim().is_empty())
        .collect()
    }
}

/// Add the Node.js packages of the index to `packages`.
pub(crate) fn analyze_ctx(index: &ImageIndex, packages: &mut Vec<Package>, ctx: &mut Ctx) {
    let paths = crate::captured_paths(index, wants);
    let mut fw = FileWarnings::default();
    for path in paths {
        let Some(m) = crate::parse_captured(
            index,
            ctx,
            &mut fw,
            path,
            "not a package manifest",
            Manifest::parse,
        ) else {
            continue;
        };
        let (Some(name), Some(version)) = (m.name.clone(), m.version.clone()) else {
            // Trivy skips these too: a manifest without identity (a sub-path helper such as
            // `rxjs/ajax/package.json`, a private app without a version) is no package.
            continue;
        };
        if name.trim().is_empty() || version.trim().is_empty() {
            continue;
        }
        let p = Package {
            kind: Some(PackageKind::Npm),
            name,
            version,
            licenses: m.licenses(),
            layer: layer_of(index, path),
            db_path: format!("/{path}"),
            ..Default::default()
        };
        crate::push_package(ctx, &mut fw, packages, p, path, "a Node.js package");
    }
    fw.finish(ctx, "package.json files");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wants_every_package_json() {
        assert!(wants("app/node_modules/lodash/package.json"));
        assert!(wants("app/node_modules/@babel/core/package.json"));
        assert!(wants("package.json"));
        assert!(!wants("app/node_modules/lodash/package.json.bak"));
        assert!(!wants("app/mypackage.json"));
    }

    #[test]
    fn manifests_as_npm_writes_them() {
        let m = Manifest::parse(
            br#"{"name":"@babel/code-frame","version":"7.0.0","license":"MIT","dependencies":{"x":"^1"}}"#,
        )
        .unwrap();
        assert_eq!(m.name.as_deref(), Some("@babel/code-frame"));
        assert_eq!(m.version.as_deref(), Some("7.0.0"));
        assert_eq!(m.licenses(), ["MIT"]);
        let legacy = Manifest::parse(
            br#"{"name":"a","version":"1.0.0","licenses":[{"type":"MIT"},{"type":"Apache-2.0"}]}"#,
        )
        .unwrap();
        assert_eq!(legacy.licenses(), ["MIT", "Apache-2.0"]);
        let obj =
            Manifest::parse(br#"{"name":"a","version":"1","license":{"type":"ISC"}}"#).unwrap();
        assert_eq!(obj.licenses(), ["ISC"]);
        // A helper manifest without identity, and one whose version is not a string.
        let helper = Manifest::parse(br#"{"main":"../ajax.js","typings":"x"}"#).unwrap();
        assert!(helper.name.is_none() && helper.version.is_none());
        let odd = Manifest::parse(br#"{"name":"a","version":1}"#).unwrap();
        assert!(odd.version.is_none());
        assert!(Manifest::parse(b"{not json").is_err());
    }
}
