//! Fuzz the language-ecosystem version schemes (crates.io, npm, Go, PyPI, Maven, RubyGems, NuGet,
//! Packagist): no panics on any input, and the order laws that must hold whenever both versions
//! are accepted: reflexivity and antisymmetry; acceptance must not depend on the argument order.
//! Input: `a NUL b` (lossy UTF-8); without a NUL, `a` is compared with itself and with its halves.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::cmp::Ordering;

use bulkhead_versions::{composer, maven, nuget, pep440, rubygems, semver};

type Cmp = fn(&str, &str) -> Result<Ordering, bulkhead_versions::Error>;

const SCHEMES: [(&str, Cmp); 8] = [
    ("crates.io", semver::compare),
    ("npm", semver::compare_npm),
    ("go", semver::compare_go),
    ("pypi", pep440::compare),
    ("maven", maven::compare),
    ("rubygems", rubygems::compare),
    ("nuget", nuget::compare),
    ("packagist", composer::compare),
];

fn laws(a: &str, b: &str) {
    for (name, cmp) in SCHEMES {
        let ab = cmp(a, b);
        let ba = cmp(b, a);
        assert_eq!(ab.is_ok(), ba.is_ok(), "{name}: {a:?} / {b:?}");
        if let (Ok(x), Ok(y)) = (&ab, &ba) {
            assert_eq!(*x, y.reverse(), "{name}: antisymmetry {a:?} / {b:?}");
        }
        for v in [a, b] {
            if let Ok(o) = cmp(v, v) {
                assert_eq!(o, Ordering::Equal, "{name}: reflexivity {v:?}");
            }
        }
    }
    // Every string is a Maven version.
    assert!(maven::compare(a, b).is_ok());
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match text.split_once('\0') {
        Some((a, b)) => laws(a, b),
        None => {
            let mid = text
                .char_indices()
                .nth(text.chars().count() / 2)
                .map_or(0, |(i, _)| i);
            let (a, b) = text.split_at(mid);
            laws(&text, &text);
            laws(a, b);
        }
    }
});
