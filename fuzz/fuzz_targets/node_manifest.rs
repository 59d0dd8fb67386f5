#![no_main]
//! Bytes as a Node.js `package.json`, as the inventory's node analyzer reads every one in an image:
//! parsed (JSON, identity and licence fields only), its licences listed.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = bulkhead_inventory::node::Manifest::parse(data) {
        let _ = (m.name.clone(), m.version.clone());
        let _ = m.licenses();
    }
});
