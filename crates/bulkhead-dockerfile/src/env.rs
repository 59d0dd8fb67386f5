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

use std::collections::HashMap;

use crate::ast::{Command, Dockerfile, Instruction};
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
    /// `${NAME:-x}` gives `x` even when unknown references are kept as written. Built-in ARGs and
    /// variables not declared at all are unknown.
    fn is_known_unset(&self, name: &str) -> bool {
        self.var(name)
            .is_some_and(|v| v.value.is_none() && v.source != VarSource::Builtin)
    }
}

/// Walks the instructions of a stage and keeps the environment up to date.
#[derive(Debug, Clone)]
pub struct EnvTracker<'a> {
    global: &'a Env,
    env: Env,
    lexer: Lexer,
}

impl<'a> EnvTracker<'a> {
    fn new(global: &'a Env, env: Env, escape: char) -> Self {
        EnvTracker {
            global,
            env,
            lexer: Lexer {
                skip_unset: true,
                ..Lexer::new(escape)
            },
        }
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

    /// Expand a word (quotes processed) with the environment now; a word that does not lex is
    /// returned unchanged.
    pub fn expand(&self, word: &str) -> String {
        self.lexer
            .process(word, &self.env)
            .map(|e| e.value)
            .unwrap_or_else(|_| word.to_string())
    }

    /// Update the environment with an ENV or ARG instruction (others change nothing).
    pub fn apply(&mut self, instr: &Instruction) {
        match &instr.command {
            Command::Env(pairs) => {
                let expanded: Vec<(String, String)> = pairs
                    .iter()
                    .map(|kv| (self.expand(&kv.key.raw), self.expand(&kv.value.raw)))
                    .collect();
                for (k, v) in expanded {
                    self.env.set(&k, Some(v), VarSource::Env, instr.start_line);
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
                        let v = self.expand(&d.raw);
                        self.env
                            .set(&name, Some(v), VarSource::Arg, instr.start_line);
                    } else if let Some(g) = self.global.var(&name) {
                        let v = g.value.clone();
                        if v.is_some() || !self.env.is_declared(&name) {
                            self.env
                                .set(&name, v, VarSource::GlobalArg, instr.start_line);
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
    /// defaults.
    pub fn global_env(&self) -> Env {
        let mut env = Env::new();
        for b in BUILTIN_ARGS {
            env.set(b, None, VarSource::Builtin, 0);
        }
        let lexer = Lexer {
            skip_unset: true,
            ..Lexer::new(self.escape)
        };
        let ex = |w: &str, env: &Env| {
            lexer
                .process(w, env)
                .map(|e| e.value)
                .unwrap_or_else(|_| w.to_string())
        };
        for instr in &self.global_args {
            let Command::Arg(defs) = &instr.command else {
                continue;
            };
            for def in defs {
                let name = ex(&def.name.raw, &env);
                let value = def.default.as_ref().map(|d| ex(&d.raw, &env));
                // `ARG TARGETARCH` keeps the platform value; a default replaces it
                if value.is_none() && BUILTIN_ARGS.contains(&name.as_str()) {
                    continue;
                }
                env.set(&name, value, VarSource::Arg, instr.start_line);
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
        let mut env = Env::new();
        for &s in &chain[..chain.len() - 1] {
            let mut t = EnvTracker::new(global, env, self.escape);
            for i in &self.stages[s].instructions {
                t.apply(i);
            }
            env = t.env;
            for v in env.vars.iter_mut() {
                v.source = VarSource::Inherited;
            }
        }
        EnvTracker::new(global, env, self.escape)
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
