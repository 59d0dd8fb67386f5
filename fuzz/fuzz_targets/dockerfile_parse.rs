//! Fuzz the Dockerfile parser, and on success the shell splitter and variable expansion over
//! what it produced. Checks that positions stay inside the file.
#![no_main]
use bulkhead_dockerfile::{Command, expand, shell::split_commands};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let df = match bulkhead_dockerfile::parse_bytes(data) {
        Ok(df) => df,
        Err(e) => {
            assert!(e.line >= 1, "error line 0: {e}");
            return;
        }
    };
    let lines = df.line_count;
    for i in df.instructions() {
        assert!(1 <= i.start_line && i.start_line <= i.end_line && i.end_line <= lines);
        assert!(i.pos.line >= i.start_line && i.pos.line <= i.end_line);
        for f in &i.flags {
            assert!(f.pos.line >= i.start_line && f.pos.line <= i.end_line);
            let _ = f.fields();
        }
        if let Some(script) = i.shell_script() {
            let _ = split_commands(&script);
        }
        if let Command::Env(kv) | Command::Label(kv) = &i.command {
            for p in kv {
                let _ = expand(&p.value.raw, &[("A", "x")]);
            }
        }
    }
    for s in 0..df.stages.len() {
        df.for_each_with_env(s, |i, t| {
            if let Command::Workdir(w) = &i.command {
                let _ = t.expand(&w.raw);
            }
        });
    }
});
