//! Dockerfile linting: hadolint's `DL` rules (same IDs, same semantics where the rule is the same,
//! messages close to hadolint's) and Bulkhead's own `BH-DF-*` rules, on the BuildKit-dialect parser
//! of `bulkhead-dockerfile`.
//!
//! * A file that does not parse gives one input-error finding (`BH-PARSE`, HIGH, with hadolint's
//!   `DL1000` as its alias: the parser's message and line).
//! * Every finding names its stage (`object: "stage builder"` / `"stage 1"`; `"global"` for ARGs
//!   before the first FROM) and the first line of the instruction, as hadolint reports it.
//! * Pragmas, compatible with hadolint: `# hadolint ignore=DL3008,DL3009` on the line right before
//!   an instruction, `# hadolint global ignore=…` anywhere, `# hadolint stage ignore=…` (from the
//!   next line to the end of that build stage); the same with `# bulkhead …`. An ignored ID matches a
//!   finding's rule ID or one of its aliases. `Settings::disable_ignore_pragma` turns them off.
//! * Rules that hadolint leaves off by default (`DL3057`) run only when `Settings::overrides` gives
//!   them a severity.
//! * Where a Bulkhead rule reports the same thing as a hadolint rule on the same line (BH-DF-001 and
//!   DL3002 for the final stage's root USER, BH-DF-002 and DL3064, BH-DF-004 and DL3057), only the
//!   hadolint finding is kept: rules that match hadolint's report hadolint's ID (the command's
//!   contract); the Bulkhead rule still reports what hadolint does not (no USER at all, a root user
//!   reached through an ARG, …).
//! * `Settings::apply` runs last (ignored IDs, severity overrides).

mod own;
mod rules;
pub mod sh;
#[cfg(test)]
mod tests;

use crate::settings::Settings;
use bulkhead_core::{Finding, FindingKind, Fix, Severity};
use bulkhead_dockerfile::{
    Command, CommandLine, Dockerfile, Env, EnvTracker, ExpandBreach, ExpandBudget, ExpandLimits,
    Instruction,
};
use sh::Script;
use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

/// Default hadolint level of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Error,
    Warning,
    Info,
    Style,
    /// Off unless the settings override its severity.
    Ignore,
}

impl Level {
    pub fn severity(self) -> Severity {
        match self {
            Level::Error => Severity::High,
            Level::Warning => Severity::Medium,
            Level::Info | Level::Style | Level::Ignore => Severity::Low,
        }
    }
}

/// One rule's description.
#[derive(Debug, Clone, Copy)]
pub struct RuleMeta {
    pub id: &'static str,
    pub level: Level,
    /// Bulkhead severity when it differs from the level's (own rules).
    pub severity: Option<Severity>,
    pub title: &'static str,
    /// Default message (hadolint's wording for DL rules).
    pub message: &'static str,
    pub remediation: &'static str,
    pub aliases: &'static [&'static str],
}

impl RuleMeta {
    pub fn default_severity(&self) -> Severity {
        self.severity.unwrap_or(self.level.severity())
    }
}

macro_rules! dl {
    ($id:literal, $lvl:ident, $title:literal, $msg:literal, $fix:literal, [$($a:literal),*]) => {
        RuleMeta { id: $id, level: Level::$lvl, severity: None, title: $title, message: $msg, remediation: $fix, aliases: &[$($a),*] }
    };
}

/// Every rule this module implements.
pub static RULES: &[RuleMeta] = &[
    dl!(
        "DL3000",
        Error,
        "Use absolute WORKDIR",
        "Use absolute WORKDIR",
        "Give WORKDIR an absolute path (or a variable holding one).",
        ["DS-0009", "CKV_DOCKER_10"]
    ),
    dl!(
        "DL3001",
        Info,
        "Pointless command in a container",
        "For some bash commands it makes no sense running them in a Docker container like `ssh`, `vim`, `shutdown`, `service`, `ps`, `free`, `top`, `kill`, `mount`, `ifconfig`",
        "Remove interactive or system-management commands from RUN.",
        []
    ),
    dl!(
        "DL3002",
        Warning,
        "Last USER should not be root",
        "Last USER should not be root",
        "Switch to a non-root USER at the end of the stage.",
        ["DS-0002", "CKV_DOCKER_8"]
    ),
    dl!(
        "DL3003",
        Warning,
        "Use WORKDIR to switch to a directory",
        "Use WORKDIR to switch to a directory",
        "Use WORKDIR instead of `cd` in RUN (or absolute paths).",
        ["DS-0013"]
    ),
    dl!(
        "DL3004",
        Error,
        "Do not use sudo",
        "Do not use sudo as it leads to unpredictable behavior. Use a tool like gosu to enforce root",
        "RUN already runs as the current USER; use USER root or gosu instead of sudo.",
        ["DS-0010", "CKV2_DOCKER_1"]
    ),
    dl!(
        "DL3006",
        Warning,
        "Always tag the version of an image explicitly",
        "Always tag the version of an image explicitly",
        "Pin the base image with a version tag (better: a digest).",
        ["DS-0001", "CKV_DOCKER_7"]
    ),
    dl!(
        "DL3007",
        Warning,
        "Using latest is prone to errors",
        "Using latest is prone to errors if the image will ever update. Pin the version explicitly to a release tag",
        "Replace :latest with a release tag (better: a digest).",
        ["DS-0001", "CKV_DOCKER_7"]
    ),
    dl!(
        "DL3008",
        Warning,
        "Pin versions in apt-get install",
        "Pin versions in apt get install. Instead of `apt-get install <package>` use `apt-get install <package>=<version>`",
        "Install `<package>=<version>`.",
        []
    ),
    dl!(
        "DL3009",
        Info,
        "Delete the apt lists after installing",
        "Delete the apt lists (/var/lib/apt/lists) after installing something",
        "End the RUN with `rm -rf /var/lib/apt/lists/*` (or use a cache mount).",
        []
    ),
    dl!(
        "DL3011",
        Error,
        "Valid UNIX ports range from 0 to 65535",
        "Valid UNIX ports range from 0 to 65535",
        "EXPOSE ports between 0 and 65535.",
        ["DS-0008"]
    ),
    dl!(
        "DL3012",
        Error,
        "Multiple HEALTHCHECK instructions",
        "Multiple `HEALTHCHECK` instructions",
        "Keep one HEALTHCHECK per stage; only the last takes effect.",
        ["DS-0023"]
    ),
    dl!(
        "DL3013",
        Warning,
        "Pin versions in pip",
        "Pin versions in pip. Instead of `pip install <package>` use `pip install <package>==<version>` or `pip install --requirement <requirements file>`",
        "Install `<package>==<version>` or use a requirements/constraints file.",
        []
    ),
    dl!(
        "DL3014",
        Warning,
        "Use the -y switch with apt-get install",
        "Use the `-y` switch to avoid manual input `apt-get -y install <package>`",
        "Add -y to apt-get install.",
        ["DS-0021"]
    ),
    dl!(
        "DL3015",
        Info,
        "Avoid additional packages (--no-install-recommends)",
        "Avoid additional packages by specifying `--no-install-recommends`",
        "Add --no-install-recommends to apt-get install.",
        ["DS-0029"]
    ),
    dl!(
        "DL3016",
        Warning,
        "Pin versions in npm",
        "Pin versions in npm. Instead of `npm install <package>` use `npm install <package>@<version>`",
        "Install `<package>@<version>`.",
        []
    ),
    dl!(
        "DL3018",
        Warning,
        "Pin versions in apk add",
        "Pin versions in apk add. Instead of `apk add <package>` use `apk add <package>=<version>`",
        "Install `<package>=<version>`.",
        []
    ),
    dl!(
        "DL3019",
        Info,
        "Use apk add --no-cache",
        "Use the `--no-cache` switch to avoid the need to use `--update` and remove `/var/cache/apk/*` when done installing packages",
        "Use `apk add --no-cache`.",
        ["DS-0025"]
    ),
    dl!(
        "DL3020",
        Error,
        "Use COPY instead of ADD for files and folders",
        "Use COPY instead of ADD for files and folders",
        "Use COPY for local files; ADD only for archives to extract.",
        ["DS-0005", "CKV_DOCKER_4"]
    ),
    dl!(
        "DL3021",
        Error,
        "COPY with more than 2 arguments needs a directory destination",
        "COPY with more than 2 arguments requires the last argument to end with /",
        "End the destination with /.",
        ["DS-0011"]
    ),
    dl!(
        "DL3022",
        Warning,
        "COPY --from should reference a previously defined FROM alias",
        "`COPY --from` should reference a previously defined `FROM` alias",
        "Define the stage (FROM … AS name) before copying from it, or copy from a tagged image.",
        []
    ),
    dl!(
        "DL3023",
        Error,
        "COPY --from cannot reference its own FROM alias",
        "`COPY --from` cannot reference its own `FROM` alias",
        "Copy from another stage.",
        ["DS-0006"]
    ),
    dl!(
        "DL3024",
        Error,
        "FROM aliases must be unique",
        "FROM aliases (stage names) must be unique",
        "Give every stage its own name.",
        ["DS-0012", "CKV_DOCKER_11"]
    ),
    dl!(
        "DL3025",
        Warning,
        "Use JSON notation for CMD and ENTRYPOINT",
        "Use arguments JSON notation for CMD and ENTRYPOINT arguments",
        "Write CMD/ENTRYPOINT as a JSON array so signals reach the process.",
        []
    ),
    dl!(
        "DL3027",
        Warning,
        "Do not use apt",
        "Do not use apt as it is meant to be an end-user tool, use apt-get or apt-cache instead",
        "Use apt-get or apt-cache.",
        ["CKV_DOCKER_9"]
    ),
    dl!(
        "DL3028",
        Warning,
        "Pin versions in gem install",
        "Pin versions in gem install. Instead of `gem install <gem>` use `gem install <gem>:<version>`",
        "Install `<gem>:<version>` or pass -v.",
        []
    ),
    dl!(
        "DL3029",
        Warning,
        "Do not use --platform flag with FROM",
        "Do not use --platform flag with FROM",
        "Select the platform at build time (docker build --platform).",
        []
    ),
    dl!(
        "DL3030",
        Warning,
        "Use the -y switch with yum install",
        "Use the -y switch to avoid manual input `yum install -y <package`",
        "Add -y to yum install.",
        []
    ),
    dl!(
        "DL3032",
        Warning,
        "yum clean all missing",
        "`yum clean all` missing after yum command.",
        "End the RUN with `yum clean all`.",
        ["DS-0015"]
    ),
    dl!(
        "DL3033",
        Warning,
        "Specify version with yum install",
        "Specify version with `yum install -y <package>-<version>`.",
        "Install `<package>-<version>`.",
        []
    ),
    dl!(
        "DL3034",
        Warning,
        "Non-interactive switch missing from zypper",
        "Non-interactive switch missing from `zypper` command: `zypper install -y`",
        "Add -y (--no-confirm).",
        []
    ),
    dl!(
        "DL3035",
        Warning,
        "Do not use zypper dist-upgrade",
        "Do not use `zypper dist-upgrade`.",
        "Use a newer base image instead of dist-upgrade.",
        []
    ),
    dl!(
        "DL3036",
        Warning,
        "zypper clean missing",
        "`zypper clean` missing after zypper use.",
        "End the RUN with `zypper clean`.",
        ["DS-0020"]
    ),
    dl!(
        "DL3037",
        Warning,
        "Specify version with zypper install",
        "Specify version with `zypper install -y <package>=<version>`.",
        "Install `<package>=<version>`.",
        []
    ),
    dl!(
        "DL3038",
        Warning,
        "Use the -y switch with dnf install",
        "Use the -y switch to avoid manual input `dnf install -y <package>`",
        "Add -y to dnf install.",
        []
    ),
    dl!(
        "DL3040",
        Warning,
        "dnf clean all missing",
        "`dnf clean all` missing after dnf command.",
        "End the RUN with `dnf clean all`.",
        ["DS-0019"]
    ),
    dl!(
        "DL3041",
        Warning,
        "Specify version with dnf install",
        "Specify version with `dnf install -y <package>-<version>`.",
        "Install `<package>-<version>`.",
        []
    ),
    dl!(
        "DL3042",
        Warning,
        "Avoid the pip cache directory",
        "Avoid use of cache directory with pip. Use `pip install --no-cache-dir <package>`",
        "Use `pip install --no-cache-dir` or set PIP_NO_CACHE_DIR=1.",
        []
    ),
    dl!(
        "DL3044",
        Error,
        "Do not refer to an ENV variable in the ENV that defines it",
        "Do not refer to an environment variable within the same `ENV` statement where it is defined.",
        "Split the ENV into two instructions.",
        []
    ),
    dl!(
        "DL3045",
        Warning,
        "COPY to a relative destination without WORKDIR",
        "`COPY` to a relative destination without `WORKDIR` set.",
        "Set WORKDIR first or copy to an absolute path.",
        []
    ),
    dl!(
        "DL3046",
        Warning,
        "useradd without -l and with a high UID",
        "`useradd` without flag `-l` and high UID will result in excessively large Image.",
        "Add -l (--no-log-init) to useradd.",
        []
    ),
    dl!(
        "DL3047",
        Info,
        "wget without progress bar",
        "Avoid use of wget without progress bar. Use `wget --progress=dot:giga <url>`. Or consider using `-q` or `-nv` (shorthands for `--quiet` or `--no-verbose`).",
        "Use wget --progress=dot:giga, -q or -nv.",
        []
    ),
    dl!(
        "DL3048",
        Style,
        "Invalid label key",
        "Invalid label key.",
        "Use lower-case reverse-DNS label keys ([a-z0-9.-]).",
        []
    ),
    dl!(
        "DL3050",
        Info,
        "Superfluous label(s) present",
        "Superfluous label(s) present.",
        "Remove labels that are not in the label schema.",
        []
    ),
    dl!(
        "DL3051",
        Warning,
        "Label is empty",
        "label is empty.",
        "Give the label a value.",
        []
    ),
    dl!(
        "DL3057",
        Ignore,
        "HEALTHCHECK instruction missing",
        "`HEALTHCHECK` instruction missing.",
        "Add a HEALTHCHECK.",
        ["DS-0026", "CKV_DOCKER_2"]
    ),
    dl!(
        "DL3059",
        Info,
        "Multiple consecutive RUN instructions",
        "Multiple consecutive `RUN` instructions. Consider consolidation.",
        "Join the RUN instructions with &&.",
        []
    ),
    dl!(
        "DL3060",
        Info,
        "yarn cache clean missing",
        "`yarn cache clean` missing after `yarn install` was run.",
        "End the RUN with `yarn cache clean`.",
        []
    ),
    dl!(
        "DL3062",
        Warning,
        "Pin versions in go install",
        "Pin versions in go install. Instead of `go install <package>` use `go install <package>@<version>`",
        "Install `<package>@<version>`.",
        []
    ),
    dl!(
        "DL3063",
        Warning,
        "Stage name should not be a reserved word",
        "stage name should not be a reserved word",
        "Rename the stage (scratch and context are reserved).",
        []
    ),
    dl!(
        "DL3064",
        Warning,
        "Potentially sensitive data in ARG or ENV",
        "Potentially sensitive data should not be used in the `ARG` or `ENV` commands",
        "Pass secrets with RUN --mount=type=secret instead of ARG/ENV.",
        ["DS-0031"]
    ),
    dl!(
        "DL3065",
        Warning,
        "FROM --platform=$TARGETPLATFORM is redundant",
        "Setting `FROM --platform` to predefined `$TARGETPLATFORM` in is redundant as this is the default behavior",
        "Remove the --platform flag.",
        []
    ),
    dl!(
        "DL3066",
        Info,
        "Non-numeric user-id",
        "Non-numeric user-id may not be resolvable by host system",
        "Use a numeric UID in USER (e.g. USER 10001).",
        []
    ),
    dl!(
        "DL3067",
        Warning,
        "Do not copy an entire filesystem from another stage",
        "Do not copy an entire filesystem from another stage",
        "Copy only the files you need.",
        []
    ),
    dl!(
        "DL4000",
        Error,
        "MAINTAINER is deprecated",
        "MAINTAINER is deprecated",
        "Use LABEL maintainer=… instead.",
        ["DS-0022", "CKV_DOCKER_6"]
    ),
    dl!(
        "DL4001",
        Warning,
        "Either use wget or curl, not both",
        "Either use Wget or Curl but not both",
        "Use one download tool.",
        ["DS-0014"]
    ),
    dl!(
        "DL4003",
        Warning,
        "Multiple CMD instructions",
        "Multiple `CMD` instructions found. If you list more than one `CMD` then only the last `CMD` will take effect",
        "Keep one CMD per stage.",
        ["DS-0016"]
    ),
    dl!(
        "DL4004",
        Error,
        "Multiple ENTRYPOINT instructions",
        "Multiple `ENTRYPOINT` instructions found. If you list more than one `ENTRYPOINT` then only the last `ENTRYPOINT` will take effect",
        "Keep one ENTRYPOINT per stage.",
        ["DS-0007"]
    ),
    dl!(
        "DL4005",
        Warning,
        "Use SHELL to change the default shell",
        "Use SHELL to change the default shell",
        "Use the SHELL instruction instead of relinking /bin/sh.",
        []
    ),
    dl!(
        "DL4006",
        Warning,
        "Set -o pipefail before RUN with a pipe",
        "Set the SHELL option -o pipefail before RUN with a pipe in it. If you are using /bin/sh in an alpine image or if your shell is symlinked to busybox then consider explicitly setting your SHELL to /bin/ash, or disable this check",
        "Add SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"] before the RUN.",
        []
    ),
    RuleMeta {
        id: "BH-DF-001",
        level: Level::Error,
        severity: Some(Severity::High),
        title: "Container runs as root",
        message: "",
        remediation: "Create an unprivileged user and end the final stage with `USER <uid>` (numeric, non-zero).",
        aliases: &["DL3002", "DS-0002", "CKV_DOCKER_3", "CKV_DOCKER_8"],
    },
    RuleMeta {
        id: "BH-DF-002",
        level: Level::Error,
        severity: Some(Severity::High),
        title: "Secret in ARG or ENV",
        message: "",
        remediation: "Do not bake secrets into the image: use RUN --mount=type=secret (build) or runtime secrets (deploy).",
        aliases: &["DL3064", "DS-0031"],
    },
    RuleMeta {
        id: "BH-DF-003",
        level: Level::Warning,
        severity: Some(Severity::Medium),
        title: "ADD of a remote URL",
        message: "",
        remediation: "Download with RUN curl/wget and verify a checksum, or use ADD --checksum=sha256:….",
        aliases: &["CKV_DOCKER_4"],
    },
    RuleMeta {
        id: "BH-DF-004",
        level: Level::Info,
        severity: Some(Severity::Low),
        title: "No HEALTHCHECK in the final stage",
        message: "",
        remediation: "Add a HEALTHCHECK to the final stage (or HEALTHCHECK NONE to state that none is wanted).",
        aliases: &["DL3057", "DS-0026", "CKV_DOCKER_2"],
    },
    RuleMeta {
        id: "BH-DF-005",
        level: Level::Error,
        severity: Some(Severity::High),
        title: "Base image from an untrusted registry",
        message: "",
        remediation: "Pull base images only from the registries listed in trustedRegistries.",
        aliases: &["DL3026"],
    },
];

/// A rule's metadata by ID.
pub fn rule_meta(id: &str) -> Option<&'static RuleMeta> {
    RULES.iter().find(|r| r.id == id)
}

/// A rule hit before it becomes a [`Finding`].
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub code: &'static str,
    pub line: usize,
    /// Stage index (`None`: global ARGs).
    pub stage: Option<usize>,
    /// Message replacing the rule's default.
    pub message: Option<String>,
    /// Aliases replacing the rule's (when only some apply).
    pub aliases: Option<Vec<&'static str>>,
}

impl Hit {
    pub fn new(code: &'static str, line: usize, stage: Option<usize>) -> Hit {
        Hit {
            code,
            line,
            stage,
            message: None,
            aliases: None,
        }
    }

    pub fn msg(mut self, m: impl Into<String>) -> Hit {
        self.message = Some(m.into());
        self
    }

    pub fn aliases(mut self, a: Vec<&'static str>) -> Hit {
        self.aliases = Some(a);
        self
    }
}

/// One instruction in file order, as hadolint's rules see the stream.
pub(crate) struct Item<'a> {
    pub instr: &'a Instruction,
    pub stage: Option<usize>,
    pub line: usize,
    /// The RUN script (shell form; exec form joined with spaces), parsed into commands.
    pub script: Option<Script>,
    /// For `ONBUILD X`: the trigger and, for `ONBUILD RUN`, its script.
    pub onbuild: Option<(&'a Instruction, Option<Script>)>,
    /// For USER: the user, expanded with the variables in effect there (references to unknown
    /// variables left as written).
    pub user: Option<String>,
}

pub(crate) struct Ctx<'a> {
    pub df: &'a Dockerfile,
    pub items: Vec<Item<'a>>,
    pub settings: &'a Settings,
    /// Where variable substitution went over its budget (the parser's FROM-line pass first).
    pub expansion: Option<ExpandBreach>,
    /// The first RUN whose script was not analysed whole (over the file's script budget).
    pub scripts_cut: Option<usize>,
}

/// The RUN script with the variables known at that point (ENV values, ARG defaults) substituted,
/// as hadolint 2.15 does before it checks (`ENV V=1.2` makes `dnf install foo-$V` pinned).
///
/// Splitting a script into commands takes about 25 times its size in memory, so the file's
/// scripts share `left` bytes ([`crate::Limits::max_script_bytes`]): a script past what is left is
/// analysed up to the last line that fits, and `cut` records the first line of a RUN that was not
/// analysed whole.
fn run_script(
    i: &Instruction,
    env: &Env,
    budget: &ExpandBudget,
    left: &Cell<usize>,
    cut: &Cell<Option<usize>>,
) -> Option<Script> {
    let mut text = match &i.command {
        Command::Run(CommandLine::Shell(_)) => i.shell_script()?,
        Command::Run(CommandLine::Exec(words)) => {
            let joined: Vec<&str> = words.iter().map(|w| w.value.as_str()).collect();
            joined.join(" ")
        }
        _ => return None,
    };
    if text.len() > left.get() {
        let mut end = left.get();
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        end = text[..end].rfind('\n').unwrap_or(0);
        text.truncate(end);
        if cut.get().is_none() {
            cut.set(Some(i.start_line));
        }
    }
    let script = Script::parse(&substitute(&text, env, budget));
    left.set(left.get() - text.len());
    Some(script)
}

/// Replace `$NAME` and `${NAME}` of variables with a known value (outside single quotes). What the
/// values add is charged to `budget`; past the per-word limit or once the file's budget is spent,
/// the rest of the text is kept as written (and the breach recorded).
pub(crate) fn substitute(text: &str, env: &Env, budget: &ExpandBudget) -> String {
    if !text.contains('$') || env.is_empty() {
        return text.to_string();
    }
    let name_len = |s: &str| {
        s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(s.len())
    };
    let max_word = budget.limits().max_word_bytes;
    let mut added = 0usize;
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut in_single = false;
    let mut in_double = false;
    while let Some(c) = rest.chars().next() {
        let w = c.len_utf8();
        match c {
            '\\' if !in_single => {
                let n = rest[w..].chars().next().map_or(0, char::len_utf8);
                out.push_str(&rest[..w + n]);
                rest = &rest[w + n..];
                continue;
            }
            '\'' if !in_double => in_single = !in_single,
            '"' if !in_single => in_double = !in_double,
            '$' if !in_single => {
                let after = &rest[1..];
                // `${NAME}` (a name, then `}` at once) or `$NAME`.
                let (name, consumed) = if let Some(b) = after.strip_prefix('{') {
                    let n = name_len(b);
                    if b[n..].starts_with('}') {
                        (&b[..n], n + 3)
                    } else {
                        ("", 0)
                    }
                } else {
                    let n = name_len(after);
                    (&after[..n], n + 1)
                };
                if !name.is_empty()
                    && let Some(v) = env.get(name)
                {
                    added = added.saturating_add(v.len());
                    let over = if added > max_word {
                        Err(format!(
                            "a RUN script's variables expand to more than {max_word} bytes"
                        ))
                    } else {
                        budget.charge(v.len())
                    };
                    if let Err(e) = over {
                        budget.record(e);
                        out.push_str(rest);
                        return out;
                    }
                    out.push_str(v);
                    rest = &rest[consumed..];
                    continue;
                }
            }
            _ => {}
        }
        out.push(c);
        rest = &rest[w..];
    }
    out
}

impl<'a> Ctx<'a> {
    fn new(
        df: &'a Dockerfile,
        settings: &'a Settings,
        limits: ExpandLimits,
        max_script_bytes: usize,
    ) -> Ctx<'a> {
        let budget = Rc::new(ExpandBudget::new(limits));
        let left = Cell::new(max_script_bytes);
        let cut = Cell::new(None);
        let mut items = Vec::new();
        let mut push = |instr: &'a Instruction, stage: Option<usize>, t: Option<&EnvTracker>| {
            let empty = Env::new();
            let env = t.map_or(&empty, |t| t.env());
            if let Some(t) = t {
                t.budget().set_line(instr.start_line);
            }
            let onbuild = match &instr.command {
                Command::Onbuild(o) => o
                    .trigger
                    .as_deref()
                    .map(|tr| (tr, run_script(tr, env, &budget, &left, &cut))),
                _ => None,
            };
            let user = match (&instr.command, t) {
                (Command::User(u), Some(t)) => Some(t.expand(&u.word.raw)),
                _ => None,
            };
            items.push(Item {
                instr,
                stage,
                line: instr.start_line,
                script: run_script(instr, env, &budget, &left, &cut),
                onbuild,
                user,
            });
        };
        for a in &df.global_args {
            push(a, None, None);
        }
        // Every stage in one pass, each starting from its parent stage's final environment.
        let all: Vec<Vec<&'a Instruction>> = df
            .stages
            .iter()
            .map(|s| s.all_instructions().collect())
            .collect();
        let mut k = 0;
        let mut current = usize::MAX;
        df.walk_env(budget.clone(), |stage, _, t| {
            if stage != current {
                current = stage;
                k = 0;
            }
            // `walk_env` visits FROM and the body in order; pair each call with the instruction
            // of the same position (borrowed for `'a`).
            if let Some(i) = all.get(stage).and_then(|l| l.get(k)) {
                push(i, Some(stage), Some(t));
            }
            k += 1;
        });
        let expansion = df.expansion.clone().or_else(|| budget.breach());
        Ctx {
            df,
            items,
            settings,
            expansion,
            scripts_cut: cut.get(),
        }
    }

    /// `stage NAME` (a name cut at 128 characters: every finding of the stage carries it),
    /// `stage N`, or `global`.
    pub fn stage_label(&self, stage: Option<usize>) -> String {
        match stage.and_then(|i| self.df.stages.get(i)) {
            Some(s) => match &s.name {
                Some(n) => format!("stage {}", crate::k8s::clip(n, 128)),
                None => format!("stage {}", s.index),
            },
            None => "global".to_string(),
        }
    }
}

/// Lint one Dockerfile. `file` is the name findings carry; `text` its content. A Dockerfile that
/// does not parse gives one input-error finding ([`parse_error_finding`]).
pub fn lint_dockerfile(file: &str, text: &str, settings: &Settings) -> Vec<Finding> {
    let mut out = lint_unfiltered(file, text, settings);
    settings.apply(&mut out);
    out
}

/// [`lint_dockerfile`] before `Settings::apply` (ignored ids, severity overrides), which the
/// pipeline applies itself to record what was suppressed. Pragmas are applied.
pub(crate) fn lint_unfiltered(file: &str, text: &str, settings: &Settings) -> Vec<Finding> {
    lint_unfiltered_with(file, text, settings, &crate::Limits::DEFAULT)
}

/// [`lint_unfiltered`] under `limits` (the file's size, variable substitution).
pub(crate) fn lint_unfiltered_with(
    file: &str,
    text: &str,
    settings: &Settings,
    limits: &crate::Limits,
) -> Vec<Finding> {
    match bulkhead_dockerfile::parse_with(text, &limits.dockerfile()) {
        Ok(df) => lint_parsed_with(file, &df, settings, limits),
        Err(e) => vec![parse_error_finding(file, &e)],
    }
}

/// The finding of a Dockerfile whose variable substitution went over its budget: an input error
/// (the file was checked, but with the values past the limit left unexpanded), so it trips the
/// gate.
pub fn expansion_finding(file: &str, b: &ExpandBreach, limits: ExpandLimits) -> Finding {
    let rest = if b.exhausted {
        format!(
            "the file's budget of {} bytes is spent, so nothing after it was substituted",
            limits.max_file_bytes
        )
    } else {
        "the values over the limit were left unexpanded".to_string()
    };
    let mut f = Finding::input_error(
        file,
        Some(u32::try_from(b.line.max(1)).unwrap_or(u32::MAX)),
        format!(
            "variable substitution stopped: {}; {rest}, and the file was checked with them as written",
            b.message
        ),
    );
    f.fix = Some(Fix {
        version: None,
        remediation: Some(format!(
            "A value that doubles on every line (ENV A=$A$A) or a ${{A//x/$A}} replacement grows beyond what any build can hold; BuildKit would run out of memory too. Fix the ENV/ARG lines. If the file is legitimate, raise the limits (bulkhead_config::Limits::expand: {} bytes per word, {} per file).",
            limits.max_word_bytes, limits.max_file_bytes
        )),
    });
    f
}

/// The finding of a Dockerfile that does not parse: `BH-PARSE` (HIGH) with hadolint's `DL1000` as
/// alias, the parser's message and line.
pub fn parse_error_finding(file: &str, e: &bulkhead_dockerfile::ParseError) -> Finding {
    let mut f = Finding::input_error(
        file,
        Some(u32::try_from(e.line).unwrap_or(u32::MAX)),
        format!("Dockerfile does not parse: {}", e.message),
    );
    f.aliases = vec!["DL1000".to_string()];
    f
}

/// Lint an already parsed Dockerfile.
pub fn lint_parsed(file: &str, df: &Dockerfile, settings: &Settings) -> Vec<Finding> {
    let mut out = lint_parsed_with(file, df, settings, &crate::Limits::DEFAULT);
    settings.apply(&mut out);
    out
}

/// Lint (pragmas applied, settings not) with variable substitution under `limits`; a breach of
/// the budget is a finding of its own ([`expansion_finding`]). At most `max_findings` findings
/// are made, the first by line; past them one finding says from where nothing was reported.
fn lint_parsed_with(
    file: &str,
    df: &Dockerfile,
    settings: &Settings,
    all: &crate::Limits,
) -> Vec<Finding> {
    let (limits, max_findings) = (all.expand, all.max_findings);
    let ctx = Ctx::new(df, settings, limits, all.max_script_bytes);
    let mut hits = Vec::new();
    rules::run_all(&ctx, &mut hits);
    own::run_all(&ctx, &mut hits);

    // A Bulkhead finding that names a hadolint rule as alias gives way to that rule's finding on
    // the same line: the hadolint ID is the one reported.
    // (Rules that are off unless configured, like DL3057, do not count.)
    let reported: BTreeSet<(usize, &str)> = hits
        .iter()
        .filter(|h| h.code.starts_with("DL"))
        .filter(|h| {
            rule_meta(h.code)
                .is_none_or(|m| m.level != Level::Ignore || settings.overrides.contains_key(m.id))
        })
        .map(|h| (h.line, h.code))
        .collect();
    hits.retain(|h| {
        if !h.code.starts_with("BH-") {
            return true;
        }
        let aliases: Vec<&str> = match &h.aliases {
            Some(a) => a.clone(),
            None => rule_meta(h.code)
                .map(|m| m.aliases.to_vec())
                .unwrap_or_default(),
        };
        !aliases
            .iter()
            .any(|a| a.starts_with("DL") && reported.contains(&(h.line, *a)))
    });

    let pragmas = if settings.disable_ignore_pragma {
        Pragmas::default()
    } else {
        Pragmas::collect(df)
    };

    // The first findings by line are kept when there are too many (hits are cheap, findings not).
    hits.sort_by_key(|h| h.line);
    let mut out = Vec::new();
    let mut cut: Option<usize> = None;
    for h in hits {
        if out.len() >= max_findings {
            cut = Some(h.line);
            break;
        }
        let Some(meta) = rule_meta(h.code) else {
            continue;
        };
        if meta.level == Level::Ignore && !settings.overrides.contains_key(meta.id) {
            continue;
        }
        let aliases: Vec<String> = h
            .aliases
            .unwrap_or_else(|| meta.aliases.to_vec())
            .into_iter()
            .map(String::from)
            .collect();
        if pragmas.ignores(h.code, &aliases, h.line) {
            continue;
        }
        let mut f = Finding::new(
            FindingKind::Misconfiguration,
            meta.id,
            meta.default_severity(),
            meta.title,
            crate::k8s::clip_message(h.message.unwrap_or_else(|| meta.message.to_string())),
        );
        f.aliases = aliases;
        f.location.file = Some(file.to_string());
        f.location.line = Some(u32::try_from(h.line).unwrap_or(u32::MAX));
        f.location.object = Some(ctx.stage_label(h.stage));
        f.fix = Some(Fix {
            version: None,
            remediation: Some(meta.remediation.to_string()),
        });
        out.push(f);
    }
    out.sort_by(|a, b| {
        a.location
            .line
            .cmp(&b.location.line)
            .then_with(|| a.id.cmp(&b.id))
    });
    out.dedup_by(|a, b| {
        a.location.line == b.location.line && a.id == b.id && a.message == b.message
    });
    if let Some(line) = cut {
        out.push(crate::too_many_findings(
            file,
            Some(u32::try_from(line).unwrap_or(u32::MAX)),
            max_findings,
            "nothing from this line on is reported (the whole file was checked)",
        ));
    }
    if let Some(b) = &ctx.expansion {
        out.push(expansion_finding(file, b, limits));
    }
    if let Some(line) = ctx.scripts_cut {
        let mut f = Finding::input_error(
            file,
            Some(u32::try_from(line).unwrap_or(u32::MAX)),
            format!(
                "RUN scripts of more than {} bytes in this file: from this RUN on, the commands were not analysed (the rules on RUN commands did not see them)",
                all.max_script_bytes
            ),
        );
        f.fix = Some(Fix {
            version: None,
            remediation: Some(
                "Real Dockerfiles have far smaller RUN scripts: move a long script into a file that is COPYed and run. If the file is legitimate, raise the limit (bulkhead_config::Limits::max_script_bytes).".to_string(),
            ),
        });
        out.push(f);
    }
    out
}

/// Which pragma kind a comment holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Pragma {
    Line(Vec<String>),
    Global(Vec<String>),
    Stage(Vec<String>),
}

/// Parse `hadolint ignore=A,B`, `hadolint global ignore=…`, `hadolint stage ignore=…` (and the
/// `bulkhead` spellings) from a comment's text (after `#`). As in hadolint, the whole comment must
/// be the pragma, optionally followed by `# a remark`.
pub(crate) fn parse_pragma(text: &str) -> Option<Pragma> {
    let t = text.trim_start_matches([' ', '\t']);
    let rest = t
        .strip_prefix("hadolint")
        .or_else(|| t.strip_prefix("bulkhead"))?;
    if !rest.starts_with([' ', '\t']) {
        return None;
    }
    let rest = rest.trim_start_matches([' ', '\t']);
    let (kind, rest) = if let Some(r) = rest.strip_prefix("global") {
        (1, r)
    } else if let Some(r) = rest.strip_prefix("stage") {
        (2, r)
    } else {
        (0, rest)
    };
    let rest = if kind != 0 {
        if !rest.starts_with([' ', '\t']) {
            return None;
        }
        rest.trim_start_matches([' ', '\t'])
    } else {
        rest
    };
    let rest = rest.strip_prefix("ignore")?.trim_start_matches([' ', '\t']);
    let rest = rest.strip_prefix('=')?;
    let list = match rest.find('#') {
        Some(i) => &rest[..i],
        None => rest,
    };
    let mut ids = Vec::new();
    for part in list.split(',') {
        let id = part.trim_matches([' ', '\t']);
        if id.is_empty()
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return None;
        }
        ids.push(id.to_string());
    }
    Some(match kind {
        1 => Pragma::Global(ids),
        2 => Pragma::Stage(ids),
        _ => Pragma::Line(ids),
    })
}

#[derive(Debug, Default)]
struct Pragmas {
    /// line the pragma applies to → IDs
    lines: HashMap<usize, Vec<String>>,
    global: BTreeSet<String>,
    /// Stage pragmas by the last line of the range they cover → ID → the first line covered (the
    /// earliest pragma for that ID in the range).
    stages: BTreeMap<usize, HashMap<String, usize>>,
}

impl Pragmas {
    fn collect(df: &Dockerfile) -> Pragmas {
        let mut p = Pragmas::default();
        // Stage ends in file order (for the stage holding a line, or starting after it).
        let ends: Vec<usize> = df.stages.iter().map(|s| s.end_line()).collect();
        for c in &df.comments {
            match parse_pragma(&c.text) {
                Some(Pragma::Line(ids)) => p.lines.entry(c.line + 1).or_default().extend(ids),
                Some(Pragma::Global(ids)) => p.global.extend(ids),
                Some(Pragma::Stage(ids)) => {
                    // the stage holding the next line (or starting after it)
                    let from = c.line + 1;
                    let i = ends.partition_point(|e| *e < from);
                    let end = ends.get(i).copied().unwrap_or(usize::MAX);
                    let range = p.stages.entry(end).or_default();
                    for id in ids {
                        let first = range.entry(id).or_insert(from);
                        *first = (*first).min(from);
                    }
                }
                None => {}
            }
        }
        p
    }

    /// Whether a finding of `code` (with `aliases`) at `line` is ignored. Constant time in the
    /// number of pragmas: a line's own pragmas by line, a stage pragma by the range holding the
    /// line (ranges of different stages do not overlap; the range holding a line is the first
    /// that ends at or after it).
    fn ignores(&self, code: &str, aliases: &[String], line: usize) -> bool {
        let names = || std::iter::once(code).chain(aliases.iter().map(String::as_str));
        if names().any(|n| self.global.contains(n)) {
            return true;
        }
        if let Some(ids) = self.lines.get(&line)
            && ids.iter().any(|i| names().any(|n| n == i))
        {
            return true;
        }
        if let Some((_, range)) = self.stages.range(line..).next()
            && names().any(|n| range.get(n).is_some_and(|first| *first <= line))
        {
            return true;
        }
        false
    }
}
