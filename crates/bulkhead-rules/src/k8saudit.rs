//! Kubernetes audit events as a rules source (`source: k8s_audit`): reading audit-event JSON
//! (one event, an `EventList`, a JSON array, or one event per line) and the `ka.*` / `jevt.*`
//! fields of Falco's k8saudit plugin, extracted as the plugin does (values as strings, numbers and
//! objects as their JSON text, lists for the multi-valued fields).

use crate::eval::FieldSource;
use serde_json::Value;

/// One audit event.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub json: Value,
    /// Event time in nanoseconds since the epoch (`stageTimestamp`, else `requestReceivedTimestamp`,
    /// else `timestamp`), as the plugin stamps events.
    pub ts_ns: i128,
    /// `evt.num`: the event's number in its input, from 1.
    pub num: u64,
}

/// Default of [`AuditReader`]'s largest record: one audit event, or one `EventList` (the
/// k8saudit plugin's `maxEventSize` bounds a webhook request the same way; its default is
/// 256 KiB, Kubernetes objects reach about 1.5 MiB).
pub const MAX_EVENT_BYTES: usize = 16 << 20;
/// Default of [`AuditReader`]'s most JSON values (strings, numbers, objects, ...) in one record:
/// what its parsed form holds, bounded apart from its bytes (`[0,0,0,...]` is 2 bytes a value).
pub const MAX_EVENT_VALUES: usize = 1_000_000;

/// Why a document is not an audit event (Falco's plugin says "data not recognized as a k8s audit
/// event").
pub const NOT_AUDIT: &str = "data not recognized as a k8s audit event";

fn rfc3339_ns(s: &str) -> Option<i128> {
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()?;
    Some(t.unix_timestamp_nanos())
}

fn is_event(v: &Value) -> bool {
    v.get("kind").and_then(Value::as_str) == Some("Event")
        || (v.get("auditID").is_some() && v.get("verb").is_some())
}

fn to_event(v: Value) -> Option<AuditEvent> {
    if !is_event(&v) {
        return None;
    }
    let ts_ns = ["stageTimestamp", "requestReceivedTimestamp", "timestamp"]
        .iter()
        .find_map(|k| v.get(k).and_then(Value::as_str).and_then(rfc3339_ns))
        .unwrap_or(0);
    Some(AuditEvent {
        json: v,
        ts_ns,
        num: 0,
    })
}

/// Why audit events could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditError {
    /// A document that is not JSON.
    #[error(
        "line {line}: invalid JSON ({detail}); give one audit event, an EventList, a JSON array or one event per line"
    )]
    Json { line: usize, detail: String },
    /// A record (one event, or one EventList) over the byte limit.
    #[error(
        "line {line}: an audit event (or EventList) larger than {limit} bytes (the reader's limit, --max-event-size)"
    )]
    TooLarge { line: usize, limit: usize },
    /// A record holding more JSON values than the limit.
    #[error(
        "line {line}: an audit event (or EventList) of more than {limit} JSON values (the reader's limit)"
    )]
    TooManyValues { line: usize, limit: usize },
    /// The input could not be read.
    #[error("line {line}: cannot read: {detail}")]
    Io { line: usize, detail: String },
}

/// Read audit events from text: one event, an `EventList` (`items`), a JSON array, or JSON lines.
/// Documents that are not audit events are counted in the second value (the plugin skips them
/// with [`NOT_AUDIT`]).
pub fn read_events(text: &str) -> Result<(Vec<AuditEvent>, usize), AuditError> {
    let mut r = AuditReader::new(text.as_bytes());
    let mut out = Vec::new();
    while let Some(e) = r.next_event()? {
        out.push(e);
    }
    Ok((out, r.skipped()))
}

/// Audit events read one at a time from a stream: JSON documents one after the other (one event,
/// JSON lines, `EventList`s), or the elements of a top-level JSON array. Only one record — an
/// event, or one `EventList` — is held at a time, bounded in bytes and in JSON values while it
/// is read; the file as a whole is never held.
pub struct AuditReader<R> {
    r: R,
    /// 1-based line of the next byte.
    line: usize,
    max_bytes: usize,
    max_values: usize,
    /// Inside a top-level array; `Some(true)` once an element was read (a comma comes next).
    array: Option<bool>,
    /// Items of an `EventList` still to hand out.
    queue: std::collections::VecDeque<Value>,
    started: bool,
    events: u64,
    skipped: usize,
}

impl<R: std::io::BufRead> AuditReader<R> {
    pub fn new(r: R) -> AuditReader<R> {
        AuditReader::with_limits(r, MAX_EVENT_BYTES, MAX_EVENT_VALUES)
    }

    /// A reader whose records are at most `max_bytes` bytes and `max_values` JSON values.
    pub fn with_limits(r: R, max_bytes: usize, max_values: usize) -> AuditReader<R> {
        AuditReader {
            r,
            line: 1,
            max_bytes,
            max_values,
            array: None,
            queue: std::collections::VecDeque::new(),
            started: false,
            events: 0,
            skipped: 0,
        }
    }

    /// Documents so far that were not audit events.
    pub fn skipped(&self) -> usize {
        self.skipped
    }

    /// The next audit event; `None` at the end.
    pub fn next_event(&mut self) -> Result<Option<AuditEvent>, AuditError> {
        loop {
            if let Some(v) = self.queue.pop_front() {
                if let Some(e) = self.event(v) {
                    return Ok(Some(e));
                }
                continue;
            }
            let in_array = self.array.is_some();
            let Some((bytes, line)) = self.next_document()? else {
                return Ok(None);
            };
            let v: Value = serde_json::from_slice(&bytes).map_err(|e| AuditError::Json {
                line: line + e.line().saturating_sub(1),
                detail: json_detail(&e),
            })?;
            drop(bytes);
            if !in_array
                && v.get("kind").and_then(Value::as_str) == Some("EventList")
                && let Value::Object(mut o) = v
            {
                if let Some(Value::Array(items)) = o.remove("items") {
                    self.queue.extend(items);
                }
                continue;
            }
            if let Some(e) = self.event(v) {
                return Ok(Some(e));
            }
        }
    }

    fn event(&mut self, v: Value) -> Option<AuditEvent> {
        match to_event(v) {
            Some(mut e) => {
                self.events += 1;
                e.num = self.events;
                Some(e)
            }
            None => {
                self.skipped += 1;
                None
            }
        }
    }

    fn io(&self, e: std::io::Error) -> AuditError {
        AuditError::Io {
            line: self.line,
            detail: bulkhead_core::input::io_reason(&e),
        }
    }

    /// The next byte that is not blank (not consumed); `None` at the end.
    fn peek_token(&mut self) -> Result<Option<u8>, AuditError> {
        loop {
            let buf = match self.r.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.io(e)),
            };
            if buf.is_empty() {
                return Ok(None);
            }
            let mut skip = 0;
            let mut lines = 0;
            if !self.started {
                self.started = true;
                if buf.starts_with(b"\xef\xbb\xbf") {
                    skip = 3;
                }
            }
            while skip < buf.len() && matches!(buf[skip], b' ' | b'\t' | b'\r' | b'\n') {
                if buf[skip] == b'\n' {
                    lines += 1;
                }
                skip += 1;
            }
            let found = buf.get(skip).copied();
            self.r.consume(skip);
            self.line += lines;
            if let Some(c) = found {
                return Ok(Some(c));
            }
        }
    }

    fn consume_byte(&mut self) {
        self.r.consume(1);
    }

    /// The bytes of the next document (a top-level value, or an element of a top-level array)
    /// and the line it starts on.
    fn next_document(&mut self) -> Result<Option<(Vec<u8>, usize)>, AuditError> {
        loop {
            let Some(c) = self.peek_token()? else {
                if self.array.is_some() {
                    return Err(AuditError::Json {
                        line: self.line,
                        detail: "unexpected end of input".into(),
                    });
                }
                return Ok(None);
            };
            match self.array {
                None if c == b'[' => {
                    self.consume_byte();
                    self.array = Some(false);
                    continue;
                }
                Some(_) if c == b']' => {
                    self.consume_byte();
                    self.array = None;
                    continue;
                }
                Some(true) => {
                    if c != b',' {
                        return Err(AuditError::Json {
                            line: self.line,
                            detail: format!(
                                "expected ',' or ']' in the array, found {:?}",
                                c as char
                            ),
                        });
                    }
                    self.consume_byte();
                    self.array = Some(false);
                    continue;
                }
                _ => {}
            }
            let line = self.line;
            let bytes = self.value_bytes(c)?;
            if self.array.is_some() {
                self.array = Some(true);
            }
            return Ok(Some((bytes, line)));
        }
    }

    /// The bytes of one JSON value starting with `first` (not yet consumed), within the limits.
    fn value_bytes(&mut self, first: u8) -> Result<Vec<u8>, AuditError> {
        let structured = matches!(first, b'{' | b'[');
        let mut out = Vec::new();
        let mut depth = 0usize;
        let mut in_str = false;
        let mut esc = false;
        let mut values = 0usize;
        let start_line = self.line;
        loop {
            let buf = match self.r.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.io(e)),
            };
            if buf.is_empty() {
                if structured || in_str {
                    return Err(AuditError::Json {
                        line: self.line,
                        detail: "unexpected end of input".into(),
                    });
                }
                return Ok(out);
            }
            let mut i = 0;
            let mut done = false;
            let mut lines = 0;
            while i < buf.len() {
                let b = buf[i];
                if in_str {
                    i += 1;
                    if esc {
                        esc = false;
                    } else if b == b'\\' {
                        esc = true;
                    } else if b == b'"' {
                        in_str = false;
                        if !structured {
                            done = true;
                            break;
                        }
                    } else if b == b'\n' {
                        lines += 1;
                    }
                    continue;
                }
                if !structured && i + out.len() > 0 {
                    // A scalar ends at a blank or a delimiter (not consumed).
                    if matches!(
                        b,
                        b' ' | b'\t' | b'\r' | b'\n' | b',' | b']' | b'}' | b'[' | b'{'
                    ) {
                        done = true;
                        break;
                    }
                }
                i += 1;
                match b {
                    b'"' => {
                        in_str = true;
                        values += 1;
                    }
                    b'{' | b'[' => {
                        depth += 1;
                        values += 1;
                    }
                    b'}' | b']' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            done = true;
                            break;
                        }
                    }
                    b',' => values += 1,
                    b'\n' => lines += 1,
                    _ => {}
                }
            }
            out.extend_from_slice(&buf[..i]);
            self.r.consume(i);
            self.line += lines;
            if out.len() > self.max_bytes {
                return Err(AuditError::TooLarge {
                    line: start_line,
                    limit: self.max_bytes,
                });
            }
            if values > self.max_values {
                return Err(AuditError::TooManyValues {
                    line: start_line,
                    limit: self.max_values,
                });
            }
            if done {
                return Ok(out);
            }
        }
    }
}

/// What is wrong in a JSON text, without serde's position suffix (the line is given apart).
pub(crate) fn json_detail(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Eof => "unexpected end of input".into(),
        Category::Syntax => format!("syntax error at column {}", e.column()),
        Category::Data => "unexpected value".into(),
        Category::Io => "read error".into(),
    }
}

/// A JSON value as the plugin renders it: strings as they are, anything else as compact JSON.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn get<'a>(v: &'a Value, keys: &[&str]) -> Option<&'a Value> {
    let mut cur = v;
    for k in keys {
        cur = cur.get(k)?;
    }
    (!cur.is_null()).then_some(cur)
}

fn one(v: &Value, keys: &[&str]) -> Option<Vec<String>> {
    get(v, keys).map(|x| vec![text(x)])
}

impl AuditEvent {
    /// The containers of one list of the pod spec, filtered by an index argument.
    fn containers(&self, list: &str, arg: Option<&str>) -> Option<Vec<&Value>> {
        let arr = get(&self.json, &["requestObject", "spec", list])?.as_array()?;
        match arg.and_then(|a| a.parse::<usize>().ok()) {
            Some(i) => arr.get(i).map(|c| vec![c]),
            None => Some(arr.iter().collect()),
        }
    }

    fn container_field(
        &self,
        list: &str,
        arg: Option<&str>,
        keys: &[&str],
        skip_missing: bool,
    ) -> Option<Vec<String>> {
        let cs = self.containers(list, arg)?;
        let mut out = Vec::new();
        for c in cs {
            match get(c, keys) {
                Some(v) => out.push(text(v)),
                None if skip_missing => {}
                None => return None,
            }
        }
        Some(out)
    }

    fn images(&self, list: &str, arg: Option<&str>) -> Option<Vec<String>> {
        self.container_field(list, arg, &["image"], false)
    }
}

fn repository(image: &str) -> String {
    image
        .split(':')
        .next()
        .unwrap_or("")
        .split('@')
        .next()
        .unwrap_or("")
        .to_string()
}

impl FieldSource for AuditEvent {
    fn extract(&self, field: &str, arg: Option<&str>) -> Option<Vec<String>> {
        let j = &self.json;
        // Container-list fields exist for containers, initContainers and ephemeralContainers.
        for list in ["containers", "initContainers", "ephemeralContainers"] {
            let prefix = format!("ka.req.pod.{list}.");
            if let Some(rest) = field.strip_prefix(&prefix) {
                return match rest {
                    "image" => self.images(list, arg),
                    "image.repository" => self
                        .images(list, arg)
                        .map(|v| v.iter().map(|i| repository(i)).collect()),
                    "privileged" => {
                        self.container_field(list, arg, &["securityContext", "privileged"], true)
                    }
                    "allow_privilege_escalation" => self.container_field(
                        list,
                        arg,
                        &["securityContext", "allowPrivilegeEscalation"],
                        true,
                    ),
                    "read_only_fs" => self.container_field(
                        list,
                        arg,
                        &["securityContext", "readOnlyRootFilesystem"],
                        true,
                    ),
                    "run_as_user" => {
                        self.container_field(list, arg, &["securityContext", "runAsUser"], true)
                    }
                    "run_as_group" => {
                        self.container_field(list, arg, &["securityContext", "runAsGroup"], true)
                    }
                    "proc_mount" => {
                        self.container_field(list, arg, &["securityContext", "procMount"], true)
                    }
                    "add_capabilities" => {
                        let cs = self.containers(list, arg)?;
                        Some(
                            cs.iter()
                                .filter_map(|c| {
                                    get(c, &["securityContext", "capabilities", "add"])
                                        .and_then(Value::as_array)
                                })
                                .flatten()
                                .map(text)
                                .collect(),
                        )
                    }
                    "host_port" => {
                        let cs = self.containers(list, arg)?;
                        let mut out = Vec::new();
                        for c in cs {
                            for p in c
                                .get("ports")
                                .and_then(Value::as_array)
                                .into_iter()
                                .flatten()
                            {
                                if let Some(h) = p.get("hostPort") {
                                    out.push(text(h));
                                } else if let Some(cp) = p.get("containerPort") {
                                    out.push(text(cp));
                                }
                            }
                        }
                        Some(out)
                    }
                    "eff_run_as_user" | "eff_run_as_group" => {
                        let key = if rest == "eff_run_as_user" {
                            "runAsUser"
                        } else {
                            "runAsGroup"
                        };
                        let pod = get(j, &["requestObject", "spec", "securityContext", key])
                            .map(text)
                            .unwrap_or_else(|| "0".to_string());
                        let cs = self.containers(list, arg)?;
                        Some(
                            cs.iter()
                                .map(|c| {
                                    get(c, &["securityContext", key])
                                        .map(text)
                                        .unwrap_or_else(|| pod.clone())
                                })
                                .collect(),
                        )
                    }
                    _ => None,
                };
            }
        }
        match field {
            "ka.auditid" => one(j, &["auditID"]),
            "ka.stage" => one(j, &["stage"]),
            "ka.auth.decision" => one(j, &["annotations", "authorization.k8s.io/decision"]),
            "ka.auth.reason" => one(j, &["annotations", "authorization.k8s.io/reason"]),
            "ka.user.name" => one(j, &["user", "username"]),
            "ka.user.groups" => get(j, &["user", "groups"])
                .and_then(Value::as_array)
                .map(|a| a.iter().map(text).collect()),
            "ka.impuser.name" => one(j, &["impersonatedUser", "username"]),
            "ka.verb" => one(j, &["verb"]),
            "ka.uri" => one(j, &["requestURI"]),
            "ka.uri.param" => {
                let uri = get(j, &["requestURI"])?.as_str()?;
                let query = uri.split_once('?')?.1;
                let want = arg?;
                query.split('&').find_map(|kv| {
                    let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                    (k == want).then(|| vec![v.to_string()])
                })
            }
            "ka.target.name" | "ka.req.configmap.name" => one(j, &["objectRef", "name"]),
            "ka.target.namespace" => one(j, &["objectRef", "namespace"]),
            "ka.target.resource" => one(j, &["objectRef", "resource"]),
            "ka.target.subresource" => one(j, &["objectRef", "subresource"]),
            "ka.req.binding.subjects" => get(j, &["requestObject", "subjects"])
                .and_then(Value::as_array)
                .map(|a| a.iter().map(text).collect()),
            "ka.req.binding.role" => one(j, &["requestObject", "roleRef", "name"]),
            "ka.req.binding.subject.has_name" => arg.map(|_| vec!["true".to_string()]),
            "ka.req.configmap.obj" => one(j, &["requestObject", "data"]),
            "ka.req.container.image" => self.images("containers", Some("0")),
            "ka.req.container.image.repository" => self
                .images("containers", Some("0"))
                .map(|v| v.iter().map(|i| repository(i)).collect()),
            "ka.req.container.privileged" => {
                let v = self.container_field(
                    "containers",
                    None,
                    &["securityContext", "privileged"],
                    true,
                )?;
                Some(vec![v.iter().any(|x| x == "true").to_string()])
            }
            "ka.req.pod.host_ipc" => one(j, &["requestObject", "spec", "hostIPC"]),
            "ka.req.pod.host_network" | "ka.req.container.host_network" => {
                one(j, &["requestObject", "spec", "hostNetwork"])
            }
            "ka.req.pod.host_pid" => one(j, &["requestObject", "spec", "hostPID"]),
            "ka.req.pod.run_as_user" => one(
                j,
                &["requestObject", "spec", "securityContext", "runAsUser"],
            ),
            "ka.req.pod.run_as_group" => one(
                j,
                &["requestObject", "spec", "securityContext", "runAsGroup"],
            ),
            "ka.req.pod.fs_group" => {
                one(j, &["requestObject", "spec", "securityContext", "fsGroup"])
            }
            "ka.req.pod.supplemental_groups" => get(
                j,
                &[
                    "requestObject",
                    "spec",
                    "securityContext",
                    "supplementalGroups",
                ],
            )
            .and_then(Value::as_array)
            .map(|a| a.iter().map(text).collect()),
            "ka.req.role.rules" => get(j, &["requestObject", "rules"])
                .and_then(Value::as_array)
                .map(|a| a.iter().map(text).collect()),
            "ka.req.role.rules.apiGroups"
            | "ka.req.role.rules.nonResourceURLs"
            | "ka.req.role.rules.verbs"
            | "ka.req.role.rules.resources" => {
                let key = field.rsplit('.').next().unwrap_or("");
                let rules = get(j, &["requestObject", "rules"])?.as_array()?;
                let rules: Vec<&Value> = match arg.and_then(|a| a.parse::<usize>().ok()) {
                    Some(i) => vec![rules.get(i)?],
                    None => rules.iter().collect(),
                };
                Some(
                    rules
                        .iter()
                        .filter_map(|r| r.get(key).and_then(Value::as_array))
                        .flatten()
                        .filter(|v| !v.is_null())
                        .map(text)
                        .collect(),
                )
            }
            "ka.req.service.type" => one(j, &["requestObject", "spec", "type"]),
            "ka.req.service.ports" => get(j, &["requestObject", "spec", "ports"])
                .and_then(Value::as_array)
                .map(|a| a.iter().map(text).collect()),
            "ka.req.pod.volumes.hostpath" => {
                let vols = get(j, &["requestObject", "spec", "volumes"])?.as_array()?;
                Some(
                    vols.iter()
                        .filter_map(|v| get(v, &["hostPath", "path"]))
                        .map(text)
                        .collect(),
                )
            }
            "ka.req.volume.hostpath" => {
                let want = arg?;
                let vols = get(j, &["requestObject", "spec", "volumes"])?.as_array()?;
                let paths: Vec<String> = vols
                    .iter()
                    .filter_map(|v| get(v, &["hostPath", "path"]))
                    .map(text)
                    .collect();
                let hit = match want.strip_suffix('*') {
                    Some(prefix) => paths.iter().any(|p| p.starts_with(prefix)),
                    None => paths.iter().any(|p| p == want),
                };
                Some(vec![hit.to_string()])
            }
            "ka.req.pod.volumes.flexvolume_driver" => {
                let vols = get(j, &["requestObject", "spec", "volumes"])?.as_array()?;
                Some(
                    vols.iter()
                        .filter_map(|v| get(v, &["flexVolume", "driver"]))
                        .map(text)
                        .collect(),
                )
            }
            "ka.req.pod.volumes.volume_type" => {
                let vols = get(j, &["requestObject", "spec", "volumes"])?.as_array()?;
                Some(
                    vols.iter()
                        .filter_map(Value::as_object)
                        .flat_map(|o| o.keys().filter(|k| *k != "name").cloned())
                        .collect(),
                )
            }
            "ka.resp.name" => one(j, &["responseObject", "metadata", "name"]),
            "ka.response.code" => one(j, &["responseStatus", "code"]),
            "ka.response.reason" => one(j, &["responseStatus", "reason"]),
            "ka.useragent" => one(j, &["userAgent"]),
            "ka.sourceips" => get(j, &["sourceIPs"])
                .and_then(Value::as_array)
                .map(|a| a.iter().map(text).collect()),
            "jevt.value" | "json.value" => {
                let ptr = arg?;
                j.pointer(ptr)
                    .filter(|v| !v.is_null())
                    .map(|v| vec![text(v)])
            }
            "jevt.obj" | "json.obj" => Some(vec![j.to_string()]),
            "jevt.rawtime" => Some(vec![self.ts_ns.to_string()]),
            // libsinsp's time strings: `16:17:57.881781397` and `...T16:17:57.881781397+0000`.
            "jevt.time" | "evt.time" => Some(vec![crate::output::line_time(self.ts_ns, false)]),
            "jevt.time.iso8601" | "evt.time.iso8601" => {
                Some(vec![crate::output::iso_time(self.ts_ns, false)])
            }
            "evt.rawtime" => Some(vec![self.ts_ns.to_string()]),
            "evt.time.s" => Some(vec![crate::output::time_s(self.ts_ns)]),
            "evt.datetime" => Some(vec![crate::output::datetime(self.ts_ns)]),
            "evt.datetime.s" => Some(vec![crate::output::datetime_s(self.ts_ns)]),
            "evt.source" => Some(vec!["k8s_audit".to_string()]),
            "evt.num" if self.num > 0 => Some(vec![self.num.to_string()]),
            // libsinsp's generic field: the host the events are processed on.
            "evt.hostname" => Some(vec![crate::output::local_hostname().to_string()]),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Events of an input are numbered from 1 (`evt.num`); non-events are skipped and counted;
    /// times are libsinsp's strings of `stageTimestamp`.
    #[test]
    fn numbering_times_and_skips() {
        let text = r#"{"kind":"Event","auditID":"a","verb":"get","stageTimestamp":"2018-10-25T14:09:12.581541Z"}
{"kind":"Pod","metadata":{}}
{"kind":"Event","auditID":"b","verb":"create","stageTimestamp":"2018-10-25T14:09:13Z"}"#;
        let (events, skipped) = read_events(text).unwrap();
        assert_eq!((events.len(), skipped), (2, 1));
        let one = |e: &AuditEvent, f: &str| e.extract(f, None).and_then(|v| v.into_iter().next());
        assert_eq!(one(&events[0], "evt.num").as_deref(), Some("1"));
        assert_eq!(one(&events[1], "evt.num").as_deref(), Some("2"));
        assert_eq!(
            one(&events[0], "evt.time").as_deref(),
            Some("14:09:12.581541000")
        );
        assert_eq!(
            one(&events[1], "jevt.time.iso8601").as_deref(),
            Some("2018-10-25T14:09:13.000000000+0000")
        );
        assert_eq!(one(&events[1], "ka.verb").as_deref(), Some("create"));
        assert!(one(&events[0], "evt.hostname").is_some());
    }
}
