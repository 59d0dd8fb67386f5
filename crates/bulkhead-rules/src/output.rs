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

    /// The alert as a Bulkhead finding (kind `runtime-alert`): id and title the rule name,
    /// severity from the priority ([`crate::Priority::severity`]), message the output; the
    /// container (`container.id`, `.name`, `.image.repository`:`.image.tag`, `.image.digest`),
    /// process (`proc.pid`, `proc.name`, `proc.cmdline`, `user.name`) and Kubernetes object
    /// (`ka.target.*`) from the output fields that have a value; evidence the output fields (typed
    /// as in the JSON alert), tags, source and priority. Falco's own JSON line is [`Alert::json`].
    pub fn to_finding(&self) -> bulkhead_core::Finding {
        use bulkhead_core::{ContainerRef, Finding, FindingKind, ProcessRef};
        let mut f = Finding::new(
            FindingKind::RuntimeAlert,
            self.rule.clone(),
            self.priority.severity(),
            self.rule.clone(),
            self.output.clone(),
        );
        f.severity_source = Some(format!("Falco priority {}", self.priority.as_str()));
        let field = |k: &str| {
            self.output_fields
                .iter()
                .find(|(n, _)| n == k)
                .and_then(|(_, v)| v.clone())
                .filter(|v| !v.is_empty() && v != "<NA>")
        };
        if let Some(id) = field("container.id") {
            let image =
                field("container.image.repository").map(|r| match field("container.image.tag") {
                    Some(t) => format!("{r}:{t}"),
                    None => r,
                });
            f.location.container = Some(ContainerRef {
                id,
                name: field("container.name"),
                image: image.or_else(|| field("container.image")),
                image_digest: field("container.image.digest"),
            });
        }
        let process = ProcessRef {
            pid: field("proc.pid").and_then(|p| p.parse().ok()),
            name: field("proc.name"),
            cmdline: field("proc.cmdline"),
            user: field("user.name"),
        };
        if process != ProcessRef::default() {
            f.location.process = Some(process);
        }
        let object: Vec<String> = [
            "ka.target.namespace",
            "ka.target.resource",
            "ka.target.name",
        ]
        .iter()
        .filter_map(|k| field(k))
        .collect();
        if !object.is_empty() {
            f.location.object = Some(object.join("/"));
        }
        let mut fields = Map::new();
        for (k, v) in &self.output_fields {
            fields.insert(k.clone(), typed(&self.source, k, v.as_deref(), self.ts_ns));
        }
        f.evidence
            .insert("output_fields".into(), Value::Object(fields));
        f.evidence.insert("tags".into(), json!(self.tags));
        f.evidence.insert("source".into(), json!(self.source));
        f.evidence
            .insert("priority".into(), json!(self.priority.as_str()));
        f.evidence
            .insert("time".into(), json!(iso_time(self.ts_ns, true)));
        f
    }

    /// Falco's JSON object; `output` holds the text line. `output_fields` holds every field of
    /// the line — the time of its prefix (`evt.time`, or `evt.time.iso8601`) included — typed as
    /// libsinsp renders them in JSON: numbers for numeric fields, booleans for flags, the event
    /// time in nanoseconds for the time fields, strings otherwise, `null` when absent.
    pub fn json(&self, hostname: &str, iso8601: bool) -> Value {
        let mut fields = Map::new();
        let time_key = if iso8601 {
            "evt.time.iso8601"
        } else {
            "evt.time"
        };
        fields.insert(time_key.to_string(), Value::from(self.ts_ns as i64));
        for (k, v) in &self.output_fields {
            fields.insert(k.clone(), typed(&self.source, k, v.as_deref(), self.ts_ns));
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

/// A field's value as libsinsp's JSON formatter renders it (`rawval_to_json`, and the event time
/// fields' `extract_as_js`).
fn typed(source: &str, key: &str, v: Option<&str>, ts_ns: i128) -> Value {
    use crate::fields::FieldType as T;
    let Some(s) = v else {
        return Value::Null;
    };
    let name = key.split('[').next().unwrap_or(key);
    if matches!(
        name,
        "evt.time" | "evt.time.s" | "evt.time.iso8601" | "evt.datetime" | "evt.datetime.s"
    ) {
        return Value::from(ts_ns as i64);
    }
    let number = || {
        s.parse::<i64>()
            .map(Value::from)
            .or_else(|_| s.parse::<u64>().map(Value::from))
            .unwrap_or_else(|_| Value::String(s.to_string()))
    };
    match crate::fields::field(source, name).map(|f| f.ty) {
        Some(
            T::Uint64
            | T::Uint32
            | T::Int64
            | T::Int32
            | T::Int16
            | T::Port
            | T::RelTime
            | T::AbsTime,
        ) => number(),
        Some(T::Double) => s
            .parse::<f64>()
            .ok()
            .and_then(|f| serde_json::Number::from_f64(f).map(Value::Number))
            .unwrap_or_else(|| Value::String(s.to_string())),
        Some(T::Bool) => match s {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::String(s.to_string()),
        },
        _ => Value::String(s.to_string()),
    }
}

/// `%evt.time.s`: `16:17:57` (the time without nanoseconds).
pub fn time_s(ts_ns: i128) -> String {
    line_time(ts_ns, false)[..8].to_string()
}

/// `%evt.datetime.s`: `2016-08-04 16:17:57` (the date and time without nanoseconds).
pub fn datetime_s(ts_ns: i128) -> String {
    datetime(ts_ns)[..19].to_string()
}

/// `%evt.datetime` (libsinsp's `ts_to_string` with the date): `2016-08-04 16:17:57.881781397`.
pub fn datetime(ts_ns: i128) -> String {
    iso_time(ts_ns, false)[..29].replacen('T', " ", 1)
}

/// This machine's hostname (the JSON alerts' `hostname`, `evt.hostname` of live-source events),
/// read once.
pub fn local_hostname() -> &'static str {
    static HOST: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HOST.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    /// An alert of a container process as a finding: the location and evidence from its fields.
    #[test]
    fn alerts_as_findings() {
        let a = Alert {
            ts_ns: 1_470_327_477_881_785_348,
            rule: "Terminal shell in container".into(),
            priority: crate::Priority::Notice,
            source: "syscall".into(),
            output: "A shell was spawned (user=root)".into(),
            output_fields: vec![
                ("container.id".into(), Some("ad64969c62e5".into())),
                ("container.name".into(), Some("web".into())),
                ("container.image.repository".into(), Some("nginx".into())),
                ("container.image.tag".into(), Some("1.25".into())),
                ("container.image.digest".into(), None),
                ("proc.pid".into(), Some("4242".into())),
                ("proc.cmdline".into(), Some("bash -i".into())),
                ("user.name".into(), Some("root".into())),
            ],
            tags: vec!["container".into(), "shell".into()],
        };
        let f = a.to_finding();
        assert_eq!(f.kind, bulkhead_core::FindingKind::RuntimeAlert);
        assert_eq!(
            (f.id.as_str(), f.title.as_str()),
            ("Terminal shell in container", "Terminal shell in container")
        );
        assert_eq!(f.severity, bulkhead_core::Severity::Low);
        assert_eq!(f.severity_source.as_deref(), Some("Falco priority Notice"));
        assert_eq!(f.message, "A shell was spawned (user=root)");
        let c = f.location.container.as_ref().unwrap();
        assert_eq!(
            (c.id.as_str(), c.name.as_deref(), c.image.as_deref()),
            ("ad64969c62e5", Some("web"), Some("nginx:1.25"))
        );
        assert_eq!(c.image_digest, None);
        let p = f.location.process.as_ref().unwrap();
        assert_eq!(
            (
                p.pid,
                p.cmdline.as_deref(),
                p.user.as_deref(),
                p.name.as_deref()
            ),
            (Some(4242), Some("bash -i"), Some("root"), None)
        );
        assert_eq!(f.evidence["output_fields"]["proc.pid"], 4242);
        assert!(f.evidence["output_fields"]["container.image.digest"].is_null());
        assert_eq!(f.evidence["tags"][1], "shell");
        assert_eq!(f.evidence["source"], "syscall");
        assert_eq!(f.evidence["priority"], "Notice");
        // The finding serializes (the report's JSON).
        let v = serde_json::to_value(&f).unwrap();
        assert_eq!(v["kind"], "runtime-alert");
    }

    /// JSON `output_fields` as Falco types them: the time of the line's prefix in ns, numbers,
    /// booleans, strings, `null` for `<NA>`.
    #[test]
    fn json_output_fields_are_typed() {
        let a = Alert {
            ts_ns: 1_470_327_477_881_785_348,
            rule: "r".into(),
            priority: crate::Priority::Warning,
            source: "syscall".into(),
            output: "x".into(),
            output_fields: vec![
                ("proc.pid".into(), Some("20072".into())),
                ("user.loginuid".into(), Some("-1".into())),
                ("evt.failed".into(), Some("false".into())),
                ("proc.name".into(), Some("cat".into())),
                ("proc.aname[2]".into(), Some("sshd".into())),
                ("container.image.repository".into(), None),
            ],
            tags: vec!["t".into()],
        };
        let j = a.json("h", false);
        let f = &j["output_fields"];
        assert_eq!(f["evt.time"], 1_470_327_477_881_785_348_i64);
        assert_eq!(f["proc.pid"], 20072);
        assert_eq!(f["user.loginuid"], -1);
        assert_eq!(f["evt.failed"], false);
        assert_eq!(f["proc.name"], "cat");
        assert_eq!(f["proc.aname[2]"], "sshd");
        assert!(f["container.image.repository"].is_null());
        assert_eq!(j["output"], "16:17:57.881785348: Warning x");
        assert_eq!(j["time"], "2016-08-04T16:17:57.881785348Z");
        let iso = a.json("h", true);
        assert_eq!(
            iso["output"],
            "2016-08-04T16:17:57.881785348+0000: Warning x"
        );
        assert!(iso["output_fields"]["evt.time.iso8601"].is_number());
    }
}
