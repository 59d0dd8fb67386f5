//! `bulkhead config`: flags → [`bulkhead_config::Request`], the library's report → the chosen format,
//! and the exit code. The walk, the reading, the checks, the settings and the severity filter are
//! the library's ([`bulkhead_config::check`]); nothing here decides what a finding is.

use crate::cli::ConfigArgs;
use crate::output::{table_width, use_color, write_output};
use anyhow::{Context, Result};
use bulkhead_config::rules::{self, Family};
use bulkhead_config::{FileKind, Input, Options, Request, Settings};
use bulkhead_core::FindingKind;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Every `bulkhead config` rule as a Markdown table (the rule list of docs/config.md), from the one
/// rule table of the library.
pub fn rules_table() -> String {
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut out = String::from(
        "| rule | severity | what | fix | aliases |\n| --- | --- | --- | --- | --- |\n",
    );
    for r in rules::all() {
        let what = match r.family {
            Family::Pss { level, since, .. } if since > 0 => {
                format!("{} ({}, from v1.{since})", r.title, level.as_str())
            }
            Family::Pss { level, .. } => format!("{} ({})", r.title, level.as_str()),
            Family::Dockerfile {
                level: bulkhead_config::dockerfile::Level::Ignore,
            } => format!("{} (off unless given a severity in settings)", r.title),
            _ => r.title.to_string(),
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            r.id,
            r.severity.as_str(),
            cell(&what),
            cell(r.remediation),
            r.aliases.join(", ")
        ));
    }
    out
}

/// The settings: `--config FILE`, else the first of .bulkhead.yaml, .bulkhead.yml, .hadolint.yaml,
/// .hadolint.yml in the working directory.
fn settings(explicit: Option<&Path>) -> Result<Settings> {
    Ok(match explicit {
        Some(p) => Settings::load(p)?,
        None => Settings::discover(Path::new("."))?
            .map(|(p, s)| {
                tracing::debug!("settings from {}", p.display());
                s
            })
            .unwrap_or_default(),
    })
}

pub fn config(args: ConfigArgs) -> Result<ExitCode> {
    let output = args.output.as_deref();
    if args.list_rules {
        write_output(output, rules_table().as_bytes())?;
        return Ok(ExitCode::SUCCESS);
    }
    let settings = settings(args.config.as_deref())?;
    for n in &settings.notices {
        tracing::warn!("{n}");
    }
    let limits = bulkhead_config::Limits {
        max_file_bytes: args.max_file_size.saturating_mul(1 << 20),
        yaml: bulkhead_config::YamlLimits {
            max_nodes: args.max_yaml_nodes,
            ..bulkhead_config::YamlLimits::DEFAULT
        },
        max_findings: args.max_findings_per_file,
        ..bulkhead_config::Limits::DEFAULT
    };
    let mut inputs = Vec::new();
    for p in &args.paths {
        if p == "-" {
            // Bounded while reading: one byte over the limit is enough to report it.
            let data = bulkhead_config::input::read_limited(
                std::io::stdin().lock(),
                limits.max_file_bytes,
            )
            .context("reading stdin")?;
            let kind = if args.stdin_dockerfile {
                FileKind::Dockerfile
            } else {
                FileKind::Manifest
            };
            inputs.push(Input::Bytes {
                name: "-".into(),
                data,
                kind,
            });
        } else {
            inputs.push(Input::Path(PathBuf::from(p)));
        }
    }
    let cel = if args.cel_policy.is_empty() {
        None
    } else {
        Some(bulkhead_config::load_cel_policies(&args.cel_policy)?)
    };
    let req = Request {
        inputs,
        options: Options {
            pss: args.pss,
            best_practice: !args.pss_only,
            severities: args.severity.clone(),
            cel,
        },
        settings,
        skip_dirs: args.skip_dirs.clone(),
        skip_files: args.skip_files.clone(),
        limits,
    };
    let report = bulkhead_config::check(&req)?;
    for f in report
        .findings()
        .filter(|f| f.kind == FindingKind::InputError)
    {
        let place = match (&f.location.file, f.location.line) {
            (Some(p), Some(l)) => format!("{p}:{l}"),
            (Some(p), None) => p.clone(),
            _ => "-".into(),
        };
        tracing::warn!("{place}: {}", f.message);
    }
    let opts = bulkhead_report::RenderOptions {
        color: use_color(output),
        width: table_width(output),
        ..Default::default()
    };
    crate::output::write_with(output, &mut |w| {
        bulkhead_report::render_to(&report, args.format, &opts, w)
    })?;
    let failing = report.findings().filter(|f| req.settings.fails(f)).count();
    if args.exit_code != 0 && failing > 0 {
        return Ok(ExitCode::from(args.exit_code));
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_table_lists_every_rule_once() {
        let t = rules_table();
        let rows: Vec<&str> = t.lines().skip(2).collect();
        assert_eq!(rows.len(), rules::all().len());
        assert!(rows[0].starts_with("| `BH-PARSE` | HIGH |"), "{}", rows[0]);
        assert!(
            t.contains("| `PSS-allowPrivilegeEscalation` | MEDIUM | Privilege escalation (restricted, from v1.8) |"),
            "{t}"
        );
        assert!(t.contains("| `DL3057` | LOW | HEALTHCHECK instruction missing (off unless"));
    }
}
