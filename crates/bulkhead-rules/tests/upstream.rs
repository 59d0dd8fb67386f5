//! The upstream rules files load with zero errors; warnings are printed. Event types of
//! falco_rules.yaml are compared with the reference's appendix table E.

mod common;

use bulkhead_rules::{LoadResult, RulesEngine, WarningCode};
use std::collections::BTreeMap;
use std::path::Path;

const STABLE: &str = "rules/falcosecurity-rules/falco_rules.yaml";
const INCUBATING: &str = "rules/falcosecurity-rules/falco-incubating_rules.yaml";
const SANDBOX: &str = "rules/falcosecurity-rules/falco-sandbox_rules.yaml";
const K8S: &str = "rules/plugins-k8saudit/k8s_audit_rules.yaml";

fn load(root: &Path, files: &[&str]) -> (RulesEngine, Vec<LoadResult>) {
    let mut engine = RulesEngine::default();
    let mut results = Vec::new();
    for f in files {
        let content = std::fs::read_to_string(root.join(f)).unwrap();
        let res = engine.load_rules(&content, f);
        results.push(res);
    }
    (engine, results)
}

fn warning_summary(res: &LoadResult) -> BTreeMap<&'static str, usize> {
    let mut m = BTreeMap::new();
    for w in &res.warnings {
        *m.entry(w.code.code()).or_insert(0) += 1;
    }
    m
}

#[test]
fn upstream_files_load_without_errors() {
    let Some(root) = common::falco_data() else {
        return;
    };
    for files in [
        vec![STABLE],
        vec![STABLE, INCUBATING],
        vec![STABLE, SANDBOX],
        vec![K8S],
    ] {
        let (engine, results) = load(&root, &files);
        for res in &results {
            if !res.successful() {
                println!("{}", res.as_verbose_string(engine.contents()));
            }
            assert!(res.successful(), "{}", res.as_summary_string());
        }
        let last = results.last().unwrap();
        let (r, m, l) = engine.collected_counts();
        let enabled = engine.rules().iter().filter(|r| r.enabled).count();
        println!(
            "{:?}: collected rules={r} macros={m} lists={l}; compiled rules={} (enabled {enabled}) macros={} lists={}; warnings {:?}",
            files,
            engine.rules().len(),
            engine.macros().len(),
            engine.lists().len(),
            warning_summary(last)
        );
        for w in &last.warnings {
            let loc = w.ctx.locations.last().unwrap();
            println!(
                "  {} {} '{}' ({}:{}): {}",
                w.code.code(),
                loc.item_type.as_str(),
                loc.item_name,
                loc.name,
                loc.pos.line,
                w.message
            );
        }
        // no rule of the upstream files needs the "too many event types" warning
        assert!(
            !last
                .warnings
                .iter()
                .any(|w| w.code == WarningCode::NoEvttype)
        );
    }
}

/// Table E of the reference (runtime-detection.md appendix 1): falco_rules.yaml event types.
const TABLE_E: &[(&str, &str)] = &[
    (
        "Directory traversal monitored file read",
        "open, openat, openat2",
    ),
    (
        "Read sensitive file trusted after startup",
        "open, openat, openat2",
    ),
    ("Read sensitive file untrusted", "open, openat, openat2"),
    ("Run shell untrusted", "execve, execveat"),
    ("System user interactive", "execve, execveat"),
    ("Terminal shell in container", "execve, execveat"),
    ("Contact K8S API Server From Container", "connect"),
    (
        "Netcat Remote Code Execution in Container",
        "execve, execveat",
    ),
    ("Search Private Keys or Passwords", "execve, execveat"),
    ("Clear Log Activities", "open, openat, openat2"),
    ("Remove Bulk Data from Disk", "execve, execveat"),
    ("Create Symlink Over Sensitive Files", "symlink, symlinkat"),
    ("Create Hardlink Over Sensitive Files", "link, linkat"),
    ("Packet socket created in container", "socket"),
    (
        "Redirect STDOUT/STDIN to Network Connection in Container",
        "dup, dup2, dup3",
    ),
    (
        "Linux Kernel Module Injection Detected",
        "finit_module, init_module",
    ),
    (
        "Debugfs Launched in Privileged Container",
        "execve, execveat",
    ),
    (
        "Detect release_agent File Container Escapes",
        "open, openat, openat2",
    ),
    ("PTRACE attached to process", "ptrace"),
    ("PTRACE anti-debug attempt", "ptrace"),
    ("Find AWS Credentials", "execve, execveat"),
    ("Execution from /dev/shm", "execve, execveat"),
    (
        "Drop and execute new binary in container",
        "execve, execveat",
    ),
    (
        "Disallowed SSH Connection Non Standard Port",
        "connect, sendmsg, sendto",
    ),
    ("Fileless execution via memfd_create", "execve, execveat"),
];

#[test]
fn stable_evttypes_match_table_e() {
    let Some(root) = common::falco_data() else {
        return;
    };
    let (engine, results) = load(&root, &[STABLE]);
    assert!(results[0].successful());
    let mut agree = 0;
    for (rule, expected) in TABLE_E {
        let r = engine
            .rule(rule)
            .unwrap_or_else(|| panic!("missing rule {rule}"));
        let got = r
            .evttypes
            .as_ref()
            .and_then(|t| t.names())
            .map(|v| v.join(", "))
            .unwrap_or_else(|| "<all>".into());
        if got == *expected {
            agree += 1;
        } else {
            println!("DIFF {rule}: table E {expected:?}, computed {got:?}");
        }
    }
    println!("table E agreement: {agree}/{}", TABLE_E.len());
    assert_eq!(engine.rules().len(), TABLE_E.len());
    assert_eq!(agree, TABLE_E.len());
}

/// Every field the upstream rules use — in their conditions (macros and exceptions resolved) and
/// in their outputs — is one the sources extract.
#[test]
fn every_field_the_upstream_rules_use_is_extracted() {
    use bulkhead_rules::Expr;
    let Some(root) = common::falco_data() else {
        return;
    };
    fn walk(e: &Expr, out: &mut std::collections::BTreeSet<String>) {
        match e {
            Expr::And { children, .. } | Expr::Or { children, .. } => {
                children.iter().for_each(|c| walk(c, out))
            }
            Expr::Not { child, .. } => walk(child, out),
            Expr::UnaryCheck { left, .. } => walk(left, out),
            Expr::BinaryCheck { left, right, .. } => {
                walk(left, out);
                walk(right, out);
            }
            Expr::Transformer { args, .. } => args.iter().for_each(|a| walk(a, out)),
            Expr::Field { name, .. } => {
                out.insert(name.clone());
            }
            _ => {}
        }
    }
    let (engine, _) = load(&root, &[STABLE, INCUBATING, SANDBOX, K8S]);
    let mut used: BTreeMap<&str, std::collections::BTreeSet<String>> = BTreeMap::new();
    let token = regex::Regex::new(r"%\(?([a-z][a-z0-9_]*(?:\.[a-zA-Z0-9_]+)+)").unwrap();
    for r in engine.rules() {
        let set = used.entry(if r.source == "syscall" {
            "syscall"
        } else {
            "k8s_audit"
        });
        let set = set.or_default();
        walk(&r.condition, set);
        for c in token.captures_iter(&r.output) {
            set.insert(c[1].to_string());
        }
    }
    let mut missing = Vec::new();
    let mut n = 0;
    for (source, names) in &used {
        for name in names {
            n += 1;
            // `evt.arg.NAME` and friends resolve to their table entry.
            let info = bulkhead_rules::fields::resolve(source, name, None)
                .ok()
                .map(|r| r.info)
                .or_else(|| bulkhead_rules::fields::field(source, name));
            match info {
                Some(i) if bulkhead_rules::fields::extracted(i) => {}
                _ => missing.push(format!("{source}:{name}")),
            }
        }
    }
    println!(
        "fields used by the upstream rules: {n} ({} syscall, {} k8s_audit); not extracted: {}",
        used.get("syscall").map_or(0, |s| s.len()),
        used.get("k8s_audit").map_or(0, |s| s.len()),
        missing.len()
    );
    assert!(n > 100);
    // The DNS names of socket ends need libsinsp's DNS manager (live lookups of the names rules
    // compare with): the field table declares them not extracted, with that reason. Every other
    // field the upstream rules use has a value.
    assert_eq!(
        missing,
        [
            "syscall:fd.cip.name",
            "syscall:fd.lip.name",
            "syscall:fd.rip.name",
            "syscall:fd.sip.name"
        ],
        "not extracted"
    );
    for m in &missing {
        let f = bulkhead_rules::fields::field("syscall", m.trim_start_matches("syscall:")).unwrap();
        assert!(f.not_extracted().unwrap().contains("DNS"), "{m}");
    }
}
