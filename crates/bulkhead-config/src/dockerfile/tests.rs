use super::*;
use crate::input::is_dockerfile_name;
use crate::settings::Settings;
use bulkhead_core::Severity;

fn lint(text: &str) -> Vec<Finding> {
    lint_dockerfile("Dockerfile", text, &Settings::default())
}

fn lint_with(text: &str, s: &Settings) -> Vec<Finding> {
    lint_dockerfile("Dockerfile", text, s)
}

fn ids(f: &[Finding]) -> Vec<(String, u32)> {
    f.iter()
        .map(|f| (f.id.clone(), f.location.line.unwrap_or(0)))
        .collect()
}

fn has(f: &[Finding], id: &str, line: u32) -> bool {
    f.iter()
        .any(|x| x.id == id && x.location.line == Some(line))
}

const GOOD: &str = "FROM alpine:3.20\nRUN adduser -D -u 10001 app\nHEALTHCHECK CMD [\"true\"]\nUSER 10001\nCMD [\"app\"]\n";

#[test]
fn clean_file_has_no_findings() {
    assert_eq!(ids(&lint(GOOD)), Vec::<(String, u32)>::new());
}

#[test]
fn parse_error_is_one_input_error() {
    let f = lint("FROM alpine:3\nFOO bar\n");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].id, "BH-PARSE");
    assert_eq!(f[0].kind, bulkhead_core::FindingKind::InputError);
    assert_eq!(f[0].aliases, ["DL1000"]);
    assert_eq!(f[0].severity, Severity::High);
    assert_eq!(f[0].location.line, Some(2));
    assert!(
        f[0].message.contains("unknown instruction"),
        "{}",
        f[0].message
    );
    // never panics on odd input
    for t in [
        "",
        "\u{0}",
        "FROM",
        "RUN x",
        "FROM a\nRUN <<EOF\n",
        "FROM a\nRUN $(((",
        "# only\n",
    ] {
        let _ = lint(t);
    }
}

#[test]
fn findings_carry_stage_and_metadata() {
    let f = lint("FROM golang:1.22 AS build\nRUN cd /x\nFROM alpine\nRUN cd /y\n");
    let a = f
        .iter()
        .find(|x| x.id == "DL3003" && x.location.line == Some(2))
        .unwrap();
    assert_eq!(a.location.object.as_deref(), Some("stage build"));
    assert_eq!(a.severity, Severity::Medium);
    assert_eq!(a.aliases, ["DS-0013"]);
    assert!(a.remediation().is_some() && !a.title.is_empty());
    let b = f
        .iter()
        .find(|x| x.id == "DL3003" && x.location.line == Some(4))
        .unwrap();
    assert_eq!(b.location.object.as_deref(), Some("stage 1"));
    let g = lint("ARG GITHUB_TOKEN\nFROM alpine:3\n");
    let t = g.iter().find(|x| x.id == "DL3064").unwrap();
    assert_eq!(t.location.object.as_deref(), Some("global"));
}

#[test]
fn severities_follow_hadolint_levels() {
    let f =
        lint("FROM alpine:3\nWORKDIR x\nRUN apk add --no-cache x\nRUN wget -O - x\nLABEL Foo=1\n");
    let sev = |id: &str| f.iter().find(|x| x.id == id).unwrap().severity;
    assert_eq!(sev("DL3000"), Severity::High); // error
    assert_eq!(sev("DL3018"), Severity::Medium); // warning
    assert_eq!(sev("DL3047"), Severity::Low); // info
    assert_eq!(sev("DL3048"), Severity::Low); // style
}

#[test]
fn line_pragmas() {
    let t = "FROM alpine:3\n# hadolint ignore=DL3018,DL3019\nRUN apk add x\nRUN apk add y\n";
    let f = lint(t);
    assert!(!has(&f, "DL3018", 3) && !has(&f, "DL3019", 3));
    assert!(has(&f, "DL3018", 4) && has(&f, "DL3019", 4));
    // only the line directly above counts
    let f = lint("FROM alpine:3\n# hadolint ignore=DL3018\n\nRUN apk add x\n");
    assert!(has(&f, "DL3018", 4));
    // trailing remark, bulkhead spelling, Bulkhead IDs
    let f = lint(
        "FROM alpine:3\n# bulkhead ignore=DL3018, BH-DF-004 # reviewed\nRUN apk add --no-cache x\n",
    );
    assert!(!has(&f, "DL3018", 3));
    // a pragma naming a hadolint ID silences the Bulkhead finding that carries it as alias
    let f = lint("FROM alpine:3\n# hadolint ignore=DL3002\nUSER root\n");
    assert!(
        !f.iter().any(|x| x.id == "BH-DF-001" || x.id == "DL3002"),
        "{:?}",
        ids(&f)
    );
}

#[test]
fn global_and_stage_pragmas() {
    let t = "# hadolint global ignore=DL3018\nFROM alpine:3\nRUN apk add x\nFROM alpine:3\nRUN apk add y\n";
    let f = lint(t);
    assert!(!f.iter().any(|x| x.id == "DL3018"));
    let t = "FROM alpine:3 AS a\n# hadolint stage ignore=DL3018\nRUN apk add x\nRUN apk add y\nFROM alpine:3\nRUN apk add z\n";
    let f = lint(t);
    assert!(!has(&f, "DL3018", 3) && !has(&f, "DL3018", 4));
    assert!(has(&f, "DL3018", 6));
    let t = "# bulkhead global ignore=BH-DF-004\nFROM alpine:3\nUSER 1\n";
    assert!(!lint(t).iter().any(|x| x.id == "BH-DF-004"));
}

#[test]
fn pragmas_can_be_disabled() {
    let s = Settings {
        disable_ignore_pragma: true,
        ..Default::default()
    };
    let t =
        "# hadolint global ignore=DL3018\nFROM alpine:3\n# hadolint ignore=DL3018\nRUN apk add x\n";
    assert!(has(&lint_with(t, &s), "DL3018", 4));
}

#[test]
fn pragma_grammar() {
    assert_eq!(
        parse_pragma(" hadolint ignore=DL3008"),
        Some(Pragma::Line(vec!["DL3008".into()]))
    );
    assert_eq!(
        parse_pragma("hadolint global ignore = DL3008 , SC2086"),
        Some(Pragma::Global(vec!["DL3008".into(), "SC2086".into()]))
    );
    assert_eq!(
        parse_pragma("bulkhead stage ignore=BH-DF-001"),
        Some(Pragma::Stage(vec!["BH-DF-001".into()]))
    );
    assert_eq!(parse_pragma("hadolint ignore="), None);
    assert_eq!(parse_pragma("hadolintignore=DL3008"), None);
    assert_eq!(parse_pragma("see hadolint ignore=DL3008"), None);
    assert_eq!(parse_pragma("hadolint ignore=DL3008 DL3009"), None);
}

#[test]
fn settings_ignore_and_override() {
    let s = Settings {
        ignored: vec!["DL3018".into()],
        overrides: [("DL3019".to_string(), Severity::Critical)].into(),
        ..Default::default()
    };
    let f = lint_with("FROM alpine:3\nRUN apk add x\n", &s);
    assert!(!f.iter().any(|x| x.id == "DL3018"));
    assert_eq!(
        f.iter().find(|x| x.id == "DL3019").unwrap().severity,
        Severity::Critical
    );
    // DL1000 too
    let s = Settings {
        ignored: vec!["DL1000".into()],
        ..Default::default()
    };
    assert!(lint_with("FOO\n", &s).is_empty());
}

#[test]
fn dl3057_is_off_by_default() {
    let t = "FROM alpine:3 AS a\nRUN true\nFROM a\nUSER 1\n";
    assert!(!lint(t).iter().any(|x| x.id == "DL3057"));
    let s = Settings {
        overrides: [("DL3057".to_string(), Severity::Low)].into(),
        ..Default::default()
    };
    let f = lint_with(t, &s);
    // stage 0 has no HEALTHCHECK (line 1); on the final stage DL3057 is reported instead of BH-DF-004
    assert!(has(&f, "DL3057", 1), "{:?}", ids(&f));
    assert!(has(&f, "DL3057", 3) && !has(&f, "BH-DF-004", 3));
}

#[test]
fn bh_df_001_root_user() {
    // no USER at all
    let f = lint("FROM alpine:3\nHEALTHCHECK NONE\n");
    let x = f.iter().find(|x| x.id == "BH-DF-001").unwrap();
    assert_eq!((x.location.line, x.severity), (Some(1), Severity::High));
    assert_eq!(x.aliases, ["DS-0002", "CKV_DOCKER_3"]);
    // explicit root in the final stage: hadolint's DL3002 is reported (same ID as hadolint), not
    // BH-DF-001 on the same line
    let f = lint("FROM alpine:3\nUSER app\nUSER root\n");
    assert!(has(&f, "DL3002", 3), "{:?}", ids(&f));
    assert!(!f.iter().any(|x| x.id == "BH-DF-001"));
    // root in a builder stage only: DL3002 there, nothing from BH-DF-001
    let f = lint("FROM alpine:3 AS b\nUSER root\nFROM alpine:3\nUSER 1000\n");
    assert!(has(&f, "DL3002", 2) && !f.iter().any(|x| x.id == "BH-DF-001"));
    // inherited from the stage the final one is built on
    let f = lint("FROM alpine:3 AS base\nUSER 1000\nFROM base\nRUN true\n");
    assert!(!f.iter().any(|x| x.id == "BH-DF-001"));
    // resolved through ARG / ENV
    let f = lint("FROM alpine:3\nARG U=0\nUSER $U\n");
    assert!(has(&f, "BH-DF-001", 3));
    let f = lint("FROM alpine:3\nARG U\nUSER $U\n");
    assert!(!f.iter().any(|x| x.id == "BH-DF-001"));
    let f =
        lint("FROM mcr.microsoft.com/windows/servercore:ltsc2022\nUSER ContainerAdministrator\n");
    assert!(has(&f, "BH-DF-001", 2));
}

#[test]
fn bh_df_002_secrets() {
    // A value hadolint's DL3064 also reports: hadolint's ID wins on that line.
    let f = lint("FROM alpine:3\nENV DB_PASSWORD=hunter2\n");
    assert!(has(&f, "DL3064", 2), "{:?}", ids(&f));
    assert!(!f.iter().any(|x| x.id == "BH-DF-002"));
    assert!(
        f.iter().all(|x| !x.message.contains("hunter2")),
        "the value must not be echoed"
    );
    // One DL3064 does not cover (a known token format under an innocent name) stays BH-DF-002.
    let f = lint("FROM alpine:3\nENV X=AKIAIOSFODNN7EXAMPLE\n");
    let x = f.iter().find(|x| x.id == "BH-DF-002").unwrap();
    assert_eq!((x.location.line, x.severity), (Some(2), Severity::High));
    assert!(
        x.aliases.contains(&"DS-0031".to_string()),
        "{:?}",
        x.aliases
    );
    // hadolint's DL3064 reports this name-based one (and BH-DF-002 gives way on that line).
    let f = lint("FROM a:1\nARG API_KEY=abc123\n");
    assert!(
        has(&f, "DL3064", 2) || has(&f, "BH-DF-002", 2),
        "{:?}",
        ids(&f)
    );
    assert!(has(
        &lint("FROM a:1\nENV X=AKIAIOSFODNN7EXAMPLE\n"),
        "BH-DF-002",
        2
    ));
    let f = lint("FROM a:1\nONBUILD ENV TOKEN=abc\n");
    assert!(
        has(&f, "DL3064", 2) || has(&f, "BH-DF-002", 2),
        "{:?}",
        ids(&f)
    );
    // declared without value, a reference, a pointer to a file: not a secret in the image
    for t in [
        "FROM a:1\nARG GITHUB_TOKEN\n",
        "FROM a:1\nARG DB_PASSWORD\nENV DB_PASSWORD=$DB_PASSWORD\n",
        "FROM a:1\nENV POSTGRES_PASSWORD_FILE=/run/secrets/pw\n",
        "FROM a:1\nENV GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D\n",
    ] {
        assert!(!lint(t).iter().any(|x| x.id == "BH-DF-002"), "{t}");
    }
    // DL3064 stays where no literal is set
    assert!(has(&lint("FROM a:1\nARG GITHUB_TOKEN\n"), "DL3064", 2));
}

#[test]
fn bh_df_003_remote_add() {
    let f = lint("FROM a:1\nADD https://example.com/x.tgz /x\n");
    let x = f.iter().find(|x| x.id == "BH-DF-003").unwrap();
    assert_eq!((x.location.line, x.severity), (Some(2), Severity::Medium));
    assert!(has(
        &lint("FROM a:1\nADD git@github.com:a/b.git /src\n"),
        "BH-DF-003",
        2
    ));
    assert!(
        !lint("FROM a:1\nADD --checksum=sha256:0123 https://example.com/x.tgz /x\n")
            .iter()
            .any(|x| x.id == "BH-DF-003")
    );
    assert!(
        !lint("FROM a:1\nADD x.tgz /x\n")
            .iter()
            .any(|x| x.id == "BH-DF-003")
    );
}

#[test]
fn bh_df_004_healthcheck() {
    let f = lint("FROM a:1 AS b\nHEALTHCHECK CMD [\"x\"]\nFROM c:1\nUSER 1\n");
    let x = f.iter().find(|x| x.id == "BH-DF-004").unwrap();
    assert_eq!((x.location.line, x.severity), (Some(3), Severity::Low));
    assert_eq!(x.aliases, ["DL3057", "DS-0026", "CKV_DOCKER_2"]);
    // inherited, or explicitly NONE
    assert!(
        !lint("FROM a:1 AS b\nHEALTHCHECK CMD [\"x\"]\nFROM b\nUSER 1\n")
            .iter()
            .any(|x| x.id == "BH-DF-004")
    );
    assert!(
        !lint("FROM a:1\nHEALTHCHECK NONE\nUSER 1\n")
            .iter()
            .any(|x| x.id == "BH-DF-004")
    );
}

#[test]
fn bh_df_005_trusted_registries() {
    let t = "ARG REG=quay.io\nFROM ${REG}/x/y:1 AS a\nFROM gcr.io/distroless/static:nonroot AS b\nFROM eu.gcr.io/p/i:1 AS c\nFROM alpine:3 AS d\nFROM a\nFROM scratch\n";
    assert!(
        !lint(t).iter().any(|x| x.id == "BH-DF-005"),
        "off without trustedRegistries"
    );
    let s = Settings {
        trusted_registries: vec!["docker.io".into(), "*.gcr.io".into()],
        ..Default::default()
    };
    let f = lint_with(t, &s);
    let lines: Vec<u32> = f
        .iter()
        .filter(|x| x.id == "BH-DF-005")
        .map(|x| x.location.line.unwrap_or(0))
        .collect();
    assert_eq!(lines, [2, 3], "quay.io (via ARG) and bare gcr.io");
    let x = f.iter().find(|x| x.id == "BH-DF-005").unwrap();
    assert_eq!(x.severity, Severity::High);
    assert_eq!(x.aliases, ["DL3026"]);
}

#[test]
fn variables_are_substituted_in_run() {
    let mut env = bulkhead_dockerfile::Env::new();
    env.set(
        "V",
        Some("1.2".into()),
        bulkhead_dockerfile::VarSource::Env,
        1,
    );
    assert_eq!(
        substitute(
            "a-$V b-${V} '$V' \\$V $VX",
            &env,
            &bulkhead_dockerfile::ExpandBudget::new(bulkhead_dockerfile::ExpandLimits::DEFAULT)
        ),
        "a-1.2 b-1.2 '$V' \\$V $VX"
    );
}

#[test]
fn image_references() {
    use rules::image_ref;
    let r = image_ref("myreg.io:5000/foo/bar:1@sha256:abc");
    assert_eq!(r.registry.as_deref(), Some("myreg.io:5000"));
    assert_eq!(
        (r.name.as_str(), r.tag.as_deref(), r.digest.as_deref()),
        ("foo/bar", Some("1"), Some("sha256:abc"))
    );
    let r = image_ref("localhost:5000/foo");
    assert_eq!(
        (r.name.as_str(), r.tag.as_deref()),
        ("localhost", Some("5000/foo"))
    );
}

#[test]
fn dockerfile_names() {
    for n in [
        "Dockerfile",
        "a/Dockerfile.prod",
        "x.Dockerfile",
        "x.dockerfile",
        "Containerfile",
        "Containerfile.dev",
    ] {
        assert!(is_dockerfile_name(n), "{n}");
    }
    for n in ["dockerfile.md", "Makefile", "Dockerfile-old", "README"] {
        assert!(!is_dockerfile_name(n), "{n}");
    }
}

#[test]
fn every_rule_has_metadata() {
    for r in RULES {
        assert!(!r.title.is_empty() && !r.remediation.is_empty(), "{}", r.id);
        assert!(r.id.starts_with("DL") || r.id.starts_with("BH-DF-"));
    }
    let mut v: Vec<_> = RULES.iter().map(|r| r.id).collect();
    v.sort();
    v.dedup();
    assert_eq!(v.len(), RULES.len());
}

#[test]
fn label_schema_rules() {
    // same file and settings as `hadolint -c` with label-schema {author, version} and strict-labels,
    // which reports DL3051 on line 2 and DL3050 on line 3
    let s = Settings {
        label_schema: [
            ("author".to_string(), crate::settings::LabelFormat::Text),
            ("version".to_string(), crate::settings::LabelFormat::Semver),
        ]
        .into(),
        strict_labels: true,
        ..Default::default()
    };
    let t = "FROM a:1\nLABEL author=\"\" version=1.0.0\nLABEL other=x\nLABEL author=me\n";
    let f: Vec<_> = lint_with(t, &s)
        .into_iter()
        .filter(|x| x.id.starts_with("DL"))
        .map(|x| (x.id, x.location.line.unwrap_or(0), x.message))
        .collect();
    assert_eq!(
        f,
        [
            (
                "DL3051".to_string(),
                2,
                "label `author` is empty.".to_string()
            ),
            (
                "DL3050".to_string(),
                3,
                "Superfluous label(s) present.".to_string()
            ),
        ]
    );
    assert!(!lint(t).iter().any(|x| x.id == "DL3050" || x.id == "DL3051"));
}
