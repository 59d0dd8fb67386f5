#![no_main]
//! Bytes as one record of the eBPF sensor's ring buffer: parsed with its lengths checked, then
//! decoded into libs events (the kernel is trusted only as far as its bytes go).
use bulkhead_sensor::cgroups::CgroupResolver;
use bulkhead_sensor::decode::Decoder;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(rec) = bulkhead_sensor::record::parse(data) else {
        return;
    };
    let mut d = Decoder::new(CgroupResolver::empty());
    for ev in d.events(&rec) {
        let _ = ev.to_string();
    }
});
