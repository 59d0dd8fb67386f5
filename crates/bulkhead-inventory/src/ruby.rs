//! Ruby gems, as Trivy's analyzers read them:
//!
//! - installed gemspecs (`…/specifications/<gem>-<version>.gemspec`: RubyGems' own directory and
//!   Debian's `/usr/share/rubygems-integration/*/specifications/`), images and directories: the
//!   `Gem::Specification.new do |s|` block's `s.name`, `s.version` and `s.license`/`s.licenses`
//!   assignments (first token, `.freeze` and quotes removed). A gemspec without a name or a version
//!   is a warning.
//! - `Gemfile.lock` (directory scans): every spec line (four-space indent,
//!   `name (version[-platform])`; the platform suffix dropped, a later variant of the same gem
//!   replacing an earlier one) with its dependencies (six-space lines, resolved by name).

use crate::Locked;
use std::collections::BTreeMap;

/// Whether `path` is an installed gemspec (Trivy's `.*/specifications/.+\.gemspec`).
pub fn wants_gemspec(path: &str) -> bool {
    match path.find("/specifications/") {
        Some(i) => {
            let rest = &path[i + "/specifications/".len()..];
            rest.len() > ".gemspec".len() && rest.ends_with(".gemspec")
        }
        None => false,
    }
}

/// Whether `path` is a project's `Gemfile.lock`.
pub fn wants_lock(path: &str) -> bool {
    path == "Gemfile.lock" || path.ends_with("/Gemfile.lock")
}

/// A gemspec's name, version and licences.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Gemspec {
    pub name: String,
    pub version: String,
    pub licenses: Vec<String>,
}

fn trim(v: &str) -> String {
    let v = v.trim();
    let v = v.strip_suffix(".freeze").unwrap_or(v);
    v.trim_matches(|c| c == '\'' || c == '"').to_string()
}

/// `var.field = value`: the first whitespace-separated token of the value.
fn assigned<'a>(line: &'a str, var: &str, field: &str) -> Option<&'a str> {
    let rest = line
        .strip_prefix(var)?
        .strip_prefix('.')?
        .strip_prefix(field)?;
    let rest = rest.trim_start().strip_prefix('=')?;
    rest.split_whitespace().next()
}

/// Parse a gemspec as Trivy does (line by line, no Ruby evaluation).
pub fn parse_gemspec(data: &[u8]) -> Result<Gemspec, &'static str> {
    let text = String::from_utf8_lossy(data);
    let mut var: Option<String> = None;
    let mut g = Gemspec::default();
    for line in text.lines() {
        let line = line.trim();
        let Some(v) = &var else {
            if line.contains("Gem::Specification.new")
                && let Some(a) = line.find('|')
                && let Some(b) = line[a + 1..].find('|')
            {
                var = Some(line[a + 1..a + 1 + b].trim().to_string());
            }
            continue;
        };
        if let Some(x) = assigned(line, v, "name") {
            g.name = trim(x);
        } else if let Some(x) = assigned(line, v, "version") {
            g.version = trim(x);
        } else if line.starts_with(&format!("{v}.licenses")) {
            if let (Some(a), Some(b)) = (line.find('['), line.rfind(']'))
                && a < b
            {
                g.licenses = line[a + 1..b]
                    .split(',')
                    .map(trim)
                    .filter(|l| !l.is_empty())
                    .collect();
            }
        } else if let Some(x) = assigned(line, v, "license") {
            g.licenses = vec![trim(x)];
        }
        if !g.name.is_empty() && !g.version.is_empty() && !g.licenses.is_empty() {
            break;
        }
    }
    if g.name.is_empty() || g.version.is_empty() {
        return Err("no `name` or `version` in the Gem::Specification block");
    }
    Ok(g)
}

/// Parse a `Gemfile.lock`.
pub fn parse_lock(data: &[u8]) -> Vec<Locked> {
    let text = String::from_utf8_lossy(data);
    let indent = |l: &str| l.len() - l.trim_start_matches(' ').len();
    // name → (version, dependency names), the last spec of a name winning.
    let mut specs: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match indent(line) {
            4 if fields.len() == 2 => {
                let version = fields[1].trim_matches(|c| c == '(' || c == ')');
                let version = version.split('-').next().unwrap_or(version);
                specs.insert(fields[0].to_string(), (version.to_string(), Vec::new()));
                current = Some(fields[0].to_string());
            }
            6 if !fields.is_empty() => {
                if let Some(c) = &current
                    && let Some((_, deps)) = specs.get_mut(c)
                {
                    deps.push(fields[0].to_string());
                }
            }
            _ => current = None,
        }
    }
    let versions: BTreeMap<&str, &str> = specs
        .iter()
        .map(|(n, (v, _))| (n.as_str(), v.as_str()))
        .collect();
    specs
        .iter()
        .map(|(name, (version, deps))| Locked {
            name: name.clone(),
            version: version.clone(),
            depends_on: deps
                .iter()
                .filter_map(|d| versions.get(d.as_str()).map(|v| format!("{d}@{v}")))
                .collect(),
            ..Default::default()
        })
        .filter(|l| !l.version.is_empty())
        .collect()
}

/// Add the index's installed gems (always) and `Gemfile.lock` gems (with `lockfiles`).
pub(crate) fn analyze_ctx(
    index: &bulkhead_image::ImageIndex,
    packages: &mut Vec<bulkhead_core::Package>,
    ctx: &mut crate::Ctx,
    lockfiles: bool,
    dev: bool,
) {
    use bulkhead_core::PackageKind::Gem;
    let mut fw = crate::FileWarnings::default();
    let installed = crate::LockedFiles {
        wants: wants_gemspec,
        kind: Gem,
        dev: true,
    };
    installed.add(index, ctx, &mut fw, packages, |_, d| {
        let g = parse_gemspec(d).map_err(crate::not_a("not a gemspec"))?;
        Ok(vec![Locked {
            name: g.name,
            version: g.version,
            licenses: g.licenses,
            ..Default::default()
        }])
    });
    if lockfiles {
        let locks = crate::LockedFiles {
            wants: wants_lock,
            kind: Gem,
            dev,
        };
        locks.add(index, ctx, &mut fw, packages, |_, d| Ok(parse_lock(d)));
    }
    fw.finish(ctx, "Ruby gem files");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gemspec_as_debian_and_rubygems_write_them() {
        let g = parse_gemspec(
            br#"# -*- encoding: utf-8 -*-
# stub: rack 2.2.22 ruby lib

Gem::Specification.new do |s|
  s.name = "rack".freeze
  s.version = "2.2.22"
  s.licenses = ["MIT".freeze, "BSD-2-Clause".freeze]
end
"#,
        )
        .unwrap();
        assert_eq!(g.name, "rack");
        assert_eq!(g.version, "2.2.22");
        assert_eq!(g.licenses, ["MIT", "BSD-2-Clause"]);
        let g = parse_gemspec(
            b"Gem::Specification.new do |spec|\n  spec.name    = 'x'\n  spec.version = '1.0'\n  spec.license = 'MIT'\nend\n",
        )
        .unwrap();
        assert_eq!((g.name.as_str(), g.licenses.len()), ("x", 1));
        assert!(parse_gemspec(b"s.name = 'x'\n").is_err());
        assert!(wants_gemspec(
            "usr/share/rubygems-integration/all/specifications/rack-2.2.22.gemspec"
        ));
        assert!(wants_gemspec(
            "usr/lib/ruby/gems/3.1.0/specifications/default/json-2.6.1.gemspec"
        ));
        assert!(
            !wants_gemspec("specifications/x.gemspec")
                && !wants_gemspec("a/specifications/.gemspec")
        );
    }

    #[test]
    fn gemfile_lock_specs_and_edges() {
        let l = parse_lock(
            b"GEM\n  remote: https://rubygems.org/\n  specs:\n    concurrent-ruby (1.1.10)\n    nokogiri (1.13.6-x86_64-linux)\n      racc (~> 1.4)\n    racc (1.6.0)\n\nPLATFORMS\n  x86_64-linux\n\nDEPENDENCIES\n  nokogiri\n\nBUNDLED WITH\n   2.3.7\n",
        );
        let got: Vec<(&str, &str, Vec<String>)> = l
            .iter()
            .map(|l| (l.name.as_str(), l.version.as_str(), l.depends_on.clone()))
            .collect();
        assert_eq!(
            got,
            [
                ("concurrent-ruby", "1.1.10", vec![]),
                ("nokogiri", "1.13.6", vec!["racc@1.6.0".to_string()]),
                ("racc", "1.6.0", vec![]),
            ]
        );
    }
}
