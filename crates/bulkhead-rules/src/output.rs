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

    /// Falco's text line: `<time>: <Priority> <output>`, the time as `%evt.time`
    /// (`16:17:57.881781397`) or, with `time_format_iso_8601`, as `%evt.time.iso8601`.
    pub fn text(&self, iso8601: bool) -> String {
        format!(
            "{}: {} {}",
            line_time(self.ts_ns, iso8601),
            self.priority.as_str(),
            self.output
        )
    }

    /// Falco's JSON object; `output` holds the text line.
    pub fn json(&self, hostname: &str, iso8601: bool) -> Value {
        let mut fields = Map::new();
        for (k, v) in &self.output_fields {
            fields.insert(
                k.clone(),
                v.clone().map(Value::String).unwrap_or(Value::Null),
            );
        }
        json!({
            "hostname": hostname,
            "output": self.text(iso8601),
            "output_fields": fields,
            "priority": self.priority.as_str(),
            "rule": self.rule,
            "source": self.source,
            "tags": self.tags,
            "time": iso_time(self.ts_ns, true),
        })
    }
}

/// `%evt.time` (`HH:MM:SS.nnnnnnnnn`, UTC here as on a UTC host) or `%evt.time.iso8601`.
pub fn line_time(ts_ns: i128, iso8601: bool) -> String {
    if iso8601 {
        return iso_time(ts_ns, false);
    }
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(ts_ns)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:02}:{:02}:{:02}.{:09}",
        t.hour(),
        t.minute(),
        t.second(),
        t.nanosecond()
    )
}

/// How alerts are printed (Falco's `json_output`, `json_include_*_property`,
/// `time_format_iso_8601`).
#[derive(Debug, Clone)]
pub struct OutputFormat {
    pub json: bool,
    pub iso8601: bool,
    pub include_output: bool,
    pub include_tags: bool,
    pub hostname: String,
}

impl OutputFormat {
    pub fn new(c: &crate::falco_config::FalcoConfig, hostname: &str) -> OutputFormat {
        OutputFormat {
            json: c.json_output,
            iso8601: c.time_format_iso_8601,
            include_output: c.json_include_output_property,
            include_tags: c.json_include_tags_property,
            hostname: hostname.to_string(),
        }
    }

    /// An alert's line.
    pub fn line(&self, a: &Alert) -> String {
        if !self.json {
            return a.text(self.iso8601);
        }
        let mut j = a.json(&self.hostname, self.iso8601);
        if let Some(m) = j.as_object_mut() {
            if !self.include_output {
                m.remove("output");
            }
            if !self.include_tags {
                m.remove("tags");
            }
        }
        j.to_string()
    }

    /// The line of an internal message (Falco's `handle_msg`, e.g. a syscall event drop alert):
    /// text `<HH:MM:SS.ns>: <Priority> <msg> (k="v" ...)`, or JSON with `output` = the message,
    /// source `internal` and no tags.
    pub fn internal_line(
        &self,
        ts_ns: u64,
        priority: crate::Priority,
        rule: &str,
        msg: &str,
        fields: &[(&str, String)],
    ) -> String {
        if self.json {
            let mut f = Map::new();
            for (k, v) in fields {
                f.insert(k.to_string(), Value::String(v.clone()));
            }
            return json!({
                "hostname": self.hostname,
                "output": msg,
                "output_fields": f,
                "priority": priority.as_str(),
                "rule": rule,
                "source": "internal",
                "time": iso_time(ts_ns as i128, true),
            })
            .to_string();
        }
        let kv: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", Value::String(v.clone())))
            .collect();
        format!(
            "{}: {} {msg} ({})",
            line_time(ts_ns as i128, false),
            priority.as_str(),
            kv.join(" ")
        )
    }
}
