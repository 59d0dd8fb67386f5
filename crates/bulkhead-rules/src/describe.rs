//! Falco's descriptions of loaded rules (`falco -L`, `falco -l RULE`) and of the events it knows
//! (`falco --list-events`), as text or JSON.

use crate::RulesEngine;
use crate::loader::CompiledRule;
use serde_json::{Value, json};

/// A rule name that no loaded rules file defines.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Rule \"{0}\" not found in the loaded rules files (list them with -L)")]
pub struct UnknownRule(pub String);

/// Falco's `falco_utils::wrap_text`: words separated by one space (each followed by one), a new
/// line indented by `indent` spaces before a word that would pass `line_len - indent` columns.
pub fn wrap_text(text: &str, indent: usize, line_len: usize) -> String {
    let mut out = String::new();
    let mut len = 0;
    for word in text.split_whitespace() {
        let w = word.chars().count();
        // Falco's test: `len + word + 1 <= line_len - indent`.
        if len + w < line_len.saturating_sub(indent) {
            len += w + 1;
        } else {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            len = w + 1;
        }
        out.push_str(word);
        out.push(' ');
    }
    out
}

/// Falco's text of `-L` (every rule) or `-l RULE` (one): a `Rule`/`Description` header, then
/// each rule's name in a 50-column field and its description wrapped at 110 columns, a blank
/// line after each.
pub fn rules_text(engine: &RulesEngine, rule: Option<&str>) -> Result<String, UnknownRule> {
    let rules = selected(engine, rule)?;
    let row = |a: &str, b: &str| format!("{a:<50} {b}\n");
    let mut out = row("Rule", "Description");
    out.push_str(&row("----", "-----------"));
    for r in rules {
        out.push_str(&row(&r.name, &(wrap_text(&r.description, 51, 110) + "\n")));
    }
    Ok(out)
}

/// The JSON of `-L`/`-l RULE` with `json_output`: the rules (name, description, condition,
/// output, priority, source, tags, enabled) and, for `-L`, the lists and macros.
pub fn rules_json(engine: &RulesEngine, rule: Option<&str>) -> Result<Value, UnknownRule> {
    let rules: Vec<Value> = selected(engine, rule)?
        .into_iter()
        .map(|r| {
            json!({"info": {
                "name": r.name,
                "description": r.description,
                "condition": r.condition_text,
                "output": r.output,
                "priority": r.priority.as_str(),
                "source": r.source,
                "tags": r.tags,
                "enabled": r.enabled,
            }})
        })
        .collect();
    if rule.is_some() {
        return Ok(json!({ "rules": rules }));
    }
    let lists: Vec<Value> = engine
        .lists()
        .iter()
        .map(|l| json!({"info": {"name": l.name, "items": l.items}}))
        .collect();
    let macros: Vec<Value> = engine
        .macros()
        .iter()
        .map(|m| json!({"info": {"name": m.name}}))
        .collect();
    Ok(json!({"lists": lists, "macros": macros, "rules": rules}))
}

fn selected<'e>(
    engine: &'e RulesEngine,
    rule: Option<&str>,
) -> Result<Vec<&'e CompiledRule>, UnknownRule> {
    match rule {
        None => Ok(engine.rules().iter().collect()),
        Some(name) => {
            let found: Vec<&CompiledRule> =
                engine.rules().iter().filter(|r| r.name == name).collect();
            if found.is_empty() {
                Err(UnknownRule(name.to_string()))
            } else {
                Ok(found)
            }
        }
    }
}

/// Falco's `--list-events`: every event of the event table Bulkhead decodes, one per line as
/// `> name(TYPE param, ...)` (enter) or `< name(...)` (exit), old versions and unused halves left
/// out; then the syscalls that have no event of their own and come as the generic event, which
/// rules match by their name (`evt.type=madvise`).
pub fn events_text() -> String {
    use bulkhead_scap::table::{Direction, event_table};
    let mut out = String::from("Syscall and meta events:\n");
    let mut named = std::collections::BTreeSet::new();
    for e in event_table() {
        if e.unused || e.old_version || e.name == "syscall" {
            continue;
        }
        named.insert(e.name);
        let params: Vec<String> = e
            .params
            .iter()
            .map(|p| format!("{} {}", p.ty.pt_name(), p.name))
            .collect();
        let dir = if e.direction == Direction::Enter {
            '>'
        } else {
            '<'
        };
        out.push_str(&format!("{dir} {}({})\n", e.name, params.join(", ")));
    }
    out.push_str(
        "\nSyscalls recorded as the generic event (evt.type is the syscall's name; x86_64 numbers):\n",
    );
    for (nr, name) in bulkhead_scap::syscalls::x86_64_syscalls() {
        if !named.contains(name) {
            out.push_str(&format!("{nr} {name}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn falco_text_shapes() {
        assert_eq!(wrap_text("a bb ccc", 2, 8), "a bb \n  ccc ");
        let mut e = RulesEngine::default();
        let long = "word ".repeat(30);
        let yaml = format!(
            "- rule: Short one\n  desc: Detects a thing.\n  condition: evt.type=open\n  output: x\n  priority: INFO\n- rule: Long one\n  desc: {long}\n  condition: evt.type=close\n  output: y\n  priority: ERROR\n  tags: [t]\n"
        );
        assert!(e.load_rules(&yaml, "r.yaml").successful());
        let all = rules_text(&e, None).unwrap();
        let lines: Vec<&str> = all.lines().collect();
        assert_eq!(lines[0], format!("{:<50} Description", "Rule"));
        assert_eq!(lines[1], format!("{:<50} -----------", "----"));
        assert_eq!(lines[2], format!("{:<50} Detects a thing. ", "Short one"));
        assert_eq!(lines[3], "");
        // 59 columns of words after the 51 of the name, continuation lines indented by 51.
        assert!(lines[4].starts_with("Long one "));
        assert!(lines[5].starts_with(&" ".repeat(51)) && lines[5].contains("word"));
        assert!(
            lines.iter().all(|l| l.trim_end().chars().count() <= 110),
            "{all}"
        );
        let one = rules_text(&e, Some("Long one")).unwrap();
        assert!(!one.contains("Short one") && one.contains("Long one"));
        let err = rules_text(&e, Some("Nope")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Rule \"Nope\" not found in the loaded rules files (list them with -L)"
        );
        let j = rules_json(&e, None).unwrap();
        assert_eq!(j["rules"][1]["info"]["priority"], "Error");
        assert_eq!(j["rules"][1]["info"]["tags"][0], "t");
        assert_eq!(j["rules"][0]["info"]["condition"], "evt.type=open");
    }

    #[test]
    fn events_list() {
        let t = events_text();
        assert!(
            t.contains("\n> open(FSPATH name, FLAGS32 flags, UINT32 mode)\n"),
            "{t}"
        );
        assert!(t.contains("\n< execve(ERRNO res, CHARBUF exe, "), "{t}");
        // madvise has no event of its own: it is listed as a generic syscall, open is not.
        assert!(t.contains("\n28 madvise\n"));
        assert!(!t.contains("\n2 open\n"));
    }
}
