//! Load results as Falco's engine reports them (`falco_load_result`, `rule_loader::result`,
//! `rule_loader::context`): error and warning codes with their texts, a chain of locations per
//! message, and the text (`falco -V`) and JSON (`falco -V --json`) renderings.

use serde_json::{Map, Value};
use std::collections::HashMap;
use std::fmt;

/// Error codes (`falco::load_result::error_code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    FileRead,
    YamlParse,
    YamlValidate,
    CompileCondition,
    CompileOutput,
    Validate,
    Extension,
}

impl ErrorCode {
    pub fn code(self) -> &'static str {
        match self {
            ErrorCode::FileRead => "LOAD_ERR_FILE_READ",
            ErrorCode::YamlParse => "LOAD_ERR_YAML_PARSE",
            ErrorCode::YamlValidate => "LOAD_ERR_YAML_VALIDATE",
            ErrorCode::CompileCondition => "LOAD_ERR_COMPILE_CONDITION",
            ErrorCode::CompileOutput => "LOAD_ERR_COMPILE_OUTPUT",
            ErrorCode::Validate => "LOAD_ERR_VALIDATE",
            ErrorCode::Extension => "LOAD_ERR_EXTENSION",
        }
    }
    /// Short text, printed after the code.
    pub fn text(self) -> &'static str {
        match self {
            ErrorCode::FileRead => "File read error",
            ErrorCode::YamlParse => "YAML parse error",
            ErrorCode::YamlValidate => "Error validating internal structure of YAML file",
            ErrorCode::CompileCondition => "Error compiling condition",
            ErrorCode::CompileOutput => "Error compiling output",
            ErrorCode::Validate => "Error validating rule/macro/list/exception objects",
            ErrorCode::Extension => "Error in extension item",
        }
    }
    /// Falco's `error_desc` returns the short text (its long descriptions are unused), so the JSON
    /// `codedesc` of an error is the short text too.
    pub fn desc(self) -> &'static str {
        self.text()
    }
}

/// Warning codes (`falco::load_result::warning_code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WarningCode {
    UnknownSource,
    UnsafeNaCheck,
    NoEvttype,
    UnknownFilter,
    UnusedMacro,
    UnusedList,
    UnknownItem,
    DeprecatedItem,
    WarningExtension,
    AppendNoValues,
    ExceptionNameNotUnique,
    InvalidMacroName,
    InvalidListName,
    CompileCondition,
    UnknownKey,
}

impl WarningCode {
    pub fn code(self) -> &'static str {
        match self {
            WarningCode::UnknownSource => "LOAD_UNKNOWN_SOURCE",
            WarningCode::UnsafeNaCheck => "LOAD_UNSAFE_NA_CHECK",
            WarningCode::NoEvttype => "LOAD_NO_EVTTYPE",
            WarningCode::UnknownFilter => "LOAD_UNKNOWN_FILTER",
            WarningCode::UnusedMacro => "LOAD_UNUSED_MACRO",
            WarningCode::UnusedList => "LOAD_UNUSED_LIST",
            WarningCode::UnknownItem => "LOAD_UNKNOWN_ITEM",
            WarningCode::DeprecatedItem => "LOAD_DEPRECATED_ITEM",
            WarningCode::WarningExtension => "LOAD_WARNING_EXTENSION",
            WarningCode::AppendNoValues => "LOAD_APPEND_NO_VALUES",
            WarningCode::ExceptionNameNotUnique => "LOAD_EXCEPTION_NAME_NOT_UNIQUE",
            WarningCode::InvalidMacroName => "LOAD_INVALID_MACRO_NAME",
            WarningCode::InvalidListName => "LOAD_INVALID_LIST_NAME",
            WarningCode::CompileCondition => "LOAD_COMPILE_CONDITION",
            WarningCode::UnknownKey => "LOAD_UNKNOWN_KEY",
        }
    }
    pub fn text(self) -> &'static str {
        match self {
            WarningCode::UnknownSource => "Unknown event source",
            WarningCode::UnsafeNaCheck => "Unsafe <NA> comparison in condition",
            WarningCode::NoEvttype => "Condition has no event-type restriction",
            WarningCode::UnknownFilter => "Unknown field or event-type in condition or output",
            WarningCode::UnusedMacro => "Unused macro",
            WarningCode::UnusedList => "Unused list",
            WarningCode::UnknownItem => "Unknown rules file item",
            WarningCode::DeprecatedItem => "Used deprecated item",
            WarningCode::WarningExtension => "Warning in extension item",
            WarningCode::AppendNoValues => "Overriding/appending with no values",
            WarningCode::ExceptionNameNotUnique => "Multiple exceptions defined with the same name",
            WarningCode::InvalidMacroName => "Invalid macro name",
            WarningCode::InvalidListName => "Invalid list name",
            WarningCode::CompileCondition => "Warning in rule condition",
            WarningCode::UnknownKey => "Unknown key in item definition",
        }
    }
    pub fn desc(self) -> &'static str {
        match self {
            WarningCode::UnknownSource => {
                "A rule has a unknown event source. This can occur when reading rules content without having a corresponding plugin loaded, etc. The rule will be silently ignored."
            }
            WarningCode::UnsafeNaCheck => {
                "Comparing a field value with <NA> is unsafe and can lead to unpredictable behavior of the rule condition. If you need to check for the existence of a field, consider using the 'exists' operator instead."
            }
            WarningCode::NoEvttype => {
                "A rule condition matches too many evt.type values. This has a significant performance penalty. Make the condition more specific by adding an evt.type field or further restricting the number of evt.type values in the condition."
            }
            WarningCode::UnknownFilter => {
                "A rule condition or output refers to a field or evt.type that does not exist. This is normally an error, but if a rule has a skip-if-unknown-filter property, the error is downgraded to a warning."
            }
            WarningCode::UnusedMacro => {
                "A macro is defined in the rules content but is not used by any other macro or rule."
            }
            WarningCode::UnusedList => {
                "A list is defined in the rules content but is not used by any other list, macro, or rule."
            }
            WarningCode::UnknownItem => {
                "An unknown top-level object is in the rules content. It will be ignored."
            }
            WarningCode::DeprecatedItem => {
                "A deprecated item is employed by lists, macros, or rules."
            }
            WarningCode::WarningExtension => "An extension item has a warning",
            WarningCode::AppendNoValues => {
                "A rule exception is overriding/appending with no values"
            }
            WarningCode::ExceptionNameNotUnique => {
                "A rule is defining multiple exceptions with the same name"
            }
            WarningCode::InvalidMacroName => "A macro is defined with an invalid name",
            WarningCode::InvalidListName => "A list is defined with an invalid name",
            WarningCode::CompileCondition => {
                "A rule condition or output have been parsed with a warning"
            }
            WarningCode::UnknownKey => {
                "An item in the rules content contains an unrecognized key. The key will be ignored. This may indicate a typo or a property placed on the wrong item type."
            }
        }
    }
}

/// What a location is about (`rule_loader::context::item_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemType {
    ValueFor,
    Exceptions,
    Exception,
    ExceptionValues,
    ExceptionValue,
    RulesContent,
    RulesContentItem,
    RequiredEngineVersion,
    RequiredPluginVersions,
    RequiredPluginVersionsEntry,
    RequiredPluginVersionsAlternative,
    List,
    ListItem,
    Macro,
    MacroCondition,
    Rule,
    RuleCondition,
    ConditionExpression,
    RuleOutput,
    RuleOutputExpression,
    RulePriority,
    Overrides,
    ExtensionItem,
}

impl ItemType {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemType::ValueFor => "value for",
            ItemType::Exceptions => "exceptions",
            ItemType::Exception => "exception",
            ItemType::ExceptionValues => "exception values",
            ItemType::ExceptionValue => "exception value",
            ItemType::RulesContent => "rules content",
            ItemType::RulesContentItem => "rules content item",
            ItemType::RequiredEngineVersion => "required_engine_version",
            ItemType::RequiredPluginVersions => "required plugin versions",
            ItemType::RequiredPluginVersionsEntry => "required plugin versions entry",
            ItemType::RequiredPluginVersionsAlternative => "required plugin versions alternative",
            ItemType::List => "list",
            ItemType::ListItem => "list item",
            ItemType::Macro => "macro",
            ItemType::MacroCondition => "macro condition",
            ItemType::Rule => "rule",
            ItemType::RuleCondition => "rule condition",
            ItemType::ConditionExpression => "condition expression",
            ItemType::RuleOutput => "rule output",
            ItemType::RuleOutputExpression => "rule output expression",
            ItemType::RulePriority => "rule priority",
            ItemType::Overrides => "overrides",
            ItemType::ExtensionItem => "extension item",
        }
    }
}

/// A position: byte offset plus 0-based line and column for YAML marks (yaml-cpp), or the sum of
/// a YAML mark and a 1-based condition position for condition expressions (as Falco computes it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    pub pos: usize,
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    /// File name, or the first characters of a condition in quotes for condition expressions.
    pub name: String,
    pub pos: Position,
    pub item_type: ItemType,
    pub item_name: String,
}

/// The chain of locations from the rules content down to the offending item.
#[derive(Debug, Clone, PartialEq)]
pub struct Context {
    pub locations: Vec<Location>,
    /// For condition expressions: the condition text the snippet is taken from.
    pub alt_content: Option<String>,
}

impl Context {
    /// The whole-document context of a rules content.
    pub fn root(name: &str) -> Context {
        Context {
            locations: vec![Location {
                name: name.to_string(),
                pos: Position::default(),
                item_type: ItemType::RulesContent,
                item_name: String::new(),
            }],
            alt_content: None,
        }
    }

    /// A child location at a YAML mark.
    pub fn child(&self, pos: Position, item_type: ItemType, item_name: &str) -> Context {
        let mut locations = self.locations.clone();
        locations.push(Location {
            name: self.name().to_string(),
            pos,
            item_type,
            item_name: item_name.to_string(),
        });
        Context {
            locations,
            alt_content: None,
        }
    }

    /// A location inside a condition, at a parser position (1-based line/column added to the
    /// parent's YAML mark, as Falco does).
    pub fn condition(&self, cpos: crate::ast::Pos, condition: &str) -> Context {
        let prefix = if condition.chars().count() > 20 {
            let head: String = condition.chars().take(17).collect();
            format!("\"{head}...\"")
        } else {
            format!("\"{condition}\"")
        };
        let name = prefix.replace(['\n', '\r'], " ");
        let last = self.locations.last().map(|l| l.pos).unwrap_or_default();
        let pos = Position {
            pos: cpos.idx + last.pos,
            line: cpos.line as usize + last.line,
            column: cpos.col as usize + last.column,
        };
        let mut locations = self.locations.clone();
        locations.push(Location {
            name,
            pos,
            item_type: ItemType::ConditionExpression,
            item_name: String::new(),
        });
        Context {
            locations,
            alt_content: Some(condition.to_string()),
        }
    }

    /// The name of the first location (the file).
    pub fn name(&self) -> &str {
        self.locations
            .first()
            .map(|l| l.name.as_str())
            .unwrap_or("")
    }

    /// Whether any location has this item type and name (how falcosecurity/testing matches).
    pub fn has_item(&self, item_type: Option<&str>, item_name: Option<&str>) -> bool {
        let t = item_type.is_none_or(|t| {
            self.locations
                .iter()
                .any(|l| l.item_type.as_str().eq_ignore_ascii_case(t))
        });
        let n = item_name.is_none_or(|n| self.locations.iter().any(|l| l.item_name == n));
        t && n
    }

    /// `In <item type> '<name>': (<file>:<line>:<column>)` lines, as `falco -V` prints them.
    pub fn as_string(&self) -> String {
        let mut out = String::new();
        for (i, loc) in self.locations.iter().enumerate() {
            out += if i == 0 { "In " } else { "    " };
            out += loc.item_type.as_str();
            if !loc.item_name.is_empty() {
                out += &format!(" '{}'", loc.item_name);
            }
            out += &format!(": ({}:{}:{})\n", loc.name, loc.pos.line, loc.pos.column);
        }
        out
    }

    pub fn as_json(&self) -> Value {
        let locs: Vec<Value> = self
            .locations
            .iter()
            .map(|loc| {
                let mut pos = Map::new();
                pos.insert("column".into(), loc.pos.column.into());
                pos.insert("line".into(), loc.pos.line.into());
                pos.insert("name".into(), loc.name.clone().into());
                pos.insert("offset".into(), loc.pos.pos.into());
                let mut l = Map::new();
                l.insert("item_name".into(), loc.item_name.clone().into());
                l.insert("item_type".into(), loc.item_type.as_str().into());
                l.insert("position".into(), Value::Object(pos));
                Value::Object(l)
            })
            .collect();
        let mut m = Map::new();
        m.insert("locations".into(), Value::Array(locs));
        Value::Object(m)
    }

    /// The source line around the last location with a `^` marker under it (Falco's
    /// `context::snippet`, width 160).
    pub fn snippet(&self, contents: &HashMap<String, String>) -> String {
        const WIDTH: usize = 160;
        let Some(loc) = self.locations.last() else {
            return "<No context available>\n".into();
        };
        let content: &str = match (&self.alt_content, contents.get(&loc.name)) {
            (Some(alt), _) => alt,
            (None, Some(c)) => c,
            (None, None) => return format!("<No context for file + {}>\n", loc.name),
        };
        let s = content.as_bytes();
        if s.is_empty() {
            return "<No context available>\n".into();
        }
        let mut pos = loc.pos.pos;
        while pos > 0 && (pos >= s.len() || s[pos] == b'\n') {
            pos -= 1;
        }
        let mut from = pos;
        while from > 0 && s[from] != b'\n' && (pos - from) < WIDTH / 2 {
            from -= 1;
        }
        let mut to = pos;
        while to < s.len() - 1 && s[to] != b'\n' && (to - pos) < WIDTH / 2 {
            to += 1;
        }
        if from < s.len() && s[from] == b'\n' {
            from += 1;
        }
        if to < s.len() && s[to] == b'\n' && to > 0 {
            to -= 1;
        }
        if to < from {
            return "<No context available>\n".into();
        }
        let mut ret = s[from..=to].to_vec();
        if ret.is_empty() {
            return "<No context available>\n".into();
        }
        if pos - from >= WIDTH / 2 {
            let n = ret.len().min(3);
            ret.splice(0..n, b"...".iter().copied());
        }
        if to - pos >= WIDTH / 2 {
            let n = ret.len();
            let k = n.min(3);
            ret.splice(n - k..n, b"...".iter().copied());
        }
        let mut out = String::from_utf8_lossy(&ret).into_owned();
        out.push('\n');
        if pos - from < ret.len() {
            out += &" ".repeat(pos - from);
            out += "^\n";
        }
        out
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct LoadError {
    pub code: ErrorCode,
    pub message: String,
    pub ctx: Context,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LoadWarning {
    pub code: WarningCode,
    pub message: String,
    pub ctx: Context,
}

/// File name → content, for snippets.
pub type RulesContents = HashMap<String, String>;

/// The result of loading one rules content.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadResult {
    pub name: String,
    pub errors: Vec<LoadError>,
    pub warnings: Vec<LoadWarning>,
}

impl LoadResult {
    pub fn new(name: &str) -> LoadResult {
        LoadResult {
            name: name.to_string(),
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }

    pub fn successful(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn has_warnings(&self) -> bool {
        !self.warnings.is_empty()
    }

    pub fn add_error(&mut self, code: ErrorCode, message: impl Into<String>, ctx: Context) {
        self.errors.push(LoadError {
            code,
            message: message.into(),
            ctx,
        });
    }

    pub fn add_warning(&mut self, code: WarningCode, message: impl Into<String>, ctx: Context) {
        self.warnings.push(LoadWarning {
            code,
            message: message.into(),
            ctx,
        });
    }

    fn status(&self) -> String {
        let mut os = String::new();
        if !self.name.is_empty() {
            os += &self.name;
            os += ": ";
        }
        if self.successful() {
            os += "Ok";
            if self.has_warnings() {
                os += ", with warnings";
            }
        } else {
            os += "Invalid";
        }
        os
    }

    /// Falco's summary string: status, then code lists.
    pub fn as_summary_string(&self) -> String {
        let mut os = self.status();
        if !self.errors.is_empty() {
            let list: Vec<String> = self
                .errors
                .iter()
                .map(|e| format!("{} ({})", e.code.code(), e.code.text()))
                .collect();
            os += &format!("\n {} errors: [{}]", self.errors.len(), list.join(" "));
        }
        if !self.warnings.is_empty() {
            let list: Vec<String> = self
                .warnings
                .iter()
                .map(|w| format!("{} ({})", w.code.code(), w.code.text()))
                .collect();
            os += &format!("\n {} warnings: [{}]", self.warnings.len(), list.join(" "));
        }
        os
    }

    /// Falco's verbose string (what `falco -V` prints): every error and warning with its
    /// location chain and snippet.
    pub fn as_verbose_string(&self, contents: &RulesContents) -> String {
        let mut os = self.status();
        if !self.errors.is_empty() {
            os += &format!("\n{} Errors:\n", self.errors.len());
            for e in &self.errors {
                os += &e.ctx.as_string();
                os += "------\n";
                os += &e.ctx.snippet(contents);
                os += "------\n";
                os += &format!("{} ({}): {}\n", e.code.code(), e.code.text(), e.message);
            }
        }
        if !self.warnings.is_empty() {
            os += &format!("\n{} Warnings:\n", self.warnings.len());
            for w in &self.warnings {
                os += &w.ctx.as_string();
                os += "------\n";
                os += &w.ctx.snippet(contents);
                os += "------\n";
                os += &format!("{} ({}): {}\n", w.code.code(), w.code.text(), w.message);
            }
        }
        os
    }

    /// One entry of `falco_load_results` (keys sorted, as nlohmann::json prints them).
    pub fn as_json(&self, contents: &RulesContents) -> Value {
        let item = |code: &str, desc: &str, message: &str, ctx: &Context| {
            let mut c = match ctx.as_json() {
                Value::Object(m) => m,
                _ => Map::new(),
            };
            c.insert("snippet".into(), ctx.snippet(contents).into());
            let mut m = Map::new();
            m.insert("code".into(), code.into());
            m.insert("codedesc".into(), desc.into());
            m.insert("context".into(), Value::Object(c));
            m.insert("message".into(), message.into());
            Value::Object(m)
        };
        let errors: Vec<Value> = self
            .errors
            .iter()
            .map(|e| item(e.code.code(), e.code.desc(), &e.message, &e.ctx))
            .collect();
        let warnings: Vec<Value> = self
            .warnings
            .iter()
            .map(|w| item(w.code.code(), w.code.desc(), &w.message, &w.ctx))
            .collect();
        let mut m = Map::new();
        m.insert("errors".into(), Value::Array(errors));
        m.insert("name".into(), self.name.clone().into());
        m.insert("successful".into(), self.successful().into());
        m.insert("warnings".into(), Value::Array(warnings));
        Value::Object(m)
    }
}

/// What `falco -V a.yaml -V b.yaml` prints on stdout without `--json`: per file, the verbose
/// result if it failed or had no warnings, else `<file>: Ok, with warnings` (the warnings go to
/// stderr, returned as the second value).
pub fn validation_summary(results: &[LoadResult], contents: &RulesContents) -> (String, String) {
    let mut summary = String::new();
    let mut stderr = String::new();
    for res in results {
        if !summary.is_empty() {
            summary.push('\n');
        }
        if !res.successful() || !res.has_warnings() {
            summary += &res.as_verbose_string(contents);
        } else {
            summary += &format!("{}: Ok, with warnings", res.name);
            stderr += &res.as_verbose_string(contents);
            stderr.push('\n');
        }
    }
    (summary, stderr)
}

/// What `falco -V ... --json` prints: `{"falco_load_results": [...]}`.
pub fn validation_json(results: &[LoadResult], contents: &RulesContents) -> Value {
    let mut m = Map::new();
    m.insert(
        "falco_load_results".into(),
        Value::Array(results.iter().map(|r| r.as_json(contents)).collect()),
    );
    Value::Object(m)
}

impl fmt::Display for LoadResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_summary_string())
    }
}
