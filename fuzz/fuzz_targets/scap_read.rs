#![no_main]
//! Bytes as a .scap capture (gzip or plain): blocks, metadata, events, conversion.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(cap) = bulkhead_scap::Capture::new(std::io::Cursor::new(data.to_vec())) else {
        return;
    };
    let mut cap = cap.with_conversion(true);
    for ev in cap.events() {
        match ev {
            Ok(ev) => {
                let _ = ev.to_string();
            }
            Err(_) => break,
        }
    }
    let _ = bulkhead_scap::summarize(std::io::Cursor::new(data.to_vec()), false);
});
