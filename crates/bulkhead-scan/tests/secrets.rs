//! Secrets in an image as an attacker leaves them: a docker-archive built here (real tar layers,
//! digests that verify) whose first layer holds an `.env` with a GitHub token and an SSH private
//! key made by `ssh-keygen` and a jar whose `config/ci.env` holds the token, whose second layer deletes the `.env` (a whiteout) and overwrites
//! nothing else, and whose configuration carries a database URL in `Env` and a token in a `RUN`
//! command of its history. The deleted secret is reported with the layer that still holds it;
//! the configuration's secrets name the variable and the history step; a decoy (AWS's documentation
//! key) is not reported; nothing is shown unmasked.

mod common;
use bulkhead_core::{FindingKind, TargetKind};
use bulkhead_scan::{ScanRequest, scan};
use common::{docker_archive, layer};
use sha2::{Digest, Sha256};
use std::sync::Arc;

#[test]
fn deleted_and_configured_secrets_are_reported_with_their_layer() {
    let dir = tempfile::tempdir().unwrap();
    let token = "ghp_R2d4f6h8j0k2m4n6p8q0s2u4w6y8A0C2E4G6";
    let key_file = dir.path().join("id_ed25519");
    let ok = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key_file)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        ok || std::env::var("BULKHEAD_STRICT").as_deref() != Ok("1"),
        "ssh-keygen is needed"
    );
    let key = if ok {
        std::fs::read(&key_file).unwrap()
    } else {
        b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n".to_vec()
    };
    let env = format!("GITHUB_TOKEN={token}\n");
    // A jar whose configuration holds the same token.
    let jar = {
        use std::io::Write;
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        w.start_file("config/ci.env", zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(env.as_bytes()).unwrap();
        w.finish().unwrap().into_inner()
    };
    let l1 = layer(&[
        ("app/.env", env.as_bytes(), 0o644),
        ("app/lib/app.jar", &jar, 0o644),
        ("root/.ssh/id_ed25519", &key, 0o644),
        (
            "app/README",
            b"aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n",
            0o644,
        ),
    ]);
    let l2 = layer(&[
        ("app/.wh..env", b"", 0o644),
        ("app/main.py", b"print('hi')\n", 0o644),
    ]);
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/usr/bin", "DATABASE_URL=postgres://app:Zq8vLx3mPw7tRk2n@db.internal:5432/app"],
                   "Labels": {"maintainer": "team@example.com"}},
        "history": [
            {"created_by": "COPY . /app"},
            {"created_by": "RUN /bin/sh -c curl -H \"Authorization: token ghp_Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2\" https://api.github.com/repos/x/y/tarball -o /tmp/x.tgz && rm /app/.env"}
        ]
    });
    let archive = docker_archive(
        dir.path(),
        "planted",
        config,
        &[l1.clone(), l2],
        "planted:1",
    );

    let mut req = ScanRequest::new(archive.to_str().unwrap(), TargetKind::Image);
    req.secrets = Some(Arc::new(bulkhead_secrets::Scanner::builtin()));
    let out = scan(req).unwrap();
    let t = &out.report.targets[0];
    let secrets: Vec<_> = t
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::Secret)
        .collect();
    for f in &secrets {
        let shown = serde_json::to_string(f).unwrap();
        assert!(
            !shown.contains(token)
                && !shown.contains("Zq8vLx3mPw7tRk2n")
                && !shown.contains("ghp_Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2"),
            "unmasked: {shown}"
        );
    }
    let by = |id: &str, file: Option<&str>| {
        secrets
            .iter()
            .find(|f| f.id == id && f.location.file.as_deref() == file)
            .copied()
    };
    let env_file = by("github-pat", Some("/app/.env")).expect("the deleted .env's token");
    assert!(
        env_file
            .message
            .contains("deleted or replaced in layer 2 — still in the image, in layer 1"),
        "{}",
        env_file.message
    );
    let diff = format!("sha256:{}", hex::encode(Sha256::digest(&l1)));
    assert_eq!(env_file.location.layer.as_deref(), Some(diff.as_str()));
    assert_eq!(env_file.location.line, Some(1));
    let in_jar = by("github-pat", Some("/app/lib/app.jar")).expect("the token in the jar");
    assert_eq!(in_jar.location.object.as_deref(), Some("config/ci.env"));
    assert_eq!(in_jar.location.line, Some(1));
    assert!(
        in_jar
            .message
            .ends_with("(in config/ci.env of the archive)"),
        "{}",
        in_jar.message
    );
    let key_f = by("private-key", Some("/root/.ssh/id_ed25519")).expect("the SSH key");
    assert!(!key_f.message.contains("deleted"));
    let db = secrets
        .iter()
        .find(|f| {
            f.id == "database-url-password"
                && f.location.object.as_deref() == Some("config.Env.DATABASE_URL")
        })
        .expect("the ENV database URL");
    assert!(
        db.message.contains("environment variable DATABASE_URL"),
        "{}",
        db.message
    );
    let hist = secrets
        .iter()
        .find(|f| {
            f.id == "github-pat" && f.location.object.as_deref() == Some("history[1].created_by")
        })
        .expect("the token in the build history");
    assert!(hist.message.contains("build history (step 2)"));
    assert!(
        !secrets
            .iter()
            .any(|f| f.location.file.as_deref() == Some("/app/README")),
        "the documentation key is a decoy"
    );
    assert_eq!(secrets.len(), 5, "{secrets:#?}");
    assert!(out.report.scanners.contains(&FindingKind::Secret));
}

/// Size limits in an image layer: a fat jar (12 MiB, over a plain file's 10 MiB) is looked into,
/// from the buffer the jar probe holds it in; an 11 MiB log is not scanned, and the scan says how
/// many files it left out for size.
#[test]
fn a_fat_jar_is_scanned_and_large_files_are_counted() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let token = "ghp_Q1w2E3r4T5y6U7i8O9p0A1s2D3f4G5h6J7k8";
    let mut noise = Vec::with_capacity(12 << 20);
    let mut x: u64 = 0x2545f4914f6cdd1d;
    while noise.len() < 12 << 20 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        noise.extend_from_slice(&x.to_le_bytes());
    }
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    w.start_file("BOOT-INF/lib/dependency.jar", stored).unwrap();
    w.write_all(&noise).unwrap();
    w.start_file("BOOT-INF/classes/application.properties", stored)
        .unwrap();
    w.write_all(format!("github.token={token}\n").as_bytes())
        .unwrap();
    let jar = w.finish().unwrap().into_inner();
    let mut log = vec![b'x'; 11 << 20];
    log.extend_from_slice(format!("\nGITHUB_TOKEN={token}\n").as_bytes());
    let l1 = layer(&[
        ("app/app.jar", &jar, 0o644),
        ("var/log/app.log", &log, 0o644),
    ]);
    let config = serde_json::json!({"architecture": "amd64", "os": "linux", "config": {}});
    let archive = docker_archive(dir.path(), "fat", config, &[l1], "fat:1");
    let mut req = ScanRequest::new(archive.to_str().unwrap(), TargetKind::Image);
    req.secrets = Some(Arc::new(bulkhead_secrets::Scanner::builtin()));
    let out = scan(req).unwrap();
    let found: Vec<_> = out.report.targets[0]
        .findings
        .iter()
        .map(|f| (f.location.file.clone(), f.location.object.clone()))
        .collect();
    assert_eq!(
        found,
        [(
            Some("/app/app.jar".to_string()),
            Some("BOOT-INF/classes/application.properties".to_string())
        )]
    );
    assert!(
        out.notices
            .iter()
            .any(|n| n.contains("not scanned for secrets: 1 file(s) larger than 10485760 bytes")),
        "{:?}",
        out.notices
    );
}
