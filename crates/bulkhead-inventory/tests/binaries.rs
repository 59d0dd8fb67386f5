//! Packages built into executables (Go build info, cargo-auditable), on the `langvuln` test image
//! (scripts/build-test-images.sh langvuln): Debian's Go binaries, a Go module binary built with
//! `-ldflags -X main.version=…`, a `-trimpath -s -w` copy of it, and a Rust binary built with
//! cargo-auditable — against `go version -m` and `cargo tree` of the same binaries, written at
//! build time. Read twice: from the image (layer stream, whole executables) and from the same files
//! as a directory (only the ELF headers and the named sections read).

mod common;

use bulkhead_core::{Package, PackageKind};
use bulkhead_inventory::Inventory;
use std::collections::BTreeSet;
use std::path::PathBuf;

fn testdata() -> Option<PathBuf> {
    let dir = PathBuf::from(
        std::env::var("BULKHEAD_TESTDATA").unwrap_or_else(|_| "/var/tmp/bulkhead-testdata".into()),
    );
    let need = [
        "langvuln.docker.tar",
        "langvuln.root",
        "langvuln.expected-binaries.txt",
    ];
    if need.iter().all(|n| dir.join(n).exists()) {
        return Some(dir);
    }
    let strict = std::env::var("BULKHEAD_STRICT").is_ok_and(|v| v == "1");
    assert!(
        !strict,
        "BULKHEAD_STRICT=1 and the langvuln test image is absent"
    );
    println!("SKIP: langvuln absent (scripts/build-test-images.sh langvuln builds it)");
    None
}

type Row = (String, String, String);

fn built_in(inv: &Inventory) -> BTreeSet<Row> {
    inv.packages
        .iter()
        .filter(|p| matches!(p.kind, Some(PackageKind::Golang | PackageKind::Cargo)))
        .map(|p| (p.db_path.clone(), p.name.clone(), p.version.clone()))
        .collect()
}

/// The oracle's rows; a main module's `(devel)` becomes what the analyzer must report instead:
/// the `-ldflags -X main.version` value for bh-goapp, nothing for the stripped copy.
fn expected(dir: &std::path::Path) -> BTreeSet<Row> {
    let text = std::fs::read_to_string(dir.join("langvuln.expected-binaries.txt")).unwrap();
    text.lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let version = match (f[0], f[2]) {
                ("/usr/local/bin/bh-goapp", "(devel)") => "1.4.2",
                (_, "(devel)") => "",
                (_, v) => v,
            };
            (f[0].to_string(), f[1].to_string(), version.to_string())
        })
        .collect()
}

fn check(inv: &Inventory, want: &BTreeSet<Row>, how: &str) {
    let got = built_in(inv);
    let missing: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(want).collect();
    let agree = got.intersection(want).count();
    println!(
        "langvuln {how}: {agree}/{} modules and crates agree with go version -m / cargo tree",
        want.len()
    );
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{how}: missing {missing:?}, extra {extra:?}"
    );
    // Debian's GOPATH builds: the Go version only, and a warning that says so.
    assert!(
        inv.warnings
            .iter()
            .any(|w| w.contains("without module information") && w.contains("/usr/bin/fzf")),
        "{:?}",
        inv.warnings
    );
    // The main module depends on everything else in its binary; crates keep their edges.
    let pkg = |path: &str, name: &str| -> &Package {
        inv.packages
            .iter()
            .find(|p| p.db_path == path && p.name == name)
            .unwrap_or_else(|| panic!("{name} in {path}"))
    };
    let main = pkg("/usr/local/bin/bh-goapp", "example.com/bh-goapp");
    assert!(
        main.depends_on
            .iter()
            .any(|d| d.starts_with("golang.org/x/net@"))
    );
    assert!(main.depends_on.iter().any(|d| d.starts_with("stdlib@v1.")));
    let app = pkg("/usr/local/bin/bh-rustvuln", "bh-rustvuln");
    assert!(
        app.depends_on.contains(&"regex@1.5.4".to_string()),
        "{:?}",
        app.depends_on
    );
    let regex = pkg("/usr/local/bin/bh-rustvuln", "regex");
    assert!(
        regex
            .depends_on
            .iter()
            .any(|d| d.starts_with("regex-syntax@"))
    );
}

#[test]
fn langvuln_image_matches_go_version_m_and_cargo_tree() {
    let Some(dir) = testdata() else { return };
    let want = expected(&dir);
    assert!(want.len() > 10, "oracle too small: {want:?}");
    let scanned = bulkhead_image::scan_target(
        dir.join("langvuln.docker.tar").to_str().unwrap(),
        &bulkhead_inventory::wanted(),
        &bulkhead_image::ScanOptions::default(),
    )
    .expect("scan langvuln.docker.tar");
    let inv = bulkhead_inventory::analyze(&scanned.index);
    check(&inv, &want, "image");
    // Each package names the layer that added its executable.
    assert!(
        inv.packages
            .iter()
            .filter(|p| p.kind == Some(PackageKind::Cargo))
            .all(|p| p.layer.as_deref().is_some_and(|l| l.starts_with("sha256:")))
    );

    let index = bulkhead_image::rootfs::index_rootfs(
        &dir.join("langvuln.root"),
        &bulkhead_inventory::wanted(),
        &bulkhead_image::Limits::default(),
    )
    .expect("index langvuln.root");
    check(&bulkhead_inventory::analyze(&index), &want, "directory");
}

/// An executable over `max_probed_file` is not probed, and the report says so; truncated copies
/// of a real Go binary and of a real cargo-auditable binary never panic and find nothing false.
#[test]
fn limits_and_truncated_executables() {
    let Some(dir) = testdata() else { return };
    let limits = bulkhead_image::Limits {
        max_probed_file: 1 << 20,
        ..Default::default()
    };
    let index = bulkhead_image::rootfs::index_rootfs(
        &dir.join("langvuln.root"),
        &bulkhead_inventory::wanted(),
        &limits,
    )
    .unwrap();
    assert!(
        index
            .warnings
            .iter()
            .any(|w| w.contains("bh-goapp") && w.contains("max_probed_file")),
        "{:?}",
        index.warnings
    );
    for bin in ["usr/local/bin/bh-goapp", "usr/local/bin/bh-rustvuln"] {
        let data = std::fs::read(dir.join("langvuln.root").join(bin)).unwrap();
        let whole = bulkhead_inventory::binary::probe(bulkhead_image::ProbeInput::Bytes(&data));
        assert!(whole.is_some(), "{bin}: nothing found in the whole file");
        let mut step = data.len() / 97;
        step = step.max(1);
        for cut in (0..data.len()).step_by(step) {
            let _ =
                bulkhead_inventory::binary::probe(bulkhead_image::ProbeInput::Bytes(&data[..cut]));
        }
    }
}

/// Small real ELF executables made here with the C compiler, each carrying one embedded package
/// list in the section the toolchains use: Go 1.18+ inline build information (framed module text
/// with a replacement and `-ldflags -X main.version`), and a cargo-auditable `.dep-v0` list. Read
/// through the directory walk as `bulkhead fs` reads a project; no test image needed.
#[test]
fn compiled_elf_sections_are_found_by_content() {
    let Some(dir) = compile_seeds() else { return };
    let r = common::Rootfs::new("elf");
    for (name, to) in [("go-seed", "opt/app/server"), ("rust-seed", "srv/tool")] {
        r.put(to, &std::fs::read(dir.path.join(name)).unwrap());
        let p = r.path.join(to);
        std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    }
    // The same bytes without an execute bit are not probed.
    r.put(
        "opt/app/server.copy",
        &std::fs::read(dir.path.join("go-seed")).unwrap(),
    );
    let inv = r.inventory();
    let got: BTreeSet<Row> = built_in(&inv);
    let want: BTreeSet<Row> = [
        ("/opt/app/server", "stdlib", "v1.20.1"),
        ("/opt/app/server", "golang.org/x/text", "v0.3.8"),
        ("/opt/app/server", "example.com/seed", "v1.0.0"),
        ("/srv/tool", "seed", "0.1.0"),
        ("/srv/tool", "regex", "1.5.4"),
    ]
    .into_iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    assert_eq!(got, want);
}

/// Build the two seed executables with `cc` (see [`compiled_elf_sections_are_found_by_content`]).
fn compile_seeds() -> Option<common::Rootfs> {
    fn uvarint(mut n: usize, out: &mut Vec<u8>) {
        loop {
            let b = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(b);
                return;
            }
            out.push(b | 0x80);
        }
    }
    let have_cc = std::process::Command::new("cc")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have_cc {
        let strict = std::env::var("BULKHEAD_STRICT").is_ok_and(|v| v == "1");
        assert!(!strict, "BULKHEAD_STRICT=1 and no C compiler (cc)");
        println!("SKIP: no C compiler; this test checked nothing");
        return None;
    }
    let modinfo = b"path\texample.com/seed\nmod\texample.com/seed\tv1.0.0\th1:x=\ndep\tgolang.org/x/text\tv0.3.7\th1:y=\n=>\tgolang.org/x/text\tv0.3.8\th1:z=\nbuild\t-ldflags=\"-X main.version=1.0.0\"\n";
    // cmd/go's sentinels around the module text.
    let mut framed = b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6".to_vec();
    framed.extend_from_slice(modinfo);
    framed.extend_from_slice(b"\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2");
    let mut go = b"\xff Go buildinf:\x08\x02".to_vec();
    go.extend_from_slice(&[0; 16]);
    uvarint(8, &mut go);
    go.extend_from_slice(b"go1.20.1");
    uvarint(framed.len(), &mut go);
    go.extend_from_slice(&framed);
    let json = br#"{"packages":[{"name":"seed","version":"0.1.0","source":"local","dependencies":[1],"root":true},{"name":"regex","version":"1.5.4","source":"crates.io"},{"name":"cc","version":"1.0.0","source":"crates.io","kind":"build"}]}"#;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut z, json).unwrap();
    let dep = z.finish().unwrap();
    let dir = common::Rootfs::new("elf-seeds");
    for (name, section, bytes) in [
        ("go-seed", ".go.buildinfo", go),
        ("rust-seed", ".dep-v0", dep),
    ] {
        let arr: Vec<String> = bytes.iter().map(|b| b.to_string()).collect();
        let src = format!(
            "__attribute__((section(\"{section}\"), aligned(16), used)) static const unsigned char \
             blob[{}] = {{{}}};\nint main(void) {{ return 0; }}\n",
            bytes.len(),
            arr.join(",")
        );
        let c = dir.path.join(format!("{name}.c"));
        std::fs::write(&c, src).unwrap();
        let out = std::process::Command::new("cc")
            .args(["-Os", "-s", "-o"])
            .arg(dir.path.join(name))
            .arg(&c)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Some(dir)
}

/// Java archives (Debian's jars, a .war with nested jars, a jar without coordinates) against every
/// `pom.properties` Python's zipfile finds in them at build time; Ruby gems against the gemspec
/// file names (`name-version.gemspec`) of Debian's ruby-* packages. From the image and from the
/// same files as a directory.
#[test]
fn langvuln_java_archives_and_gems() {
    let Some(dir) = testdata() else { return };
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    let java: BTreeSet<Row> = read("langvuln.expected-java.txt")
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].to_string(), f[1].to_string(), f[2].to_string())
        })
        .collect();
    let gems: BTreeSet<Row> = read("langvuln.expected-gems.txt")
        .lines()
        .map(|l| {
            let path = l.split('\t').next().unwrap();
            let stem = path
                .rsplit('/')
                .next()
                .unwrap()
                .trim_end_matches(".gemspec");
            let (name, version) = stem.rsplit_once('-').unwrap();
            (path.to_string(), name.to_string(), version.to_string())
        })
        .collect();
    assert!(java.len() >= 15 && gems.len() >= 4, "{java:?} {gems:?}");
    let rows = |inv: &Inventory, kind: PackageKind| -> BTreeSet<Row> {
        inv.packages
            .iter()
            .filter(|p| p.kind == Some(kind))
            .map(|p| (p.db_path.clone(), p.name.clone(), p.version.clone()))
            .collect()
    };
    let scanned = bulkhead_image::scan_target(
        dir.join("langvuln.docker.tar").to_str().unwrap(),
        &bulkhead_inventory::wanted(),
        &bulkhead_image::ScanOptions::default(),
    )
    .expect("scan langvuln.docker.tar");
    let from_image = bulkhead_inventory::analyze(&scanned.index);
    let index = bulkhead_image::rootfs::index_rootfs(
        &dir.join("langvuln.root"),
        &bulkhead_inventory::wanted(),
        &bulkhead_image::Limits::default(),
    )
    .unwrap();
    let from_dir = bulkhead_inventory::analyze(&index);
    for (inv, how) in [(&from_image, "image"), (&from_dir, "directory")] {
        assert_eq!(rows(inv, PackageKind::Maven), java, "{how}: Java artifacts");
        assert_eq!(rows(inv, PackageKind::Gem), gems, "{how}: gems");
        assert!(
            inv.warnings
                .iter()
                .any(|w| w.contains("no Maven coordinates") && w.contains("/srv/anonymous.jar")),
            "{how}: {:?}",
            inv.warnings
        );
        let rack = inv.packages.iter().find(|p| p.name == "rack").unwrap();
        assert_eq!(rack.licenses, ["MIT"], "{how}");
        println!(
            "langvuln {how}: {} Java artifacts (3 in a .war, 2 of them nested) and {} gems equal \
             the oracles",
            java.len(),
            gems.len()
        );
    }
}
