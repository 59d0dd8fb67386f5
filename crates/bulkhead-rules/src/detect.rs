//! The detection engine: loaded rules, compiled once, filtered by the run's options (priority
//! threshold, tags, disabled rules, sources), evaluated per event in file order with Falco's
//! first-match semantics (or every match with `rule_matching: all`).

use crate::Priority;
use crate::eval::{CompileError, FieldSource, Node, compile_with};
use crate::evttypes::EvtTypes;
use crate::loader::{CompiledRule, RulesEngine};
use crate::output::Alert;
use std::collections::HashMap;

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
    /// `-p FORMAT`: text appended to the output of every `syscall` rule (Falco's extra output).
    pub extra_output: Option<String>,
}

/// A compiled, enabled rule.
pub struct Active {
    pub rule: CompiledRule,
    pub node: Node,
}

/// Rules ready to evaluate for one source.
pub struct Detector {
    /// The rules source (`syscall`, `k8s_audit`) the detector evaluates events of.
    pub source: String,
    pub rules: Vec<Active>,
    pub match_all: bool,
    /// Rules that could not be compiled for evaluation, with the reason.
    pub skipped: Vec<(String, CompileError)>,
    /// Rules by event type (indices into `rules`, in rule order), as Falco buckets them: an event
    /// is only evaluated against the rules whose condition can match its type.
    by_type: HashMap<String, Vec<usize>>,
    /// Rules that can match any event type (or types given as "all but …"), for types not in
    /// `by_type`.
    any_type: Vec<usize>,
    /// Whether the source has event types at all (syscall); otherwise every rule is evaluated.
    typed: bool,
}

impl Detector {
    /// The event types the enabled rules can match (the union of their conditions' types), as
    /// the live sensor's interest set is computed: `EvtTypes::AllBut` when some rule can match
    /// (almost) any type.
    pub fn event_types(&self) -> EvtTypes {
        self.rules
            .iter()
            .fold(EvtTypes::none(), |acc, a| match &a.rule.evttypes {
                Some(t) => acc.union(t.clone()),
                None => EvtTypes::all(),
            })
    }

    /// The enabled rules of `source` after the options' filters.
    pub fn new(engine: &RulesEngine, source: &str, opts: &RunOptions) -> Detector {
        let mut rules = Vec::new();
        let mut skipped = Vec::new();
        let mut regexes = engine.regexes().clone();
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
            match compile_with(&r.condition, &mut regexes) {
                Ok(node) => {
                    let mut rule = r.clone();
                    if let Some(x) = opts.extra_output.as_deref().filter(|x| !x.is_empty())
                        && source == "syscall"
                    {
                        rule.output = format!("{} {x}", rule.output);
                    }
                    rules.push(Active { rule, node })
                }
                Err(e) => skipped.push((r.name.clone(), e)),
            }
        }
        let typed = source == "syscall";
        let mut by_type: HashMap<String, Vec<usize>> = HashMap::new();
        let mut any_type = Vec::new();
        let mut excluded: Vec<(usize, Vec<String>)> = Vec::new();
        for (i, a) in rules.iter().enumerate() {
            match &a.rule.evttypes {
                Some(EvtTypes::Only(names)) => {
                    for n in names {
                        by_type.entry(n.clone()).or_default().push(i);
                    }
                }
                Some(EvtTypes::AllBut(but)) => {
                    any_type.push(i);
                    excluded.push((i, but.iter().cloned().collect()));
                }
                None => any_type.push(i),
            }
        }
        // Rules matching any type join every typed bucket (except the types they exclude), so a
        // bucket holds every rule its events can match, in rule order. Built once per type
        // (event types are a bounded set), not per exclusion.
        let mut excluding: HashMap<String, std::collections::HashSet<usize>> = HashMap::new();
        for (i, but) in excluded {
            for t in but {
                excluding.entry(t).or_default().insert(i);
            }
        }
        for t in excluding.keys() {
            by_type.entry(t.clone()).or_default();
        }
        for (t, list) in by_type.iter_mut() {
            let skip = excluding.get(t);
            list.extend(
                any_type
                    .iter()
                    .copied()
                    .filter(|i| skip.is_none_or(|s| !s.contains(i))),
            );
            list.sort_unstable();
            list.dedup();
        }
        Detector {
            source: source.to_string(),
            rules,
            match_all: opts.match_all,
            skipped,
            by_type,
            any_type,
            typed,
        }
    }

    /// The alerts one event raises.
    pub fn process(&self, ts_ns: i128, ev: &dyn FieldSource, out: &mut Vec<Alert>) {
        if !self.typed {
            return self.run(0..self.rules.len(), ts_ns, ev, out);
        }
        let owned;
        let ty = match ev.event_type() {
            Some(t) => Some(t),
            None => {
                owned = ev
                    .extract("evt.type", None)
                    .and_then(|v| v.into_iter().next());
                owned.as_deref()
            }
        };
        let bucket = ty
            .and_then(|t| self.by_type.get(t))
            .unwrap_or(&self.any_type);
        self.run(bucket.iter().copied(), ts_ns, ev, out)
    }

    fn run(
        &self,
        rules: impl Iterator<Item = usize>,
        ts_ns: i128,
        ev: &dyn FieldSource,
        out: &mut Vec<Alert>,
    ) {
        for i in rules {
            let a = &self.rules[i];
            if a.node.eval(ev) {
                out.push(Alert::new(&a.rule, ts_ns, ev));
                if !self.match_all {
                    return;
                }
            }
        }
    }
}
