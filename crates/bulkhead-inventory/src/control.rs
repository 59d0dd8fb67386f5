//! The RFC-822-like "control" format shared by dpkg's status database and apk's installed database:
//! paragraphs separated by blank lines, `Field: value` lines, continuation lines starting with white
//! space. Hand-written: the few Rust crates for Debian control files either pull in a full Debian
//! toolchain model or do not keep line numbers; this reader is small, allocation-light and total.

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

/// Split `text` into paragraphs. Lines that are neither fields nor continuations are skipped (see
/// [`parse`] to learn which).
pub fn paragraphs(text: &str) -> Vec<Paragraph<'_>> {
    parse(text).paragraphs
}

/// The result of [`parse`].
#[derive(Debug, Default, Clone)]
pub struct Parsed<'a> {
    pub paragraphs: Vec<Paragraph<'a>>,
    /// 1-based numbers of the lines that were neither `Field: value` lines nor continuations of a
    /// field (free text without a colon, or an indented line with no field before it). dpkg warns
    /// about such lines and goes on; callers turn these into warnings.
    pub malformed: Vec<usize>,
}

/// Split `text` into paragraphs (the field separator is `:` in both formats), recording malformed
/// lines instead of failing.
pub fn parse(text: &str) -> Parsed<'_> {
    let mut out = Parsed::default();
    let mut cur = Paragraph::default();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            if !cur.fields.is_empty() {
                out.paragraphs.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            match cur.fields.last_mut() {
                Some((_, v)) => {
                    v.push('\n');
                    v.push_str(line.trim());
                }
                None => out.malformed.push(i + 1),
            }
            continue;
        }
        match line.split_once(':') {
            Some((k, v)) => {
                if cur.fields.is_empty() {
                    cur.line = i + 1;
                }
                cur.fields.push((k.trim(), v.trim().to_string()));
            }
            None => out.malformed.push(i + 1),
        }
    }
    if !cur.fields.is_empty() {
        out.paragraphs.push(cur);
    }
    out
}

/// Render malformed line numbers as one warning (None when there are none).
pub fn malformed_warning(db_path: &str, lines: &[usize]) -> Option<String> {
    if lines.is_empty() {
        return None;
    }
    let shown: Vec<String> = lines.iter().take(10).map(|n| n.to_string()).collect();
    let more = if lines.len() > 10 {
        format!(" (and {} more)", lines.len() - 10)
    } else {
        String::new()
    };
    Some(format!(
        "/{db_path}: ignored {} malformed line(s) (neither a field nor a continuation): line {}{more}",
        lines.len(),
        shown.join(", ")
    ))
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
        assert_eq!(p.malformed, vec![1, 3, 5]);
        assert_eq!(p.paragraphs.len(), 1);
        // A continuation after junk still belongs to the last field.
        assert_eq!(p.paragraphs[0].get("Package"), Some("a\nx"));
        assert!(
            malformed_warning("x", &p.malformed)
                .unwrap()
                .contains("line 1, 3, 5")
        );
        assert!(parse("Package: a\n").malformed.is_empty());
    }
}
