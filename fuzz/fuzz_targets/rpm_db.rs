//! Fuzzes `bulkhead_rpmdb::read_packages` (format detection, then the SQLite,
//! Berkeley DB or NDB reader), its lenient variant, and the bounded variant
//! (every kept path within the budget and the length limit).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = bulkhead_rpmdb::detect_format(data);
    let _ = bulkhead_rpmdb::read_packages(data);
    let _ = bulkhead_rpmdb::read_packages_lenient(data);
    let opts = bulkhead_rpmdb::ReadOptions {
        max_file_bytes: 64 << 10,
        max_path_len: 256,
    };
    if let Ok(r) = bulkhead_rpmdb::read_packages_lenient_with(data, &opts) {
        let used: u64 = r
            .packages
            .iter()
            .flat_map(|p| &p.files)
            .map(|f| f.len() as u64 + 48)
            .sum();
        assert!(used <= opts.max_file_bytes);
        assert!(
            r.packages
                .iter()
                .flat_map(|p| &p.files)
                .all(|f| f.len() <= opts.max_path_len)
        );
    }
});
