//! Alerts in Falco's shapes: the text line (`<time>: <Priority> <output>`) and the JSON object
//! (`time`, `rule`, `priority`, `source`, `output`, `output_fields`, `tags`, `hostname`) that
//! consumers such as falcosidekick read.

use crate::eval::{FieldSource, format_output};
use crate::loader::CompiledRule;
use serde_json::{Map, Value, json};

/// Nanoseconds since the epoch as Falco prints times: `2016-08-04T16:17:57.881781397+0000` in text,
/// `2016-08-04T16:17:57.881781397Z` (ISO 8601) in JSON.
pub fn iso_time(ts_ns: i128, iso8601: bool) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(ts_ns)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}{}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.nanosecond(),
        if iso8601 { "Z" } else { "+0000" }
    )
}

/// One alert.
#[derive(Debug, Clone)]
pub struct Alert {
    pub ts_ns: i128,
    pub rule: String,
    pub priority: crate::Priority,
    pub source: String,
    pub output: String,
    pub output_fields: Vec<(String, Option<String>)>,
    pub tags: Vec<String>,
}

impl Alert {
    /// The alert of `rule` for an event.
    pub fn new(rule: &CompiledRule, ts_ns: i128, ev: &dyn FieldSource) -> Alert {
        let (output, output_fields) = format_output(&rule.output, ev);
        Alert {
            ts_ns,
            rule: rule.name.clone(),
            priority: rule.priority,
            source: rule.source.clone(),
            output,
            output_fields,
            tags: rule.tags.iter().cloned().collect(),
        }
    }

    /// Falco's text line.
    pub fn text(&self) -> String {
        format!(
            "{}: {} {}",
            iso_time(self.ts_ns, false),
            self.priority.as_str(),
            self.output
        )
    }

    /// Falco's JSON object.
    pub fn json(&self, hostname: &str) -> Value {
        let mut fields = Map::new();
        for (k, v) in &self.output_fields {
            fields.insert(
                k.clone(),
                v.clone().map(Value::String).unwrap_or(Value::Null),
            );
        }
        json!({
            "hostname": hostname,
            "output": format!("{} {} {}", iso_time(self.ts_ns, false), self.priority.as_str(), self.output),
            "output_fields": fields,
            "priority": self.priority.as_str(),
            "rule": self.rule,
            "source": self.source,
            "tags": self.tags,
            "time": iso_time(self.ts_ns, true),
        })
    }
}
