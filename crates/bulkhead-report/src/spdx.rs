//! SPDX 2.3 JSON, validated against the official schema in tests. The image is a package that
//! CONTAINS the operating system package, which CONTAINS every OS package (Trivy's shape).

use crate::{TOOL_NAME, TOOL_VERSION};
use bulkhead_core::purl::package_purl;
use bulkhead_core::{Artifact, Package};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashSet;

/// SPDX identifiers allow `[A-Za-z0-9.-]` only.
fn spdx_id(prefix: &str, seed: &str) -> String {
    let h = hex::encode(&Sha256::digest(seed.as_bytes())[..8]);
    format!("SPDXRef-{prefix}-{h}")
}

fn package_entry(p: &Package, a: &Artifact, id: &str) -> Value {
    let mut v = json!({
        "name": p.name,
        "SPDXID": id,
        "versionInfo": p.display_version(),
        "downloadLocation": "NONE",
        "filesAnalyzed": false,
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "NOASSERTION",
        "copyrightText": "NOASSERTION",
        "primaryPackagePurpose": "LIBRARY",
    });
    if !p.licenses.is_empty() {
        v["licenseComments"] = json!(format!(
            "Declared by the package manager: {}",
            p.licenses.join(" AND ")
        ));
    }
    if let Some(m) = &p.maintainer {
        v["supplier"] = json!(format!("Organization: {m}"));
    }
    if let Some(s) = &p.src_name {
        let mut sv = p.src_version.clone().unwrap_or_default();
        if let Some(r) = &p.src_release {
            sv = format!("{sv}-{r}");
        }
        v["sourceInfo"] = json!(format!("built package from: {s} {sv}"));
    } else if !p.db_path.is_empty() && !p.kind.is_some_and(|k| k.is_os()) {
        // Where a language package was found (a lockfile, a binary, a manifest).
        v["sourceInfo"] = json!(format!("package found in: {}", p.db_path));
    }
    if let Some(purl) = package_purl(p, a.os.as_ref()) {
        v["externalRefs"] = json!([{
            "referenceCategory": "PACKAGE-MANAGER",
            "referenceType": "purl",
            "referenceLocator": purl,
        }]);
    }
    v
}

/// The SPDX document of a report's first image or filesystem target.
pub fn document_of_report(r: &bulkhead_core::Report) -> Value {
    match r.targets.iter().find_map(|t| t.artifact.as_ref()) {
        Some(a) => document(a),
        None => document(&Artifact::default()),
    }
}

/// Build the SPDX document.
pub fn document(a: &Artifact) -> Value {
    let root_id = spdx_id(
        if a.kind == "rootfs" {
            "Filesystem"
        } else {
            "ContainerImage"
        },
        &a.name,
    );
    let mut packages = vec![json!({
        "name": a.name,
        "SPDXID": root_id,
        "versionInfo": a.image_id.clone().unwrap_or_default(),
        "downloadLocation": "NONE",
        "filesAnalyzed": false,
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "NOASSERTION",
        "copyrightText": "NOASSERTION",
        "primaryPackagePurpose": if a.kind == "rootfs" { "FILE" } else { "CONTAINER" },
    })];
    let mut rels = vec![json!({
        "spdxElementId": "SPDXRef-DOCUMENT",
        "relatedSpdxElement": root_id,
        "relationshipType": "DESCRIBES",
    })];
    let parent = if let Some(os) = &a.os {
        let os_id = spdx_id("OperatingSystem", &format!("{}-{}", os.family, os.version));
        packages.push(json!({
            "name": os.family,
            "SPDXID": os_id,
            "versionInfo": os.version,
            "downloadLocation": "NONE",
            "filesAnalyzed": false,
            "licenseConcluded": "NOASSERTION",
            "licenseDeclared": "NOASSERTION",
            "copyrightText": "NOASSERTION",
            "primaryPackagePurpose": "OPERATING_SYSTEM",
        }));
        rels.push(json!({"spdxElementId": root_id, "relatedSpdxElement": os_id, "relationshipType": "CONTAINS"}));
        os_id
    } else {
        root_id.clone()
    };
    let mut seen = HashSet::new();
    let mut ids: Vec<String> = Vec::with_capacity(a.packages.len());
    for p in &a.packages {
        let mut id = spdx_id("Package", &p.key());
        let mut n = 1;
        while !seen.insert(id.clone()) {
            n += 1;
            id = spdx_id("Package", &format!("{}#{n}", p.key()));
        }
        packages.push(package_entry(p, a, &id));
        // OS packages belong to the OS package; language packages directly to the image.
        let owner = if p.kind.is_some_and(|k| k.is_os()) {
            &parent
        } else {
            &root_id
        };
        rels.push(json!({"spdxElementId": owner, "relatedSpdxElement": id, "relationshipType": "CONTAINS"}));
        ids.push(id);
    }
    // Each package's own edges (a lockfile's or a binary's resolved dependencies), to packages of
    // the same source file.
    let by_source: std::collections::HashMap<(&str, String), &String> = a
        .packages
        .iter()
        .zip(&ids)
        .map(|(p, id)| {
            (
                (p.db_path.as_str(), format!("{}@{}", p.name, p.version)),
                id,
            )
        })
        .collect();
    for (p, id) in a.packages.iter().zip(&ids) {
        for dep in &p.depends_on {
            if let Some(to) = by_source.get(&(p.db_path.as_str(), dep.clone())) {
                rels.push(json!({"spdxElementId": id, "relatedSpdxElement": to, "relationshipType": "DEPENDS_ON"}));
            }
        }
    }
    let safe_name: String = a
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": a.name,
        "documentNamespace": format!("https://bulkhead.invalid/spdx/{safe_name}-{}", uuid::Uuid::new_v4()),
        "creationInfo": {
            "creators": [format!("Tool: {TOOL_NAME}-{TOOL_VERSION}")],
            "created": crate::time::now(),
        },
        "packages": packages,
        "relationships": rels,
    })
}
