//! Bulkhead's own Dockerfile rules (`BH-DF-*`): what the final image does at run time, secrets,
//! remote downloads without integrity, registries.

use super::rules::{dl3064_name, image_ref};
use super::{Ctx, Hit};
use bulkhead_dockerfile::{Command, CopySource, Dockerfile, Instruction, Kind, Stage};
use std::collections::HashMap;

pub(crate) fn run_all(ctx: &Ctx, out: &mut Vec<Hit>) {
    root_user(ctx, out);
    secrets(ctx, out);
    remote_add(ctx, out);
    healthcheck(ctx, out);
    registries(ctx, out);
}

/// The stage and its ancestors within the file (`FROM builder`), nearest first.
fn chain(df: &Dockerfile, stage: usize) -> Vec<&Stage> {
    let mut v = vec![&df.stages[stage]];
    let mut cur = stage;
    while let Some(p) = df.stages[cur].parent {
        if p >= cur || v.len() > df.stages.len() {
            break;
        }
        v.push(&df.stages[p]);
        cur = p;
    }
    v
}

fn is_root(user: &str) -> bool {
    let u = user.split(':').next().unwrap_or("");
    u == "root" || u == "0" || u.eq_ignore_ascii_case("ContainerAdministrator")
}

/// BH-DF-001: the final stage's effective USER is root, or no USER is set at all (the image then
/// runs as its base image's user — root for nearly every base image, and always for `scratch`).
fn root_user(ctx: &Ctx, out: &mut Vec<Hit>) {
    let df = ctx.df;
    let Some(last) = df.stages.last() else { return };
    // The last USER of each stage, expanded with the variables in effect there (one pass).
    let mut last_user: HashMap<usize, (usize, &str)> = HashMap::new();
    for it in &ctx.items {
        if let (Some(stage), Some(user)) = (it.stage, &it.user) {
            last_user.insert(stage, (it.line, user.as_str()));
        }
    }
    for s in chain(df, last.index) {
        if let Some(&(line, user)) = last_user.get(&s.index) {
            let unresolved = user.contains('$');
            if !unresolved && is_root(user) {
                out.push(
                    Hit::new("BH-DF-001", line, Some(last.index))
                        .msg(format!(
                            "The final stage runs as root (USER {user}); a process that escapes or is compromised has root's privileges in the container"
                        ))
                        .aliases(vec!["DL3002", "DS-0002", "CKV_DOCKER_8"]),
                );
            }
            return;
        }
    }
    out.push(
        Hit::new("BH-DF-001", last.from.start_line, Some(last.index))
            .msg(format!(
                "The final stage sets no USER, so the container runs as the base image's user ({}), which is root for most images",
                last.base.value
            ))
            .aliases(vec!["DS-0002", "CKV_DOCKER_3"]),
    );
}

/// Name tokens that mark a credential.
fn secret_name(name: &str) -> bool {
    let up = name.to_ascii_uppercase();
    let tokens: Vec<&str> = up
        .split(['_', '-', '.'])
        .filter(|t| !t.is_empty())
        .collect();
    // pointers to secrets, not secrets
    if matches!(
        tokens.last(),
        Some(
            &("FILE"
                | "PATH"
                | "DIR"
                | "LOCATION"
                | "ENV"
                | "NAME"
                | "ID"
                | "USER"
                | "USERNAME"
                | "LENGTH"
                | "VERSION")
        )
    ) {
        return false;
    }
    let has = |t: &str| tokens.contains(&t);
    let pair = |a: &str, b: &str| tokens.windows(2).any(|w| w[0] == a && w[1] == b);
    has("PASSWORD")
        || has("PASSWD")
        || has("SECRET")
        || has("TOKEN")
        || has("APIKEY")
        || has("PASSPHRASE")
        || has("CREDENTIALS")
        || pair("API", "KEY")
        || pair("ACCESS", "KEY")
        || pair("PRIVATE", "KEY")
        || pair("SECRET", "KEY")
        || pair("AUTH", "KEY")
        || pair("CLIENT", "KEY")
        || pair("ENCRYPTION", "KEY")
        || pair("SIGNING", "KEY")
}

/// Values that are secrets whatever the variable is called (well-known token formats).
fn secret_value(v: &str) -> Option<&'static str> {
    let alnum_len = |s: &str| {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .count()
    };
    if let Some(r) = v.strip_prefix("AKIA").or_else(|| v.strip_prefix("ASIA"))
        && r.len() >= 16
        && r.get(..16)
            .unwrap_or("")
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    {
        return Some("an AWS access key ID");
    }
    for p in ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"] {
        if let Some(r) = v.strip_prefix(p)
            && alnum_len(r) >= 20
        {
            return Some("a GitHub token");
        }
    }
    if let Some(r) = v.strip_prefix("glpat-")
        && r.len() >= 20
    {
        return Some("a GitLab token");
    }
    for p in ["xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-"] {
        if v.starts_with(p) && v.len() > 20 {
            return Some("a Slack token");
        }
    }
    if (v.starts_with("sk_live_") || v.starts_with("rk_live_")) && v.len() > 20 {
        return Some("a Stripe key");
    }
    if v.contains("-----BEGIN") && v.contains("PRIVATE KEY") {
        return Some("a private key");
    }
    None
}

/// A value that is really there (not empty, not only variable references, not a flag value).
fn literal_value(v: &str) -> bool {
    let t = v.trim();
    if t.is_empty() {
        return false;
    }
    let lower = t.to_ascii_lowercase();
    if ["true", "false", "yes", "no", "0", "1", "none", "null"].contains(&lower.as_str()) {
        return false;
    }
    // only references: $X, ${X}, ${X:-…}
    let mut rest = t;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("${") {
            match r.find('}') {
                Some(i) => rest = &r[i + 1..],
                None => return true,
            }
        } else if let Some(r) = rest.strip_prefix('$') {
            let n = r
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .count();
            if n == 0 {
                return true;
            }
            rest = &r[n..];
        } else {
            return true;
        }
    }
    false
}

/// BH-DF-002: a credential in an ARG default or ENV value: a credential-like name with a literal
/// value, or a value in a known token format. ARG values stay in the image history, ENV values in its
/// config — both readable by anyone who can pull the image.
fn secrets(ctx: &Ctx, out: &mut Vec<Hit>) {
    for it in &ctx.items {
        let mut check = |i: &Instruction| {
            let pairs: Vec<(&str, Option<&str>, &str)> = match &i.command {
                Command::Env(p) => p
                    .iter()
                    .map(|kv| (kv.key.value.as_str(), Some(kv.value.value.as_str()), "ENV"))
                    .collect(),
                Command::Arg(d) => d
                    .iter()
                    .map(|a| {
                        (
                            a.name.value.as_str(),
                            a.default.as_ref().map(|w| w.value.as_str()),
                            "ARG",
                        )
                    })
                    .collect(),
                _ => return,
            };
            for (name, value, kw) in pairs {
                let Some(v) = value else { continue };
                let reason = if let Some(kind) = secret_value(v) {
                    Some(format!("{kw} {name} holds what looks like {kind}"))
                } else if secret_name(name) && literal_value(v) {
                    Some(format!(
                        "{kw} {name} sets a credential-like variable to a literal value"
                    ))
                } else {
                    None
                };
                if let Some(r) = reason {
                    let mut aliases = vec!["DS-0031"];
                    if dl3064_name(name) {
                        aliases.insert(0, "DL3064");
                    }
                    out.push(
                        Hit::new("BH-DF-002", it.line, it.stage)
                            .msg(format!("{r}; it is stored in the image (history/config) for anyone who can pull it"))
                            .aliases(aliases),
                    );
                    return;
                }
            }
        };
        check(it.instr);
        if let Some((t, _)) = &it.onbuild {
            check(t);
        }
    }
}

/// BH-DF-003: ADD from an http(s)/ftp URL or a git repository without `--checksum`: the content is
/// whatever the server sends at build time.
fn remote_add(ctx: &Ctx, out: &mut Vec<Hit>) {
    for it in &ctx.items {
        let Command::Add(a) = &it.instr.command else {
            continue;
        };
        if it.instr.flag("checksum").is_some() {
            continue;
        }
        for s in &a.sources {
            let CopySource::Path(w) = s else { continue };
            let p = w.value.as_str();
            let remote = ["http://", "https://", "ftp://", "git@", "git://", "ssh://"]
                .iter()
                .any(|pre| p.starts_with(pre));
            if remote {
                out.push(Hit::new("BH-DF-003", it.line, it.stage).msg(format!(
                    "ADD downloads {p} at build time without a checksum; the image gets whatever the server returns"
                )));
                break;
            }
        }
    }
}

/// BH-DF-004: no HEALTHCHECK in the final stage (nor in the stages it is built on).
/// `HEALTHCHECK NONE` counts as a decision and is not reported.
fn healthcheck(ctx: &Ctx, out: &mut Vec<Hit>) {
    let df = ctx.df;
    let Some(last) = df.stages.last() else { return };
    let has = chain(df, last.index)
        .iter()
        .any(|s| s.instructions.iter().any(|i| i.kind == Kind::Healthcheck));
    if !has {
        out.push(
            Hit::new("BH-DF-004", last.from.start_line, Some(last.index))
                .msg("The final stage has no HEALTHCHECK; the runtime cannot tell a hung container from a healthy one"),
        );
    }
}

/// The registry a reference is pulled from, Docker's normalisation: a first component with `.` or
/// `:` or equal to `localhost` is a registry, otherwise Docker Hub.
fn registry_of(reference: &str) -> String {
    match reference.split_once('/') {
        Some((first, _)) if first.contains('.') || first.contains(':') || first == "localhost" => {
            first.to_ascii_lowercase()
        }
        _ => "docker.io".to_string(),
    }
}

fn registry_allowed(reg: &str, trusted: &[String]) -> bool {
    let hub = |r: &str| {
        matches!(
            r,
            "docker.io" | "index.docker.io" | "registry-1.docker.io" | "hub.docker.com"
        )
    };
    trusted.iter().any(|t| {
        let t = t.trim().to_ascii_lowercase();
        if let Some(suffix) = t.strip_prefix("*.") {
            reg.ends_with(&format!(".{suffix}"))
        } else {
            t == reg || (hub(&t) && hub(reg))
        }
    })
}

/// BH-DF-005 (only with trustedRegistries): a FROM image (not a stage, not scratch) from a registry
/// that is not trusted. The reference is read with global ARG defaults substituted; references that
/// still hold variables are skipped.
fn registries(ctx: &Ctx, out: &mut Vec<Hit>) {
    let trusted = &ctx.settings.trusted_registries;
    if trusted.is_empty() {
        return;
    }
    for s in &ctx.df.stages {
        if s.parent.is_some() {
            continue;
        }
        let r = s.base_expanded.as_str();
        if r.contains('$') || image_ref(r).name == "scratch" {
            continue;
        }
        let reg = registry_of(r);
        if !registry_allowed(&reg, trusted) {
            out.push(
                Hit::new("BH-DF-005", s.from.start_line, Some(s.index)).msg(format!(
                    "FROM {r} pulls from {reg}, which is not in trustedRegistries ({})",
                    trusted.join(", ")
                )),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_values() {
        assert!(
            secret_name("DB_PASSWORD")
                && secret_name("aws_secret_access_key")
                && secret_name("API_KEY")
        );
        assert!(secret_name("GITHUB_TOKEN") && secret_name("NPM-TOKEN"));
        assert!(
            !secret_name("PASSWORD_FILE")
                && !secret_name("GPG_KEY")
                && !secret_name("TOKENIZERS_PARALLELISM")
        );
        assert!(!secret_name("DB_USERNAME") && !secret_name("SECRET_NAME"));
        assert!(literal_value("hunter2") && literal_value("${A}x"));
        assert!(
            !literal_value("$DB_PASSWORD")
                && !literal_value("${A:-b}")
                && !literal_value("")
                && !literal_value("true")
        );
        assert_eq!(
            secret_value("AKIAIOSFODNN7EXAMPLE"),
            Some("an AWS access key ID")
        );
        assert_eq!(
            secret_value("ghp_0123456789abcdefghij0123"),
            Some("a GitHub token")
        );
        assert_eq!(secret_value("hello"), None);
    }

    #[test]
    fn registry_matching() {
        assert_eq!(registry_of("alpine:3"), "docker.io");
        assert_eq!(registry_of("library/alpine"), "docker.io");
        assert_eq!(registry_of("gcr.io/distroless/static"), "gcr.io");
        assert_eq!(registry_of("localhost:5000/x"), "localhost:5000");
        let t = vec![
            "docker.io".to_string(),
            "*.gcr.io".to_string(),
            "my.com:5000".to_string(),
        ];
        assert!(registry_allowed("docker.io", &t) && registry_allowed("eu.gcr.io", &t));
        assert!(
            registry_allowed("my.com:5000", &t)
                && !registry_allowed("gcr.io", &t)
                && !registry_allowed("quay.io", &t)
        );
        assert!(registry_allowed(
            "docker.io",
            &["hub.docker.com".to_string()]
        ));
    }
}
