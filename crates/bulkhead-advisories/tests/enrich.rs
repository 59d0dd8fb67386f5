//! Severity enrichment: a finding whose matching records carry no CVSS takes the vectors of another
//! record in the database about the same flaw (here a CVE record of another ecosystem).

use bulkhead_advisories::Store;
use bulkhead_advisories::matcher::match_packages;
use bulkhead_core::{OsInfo, Package, PackageKind, Severity};

#[test]
fn unscored_findings_take_cvss_from_a_record_of_the_same_flaw() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("osv");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(
        src.join("DSA-1.json"),
        r#"{"id":"DSA-1","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2024-0001"],
            "affected":[{"package":{"ecosystem":"Debian:12","name":"foo"},
            "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.0-2"}]}]}]}"#,
    )
    .unwrap();
    std::fs::write(
        src.join("CVE-2024-0001.json"),
        r#"{"id":"CVE-2024-0001","modified":"2024-01-01T00:00:00Z",
            "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
            "affected":[{"package":{"ecosystem":"Ubuntu:22.04","name":"foo"},
            "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.0-1ubuntu1"}]}]}]}"#,
    )
    .unwrap();
    let db = dir.path().join("db.sqlite");
    let mut store = Store::create_or_open(&db).unwrap();
    let report = store.import_paths(&[src], &mut |_| {}).unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let os = OsInfo {
        family: "debian".into(),
        version: "12".into(),
        pretty_name: None,
        codename: None,
        source: "test".into(),
        repository: None,
    };
    let pkg = Package {
        kind: Some(PackageKind::Deb),
        name: "foo".into(),
        version: "1.0-1".into(),
        src_name: Some("foo".into()),
        src_version: Some("1.0-1".into()),
        ..Default::default()
    };
    let found = match_packages(&store, Some(&os), &[pkg]).unwrap();
    assert_eq!(found.len(), 1, "{found:#?}");
    let v = &found[0];
    assert_eq!(v.id, "CVE-2024-0001");
    assert_eq!(
        v.data_source(),
        "Debian:12",
        "the Ubuntu record must not match a Debian package"
    );
    assert_eq!(v.cvss.as_ref().map(|c| c.score), Some(9.8));
    assert_eq!(v.severity, Severity::Critical);
    assert!(
        v.severity_source
            .as_deref()
            .unwrap()
            .contains("CVE-2024-0001"),
        "{:?}",
        v.severity_source
    );
}
