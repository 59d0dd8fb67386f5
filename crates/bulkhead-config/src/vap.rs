//! Custom policies in CEL, written as Kubernetes writes them: `ValidatingAdmissionPolicy` and
//! `ValidatingAdmissionPolicyBinding` (`admissionregistration.k8s.io/v1`), with their parameter
//! objects, in one file. The same [`PolicySet`] is evaluated on manifests by `bulkhead config` and
//! on requests by the admission webhook: one policy file, two stages.
//!
//! Supported as Kubernetes applies them: `matchConstraints` (`resourceRules`,
//! `excludeResourceRules`, `namespaceSelector`, `objectSelector`), `matchConditions`, `variables`
//! (`variables.<name>`), `validations` (`expression`, `message`, `messageExpression`, `reason`),
//! `failurePolicy`, `paramKind` with a binding's `paramRef` (`name`, `namespace`,
//! `parameterNotFoundAction`), and the binding's `validationActions` (Deny, Warn, Audit) and
//! `matchResources`. The CEL variables are `object`, `oldObject`, `request`, `params`,
//! `namespaceObject` and `variables`; besides CEL's standard library, Kubernetes' string
//! extensions most used in policies are defined (`lowerAscii`, `upperAscii`, `split`, `join`,
//! `trim`, `replace`, `indexOf`). Not supported: `authorizer`, the `quantity`/`url`/`ip`
//! libraries, the type checking and cost budget Kubernetes applies when a policy is created (an
//! expression that uses what is not defined fails when evaluated, under the policy's
//! `failurePolicy`).
//!
//! A policy without a binding in the set is applied as if bound with `validationActions: [Deny]`
//! to everything (Kubernetes would ignore it: here a file whose binding was forgotten must not
//! pass silently).
//!
//! The CEL engine is the `cel` crate (cel-rust).

use cel::extractors::This;
use cel::{Context, Program};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Why a policy file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VapError {
    /// `ValidatingAdmissionPolicy/name` (empty: the file as a whole).
    pub object: String,
    pub message: String,
}

impl std::fmt::Display for VapError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.object.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.object, self.message)
        }
    }
}

impl std::error::Error for VapError {}

/// What a failed validation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    Deny,
    Warn,
    Audit,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Deny => "Deny",
            Action::Warn => "Warn",
            Action::Audit => "Audit",
        }
    }
}

#[derive(Debug, Clone, Default)]
struct ResourceRule {
    groups: Vec<String>,
    versions: Vec<String>,
    operations: Vec<String>,
    resources: Vec<String>,
    names: Vec<String>,
}

/// A label selector (`matchLabels`, `matchExpressions` with In, NotIn, Exists, DoesNotExist).
#[derive(Debug, Clone, Default)]
struct Selector {
    labels: BTreeMap<String, String>,
    exprs: Vec<(String, String, Vec<String>)>,
}

impl Selector {
    fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.labels.iter().all(|(k, v)| labels.get(k) == Some(v))
            && self.exprs.iter().all(|(k, op, vals)| match op.as_str() {
                "In" => labels.get(k).is_some_and(|v| vals.contains(v)),
                "NotIn" => labels.get(k).is_none_or(|v| !vals.contains(v)),
                "Exists" => labels.contains_key(k),
                "DoesNotExist" => !labels.contains_key(k),
                _ => false,
            })
    }
}

#[derive(Debug, Clone, Default)]
struct Matching {
    rules: Vec<ResourceRule>,
    exclude: Vec<ResourceRule>,
    namespace_selector: Option<Selector>,
    object_selector: Option<Selector>,
}

struct Validation {
    expression: String,
    program: Program,
    message: Option<String>,
    message_expression: Option<Program>,
    reason: String,
}

struct Policy {
    name: String,
    fail_closed: bool,
    matching: Option<Matching>,
    conditions: Vec<(String, Program)>,
    variables: Vec<(String, Program)>,
    validations: Vec<Validation>,
    /// `(apiVersion, kind)` of its parameters.
    param_kind: Option<(String, String)>,
}

struct Binding {
    name: String,
    policy: String,
    actions: Vec<Action>,
    param_ref: Option<(Option<String>, Option<String>, bool)>,
    matching: Option<Matching>,
}

/// The policies, bindings and parameter objects of one or more files.
#[derive(Default)]
pub struct PolicySet {
    policies: Vec<Policy>,
    bindings: Vec<Binding>,
    params: Vec<Value>,
}

impl std::fmt::Debug for PolicySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicySet")
            .field(
                "policies",
                &self.policies.iter().map(|p| &p.name).collect::<Vec<_>>(),
            )
            .field(
                "bindings",
                &self.bindings.iter().map(|b| &b.name).collect::<Vec<_>>(),
            )
            .finish()
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str().map(str::to_string))
        .collect()
}

fn selector(
    v: Option<&Value>,
    at: &dyn Fn(String) -> VapError,
) -> Result<Option<Selector>, VapError> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let mut s = Selector::default();
    if let Some(m) = v.get("matchLabels").and_then(Value::as_object) {
        for (k, x) in m {
            let x = x
                .as_str()
                .ok_or_else(|| at(format!("matchLabels.{k} is not a string")))?;
            s.labels.insert(k.clone(), x.to_string());
        }
    }
    for e in v
        .get("matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let key = e
            .get("key")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let op = e
            .get("operator")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if !matches!(op.as_str(), "In" | "NotIn" | "Exists" | "DoesNotExist") {
            return Err(at(format!(
                "matchExpressions operator {op:?} (valid: In, NotIn, Exists, DoesNotExist)"
            )));
        }
        s.exprs.push((key, op, strings(e.get("values"))));
    }
    Ok(Some(s))
}

fn rules(v: Option<&Value>) -> Vec<ResourceRule> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|r| ResourceRule {
            groups: strings(r.get("apiGroups")),
            versions: strings(r.get("apiVersions")),
            operations: strings(r.get("operations")),
            resources: strings(r.get("resources")),
            names: strings(r.get("resourceNames")),
        })
        .collect()
}

fn matching(
    v: Option<&Value>,
    at: &dyn Fn(String) -> VapError,
) -> Result<Option<Matching>, VapError> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    Ok(Some(Matching {
        rules: rules(v.get("resourceRules")),
        exclude: rules(v.get("excludeResourceRules")),
        namespace_selector: selector(v.get("namespaceSelector"), at)?,
        object_selector: selector(v.get("objectSelector"), at)?,
    }))
}

fn compile(expr: &str, what: &str, at: &dyn Fn(String) -> VapError) -> Result<Program, VapError> {
    Program::compile(expr).map_err(|e| {
        at(format!(
            "{what}: the CEL expression {expr:?} does not parse: {e}"
        ))
    })
}

impl PolicySet {
    /// Add the objects of one file: policies and bindings are compiled (a syntax error is an
    /// error naming the policy and the expression); every other object is a candidate parameter.
    pub fn add_objects(&mut self, objects: &[Value]) -> Result<(), VapError> {
        for o in objects {
            let kind = o.get("kind").and_then(Value::as_str).unwrap_or("");
            let name = o
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let object = format!("{kind}/{name}");
            let at = |m: String| VapError {
                object: object.clone(),
                message: m,
            };
            let api = o.get("apiVersion").and_then(Value::as_str).unwrap_or("");
            let is_vap_api = api.starts_with("admissionregistration.k8s.io/");
            match kind {
                "ValidatingAdmissionPolicy" if is_vap_api => {
                    if name.is_empty() {
                        return Err(at("no metadata.name".into()));
                    }
                    let spec = o.get("spec").cloned().unwrap_or(Value::Null);
                    let fail_closed = match spec.get("failurePolicy").and_then(Value::as_str) {
                        None | Some("Fail") => true,
                        Some("Ignore") => false,
                        Some(other) => {
                            return Err(at(format!(
                                "failurePolicy {other:?} (valid: Fail, Ignore)"
                            )));
                        }
                    };
                    let mut conditions = Vec::new();
                    for c in spec
                        .get("matchConditions")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        let n = c
                            .get("name")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string();
                        let e = c.get("expression").and_then(Value::as_str).unwrap_or("");
                        conditions.push((
                            n.clone(),
                            compile(e, &format!("matchConditions[{n}]"), &at)?,
                        ));
                    }
                    let mut variables = Vec::new();
                    for v in spec
                        .get("variables")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        let n = v
                            .get("name")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string();
                        if n.is_empty() {
                            return Err(at("a variable without a name".into()));
                        }
                        let e = v.get("expression").and_then(Value::as_str).unwrap_or("");
                        variables.push((n.clone(), compile(e, &format!("variables[{n}]"), &at)?));
                    }
                    let mut validations = Vec::new();
                    for (i, v) in spec
                        .get("validations")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .enumerate()
                    {
                        let e = v
                            .get("expression")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string();
                        if e.is_empty() {
                            return Err(at(format!("validations[{i}] has no expression")));
                        }
                        let program = compile(&e, &format!("validations[{i}]"), &at)?;
                        let message_expression =
                            match v.get("messageExpression").and_then(Value::as_str) {
                                Some(m) => Some(compile(
                                    m,
                                    &format!("validations[{i}].messageExpression"),
                                    &at,
                                )?),
                                None => None,
                            };
                        let reason = v
                            .get("reason")
                            .and_then(Value::as_str)
                            .unwrap_or("Invalid")
                            .to_string();
                        if !matches!(
                            reason.as_str(),
                            "Unauthorized" | "Forbidden" | "Invalid" | "RequestEntityTooLarge"
                        ) {
                            return Err(at(format!(
                                "validations[{i}].reason {reason:?} (valid: Unauthorized, Forbidden, Invalid, RequestEntityTooLarge)"
                            )));
                        }
                        validations.push(Validation {
                            expression: e,
                            program,
                            message: v.get("message").and_then(Value::as_str).map(str::to_string),
                            message_expression,
                            reason,
                        });
                    }
                    if validations.is_empty() {
                        return Err(at(
                            "no validations (this tool evaluates validations only)".into()
                        ));
                    }
                    let param_kind = spec.get("paramKind").map(|p| {
                        (
                            p.get("apiVersion")
                                .and_then(Value::as_str)
                                .unwrap_or("")
                                .to_string(),
                            p.get("kind")
                                .and_then(Value::as_str)
                                .unwrap_or("")
                                .to_string(),
                        )
                    });
                    self.policies.push(Policy {
                        name,
                        fail_closed,
                        matching: matching(spec.get("matchConstraints"), &at)?,
                        conditions,
                        variables,
                        validations,
                        param_kind,
                    });
                }
                "ValidatingAdmissionPolicyBinding" if is_vap_api => {
                    let spec = o.get("spec").cloned().unwrap_or(Value::Null);
                    let policy = spec
                        .get("policyName")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string();
                    if policy.is_empty() {
                        return Err(at("no spec.policyName".into()));
                    }
                    let mut actions = Vec::new();
                    for a in strings(spec.get("validationActions")) {
                        actions.push(match a.as_str() {
                            "Deny" => Action::Deny,
                            "Warn" => Action::Warn,
                            "Audit" => Action::Audit,
                            other => {
                                return Err(at(format!(
                                    "validationActions {other:?} (valid: Deny, Warn, Audit)"
                                )));
                            }
                        });
                    }
                    if actions.is_empty() {
                        return Err(at(
                            "no validationActions (Kubernetes requires at least one)".into(),
                        ));
                    }
                    let param_ref = spec.get("paramRef").filter(|p| !p.is_null()).map(|p| {
                        (
                            p.get("name").and_then(Value::as_str).map(str::to_string),
                            p.get("namespace")
                                .and_then(Value::as_str)
                                .map(str::to_string),
                            p.get("parameterNotFoundAction").and_then(Value::as_str)
                                == Some("Allow"),
                        )
                    });
                    self.bindings.push(Binding {
                        name,
                        policy,
                        actions,
                        param_ref,
                        matching: matching(spec.get("matchResources"), &at)?,
                    });
                }
                _ => self.params.push(o.clone()),
            }
        }
        Ok(())
    }

    /// Read policy files' text (YAML or JSON, multi-document).
    pub fn add_text(&mut self, file: &str, text: &str) -> Result<(), VapError> {
        let docs = crate::yaml::parse_documents(text).map_err(|e| VapError {
            object: file.to_string(),
            message: e.to_string(),
        })?;
        let objects: Vec<Value> = docs.into_iter().map(|d| d.value).collect();
        self.add_objects(&objects)
    }

    /// Number of policies.
    pub fn len(&self) -> usize {
        self.policies.len()
    }

    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
    }
}

/// The request a policy judges.
#[derive(Debug, Clone, Default)]
pub struct Request<'a> {
    pub object: Option<&'a Value>,
    pub old_object: Option<&'a Value>,
    /// `CREATE`, `UPDATE`, `DELETE`, `CONNECT`.
    pub operation: String,
    pub group: String,
    pub version: String,
    pub resource: String,
    pub subresource: String,
    pub kind: String,
    pub name: String,
    pub namespace: String,
    pub username: String,
    pub groups: Vec<String>,
    pub dry_run: bool,
    /// The namespace object (its labels select policies; `namespaceObject` in CEL).
    pub namespace_object: Option<&'a Value>,
}

/// A failed validation (or a policy that could not be evaluated and fails closed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub policy: String,
    /// The binding's name (empty for a policy applied without a binding).
    pub binding: String,
    pub actions: Vec<Action>,
    pub message: String,
    /// `Invalid` (422), `Forbidden` (403), `Unauthorized` (401), `RequestEntityTooLarge` (413).
    pub reason: String,
    /// Which validation (None: an evaluation error).
    pub index: Option<usize>,
}

impl Violation {
    /// The HTTP code of the reason.
    pub fn code(&self) -> u16 {
        match self.reason.as_str() {
            "Unauthorized" => 401,
            "Forbidden" => 403,
            "RequestEntityTooLarge" => 413,
            _ => 422,
        }
    }

    /// The API server's text for a denial.
    pub fn deny_message(&self) -> String {
        format!(
            "ValidatingAdmissionPolicy '{}' with binding '{}' denied request: {}",
            self.policy, self.binding, self.message
        )
    }

    /// The API server's text for a warning.
    pub fn warning(&self) -> String {
        format!(
            "Validation failed for ValidatingAdmissionPolicy '{}' with binding '{}': {}",
            self.policy, self.binding, self.message
        )
    }
}

fn labels_of(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(|o| o.pointer("/metadata/labels"))
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

fn rule_matches(r: &ResourceRule, req: &Request) -> bool {
    let any = |list: &[String], v: &str| list.iter().any(|x| x == "*" || x == v);
    let resource = if req.subresource.is_empty() {
        req.resource.clone()
    } else {
        format!("{}/{}", req.resource, req.subresource)
    };
    any(&r.groups, &req.group)
        && any(&r.versions, &req.version)
        && (r.operations.iter().any(|o| o == "*" || o == &req.operation))
        && r.resources.iter().any(|x| {
            x == "*" && req.subresource.is_empty()
                || x == &resource
                || x == "*/*"
                || (x.starts_with("*/") && x[2..] == req.subresource)
                || (x.ends_with("/*")
                    && x[..x.len() - 2] == req.resource
                    && !req.subresource.is_empty())
        })
        && (r.names.is_empty() || r.names.contains(&req.name))
}

fn matches(m: &Option<Matching>, req: &Request) -> bool {
    let Some(m) = m else { return true };
    if !m.rules.is_empty() && !m.rules.iter().any(|r| rule_matches(r, req)) {
        return false;
    }
    if m.exclude.iter().any(|r| rule_matches(r, req)) {
        return false;
    }
    if let Some(s) = &m.namespace_selector
        && !req.namespace.is_empty()
        && !s.matches(&labels_of(req.namespace_object))
    {
        return false;
    }
    if let Some(s) = &m.object_selector {
        let labels = labels_of(req.object.or(req.old_object));
        if !s.matches(&labels) {
            return false;
        }
    }
    true
}

fn to_cel(v: &Value) -> cel::Value {
    cel::to_value(v).unwrap_or(cel::Value::Null)
}

/// Kubernetes' string extensions most used in policies (k8s.io/apiserver/pkg/cel/library).
fn add_extensions(ctx: &mut Context) {
    let s = |x: String| cel::Value::String(Arc::new(x));
    let _ = ctx.add_function("lowerAscii", |This(v): This<Arc<String>>| {
        v.to_ascii_lowercase()
    });
    let _ = ctx.add_function("upperAscii", |This(v): This<Arc<String>>| {
        v.to_ascii_uppercase()
    });
    let _ = ctx.add_function("trim", |This(v): This<Arc<String>>| v.trim().to_string());
    let _ = ctx.add_function(
        "split",
        move |This(v): This<Arc<String>>, sep: Arc<String>| {
            cel::Value::List(Arc::new(
                v.split(sep.as_str()).map(|x| s(x.to_string())).collect(),
            ))
        },
    );
    let _ = ctx.add_function(
        "join",
        |This(l): This<Arc<Vec<cel::Value>>>, sep: Arc<String>| {
            l.iter()
                .map(|v| match v {
                    cel::Value::String(s) => s.to_string(),
                    other => format!("{other:?}"),
                })
                .collect::<Vec<_>>()
                .join(sep.as_str())
        },
    );
    let _ = ctx.add_function(
        "replace",
        |This(v): This<Arc<String>>, from: Arc<String>, to: Arc<String>| {
            v.replace(from.as_str(), to.as_str())
        },
    );
    let _ = ctx.add_function(
        "indexOf",
        |This(v): This<Arc<String>>, needle: Arc<String>| {
            v.find(needle.as_str())
                .map(|i| v[..i].chars().count() as i64)
                .unwrap_or(-1)
        },
    );
}

/// Evaluate every policy that applies to a request: the violations of each binding.
pub fn evaluate(set: &PolicySet, req: &Request) -> Vec<Violation> {
    let mut out = Vec::new();
    let request = serde_json::json!({
        "operation": req.operation,
        "name": req.name,
        "namespace": req.namespace,
        "kind": {"group": req.group, "version": req.version, "kind": req.kind},
        "resource": {"group": req.group, "version": req.version, "resource": req.resource},
        "subResource": req.subresource,
        "userInfo": {"username": req.username, "groups": req.groups},
        "dryRun": req.dry_run,
    });
    for p in &set.policies {
        if !matches(&p.matching, req) {
            continue;
        }
        let bound: Vec<&Binding> = set.bindings.iter().filter(|b| b.policy == p.name).collect();
        let implicit = Binding {
            name: String::new(),
            policy: p.name.clone(),
            actions: vec![Action::Deny],
            param_ref: None,
            matching: None,
        };
        let bindings: Vec<&Binding> = if bound.is_empty() {
            vec![&implicit]
        } else {
            bound
        };
        for b in bindings {
            if !matches(&b.matching, req) {
                continue;
            }
            let violation = |message: String, reason: &str, index: Option<usize>| Violation {
                policy: p.name.clone(),
                binding: b.name.clone(),
                actions: b.actions.clone(),
                message,
                reason: reason.to_string(),
                index,
            };
            // Parameters: the objects of the paramKind named by the binding.
            let params = match (&p.param_kind, &b.param_ref) {
                (Some((api, kind)), Some((name, ns, allow_missing))) => {
                    let found = set.params.iter().find(|o| {
                        o.get("kind").and_then(Value::as_str) == Some(kind.as_str())
                            && o.get("apiVersion").and_then(Value::as_str) == Some(api.as_str())
                            && name.as_ref().is_none_or(|n| {
                                o.pointer("/metadata/name").and_then(Value::as_str)
                                    == Some(n.as_str())
                            })
                            && ns.as_ref().is_none_or(|n| {
                                o.pointer("/metadata/namespace")
                                    .and_then(Value::as_str)
                                    .unwrap_or("")
                                    == n.as_str()
                            })
                    });
                    match (found, allow_missing) {
                        (Some(o), _) => Some(o.clone()),
                        (None, true) => continue,
                        (None, false) => {
                            out.push(violation(
                                format!("failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction ({kind} {})", name.clone().unwrap_or_default()),
                                "Invalid",
                                None,
                            ));
                            continue;
                        }
                    }
                }
                (Some(_), None) => {
                    out.push(violation("failed to configure binding: the policy has a paramKind and the binding no paramRef".into(), "Invalid", None));
                    continue;
                }
                _ => None,
            };
            let mut ctx = Context::default();
            add_extensions(&mut ctx);
            let null = Value::Null;
            let _ = ctx.add_variable("object", to_cel(req.object.unwrap_or(&null)));
            let _ = ctx.add_variable("oldObject", to_cel(req.old_object.unwrap_or(&null)));
            let _ = ctx.add_variable("request", to_cel(&request));
            let _ = ctx.add_variable("params", to_cel(params.as_ref().unwrap_or(&null)));
            let _ = ctx.add_variable(
                "namespaceObject",
                to_cel(req.namespace_object.unwrap_or(&null)),
            );
            let error = |what: &str, e: String| -> Option<Violation> {
                p.fail_closed
                    .then(|| violation(format!("{what} resulted in error: {e}"), "Invalid", None))
            };
            // Variables, in order: each may use the ones before it.
            let mut vars =
                cel::objects::Map::from(std::collections::HashMap::<String, cel::Value>::new());
            let mut failed = None;
            for (name, prog) in &p.variables {
                let _ = ctx.add_variable("variables", cel::Value::Map(vars.clone()));
                match prog.execute(&ctx) {
                    Ok(v) => {
                        let mut m: std::collections::HashMap<cel::objects::Key, cel::Value> =
                            (*vars.map).clone();
                        m.insert(cel::objects::Key::String(Arc::new(name.clone())), v);
                        vars = cel::objects::Map { map: Arc::new(m) };
                    }
                    Err(e) => {
                        failed = Some(error(&format!("variable {name:?}"), e.to_string()));
                        break;
                    }
                }
            }
            if let Some(f) = failed {
                out.extend(f);
                continue;
            }
            let _ = ctx.add_variable("variables", cel::Value::Map(vars));
            // Match conditions: all must hold.
            let mut applies = true;
            for (name, prog) in &p.conditions {
                match prog.execute(&ctx) {
                    Ok(cel::Value::Bool(true)) => {}
                    Ok(cel::Value::Bool(false)) => {
                        applies = false;
                        break;
                    }
                    Ok(other) => {
                        out.extend(error(
                            &format!("matchCondition {name:?}"),
                            format!("not a bool: {other:?}"),
                        ));
                        applies = false;
                        break;
                    }
                    Err(e) => {
                        out.extend(error(&format!("matchCondition {name:?}"), e.to_string()));
                        applies = false;
                        break;
                    }
                }
            }
            if !applies {
                continue;
            }
            for (i, v) in p.validations.iter().enumerate() {
                match v.program.execute(&ctx) {
                    Ok(cel::Value::Bool(true)) => {}
                    Ok(cel::Value::Bool(false)) => {
                        let from_expr =
                            v.message_expression
                                .as_ref()
                                .and_then(|m| match m.execute(&ctx) {
                                    Ok(cel::Value::String(s))
                                        if !s.trim().is_empty() && !s.contains('\n') =>
                                    {
                                        Some(s.to_string())
                                    }
                                    _ => None,
                                });
                        let message = v
                            .message
                            .clone()
                            .filter(|_| from_expr.is_none())
                            .or(from_expr)
                            .unwrap_or_else(|| format!("failed expression: {}", v.expression));
                        out.push(violation(message, &v.reason, Some(i)));
                    }
                    Ok(other) => out.extend(error(
                        &format!("expression '{}'", v.expression),
                        format!("not a bool: {other:?}"),
                    )),
                    Err(e) => out.extend(error(
                        &format!("expression '{}'", v.expression),
                        e.to_string(),
                    )),
                }
            }
        }
    }
    out
}

/// The resource name of a kind (for matching manifests, which carry kinds; the built-in kinds by
/// their REST names, others by the usual plural).
pub fn resource_of(kind: &str) -> String {
    match kind {
        "Pod" => "pods",
        "Deployment" => "deployments",
        "ReplicaSet" => "replicasets",
        "StatefulSet" => "statefulsets",
        "DaemonSet" => "daemonsets",
        "Job" => "jobs",
        "CronJob" => "cronjobs",
        "ReplicationController" => "replicationcontrollers",
        "PodTemplate" => "podtemplates",
        "Service" => "services",
        "ConfigMap" => "configmaps",
        "Secret" => "secrets",
        "Namespace" => "namespaces",
        "Ingress" => "ingresses",
        "NetworkPolicy" => "networkpolicies",
        "ServiceAccount" => "serviceaccounts",
        "Role" => "roles",
        "ClusterRole" => "clusterroles",
        "RoleBinding" => "rolebindings",
        "ClusterRoleBinding" => "clusterrolebindings",
        "PersistentVolumeClaim" => "persistentvolumeclaims",
        "PersistentVolume" => "persistentvolumes",
        "HorizontalPodAutoscaler" => "horizontalpodautoscalers",
        "PodDisruptionBudget" => "poddisruptionbudgets",
        "StorageClass" => "storageclasses",
        "Endpoints" => "endpoints",
        other => {
            let l = other.to_ascii_lowercase();
            return if l.ends_with('s') || l.ends_with('x') || l.ends_with("ch") || l.ends_with("sh")
            {
                format!("{l}es")
            } else if let Some(stem) = l
                .strip_suffix('y')
                .filter(|s| !s.ends_with(['a', 'e', 'i', 'o', 'u']))
            {
                format!("{stem}ies")
            } else {
                format!("{l}s")
            };
        }
    }
    .to_string()
}

/// A manifest object as the request creating it (`bulkhead config`).
pub fn request_for_object(obj: &Value) -> Request<'_> {
    let api = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let (group, version) = api.rsplit_once('/').unwrap_or(("", api));
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    Request {
        object: Some(obj),
        operation: "CREATE".into(),
        group: group.to_string(),
        version: version.to_string(),
        resource: resource_of(kind),
        kind: kind.to_string(),
        name: obj
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        namespace: obj
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const POLICY: &str = r#"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: replica-limit}
spec:
  failurePolicy: Fail
  paramKind: {apiVersion: v1, kind: ConfigMap}
  matchConstraints:
    resourceRules:
    - apiGroups: [apps]
      apiVersions: [v1]
      operations: [CREATE, UPDATE]
      resources: [deployments]
  variables:
  - name: replicas
    expression: "object.spec.replicas"
  validations:
  - expression: "variables.replicas <= int(params.data.maxReplicas)"
    messageExpression: "'replicas ' + string(variables.replicas) + ' over ' + params.data.maxReplicas"
    reason: Forbidden
  - expression: "object.metadata.name.lowerAscii() == object.metadata.name"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: replica-limit-prod}
spec:
  policyName: replica-limit
  validationActions: [Deny, Audit]
  paramRef: {name: limits, namespace: default}
  matchResources:
    namespaceSelector:
      matchLabels: {env: prod}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: limits, namespace: default}
data: {maxReplicas: "3"}
"#;

    fn deployment(name: &str, replicas: i64) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "shop"}, "spec": {"replicas": replicas}})
    }

    #[test]
    fn a_parameterised_policy_with_a_binding() {
        let mut set = PolicySet::default();
        set.add_text("p.yaml", POLICY).unwrap();
        let prod = json!({"metadata": {"name": "shop", "labels": {"env": "prod"}}});
        let dev = json!({"metadata": {"name": "shop", "labels": {"env": "dev"}}});
        let d = deployment("Web", 5);
        let mut req = request_for_object(&d);
        req.namespace_object = Some(&prod);
        let v = evaluate(&set, &req);
        assert_eq!(v.len(), 2, "{v:?}");
        assert_eq!(v[0].message, "replicas 5 over 3");
        assert_eq!(
            (v[0].code(), v[0].actions.as_slice()),
            (403, &[Action::Deny, Action::Audit][..])
        );
        assert_eq!(
            v[0].deny_message(),
            "ValidatingAdmissionPolicy 'replica-limit' with binding 'replica-limit-prod' denied request: replicas 5 over 3"
        );
        assert_eq!(
            v[1].message,
            "failed expression: object.metadata.name.lowerAscii() == object.metadata.name"
        );
        assert_eq!(v[1].code(), 422);
        // Another namespace: the binding does not select it.
        req.namespace_object = Some(&dev);
        assert!(evaluate(&set, &req).is_empty());
        // Within the limit and lower case: nothing.
        let ok = deployment("web", 2);
        let mut req = request_for_object(&ok);
        req.namespace_object = Some(&prod);
        assert!(evaluate(&set, &req).is_empty());
        // Not a deployment: the policy does not match.
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "X"}});
        assert!(evaluate(&set, &request_for_object(&pod)).is_empty());
    }

    #[test]
    fn errors_fail_closed_or_open_as_the_policy_says() {
        let text = |fp: &str| {
            format!(
                "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\nmetadata: {{name: p}}\nspec:\n  failurePolicy: {fp}\n  validations:\n  - expression: \"object.spec.missing == 1\"\n"
            )
        };
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"}, "spec": {}});
        let mut set = PolicySet::default();
        set.add_text("p.yaml", &text("Fail")).unwrap();
        let v = evaluate(&set, &request_for_object(&pod));
        assert_eq!(v.len(), 1);
        assert!(
            v[0].message
                .starts_with("expression 'object.spec.missing == 1' resulted in error: "),
            "{}",
            v[0].message
        );
        assert_eq!(v[0].actions, [Action::Deny], "no binding: applied as Deny");
        let mut set = PolicySet::default();
        set.add_text("p.yaml", &text("Ignore")).unwrap();
        assert!(evaluate(&set, &request_for_object(&pod)).is_empty());
    }

    #[test]
    fn bad_policies_are_refused_with_their_name() {
        let mut set = PolicySet::default();
        let e = set
            .add_text("p.yaml", "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\nmetadata: {name: p}\nspec:\n  validations:\n  - expression: \"object.spec.(\"\n")
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("ValidatingAdmissionPolicy/p: validations[0]: the CEL expression"),
            "{e}"
        );
        let e = set
            .add_text("b.yaml", "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\nmetadata: {name: b}\nspec: {policyName: p, validationActions: [Block]}\n")
            .unwrap_err();
        assert!(e.to_string().contains("Block"));
        assert_eq!(resource_of("NetworkPolicy"), "networkpolicies");
        assert_eq!(resource_of("Gateway"), "gateways");
        assert_eq!(resource_of("Policy"), "policies");
    }

    #[test]
    fn string_extensions() {
        let mut set = PolicySet::default();
        set.add_text("p.yaml", "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\nmetadata: {name: p}\nspec:\n  validations:\n  - expression: \"object.metadata.name.split('-').join('.') == 'a.b' && ' X '.trim().lowerAscii() == 'x' && 'abc'.indexOf('c') == 2 && 'a-b'.replace('-', '+') == 'a+b' && 'q'.upperAscii() == 'Q'\"\n").unwrap();
        let ok = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a-b"}});
        assert_eq!(evaluate(&set, &request_for_object(&ok)), []);
        let no = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a-c"}});
        assert_eq!(evaluate(&set, &request_for_object(&no)).len(), 1);
    }
}
