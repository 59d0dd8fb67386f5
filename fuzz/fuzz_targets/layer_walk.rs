//! Fuzz the layer walker: arbitrary bytes as a (possibly compressed) layer stream, walked and applied
//! to an index with every path wanted, under small limits (so the bounds themselves are exercised),
//! then every path resolved and read back.
#![no_main]
use bulkhead_image::index::{ImageIndex, LayerInfo};
use bulkhead_image::{Limits, MAX_LAYER_WARNINGS, Wanted};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_layer_uncompressed: 64 << 20,
        max_captured_file: 1 << 20,
        max_captured_per_layer: 8 << 20,
        max_captured_total: 4 << 20,
        max_index_bytes: 16 << 20,
        max_path_len: 1024,
        ..Limits::default()
    };
    let wanted = Wanted::new("fuzz", |_| true);
    let Ok((_, dec)) = bulkhead_image::compress::decompress(data, limits.max_layer_uncompressed)
    else {
        return;
    };
    if let Ok(facts) = bulkhead_image::walk::walk_layer(dec, "fuzz", &wanted, &limits) {
        assert!(facts.warnings.len() <= MAX_LAYER_WARNINGS + 1);
        assert!(
            facts
                .entries
                .iter()
                .all(|e| e.path.len() <= limits.max_path_len)
        );
        let mut idx = ImageIndex::with_limits(&limits);
        let paths: Vec<String> = facts.entries.iter().map(|e| e.path.clone()).collect();
        let info = LayerInfo {
            diff_id: "fuzz".into(),
            digest: None,
            created_by: None,
        };
        if idx.apply_layer(info, facts).is_ok() {
            assert!(idx.captured_bytes() <= limits.max_captured_total);
            assert!(idx.index_bytes() <= limits.max_index_bytes);
            for p in paths {
                if let Some(r) = idx.resolve(&p) {
                    assert!(
                        !r.split('/').any(|c| c == ".."),
                        "resolved path escapes: {r}"
                    );
                }
                let _ = idx.read(&p);
            }
        }
    }
});
