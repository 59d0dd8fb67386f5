//! CycloneDX 1.6 JSON. Written with serde_json values rather than the `cyclonedx-bom` crate because
//! that crate does not emit spec 1.6 (its newest is 1.5); the output is validated against the official
//! 1.6 schema in tests. Structure follows Trivy: metadata.component is the container, which depends on
//! an operating-system component, which depends on every OS package.

use crate::{TOOL_NAME, TOOL_VERSION};
use bulkhead_core::purl::package_purl;
use bulkhead_core::{Artifact, Package};
use serde_json::{Value, json};
use std::collections::HashSet;

fn prop(name: &str, value: impl Into<String>) -> Value {
    json!({"name": format!("bulkhead:{name}"), "value": value.into()})
}

/// Properties carried per package (source package, layer, epoch…), named like Trivy's.
fn package_properties(p: &Package) -> Vec<Value> {
    let mut props = Vec::new();
    if let Some(s) = &p.src_name {
        props.push(prop("SrcName", s));
    }
    if let Some(s) = &p.src_version {
        props.push(prop("SrcVersion", s));
    }
    if let Some(s) = &p.src_release {
        props.push(prop("SrcRelease", s));
    }
    if let Some(e) = p.src_epoch.filter(|e| *e > 0) {
        props.push(prop("SrcEpoch", e.to_string()));
    }
    if let Some(e) = p.epoch.filter(|e| *e > 0) {
        props.push(prop("Epoch", e.to_string()));
    }
    if let Some(l) = &p.layer {
        props.push(prop("LayerDiffID", l));
    }
    props.push(prop("PkgType", p.kind.map(|k| k.purl_type()).unwrap_or("")));
    props.push(prop("DBPath", &p.db_path));
    if !p.files.is_empty() {
        props.push(prop("FileCount", p.files.len().to_string()));
    }
    props
}

/// Build the BOM document.
pub fn bom(a: &Artifact) -> Value {
    let image_ref = a
        .image_id
        .clone()
        .map(|d| format!("image:{d}"))
        .unwrap_or_else(|| format!("artifact:{}", a.name));
    let mut image_props = vec![prop("ArtifactKind", &a.kind)];
    if let Some(d) = &a.image_id {
        image_props.push(prop("ImageID", d));
    }
    if let Some(d) = &a.manifest_digest {
        image_props.push(prop("ManifestDigest", d));
    }
    for t in &a.repo_tags {
        image_props.push(prop("RepoTag", t));
    }
    for d in &a.repo_digests {
        image_props.push(prop("RepoDigest", d));
    }
    for l in &a.layers {
        image_props.push(prop("DiffID", &l.diff_id));
    }
    let mut metadata_component = json!({
        "bom-ref": image_ref,
        "type": if a.kind == "rootfs" { "file" } else { "container" },
        "name": a.name,
        "properties": image_props,
    });
    if let Some(d) = &a.manifest_digest {
        metadata_component["version"] = json!(d);
    }

    let mut components = Vec::new();
    let mut deps = Vec::new();
    let mut pkg_refs = Vec::new();
    let mut seen = HashSet::new();
    for p in &a.packages {
        let purl = package_purl(p, a.os.as_ref());
        let mut bom_ref = purl.clone().unwrap_or_else(|| p.key());
        let mut n = 1;
        while !seen.insert(bom_ref.clone()) {
            n += 1;
            bom_ref = format!("{}#{n}", purl.clone().unwrap_or_else(|| p.key()));
        }
        let mut c = json!({
            "bom-ref": bom_ref,
            "type": "library",
            "name": p.name,
            // Like Trivy: the component version carries the epoch; the purl has it as a qualifier.
            "version": p.full_version(),
            "properties": package_properties(p),
        });
        if let Some(purl) = purl {
            c["purl"] = json!(purl);
        }
        if let Some(m) = &p.maintainer {
            c["supplier"] = json!({"name": m});
        }
        if !p.licenses.is_empty() {
            c["licenses"] = Value::Array(
                p.licenses
                    .iter()
                    .map(|l| json!({"license": {"name": l}}))
                    .collect(),
            );
        }
        pkg_refs.push(bom_ref);
        components.push(c);
    }
    let mut top_deps = Vec::new();
    if let Some(os) = &a.os {
        let os_ref = format!("os:{}-{}", os.family, os.version);
        components.insert(
            0,
            json!({
                "bom-ref": os_ref,
                "type": "operating-system",
                "name": os.family,
                "version": os.version,
                "properties": [prop("Class", "os-pkgs"), prop("Type", &os.family)],
            }),
        );
        deps.push(json!({"ref": os_ref, "dependsOn": pkg_refs}));
        top_deps.push(os_ref);
    } else {
        top_deps.extend(pkg_refs.iter().cloned());
        for r in &pkg_refs {
            deps.push(json!({"ref": r, "dependsOn": []}));
        }
    }
    if a.os.is_some() {
        for r in &pkg_refs {
            deps.push(json!({"ref": r, "dependsOn": []}));
        }
    }
    deps.insert(
        0,
        json!({"ref": metadata_component["bom-ref"], "dependsOn": top_deps}),
    );

    json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": format!("urn:uuid:{}", uuid::Uuid::new_v4()),
        "version": 1,
        "metadata": {
            "timestamp": crate::time::now(),
            "tools": {"components": [{"type": "application", "group": "bulkhead", "name": TOOL_NAME, "version": TOOL_VERSION}]},
            "component": metadata_component,
        },
        "components": components,
        "dependencies": deps,
    })
}
