//! `--skip-dirs` / `--skip-files`: glob patterns of paths every pipeline leaves out, with Trivy's
//! semantics (`*` stays inside one directory, `**` crosses them; patterns are relative to the root
//! that is scanned, a leading `/` or `./` ignored).

/// A pattern that is not a valid glob.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{flag} {pattern:?}: {reason}")]
pub struct PatternError {
    /// `--skip-dirs` or `--skip-files`.
    pub flag: &'static str,
    pub pattern: String,
    pub reason: String,
}

/// Compiled skip patterns.
#[derive(Debug, Clone, Default)]
pub struct SkipPatterns {
    dirs: Option<globset::GlobSet>,
    files: Option<globset::GlobSet>,
}

fn globs(
    flag: &'static str,
    patterns: &[String],
) -> Result<Option<globset::GlobSet>, PatternError> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut b = globset::GlobSetBuilder::new();
    for p in patterns {
        let norm = p
            .trim_start_matches("./")
            .trim_start_matches('/')
            .trim_end_matches('/');
        let g = globset::GlobBuilder::new(norm)
            .literal_separator(true)
            .build()
            .map_err(|e| PatternError {
                flag,
                pattern: p.clone(),
                reason: e.kind().to_string(),
            })?;
        b.add(g);
    }
    b.build().map(Some).map_err(|e| PatternError {
        flag,
        pattern: patterns.join(","),
        reason: e.to_string(),
    })
}

impl SkipPatterns {
    /// Compile directory and file patterns.
    pub fn new(dirs: &[String], files: &[String]) -> Result<Self, PatternError> {
        Ok(SkipPatterns {
            dirs: globs("--skip-dirs", dirs)?,
            files: globs("--skip-files", files)?,
        })
    }

    /// Whether there is any pattern at all.
    pub fn is_empty(&self) -> bool {
        self.dirs.is_none() && self.files.is_none()
    }

    /// Whether `path` (relative, `/`-separated) is left out: a directory by the directory patterns,
    /// anything else by the file patterns.
    pub fn skips(&self, path: &str, is_dir: bool) -> bool {
        let path = path.trim_start_matches("./").trim_start_matches('/');
        let set = if is_dir { &self.dirs } else { &self.files };
        set.as_ref().is_some_and(|s| s.is_match(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trivy_glob_semantics() {
        let s = SkipPatterns::new(
            &["/usr/lib/python3*".into(), "./**/node_modules".into()],
            &["**/*.pem".into(), "etc/shadow".into()],
        )
        .unwrap();
        assert!(s.skips("usr/lib/python3.11", true));
        assert!(
            !s.skips("usr/lib/python3.11/site", true),
            "* does not cross /"
        );
        assert!(s.skips("app/web/node_modules", true));
        assert!(s.skips("node_modules", true));
        assert!(s.skips("etc/ssl/private/key.pem", false));
        assert!(s.skips("/etc/shadow", false));
        assert!(
            !s.skips("etc/shadow", true),
            "file patterns do not skip directories"
        );
        assert!(SkipPatterns::new(&[], &[]).unwrap().is_empty());
        let e = SkipPatterns::new(&["a/[b".into()], &[])
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("--skip-dirs \"a/[b\""), "{e}");
    }
}
