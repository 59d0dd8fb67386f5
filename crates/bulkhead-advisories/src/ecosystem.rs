//! Ecosystem names and package-name normalisation, shared by the store's index and its queries.

/// The ecosystem family: the part of an OSV ecosystem before the first `:`
/// (`Debian:12` → `Debian`, `Alpine:v3.19` → `Alpine`, `Ubuntu:22.04:LTS` → `Ubuntu`, `PyPI` → `PyPI`).
pub fn ecosystem_base(ecosystem: &str) -> &str {
    ecosystem.split(':').next().unwrap_or(ecosystem).trim()
}

/// The package name as the store indexes it for an ecosystem family.
///
/// PyPI names are normalised as PEP 503 says (lower case, every run of `-`, `_`, `.` — and, leniently,
/// spaces — becomes one `-`), so `Jinja2`, `jinja2` and `zope.interface`/`zope_interface` meet. Every
/// other ecosystem compares names exactly as written.
pub fn normalise_package(ecosystem_base: &str, name: &str) -> String {
    if ecosystem_base.eq_ignore_ascii_case("PyPI") {
        pep503(name)
    } else {
        name.to_string()
    }
}

fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.' | ' ') {
            if !in_sep {
                out.push('-');
                in_sep = true;
            }
        } else {
            in_sep = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base() {
        assert_eq!(ecosystem_base("Debian:12"), "Debian");
        assert_eq!(ecosystem_base("Alpine:v3.19"), "Alpine");
        assert_eq!(ecosystem_base("Ubuntu:22.04:LTS"), "Ubuntu");
        assert_eq!(ecosystem_base("Ubuntu:Pro:18.04:LTS"), "Ubuntu");
        assert_eq!(ecosystem_base("PyPI"), "PyPI");
        assert_eq!(ecosystem_base(""), "");
    }

    #[test]
    fn pypi_names() {
        for (raw, want) in [
            ("Jinja2", "jinja2"),
            ("zope.interface", "zope-interface"),
            ("Zope_Interface", "zope-interface"),
            ("a-_.b", "a-b"),
            ("a . b", "a-b"),
            ("friendly-bard", "friendly-bard"),
            ("FrIeNdLy-._.-bArD", "friendly-bard"),
        ] {
            assert_eq!(normalise_package("PyPI", raw), want, "{raw}");
        }
        assert_eq!(
            normalise_package("Go", "github.com/BurntSushi/toml"),
            "github.com/BurntSushi/toml"
        );
        assert_eq!(normalise_package("Debian", "libssl3"), "libssl3");
    }
}
