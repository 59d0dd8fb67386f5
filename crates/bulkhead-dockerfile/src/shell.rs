//! A small POSIX shell splitter: a RUN script cut into simple commands (argv lists) at `&&`, `||`,
//! `;`, `|`, `&`, newlines and parentheses, respecting quotes, escapes, `$(…)`, backquotes, `${…}`
//! and here-documents. It is not a shell parser: compound commands are flattened (`if`, `then`,
//! `do`, `!`, `{` … in front of a command are dropped, so `then apt-get install x` gives
//! `["apt-get", "install", "x"]`), and nothing is expanded. It is meant for rules such as "pin
//! versions in apt-get install" that need the words of each command.
//!
//! ```
//! use bulkhead_dockerfile::shell::{split_commands, Separator};
//! let cmds = split_commands("apt-get update && apt-get install -y 'curl' | tee log");
//! assert_eq!(cmds[1].argv, ["apt-get", "install", "-y", "curl"]);
//! assert_eq!(cmds[1].separator, Separator::Pipe);
//! ```

/// What ends a simple command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Separator {
    /// `&&`
    And,
    /// `||`
    Or,
    /// `|` or `|&`
    Pipe,
    /// `;`, `;;`, `(` or `)`
    Semicolon,
    /// `&`
    Background,
    /// A line break.
    Newline,
    /// End of the script.
    End,
}

/// A redirection such as `>/dev/null` or `2>&1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// File descriptor written before the operator, if any (`2` in `2>&1`).
    pub fd: Option<u32>,
    /// The operator: `>`, `>>`, `<`, `<<`, `<<-`, `<<<`, `>&`, `<&`, `>|`, `<>`, `&>`, `&>>`.
    pub op: String,
    /// The target word, quotes removed (for `<<` the here-document delimiter).
    pub target: String,
}

/// One simple command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleCommand {
    /// Command name and arguments, quotes and escapes removed, substitutions kept as written.
    pub argv: Vec<String>,
    /// `NAME=value` words before the command name.
    pub assignments: Vec<String>,
    /// Redirections, in order.
    pub redirects: Vec<Redirect>,
    /// Bodies of here-documents this command reads (`cat <<EOF`), each without its delimiter.
    pub heredocs: Vec<String>,
    /// Byte offset in the script where the command starts.
    pub offset: usize,
    /// 0-based line in the script where the command starts.
    pub line: usize,
    /// What follows the command.
    pub separator: Separator,
}

impl SimpleCommand {
    /// The command name (`argv[0]`).
    pub fn name(&self) -> Option<&str> {
        self.argv.first().map(String::as_str)
    }

    /// The command name without directory (`/usr/bin/apt-get` → `apt-get`).
    pub fn base_name(&self) -> Option<&str> {
        self.name().map(|n| n.rsplit('/').next().unwrap_or(n))
    }

    /// Arguments after the name.
    pub fn args(&self) -> &[String] {
        self.argv.get(1..).unwrap_or(&[])
    }

    /// Whether any argument equals `arg`.
    pub fn has_arg(&self, arg: &str) -> bool {
        self.args().iter().any(|a| a == arg)
    }
}

const RESERVED_PREFIX: [&str; 14] = [
    "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}", "esac",
    "time",
];

struct Splitter<'a> {
    src: &'a str,
    b: &'a [u8],
    i: usize,
    line: usize,
    out: Vec<SimpleCommand>,
    cur: SimpleCommand,
    word: Vec<u8>,
    word_active: bool,
    word_quoted: bool,
    /// Length of `word` when its first quoted or escaped character was added.
    word_quote_at: Option<usize>,
    word_start: usize,
    word_line: usize,
    expect_target: Option<(Option<u32>, String)>,
    /// (index in `out` or `usize::MAX` for the current command, delimiter, strip tabs)
    pending_heredocs: Vec<(usize, String, bool)>,
}

fn empty_command() -> SimpleCommand {
    SimpleCommand {
        argv: Vec::new(),
        assignments: Vec::new(),
        redirects: Vec::new(),
        heredocs: Vec::new(),
        offset: 0,
        line: 0,
        separator: Separator::End,
    }
}

fn is_assignment(w: &str) -> bool {
    let Some((name, _)) = w.split_once('=') else {
        return false;
    };
    let mut c = name.chars();
    matches!(c.next(), Some(ch) if ch == '_' || ch.is_ascii_alphabetic())
        && c.all(|ch| ch == '_' || ch.is_ascii_alphanumeric())
}

impl Splitter<'_> {
    fn peek(&self, k: usize) -> Option<u8> {
        self.b.get(self.i + k).copied()
    }

    fn offset(&self) -> usize {
        self.i.min(self.src.len())
    }

    fn mark_quoted(&mut self) {
        self.word_quoted = true;
        if self.word_quote_at.is_none() {
            self.word_quote_at = Some(self.word.len());
        }
    }

    fn start_word(&mut self) {
        if !self.word_active {
            self.word_active = true;
            self.word_start = self.offset();
            self.word_line = self.line;
        }
    }

    fn end_word(&mut self) {
        if !self.word_active {
            return;
        }
        self.word_active = false;
        // words are cut at ASCII bytes only, so they stay valid UTF-8
        let w = String::from_utf8(std::mem::take(&mut self.word))
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        let quoted = std::mem::replace(&mut self.word_quoted, false);
        let quote_at = self.word_quote_at.take();
        if let Some((fd, op)) = self.expect_target.take() {
            if op == "<<" || op == "<<-" {
                let idx = usize::MAX;
                self.pending_heredocs.push((idx, w.clone(), op == "<<-"));
            }
            self.cur.redirects.push(Redirect { fd, op, target: w });
            return;
        }
        let empty = self.cur.argv.is_empty()
            && self.cur.assignments.is_empty()
            && self.cur.redirects.is_empty();
        if empty {
            self.cur.offset = self.word_start;
            self.cur.line = self.word_line;
        }
        if self.cur.argv.is_empty() {
            if !quoted && RESERVED_PREFIX.contains(&w.as_str()) {
                return;
            }
            let name_unquoted = w
                .find('=')
                .is_some_and(|eq| quote_at.is_none_or(|q| q > eq));
            if name_unquoted && is_assignment(&w) {
                self.cur.assignments.push(w);
                return;
            }
        }
        self.cur.argv.push(w);
    }

    fn end_command(&mut self, sep: Separator) {
        self.end_word();
        if let Some((fd, op)) = self.expect_target.take() {
            // operator without target: keep it with an empty target
            self.cur.redirects.push(Redirect {
                fd,
                op,
                target: String::new(),
            });
        }
        let mut cmd = std::mem::replace(&mut self.cur, empty_command());
        cmd.separator = sep;
        let keep = !cmd.argv.is_empty() || !cmd.assignments.is_empty() || !cmd.redirects.is_empty();
        let idx = self.out.len();
        for h in self.pending_heredocs.iter_mut() {
            if h.0 == usize::MAX {
                h.0 = if keep { idx } else { usize::MAX - 1 };
            }
        }
        if keep {
            self.out.push(cmd);
        } else if sep != Separator::Newline
            && sep != Separator::End
            && let Some(last) = self.out.last_mut()
            && matches!(last.separator, Separator::Newline | Separator::Semicolon)
            && sep != Separator::Semicolon
        {
            // `fi && x`: the compound command's operator applies to what was last seen
            last.separator = sep;
        }
    }

    /// Copy a `$(…)`, `$((…))` or `` `…` `` verbatim into the word.
    fn copy_substitution(&mut self) {
        let open = self.peek(0);
        if open == Some(b'`') {
            self.word.push(b'`');
            self.i += 1;
            while let Some(c) = self.peek(0) {
                self.i += 1;
                if c == b'\n' {
                    self.line += 1;
                }
                self.word.push(c);
                if c == b'\\' {
                    if let Some(n) = self.peek(0) {
                        self.word.push(n);
                        self.i += 1;
                    }
                } else if c == b'`' {
                    return;
                }
            }
            return;
        }
        // "$("
        self.word.push(b'$');
        self.word.push(b'(');
        self.i += 2;
        let mut depth = 1usize;
        let mut quote: Option<u8> = None;
        while let Some(c) = self.peek(0) {
            self.i += 1;
            if c == b'\n' {
                self.line += 1;
            }
            self.word.push(c);
            match (quote, c) {
                (Some(b'\''), b'\'') => quote = None,
                (Some(b'\''), _) => {}
                (_, b'\\') => {
                    if let Some(n) = self.peek(0) {
                        self.word.push(n);
                        self.i += 1;
                    }
                }
                (Some(b'"'), b'"') => quote = None,
                (Some(_), _) => {}
                (None, b'\'' | b'"') => quote = Some(c),
                (None, b'(') => depth += 1,
                (None, b')') => {
                    depth -= 1;
                    if depth == 0 {
                        return;
                    }
                }
                _ => {}
            }
        }
    }

    /// Copy `${…}` verbatim.
    fn copy_braced(&mut self) {
        self.word.push(b'$');
        self.word.push(b'{');
        self.i += 2;
        let mut depth = 1usize;
        while let Some(c) = self.peek(0) {
            self.i += 1;
            if c == b'\n' {
                self.line += 1;
            }
            self.word.push(c);
            match c {
                b'\\' => {
                    if let Some(n) = self.peek(0) {
                        self.word.push(n);
                        self.i += 1;
                    }
                }
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        return;
                    }
                }
                _ => {}
            }
        }
    }

    fn double_quoted(&mut self) {
        self.i += 1;
        while let Some(c) = self.peek(0) {
            match c {
                b'"' => {
                    self.i += 1;
                    return;
                }
                b'\\' => match self.peek(1) {
                    Some(b'\n') => {
                        self.i += 2;
                        self.line += 1;
                    }
                    Some(n @ (b'$' | b'`' | b'"' | b'\\')) => {
                        self.word.push(n);
                        self.i += 2;
                    }
                    _ => {
                        self.word.push(b'\\');
                        self.i += 1;
                    }
                },
                b'$' if self.peek(1) == Some(b'(') => self.copy_substitution(),
                b'$' if self.peek(1) == Some(b'{') => self.copy_braced(),
                b'`' => self.copy_substitution(),
                _ => {
                    if c == b'\n' {
                        self.line += 1;
                    }
                    self.word.push(c);
                    self.i += 1;
                }
            }
        }
    }

    fn single_quoted(&mut self, ansi: bool) {
        self.i += 1;
        while let Some(c) = self.peek(0) {
            self.i += 1;
            if c == b'\'' {
                return;
            }
            if c == b'\n' {
                self.line += 1;
            }
            if ansi && c == b'\\' {
                if let Some(n) = self.peek(0) {
                    self.word.push(b'\\');
                    self.word.push(n);
                    self.i += 1;
                }
                continue;
            }
            self.word.push(c);
        }
    }

    /// Skip here-document bodies after a line break, storing them on their commands.
    fn read_heredocs(&mut self) {
        let pending = std::mem::take(&mut self.pending_heredocs);
        for (idx, delim, strip) in pending {
            let mut body = String::new();
            while self.i < self.b.len() {
                let start = self.i;
                let end = self.src[start..]
                    .find('\n')
                    .map_or(self.src.len(), |k| start + k + 1);
                let line = &self.src[start..end];
                self.i = end;
                self.line += 1;
                let t = line.trim_end_matches(['\n', '\r']);
                let t = if strip { t.trim_start_matches('\t') } else { t };
                if t == delim {
                    break;
                }
                body.push_str(if strip {
                    line.trim_start_matches('\t')
                } else {
                    line
                });
            }
            if let Some(cmd) = self.out.get_mut(idx) {
                cmd.heredocs.push(body);
            }
        }
    }

    fn redirect(&mut self, first: u8) {
        // a word made only of digits right before the operator is its fd
        let fd = if self.word_active
            && !self.word_quoted
            && !self.word.is_empty()
            && self.word.iter().all(u8::is_ascii_digit)
        {
            let fd = std::str::from_utf8(&self.word)
                .ok()
                .and_then(|w| w.parse().ok());
            self.word.clear();
            self.word_active = false;
            self.word_quote_at = None;
            fd
        } else {
            self.end_word();
            None
        };
        let mut op = String::from(first as char);
        self.i += 1;
        match (first, self.peek(0)) {
            (b'>', Some(c @ (b'>' | b'&' | b'|'))) | (b'<', Some(c @ (b'&' | b'>'))) => {
                op.push(c as char);
                self.i += 1;
            }
            (b'<', Some(b'<')) => {
                op.push('<');
                self.i += 1;
                match self.peek(0) {
                    Some(b'<') => {
                        op.push('<');
                        self.i += 1;
                    }
                    Some(b'-') => {
                        op.push('-');
                        self.i += 1;
                    }
                    _ => {}
                }
            }
            _ => {}
        }
        self.expect_target = Some((fd, op));
    }

    fn run(mut self) -> Vec<SimpleCommand> {
        while let Some(c) = self.peek(0) {
            match c {
                b' ' | b'\t' | b'\r' => {
                    self.end_word();
                    self.i += 1;
                }
                b'\n' => {
                    self.end_command(Separator::Newline);
                    self.i += 1;
                    self.line += 1;
                    if !self.pending_heredocs.is_empty() {
                        self.read_heredocs();
                    }
                }
                b'\\' => {
                    if self.peek(1) == Some(b'\n') {
                        self.i += 2;
                        self.line += 1;
                    } else {
                        self.start_word();
                        self.mark_quoted();
                        if let Some(n) = self.peek(1) {
                            self.word.push(n);
                        }
                        self.i += 2;
                    }
                }
                b'\'' => {
                    self.start_word();
                    self.mark_quoted();
                    self.single_quoted(false);
                }
                b'"' => {
                    self.start_word();
                    self.mark_quoted();
                    self.double_quoted();
                }
                b'`' => {
                    self.start_word();
                    self.copy_substitution();
                }
                b'$' => {
                    self.start_word();
                    match self.peek(1) {
                        Some(b'(') => self.copy_substitution(),
                        Some(b'{') => self.copy_braced(),
                        Some(b'\'') => {
                            self.mark_quoted();
                            self.i += 1;
                            self.single_quoted(true);
                        }
                        _ => {
                            self.word.push(b'$');
                            self.i += 1;
                        }
                    }
                }
                b'#' if !self.word_active => {
                    while let Some(n) = self.peek(0) {
                        if n == b'\n' {
                            break;
                        }
                        self.i += 1;
                    }
                }
                b';' => {
                    self.i += if self.peek(1) == Some(b';') { 2 } else { 1 };
                    self.end_command(Separator::Semicolon);
                }
                b'&' => match self.peek(1) {
                    Some(b'&') => {
                        self.i += 2;
                        self.end_command(Separator::And);
                    }
                    Some(b'>') => {
                        self.end_word();
                        self.i += 2;
                        let mut op = String::from("&>");
                        if self.peek(0) == Some(b'>') {
                            op.push('>');
                            self.i += 1;
                        }
                        self.expect_target = Some((None, op));
                    }
                    _ => {
                        self.i += 1;
                        self.end_command(Separator::Background);
                    }
                },
                b'|' => match self.peek(1) {
                    Some(b'|') => {
                        self.i += 2;
                        self.end_command(Separator::Or);
                    }
                    Some(b'&') => {
                        self.i += 2;
                        self.end_command(Separator::Pipe);
                    }
                    _ => {
                        self.i += 1;
                        self.end_command(Separator::Pipe);
                    }
                },
                b'(' | b')' => {
                    self.i += 1;
                    self.end_command(Separator::Semicolon);
                }
                b'<' | b'>' => self.redirect(c),
                _ => {
                    self.start_word();
                    self.word.push(c);
                    self.i += 1;
                }
            }
        }
        self.end_command(Separator::End);
        self.out
    }
}

/// Split a shell script into simple commands.
pub fn split_commands(script: &str) -> Vec<SimpleCommand> {
    Splitter {
        src: script,
        b: script.as_bytes(),
        i: 0,
        line: 0,
        out: Vec::new(),
        cur: empty_command(),
        word: Vec::new(),
        word_active: false,
        word_quoted: false,
        word_quote_at: None,
        word_start: 0,
        word_line: 0,
        expect_target: None,
        pending_heredocs: Vec::new(),
    }
    .run()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argvs(s: &str) -> Vec<Vec<String>> {
        split_commands(s).into_iter().map(|c| c.argv).collect()
    }

    #[test]
    fn operators() {
        let c = split_commands("a 1 && b 2 || c; d | e & f\ng");
        let got: Vec<(Vec<String>, Separator)> =
            c.into_iter().map(|c| (c.argv, c.separator)).collect();
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            got,
            vec![
                (s(&["a", "1"]), Separator::And),
                (s(&["b", "2"]), Separator::Or),
                (s(&["c"]), Separator::Semicolon),
                (s(&["d"]), Separator::Pipe),
                (s(&["e"]), Separator::Background),
                (s(&["f"]), Separator::Newline),
                (s(&["g"]), Separator::End),
            ]
        );
    }

    #[test]
    fn quotes_and_escapes() {
        assert_eq!(
            argvs(r#"echo "a && b" 'c; d' e\ f "x\"y" "\$HOME" '$HOME'"#),
            vec![vec![
                "echo", "a && b", "c; d", "e f", "x\"y", "$HOME", "$HOME"
            ]]
        );
        assert_eq!(argvs("a \\\n  b"), vec![vec!["a", "b"]]);
        assert_eq!(argvs("echo \"\""), vec![vec!["echo", ""]]);
    }

    #[test]
    fn substitutions_stay_whole() {
        assert_eq!(
            argvs("echo $(a && b | c) `d; e` ${X:-a b} \"$(f \")\")\""),
            vec![vec![
                "echo",
                "$(a && b | c)",
                "`d; e`",
                "${X:-a b}",
                "$(f \")\")"
            ]]
        );
    }

    #[test]
    fn compound_commands_are_flattened() {
        let c =
            argvs("if [ -f x ]; then apt-get install -y curl=7.0; else echo no; fi && { echo a; }");
        assert_eq!(
            c,
            vec![
                vec!["[", "-f", "x", "]"],
                vec!["apt-get", "install", "-y", "curl=7.0"],
                vec!["echo", "no"],
                vec!["echo", "a"],
            ]
        );
        assert_eq!(
            argvs("for p in a b; do pip install $p; done"),
            vec![
                vec!["for", "p", "in", "a", "b"],
                vec!["pip", "install", "$p"]
            ]
        );
        assert_eq!(
            argvs("(cd /src && make) | tee log"),
            vec![vec!["cd", "/src"], vec!["make"], vec!["tee", "log"]]
        );
    }

    #[test]
    fn assignments_and_redirects() {
        let c = split_commands(
            "DEBIAN_FRONTEND=noninteractive apt-get update >/dev/null 2>&1 </dev/null",
        );
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].assignments, vec!["DEBIAN_FRONTEND=noninteractive"]);
        assert_eq!(c[0].argv, vec!["apt-get", "update"]);
        let r: Vec<(Option<u32>, &str, &str)> = c[0]
            .redirects
            .iter()
            .map(|r| (r.fd, r.op.as_str(), r.target.as_str()))
            .collect();
        assert_eq!(
            r,
            vec![
                (None, ">", "/dev/null"),
                (Some(2), ">&", "1"),
                (None, "<", "/dev/null")
            ]
        );
        let c = split_commands("make &> log; x=1");
        assert_eq!(c[0].redirects[0].op, "&>");
        assert_eq!(c[1].assignments, vec!["x=1"]);
        assert!(c[1].argv.is_empty());
        let c = split_commands("X=\"a b\" Y=$(id -u) cmd; \"Z=1\" cmd");
        assert_eq!(c[0].assignments, vec!["X=a b", "Y=$(id -u)"]);
        assert_eq!(c[0].argv, vec!["cmd"]);
        assert_eq!(c[1].argv, vec!["Z=1", "cmd"]);
    }

    #[test]
    fn comments_and_heredocs() {
        let s = "# comment && x\ncat <<EOF > /etc/conf # trailing\nline && not a command\nEOF\necho done\ncat <<-'X'\n\tbody $y\n\tX\nls";
        let c = split_commands(s);
        let names: Vec<&str> = c.iter().filter_map(|c| c.name()).collect();
        assert_eq!(names, vec!["cat", "echo", "cat", "ls"]);
        assert_eq!(c[0].heredocs, vec!["line && not a command\n"]);
        assert_eq!(c[0].redirects[1].target, "/etc/conf");
        assert_eq!(c[1].line, 4);
        assert_eq!(c[2].heredocs, vec!["body $y\n"]);
        assert_eq!(c[3].line, 8);
        assert_eq!(c[3].separator, Separator::End);
    }

    #[test]
    fn non_ascii_words() {
        assert_eq!(
            argvs("echo héllo 'wörld' && ünïcode $'a\\tb' ×"),
            vec![
                vec!["echo", "héllo", "wörld"],
                vec!["ünïcode", "a\\tb", "×"]
            ]
        );
    }

    #[test]
    fn positions() {
        let s = "a && \\\n  b";
        let c = split_commands(s);
        assert_eq!(c[0].offset, 0);
        assert_eq!(c[1].offset, 9);
        assert_eq!(c[1].line, 1);
        assert_eq!(c[1].base_name(), Some("b"));
    }

    #[test]
    fn unterminated_input_does_not_panic() {
        for s in [
            "echo \"abc",
            "echo 'abc",
            "echo $(abc",
            "echo ${abc",
            "echo `abc",
            "cat <<EOF\nabc",
            "a >",
            "\\",
            "$",
            "a |",
        ] {
            let _ = split_commands(s);
        }
    }
}
