//! The command model the hadolint rules work on, built on [`bulkhead_dockerfile::shell`].
//!
//! hadolint hands every RUN script to ShellCheck's parser and looks at each simple command it finds
//! (also inside `$(…)` and backquotes): its literal name, its arguments with quotes removed, and its
//! "flags" — every argument starting with `-` is cut into one-letter flags (`-yq` → `y`, `q`), one
//! starting with `--` gives the name before `=` (`--no-cache-dir=1` → `no-cache-dir`); `-` and `--`
//! alone are not flags. Rules then ask "is there an `apt-get` command with an `install` argument",
//! "the arguments that are not flags", "drop the word after flag `-t`". This module reproduces
//! those questions with the same answers.

use bulkhead_dockerfile::shell::{Separator, SimpleCommand, split_commands};

/// One simple command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cmd {
    /// Command name as written (`/usr/bin/apt-get` stays as is, as in hadolint).
    pub name: String,
    /// Every argument after the name, quotes removed.
    pub args: Vec<String>,
    /// (flag name, index in `args` of the word it came from).
    flags: Vec<(String, usize)>,
    /// Indices of `args` that were dropped by [`Cmd::drop_flag_arg`].
    dropped: Vec<usize>,
}

/// A RUN script: its text, its commands in order, whether a pipe occurs.
#[derive(Debug, Clone, Default)]
pub struct Script {
    pub original: String,
    pub cmds: Vec<Cmd>,
    pub pipes: bool,
}

impl Script {
    pub fn parse(text: &str) -> Script {
        let mut s = Script {
            original: text.to_string(),
            cmds: Vec::new(),
            pipes: false,
        };
        collect(&blank_case_patterns(text), &mut s, 0);
        s
    }

    /// Whether any command is named `name`.
    pub fn uses(&self, name: &str) -> bool {
        self.cmds.iter().any(|c| c.name == name)
    }

    pub fn any(&self, f: impl Fn(&Cmd) -> bool) -> bool {
        self.cmds.iter().any(f)
    }

    /// Index of the first command matching `f`.
    pub fn position(&self, f: impl Fn(&Cmd) -> bool) -> Option<usize> {
        self.cmds.iter().position(f)
    }
}

fn collect(text: &str, out: &mut Script, depth: usize) {
    if depth > 16 {
        return;
    }
    for sc in split_commands(text) {
        if sc.separator == Separator::Pipe {
            out.pipes = true;
        }
        if let Some(c) = Cmd::from_simple(&sc) {
            // `case WORD in` opens a compound command, it is not a simple command
            if !(c.name == "case" && c.args.last().is_some_and(|a| a == "in")) {
                out.cmds.push(c);
            }
        }
        let words = sc
            .assignments
            .iter()
            .chain(sc.argv.iter())
            .chain(sc.redirects.iter().map(|r| &r.target));
        for w in words {
            for inner in substitutions(w) {
                collect(&inner, out, depth + 1);
            }
        }
    }
}

/// Replace the patterns of `case … in` branches (`x86_64|aarch64)`) with spaces: the splitter
/// would otherwise read their `|` as a pipe and their words as a command, where ShellCheck (and so
/// hadolint) sees neither.
pub fn blank_case_patterns(text: &str) -> String {
    #[derive(PartialEq)]
    enum St {
        /// after `case`, waiting for the subject word, then `in`
        Subject(u8),
        Pattern,
        Body,
    }
    let b = text.as_bytes();
    let mut out = b.to_vec();
    let mut stack: Vec<St> = Vec::new();
    let mut i = 0;
    let mut pattern_start: Option<usize> = None;
    let boundary = |k: usize| {
        k == 0
            || matches!(
                b[k - 1],
                b' ' | b'\t' | b'\n' | b';' | b'&' | b'|' | b'(' | b'`'
            )
    };
    let word_at = |k: usize, w: &str| {
        b[k..].starts_with(w.as_bytes())
            && boundary(k)
            && b.get(k + w.len())
                .is_none_or(|c| matches!(c, b' ' | b'\t' | b'\n' | b';' | b')'))
    };
    while i < b.len() {
        let c = b[i];
        match c {
            b'\\' => {
                i += 2;
                continue;
            }
            b'\'' | b'"' => {
                match stack.last_mut() {
                    Some(top @ St::Subject(0)) => *top = St::Subject(1),
                    Some(St::Pattern) if pattern_start.is_none() => pattern_start = Some(i),
                    _ => {}
                }
                let q = c;
                i += 1;
                while i < b.len() && b[i] != q {
                    if q == b'"' && b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
                continue;
            }
            _ => {}
        }
        match stack.last() {
            Some(St::Subject(n)) => {
                if !c.is_ascii_whitespace() {
                    let end = b[i..]
                        .iter()
                        .position(|ch| ch.is_ascii_whitespace() || *ch == b';')
                        .map_or(b.len(), |e| i + e);
                    let n = *n;
                    stack.pop();
                    if n == 0 {
                        stack.push(St::Subject(1));
                    } else if &b[i..end] == b"in" {
                        stack.push(St::Pattern);
                        pattern_start = None;
                    }
                    i = end;
                    continue;
                }
            }
            Some(St::Pattern) => {
                if word_at(i, "esac") {
                    stack.pop();
                    i += 4;
                    continue;
                }
                if c == b')' {
                    let from = pattern_start.unwrap_or(i);
                    for o in &mut out[from..i] {
                        if *o != b'\n' {
                            *o = b' ';
                        }
                    }
                    out[i] = b';';
                    if let Some(top) = stack.last_mut() {
                        *top = St::Body;
                    }
                    pattern_start = None;
                } else if pattern_start.is_none() && !c.is_ascii_whitespace() {
                    pattern_start = Some(i);
                }
            }
            Some(St::Body) => {
                if c == b';' && b.get(i + 1) == Some(&b';') {
                    if let Some(top) = stack.last_mut() {
                        *top = St::Pattern;
                    }
                    pattern_start = None;
                    i += 2;
                    if b.get(i) == Some(&b'&') {
                        i += 1;
                    }
                    continue;
                }
                if c == b';' && b.get(i + 1) == Some(&b'&') {
                    if let Some(top) = stack.last_mut() {
                        *top = St::Pattern;
                    }
                    pattern_start = None;
                    i += 2;
                    continue;
                }
                if word_at(i, "esac") {
                    stack.pop();
                    i += 4;
                    continue;
                }
                if word_at(i, "case") {
                    stack.push(St::Subject(0));
                    i += 4;
                    continue;
                }
            }
            None => {
                if word_at(i, "case") {
                    stack.push(St::Subject(0));
                    i += 4;
                    continue;
                }
            }
        }
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_string())
}

/// The scripts of `$(…)` and `` `…` `` substitutions in a word (not `$((…))` arithmetic).
fn substitutions(word: &str) -> Vec<String> {
    let b = word.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' && b.get(i + 1) == Some(&b'(') && b.get(i + 2) != Some(&b'(') {
            let start = i + 2;
            let mut depth = 1;
            let mut j = start;
            let mut quote: Option<u8> = None;
            while j < b.len() {
                let c = b[j];
                match quote {
                    Some(q) if c == q => quote = None,
                    Some(_) => {}
                    None => match c {
                        b'\'' | b'"' => quote = Some(c),
                        b'\\' => j += 1,
                        b'(' => depth += 1,
                        b')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    },
                }
                j += 1;
            }
            let end = j.min(b.len());
            out.push(word[start..end].to_string());
            i = end + 1;
        } else if b[i] == b'`' {
            let start = i + 1;
            let mut j = start;
            while j < b.len() && b[j] != b'`' {
                if b[j] == b'\\' {
                    j += 1;
                }
                j += 1;
            }
            let end = j.min(b.len());
            out.push(word[start..end].to_string());
            i = end + 1;
        } else {
            i += 1;
        }
    }
    out
}

fn is_literal(w: &str) -> bool {
    !w.is_empty() && !w.contains('$') && !w.contains('`')
}

impl Cmd {
    /// A command from an argv list: `None` when the name is not a literal word (`$CC -o x`), like
    /// ShellCheck. `busybox X`, `builtin X`, `command X` and `exec X` take X as the name (as
    /// ShellCheck's `getCommandName` does) and keep every word as arguments.
    pub fn from_simple(sc: &SimpleCommand) -> Option<Cmd> {
        let first = sc.argv.first()?;
        if !is_literal(first) {
            return None;
        }
        let args: Vec<String> = sc.argv[1..].to_vec();
        let mut name = first.clone();
        match first.as_str() {
            "busybox" | "builtin" | "command" | "run" => {
                if let Some(a) = args.first()
                    && !a.starts_with('-')
                {
                    if !is_literal(a) {
                        return None;
                    }
                    name = a.clone();
                }
            }
            "exec" => {
                let mut k = 0;
                while k < args.len() && args[k].starts_with('-') {
                    if args[k] == "-a" {
                        k += 1;
                    }
                    k += 1;
                }
                if let Some(a) = args.get(k) {
                    if !is_literal(a) {
                        return None;
                    }
                    name = a.clone();
                }
            }
            _ => {}
        }
        Some(Cmd::new(name, args))
    }

    pub fn new(name: String, args: Vec<String>) -> Cmd {
        let mut flags = Vec::new();
        for (i, a) in args.iter().enumerate() {
            if a == "-" || a == "--" {
                continue;
            }
            if let Some(long) = a.strip_prefix("--") {
                let n = long.split('=').next().unwrap_or("");
                flags.push((n.to_string(), i));
            } else if let Some(short) = a.strip_prefix('-') {
                for ch in short.chars() {
                    flags.push((ch.to_string(), i));
                }
            }
        }
        Cmd {
            name,
            args,
            flags,
            dropped: Vec::new(),
        }
    }

    /// hadolint's `cmdHasArgs`: named `name` with at least one argument in `any_of`.
    pub fn has_args(&self, name: &str, any_of: &[&str]) -> bool {
        self.name == name && self.live_args().any(|(_, a)| any_of.contains(&a.as_str()))
    }

    /// Named one of `names` with at least one argument in `any_of`.
    pub fn names_have_args(&self, names: &[&str], any_of: &[&str]) -> bool {
        names.contains(&self.name.as_str())
            && self.live_args().any(|(_, a)| any_of.contains(&a.as_str()))
    }

    /// An argument equal to `arg`.
    pub fn has_arg(&self, arg: &str) -> bool {
        self.live_args().any(|(_, a)| a == arg)
    }

    pub fn has_flag(&self, f: &str) -> bool {
        self.flags.iter().any(|(n, _)| n == f)
    }

    pub fn has_any_flag(&self, fs: &[&str]) -> bool {
        self.flags.iter().any(|(n, _)| fs.contains(&n.as_str()))
    }

    fn live_args(&self) -> impl Iterator<Item = (usize, &String)> {
        self.args
            .iter()
            .enumerate()
            .filter(|(i, _)| !self.dropped.contains(i))
    }

    /// All arguments (after any [`Cmd::drop_flag_arg`]).
    pub fn all_args(&self) -> Vec<&str> {
        self.live_args().map(|(_, a)| a.as_str()).collect()
    }

    /// Arguments that are not flag words (hadolint's `getArgsNoFlags`).
    pub fn args_no_flags(&self) -> Vec<&str> {
        self.live_args()
            .filter(|(i, _)| !self.flags.iter().any(|(_, fi)| fi == i))
            .map(|(_, a)| a.as_str())
            .collect()
    }

    /// Drop the word following each flag in `names` (its value: `-t bookworm`, `--virtual .deps`).
    pub fn drop_flag_arg(&self, names: &[&str]) -> Cmd {
        let mut c = self.clone();
        for (n, i) in &self.flags {
            if names.contains(&n.as_str()) {
                let next = self.live_args().map(|(j, _)| j).find(|j| j > i);
                if let Some(j) = next {
                    c.dropped.push(j);
                }
            }
        }
        c
    }

    /// The values (next words) of flag `name` (hadolint's `getFlagArg`).
    pub fn flag_values(&self, name: &str) -> Vec<&str> {
        let mut out = Vec::new();
        for (n, i) in &self.flags {
            if n == name
                && let Some((_, a)) = self.live_args().find(|(j, _)| j > i)
            {
                out.push(a.as_str());
            }
        }
        out
    }

    /// hadolint's `isPipInstall`: `pip… install` or `python… -m pip install`.
    pub fn is_pip_install(&self) -> bool {
        let args = self.all_args();
        (self.name.starts_with("pip") && args.contains(&"install"))
            || (self.name.starts_with("python")
                && args.windows(3).any(|w| w == ["-m", "pip", "install"]))
    }
}

/// Words after the first `install` (and any repeated `install`), as hadolint's
/// `stripInstallPrefix`.
pub fn strip_install_prefix<'a>(words: &[&'a str]) -> Vec<&'a str> {
    words
        .iter()
        .skip_while(|w| **w != "install")
        .skip_while(|w| **w == "install")
        .copied()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_args() {
        let s = Script::parse("apt-get install -yq --no-install-recommends=1 -t bookworm foo - --");
        let c = &s.cmds[0];
        assert!(c.has_flag("y") && c.has_flag("q") && c.has_flag("no-install-recommends"));
        assert!(c.has_flag("t") && !c.has_flag("-"));
        assert_eq!(c.args_no_flags(), ["install", "bookworm", "foo", "-", "--"]);
        assert_eq!(
            c.drop_flag_arg(&["t"]).args_no_flags(),
            ["install", "foo", "-", "--"]
        );
        assert_eq!(c.flag_values("t"), ["bookworm"]);
    }

    #[test]
    fn substitutions_pipes_and_wrappers() {
        let s = Script::parse("X=$(curl -s x | jq .a) echo `wget y` && command apt-get install z");
        let names: Vec<_> = s.cmds.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["echo", "curl", "jq", "wget", "apt-get"]);
        assert!(s.pipes);
        assert!(!Script::parse("a || b && c").pipes);
        assert!(Script::parse("$CC -o x").cmds.is_empty());
        assert!(Script::parse("echo $((1+2))").cmds.len() == 1);
    }

    #[test]
    fn case_patterns_are_not_pipes() {
        let s =
            Script::parse("case \"$a\" in x86_64|aarch64) echo x ;; 'a|b') y ;; *) z ;; esac; w");
        let names: Vec<_> = s.cmds.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["echo", "y", "z", "w"]);
        assert!(!s.pipes);
        assert!(Script::parse("case $a in x) a | b ;; esac").pipes);
    }

    #[test]
    fn pip_install() {
        assert!(Script::parse("pip3 install x").cmds[0].is_pip_install());
        assert!(Script::parse("python3 -m pip install x").cmds[0].is_pip_install());
        assert!(!Script::parse("python3 -m pipx install x").cmds[0].is_pip_install());
    }
}
