//! Splitting of one logical instruction line, as BuildKit's `split_command.go` and
//! `line_parsers.go` do it. Every word keeps its byte offset in the logical line so that the caller
//! can turn it into a `line:column` position.

/// Lists stop growing at this many words: the parser rejects a file with more than
/// [`crate::MAX_WORDS`] words anyway, and stopping early bounds the memory of one instruction.
const WORD_CAP: usize = crate::parser::MAX_WORDS + 1;

/// A word and the byte offset of its first character in the logical line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawWord {
    pub text: String,
    pub offset: usize,
}

/// BuildKit's `reWhitespace`: `[\t\v\f\r ]+`.
pub(crate) fn is_split_ws(c: char) -> bool {
    matches!(c, '\t' | '\x0b' | '\x0c' | '\r' | ' ')
}

/// The parts of an instruction line.
#[derive(Debug)]
pub(crate) struct SplitLine {
    pub keyword: String,
    pub keyword_offset: usize,
    pub flags: Vec<RawWord>,
    /// Arguments after the flags, trimmed.
    pub rest: String,
    pub rest_offset: usize,
}

/// `splitCommand`: keyword, builder flags (`--name[=value]` words before the arguments), and the
/// remaining arguments.
pub(crate) fn split_command(line: &str) -> SplitLine {
    let lead = line.len() - line.trim_start().len();
    let trimmed = line.trim();
    let (keyword, after) = match trimmed.find(is_split_ws) {
        Some(i) => {
            let rest = &trimmed[i..];
            let skip = rest.len() - rest.trim_start_matches(is_split_ws).len();
            (&trimmed[..i], Some((lead + i + skip, &rest[skip..])))
        }
        None => (trimmed, None),
    };
    let mut out = SplitLine {
        keyword: keyword.to_string(),
        keyword_offset: lead,
        flags: Vec::new(),
        rest: String::new(),
        rest_offset: line.len(),
    };
    if let Some((off, args)) = after {
        let (flags, remaining) = extract_flags(args, off);
        out.flags = flags;
        let rem = &args[remaining..];
        let l2 = rem.len() - rem.trim_start().len();
        out.rest = rem.trim().to_string();
        out.rest_offset = off + remaining + l2;
    }
    out
}

/// `extractBuilderFlags`: leading words that start with `--`, with quotes removed and `\` escapes
/// processed (always `\`, whatever the escape directive says). A lone `--` ends the flags. Returns
/// the flags and the byte index in `line` where the arguments start.
fn extract_flags(line: &str, base: usize) -> (Vec<RawWord>, usize) {
    #[derive(PartialEq)]
    enum Phase {
        Spaces,
        Word,
        Quote,
    }
    let mut words = Vec::new();
    let mut phase = Phase::Spaces;
    let mut word = String::new();
    let mut word_start = 0;
    let mut quote = '\0';
    let mut blank_ok = false;
    let mut it = line.char_indices().peekable();
    loop {
        let Some((pos, ch)) = it.next() else {
            if phase != Phase::Spaces && word != "--" && (blank_ok || !word.is_empty()) {
                words.push(RawWord {
                    text: word,
                    offset: base + word_start,
                });
            }
            return (words, line.len());
        };
        if phase == Phase::Spaces {
            if ch.is_whitespace() {
                continue;
            }
            let next_is_dash = matches!(it.peek(), Some((_, '-')));
            if ch != '-' || !next_is_dash {
                return (words, pos);
            }
            phase = Phase::Word;
            word_start = pos;
        }
        match phase {
            Phase::Word => {
                if ch.is_whitespace() {
                    phase = Phase::Spaces;
                    if word == "--" {
                        return (words, pos);
                    }
                    if blank_ok || !word.is_empty() {
                        words.push(RawWord {
                            text: std::mem::take(&mut word),
                            offset: base + word_start,
                        });
                    }
                    word.clear();
                    blank_ok = false;
                    continue;
                }
                if ch == '\'' || ch == '"' {
                    quote = ch;
                    blank_ok = true;
                    phase = Phase::Quote;
                    continue;
                }
                if ch == '\\' {
                    match it.next() {
                        None => continue,
                        Some((_, c)) => word.push(c),
                    }
                    continue;
                }
                word.push(ch);
            }
            Phase::Quote => {
                if ch == quote {
                    phase = Phase::Word;
                    continue;
                }
                if ch == '\\' {
                    match it.next() {
                        None => {
                            phase = Phase::Word;
                            continue;
                        }
                        Some((_, c)) => word.push(c),
                    }
                    continue;
                }
                word.push(ch);
            }
            Phase::Spaces => unreachable!("handled above"),
        }
    }
}

/// `parseWords`: words separated by whitespace, quotes and escapes kept (they are removed later by
/// the shell lexer), used by ENV, LABEL and ARG.
pub(crate) fn parse_words(rest: &str, base: usize, escape: char) -> Vec<RawWord> {
    #[derive(PartialEq)]
    enum Phase {
        Spaces,
        Word,
        Quote,
    }
    let mut words = Vec::new();
    let mut phase = Phase::Spaces;
    let mut word = String::new();
    let mut start = 0;
    let mut quote = '\0';
    let mut blank_ok = false;
    let mut it = rest.char_indices().peekable();
    loop {
        let Some((pos, mut ch)) = it.next() else {
            if phase != Phase::Spaces && (blank_ok || !word.is_empty()) {
                words.push(RawWord {
                    text: word,
                    offset: base + start,
                });
            }
            return words;
        };
        if phase == Phase::Spaces {
            if ch.is_whitespace() {
                continue;
            }
            phase = Phase::Word;
            start = pos;
        }
        if phase == Phase::Word {
            if ch.is_whitespace() {
                phase = Phase::Spaces;
                if blank_ok || !word.is_empty() {
                    words.push(RawWord {
                        text: std::mem::take(&mut word),
                        offset: base + start,
                    });
                    if words.len() >= WORD_CAP {
                        return words;
                    }
                }
                blank_ok = false;
                continue;
            }
            if ch == '\'' || ch == '"' {
                quote = ch;
                blank_ok = true;
                phase = Phase::Quote;
            }
            if ch == escape {
                // an escape at the very end is dropped
                let Some((_, next)) = it.next() else {
                    continue;
                };
                word.push(ch);
                ch = next;
            }
            word.push(ch);
            continue;
        }
        // Phase::Quote
        if ch == quote {
            phase = Phase::Word;
        }
        if ch == escape && quote != '\'' {
            let Some((_, next)) = it.next() else {
                phase = Phase::Word;
                continue;
            };
            word.push(ch);
            ch = next;
        }
        word.push(ch);
    }
}

/// `parseStringsWhitespaceDelimited`: split on `[\t\v\f\r ]+` (no quote handling), used by FROM,
/// EXPOSE and the non-JSON forms of ADD, COPY and VOLUME.
pub(crate) fn split_ws(rest: &str, base: usize) -> Vec<RawWord> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (i, c) in rest.char_indices() {
        if is_split_ws(c) {
            if let Some(s) = start.take() {
                out.push(RawWord {
                    text: rest[s..i].to_string(),
                    offset: base + s,
                });
                if out.len() >= WORD_CAP {
                    return out;
                }
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        out.push(RawWord {
            text: rest[s..].to_string(),
            offset: base + s,
        });
    }
    out
}

/// What `parseJSON` made of an argument string.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Json {
    /// Not a JSON array (or not valid JSON): BuildKit silently uses the shell / word form.
    Invalid,
    /// Valid JSON array with a non-string element: a hard error in BuildKit.
    NotStringArray,
    /// The strings of the array, each with the offset of its opening quote.
    Array(Vec<RawWord>),
}

/// Go's `encoding/json` nesting limit.
const MAX_JSON_DEPTH: usize = 10_000;

/// `parseJSON`: the argument must start (after whitespace) with `[` and decode as one JSON value
/// (Go's `json.Decoder.Decode`, so data after the closing `]` is ignored).
pub(crate) fn parse_json(rest: &str, base: usize) -> Json {
    let lead = rest.len() - rest.trim_start().len();
    let s = &rest[lead..];
    if !s.starts_with('[') {
        return Json::Invalid;
    }
    let mut p = JsonParser {
        s: s.as_bytes(),
        src: s,
        i: 1,
    };
    let mut items = Vec::new();
    let mut all_strings = true;
    p.ws();
    if p.peek() == Some(b']') {
        return Json::Array(items);
    }
    loop {
        p.ws();
        match p.peek() {
            Some(b'"') => {
                let at = p.i;
                match p.string() {
                    Some(v) => items.push(RawWord {
                        text: v,
                        offset: base + lead + at,
                    }),
                    None => return Json::Invalid,
                }
                if items.len() >= WORD_CAP {
                    // over the parser's limit: the caller rejects the file
                    return Json::Array(items);
                }
            }
            Some(_) => {
                if !p.value() {
                    return Json::Invalid;
                }
                all_strings = false;
            }
            None => return Json::Invalid,
        }
        p.ws();
        match p.peek() {
            Some(b',') => p.i += 1,
            Some(b']') => break,
            _ => return Json::Invalid,
        }
    }
    if all_strings {
        Json::Array(items)
    } else {
        Json::NotStringArray
    }
}

struct JsonParser<'a> {
    s: &'a [u8],
    src: &'a str,
    i: usize,
}

impl JsonParser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let h = self.s.get(self.i..self.i + 4)?;
        let h = std::str::from_utf8(h).ok()?;
        let v = u32::from_str_radix(h, 16).ok()?;
        if !h.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.i += 4;
        Some(v)
    }

    /// A JSON string at `self.i` (which is `"`), decoded like Go does (lone surrogates → U+FFFD).
    fn string(&mut self) -> Option<String> {
        self.i += 1;
        let mut out = String::new();
        loop {
            let start = self.i;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.i += 1;
            }
            out.push_str(&self.src[start..self.i]);
            match self.peek()? {
                b'"' => {
                    self.i += 1;
                    return Some(out);
                }
                b'\\' => {
                    self.i += 1;
                    let e = self.peek()?;
                    self.i += 1;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let u = self.hex4()?;
                            if (0xD800..0xDC00).contains(&u) {
                                // high surrogate: pair only with an immediately following low one
                                let save = self.i;
                                if self.s.get(self.i) == Some(&b'\\')
                                    && self.s.get(self.i + 1) == Some(&b'u')
                                {
                                    self.i += 2;
                                    if let Some(lo) = self.hex4()
                                        && (0xDC00..0xE000).contains(&lo)
                                    {
                                        let c = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                                        out.push(char::from_u32(c).unwrap_or('\u{FFFD}'));
                                        continue;
                                    }
                                }
                                self.i = save;
                                out.push('\u{FFFD}');
                            } else {
                                out.push(char::from_u32(u).unwrap_or('\u{FFFD}'));
                            }
                        }
                        _ => return None,
                    }
                }
                _ => return None, // control character
            }
        }
    }

    fn literal(&mut self, lit: &[u8]) -> bool {
        if self.s.get(self.i..self.i + lit.len()) == Some(lit) {
            self.i += lit.len();
            true
        } else {
            false
        }
    }

    fn number(&mut self) -> bool {
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                while matches!(self.peek(), Some(b'0'..=b'9')) {
                    self.i += 1;
                }
            }
            _ => return false,
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return false;
            }
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.i += 1;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return false;
            }
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.i += 1;
            }
        }
        true
    }

    /// Validate any JSON value (iteratively, so nesting cannot exhaust the stack).
    fn value(&mut self) -> bool {
        // stack of open containers: b'[' or b'{'
        let mut stack: Vec<u8> = Vec::new();
        loop {
            // expect a value
            self.ws();
            match self.peek() {
                Some(b'"') => {
                    if self.string().is_none() {
                        return false;
                    }
                }
                Some(b'[') => {
                    self.i += 1;
                    stack.push(b'[');
                    if stack.len() > MAX_JSON_DEPTH {
                        return false;
                    }
                    self.ws();
                    if self.peek() == Some(b']') {
                        self.i += 1;
                        stack.pop();
                    } else {
                        continue;
                    }
                }
                Some(b'{') => {
                    self.i += 1;
                    stack.push(b'{');
                    if stack.len() > MAX_JSON_DEPTH {
                        return false;
                    }
                    self.ws();
                    if self.peek() == Some(b'}') {
                        self.i += 1;
                        stack.pop();
                    } else {
                        if !self.object_key() {
                            return false;
                        }
                        continue;
                    }
                }
                Some(b't') => {
                    if !self.literal(b"true") {
                        return false;
                    }
                }
                Some(b'f') => {
                    if !self.literal(b"false") {
                        return false;
                    }
                }
                Some(b'n') => {
                    if !self.literal(b"null") {
                        return false;
                    }
                }
                Some(b'-' | b'0'..=b'9') => {
                    if !self.number() {
                        return false;
                    }
                }
                _ => return false,
            }
            // after a value: close containers or move to the next element
            loop {
                let Some(&top) = stack.last() else {
                    return true;
                };
                self.ws();
                match (top, self.peek()) {
                    (_, Some(b',')) => {
                        self.i += 1;
                        if top == b'{' && !self.object_key() {
                            return false;
                        }
                        break;
                    }
                    (b'[', Some(b']')) | (b'{', Some(b'}')) => {
                        self.i += 1;
                        stack.pop();
                    }
                    _ => return false,
                }
            }
        }
    }

    /// `"key" :` inside an object.
    fn object_key(&mut self) -> bool {
        self.ws();
        if self.peek() != Some(b'"') || self.string().is_none() {
            return false;
        }
        self.ws();
        if self.peek() != Some(b':') {
            return false;
        }
        self.i += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(w: &[RawWord]) -> Vec<&str> {
        w.iter().map(|w| w.text.as_str()).collect()
    }

    #[test]
    fn split_command_with_flags() {
        let s =
            split_command("RUN --mount=type=cache,target=/root/.cache --network=none  echo hi ");
        assert_eq!(s.keyword, "RUN");
        assert_eq!(
            texts(&s.flags),
            vec!["--mount=type=cache,target=/root/.cache", "--network=none"]
        );
        assert_eq!(s.flags[0].offset, 4);
        assert_eq!(s.rest, "echo hi");
        assert_eq!(
            &"RUN --mount=type=cache,target=/root/.cache --network=none  echo hi "
                [s.rest_offset..s.rest_offset + 7],
            "echo hi"
        );
    }

    #[test]
    fn flags_quotes_escapes_and_terminator() {
        let s = split_command(r#"COPY --chown="a b" --from=x\ y -- --notaflag /d"#);
        assert_eq!(texts(&s.flags), vec!["--chown=a b", "--from=x y"]);
        assert_eq!(s.rest, "--notaflag /d");
        let s = split_command("COPY --link");
        assert_eq!(texts(&s.flags), vec!["--link"]);
        assert_eq!(s.rest, "");
        let s = split_command("RUN -x");
        assert!(s.flags.is_empty());
        assert_eq!(s.rest, "-x");
        let s = split_command("  FROM");
        assert_eq!(s.keyword, "FROM");
        assert_eq!(s.keyword_offset, 2);
    }

    #[test]
    fn words_keep_quotes() {
        let w = parse_words(r#"a=1 b="x y" c='p q'  d=\ e"#, 0, '\\');
        assert_eq!(texts(&w), vec!["a=1", "b=\"x y\"", "c='p q'", "d=\\ e"]);
        assert_eq!(w[1].offset, 4);
        let w = parse_words("k=\"\"", 0, '\\');
        assert_eq!(texts(&w), vec!["k=\"\""]);
        let w = parse_words("a\\", 0, '\\');
        assert_eq!(texts(&w), vec!["a"]);
    }

    #[test]
    fn whitespace_split() {
        let w = split_ws("a  b\tc", 10);
        assert_eq!(texts(&w), vec!["a", "b", "c"]);
        assert_eq!(w[2].offset, 15);
        assert!(split_ws("", 0).is_empty());
    }

    #[test]
    fn json_forms() {
        assert_eq!(
            parse_json(r#" ["a", "b \"q\"", "\u00e9\n"]"#, 0),
            Json::Array(vec![
                RawWord {
                    text: "a".into(),
                    offset: 2
                },
                RawWord {
                    text: "b \"q\"".into(),
                    offset: 7
                },
                RawWord {
                    text: "é\n".into(),
                    offset: 18
                },
            ])
        );
        assert_eq!(parse_json("[]", 0), Json::Array(vec![]));
        assert_eq!(
            parse_json(r#"["a"] trailing"#, 0),
            Json::Array(vec![RawWord {
                text: "a".into(),
                offset: 1
            }])
        );
        assert_eq!(parse_json(r#"["a", 1]"#, 0), Json::NotStringArray);
        assert_eq!(
            parse_json(r#"["a", {"k": [1, null, true]}]"#, 0),
            Json::NotStringArray
        );
        assert_eq!(parse_json(r#"["a" "b"]"#, 0), Json::Invalid);
        assert_eq!(parse_json(r#"['a']"#, 0), Json::Invalid);
        assert_eq!(parse_json(r#"["a",]"#, 0), Json::Invalid);
        assert_eq!(parse_json(r#"["a"#, 0), Json::Invalid);
        assert_eq!(parse_json("echo [x]", 0), Json::Invalid);
        assert_eq!(
            parse_json(r#"["\ud83d\ude00", "\ud800x"]"#, 0),
            Json::Array(vec![
                RawWord {
                    text: "😀".into(),
                    offset: 1
                },
                RawWord {
                    text: "\u{FFFD}x".into(),
                    offset: 17
                },
            ])
        );
        let deep = format!("[{}", "[".repeat(20_000));
        assert_eq!(parse_json(&deep, 0), Json::Invalid);
    }
}
