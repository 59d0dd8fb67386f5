//! Helpers for `tests/lang_versions.rs`: fixture lists, OSV version harvesting, deterministic pair
//! generation, and running an external oracle over a file of pairs.

#![allow(dead_code)]

use bulkhead_versions::Error;
use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub type CmpFn = fn(&str, &str) -> Result<Ordering, Error>;

/// `BULKHEAD_STRICT=1` (CI): a missing oracle fails the test instead of printing SKIP.
pub fn strict() -> bool {
    std::env::var("BULKHEAD_STRICT").is_ok_and(|v| v == "1")
}

/// Report a missing tool: `SKIP: ...`, or a panic in strict mode.
pub fn missing(what: &str) {
    if strict() {
        panic!("BULKHEAD_STRICT=1 and {what}");
    }
    println!("SKIP: {what}");
}

pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(name: &str) -> PathBuf {
    manifest_dir().join("tests/fixtures/lang").join(name)
}

pub fn script(name: &str) -> PathBuf {
    manifest_dir().join("tests/common_lang").join(name)
}

/// Scratch space for pair files and installed oracles (`target/tmp`).
pub fn tmp_dir() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("lang-versions");
    std::fs::create_dir_all(&d).expect("create tmp dir");
    d
}

/// `../shared/data/<rel>` seen from the workspace; `None` (with a SKIP line) when absent.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let p = manifest_dir().join("../../../shared/data").join(rel);
    if p.exists() {
        Some(p)
    } else {
        println!("SKIP: ../shared absent ({})", p.display());
        None
    }
}

// ---------------------------------------------------------------------------------------------
// Comparison lists
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct Case {
    pub a: String,
    pub op: Ordering,
    pub b: String,
    pub line: String,
}

/// Lines `a < b`, `a = b`, `a > b`; blank lines and `# ` / `// ` comments skipped (as osv-scalibr).
pub fn read_cases(path: &Path) -> Vec<Case> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    for line in text.lines() {
        if line.is_empty() || line.starts_with("# ") || line.starts_with("// ") {
            continue;
        }
        let parts: Vec<&str> = line.split(' ').collect();
        assert_eq!(parts.len(), 3, "{}: bad line {line:?}", path.display());
        let op = match parts[1] {
            "<" => Ordering::Less,
            "=" => Ordering::Equal,
            ">" => Ordering::Greater,
            o => panic!("{}: bad operator {o:?}", path.display()),
        };
        out.push(Case {
            a: parts[0].into(),
            op,
            b: parts[2].into(),
            line: line.into(),
        });
    }
    out
}

pub fn sym(o: Ordering) -> &'static str {
    match o {
        Ordering::Less => "<",
        Ordering::Equal => "=",
        Ordering::Greater => ">",
    }
}

pub fn rsym(r: &Result<Ordering, Error>) -> &'static str {
    match r {
        Ok(o) => sym(*o),
        Err(_) => "E",
    }
}

/// The symbol for the swapped pair.
pub fn flip(s: &str) -> &str {
    match s {
        "<" => ">",
        ">" => "<",
        other => other,
    }
}

/// Check a list in both directions. `overrides` are `(line, expected, reason)`: lines where the list
/// disagrees with the ecosystem's own tool (`expected` is that tool's answer, `E` = rejected).
/// Every override must match a line. Returns the number of lines checked.
pub fn check_cases(
    label: &str,
    cases: &[Case],
    cmp: CmpFn,
    overrides: &[(&str, &str, &str)],
) -> usize {
    let mut failures = Vec::new();
    let mut used = vec![false; overrides.len()];
    for c in cases {
        let mut expected = sym(c.op);
        if let Some(i) = overrides.iter().position(|(l, _, _)| *l == c.line) {
            expected = overrides[i].1;
            used[i] = true;
        }
        let ab = rsym(&cmp(&c.a, &c.b));
        let ba = rsym(&cmp(&c.b, &c.a));
        if ab != expected || ba != flip(expected) {
            failures.push(format!(
                "{:?}: expected {expected}, got {ab} (reverse {ba})",
                c.line
            ));
        }
    }
    for (i, (l, _, _)) in overrides.iter().enumerate() {
        assert!(used[i], "{label}: override for {l:?} matches no line");
    }
    println!(
        "{label}: {} pairs x 2 directions, {} agree, {} overridden by the native tool's answer",
        cases.len(),
        cases.len() - failures.len(),
        overrides.len()
    );
    for (l, e, why) in overrides {
        println!("  override {l:?} -> {e}: {why}");
    }
    for f in failures.iter().take(30) {
        println!("  MISMATCH {f}");
    }
    assert!(
        failures.is_empty(),
        "{label}: {} of {} lines disagree",
        failures.len(),
        cases.len()
    );
    cases.len()
}

// ---------------------------------------------------------------------------------------------
// Versions from OSV records
// ---------------------------------------------------------------------------------------------

fn strip_quotes(v: &str) -> String {
    let v = v.trim();
    if v.len() >= 2
        && ((v.starts_with('"') && v.ends_with('"')) || (v.starts_with('\'') && v.ends_with('\'')))
    {
        let inner = &v[1..v.len() - 1];
        if v.starts_with('\'') {
            inner.replace("''", "'")
        } else {
            inner.replace("\\\"", "\"")
        }
    } else {
        v.to_string()
    }
}

fn looks_like_commit(v: &str) -> bool {
    v.len() >= 40 && v.bytes().all(|c| c.is_ascii_hexdigit())
}

fn harvest_json(text: &str, out: &mut HashMap<String, BTreeSet<String>>) {
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(text) else {
        return;
    };
    let Some(affected) = doc.get("affected").and_then(|a| a.as_array()) else {
        return;
    };
    for aff in affected {
        let Some(eco) = aff.pointer("/package/ecosystem").and_then(|e| e.as_str()) else {
            continue;
        };
        let set = out.entry(eco.to_string()).or_default();
        if let Some(ranges) = aff.get("ranges").and_then(|r| r.as_array()) {
            for r in ranges {
                if r.get("type").and_then(|t| t.as_str()) == Some("GIT") {
                    continue;
                }
                for ev in r
                    .get("events")
                    .and_then(|e| e.as_array())
                    .into_iter()
                    .flatten()
                {
                    if let Some(obj) = ev.as_object() {
                        for v in obj.values().filter_map(|v| v.as_str()) {
                            set.insert(v.to_string());
                        }
                    }
                }
            }
        }
        for v in aff
            .get("versions")
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
        {
            if let Some(s) = v.as_str() {
                set.insert(s.to_string());
            }
        }
    }
}

/// pypa/advisory-database YAML: range event values and `versions:` list items.
fn harvest_pypi_yaml(text: &str, set: &mut BTreeSet<String>) {
    let mut list_indent: Option<usize> = None;
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        let t = line.trim_start();
        if let Some(ind) = list_indent {
            if indent == ind && t.starts_with("- ") {
                let v = strip_quotes(&t[2..]);
                if !looks_like_commit(&v) {
                    set.insert(v);
                }
                continue;
            }
            list_indent = None;
        }
        if t == "versions:" {
            list_indent = Some(indent);
            continue;
        }
        let item = t.strip_prefix("- ").unwrap_or(t);
        for key in ["introduced:", "fixed:", "last_affected:", "limit:"] {
            if let Some(v) = item.strip_prefix(key) {
                let v = strip_quotes(v);
                if !v.is_empty() && !looks_like_commit(&v) {
                    set.insert(v);
                }
            }
        }
    }
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, files);
        } else {
            files.push(p);
        }
    }
}

/// Every version named by the OSV records under `../shared/data/osv`, per OSV ecosystem name
/// (`PyPI`, `npm`, `Go`, `Maven`, `Packagist`, ...). Empty when ../shared is absent.
pub fn osv_versions(ecosystem: &str) -> Vec<String> {
    static ALL: OnceLock<HashMap<String, BTreeSet<String>>> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        let mut out: HashMap<String, BTreeSet<String>> = HashMap::new();
        let Some(root) = shared("osv") else {
            return out;
        };
        let mut files = Vec::new();
        walk(&root, &mut files);
        files.sort();
        for f in files {
            let Ok(text) = std::fs::read_to_string(&f) else {
                continue;
            };
            match f.extension().and_then(|e| e.to_str()) {
                Some("json") => harvest_json(&text, &mut out),
                Some("yaml") | Some("yml") => {
                    harvest_pypi_yaml(&text, out.entry("PyPI".into()).or_default())
                }
                _ => {}
            }
        }
        out
    });
    all.get(ecosystem)
        .map(|s| s.iter().cloned().collect())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Deterministic pairs
// ---------------------------------------------------------------------------------------------

/// splitmix64.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// Tokens every mutation may use, on top of each ecosystem's own.
pub const COMMON_TOKENS: &[&str] = &[
    "0", "1", "2", "9", "00", "01", "10", "99", ".", ".", "-", "-", "+", "_", "a", "b", "c", "x",
    "A", "Z", "alpha", "beta", "rc", "RC", "pre", "dev", "post", "final", "SNAPSHOT", "1.0", "-1",
    ".0",
];

/// Append, insert, delete, replace, duplicate or re-case one piece of `s`.
pub fn mutate(rng: &mut Rng, s: &str, tokens: &[&str]) -> String {
    let chars: Vec<char> = s.chars().collect();
    let tok = |rng: &mut Rng| {
        if rng.below(3) == 0 {
            (*rng.pick(COMMON_TOKENS)).to_string()
        } else {
            (*rng.pick(tokens)).to_string()
        }
    };
    let at = |rng: &mut Rng| {
        if chars.is_empty() {
            0
        } else {
            rng.below(chars.len() + 1)
        }
    };
    let join = |a: &[char], mid: &str, b: &[char]| {
        let mut o: String = a.iter().collect();
        o.push_str(mid);
        o.extend(b.iter());
        o
    };
    match rng.below(8) {
        0 | 1 => format!("{s}{}", tok(rng)),
        2 => {
            let i = at(rng);
            let t = tok(rng);
            join(&chars[..i], &t, &chars[i..])
        }
        3 if !chars.is_empty() => {
            let i = rng.below(chars.len());
            join(&chars[..i], "", &chars[i + 1..])
        }
        4 if !chars.is_empty() => {
            let i = rng.below(chars.len());
            let t = tok(rng);
            join(&chars[..i], &t, &chars[i + 1..])
        }
        5 if !chars.is_empty() => {
            let i = rng.below(chars.len());
            let j = (i + 1 + rng.below(4)).min(chars.len());
            let piece: String = chars[i..j].iter().collect();
            join(&chars[..j], &piece, &chars[j..])
        }
        6 => {
            let mut o = String::new();
            for c in &chars {
                if rng.below(3) == 0 {
                    if c.is_uppercase() {
                        o.extend(c.to_lowercase());
                    } else {
                        o.extend(c.to_uppercase());
                    }
                } else {
                    o.push(*c);
                }
            }
            o
        }
        _ => format!("{}{s}", tok(rng)),
    }
}

/// Pairs: `n_random` random pairs from the pool, then `n_mutated` pairs of a pool version with a
/// mutation of it, or of two mutations of the same version.
pub fn gen_pairs(
    pool: &[String],
    tokens: &[&str],
    seed: u64,
    n_random: usize,
    n_mutated: usize,
) -> Vec<(String, String)> {
    let mut rng = Rng(seed);
    let mut out = Vec::with_capacity(n_random + n_mutated);
    for _ in 0..n_random {
        out.push((rng.pick(pool).clone(), rng.pick(pool).clone()));
    }
    for i in 0..n_mutated {
        let base = rng.pick(pool).clone();
        let mut m = mutate(&mut rng, &base, tokens);
        if rng.below(3) == 0 {
            m = mutate(&mut rng, &m, tokens);
        }
        if i % 2 == 0 {
            out.push((base, m));
        } else {
            let m2 = mutate(&mut rng, &base, tokens);
            out.push((m, m2));
        }
    }
    out
}

/// Distinct versions from cases and extra strings, sorted for determinism.
pub fn pool_from(cases: &[Case], extra: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut set: BTreeSet<String> = BTreeSet::new();
    for c in cases {
        set.insert(c.a.clone());
        set.insert(c.b.clone());
    }
    set.extend(extra);
    set.into_iter().collect()
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

/// Write `HEX_A,HEX_B` lines to `target/tmp/lang-versions/<name>`.
pub fn write_pairs(name: &str, pairs: &[(String, String)]) -> PathBuf {
    let p = tmp_dir().join(name);
    let mut text = String::with_capacity(pairs.len() * 32);
    for (a, b) in pairs {
        text.push_str(&hex(a));
        text.push(',');
        text.push_str(&hex(b));
        text.push('\n');
    }
    std::fs::write(&p, text).expect("write pairs");
    p
}

/// Run an oracle: its `# ...` banner line (printed) and its other stdout lines, one per pair.
pub fn run_oracle(label: &str, cmd: &mut Command, n: usize) -> (String, Vec<String>) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{label}: cannot run oracle: {e}"));
    assert!(
        out.status.success(),
        "{label}: oracle failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("oracle output is UTF-8");
    let mut banner = String::new();
    let mut lines: Vec<String> = Vec::with_capacity(n);
    for l in text.lines() {
        if let Some(b) = l.strip_prefix("# ") {
            println!("{label}: oracle {b}");
            banner = b.to_string();
        } else {
            lines.push(l.to_string());
        }
    }
    assert_eq!(
        lines.len(),
        n,
        "{label}: oracle answered {} of {n} pairs",
        lines.len()
    );
    (banner, lines)
}

/// Whether the command runs and exits 0.
pub fn have(cmd: &str, args: &[&str]) -> bool {
    Command::new(cmd)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Tally of one differential run; prints and asserts 100 % agreement.
#[derive(Default)]
pub struct Tally {
    pub pairs: usize,
    pub both_ordered: usize,
    pub both_rejected: usize,
    pub skipped: Vec<(String, usize)>,
    pub mismatches: Vec<String>,
}

impl Tally {
    pub fn skip(&mut self, why: &str) {
        match self.skipped.iter_mut().find(|(w, _)| w == why) {
            Some((_, n)) => *n += 1,
            None => self.skipped.push((why.to_string(), 1)),
        }
    }
    /// Compare our answer with the oracle's (`<`, `=`, `>`, `E`).
    pub fn record(&mut self, a: &str, b: &str, ours: &str, oracle: &str) {
        self.pairs += 1;
        if ours != oracle {
            self.mismatches
                .push(format!("{a:?} vs {b:?}: ours {ours}, oracle {oracle}"));
        } else if ours == "E" {
            self.both_rejected += 1;
        } else {
            self.both_ordered += 1;
        }
    }
    pub fn finish(&self, label: &str) {
        let skipped: usize = self.skipped.iter().map(|(_, n)| n).sum();
        let checked = self.pairs;
        println!(
            "{label}: {checked} pairs checked, {} agree ({} ordered, {} rejected by both), {} disagree; {skipped} not comparable to the oracle",
            checked - self.mismatches.len(),
            self.both_ordered,
            self.both_rejected,
            self.mismatches.len()
        );
        if checked > 0 {
            println!(
                "{label}: agreement {:.3} %",
                100.0 * (checked - self.mismatches.len()) as f64 / checked as f64
            );
        }
        for (why, n) in &self.skipped {
            println!("  not compared ({n}): {why}");
        }
        for m in self.mismatches.iter().take(40) {
            println!("  MISMATCH {m}");
        }
        assert!(
            self.mismatches.is_empty(),
            "{label}: {} of {checked} pairs disagree with the oracle",
            self.mismatches.len()
        );
    }
}

/// Our answer for (a, b), also asserting antisymmetry with (b, a).
pub fn ours(cmp: CmpFn, a: &str, b: &str) -> &'static str {
    let ab = rsym(&cmp(a, b));
    let ba = rsym(&cmp(b, a));
    assert_eq!(
        ab,
        flip(ba),
        "not antisymmetric: {a:?} vs {b:?}: {ab} / {ba}"
    );
    ab
}
