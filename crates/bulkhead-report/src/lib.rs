//! Renderers. Every stage returns a [`bulkhead_core::Report`]; these turn it into tables and
//! documents. Machine formats are pure functions of their input (plus a serial number and timestamp
//! for SBOMs). Runtime alerts keep Falco's own JSON line shape (in `bulkhead-rules`); everything else
//! goes through [`render`].

pub mod config;
pub mod cyclonedx;
pub mod json;
pub mod sarif;
pub mod spdx;
pub mod table;
pub mod time;

use bulkhead_core::{Report, TargetKind};

/// Output formats. Each command accepts the subset that makes sense for it ([`Format::name`] is the
/// flag value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Human-readable tables (coloured on a terminal).
    Table,
    /// Bulkhead's JSON report (schema: `docs/report.schema.json`).
    Json,
    /// SARIF 2.1.0 (code-scanning dashboards).
    Sarif,
    /// CycloneDX 1.6 JSON (SBOM, with vulnerabilities when they were scanned).
    CycloneDx,
    /// SPDX 2.3 JSON (SBOM).
    SpdxJson,
    /// JUnit XML (CI test dashboards).
    Junit,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 6] = [
        Format::Table,
        Format::Json,
        Format::Sarif,
        Format::CycloneDx,
        Format::SpdxJson,
        Format::Junit,
    ];

    /// The flag value (`spdx-json`, …).
    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::CycloneDx => "cyclonedx",
            Format::SpdxJson => "spdx-json",
            Format::Junit => "junit",
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Format {
    type Err = bulkhead_core::UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "cyclonedx-json" => return Ok(Format::CycloneDx),
            "spdx" => return Ok(Format::SpdxJson),
            _ => {}
        }
        Format::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| bulkhead_core::UnknownValue {
                what: "format",
                value: s.to_string(),
                valid: &["table", "json", "sarif", "cyclonedx", "spdx-json", "junit"],
            })
    }
}

/// How to render.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    /// ANSI colours in tables.
    pub color: bool,
    /// Table width in columns (a terminal's); `None`: as wide as the content.
    pub width: Option<u16>,
    /// Tables of image/filesystem targets list every package, not only the vulnerable ones.
    pub list_all_pkgs: bool,
}

fn is_config(kind: TargetKind) -> bool {
    matches!(
        kind,
        TargetKind::Dockerfile | TargetKind::Kubernetes | TargetKind::File
    )
}

/// Render a report into `w`, streaming: the JSON report and SARIF's results are written as they
/// are serialised (a report of hundreds of thousands of findings costs its output, not a document
/// tree many times larger).
pub fn render_to(
    report: &Report,
    format: Format,
    opts: &RenderOptions,
    w: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    use std::io::Write;
    let mut w = std::io::BufWriter::with_capacity(1 << 16, w);
    match format {
        Format::Json => {
            json::write(report, &mut w)?;
            w.write_all(b"\n")?;
        }
        Format::Sarif => {
            sarif::write(report, &mut w)?;
            w.write_all(b"\n")?;
        }
        other => w.write_all(render(report, other, opts).as_bytes())?,
    }
    w.flush()
}

/// Render a report as a string (small reports, tests; the CLI streams with [`render_to`]).
pub fn render(report: &Report, format: Format, opts: &RenderOptions) -> String {
    let pretty = |v: &serde_json::Value| {
        let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
        s.push('\n');
        s
    };
    match format {
        Format::Table => {
            if !report.targets.is_empty() && report.targets.iter().all(|t| is_config(t.kind)) {
                config::table(report, opts)
            } else {
                table::render(report, opts)
            }
        }
        Format::Json => pretty(&json::report(report)),
        Format::Sarif => pretty(&sarif::log(report)),
        Format::CycloneDx => pretty(&cyclonedx::bom_of_report(report)),
        Format::SpdxJson => pretty(&spdx::document_of_report(report)),
        Format::Junit => config::junit(report),
    }
}

/// The tool identity written into documents.
pub const TOOL_NAME: &str = "bulkhead";
/// The tool version written into documents.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_round_trip_and_unknown_ones_list_the_valid() {
        for f in Format::ALL {
            assert_eq!(f.name().parse::<Format>().unwrap(), f);
        }
        let e = "xml".parse::<Format>().unwrap_err().to_string();
        assert_eq!(
            e,
            "unknown format \"xml\" (valid: table, json, sarif, cyclonedx, spdx-json, junit)"
        );
    }
}
