//! hadolint's DL rules. Each follows the semantics of the hadolint 2.15 rule of the same ID (its
//! source and spec file), re-expressed over Bulkhead's parser; where the behaviour of the 2.15.1
//! binary differs from older sources (DL3006/DL3007 with variables and digests, DL3022 with stage
//! indexes and image references, DL3029 with build-platform variables, DL3025 on HEALTHCHECK), the
//! binary's behaviour is followed. Comments name the non-obvious quirks kept on purpose.

use super::sh::{Cmd, Script, strip_install_prefix};
use super::{Ctx, Hit, Item};
use bulkhead_dockerfile::{Command, CommandLine, CopySource, Healthcheck, Instruction, Kind};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

pub(crate) fn run_all(ctx: &Ctx, out: &mut Vec<Hit>) {
    simple_rules(ctx, out);
    dl3002(ctx, out);
    dl3006_dl3007(ctx, out);
    dl3009(ctx, out);
    dl3012_dl4003_dl4004(ctx, out);
    dl3022_dl3023_dl3024(ctx, out);
    dl3042(ctx, out);
    dl3044(ctx, out);
    dl3045(ctx, out);
    dl3057(ctx, out);
    dl3059(ctx, out);
    dl4001(ctx, out);
    dl4006(ctx, out);
}

/// `Text.dropAround` of `"` and `'`.
pub(crate) fn drop_quotes(s: &str) -> &str {
    s.trim_matches(['"', '\''])
}

/// A FROM image reference cut the way hadolint's parser cuts it: a first path component containing
/// a dot is a registry (`myreg.io:5000/foo`); then the name runs to the first `:` (tag) or `@`
/// (digest). So `localhost:5000/foo` reads as image `localhost` with tag `5000/foo`, as in hadolint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImageRef {
    pub registry: Option<String>,
    pub name: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

pub(crate) fn image_ref(s: &str) -> ImageRef {
    let (rest, digest) = match s.split_once('@') {
        Some((a, d)) => (a, Some(d.to_string())),
        None => (s, None),
    };
    let (registry, rest) = match rest.split_once('/') {
        Some((first, r)) if first.contains('.') => (Some(first.to_string()), r),
        _ => (None, rest),
    };
    let (name, tag) = match rest.split_once(':') {
        Some((n, t)) => (n.to_string(), Some(t.to_string())),
        None => (rest.to_string(), None),
    };
    ImageRef {
        registry,
        name,
        tag,
        digest,
    }
}

fn from_args(i: &Instruction) -> Option<(&str, Option<&str>)> {
    match &i.command {
        Command::From(f) => Some((
            f.image.value.as_str(),
            f.alias.as_ref().map(|a| a.value.as_str()),
        )),
        _ => None,
    }
}

/// The key hadolint uses for a stage in per-stage state: its alias, else its image name.
fn stage_key(i: &Instruction) -> Option<(String, String)> {
    let (image, alias) = from_args(i)?;
    let name = image_ref(image).name;
    Some((alias.map_or_else(|| name.clone(), str::to_string), name))
}

/// RUN scripts of an item: its own (for RUN) and, with `onbuild`, an `ONBUILD RUN` trigger's.
fn scripts<'a>(it: &'a Item, onbuild: bool) -> impl Iterator<Item = &'a Script> {
    let own = it.script.as_ref();
    let trig = if onbuild {
        it.onbuild.as_ref().and_then(|(_, s)| s.as_ref())
    } else {
        None
    };
    own.into_iter().chain(trig)
}

/// Rules that look at one instruction at a time.
fn simple_rules(ctx: &Ctx, out: &mut Vec<Hit>) {
    for it in &ctx.items {
        let (l, st) = (it.line, it.stage);
        let mut hit = |code: &'static str| out.push(Hit::new(code, l, st));
        let i = it.instr;

        // RUN-script rules; those hadolint also applies to ONBUILD RUN get `true`.
        let any_script = |onb: bool, f: &dyn Fn(&Script) -> bool| scripts(it, onb).any(f);
        if any_script(false, &|s| s.uses("cd")) {
            hit("DL3003");
        }
        if any_script(false, &|s| {
            s.cmds.iter().any(|c| {
                [
                    "free", "kill", "mount", "ps", "service", "shutdown", "ssh", "top", "vim",
                    "ifconfig",
                ]
                .contains(&c.name.as_str())
            })
        }) {
            hit("DL3001");
        }
        if any_script(false, &|s| s.uses("sudo")) {
            hit("DL3004");
        }
        if any_script(false, &|s| !dl3008_ok(s)) {
            hit("DL3008");
        }
        if any_script(true, &|s| s.any(dl3013_fails)) {
            hit("DL3013");
        }
        if any_script(false, &|s| {
            s.any(|c| {
                c.has_args("apt-get", &["install"])
                    && !c.has_any_flag(&["y", "yes", "q", "assume-yes"])
            })
        }) {
            hit("DL3014");
        }
        if any_script(false, &|s| {
            s.any(|c| {
                c.has_args("apt-get", &["install"])
                    && !c.has_flag("no-install-recommends")
                    && !c.has_arg("APT::Install-Recommends=false")
            })
        }) {
            hit("DL3015");
        }
        if any_script(false, &|s| s.any(dl3016_fails)) {
            hit("DL3016");
        }
        if any_script(true, &|s| !dl3018_ok(s)) {
            hit("DL3018");
        }
        if any_script(true, &|s| {
            s.any(|c| c.has_args("apk", &["add"]) && !c.has_flag("no-cache"))
        }) {
            hit("DL3019");
        }
        if any_script(false, &|s| s.uses("apt")) {
            hit("DL3027");
        }
        if any_script(true, &|s| !dl3028_ok(s)) {
            hit("DL3028");
        }
        if any_script(false, &|s| {
            s.any(|c| {
                c.has_args("yum", &["install", "groupinstall", "localinstall"])
                    && !c.has_any_flag(&["y", "assumeyes"])
            })
        }) {
            hit("DL3030");
        }
        if any_script(false, &|s| {
            s.any(|c| c.has_args("yum", &["install"]))
                && !s.any(|c| c.has_args("yum", &["clean", "all"]))
        }) {
            hit("DL3032");
        }
        if any_script(false, &|s| !rpm_versions_ok(s, &["yum"], false)) {
            hit("DL3033");
        }
        if any_script(false, &|s| {
            s.any(|c| {
                c.has_args(
                    "zypper",
                    &[
                        "install",
                        "in",
                        "remove",
                        "rm",
                        "source-install",
                        "si",
                        "patch",
                    ],
                ) && !c.has_any_flag(&["no-confirm", "y"])
            })
        }) {
            hit("DL3034");
        }
        if any_script(false, &|s| {
            s.any(|c| c.has_args("zypper", &["dist-upgrade", "dup"]))
        }) {
            hit("DL3035");
        }
        if any_script(true, &|s| {
            install_before_clean_missing(s, &|c| c.has_args("zypper", &["install", "in"]), &|c| {
                c.has_args("zypper", &["clean", "cc"])
            })
        }) {
            hit("DL3036");
        }
        if any_script(false, &|s| {
            s.cmds.iter().any(|c| {
                c.has_args("zypper", &["install", "in"]) && {
                    c.args_no_flags().iter().any(|p| {
                        *p != "install"
                            && *p != "in"
                            && !(p.contains('=')
                                || p.contains('>')
                                || p.contains('<')
                                || p.ends_with(".rpm"))
                    })
                }
            })
        }) {
            hit("DL3037");
        }
        if any_script(true, &|s| {
            s.any(|c| {
                c.names_have_args(
                    &["dnf", "microdnf"],
                    &["install", "groupinstall", "localinstall"],
                ) && !c.has_any_flag(&["y", "assumeyes"])
            })
        }) {
            hit("DL3038");
        }
        if any_script(true, &|s| {
            ["dnf", "microdnf"].iter().any(|n| {
                install_before_clean_missing(s, &|c| c.has_args(n, &["install"]), &|c| {
                    c.has_args(n, &["clean", "all"])
                        || c.has_args("rm", &["-rf", "/var/cache/yum/*"])
                })
            })
        }) {
            hit("DL3040");
        }
        if any_script(true, &|s| !rpm_versions_ok(s, &["dnf", "microdnf"], true)) {
            hit("DL3041");
        }
        if any_script(false, &|s| {
            s.any(|c| {
                c.name == "useradd"
                    && !c.has_any_flag(&["l", "no-log-init"])
                    && c.has_any_flag(&["u", "uid"])
                    && c.flag_values("u").iter().any(|v| v.chars().count() > 5)
            })
        }) {
            hit("DL3046");
        }
        if any_script(false, &|s| s.any(dl3047_fails)) {
            hit("DL3047");
        }
        if any_script(false, &|s| {
            s.any(|c| c.has_args("yarn", &["install"]))
                && !s.any(|c| c.has_args("yarn", &["cache", "clean"]))
        }) {
            hit("DL3060");
        }
        if any_script(true, &|s| s.any(dl3062_fails)) {
            hit("DL3062");
        }
        if any_script(false, &|s| s.any(|c| c.has_args("ln", &["/bin/sh"]))) {
            hit("DL4005");
        }

        // Instruction rules.
        match &i.command {
            Command::Workdir(w) => {
                let p = drop_quotes(&w.raw);
                let mut ch = p.chars();
                let win =
                    matches!((ch.next(), ch.next()), (Some(a), Some(':')) if a.is_alphabetic());
                if !(p.starts_with('$') || p.starts_with('/') || win) {
                    hit("DL3000");
                }
            }
            Command::Expose(ports) => {
                let bad = ports.iter().any(|w| {
                    let p = w.value.split('/').next().unwrap_or("");
                    p.split('-')
                        .any(|n| n.parse::<u64>().is_ok_and(|n| n > 65535))
                });
                if bad {
                    hit("DL3011");
                }
            }
            Command::Add(a) => {
                let local = a.sources.iter().any(|s| match s {
                    CopySource::Path(w) => {
                        let p = drop_quotes(&w.raw);
                        !(is_archive(p) || p.starts_with("https://") || p.starts_with("http://"))
                    }
                    CopySource::Heredoc { .. } => false,
                });
                if local {
                    hit("DL3020");
                }
            }
            Command::Copy(c) => {
                if c.sources.len() > 1 {
                    let d = drop_quotes(&c.dest.raw);
                    if !d.ends_with('/') {
                        hit("DL3021");
                    }
                }
                if i.flag("from").is_some()
                    && c.sources
                        .iter()
                        .any(|s| matches!(s, CopySource::Path(w) if drop_quotes(&w.raw) == "/"))
                    && drop_quotes(&c.dest.raw) == "/"
                {
                    hit("DL3067");
                }
            }
            Command::Cmd(CommandLine::Shell(_))
            | Command::Entrypoint(CommandLine::Shell(_))
            | Command::Healthcheck(Healthcheck::Cmd {
                cmd: CommandLine::Shell(_),
                ..
            }) => hit("DL3025"),
            Command::From(f) => {
                if let Some(p) = i.flag("platform").and_then(|f| f.value.as_deref()) {
                    if p == "$TARGETPLATFORM" || p == "${TARGETPLATFORM}" {
                        hit("DL3065");
                    } else if !p.is_empty() && !p.contains('$') {
                        hit("DL3029");
                    }
                }
                if let Some(a) = &f.alias {
                    let n = a.value.to_ascii_lowercase();
                    if n == "scratch" || n == "context" {
                        hit("DL3063");
                    }
                }
            }
            Command::User(u) => {
                let raw = u.word.raw.as_str();
                let uid = raw.split(':').next().unwrap_or("");
                if !uid.chars().all(|c| c.is_ascii_digit()) {
                    hit("DL3066");
                }
            }
            Command::Maintainer(_) => hit("DL4000"),
            Command::Label(pairs) => {
                if pairs.iter().any(|kv| !valid_label_key(&kv.key.value)) {
                    hit("DL3048");
                }
                let schema = &ctx.settings.label_schema;
                for kv in pairs {
                    if schema.contains_key(&kv.key.value) && kv.value.value.is_empty() {
                        out.push(
                            Hit::new("DL3051", l, st)
                                .msg(format!("label `{}` is empty.", kv.key.value)),
                        );
                    }
                }
                if ctx.settings.strict_labels
                    && !schema.is_empty()
                    && pairs.iter().any(|kv| !schema.contains_key(&kv.key.value))
                {
                    out.push(Hit::new("DL3050", l, st));
                }
            }
            _ => {}
        }
        dl3064(it, out);
    }
}

/// The package arguments of every `<tool> <sub>` command: its non-flag arguments once the flags
/// taking a value (`flags_with_arg`) are dropped, without the subcommand word itself.
fn package_args(s: &Script, tool: &str, sub: &str, flags_with_arg: &[&str]) -> Vec<String> {
    s.cmds
        .iter()
        .filter(|c| c.has_args(tool, &[sub]))
        .flat_map(|c| {
            c.drop_flag_arg(flags_with_arg)
                .args_no_flags()
                .into_iter()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .filter(|a| a != sub)
        .collect()
}

fn dl3008_ok(s: &Script) -> bool {
    package_args(s, "apt-get", "install", &["t", "target-release"])
        .iter()
        .all(|p| p.contains('=') || p.contains('/') || p.ends_with(".deb"))
}

fn dl3018_ok(s: &Script) -> bool {
    package_args(s, "apk", "add", &["t", "virtual", "repository", "X"])
        .iter()
        .all(|p| p.contains('=') || p.contains('~') || p.ends_with(".apk"))
}

fn dl3028_ok(s: &Script) -> bool {
    s.cmds
        .iter()
        .filter(|c| {
            c.has_args("gem", &["install", "i"])
                && !c.has_arg("-v")
                && !c.has_arg("--version")
                && !c.all_args().iter().any(|a| a.starts_with("--version="))
        })
        .flat_map(|c| {
            c.args_no_flags()
                .into_iter()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .filter(|a| a != "install" && a != "i" && a != "--")
        .all(|p| p.contains(':'))
}

const VCS_SCHEMES: [&str; 22] = [
    "git+file",
    "git+https",
    "git+ssh",
    "git+http",
    "git+git",
    "git",
    "hg+file",
    "hg+http",
    "hg+https",
    "hg+ssh",
    "hg+static-http",
    "svn",
    "svn+svn",
    "svn+http",
    "svn+https",
    "svn+ssh",
    "bzr+http",
    "bzr+https",
    "bzr+ssh",
    "bzr+sftp",
    "bzr+ftp",
    "bzr+lp",
];

fn dl3013_fails(c: &Cmd) -> bool {
    if !c.is_pip_install() {
        return false;
    }
    if c.has_flag("constraint") || c.has_flag("c") {
        return false;
    }
    let all = c.all_args();
    if all.contains(&"--requirement") || all.contains(&"-r") || all.contains(&".") {
        return false;
    }
    let dropped = c.drop_flag_arg(&[
        "abi",
        "b",
        "build",
        "e",
        "editable",
        "extra-index-url",
        "f",
        "find-links",
        "i",
        "index-url",
        "implementation",
        "no-binary",
        "only-binary",
        "platform",
        "prefix",
        "progress-bar",
        "proxy",
        "python-version",
        "root",
        "src",
        "t",
        "target",
        "trusted-host",
        "upgrade-strategy",
    ]);
    let words = dropped.args_no_flags();
    let pkgs = strip_install_prefix(&words);
    let is_vcs = |p: &str| VCS_SCHEMES.iter().any(|s| p.starts_with(s));
    let fixed = |p: &str| {
        ["==", ">=", "<=", ">", "<", "!=", "~=", "==="]
            .iter()
            .any(|s| p.contains(s))
            || (is_vcs(p) && p.contains('@'))
            || p.ends_with(".whl")
            || p.ends_with(".tar.gz")
            || (!is_vcs(p) && p.contains('/'))
    };
    !pkgs.iter().all(|p| fixed(p))
}

fn dl3016_fails(c: &Cmd) -> bool {
    if !c.has_args("npm", &["install"]) {
        return false;
    }
    let words = c.args_no_flags();
    if words.first() != Some(&"install") {
        return false;
    }
    let fixed = |p: &str| {
        if ["git://", "git+ssh://", "git+http://", "git+https://"]
            .iter()
            .any(|g| p.starts_with(g))
        {
            return p.contains('#');
        }
        if [".tar", ".tar.gz", ".tgz"].iter().any(|s| p.ends_with(s)) {
            return true;
        }
        if ["/", "./", "../", "~/"].iter().any(|s| p.starts_with(s)) {
            return true;
        }
        // hadolint drops a leading scope by skipping every character above '/' (quirk kept)
        let unscoped = if p.starts_with('@') {
            p.trim_start_matches(|ch: char| ch > '/')
        } else {
            p
        };
        unscoped.contains('@')
    };
    !strip_install_prefix(&words).iter().all(|p| fixed(p))
}

fn dl3047_fails(c: &Cmd) -> bool {
    c.name == "wget"
        && !c.has_flag("progress")
        && !c.has_any_flag(&[
            "q",
            "quiet",
            "o",
            "output-file",
            "a",
            "append-output",
            "no-verbose",
        ])
        && !c.has_arg("-nv")
}

fn dl3062_fails(c: &Cmd) -> bool {
    if !c.has_args("go", &["install"]) {
        return false;
    }
    let words = c.args_no_flags();
    strip_install_prefix(&words).iter().any(|p| {
        let local = p.starts_with('/') || p.starts_with("./") || p.starts_with("../") || *p == ".";
        let pinned = p
            .split_once('@')
            .is_some_and(|(_, v)| !v.is_empty() && v != "latest");
        !local && !pinned
    })
}

/// DL3033 / DL3041: packages of `yum install` (`dnf`, `microdnf`) carry a version; modules
/// (`… module install x`) carry a stream (`x:1`).
fn rpm_versions_ok(s: &Script, names: &[&str], strict: bool) -> bool {
    for c in &s.cmds {
        if !c.names_have_args(names, &["install"]) {
            continue;
        }
        let module = c.names_have_args(names, &["module"]);
        let group = strict && c.names_have_args(names, &["group"]);
        let pkgs: Vec<&str> = c
            .args_no_flags()
            .into_iter()
            .filter(|a| *a != "install" && *a != "module")
            .collect();
        for p in pkgs {
            let ok = if module {
                p.contains(':')
            } else if group {
                true
            } else if strict {
                dnf_version_fixed(p)
            } else {
                p.contains('-') || p.ends_with(".rpm")
            };
            if !ok {
                return false;
            }
        }
    }
    true
}

/// DL3041's stricter check: `name-<version>` where the part after the first `-` looks like a
/// version (version characters only, one part starting with a digit).
fn dnf_version_fixed(p: &str) -> bool {
    let parts: Vec<&str> = p.split('-').collect();
    if parts.len() <= 1 {
        return false;
    }
    if p.ends_with(".rpm") {
        return true;
    }
    let rest = &parts[1..];
    rest.iter().all(|x| {
        x.chars()
            .all(|c| c.is_ascii_alphanumeric() || ".~^_:+".contains(c))
    }) && rest
        .iter()
        .any(|x| x.starts_with(|c: char| c.is_ascii_digit()))
}

/// DL3036/DL3040: an install command without a clean command after it in the same RUN.
fn install_before_clean_missing(
    s: &Script,
    install: &dyn Fn(&Cmd) -> bool,
    clean: &dyn Fn(&Cmd) -> bool,
) -> bool {
    match s.position(install) {
        None => false,
        Some(i) => !matches!(s.position(clean), Some(c) if i < c),
    }
}

const ARCHIVES: [&str; 15] = [
    ".tar", ".Z", ".bz2", ".gz", ".lz", ".lzma", ".tZ", ".tb2", ".tbz", ".tbz2", ".tgz", ".tlz",
    ".tpz", ".txz", ".xz",
];

fn is_archive(p: &str) -> bool {
    ARCHIVES.iter().any(|e| p.ends_with(e))
}

fn valid_label_key(k: &str) -> bool {
    let first_ok = k.starts_with(|c: char| c.is_ascii_lowercase());
    let last_ok = k.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit());
    let chars_ok = k
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-');
    let reserved = ["com.docker.", "io.docker.", "org.dockerproject."]
        .iter()
        .any(|p| k.starts_with(p));
    let doubled = k.contains("..") || k.contains("--");
    first_ok && last_ok && chars_ok && !reserved && !doubled
}

pub(crate) const SENSITIVE_NAMES: [&str; 50] = [
    "ACCESS_TOKEN",
    "APPLICATION_KEY",
    "APP_SECRET",
    "AUTH_TOKEN",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "BITTREX_API_KEY",
    "BITTREX_API_SECRET",
    "CF_PASSWORD",
    "CF_USERNAME",
    "CIRCLE_TOKEN",
    "CI_DEPLOY_PASSWORD",
    "CI_DEPLOY_USER",
    "DOCKERHUB_PASSWORD",
    "DOCKER_EMAIL",
    "DOCKER_PASSWORD",
    "DOCKER_USERNAME",
    "FACEBOOK_ACCESS_TOKEN",
    "FACEBOOK_APP_ID",
    "FACEBOOK_APP_SECRET",
    "FIREBASE_API_TOKEN",
    "FIREBASE_TOKEN",
    "FOSSA_API_KEY",
    "GH_ENTERPRISE_TOKEN",
    "GH_TOKEN",
    "GITHUB_ENTERPRISE_TOKEN",
    "GITHUB_TOKEN",
    "HEROKU_API_KEY",
    "HEROKU_API_USER",
    "NPM_AUTH_TOKEN",
    "NPM_TOKEN",
    "OKTA_AUTHN_GROUPID",
    "OKTA_CLIENT_ORGURL",
    "OKTA_CLIENT_TOKEN",
    "OKTA_OAUTH2_CLIENTID",
    "OKTA_OAUTH2_CLIENTSECRET",
    "OPENAI_API_KEY",
    "OS_PASSWORD",
    "OS_USERNAME",
    "POSTGRES_PASSWORD",
    "SLACK_TOKEN",
    "STRIPE_API_KEY",
    "STRIPE_DEVICE_NAME",
    "TRAVIS_OS_NAME",
    "TRAVIS_SECURE_ENV_VARS",
    "TRAVIS_SUDO",
    "VAULT_CLIENT_KEY",
    "VAULT_TOKEN",
    "SECRET_KEY",
    "PRIVATE_KEY",
];

const SUSPICIOUS: [&str; 7] = [
    "api_key",
    "client_key",
    "password",
    "private",
    "secret",
    "token",
    "username",
];

/// DL3064's name test (hadolint's list of known names and suspicious substrings).
pub(crate) fn dl3064_name(name: &str) -> bool {
    let up = name.to_ascii_uppercase();
    let low = name.to_ascii_lowercase();
    SENSITIVE_NAMES[..48].contains(&up.as_str()) || SUSPICIOUS.iter().any(|s| low.contains(s))
}

fn dl3064(it: &Item, out: &mut Vec<Hit>) {
    let check = |i: &Instruction| match &i.command {
        Command::Arg(defs) => defs.iter().any(|d| dl3064_name(&d.name.value)),
        Command::Env(pairs) => pairs.iter().any(|kv| dl3064_name(&kv.key.value)),
        _ => false,
    };
    if check(it.instr) || it.onbuild.as_ref().is_some_and(|(t, _)| check(t)) {
        out.push(Hit::new("DL3064", it.line, it.stage));
    }
}

/// DL3002: in each stage, the last USER is root.
fn dl3002(ctx: &Ctx, out: &mut Vec<Hit>) {
    let mut last: BTreeMap<usize, Option<usize>> = BTreeMap::new();
    for it in &ctx.items {
        let Some(s) = it.stage else { continue };
        if let Command::User(u) = &it.instr.command {
            let r = u.word.raw.as_str();
            let root = r == "root" || r == "0" || r.starts_with("root:") || r.starts_with("0:");
            last.insert(s, root.then_some(it.line));
        }
    }
    for (s, l) in last {
        if let Some(l) = l {
            out.push(Hit::new("DL3002", l, Some(s)));
        }
    }
}

/// DL3006 (untagged base) and DL3007 (`:latest`).
fn dl3006_dl3007(ctx: &Ctx, out: &mut Vec<Hit>) {
    let mut aliases: BTreeSet<String> = BTreeSet::new();
    for it in &ctx.items {
        let Some((image, alias)) = from_args(it.instr) else {
            continue;
        };
        let r = image_ref(image);
        if r.tag.as_deref() == Some("latest") && r.digest.is_none() {
            out.push(Hit::new("DL3007", it.line, it.stage));
        }
        let untagged = r.tag.is_none()
            && r.digest.is_none()
            && r.name != "scratch"
            && !image.contains('$')
            && !aliases.contains(&r.name);
        if untagged {
            out.push(Hit::new("DL3006", it.line, it.stage));
        }
        if let Some(a) = alias {
            aliases.insert(a.to_string());
        }
    }
}

/// DL3009: `apt-get update` without removing the lists in the same RUN, reported for the last stage
/// and for stages that later stages are built on (hadolint compares whole FROM lines, so a stage
/// whose FROM equals the last one's is reported too).
fn dl3009(ctx: &Ctx, out: &mut Vec<Hit>) {
    let forgot = |s: &Script| {
        s.any(|c| c.has_args("apt-get", &["update"]))
            && !s.any(|c| c.has_args("rm", &["-rf", "/var/lib/apt/lists/*"]))
    };
    let cache_mount = |i: &Instruction, dir: &str| {
        i.flags_named("mount").any(|m| {
            let f = m.fields();
            f.iter()
                .any(|(k, v)| k == "type" && v.as_deref() == Some("cache"))
                && f.iter().any(|(k, v)| {
                    (k == "target" || k == "dst" || k == "destination")
                        && v.as_deref().is_some_and(|t| t.starts_with(dir))
                })
        })
    };
    let from_key = |i: &Instruction| {
        from_args(i).map(|(img, a)| {
            (
                img.to_string(),
                a.map(str::to_string),
                i.flag("platform").and_then(|f| f.value.clone()),
            )
        })
    };
    let last_from = ctx.df.stages.last().and_then(|s| from_key(&s.from));
    let used_as_image: BTreeSet<String> = ctx
        .df
        .stages
        .iter()
        .filter_map(|s| from_args(&s.from).map(|(img, _)| image_ref(img).name))
        .collect();
    for it in &ctx.items {
        let check = |i: &Instruction, s: &Script| {
            forgot(s)
                && !cache_mount(i, "/var/lib/apt/lists")
                && !(cache_mount(i, "/var/lib/apt") && cache_mount(i, "/var/cache/apt"))
        };
        let own = it.script.as_ref().is_some_and(|s| check(it.instr, s));
        let onb = it
            .onbuild
            .as_ref()
            .is_some_and(|(t, s)| s.as_ref().is_some_and(|s| check(t, s)));
        if !(own || onb) {
            continue;
        }
        let Some(stage) = it.stage.and_then(|s| ctx.df.stages.get(s)) else {
            continue;
        };
        let key = from_key(&stage.from);
        let alias_used = from_args(&stage.from)
            .and_then(|(_, a)| a)
            .is_some_and(|a| used_as_image.contains(a));
        if key == last_from || alias_used {
            out.push(Hit::new("DL3009", it.line, it.stage));
        }
    }
}

/// DL3012 (HEALTHCHECK), DL4003 (CMD), DL4004 (ENTRYPOINT): more than one in a stage.
fn dl3012_dl4003_dl4004(ctx: &Ctx, out: &mut Vec<Hit>) {
    let mut seen: HashMap<(Option<usize>, Kind), usize> = HashMap::new();
    for it in &ctx.items {
        let code = match it.instr.kind {
            Kind::Healthcheck => "DL3012",
            Kind::Cmd => "DL4003",
            Kind::Entrypoint => "DL4004",
            _ => continue,
        };
        let n = seen.entry((it.stage, it.instr.kind)).or_insert(0);
        *n += 1;
        if *n > 1 {
            out.push(Hit::new(code, it.line, it.stage));
        }
    }
}

/// DL3022 (`COPY --from` of an undefined stage), DL3023 (of its own stage), DL3024 (duplicate
/// stage names). Stage names compare as written (case-sensitive, as hadolint).
fn dl3022_dl3023_dl3024(ctx: &Ctx, out: &mut Vec<Hit>) {
    let mut aliases: BTreeSet<String> = BTreeSet::new();
    let mut froms = 0usize;
    let mut current: Option<String> = None;
    for it in &ctx.items {
        if let Some((_, alias)) = from_args(it.instr) {
            froms += 1;
            current = alias.map(str::to_string);
            if let Some(a) = alias
                && !aliases.insert(a.to_string())
            {
                out.push(Hit::new("DL3024", it.line, it.stage));
            }
            continue;
        }
        if it.instr.kind != Kind::Copy {
            continue;
        }
        let Some(src) = it.instr.flag("from").and_then(|f| f.value.as_deref()) else {
            continue;
        };
        // 2.15.1 accepts a stage index below the number of FROMs so far, and an image with a tag
        let index_ok = src.parse::<usize>().is_ok_and(|n| n < froms);
        if !(aliases.contains(src) || index_ok || src.contains(':')) {
            out.push(Hit::new("DL3022", it.line, it.stage));
        }
        if current.as_deref() == Some(src) {
            out.push(Hit::new("DL3023", it.line, it.stage));
        }
    }
}

const TRUTHY: [&str; 10] = [
    "1", "true", "True", "TRUE", "on", "On", "ON", "yes", "Yes", "YES",
];

/// DL3042: `pip install` without `--no-cache-dir`, unless PIP_NO_CACHE_DIR is set (ENV in the stage
/// or a stage it is built on, or an assignment in the RUN).
fn dl3042(ctx: &Ctx, out: &mut Vec<Hit>) {
    let mut set: HashMap<String, bool> = HashMap::new();
    let mut current: Option<String> = None;
    for it in &ctx.items {
        if let Some((key, image_name)) = stage_key(it.instr) {
            let parent = set.get(&image_name).copied().unwrap_or(false);
            set.insert(key.clone(), parent);
            current = Some(key);
            continue;
        }
        if let Command::Env(pairs) = &it.instr.command {
            if pairs.iter().any(|kv| {
                kv.key.value == "PIP_NO_CACHE_DIR" && TRUTHY.contains(&kv.value.value.as_str())
            }) {
                set.insert(current.clone().unwrap_or_default(), true);
            }
            continue;
        }
        if set
            .get(&current.clone().unwrap_or_default())
            .copied()
            .unwrap_or(false)
        {
            continue;
        }
        // a cache mount on pip's cache directory is the modern answer to the same concern
        let pip_cache = it.instr.flags_named("mount").any(|m| {
            m.fields().iter().any(|(k, v)| {
                (k == "target" || k == "dst" || k == "destination")
                    && v.as_deref()
                        .is_some_and(|t| t.trim_end_matches('/').ends_with("/.cache/pip"))
            })
        });
        if pip_cache {
            continue;
        }
        let check = |s: &Script| {
            let in_script = s
                .original
                .split("PIP_NO_CACHE_DIR=")
                .nth(1)
                .is_some_and(|rest| TRUTHY.iter().any(|t| rest.starts_with(t)));
            !in_script
                && s.any(|c| {
                    c.is_pip_install()
                        && !c.has_arg("--no-cache-dir")
                        && !(c.name.contains("pipx")
                            || c.name.contains("pipenv")
                            || (c.name.starts_with("python")
                                && c.all_args()
                                    .windows(2)
                                    .any(|w| w[0] == "-m" && (w[1] == "pipx" || w[1] == "pipenv"))))
                })
        };
        if scripts(it, true).any(check) {
            out.push(Hit::new("DL3042", it.line, it.stage));
        }
    }
}

/// DL3044: an ENV refers to a variable that the same ENV defines (and that was not defined before
/// by an ENV or ARG anywhere earlier in the file).
fn dl3044(ctx: &Ctx, out: &mut Vec<Hit>) {
    let mut defined: BTreeSet<String> = BTreeSet::new();
    for it in &ctx.items {
        match &it.instr.command {
            Command::Env(pairs) => {
                let names: Vec<&str> = pairs.iter().map(|kv| kv.key.value.as_str()).collect();
                // Which pairs' values name each variable: one scan of each value, so an ENV with
                // many pairs stays linear.
                let refs: Vec<HashSet<&str>> = pairs
                    .iter()
                    .map(|kv| referenced_names(&kv.value.value))
                    .collect();
                let mut by: HashMap<&str, usize> = HashMap::new();
                for r in &refs {
                    for n in r {
                        *by.entry(n).or_insert(0) += 1;
                    }
                }
                // Names that are not plain words are checked the slow way, a few per ENV.
                let mut odd_left = 16usize;
                let bad = names.iter().enumerate().any(|(idx, var)| {
                    if defined.contains(*var) {
                        return false;
                    }
                    if is_word(var) {
                        let own = usize::from(refs[idx].contains(var));
                        return by.get(var).copied().unwrap_or(0) > own;
                    }
                    if odd_left == 0 {
                        return false;
                    }
                    odd_left -= 1;
                    pairs
                        .iter()
                        .enumerate()
                        .filter(|(j, _)| *j != idx)
                        .any(|(_, kv)| refers_to(&kv.value.value, var))
                });
                defined.extend(names.iter().map(|s| s.to_string()));
                if bad {
                    out.push(Hit::new("DL3044", it.line, it.stage));
                }
            }
            Command::Arg(defs) => defined.extend(defs.iter().map(|d| d.name.value.clone())),
            _ => {}
        }
    }
}

fn is_word(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// The variables a text refers to as [`refers_to`] sees them, for names of word characters:
/// `${NAME}`, and `$NAME` not followed by a word character. Linear in the text.
fn referenced_names(text: &str) -> HashSet<&str> {
    let b = text.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut out = HashSet::new();
    for (i, _) in text.match_indices('$') {
        let brace = b.get(i + 1) == Some(&b'{');
        let start = if brace { i + 2 } else { i + 1 };
        let mut j = start;
        while j < b.len() && word(b[j]) {
            j += 1;
        }
        if j > start && (!brace || b.get(j) == Some(&b'}')) {
            out.insert(&text[start..j]);
        }
    }
    out
}

fn refers_to(text: &str, var: &str) -> bool {
    if text.contains(&format!("${{{var}}}")) {
        return true;
    }
    let bare = format!("${var}");
    text.match_indices(bare.as_str()).any(|(i, _)| {
        !text[i + bare.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// DL3045: COPY to a relative destination in a stage without WORKDIR (a stage built on another
/// inherits its WORKDIR state, keyed by alias or image name as hadolint does).
fn dl3045(ctx: &Ctx, out: &mut Vec<Hit>) {
    let mut set: HashMap<String, bool> = HashMap::new();
    let mut current: Option<String> = None;
    for it in &ctx.items {
        if let Some((key, image_name)) = stage_key(it.instr) {
            let parent = set.get(&image_name).copied().unwrap_or(false);
            set.insert(key.clone(), parent);
            current = Some(key);
            continue;
        }
        match &it.instr.command {
            Command::Workdir(_) => {
                set.insert(current.clone().unwrap_or_default(), true);
            }
            Command::Copy(c) => {
                if set
                    .get(&current.clone().unwrap_or_default())
                    .copied()
                    .unwrap_or(false)
                {
                    continue;
                }
                let d = drop_quotes(&c.dest.raw);
                let tail = d.get(1..).unwrap_or("");
                let absolute = d.starts_with('/')
                    || tail.starts_with(":\\")
                    || tail.starts_with(":/")
                    || d.starts_with('$');
                if !absolute {
                    out.push(Hit::new("DL3045", it.line, it.stage));
                }
            }
            _ => {}
        }
    }
}

/// DL3057 (off by default): a stage without HEALTHCHECK whose base is not a stage with one;
/// reported on the FROM line.
fn dl3057(ctx: &Ctx, out: &mut Vec<Hit>) {
    let mut good: BTreeSet<String> = BTreeSet::new();
    for s in &ctx.df.stages {
        let Some((key, image_name)) = stage_key(&s.from) else {
            continue;
        };
        let has = s.instructions.iter().any(|i| i.kind == Kind::Healthcheck);
        if has || good.contains(&image_name) {
            good.insert(key);
        } else {
            out.push(Hit::new("DL3057", s.from.start_line, Some(s.index)));
        }
    }
}

/// DL3059: consecutive RUNs with the same flags, each a single command (hadolint 2.15.1 leaves RUNs
/// that chain several commands alone). Any other instruction resets; the chain keeps comparing with
/// its first RUN (as hadolint does).
fn dl3059(ctx: &Ctx, out: &mut Vec<Hit>) {
    let mut state: Option<(Vec<String>, usize)> = None;
    for it in &ctx.items {
        let Some(script) = &it.script else {
            state = None;
            continue;
        };
        let mut flags: Vec<String> = it.instr.flags.iter().map(|f| f.raw.clone()).collect();
        flags.sort();
        let count = script.cmds.len();
        match &state {
            Some((f, n)) if *f == flags && count <= 1 && *n <= 1 => {
                out.push(Hit::new("DL3059", it.line, it.stage));
            }
            _ => state = Some((flags, count)),
        }
    }
}

/// DL4001: both curl and wget used in a stage; reported on each RUN using one of them once both
/// have been seen.
fn dl4001(ctx: &Ctx, out: &mut Vec<Hit>) {
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    for it in &ctx.items {
        if it.instr.kind == Kind::From {
            seen.clear();
            continue;
        }
        let mut now: BTreeSet<&str> = BTreeSet::new();
        for s in scripts(it, true) {
            for c in &s.cmds {
                if c.name == "curl" {
                    now.insert("curl");
                } else if c.name == "wget" {
                    now.insert("wget");
                }
            }
        }
        if now.is_empty() {
            continue;
        }
        seen.extend(now);
        if seen.len() >= 2 {
            out.push(Hit::new("DL4001", it.line, it.stage));
        }
    }
}

/// DL4006: a RUN with a pipe while the SHELL does not set `-o pipefail` (bash, zsh or ash); non-POSIX
/// shells (cmd, powershell, pwsh) switch the rule off until the next FROM.
fn dl4006(ctx: &Ctx, out: &mut Vec<Hit>) {
    let mut ok = false;
    for it in &ctx.items {
        match &it.instr.command {
            Command::From(_) => ok = false,
            Command::Shell(words) => {
                let joined: Vec<&str> = words.iter().map(|w| w.value.as_str()).collect();
                let text = joined.join(" ");
                if ["pwsh", "powershell", "cmd"]
                    .iter()
                    .any(|p| text.starts_with(p))
                {
                    ok = true;
                } else {
                    let s = Script::parse(&text);
                    ok = s.cmds.iter().any(|c| {
                        let base = c.name.rsplit('/').next().unwrap_or(&c.name);
                        ["bash", "zsh", "ash"].contains(&base)
                            && c.has_flag("o")
                            && c.has_arg("pipefail")
                    });
                }
            }
            Command::Run(_) if !ok && it.script.as_ref().is_some_and(|s| s.pipes) => {
                out.push(Hit::new("DL4006", it.line, it.stage));
            }
            _ => {}
        }
    }
}
