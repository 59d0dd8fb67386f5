//! The detection engine: loaded rules, compiled once, filtered by the run's options (priority
//! threshold, tags, disabled rules, sources), evaluated per event in file order with Falco's
//! first-match semantics (or every match with `rule_matching: all`).

use crate::Priority;
use crate::eval::{FieldSource, Node, compile};
use crate::loader::{CompiledRule, RulesEngine};
use crate::output::Alert;

/// Options of a run, as Falco's command line and `-o key=value` give them.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Only rules at or above this priority (`-o priority=warning`).
    pub min_priority: Option<Priority>,
    /// `-o rule_matching=all`.
    pub match_all: bool,
    /// `-t TAG`: only rules with one of these tags.
    pub only_tags: Vec<String>,
    /// `-T TAG`: rules with one of these tags are disabled.
    pub disabled_tags: Vec<String>,
    /// `-D NAME`: rules whose name contains it are disabled (Falco: substring/regex).
    pub disabled_rules: Vec<String>,
}

/// A compiled, enabled rule.
pub struct Active {
    pub rule: CompiledRule,
    pub node: Node,
}

/// Rules ready to evaluate for one source.
pub struct Detector {
    pub rules: Vec<Active>,
    pub match_all: bool,
    /// Rules that could not be compiled for evaluation, with the reason.
    pub skipped: Vec<(String, String)>,
}

impl Detector {
    /// The enabled rules of `source` after the options' filters.
    pub fn new(engine: &RulesEngine, source: &str, opts: &RunOptions) -> Detector {
        let mut rules = Vec::new();
        let mut skipped = Vec::new();
        for r in engine.rules() {
            if r.source != source || !r.enabled {
                continue;
            }
            if opts.min_priority.is_some_and(|p| r.priority > p) {
                continue;
            }
            if !opts.only_tags.is_empty() && !opts.only_tags.iter().any(|t| r.tags.contains(t)) {
                continue;
            }
            if opts.disabled_tags.iter().any(|t| r.tags.contains(t)) {
                continue;
            }
            if opts
                .disabled_rules
                .iter()
                .any(|d| r.name.contains(d.as_str()))
            {
                continue;
            }
            match compile(&r.condition) {
                Ok(node) => rules.push(Active {
                    rule: r.clone(),
                    node,
                }),
                Err(e) => skipped.push((r.name.clone(), e)),
            }
        }
        Detector {
            rules,
            match_all: opts.match_all,
            skipped,
        }
    }

    /// The alerts one event raises.
    pub fn process(&self, ts_ns: i128, ev: &dyn FieldSource, out: &mut Vec<Alert>) {
        for a in &self.rules {
            if a.node.eval(ev) {
                out.push(Alert::new(&a.rule, ts_ns, ev));
                if !self.match_all {
                    return;
                }
            }
        }
    }
}
