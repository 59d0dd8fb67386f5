//! The committed fixtures are byte-for-byte copies of `shared/data/pkgdb/` (see
//! tests/fixtures/PROVENANCE.md); when that directory is present, prove it.

mod common;

use common::{files_under, fixture, shared};

#[test]
fn fixtures_are_verbatim_copies_of_shared_data() {
    let local = fixture("");
    let files: Vec<String> = files_under(&local)
        .into_iter()
        .filter(|f| f != "PROVENANCE.md")
        .collect();
    assert!(files.len() >= 80, "fixtures missing: {}", files.len());
    let provenance = std::fs::read_to_string(local.join("PROVENANCE.md")).unwrap();
    for f in &files {
        // Every file is covered by a PROVENANCE.md row (exact path or its top-level subtree).
        let top = f.split('/').take(2).collect::<Vec<_>>().join("/");
        assert!(
            provenance.contains(&format!("| {f} |")) || provenance.contains(&format!("| {top}/**")),
            "{f}: no PROVENANCE.md row"
        );
    }
    if shared("MANIFEST.md").is_none() {
        return;
    }
    let mut compared = 0;
    for f in &files {
        let orig = shared(f).unwrap_or_else(|| panic!("{f}: not in ../shared"));
        assert_eq!(
            std::fs::read(local.join(f)).unwrap(),
            std::fs::read(&orig).unwrap(),
            "{f} differs from {}",
            orig.display()
        );
        compared += 1;
    }
    println!("{compared}/{} fixtures identical to ../shared", files.len());
}
