//! Java dependencies of a Gradle project (`gradle.lockfile`, dependency locking), read for
//! directory scans as Trivy reads it: every `group:artifact:version=configurations` line is an
//! artifact (`pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.1`); comments and the
//! `empty=` line are not. Configurations that only build or test (every one of the line's
//! configurations named like `test…`, `…Test…`, `annotationProcessor`, `kapt…`) are
//! development-only.

use crate::Locked;

/// Whether `path` is a Gradle lock file (the project's, or a per-configuration one in
/// `gradle/dependency-locks/`).
pub fn wants(path: &str) -> bool {
    let base = path.rsplit('/').next().unwrap_or(path);
    base == "gradle.lockfile"
        || (path.contains("gradle/dependency-locks/") && base.ends_with(".lockfile"))
}

fn build_only(configuration: &str) -> bool {
    let c = configuration.trim();
    c.starts_with("test")
        || c.contains("Test")
        || c.starts_with("annotationProcessor")
        || c.starts_with("kapt")
}

/// Parse a `gradle.lockfile`.
pub fn parse(data: &[u8]) -> Vec<Locked> {
    let text = String::from_utf8_lossy(data);
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("empty=") {
            continue;
        }
        let (coords, configs) = line.split_once('=').unwrap_or((line, ""));
        let parts: Vec<&str> = coords.split(':').collect();
        let [group, artifact, version] = parts[..] else {
            continue;
        };
        if group.is_empty() || artifact.is_empty() || version.is_empty() {
            continue;
        }
        let configs: Vec<&str> = configs
            .split(',')
            .filter(|c| !c.trim().is_empty())
            .collect();
        out.push(Locked {
            name: format!("{group}:{artifact}"),
            version: version.to_string(),
            dev: !configs.is_empty() && configs.iter().all(|c| build_only(c)),
            ..Default::default()
        });
    }
    out
}

/// Add the artifacts of the index's Gradle lock files (directory scans).
pub(crate) fn analyze_ctx(
    index: &bulkhead_image::ImageIndex,
    packages: &mut Vec<bulkhead_core::Package>,
    ctx: &mut crate::Ctx,
    dev: bool,
) {
    let mut fw = crate::FileWarnings::default();
    let files = crate::LockedFiles {
        wants,
        kind: bulkhead_core::PackageKind::Maven,
        dev,
    };
    files.add(index, ctx, &mut fw, packages, |_, d| Ok(parse(d)));
    fw.finish(ctx, "Gradle lock files");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockfile_lines() {
        let l = parse(
            b"# comment\ncom.fasterxml.jackson.core:jackson-databind:2.9.1=compileClasspath, runtimeClasspath\n\
              junit:junit:4.13.2=testCompileClasspath,testRuntimeClasspath\nbroken:line\nempty=annotationProcessor\n",
        );
        let got: Vec<(&str, &str, bool)> = l
            .iter()
            .map(|l| (l.name.as_str(), l.version.as_str(), l.dev))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "com.fasterxml.jackson.core:jackson-databind",
                    "2.9.1",
                    false
                ),
                ("junit:junit", "4.13.2", true),
            ]
        );
        assert!(wants("app/gradle.lockfile") && wants("gradle/dependency-locks/compile.lockfile"));
    }
}
