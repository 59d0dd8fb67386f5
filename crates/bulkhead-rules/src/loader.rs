//! Rules loader, structured like Falco's engine: a *reader* decodes each YAML item
//! (`rule_loader_reader.cpp`), a *collector* keeps lists, macros and rules across files with
//! their definition index and visibility (`rule_loader_collector.cpp`), and a *compiler* expands
//! lists textually, resolves macros on the AST, builds exception conditions, validates fields,
//! outputs and event types (`rule_loader_compiler.cpp`).
//!
//! Visibility, as Falco implements it: a list item naming another list is expanded (one level)
//! only if that list was defined before the referring list's last definition/append; a macro
//! sees the macros defined before its last definition/append; rule conditions see every macro;
//! lists are substituted into every macro and rule condition regardless of order.

use crate::ast::{Expr, Pos};
use crate::evttypes::{EvtTypes, evttypes, is_event_name};
use crate::fields::{self, FieldError};
use crate::parser::{MAX_CONDITION_LEN, Parser};
use crate::result::{
    Context, ErrorCode, ItemType, LoadResult, Position, RulesContents, WarningCode,
};
use crate::yaml::{self, Kind, Node, decode_bool, decode_u32};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::path::Path;

/// Largest rules content accepted (bytes); the default of [`LoadLimits::max_file_bytes`].
pub const MAX_CONTENT_LEN: usize = 32 << 20;
/// What a list item's string takes besides its bytes (the `String` and its allocation).
const ITEM_COST: usize = 40;

/// Default of [`LoadLimits::max_condition_nodes`].
pub const MAX_EXPANDED_NODES: usize = 100_000;
/// Default of [`LoadLimits::max_expansion_depth`].
pub const MAX_EXPANDED_DEPTH: usize = 2_000;

/// What one rules engine (every file loaded into it) may make the loader hold or compute, so
/// that a hostile rules file ends in a load error (`LOAD_ERR_VALIDATE`, naming the item, the
/// limit and the fix) instead of exhausting memory or time. Falco has no such bounds: it clones
/// every macro into every place it is used (`filter_macro_resolver`), so macros that reference
/// macros twice each double a condition per level. The defaults are about 100× what the
/// upstream rules need (falco_rules + incubating + sandbox: largest condition 959 nodes, 10,000
/// in all, 157 macros, 83 lists, 2.6 KiB the longest condition); a program embedding the engine
/// can change them in [`Config::limits`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadLimits {
    /// Largest rules file (bytes). Default 32 MiB. The YAML reader's own bounds (2,000,000
    /// nodes with aliases expanded, nesting 256) are [`yaml::MAX_NODES`] and [`yaml::MAX_DEPTH`].
    pub max_file_bytes: usize,
    /// Most lists, macros and rules (definitions; appends and overrides do not count) in the
    /// engine. Default 100,000.
    pub max_items: usize,
    /// Most nodes one condition (a macro's or a rule's) may have once its macros are expanded;
    /// every value of a list counts as one. Default 100,000 (the largest upstream rule: 959).
    pub max_condition_nodes: usize,
    /// Most nodes all expanded conditions (macros and rules) may have together. Default
    /// 1,000,000 (upstream: about 10,000). Bounds the memory of the compiled rules and the work
    /// of evaluating an event.
    pub max_total_nodes: usize,
    /// Deepest nesting of a condition after expansion (`and`/`or`/`not` levels and macro
    /// references). Default 2,000 (upstream: 8).
    pub max_expansion_depth: usize,
    /// Most memory of list items once list references inside lists are expanded (all lists;
    /// each item counts its bytes and 40 for its string). Default 64 MiB.
    pub max_list_bytes: usize,
    /// Most bytes of condition text Falco's textual list substitution may scan in one load (one
    /// pass per list a condition names). Default 1 GiB (upstream: under 1 MiB).
    pub max_substitution_scan: usize,
    /// Memory of the compiled regular expressions (`regex` operator) of the engine, each
    /// counted with its match cache. Default 64 MiB; one expression is also bounded by
    /// [`crate::eval::REGEX_SIZE_LIMIT`].
    pub max_regex_bytes: usize,
}

impl Default for LoadLimits {
    fn default() -> Self {
        LoadLimits {
            max_file_bytes: MAX_CONTENT_LEN,
            max_items: 100_000,
            max_condition_nodes: MAX_EXPANDED_NODES,
            max_total_nodes: 1_000_000,
            max_expansion_depth: MAX_EXPANDED_DEPTH,
            max_list_bytes: 64 << 20,
            max_substitution_scan: 1 << 30,
            max_regex_bytes: crate::eval::DEFAULT_MAX_REGEX_BYTES,
        }
    }
}

/// A `major.minor.patch` version (libsinsp `sinsp_version`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
}

impl Version {
    pub const fn new(major: u64, minor: u64, patch: u64) -> Self {
        Version {
            major,
            minor,
            patch,
        }
    }

    /// `x.y.z` with numeric components (trailing text after the patch number is ignored, as
    /// `sscanf` does).
    pub fn parse(s: &str) -> Option<Version> {
        let mut parts = s.splitn(3, '.');
        let num = |p: &str| -> Option<u64> {
            let d: String = p.chars().take_while(|c| c.is_ascii_digit()).collect();
            if d.is_empty() { None } else { d.parse().ok() }
        };
        let major = parts
            .next()
            .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
            .and_then(num)?;
        let minor = parts
            .next()
            .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
            .and_then(num)?;
        let patch = parts.next().and_then(num)?;
        Some(Version::new(major, minor, patch))
    }

    /// Same major version and at least as new as `required`.
    pub fn compatible_with(&self, required: &Version) -> bool {
        self.major == required.major && self >= required
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// Falco's engine version this loader claims (Falco 0.44).
pub const ENGINE_VERSION: Version = Version::new(0, 62, 0);

/// Rule priorities: Bulkhead's one definition, with its mapping to finding severities.
pub use bulkhead_core::Priority;

/// Loader settings.
#[derive(Debug, Clone)]
pub struct Config {
    pub engine_version: Version,
    /// Event sources rules may use; others get `LOAD_UNKNOWN_SOURCE` and are skipped.
    pub sources: Vec<String>,
    /// Condition parser depth limit (Falco: 1000).
    pub max_depth: u32,
    /// Bounds on what a load may hold or compute.
    pub limits: LoadLimits,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            engine_version: ENGINE_VERSION,
            sources: vec!["syscall".into(), "k8s_audit".into()],
            max_depth: crate::parser::DEFAULT_MAX_DEPTH,
            limits: LoadLimits::default(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// collected items

#[derive(Debug, Clone, Default, PartialEq)]
struct Entry {
    is_list: bool,
    item: String,
    items: Vec<Entry>,
}

impl Entry {
    fn scalar(s: &str) -> Entry {
        Entry {
            is_list: false,
            item: s.to_string(),
            items: Vec::new(),
        }
    }
    fn is_valid(&self) -> bool {
        (self.is_list && !self.items.is_empty()) || (!self.is_list && !self.item.is_empty())
    }
}

#[derive(Debug, Clone)]
struct ExceptionInfo {
    ctx: Context,
    name: String,
    fields: Entry,
    comps: Entry,
    values: Vec<Entry>,
}

#[derive(Debug, Clone)]
struct ListInfo {
    ctx: Context,
    name: String,
    items: Vec<String>,
    index: usize,
    visibility: usize,
}

#[derive(Debug, Clone)]
struct MacroInfo {
    ctx: Context,
    cond_ctx: Context,
    name: String,
    cond: String,
    index: usize,
    visibility: usize,
}

#[derive(Debug, Clone)]
struct RuleInfo {
    ctx: Context,
    cond_ctx: Context,
    output_ctx: Context,
    name: String,
    cond: String,
    output: String,
    desc: String,
    priority: Priority,
    source: String,
    tags: BTreeSet<String>,
    exceptions: Vec<ExceptionInfo>,
    /// `exceptions` by name (appends find theirs in constant time).
    exception_index: HashMap<String, usize>,
    enabled: bool,
    warn_evttypes: bool,
    skip_if_unknown_filter: bool,
    capture: bool,
    capture_duration: u64,
    unknown_source: bool,
    index: usize,
    visibility: usize,
}

#[derive(Debug, Clone, Default)]
struct RuleUpdate {
    cond: Option<String>,
    output: Option<String>,
    desc: Option<String>,
    tags: Option<BTreeSet<String>>,
    exceptions: Option<Vec<ExceptionInfo>>,
    priority: Option<Priority>,
    enabled: Option<bool>,
    warn_evttypes: Option<bool>,
    skip_if_unknown_filter: Option<bool>,
}

impl RuleUpdate {
    fn has_any_value(&self) -> bool {
        self.cond.is_some()
            || self.output.is_some()
            || self.desc.is_some()
            || self.tags.is_some()
            || self.exceptions.is_some()
            || self.priority.is_some()
            || self.enabled.is_some()
            || self.warn_evttypes.is_some()
            || self.skip_if_unknown_filter.is_some()
    }
}

/// A required plugin version with its alternatives (first entry is the plugin itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginRequirement {
    pub name: String,
    pub version: String,
}

/// Insertion-ordered, name-indexed storage (Falco's `indexed_vector`).
#[derive(Debug, Clone)]
struct Indexed<T> {
    items: Vec<T>,
    by_name: HashMap<String, usize>,
}

impl<T> Default for Indexed<T> {
    fn default() -> Self {
        Indexed {
            items: Vec::new(),
            by_name: HashMap::new(),
        }
    }
}

impl<T> Indexed<T> {
    fn get(&self, name: &str) -> Option<&T> {
        self.by_name.get(name).map(|&i| &self.items[i])
    }
    fn get_mut(&mut self, name: &str) -> Option<&mut T> {
        self.by_name.get(name).map(|&i| &mut self.items[i])
    }
    fn insert(&mut self, name: &str, item: T) {
        match self.by_name.get(name) {
            Some(&i) => self.items[i] = item,
            None => {
                self.by_name.insert(name.to_string(), self.items.len());
                self.items.push(item);
            }
        }
    }
}

#[derive(Debug, Clone, Default)]
struct Collector {
    cur_index: usize,
    lists: Indexed<ListInfo>,
    macros: Indexed<MacroInfo>,
    rules: Indexed<RuleInfo>,
    required_engine_version: Option<Version>,
    required_plugin_versions: Vec<Vec<PluginRequirement>>,
}

// ---------------------------------------------------------------------------------------------
// compiled output

/// A list after one level of list-reference expansion.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledList {
    pub name: String,
    pub items: Vec<String>,
    pub used: bool,
}

/// A macro with its condition parsed (lists substituted) and macros resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledMacro {
    pub name: String,
    pub condition: Expr,
    pub used: bool,
}

/// A loaded rule.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledRule {
    pub name: String,
    pub source: String,
    pub description: String,
    pub priority: Priority,
    pub output: String,
    pub tags: BTreeSet<String>,
    pub enabled: bool,
    pub capture: bool,
    pub capture_duration: u64,
    pub warn_evttypes: bool,
    pub skip_if_unknown_filter: bool,
    /// The condition text as compiled: exceptions appended, lists substituted.
    pub condition_text: String,
    /// The condition with macros resolved.
    pub condition: Expr,
    pub exception_fields: BTreeSet<String>,
    /// Event types (syscall source only).
    pub evttypes: Option<EvtTypes>,
}

#[derive(Debug, Clone, Default)]
struct CompileOutput {
    lists: Vec<CompiledList>,
    macros: Vec<CompiledMacro>,
    rules: Vec<CompiledRule>,
    /// The compiled regular expressions of the rules, by pattern.
    regexes: crate::eval::RegexCache,
}

/// An error that aborts a load (Falco's `rule_load_exception`).
#[derive(Debug, Clone)]
struct LoadErr {
    code: ErrorCode,
    msg: String,
    ctx: Context,
}

type LResult<T> = Result<T, LoadErr>;

fn err<T>(code: ErrorCode, msg: impl Into<String>, ctx: &Context) -> LResult<T> {
    Err(LoadErr {
        code,
        msg: msg.into(),
        ctx: ctx.clone(),
    })
}

fn yaml_err<T>(msg: impl Into<String>, ctx: &Context) -> LResult<T> {
    err(ErrorCode::YamlValidate, msg, ctx)
}

fn validate_err<T>(msg: impl Into<String>, ctx: &Context) -> LResult<T> {
    err(ErrorCode::Validate, msg, ctx)
}

fn position(n: &Node) -> Position {
    Position {
        pos: n.mark.pos,
        line: n.mark.line,
        column: n.mark.column,
    }
}

fn child(ctx: &Context, n: &Node, t: ItemType, name: &str) -> Context {
    ctx.child(position(n), t, name)
}

// ---------------------------------------------------------------------------------------------
// engine

/// Loads rules files one after the other, keeping definitions across files like Falco's engine.
#[derive(Debug, Clone)]
pub struct RulesEngine {
    config: Config,
    collector: Collector,
    output: CompileOutput,
    contents: RulesContents,
}

impl Default for RulesEngine {
    fn default() -> Self {
        RulesEngine::new(Config::default())
    }
}

impl RulesEngine {
    pub fn new(config: Config) -> Self {
        RulesEngine {
            config,
            collector: Collector::default(),
            output: CompileOutput::default(),
            contents: RulesContents::new(),
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Reads and loads a file; the result is named by the path as given.
    /// Rules paths as Falco expands them (`read_rules_file_directory`): a directory gives its
    /// regular files (symlinks followed, not recursive) named `*.yaml` or `*.yml`, sorted by
    /// name; a file is itself (Falco also drops explicit files without those extensions;
    /// Bulkhead loads them, so a misnamed file is not skipped in silence). An unreadable
    /// directory stays as is, so loading it reports the error.
    pub fn expand_paths(paths: &[std::path::PathBuf]) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        for p in paths {
            if !p.is_dir() {
                out.push(p.clone());
                continue;
            }
            let Ok(rd) = std::fs::read_dir(p) else {
                out.push(p.clone());
                continue;
            };
            let mut files: Vec<std::path::PathBuf> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.is_file() && f.extension().is_some_and(|x| x == "yaml" || x == "yml"))
                .collect();
            files.sort();
            out.extend(files);
        }
        out
    }

    /// Reads and loads a rules file: a regular file (a FIFO, device or socket is refused without
    /// blocking) of at most [`LoadLimits::max_file_bytes`], read with that bound; bytes that are
    /// not UTF-8 are read as U+FFFD.
    pub fn load_file(&mut self, path: &Path) -> LoadResult {
        use bulkhead_core::input::{InputError, io_reason, read_regular};
        let name = path.display().to_string();
        let limit = self.config.limits.max_file_bytes;
        match read_regular(path, limit as u64, "LoadLimits::max_file_bytes") {
            Ok(bytes) => {
                let content = bulkhead_core::input::text_lossy(bytes);
                self.load_rules(&content, &name)
            }
            Err(e) => {
                let msg = match &e {
                    InputError::NotRegular { what, .. } => format!(
                        "Could not open file {name} for reading: {what}, not a regular file (rules are read from regular files)"
                    ),
                    InputError::TooLarge { limit, .. } => format!(
                        "Could not read file {name}: larger than {limit} bytes (the largest rules file Bulkhead reads; split it)"
                    ),
                    InputError::Io { source, .. } => {
                        format!(
                            "Could not open file {name} for reading: {}",
                            io_reason(source)
                        )
                    }
                };
                let mut res = LoadResult::new(&name);
                res.add_error(ErrorCode::FileRead, msg, Context::root(&name));
                res
            }
        }
    }

    /// Loads one rules content: reads its items into the definitions collected so far, then
    /// compiles everything. Returns the errors and warnings of this load.
    pub fn load_rules(&mut self, content: &str, name: &str) -> LoadResult {
        let mut res = LoadResult::new(name);
        self.contents.insert(name.to_string(), content.to_string());
        if self.read(content, name, &mut res) {
            let mut out = CompileOutput::default();
            let ok = self.compile(&mut out, &mut res);
            if ok && res.successful() {
                self.output = out;
            }
        }
        res
    }

    /// The contents loaded so far, by name (for snippets).
    pub fn contents(&self) -> &RulesContents {
        &self.contents
    }

    /// Rules of the last successful load, in definition order.
    pub fn rules(&self) -> &[CompiledRule] {
        &self.output.rules
    }

    pub fn macros(&self) -> &[CompiledMacro] {
        &self.output.macros
    }

    pub fn lists(&self) -> &[CompiledList] {
        &self.output.lists
    }

    /// The regular expressions of the rules, compiled once by pattern (shared by every
    /// detector built from this engine).
    pub fn regexes(&self) -> &crate::eval::RegexCache {
        &self.output.regexes
    }

    pub fn rule(&self, name: &str) -> Option<&CompiledRule> {
        self.output.rules.iter().find(|r| r.name == name)
    }

    /// The highest `required_engine_version` seen.
    pub fn required_engine_version(&self) -> Option<Version> {
        self.collector.required_engine_version
    }

    /// `required_plugin_versions` entries (each with its alternatives).
    pub fn required_plugin_versions(&self) -> &[Vec<PluginRequirement>] {
        &self.collector.required_plugin_versions
    }

    /// Number of rules/macros/lists collected (including rules with unknown sources).
    pub fn collected_counts(&self) -> (usize, usize, usize) {
        (
            self.collector.rules.items.len(),
            self.collector.macros.items.len(),
            self.collector.lists.items.len(),
        )
    }

    // ---- reader ----

    fn read(&mut self, content: &str, name: &str, res: &mut LoadResult) -> bool {
        let root = Context::root(name);
        let max = self.config.limits.max_file_bytes;
        if content.len() > max {
            res.add_error(
                ErrorCode::YamlParse,
                format!("rules content too large (over {max} bytes)"),
                root,
            );
            return false;
        }
        let docs = match yaml::load_all(content) {
            Ok(d) => d,
            Err(e) => {
                let ctx = root.child(
                    Position {
                        pos: e.mark.pos,
                        line: e.mark.line,
                        column: e.mark.column,
                    },
                    ItemType::ValueFor,
                    "",
                );
                res.add_error(ErrorCode::YamlParse, e.message, ctx);
                return false;
            }
        };
        for doc in &docs {
            if doc.is_null() {
                continue;
            }
            let r = (|| -> LResult<()> {
                if !doc.is_map() && !doc.is_seq() {
                    return yaml_err("Rules content is not yaml", &root);
                }
                if !doc.is_seq() {
                    return yaml_err("Rules content is not yaml array of objects", &root);
                }
                for item in doc.seq() {
                    if !item.is_null() {
                        self.read_item(item, &root, res)?;
                    }
                }
                Ok(())
            })();
            if let Err(e) = r {
                res.add_error(e.code, e.msg, e.ctx);
                return false;
            }
        }
        true
    }

    fn read_item(&mut self, item: &Node, parent: &Context, res: &mut LoadResult) -> LResult<()> {
        if !item.is_map() {
            let tmp = child(parent, item, ItemType::RulesContentItem, "");
            return yaml_err(
                "Unexpected element type. Each element should be a yaml associative array.",
                &tmp,
            );
        }
        if item.get("required_engine_version").is_some() {
            let ctx = child(parent, item, ItemType::RequiredEngineVersion, "");
            let s = decode_val(item, "required_engine_version", &ctx)?;
            let version = match decode_u32(&s) {
                Some(v) => Version::new(0, v as u64, 0),
                None => match Version::parse(&s) {
                    Some(v) => v,
                    None => {
                        return yaml_err(
                            format!(
                                "Unable to parse engine version '{s}' as a semver string. Expected \"x.y.z\" semver format."
                            ),
                            &ctx,
                        );
                    }
                },
            };
            if !self.config.engine_version.compatible_with(&version) {
                return validate_err(
                    format!(
                        "Rules require engine version {version}, but engine version is {}",
                        self.config.engine_version
                    ),
                    &ctx,
                );
            }
            if self
                .collector
                .required_engine_version
                .is_none_or(|v| v < version)
            {
                self.collector.required_engine_version = Some(version);
            }
        } else if let Some(reqs) = item.get("required_plugin_versions") {
            self.read_plugin_versions(reqs, parent)?;
        } else if item.get("list").is_some() {
            self.read_list(item, parent, res)?;
        } else if item.get("macro").is_some() {
            self.read_macro(item, parent, res)?;
        } else if item.get("rule").is_some() {
            self.read_rule(item, parent, res)?;
        } else {
            let ctx = child(parent, item, ItemType::RulesContentItem, "");
            res.add_warning(WarningCode::UnknownItem, "Unknown top level item", ctx);
        }
        Ok(())
    }

    fn read_plugin_versions(&mut self, reqs: &Node, parent: &Context) -> LResult<()> {
        let ctx = child(parent, reqs, ItemType::RequiredPluginVersions, "");
        if !reqs.is_seq() {
            return yaml_err("Value of required_plugin_versions must be a sequence", &ctx);
        }
        for plugin in reqs.seq() {
            let tmp = child(&ctx, plugin, ItemType::RequiredPluginVersionsEntry, "");
            if !plugin.is_map() {
                return yaml_err("Plugin version must be a mapping", &tmp);
            }
            let name = decode_val(plugin, "name", &tmp)?;
            let pctx = child(&ctx, plugin, ItemType::RequiredPluginVersionsEntry, &name);
            let version = decode_val(plugin, "version", &pctx)?;
            let mut alternatives = vec![PluginRequirement { name, version }];
            if let Some(alts) = plugin.get("alternatives") {
                if !alts.is_seq() {
                    return yaml_err(
                        "Value of plugin version alternatives must be a sequence",
                        &pctx,
                    );
                }
                for alt in alts.seq() {
                    let tmp = child(&pctx, alt, ItemType::RequiredPluginVersionsAlternative, "");
                    if !alt.is_map() {
                        return yaml_err("Plugin version alternative must be a mapping", &tmp);
                    }
                    let name = decode_val(alt, "name", &tmp)?;
                    let tmp = child(
                        &pctx,
                        alt,
                        ItemType::RequiredPluginVersionsAlternative,
                        &name,
                    );
                    let version = decode_val(alt, "version", &tmp)?;
                    alternatives.push(PluginRequirement { name, version });
                }
            }
            let mut names = HashSet::new();
            for r in &alternatives {
                if Version::parse(&r.version).is_none() {
                    return validate_err(
                        format!(
                            "Invalid required version '{}' for plugin '{}'",
                            r.version, r.name
                        ),
                        &pctx,
                    );
                }
                if !names.insert(r.name.clone()) {
                    return validate_err(
                        format!(
                            "Defined multiple alternative version requirements for plugin '{}'",
                            r.name
                        ),
                        &pctx,
                    );
                }
            }
            self.collector.required_plugin_versions.push(alternatives);
        }
        Ok(())
    }

    /// Room for one more list, macro or rule definition ([`LoadLimits::max_items`]).
    fn check_room(&self, ctx: &Context) -> LResult<()> {
        let (r, m, l) = self.collected_counts();
        let max = self.config.limits.max_items;
        if r + m + l >= max {
            return validate_err(
                format!(
                    "more than {max} lists, macros and rules in all (the loader's limit, LoadLimits::max_items; split the rules or raise the limit)"
                ),
                ctx,
            );
        }
        Ok(())
    }

    fn next_index(&mut self) -> usize {
        let i = self.collector.cur_index;
        self.collector.cur_index += 1;
        i
    }

    fn read_list(&mut self, item: &Node, parent: &Context, res: &mut LoadResult) -> LResult<()> {
        let tmp = child(parent, item, ItemType::List, "");
        let name = decode_val(item, "list", &tmp)?;
        let ctx = child(parent, item, ItemType::List, &name);
        if !is_barestr(&name) {
            res.add_warning(
                WarningCode::InvalidListName,
                "List has an invalid name. List names must match a regular expression: ([^()\"'[:space:]=,]+)",
                ctx.clone(),
            );
        }
        let items = decode_seq(item, "items", &ctx, false)?.unwrap_or_default();
        let mut append = decode_opt_bool(item, "append", &ctx)?.unwrap_or(false);
        if append {
            res.add_warning(WarningCode::DeprecatedItem, WARNING_APPEND, ctx.clone());
        }
        let (ov_append, ov_replace) = decode_overrides(item, &["items"], &["items"], &ctx)?;
        if append && (!ov_append.is_empty() || !ov_replace.is_empty()) {
            return validate_err(ERROR_OVERRIDE_APPEND, &ctx);
        }
        append |= ov_append.contains("items");
        if append {
            let id = self.next_index();
            let Some(prev) = self.collector.lists.get_mut(&name) else {
                return validate_err(
                    "List uses 'append' or 'override.items: append' but no list by that name already exists",
                    &ctx,
                );
            };
            prev.items.extend(items);
            prev.visibility = id;
        } else {
            if self.collector.lists.get(&name).is_none() {
                self.check_room(&ctx)?;
            }
            let id = self.next_index();
            let mut info = ListInfo {
                ctx,
                name: name.clone(),
                items,
                index: id,
                visibility: id,
            };
            if let Some(prev) = self.collector.lists.get(&name) {
                info.index = prev.index;
            }
            self.collector.lists.insert(&name, info);
        }
        Ok(())
    }

    fn read_macro(&mut self, item: &Node, parent: &Context, res: &mut LoadResult) -> LResult<()> {
        let tmp = child(parent, item, ItemType::Macro, "");
        let name = decode_val(item, "macro", &tmp)?;
        let ctx = child(parent, item, ItemType::Macro, &name);
        if !is_identifier(&name) {
            res.add_warning(
                WarningCode::InvalidMacroName,
                "Macro has an invalid name. Macro names must match a regular expression: ([a-zA-Z]+[a-zA-Z0-9_]*)",
                ctx.clone(),
            );
        }
        let cond = decode_val(item, "condition", &ctx)?;
        let cond_node = item.get("condition").expect("decoded");
        let cond_ctx = child(&ctx, cond_node, ItemType::MacroCondition, "");
        let mut append = decode_opt_bool(item, "append", &ctx)?.unwrap_or(false);
        if append {
            res.add_warning(WarningCode::DeprecatedItem, WARNING_APPEND, ctx.clone());
        }
        let (ov_append, ov_replace) = decode_overrides(item, &["condition"], &["condition"], &ctx)?;
        if append && (!ov_append.is_empty() || !ov_replace.is_empty()) {
            return validate_err(ERROR_OVERRIDE_APPEND, &ctx);
        }
        append |= ov_append.contains("condition");
        let id = self.next_index();
        if append {
            let Some(prev) = self.collector.macros.get_mut(&name) else {
                return validate_err(
                    "Macro uses 'append' or 'override.condition: append' but no macro by that name already exists",
                    &ctx,
                );
            };
            prev.cond.push(' ');
            prev.cond.push_str(&cond);
            prev.visibility = id;
        } else {
            if self.collector.macros.get(&name).is_none() {
                self.check_room(&ctx)?;
            }
            let mut info = MacroInfo {
                ctx,
                cond_ctx,
                name: name.clone(),
                cond,
                index: id,
                visibility: id,
            };
            if let Some(prev) = self.collector.macros.get(&name) {
                info.index = prev.index;
            }
            self.collector.macros.insert(&name, info);
        }
        Ok(())
    }

    fn read_rule(&mut self, item: &Node, parent: &Context, res: &mut LoadResult) -> LResult<()> {
        let tmp = child(parent, item, ItemType::Rule, "");
        let name = decode_val(item, "rule", &tmp)?;
        let ctx = child(parent, item, ItemType::Rule, &name);
        let has_append = decode_opt_bool(item, "append", &ctx)?.unwrap_or(false);
        if has_append {
            res.add_warning(WarningCode::DeprecatedItem, WARNING_APPEND, ctx.clone());
        }
        const APPENDABLE: &[&str] = &["condition", "output", "desc", "tags", "exceptions"];
        const REPLACEABLE: &[&str] = &[
            "condition",
            "output",
            "desc",
            "priority",
            "tags",
            "exceptions",
            "enabled",
            "warn_evttypes",
            "skip-if-unknown-filter",
        ];
        let (ov_append, ov_replace) = decode_overrides(item, APPENDABLE, REPLACEABLE, &ctx)?;
        let has_overrides = !ov_append.is_empty() || !ov_replace.is_empty();
        if has_append && has_overrides {
            return validate_err(ERROR_OVERRIDE_APPEND, &ctx);
        }

        if has_overrides {
            let mut expected: BTreeSet<&str> = APPENDABLE
                .iter()
                .chain(REPLACEABLE)
                .copied()
                .filter(|k| item.get(k).is_some())
                .collect();
            let mut check = |set: &BTreeSet<String>, kind: &str, key: &str| -> LResult<bool> {
                if !set.contains(key) {
                    return Ok(false);
                }
                if !expected.contains(key) {
                    return yaml_err(
                        format!(
                            "An {kind} override for '{key}' was specified but '{key}' is not defined"
                        ),
                        &ctx,
                    );
                }
                expected.remove(key);
                Ok(true)
            };
            if !ov_append.is_empty() {
                let mut v = RuleUpdate::default();
                if check(&ov_append, "append", "condition")? {
                    v.cond = Some(decode_val(item, "condition", &ctx)?);
                }
                if check(&ov_append, "append", "exceptions")? {
                    v.exceptions = Some(read_exceptions(item, &ctx, true, res)?);
                }
                if check(&ov_append, "append", "output")? {
                    v.output = Some(decode_val(item, "output", &ctx)?);
                }
                if check(&ov_append, "append", "desc")? {
                    v.desc = Some(decode_val(item, "desc", &ctx)?);
                }
                if check(&ov_append, "append", "tags")? {
                    v.tags = Some(
                        decode_seq(item, "tags", &ctx, true)?
                            .unwrap_or_default()
                            .into_iter()
                            .collect(),
                    );
                }
                self.append_rule(&name, v, &ctx)?;
            }
            if !ov_replace.is_empty() {
                let mut v = RuleUpdate::default();
                if check(&ov_replace, "replace", "condition")? {
                    v.cond = Some(decode_val(item, "condition", &ctx)?);
                }
                if check(&ov_replace, "replace", "exceptions")? {
                    v.exceptions = Some(read_exceptions(item, &ctx, true, res)?);
                }
                if check(&ov_replace, "replace", "output")? {
                    v.output = Some(decode_val(item, "output", &ctx)?);
                }
                if check(&ov_replace, "replace", "desc")? {
                    v.desc = Some(decode_val(item, "desc", &ctx)?);
                }
                if check(&ov_replace, "replace", "tags")? {
                    v.tags = Some(
                        decode_seq(item, "tags", &ctx, true)?
                            .unwrap_or_default()
                            .into_iter()
                            .collect(),
                    );
                }
                if check(&ov_replace, "replace", "priority")? {
                    let p = decode_val(item, "priority", &ctx)?;
                    let prictx = child(
                        &ctx,
                        item.get("priority").expect("decoded"),
                        ItemType::RulePriority,
                        "",
                    );
                    v.priority = Some(match Priority::parse(&p) {
                        Some(p) => p,
                        None => return yaml_err("Invalid priority", &prictx),
                    });
                }
                if check(&ov_replace, "replace", "enabled")? {
                    v.enabled = Some(decode_req_bool(item, "enabled", &ctx)?);
                }
                if check(&ov_replace, "replace", "warn_evttypes")? {
                    v.warn_evttypes = Some(decode_req_bool(item, "warn_evttypes", &ctx)?);
                }
                if check(&ov_replace, "replace", "skip-if-unknown-filter")? {
                    v.skip_if_unknown_filter =
                        Some(decode_req_bool(item, "skip-if-unknown-filter", &ctx)?);
                }
                self.replace_rule(&name, v, &ctx)?;
            }
            if let Some(key) = expected.iter().next() {
                let keyctx = child(
                    &ctx,
                    item.get(key).expect("defined"),
                    ItemType::Overrides,
                    key,
                );
                return yaml_err(
                    format!(
                        "Unexpected key '{key}': no corresponding entry under 'override' is defined."
                    ),
                    &keyctx,
                );
            }
            return Ok(());
        }

        if has_append {
            let mut v = RuleUpdate::default();
            if item.get("condition").is_some() {
                v.cond = Some(decode_val(item, "condition", &ctx)?);
            }
            if item.get("exceptions").is_some() {
                v.exceptions = Some(read_exceptions(item, &ctx, true, res)?);
            }
            return self.append_rule(&name, v, &ctx);
        }

        if ["condition", "output", "desc", "priority"]
            .iter()
            .all(|k| item.get(k).is_none())
        {
            let enabled = decode_req_bool(item, "enabled", &ctx)?;
            res.add_warning(WarningCode::DeprecatedItem, WARNING_ENABLED, ctx.clone());
            let Some(prev) = self.collector.rules.get_mut(&name) else {
                return validate_err(
                    "Rule has 'enabled' key but no rule by that name already exists",
                    &ctx,
                );
            };
            prev.enabled = enabled;
            return Ok(());
        }

        let cond = decode_val(item, "condition", &ctx)?;
        let cond_ctx = child(
            &ctx,
            item.get("condition").expect("decoded"),
            ItemType::RuleCondition,
            "",
        );
        let output = decode_val(item, "output", &ctx)?;
        let output_ctx = child(
            &ctx,
            item.get("output").expect("decoded"),
            ItemType::RuleOutput,
            "",
        );
        let desc = decode_val(item, "desc", &ctx)?;
        let priority_s = decode_val(item, "priority", &ctx)?;
        let output = output
            .trim_matches(|c: char| " \t\n\r\x0b\x0c".contains(c))
            .to_string();
        let prictx = child(
            &ctx,
            item.get("priority").expect("decoded"),
            ItemType::RulePriority,
            "",
        );
        let Some(priority) = Priority::parse(&priority_s) else {
            return yaml_err("Invalid priority", &prictx);
        };
        let source = decode_opt_val(item, "source", &ctx)?.unwrap_or_else(|| "syscall".into());
        let enabled = decode_opt_bool(item, "enabled", &ctx)?.unwrap_or(true);
        let warn_evttypes = decode_opt_bool(item, "warn_evttypes", &ctx)?.unwrap_or(true);
        let skip = decode_opt_bool(item, "skip-if-unknown-filter", &ctx)?.unwrap_or(false);
        let capture = decode_opt_bool(item, "capture", &ctx)?.unwrap_or(false);
        let capture_duration = match decode_opt_val(item, "capture_duration", &ctx)? {
            Some(s) => match s.parse::<u64>() {
                Ok(v) => v,
                Err(_) => {
                    let vctx = child(
                        &ctx,
                        item.get("capture_duration").expect("decoded"),
                        ItemType::ValueFor,
                        "capture_duration",
                    );
                    return yaml_err("Can't decode YAML scalar value", &vctx);
                }
            },
            None => 0,
        };
        let tags: BTreeSet<String> = decode_seq(item, "tags", &ctx, true)?
            .unwrap_or_default()
            .into_iter()
            .collect();
        let exceptions = read_exceptions(item, &ctx, has_append, res)?;
        let mut info = RuleInfo {
            ctx: ctx.clone(),
            cond_ctx,
            output_ctx,
            name: name.clone(),
            cond,
            output,
            desc,
            priority,
            source,
            tags,
            exception_index: exception_index(&exceptions),
            exceptions,
            enabled,
            warn_evttypes,
            skip_if_unknown_filter: skip,
            capture,
            capture_duration,
            unknown_source: false,
            index: 0,
            visibility: 0,
        };
        // collector::define(rule)
        if let Some(prev) = self.collector.rules.get(&name)
            && prev.source != info.source
        {
            return validate_err("Rule has been re-defined with a different source", &ctx);
        }
        let known = self.config.sources.contains(&info.source);
        if !known {
            info.unknown_source = true;
            res.add_warning(
                WarningCode::UnknownSource,
                format!("Unknown source {}, skipping", info.source),
                ctx.clone(),
            );
        }
        if self.collector.rules.get(&name).is_none() {
            self.check_room(&ctx)?;
        }
        let source = known.then(|| info.source.clone());
        for ex in &mut info.exceptions {
            if !ex.fields.is_valid() {
                return validate_err(
                    "Rule exception item must have fields property with a list of fields",
                    &ex.ctx,
                );
            }
            validate_exception(source.as_deref(), ex)?;
        }
        let id = self.next_index();
        info.index = id;
        info.visibility = id;
        if let Some(prev) = self.collector.rules.get(&name) {
            info.index = prev.index;
        }
        self.collector.rules.insert(&name, info);
        Ok(())
    }

    fn append_rule(&mut self, name: &str, v: RuleUpdate, ctx: &Context) -> LResult<()> {
        let id = self.next_index();
        let sources = self.config.sources.clone();
        let Some(prev) = self.collector.rules.get_mut(name) else {
            return validate_err(
                "Rule uses 'append' or 'override.<key>: append' but no rule by that name already exists",
                ctx,
            );
        };
        if !v.has_any_value() {
            return validate_err(
                "Appended rule must have exceptions or condition property",
                ctx,
            );
        }
        let source = if prev.unknown_source {
            None
        } else {
            if !sources.contains(&prev.source) {
                return validate_err(format!("Unknown source {}", prev.source), ctx);
            }
            Some(prev.source.clone())
        };
        if let Some(c) = v.cond.filter(|c| !c.is_empty()) {
            prev.cond.push(' ');
            prev.cond.push_str(&c);
        }
        if let Some(o) = v.output.filter(|o| !o.is_empty()) {
            prev.output.push(' ');
            prev.output.push_str(&o);
        }
        if let Some(d) = v.desc.filter(|d| !d.is_empty()) {
            prev.desc.push(' ');
            prev.desc.push_str(&d);
        }
        if let Some(tags) = v.tags {
            prev.tags.extend(tags);
        }
        if let Some(exs) = v.exceptions {
            for mut ex in exs {
                match prev
                    .exception_index
                    .get(&ex.name)
                    .and_then(|&i| prev.exceptions.get_mut(i))
                {
                    None => {
                        if !ex.fields.is_valid() {
                            return validate_err(
                                "Rule exception must have fields property with a list of fields",
                                &ex.ctx,
                            );
                        }
                        if ex.values.is_empty() {
                            return validate_err(
                                "Rule exception must have values property with a list of values",
                                &ex.ctx,
                            );
                        }
                        validate_exception(source.as_deref(), &mut ex)?;
                        prev.exception_index
                            .insert(ex.name.clone(), prev.exceptions.len());
                        prev.exceptions.push(ex);
                    }
                    Some(pe) => {
                        if ex.fields.is_valid() {
                            return validate_err(
                                "Can not append exception fields to existing exception, only values",
                                &ex.ctx,
                            );
                        }
                        if ex.comps.is_valid() {
                            return validate_err(
                                "Can not append exception comps to existing exception, only values",
                                &ex.ctx,
                            );
                        }
                        pe.values.extend(ex.values);
                    }
                }
            }
        }
        prev.visibility = id;
        Ok(())
    }

    fn replace_rule(&mut self, name: &str, v: RuleUpdate, ctx: &Context) -> LResult<()> {
        let id = self.next_index();
        let sources = self.config.sources.clone();
        let Some(prev) = self.collector.rules.get_mut(name) else {
            return validate_err(
                "An 'override.<key>: replace' to a rule was requested but no rule by that name already exists",
                ctx,
            );
        };
        if !v.has_any_value() {
            return validate_err(
                "The rule must have at least one field that can be replaced",
                ctx,
            );
        }
        if !prev.unknown_source && !sources.contains(&prev.source) {
            return validate_err(format!("Unknown source {}", prev.source), ctx);
        }
        if let Some(c) = v.cond {
            prev.cond = c;
        }
        if let Some(o) = v.output {
            prev.output = o;
        }
        if let Some(d) = v.desc {
            prev.desc = d;
        }
        if let Some(t) = v.tags {
            prev.tags = t;
        }
        if let Some(e) = v.exceptions {
            prev.exception_index = exception_index(&e);
            prev.exceptions = e;
        }
        if let Some(p) = v.priority {
            prev.priority = p;
        }
        if let Some(e) = v.enabled {
            prev.enabled = e;
        }
        if let Some(w) = v.warn_evttypes {
            prev.warn_evttypes = w;
        }
        if let Some(s) = v.skip_if_unknown_filter {
            prev.skip_if_unknown_filter = s;
        }
        prev.visibility = id;
        Ok(())
    }

    // ---- compiler ----

    fn compile(&self, out: &mut CompileOutput, res: &mut LoadResult) -> bool {
        let r = (|| -> LResult<()> {
            self.compile_lists(out)?;
            let mut subst = ListSubst::new(&out.lists);
            let mut budget = Budget::default();
            let resolved = self.compile_macros(out, &mut subst, &mut budget)?;
            self.compile_rules(out, &mut subst, &mut budget, &resolved, res)?;
            Ok(())
        })();
        if let Err(e) = r {
            res.add_error(e.code, e.msg, e.ctx);
            return false;
        }
        for (m, info) in out.macros.iter().zip(&self.collector.macros.items) {
            if !m.used {
                res.add_warning(
                    WarningCode::UnusedMacro,
                    "Macro not referred to by any other rule/macro",
                    info.ctx.clone(),
                );
            }
        }
        for (l, info) in out.lists.iter().zip(&self.collector.lists.items) {
            if !l.used {
                res.add_warning(
                    WarningCode::UnusedList,
                    "List not referred to by any other rule/macro",
                    info.ctx.clone(),
                );
            }
        }
        true
    }

    /// Lists with the lists they name expanded one level (a list sees the lists defined before
    /// its last definition or append), within [`LoadLimits::max_list_bytes`].
    fn compile_lists(&self, out: &mut CompileOutput) -> LResult<()> {
        let col = &self.collector;
        let max = self.config.limits.max_list_bytes;
        let mut total = 0usize;
        let mut used = vec![false; col.lists.items.len()];
        for list in &col.lists.items {
            let mut items = Vec::new();
            for item in &list.items {
                match col.lists.by_name.get(item.as_str()) {
                    Some(&j) if col.lists.items[j].index < list.visibility => {
                        used[j] = true;
                        let r = &col.lists.items[j];
                        total =
                            total.saturating_add(r.items.iter().map(|i| i.len() + ITEM_COST).sum());
                        if total > max {
                            break;
                        }
                        items.extend(r.items.iter().cloned());
                    }
                    _ => {
                        total = total.saturating_add(item.len() + ITEM_COST);
                        items.push(item.clone());
                    }
                }
                if total > max {
                    break;
                }
            }
            if total > max {
                return validate_err(
                    format!(
                        "lists expand to more than {max} bytes of items (lists naming other lists multiply them; the loader's limit, LoadLimits::max_list_bytes)"
                    ),
                    &list.ctx,
                );
            }
            out.lists.push(CompiledList {
                name: list.name.clone(),
                items,
                used: false,
            });
        }
        for (l, u) in out.lists.iter_mut().zip(used) {
            l.used |= u;
        }
        Ok(())
    }

    /// Substitutes lists into a condition and parses it.
    fn parse_with_lists(
        &self,
        condition: &str,
        lists: &mut [CompiledList],
        subst: &mut ListSubst,
        ctx: &Context,
    ) -> LResult<(Expr, String)> {
        let mut cnd = condition.to_string();
        if let Err(msg) = subst.run(
            &mut cnd,
            lists,
            &self.collector.lists.by_name,
            &self.config.limits,
        ) {
            return err(
                ErrorCode::CompileCondition,
                msg,
                &ctx.condition(Pos::START, condition),
            );
        }
        let mut p = Parser::new(&cnd);
        p.set_max_depth(self.config.max_depth);
        match p.parse() {
            Ok(e) => Ok((e, cnd)),
            Err(e) => err(
                ErrorCode::CompileCondition,
                e.message,
                &ctx.condition(e.pos, &cnd),
            ),
        }
    }

    /// Parses every macro (lists substituted), then resolves their macro references in
    /// definition order, each with the macros visible to it. A macro resolved once is reused
    /// by size (no walk), so the work is linear in what the expansions produce, which
    /// [`LoadLimits`] bound.
    fn compile_macros(
        &self,
        out: &mut CompileOutput,
        subst: &mut ListSubst,
        budget: &mut Budget,
    ) -> LResult<Vec<Option<Shape>>> {
        let col = &self.collector;
        for m in &col.macros.items {
            let (cond, _) = self.parse_with_lists(&m.cond, &mut out.lists, subst, &m.cond_ctx)?;
            out.macros.push(CompiledMacro {
                name: m.name.clone(),
                condition: cond,
                used: false,
            });
        }
        let mut resolved: Vec<Option<Shape>> = vec![None; out.macros.len()];
        let mut used = vec![false; out.macros.len()];
        for i in 0..out.macros.len() {
            let info = &col.macros.items[i];
            let mut ast = out.macros[i].condition.clone();
            let shape = {
                let mut ex = Expander {
                    macros: &out.macros,
                    infos: &col.macros.items,
                    by_name: &col.macros.by_name,
                    visibility: Some(info.visibility),
                    resolved: &resolved,
                    limits: &self.config.limits,
                    used: &mut used,
                };
                ex.expand(&mut ast, &info.cond, &info.ctx, "macro", &info.name)?
            };
            budget.charge(shape.nodes, &info.ctx, &self.config.limits)?;
            resolved[i] = Some(shape);
            out.macros[i].condition = ast;
        }
        for (m, u) in out.macros.iter_mut().zip(used) {
            m.used |= u;
        }
        Ok(resolved)
    }

    fn compile_rules(
        &self,
        out: &mut CompileOutput,
        subst: &mut ListSubst,
        budget: &mut Budget,
        resolved: &[Option<Shape>],
        res: &mut LoadResult,
    ) -> LResult<()> {
        let col = &self.collector;
        // Every macro is resolved by now: a rule's references are replaced by copies of their
        // conditions, whose sizes are known before they are made.
        let mut used = vec![false; out.macros.len()];
        let mut regexes = crate::eval::RegexCache::new(self.config.limits.max_regex_bytes);
        for r in &self.collector.rules.items {
            if r.unknown_source {
                continue;
            }
            let mut condition = r.cond.clone();
            let mut exception_fields = BTreeSet::new();
            if !r.exceptions.is_empty() {
                build_exceptions(&r.exceptions, &mut exception_fields, &mut condition)?;
            }
            let mut output = r.output.clone();
            if output.contains("%container.info") {
                res.add_warning(
                    WarningCode::DeprecatedItem,
                    "%container.info is deprecated and no more useful, and will be dropped by Falco 1.0.0. The container plugin will automatically add required fields to the output message.",
                    r.ctx.clone(),
                );
                output = output.replace("%container.info", "");
            }
            if let Err(msg) = validate_output(&r.source, &output) {
                if r.skip_if_unknown_filter {
                    res.add_warning(WarningCode::UnknownFilter, msg, r.output_ctx.clone());
                    continue;
                }
                return err(ErrorCode::CompileOutput, msg, &r.output_ctx);
            }
            for f in ["evt.dir", "evt.latency", "evt.wait_latency"] {
                if output.contains(f) {
                    res.add_warning(
                        WarningCode::DeprecatedItem,
                        format!(
                            "usage of deprecated field '{f}' has been detected in the rule output"
                        ),
                        r.output_ctx.clone(),
                    );
                }
            }

            let (mut ast, cond_text) =
                self.parse_with_lists(&condition, &mut out.lists, subst, &r.cond_ctx)?;
            let shape = Expander {
                macros: &out.macros,
                infos: &col.macros.items,
                by_name: &col.macros.by_name,
                visibility: None,
                resolved,
                limits: &self.config.limits,
                used: &mut used,
            }
            .expand(&mut ast, &condition, &r.ctx, "rule", &r.name)?;
            budget.charge(shape.nodes, &r.ctx, &self.config.limits)?;
            // <NA> comparisons
            let mut na = None;
            ast.walk(|e| {
                if na.is_none()
                    && let Expr::BinaryCheck {
                        left,
                        op,
                        right,
                        pos,
                        ..
                    } = e
                    && let Expr::Field { name, .. } = left.as_ref()
                    && (name.starts_with("ka.") || name.starts_with("jevt."))
                    && matches!(
                        op.as_str(),
                        "==" | "=" | "!=" | "in" | "intersects" | "pmatch"
                    )
                {
                    let hit = match right.as_ref() {
                        Expr::Value { value, .. } => value == "<NA>",
                        Expr::List { values, .. } => values.iter().any(|v| v == "<NA>"),
                        _ => false,
                    };
                    if hit {
                        na = Some(*pos);
                    }
                }
            });
            if let Some(pos) = na {
                res.add_warning(
                    WarningCode::UnsafeNaCheck,
                    "comparing a field value with <NA> is unsafe and can lead to unpredictable behavior of the rule condition. If you need to  check for the existence of a field, consider using the 'exists' operator instead.",
                    { let _ = pos; r.cond_ctx.clone() },
                );
            }
            if let Err((msg, pos, unknown)) = validate_condition(&r.source, &ast, &mut regexes) {
                let ctx = r.cond_ctx.condition(pos, &condition);
                if unknown && r.skip_if_unknown_filter {
                    res.add_warning(WarningCode::UnknownFilter, msg, ctx);
                    continue;
                }
                return err(ErrorCode::CompileCondition, msg, &ctx);
            }
            let evt = if r.source == "syscall" {
                let t = evttypes(&ast);
                if t.too_many() && r.warn_evttypes {
                    res.add_warning(
                        WarningCode::NoEvttype,
                        "Rule matches too many evt.type values. This has a significant performance penalty.",
                        r.ctx.clone(),
                    );
                }
                Some(t)
            } else {
                None
            };
            out.rules.push(CompiledRule {
                name: r.name.clone(),
                source: r.source.clone(),
                description: r.desc.clone(),
                priority: r.priority,
                output,
                tags: r.tags.clone(),
                enabled: r.enabled,
                capture: r.capture,
                capture_duration: r.capture_duration,
                warn_evttypes: r.warn_evttypes,
                skip_if_unknown_filter: r.skip_if_unknown_filter,
                condition_text: cond_text,
                condition: ast,
                exception_fields,
                evttypes: evt,
            });
        }
        for (m, u) in out.macros.iter_mut().zip(used) {
            m.used |= u;
        }
        out.regexes = regexes;
        Ok(())
    }
}

const WARNING_APPEND: &str = "'append' key is deprecated. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.";
const WARNING_ENABLED: &str = "The standalone 'enabled' key usage is deprecated. The correct approach requires also a 'replace' entry under the 'override' key (i.e. 'enabled: replace').";
const ERROR_OVERRIDE_APPEND: &str = "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.";

fn is_identifier(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphabetic()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

fn is_barestr(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|c| {
            !matches!(c, b'(' | b')' | b'"' | b'\'' | b'=' | b',')
                && !matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
        })
}

// ---- YAML decoding helpers (rule_loader_reader.cpp) ----

fn decode_val_generic(
    item: &Node,
    key: &str,
    ctx: &Context,
    optional: bool,
) -> LResult<Option<String>> {
    let Some(val) = item.get(key) else {
        if optional {
            return Ok(None);
        }
        return yaml_err(format!("Item has no mapping for key '{key}'"), ctx);
    };
    if val.is_null() {
        return yaml_err(format!("Mapping for key '{key}' is empty"), ctx);
    }
    let valctx = child(ctx, val, ItemType::ValueFor, key);
    let Some(s) = val.scalar() else {
        return yaml_err("Value is not a scalar value", &valctx);
    };
    if s.is_empty() {
        return yaml_err("Value must be non-empty", &valctx);
    }
    Ok(Some(s.to_string()))
}

fn decode_val(item: &Node, key: &str, ctx: &Context) -> LResult<String> {
    Ok(decode_val_generic(item, key, ctx, false)?.unwrap_or_default())
}

fn decode_opt_val(item: &Node, key: &str, ctx: &Context) -> LResult<Option<String>> {
    decode_val_generic(item, key, ctx, true)
}

fn to_bool(item: &Node, key: &str, s: &str, ctx: &Context) -> LResult<bool> {
    match decode_bool(s) {
        Some(b) => Ok(b),
        None => {
            let valctx = child(
                ctx,
                item.get(key).expect("present"),
                ItemType::ValueFor,
                key,
            );
            yaml_err("Can't decode YAML scalar value", &valctx)
        }
    }
}

fn decode_opt_bool(item: &Node, key: &str, ctx: &Context) -> LResult<Option<bool>> {
    match decode_opt_val(item, key, ctx)? {
        Some(s) => to_bool(item, key, &s, ctx).map(Some),
        None => Ok(None),
    }
}

fn decode_req_bool(item: &Node, key: &str, ctx: &Context) -> LResult<bool> {
    let s = decode_val(item, key, ctx)?;
    to_bool(item, key, &s, ctx)
}

fn decode_seq(
    item: &Node,
    key: &str,
    ctx: &Context,
    optional: bool,
) -> LResult<Option<Vec<String>>> {
    let Some(val) = item.get(key) else {
        if optional {
            return Ok(None);
        }
        return yaml_err(format!("Item has no mapping for key '{key}'"), ctx);
    };
    let valctx = child(ctx, val, ItemType::ValueFor, key);
    if !val.is_seq() {
        return yaml_err("Value is not a sequence", &valctx);
    }
    let mut out = Vec::new();
    for v in val.seq() {
        let ictx = child(&valctx, v, ItemType::ListItem, "");
        match v.scalar() {
            Some(s) => out.push(s.to_string()),
            None => return yaml_err("sequence value is not scalar", &ictx),
        }
    }
    Ok(Some(out))
}

fn decode_overrides(
    item: &Node,
    appendable: &[&str],
    replaceable: &[&str],
    ctx: &Context,
) -> LResult<(BTreeSet<String>, BTreeSet<String>)> {
    let mut out_append = BTreeSet::new();
    let mut out_replace = BTreeSet::new();
    let Some(val) = item.get("override") else {
        return Ok((out_append, out_replace));
    };
    let overridectx = child(ctx, item, ItemType::Overrides, "");
    for (k, v) in val.entries() {
        let (Some(key), Some(op)) = (k.as_string(), v.as_string()) else {
            return validate_err("bad conversion", &Context::root(ctx.name()));
        };
        let is_app = appendable.contains(&key.as_str());
        let is_rep = replaceable.contains(&key.as_str());
        let keyctx = child(&overridectx, k, ItemType::Overrides, &key);
        match op.as_str() {
            "append" => {
                if !is_app {
                    return yaml_err(
                        format!("Key '{key}' cannot be appended to, use 'replace' instead"),
                        &keyctx,
                    );
                }
                out_append.insert(key);
            }
            "replace" => {
                if !is_rep {
                    return yaml_err(format!("Key '{key}' cannot be replaced"), &keyctx);
                }
                out_replace.insert(key);
            }
            _ => {
                let opctx = child(&overridectx, v, ItemType::ValueFor, &key);
                let mut msg = format!(
                    "Invalid override operation for key '{key}': '{op}'. Allowed values are: "
                );
                if is_app {
                    msg += "append ";
                }
                if is_rep {
                    msg += "replace ";
                }
                return yaml_err(msg, &opctx);
            }
        }
    }
    Ok((out_append, out_replace))
}

fn decode_entry(val: &Node, key: &str, ctx: &Context, depth: usize) -> LResult<Entry> {
    let valctx = child(ctx, val, ItemType::ValueFor, key);
    let mut out = Entry::default();
    if depth > yaml::MAX_DEPTH {
        return yaml_err("Value nesting too deep", &valctx);
    }
    match &val.kind {
        Kind::Scalar(s) => {
            if s.is_empty() {
                return yaml_err("Value must be non-empty", &valctx);
            }
            out.item = s.clone();
        }
        Kind::Seq(items) => {
            out.is_list = true;
            for v in items {
                let lctx = child(&valctx, v, ItemType::Exception, "");
                out.items.push(decode_entry(v, "", &lctx, depth + 1)?);
            }
        }
        _ => {}
    }
    Ok(out)
}

fn exception_index(exceptions: &[ExceptionInfo]) -> HashMap<String, usize> {
    let mut m = HashMap::with_capacity(exceptions.len());
    for (i, e) in exceptions.iter().enumerate() {
        m.entry(e.name.clone()).or_insert(i);
    }
    m
}

fn read_exceptions(
    item: &Node,
    parent: &Context,
    append: bool,
    res: &mut LoadResult,
) -> LResult<Vec<ExceptionInfo>> {
    let mut out: Vec<ExceptionInfo> = Vec::new();
    let mut names = HashSet::new();
    let Some(exs) = item.get("exceptions") else {
        return Ok(out);
    };
    if exs.is_null() {
        return Ok(out);
    }
    let exes_ctx = child(parent, exs, ItemType::Exceptions, "");
    if !exs.is_seq() {
        return yaml_err("Rule exceptions must be a sequence", &exes_ctx);
    }
    for ex in exs.seq() {
        let tmp = child(&exes_ctx, ex, ItemType::Exception, "");
        if !ex.is_map() {
            return yaml_err("Rule exception must be a mapping", &tmp);
        }
        let name = decode_val(ex, "name", &tmp)?;
        let ex_ctx = child(parent, ex, ItemType::Exception, &name);
        if !names.insert(name.clone()) {
            return yaml_err(
                "Exceptions names in the same object must be unique",
                &ex_ctx,
            );
        }
        let fields = match ex.get("fields") {
            Some(f) => decode_entry(f, "fields", &ex_ctx, 0)?,
            None if append => Entry::default(),
            None => return yaml_err("Item has no mapping for key 'fields'", &ex_ctx),
        };
        let comps = match ex.get("comps") {
            Some(c) => decode_entry(c, "comps", &ex_ctx, 0)?,
            None => Entry::default(),
        };
        let mut values = Vec::new();
        if let Some(exvals) = ex.get("values") {
            let vals_ctx = child(&ex_ctx, exvals, ItemType::ExceptionValues, "");
            if !exvals.is_seq() {
                return yaml_err("Rule exception values must be a sequence", &vals_ctx);
            }
            for v in exvals.seq() {
                let vctx = child(&vals_ctx, v, ItemType::ExceptionValue, "");
                values.push(decode_entry(v, "", &vctx, 0)?);
            }
        } else if append {
            res.add_warning(
                WarningCode::AppendNoValues,
                "Overriding/appending exception with no values",
                ex_ctx.clone(),
            );
        }
        out.push(ExceptionInfo {
            ctx: ex_ctx,
            name,
            fields,
            comps,
            values,
        });
    }
    Ok(out)
}

fn validate_exception(source: Option<&str>, ex: &mut ExceptionInfo) -> LResult<()> {
    let ops = crate::parser::supported_operators();
    let field_ok = |src: &str, f: &str| -> bool {
        let (name, arg) = match f.find('[') {
            Some(i) if f.ends_with(']') => (&f[..i], Some(&f[i + 1..f.len() - 1])),
            _ => (f, None),
        };
        fields::resolve(src, name, arg).is_ok()
    };
    if ex.fields.is_list {
        if !ex.comps.is_valid() {
            ex.comps.is_list = true;
            ex.comps.items = vec![Entry::scalar("="); ex.fields.items.len()];
        }
        if ex.fields.items.len() != ex.comps.items.len() {
            return validate_err("Fields and comps lists must have equal length", &ex.ctx);
        }
        for c in &ex.comps.items {
            if !ops.contains(&c.item.as_str()) {
                return validate_err(
                    format!("'{}' is not a supported comparison operator", c.item),
                    &ex.ctx,
                );
            }
        }
        if let Some(src) = source {
            for f in &ex.fields.items {
                if !field_ok(src, &f.item) {
                    return validate_err(
                        format!("'{}' is not a supported filter field", f.item),
                        &ex.ctx,
                    );
                }
            }
        }
    } else {
        if !ex.comps.is_valid() {
            ex.comps.is_list = false;
            ex.comps.item = "in".into();
        }
        if ex.comps.is_list {
            return validate_err("Fields and comps must both be strings", &ex.ctx);
        }
        if !matches!(ex.comps.item.as_str(), "in" | "pmatch" | "intersects") {
            return validate_err(
                "When fields is a single value, comps must be one of (in, pmatch, intersects)",
                &ex.ctx,
            );
        }
        if let Some(src) = source
            && !field_ok(src, &ex.fields.item)
        {
            return validate_err(
                format!("'{}' is not a supported filter field", ex.fields.item),
                &ex.ctx,
            );
        }
    }
    Ok(())
}

fn quote_item(e: &str) -> String {
    if e.contains(' ') && !e.starts_with('"') && !e.starts_with('\'') {
        format!("\"{e}\"")
    } else {
        e.to_string()
    }
}

fn paren_item(e: &str) -> String {
    if !e.starts_with('(') {
        format!("({e})")
    } else {
        e.to_string()
    }
}

/// `build_rule_exception_infos`: appends `and not (...)` per exception.
fn build_exceptions(
    exceptions: &[ExceptionInfo],
    exception_fields: &mut BTreeSet<String>,
    condition: &mut String,
) -> LResult<()> {
    *condition = format!("({condition})");
    for ex in exceptions {
        let mut icond = String::new();
        if !ex.fields.is_list {
            for val in &ex.values {
                if val.is_list {
                    return validate_err(
                        "Expected values array to contain a list of strings",
                        &ex.ctx,
                    );
                }
                if icond.is_empty() {
                    icond = format!("({} {} (", ex.fields.item, ex.comps.item);
                } else {
                    icond += ", ";
                }
                exception_fields.insert(ex.fields.item.clone());
                icond += &quote_item(&val.item);
            }
            if !icond.is_empty() {
                icond += "))";
            }
        } else {
            icond = "(".into();
            for values in &ex.values {
                if ex.fields.items.len() != values.items.len() {
                    return validate_err("Fields and values lists must have equal length", &ex.ctx);
                }
                if icond != "(" {
                    icond += " or ";
                }
                icond += "(";
                for (k, field) in ex.fields.items.iter().enumerate() {
                    if k > 0 {
                        icond += " and ";
                    }
                    let v = &values.items[k];
                    let comp = &ex.comps.items[k].item;
                    let istr = if v.is_list {
                        let parts: Vec<String> =
                            v.items.iter().map(|i| quote_item(&i.item)).collect();
                        format!("({})", parts.join(", "))
                    } else if crate::parser::list_operators().contains(&comp.as_str()) {
                        paren_item(&v.item)
                    } else {
                        quote_item(&v.item)
                    };
                    icond += &format!(" {} {} {}", field.item, comp, istr);
                    exception_fields.insert(field.item.clone());
                }
                icond += ")";
            }
            icond += ")";
            if icond == "()" {
                icond.clear();
            }
        }
        if !icond.is_empty() {
            *condition += " and not ";
            *condition += &icond;
        }
        if condition.len() > MAX_CONDITION_LEN {
            return validate_err("condition too long after adding exceptions", &ex.ctx);
        }
    }
    Ok(())
}

const BLANKS: &[u8] = b" \t\n\r";
const DELIMS: &[u8] = b" \t\n\r(),=";

/// Falco's textual list substitution (`rule_loader_compiler.cpp`, `resolve_list`) of every list
/// into a condition: for each list in definition order, each occurrence of its name delimited by
/// blanks, `(`, `)`, `,`, `=` or the ends is replaced by its items. Only the lists the condition
/// (or a substitution made into it) names are run — found by splitting on the delimiters, so the
/// result is the same as running all of them — and the text they scan is counted against
/// [`LoadLimits::max_substitution_scan`].
struct ListSubst {
    /// Each list's items as substituted (`a, "b c"`), made when first used.
    joined: Vec<Option<std::rc::Rc<str>>>,
    /// The lists named in each list's items (by the same splitting), made when first used.
    refs: Vec<Option<std::rc::Rc<[usize]>>>,
    /// Lists whose names hold a delimiter (invalid names, warned about): splitting cannot find
    /// them, so they run on every condition.
    odd: Vec<usize>,
    scanned: usize,
}

impl ListSubst {
    fn new(lists: &[CompiledList]) -> ListSubst {
        ListSubst {
            joined: vec![None; lists.len()],
            refs: vec![None; lists.len()],
            odd: lists
                .iter()
                .enumerate()
                .filter(|(_, l)| !l.name.is_empty() && l.name.bytes().any(|b| DELIMS.contains(&b)))
                .map(|(i, _)| i)
                .collect(),
            scanned: 0,
        }
    }

    fn named(text: &str, by_name: &HashMap<String, usize>, out: &mut BTreeSet<usize>) {
        for tok in text.split(|c: char| c.is_ascii() && DELIMS.contains(&(c as u8))) {
            if !tok.is_empty()
                && let Some(&i) = by_name.get(tok)
            {
                out.insert(i);
            }
        }
    }

    fn run(
        &mut self,
        cnd: &mut String,
        lists: &mut [CompiledList],
        by_name: &HashMap<String, usize>,
        limits: &LoadLimits,
    ) -> Result<(), String> {
        let mut pending = BTreeSet::new();
        Self::named(cnd, by_name, &mut pending);
        pending.extend(self.odd.iter().copied());
        while let Some(i) = pending.pop_first() {
            self.scanned = self.scanned.saturating_add(cnd.len());
            if self.scanned > limits.max_substitution_scan {
                return Err(format!(
                    "list substitution scanned more than {} bytes of conditions (each list a condition names is one pass over it; the loader's limit, LoadLimits::max_substitution_scan)",
                    limits.max_substitution_scan
                ));
            }
            let sub = self.joined[i]
                .get_or_insert_with(|| {
                    lists[i]
                        .items
                        .iter()
                        .map(|v| quote_item(v))
                        .collect::<Vec<_>>()
                        .join(", ")
                        .into()
                })
                .clone();
            if resolve_list(cnd, &lists[i].name, &sub)? {
                lists[i].used = true;
                let refs = self.refs[i]
                    .get_or_insert_with(|| {
                        let mut r = BTreeSet::new();
                        Self::named(&sub, by_name, &mut r);
                        r.into_iter().collect::<Vec<_>>().into()
                    })
                    .clone();
                pending.extend(refs.iter().copied().filter(|&j| j > i));
            }
        }
        Ok(())
    }
}

/// One pass of Falco's textual list substitution: every occurrence of `name` delimited by
/// blanks, `(`, `)`, `,`, `=` or the string ends is replaced by `sub` (the quoted items joined
/// with `, `), blanks around it taken in, and for an empty list a neighbouring comma too. One
/// scan, each piece copied once (the text that follows a substitution is searched where Falco's
/// loop searches it, quirks included). Returns whether anything was replaced.
fn resolve_list(cnd: &mut String, name: &str, sub: &str) -> Result<bool, String> {
    let name_b = name.as_bytes();
    if name_b.is_empty() {
        return Ok(false);
    }
    let s = cnd.as_bytes();
    let len = s.len();
    let finder = memchr::memmem::Finder::new(name_b);
    let mut out: Vec<u8> = Vec::new();
    // The text so far is `out` followed by `s[rest..]`.
    let mut rest = 0usize;
    let mut from = 0usize;
    let mut used = false;
    while from <= len {
        let Some(k) = finder.find(&s[from..]).map(|p| p + from) else {
            break;
        };
        let end0 = k + name_b.len();
        let before = if k > rest {
            Some(s[k - 1])
        } else {
            out.last().copied()
        };
        let before_ok = before.is_none_or(|c| DELIMS.contains(&c));
        let after_ok = end0 >= len || DELIMS.contains(&s[end0]);
        if !(before_ok && after_ok) {
            from = k + 1;
            continue;
        }
        out.extend_from_slice(&s[rest..k]);
        while out.last().is_some_and(|c| BLANKS.contains(c)) {
            out.pop();
        }
        let mut end = end0;
        while end < len && BLANKS.contains(&s[end]) {
            end += 1;
        }
        if sub.is_empty() {
            if out.last() == Some(&b',') {
                out.pop();
            } else if end < len && s[end] == b',' {
                end += 1;
            }
        }
        let prefix = !out.is_empty();
        if prefix {
            out.push(b' ');
        }
        out.extend_from_slice(sub.as_bytes());
        out.push(b' ');
        if out.len() + (len - end) > MAX_CONDITION_LEN {
            return Err(format!(
                "condition too long after substituting list '{name}' (over {MAX_CONDITION_LEN} bytes)"
            ));
        }
        rest = end;
        // Falco searches again one byte past the blank it appended, which skips the first
        // byte of what follows when the substitution started the text.
        from = if prefix { end } else { end + 1 };
        used = true;
    }
    if used {
        out.extend_from_slice(&s[rest..]);
        *cnd = String::from_utf8_lossy(&out).into_owned();
    }
    Ok(used)
}

/// Size and nesting of an expanded condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Shape {
    /// Nodes, each value of a list counted as one.
    nodes: usize,
    /// `and`/`or`/`not` nesting.
    depth: usize,
}

/// The shape of a condition (explicit stack: no recursion on deep trees).
fn shape(e: &Expr) -> Shape {
    let mut nodes = 0usize;
    let mut depth = 0usize;
    let mut stack = vec![(e, 1usize)];
    while let Some((e, d)) = stack.pop() {
        nodes += 1;
        depth = depth.max(d);
        match e {
            Expr::And { children, .. } | Expr::Or { children, .. } => {
                stack.extend(children.iter().map(|c| (c, d + 1)))
            }
            Expr::Not { child, .. } => stack.push((child, d + 1)),
            Expr::List { values, .. } => nodes += values.len(),
            Expr::BinaryCheck { left, right, .. } => {
                stack.push((left, d));
                stack.push((right, d));
            }
            Expr::UnaryCheck { left, .. } => stack.push((left, d)),
            Expr::Transformer { args, .. } => stack.extend(args.iter().map(|c| (c, d))),
            Expr::Identifier { .. } | Expr::Value { .. } | Expr::Field { .. } => {}
        }
    }
    Shape { nodes, depth }
}

/// The nodes all expanded conditions of a load hold ([`LoadLimits::max_total_nodes`]).
#[derive(Debug, Default)]
struct Budget {
    nodes: usize,
}

impl Budget {
    fn charge(&mut self, nodes: usize, ctx: &Context, limits: &LoadLimits) -> LResult<()> {
        self.nodes = self.nodes.saturating_add(nodes);
        if self.nodes > limits.max_total_nodes {
            return validate_err(
                format!(
                    "the rules' conditions expand to more than {} nodes in all once their macros are expanded (the loader's limit, LoadLimits::max_total_nodes; macros used many times multiply)",
                    limits.max_total_nodes
                ),
                ctx,
            );
        }
        Ok(())
    }
}

/// Replaces macro references by copies of the macros' conditions (libsinsp's
/// `filter_macro_resolver`), within [`LoadLimits`]: a copy is made only once its size is known
/// to fit. Errors on reference loops and undefined macros (the first found), as Falco does.
struct Expander<'a> {
    /// Macro conditions: resolved for those whose `resolved` entry is set, as parsed otherwise.
    macros: &'a [CompiledMacro],
    infos: &'a [MacroInfo],
    by_name: &'a HashMap<String, usize>,
    /// A macro sees the macros defined before its last definition; a rule (`None`) all.
    visibility: Option<usize>,
    resolved: &'a [Option<Shape>],
    limits: &'a LoadLimits,
    used: &'a mut [bool],
}

struct ExpandState {
    path: Vec<usize>,
    on_path: HashSet<usize>,
    nodes: usize,
    error: Option<(String, Pos)>,
    unknown: Option<(String, Pos)>,
}

impl Expander<'_> {
    /// Expands `ast` (the condition of the macro or rule `name`); returns its shape.
    fn expand(
        &mut self,
        ast: &mut Expr,
        condition: &str,
        ctx: &Context,
        kind: &str,
        name: &str,
    ) -> LResult<Shape> {
        let own = shape(ast);
        let mut st = ExpandState {
            path: Vec::new(),
            on_path: HashSet::new(),
            nodes: own.nodes,
            error: None,
            unknown: None,
        };
        if own.nodes > self.limits.max_condition_nodes {
            st.error = Some((self.too_big(kind, name, None), ast.pos()));
        } else {
            self.visit(ast, &mut st, 0, kind, name);
        }
        if let Some((msg, pos)) = st.error {
            return validate_err(msg, &ctx.condition(pos, condition));
        }
        if let Some((name, pos)) = st.unknown {
            return validate_err(
                format!("Undefined macro '{name}' used in filter."),
                &ctx.condition(pos, condition),
            );
        }
        Ok(shape(ast))
    }

    fn too_big(&self, kind: &str, name: &str, culprit: Option<(&str, usize)>) -> String {
        let max = self.limits.max_condition_nodes;
        let mut msg = format!(
            "the condition of {kind} '{name}' has more than {max} nodes once its macros are expanded"
        );
        if let Some((m, n)) = culprit {
            msg += &format!(" (macro '{m}' alone expands to {n})");
        }
        msg += "; macros that use other macros several times multiply (the loader's limit, LoadLimits::max_condition_nodes)";
        msg
    }

    fn visit(&mut self, e: &mut Expr, st: &mut ExpandState, depth: usize, kind: &str, name: &str) {
        if st.error.is_some() {
            return;
        }
        let max_depth = self.limits.max_expansion_depth;
        if depth > max_depth {
            st.error = Some((
                format!(
                    "condition nesting exceeds {max_depth} levels after macro expansion (the loader's limit, LoadLimits::max_expansion_depth)"
                ),
                e.pos(),
            ));
            return;
        }
        match e {
            Expr::Identifier { name: id, pos } => {
                let pos = *pos;
                let found = self
                    .by_name
                    .get(id.as_str())
                    .copied()
                    .filter(|&i| self.visibility.is_none_or(|v| self.infos[i].index < v));
                let Some(i) = found else {
                    if st.unknown.is_none() {
                        st.unknown = Some((id.clone(), pos));
                    }
                    return;
                };
                if st.on_path.contains(&i) {
                    let mname = &self.infos[i].name;
                    let start = st.path.iter().position(|&p| p == i).unwrap_or(0);
                    let mut msg = format!("reference loop in macro '{mname}'");
                    for &p in &st.path[start..] {
                        msg += &format!(" -> '{}'", self.infos[p].name);
                    }
                    msg += &format!(" -> '{mname}'");
                    st.error = Some((msg, pos));
                    return;
                }
                let body = &self.macros[i].condition;
                // A resolved macro has no references left: its shape is known, and the copy
                // is checked before it is made. One still as parsed is copied (its own size,
                // checked first) and expanded in turn.
                let (size, nested) = match self.resolved[i] {
                    Some(sh) => (sh.nodes, Some(sh.depth)),
                    None => (shape(body).nodes, None),
                };
                // The identifier's own node is replaced.
                st.nodes = st.nodes.saturating_add(size).saturating_sub(1);
                if st.nodes > self.limits.max_condition_nodes {
                    st.error = Some((
                        self.too_big(kind, name, Some((&self.infos[i].name, size))),
                        pos,
                    ));
                    return;
                }
                if let Some(d) = nested
                    && depth + d > max_depth
                {
                    st.error = Some((
                        format!(
                            "condition nesting exceeds {max_depth} levels after macro expansion (the loader's limit, LoadLimits::max_expansion_depth)"
                        ),
                        pos,
                    ));
                    return;
                }
                let mut new = body.clone();
                if nested.is_none() {
                    st.path.push(i);
                    st.on_path.insert(i);
                    self.visit(&mut new, st, depth + 1, kind, name);
                    st.path.pop();
                    st.on_path.remove(&i);
                }
                self.used[i] = true;
                *e = new;
            }
            Expr::And { children, .. } | Expr::Or { children, .. } => {
                for c in children {
                    self.visit(c, st, depth + 1, kind, name);
                }
            }
            Expr::Not { child, .. } => self.visit(child, st, depth + 1, kind, name),
            Expr::UnaryCheck { .. }
            | Expr::BinaryCheck { .. }
            | Expr::Value { .. }
            | Expr::List { .. }
            | Expr::Field { .. }
            | Expr::Transformer { .. } => {}
        }
    }
}

/// Validates fields, operators, values and event type names of a resolved condition.
/// `Err((message, position, is_unknown_field_or_type))`.
fn validate_condition(
    source: &str,
    ast: &Expr,
    regexes: &mut crate::eval::RegexCache,
) -> Result<(), (String, Pos, bool)> {
    let mut result = Ok(());
    let check_field = |name: &str,
                       arg: Option<&str>,
                       pos: Pos|
     -> Result<&'static fields::FieldInfo, (String, Pos, bool)> {
        match fields::resolve(source, name, arg) {
            Ok(r) => Ok(r.info),
            Err(FieldError::Unknown) => Err((
                format!("filter_check called with nonexistent field {name}"),
                pos,
                true,
            )),
            Err(FieldError::MissingArg) => Err((
                format!("filter error: field '{name}' requires an argument"),
                pos,
                false,
            )),
            Err(FieldError::UnexpectedArg) => Err((
                format!("filter error: field '{name}' does not accept an argument"),
                pos,
                false,
            )),
        }
    };
    ast.walk(|e| {
        if result.is_err() {
            return;
        }
        match e {
            Expr::Field { name, arg, pos } => {
                if let Err(x) = check_field(name, arg.as_deref(), *pos) {
                    result = Err(x);
                }
            }
            Expr::BinaryCheck {
                left,
                op,
                right,
                pos,
                ..
            } => {
                let Expr::Field { name, arg, .. } = left.as_ref() else {
                    return;
                };
                let Ok(info) = check_field(name, arg.as_deref(), *pos) else {
                    return; // reported when the field node is visited
                };
                if let Err(m) = fields::check_operator(info, op) {
                    result = Err((m.to_string(), *pos, false));
                    return;
                }
                let values: Vec<&str> = match right.as_ref() {
                    Expr::Value { value, .. } => vec![value.as_str()],
                    Expr::List { values, .. } => values.iter().map(String::as_str).collect(),
                    _ => vec![],
                };
                // libsinsp compiles a `regex` value when the filter is built (RE2; an invalid
                // pattern throws "invalid regex pattern: ..."), so Falco refuses the rule at load.
                if op == "regex"
                    && let Expr::Value { value, .. } = right.as_ref()
                    && let Err(e) = regexes.get(value)
                {
                    result = Err((e, *pos, false));
                    return;
                }
                let evttype = info.name == "evt.type" && arg.is_none();
                for v in values {
                    if evttype
                        && matches!(op.as_str(), "=" | "==" | "!=" | "in")
                        && !is_event_name(v)
                    {
                        result = Err((format!("unknown event type {v}"), *pos, true));
                        return;
                    }
                    if let Err(m) = fields::check_value(info, op, v) {
                        result = Err((m.to_string(), *pos, false));
                        return;
                    }
                }
            }
            _ => {}
        }
    });
    result
}

/// Validates `%field` references of an output format (libsinsp formatter semantics: an unknown
/// token fails with `invalid formatting token <rest of the string>`).
fn validate_output(source: &str, fmt: &str) -> Result<(), String> {
    let b = fmt.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'%' {
            i += 1;
            continue;
        }
        let start = i + 1;
        let rest = &fmt[start.min(fmt.len())..];
        let mut j = start;
        while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] == b'.') {
            j += 1;
        }
        let mut name = &fmt[start..j];
        let mut arg = None;
        let mut end = j;
        if j < b.len()
            && b[j] == b'['
            && let Some(k) = fmt[j..].find(']')
        {
            arg = Some(&fmt[j + 1..j + k]);
            end = j + k + 1;
        }
        let mut ok = fields::resolve(source, name, arg).is_ok();
        while !ok && arg.is_none() && name.ends_with('.') {
            name = &name[..name.len() - 1];
            ok = fields::resolve(source, name, None).is_ok();
        }
        if !ok || name.is_empty() {
            return Err(format!("invalid formatting token {rest}"));
        }
        i = end.max(start + name.len());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(name: &str, items: &[&str]) -> (String, String) {
        let joined = items
            .iter()
            .map(|v| quote_item(v))
            .collect::<Vec<_>>()
            .join(", ");
        (name.to_string(), joined)
    }

    fn resolve(c: &mut String, (name, sub): (String, String)) -> bool {
        resolve_list(c, &name, &sub).unwrap()
    }

    #[test]
    fn textual_list_substitution() {
        let mut c = "proc.name in (shells) and fd.name=shells".to_string();
        assert!(resolve(&mut c, list("shells", &["bash", "my sh"])));
        assert_eq!(
            c,
            "proc.name in ( bash, \"my sh\" ) and fd.name= bash, \"my sh\" "
        );
        let mut c = "proc.name in (a, empty, b)".to_string();
        assert!(resolve(&mut c, list("empty", &[])));
        assert_eq!(c, "proc.name in (a  , b)");
        let mut c = "proc.name in (myshells)".to_string();
        assert!(!resolve(&mut c, list("shells", &["x"])));
        let mut c = "shells".to_string();
        assert!(resolve(&mut c, list("shells", &["x", "y"])));
        assert_eq!(c, "x, y ");
        // a list whose item is its own name terminates
        let mut c = "a in (l)".to_string();
        assert!(resolve(&mut c, list("l", &["l"])));
        assert_eq!(c, "a in ( l )");
        // Falco's loop searches again one byte past the blank it appends, so a substitution at
        // the very start skips the first byte of what follows.
        let mut c = "L L".to_string();
        assert!(resolve(&mut c, list("L", &["x"])));
        assert_eq!(c, "x L");
        let mut c = "(L L)".to_string();
        assert!(resolve(&mut c, list("L", &["x"])));
        assert_eq!(c, "( x x )");
        // blanks before an occurrence are taken in, also those a substitution left
        let mut c = "a,L L,b".to_string();
        assert!(resolve(&mut c, list("L", &[])));
        assert_eq!(c, "a  b");
    }

    /// The one-pass substitution gives what Falco's loop (rebuilding the text at each
    /// occurrence) gives, on generated conditions.
    #[test]
    fn substitution_matches_falcos_loop() {
        fn falco(cnd: &str, name: &str, sub: &str) -> String {
            let name = name.as_bytes();
            let mut s = cnd.as_bytes().to_vec();
            let find = |s: &[u8], from: usize| -> Option<usize> {
                if from > s.len() {
                    return None;
                }
                s[from..]
                    .windows(name.len())
                    .position(|w| w == name)
                    .map(|p| p + from)
            };
            let mut start_opt = find(&s, 0);
            while let Some(mut start) = start_opt {
                let mut end = start + name.len();
                let before_ok = start == 0 || DELIMS.contains(&s[start - 1]);
                let after_ok = end >= s.len() || DELIMS.contains(&s[end]);
                if before_ok && after_ok {
                    while start > 0 && BLANKS.contains(&s[start - 1]) {
                        start -= 1;
                    }
                    while end < s.len() && BLANKS.contains(&s[end]) {
                        end += 1;
                    }
                    if sub.is_empty() {
                        if start > 0 && s[start - 1] == b',' {
                            start -= 1;
                        } else if end < s.len() && s[end] == b',' {
                            end += 1;
                        }
                    }
                    let mut new = Vec::new();
                    if start > 0 {
                        new.extend_from_slice(&s[..start]);
                        new.push(b' ');
                    }
                    new.extend_from_slice(sub.as_bytes());
                    new.push(b' ');
                    new.extend_from_slice(&s[end..]);
                    s = new;
                    start += sub.len() + 1;
                }
                start_opt = find(&s, start + 1);
            }
            String::from_utf8(s).unwrap()
        }
        let pieces = ["L", " ", ",", "(", ")", "=", "x", "LL", "\t", "a=L", "L,"];
        let subs = ["", "y", "p, q", "L", "z\t"];
        let mut seed = 7u64;
        for _ in 0..20_000 {
            let mut cnd = String::new();
            for _ in 0..(seed % 9) {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                cnd += pieces[(seed >> 33) as usize % pieces.len()];
            }
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let sub = subs[(seed >> 33) as usize % subs.len()];
            let mut mine = cnd.clone();
            resolve_list(&mut mine, "L", sub).unwrap();
            assert_eq!(mine, falco(&cnd, "L", sub), "{cnd:?} with {sub:?}");
        }
    }

    #[test]
    fn versions() {
        assert_eq!(Version::parse("0.57.0"), Some(Version::new(0, 57, 0)));
        assert_eq!(Version::parse("not-a-number"), None);
        assert!(ENGINE_VERSION.compatible_with(&Version::new(0, 15, 0)));
        assert!(!ENGINE_VERSION.compatible_with(&Version::new(0, 9999999, 0)));
        assert!(!ENGINE_VERSION.compatible_with(&Version::new(1, 0, 0)));
    }

    #[test]
    fn outputs() {
        assert!(
            validate_output("syscall", "a %proc.name b %proc.aname[2] %evt.arg.flags.").is_ok()
        );
        assert_eq!(
            validate_output("syscall", "An open was seen %not_a_real_field"),
            Err("invalid formatting token not_a_real_field".into())
        );
        assert!(
            validate_output(
                "k8s_audit",
                "%jevt.value[/requestObject/spec] %ka.user.name"
            )
            .is_ok()
        );
    }
}
