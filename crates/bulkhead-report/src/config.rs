//! Renderers of configuration findings (`bulkhead config`): table, JSON, SARIF 2.1.0, JUnit XML.

use crate::sarif::{band_score, level};
use crate::{TOOL_NAME, TOOL_VERSION};
use bulkhead_core::{Finding, Severity};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Output formats of `bulkhead config`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigFormat {
    Table,
    Json,
    Sarif,
    Junit,
}

impl std::str::FromStr for ConfigFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "table" => Ok(ConfigFormat::Table),
            "json" => Ok(ConfigFormat::Json),
            "sarif" => Ok(ConfigFormat::Sarif),
            "junit" => Ok(ConfigFormat::Junit),
            other => Err(format!(
                "unknown format {other:?} (expected table, json, sarif or junit)"
            )),
        }
    }
}

/// What `bulkhead config` read and found.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ConfigReport {
    /// Files (or `-`) that were checked.
    pub files: Vec<String>,
    /// Findings, sorted by file, line, rule.
    pub findings: Vec<Finding>,
    /// Files that could not be read or parsed, with the reason (also reported as findings when the
    /// parser gives a position).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<(String, String)>,
}

/// Render the report.
pub fn render(report: &ConfigReport, format: ConfigFormat, color: bool) -> String {
    let mut s = match format {
        ConfigFormat::Table => table(report, color),
        ConfigFormat::Json => {
            #[derive(serde::Serialize)]
            struct Versioned<'a> {
                schema_version: u32,
                #[serde(flatten)]
                report: &'a ConfigReport,
            }
            serde_json::to_string_pretty(&Versioned {
                schema_version: 1,
                report,
            })
            .unwrap_or_default()
        }
        ConfigFormat::Sarif => serde_json::to_string_pretty(&sarif(report)).unwrap_or_default(),
        ConfigFormat::Junit => junit(report),
    };
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

fn table(report: &ConfigReport, color: bool) -> String {
    use comfy_table::{Cell, Color, ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
    let mut out = String::new();
    let mut by_file: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        by_file.entry(f.file.as_str()).or_default().push(f);
    }
    for (file, findings) in by_file {
        let mut counts: BTreeMap<Severity, usize> = BTreeMap::new();
        for f in &findings {
            *counts.entry(f.severity).or_default() += 1;
        }
        out.push_str(&format!(
            "\n{file}\nFindings: {} (CRITICAL: {}, HIGH: {}, MEDIUM: {}, LOW: {})\n",
            findings.len(),
            counts.get(&Severity::Critical).unwrap_or(&0),
            counts.get(&Severity::High).unwrap_or(&0),
            counts.get(&Severity::Medium).unwrap_or(&0),
            counts.get(&Severity::Low).unwrap_or(&0),
        ));
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(160)
            .set_header(vec!["Line", "Rule", "Severity", "Object", "Message"]);
        for f in findings {
            let mut sc = Cell::new(f.severity.as_str());
            if color {
                sc = sc.fg(match f.severity {
                    Severity::Critical => Color::Red,
                    Severity::High => Color::DarkRed,
                    Severity::Medium => Color::Yellow,
                    Severity::Low => Color::Blue,
                    Severity::Unknown => Color::Grey,
                });
            }
            t.add_row(vec![
                Cell::new(f.line),
                Cell::new(&f.rule_id),
                sc,
                Cell::new(f.object.as_deref().unwrap_or("")),
                Cell::new(&f.message),
            ]);
        }
        out.push_str(&t.to_string());
        out.push('\n');
    }
    for (file, why) in &report.errors {
        out.push_str(&format!("error: {file}: {why}\n"));
    }
    out.push_str(&format!(
        "\n{} file(s) checked, {} finding(s)\n",
        report.files.len(),
        report.findings.len()
    ));
    out
}

/// SARIF 2.1.0: one rule per rule ID, one result per finding located at file:line.
pub fn sarif(report: &ConfigReport) -> Value {
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    let mut rules: Vec<Value> = Vec::new();
    let mut results: Vec<Value> = Vec::new();
    for f in &report.findings {
        let idx = *index.entry(f.rule_id.as_str()).or_insert_with(|| {
            let mut props = json!({
                "precision": "very-high",
                "security-severity": band_score(f.severity),
                "tags": ["misconfiguration", "security", f.severity.as_str()],
            });
            if !f.aliases.is_empty() {
                props["aliases"] = json!(f.aliases);
            }
            let help = f.remediation.clone().unwrap_or_else(|| f.title.clone());
            rules.push(json!({
                "id": f.rule_id,
                "name": f.rule_id.replace(['-', '_'], ""),
                "shortDescription": {"text": f.title},
                "fullDescription": {"text": f.title},
                "defaultConfiguration": {"level": level(f.severity)},
                "help": {"text": help, "markdown": help},
                "properties": props,
            }));
            rules.len() - 1
        });
        let mut text = f.message.clone();
        if let Some(o) = &f.object {
            text = format!("{o}: {text}");
        }
        results.push(json!({
            "ruleId": f.rule_id,
            "ruleIndex": idx,
            "level": level(f.severity),
            "message": {"text": text},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": f.file, "uriBaseId": "ROOTPATH"},
                    "region": {"startLine": f.line.max(1), "startColumn": 1, "endLine": f.line.max(1), "endColumn": 1},
                },
            }],
        }));
    }
    json!({
        "version": "2.1.0",
        "$schema": crate::sarif::SCHEMA_URI,
        "runs": [{
            "tool": {"driver": {
                "name": TOOL_NAME,
                "fullName": "Bulkhead container security scanner",
                "version": TOOL_VERSION,
                "rules": rules,
            }},
            "results": results,
            "columnKind": "utf16CodeUnits",
            "originalUriBaseIds": {"ROOTPATH": {"uri": "file:///"}},
        }],
    })
}

fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 cannot carry most control characters, even escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML: a test suite per checked file, a failing test case per finding, a passing one for a
/// file without findings (so CI dashboards count clean files).
pub fn junit(report: &ConfigReport) -> String {
    let mut by_file: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &report.files {
        by_file.entry(f.as_str()).or_default();
    }
    for f in &report.findings {
        by_file.entry(f.file.as_str()).or_default().push(f);
    }
    let total: usize = by_file.values().map(|v| v.len().max(1)).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"bulkhead config\" tests=\"{total}\" failures=\"{}\">\n",
        report.findings.len()
    ));
    for (file, findings) in by_file {
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\">\n",
            xml(file),
            findings.len().max(1),
            findings.len()
        ));
        if findings.is_empty() {
            out.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"no misconfigurations\"/>\n",
                xml(file)
            ));
        }
        for f in findings {
            let name = match &f.object {
                Some(o) => format!("[{}] {} {o}", f.severity.as_str(), f.rule_id),
                None => format!("[{}] {}", f.severity.as_str(), f.rule_id),
            };
            out.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{}\">\n      <failure message=\"{}\" type=\"{}\">{}:{}: {}</failure>\n    </testcase>\n",
                xml(file),
                xml(&name),
                xml(&f.title),
                xml(f.severity.as_str()),
                xml(file),
                f.line,
                xml(&f.message)
            ));
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
