//! Java archives (`.jar`, `.war`, `.ear`, `.par`), read in images and directories without a
//! Maven database (offline), as Trivy's jar analyzer reads them up to its database lookups:
//!
//! - every `pom.properties` in the archive (`META-INF/maven/<group>/<artifact>/pom.properties`)
//!   with `groupId`, `artifactId` and `version` is an artifact — a shaded ("uber") jar lists every
//!   artifact embedded in it;
//! - nested archives (`BOOT-INF/lib/*.jar`, `WEB-INF/lib/*.jar`, an `.ear`'s modules) are read
//!   the same way, to [`MAX_DEPTH`] levels; their artifacts are named by the path inside the outer
//!   archive, Java's way: `/app/app.war!/WEB-INF/lib/x.jar`;
//! - an archive whose own artifact is not among its `pom.properties` (matched by the
//!   `artifactId-version.jar` file name) is identified from its `MANIFEST.MF` (group from
//!   `Implementation-Vendor-Id`, else `Bundle-SymbolicName` without its last part, else a vendor
//!   that is a reverse domain name; artifact from `Implementation-Title`, `Specification-Title`
//!   or `Bundle-Name`; version from `Implementation-Version`, `Specification-Version` or
//!   `Bundle-Version`) when those give a usable Maven coordinate. Trivy goes on to ask its Java
//!   database (by SHA-1 or artifact id) for the rest; without one, an archive with no coordinates
//!   is counted in a warning, never guessed.
//!
//! Bounded: nesting depth, bytes decompressed per top-level archive ([`MAX_INFLATED`], zip bombs
//! stop there), entries per archive, and the size of each metadata file read.

use serde::{Deserialize, Serialize};
use std::io::{Read, Seek};

/// Deepest nesting read (an archive inside an archive is depth 1).
pub const MAX_DEPTH: usize = 8;
/// Most bytes decompressed for one top-level archive (nested archives and metadata files).
pub const MAX_INFLATED: u64 = 256 << 20;
/// Most entries looked at per archive.
pub const MAX_ENTRIES: usize = 200_000;
/// Largest `pom.properties` or `MANIFEST.MF` read.
const MAX_META: u64 = 1 << 20;

/// One artifact found in an archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artifact {
    pub group: String,
    pub artifact: String,
    pub version: String,
    /// Where inside the top-level archive (`""` for the archive itself, else
    /// `!/WEB-INF/lib/x.jar`, `!/a.jar!/b.jar`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub inner: String,
}

/// What one top-level archive holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Archive {
    pub artifacts: Vec<Artifact>,
    /// Archives (this one or nested, by inner path) with no Maven coordinates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unidentified: Vec<String>,
    /// Bounds hit (depth, bytes, entries), unreadable nested archives.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

/// Whether `path` names a Java archive (by extension, any case).
pub fn wants(path: &str) -> bool {
    let ext = path.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    ["jar", "war", "ear", "par"]
        .iter()
        .any(|e| ext.eq_ignore_ascii_case(e))
}

/// `artifactId-version.jar` as Trivy reads a file name
/// (`^([a-zA-Z0-9\._-]*[^-*])-(\d\S*(?:-SNAPSHOT)?).jar$`: the artifact part is greedy, so the
/// last `-<digit>` that leaves a valid artifact id splits).
fn name_props(file: &str) -> Option<(String, String)> {
    let stem = file.strip_suffix(".jar")?;
    let class = |c: char| c.is_ascii_alphanumeric() || "._-".contains(c);
    let splits = stem
        .char_indices()
        .filter(|&(i, c)| c == '-' && stem[i + 1..].starts_with(|d: char| d.is_ascii_digit()));
    let found = splits.map(|(i, _)| i).collect::<Vec<_>>();
    for &i in found.iter().rev() {
        let (a, v) = (&stem[..i], &stem[i + 1..]);
        let Some(last) = a.chars().last() else {
            continue;
        };
        let head = &a[..a.len() - last.len_utf8()];
        if head.chars().all(class) && last != '-' && last != '*' && !v.contains(char::is_whitespace)
        {
            return Some((a.to_string(), v.to_string()));
        }
    }
    None
}

fn pom_properties(text: &str) -> Option<(String, String, String)> {
    let (mut g, mut a, mut v) = (String::new(), String::new(), String::new());
    for line in text.lines() {
        let line = line.trim();
        if let Some(x) = line.strip_prefix("groupId=") {
            g = x.trim().to_string();
        } else if let Some(x) = line.strip_prefix("artifactId=") {
            a = x.trim().to_string();
        } else if let Some(x) = line.strip_prefix("version=") {
            v = x.trim().to_string();
        }
    }
    (!g.is_empty() && !a.is_empty() && !v.is_empty()).then_some((g, a, v))
}

/// The main attributes of a manifest (continuation lines joined).
fn manifest(text: &str) -> std::collections::HashMap<String, String> {
    let mut out = std::collections::HashMap::new();
    let mut last: Option<String> = None;
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            break; // end of the main section
        }
        if let Some(cont) = line.strip_prefix(' ') {
            if let Some(k) = &last
                && let Some(v) = out.get_mut(k)
            {
                let v: &mut String = v;
                v.push_str(cont);
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            out.insert(k.trim().to_string(), v.trim().to_string());
            last = Some(k.trim().to_string());
        }
    }
    out
}

/// A Maven group or artifact id as written in coordinates (no spaces, no odd characters).
fn coordinate(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

fn manifest_props(
    m: &std::collections::HashMap<String, String>,
) -> Option<(String, String, String)> {
    let get = |k: &str| m.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let symbolic = get("Bundle-SymbolicName").map(|s| s.split(';').next().unwrap_or(s).trim());
    let group = get("Implementation-Vendor-Id")
        .map(String::from)
        .or_else(|| symbolic.and_then(|s| s.rsplit_once('.').map(|(g, _)| g.to_string())))
        .or_else(|| {
            [get("Implementation-Vendor"), get("Specification-Vendor")]
                .into_iter()
                .flatten()
                .find(|v| coordinate(v) && v.contains('.'))
                .map(String::from)
        })?;
    let artifact = get("Implementation-Title")
        .or_else(|| get("Specification-Title"))
        .or_else(|| get("Bundle-Name"))?;
    let version = get("Implementation-Version")
        .or_else(|| get("Specification-Version"))
        .or_else(|| get("Bundle-Version"))?;
    (coordinate(&group) && coordinate(artifact) && !version.contains(char::is_whitespace))
        .then(|| (group, artifact.to_string(), version.to_string()))
}

struct Walk {
    inflated: u64,
    /// The decompression budget ran out (said once).
    spent: bool,
    out: Archive,
}

impl Walk {
    fn read_entry(
        &mut self,
        f: &mut zip::read::ZipFile<'_, impl Read>,
        max: u64,
    ) -> Option<Vec<u8>> {
        let left = MAX_INFLATED.saturating_sub(self.inflated);
        let cap = max.min(left);
        let mut buf = Vec::new();
        f.take(cap + 1).read_to_end(&mut buf).ok()?;
        self.inflated += buf.len() as u64;
        if buf.len() as u64 > cap {
            // Said once per archive: what is left of it is not read.
            if left <= max && !self.spent {
                self.spent = true;
                self.out.problems.push(format!(
                    ": not read further, the {MAX_INFLATED} bytes decompressed for this archive \
                     are spent"
                ));
            }
            return None;
        }
        Some(buf)
    }

    fn archive<R: Read + Seek>(&mut self, reader: R, name: &str, inner: &str, depth: usize) {
        let mut zip = match zip::ZipArchive::new(reader) {
            Ok(z) => z,
            Err(e) => {
                if depth > 0 {
                    self.out
                        .problems
                        .push(format!("{inner}: not a readable archive: {e}"));
                }
                return;
            }
        };
        let own = name_props(name.rsplit('/').next().unwrap_or(name));
        let mut found_own = false;
        let mut manifest_text: Option<String> = None;
        let mut nested: Vec<usize> = Vec::new();
        let n = zip.len();
        if n > MAX_ENTRIES {
            self.out.problems.push(format!(
                "{}: {n} entries, only the first {MAX_ENTRIES} read",
                if inner.is_empty() { name } else { inner }
            ));
        }
        for i in 0..n.min(MAX_ENTRIES) {
            let Ok(mut f) = zip.by_index(i) else { continue };
            if f.is_dir() {
                continue;
            }
            let Ok(entry) = f.name().map(|n| n.into_owned()) else {
                continue;
            };
            let base = entry.rsplit('/').next().unwrap_or(&entry);
            if base == "pom.properties" {
                if let Some(b) = self.read_entry(&mut f, MAX_META)
                    && let Some((g, a, v)) = pom_properties(&String::from_utf8_lossy(&b))
                {
                    if own.as_ref().is_some_and(|(oa, ov)| *oa == a && *ov == v) {
                        found_own = true;
                    }
                    self.out.artifacts.push(Artifact {
                        group: g,
                        artifact: a,
                        version: v,
                        inner: inner.to_string(),
                    });
                }
            } else if base == "MANIFEST.MF" && entry.eq_ignore_ascii_case("META-INF/MANIFEST.MF") {
                if let Some(b) = self.read_entry(&mut f, MAX_META) {
                    manifest_text = Some(String::from_utf8_lossy(&b).into_owned());
                }
            } else if wants(base) {
                nested.push(i);
            }
        }
        // The archive's own identity when no pom.properties gave it.
        let has_any = self.out.artifacts.iter().any(|a| a.inner == inner);
        if !found_own && (own.is_some() || !has_any) {
            match manifest_text
                .as_deref()
                .map(manifest)
                .as_ref()
                .and_then(manifest_props)
            {
                Some((g, a, v))
                    if !self
                        .out
                        .artifacts
                        .iter()
                        .any(|x| x.inner == inner && x.group == g && x.artifact == a) =>
                {
                    self.out.artifacts.push(Artifact {
                        group: g,
                        artifact: a,
                        version: v,
                        inner: inner.to_string(),
                    })
                }
                Some(_) => {}
                None if !has_any => self.out.unidentified.push(inner.to_string()),
                None => {}
            }
        }
        for i in nested {
            let Ok(mut f) = zip.by_index(i) else { continue };
            let Ok(entry) = f.name().map(|n| n.into_owned()) else {
                continue;
            };
            let path = format!("{inner}!/{entry}");
            if depth + 1 > MAX_DEPTH {
                self.out.problems.push(format!(
                    "{path}: nested deeper than {MAX_DEPTH} archives, not read"
                ));
                continue;
            }
            let Some(bytes) = self.read_entry(&mut f, MAX_INFLATED) else {
                if !self.spent {
                    self.out
                        .problems
                        .push(format!("{path}: not a readable archive entry"));
                }
                return;
            };
            drop(f);
            self.archive(std::io::Cursor::new(bytes), &entry, &path, depth + 1);
        }
    }
}

/// Read a Java archive (`name` is its path, for the `artifactId-version.jar` rule).
pub fn read_archive<R: Read + Seek>(reader: R, name: &str) -> Archive {
    let mut w = Walk {
        inflated: 0,
        spent: false,
        out: Archive::default(),
    };
    w.archive(reader, name, "", 0);
    w.out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (n, d) in files {
            w.start_file(*n, opts).unwrap();
            w.write_all(d).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn file_names_as_trivy_reads_them() {
        assert_eq!(
            name_props("log4j-core-2.19.0.jar"),
            Some(("log4j-core".into(), "2.19.0".into()))
        );
        assert_eq!(
            name_props("spring-boot-3.1.0-SNAPSHOT.jar"),
            Some(("spring-boot".into(), "3.1.0-SNAPSHOT".into()))
        );
        assert_eq!(name_props("log4j-core.jar"), None);
        assert_eq!(name_props("app.war"), None);
    }

    #[test]
    fn shaded_nested_and_manifest_only() {
        let lib = zip_of(&[(
            "META-INF/maven/org.yaml/snakeyaml/pom.properties",
            b"groupId=org.yaml\nartifactId=snakeyaml\nversion=1.33\n",
        )]);
        let manifest_only = zip_of(&[(
            "META-INF/MANIFEST.MF",
            b"Manifest-Version: 1.0\r\nBundle-SymbolicName: com.google.guava\r\nBundle-Name: guava\r\nBundle-Version: 31.1.0.jre\r\n\r\nName: x\r\nImplementation-Title: nope\r\n",
        )]);
        let anonymous = zip_of(&[("a.class", b"\xca\xfe")]);
        let app = zip_of(&[
            (
                "META-INF/maven/com.example/app/pom.properties",
                b"groupId=com.example\nartifactId=app\nversion=1.0.0\n",
            ),
            // Shaded in: the artifact's own pom.properties.
            (
                "META-INF/maven/com.fasterxml.jackson.core/jackson-databind/pom.properties",
                b"groupId=com.fasterxml.jackson.core\nartifactId=jackson-databind\nversion=2.9.10\n",
            ),
            ("BOOT-INF/lib/snakeyaml-1.33.jar", &lib),
            ("BOOT-INF/lib/guava-31.1.jar", &manifest_only),
            ("BOOT-INF/lib/blob.jar", &anonymous),
        ]);
        let a = read_archive(std::io::Cursor::new(app), "/srv/app-1.0.0.jar");
        let got: Vec<(String, String)> = a
            .artifacts
            .iter()
            .map(|x| {
                (
                    format!("{}:{}:{}", x.group, x.artifact, x.version),
                    x.inner.clone(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("com.example:app:1.0.0".into(), "".into()),
                (
                    "com.fasterxml.jackson.core:jackson-databind:2.9.10".into(),
                    "".into()
                ),
                (
                    "org.yaml:snakeyaml:1.33".into(),
                    "!/BOOT-INF/lib/snakeyaml-1.33.jar".into()
                ),
                (
                    "com.google:guava:31.1.0.jre".into(),
                    "!/BOOT-INF/lib/guava-31.1.jar".into()
                ),
            ]
        );
        assert_eq!(a.unidentified, ["!/BOOT-INF/lib/blob.jar"]);
    }

    #[test]
    fn bombs_and_depth_are_bounded() {
        // 64 MiB of zeros, deflated to a few KB, nested inside itself repeatedly.
        let zeros = vec![0u8; 64 << 20];
        let mut z = zip_of(&[("big.bin", &zeros)]);
        for i in 0..(MAX_DEPTH + 2) {
            z = zip_of(&[(&format!("l{i}.jar"), &z)]);
        }
        let a = read_archive(std::io::Cursor::new(z), "x.jar");
        assert!(
            a.problems.iter().any(|p| p.contains("nested deeper")),
            "{:?}",
            a.problems
        );
        assert!(
            read_archive(std::io::Cursor::new(b"PK\x03\x04junk".to_vec()), "y.jar")
                .artifacts
                .is_empty()
        );
    }
}
