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

/// Upper bound of an audit file read at once.
pub const MAX_AUDIT_BYTES: usize = 256 << 20;

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
    #[error("refused: more than {MAX_AUDIT_BYTES} bytes of audit events (split the file)")]
    TooLarge,
    /// A line that is not JSON, in a file that is not one JSON document.
    #[error(
        "line {line}: invalid JSON ({detail}); give one audit event, an EventList, a JSON array or one event per line"
    )]
    Json { line: usize, detail: String },
}

/// Read audit events from text: one event, an `EventList` (`items`), a JSON array, or JSON lines.
/// Documents that are not audit events are counted in the second value (the plugin skips them
/// with [`NOT_AUDIT`]).
pub fn read_events(text: &str) -> Result<(Vec<AuditEvent>, usize), AuditError> {
    if text.len() > MAX_AUDIT_BYTES {
        return Err(AuditError::TooLarge);
    }
    let mut docs: Vec<Value> = Vec::new();
    match serde_json::from_str::<Value>(text) {
        Ok(v) => docs.push(v),
        Err(_) => {
            for (i, line) in text.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() {
                    continue;
                }
                docs.push(serde_json::from_str(line).map_err(|e| AuditError::Json {
                    line: i + 1,
                    detail: json_detail(&e),
                })?);
            }
        }
    }
    let mut out = Vec::new();
    let mut skipped = 0;
    for d in docs {
        let items: Vec<Value> = match d {
            Value::Array(a) => a,
            Value::Object(ref o) if o.get("kind").and_then(Value::as_str) == Some("EventList") => o
                .get("items")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            other => vec![other],
        };
        for it in items {
            match to_event(it) {
                Some(mut e) => {
                    e.num = out.len() as u64 + 1;
                    out.push(e)
                }
                None => skipped += 1,
            }
        }
    }
    Ok((out, skipped))
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
