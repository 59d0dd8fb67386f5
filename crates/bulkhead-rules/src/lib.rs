//! Falco-compatible runtime rules language.
//!
//! * [`parser`]: the condition language (libsinsp grammar, messages and positions) into an
//!   [`ast::Expr`].
//! * [`loader`]: YAML rules files loaded like Falco's engine (lists, macros, rules, append and
//!   override, exceptions, visibility, list substitution), with Falco's error and warning codes
//!   and the `falco -V` text and JSON shapes ([`result`]).
//! * [`evttypes`]: the event types a condition can match (libsinsp `ppm_codes.cpp` semantics).
//! * [`fields`]: the static field table (names, types, argument rules) used for validation.

pub mod ast;
pub mod capture;
pub mod detect;
pub mod eval;
pub mod evttypes;
pub mod falco_config;
pub mod fields;
pub mod k8saudit;
pub mod loader;
pub mod output;
pub mod parser;
pub mod result;
pub mod syscall;
pub mod yaml;

pub use ast::{Expr, Pos};
pub use evttypes::{EvtTypes, evttypes};
pub use loader::{
    CompiledList, CompiledMacro, CompiledRule, Config, Priority, RulesEngine, Version,
};
pub use parser::{ParseError, parse_condition};
pub use result::{ErrorCode, LoadResult, WarningCode, validation_json, validation_summary};
