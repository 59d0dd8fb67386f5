//! Helpers for the OS-version differential tests: data paths, table parsers, a deterministic PRNG,
//! version generators and the external oracles (dpkg, libdpkg-perl, rpm's Lua `rpm.vercmp`).

#![allow(dead_code)]

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

// ---------------------------------------------------------------------------------------------
// Paths and skipping
// ---------------------------------------------------------------------------------------------

/// `tests/fixtures/os/<rel>` (files committed with the crate).
pub fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/os")
        .join(rel)
}

/// `../shared/data/<rel>` seen from the repository root; `None` (with a printed SKIP line) when
/// absent. GPL-licensed tables are only ever read from there, never copied into the repository.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(rel);
    if p.exists() {
        Some(p)
    } else {
        println!("SKIP: {rel} absent (../shared/data not beside the repository)");
        None
    }
}

/// Whether missing oracles must fail the test (CI sets `BULKHEAD_STRICT=1`).
pub fn strict() -> bool {
    std::env::var("BULKHEAD_STRICT").as_deref() == Ok("1")
}

/// Print a SKIP line, or panic under `BULKHEAD_STRICT=1`.
pub fn skip_or_panic(what: &str) {
    if strict() {
        panic!("{what} (required under BULKHEAD_STRICT=1; scripts/install-deps.sh installs it)");
    }
    println!("SKIP: {what}");
}

pub fn read_text(p: &Path) -> String {
    let bytes = std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    String::from_utf8(bytes).unwrap_or_else(|e| panic!("{}: not UTF-8: {e}", p.display()))
}

// ---------------------------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------------------------

/// One expected comparison from a table.
#[derive(Debug, Clone)]
pub struct Case {
    pub a: String,
    pub b: String,
    pub want: Ordering,
    /// `file:line` for messages.
    pub at: String,
}

fn op(s: &str) -> Option<Ordering> {
    match s {
        "<" | "-1" => Some(Ordering::Less),
        "=" | "0" => Some(Ordering::Equal),
        ">" | "1" => Some(Ordering::Greater),
        _ => None,
    }
}

/// `a <|=|> b` lines (osv-scalibr `*-versions*.txt`, apk-tools `version.data`). Blank lines and
/// lines starting with `#` or `//` are skipped, and so is a trailing `# comment`. Lines whose
/// operator is something else (apk's fuzzy `~`, validity rows) are skipped too.
pub fn parse_op_lines(text: &str, name: &str) -> Vec<Case> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') || t.starts_with("//") {
            continue;
        }
        let mut it = t.split_whitespace();
        let (Some(a), Some(o), Some(b)) = (it.next(), it.next(), it.next()) else {
            continue;
        };
        let rest: Vec<&str> = it.collect();
        if !(rest.is_empty() || rest[0].starts_with('#')) {
            panic!("{name}:{}: unexpected line {line:?}", n + 1);
        }
        let Some(want) = op(o) else { continue };
        out.push(Case {
            a: a.to_string(),
            b: b.to_string(),
            want,
            at: format!("{name}:{}", n + 1),
        });
    }
    out
}

/// apt's `versions.lst`: `ver1 ver2 ret` (ret 1: ver1 > ver2, -1: <, 0: =); `#` comments.
pub fn parse_apt_lst(text: &str, name: &str) -> Vec<Case> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let t = t.split(" #").next().unwrap_or(t);
        let f: Vec<&str> = t.split_whitespace().collect();
        assert_eq!(f.len(), 3, "{name}:{}: {line:?}", n + 1);
        out.push(Case {
            a: f[0].to_string(),
            b: f[1].to_string(),
            want: op(f[2]).unwrap_or_else(|| panic!("{name}:{}: bad result", n + 1)),
            at: format!("{name}:{}", n + 1),
        });
    }
    out
}

/// rpm's `rpmvercmp.at`: `RPMVERCMP(a, b, r)`. Returns (active cases, cases in `dnl` comments —
/// the "oddities" rpm documents as its current behaviour).
pub fn parse_rpmvercmp_at(text: &str, name: &str) -> (Vec<Case>, Vec<Case>) {
    let (mut active, mut documented) = (Vec::new(), Vec::new());
    for (n, line) in text.lines().enumerate() {
        let (t, dnl) = match line.strip_prefix("dnl ") {
            Some(rest) => (rest.trim(), true),
            None => (line.trim(), false),
        };
        let Some(inner) = t
            .strip_prefix("RPMVERCMP(")
            .and_then(|r| r.strip_suffix(')'))
        else {
            continue;
        };
        let f: Vec<&str> = inner.split(',').map(str::trim).collect();
        assert_eq!(f.len(), 3, "{name}:{}: {line:?}", n + 1);
        let case = Case {
            a: f[0].to_string(),
            b: f[1].to_string(),
            want: op(f[2]).unwrap_or_else(|| panic!("{name}:{}: bad result", n + 1)),
            at: format!("{name}:{}", n + 1),
        };
        if dnl {
            documented.push(case);
        } else {
            active.push(case);
        }
    }
    (active, documented)
}

/// Check every case both ways (and `b` against itself); return the number of comparisons made.
/// Failures are collected and reported together.
pub fn check_cases<E: std::fmt::Debug>(
    label: &str,
    cases: &[Case],
    cmp: impl Fn(&str, &str) -> Result<Ordering, E>,
) -> usize {
    let mut bad = Vec::new();
    let mut n = 0;
    for c in cases {
        for (a, b, want) in [(&c.a, &c.b, c.want), (&c.b, &c.a, c.want.reverse())] {
            n += 1;
            match cmp(a, b) {
                Ok(got) if got == want => {}
                got => bad.push(format!("{}: {a} vs {b}: want {want:?}, got {got:?}", c.at)),
            }
        }
    }
    assert!(
        bad.is_empty(),
        "{label}: {} of {n} comparisons disagree:\n{}",
        bad.len(),
        bad.iter().take(40).cloned().collect::<Vec<_>>().join("\n")
    );
    n
}

// ---------------------------------------------------------------------------------------------
// Deterministic PRNG (SplitMix64)
// ---------------------------------------------------------------------------------------------

pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    pub fn chance(&mut self, percent: u32) -> bool {
        self.below(100) < percent as usize
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    pub fn word<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// A digit run: usually short, sometimes zero-padded, sometimes very long.
pub fn digits(rng: &mut Rng) -> String {
    let mut s = String::new();
    if rng.chance(12) {
        s.push_str(&"0".repeat(1 + rng.below(3)));
    }
    let len = match rng.below(20) {
        0 => 20 + rng.below(30),
        1 => 9 + rng.below(4),
        2..=5 => 3 + rng.below(6),
        _ => 1 + rng.below(2),
    };
    for i in 0..len {
        let d = if i == 0 && rng.chance(70) {
            1 + rng.below(9)
        } else {
            rng.below(10)
        };
        s.push((b'0' + d as u8) as char);
    }
    s
}

/// Mutate a version slightly (the interesting comparisons are between near-equal versions).
/// `alphabet` is the set of extra characters the scheme cares about.
pub fn mutate(rng: &mut Rng, v: &str, alphabet: &[&str]) -> String {
    let mut s = v.to_string();
    for _ in 0..1 + rng.below(2) {
        let chars: Vec<char> = s.chars().collect();
        let pos = if chars.is_empty() {
            0
        } else {
            rng.below(chars.len() + 1)
        };
        let (head, tail): (String, String) =
            (chars[..pos].iter().collect(), chars[pos..].iter().collect());
        s = match rng.below(7) {
            // Append or insert a token.
            0 | 1 => format!("{s}{}", rng.pick(alphabet)),
            2 => format!("{head}{}{tail}", rng.pick(alphabet)),
            // Change a digit, or a digit run's padding.
            3 => {
                let mut c = chars.clone();
                if let Some(i) = (0..c.len())
                    .map(|k| (k + pos) % c.len())
                    .find(|&k| c[k].is_ascii_digit())
                {
                    c[i] = (b'0' + rng.below(10) as u8) as char;
                }
                c.into_iter().collect()
            }
            4 => format!("{head}0{tail}"),
            // Delete a character.
            5 if !tail.is_empty() => format!(
                "{head}{}",
                &tail[tail.chars().next().map_or(0, char::len_utf8)..]
            ),
            _ => format!("{s}{}", digits(rng)),
        };
    }
    s
}

// ---------------------------------------------------------------------------------------------
// Corpus helpers
// ---------------------------------------------------------------------------------------------

/// All files below `dir` (sorted, recursive).
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Versions named in dpkg control data under `dir`: `Version:` fields, `Source: name (ver)`, and
/// versioned relations `(op ver)` in `Depends:`-style fields.
pub fn dpkg_control_versions(dir: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for p in walk(dir) {
        let Ok(bytes) = std::fs::read(&p) else {
            continue;
        };
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        for line in text.lines() {
            if let Some(v) = line.strip_prefix("Version:") {
                let v = v.trim();
                if !v.is_empty() {
                    out.insert(v.to_string());
                }
            }
            if line.starts_with("Source:")
                || line.starts_with("Depends:")
                || line.starts_with("Pre-Depends:")
                || line.starts_with("Breaks:")
                || line.starts_with("Replaces:")
                || line.starts_with("Conflicts:")
                || line.starts_with("Recommends:")
                || line.starts_with("Provides:")
            {
                for part in line.split('(').skip(1) {
                    let Some(inner) = part.split(')').next() else {
                        continue;
                    };
                    let v = inner.trim_start_matches(['<', '>', '=']).trim();
                    if !v.is_empty() && !v.contains(' ') {
                        out.insert(v.to_string());
                    }
                }
            }
        }
    }
    out
}

/// Random pairs from `vs`, plus (v, mutate(v)) pairs, plus pairs with themselves.
pub fn pairs(
    rng: &mut Rng,
    vs: &[String],
    n_random: usize,
    n_mutated: usize,
    alphabet: &[&str],
) -> Vec<(String, String)> {
    let mut out = Vec::with_capacity(n_random + n_mutated);
    for _ in 0..n_random {
        out.push((rng.pick(vs).clone(), rng.pick(vs).clone()));
    }
    for _ in 0..n_mutated {
        let v = rng.pick(vs).clone();
        let m = mutate(rng, &v, alphabet);
        if rng.chance(50) {
            out.push((v, m));
        } else {
            out.push((m, v));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Oracles
// ---------------------------------------------------------------------------------------------

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

fn temp_path(tag: &str) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering as O};
    static N: AtomicUsize = AtomicUsize::new(0);
    std::env::temp_dir().join(format!(
        "bulkhead-os-versions-{}-{}-{tag}",
        std::process::id(),
        N.fetch_add(1, O::Relaxed)
    ))
}

fn parse_result(line: &str) -> Option<Ordering> {
    match line.trim() {
        "-1" => Some(Ordering::Less),
        "0" => Some(Ordering::Equal),
        "1" => Some(Ordering::Greater),
        _ => None,
    }
}

pub fn have(cmd: &str, args: &[&str]) -> bool {
    Command::new(cmd)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `dpkg --compare-versions`: `Ok(order)`, or `Err(())` when dpkg rejects a version (exit 2).
/// One or two processes per pair.
pub fn dpkg_compare(a: &str, b: &str) -> Result<Ordering, ()> {
    let run = |rel: &str| {
        let st = Command::new("dpkg")
            .args(["--compare-versions", a, rel, b])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run dpkg");
        st.code()
    };
    match run("lt") {
        Some(0) => Ok(Ordering::Less),
        Some(1) => match run("eq") {
            Some(0) => Ok(Ordering::Equal),
            Some(1) => Ok(Ordering::Greater),
            other => panic!("dpkg --compare-versions {a:?} eq {b:?}: exit {other:?}"),
        },
        Some(2) => Err(()),
        other => panic!("dpkg --compare-versions {a:?} lt {b:?}: exit {other:?}"),
    }
}

/// [`dpkg_compare`] for many pairs, on two threads.
pub fn dpkg_compare_many(pairs: &[(String, String)]) -> Vec<Result<Ordering, ()>> {
    std::thread::scope(|s| {
        let (p1, p2) = pairs.split_at(pairs.len() / 2);
        let h1 = s.spawn(|| {
            p1.iter()
                .map(|(a, b)| dpkg_compare(a, b))
                .collect::<Vec<_>>()
        });
        let h2 = s.spawn(|| {
            p2.iter()
                .map(|(a, b)| dpkg_compare(a, b))
                .collect::<Vec<_>>()
        });
        let mut r = h1.join().expect("dpkg thread");
        r.extend(h2.join().expect("dpkg thread"));
        r
    })
}

/// libdpkg-perl's `Dpkg::Version` (dpkg's own Perl implementation), one process for all pairs.
/// `None` for a pair means Perl considers a version invalid (`version_check`).
pub fn perl_dpkg_compare(pairs: &[(String, String)]) -> Vec<Option<Ordering>> {
    let input = temp_path("perl-pairs");
    {
        let mut f = std::fs::File::create(&input).expect("temp file");
        for (a, b) in pairs {
            writeln!(f, "{} {}", hex(a), hex(b)).unwrap();
        }
    }
    let script = r#"
use strict; use warnings;
use Dpkg::Version;
open(my $fh, '<', $ARGV[0]) or die;
while (my $l = <$fh>) {
    chomp $l;
    my ($ha, $hb) = split / /, $l, -1;
    my ($a, $b) = (pack('H*', $ha), pack('H*', $hb));
    my $va = Dpkg::Version->new($a, check => 1);
    my $vb = Dpkg::Version->new($b, check => 1);
    if (defined $va and defined $vb) { print(($va <=> $vb), "\n"); } else { print "invalid\n"; }
}
"#;
    let out = Command::new("perl")
        .args(["-e", script])
        .arg(&input)
        .output()
        .expect("run perl");
    let _ = std::fs::remove_file(&input);
    assert!(
        out.status.success(),
        "perl Dpkg::Version failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("perl output");
    let res: Vec<Option<Ordering>> = text.lines().map(parse_result).collect();
    assert_eq!(res.len(), pairs.len(), "perl printed one line per pair");
    res
}

/// rpm 4.x `rpm.vercmp(a, b)` via one `rpm --eval` Lua run for all pairs; `Err(())` when rpm
/// raises an error (invalid version).
pub fn rpm_vercmp(pairs: &[(String, String)]) -> Vec<Result<Ordering, ()>> {
    let input = temp_path("rpm-pairs");
    let lua = temp_path("rpm.lua");
    {
        let mut f = std::fs::File::create(&input).expect("temp file");
        for (a, b) in pairs {
            writeln!(f, "{} {}", hex(a), hex(b)).unwrap();
        }
    }
    let script = format!(
        r#"
local function unhex(h) return (h:gsub('..', function(x) return string.char(tonumber(x, 16)) end)) end
local out = {{}}
for line in io.lines({path:?}) do
  local ha, hb = line:match('^(%x*) (%x*)$')
  local ok, r = pcall(rpm.vercmp, unhex(ha), unhex(hb))
  if ok then out[#out + 1] = tostring(r) else out[#out + 1] = 'E' end
end
io.stdout:write(table.concat(out, '\n'), '\n')
"#,
        path = input.to_str().expect("utf-8 temp path")
    );
    std::fs::write(&lua, script).expect("write lua");
    let out = Command::new("rpm")
        .arg("--eval")
        .arg(format!("%{{lua: dofile({:?})}}", lua.to_str().unwrap()))
        .output()
        .expect("run rpm");
    let _ = std::fs::remove_file(&input);
    let _ = std::fs::remove_file(&lua);
    assert!(
        out.status.success(),
        "rpm --eval failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("rpm output");
    let res: Vec<Result<Ordering, ()>> = text
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| match l {
            "E" => Err(()),
            other => Ok(parse_result(other).unwrap_or_else(|| panic!("rpm printed {other:?}"))),
        })
        .collect();
    assert_eq!(res.len(), pairs.len(), "rpm printed one line per pair");
    res
}
