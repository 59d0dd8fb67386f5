//! Lockfiles and installed-package lists of every ecosystem against Trivy's golden outputs for
//! Trivy's own fixtures.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// A directory read as `bulkhead fs` reads a project (lockfiles included; development-only
/// dependencies with `dev`).
fn project(dir: &Path, dev: bool) -> bulkhead_inventory::Inventory {
    let sources = bulkhead_inventory::Sources {
        lockfiles: true,
        dev,
    };
    let scanned = bulkhead_image::scan_target(
        dir.to_str().unwrap(),
        &bulkhead_inventory::wanted_for(sources),
        &bulkhead_image::ScanOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    bulkhead_inventory::analyze_sources(
        &scanned.index,
        &bulkhead_inventory::Limits::default(),
        sources,
    )
}

/// A directory scan reads the project's lockfiles as Trivy's `fs`/`repo` scans do: the packages,
/// licences (from the installed `node_modules` and the project's `package.json`), resolved
/// dependencies and dev flags of Trivy's own integration fixtures
/// (`../shared/data/pkgdb/lockfiles/trivy-repo/<dir>`: npm, yarn, pnpm, Cargo, Composer lock and
/// installed.json, NuGet lock, .NET deps.json, requirements.txt, Pipfile.lock, poetry.lock,
/// pylock.toml) equal Trivy's golden outputs for them (`../shared/data/scanner-goldens/trivy/`).
#[test]
fn lockfiles_match_trivys_goldens() {
    let Some(fixtures) = common::shared("lockfiles/trivy-repo") else {
        return;
    };
    let goldens = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/scanner-goldens/trivy");
    type Row = (String, Vec<String>, Vec<String>, bool);
    let golden = |name: &str, kind: &str| -> BTreeSet<Row> {
        let g: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(goldens.join(name)).expect("golden"))
                .unwrap();
        let strings = |v: &serde_json::Value| -> Vec<String> {
            v.as_array()
                .into_iter()
                .flatten()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        };
        g["Results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["Type"] == kind)
            .flat_map(|r| r["Packages"].as_array().unwrap().iter())
            .map(|p| {
                // Older goldens have no IDs; .NET's are `Name/Version`: compare `name@version`.
                let id = format!(
                    "{}@{}",
                    p["Name"].as_str().unwrap(),
                    p["Version"].as_str().unwrap()
                );
                let deps = strings(&p["DependsOn"])
                    .into_iter()
                    .map(|d| match d.rsplit_once('/') {
                        Some((n, v)) if kind == "dotnet-core" => format!("{n}@{v}"),
                        _ => d,
                    })
                    .collect();
                (
                    id,
                    strings(&p["Licenses"]),
                    deps,
                    p["Dev"].as_bool().unwrap_or(false),
                )
            })
            .collect()
    };
    // The last column: whether licences are compared. Trivy's pnpm golden has MIT for both
    // packages, for which the fixture's copy in ../shared gives no source (its node_modules is
    // empty), so there the rest is compared.
    let cases = [
        ("npm", "npm.json.golden", "npm", false, 12, true),
        ("npm", "npm-with-dev.json.golden", "npm", true, 13, true),
        ("yarn", "yarn.json.golden", "yarn", false, 2, true),
        ("pnpm", "pnpm.json.golden", "pnpm", false, 2, false),
        ("cargo", "cargo.lock.json.golden", "cargo", false, 7, true),
        (
            "composer",
            "composer.lock.json.golden",
            "composer",
            false,
            2,
            true,
        ),
        (
            "composer-vendor",
            "composer.vendor.json.golden",
            "composer-vendor",
            false,
            3,
            true,
        ),
        ("nuget", "nuget.json.golden", "nuget", false, 2, true),
        (
            "dotnet",
            "dotnet.json.golden",
            "dotnet-core",
            false,
            2,
            true,
        ),
        ("pip", "pip.json.golden", "pip", false, 7, true),
        ("pipenv", "pipenv.json.golden", "pipenv", false, 1, true),
        ("poetry", "poetry.json.golden", "poetry", false, 3, true),
        ("pylock", "pylock.json.golden", "pylock", false, 3, true),
        ("bun", "bun.json.golden", "bun", false, 2, true),
    ];
    for (dir, name, kind, dev, n, licences) in cases {
        let inv = project(&fixtures.join(dir), dev);
        let ours: BTreeSet<Row> = inv
            .packages
            .iter()
            .filter(|p| p.kind.is_some_and(|k| !k.is_os()))
            .map(|p| {
                (
                    format!("{}@{}", p.name, p.version),
                    p.licenses.clone(),
                    p.depends_on.clone(),
                    p.dev,
                )
            })
            .collect();
        let mut want = golden(name, kind);
        assert_eq!(want.len(), n, "{name}: {want:?}");
        let ours: BTreeSet<Row> = if licences {
            ours
        } else {
            want = want
                .into_iter()
                .map(|(i, _, d, v)| (i, vec![], d, v))
                .collect();
            ours.into_iter()
                .map(|(i, _, d, v)| (i, vec![], d, v))
                .collect()
        };
        assert_eq!(ours, want, "{name}");
        println!(
            "{name}: {n} packages, {}edges and dev flags equal",
            if licences {
                "licences, "
            } else {
                "(licences not compared) "
            }
        );
    }
}

/// Gradle: Trivy's golden for its fixture lists findings only (no package list); the packages it
/// flags are exactly the lockfile's.
#[test]
fn gradle_lockfile_as_trivys_golden_flags_it() {
    let Some(fixtures) = common::shared("lockfiles/trivy-repo/gradle") else {
        return;
    };
    let golden: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/data/scanner-goldens/trivy/gradle.json.golden"),
        )
        .unwrap(),
    )
    .unwrap();
    let want: BTreeSet<String> = golden["Results"][0]["Vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            format!(
                "{}@{}",
                v["PkgName"].as_str().unwrap(),
                v["InstalledVersion"].as_str().unwrap()
            )
        })
        .collect();
    let inv = project(&fixtures, false);
    let ours: BTreeSet<String> = inv
        .packages
        .iter()
        .filter(|p| p.kind == Some(bulkhead_core::PackageKind::Maven))
        .map(|p| format!("{}@{}", p.name, p.version))
        .collect();
    assert_eq!(ours, want);
    assert_eq!(
        bulkhead_core::purl::package_purl(&inv.packages[0], None).as_deref(),
        Some("pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.1")
    );
}

/// Yarn 2+ (Berry): a lockfile Yarn 4.5.3 wrote for a small project (tests/generated/README.md):
/// its 15 registry packages, the dev-only one left out unless asked for, edges resolved through
/// the `npm:` descriptors, the workspace itself not a package.
#[test]
fn yarn_berry_lockfile_from_yarn_4() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/generated/yarn-berry");
    let read = |dev: bool| project(&dir, dev);
    let inv = read(false);
    assert!(inv.warnings.is_empty(), "{:?}", inv.warnings);
    let locked: Vec<&bulkhead_core::Package> = inv
        .packages
        .iter()
        .filter(|p| p.db_path == "/yarn.lock")
        .collect();
    assert_eq!(locked.len(), 14, "{locked:?}");
    assert!(
        !locked
            .iter()
            .any(|p| p.name == "ansi-html" || p.name == "berry-app")
    );
    let highlight = locked
        .iter()
        .find(|p| p.name == "@babel/highlight")
        .unwrap();
    assert_eq!(highlight.version, "7.25.9");
    assert_eq!(
        highlight.depends_on,
        [
            "@babel/helper-validator-identifier@7.29.17",
            "chalk@2.4.2",
            "js-tokens@4.0.0",
            "picocolors@1.1.1"
        ]
    );
    let with_dev = read(true);
    let dev: Vec<&str> = with_dev
        .packages
        .iter()
        .filter(|p| p.db_path == "/yarn.lock" && p.dev)
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(dev, ["ansi-html"]);
}

/// npm workspaces: the lockfile npm 11 wrote for a two-workspace monorepo
/// (tests/generated/README.md) gives what Trivy 0.59.1 lists for it: both workspaces as packages
/// with their edges (one workspace depending on the other through its link), the nested copy a
/// workspace has of its own, and the dev-only packages (the root's, and a workspace's) left out.
#[test]
fn npm_workspaces_from_npm_11() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/generated/npm-workspaces");
    let inv = project(&dir, false);
    assert!(inv.warnings.is_empty(), "{:?}", inv.warnings);
    let locked: Vec<(String, Vec<String>)> = inv
        .packages
        .iter()
        .filter(|p| p.db_path == "/package-lock.json")
        .map(|p| (format!("{}@{}", p.name, p.version), p.depends_on.clone()))
        .collect();
    let want: Vec<(String, Vec<String>)> = [
        (
            "@mono/api@1.0.0",
            &["@mono/util@0.3.0", "minimist@1.2.5", "ms@2.0.0"][..],
        ),
        ("@mono/util@0.3.0", &["lodash@4.17.20"][..]),
        ("lodash@4.17.20", &[][..]),
        ("minimist@1.2.5", &[][..]),
        ("ms@2.0.0", &[][..]),
    ]
    .iter()
    .map(|(id, deps)| (id.to_string(), deps.iter().map(|d| d.to_string()).collect()))
    .collect();
    let mut got = locked;
    got.sort();
    assert_eq!(got, want);
    let with_dev = project(&dir, true);
    let mut dev: Vec<String> = with_dev
        .packages
        .iter()
        .filter(|p| p.dev)
        .map(|p| format!("{}@{}", p.name, p.version))
        .collect();
    dev.sort();
    assert_eq!(dev, ["minimist@1.2.0", "qs@6.5.2"]);
}

/// pnpm workspaces: every importer of the lockfile pnpm 9 wrote (tests/generated/README.md) is
/// the project's, as Trivy 0.59.1 reads it: what a workspace depends on is a production package,
/// what only a workspace's `devDependencies` reach is development-only.
#[test]
fn pnpm_workspaces_from_pnpm_9() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/generated/pnpm-workspaces");
    let ids = |dev: bool| {
        let inv = project(&dir, dev);
        assert!(inv.warnings.is_empty(), "{:?}", inv.warnings);
        let mut v: Vec<(String, bool)> = inv
            .packages
            .iter()
            .filter(|p| p.db_path == "/pnpm-lock.yaml")
            .map(|p| (format!("{}@{}", p.name, p.version), p.dev))
            .collect();
        v.sort();
        v
    };
    let s = |v: &[(&str, bool)]| -> Vec<(String, bool)> {
        v.iter().map(|(i, d)| (i.to_string(), *d)).collect()
    };
    assert_eq!(
        ids(false),
        s(&[
            ("lodash@4.17.20", false),
            ("minimist@1.2.5", false),
            ("ms@2.0.0", false)
        ])
    );
    assert_eq!(
        ids(true),
        s(&[
            ("lodash@4.17.20", false),
            ("minimist@1.2.0", true),
            ("minimist@1.2.5", false),
            ("ms@2.0.0", false),
            ("qs@6.5.2", true)
        ])
    );
}

/// Maven: Trivy's pom fixture gives what Trivy 0.59.1 lists for it offline (the project, and its
/// compile-scope dependency; `provided` and `test` ones left out), and Trivy's golden flags that
/// dependency.
#[test]
fn pom_xml_as_trivy_reads_it_offline() {
    let Some(fixtures) = common::shared("lockfiles/trivy-repo/pom") else {
        return;
    };
    let read = |dev: bool| {
        let inv = project(&fixtures, dev);
        inv.packages
            .iter()
            .filter(|p| p.kind == Some(bulkhead_core::PackageKind::Maven))
            .map(|p| (format!("{}@{}", p.name, p.version), p.depends_on.clone()))
            .collect::<BTreeSet<_>>()
    };
    let jackson = "com.fasterxml.jackson.core:jackson-databind@2.9.1".to_string();
    assert_eq!(
        read(false),
        BTreeSet::from([
            (
                "com.example:log4shell@1.0-SNAPSHOT".to_string(),
                vec![jackson.clone()]
            ),
            (jackson.clone(), vec![]),
        ])
    );
    // With development dependencies: the provided servlet API and the two test-scope JUnit jars.
    assert_eq!(read(true).len(), 5);
    let golden: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/data/scanner-goldens/trivy/pom.json.golden"),
        )
        .unwrap(),
    )
    .unwrap();
    for v in golden["Results"][0]["Vulnerabilities"].as_array().unwrap() {
        assert_eq!(
            format!(
                "{}@{}",
                v["PkgName"].as_str().unwrap(),
                v["InstalledVersion"].as_str().unwrap()
            ),
            jackson
        );
    }
}
