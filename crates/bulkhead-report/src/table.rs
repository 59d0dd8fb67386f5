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
    for w in &a.warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    out
}
