//! Fuzz the OS version schemes (dpkg, rpm, apk 2.x and 3.x): no panics on any input, and the order
//! laws that must hold whenever both versions are accepted: reflexivity and antisymmetry.
//! Input: `a NUL b` (lossy UTF-8); without a NUL, `a` is compared with itself and with its halves.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::cmp::Ordering;

use bulkhead_versions::{apk, dpkg, rpm};

type Cmp = fn(&str, &str) -> Result<Ordering, bulkhead_versions::Error>;

const SCHEMES: [(&str, Cmp); 4] = [
    ("dpkg", dpkg::compare),
    ("rpm", rpm::compare),
    ("apk", apk::compare_v2),
    ("apk3", apk::compare_v3),
];

fn laws(a: &str, b: &str) {
    for (name, cmp) in SCHEMES {
        let ab = cmp(a, b);
        let ba = cmp(b, a);
        // Acceptance does not depend on the argument order.
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
    // The parsed forms order like the strings.
    if let (Ok(x), Ok(y)) = (dpkg::parse(a), dpkg::parse(b)) {
        assert_eq!(Ok(x.cmp(&y)), dpkg::compare(a, b));
    }
    if let (Ok(x), Ok(y)) = (rpm::parse(a), rpm::parse(b)) {
        assert_eq!(Ok(x.cmp(&y)), rpm::compare(a, b));
    }
    let _ = (apk::is_valid(a), apk::is_valid_v3(a), rpm::vercmp(a, b));
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
