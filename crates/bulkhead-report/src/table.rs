//! Human-readable tables of image and filesystem targets: a summary, the vulnerabilities (grouped by
//! package, highest severity first, with status and fixed version), and the package list when asked
//! (`--list-all-pkgs`) or when no vulnerability scan ran (the inventory is then the result).

use crate::RenderOptions;
use bulkhead_core::{
    Artifact, Finding, FindingKind, PackageKind, Report, Severity, Target, VulnStatus,
};
use comfy_table::{Cell, Color, ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};

/// Longest text a table cell shows (the machine formats carry the whole text): laying out cells of
/// hundreds of kilobytes costs the table renderer seconds and gigabytes.
pub const MAX_CELL_CHARS: usize = 1024;

/// Text from an image, a manifest or an advisory as a table may show it: control characters
/// (terminal escape sequences, carriage returns) written as visible escapes, never emitted; a
/// line break becomes a space; at most [`MAX_CELL_CHARS`] characters, then `…`.
pub fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(MAX_CELL_CHARS * 4));
    for (i, c) in s.chars().enumerate() {
        if i == MAX_CELL_CHARS {
            out.push('…');
            break;
        }
        match c {
            '\n' => out.push(' '),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out
}

/// The colour of a severity in every table (vulnerabilities, misconfigurations).
pub fn severity_cell(s: Severity, color: bool) -> Cell {
    let c = Cell::new(s.as_str());
    if !color {
        return c;
    }
    c.fg(match s {
        Severity::Critical => Color::Red,
        Severity::High => Color::DarkRed,
        Severity::Medium => Color::Yellow,
        Severity::Low => Color::Blue,
        Severity::Unknown => Color::Grey,
    })
}

/// A table with Bulkhead's look, as wide as `opts.width` allows.
pub fn new_table(opts: &RenderOptions) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    match opts.width {
        Some(w) => {
            t.set_content_arrangement(ContentArrangement::Dynamic)
                .set_width(w);
        }
        None => {
            t.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    // Colour and width are the caller's decision (NO_COLOR, CLICOLOR_FORCE, `-o FILE`), not
    // comfy-table's guess from stdout.
    t.force_no_tty();
    if opts.color {
        t.enforce_styling();
    }
    t
}

/// The summary line of findings by severity.
pub fn severity_summary(what: &str, findings: &[&Finding]) -> String {
    let count = |s: Severity| findings.iter().filter(|v| v.severity == s).count();
    format!(
        "{what}: {} (CRITICAL: {}, HIGH: {}, MEDIUM: {}, LOW: {}, UNKNOWN: {})",
        findings.len(),
        count(Severity::Critical),
        count(Severity::High),
        count(Severity::Medium),
        count(Severity::Low),
        count(Severity::Unknown)
    )
}

fn header(a: &Artifact, out: &mut String) {
    out.push_str(&format!("{} ({})\n", clean(&a.name), clean(&a.kind)));
    if let Some(id) = &a.image_id {
        out.push_str(&format!("Image ID: {}\n", clean(id)));
    }
    if let Some(p) = &a.platform {
        out.push_str(&format!("Platform: {}\n", clean(p)));
    }
    match &a.os {
        Some(os) => out.push_str(&format!(
            "OS: {} {}{}\n",
            clean(&os.family),
            clean(&os.version),
            os.pretty_name
                .as_ref()
                .map(|p| format!(" ({})", clean(p)))
                .unwrap_or_default()
        )),
        None => out.push_str("OS: not detected\n"),
    }
    if a.layers.is_empty() && a.file_count == 0 {
        // An SBOM's packages: no layers or files were read.
        out.push_str(&format!("Packages: {}\n", a.packages.len()));
    } else {
        out.push_str(&format!(
            "Layers: {}  Files: {}  Packages: {}\n",
            a.layers.len().max(1),
            a.file_count,
            a.packages.len()
        ));
    }
}

fn packages(a: &Artifact, opts: &RenderOptions) -> String {
    let mut t = new_table(opts);
    t.set_header(vec![
        "Type", "Package", "Version", "Arch", "Source", "Files",
    ]);
    for p in &a.packages {
        let src = match (&p.src_name, &p.src_version) {
            (Some(n), _) if *n == p.name => String::new(),
            (Some(n), Some(v)) if *v != p.full_version() && *v != p.version => format!("{n} {v}"),
            (Some(n), _) => n.clone(),
            _ => String::new(),
        };
        t.add_row(vec![
            p.kind.map(|k| k.purl_type()).unwrap_or("").to_string(),
            clean(&p.name),
            clean(&p.full_version()),
            clean(p.arch.as_deref().unwrap_or_default()),
            clean(&src),
            p.files.len().to_string(),
        ]);
    }
    format!("{t}\n")
}

fn status_text(f: &Finding) -> &'static str {
    f.status.map_or("", VulnStatus::as_str)
}

/// The vulnerability table: a summary line by severity, then one row per finding grouped by package
/// (sorted by package, then severity, highest first). OS packages come first; language packages
/// follow in one table per file they came from (a lockfile, a binary, a package manifest), under a
/// line naming the file and the package type, as Trivy shows one result per file.
pub fn vulnerabilities(vulns: &[&Finding], opts: &RenderOptions) -> String {
    let mut out = format!("\n{}\n", severity_summary("Vulnerabilities", vulns));
    if vulns.is_empty() {
        return out;
    }
    // Section: None for OS packages; installed language packages by type (as Trivy's
    // "Python (python-pkg)" result); a binary's or a lockfile's by its file.
    let section = |f: &Finding| -> Option<(String, &'static str)> {
        let kind = f.package.as_ref().and_then(|p| p.kind)?;
        if kind.is_os() {
            return None;
        }
        let file = f.location.file.clone().unwrap_or_default();
        let per_file = matches!(kind, PackageKind::Golang | PackageKind::Cargo)
            || is_lockfile(file.rsplit('/').next().unwrap_or(&file));
        Some((
            if per_file { file } else { String::new() },
            kind.purl_type(),
        ))
    };
    let mut sections: std::collections::BTreeMap<Option<(String, &'static str)>, Vec<&Finding>> =
        Default::default();
    for v in vulns {
        sections.entry(section(v)).or_default().push(v);
    }
    let many = sections.len() > 1;
    for (sec, rows) in sections {
        if let Some((file, kind)) = &sec {
            let what = if file.is_empty() {
                installed_label(kind).to_string()
            } else {
                format!("/{}", clean(file))
            };
            out.push_str(&format!(
                "\n{what} ({kind})\n{}\n",
                severity_summary("Total", &rows)
            ));
        } else if many {
            out.push_str(&format!(
                "\nOS packages\n{}\n",
                severity_summary("Total", &rows)
            ));
        }
        out.push_str(&vulnerability_rows(rows, opts));
    }
    out
}

/// Lockfiles and other per-project dependency files (their findings are listed per file).
fn is_lockfile(base: &str) -> bool {
    matches!(
        base,
        "package-lock.json"
            | "npm-shrinkwrap.json"
            | "yarn.lock"
            | "pnpm-lock.yaml"
            | "bun.lock"
            | "go.mod"
            | "Cargo.lock"
            | "composer.lock"
            | "installed.json"
            | "packages.lock.json"
            | "packages.config"
            | "Pipfile.lock"
            | "poetry.lock"
            | "uv.lock"
            | "Gemfile.lock"
            | "gradle.lockfile"
    ) || (base.starts_with("requirements") && base.ends_with(".txt"))
        || (base.starts_with("pylock") && base.ends_with(".toml"))
        || base.ends_with(".deps.json")
}

/// How installed packages of a purl type are named in the table.
fn installed_label(purl_type: &str) -> &'static str {
    match purl_type {
        "pypi" => "Python packages",
        "npm" => "Node.js packages",
        "gem" => "Ruby gems",
        "maven" => "Java archives",
        "composer" => "PHP packages",
        "nuget" => ".NET packages",
        _ => "Language packages",
    }
}

fn vulnerability_rows(mut sorted: Vec<&Finding>, opts: &RenderOptions) -> String {
    sorted.sort_by(|a, b| {
        (
            a.package_name(),
            a.installed_version(),
            std::cmp::Reverse(a.severity),
            &a.id,
        )
            .cmp(&(
                b.package_name(),
                b.installed_version(),
                std::cmp::Reverse(b.severity),
                &b.id,
            ))
    });
    let mut t = new_table(opts);
    t.set_header(vec![
        "Package",
        "Installed",
        "Vulnerability",
        "Severity",
        "Status",
        "Fixed in",
        "Title",
    ]);
    let mut last = "";
    for v in sorted {
        let key = v.package.as_ref().map_or("", |p| p.key.as_str());
        let pkg = if key == last {
            String::new()
        } else {
            v.package_name().to_string()
        };
        last = key;
        let mut title = if v.title == v.id {
            String::new()
        } else {
            v.title.clone()
        };
        if opts.width.is_none() && title.chars().count() > 60 {
            title = title.chars().take(57).collect::<String>() + "...";
        }
        t.add_row(vec![
            Cell::new(clean(&pkg)),
            Cell::new(clean(v.installed_version())),
            Cell::new(clean(&v.id)),
            severity_cell(v.severity, opts.color),
            Cell::new(status_text(v)),
            Cell::new(clean(v.fixed_version().unwrap_or(""))),
            Cell::new(clean(&title)),
        ]);
    }
    let mut out = t.to_string();
    out.push('\n');
    out
}

fn target(t: &Target, report: &Report, opts: &RenderOptions, out: &mut String) {
    let vuln_scan = report.scanners.contains(&FindingKind::Vulnerability);
    if let Some(a) = &t.artifact {
        header(a, out);
        let secret_scan = report.scanners.contains(&FindingKind::Secret);
        if !a.packages.is_empty() && (opts.list_all_pkgs || (!vuln_scan && !secret_scan)) {
            out.push('\n');
            out.push_str(&packages(a, opts));
        }
    } else {
        out.push_str(&format!("{}\n", clean(&t.name)));
    }
    if vuln_scan {
        let vulns: Vec<&Finding> = t
            .findings
            .iter()
            .filter(|f| f.kind == FindingKind::Vulnerability)
            .collect();
        out.push_str(&vulnerabilities(&vulns, opts));
    }
    let others: Vec<&Finding> = t
        .findings
        .iter()
        .filter(|f| f.kind != FindingKind::Vulnerability)
        .collect();
    if !others.is_empty() {
        out.push_str(&format!("\n{}\n", severity_summary("Findings", &others)));
        let mut tb = new_table(opts);
        tb.set_header(vec!["Rule", "Severity", "Where", "Message"]);
        for f in others {
            let place = f
                .location
                .file
                .clone()
                .map(|p| match f.location.line {
                    Some(l) => format!("{p}:{l}"),
                    None => p,
                })
                .or_else(|| f.location.object.clone())
                .unwrap_or_default();
            tb.add_row(vec![
                Cell::new(clean(&f.id)),
                severity_cell(f.severity, opts.color),
                Cell::new(clean(&place)),
                Cell::new(clean(&f.message)),
            ]);
        }
        out.push_str(&tb.to_string());
        out.push('\n');
    }
    if let Some(a) = &t.artifact {
        for w in &a.warnings {
            out.push_str(&format!("warning: {}\n", clean(w)));
        }
    }
}

/// Render every target of an image or filesystem report.
pub fn render(report: &Report, opts: &RenderOptions) -> String {
    let mut out = String::new();
    for (i, t) in report.targets.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        target(t, report, opts, &mut out);
    }
    if !report.suppressed.is_empty() {
        out.push_str(&format!(
            "\n{} finding(s) suppressed (ignore file / VEX)\n",
            report.suppressed.len()
        ));
    }
    out
}
