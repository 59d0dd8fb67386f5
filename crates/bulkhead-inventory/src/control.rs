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

/// Split `text` into paragraphs. `sep` is the field separator (`:` for both formats). Lines that are
/// neither fields nor continuations are ignored (dpkg warns and goes on; so do we).
pub fn paragraphs(text: &str) -> Vec<Paragraph<'_>> {
    let mut out = Vec::new();
    let mut cur = Paragraph::default();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            if !cur.fields.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            if let Some((_, v)) = cur.fields.last_mut() {
                v.push('\n');
                v.push_str(line.trim());
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            if cur.fields.is_empty() {
                cur.line = i + 1;
            }
            cur.fields.push((k.trim(), v.trim().to_string()));
        }
    }
    if !cur.fields.is_empty() {
        out.push(cur);
    }
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
}
