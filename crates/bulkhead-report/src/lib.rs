//! Renderers. Stages return data; these turn it into tables and documents. Machine formats are pure
//! functions of their input (plus a serial number and timestamp for SBOMs).

pub mod config;
pub mod cyclonedx;
pub mod sarif;
pub mod spdx;
pub mod table;
pub mod time;

use bulkhead_core::Artifact;

/// Output formats of the inventory commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    CycloneDx,
    SpdxJson,
    Sarif,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "table" => Ok(Format::Table),
            "json" => Ok(Format::Json),
            "cyclonedx" | "cyclonedx-json" => Ok(Format::CycloneDx),
            "spdx-json" | "spdx" => Ok(Format::SpdxJson),
            "sarif" => Ok(Format::Sarif),
            other => Err(format!(
                "unknown format {other:?} (expected table, json, cyclonedx, spdx-json or sarif)"
            )),
        }
    }
}

/// Render an artifact in `format`. `color` only affects the table.
pub fn render(artifact: &Artifact, format: Format, color: bool) -> String {
    match format {
        Format::Table => table::render(artifact, color),
        Format::Json => {
            let mut v = serde_json::to_value(artifact).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.insert(
                    "schema_version".into(),
                    bulkhead_core::artifact::REPORT_SCHEMA_VERSION.into(),
                );
            }
            let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
            s.push('\n');
            s
        }
        Format::CycloneDx => {
            let mut s = serde_json::to_string_pretty(&cyclonedx::bom(artifact)).unwrap_or_default();
            s.push('\n');
            s
        }
        Format::SpdxJson => {
            let mut s = serde_json::to_string_pretty(&spdx::document(artifact)).unwrap_or_default();
            s.push('\n');
            s
        }
        Format::Sarif => {
            let mut s = serde_json::to_string_pretty(&sarif::log(artifact)).unwrap_or_default();
            s.push('\n');
            s
        }
    }
}

/// The tool identity written into documents.
pub const TOOL_NAME: &str = "bulkhead";
/// The tool version written into documents.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");
