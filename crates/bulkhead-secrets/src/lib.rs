//! Secret detection: rules that find credentials in text, as Trivy's secret scanner does.
//!
//! - **Built-in rules** by category ([`builtin_rules`]): cloud keys (AWS access key id and secret,
//!   GCP service-account JSON and API keys, Azure storage keys), VCS tokens (GitHub classic,
//!   fine-grained, OAuth, app and refresh tokens; GitLab), chat and payment tokens (Slack tokens and
//!   webhooks, Stripe, Twilio, SendGrid), private keys (PEM and OpenSSH of every type), JWTs,
//!   database URLs with a password, `.docker/config.json` auths, `.npmrc` and `.pypirc` tokens, and
//!   generic `password=`/`secret=`/`token=` assignments whose value is random enough (entropy) and
//!   not a placeholder. Each has an id (Trivy's where Trivy has the rule), a category, a severity and
//!   a fix hint.
//! - **Precision**: allow rules for documentation and example values (the AWS documentation key),
//!   placeholders (`${VAR}`, `<token>`, `changeme`, `xxxx…`), test and fixture paths, lock files;
//!   binary content is not scanned; text over a size limit is skipped and counted.
//! - **Speed**: one Aho-Corasick pass finds every rule's keywords; a rule's regular expression
//!   runs only on text that holds one of its keywords. Regular expressions are RE2-style (the
//!   `regex` crate): linear in the text, whatever it holds.
//! - **Masking**: a secret is only ever shown as its first and last character ([`mask`]).
//! - **Custom rules** from Trivy's `trivy-secret.yaml` shape ([`SecretConfig::parse`]): `rules`,
//!   `allow-rules`, `enable-builtin-rules`, `disable-rules`, `disable-allow-rules`.
//!
//! This crate finds secrets in a text; where the text comes from (every layer of an image, its
//! configuration, a directory) is the scanner's.

use aho_corasick::AhoCorasick;
use bulkhead_core::Severity;
use regex::Regex;
use serde::Deserialize;

/// One rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub category: String,
    pub title: String,
    pub severity: Severity,
    /// Lower-case words one of which must be in the text for the rule to run.
    pub keywords: Vec<String>,
    pub regex: Regex,
    /// The group holding the secret (`secret`), else the whole match.
    pub secret_group: Option<String>,
    /// Only files whose path matches.
    pub path: Option<Regex>,
    /// A secret whose Shannon entropy (bits per character) is lower is not one.
    pub min_entropy: Option<f64>,
    /// Values this rule never reports.
    pub allow: Vec<AllowRule>,
    /// What to do about it.
    pub fix: String,
    /// The pattern can span lines (a PEM block, a JSON document): run on the whole text rather
    /// than on the lines that hold a keyword.
    pub multiline: bool,
    /// A generic assignment (`password = …`): not on comment or doctest lines, and in source
    /// code only a quoted literal counts (`password = settings.PASSWORD` is code).
    pub generic: bool,
}

/// A value or a path never reported.
#[derive(Debug, Clone)]
pub struct AllowRule {
    pub id: String,
    pub description: String,
    /// Matched against the secret.
    pub regex: Option<Regex>,
    /// Matched against the file's path.
    pub path: Option<Regex>,
}

/// A secret found (serialisable: the layer walk keeps it as a record, the cache stores it).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct Secret {
    pub rule_id: String,
    pub category: String,
    pub title: String,
    pub severity: Severity,
    /// 1-based line of the secret's start.
    pub line: u32,
    /// The secret, masked ([`mask`]).
    pub masked: String,
    /// The line, with the secret masked, cut to 200 characters.
    pub context: String,
    pub fix: String,
    /// The member of an archive (a jar, a wheel, a zip) the secret is in, when it is in one; the
    /// line is the member's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
}

/// Why a configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("not YAML: {0}")]
    Yaml(String),
    #[error("rule {id:?}: {message}")]
    Rule { id: String, message: String },
}

fn re(s: &str) -> Regex {
    Regex::new(s).unwrap_or_else(|e| panic!("built-in pattern {s:?}: {e}"))
}

struct B<'a> {
    id: &'a str,
    category: &'a str,
    title: &'a str,
    severity: Severity,
    keywords: &'a [&'a str],
    regex: &'a str,
    group: bool,
    entropy: Option<f64>,
    fix: &'a str,
}

/// The built-in rules.
pub fn builtin_rules() -> Vec<Rule> {
    use Severity::*;
    let rotate = "Revoke the credential at its issuer, issue a new one, and pass it at run time (a mounted secret, the orchestrator's secret store), never in the image.";
    let key = "Remove the private key from the image (it is readable by anyone who pulls it, even if a later layer deletes it); generate a new key pair and mount it at run time.";
    let list = [
        B {
            id: "aws-access-key-id",
            category: "AWS",
            title: "AWS Access Key ID",
            severity: Critical,
            keywords: &[
                "akia", "asia", "agpa", "aida", "aroa", "aipa", "anpa", "anva", "a3t",
            ],
            regex: r"(?P<secret>\b(?:A3T[A-Z0-9]|AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA)[A-Z0-9]{16}\b)",
            group: true,
            entropy: None,
            fix: rotate,
        },
        B {
            id: "aws-secret-access-key",
            category: "AWS",
            title: "AWS Secret Access Key",
            severity: Critical,
            keywords: &[
                "aws_secret",
                "aws-secret",
                "secretaccesskey",
                "secret_access_key",
                "aws_secret_access_key",
            ],
            regex: r#"(?i)(?:aws[_\-]?secret[_\-]?(?:access[_\-]?)?key|secretaccesskey)["']?\s*(?::|=>|=)\s*["']?(?P<secret>[A-Za-z0-9/+=]{40})\b"#,
            group: true,
            entropy: Some(3.0),
            fix: rotate,
        },
        B {
            id: "gcp-service-account",
            category: "Google",
            title: "Google (GCP) Service-account",
            severity: Critical,
            keywords: &[
                "\"type\": \"service_account\"",
                "\"type\":\"service_account\"",
            ],
            regex: r#""type"\s*:\s*"(?P<secret>service_account)""#,
            group: true,
            entropy: None,
            fix: rotate,
        },
        B {
            id: "google-api-key",
            category: "Google",
            title: "Google API key",
            severity: High,
            keywords: &["aiza"],
            regex: r"(?P<secret>\bAIza[0-9A-Za-z\-_]{35})\b",
            group: true,
            entropy: None,
            fix: rotate,
        },
        B {
            id: "azure-storage-account-key",
            category: "Azure",
            title: "Azure storage account key",
            severity: Critical,
            keywords: &["accountkey="],
            regex: r"(?i)AccountKey=(?P<secret>[A-Za-z0-9+/]{86}==)",
            group: true,
            entropy: None,
            fix: rotate,
        },
        B {
            id: "github-pat",
            category: "GitHub",
            title: "GitHub Personal Access Token",
            severity: Critical,
            keywords: &["ghp_"],
            regex: r"(?P<secret>\bghp_[0-9a-zA-Z]{36})\b",
            group: true,
            entropy: None,
            fix: rotate,
        },
        B {
            id: "github-fine-grained-pat",
            category: "GitHub",
            title: "GitHub Fine-grained personal access tokens",
            severity: Critical,
            keywords: &["github_pat_"],
            regex: r"(?P<secret>\bgithub_pat_[a-zA-Z0-9_]{82})\b",
            group: true,
            entropy: None,
            fix: rotate,
        },
        B {
            id: "github-oauth",
            category: "GitHub",
            title: "GitHub OAuth Access Token",
            severity: Critical,
            keywords: &["gho_"],
            regex: r"(?P<secret>\bgho_[0-9a-zA-Z]{36})\b",
            group: true,
            entropy: None,
            fix: rotate,
        },
        B {
            id: "github-app-token",
            category: "GitHub",
            title: "GitHub App Token",
            severity: Critical,
            keywords: &["ghu_", "ghs_"],
            regex: r"(?P<secret>\b(?:ghu|ghs)_[0-9a-zA-Z]{36})\b",
            group: true,
            entropy: None,
            fix: rotate,
        },
        B {
            id: "github-refresh-token",
            category: "GitHub",
            title: "GitHub Refresh Token",
            severity: Critical,
            keywords: &["ghr_"],
            regex: r"(?P<secret>\bghr_[0-9a-zA-Z]{76})\b",
            group: true,
            entropy: None,
            fix: rotate,
        },
        B {
            id: "gitlab-pat",
            category: "GitLab",
            title: "GitLab Personal Access Token",
            severity: Critical,
            keywords: &["glpat-"],
            regex: r"(?P<secret>\bglpat-[0-9a-zA-Z\-_]{20})\b",
            group: true,
            entropy: None,
            fix: rotate,
        },
        B {
            id: "slack-access-token",
            category: "Slack",
            title: "Slack token",
            severity: High,
            keywords: &["xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-"],
            regex: r"(?P<secret>\bxox[baprs]-[0-9a-zA-Z]{10,48})",
            group: true,
            entropy: None,
            fix: rotate,
        },
        B {
            id: "slack-web-hook",
            category: "Slack",
            title: "Slack Webhook",
            severity: Medium,
            keywords: &["hooks.slack.com"],
            regex: r"(?P<secret>https://hooks\.slack\.com/services/[A-Za-z0-9+/]{44,46})",
            group: true,
            entropy: None,
            fix: rotate,
        },
        B {
            id: "stripe-secret-token",
            category: "Stripe",
            title: "Stripe Secret Key",
            severity: Critical,
            keywords: &["sk_live_", "rk_live_", "sk_test_"],
            regex: r"(?P<secret>\b(?:sk|rk)_(?:live|test)_[0-9a-zA-Z]{24,99})\b",
            group: true,
            entropy: None,
            fix: rotate,
        },
        B {
            id: "twilio-api-key",
            category: "Twilio",
            title: "Twilio API Key",
            severity: Medium,
            keywords: &["sk"],
            regex: r"(?P<secret>\bSK[0-9a-fA-F]{32})\b",
            group: true,
            entropy: Some(3.0),
            fix: rotate,
        },
        B {
            id: "sendgrid-api-token",
            category: "SendGrid",
            title: "SendGrid API token",
            severity: Medium,
            keywords: &["sg."],
            regex: r"(?P<secret>\bSG\.[0-9A-Za-z\-_]{22}\.[0-9A-Za-z\-_]{43})\b",
            group: true,
            entropy: None,
            fix: rotate,
        },
        B {
            id: "private-key",
            category: "AsymmetricPrivateKey",
            title: "Asymmetric Private Key",
            severity: High,
            keywords: &["-----begin"],
            regex: r"(?P<secret>-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----[\s\S]{16,}?-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----)",
            group: true,
            entropy: None,
            fix: key,
        },
        B {
            id: "jwt-token",
            category: "JWT",
            title: "JWT token",
            severity: Medium,
            keywords: &["eyj"],
            regex: r"(?P<secret>\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{16,})",
            group: true,
            entropy: None,
            fix: rotate,
        },
        B {
            id: "database-url-password",
            category: "Database",
            title: "Database URL with a password",
            severity: High,
            keywords: &["://"],
            regex: r"\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|redis|rediss|amqps?|mssql|sqlserver|jdbc:[a-z]+)://[^:/@\s'\x22]{1,64}:(?P<secret>[^@/\s'\x22]{3,128})@[^\s'\x22]+",
            group: true,
            entropy: None,
            fix: rotate,
        },
        B {
            id: "dockerconfig-secret",
            category: "Docker",
            title: "Docker registry credentials",
            severity: High,
            keywords: &["\"auth\""],
            regex: r#""auths?"\s*:\s*\{[^}]*?"auth"\s*:\s*"(?P<secret>[A-Za-z0-9+/=]{8,})""#,
            group: true,
            entropy: None,
            fix: rotate,
        },
        B {
            id: "npm-access-token",
            category: "npm",
            title: "npm access token",
            severity: Critical,
            keywords: &["_authtoken", "npm_"],
            regex: r"(?:_authToken\s*=\s*(?P<secret>[A-Za-z0-9\-_.+/=]{20,})|(?P<token>\bnpm_[A-Za-z0-9]{36}\b))",
            group: true,
            entropy: None,
            fix: rotate,
        },
        B {
            id: "pypi-upload-token",
            category: "PyPI",
            title: "PyPI upload token",
            severity: High,
            keywords: &["pypi-ageichlwas5vcmc"],
            regex: r"(?P<secret>\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9\-_]{50,})",
            group: true,
            entropy: None,
            fix: rotate,
        },
        B {
            id: "generic-secret-assignment",
            category: "General",
            title: "Password or secret assigned in clear",
            severity: Medium,
            keywords: &[
                "password", "passwd", "secret", "token", "api_key", "apikey", "api-key", "pwd",
            ],
            regex: r#"(?i)\b(?:[a-z0-9_.\-]*?(?:password|passwd|pwd|secret|token|api[_\-]?key))["']?\s*(?::=|:|=)\s*["']?(?P<secret>[A-Za-z0-9!#%&*+\-./:=?@^_|~]{8,128})(?:["'\s;,]|$)"#,
            group: true,
            entropy: Some(3.5),
            fix: rotate,
        },
    ];
    // A generic assignment whose value is a digest (`checksum/secret: <sha256>` in Helm output,
    // `token_sha256 = …`) names a hash, not a credential.
    let digests = AllowRule {
        id: "digests".into(),
        description: "hexadecimal digests (MD5, SHA-1, SHA-256, SHA-512) and sha*: prefixed ones"
            .into(),
        regex: Some(re(
            r"^(?:sha(?:1|224|256|384|512)[:-])?(?:[a-f0-9]{32}|[a-f0-9]{40}|[a-f0-9]{56}|[a-f0-9]{64}|[a-f0-9]{96}|[a-f0-9]{128})$",
        )),
        path: None,
    };
    // `password = form.cleaned_data.password`, `secret = SECRET_KEY`: a reference, not a value.
    let code_refs = AllowRule {
        id: "code-references".into(),
        description: "dotted names and CONSTANT names (a value read from elsewhere)".into(),
        regex: Some(re(
            r"^(?:[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+|[A-Z][A-Z0-9_]+)$",
        )),
        path: None,
    };
    list.into_iter()
        .map(|b| Rule {
            id: b.id.into(),
            category: b.category.into(),
            title: b.title.into(),
            severity: b.severity,
            keywords: b.keywords.iter().map(|k| k.to_string()).collect(),
            regex: re(b.regex),
            secret_group: b.group.then(|| "secret".to_string()),
            path: None,
            min_entropy: b.entropy,
            allow: if b.id == "generic-secret-assignment" {
                vec![digests.clone(), code_refs.clone()]
            } else {
                Vec::new()
            },
            fix: b.fix.into(),
            multiline: matches!(
                b.id,
                "private-key" | "gcp-service-account" | "dockerconfig-secret"
            ),
            generic: b.id == "generic-secret-assignment",
        })
        .collect()
}

/// The built-in allow rules: documentation and example values, placeholders, test and fixture
/// paths, lock files and documentation directories.
pub fn builtin_allow_rules() -> Vec<AllowRule> {
    let a = |id: &str, description: &str, regex: Option<&str>, path: Option<&str>| AllowRule {
        id: id.into(),
        description: description.into(),
        regex: regex.map(re),
        path: path.map(re),
    };
    vec![
        a(
            "aws-documentation-examples",
            "the example keys of AWS's documentation",
            Some(
                r"^(?:AKIAIOSFODNN7EXAMPLE|wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY|AKIAI44QH8DHBEXAMPLE|je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY)$",
            ),
            None,
        ),
        a(
            "placeholders",
            "placeholders and templated values",
            Some(
                r"(?i)^(?:\$\{?[a-z0-9_\-.]+\}?|<[^>]*>|\{\{[^}]*\}\}|%\([a-z_]+\)s|(?:x+|\*+|\.+|-+|0+|#+)|changeme|change_me|changeit|password|passw0rd|pass|passwd|pwd|secret|example|sample|dummy|placeholder|redacted|your[_\-]?\w*|null|none|undefined|true|false|env|os\.environ.*|process\.env.*)$",
            ),
            None,
        ),
        a(
            "example-values",
            "values that say they are examples",
            Some(r"(?i)(?:example|sample|dummy|fake|placeholder|not[_\-]?a[_\-]?real|xxxxxx)"),
            None,
        ),
        a(
            "tests",
            "test and fixture directories",
            None,
            Some(
                r"(?i)(?:^|/)(?:tests?|testdata|test_data|fixtures?|__tests__|spec|specs|mocks?)/",
            ),
        ),
        a(
            "examples",
            "example directories",
            None,
            Some(r"(?i)(?:^|/)(?:examples?|samples?|demos?)/"),
        ),
        a(
            "docs",
            "documentation trees",
            None,
            Some(
                r"^/?usr/(?:share/(?:doc|man|info|locale|help)|lib/python3[^/]*/site-packages/[^/]+/tests?)/",
            ),
        ),
        a(
            "markdown",
            "documentation pages (READMEs show example keys and connection strings; Trivy skips them too)",
            None,
            Some(r"(?i)\.(?:md|markdown|rst|adoc)$"),
        ),
        a(
            "lock-files",
            "lock files (integrity hashes look like secrets)",
            None,
            Some(
                r"(?:^|/)(?:package-lock\.json|yarn\.lock|pnpm-lock\.yaml|Cargo\.lock|Gemfile\.lock|poetry\.lock|Pipfile\.lock|composer\.lock|go\.sum|uv\.lock|bun\.lock)$",
            ),
        ),
        a(
            "source-maps",
            "minified JavaScript and source maps",
            None,
            Some(r"\.(?:min\.js|map)$"),
        ),
    ]
}

/// Shannon entropy of `s` in bits per character.
pub fn entropy(s: &str) -> f64 {
    let mut counts = [0u32; 256];
    let mut n = 0u32;
    for b in s.bytes() {
        counts[b as usize] += 1;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|&c| {
            let p = f64::from(c) / f64::from(n);
            -p * p.log2()
        })
        .sum()
}

/// A secret as shown: its first and last character, the middle as `*` (at most 16 of them).
pub fn mask(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    match chars.len() {
        0 => String::new(),
        1 | 2 => "*".repeat(chars.len()),
        n => format!(
            "{}{}{}",
            chars[0],
            "*".repeat((n - 2).min(16)),
            chars[n - 1]
        ),
    }
}

/// Rules and allow rules ready to scan.
pub struct Scanner {
    rules: Vec<Rule>,
    allow: Vec<AllowRule>,
    /// Every keyword of every rule, and which rules each belongs to.
    prefilter: AhoCorasick,
    keyword_rules: Vec<Vec<usize>>,
    /// Rules without keywords (run on every text).
    always: Vec<usize>,
    /// Largest text scanned.
    pub max_bytes: usize,
}

/// Whether `data` is a zip archive whose name says it is one of [`ARCHIVE_EXTENSIONS`].
fn is_archive(path: &str, data: &[u8]) -> bool {
    let ext = path
        .rsplit('/')
        .next()
        .and_then(|b| b.rsplit_once('.'))
        .map(|(_, e)| e);
    data.starts_with(b"PK\x03\x04")
        && ext.is_some_and(|e| ARCHIVE_EXTENSIONS.iter().any(|a| e.eq_ignore_ascii_case(a)))
}

/// Largest file scanned by default (Trivy skips files over 10 MiB too).
pub const MAX_BYTES: usize = 10 << 20;

/// Archives whose members are scanned (zip files by these names, up to [`ARCHIVE_MAX_BYTES`]):
/// Java archives (a Spring `application.properties` with a database password), Python wheels and
/// eggs, NuGet packages, plain zips.
pub const ARCHIVE_EXTENSIONS: &[&str] = &["jar", "war", "ear", "whl", "egg", "zip", "nupkg"];
/// Largest archive looked into: a fat jar is held whole by the image walk anyway (it is probed
/// for the Java packages it carries, up to the same 256 MiB).
pub const ARCHIVE_MAX_BYTES: u64 = 256 << 20;
/// Most members of one archive looked at (the rest are not read).
pub const ARCHIVE_MAX_ENTRIES: usize = 10_000;
/// Most bytes inflated from one archive, counted as they are read (a zip bomb stops here).
pub const ARCHIVE_MAX_INFLATED: u64 = 64 << 20;

impl Scanner {
    /// The built-in rules and allow rules.
    pub fn builtin() -> Scanner {
        Scanner::new(builtin_rules(), builtin_allow_rules())
    }

    pub fn new(rules: Vec<Rule>, allow: Vec<AllowRule>) -> Scanner {
        let mut words: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        let mut always = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            if r.keywords.is_empty() {
                always.push(i);
            }
            for k in &r.keywords {
                let k = k.to_ascii_lowercase();
                match words.iter().position(|w| *w == k) {
                    Some(j) => keyword_rules[j].push(i),
                    None => {
                        words.push(k);
                        keyword_rules.push(vec![i]);
                    }
                }
            }
        }
        let prefilter = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&words)
            .expect("keywords are plain strings");
        Scanner {
            rules,
            allow,
            prefilter,
            keyword_rules,
            always,
            max_bytes: MAX_BYTES,
        }
    }

    /// The rules.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// A fingerprint of the rules and allow rules (their ids and patterns): part of the layer
    /// cache key, so a changed configuration rescans the layers.
    pub fn version(&self) -> String {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for r in &self.rules {
            (
                &r.id,
                r.regex.as_str(),
                r.path.as_ref().map(|p| p.as_str()),
                &r.keywords,
                r.min_entropy.map(f64::to_bits),
            )
                .hash(&mut h);
            for a in &r.allow {
                (
                    &a.id,
                    a.regex.as_ref().map(|x| x.as_str()),
                    a.path.as_ref().map(|x| x.as_str()),
                )
                    .hash(&mut h);
            }
        }
        for a in &self.allow {
            (
                &a.id,
                a.regex.as_ref().map(|x| x.as_str()),
                a.path.as_ref().map(|x| x.as_str()),
            )
                .hash(&mut h);
        }
        // `zip2`: archives' members are scanned, fat jars too (records made before are not reused).
        format!("secrets-{}-{:016x}-zip2", self.rules.len(), h.finish())
    }

    fn path_allowed(&self, path: &str) -> bool {
        self.allow
            .iter()
            .any(|a| a.regex.is_none() && a.path.as_ref().is_some_and(|p| p.is_match(path)))
    }

    fn value_allowed(&self, rule: &Rule, path: &str, value: &str) -> bool {
        let hit = |a: &AllowRule| {
            a.regex.as_ref().is_some_and(|r| r.is_match(value))
                && a.path.as_ref().is_none_or(|p| p.is_match(path))
        };
        self.allow.iter().any(hit)
            || rule.allow.iter().any(|a| {
                hit(a) || (a.regex.is_none() && a.path.as_ref().is_some_and(|p| p.is_match(path)))
            })
    }

    /// Whether `data` is scanned at all: not too large, not binary (a NUL byte in its first
    /// 8 KiB), not UTF-8-invalid beyond repair (lossy text is scanned).
    pub fn scannable(&self, data: &[u8]) -> bool {
        data.len() <= self.max_bytes && !data[..data.len().min(8192)].contains(&0)
    }

    /// The secrets in one file's content (`path` as the file is named in its image or directory).
    /// A zip archive named as one of [`ARCHIVE_EXTENSIONS`] is looked into: each member is scanned
    /// as a file whose path is `<archive>/<member>` (so path allow rules such as `tests/` apply),
    /// and its secrets carry the member's name. Archives inside archives are not opened.
    pub fn scan(&self, path: &str, data: &[u8]) -> Vec<Secret> {
        if self.path_allowed(path) {
            return Vec::new();
        }
        if is_archive(path, data) && data.len() as u64 <= ARCHIVE_MAX_BYTES {
            return self.scan_archive(path, data);
        }
        if data.len() > self.max_bytes || !self.scannable(data) {
            return Vec::new();
        }
        let text = String::from_utf8_lossy(data);
        self.scan_text(path, &text)
    }

    /// The members of a zip archive, each scanned as a file; bounded by [`ARCHIVE_MAX_ENTRIES`]
    /// and [`ARCHIVE_MAX_INFLATED`] whatever the archive declares. An archive that cannot be read
    /// gives nothing (it is reported by nothing else either: it is only a file of the image).
    fn scan_archive(&self, path: &str, data: &[u8]) -> Vec<Secret> {
        use std::io::Read;
        let Ok(mut zip) = zip::ZipArchive::new(std::io::Cursor::new(data)) else {
            return Vec::new();
        };
        let mut left = ARCHIVE_MAX_INFLATED;
        let mut out = Vec::new();
        for i in 0..zip.len().min(ARCHIVE_MAX_ENTRIES) {
            if left == 0 {
                break;
            }
            let Ok(f) = zip.by_index(i) else { continue };
            if f.is_dir() {
                continue;
            }
            let Ok(name) = f.name().map(|n| n.into_owned()) else {
                continue;
            };
            let inner = format!("{path}/{}", name.trim_start_matches('/'));
            // Compiled classes and nested archives would not be scanned: not inflated either, so
            // a fat jar's libraries do not spend the budget before its configuration.
            let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
            if self.path_allowed(&inner)
                || ext == "class"
                || ARCHIVE_EXTENSIONS
                    .iter()
                    .any(|a| ext.eq_ignore_ascii_case(a))
            {
                continue;
            }
            let cap = left.min(self.max_bytes as u64 + 1);
            let mut buf = Vec::new();
            if f.take(cap).read_to_end(&mut buf).is_err() {
                continue;
            }
            left -= buf.len() as u64;
            // Too large a member, or binary (compiled classes): not scanned, as a file would not be.
            if buf.len() as u64 > self.max_bytes as u64 || !self.scannable(&buf) {
                continue;
            }
            for mut s in self.scan_text(&inner, &String::from_utf8_lossy(&buf)) {
                s.entry = Some(name.clone());
                out.push(s);
            }
        }
        out
    }

    /// The secrets in a text (a file, an environment variable, a command line).
    pub fn scan_text(&self, path: &str, text: &str) -> Vec<Secret> {
        let mut run = vec![false; self.rules.len()];
        for i in &self.always {
            run[*i] = true;
        }
        // A single-line rule runs only on the lines that hold one of its keywords.
        let mut windows: Vec<Vec<(usize, usize)>> = vec![Vec::new(); self.rules.len()];
        for m in self.prefilter.find_overlapping_iter(text) {
            for &r in &self.keyword_rules[m.pattern().as_usize()] {
                run[r] = true;
                if self.rules[r].multiline {
                    continue;
                }
                let ls = text[..m.start()].rfind('\n').map_or(0, |i| i + 1);
                if windows[r].last().is_some_and(|w| w.0 == ls) {
                    continue;
                }
                let le = text[m.start()..]
                    .find('\n')
                    .map_or(text.len(), |i| m.start() + i);
                windows[r].push((ls, le));
            }
        }
        let code = is_source_code(path);
        let mut out = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for (i, rule) in self.rules.iter().enumerate() {
            if !run[i] || rule.path.as_ref().is_some_and(|p| !p.is_match(path)) {
                continue;
            }
            let whole = [(0usize, text.len())];
            let spans: &[(usize, usize)] = if rule.multiline || self.always.contains(&i) {
                &whole
            } else {
                &windows[i]
            };
            let mut last_end = 0usize;
            for &(from, to) in spans {
                if from < last_end {
                    continue; // a line already searched (keywords of one line, in any order)
                }
                last_end = to;
                for caps in rule.regex.captures_iter(&text[from..to]) {
                    let m = rule
                        .secret_group
                        .as_ref()
                        .and_then(|g| caps.name(g))
                        .or_else(|| caps.name("token"))
                        .or_else(|| caps.get(0));
                    let Some(m) = m else { continue };
                    let (start, end) = (from + m.start(), from + m.end());
                    let value = m.as_str();
                    if rule.min_entropy.is_some_and(|e| entropy(value) < e)
                        || self.value_allowed(rule, path, value)
                    {
                        continue;
                    }
                    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
                    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
                    if rule.generic {
                        let l = text[line_start..line_end].trim_start();
                        let comment = ["#", "//", "*", "/*", ">>>", "--", ";", "<!--"]
                            .iter()
                            .any(|c| l.starts_with(c));
                        let quoted = text[..start].ends_with(['"', '\'']);
                        if comment || (code && !quoted) {
                            continue;
                        }
                    }
                    let line = text[..start].bytes().filter(|b| *b == b'\n').count() as u32 + 1;
                    if !seen.insert((line, start)) {
                        continue; // one finding per place, the first (most specific) rule's
                    }
                    let masked = mask(value);
                    let end = end.min(line_end);
                    let context = format!(
                        "{}{}{}",
                        &text[line_start..start],
                        masked,
                        &text[end..line_end]
                    );
                    let context: String = context.chars().take(200).collect();
                    out.push(Secret {
                        rule_id: rule.id.clone(),
                        category: rule.category.clone(),
                        title: rule.title.clone(),
                        severity: rule.severity,
                        line,
                        masked,
                        context,
                        fix: rule.fix.clone(),
                        entry: None,
                    });
                }
            }
        }
        out.sort_by_key(|s| s.line);
        out
    }
}

/// Whether a path is program source (where `password = x` is usually code, not a credential).
fn is_source_code(path: &str) -> bool {
    let ext = path.rsplit_once('.').map_or("", |(_, e)| e);
    matches!(
        ext,
        "py" | "js"
            | "mjs"
            | "cjs"
            | "ts"
            | "tsx"
            | "jsx"
            | "rb"
            | "go"
            | "java"
            | "kt"
            | "scala"
            | "php"
            | "c"
            | "h"
            | "cc"
            | "cpp"
            | "hpp"
            | "cs"
            | "rs"
            | "pl"
            | "pm"
            | "swift"
            | "lua"
            | "groovy"
            | "dart"
            | "ex"
            | "exs"
            | "erl"
            | "clj"
            | "r"
            | "m"
            | "vue"
            | "svelte"
    )
}

/// A rule as `trivy-secret.yaml` writes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleConfig {
    id: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    severity: Option<String>,
    regex: String,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    path: Option<StringOrList>,
    #[serde(default, rename = "secret-group-name")]
    secret_group_name: Option<String>,
    #[serde(default, rename = "allow-rules")]
    allow_rules: Vec<AllowConfig>,
    #[serde(default, rename = "exclude-block")]
    exclude_block: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AllowConfig {
    id: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    regex: Option<String>,
    #[serde(default)]
    path: Option<StringOrList>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum StringOrList {
    One(String),
    Many(Vec<String>),
}

impl StringOrList {
    /// One pattern matching any of the given ones.
    fn pattern(&self) -> String {
        match self {
            StringOrList::One(s) => s.clone(),
            StringOrList::Many(v) => v
                .iter()
                .map(|p| format!("(?:{p})"))
                .collect::<Vec<_>>()
                .join("|"),
        }
    }
}

/// `trivy-secret.yaml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretConfig {
    #[serde(default)]
    rules: Vec<RuleConfig>,
    #[serde(default, rename = "allow-rules")]
    allow_rules: Vec<AllowConfig>,
    /// When given, only these built-in rules (Trivy: `enable-builtin-rules`).
    #[serde(default, rename = "enable-builtin-rules")]
    enable_builtin_rules: Vec<String>,
    #[serde(default, rename = "disable-rules")]
    disable_rules: Vec<String>,
    #[serde(default, rename = "disable-allow-rules")]
    disable_allow_rules: Vec<String>,
}

fn compile(id: &str, what: &str, p: &str) -> Result<Regex, SecretError> {
    Regex::new(p).map_err(|e| SecretError::Rule {
        id: id.to_string(),
        message: format!("{what} {p:?}: {e}"),
    })
}

fn allow_rule(a: &AllowConfig) -> Result<AllowRule, SecretError> {
    if a.regex.is_none() && a.path.is_none() {
        return Err(SecretError::Rule {
            id: a.id.clone(),
            message: "an allow rule needs a regex or a path".into(),
        });
    }
    Ok(AllowRule {
        id: a.id.clone(),
        description: a.description.clone(),
        regex: a
            .regex
            .as_deref()
            .map(|r| compile(&a.id, "regex", r))
            .transpose()?,
        path: a
            .path
            .as_ref()
            .map(|p| compile(&a.id, "path", &p.pattern()))
            .transpose()?,
    })
}

impl SecretConfig {
    /// Read the YAML; an unknown field, severity, rule id or a pattern that does not compile is an
    /// error naming the rule.
    pub fn parse(text: &str) -> Result<SecretConfig, SecretError> {
        let c: SecretConfig =
            serde_saphyr::from_str(text).map_err(|e| SecretError::Yaml(e.to_string()))?;
        let builtin: Vec<String> = builtin_rules().into_iter().map(|r| r.id).collect();
        let allows: Vec<String> = builtin_allow_rules().into_iter().map(|r| r.id).collect();
        for id in c.enable_builtin_rules.iter().chain(&c.disable_rules) {
            if !builtin.contains(id) && !c.rules.iter().any(|r| &r.id == id) {
                return Err(SecretError::Rule {
                    id: id.clone(),
                    message: format!("no such rule (built-in: {})", builtin.join(", ")),
                });
            }
        }
        for id in &c.disable_allow_rules {
            if !allows.contains(id) && !c.allow_rules.iter().any(|r| &r.id == id) {
                return Err(SecretError::Rule {
                    id: id.clone(),
                    message: format!("no such allow rule (built-in: {})", allows.join(", ")),
                });
            }
        }
        Ok(c)
    }

    /// The scanner: built-in rules (all, or those enabled) and the custom ones, minus the disabled;
    /// built-in allow rules minus the disabled, plus the custom ones.
    pub fn scanner(&self) -> Result<Scanner, SecretError> {
        let mut rules: Vec<Rule> = builtin_rules()
            .into_iter()
            .filter(|r| {
                self.enable_builtin_rules.is_empty() || self.enable_builtin_rules.contains(&r.id)
            })
            .collect();
        for r in &self.rules {
            let severity = match &r.severity {
                None => Severity::Unknown,
                Some(s) => s.parse().map_err(|e| SecretError::Rule {
                    id: r.id.clone(),
                    message: format!("{e}"),
                })?,
            };
            if r.exclude_block.is_some() {
                return Err(SecretError::Rule {
                    id: r.id.clone(),
                    message: "exclude-block is not supported: use an allow rule".into(),
                });
            }
            let regex = compile(&r.id, "regex", &r.regex)?;
            let group = r.secret_group_name.clone();
            if let Some(g) = &group
                && !regex.capture_names().flatten().any(|n| n == g)
            {
                return Err(SecretError::Rule {
                    id: r.id.clone(),
                    message: format!("secret-group-name {g:?} is not a group of the regex"),
                });
            }
            rules.push(Rule {
                id: r.id.clone(),
                category: r.category.clone(),
                title: if r.title.is_empty() {
                    r.id.clone()
                } else {
                    r.title.clone()
                },
                severity,
                keywords: r.keywords.iter().map(|k| k.to_ascii_lowercase()).collect(),
                regex,
                secret_group: group,
                path: r
                    .path
                    .as_ref()
                    .map(|p| compile(&r.id, "path", &p.pattern()))
                    .transpose()?,
                min_entropy: None,
                allow: r
                    .allow_rules
                    .iter()
                    .map(allow_rule)
                    .collect::<Result<_, _>>()?,
                fix: "Remove it from the image and rotate it.".into(),
                // A custom pattern may span lines: run on the whole text.
                multiline: true,
                generic: false,
            });
        }
        rules.retain(|r| !self.disable_rules.contains(&r.id));
        let mut allow: Vec<AllowRule> = builtin_allow_rules()
            .into_iter()
            .filter(|a| !self.disable_allow_rules.contains(&a.id))
            .collect();
        for a in &self.allow_rules {
            allow.push(allow_rule(a)?);
        }
        Ok(Scanner::new(rules, allow))
    }
}
