//! rpm's dependency edges against rpm itself: for the real SQLite rpm database of `../shared`
//! (go-rpmdb's CBL-Mariner 2.0 fixture; Debian's rpm 4.18 reads SQLite, not the NDB or Berkeley DB
//! fixtures, whose headers are the same format), each package's requirements as
//! `rpm -q --qf '[%{REQUIRENAME}\n]'` lists them, each resolved by `rpm -q --whatprovides`
//! (names, provides and file ownership, rpm's own resolution). A package's `depends_on` must be
//! exactly the providers of its requirements, itself left out.

mod common;

use common::{Rootfs, shared};
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

fn rpm(dbpath: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new("rpm")
        .arg("--dbpath")
        .arg(dbpath)
        .args(args)
        .output()
        .expect("rpm");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn rpm_dependency_edges_are_rpms_own() {
    let have = Command::new("rpm").arg("--version").output().is_ok();
    if !have {
        assert!(
            std::env::var("BULKHEAD_STRICT").as_deref() != Ok("1"),
            "rpm is needed (scripts/install-deps.sh installs it)"
        );
        println!("SKIP: rpm not installed; this test checked nothing");
        return;
    }
    let Some(base) = shared("rpm/go-rpmdb") else {
        return;
    };
    let mut edges_total = 0;
    for (fixture, db, dest) in [(
        "cbl-mariner-2.0",
        "cbl-mariner-2.0/rpmdb.sqlite",
        "var/lib/rpm/rpmdb.sqlite",
    )] {
        let src = base.join(db);
        // The database in a root file system: rpm reads it there, and so does the inventory.
        let root = Rootfs::new(fixture);
        root.put(dest, &std::fs::read(&src).unwrap());
        let dbdir = root.path.join(dest).parent().unwrap().to_path_buf();
        // rpm's view: requirement names per package, and who provides each.
        let mut requires: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for line in rpm(&dbdir, &["-qa", "--qf", "[%{=NAME}\\t%{REQUIRENAME}\\n]"]).lines() {
            let Some((p, r)) = line.split_once('\t') else {
                continue;
            };
            if r.starts_with("rpmlib(") || r.starts_with("config(") || p == "gpg-pubkey" {
                continue;
            }
            requires.entry(p.into()).or_default().insert(r.into());
        }
        let all: BTreeSet<&String> = requires.values().flatten().collect();
        let mut provider: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
        for r in &all {
            let out = rpm(&dbdir, &["-q", "--whatprovides", "--qf", "%{NAME}\\n", r]);
            provider.insert(
                r.as_str(),
                out.lines()
                    .filter(|l| !l.starts_with("no package provides"))
                    .map(str::to_string)
                    .collect(),
            );
        }
        let expected: BTreeMap<String, BTreeSet<String>> = requires
            .iter()
            .map(|(p, rs)| {
                let to: BTreeSet<String> = rs
                    .iter()
                    .flat_map(|r| provider[r.as_str()].iter().cloned())
                    .filter(|n| n != p)
                    .collect();
                (p.clone(), to)
            })
            .collect();
        let inv = root.inventory();
        let ours: BTreeMap<String, BTreeSet<String>> = inv
            .packages
            .iter()
            .map(|p| {
                let to = p
                    .depends_on
                    .iter()
                    .map(|d| d.rsplit_once('@').unwrap().0.to_string())
                    .collect();
                (p.name.clone(), to)
            })
            .collect();
        let mut agree = 0;
        for (p, want) in &expected {
            let got = ours.get(p).cloned().unwrap_or_default();
            assert_eq!(&got, want, "{fixture}: {p}'s dependencies");
            agree += 1;
            edges_total += want.len();
        }
        assert!(agree > 10, "{fixture}: {agree} packages");
        println!(
            "rpm relations {fixture}: {agree}/{} packages' dependency edges exactly rpm --whatprovides'",
            expected.len()
        );
    }
    assert!(edges_total > 100, "{edges_total} edges");
}
