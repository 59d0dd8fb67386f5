//! Fuzz the layer walker: arbitrary bytes as a (possibly compressed) layer stream, walked and applied
//! to an index with every path wanted.
#![no_main]
use bulkhead_image::index::{ImageIndex, LayerInfo};
use bulkhead_image::{Limits, Wanted};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_layer_uncompressed: 64 << 20,
        max_captured_file: 1 << 20,
        max_captured_per_layer: 8 << 20,
        ..Limits::default()
    };
    let wanted = Wanted::new("fuzz", |_| true);
    let Ok((_, dec)) = bulkhead_image::compress::decompress(data, limits.max_layer_uncompressed, limits.max_ratio) else {
        return;
    };
    if let Ok(facts) = bulkhead_image::walk::walk_layer(dec, "fuzz", &wanted, &limits) {
        let mut idx = ImageIndex::new();
        let paths: Vec<String> = facts.entries.iter().map(|e| e.path.clone()).collect();
        idx.apply_layer(LayerInfo { diff_id: "fuzz".into(), digest: None, created_by: None }, facts);
        for p in paths {
            let _ = idx.read(&p);
        }
    }
});
