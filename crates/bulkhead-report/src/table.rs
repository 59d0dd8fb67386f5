//! Human-readable table of an inventory.

use bulkhead_core::Artifact;
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};

/// Render the artifact summary and its packages.
pub fn render(a: &Artifact, _color: bool) -> String {
    let mut out = String::new();
    out.push_str(&format!("{} ({})\n", a.name, a.kind));
    if let Some(id) = &a.image_id {
        out.push_str(&format!("Image ID: {id}\n"));
    }
    if let Some(p) = &a.platform {
        out.push_str(&format!("Platform: {p}\n"));
    }
    match &a.os {
        Some(os) => out.push_str(&format!(
            "OS: {} {}{}\n",
            os.family,
            os.version,
            os.pretty_name
                .as_ref()
                .map(|p| format!(" ({p})"))
                .unwrap_or_default()
        )),
        None => out.push_str("OS: not detected\n"),
    }
    out.push_str(&format!(
        "Layers: {}  Files: {}  Packages: {}\n\n",
        a.layers.len().max(1),
        a.file_count,
        a.packages.len()
    ));
    if !a.packages.is_empty() {
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Disabled)
            .set_header(vec![
                "Type", "Package", "Version", "Arch", "Source", "Files",
            ]);
        for p in &a.packages {
            let src = match (&p.src_name, &p.src_version) {
                (Some(n), _) if *n == p.name => String::new(),
                (Some(n), Some(v)) if *v != p.full_version() && *v != p.version => {
                    format!("{n} {v}")
                }
                (Some(n), _) => n.clone(),
                _ => String::new(),
            };
            t.add_row(vec![
                p.kind.map(|k| k.purl_type()).unwrap_or("").to_string(),
                p.name.clone(),
                p.full_version(),
                p.arch.clone().unwrap_or_default(),
                src,
                p.files.len().to_string(),
            ]);
        }
        out.push_str(&t.to_string());
        out.push('\n');
    }
    if let Some(vulns) = &a.vulnerabilities {
        out.push_str(&render_vulnerabilities(vulns));
    }
    for w in &a.warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    out
}

/// The vulnerability table: grouped by package (sorted by package, then severity, highest first), with
/// the fixed version and the severity's source; a summary line by severity first.
pub fn render_vulnerabilities(vulns: &[bulkhead_core::Vulnerability]) -> String {
    use bulkhead_core::Severity;
    let mut out = String::new();
    let count = |s: Severity| vulns.iter().filter(|v| v.severity == s).count();
    out.push_str(&format!(
        "\nVulnerabilities: {} (CRITICAL: {}, HIGH: {}, MEDIUM: {}, LOW: {}, UNKNOWN: {})\n",
        vulns.len(),
        count(Severity::Critical),
        count(Severity::High),
        count(Severity::Medium),
        count(Severity::Low),
        count(Severity::Unknown)
    ));
    if vulns.is_empty() {
        return out;
    }
    let mut sorted: Vec<&bulkhead_core::Vulnerability> = vulns.iter().collect();
    sorted.sort_by(|a, b| {
        (
            &a.package_name,
            &a.installed_version,
            std::cmp::Reverse(a.severity),
            &a.id,
        )
            .cmp(&(
                &b.package_name,
                &b.installed_version,
                std::cmp::Reverse(b.severity),
                &b.id,
            ))
    });
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(vec![
            "Package",
            "Installed",
            "Vulnerability",
            "Severity",
            "Fixed in",
            "Title",
        ]);
    let mut last = String::new();
    for v in sorted {
        let pkg = if v.package_key == last {
            String::new()
        } else {
            v.package_name.clone()
        };
        last = v.package_key.clone();
        let mut title = v.title.clone().unwrap_or_default();
        if title.chars().count() > 60 {
            title = title.chars().take(57).collect::<String>() + "...";
        }
        t.add_row(vec![
            pkg,
            v.installed_version.clone(),
            v.id.clone(),
            format!("{:?}", v.severity).to_uppercase(),
            v.fixed_version.clone().unwrap_or_else(|| match v.status {
                bulkhead_core::VulnStatus::WillNotFix => "(will not fix)".into(),
                bulkhead_core::VulnStatus::FixDeferred => "(fix deferred)".into(),
                bulkhead_core::VulnStatus::EndOfLife => "(end of life)".into(),
                _ => "(no fix)".into(),
            }),
            title,
        ]);
    }
    out.push_str(&t.to_string());
    out.push('\n');
    out
}
