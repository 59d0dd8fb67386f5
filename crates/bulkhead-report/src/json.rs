//! Bulkhead's JSON report: the [`Report`] as serde writes it, with `schema_version` and the tool
//! first. The schema is `docs/report.schema.json` (JSON Schema 2020-12); tests validate every JSON
//! output of the CLI against it.

use crate::{TOOL_NAME, TOOL_VERSION};
use bulkhead_core::{REPORT_SCHEMA_VERSION, Report};
use serde_json::{Value, json};

/// The JSON value of a report.
pub fn report(r: &Report) -> Value {
    let mut v = json!({
        "schema_version": REPORT_SCHEMA_VERSION,
        "tool": {"name": TOOL_NAME, "version": TOOL_VERSION},
    });
    if let (Some(o), Ok(Value::Object(body))) = (v.as_object_mut(), serde_json::to_value(r)) {
        o.extend(body);
    }
    v
}

/// The report as [`report`] gives it, written straight to `w` (pretty, no intermediate tree).
pub fn write(r: &Report, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    #[derive(serde::Serialize)]
    struct Tool {
        name: &'static str,
        version: &'static str,
    }
    #[derive(serde::Serialize)]
    struct Versioned<'a> {
        schema_version: u32,
        tool: Tool,
        #[serde(flatten)]
        report: &'a Report,
    }
    serde_json::to_writer_pretty(
        w,
        &Versioned {
            schema_version: REPORT_SCHEMA_VERSION,
            tool: Tool {
                name: TOOL_NAME,
                version: TOOL_VERSION,
            },
            report: r,
        },
    )
    .map_err(std::io::Error::other)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bulkhead_core::{Finding, FindingKind, Severity, Target, TargetKind};

    #[test]
    fn versioned_and_round_trips() {
        let mut r = Report::default();
        let mut t = Target::new("Dockerfile", TargetKind::Dockerfile);
        t.findings.push(Finding::new(
            FindingKind::Misconfiguration,
            "DL3008",
            Severity::Medium,
            "Pin versions in apt-get install",
            "m",
        ));
        r.targets.push(t);
        let v = report(&r);
        assert_eq!(v["schema_version"], REPORT_SCHEMA_VERSION);
        assert_eq!(v["targets"][0]["findings"][0]["kind"], "misconfiguration");
        let back: Report = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(back, r);
        // The streamed form is the same document.
        let mut out = Vec::new();
        write(&r, &mut out).unwrap();
        assert_eq!(serde_json::from_slice::<Value>(&out).unwrap(), v);
    }
}
