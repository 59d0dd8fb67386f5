//! CycloneDX 1.6 JSON. Written with serde_json values rather than the `cyclonedx-bom` crate because
//! that crate does not emit spec 1.6 (its newest is 1.5); the output is validated against the official
//! 1.6 schema in tests. Structure follows Trivy: metadata.component is the container, which depends on
//! an operating-system component, which depends on every OS package.

use crate::{TOOL_NAME, TOOL_VERSION};
use bulkhead_core::purl::package_purl;
use bulkhead_core::{Artifact, Finding, FindingKind, Package, Report};
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
    for (k, v) in &p.properties {
        props.push(prop(k, v));
    }
    props
}

/// The BOM of a report's first image or filesystem target, with its vulnerabilities when a
/// vulnerability scan ran (an empty document for a report without one).
pub fn bom_of_report(r: &Report) -> Value {
    let vulns_scanned = r.scanners.contains(&FindingKind::Vulnerability);
    match r.targets.iter().find(|t| t.artifact.is_some()) {
        Some(t) => {
            let vulns: Vec<&Finding> = t
                .findings
                .iter()
                .filter(|f| f.kind == FindingKind::Vulnerability)
                .collect();
            let a = t.artifact.as_ref().expect("found with an artifact");
            bom(a, vulns_scanned.then_some(&vulns[..]))
        }
        None => bom(&Artifact::default(), None),
    }
}

/// Build the BOM document; `vulns` adds `vulnerabilities[]` (present, maybe empty, when a
/// vulnerability scan ran).
pub fn bom(a: &Artifact, vulns: Option<&[&Finding]>) -> Value {
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
    let mut os_refs = Vec::new();
    let mut lang_refs = Vec::new();
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
        if p.kind.is_some_and(|k| k.is_os()) {
            os_refs.push(bom_ref.clone());
        } else {
            lang_refs.push(bom_ref.clone());
        }
        pkg_refs.push(bom_ref);
        components.push(c);
    }
    // The image depends on its OS (which depends on the OS packages) and directly on language
    // packages; without a detected OS, OS packages hang off the image too.
    let mut top_deps = lang_refs;
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
        deps.push(json!({"ref": os_ref, "dependsOn": os_refs}));
        top_deps.insert(0, os_ref);
    } else {
        top_deps.extend(os_refs);
    }
    // Each package's own edges (a lockfile's resolved dependencies), to the packages of the same
    // source file.
    let by_source: std::collections::HashMap<(&str, String), &String> = a
        .packages
        .iter()
        .zip(&pkg_refs)
        .map(|(p, r)| ((p.db_path.as_str(), format!("{}@{}", p.name, p.version)), r))
        .collect();
    for (p, r) in a.packages.iter().zip(&pkg_refs) {
        let on: Vec<&String> = p
            .depends_on
            .iter()
            .filter_map(|id| by_source.get(&(p.db_path.as_str(), id.clone())).copied())
            .collect();
        deps.push(json!({"ref": r, "dependsOn": on}));
    }
    deps.insert(
        0,
        json!({"ref": metadata_component["bom-ref"], "dependsOn": top_deps}),
    );

    let mut doc = json!({
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
    });
    if let Some(vulns) = vulns {
        doc["vulnerabilities"] = Value::Array(vulnerabilities(a, vulns));
    }
    doc
}

fn source_of(id: &str) -> Value {
    let (name, url) = if id.starts_with("CVE-") {
        ("NVD", format!("https://nvd.nist.gov/vuln/detail/{id}"))
    } else if id.starts_with("GHSA-") {
        ("GitHub", format!("https://github.com/advisories/{id}"))
    } else {
        ("OSV", format!("https://osv.dev/vulnerability/{id}"))
    };
    json!({"name": name, "url": url})
}

/// CycloneDX `vulnerabilities[]`: one entry per finding, `affects[].ref` pointing at the package's
/// bom-ref (its purl, as in `components`).
fn vulnerabilities(a: &Artifact, vulns: &[&Finding]) -> Vec<Value> {
    let refs: std::collections::HashMap<String, String> = a
        .packages
        .iter()
        .map(|p| {
            (
                p.key(),
                package_purl(p, a.os.as_ref()).unwrap_or_else(|| p.key()),
            )
        })
        .collect();
    vulns
        .iter()
        .map(|v| {
            let key = v.package.as_ref().map_or("", |p| p.key.as_str());
            let bom_ref = refs.get(key).cloned().unwrap_or_else(|| key.to_string());
            let sev = v.severity.as_str().to_lowercase();
            let mut rating = json!({"severity": sev});
            if let Some(c) = &v.cvss {
                rating["score"] = json!(c.score);
            }
            match v.cvss.as_ref().and_then(|c| c.vector.as_ref()) {
                Some(vector) => {
                    rating["vector"] = json!(vector);
                    rating["method"] = json!(if vector.starts_with("CVSS:4") {
                        "CVSSv4"
                    } else if vector.starts_with("CVSS:3.1") {
                        "CVSSv31"
                    } else if vector.starts_with("CVSS:3") {
                        "CVSSv3"
                    } else {
                        "CVSSv2"
                    });
                }
                None => rating["method"] = json!("other"),
            }
            let status = v
                .status
                .map_or("affected", bulkhead_core::VulnStatus::as_str);
            let mut e = json!({
                "bom-ref": format!("{}#{}", v.id, bom_ref),
                "id": v.id,
                "source": source_of(&v.id),
                "ratings": [rating],
                "affects": [{
                    "ref": bom_ref,
                    "versions": [{"version": v.installed_version(), "status": "affected"}],
                }],
                "properties": [prop("Status", status), prop("DataSource", v.data_source())],
            });
            if !v.aliases.is_empty() {
                e["references"] = Value::Array(
                    v.aliases
                        .iter()
                        .map(|al| json!({"id": al, "source": source_of(al)}))
                        .collect(),
                );
            }
            if v.title != v.id {
                e["description"] = json!(v.title);
            }
            if let Some(f) = v.fixed_version() {
                e["recommendation"] = json!(format!("Upgrade {} to {f}", v.package_name()));
                e["properties"]
                    .as_array_mut()
                    .expect("an array")
                    .push(prop("FixedVersion", f));
            }
            e
        })
        .collect()
}
