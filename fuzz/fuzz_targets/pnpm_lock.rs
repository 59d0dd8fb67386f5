#![no_main]
//! Bytes as a project's `pnpm-lock.yaml` (any lockfileVersion), as `bulkhead fs` reads it: the
//! YAML parsed within serde-saphyr's budgets, keys and dependencies split.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(lock) = bulkhead_inventory::pnpm::parse(data) {
        for p in &lock.packages {
            assert!(!p.name.is_empty() && !p.version.is_empty());
        }
    }
});
