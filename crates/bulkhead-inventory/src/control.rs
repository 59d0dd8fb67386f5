//! The RFC-822-like "control" format shared by dpkg's status database and apk's installed database:
//! paragraphs separated by blank lines, `Field: value` lines, continuation lines starting with white
//! space. Hand-written: the few Rust crates for Debian control files either pull in a full Debian
//! toolchain model or do not keep line numbers; this reader is small, allocation-light and total.
//!
//! The analyzers read with [`fields`], which streams: one field at a time, only the fields the
//! caller keeps, each value at most [`MAX_FIELD`] bytes, so memory does not grow with the file
//! (a status file with a 200 MiB `Description` or ten million one-letter fields costs what one field
//! costs). [`parse`] collects whole paragraphs for tests and tools.

use std::borrow::Cow;

/// Longest field value kept (longer values are cut here and flagged, see [`Item::Field`]). dpkg's
/// longest real fields are `Description`s of a few KiB.
pub const MAX_FIELD: usize = 64 << 10;

/// How many malformed line numbers are remembered (the rest are only counted).
pub const MAX_MALFORMED_LINES: usize = 10;

/// One paragraph: fields in order (name, value), plus the 1-based line it starts on.
#[derive(Debug, Default, Clone)]
pub struct Paragraph<'a> {
    pub line: usize,
    pub fields: Vec<(&'a str, String)>,
}

impl Paragraph<'_> {
    /// The first value of a field (case-insensitive name, as dpkg treats field names).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What [`fields`] reports.
#[derive(Debug)]
pub enum Item<'a> {
    /// A kept field of the paragraph that starts on line `start`: its value with continuation
    /// lines folded in (joined with `\n`, each trimmed). `truncated` when the value was longer than
    /// [`MAX_FIELD`] and was cut.
    Field {
        start: usize,
        name: &'a str,
        value: Cow<'a, str>,
        truncated: bool,
    },
    /// The end of a paragraph that had at least one field (kept or not), which started on `start`.
    End { start: usize },
}

/// Malformed lines seen by [`fields`]: lines that were neither `Field: value` lines nor
/// continuations of a field (free text without a colon, or an indented line with no field before
/// it). dpkg warns about such lines and goes on; callers turn these into one warning.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// The first [`MAX_MALFORMED_LINES`] line numbers (1-based).
    pub lines: Vec<usize>,
    /// How many there were in all.
    pub count: usize,
}

impl Malformed {
    fn push(&mut self, line: usize) {
        self.count += 1;
        if self.lines.len() < MAX_MALFORMED_LINES {
            self.lines.push(line);
        }
    }

    /// Render as one warning (None when there were none).
    pub fn warning(&self, db_path: &str) -> Option<String> {
        if self.count == 0 {
            return None;
        }
        let shown: Vec<String> = self.lines.iter().map(|n| n.to_string()).collect();
        let more = if self.count > self.lines.len() {
            format!(" (and {} more)", self.count - self.lines.len())
        } else {
            String::new()
        };
        Some(format!(
            "/{db_path}: ignored {} malformed line(s) (neither a field nor a continuation): line {}{more}",
            self.count,
            shown.join(", ")
        ))
    }
}

/// A field being read: its name, first-line value, and folded continuation lines (only built when
/// there are any).
struct Open<'a> {
    name: &'a str,
    first: &'a str,
    folded: Option<String>,
    truncated: bool,
    keep: bool,
}

impl<'a> Open<'a> {
    fn continue_with(&mut self, line: &str) {
        if !self.keep || self.truncated {
            return;
        }
        let folded = self.folded.get_or_insert_with(|| self.first.to_string());
        let add = line.len() + 1;
        if folded.len() + add > MAX_FIELD {
            self.truncated = true;
            return;
        }
        folded.push('\n');
        folded.push_str(line);
    }

    fn value(self) -> (Cow<'a, str>, bool) {
        match self.folded {
            Some(f) => (Cow::Owned(f), self.truncated),
            None if self.first.len() > MAX_FIELD => {
                let mut end = MAX_FIELD;
                while !self.first.is_char_boundary(end) {
                    end -= 1;
                }
                (Cow::Borrowed(&self.first[..end]), true)
            }
            None => (Cow::Borrowed(self.first), false),
        }
    }
}

/// Stream the fields of `text` (the field separator is `:` in both formats) to `each`, keeping only
/// those whose name `keep` accepts; returns the malformed lines. Linear in the text; memory is one
/// field value (at most [`MAX_FIELD`]).
pub fn fields<'a>(
    text: &'a str,
    keep: impl Fn(&str) -> bool,
    mut each: impl FnMut(Item<'a>),
) -> Malformed {
    let mut malformed = Malformed::default();
    let mut open: Option<Open<'a>> = None;
    // The start line of the current paragraph, once it has a field.
    let mut start: Option<usize> = None;
    fn flush<'a>(open: &mut Option<Open<'a>>, start: usize, each: &mut impl FnMut(Item<'a>)) {
        if let Some(f) = open.take()
            && f.keep
        {
            let name = f.name;
            let (value, truncated) = f.value();
            each(Item::Field {
                start,
                name,
                value,
                truncated,
            });
        }
    }
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            if let Some(s) = start.take() {
                flush(&mut open, s, &mut each);
                each(Item::End { start: s });
            }
            continue;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            match open.as_mut() {
                Some(f) => f.continue_with(line.trim()),
                None => malformed.push(i + 1),
            }
            continue;
        }
        match line.split_once(':') {
            Some((k, v)) => {
                let s = *start.get_or_insert(i + 1);
                flush(&mut open, s, &mut each);
                let name = k.trim();
                open = Some(Open {
                    name,
                    first: v.trim(),
                    folded: None,
                    truncated: false,
                    keep: keep(name),
                });
            }
            None => malformed.push(i + 1),
        }
    }
    if let Some(s) = start {
        flush(&mut open, s, &mut each);
        each(Item::End { start: s });
    }
    malformed
}

/// Split `text` into paragraphs. Lines that are neither fields nor continuations are skipped (see
/// [`parse`] to learn which).
pub fn paragraphs(text: &str) -> Vec<Paragraph<'_>> {
    parse(text).paragraphs
}

/// The result of [`parse`].
#[derive(Debug, Default, Clone)]
pub struct Parsed<'a> {
    pub paragraphs: Vec<Paragraph<'a>>,
    /// The lines that were neither `Field: value` lines nor continuations of a field.
    pub malformed: Malformed,
}

/// Split `text` into whole paragraphs (every field, values capped at [`MAX_FIELD`]), recording
/// malformed lines instead of failing. Holds the whole file's fields: for tests and tools; the
/// analyzers stream with [`fields`].
pub fn parse(text: &str) -> Parsed<'_> {
    let mut out = Parsed::default();
    let mut cur = Paragraph::default();
    out.malformed = fields(
        text,
        |_| true,
        |item| match item {
            Item::Field {
                start, name, value, ..
            } => {
                cur.line = start;
                cur.fields.push((name, value.into_owned()));
            }
            Item::End { .. } => out.paragraphs.push(std::mem::take(&mut cur)),
        },
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuation_and_blank_lines() {
        let p = paragraphs("Package: a\nDescription: x\n y\n\n\nPackage: b\n");
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].get("description"), Some("x\ny"));
        assert_eq!(p[1].line, 6);
    }

    #[test]
    fn malformed_lines_are_reported() {
        let p = parse("this is junk\n\n continuation-without-field\nPackage: a\nmore junk\n x\n");
        assert_eq!(p.malformed.lines, vec![1, 3, 5]);
        assert_eq!(p.paragraphs.len(), 1);
        // A continuation after junk still belongs to the last field.
        assert_eq!(p.paragraphs[0].get("Package"), Some("a\nx"));
        assert!(p.malformed.warning("x").unwrap().contains("line 1, 3, 5"));
        assert!(parse("Package: a\n").malformed.warning("x").is_none());
    }

    #[test]
    fn malformed_lines_are_counted_not_kept() {
        let text = "junk\n".repeat(100_000);
        let p = parse(&text);
        assert_eq!(p.malformed.count, 100_000);
        assert_eq!(p.malformed.lines.len(), MAX_MALFORMED_LINES);
        let w = p.malformed.warning("x").unwrap();
        assert!(
            w.contains("ignored 100000 malformed") && w.contains("(and 99990 more)"),
            "{w}"
        );
    }

    #[test]
    fn long_values_are_cut_and_unkept_fields_cost_nothing() {
        let big = format!(
            "Package: a\nDescription: x\n{}Version: {}\n",
            " more\n".repeat(200_000),
            "9".repeat(MAX_FIELD + 10)
        );
        let mut seen = Vec::new();
        fields(
            &big,
            |n| n == "Version" || n == "Description",
            |i| {
                if let Item::Field {
                    name,
                    value,
                    truncated,
                    ..
                } = i
                {
                    seen.push((name, value.len(), truncated));
                }
            },
        );
        assert_eq!(seen.len(), 2);
        assert_eq!((seen[0].0, seen[0].2), ("Description", true));
        assert!(seen[0].1 <= MAX_FIELD && seen[0].1 > MAX_FIELD - 10);
        assert_eq!(seen[1], ("Version", MAX_FIELD, true));
    }
}
