//! Planted secrets of real formats, generated here (never real credentials): private keys made by
//! `openssl` and `ssh-keygen`, tokens with each issuer's prefix, length and alphabet. Every one must
//! be found by its rule and never shown unmasked; the decoys (AWS's documentation keys,
//! placeholders, test fixtures, lock files) must not be reported. The clean corpora of ../shared
//! (real Dockerfiles and manifests) and the bookworm root filesystem measure the false positives.

use bulkhead_secrets::{Scanner, SecretConfig, mask};
use std::path::Path;
use std::process::Command;

/// Deterministic pseudo-random text in an alphabet (xorshift; no randomness crate needed).
fn random(seed: u64, alphabet: &str, n: usize) -> String {
    let a: Vec<char> = alphabet.chars().collect();
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            a[(x % a.len() as u64) as usize]
        })
        .collect()
}

const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const B64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const HEX: &str = "0123456789abcdef";

fn tool_key(args: &[&str], file: &Path) -> Option<String> {
    let ok = Command::new(args[0])
        .args(&args[1..])
        .output()
        .ok()?
        .status
        .success();
    ok.then(|| std::fs::read_to_string(file).ok()).flatten()
}

/// (file path, content, the secret, the rule that must find it).
fn planted() -> Vec<(String, String, String, &'static str)> {
    let mut v: Vec<(String, String, String, &'static str)> = Vec::new();
    let mut add = |path: &str, content: String, secret: String, rule: &'static str| {
        v.push((path.to_string(), content, secret, rule));
    };
    let akid = format!("AKIA{}", random(1, UPPER, 16));
    let sak = random(2, B64, 40);
    add(
        "/root/.aws/credentials",
        format!("[default]\naws_access_key_id = {akid}\naws_secret_access_key = {sak}\n"),
        akid.clone(),
        "aws-access-key-id",
    );
    add(
        "/root/.aws/credentials",
        format!("[default]\naws_access_key_id = {akid}\naws_secret_access_key = {sak}\n"),
        sak,
        "aws-secret-access-key",
    );
    let gcp = format!(
        "{{\n  \"type\": \"service_account\",\n  \"project_id\": \"p-123\",\n  \"private_key_id\": \"{}\"\n}}\n",
        random(3, HEX, 40)
    );
    add(
        "/app/sa.json",
        gcp,
        "service_account".into(),
        "gcp-service-account",
    );
    let gkey = format!("AIza{}", random(4, ALNUM, 35));
    add(
        "/app/config.js",
        format!("const mapsKey = \"{gkey}\";\n"),
        gkey,
        "google-api-key",
    );
    let azure = format!("{}==", random(5, B64, 86));
    add(
        "/app/appsettings.json",
        format!(
            "{{\"Storage\": \"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={azure};EndpointSuffix=core.windows.net\"}}\n"
        ),
        azure,
        "azure-storage-account-key",
    );
    for (seed, prefix, n, rule) in [
        (6, "ghp_", 36, "github-pat"),
        (7, "gho_", 36, "github-oauth"),
        (8, "ghs_", 36, "github-app-token"),
        (9, "ghr_", 76, "github-refresh-token"),
    ] {
        let t = format!("{prefix}{}", random(seed, ALNUM, n));
        add("/app/.env", format!("GITHUB_TOKEN={t}\n"), t, rule);
    }
    let fg = format!(
        "github_pat_{}",
        random(
            10,
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_",
            82
        )
    );
    add(
        "/app/deploy.sh",
        format!("curl -H \"Authorization: Bearer {fg}\" https://api.github.com/user\n"),
        fg,
        "github-fine-grained-pat",
    );
    let gl = format!("glpat-{}", random(11, ALNUM, 20));
    add(
        "/app/.gitlab-ci.env",
        format!("CI_TOKEN={gl}\n"),
        gl,
        "gitlab-pat",
    );
    let slack = format!(
        "xoxb-{}-{}",
        random(12, "0123456789", 12),
        random(13, ALNUM, 24)
    );
    add(
        "/app/bot.py",
        format!("client = WebClient(token=\"{slack}\")\n"),
        slack.split('-').take(2).collect::<Vec<_>>().join("-"),
        "slack-access-token",
    );
    let hook = format!(
        "https://hooks.slack.com/services/T{}/B{}/{}",
        random(14, UPPER, 8),
        random(15, UPPER, 8),
        random(16, ALNUM, 24)
    );
    add(
        "/app/notify.sh",
        format!("curl -X POST {hook}\n"),
        hook,
        "slack-web-hook",
    );
    let stripe = format!("sk_live_{}", random(17, ALNUM, 24));
    add(
        "/app/payments.rb",
        format!("Stripe.api_key = '{stripe}'\n"),
        stripe,
        "stripe-secret-token",
    );
    let twilio = format!("SK{}", random(18, HEX, 32));
    add(
        "/app/sms.py",
        format!("TWILIO_API_KEY = \"{twilio}\"\n"),
        twilio,
        "twilio-api-key",
    );
    let sg = format!("SG.{}.{}", random(19, ALNUM, 22), random(20, ALNUM, 43));
    add(
        "/app/mail.js",
        format!("sgMail.setApiKey('{sg}');\n"),
        sg,
        "sendgrid-api-token",
    );
    let jwt = format!(
        "eyJhbGciOiJIUzI1NiJ9.eyJ{}.{}",
        random(21, ALNUM, 40),
        random(22, ALNUM, 43)
    );
    add(
        "/app/session.txt",
        format!("cookie: {jwt}\n"),
        jwt,
        "jwt-token",
    );
    let dbpw = random(23, ALNUM, 16);
    add(
        "/app/settings.py",
        format!("DATABASE_URL = \"postgres://app:{dbpw}@db.internal:5432/app\"\n"),
        dbpw,
        "database-url-password",
    );
    let auth = random(24, B64, 32);
    add(
        "/root/.docker/config.json",
        format!(
            "{{\n  \"auths\": {{\n    \"registry.example.com\": {{\n      \"auth\": \"{auth}\"\n    }}\n  }}\n}}\n"
        ),
        auth,
        "dockerconfig-secret",
    );
    let npm = format!("npm_{}", random(25, ALNUM, 36));
    add(
        "/root/.npmrc",
        format!("//registry.npmjs.org/:_authToken={npm}\n"),
        npm,
        "npm-access-token",
    );
    let pypi = format!("pypi-AgEIcHlwaS5vcmc{}", random(26, ALNUM, 60));
    add(
        "/root/.pypirc",
        format!("[pypi]\nusername = __token__\npassword = {pypi}\n"),
        pypi,
        "pypi-upload-token",
    );
    let generic = random(27, ALNUM, 24);
    add(
        "/etc/app/app.conf",
        format!("[db]\nadmin_password = {generic}\n"),
        generic,
        "generic-secret-assignment",
    );
    // Private keys made by the real tools, every type they write.
    let dir = tempfile::tempdir().unwrap();
    for (name, args) in [
        (
            "rsa",
            vec![
                "openssl",
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-out",
            ],
        ),
        (
            "ec",
            vec![
                "openssl",
                "ecparam",
                "-name",
                "prime256v1",
                "-genkey",
                "-noout",
                "-out",
            ],
        ),
        (
            "ed25519",
            vec!["openssl", "genpkey", "-algorithm", "ED25519", "-out"],
        ),
    ] {
        let f = dir.path().join(name);
        let mut a = args.clone();
        a.push(f.to_str().unwrap());
        if let Some(k) = tool_key(&a, &f) {
            add(
                &format!("/etc/ssl/private/{name}.pem"),
                k.clone(),
                k.trim().to_string(),
                "private-key",
            );
        }
    }
    for t in ["rsa", "ecdsa", "ed25519"] {
        let f = dir.path().join(format!("id_{t}"));
        if let Some(k) = tool_key(
            &[
                "ssh-keygen",
                "-q",
                "-t",
                t,
                "-N",
                "",
                "-f",
                f.to_str().unwrap(),
            ],
            &f,
        ) {
            add(
                &format!("/root/.ssh/id_{t}"),
                k.clone(),
                k.trim().to_string(),
                "private-key",
            );
        }
    }
    v
}

#[test]
fn every_planted_secret_is_found_by_its_rule_and_masked() {
    let scanner = Scanner::builtin();
    let planted = planted();
    assert!(planted.len() >= 28, "the key tools ran: {}", planted.len());
    let mut found = 0;
    for (path, content, secret, rule) in &planted {
        let got = scanner.scan(path, content.as_bytes());
        let hit = got.iter().find(|s| s.rule_id == *rule);
        assert!(
            hit.is_some(),
            "{rule} not found in {path}: {got:?}\n{content}"
        );
        found += 1;
        for s in &got {
            assert!(
                !s.context.contains(secret.as_str()) && !s.masked.contains(secret.as_str()),
                "{rule}: shown unmasked: {s:?}"
            );
            assert!(s.line >= 1);
        }
        let h = hit.unwrap();
        if secret.len() > 2 && !secret.contains('\n') {
            assert_eq!(h.masked, mask(secret), "{rule}");
        }
    }
    println!(
        "planted secrets: {found}/{} found by their rule, none shown unmasked",
        planted.len()
    );
}

#[test]
fn decoys_are_not_reported() {
    let scanner = Scanner::builtin();
    let decoys = [
        (
            "/app/README.txt",
            "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
        ),
        (
            "/app/.env.example",
            "DB_PASSWORD=${DB_PASSWORD}\nAPI_TOKEN=<your-token-here>\nSECRET_KEY=changeme\npassword: xxxxxxxxxxxx\n",
        ),
        (
            "/app/tests/fixtures/creds.py",
            "GITHUB_TOKEN = 'ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789'\n",
        ),
        (
            "/app/package-lock.json",
            "\"integrity\": \"sha512-Tpp60P6IUJDTuOq/5Z8cdskzJujfwqfOTkrwIwj7IRISpnkJnT6SyJ4PCPnGMoFjC9ddhal5KVIYtAt97ix05A==\"\n",
        ),
        (
            "/usr/share/doc/app/example.conf",
            "password = s3cr3tP4ssw0rdV4lu3\n",
        ),
        (
            "/app/settings.py",
            "password = os.environ['DB_PASSWORD']\ntoken = get_token()\n",
        ),
        (
            "/app/app.py",
            "PASSWORD_FIELD = 'password'\nsecret_name = 'db-credentials'\n",
        ),
        (
            "/app/bin/tool",
            "\u{0}\u{1}ELF ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
        ),
    ];
    for (path, text) in decoys {
        let got = scanner.scan(path, text.as_bytes());
        assert!(got.is_empty(), "{path}: {got:?}");
    }
}

#[test]
fn trivy_secret_yaml_custom_and_allow_rules() {
    let config = r#"
rules:
  - id: internal-api-key
    category: Internal
    title: Internal API key
    severity: HIGH
    keywords: [intk_]
    regex: (?P<secret>intk_[0-9a-f]{32})
    secret-group-name: secret
    path: .*\.(env|conf)$
allow-rules:
  - id: skip-vendor
    description: vendored code
    path: (^|/)vendor/
disable-rules: [jwt-token]
"#;
    let c = SecretConfig::parse(config).unwrap();
    let scanner = c.scanner().unwrap();
    let key = format!("intk_{}", random(40, HEX, 32));
    let got = scanner.scan("/app/.env", format!("KEY={key}\n").as_bytes());
    assert_eq!(got.len(), 1);
    assert_eq!(
        (got[0].rule_id.as_str(), got[0].severity),
        ("internal-api-key", bulkhead_core::Severity::High)
    );
    assert!(
        scanner
            .scan("/app/main.go", format!("k := \"{key}\"").as_bytes())
            .is_empty(),
        "path restricts"
    );
    assert!(
        scanner
            .scan("/app/vendor/x/.env", format!("KEY={key}\n").as_bytes())
            .is_empty(),
        "allowed path"
    );
    let jwt = format!(
        "eyJhbGciOiJIUzI1NiJ9.eyJ{}.{}",
        random(21, ALNUM, 40),
        random(22, ALNUM, 43)
    );
    assert!(
        scanner.scan("/app/s.txt", jwt.as_bytes()).is_empty(),
        "disabled"
    );
    let e = |t: &str| {
        SecretConfig::parse(t)
            .and_then(|c| c.scanner().map(|_| ()))
            .unwrap_err()
            .to_string()
    };
    assert!(e("disable-rules: [jwt]\n").contains("no such rule"));
    assert!(e("rules:\n  - id: r\n    regex: '('\n").contains("rule \"r\""));
    assert!(
        e("rules:\n  - id: r\n    severity: SEVERE\n    regex: x\n").contains("unknown severity")
    );
    assert!(e("rulez: []\n").contains("rulez"));
    assert!(
        e("rules:\n  - id: r\n    regex: (?P<s>x)\n    secret-group-name: secret\n")
            .contains("not a group")
    );
}

fn corpus_hits(scanner: &Scanner, root: &Path) -> (usize, usize, Vec<String>) {
    let (mut files, mut hits) = (0, 0);
    let mut shown = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let Ok(m) = std::fs::symlink_metadata(&p) else {
                continue;
            };
            if m.is_dir() {
                stack.push(p);
            } else if m.is_file() && m.len() <= 10 << 20 {
                let Ok(data) = std::fs::read(&p) else {
                    continue;
                };
                files += 1;
                let rel = format!("/{}", p.strip_prefix(root).unwrap().display());
                for s in scanner.scan(&rel, &data) {
                    hits += 1;
                    if shown.len() < 20 {
                        shown.push(format!("{rel}:{} {} {}", s.line, s.rule_id, s.context));
                    }
                }
            }
        }
    }
    (files, hits, shown)
}

/// Real files without credentials: what the built-in rules report there is a false positive.
#[test]
fn clean_corpora_false_positives() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    if !shared.is_dir() {
        assert!(
            std::env::var_os("BULKHEAD_STRICT").is_none(),
            "../shared absent (BULKHEAD_STRICT=1)"
        );
        println!("SKIP: ../shared absent; this test checked nothing");
        return;
    }
    let scanner = Scanner::builtin();
    for (name, dir) in [
        ("dockerfiles", shared.join("dockerfiles")),
        ("k8s-manifests", shared.join("k8s-manifests")),
    ] {
        let (files, hits, shown) = corpus_hits(&scanner, &dir);
        println!("clean corpus {name}: {files} files, {hits} reported: {shown:#?}");
        assert!(files > 50);
        assert_eq!(hits, 0, "{name}: {shown:#?}");
    }
    let rootfs =
        std::env::var("BULKHEAD_TESTDATA").unwrap_or_else(|_| "/var/tmp/bulkhead-testdata".into());
    let bookworm = Path::new(&rootfs).join("bookworm.rootfs");
    if bookworm.is_dir() {
        let (files, hits, shown) = corpus_hits(&scanner, &bookworm);
        println!(
            "clean corpus bookworm root filesystem: {files} files, {hits} reported: {shown:#?}"
        );
        assert_eq!(hits, 0, "{shown:#?}");
    } else {
        println!(
            "SKIP: {} absent (scripts/build-test-images.sh)",
            bookworm.display()
        );
    }
}

fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in members {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// Secrets inside a Spring Boot jar and a wheel: found with the member named and its line; a
/// member under `tests/`, a compiled class and an archive inside the archive are not read; a
/// member that inflates to 100 MiB of zeros stops at the archive's budget.
#[test]
fn archives_members_are_scanned_within_bounds() {
    let token = format!("ghp_{}", random(77, ALNUM, 36));
    let password = random(78, ALNUM, 24);
    let inner_jar = zip_of(&[("creds.env", format!("GITHUB_TOKEN={token}\n").as_bytes())]);
    let jar = zip_of(&[
        ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n"),
        (
            "BOOT-INF/classes/application.properties",
            format!("spring.datasource.url=jdbc:postgresql://db:5432/app\nspring.datasource.password={password}\n").as_bytes(),
        ),
        ("BOOT-INF/classes/ci.env", format!("GITHUB_TOKEN={token}\n").as_bytes()),
        ("tests/fixture.env", format!("GITHUB_TOKEN={token}\n").as_bytes()),
        ("BOOT-INF/classes/App.class", format!("\u{0}\u{0}GITHUB_TOKEN={token}").as_bytes()),
        ("BOOT-INF/lib/inner.jar", &inner_jar),
        ("BOOT-INF/classes/zeros.txt", &vec![0u8; 100 << 20]),
    ]);
    let s = Scanner::builtin();
    let start = std::time::Instant::now();
    let found = s.scan("/app/app.jar", &jar);
    assert!(start.elapsed() < std::time::Duration::from_secs(20));
    let got: Vec<(String, Option<String>, u32)> = found
        .iter()
        .map(|x| (x.rule_id.clone(), x.entry.clone(), x.line))
        .collect();
    assert_eq!(
        got,
        [
            (
                "generic-secret-assignment".to_string(),
                Some("BOOT-INF/classes/application.properties".to_string()),
                2
            ),
            (
                "github-pat".to_string(),
                Some("BOOT-INF/classes/ci.env".to_string()),
                1
            ),
        ],
        "{found:#?}"
    );
    for x in &found {
        let shown = serde_json::to_string(x).unwrap();
        assert!(
            !shown.contains(&token) && !shown.contains(&password),
            "{shown}"
        );
    }
    // A zip that is not named as an archive is a binary file; an archive's name on text is text.
    assert!(s.scan("/app/data.bin", &jar).is_empty());
    let wheel = zip_of(&[(
        "pkg/settings.py",
        format!("TOKEN = \"{token}\"\n").as_bytes(),
    )]);
    let w = s.scan(
        "/usr/lib/python3/dist-packages/pkg-1.0-py3-none-any.whl",
        &wheel,
    );
    assert_eq!(w.len(), 1, "{w:#?}");
    assert_eq!(w[0].entry.as_deref(), Some("pkg/settings.py"));
}

/// A fat jar (over the 10 MiB of a plain file): looked into up to 256 MiB. Its libraries (nested
/// jars) and classes are not inflated, so a 70 MiB class of zeros placed before the configuration
/// does not spend the archive's budget, and the configuration's secret is found.
#[test]
fn fat_jars_are_looked_into_and_classes_are_not_inflated() {
    let token = format!("ghp_{}", random(91, ALNUM, 36));
    let mut rng_bytes = Vec::with_capacity(12 << 20);
    let mut x: u64 = 0x9e3779b97f4a7c15;
    while rng_bytes.len() < 12 << 20 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        rng_bytes.extend_from_slice(&x.to_le_bytes());
    }
    let jar = zip_of(&[
        ("BOOT-INF/lib/dependency.jar", &rng_bytes),
        ("BOOT-INF/classes/Big.class", &vec![0u8; 70 << 20]),
        (
            "BOOT-INF/classes/application.yml",
            format!("github:\n  token: {token}\n").as_bytes(),
        ),
    ]);
    assert!(jar.len() > 12 << 20, "{}", jar.len());
    let s = Scanner::builtin();
    let found = s.scan("/app/app.jar", &jar);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(
        found[0].entry.as_deref(),
        Some("BOOT-INF/classes/application.yml")
    );
    assert_eq!(found[0].line, 2);
    // The same bytes as a plain file of that size: not scanned.
    assert!(s.scan("/app/app.bin", &jar).is_empty());
}
