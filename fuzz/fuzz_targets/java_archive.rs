#![no_main]
//! Bytes as a Java archive in an image: the zip directory, pom.properties, MANIFEST.MF and nested
//! archives, bounded by depth and bytes decompressed. Every artifact has full coordinates.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let a = bulkhead_inventory::jar::read_archive(std::io::Cursor::new(data), "app-1.0.0.jar");
    for x in &a.artifacts {
        assert!(!x.group.is_empty() && !x.artifact.is_empty() && !x.version.is_empty());
    }
});
