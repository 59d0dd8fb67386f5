//! The parsed Dockerfile: directives, global ARGs, stages, typed instructions with positions.

use std::time::Duration;

/// A 1-based position in the Dockerfile (column counted in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pos {
    /// 1-based line.
    pub line: usize,
    /// 1-based column in characters.
    pub column: usize,
}

/// One argument as written, its processed text and where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// The text as BuildKit's line parser hands it on: quotes and escapes still in place for the
    /// shell/word forms; the decoded string for JSON arrays.
    pub raw: String,
    /// The text with quotes and escapes processed the way BuildKit does before using it (variable
    /// references are left as written: expand them with an [`crate::Env`]). Equal to `raw` where
    /// BuildKit does no processing (RUN/CMD/ENTRYPOINT/HEALTHCHECK/SHELL arguments, MAINTAINER).
    pub value: String,
    /// Where the word starts (for JSON strings: the opening quote).
    pub pos: Pos,
}

/// A builder flag such as `--mount=type=cache,target=/root/.cache` or `--link`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    /// Name without the leading `--` (`mount`, `platform`, …).
    pub name: String,
    /// The value after the first `=`, or `None` for a bare `--flag`. Quotes and `\` escapes are
    /// already removed (as BuildKit does); variables are not expanded.
    pub value: Option<String>,
    /// The whole flag after quote processing, e.g. `--chown=app:app`.
    pub raw: String,
    /// Where the flag starts.
    pub pos: Pos,
}

impl Flag {
    /// For CSV-valued flags (`--mount`, `--secret`-style): the comma-separated `key[=value]` fields,
    /// with surrounding double quotes removed from a field. `--mount=type=cache,target=/x,ro` gives
    /// `[("type", Some("cache")), ("target", Some("/x")), ("ro", None)]`.
    pub fn fields(&self) -> Vec<(String, Option<String>)> {
        let Some(v) = &self.value else {
            return Vec::new();
        };
        split_csv(v)
            .into_iter()
            .filter(|f| !f.is_empty())
            .map(|f| match f.split_once('=') {
                Some((k, v)) => (k.trim().to_string(), Some(v.to_string())),
                None => (f.trim().to_string(), None),
            })
            .collect()
    }
}

/// Split on commas outside double quotes, removing those quotes (Go's `encoding/csv` with one
/// record, which is what BuildKit uses for `--mount`).
fn split_csv(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_q = false;
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '"' if in_q && it.peek() == Some(&'"') => {
                cur.push('"');
                it.next();
            }
            '"' => in_q = !in_q,
            ',' if !in_q => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// A here-document attached to RUN, COPY or ADD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    /// The delimiter with quotes removed (`EOF` for `<<"EOF"`).
    pub name: String,
    /// Whether variables in the body are expanded (false when any part of the delimiter is quoted).
    pub expand: bool,
    /// `<<-`: leading tabs are stripped from body lines (and the delimiter line).
    pub chomp: bool,
    /// File descriptor prefix (`3<<EOF` gives 3; 0 when absent).
    pub fd: u32,
    /// The body exactly as in the file, each line with its line ending, tabs not stripped.
    pub body: String,
    /// First line of the body (the line after the instruction / previous heredoc).
    pub start_line: usize,
    /// Line of the closing delimiter.
    pub end_line: usize,
}

impl Heredoc {
    /// The content as BuildKit uses it: the body, with leading tabs removed from every line for
    /// `<<-`.
    pub fn content(&self) -> String {
        if !self.chomp {
            return self.body.clone();
        }
        let mut out = String::with_capacity(self.body.len());
        for line in self.body.split_inclusive('\n') {
            out.push_str(line.trim_start_matches('\t'));
        }
        out
    }
}

/// Exec (JSON array) or shell form of RUN, CMD, ENTRYPOINT and HEALTHCHECK CMD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandLine {
    /// `["executable", "arg", …]`: the decoded strings.
    Exec(Vec<Word>),
    /// Shell form: the command text after continuation lines were joined (what BuildKit hands to
    /// the shell with `-c`, before heredocs are attached). Empty when the instruction has no
    /// arguments.
    Shell(Word),
}

impl CommandLine {
    /// Whether this is the JSON (exec) form.
    pub fn is_exec(&self) -> bool {
        matches!(self, CommandLine::Exec(_))
    }

    /// The arguments as strings: the array for exec form, one element (the command) for shell form.
    pub fn args(&self) -> Vec<&str> {
        match self {
            CommandLine::Exec(w) => w.iter().map(|w| w.value.as_str()).collect(),
            CommandLine::Shell(w) => vec![w.value.as_str()],
        }
    }
}

/// `key=value` of ENV and LABEL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValue {
    /// The key (`raw` may still carry quotes).
    pub key: Word,
    /// The value.
    pub value: Word,
}

/// One name of an ARG instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgDef {
    /// The name (processed).
    pub name: Word,
    /// The default after `=` (processed `value`; variables not expanded), if any.
    pub default: Option<Word>,
}

/// A source of ADD/COPY.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopySource {
    /// A path, URL or git reference.
    Path(Word),
    /// An inline file from a heredoc: `<<EOF` refers to `heredocs[index]` of the instruction.
    Heredoc {
        /// The `<<EOF` word.
        word: Word,
        /// Index into [`Instruction::heredocs`], when a heredoc of that name was read.
        index: Option<usize>,
    },
}

/// Arguments of ADD and COPY.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyArgs {
    /// Sources, in order.
    pub sources: Vec<CopySource>,
    /// Destination (last argument).
    pub dest: Word,
    /// Written in JSON form.
    pub json: bool,
}

/// HEALTHCHECK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Healthcheck {
    /// `HEALTHCHECK NONE`.
    None,
    /// `HEALTHCHECK [options] CMD …`; options come from the flags.
    Cmd {
        /// The check command.
        cmd: CommandLine,
        /// `--interval`.
        interval: Option<Duration>,
        /// `--timeout`.
        timeout: Option<Duration>,
        /// `--start-period`.
        start_period: Option<Duration>,
        /// `--start-interval`.
        start_interval: Option<Duration>,
        /// `--retries`.
        retries: Option<u32>,
    },
}

/// ONBUILD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Onbuild {
    /// The trigger text as BuildKit stores it in the image (`RUN make` for `ONBUILD RUN make`),
    /// heredoc bodies appended.
    pub expression: String,
    /// The trigger parsed as an instruction (positions are those of the ONBUILD line). `None` when
    /// the trigger does not parse: BuildKit accepts that at build time and fails only when a child
    /// image is built, so it is not an error here; see `trigger_error`.
    pub trigger: Option<Box<Instruction>>,
    /// Why the trigger did not parse.
    pub trigger_error: Option<String>,
}

/// USER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserArgs {
    /// The whole argument.
    pub word: Word,
    /// User part (before the first `:`), from the processed value.
    pub user: String,
    /// Group part (after the first `:`), if any.
    pub group: Option<String>,
}

/// FROM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FromArgs {
    /// The image reference as written (may contain `$ARG`s).
    pub image: Word,
    /// `AS name` as written, if any.
    pub alias: Option<Word>,
}

/// The typed arguments of an instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `FROM [--platform=…] image [AS name]`.
    From(FromArgs),
    /// `RUN`.
    Run(CommandLine),
    /// `CMD`.
    Cmd(CommandLine),
    /// `ENTRYPOINT`.
    Entrypoint(CommandLine),
    /// `SHELL ["executable", "parameters"]`.
    Shell(Vec<Word>),
    /// `HEALTHCHECK`.
    Healthcheck(Healthcheck),
    /// `LABEL k=v …`.
    Label(Vec<KeyValue>),
    /// `MAINTAINER name` (deprecated).
    Maintainer(Word),
    /// `EXPOSE port[/proto] …`.
    Expose(Vec<Word>),
    /// `ENV k=v …` or `ENV k v`.
    Env(Vec<KeyValue>),
    /// `ADD`.
    Add(CopyArgs),
    /// `COPY`.
    Copy(CopyArgs),
    /// `VOLUME`; the bool says JSON form.
    Volume(Vec<Word>, bool),
    /// `USER user[:group]`.
    User(UserArgs),
    /// `WORKDIR path`.
    Workdir(Word),
    /// `ARG name[=default] …`.
    Arg(Vec<ArgDef>),
    /// `ONBUILD instruction`.
    Onbuild(Onbuild),
    /// `STOPSIGNAL signal`.
    StopSignal(Word),
}

/// Instruction keywords.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// FROM
    From,
    /// RUN
    Run,
    /// CMD
    Cmd,
    /// ENTRYPOINT
    Entrypoint,
    /// SHELL
    Shell,
    /// HEALTHCHECK
    Healthcheck,
    /// LABEL
    Label,
    /// MAINTAINER
    Maintainer,
    /// EXPOSE
    Expose,
    /// ENV
    Env,
    /// ADD
    Add,
    /// COPY
    Copy,
    /// VOLUME
    Volume,
    /// USER
    User,
    /// WORKDIR
    Workdir,
    /// ARG
    Arg,
    /// ONBUILD
    Onbuild,
    /// STOPSIGNAL
    StopSignal,
}

impl Kind {
    /// All instructions.
    pub const ALL: [Kind; 18] = [
        Kind::From,
        Kind::Run,
        Kind::Cmd,
        Kind::Entrypoint,
        Kind::Shell,
        Kind::Healthcheck,
        Kind::Label,
        Kind::Maintainer,
        Kind::Expose,
        Kind::Env,
        Kind::Add,
        Kind::Copy,
        Kind::Volume,
        Kind::User,
        Kind::Workdir,
        Kind::Arg,
        Kind::Onbuild,
        Kind::StopSignal,
    ];

    /// Upper-case keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            Kind::From => "FROM",
            Kind::Run => "RUN",
            Kind::Cmd => "CMD",
            Kind::Entrypoint => "ENTRYPOINT",
            Kind::Shell => "SHELL",
            Kind::Healthcheck => "HEALTHCHECK",
            Kind::Label => "LABEL",
            Kind::Maintainer => "MAINTAINER",
            Kind::Expose => "EXPOSE",
            Kind::Env => "ENV",
            Kind::Add => "ADD",
            Kind::Copy => "COPY",
            Kind::Volume => "VOLUME",
            Kind::User => "USER",
            Kind::Workdir => "WORKDIR",
            Kind::Arg => "ARG",
            Kind::Onbuild => "ONBUILD",
            Kind::StopSignal => "STOPSIGNAL",
        }
    }

    /// Case-insensitive lookup of a keyword.
    pub fn from_keyword(s: &str) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.keyword().eq_ignore_ascii_case(s))
    }

    /// The builder flags BuildKit's stable frontend defines for this instruction (labs flags such as
    /// `RUN --device` are not included). The parser keeps any `--flag`; rules can use this list to
    /// report unknown ones, as BuildKit does at build time.
    pub fn known_flags(self) -> &'static [&'static str] {
        match self {
            Kind::From => &["platform"],
            Kind::Run => &["mount", "network", "security"],
            Kind::Add => &[
                "chown",
                "chmod",
                "link",
                "keep-git-dir",
                "checksum",
                "exclude",
                "unpack",
            ],
            Kind::Copy => &["chown", "chmod", "link", "from", "parents", "exclude"],
            Kind::Healthcheck => &[
                "interval",
                "timeout",
                "start-period",
                "start-interval",
                "retries",
            ],
            _ => &[],
        }
    }
}

/// One instruction with its position and source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// Which instruction.
    pub kind: Kind,
    /// The typed arguments.
    pub command: Command,
    /// Builder flags in order (`--mount`, `--from`, `--platform`, …).
    pub flags: Vec<Flag>,
    /// Heredocs read after the instruction line (RUN, COPY, ADD and ONBUILD of those).
    pub heredocs: Vec<Heredoc>,
    /// 1-based first line.
    pub start_line: usize,
    /// 1-based last line (after continuation lines and heredoc bodies).
    pub end_line: usize,
    /// Where the keyword is.
    pub pos: Pos,
    /// The logical line after joining continuation lines, comment lines inside the continuation
    /// dropped (BuildKit's `Original`); heredoc bodies are not part of it.
    pub original: String,
    /// The exact source text of lines `start_line..=end_line` (no final line break).
    pub source: String,
    /// Comment lines directly before the instruction, without the `#` (parser directives excluded;
    /// an empty `#` line resets the list, as BuildKit does). `# hadolint ignore=…` lives here.
    pub comments: Vec<String>,
}

impl Instruction {
    /// The first flag named `name` (without `--`).
    pub fn flag(&self, name: &str) -> Option<&Flag> {
        self.flags.iter().find(|f| f.name == name)
    }

    /// All flags named `name` (`--mount` may repeat).
    pub fn flags_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Flag> + 'a {
        self.flags.iter().filter(move |f| f.name == name)
    }

    /// Flags that BuildKit's stable frontend does not define for this instruction.
    pub fn unknown_flags(&self) -> impl Iterator<Item = &Flag> {
        let known = self.kind.known_flags();
        self.flags
            .iter()
            .filter(move |f| !known.contains(&f.name.as_str()))
    }

    /// The command line of RUN, CMD, ENTRYPOINT or HEALTHCHECK CMD.
    pub fn command_line(&self) -> Option<&CommandLine> {
        match &self.command {
            Command::Run(c) | Command::Cmd(c) | Command::Entrypoint(c) => Some(c),
            Command::Healthcheck(Healthcheck::Cmd { cmd, .. }) => Some(cmd),
            _ => None,
        }
    }

    /// For RUN in shell form: the script the shell runs, as BuildKit builds it.
    ///
    /// * plain shell form: the joined command line;
    /// * `RUN <<EOF` (the command is a single heredoc): the heredoc content (tabs stripped for
    ///   `<<-`). If that content starts with `#!`, BuildKit runs it as an executable file instead of
    ///   passing it to the shell; see [`Instruction::heredoc_is_script_file`];
    /// * anything else with heredocs (`RUN python3 <<EOF`, several heredocs): the command line
    ///   followed, for each heredoc, by a newline, its body and its delimiter, which the shell then
    ///   reads as real here-documents.
    ///
    /// `None` for exec form and for other instructions.
    pub fn shell_script(&self) -> Option<String> {
        let Command::Run(CommandLine::Shell(w)) = &self.command else {
            return None;
        };
        if self.heredocs.is_empty() {
            return Some(w.value.clone());
        }
        if self.single_heredoc_command() {
            return Some(self.heredocs[0].content());
        }
        let mut full = w.value.clone();
        for h in &self.heredocs {
            full.push('\n');
            full.push_str(&h.body);
            full.push_str(&h.name);
        }
        Some(full)
    }

    /// `RUN <<EOF` whose heredoc starts with `#!`: BuildKit writes it to a file and executes it
    /// with that interpreter rather than with the shell.
    pub fn heredoc_is_script_file(&self) -> bool {
        self.single_heredoc_command() && self.heredocs[0].body.starts_with("#!")
    }

    fn single_heredoc_command(&self) -> bool {
        let Command::Run(CommandLine::Shell(w)) = &self.command else {
            return false;
        };
        !self.heredocs.is_empty() && crate::parser::heredoc_spec(&w.value).is_some()
    }
}

/// A parser directive (`# syntax=…`, `# escape=…`, `# check=…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// Lower-case name.
    pub name: String,
    /// Value, trimmed.
    pub value: String,
    /// 1-based line.
    pub line: usize,
}

/// A comment line anywhere in the file (outside heredoc bodies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// 1-based line.
    pub line: usize,
    /// Text after `#`, trimmed.
    pub text: String,
}

/// A non-fatal finding of the parser (BuildKit prints these as warnings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// 1-based line.
    pub line: usize,
    /// Message.
    pub message: String,
}

/// A build stage: one FROM and the instructions up to the next FROM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// 0-based index in the file.
    pub index: usize,
    /// Stage name from `AS name`, lower-cased as BuildKit does.
    pub name: Option<String>,
    /// Base image as written (`raw`) and with quotes processed (`value`).
    pub base: Word,
    /// Base image with global ARG defaults substituted; references to ARGs without a default (and
    /// to built-in ARGs such as `$TARGETPLATFORM`) are left as written.
    pub base_expanded: String,
    /// `--platform` value as written, if any.
    pub platform: Option<String>,
    /// Index of an earlier stage this one is built on (`FROM builder`), if any.
    pub parent: Option<usize>,
    /// The FROM instruction.
    pub from: Instruction,
    /// The instructions after FROM, in order.
    pub instructions: Vec<Instruction>,
}

impl Stage {
    /// First line (the FROM line).
    pub fn start_line(&self) -> usize {
        self.from.start_line
    }

    /// Last line of the last instruction.
    pub fn end_line(&self) -> usize {
        self.instructions
            .last()
            .map_or(self.from.end_line, |i| i.end_line)
    }

    /// The FROM and every following instruction, in order.
    pub fn all_instructions(&self) -> impl Iterator<Item = &Instruction> {
        std::iter::once(&self.from).chain(self.instructions.iter())
    }
}

/// A parsed Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dockerfile {
    /// Parser directives at the top of the file.
    pub directives: Vec<Directive>,
    /// Escape character (`\` or `` ` ``).
    pub escape: char,
    /// ARG instructions before the first FROM.
    pub global_args: Vec<Instruction>,
    /// Build stages in order.
    pub stages: Vec<Stage>,
    /// Every comment line (outside heredocs and parser directives).
    pub comments: Vec<Comment>,
    /// Non-fatal warnings (empty continuation lines).
    pub warnings: Vec<Warning>,
    /// Number of lines in the file.
    pub line_count: usize,
    /// Where the parser's own substitution (global ARG defaults, FROM lines) went over the
    /// expansion budget ([`crate::ParseOptions::expand`]): those values and FROM lines are left
    /// as written from there on.
    pub expansion: Option<crate::ExpandBreach>,
}

/// The `# check=` directive, parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckDirective {
    /// Check names from `skip=a,b` (or `all`).
    pub skip: Vec<String>,
    /// `error=true`.
    pub error: bool,
}

impl Dockerfile {
    /// A directive's value by (case-insensitive) name.
    pub fn directive(&self, name: &str) -> Option<&str> {
        self.directives
            .iter()
            .find(|d| d.name.eq_ignore_ascii_case(name))
            .map(|d| d.value.as_str())
    }

    /// `# syntax=` value.
    pub fn syntax(&self) -> Option<&str> {
        self.directive("syntax")
    }

    /// `# check=` parsed (`skip=A,B;error=true`).
    pub fn check(&self) -> Option<CheckDirective> {
        let v = self.directive("check")?;
        let mut out = CheckDirective::default();
        for part in v.split(';') {
            let Some((k, val)) = part.split_once('=') else {
                continue;
            };
            match k.trim().to_ascii_lowercase().as_str() {
                "skip" => out.skip.extend(
                    val.split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty()),
                ),
                "error" => out.error = val.trim().eq_ignore_ascii_case("true"),
                _ => {}
            }
        }
        Some(out)
    }

    /// Every instruction in file order (global ARGs, then each stage's FROM and body).
    pub fn instructions(&self) -> impl Iterator<Item = &Instruction> {
        self.global_args
            .iter()
            .chain(self.stages.iter().flat_map(|s| s.all_instructions()))
    }

    /// The stage named `name` (case-insensitive), the last one if several share it.
    pub fn stage_by_name(&self, name: &str) -> Option<&Stage> {
        let lower = name.to_ascii_lowercase();
        self.stages
            .iter()
            .rev()
            .find(|s| s.name.as_deref() == Some(lower.as_str()))
    }
}
