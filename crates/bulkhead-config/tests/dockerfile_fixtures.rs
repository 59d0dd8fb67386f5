//! Fresh-clone test: lint the Dockerfiles copied into tests/fixtures/dockerfiles (see PROVENANCE.md)
//! and compare with the findings checked by hand (each one is explained below; the DL findings are
//! also exactly what hadolint 2.15.1 reports on these files).

use bulkhead_config::{Settings, lint_dockerfile};
use std::path::Path;

fn lint(name: &str) -> Vec<(String, u32)> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/dockerfiles")
        .join(name);
    let text = std::fs::read_to_string(&p).unwrap();
    let mut v: Vec<(String, u32)> = lint_dockerfile(name, &text, &Settings::default())
        .into_iter()
        .map(|f| {
            assert_eq!(f.location.file.as_deref(), Some(name));
            assert!(
                f.location
                    .object
                    .as_deref()
                    .is_some_and(|o| o.starts_with("stage ")),
                "{f:?}"
            );
            (f.id, f.location.line.unwrap())
        })
        .collect();
    v.sort();
    v
}

fn expect(list: &[(&str, u32)]) -> Vec<(String, u32)> {
    let mut v: Vec<(String, u32)> = list.iter().map(|(r, l)| (r.to_string(), *l)).collect();
    v.sort();
    v
}

#[test]
fn httpbin() {
    assert_eq!(
        lint("jessfraz-httpbin.Dockerfile"),
        expect(&[
            ("BH-DF-001", 11), // single stage, no USER: runs as python:3-alpine's root
            ("BH-DF-004", 11), // no HEALTHCHECK
            ("DL3013", 13),    // pip3 install gevent gunicorn httpbin: no versions
            ("DL3018", 13), // apk add build-base libffi-dev: no versions (.build-deps is --virtual's value)
        ])
    );
}

#[test]
fn ab() {
    assert_eq!(
        lint("jessfraz-ab.Dockerfile"),
        expect(&[
            ("BH-DF-001", 7),
            ("BH-DF-004", 7),
            ("DL3007", 7),  // FROM alpine:latest
            ("DL3018", 10), // apk --no-cache add apache2-ssl …: no versions (no DL3019: --no-cache)
        ])
    );
}

#[test]
fn nfs_data() {
    assert_eq!(
        lint("k8s-examples-nfs-data.Dockerfile"),
        expect(&[
            ("BH-DF-001", 15),
            ("BH-DF-004", 15),
            ("DL3006", 15), // FROM centos (no tag)
            ("DL3033", 16), // yum install /usr/bin/ps: no -<version> (nfs-utils passes hadolint's "-" test)
            ("DL3020", 18), // ADD run_nfs.sh: a local file, not an archive
            ("DL3020", 19), // ADD index.html
        ])
    );
}

#[test]
fn loadgenerator() {
    assert_eq!(
        lint("microservices-demo-loadgenerator.Dockerfile"),
        expect(&[
            ("BH-DF-001", 33), // final stage `FROM base`: neither it nor base sets USER
            ("BH-DF-004", 33),
            ("DL3018", 25), // apk add g++ linux-headers
            ("DL3018", 38), // apk add libstdc++
            ("DL3025", 52), // shell-form ENTRYPOINT
            ("DL3042", 31), // pip install -r without --no-cache-dir (pinned by the file: no DL3013)
            ("DL3045", 29), // COPY requirements.txt . in `builder`, which has no WORKDIR (nor has base)
        ])
    );
}
