#![no_main]
//! Bytes as every language package file read as a whole (Composer installed.json and
//! composer.lock, .NET deps.json / packages.lock.json / packages.config, requirements.txt,
//! Pipfile.lock, poetry.lock, uv.lock, pylock.toml, gemspecs, Gemfile.lock,
//! gradle.lockfile, bun.lock, pom.xml): parse errors are fine, panics are not, and a
//! package always has a name and a version.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    use bulkhead_inventory::{bun, composer, gradle, nuget, pom, pylock, ruby};
    let mut all = Vec::new();
    all.extend(composer::parse_installed(data).unwrap_or_default());
    all.extend(composer::parse_lock(data).unwrap_or_default());
    all.extend(nuget::parse_deps(data).unwrap_or_default());
    all.extend(nuget::parse_lock(data).unwrap_or_default());
    all.extend(nuget::parse_config(data).unwrap_or_default());
    all.extend(pylock::parse_requirements(data));
    all.extend(pylock::parse_pipfile_lock(data).unwrap_or_default());
    all.extend(pylock::parse_poetry(data).unwrap_or_default());
    all.extend(pylock::parse_uv(data).unwrap_or_default());
    all.extend(pylock::parse_pylock(data).unwrap_or_default());
    all.extend(bulkhead_inventory::named(ruby::parse_lock(data)));
    all.extend(bulkhead_inventory::named(gradle::parse(data)));
    if let Ok(p) = pom::parse(data) {
        all.extend(bulkhead_inventory::named(pom::resolve(&p, None).0));
    }
    all.extend(bulkhead_inventory::named(bun::parse(data).unwrap_or_default()));
    if let Ok(g) = ruby::parse_gemspec(data) {
        assert!(!g.name.is_empty() && !g.version.is_empty());
    }
    for l in all {
        assert!(!l.name.is_empty() && !l.version.is_empty(), "{l:?}");
    }
});
