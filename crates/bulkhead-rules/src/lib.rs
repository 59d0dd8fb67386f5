//! Falco-compatible runtime rules language.
//!
//! * [`parser`]: the condition language (libsinsp grammar, messages and positions) into an
//!   [`ast::Expr`].
//! * [`loader`]: YAML rules files loaded like Falco's engine (lists, macros, rules, append and
//!   override, exceptions, visibility, list substitution), with Falco's error and warning codes
//!   and the `falco -V` text and JSON shapes ([`result`]).
//! * [`evttypes`]: the event types a condition can match (libsinsp `ppm_codes.cpp` semantics).
//! * [`fields`]: the field table (names, types, argument rules, descriptions, whether and how
//!   Bulkhead extracts each) that validation, the capture format and `runtime fields` derive from.
//! * The runtime pipeline `source → state → detector → sinks`: [`source`] (the [`source::EventSource`]
//!   trait and the `.scap`, own-capture and k8s-audit sources), [`syscall`] (the libsinsp-like state,
//!   [`syscall::Inspector`], without I/O), [`detect`] (rules bucketed by event type), [`pipeline`]
//!   ([`pipeline::Pipeline::run`], [`pipeline::Sink`]s), [`output`] (Falco's alert shapes, alerts as
//!   findings).

pub mod ast;
pub mod capture;
pub mod describe;
pub mod detect;
pub mod eval;
pub mod evttypes;
pub mod falco_config;
pub mod fields;
pub mod httpd;
pub mod k8saudit;
pub mod k8saudit_server;
pub mod loader;
pub mod output;
pub mod outputs;
pub mod parser;
pub mod pipeline;
pub mod result;
pub mod source;
pub mod syscall;
pub mod webserver;
pub mod yaml;

pub use ast::{Expr, Pos};
pub use evttypes::{EvtTypes, evttypes};
pub use loader::{
    CompiledList, CompiledMacro, CompiledRule, Config, Priority, RulesEngine, Version,
};
pub use parser::{ParseError, parse_condition};
pub use result::{ErrorCode, LoadResult, WarningCode, validation_json, validation_summary};
