//! Dockerfile parser for the BuildKit dialect (the `docker/dockerfile:1` frontend).
//!
//! [`parse`] turns a Dockerfile into a [`Dockerfile`]: parser directives, global ARGs and a list of
//! [`Stage`]s whose [`Instruction`]s carry typed arguments ([`Command`]), builder flags, heredocs,
//! the original text and 1-based positions. Input that BuildKit rejects gives a [`ParseError`]
//! (`Dockerfile:12: unknown instruction: FOO`). [`expand`] and [`Env`]/[`EnvTracker`] reproduce
//! BuildKit's variable substitution; [`shell::split_commands`] cuts a RUN script into argv lists.
//!
//! # Why hand-written
//! The crates.io candidates do not cover the dialect: `dockerfile-parser` (0.9, pest grammar) has
//! no heredocs (its heredoc PRs were still open in 2025–26), no `# escape=` handling of
//! continuation/comment lines as BuildKit does them, and no positions for flags and words; other
//! crates are formatters or generators. BuildKit's parser is line-oriented and small, and its
//! quirks (comment lines inside continuations, JSON falling back to shell form, `ENV k v` vs
//! `ENV k=v`, heredoc delimiters lexed as shell words, the 64 KiB line limit) are easier to follow
//! faithfully in a direct port of the behaviour than in a grammar. No BuildKit code is copied; the
//! behaviour was reproduced from its documentation and tests.
//!
//! # Phases (as in BuildKit)
//! 1. Lines → instruction nodes: directives, comments, continuations (with the escape character),
//!    splitting keyword / `--flags` / arguments, JSON vs shell form, ENV/LABEL pairs, heredocs.
//! 2. Nodes → typed instructions and stages: unknown instructions, argument counts, `FROM … AS`
//!    names, ONBUILD triggers, instructions before the first FROM.
//!
//! Every error of phase 1 is reported before any error of phase 2, like BuildKit does.
//!
//! # What the parser does not check
//! Builder flag *names* are not validated (the set depends on the frontend version and on `-labs`);
//! [`Instruction::unknown_flags`] lists the ones the stable frontend does not define. Checks that
//! BuildKit makes later, when it builds (duplicate stage names, `COPY --from` targets, undefined
//! variables), are left to rules.
//!
//! # Limits
//! Input over [`MAX_INPUT_BYTES`] (16 MiB; [`ParseOptions::max_bytes`]), more than [`MAX_LINES`]
//! lines, [`MAX_INSTRUCTIONS`] instructions or [`MAX_WORDS`] argument words, or a line longer than
//! [`MAX_LINE_BYTES`] (BuildKit's own 64 KiB limit) is an error, so memory stays within a small
//! multiple of the input size (real Dockerfiles are far below every limit). Nothing recurses on
//! input depth except ONBUILD (one level; `ONBUILD ONBUILD` is an error, as in BuildKit) and `${…}`
//! nesting in substitutions, which is capped at 64.
//!
//! Variable substitution is the one place where output can outgrow input (`ENV A=$A$A` doubles a
//! value per line): it is bounded by an [`ExpandBudget`] ([`ExpandLimits`]: 1 MiB per word, 64 MiB
//! per file by default), enforced while substituting. Going over it is not a parse error: the
//! value is left unexpanded ([`VarSource::Unexpanded`]), the breach is recorded
//! ([`Dockerfile::expansion`] for the parser's own FROM-line pass, [`ExpandBudget::breach`] for a
//! [`Dockerfile::walk_env`]) and the caller reports it.

#![warn(missing_docs)]

mod ast;
mod budget;
mod env;
mod error;
mod expand;
mod parser;
pub mod shell;
mod words;

pub use ast::{
    ArgDef, CheckDirective, Command, CommandLine, Comment, CopyArgs, CopySource, Directive,
    Dockerfile, Flag, FromArgs, Healthcheck, Heredoc, Instruction, KeyValue, Kind, Onbuild, Pos,
    Stage, UserArgs, Warning, Word,
};
pub use budget::{ExpandBreach, ExpandBudget, ExpandLimits};
pub use env::{BUILTIN_ARGS, Env, EnvTracker, Var, VarSource};
pub use error::ParseError;
pub use expand::{
    EnvLookup, ExpandError, Expansion, Lexer, NoEnv, expand, expand_words, try_expand, unquote,
};
pub use parser::{
    MAX_INPUT_BYTES, MAX_INSTRUCTIONS, MAX_LINE_BYTES, MAX_LINES, MAX_WORDS, ParseOptions, parse,
    parse_bytes, parse_with,
};
