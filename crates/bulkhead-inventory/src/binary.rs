//! Packages built into executables, found by content wherever the executables are (not by path):
//!
//! - **Go**: the build information the Go toolchain embeds (`go version -m`): the Go version (the
//!   standard library, reported as the `stdlib` module, as Trivy and the Go vulnerability database
//!   name it), the main module and every dependency module, with `=>` replacements applied. A
//!   `(devel)` main module takes its version from `-ldflags -X …version=` when one is set there,
//!   as Trivy does; otherwise it has none. Binaries built without module information (GOPATH
//!   mode, as Debian builds its Go packages) report the Go version only, with a warning that says
//!   so; Go binaries without build information (before Go 1.13, or stripped of it) are a warning.
//! - **Rust**: the dependency list cargo-auditable embeds (the `.dep-v0` section, zlib-compressed
//!   JSON): every runtime crate (build-time ones are not in the binary) with its dependency edges.
//!
//! The [`probe`] runs during the image walk on every ELF executable (see
//! [`bulkhead_image::Probe`]) and keeps a small record; [`analyze_ctx`] turns the records into
//! packages. On a root filesystem only the ELF headers and the sections named here are read.
//!
//! Written by hand over the `object` crate's ELF reader: Go's `debug/buildinfo` and
//! `runtime/debug.ParseBuildInfo` have no Rust equivalent, and the auditable crates read the JSON
//! from a whole in-memory binary only.

use bulkhead_core::{Package, PackageKind};
use bulkhead_image::{ImageIndex, MAX_PROBE_RECORD, ProbeInput};
use object::{Object, ObjectSection, ObjectSegment, ReadRef};
use serde::{Deserialize, Serialize};
use std::io::Read;

/// What the probe keeps of one executable.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Go build information: `None` for a non-Go binary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub go: Option<GoInfo>,
    /// The cargo-auditable dependency JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rust: Option<String>,
    /// A Java archive's artifacts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub java: Option<crate::jar::Archive>,
}

/// A Go binary's build information as embedded (empty strings when absent).
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoInfo {
    /// `go1.21.5` (empty: a Go binary without build information).
    pub version: String,
    /// The module information text (`path`, `mod`, `dep`, `=>`, `build` lines), framing removed.
    pub modinfo: String,
}

const BUILDINFO_MAGIC: &[u8] = b"\xff Go buildinf:";
/// Most bytes of a section (or string) read; the record is bounded by the same figure.
const MAX_READ: u64 = MAX_PROBE_RECORD as u64 / 2;

/// The analyzers' [`bulkhead_image::Probe`]: a Java archive (by its path) is read for its
/// artifacts; anything else is looked into as an ELF executable ([`probe`]). The record is JSON
/// ([`Record`]).
pub fn probe_file(path: &str, input: ProbeInput<'_>) -> Option<Vec<u8>> {
    if crate::jar::wants(path) {
        let archive = match input {
            ProbeInput::Bytes(b) => crate::jar::read_archive(std::io::Cursor::new(b), path),
            ProbeInput::File(f) => crate::jar::read_archive(std::io::BufReader::new(f), path),
        };
        let empty = archive.artifacts.is_empty() && archive.unidentified.is_empty();
        let record = Record {
            java: Some(archive),
            ..Default::default()
        };
        return (!empty || !record.java.as_ref()?.problems.is_empty())
            .then(|| serde_json::to_vec(&record).ok())
            .flatten();
    }
    probe(input)
}

/// Look into an ELF executable for Go build information or a cargo-auditable dependency list;
/// `None` when it has neither (or is no ELF file). The returned record is JSON ([`Record`]).
pub fn probe(exec: ProbeInput<'_>) -> Option<Vec<u8>> {
    let record = match exec {
        ProbeInput::Bytes(b) => probe_object(b)?,
        ProbeInput::File(f) => {
            let cache = object::ReadCache::new(f);
            probe_object(&cache)?
        }
    };
    serde_json::to_vec(&record).ok()
}

fn probe_object<'d, R: ReadRef<'d>>(data: R) -> Option<Record> {
    let file = object::File::parse(data).ok()?;
    if file.format() != object::BinaryFormat::Elf {
        return None;
    }
    let mut record = Record::default();
    if let Some(s) = file.section_by_name(".dep-v0") {
        record.rust = auditable_json(&s);
    }
    if record.rust.is_none() {
        record.go = go_info(&file);
    }
    (record.go.is_some() || record.rust.is_some()).then_some(record)
}

/// The decompressed cargo-auditable JSON of a `.dep-v0` section (at most [`MAX_READ`] bytes).
fn auditable_json<'d, 'f, R: ReadRef<'d>>(s: &object::Section<'d, 'f, R>) -> Option<String> {
    if s.size() > MAX_READ {
        return None;
    }
    let compressed = s.data().ok()?;
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(compressed)
        .take(MAX_READ + 1)
        .read_to_end(&mut out)
        .ok()?;
    if out.len() as u64 > MAX_READ {
        return None;
    }
    String::from_utf8(out).ok()
}

/// Go build information as `debug/buildinfo` finds it: the `.go.buildinfo` section, or else the
/// first 64 KiB of the first writable segment, searched for the 16-byte aligned magic.
fn go_info<'d, R: ReadRef<'d>>(file: &object::File<'d, R>) -> Option<GoInfo> {
    let window = match file.section_by_name(".go.buildinfo") {
        Some(s) => s
            .data_range(s.address(), s.size().min(MAX_READ))
            .ok()
            .flatten(),
        None => file
            .segments()
            .find(|seg| {
                matches!(seg.flags(), object::SegmentFlags::Elf { p_flags } if p_flags & 2 != 0)
            })
            .and_then(|seg| {
                seg.data_range(seg.address(), seg.size().min(64 << 10))
                    .ok()
                    .flatten()
            }),
    };
    let found = window.and_then(|w| buildinfo(file, w));
    if found.is_some() {
        return found;
    }
    // A Go binary without (readable) build information: say it is Go, version unknown.
    let is_go = file.section_by_name(".gopclntab").is_some()
        || file.section_by_name(".note.go.buildid").is_some();
    is_go.then(GoInfo::default)
}

/// Decode the build information blob found in `data` (see Go's `debug/buildinfo.Read`).
fn buildinfo<'d, R: ReadRef<'d>>(file: &object::File<'d, R>, mut data: &[u8]) -> Option<GoInfo> {
    const ALIGN: usize = 16;
    const SIZE: usize = 32;
    loop {
        let i = memchr::memmem::find(data, BUILDINFO_MAGIC)?;
        if data.len() - i < SIZE {
            return None;
        }
        if i % ALIGN == 0 {
            data = &data[i..];
            break;
        }
        data = &data[(i + ALIGN - 1) & !(ALIGN - 1)..];
    }
    let ptr_size = data[14] as usize;
    let flags = data[15];
    let (version, modinfo) = if flags & 2 != 0 {
        // Go 1.18+: varint-prefixed strings follow the header.
        let (v, rest) = varint_string(&data[SIZE..])?;
        let (m, _) = varint_string(rest).unwrap_or((Vec::new(), &[]));
        (v, m)
    } else {
        if ptr_size != 4 && ptr_size != 8 {
            return None;
        }
        let big = flags & 1 != 0;
        let ptr = |b: &[u8]| -> Option<u64> {
            let b = b.get(..ptr_size)?;
            Some(match (ptr_size, big) {
                (4, false) => u32::from_le_bytes(b.try_into().ok()?) as u64,
                (4, true) => u32::from_be_bytes(b.try_into().ok()?) as u64,
                (_, false) => u64::from_le_bytes(b.try_into().ok()?),
                (_, true) => u64::from_be_bytes(b.try_into().ok()?),
            })
        };
        // A Go string header (data pointer, length) at `addr`.
        let string_at = |addr: u64| -> Option<Vec<u8>> {
            let head = read_at(file, addr, 2 * ptr_size as u64)?;
            let (p, n) = (ptr(head)?, ptr(&head[ptr_size..])?);
            if n > MAX_READ {
                return None;
            }
            read_at(file, p, n).map(<[u8]>::to_vec)
        };
        let v = string_at(ptr(data.get(16..)?)?)?;
        let m = ptr(data.get(16 + ptr_size..)?)
            .and_then(string_at)
            .unwrap_or_default();
        (v, m)
    };
    if version.is_empty() {
        return None;
    }
    // Module framing: 16-byte sentinels (not UTF-8) around the text.
    let n = modinfo.len();
    let modinfo = if n >= 33 && modinfo[n - 17] == b'\n' {
        String::from_utf8_lossy(&modinfo[16..n - 16]).into_owned()
    } else {
        String::new()
    };
    Some(GoInfo {
        version: String::from_utf8_lossy(&version).into_owned(),
        modinfo,
    })
}

/// `n` bytes at virtual address `addr`, from the section that holds them.
fn read_at<'d, R: ReadRef<'d>>(file: &object::File<'d, R>, addr: u64, n: u64) -> Option<&'d [u8]> {
    file.sections()
        .filter(|s| s.address() <= addr && addr - s.address() < s.size())
        .find_map(|s| s.data_range(addr, n).ok().flatten())
}

/// A uvarint-prefixed string and what follows it.
fn varint_string(data: &[u8]) -> Option<(Vec<u8>, &[u8])> {
    let (mut n, mut shift, mut i) = (0u64, 0u32, 0usize);
    loop {
        let b = *data.get(i)?;
        i += 1;
        if shift >= 64 {
            return None;
        }
        n |= ((b & 0x7f) as u64) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let n = usize::try_from(n).ok()?;
    let s = data.get(i..i.checked_add(n)?)?;
    Some((s.to_vec(), &data[i + n..]))
}

/// A module as `runtime/debug.Module` has it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Module {
    pub path: String,
    pub version: String,
    pub replace: Option<Box<Module>>,
}

/// Build information as `runtime/debug.ParseBuildInfo` reads the module text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildInfo {
    pub path: String,
    pub main: Module,
    pub deps: Vec<Module>,
    /// `build` settings (`-ldflags`, `CGO_ENABLED`, `vcs.revision`, …), in order.
    pub settings: Vec<(String, String)>,
}

/// Parse the module text. Lines that do not parse are skipped (Go fails the whole text; a partial
/// answer is more useful for a scanner, and no line can change another's meaning).
pub fn parse_modinfo(text: &str) -> BuildInfo {
    let mut bi = BuildInfo::default();
    // Which module a `=>` line replaces: the main one (None) or the last dependency.
    let mut last: Option<Option<usize>> = None;
    for line in text.lines() {
        let mut f = line.split('\t');
        let (Some(kind), rest) = (f.next(), f.collect::<Vec<_>>()) else {
            continue;
        };
        let module = |rest: &[&str]| -> Option<Module> {
            let path = rest.first().filter(|p| !p.is_empty())?;
            Some(Module {
                path: path.to_string(),
                version: rest.get(1).map(|v| v.to_string()).unwrap_or_default(),
                replace: None,
            })
        };
        match kind {
            "path" => bi.path = rest.first().map(|s| s.to_string()).unwrap_or_default(),
            "mod" => {
                if let Some(m) = module(&rest) {
                    bi.main = m;
                    last = Some(None);
                }
            }
            "dep" => {
                if let Some(m) = module(&rest) {
                    bi.deps.push(m);
                    last = Some(Some(bi.deps.len() - 1));
                }
            }
            "=>" => {
                let (Some(target), Some(m)) = (last.take(), module(&rest)) else {
                    continue;
                };
                match target {
                    None => bi.main.replace = Some(Box::new(m)),
                    Some(i) => bi.deps[i].replace = Some(Box::new(m)),
                }
            }
            "build" => {
                let kv = rest.join("\t");
                if let Some((k, v)) = split_setting(&kv) {
                    bi.settings.push((k, v));
                }
            }
            _ => {}
        }
    }
    bi
}

/// `key=value`, either side possibly Go-quoted (`"-ldflags"="-X main.version=1.2.3"` is written
/// `-ldflags="-X main.version=1.2.3"`).
fn split_setting(kv: &str) -> Option<(String, String)> {
    let (key, rest) = if kv.starts_with('"') {
        let (k, n) = go_unquote(kv)?;
        (k, kv[n..].strip_prefix('=')?)
    } else {
        let (k, v) = kv.split_once('=')?;
        (k.to_string(), v)
    };
    let value = if rest.starts_with('"') {
        go_unquote(rest).map(|(v, _)| v)?
    } else {
        rest.to_string()
    };
    Some((key, value))
}

/// A Go double-quoted string at the start of `s`: its value and the bytes it took.
fn go_unquote(s: &str) -> Option<(String, usize)> {
    let mut out = String::new();
    let mut chars = s.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, i + 1)),
            '\\' => {
                let (_, e) = chars.next()?;
                out.push(match e {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    other => other,
                });
            }
            c => out.push(c),
        }
    }
    None
}

/// `-X` values of an `-ldflags` setting, split as a shell would (`-X key=value`, `-X=key=value`,
/// quoted or not).
fn ldflags_x(ldflags: &str) -> Vec<(String, String)> {
    let words = shell_words(ldflags);
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        let value = if w == "-X" || w == "--X" {
            i += 1;
            words.get(i).cloned()
        } else {
            w.strip_prefix("-X=")
                .or_else(|| w.strip_prefix("--X="))
                .map(str::to_string)
        };
        if let Some(v) = value {
            // pflag's string-to-string flag: comma-separated pairs.
            for pair in v.split(',') {
                if let Some((k, val)) = pair.split_once('=') {
                    out.push((
                        k.trim_start_matches('\'').to_string(),
                        val.trim_end_matches('\'').to_string(),
                    ));
                }
            }
        }
        i += 1;
    }
    out
}

/// Words of a command line with single and double quotes and backslashes (no expansion).
fn shell_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    cur.push(c);
                }
            }
            '"' => {
                in_word = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => {
                            if let Some(n) = chars.next() {
                                cur.push(n);
                            }
                        }
                        c => cur.push(c),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

/// Whether `v` is a semantic version as Go's `x/mod/semver` accepts it (`v` optional, as Trivy
/// tries both): `MAJOR[.MINOR[.PATCH]]`, pre-release and build parts only with all three.
fn is_semver(v: &str) -> bool {
    let v = v.strip_prefix('v').unwrap_or(v);
    let (main, build) = match v.split_once('+') {
        Some((m, b)) => (m, Some(b)),
        None => (v, None),
    };
    let (core, pre) = match main.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (main, None),
    };
    let num = |p: &str| {
        !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && (p == "0" || !p.starts_with('0'))
    };
    let idents = |s: &str, numeric_rule: bool| {
        s.split('.').all(|id| {
            !id.is_empty()
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && (!numeric_rule || !id.bytes().all(|b| b.is_ascii_digit()) || num(id))
        })
    };
    let parts: Vec<&str> = core.split('.').collect();
    if parts.len() > 3 || !parts.iter().all(|p| num(p)) {
        return false;
    }
    if (pre.is_some() || build.is_some()) && parts.len() != 3 {
        return false;
    }
    pre.is_none_or(|p| idents(p, true)) && build.is_none_or(|b| idents(b, false))
}

/// The main module's version from `-ldflags -X` (Trivy's rules: keys ending in `.version` or
/// `.ver` with a semantic version value; one under `<module>/cmd/` first, then the prefixes
/// `main`, `common`, `version`, `cmd`, then any; two candidates in the first class found: none).
fn ldflags_version(module: &str, settings: &[(String, String)]) -> String {
    let Some((_, flags)) = settings.iter().find(|(k, _)| k == "-ldflags") else {
        return String::new();
    };
    let mut classes: [Vec<String>; 3] = Default::default();
    for (key, val) in ldflags_x(flags) {
        let lower = key.to_ascii_lowercase();
        if !(lower.ends_with(".version") || lower.ends_with(".ver")) || !is_semver(&val) {
            continue;
        }
        let prefix = {
            let s = key.rsplit_once('/').map_or(key.as_str(), |(_, s)| s);
            s.split('.').next().unwrap_or("").to_ascii_lowercase()
        };
        let class = if key.starts_with(&format!("{module}/cmd/")) {
            0
        } else if ["main", "common", "version", "cmd"].contains(&prefix.as_str()) {
            1
        } else {
            2
        };
        if !classes[class].contains(&val) {
            classes[class].push(val);
        }
    }
    for c in classes {
        match c.len() {
            0 => continue,
            1 => return c[0].clone(),
            _ => return String::new(),
        }
    }
    String::new()
}

/// `(devel)` is no version.
fn checked(v: &str) -> String {
    if v == "(devel)" {
        String::new()
    } else {
        v.to_string()
    }
}

/// The packages of one Go binary: `stdlib` at the Go version, the dependencies (replacements
/// applied), and the main module depending on all of them.
pub fn go_packages(info: &GoInfo) -> (Vec<Package>, bool) {
    let std_version = {
        let v = info.version.strip_prefix("go").unwrap_or(&info.version);
        format!("v{}", v.split(' ').next().unwrap_or(v))
    };
    let bi = parse_modinfo(&info.modinfo);
    let pkg = |name: &str, version: String| Package {
        kind: Some(PackageKind::Golang),
        name: name.to_string(),
        version,
        ..Default::default()
    };
    let mut out = vec![pkg("stdlib", std_version)];
    for d in &bi.deps {
        let m = d.replace.as_deref().unwrap_or(d);
        out.push(pkg(&m.path, checked(&m.version)));
    }
    if !bi.main.path.is_empty() {
        let mut version = checked(&bi.main.version);
        let ld = ldflags_version(&bi.main.path, &bi.settings);
        if version.is_empty() || (version.starts_with("v0.0.0") && !ld.is_empty()) {
            version = ld;
        }
        let mut main = pkg(&bi.main.path, version);
        main.depends_on = crate::ids(out.iter().map(|p| (p.name.as_str(), p.version.as_str())));
        main.properties = build_properties(&info.version, &bi.settings);
        out.push(main);
    }
    (out, !bi.main.path.is_empty())
}

/// The toolchain and the build settings of a Go binary, as package properties (`GoVersion`,
/// `GoBuildSetting:<key>`). A setting given twice keeps its last value, as `go version -m`
/// readers do.
fn build_properties(
    go_version: &str,
    settings: &[(String, String)],
) -> std::collections::BTreeMap<String, String> {
    let mut props = std::collections::BTreeMap::new();
    if !go_version.is_empty() {
        props.insert("GoVersion".to_string(), go_version.to_string());
    }
    for (k, v) in settings {
        props.insert(format!("GoBuildSetting:{k}"), v.clone());
    }
    props
}

/// A crate in a cargo-auditable list.
#[derive(Deserialize)]
struct AuditablePackage {
    name: String,
    version: String,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    dependencies: Vec<usize>,
}

#[derive(Deserialize)]
struct Auditable {
    packages: Vec<AuditablePackage>,
}

/// The runtime crates of a cargo-auditable list, with their runtime dependencies.
pub fn rust_packages(json: &str) -> Result<Vec<Package>, serde_json::Error> {
    let a: Auditable = serde_json::from_str(json)?;
    let runtime = |p: &AuditablePackage| p.kind.as_deref().is_none_or(|k| k == "runtime");
    let mut out = Vec::new();
    for p in &a.packages {
        if !runtime(p) {
            continue;
        }
        let deps = crate::ids(
            p.dependencies
                .iter()
                .filter_map(|&i| a.packages.get(i))
                .filter(|d| runtime(d))
                .map(|d| (d.name.as_str(), d.version.as_str())),
        );
        out.push(Package {
            kind: Some(PackageKind::Cargo),
            name: p.name.clone(),
            version: p.version.clone(),
            depends_on: deps,
            ..Default::default()
        });
    }
    Ok(out)
}

/// Add the packages built into the index's executables.
pub(crate) fn analyze_ctx(index: &ImageIndex, packages: &mut Vec<Package>, ctx: &mut crate::Ctx) {
    let mut no_modules = Vec::new();
    let mut no_info = Vec::new();
    let mut unidentified: Vec<String> = Vec::new();
    for (path, captured) in index.probed() {
        let mut fw = crate::FileWarnings::default();
        let record: Record = match serde_json::from_slice(&captured.data) {
            Ok(r) => r,
            Err(e) => {
                fw.push(ctx, || format!("/{path}: unreadable probe record: {e}"));
                continue;
            }
        };
        if let Some(archive) = &record.java {
            java_packages(
                index,
                ctx,
                &mut fw,
                packages,
                path,
                archive,
                &mut unidentified,
            );
            fw.finish(ctx, path);
            continue;
        }
        let found = match (&record.go, &record.rust) {
            (_, Some(json)) => match rust_packages(json) {
                Ok(p) => p,
                Err(e) => {
                    fw.push(ctx, || {
                        format!("/{path}: cargo-auditable dependency list does not parse: {e}")
                    });
                    continue;
                }
            },
            (Some(go), None) if go.version.is_empty() => {
                no_info.push(path);
                continue;
            }
            (Some(go), None) => {
                let (p, modules) = go_packages(go);
                if !modules {
                    no_modules.push(path);
                }
                p
            }
            (None, None) => continue,
        };
        for mut p in found {
            p.layer = crate::layer_of(index, path);
            p.db_path = format!("/{path}");
            crate::push_package(ctx, &mut fw, packages, p, path, "a module");
        }
        fw.finish(ctx, path);
    }
    let list = |v: &[&str]| -> String {
        let shown: Vec<String> = v.iter().take(5).map(|p| format!("/{p}")).collect();
        let more = v.len().saturating_sub(5);
        if more > 0 {
            format!("{} and {more} more", shown.join(", "))
        } else {
            shown.join(", ")
        }
    };
    if !no_modules.is_empty() {
        let n = no_modules.len();
        let l = list(&no_modules);
        ctx.warn(|| {
            format!(
                "{n} Go binaries were built without module information (in GOPATH mode, as \
                 Debian builds them): only their Go version (stdlib) is known: {l}"
            )
        });
    }
    if !unidentified.is_empty() {
        let n = unidentified.len();
        let shown: Vec<&str> = unidentified.iter().take(5).map(String::as_str).collect();
        let more = n.saturating_sub(5);
        ctx.warn(|| {
            format!(
                "{n} Java archives have no Maven coordinates (no pom.properties, no usable \
                 manifest) and are not identified: {}{}",
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            )
        });
    }
    if !no_info.is_empty() {
        let n = no_info.len();
        let l = list(&no_info);
        ctx.warn(|| {
            format!(
                "{n} Go binaries carry no build information (built before Go 1.13, or removed): \
                 their Go version and modules are unknown: {l}"
            )
        });
    }
}

/// The packages of one Java archive: `group:artifact` at the archive's path (or the nested
/// archive's, `/app.war!/WEB-INF/lib/x.jar`).
fn java_packages(
    index: &ImageIndex,
    ctx: &mut crate::Ctx,
    fw: &mut crate::FileWarnings,
    packages: &mut Vec<Package>,
    path: &str,
    archive: &crate::jar::Archive,
    unidentified: &mut Vec<String>,
) {
    for problem in &archive.problems {
        fw.push(ctx, || format!("/{path}{problem}"));
    }
    for u in &archive.unidentified {
        unidentified.push(format!("/{path}{u}"));
    }
    for a in &archive.artifacts {
        let p = Package {
            kind: Some(PackageKind::Maven),
            name: format!("{}:{}", a.group, a.artifact),
            version: a.version.clone(),
            layer: crate::layer_of(index, path),
            db_path: format!("/{path}{}", a.inner),
            ..Default::default()
        };
        crate::push_package(ctx, fw, packages, p, path, "an artifact");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modinfo_with_replacements_and_settings() {
        let text = "path\texample.com/cmd/app\nmod\texample.com\t(devel)\t\ndep\tgolang.org/x/net\tv0.7.0\th1:abc=\ndep\tgithub.com/old/x\tv1.0.0\th1:x=\n=>\tgithub.com/new/x\tv1.2.0\th1:y=\nbuild\t-ldflags=\"-s -w -X main.version=1.4.2\"\nbuild\tCGO_ENABLED=0\nbuild\tvcs.revision=abc123\n";
        let bi = parse_modinfo(text);
        assert_eq!(bi.path, "example.com/cmd/app");
        assert_eq!(bi.main.version, "(devel)");
        assert_eq!(bi.deps.len(), 2);
        assert_eq!(
            bi.deps[1].replace.as_deref().map(|m| m.path.as_str()),
            Some("github.com/new/x")
        );
        assert_eq!(
            bi.settings[0],
            (
                "-ldflags".to_string(),
                "-s -w -X main.version=1.4.2".to_string()
            )
        );
        let (pkgs, modules) = go_packages(&GoInfo {
            version: "go1.19.8 X:boringcrypto".into(),
            modinfo: text.into(),
        });
        assert!(modules);
        let got: Vec<(&str, &str)> = pkgs
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("stdlib", "v1.19.8"),
                ("golang.org/x/net", "v0.7.0"),
                ("github.com/new/x", "v1.2.0"),
                ("example.com", "1.4.2"),
            ]
        );
        assert_eq!(pkgs[3].depends_on.len(), 3);
        // The toolchain and the build settings ride on the main module.
        let props: Vec<(&str, &str)> = pkgs[3]
            .properties
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            props,
            [
                ("GoBuildSetting:-ldflags", "-s -w -X main.version=1.4.2"),
                ("GoBuildSetting:CGO_ENABLED", "0"),
                ("GoBuildSetting:vcs.revision", "abc123"),
                ("GoVersion", "go1.19.8 X:boringcrypto"),
            ]
        );
        assert!(pkgs[0].properties.is_empty(), "stdlib has none");
    }

    #[test]
    fn ldflags_versions_follow_trivys_classes() {
        let s = |f: &str| vec![("-ldflags".to_string(), f.to_string())];
        assert_eq!(ldflags_version("m", &s("-X main.version=1.0.0")), "1.0.0");
        assert_eq!(ldflags_version("m", &s("-X=main.Version=v2.1.0")), "v2.1.0");
        assert_eq!(ldflags_version("m", &s("-X 'main.version=1.0.0'")), "1.0.0");
        // Not a semantic version, or not a version key.
        assert_eq!(ldflags_version("m", &s("-X main.version=dev")), "");
        assert_eq!(ldflags_version("m", &s("-X main.goversion=1.0.0")), "");
        // The module's own cmd/ key wins over main; two in one class: none.
        assert_eq!(
            ldflags_version("m", &s("-X m/cmd/x.version=3.0.0 -X main.version=1.0.0")),
            "3.0.0"
        );
        assert_eq!(
            ldflags_version("m", &s("-X main.version=1.0.0 -X cmd.version=2.0.0")),
            ""
        );
        assert!(is_semver("1.2.3") && is_semver("v1.2") && !is_semver("1.02.3"));
    }

    #[test]
    fn auditable_runtime_crates_and_edges() {
        let json = r#"{"packages":[
            {"name":"app","version":"0.1.0","source":"local","dependencies":[1,2],"root":true},
            {"name":"regex","version":"1.5.4","source":"crates.io","dependencies":[3]},
            {"name":"cc","version":"1.0.0","source":"crates.io","kind":"build"},
            {"name":"memchr","version":"2.4.1","source":"crates.io"}]}"#;
        let p = rust_packages(json).unwrap();
        let got: Vec<(&str, &str, Vec<String>)> = p
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.depends_on.clone()))
            .collect();
        assert_eq!(
            got,
            [
                ("app", "0.1.0", vec!["regex@1.5.4".to_string()]),
                ("regex", "1.5.4", vec!["memchr@2.4.1".to_string()]),
                ("memchr", "2.4.1", vec![]),
            ]
        );
        assert!(rust_packages("{").is_err());
    }

    #[test]
    fn varints_and_garbage() {
        assert_eq!(
            varint_string(b"\x03abcde").map(|(s, r)| (s, r.to_vec())),
            Some((b"abc".to_vec(), b"de".to_vec()))
        );
        assert_eq!(
            varint_string(b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"),
            None
        );
        assert_eq!(varint_string(b"\x09abc"), None);
        assert!(probe(ProbeInput::Bytes(b"\x7fELF garbage")).is_none());
        assert!(probe(ProbeInput::Bytes(b"")).is_none());
    }
}
