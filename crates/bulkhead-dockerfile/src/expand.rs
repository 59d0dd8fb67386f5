//! Variable substitution as BuildKit's shell lexer (`frontend/dockerfile/shell/lex.go`) does it for
//! `ENV`, `ARG`, `FROM`, `ADD`/`COPY`, `WORKDIR`, `USER`, `EXPOSE`, `LABEL`, `VOLUME`, `STOPSIGNAL`
//! and flag values such as `COPY --from` / `--chown`.
//!
//! Supported: `$VAR`, `${VAR}`, `${VAR:-word}`, `${VAR-word}`, `${VAR:+word}`, `${VAR+word}`,
//! `${VAR:?msg}`, `${VAR?msg}`, `${VAR#glob}`, `${VAR##glob}`, `${VAR%glob}`, `${VAR%%glob}`,
//! `${VAR/glob/repl}`, `${VAR//glob/repl}`; single quotes suppress expansion; double quotes keep
//! spaces; the escape character (`\` or the one set by `# escape=`) escapes the next character,
//! inside double quotes only `"`, `$` and itself. Like BuildKit, a variable is *unset* (not merely
//! empty) when the environment does not contain it: `${VAR-x}` differs from `${VAR:-x}` only there.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::BuildHasher;

use crate::budget::{ExpandBudget, ExpandLimits};

/// Nesting depth of `${...${...}}` beyond which the lexer gives up (BuildKit has no limit; this keeps
/// hostile input from exhausting the stack).
const MAX_DEPTH: usize = 64;

/// Anything that can answer "what is the value of variable NAME?"; `None` means unset.
pub trait EnvLookup {
    /// The value of `name`, or `None` when unset.
    fn lookup(&self, name: &str) -> Option<&str>;

    /// Whether `name` is known to be unset (declared, as by `ARG NAME` without default) rather than
    /// merely absent. With [`Lexer::skip_unset`], references to absent variables are kept as written
    /// while references to known-unset ones are expanded as unset (`${NAME:-x}` gives `x`).
    fn is_known_unset(&self, _name: &str) -> bool {
        false
    }
}

impl<S: BuildHasher> EnvLookup for HashMap<String, String, S> {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

impl EnvLookup for BTreeMap<String, String> {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

/// A list of `(name, value)` pairs; a later pair wins over an earlier one with the same name.
impl EnvLookup for [(&str, &str)] {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.iter().rev().find(|(k, _)| *k == name).map(|(_, v)| *v)
    }
}

impl<const N: usize> EnvLookup for [(&str, &str); N] {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.as_slice().lookup(name)
    }
}

impl<T: EnvLookup + ?Sized> EnvLookup for &T {
    fn lookup(&self, name: &str) -> Option<&str> {
        (**self).lookup(name)
    }
    fn is_known_unset(&self, name: &str) -> bool {
        (**self).is_known_unset(name)
    }
}

/// The empty environment: every variable is unset.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoEnv;

impl EnvLookup for NoEnv {
    fn lookup(&self, _name: &str) -> Option<&str> {
        None
    }
}

/// Why a word could not be processed (BuildKit fails the build with the same condition), or why
/// its substitution was stopped (over the [`ExpandBudget`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("failed to process {word:?}: {message}")]
pub struct ExpandError {
    /// The word that was being processed.
    pub word: String,
    /// What went wrong, e.g. `syntax error: bad substitution`.
    pub message: String,
    /// The word went over a limit of the expansion budget (it is not a syntax error: BuildKit
    /// would try to build it).
    pub over_budget: bool,
}

/// The result of processing one word.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expansion {
    /// The processed word (quotes removed, variables substituted, inner spaces kept).
    pub value: String,
    /// The processed word split into fields on unquoted whitespace (BuildKit's `ProcessWords`).
    pub words: Vec<String>,
    /// Variables referenced and found.
    pub matched: BTreeSet<String>,
    /// Variables referenced but unset (BuildKit's `UndefinedVar` check uses these).
    pub unmatched: BTreeSet<String>,
}

/// BuildKit's shell lexer with its options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lexer {
    /// The escape character: `\` by default, `` ` `` after `# escape=``.
    pub escape: char,
    /// Keep quote characters in the output.
    pub raw_quotes: bool,
    /// Keep escape characters in the output.
    pub raw_escapes: bool,
    /// Leave references to unset variables as written (`$X`, `${X:-y}`) instead of expanding them
    /// (except those the environment reports as [`EnvLookup::is_known_unset`]).
    pub skip_unset: bool,
    /// Treat quotes as ordinary characters.
    pub skip_process_quotes: bool,
}

impl Default for Lexer {
    fn default() -> Self {
        Lexer::new('\\')
    }
}

impl Lexer {
    /// A lexer with the given escape character and every option off (BuildKit's `NewLex`).
    pub fn new(escape: char) -> Self {
        Lexer {
            escape,
            raw_quotes: false,
            raw_escapes: false,
            skip_unset: false,
            skip_process_quotes: false,
        }
    }

    /// Process `word` against `env` with a budget of its own ([`ExpandLimits::DEFAULT`]).
    pub fn process(&self, word: &str, env: &dyn EnvLookup) -> Result<Expansion, ExpandError> {
        self.process_in(word, env, &ExpandBudget::new(ExpandLimits::DEFAULT))
    }

    /// Process `word` against `env`, charging what variables contribute to `budget`: a word whose
    /// substitutions exceed [`ExpandLimits::max_word_bytes`], or any word once the file's budget is
    /// spent, is an [`ExpandError`] with `over_budget` (checked while substituting: nothing larger
    /// than the limit is ever built).
    pub fn process_in(
        &self,
        word: &str,
        env: &dyn EnvLookup,
        budget: &ExpandBudget,
    ) -> Result<Expansion, ExpandError> {
        let mut st = State {
            src: word,
            pos: 0,
            env,
            lex: *self,
            raw_escapes: self.raw_escapes,
            depth: 0,
            matched: BTreeSet::new(),
            unmatched: BTreeSet::new(),
            budget,
            substituted: 0,
            over_budget: false,
        };
        if budget.exhausted() {
            return Err(ExpandError {
                word: word.to_string(),
                message: "the file's expansion budget is spent".to_string(),
                over_budget: true,
            });
        }
        match st.process_stop_on(None, self.raw_escapes) {
            Ok((value, words)) => Ok(Expansion {
                value,
                words,
                matched: st.matched,
                unmatched: st.unmatched,
            }),
            Err(message) => Err(ExpandError {
                word: word.to_string(),
                message,
                over_budget: st.over_budget,
            }),
        }
    }
}

/// Expand `word` with `env` like BuildKit does for `ENV`/`COPY`/`WORKDIR`/… (escape character `\`).
/// Quotes are removed. On a syntax error (for example `${X` or an unterminated quote, which make
/// BuildKit fail the build) the word is returned unchanged; use [`try_expand`] to see the error.
pub fn expand(word: &str, env: &(impl EnvLookup + ?Sized)) -> String {
    try_expand(word, env).unwrap_or_else(|_| word.to_string())
}

/// [`expand`] that reports syntax errors.
pub fn try_expand(word: &str, env: &(impl EnvLookup + ?Sized)) -> Result<String, ExpandError> {
    Lexer::new('\\')
        .process(word, &EnvRef(env))
        .map(|e| e.value)
}

/// Expand `word` and split the result into fields on unquoted whitespace (BuildKit's `ProcessWords`).
pub fn expand_words(
    word: &str,
    env: &(impl EnvLookup + ?Sized),
) -> Result<Vec<String>, ExpandError> {
    Lexer::new('\\')
        .process(word, &EnvRef(env))
        .map(|e| e.words)
}

/// Remove quotes and escapes but leave every variable reference as written: the literal text of a
/// word before any environment is known. Falls back to `word` itself when it does not lex.
pub fn unquote(word: &str, escape: char) -> String {
    let lex = Lexer {
        skip_unset: true,
        ..Lexer::new(escape)
    };
    lex.process(word, &NoEnv)
        .map(|e| e.value)
        .unwrap_or_else(|_| word.to_string())
}

/// Adapter so that `&(impl EnvLookup + ?Sized)` can become `&dyn EnvLookup`.
struct EnvRef<'a, T: ?Sized>(&'a T);

impl<T: EnvLookup + ?Sized> EnvLookup for EnvRef<'_, T> {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.0.lookup(name)
    }
    fn is_known_unset(&self, name: &str) -> bool {
        self.0.is_known_unset(name)
    }
}

struct State<'a> {
    src: &'a str,
    /// Byte position in `src`.
    pos: usize,
    env: &'a dyn EnvLookup,
    lex: Lexer,
    raw_escapes: bool,
    depth: usize,
    matched: BTreeSet<String>,
    unmatched: BTreeSet<String>,
    budget: &'a ExpandBudget,
    /// Bytes variables contributed to this word so far (at every nesting level).
    substituted: usize,
    /// The error being returned is a budget breach.
    over_budget: bool,
}

#[derive(Default)]
struct Words {
    buf: String,
    words: Vec<String>,
    in_word: bool,
}

impl Words {
    fn add_char(&mut self, ch: char) {
        if ch.is_whitespace() {
            if self.in_word && !self.buf.is_empty() {
                self.words.push(std::mem::take(&mut self.buf));
                self.in_word = false;
            }
        } else {
            self.add_raw_char(ch);
        }
    }
    fn add_raw_char(&mut self, ch: char) {
        self.buf.push(ch);
        self.in_word = true;
    }
    fn add_string(&mut self, s: &str) {
        for ch in s.chars() {
            self.add_char(ch);
        }
    }
    fn add_raw_string(&mut self, s: &str) {
        self.buf.push_str(s);
        self.in_word = true;
    }
    fn finish(mut self) -> Vec<String> {
        if !self.buf.is_empty() {
            self.words.push(self.buf);
        }
        self.words
    }
}

type LexResult<T> = Result<T, String>;

impl State<'_> {
    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    /// Charge `n` bytes produced by substitution to this word and to the file.
    fn charge(&mut self, n: usize) -> LexResult<()> {
        self.substituted = self.substituted.saturating_add(n);
        let max = self.budget.limits().max_word_bytes;
        if self.substituted > max {
            self.over_budget = true;
            return Err(format!(
                "a word's variables expand to more than {max} bytes"
            ));
        }
        if let Err(e) = self.budget.charge(n) {
            self.over_budget = true;
            return Err(e);
        }
        Ok(())
    }

    /// The value of `name` (its copy charged to the budget), and whether an unset reference must
    /// be kept as written.
    fn get_env(&mut self, name: &str) -> LexResult<(Option<String>, bool)> {
        match self.env.lookup(name) {
            Some(v) => {
                self.charge(v.len())?;
                self.matched.insert(name.to_string());
                Ok((Some(v.to_string()), false))
            }
            None => {
                self.unmatched.insert(name.to_string());
                Ok((None, self.lex.skip_unset && !self.env.is_known_unset(name)))
            }
        }
    }

    fn process_stop_on(
        &mut self,
        stop: Option<char>,
        raw_escapes: bool,
    ) -> LexResult<(String, Vec<String>)> {
        if self.depth >= MAX_DEPTH {
            return Err("substitution nested too deeply".to_string());
        }
        self.depth += 1;
        let saved = self.raw_escapes;
        self.raw_escapes = raw_escapes;
        let r = self.stop_on_inner(stop);
        self.raw_escapes = saved;
        self.depth -= 1;
        r
    }

    fn stop_on_inner(&mut self, stop: Option<char>) -> LexResult<(String, Vec<String>)> {
        let mut result = String::new();
        let mut words = Words::default();
        while let Some(ch) = self.peek() {
            if stop == Some(ch) {
                self.next();
                return Ok((result, words.finish()));
            }
            if ch == '$' {
                let tmp = self.process_dollar()?;
                result.push_str(&tmp);
                words.add_string(&tmp);
            } else if ch == '\'' && !self.lex.skip_process_quotes {
                let tmp = self.process_single_quote()?;
                result.push_str(&tmp);
                words.add_raw_string(&tmp);
            } else if ch == '"' && !self.lex.skip_process_quotes {
                let tmp = self.process_double_quote()?;
                result.push_str(&tmp);
                words.add_raw_string(&tmp);
            } else {
                self.next();
                if ch == self.lex.escape {
                    if self.raw_escapes {
                        words.add_raw_char(ch);
                        result.push(ch);
                    }
                    match self.next() {
                        None => break,
                        Some(c) => {
                            words.add_raw_char(c);
                            result.push(c);
                        }
                    }
                } else {
                    words.add_char(ch);
                    result.push(ch);
                }
            }
        }
        if let Some(s) = stop {
            return Err(format!(
                "unexpected end of statement while looking for matching {s}"
            ));
        }
        Ok((result, words.finish()))
    }

    fn process_single_quote(&mut self) -> LexResult<String> {
        let mut result = String::new();
        let q = self.next();
        if self.lex.raw_quotes {
            result.extend(q);
        }
        loop {
            match self.next() {
                None => {
                    return Err(
                        "unexpected end of statement while looking for matching single-quote"
                            .to_string(),
                    );
                }
                Some('\'') => {
                    if self.lex.raw_quotes {
                        result.push('\'');
                    }
                    return Ok(result);
                }
                Some(c) => result.push(c),
            }
        }
    }

    fn process_double_quote(&mut self) -> LexResult<String> {
        let mut result = String::new();
        let q = self.next();
        if self.lex.raw_quotes {
            result.extend(q);
        }
        loop {
            match self.peek() {
                None => {
                    return Err(
                        "unexpected end of statement while looking for matching double-quote"
                            .to_string(),
                    );
                }
                Some('"') => {
                    self.next();
                    if self.lex.raw_quotes {
                        result.push('"');
                    }
                    return Ok(result);
                }
                Some('$') => {
                    let v = self.process_dollar()?;
                    result.push_str(&v);
                }
                Some(_) => {
                    let mut ch = self.next().unwrap_or_default();
                    if ch == self.lex.escape {
                        if self.raw_escapes {
                            result.push(ch);
                        }
                        match self.peek() {
                            None => continue,
                            Some(c) if c == '"' || c == '$' || c == self.lex.escape => {
                                self.next();
                                ch = c;
                            }
                            Some(_) => {}
                        }
                    }
                    result.push(ch);
                }
            }
        }
    }

    fn process_name(&mut self) -> String {
        let mut name = String::new();
        while let Some(ch) = self.peek() {
            if name.is_empty() && ch.is_numeric() {
                while let Some(c) = self.peek() {
                    if !c.is_numeric() {
                        break;
                    }
                    self.next();
                    name.push(c);
                }
                return name;
            }
            if name.is_empty() && matches!(ch, '@' | '*' | '#' | '?' | '-' | '$' | '!' | '0') {
                self.next();
                return ch.to_string();
            }
            if !(ch.is_alphabetic() || ch.is_numeric() || ch == '_') {
                break;
            }
            self.next();
            name.push(ch);
        }
        name
    }

    fn word_until(&mut self, stop: char, raw_escapes: bool, missing: &str) -> LexResult<String> {
        match self.process_stop_on(Some(stop), raw_escapes) {
            Ok((w, _)) => Ok(w),
            Err(e) => {
                if self.peek().is_none() {
                    Err(missing.to_string())
                } else {
                    Err(e)
                }
            }
        }
    }

    fn process_dollar(&mut self) -> LexResult<String> {
        self.next(); // '$'
        if self.peek() != Some('{') {
            let name = self.process_name();
            if name.is_empty() {
                return Ok("$".to_string());
            }
            return Ok(match self.get_env(&name)? {
                (Some(v), _) => v,
                (None, true) => format!("${name}"),
                (None, false) => String::new(),
            });
        }
        self.next(); // '{'
        match self.peek() {
            None => return Err("syntax error: missing '}'".to_string()),
            Some('{' | '}' | ':') => return Err("syntax error: bad substitution".to_string()),
            Some(_) => {}
        }
        let name = self.process_name();
        let missing_brace = "syntax error: missing '}'";
        match self.next() {
            None => Err(missing_brace.to_string()),
            Some('}') => Ok(match self.get_env(&name)? {
                (Some(v), _) => v,
                (None, true) => format!("${{{name}}}"),
                (None, false) => String::new(),
            }),
            Some(c @ (':' | '+' | '-' | '?' | '#' | '%')) => {
                let mut chs = c.to_string();
                let mut modifier = c;
                let null_is_unset = c == ':';
                if null_is_unset {
                    match self.next() {
                        Some(c2) => {
                            modifier = c2;
                            chs.push(c2);
                        }
                        None => return Err(missing_brace.to_string()),
                    }
                }
                let raw = modifier == '#' || modifier == '%';
                if null_is_unset && raw {
                    return Err(format!("unsupported modifier ({chs}) in substitution"));
                }
                let mut word = self.word_until('}', raw, missing_brace)?;
                let (value, keep) = self.get_env(&name)?;
                if keep {
                    return Ok(format!("${{{name}{chs}{word}}}"));
                }
                let set = value.is_some();
                let value = value.unwrap_or_default();
                match modifier {
                    '-' => Ok(if !set || (null_is_unset && value.is_empty()) {
                        word
                    } else {
                        value
                    }),
                    '+' => Ok(if !set || (null_is_unset && value.is_empty()) {
                        String::new()
                    } else {
                        word
                    }),
                    '?' => {
                        if !set {
                            let m = if word.is_empty() {
                                "is not allowed to be unset".to_string()
                            } else {
                                word
                            };
                            return Err(format!("{name}: {m}"));
                        }
                        if null_is_unset && value.is_empty() {
                            let m = if word.is_empty() {
                                "is not allowed to be empty".to_string()
                            } else {
                                word
                            };
                            return Err(format!("{name}: {m}"));
                        }
                        Ok(value)
                    }
                    '%' | '#' => {
                        let greedy = word.starts_with(modifier);
                        if greedy {
                            word.remove(0);
                        }
                        // The pattern is matched against the value (and reversed for `%`).
                        self.charge(value.len())?;
                        if modifier == '%' {
                            trim_suffix(&word, &value, greedy)
                        } else {
                            trim_prefix(&word, &value, greedy)
                        }
                    }
                    _ => Err(format!("unsupported modifier ({chs}) in substitution")),
                }
            }
            Some('/') => {
                let replace_all = self.peek() == Some('/');
                if replace_all {
                    self.next();
                }
                let pattern = self.word_until('/', true, "syntax error: missing '/' in ${}")?;
                let replacement = self.word_until('}', true, missing_brace)?;
                let (value, keep) = self.get_env(&name)?;
                let Some(value) = value else {
                    if keep {
                        return Ok(format!("${{{name}/{pattern}/{replacement}}}"));
                    }
                    return Ok(String::new());
                };
                let re = pattern_to_regex(&pattern, true, false)?;
                self.replace(&re, &value, &replacement, replace_all)
            }
            Some(c) => Err(format!("unsupported modifier ({c}) in substitution")),
        }
    }

    /// `${VAR/pattern/replacement}` (`//`: every match), built a match at a time with each
    /// replacement charged to the budget (so `${A//?/$A}` cannot square a value unnoticed) and
    /// each search charged the bytes it may scan (a regex search from a position can scan to the
    /// end of the value).
    fn replace(
        &mut self,
        re: &regex::Regex,
        value: &str,
        replacement: &str,
        all: bool,
    ) -> LexResult<String> {
        let mut out = String::new();
        let mut last = 0;
        self.charge(value.len())?;
        for m in re.find_iter(value) {
            // The next search may scan what is left of the value.
            self.charge(value.len() - m.end())?;
            self.charge(replacement.len())?;
            out.push_str(&value[last..m.start()]);
            out.push_str(replacement);
            last = m.end();
            if !all {
                break;
            }
        }
        out.push_str(&value[last..]);
        Ok(out)
    }
}

/// Shell glob (`*`, `?`, `\` escapes; no bracket expressions) to a regular expression, as BuildKit's
/// `convertShellPatternToRegex`.
fn pattern_to_regex(pattern: &str, greedy: bool, anchored: bool) -> LexResult<regex::Regex> {
    let mut out = String::with_capacity(pattern.len() + 4);
    if anchored {
        out.push('^');
    }
    let star = if greedy { ".*" } else { ".*?" };
    let mut it = pattern.chars().peekable();
    while let Some(tok) = it.next() {
        match tok {
            '*' => out.push_str(star),
            '?' => out.push('.'),
            '\\' => {
                if matches!(it.peek(), Some('}' | '/')) {
                    continue;
                }
                match it.next() {
                    Some(c @ ('*' | '?' | '\\')) => {
                        out.push('\\');
                        out.push(c);
                    }
                    Some(c) => {
                        return Err(format!(
                            "invalid pattern ({pattern}) in substitution: invalid escape '\\{c}'"
                        ));
                    }
                    None => {
                        return Err(format!(
                            "invalid pattern ({pattern}) in substitution: trailing escape"
                        ));
                    }
                }
            }
            '[' | ']' | '{' | '}' | '.' | '+' | '(' | ')' | '|' | '^' | '$' => {
                out.push('\\');
                out.push(tok);
            }
            c => out.push(c),
        }
    }
    regex::RegexBuilder::new(&out)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| format!("invalid pattern ({pattern}) in substitution: {e}"))
}

fn trim_prefix(pattern: &str, value: &str, greedy: bool) -> LexResult<String> {
    let re = pattern_to_regex(pattern, greedy, true)?;
    Ok(match re.find(value) {
        Some(m) => value[m.end()..].to_string(),
        None => value.to_string(),
    })
}

/// Reverse a pattern without reversing escapes (`a\*c` → `c\*a`).
fn reverse_pattern(pattern: &str) -> String {
    let p: Vec<char> = pattern.chars().collect();
    if p.is_empty() {
        return String::new();
    }
    let last = p.len() - 1;
    let mut out = vec!['\0'; p.len()];
    let mut i = 0;
    while i <= last {
        let out_idx = last - i;
        if p[i] == '\\' && i != last {
            out[out_idx - 1] = '\\';
            out[out_idx] = p[i + 1];
            i += 2;
        } else {
            out[out_idx] = p[i];
            i += 1;
        }
    }
    out.into_iter().collect()
}

fn trim_suffix(pattern: &str, value: &str, greedy: bool) -> LexResult<String> {
    let rp = reverse_pattern(pattern);
    let rv: String = value.chars().rev().collect();
    let r = trim_prefix(&rp, &rv, greedy)?;
    Ok(r.chars().rev().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Vec<(&'static str, &'static str)> {
        vec![
            ("A", "alpha"),
            ("EMPTY", ""),
            ("P", "/usr/local/lib/file.tar.gz"),
            ("SP", "a b"),
        ]
    }

    fn x(word: &str) -> String {
        try_expand(word, env().as_slice()).unwrap()
    }

    #[test]
    fn simple_forms() {
        assert_eq!(x("$A"), "alpha");
        assert_eq!(x("${A}"), "alpha");
        assert_eq!(x("x${A}y"), "xalphay");
        assert_eq!(x("$A-$B"), "alpha-");
        assert_eq!(x("$"), "$");
        assert_eq!(x("a$"), "a$");
        assert_eq!(x("$1"), "");
        assert_eq!(x("$A_B"), "");
    }

    #[test]
    fn default_and_alternative_forms() {
        assert_eq!(x("${A:-d}"), "alpha");
        assert_eq!(x("${NOPE:-d}"), "d");
        assert_eq!(x("${EMPTY:-d}"), "d");
        assert_eq!(x("${EMPTY-d}"), "");
        assert_eq!(x("${NOPE-d}"), "d");
        assert_eq!(x("${A:+alt}"), "alt");
        assert_eq!(x("${EMPTY:+alt}"), "");
        assert_eq!(x("${EMPTY+alt}"), "alt");
        assert_eq!(x("${NOPE+alt}"), "");
        assert_eq!(x("${NOPE:-${A}}"), "alpha");
        assert_eq!(x("${NOPE:-a b}"), "a b");
    }

    #[test]
    fn required_forms() {
        assert_eq!(x("${A:?boom}"), "alpha");
        let e = try_expand("${NOPE:?must be set}", env().as_slice()).unwrap_err();
        assert_eq!(e.message, "NOPE: must be set");
        let e = try_expand("${EMPTY:?}", env().as_slice()).unwrap_err();
        assert_eq!(e.message, "EMPTY: is not allowed to be empty");
        assert_eq!(x("${EMPTY?}"), "");
        let e = try_expand("${NOPE?}", env().as_slice()).unwrap_err();
        assert_eq!(e.message, "NOPE: is not allowed to be unset");
    }

    #[test]
    fn pattern_forms() {
        assert_eq!(x("${P#*/}"), "usr/local/lib/file.tar.gz");
        assert_eq!(x("${P##*/}"), "file.tar.gz");
        assert_eq!(x("${P%.*}"), "/usr/local/lib/file.tar");
        assert_eq!(x("${P%%.*}"), "/usr/local/lib/file");
        assert_eq!(x("${P/lib/LIB}"), "/usr/local/LIB/file.tar.gz");
        assert_eq!(x("${A/a/A}"), "Alpha");
        assert_eq!(x("${A//a/A}"), "AlphA");
        assert_eq!(x("${A#zzz}"), "alpha");
        assert!(try_expand("${A:#x}", env().as_slice()).is_err());
    }

    #[test]
    fn quotes_and_escapes() {
        assert_eq!(x("'$A'"), "$A");
        assert_eq!(x("\"$A\""), "alpha");
        assert_eq!(x("\\$A"), "$A");
        assert_eq!(x("\"\\$A\""), "$A");
        assert_eq!(x("\"a\\b\""), "a\\b");
        assert_eq!(x("\"a\\\"b\""), "a\"b");
        assert_eq!(x("a\\ b"), "a b");
        assert_eq!(x("it's'"), "its");
        assert_eq!(x("'a'\"b\"c"), "abc");
        // trailing escape is dropped
        assert_eq!(x("ab\\"), "ab");
    }

    #[test]
    fn backtick_escape() {
        let lex = Lexer::new('`');
        let e = lex.process("`$A \\$A", &env().as_slice()).unwrap();
        assert_eq!(e.value, "$A \\alpha");
    }

    #[test]
    fn errors() {
        for bad in ["${A", "${}", "${:-x}", "'abc", "\"abc", "${A:x}", "${A/x"] {
            assert!(
                try_expand(bad, env().as_slice()).is_err(),
                "{bad} should not expand"
            );
            assert_eq!(expand(bad, env().as_slice()), bad);
        }
    }

    #[test]
    fn words_split_after_expansion() {
        let w = expand_words("x $SP \"c d\" ''", env().as_slice()).unwrap();
        assert_eq!(w, vec!["x", "a", "b", "c d"]);
    }

    #[test]
    fn skip_unset_keeps_references() {
        let lex = Lexer {
            skip_unset: true,
            ..Lexer::new('\\')
        };
        let e = lex
            .process("$A $NOPE ${NOPE} ${NOPE:-x} ${NOPE/a/b}", &env().as_slice())
            .unwrap();
        assert_eq!(e.value, "alpha $NOPE ${NOPE} ${NOPE:-x} ${NOPE/a/b}");
        assert!(e.unmatched.contains("NOPE"));
        assert!(e.matched.contains("A"));
        assert_eq!(unquote("\"$X\" 'y'", '\\'), "$X y");
    }

    #[test]
    fn raw_quotes_and_escapes() {
        let lex = Lexer {
            raw_quotes: true,
            raw_escapes: true,
            skip_unset: true,
            ..Lexer::new('\\')
        };
        let e = lex.process("cat <<\"EOF\" a\\ b", &NoEnv).unwrap();
        assert_eq!(e.words, vec!["cat", "<<\"EOF\"", "a\\ b"]);
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let mut w = String::new();
        for _ in 0..10_000 {
            w.push_str("${A:-");
        }
        assert!(try_expand(&w, &NoEnv).is_err());
    }

    #[test]
    fn reverse_pattern_keeps_escapes() {
        assert_eq!(reverse_pattern("a\\*c"), "c\\*a");
        assert_eq!(reverse_pattern(""), "");
    }
}
