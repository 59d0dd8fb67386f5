//! Fuzz the settings file reader (`.bulkhead.yaml` / `.hadolint.yaml`): any text gives settings or
//! an error that names the file, never a panic and never the YAML parser's developer hints.
#![no_main]
use bulkhead_config::Settings;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Settings::parse(text, "fuzz.yaml") {
        Ok(s) => {
            for n in &s.notices {
                assert!(n.starts_with("fuzz.yaml: "), "{n}");
            }
        }
        Err(e) => {
            let m = e.to_string();
            assert!(m.starts_with("fuzz.yaml"), "{m}");
            assert!(!m.contains("from_str"), "{m}");
        }
    }
});
