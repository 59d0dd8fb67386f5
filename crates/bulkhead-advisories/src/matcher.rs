//! Matching installed packages against the advisory store: pick the advisory ecosystem for each
//! package (distro release from the detected OS; source package for dpkg and apk), evaluate OSV
//! `versions` and `ranges` with the ecosystem's own version order (`bulkhead-versions`), merge records
//! that describe the same flaw (CVE / GHSA / PYSEC / distro ids linked through `aliases`), and rate the
//! severity from CVSS vectors (v2, v3.x, v4 base scores) or the database's own rating.

use crate::osv::{Affected, Event, RangeType, Record};
use crate::{Result, Store};
use bulkhead_core::{
    Cvss, Finding, FindingKind, Fix, OsInfo, Package, PackageKind, PackageRef, Severity, VulnStatus,
};
use bulkhead_versions::{Ecosystem, compare};
use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;

/// What to look up for one package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Ecosystem family in the store (`Debian`, `PyPI`, …).
    pub base: &'static str,
    /// The exact advisory ecosystem (`Debian:12`); `None` for ecosystems without releases.
    pub release: Option<String>,
    /// The name advisories use (the source package for dpkg and apk).
    pub name: String,
    /// The version compared (the source version for dpkg, with its epoch).
    pub version: String,
    pub order: Ecosystem,
}

fn major(v: &str) -> &str {
    v.split('.').next().unwrap_or(v)
}

fn major_minor(v: &str) -> String {
    v.split('.').take(2).collect::<Vec<_>>().join(".")
}

/// The advisory target of a package, or `None` when no advisory source covers it.
pub fn target_for(pkg: &Package, os: Option<&OsInfo>) -> Option<Target> {
    let kind = pkg.kind?;
    let src_name = pkg.src_name.clone().unwrap_or_else(|| pkg.name.clone());
    match kind {
        PackageKind::Deb => {
            let os = os?;
            // Debian advisories key on the source package and its version.
            let mut version = pkg
                .src_version
                .clone()
                .unwrap_or_else(|| pkg.version.clone());
            if let Some(e) = pkg.src_epoch.filter(|e| *e > 0) {
                version = format!("{e}:{version}");
            }
            let (base, release) = match os.family.as_str() {
                "debian" => ("Debian", format!("Debian:{}", major(&os.version))),
                "ubuntu" => ("Ubuntu", format!("Ubuntu:{}", os.version)),
                _ => return None,
            };
            Some(Target {
                base,
                release: Some(release),
                name: src_name,
                version,
                order: Ecosystem::Dpkg,
            })
        }
        PackageKind::Apk => {
            let os = os?;
            let (base, release) = match os.family.as_str() {
                // The repositories' release when the image names one (an Alpine 3.16 image pulling
                // from edge has edge's packages), else the OS release.
                "alpine" => match os.repository.as_deref() {
                    Some("edge") => ("Alpine", "Alpine:edge".to_string()),
                    Some(r) => ("Alpine", format!("Alpine:v{}", major_minor(r))),
                    None => ("Alpine", format!("Alpine:v{}", major_minor(&os.version))),
                },
                "wolfi" => ("Wolfi", "Wolfi".to_string()),
                "chainguard" => ("Chainguard", "Chainguard".to_string()),
                _ => return None,
            };
            Some(Target {
                base,
                release: Some(release),
                name: src_name,
                version: pkg.version.clone(),
                order: Ecosystem::Apk,
            })
        }
        PackageKind::Rpm => {
            let os = os?;
            let (base, release) = rpm_release(os)?;
            // Most RPM distributions publish advisories per binary package (Red Hat OVAL, ALSA,
            // ELSA, SUSE, Amazon); Photon and Mariner/Azure Linux per source package (as Trivy
            // matches them). The installed full EVR is compared either way.
            let name = match base {
                "Photon OS" | "Mariner" | "Azure Linux" => src_name,
                _ => pkg.name.clone(),
            };
            Some(Target {
                base,
                release: Some(release),
                name,
                version: pkg.full_version(),
                order: Ecosystem::Rpm,
            })
        }
        _ => language_target(pkg),
    }
}

/// The advisory ecosystem family and release of an RPM distribution. OSV's names where OSV has the
/// distribution (`AlmaLinux:8`, `Rocky Linux:8`, `Red Hat:enterprise_linux:7…`, `openSUSE:Leap 15.5`,
/// `SUSE:Linux Enterprise Server 15 SP5`, `Photon OS:3.0`, `Mariner:2.0`); for the others the same
/// shape (`Amazon Linux:2`, `Oracle Linux:8`). CentOS and RHEL share Red Hat's data: a Red Hat
/// ecosystem applies when it starts with `Red Hat:enterprise_linux:<major>:` (any product stream).
fn rpm_release(os: &OsInfo) -> Option<(&'static str, String)> {
    let v = os.version.as_str();
    Some(match os.family.as_str() {
        "alma" => ("AlmaLinux", format!("AlmaLinux:{}", major(v))),
        "rocky" => ("Rocky Linux", format!("Rocky Linux:{}", major(v))),
        "redhat" | "centos" => ("Red Hat", format!("Red Hat:enterprise_linux:{}", major(v))),
        "oracle" => ("Oracle Linux", format!("Oracle Linux:{}", major(v))),
        "amazon" => {
            // Amazon Linux 1 reports `2018.03`; 2 and 2023 report their own number.
            let rel = match v.split(|c: char| !c.is_ascii_digit()).next().unwrap_or("") {
                "2" => "2",
                "2022" => "2022",
                "2023" => "2023",
                _ => "1",
            };
            ("Amazon Linux", format!("Amazon Linux:{rel}"))
        }
        "photon" => ("Photon OS", format!("Photon OS:{}", major_minor(v))),
        "cbl-mariner" => ("Mariner", format!("Mariner:{}", major_minor(v))),
        "azurelinux" => ("Azure Linux", format!("Azure Linux:{}", major_minor(v))),
        "opensuse-leap" => ("openSUSE", format!("openSUSE:Leap {v}")),
        "opensuse-tumbleweed" => ("openSUSE", "openSUSE:Tumbleweed".to_string()),
        "sles" => (
            "SUSE",
            format!("SUSE:Linux Enterprise Server {}", suse_version(v)),
        ),
        "slem" => ("SUSE", format!("SUSE:Linux Enterprise Micro {v}")),
        _ => return None,
    })
}

/// `15.3` → `15 SP3`, `15` → `15`.
fn suse_version(v: &str) -> String {
    match v.split_once('.') {
        Some((maj, sp)) if sp != "0" => format!("{maj} SP{sp}"),
        Some((maj, _)) => maj.to_string(),
        None => v.to_string(),
    }
}

fn language_target(pkg: &Package) -> Option<Target> {
    let purl_type = pkg.kind?.purl_type();
    let (base, order) = match purl_type {
        "pypi" => ("PyPI", Ecosystem::PyPI),
        "npm" => ("npm", Ecosystem::Npm),
        "golang" => ("Go", Ecosystem::Go),
        "cargo" => ("crates.io", Ecosystem::CratesIo),
        "maven" => ("Maven", Ecosystem::Maven),
        "gem" => ("RubyGems", Ecosystem::RubyGems),
        "composer" => ("Packagist", Ecosystem::Packagist),
        "nuget" => ("NuGet", Ecosystem::NuGet),
        _ => return None,
    };
    Some(Target {
        base,
        release: None,
        name: crate::ecosystem::normalise_package(base, &pkg.name),
        // OSV's Go records write versions without Go's `v` (`0.37.2`, `2.8.0+incompatible`).
        version: match order {
            Ecosystem::Go => pkg.version.trim_start_matches('v').to_string(),
            _ => pkg.version.clone(),
        },
        order,
    })
}

/// Whether an advisory's ecosystem string applies to the target's release. `Ubuntu:22.04:LTS` applies
/// to `Ubuntu:22.04`; Ubuntu Pro (ESM) streams do not apply to a plain install.
fn ecosystem_applies(advisory: &str, target: &Target) -> bool {
    match &target.release {
        None => advisory == target.base,
        Some(rel) => {
            if advisory == rel {
                return true;
            }
            match advisory.strip_prefix(rel.as_str()) {
                Some(rest) => {
                    rest.starts_with(':')
                        && match target.base {
                            "Ubuntu" => !advisory.contains(":Pro:"),
                            "Red Hat" => true,
                            _ => false,
                        }
                }
                None => false,
            }
        }
    }
}

fn cmp(order: Ecosystem, a: &str, b: &str) -> Option<Ordering> {
    compare(order, a, b).ok()
}

/// Evaluate one affected entry for a version: `Some(fixed version, if any)` when affected.
/// Follows the OSV specification's evaluation: events sorted by version (`introduced: "0"` first),
/// `introduced` opens, `fixed` closes (exclusive), `last_affected` closes (inclusive), `limit` caps.
pub fn affected_version(
    affected: &Affected,
    version: &str,
    order: Ecosystem,
) -> Option<Option<String>> {
    let listed = affected.versions.iter().any(|v| v == version);
    for range in &affected.ranges {
        let range_order = match range.kind {
            RangeType::Ecosystem => order,
            RangeType::Semver => match order {
                // SEMVER ranges use SemVer order whatever the ecosystem.
                Ecosystem::Npm | Ecosystem::Go | Ecosystem::CratesIo => order,
                _ => Ecosystem::CratesIo,
            },
            _ => continue,
        };
        let mut events: Vec<&Event> = range
            .events
            .iter()
            .filter(|e| e.version().is_some())
            .collect();
        events.sort_by(|a, b| {
            let (va, vb) = (a.version().unwrap_or(""), b.version().unwrap_or(""));
            match (
                va == "0" && matches!(a, Event::Introduced(_)),
                vb == "0" && matches!(b, Event::Introduced(_)),
            ) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Less,
                (false, true) => Ordering::Greater,
                _ => cmp(range_order, va, vb).unwrap_or(Ordering::Equal),
            }
        });
        let mut vulnerable = false;
        let mut limited = false;
        for e in &events {
            match e {
                Event::Introduced(v) => {
                    if v == "0" || cmp(range_order, version, v).is_some_and(|o| o != Ordering::Less)
                    {
                        vulnerable = true;
                    }
                }
                Event::Fixed(v) => {
                    if cmp(range_order, version, v).is_some_and(|o| o != Ordering::Less) {
                        vulnerable = false;
                    }
                }
                Event::LastAffected(v) => {
                    if cmp(range_order, version, v).is_some_and(|o| o == Ordering::Greater) {
                        vulnerable = false;
                    }
                }
                Event::Limit(v) => {
                    if v != "*" && cmp(range_order, version, v).is_some_and(|o| o != Ordering::Less)
                    {
                        limited = true;
                    }
                }
                Event::Other { .. } => {}
            }
        }
        if vulnerable && !limited {
            // The fix is the first `fixed` above the installed version.
            let fixed = events
                .iter()
                .filter_map(|e| match e {
                    Event::Fixed(v) if cmp(range_order, version, v) == Some(Ordering::Less) => {
                        Some(v.clone())
                    }
                    _ => None,
                })
                .next();
            return Some(fixed);
        }
    }
    if listed { Some(None) } else { None }
}

/// CVSS v2 base score (the `cvss` crate covers v3 and v4 only). Formula from the CVSS v2 guide §3.2.1.
fn cvss2_score(vector: &str) -> Option<f64> {
    let mut m = HashMap::new();
    for part in vector
        .trim_start_matches("CVSS:2.0/")
        .trim_start_matches('(')
        .trim_end_matches(')')
        .split('/')
    {
        let (k, v) = part.split_once(':')?;
        m.insert(k, v);
    }
    let av = match *m.get("AV")? {
        "L" => 0.395,
        "A" => 0.646,
        "N" => 1.0,
        _ => return None,
    };
    let ac = match *m.get("AC")? {
        "H" => 0.35,
        "M" => 0.61,
        "L" => 0.71,
        _ => return None,
    };
    let au = match *m.get("Au")? {
        "M" => 0.45,
        "S" => 0.56,
        "N" => 0.704,
        _ => return None,
    };
    let cia = |k: &str| -> Option<f64> {
        Some(match *m.get(k)? {
            "N" => 0.0,
            "P" => 0.275,
            "C" => 0.660,
            _ => return None,
        })
    };
    let (c, i, a) = (cia("C")?, cia("I")?, cia("A")?);
    let impact = 10.41 * (1.0 - (1.0 - c) * (1.0 - i) * (1.0 - a));
    let exploitability = 20.0 * av * ac * au;
    let f = if impact == 0.0 { 0.0 } else { 1.176 };
    let base = ((0.6 * impact) + (0.4 * exploitability) - 1.5) * f;
    Some((base * 10.0).round() / 10.0)
}

fn band(score: f64, v2: bool) -> Severity {
    if v2 {
        return match score {
            s if s >= 7.0 => Severity::High,
            s if s >= 4.0 => Severity::Medium,
            _ => Severity::Low,
        };
    }
    match score {
        s if s >= 9.0 => Severity::Critical,
        s if s >= 7.0 => Severity::High,
        s if s >= 4.0 => Severity::Medium,
        s if s > 0.0 => Severity::Low,
        _ => Severity::Unknown,
    }
}

/// (severity, source, score, vector) from a record's and entry's severities; CVSS v4 > v3 > v2, then the
/// database's own rating (GHSA `severity`, Ubuntu priority, Debian urgency).
pub fn rate(
    record: &Record,
    affected: &Affected,
) -> (Severity, Option<String>, Option<f64>, Option<String>) {
    let all: Vec<&crate::osv::Severity> = affected
        .severity
        .iter()
        .chain(record.severity.iter())
        .collect();
    for kind in ["CVSS_V4", "CVSS_V3", "CVSS_V2"] {
        for s in all.iter().filter(|s| s.kind == kind) {
            let score = match kind {
                "CVSS_V4" => s
                    .score
                    .parse::<cvss::v4::Vector>()
                    .ok()
                    .map(|v| v.score().value()),
                "CVSS_V3" => s
                    .score
                    .parse::<cvss::v3::Base>()
                    .ok()
                    .map(|b| b.score().value()),
                _ => cvss2_score(&s.score),
            };
            if let Some(score) = score {
                return (
                    band(score, kind == "CVSS_V2"),
                    Some(format!("{kind} vector")),
                    Some(score),
                    Some(s.score.clone()),
                );
            }
        }
    }
    let rating = [
        affected.database_specific.as_ref(),
        record.database_specific.as_ref(),
        affected.ecosystem_specific.as_ref(),
    ]
    .into_iter()
    .flatten()
    .find_map(|v| {
        v.get("severity")
            .or_else(|| v.get("urgency"))
            .and_then(|s| s.as_str())
            .map(str::to_string)
    })
    .or_else(|| {
        all.iter()
            .find(|s| s.kind == "Ubuntu")
            .map(|s| s.score.clone())
    });
    if let Some(r) = rating {
        let sev = match r.to_ascii_lowercase().as_str() {
            "critical" => Severity::Critical,
            "high" | "important" => Severity::High,
            "moderate" | "medium" => Severity::Medium,
            "low" | "negligible" | "unimportant" => Severity::Low,
            _ => Severity::Unknown,
        };
        return (sev, Some(format!("database rating {r:?}")), None, None);
    }
    (Severity::Unknown, None, None, None)
}

/// Primary ID of a group of ids: a CVE when known, else a GHSA, else the smallest id.
fn primary(ids: &BTreeSet<String>) -> String {
    ids.iter()
        .find(|i| i.starts_with("CVE-"))
        .or_else(|| ids.iter().find(|i| i.starts_with("GHSA-")))
        .or_else(|| ids.iter().next())
        .cloned()
        .unwrap_or_default()
}

/// The no-fix status an affected entry gives (`database_specific.status`: `will_not_fix`,
/// `fix_deferred`, `end_of_life`), or `None` when it names none (plain affected).
fn entry_status(affected: &Affected) -> Option<VulnStatus> {
    affected
        .database_specific
        .as_ref()
        .and_then(|d| d.get("status"))
        .and_then(|s| s.as_str())
        .and_then(VulnStatus::from_advisory_status)
        .filter(|s| *s != VulnStatus::Affected)
}

/// The flaws a record describes, each as the set of ids that name it (used to merge records of the
/// same flaw). A record is one flaw (its id, `aliases` and `upstream`), except a distribution
/// advisory that bundles several CVEs (a DSA, RHSA, USN, ALSA… listing two or more): that is one flaw
/// per CVE, as Trivy and Grype report them, and its own id is kept out of the sets so that the CVEs
/// do not merge through it (it is listed in the finding's `advisories`).
fn flaws(record: &Record) -> Vec<BTreeSet<String>> {
    let all = std::iter::once(&record.id)
        .chain(record.aliases.iter())
        .chain(record.upstream.iter());
    let cves: BTreeSet<&String> = all.clone().filter(|i| i.starts_with("CVE-")).collect();
    if cves.len() >= 2 && !record.id.starts_with("CVE-") {
        cves.into_iter()
            .map(|c| BTreeSet::from([c.clone()]))
            .collect()
    } else {
        vec![all.cloned().collect()]
    }
}

struct Hit {
    record: Rc<Record>,
    ecosystem: String,
    fixed: Option<String>,
    /// The entry's no-fix status (`database_specific.status`), if it names one.
    status: Option<VulnStatus>,
    severity: (Severity, Option<String>, Option<f64>, Option<String>),
}

/// (severity, its source, CVSS score, CVSS vector).
type Rating = (Severity, Option<String>, Option<f64>, Option<String>);

/// A CVSS rating for a flaw from the records named by its ids, when one has a vector.
fn enrich(
    store: &Store,
    ids: &BTreeSet<String>,
    records: &mut HashMap<String, Option<Rc<Record>>>,
) -> Result<Option<Rating>> {
    for id in ids {
        let record = match records.get(id) {
            Some(r) => r.clone(),
            None => {
                let r = store.record(id)?.map(Rc::new);
                records.insert(id.clone(), r.clone());
                r
            }
        };
        let Some(record) = record else { continue };
        let (sev, source, score, vector) = rate(&record, &Affected::default());
        if score.is_some() {
            let source = source.map(|s| format!("{s} of {}", record.id));
            return Ok(Some((sev, source, score, vector)));
        }
    }
    Ok(None)
}

/// Keep the findings a scan asked for: severities in `severities` (names, any case; empty keeps
/// all) and, with `ignore_unfixed`, only those with a fixed version (as Trivy's `--ignore-unfixed`).
pub fn filter(vulns: &mut Vec<Finding>, severities: &[Severity], ignore_unfixed: bool) {
    vulns.retain(|v| {
        v.severity.selected_by(severities) && (!ignore_unfixed || v.fixed_version().is_some())
    });
}

/// Match every package; returns deduplicated findings sorted by package then id.
pub fn match_packages(
    store: &Store,
    os: Option<&OsInfo>,
    packages: &[Package],
) -> Result<Vec<Finding>> {
    let mut out = Vec::new();
    let mut records: HashMap<String, Option<Rc<Record>>> = HashMap::new();
    // Entries per (family, name): binary packages of one source package, and several versions of one
    // name, share one lookup.
    let mut entries: HashMap<(&'static str, String), Rc<Vec<crate::AffectedEntry>>> =
        HashMap::new();
    // Severity found in other records, per flaw (its ids joined).
    let mut enriched: HashMap<String, Option<Rating>> = HashMap::new();
    for pkg in packages {
        let Some(target) = target_for(pkg, os) else {
            continue;
        };
        let mut hits: Vec<(BTreeSet<String>, Hit)> = Vec::new();
        let key = (target.base, target.name.clone());
        let found = match entries.get(&key) {
            Some(e) => e.clone(),
            None => {
                let e = Rc::new(store.affected(target.base, &target.name)?);
                entries.insert(key, e.clone());
                e
            }
        };
        for entry in found.iter() {
            if !ecosystem_applies(&entry.ecosystem, &target) {
                continue;
            }
            let Some(fixed) = affected_version(&entry.affected, &target.version, target.order)
            else {
                continue;
            };
            let record = match records.get(&entry.record_id) {
                Some(r) => r.clone(),
                None => {
                    let r = store.record(&entry.record_id)?.map(Rc::new);
                    records.insert(entry.record_id.clone(), r.clone());
                    r
                }
            };
            let Some(record) = record else { continue };
            if record.withdrawn.is_some() {
                continue;
            }
            let severity = rate(&record, &entry.affected);
            let status = entry_status(&entry.affected);
            for ids in flaws(&record) {
                hits.push((
                    ids,
                    Hit {
                        record: record.clone(),
                        ecosystem: entry.ecosystem.clone(),
                        status,
                        fixed: fixed.clone(),
                        severity: severity.clone(),
                    },
                ));
            }
        }
        // Merge hits that share any id of their flaw: one finding per flaw. Each id points at its
        // group; a hit naming ids of several groups merges them (linear in the ids, where pairwise
        // set comparison was quadratic in the hits of packages like `linux`).
        let mut slots: Vec<Option<(BTreeSet<String>, Vec<Hit>)>> = Vec::new();
        let mut group_of: HashMap<String, usize> = HashMap::new();
        for (ids, hit) in hits {
            let mut found: Vec<usize> = ids
                .iter()
                .filter_map(|i| group_of.get(i).copied())
                .collect();
            found.sort_unstable();
            found.dedup();
            let target = match found.first() {
                Some(&t) => t,
                None => {
                    slots.push(Some((BTreeSet::new(), Vec::new())));
                    slots.len() - 1
                }
            };
            for &other in found.iter().skip(1) {
                if let Some((other_ids, other_hits)) = slots[other].take() {
                    for i in &other_ids {
                        group_of.insert(i.clone(), target);
                    }
                    let t = slots[target].as_mut().expect("live group");
                    t.0.extend(other_ids);
                    t.1.extend(other_hits);
                }
            }
            for i in &ids {
                group_of.insert(i.clone(), target);
            }
            let t = slots[target].as_mut().expect("live group");
            t.0.extend(ids);
            t.1.push(hit);
        }
        let groups = slots.into_iter().flatten();
        for (ids, hits) in groups {
            let id = primary(&ids);
            let aliases: Vec<String> = ids.iter().filter(|i| **i != id).cloned().collect();
            // The fix must cover every merged record: the highest fixed version; no fix if any lacks one.
            let mut fixed: Option<String> = None;
            let mut unfixed = false;
            for h in &hits {
                match &h.fixed {
                    None => unfixed = true,
                    Some(f) => {
                        if fixed
                            .as_ref()
                            .is_none_or(|cur| cmp(target.order, f, cur) == Some(Ordering::Greater))
                        {
                            fixed = Some(f.clone());
                        }
                    }
                }
            }
            if unfixed {
                fixed = None;
            }
            // An explicit zero epoch is no epoch (`0:1.0.1e-58.el6_10` is shown as Trivy and rpm
            // show it: `1.0.1e-58.el6_10`).
            if target.order == Ecosystem::Rpm
                && let Some(f) = &fixed
                && let Some(rest) = f.strip_prefix("0:")
            {
                fixed = Some(rest.to_string());
            }
            let best = hits
                .iter()
                .max_by(|a, b| {
                    // Prefer scored ratings, then the higher severity.
                    (a.severity.2.is_some(), a.severity.0)
                        .cmp(&(b.severity.2.is_some(), b.severity.0))
                })
                .map(|h| h.severity.clone())
                .unwrap_or((Severity::Unknown, None, None, None));
            // No CVSS among the matching records: another record in the database about the same flaw
            // (its CVE or GHSA record, from any ecosystem) may carry the vectors (pypa and DSA records
            // mostly have none, GitHub's do).
            let best = if best.2.is_none() {
                let key = ids.iter().cloned().collect::<Vec<_>>().join(" ");
                let found = match enriched.get(&key) {
                    Some(e) => e.clone(),
                    None => {
                        let e = enrich(store, &ids, &mut records)?;
                        enriched.insert(key, e.clone());
                        e
                    }
                };
                found.unwrap_or(best)
            } else {
                best
            };
            let title = hits
                .iter()
                .find_map(|h| h.record.summary.clone())
                .or_else(|| {
                    hits.iter().find_map(|h| {
                        h.record
                            .details
                            .as_ref()
                            .map(|d| d.lines().next().unwrap_or("").to_string())
                    })
                });
            // The first 20 distinct references, in record order (records come sorted by id), without
            // copying every reference of every merged record first.
            let mut references: Vec<String> = Vec::new();
            'refs: for h in &hits {
                for r in &h.record.references {
                    if references.len() == 20 {
                        break 'refs;
                    }
                    if !r.url.is_empty() && !references.contains(&r.url) {
                        references.push(r.url.clone());
                    }
                }
            }
            let mut advisories: Vec<String> = hits.iter().map(|h| h.record.id.clone()).collect();
            advisories.sort();
            advisories.dedup();
            let status = if fixed.is_some() {
                VulnStatus::Fixed
            } else {
                // Every unfixed record must name a no-fix status for the finding to carry it;
                // one plain "affected" record keeps it affected.
                let unfixed: Vec<Option<VulnStatus>> = hits
                    .iter()
                    .filter(|h| h.fixed.is_none())
                    .map(|h| h.status)
                    .collect();
                if unfixed.iter().all(Option::is_some) {
                    unfixed
                        .iter()
                        .flatten()
                        .max()
                        .copied()
                        .unwrap_or(VulnStatus::Affected)
                } else {
                    VulnStatus::Affected
                }
            };
            let installed = pkg.full_version();
            let message = match &fixed {
                Some(f) => format!("{} {installed} is affected by {id}; fixed in {f}", pkg.name),
                None => format!(
                    "{} {installed} is affected by {id}; no fixed version ({})",
                    pkg.name,
                    status.as_str()
                ),
            };
            let mut f = Finding::new(
                FindingKind::Vulnerability,
                id.clone(),
                best.0,
                title.unwrap_or_else(|| id.clone()),
                message,
            );
            f.aliases = aliases;
            f.severity_source = best.1;
            f.cvss = best.2.map(|score| Cvss {
                score,
                vector: best.3,
            });
            f.package = Some(PackageRef {
                key: pkg.key(),
                name: pkg.name.clone(),
                version: installed,
                kind: pkg.kind,
                purl: bulkhead_core::purl::package_purl(pkg, os),
            });
            if !pkg.db_path.is_empty() {
                f.location.file = Some(pkg.db_path.trim_start_matches('/').to_string());
            }
            f.location.layer = pkg.layer.clone();
            f.status = Some(status);
            f.fix = fixed.map(|v| Fix {
                version: Some(v),
                remediation: None,
            });
            f.references = references;
            f.evidence
                .insert("advisories".into(), serde_json::json!(advisories));
            if let Some(h) = hits.first() {
                f.evidence
                    .insert("data_source".into(), serde_json::json!(h.ecosystem));
            }
            out.push(f);
        }
    }
    let key = |f: &Finding| {
        let p = f.package.as_ref();
        (
            p.map(|p| p.name.clone()),
            p.map(|p| p.version.clone()),
            f.id.clone(),
        )
    };
    out.sort_by_cached_key(key);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::osv::Range;

    fn range(events: Vec<Event>) -> Affected {
        Affected {
            ranges: vec![Range {
                kind: RangeType::Ecosystem,
                repo: None,
                events,
                database_specific: None,
            }],
            ..Default::default()
        }
    }

    #[test]
    fn osv_range_semantics() {
        let a = range(vec![
            Event::Introduced("0".into()),
            Event::Fixed("2.2.10".into()),
        ]);
        assert_eq!(
            affected_version(&a, "2.2.9", Ecosystem::PyPI),
            Some(Some("2.2.10".into()))
        );
        assert_eq!(affected_version(&a, "2.2.10", Ecosystem::PyPI), None);
        let la = range(vec![
            Event::Introduced("1.0".into()),
            Event::LastAffected("1.5".into()),
        ]);
        assert_eq!(affected_version(&la, "1.5", Ecosystem::PyPI), Some(None));
        assert_eq!(affected_version(&la, "1.5.1", Ecosystem::PyPI), None);
        assert_eq!(affected_version(&la, "0.9", Ecosystem::PyPI), None);
        // Two windows in one range, written out of order.
        let multi = range(vec![
            Event::Fixed("3.2.5".into()),
            Event::Introduced("3.2".into()),
            Event::Introduced("0".into()),
            Event::Fixed("2.2.28".into()),
        ]);
        assert_eq!(
            affected_version(&multi, "2.2.27", Ecosystem::PyPI),
            Some(Some("2.2.28".into()))
        );
        assert_eq!(affected_version(&multi, "3.0", Ecosystem::PyPI), None);
        assert_eq!(
            affected_version(&multi, "3.2.1", Ecosystem::PyPI),
            Some(Some("3.2.5".into()))
        );
        // dpkg order with epochs and tildes.
        let deb = range(vec![
            Event::Introduced("0".into()),
            Event::Fixed("1:2.3-1~deb12u1".into()),
        ]);
        assert!(affected_version(&deb, "1:2.3-1~deb12u0", Ecosystem::Dpkg).is_some());
        assert!(
            affected_version(&deb, "2.9", Ecosystem::Dpkg).is_some(),
            "no epoch sorts before epoch 1"
        );
    }

    #[test]
    fn will_not_fix_status() {
        let mut a = range(vec![Event::Introduced("0".into())]);
        assert_eq!(entry_status(&a), None);
        a.database_specific = Some(serde_json::json!({"status": "will_not_fix"}));
        assert_eq!(entry_status(&a), Some(VulnStatus::WillNotFix));
        a.database_specific = Some(serde_json::json!({"status": "end_of_life"}));
        assert_eq!(entry_status(&a), Some(VulnStatus::EndOfLife));
        a.database_specific = Some(serde_json::json!({"status": "fix_deferred"}));
        assert_eq!(entry_status(&a), Some(VulnStatus::FixDeferred));
        a.database_specific = Some(serde_json::json!({"status": "unfixed"}));
        assert_eq!(entry_status(&a), None);
        a.database_specific = Some(serde_json::json!({"source": "x"}));
        assert_eq!(entry_status(&a), None);
    }

    fn record(id: &str, aliases: &[&str], upstream: &[&str]) -> Record {
        serde_json::from_value(serde_json::json!({
            "id": id, "modified": "2024-01-01T00:00:00Z",
            "aliases": aliases, "upstream": upstream,
        }))
        .unwrap()
    }

    #[test]
    fn flaws_split_bundled_advisories_only() {
        let set = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        // A GHSA with one CVE alias is one flaw with both names.
        assert_eq!(
            flaws(&record("GHSA-x", &["CVE-1", "PYSEC-1"], &[])),
            vec![set(&["CVE-1", "GHSA-x", "PYSEC-1"])]
        );
        // A DSA (or RHSA) fixing two CVEs is two flaws, and its id joins neither.
        assert_eq!(
            flaws(&record("DSA-1", &["CVE-1", "CVE-2"], &[])),
            vec![set(&["CVE-1"]), set(&["CVE-2"])]
        );
        assert_eq!(
            flaws(&record("RHSA-1", &[], &["CVE-1", "CVE-2"])),
            vec![set(&["CVE-1"]), set(&["CVE-2"])]
        );
        // A distro record of one CVE (DEBIAN-CVE-1, upstream CVE-1) stays one flaw.
        assert_eq!(
            flaws(&record("DEBIAN-CVE-1", &[], &["CVE-1"])),
            vec![set(&["CVE-1", "DEBIAN-CVE-1"])]
        );
    }

    #[test]
    fn alpine_follows_its_repositories_release() {
        let pkg = Package {
            kind: Some(PackageKind::Apk),
            name: "git".into(),
            version: "2.35.1-r2".into(),
            src_name: Some("git".into()),
            ..Default::default()
        };
        let mut os = OsInfo {
            family: "alpine".into(),
            version: "3.16.2".into(),
            ..Default::default()
        };
        assert_eq!(
            target_for(&pkg, Some(&os)).unwrap().release.unwrap(),
            "Alpine:v3.16"
        );
        os.repository = Some("edge".into());
        assert_eq!(
            target_for(&pkg, Some(&os)).unwrap().release.unwrap(),
            "Alpine:edge"
        );
        os.repository = Some("3.17".into());
        assert_eq!(
            target_for(&pkg, Some(&os)).unwrap().release.unwrap(),
            "Alpine:v3.17"
        );
    }

    #[test]
    fn rpm_releases() {
        let os = |family: &str, version: &str| OsInfo {
            family: family.into(),
            version: version.into(),
            pretty_name: None,
            codename: None,
            source: String::new(),
            repository: None,
        };
        for (family, version, want) in [
            ("centos", "7.6.1810", "Red Hat:enterprise_linux:7"),
            ("redhat", "8.9", "Red Hat:enterprise_linux:8"),
            ("amazon", "2018.03", "Amazon Linux:1"),
            ("amazon", "2 (Karoo)", "Amazon Linux:2"),
            ("amazon", "2023", "Amazon Linux:2023"),
            ("opensuse-leap", "15.1", "openSUSE:Leap 15.1"),
            ("sles", "15.3", "SUSE:Linux Enterprise Server 15 SP3"),
            ("photon", "3.0", "Photon OS:3.0"),
            ("oracle", "8.0", "Oracle Linux:8"),
        ] {
            assert_eq!(rpm_release(&os(family, version)).unwrap().1, want);
        }
        let t = Target {
            base: "Red Hat",
            release: Some("Red Hat:enterprise_linux:7".into()),
            name: "bash".into(),
            version: "4.2".into(),
            order: Ecosystem::Rpm,
        };
        assert!(ecosystem_applies("Red Hat:enterprise_linux:7::server", &t));
        assert!(!ecosystem_applies(
            "Red Hat:enterprise_linux:70::server",
            &t
        ));
        assert!(!ecosystem_applies(
            "Red Hat:enterprise_linux:8::appstream",
            &t
        ));
    }

    #[test]
    fn cvss_scores() {
        assert_eq!(cvss2_score("AV:N/AC:L/Au:N/C:P/I:P/A:P"), Some(7.5));
        assert_eq!(cvss2_score("AV:N/AC:M/Au:N/C:N/I:P/A:N"), Some(4.3));
        let r = Record {
            severity: vec![crate::osv::Severity {
                kind: "CVSS_V3".into(),
                score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into(),
            }],
            ..Default::default()
        };
        let (sev, _, score, _) = rate(&r, &Affected::default());
        assert_eq!((sev, score), (Severity::Critical, Some(9.8)));
    }

    #[test]
    fn ubuntu_lts_streams_apply_but_pro_does_not() {
        let t = Target {
            base: "Ubuntu",
            release: Some("Ubuntu:22.04".into()),
            name: "openssl".into(),
            version: "1".into(),
            order: Ecosystem::Dpkg,
        };
        assert!(ecosystem_applies("Ubuntu:22.04:LTS", &t));
        assert!(!ecosystem_applies("Ubuntu:Pro:22.04:LTS", &t));
        assert!(!ecosystem_applies("Ubuntu:20.04:LTS", &t));
    }
}
