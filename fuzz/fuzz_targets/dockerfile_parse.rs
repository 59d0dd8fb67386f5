//! Fuzz the Dockerfile parser, and on success the shell splitter and variable expansion over
//! what it produced: per stage (`for_each_with_env`) and over the whole file under a small
//! expansion budget (`walk_env`), whose limits must hold. Checks that positions stay inside the
//! file.
#![no_main]
use bulkhead_dockerfile::{
    Command, ExpandBudget, ExpandLimits, ParseOptions, expand, parse_with, shell::split_commands,
};
use libfuzzer_sys::fuzz_target;
use std::rc::Rc;

const EXPAND: ExpandLimits = ExpandLimits {
    max_word_bytes: 4 << 10,
    max_file_bytes: 64 << 10,
};

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
    for s in 0..df.stages.len().min(16) {
        df.for_each_with_env(s, |i, t| {
            if let Command::Workdir(w) = &i.command {
                let _ = t.expand(&w.raw);
            }
        });
    }
    // The whole file in one pass under a small budget: no word gains more than the per-word
    // limit from its variables (a value is at most its literal text plus that).
    let text = String::from_utf8_lossy(data);
    let opts = ParseOptions {
        expand: EXPAND,
        ..ParseOptions::default()
    };
    let Ok(df) = parse_with(&text, &opts) else {
        return;
    };
    let budget = Rc::new(ExpandBudget::new(EXPAND));
    df.walk_env(budget.clone(), |_, i, t| {
        let word = match &i.command {
            Command::User(u) => &u.word,
            Command::Workdir(w) => w,
            _ => return,
        };
        let v = t.expand(&word.raw);
        assert!(
            v.len() <= word.raw.len() + EXPAND.max_word_bytes,
            "{}",
            v.len()
        );
    });
    if let Some(b) = budget.breach() {
        assert!(
            b.line <= df.line_count,
            "breach at line {} of {}",
            b.line,
            df.line_count
        );
    }
});
