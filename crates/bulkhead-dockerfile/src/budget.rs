//! The expansion budget: how much text variable substitution may produce, per word and per file.
//!
//! BuildKit substitutes without a limit, so `ENV A=$A$A` repeated 40 times asks for 2^40 bytes and
//! a few `${A//?/$A}` square the value each time. Here every byte a variable's value contributes
//! (each copy of a value, each replacement of `${A/…/…}`, each variable copied into a stage built on
//! another) is charged to an [`ExpandBudget`] while it is produced: one word may not grow past
//! [`ExpandLimits::max_word_bytes`], and one file past [`ExpandLimits::max_file_bytes`] in all.
//! Hitting a limit is not an error of the parse: the word is left as written (its variables
//! unexpanded), the breach is recorded ([`ExpandBudget::breach`]) for the caller to report, and
//! once the file's budget is spent nothing more is substituted, so the rest of the file is read
//! literally in time linear in its size.

use std::cell::{Cell, RefCell};

/// Limits of variable substitution (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExpandLimits {
    /// Most bytes the values of variables may contribute to one word (default 1 MiB; a real
    /// Dockerfile's longest value, a `PATH` or a package list, is a few KiB).
    pub max_word_bytes: usize,
    /// Most bytes substitution may produce in one file, all words and stages together (default
    /// 64 MiB).
    pub max_file_bytes: usize,
}

impl ExpandLimits {
    /// The defaults: 1 MiB per word, 64 MiB per file.
    pub const DEFAULT: ExpandLimits = ExpandLimits {
        max_word_bytes: 1 << 20,
        max_file_bytes: 64 << 20,
    };
}

impl Default for ExpandLimits {
    fn default() -> Self {
        ExpandLimits::DEFAULT
    }
}

/// Where substitution first went over a limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpandBreach {
    /// 1-based line of the instruction being expanded (0 when unknown).
    pub line: usize,
    /// What went over which limit, e.g. `a word expands to more than 1048576 bytes`.
    pub message: String,
    /// Whether the file's whole budget is spent (nothing after `line` was substituted).
    pub exhausted: bool,
}

/// The budget of one file (interior mutability: every tracker and lexer of the file shares it by
/// reference). Not `Sync`: one file is expanded on one thread.
#[derive(Debug, Default)]
pub struct ExpandBudget {
    limits: ExpandLimits,
    used: Cell<usize>,
    line: Cell<usize>,
    breaches: Cell<usize>,
    first: RefCell<Option<ExpandBreach>>,
}

impl ExpandBudget {
    /// A fresh budget.
    pub fn new(limits: ExpandLimits) -> Self {
        ExpandBudget {
            limits,
            ..ExpandBudget::default()
        }
    }

    /// The limits.
    pub fn limits(&self) -> ExpandLimits {
        self.limits
    }

    /// Bytes charged so far.
    pub fn used(&self) -> usize {
        self.used.get()
    }

    /// Whether the file's budget is spent (nothing more is substituted).
    pub fn exhausted(&self) -> bool {
        self.used.get() > self.limits.max_file_bytes
    }

    /// Set the line that breaches are reported at (the instruction being expanded).
    pub fn set_line(&self, line: usize) {
        self.line.set(line);
    }

    /// Charge `n` bytes to the file; `Err` (with the reason) once the file's budget is spent.
    pub fn charge(&self, n: usize) -> Result<(), String> {
        let used = self.used.get().saturating_add(n);
        self.used.set(used);
        if used > self.limits.max_file_bytes {
            return Err(format!(
                "variable substitution in this file produced more than {} bytes",
                self.limits.max_file_bytes
            ));
        }
        Ok(())
    }

    /// Record a breach at the current line (the first one is kept, the others counted).
    pub fn record(&self, message: impl Into<String>) {
        self.breaches.set(self.breaches.get() + 1);
        let mut first = self.first.borrow_mut();
        if first.is_none() {
            *first = Some(ExpandBreach {
                line: self.line.get(),
                message: message.into(),
                exhausted: false,
            });
        }
    }

    /// The first breach, if any (`exhausted` tells whether the whole budget is spent now).
    pub fn breach(&self) -> Option<ExpandBreach> {
        let mut b = self.first.borrow().clone()?;
        b.exhausted = self.exhausted();
        Some(b)
    }

    /// How many words went over a limit.
    pub fn breaches(&self) -> usize {
        self.breaches.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_and_breaches() {
        let b = ExpandBudget::new(ExpandLimits {
            max_word_bytes: 4,
            max_file_bytes: 10,
        });
        assert!(b.charge(10).is_ok() && !b.exhausted());
        b.set_line(7);
        let e = b.charge(1).unwrap_err();
        assert!(e.contains("more than 10 bytes"), "{e}");
        assert!(b.exhausted());
        b.record(e);
        b.set_line(9);
        b.record("second");
        let br = b.breach().unwrap();
        assert_eq!((br.line, br.exhausted, b.breaches()), (7, true, 2));
    }
}
