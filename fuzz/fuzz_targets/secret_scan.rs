#![no_main]
//! Bytes as a file scanned for secrets with the built-in rules (as a text file and as a jar, whose
//! members are scanned when the bytes are a zip), and as a trivy-secret.yaml configuration (whose
//! scanner, when it builds, scans the same bytes). Invariants: no panic, and a
//! reported secret never appears unmasked in what is shown.
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn builtin() -> &'static bulkhead_secrets::Scanner {
    static S: OnceLock<bulkhead_secrets::Scanner> = OnceLock::new();
    S.get_or_init(bulkhead_secrets::Scanner::builtin)
}

fuzz_target!(|data: &[u8]| {
    for path in ["/app/file.env", "/app/lib/app.jar"] {
        for s in builtin().scan(path, data) {
            assert!(s.line >= 1);
            assert!(s.masked.chars().filter(|c| *c != '*').count() <= 2);
        }
    }
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(c) = bulkhead_secrets::SecretConfig::parse(text)
        && let Ok(scanner) = c.scanner()
    {
        let _ = scanner.scan("/app/file.env", data);
    }
});
