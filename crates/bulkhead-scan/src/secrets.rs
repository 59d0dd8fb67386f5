//! Secret findings of a scan: what the content scan found in every layer's files (kept by the walk
//! with the layer that holds the file and the later layer that deleted or replaced it), and the
//! image configuration's environment, labels and build history (`created_by`).

use bulkhead_core::{Finding, FindingKind};
use bulkhead_image::{ImageIndex, ImageMeta};
use bulkhead_secrets::{Scanner, Secret};

fn finding(s: &Secret, message: String) -> Finding {
    let mut f = Finding::new(
        FindingKind::Secret,
        &s.rule_id,
        s.severity,
        &s.title,
        message,
    );
    f.fix = Some(bulkhead_core::Fix {
        version: None,
        remediation: Some(s.fix.clone()),
    });
    f.evidence
        .insert("category".into(), s.category.clone().into());
    f.evidence.insert("secret".into(), s.masked.clone().into());
    f
}

/// Every secret of the scanned image or directory.
pub fn findings(scanner: &Scanner, index: &ImageIndex, meta: Option<&ImageMeta>) -> Vec<Finding> {
    let mut out = Vec::new();
    let layer_name = |i: u32| {
        index
            .layers
            .get(i as usize)
            .map(|l| l.diff_id.clone())
            .filter(|d| !d.starts_with("rootfs:"))
    };
    for rec in index.scanned() {
        let Ok(found) = serde_json::from_slice::<Vec<Secret>>(&rec.record) else {
            continue;
        };
        for s in found {
            let mut message = match &s.entry {
                Some(e) => format!("{}: {} (in {e} of the archive)", s.title, s.context.trim()),
                None => format!("{}: {}", s.title, s.context.trim()),
            };
            if let Some(j) = rec.removed_in {
                message.push_str(&format!(
                    " (deleted or replaced in layer {} — still in the image, in layer {})",
                    j + 1,
                    rec.layer + 1
                ));
            }
            let mut f = finding(&s, message);
            f.location.file = Some(format!("/{}", rec.path));
            f.location.line = Some(s.line);
            // The archive is the file; the member is the object inside it.
            f.location.object = s.entry.clone();
            f.location.layer = layer_name(rec.layer);
            if let Some(j) = rec.removed_in {
                f.evidence
                    .insert("removed_in_layer".into(), (u64::from(j) + 1).into());
            }
            out.push(f);
        }
    }
    let Some(meta) = meta else {
        return out;
    };
    let cfg = meta.run_config();
    // One field of the configuration: its secrets, each named by where it is (`config.Env.X`).
    let mut field = |what: &str, text: &str, object: String, place: String| {
        for s in scanner.scan_text(what, text) {
            let mut f = finding(&s, format!("{} in {place}: {}", s.title, s.context.trim()));
            f.location.object = Some(object.clone());
            out.push(f);
        }
    };
    // ENV: each variable on its own, named in the message.
    for e in cfg
        .get("Env")
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str())
    {
        let name = e.split('=').next().unwrap_or(e);
        field(
            "image config: Env",
            e,
            format!("config.Env.{name}"),
            format!("the image's environment variable {name}"),
        );
    }
    for (k, v) in cfg
        .get("Labels")
        .and_then(|v| v.as_object())
        .into_iter()
        .flatten()
    {
        let Some(v) = v.as_str() else { continue };
        field(
            "image config: Labels",
            &format!("{k}={v}"),
            format!("config.Labels.{k}"),
            format!("the image's label {k}"),
        );
    }
    for (i, cmd) in meta.build_steps() {
        field(
            "image config: history",
            cmd,
            format!("history[{i}].created_by"),
            format!("the build history (step {})", i + 1),
        );
    }
    out
}
