//! The ENV/ARG values in effect at each instruction, tracked the way BuildKit's dispatcher does.
//!
//! * Global ARGs (before the first FROM) are visible to FROM only, together with the automatic
//!   platform ARGs (`TARGETPLATFORM`, `BUILDARCH`, …, whose values depend on the build and are
//!   unknown here).
//! * Inside a stage, `ARG NAME` without a default takes the global ARG's default when there is a
//!   global ARG of that name; `ARG NAME=default` uses its default (build arguments given on the
//!   command line are unknown here, so defaults stand in for them).
//! * All pairs of one ENV instruction are expanded with the environment *before* it
//!   (`ENV A=1 B=$A` gives B the old A); the names of one ARG instruction are processed one by one.
//! * A stage built on an earlier stage (`FROM builder`) starts with that stage's variables.
//!
//! The base image's own ENV is unknown, so by default references to variables that are not set in
//! the Dockerfile are left as written (`ENV PATH=/opt/bin:$PATH` keeps `$PATH`); use
//! [`EnvTracker::unset_as_empty`] for BuildKit's exact behaviour of substituting an empty string.
//!
//! Substitution is bounded by an [`ExpandBudget`]: a value that would grow past a limit
//! (`ENV A=$A$A` repeated) is left [`VarSource::Unexpanded`] — its references stay as written, and
//! so does every value built from it — and the breach is recorded in the budget.
//! [`Dockerfile::walk_env`] visits a whole file once with one budget, in time linear in the file
//! (plus what substitution produces, which the budget bounds).

use std::collections::HashMap;
use std::rc::Rc;

use crate::ast::{Command, Dockerfile, Instruction};
use crate::budget::{ExpandBudget, ExpandLimits};
use crate::expand::{EnvLookup, Lexer};

/// ARGs BuildKit defines in the global scope from the build platform.
pub const BUILTIN_ARGS: [&str; 8] = [
    "TARGETPLATFORM",
    "TARGETOS",
    "TARGETARCH",
    "TARGETVARIANT",
    "BUILDPLATFORM",
    "BUILDOS",
    "BUILDARCH",
    "BUILDVARIANT",
];

/// Where a variable's current value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VarSource {
    /// An ENV instruction.
    Env,
    /// An ARG instruction in the stage (its default).
    Arg,
    /// An ARG in the stage without default that took the global ARG's default.
    GlobalArg,
    /// An automatic platform ARG (value unknown).
    Builtin,
    /// Inherited from the stage this stage is built on.
    Inherited,
    /// Set, but its value was not computed: substituting it went over the expansion budget, or it
    /// was built from such a variable. References to it are kept as written.
    Unexpanded,
}

/// One variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Var {
    /// Name.
    pub name: String,
    /// Value; `None` when declared (ARG without default, built-in ARG) but without a known value.
    pub value: Option<String>,
    /// Origin of the value.
    pub source: VarSource,
    /// Line of the defining instruction (0 for built-ins).
    pub line: usize,
}

impl Var {
    /// What copying it costs, for the expansion budget (its text and a small fixed overhead).
    fn cost(&self) -> usize {
        self.name.len() + self.value.as_ref().map_or(0, String::len) + 8
    }
}

/// A set of variables, in definition order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Env {
    vars: Vec<Var>,
    index: HashMap<String, usize>,
}

impl Env {
    /// An empty environment.
    pub fn new() -> Self {
        Env::default()
    }

    /// The value of `name`, if it is set to a known value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.var(name).and_then(|v| v.value.as_deref())
    }

    /// The variable `name`, also when declared without value.
    pub fn var(&self, name: &str) -> Option<&Var> {
        self.index.get(name).map(|&i| &self.vars[i])
    }

    /// Whether `name` is declared (ENV, ARG with or without value, built-in).
    pub fn is_declared(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }

    /// Variables in the order they were first defined.
    pub fn iter(&self) -> impl Iterator<Item = &Var> {
        self.vars.iter()
    }

    /// Number of variables.
    pub fn len(&self) -> usize {
        self.vars.len()
    }

    /// No variables.
    pub fn is_empty(&self) -> bool {
        self.vars.is_empty()
    }

    /// Define or redefine a variable.
    pub fn set(&mut self, name: &str, value: Option<String>, source: VarSource, line: usize) {
        let var = Var {
            name: name.to_string(),
            value,
            source,
            line,
        };
        match self.index.get(name) {
            Some(&i) => self.vars[i] = var,
            None => {
                self.index.insert(name.to_string(), self.vars.len());
                self.vars.push(var);
            }
        }
    }
}

impl EnvLookup for Env {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.get(name)
    }

    /// An ARG declared without a value (and without a global default) is unset in BuildKit, so
    /// `${NAME:-x}` gives `x` even when unknown references are kept as written. Built-in ARGs,
    /// [`VarSource::Unexpanded`] ones and variables not declared at all are unknown.
    fn is_known_unset(&self, name: &str) -> bool {
        self.var(name).is_some_and(|v| {
            v.value.is_none() && !matches!(v.source, VarSource::Builtin | VarSource::Unexpanded)
        })
    }
}

/// Walks the instructions of a stage and keeps the environment up to date.
#[derive(Debug, Clone)]
pub struct EnvTracker<'a> {
    global: &'a Env,
    env: Env,
    lexer: Lexer,
    budget: Rc<ExpandBudget>,
}

impl<'a> EnvTracker<'a> {
    fn new(global: &'a Env, env: Env, escape: char, budget: Rc<ExpandBudget>) -> Self {
        EnvTracker {
            global,
            env,
            lexer: Lexer {
                skip_unset: true,
                ..Lexer::new(escape)
            },
            budget,
        }
    }

    /// The expansion budget this tracker charges.
    pub fn budget(&self) -> &ExpandBudget {
        &self.budget
    }

    /// Expand references to unset variables to the empty string, exactly as BuildKit does (by
    /// default they are kept as written, since the base image's ENV is unknown).
    pub fn unset_as_empty(mut self) -> Self {
        self.lexer.skip_unset = false;
        self
    }

    /// The environment now.
    pub fn env(&self) -> &Env {
        &self.env
    }

    /// Expand a word (quotes processed) with the environment now; a word that does not lex, or
    /// that goes over the expansion budget (the breach is recorded in the budget), is returned
    /// unchanged.
    pub fn expand(&self, word: &str) -> String {
        self.expand_value(word).unwrap_or_else(|| word.to_string())
    }

    /// The expansion of a word: `None` when it does not lex or goes over the budget (recorded).
    fn expand_value(&self, word: &str) -> Option<String> {
        if !word.contains('$') {
            // Quotes and escapes only: nothing a variable could make larger.
            return self.lexer.process(word, &self.env).ok().map(|e| e.value);
        }
        match self.lexer.process_in(word, &self.env, &self.budget) {
            Ok(e) => Some(e.value),
            Err(e) => {
                if e.over_budget {
                    self.budget.record(e.message);
                }
                None
            }
        }
    }

    /// A value for ENV/ARG: `None` when it went over the budget or uses a variable that did
    /// (it becomes [`VarSource::Unexpanded`]); a word that does not lex is kept as written.
    fn value_of(&self, word: &str) -> Option<String> {
        if !word.contains('$') {
            return Some(self.expand(word));
        }
        match self.lexer.process_in(word, &self.env, &self.budget) {
            Ok(e) => {
                let tainted = e.unmatched.iter().any(|n| {
                    self.env
                        .var(n)
                        .is_some_and(|v| v.source == VarSource::Unexpanded)
                });
                (!tainted).then_some(e.value)
            }
            Err(e) if e.over_budget => {
                self.budget.record(e.message);
                None
            }
            Err(_) => Some(word.to_string()),
        }
    }

    fn set_value(&mut self, name: &str, value: Option<String>, source: VarSource, line: usize) {
        match value {
            Some(v) => self.env.set(name, Some(v), source, line),
            None => self.env.set(name, None, VarSource::Unexpanded, line),
        }
    }

    /// Update the environment with an ENV or ARG instruction (others change nothing).
    pub fn apply(&mut self, instr: &Instruction) {
        self.budget.set_line(instr.start_line);
        match &instr.command {
            Command::Env(pairs) => {
                let expanded: Vec<(String, Option<String>)> = pairs
                    .iter()
                    .map(|kv| (self.expand(&kv.key.raw), self.value_of(&kv.value.raw)))
                    .collect();
                for (k, v) in expanded {
                    self.set_value(&k, v, VarSource::Env, instr.start_line);
                }
            }
            Command::Arg(defs) => {
                for def in defs {
                    let name = self.expand(&def.name.raw);
                    if BUILTIN_ARGS.contains(&name.as_str()) {
                        self.env
                            .set(&name, None, VarSource::Builtin, instr.start_line);
                        continue;
                    }
                    if let Some(d) = &def.default {
                        let v = self.value_of(&d.raw);
                        self.set_value(&name, v, VarSource::Arg, instr.start_line);
                    } else if let Some(g) = self.global.var(&name) {
                        let v = g.value.clone();
                        let source = if g.source == VarSource::Unexpanded {
                            VarSource::Unexpanded
                        } else {
                            VarSource::GlobalArg
                        };
                        if v.is_some() || !self.env.is_declared(&name) {
                            if let Some(v) = &v
                                && self.budget.charge(v.len()).is_err()
                            {
                                self.budget
                                    .record("the file's expansion budget is spent".to_string());
                                self.env
                                    .set(&name, None, VarSource::Unexpanded, instr.start_line);
                                continue;
                            }
                            self.env.set(&name, v, source, instr.start_line);
                        }
                    } else if !self.env.is_declared(&name) {
                        self.env.set(&name, None, VarSource::Arg, instr.start_line);
                    }
                }
            }
            _ => {}
        }
    }
}

impl Dockerfile {
    /// The variables visible to FROM lines: automatic platform ARGs and global ARGs with their
    /// defaults (substitution bounded by a budget of [`ExpandLimits::DEFAULT`]).
    pub fn global_env(&self) -> Env {
        self.global_env_in(&ExpandBudget::new(ExpandLimits::DEFAULT))
    }

    /// [`Dockerfile::global_env`], substitution charged to `budget`: a default over the budget
    /// leaves its ARG [`VarSource::Unexpanded`].
    pub fn global_env_in(&self, budget: &ExpandBudget) -> Env {
        let mut env = Env::new();
        for b in BUILTIN_ARGS {
            env.set(b, None, VarSource::Builtin, 0);
        }
        let lexer = Lexer {
            skip_unset: true,
            ..Lexer::new(self.escape)
        };
        // `None`: over the budget (or built from a value that was).
        let ex = |w: &str, env: &Env| -> Option<String> {
            match lexer.process_in(w, env, budget) {
                Ok(e) => {
                    let tainted = e.unmatched.iter().any(|n| {
                        env.var(n)
                            .is_some_and(|v| v.source == VarSource::Unexpanded)
                    });
                    (!tainted).then_some(e.value)
                }
                Err(e) if e.over_budget => {
                    budget.record(e.message);
                    None
                }
                Err(_) => Some(w.to_string()),
            }
        };
        for instr in &self.global_args {
            let Command::Arg(defs) = &instr.command else {
                continue;
            };
            budget.set_line(instr.start_line);
            for def in defs {
                let name = ex(&def.name.raw, &env).unwrap_or_else(|| def.name.raw.clone());
                let value = def.default.as_ref().map(|d| ex(&d.raw, &env));
                // `ARG TARGETARCH` keeps the platform value; a default replaces it
                if value.is_none() && BUILTIN_ARGS.contains(&name.as_str()) {
                    continue;
                }
                match value {
                    Some(None) => env.set(&name, None, VarSource::Unexpanded, instr.start_line),
                    Some(Some(v)) => env.set(&name, Some(v), VarSource::Arg, instr.start_line),
                    None => env.set(&name, None, VarSource::Arg, instr.start_line),
                }
            }
        }
        env
    }

    /// A tracker positioned right after the FROM of stage `stage` (variables inherited from a parent
    /// stage already in place). Call [`EnvTracker::apply`] with each instruction in turn.
    ///
    /// `global` is [`Dockerfile::global_env`], passed in so that it is computed once.
    ///
    /// # Panics
    /// If `stage` is out of range.
    pub fn env_tracker<'a>(&'a self, global: &'a Env, stage: usize) -> EnvTracker<'a> {
        let mut chain = vec![stage];
        let mut cur = stage;
        while let Some(p) = self.stages[cur].parent {
            if p >= cur {
                break;
            }
            chain.push(p);
            cur = p;
        }
        chain.reverse();
        let budget = Rc::new(ExpandBudget::new(ExpandLimits::DEFAULT));
        let mut env = Env::new();
        for &s in &chain[..chain.len() - 1] {
            let mut t = EnvTracker::new(global, env, self.escape, budget.clone());
            for i in &self.stages[s].instructions {
                t.apply(i);
            }
            env = t.env;
            for v in env.vars.iter_mut() {
                if v.source != VarSource::Unexpanded {
                    v.source = VarSource::Inherited;
                }
            }
        }
        EnvTracker::new(global, env, self.escape, budget)
    }

    /// Visit every stage's instructions in file order — each stage's FROM, then its body — with
    /// the environment in effect before each (the callback gets the stage index), computed once
    /// for the whole file: a stage built on an earlier one (`FROM builder`) starts from that
    /// stage's final environment, kept from when it was visited (not replayed). The global ARGs
    /// ([`Dockerfile::global_env_in`]) and every substitution are charged to `budget`, and so is
    /// each variable copied into a stage built on another; once it is spent, stages start empty
    /// and words stay as written. Time is linear in the file plus what the budget allows.
    ///
    /// Use this rather than calling [`Dockerfile::for_each_with_env`] per stage, which replays the
    /// chain of parent stages for each call.
    pub fn walk_env(
        &self,
        budget: Rc<ExpandBudget>,
        mut f: impl FnMut(usize, &Instruction, &EnvTracker<'_>),
    ) {
        let global = self.global_env_in(&budget);
        let n = self.stages.len();
        // How many later stages are built on each stage: its final environment is kept until the
        // last of them has taken it.
        let mut children = vec![0usize; n];
        for s in &self.stages {
            if let Some(p) = s.parent.filter(|p| *p < s.index) {
                children[p] += 1;
            }
        }
        let mut ends: Vec<Option<Env>> = vec![None; n];
        for s in &self.stages {
            budget.set_line(s.from.start_line);
            let mut env = Env::new();
            if let Some(p) = s.parent.filter(|p| *p < s.index) {
                children[p] -= 1;
                // Copying (or re-marking) the parent's variables is work the budget pays for,
                // before it is done.
                let cost: usize = ends[p]
                    .as_ref()
                    .map_or(0, |e| e.vars.iter().map(Var::cost).sum());
                if budget.charge(cost).is_ok() {
                    let parent = if children[p] == 0 {
                        ends[p].take()
                    } else {
                        ends[p].clone()
                    };
                    if let Some(mut e) = parent {
                        for v in e.vars.iter_mut() {
                            if v.source != VarSource::Unexpanded {
                                v.source = VarSource::Inherited;
                            }
                        }
                        env = e;
                    }
                } else {
                    budget.record(format!(
                        "the file's expansion budget is spent: stage {} starts without the variables of stage {p}",
                        s.index
                    ));
                    if children[p] == 0 {
                        ends[p] = None;
                    }
                }
            }
            let mut t = EnvTracker::new(&global, env, self.escape, budget.clone());
            f(s.index, &s.from, &t);
            for i in &s.instructions {
                budget.set_line(i.start_line);
                f(s.index, i, &t);
                t.apply(i);
            }
            if children[s.index] > 0 {
                ends[s.index] = Some(t.env);
            }
        }
    }

    /// Call `f` with every instruction of stage `stage` (FROM first) and the environment in effect
    /// when it runs (before its own effect).
    pub fn for_each_with_env(
        &self,
        stage: usize,
        mut f: impl FnMut(&Instruction, &EnvTracker<'_>),
    ) {
        let global = self.global_env();
        let mut t = self.env_tracker(&global, stage);
        t.budget.set_line(self.stages[stage].from.start_line);
        f(&self.stages[stage].from, &t);
        for i in &self.stages[stage].instructions {
            f(i, &t);
            t.apply(i);
        }
    }

    /// The environment in effect before instruction `index` of stage `stage`'s body
    /// (`index == instructions.len()` gives the stage's final environment).
    pub fn env_before(&self, stage: usize, index: usize) -> Env {
        let global = self.global_env();
        let mut t = self.env_tracker(&global, stage);
        for i in self.stages[stage].instructions.iter().take(index) {
            t.apply(i);
        }
        t.env
    }
}
