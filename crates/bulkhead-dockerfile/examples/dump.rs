//! Print what the parser makes of a Dockerfile: `cargo run -p bulkhead-dockerfile --example dump -- FILE`.

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: dump DOCKERFILE");
        std::process::exit(2);
    };
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(2);
        }
    };
    let df = match bulkhead_dockerfile::parse_bytes(&bytes) {
        Ok(df) => df,
        Err(e) => {
            eprintln!("{}", e.display_with_path(&path));
            std::process::exit(1);
        }
    };
    for d in &df.directives {
        println!("directive {}={} (line {})", d.name, d.value, d.line);
    }
    println!("escape {:?}", df.escape);
    for i in &df.global_args {
        println!("global {}-{} {:?}", i.start_line, i.end_line, i.command);
    }
    for s in &df.stages {
        println!(
            "stage {} name={:?} base={:?} expanded={:?} platform={:?} parent={:?}",
            s.index, s.name, s.base.raw, s.base_expanded, s.platform, s.parent
        );
        for i in s.all_instructions() {
            println!(
                "  {:>4}-{:<4} {:<11} flags={:?}",
                i.start_line,
                i.end_line,
                i.kind.keyword(),
                i.flags.iter().map(|f| f.raw.as_str()).collect::<Vec<_>>()
            );
            println!("             {:?}", i.command);
            for h in &i.heredocs {
                println!(
                    "             heredoc {:?} expand={} chomp={} lines {}-{}: {:?}",
                    h.name, h.expand, h.chomp, h.start_line, h.end_line, h.body
                );
            }
            if let Some(script) = i.shell_script() {
                for c in bulkhead_dockerfile::shell::split_commands(&script) {
                    println!("             cmd {:?} {:?}", c.argv, c.separator);
                }
            }
        }
    }
    for w in &df.warnings {
        println!("warning line {}: {}", w.line, w.message);
    }
}
