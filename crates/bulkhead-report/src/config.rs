//! Tables and JUnit XML of configuration reports (`bulkhead config`): one target per checked file.
//! A file that could not be parsed carries a `BH-PARSE` finding, so it shows in the table and fails
//! its JUnit test case like any other finding (it was not checked).

use crate::RenderOptions;
use crate::table::{clean, new_table, severity_cell, severity_summary};
use bulkhead_core::{Finding, Report};
use comfy_table::Cell;

/// The table: per file with findings, a summary line and one row per finding (sorted by line, rule);
/// then the count of files checked.
pub fn table(report: &Report, opts: &RenderOptions) -> String {
    let mut out = String::new();
    for t in &report.targets {
        if t.findings.is_empty() {
            continue;
        }
        let mut findings: Vec<&Finding> = t.findings.iter().collect();
        findings.sort_by(|a, b| (a.location.line, &a.id).cmp(&(b.location.line, &b.id)));
        out.push_str(&format!(
            "\n{}\n{}\n",
            clean(&t.name),
            severity_summary("Findings", &findings)
        ));
        let mut tb = new_table(opts);
        tb.set_header(vec!["Line", "Rule", "Severity", "Object", "Message"]);
        for f in findings {
            tb.add_row(vec![
                Cell::new(f.location.line.map(|l| l.to_string()).unwrap_or_default()),
                Cell::new(clean(&f.id)),
                severity_cell(f.severity, opts.color),
                Cell::new(clean(f.location.object.as_deref().unwrap_or(""))),
                Cell::new(clean(&f.message)),
            ]);
        }
        out.push_str(&tb.to_string());
        out.push('\n');
    }
    let total: usize = report.targets.iter().map(|t| t.findings.len()).sum();
    let unparsed = report
        .targets
        .iter()
        .filter(|t| {
            t.findings
                .iter()
                .any(|f| f.id == bulkhead_core::PARSE_RULE_ID)
        })
        .count();
    out.push_str(&format!(
        "\n{} file(s) checked, {total} finding(s)",
        report.targets.len()
    ));
    if unparsed > 0 {
        out.push_str(&format!(
            ", {unparsed} file(s) not fully checked (BH-PARSE: unparseable or over a limit)"
        ));
    }
    if !report.suppressed.is_empty() {
        out.push_str(&format!(
            ", {} suppressed by settings (listed in the JSON report)",
            report.suppressed.len()
        ));
    }
    out.push('\n');
    out
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

/// JUnit XML: a test suite per checked file, a failing test case per finding (an unparseable file
/// fails with its `BH-PARSE` finding), a passing one for a file without findings (so CI dashboards
/// count clean files).
pub fn junit(report: &Report) -> String {
    let total: usize = report.targets.iter().map(|t| t.findings.len().max(1)).sum();
    let failures: usize = report.targets.iter().map(|t| t.findings.len()).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"bulkhead\" tests=\"{total}\" failures=\"{failures}\">\n"
    ));
    for t in &report.targets {
        let file = t.name.as_str();
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\">\n",
            xml(file),
            t.findings.len().max(1),
            t.findings.len()
        ));
        if t.findings.is_empty() {
            out.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"no findings\"/>\n",
                xml(file)
            ));
        }
        for f in &t.findings {
            let name = match &f.location.object {
                Some(o) => format!("[{}] {} {o}", f.severity.as_str(), f.id),
                None => format!("[{}] {}", f.severity.as_str(), f.id),
            };
            let place = match (&f.location.file, f.location.line) {
                (Some(p), Some(l)) => format!("{p}:{l}"),
                (Some(p), None) => p.clone(),
                (None, _) => file.to_string(),
            };
            out.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{}\">\n      <failure message=\"{}\" type=\"{}\">{}: {}</failure>\n    </testcase>\n",
                xml(file),
                xml(&name),
                xml(&f.title),
                xml(f.severity.as_str()),
                xml(&place),
                xml(&f.message)
            ));
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use bulkhead_core::{Target, TargetKind};

    #[test]
    fn terminal_escapes_from_inputs_are_shown_not_emitted() {
        let mut r = Report::default();
        let mut t = Target::new("evil\u{1b}]0;pwned\u{7}.yaml", TargetKind::Kubernetes);
        let mut f = Finding::input_error("x", Some(1), "bad \u{1b}[2J name\r\nhere");
        f.location.object = Some("Pod/\u{1b}[31mred".into());
        t.findings.push(f);
        r.targets.push(t);
        let text = table(&r, &RenderOptions::default());
        assert!(!text.contains('\u{1b}') && !text.contains('\r') && !text.contains('\u{7}'));
        assert!(text.contains("evil\\u{1b}]0;pwned\\u{7}.yaml"), "{text}");
        assert!(text.contains("Pod/\\u{1b}[31mred"), "{text}");
    }

    #[test]
    fn unparseable_files_fail_in_junit_and_show_in_the_table() {
        let mut r = Report::default();
        let mut bad = Target::new("deploy.yaml", TargetKind::Kubernetes);
        bad.findings
            .push(Finding::input_error("deploy.yaml", Some(3), "bad <indent>"));
        r.targets.push(bad);
        r.targets
            .push(Target::new("Dockerfile", TargetKind::Dockerfile));
        let x = junit(&r);
        assert!(x.contains("tests=\"2\" failures=\"1\""), "{x}");
        assert!(x.contains("[HIGH] BH-PARSE"), "{x}");
        assert!(x.contains("deploy.yaml:3: bad &lt;indent&gt;"), "{x}");
        assert!(x.contains("name=\"no findings\""), "{x}");
        let t = table(&r, &RenderOptions::default());
        assert!(t.contains("BH-PARSE") && t.contains("HIGH"), "{t}");
        assert!(
            t.contains("2 file(s) checked, 1 finding(s), 1 file(s) not fully checked"),
            "{t}"
        );
        r.suppressed.push(bulkhead_core::Suppressed {
            id: "DL3008".into(),
            subject: "Dockerfile:3".into(),
            by: ".bulkhead.yaml (ignored)".into(),
        });
        let t = table(&r, &RenderOptions::default());
        assert!(
            t.contains(", 1 suppressed by settings (listed in the JSON report)"),
            "{t}"
        );
    }
}
