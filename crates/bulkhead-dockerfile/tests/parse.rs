//! One test per syntax element, with the tricky cases BuildKit handles in its own way.

use bulkhead_dockerfile::{
    Command, CommandLine, CopySource, Dockerfile, Healthcheck, Instruction, Kind, ParseError, Pos,
    VarSource, parse, parse_bytes,
};
use std::time::Duration;

fn ok(src: &str) -> Dockerfile {
    match parse(src) {
        Ok(df) => df,
        Err(e) => panic!("{e}\n---\n{src}"),
    }
}

fn err(src: &str) -> ParseError {
    match parse(src) {
        Ok(df) => panic!("expected an error, got {df:#?}"),
        Err(e) => e,
    }
}

/// All instructions in file order.
fn all(df: &Dockerfile) -> Vec<&Instruction> {
    df.instructions().collect()
}

fn shell_text(i: &Instruction) -> &str {
    match i.command_line() {
        Some(CommandLine::Shell(w)) => &w.value,
        other => panic!("not shell form: {other:?}"),
    }
}

fn exec_args(i: &Instruction) -> Vec<&str> {
    match i.command_line() {
        Some(CommandLine::Exec(w)) => w.iter().map(|w| w.value.as_str()).collect(),
        other => panic!("not exec form: {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// directives

#[test]
fn directives_syntax_escape_check() {
    let df = ok(
        "# syntax=docker/dockerfile:1.7\n#ESCAPE = `\n# check=skip=JSONArgsRecommended,StageNameCasing;error=true\nFROM alpine\n",
    );
    assert_eq!(df.syntax(), Some("docker/dockerfile:1.7"));
    assert_eq!(df.escape, '`');
    let c = df.check().unwrap();
    assert_eq!(c.skip, vec!["JSONArgsRecommended", "StageNameCasing"]);
    assert!(c.error);
    assert_eq!(df.directives.len(), 3);
    assert_eq!(df.directives[1].line, 2);
    // directive lines are not comments
    assert!(df.comments.is_empty());
}

#[test]
fn directives_only_at_the_top() {
    // after a comment, a blank line or an instruction, `# escape=` is an ordinary comment
    for src in [
        "# hello\n# escape=`\nFROM a\n",
        "\n# escape=`\nFROM a\n",
        "FROM a\n# escape=`\n",
        "# unknown=1\n# escape=`\nFROM a\n",
    ] {
        let df = ok(src);
        assert_eq!(df.escape, '\\', "{src:?}");
    }
    // leading whitespace before the directive is fine
    assert_eq!(ok("  # escape=`\nFROM a\n").escape, '`');
}

#[test]
fn directive_errors() {
    let e = err("# escape=x\nFROM a\n");
    assert_eq!(e.line, 1);
    assert_eq!(
        e.to_string(),
        "Dockerfile:1: invalid escape token 'x' does not match ` or \\"
    );
    let e = err("# syntax=a\n# syntax=b\nFROM a\n");
    assert_eq!(e.line, 2);
    assert_eq!(e.message, "only one syntax parser directive can be used");
}

#[test]
fn byte_order_mark_is_ignored() {
    let df = ok("\u{feff}# escape=`\nFROM a\n");
    assert_eq!(df.escape, '`');
    let df = parse_bytes(b"\xef\xbb\xbfFROM a\n").unwrap();
    assert_eq!(df.stages[0].from.pos, Pos { line: 1, column: 1 });
}

#[test]
fn backtick_escape() {
    let src = "# escape=`\nFROM mcr.microsoft.com/windows/servercore\nRUN dir c:\\ `\n    && echo hi\nCOPY testfile.txt c:\\\nRUN echo a \\\nRUN echo `\"q`\"\n";
    let df = ok(src);
    let i = all(&df);
    assert_eq!(i[1].kind, Kind::Run);
    assert_eq!(shell_text(i[1]), "dir c:\\     && echo hi");
    assert_eq!((i[1].start_line, i[1].end_line), (3, 4));
    let Command::Copy(c) = &i[2].command else {
        panic!()
    };
    assert_eq!(
        c.dest.value, "c:\\",
        "backslash is not special with escape=`"
    );
    // a trailing backslash does not continue the line
    assert_eq!(shell_text(i[3]), "echo a \\");
    assert_eq!(i[4].start_line, 7);
}

// ---------------------------------------------------------------------------------------------
// comments, blank lines, continuations

#[test]
fn comments_and_blank_lines() {
    let df = ok(
        "# top\n\nFROM a\n  # indented comment\n\n# hadolint ignore=DL3008\nRUN apt-get install x\n#\n# reset above\nRUN b\n",
    );
    let i = all(&df);
    assert_eq!(i.len(), 3);
    assert_eq!(i[0].comments, vec!["top"]);
    assert_eq!(
        i[1].comments,
        vec!["indented comment", "hadolint ignore=DL3008"]
    );
    assert_eq!(i[2].comments, vec!["reset above"]);
    let lines: Vec<usize> = df.comments.iter().map(|c| c.line).collect();
    assert_eq!(lines, vec![1, 4, 6, 8, 9]);
}

#[test]
fn continuation_with_comment_and_empty_lines() {
    let src = "FROM alpine\nRUN apk add \\\n# a comment inside the continuation\n    curl \\\n    \n  # another\n    git\nUSER nobody\n";
    let df = ok(src);
    let i = all(&df);
    assert_eq!(i.len(), 3);
    let run = i[1];
    assert_eq!(run.original, "RUN apk add     curl     git");
    assert_eq!(shell_text(run), "apk add     curl     git");
    assert_eq!((run.start_line, run.end_line), (2, 7));
    assert_eq!(
        run.source,
        "RUN apk add \\\n# a comment inside the continuation\n    curl \\\n    \n  # another\n    git"
    );
    assert_eq!(i[2].start_line, 8);
    assert_eq!(df.warnings.len(), 1, "empty continuation line warns");
    assert_eq!(df.warnings[0].line, 7);
    // comment lines inside the continuation are recorded but not attached to the next instruction
    assert!(df.comments.iter().any(|c| c.line == 3));
    assert!(i[2].comments.is_empty());
}

#[test]
fn escaped_escape_is_not_a_continuation() {
    let df = ok("FROM a\nRUN echo foo \\\\\nRUN echo bar\n");
    let i = all(&df);
    assert_eq!(i.len(), 3);
    assert_eq!(shell_text(i[1]), "echo foo \\\\");
}

#[test]
fn continuation_at_end_of_file_and_lone_escape_line() {
    let df = ok("FROM a\nRUN echo a \\\n\\\n  b \\");
    let i = all(&df);
    assert_eq!(shell_text(i[1]), "echo a   b", "arguments are trimmed");
    assert_eq!(i[1].end_line, 4);
}

#[test]
fn crlf_line_endings() {
    let df = ok("FROM a\r\nRUN echo a \\\r\n  b\r\nCMD [\"x\"]\r\n");
    let i = all(&df);
    assert_eq!(shell_text(i[1]), "echo a   b");
    assert_eq!(i[1].end_line, 3);
    assert_eq!(exec_args(i[2]), vec!["x"]);
}

// ---------------------------------------------------------------------------------------------
// heredocs

#[test]
fn heredoc_run() {
    let src = "FROM a\nRUN <<EOF\necho $HOME\napt-get update\nEOF\nRUN echo after\n";
    let df = ok(src);
    let i = all(&df);
    let run = i[1];
    assert_eq!((run.start_line, run.end_line), (2, 5));
    assert_eq!(run.heredocs.len(), 1);
    let h = &run.heredocs[0];
    assert_eq!(h.name, "EOF");
    assert!(h.expand && !h.chomp);
    assert_eq!((h.start_line, h.end_line), (3, 5));
    assert_eq!(h.body, "echo $HOME\napt-get update\n");
    assert_eq!(run.shell_script().unwrap(), "echo $HOME\napt-get update\n");
    assert!(!run.heredoc_is_script_file());
    assert_eq!(run.source, "RUN <<EOF\necho $HOME\napt-get update\nEOF");
    assert_eq!(i[2].start_line, 6);
}

#[test]
fn heredoc_quoted_delimiters_and_chomp() {
    let src = "FROM a\nRUN <<-\"EOT\" bash\n\techo \"$X tab stripped\"\n\t\tnested\n\tEOT\nRUN cat <<'E O'\nliteral $Y\nE O\nRUN <<E\"O\"F\nx\nEOF\n";
    let df = ok(src);
    let i = all(&df);
    let h = &i[1].heredocs[0];
    assert_eq!(h.name, "EOT");
    assert!(!h.expand, "quoted delimiter: no expansion");
    assert!(h.chomp);
    assert_eq!(h.body, "\techo \"$X tab stripped\"\n\t\tnested\n");
    assert_eq!(h.content(), "echo \"$X tab stripped\"\nnested\n");
    assert_eq!(i[1].end_line, 5);
    // not a lone heredoc: the shell gets the command plus the heredoc
    assert_eq!(
        i[1].shell_script().unwrap(),
        "<<-\"EOT\" bash\n\techo \"$X tab stripped\"\n\t\tnested\nEOT"
    );
    let h = &i[2].heredocs[0];
    assert_eq!((h.name.as_str(), h.expand), ("E O", false));
    let h = &i[3].heredocs[0];
    assert_eq!((h.name.as_str(), h.expand), ("EOF", false), "partly quoted");
}

#[test]
fn heredoc_terminator_must_match_exactly() {
    // without `-`, a tab-indented terminator does not end the heredoc
    let e = err("FROM a\nRUN <<EOF\nx\n\tEOF\n");
    assert_eq!(e.line, 2);
    assert!(e.message.starts_with("unterminated heredoc"), "{e}");
    // trailing spaces do not match either
    assert!(parse("FROM a\nRUN <<EOF\nx\nEOF \n").is_err());
    // CRLF terminator matches
    ok("FROM a\r\nRUN <<EOF\r\nx\r\nEOF\r\n");
}

#[test]
fn several_heredocs_and_copy() {
    let src = "FROM nginx\nCOPY <<robots.txt <<humans.txt /usr/share/nginx/html/\nUser-agent: *\nrobots.txt\nhumans\nhumans.txt\nRUN cat <<A && cat <<B\na\nA\nb\nB\nRUN cat <<A; echo\nx\nA;\n";
    let df = ok(src);
    let i = all(&df);
    let copy = i[1];
    assert_eq!((copy.start_line, copy.end_line), (2, 6));
    let Command::Copy(c) = &copy.command else {
        panic!()
    };
    assert_eq!(c.dest.value, "/usr/share/nginx/html/");
    assert_eq!(c.sources.len(), 2);
    match (&c.sources[0], &c.sources[1]) {
        (
            CopySource::Heredoc {
                index: Some(0),
                word,
            },
            CopySource::Heredoc { index: Some(1), .. },
        ) => assert_eq!(word.pos, Pos { line: 2, column: 6 }),
        other => panic!("{other:?}"),
    }
    assert_eq!(copy.heredocs[0].body, "User-agent: *\n");
    assert_eq!(copy.heredocs[1].body, "humans\n");
    let run = i[2];
    assert_eq!(run.heredocs.len(), 2);
    assert_eq!(
        run.shell_script().unwrap(),
        "cat <<A && cat <<B\na\nA\nb\nB"
    );
    assert_eq!(run.end_line, 11);
    // BuildKit splits the line into words on whitespace only: the delimiter here is `A;`
    assert_eq!(i[3].heredocs[0].name, "A;");
}

#[test]
fn heredoc_with_interpreter_and_shebang() {
    let df = ok(
        "FROM python\nRUN python3 <<PY\nprint('hi')\nPY\nRUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF\nRUN 3<<EOF cat /dev/fd/3\nx\nEOF\n",
    );
    let i = all(&df);
    assert_eq!(
        i[1].shell_script().unwrap(),
        "python3 <<PY\nprint('hi')\nPY"
    );
    assert!(i[2].heredoc_is_script_file());
    assert_eq!(i[3].heredocs[0].fd, 3);
}

#[test]
fn heredoc_not_read_for_json_or_other_instructions() {
    // exec form: BuildKit does not look for heredocs, the next lines are instructions
    let df = ok("FROM a\nRUN [\"sh\", \"-c\", \"cat <<EOF\"]\nCMD x\n");
    assert_eq!(all(&df).len(), 3);
    assert!(all(&df)[1].heredocs.is_empty());
    // ENV/LABEL/CMD never have heredocs
    let df = ok("FROM a\nCMD cat <<EOF\nUSER x\n");
    assert_eq!(all(&df).len(), 3);
    // `<<<` here-strings and arithmetic shifts are not heredocs
    let df = ok("FROM a\nRUN cat <<<\"$x\" && echo $((1<<2))\nUSER x\n");
    assert_eq!(all(&df).len(), 3);
}

#[test]
fn heredoc_in_onbuild() {
    let df = ok("FROM a\nONBUILD RUN <<EOF\necho hi\nEOF\nUSER x\n");
    let i = all(&df);
    assert_eq!((i[1].start_line, i[1].end_line), (2, 4));
    let Command::Onbuild(o) = &i[1].command else {
        panic!()
    };
    assert_eq!(o.expression, "RUN <<EOF\necho hi\nEOF");
    let t = o.trigger.as_ref().unwrap();
    assert_eq!(t.kind, Kind::Run);
    assert_eq!(t.shell_script().unwrap(), "echo hi\n");
}

#[test]
fn unterminated_heredoc() {
    let e = err("FROM a\nRUN <<EOF\necho\n");
    assert_eq!(
        e.to_string(),
        "Dockerfile:2: unterminated heredoc (no line \"EOF\" after it)"
    );
}

// ---------------------------------------------------------------------------------------------
// JSON vs shell form

#[test]
fn json_and_shell_forms() {
    let src = r#"FROM a
CMD ["sh", "-c", "echo \"hi\" \\ there", "\u00e9"]
ENTRYPOINT ["a", 'b']
RUN [unquoted]
SHELL ["powershell", "-command"]
ENTRYPOINT []
CMD echo ["x"]
RUN ["a"] trailing
"#;
    let df = ok(src);
    let i = all(&df);
    assert_eq!(
        exec_args(i[1]),
        vec!["sh", "-c", "echo \"hi\" \\ there", "é"]
    );
    assert!(i[1].command_line().unwrap().is_exec());
    // invalid JSON silently falls back to shell form
    assert_eq!(shell_text(i[2]), "[\"a\", 'b']");
    assert_eq!(shell_text(i[3]), "[unquoted]");
    let Command::Shell(sh) = &i[4].command else {
        panic!()
    };
    assert_eq!(sh.len(), 2);
    assert_eq!(exec_args(i[5]), Vec::<&str>::new());
    assert_eq!(shell_text(i[6]), "echo [\"x\"]");
    // Go's json.Decoder stops after the array
    assert_eq!(exec_args(i[7]), vec!["a"]);
    // positions of JSON strings point at their quote
    let Some(CommandLine::Exec(w)) = i[1].command_line() else {
        panic!()
    };
    assert_eq!(
        w[1].pos,
        Pos {
            line: 2,
            column: 12
        }
    );
}

#[test]
fn json_array_of_non_strings_is_an_error() {
    let e = err("FROM a\nCMD [\"a\", 1]\n");
    assert_eq!(
        e.to_string(),
        "Dockerfile:2: when using JSON array syntax, arrays must be comprised of strings only"
    );
    assert!(parse("FROM a\nCOPY [\"a\", [\"b\"]]\n").is_err());
}

// ---------------------------------------------------------------------------------------------
// flags

#[test]
fn flags_are_key_values_with_positions() {
    let src = "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\nRUN --mount=type=cache,target=/root/.cache/go-build \\\n    --mount=type=secret,id=npmrc,target=/root/.npmrc,required \\\n    --network=none --security=insecure \\\n    go build ./...\nCOPY --from=build --chown=app:app --chmod=0755 --link /out /usr/bin/\nHEALTHCHECK --interval=30s --timeout=3s --start-period=5s --start-interval=1s --retries=3 CMD curl -f http://localhost/ || exit 1\nRUN --frobnicate=1 true\nCOPY --chown=\"a b\" -- --weird /dst\n";
    let df = ok(src);
    let i = all(&df);
    assert_eq!(df.stages[0].platform.as_deref(), Some("$BUILDPLATFORM"));
    let run = i[1];
    let names: Vec<&str> = run.flags.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, vec!["mount", "mount", "network", "security"]);
    assert_eq!(run.flags_named("mount").count(), 2);
    let m = &run.flags[1];
    assert_eq!(m.pos, Pos { line: 3, column: 5 });
    assert_eq!(
        m.fields(),
        vec![
            ("type".to_string(), Some("secret".to_string())),
            ("id".to_string(), Some("npmrc".to_string())),
            ("target".to_string(), Some("/root/.npmrc".to_string())),
            ("required".to_string(), None),
        ]
    );
    assert_eq!(run.flag("network").unwrap().value.as_deref(), Some("none"));
    assert_eq!(shell_text(run), "go build ./...");
    let Some(CommandLine::Shell(w)) = run.command_line() else {
        panic!()
    };
    assert_eq!(w.pos, Pos { line: 5, column: 5 });
    assert_eq!(run.unknown_flags().count(), 0);

    let copy = i[2];
    assert_eq!(copy.flag("from").unwrap().value.as_deref(), Some("build"));
    assert_eq!(
        copy.flag("chown").unwrap().value.as_deref(),
        Some("app:app")
    );
    assert_eq!(copy.flag("chmod").unwrap().value.as_deref(), Some("0755"));
    assert_eq!(copy.flag("link").unwrap().value, None);
    assert_eq!(
        copy.flag("link").unwrap().pos,
        Pos {
            line: 6,
            column: 48
        }
    );

    let Command::Healthcheck(Healthcheck::Cmd {
        cmd,
        interval,
        timeout,
        start_period,
        start_interval,
        retries,
    }) = &i[3].command
    else {
        panic!()
    };
    assert_eq!(*interval, Some(Duration::from_secs(30)));
    assert_eq!(*timeout, Some(Duration::from_secs(3)));
    assert_eq!(*start_period, Some(Duration::from_secs(5)));
    assert_eq!(*start_interval, Some(Duration::from_secs(1)));
    assert_eq!(*retries, Some(3));
    assert_eq!(cmd.args(), vec!["curl -f http://localhost/ || exit 1"]);

    let unknown: Vec<&str> = i[4].unknown_flags().map(|f| f.name.as_str()).collect();
    assert_eq!(unknown, vec!["frobnicate"]);

    let weird = i[5];
    assert_eq!(weird.flag("chown").unwrap().value.as_deref(), Some("a b"));
    let Command::Copy(c) = &weird.command else {
        panic!()
    };
    assert!(matches!(&c.sources[0], CopySource::Path(w) if w.value == "--weird"));
}

// ---------------------------------------------------------------------------------------------
// instructions

#[test]
fn from_forms() {
    let df = ok("from alpine:3.20 as Builder\nFROM --platform=linux/arm64 builder\nFROM scratch\n");
    assert_eq!(df.stages.len(), 3);
    assert_eq!(df.stages[0].name.as_deref(), Some("builder"));
    let Command::From(f) = &df.stages[0].from.command else {
        panic!()
    };
    assert_eq!(f.alias.as_ref().unwrap().raw, "Builder");
    assert_eq!(df.stages[1].parent, Some(0));
    assert_eq!(df.stages[1].platform.as_deref(), Some("linux/arm64"));
    assert_eq!(df.stages[2].index, 2);
    assert_eq!(df.stages[2].parent, None);
    assert_eq!(df.stage_by_name("BUILDER").unwrap().index, 0);
}

#[test]
fn from_errors() {
    assert_eq!(
        err("FROM\n").to_string(),
        "Dockerfile:1: FROM requires either one or three arguments"
    );
    assert_eq!(
        err("FROM a b\n").message,
        "FROM requires either one or three arguments"
    );
    assert_eq!(
        err("FROM a AS b c\n").message,
        "FROM requires either one or three arguments"
    );
    let e = err("FROM a AS 1x\n");
    assert_eq!(
        e.message,
        "invalid name for build stage: \"1x\", name can't start with a number or contain symbols"
    );
    assert_eq!(e.column, Some(11));
    assert!(parse("FROM a AS b$c\n").is_err());
    ok("FROM a AS b-c_d.e\n");
}

#[test]
fn env_both_forms() {
    let src = "FROM a\nENV A 1 2  3\nENV B=1 C=\"two words\" D=three\\ words E='$A' \\\n    F=\nENV G\t x\n";
    let df = ok(src);
    let i = all(&df);
    let Command::Env(kv) = &i[1].command else {
        panic!()
    };
    assert_eq!(kv.len(), 1);
    assert_eq!(
        (kv[0].key.value.as_str(), kv[0].value.value.as_str()),
        ("A", "1 2  3")
    );
    assert_eq!(kv[0].value.pos, Pos { line: 2, column: 7 });
    let Command::Env(kv) = &i[2].command else {
        panic!()
    };
    let pairs: Vec<(&str, &str, &str)> = kv
        .iter()
        .map(|k| {
            (
                k.key.value.as_str(),
                k.value.raw.as_str(),
                k.value.value.as_str(),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        vec![
            ("B", "1", "1"),
            ("C", "\"two words\"", "two words"),
            ("D", "three\\ words", "three words"),
            ("E", "'$A'", "$A"),
            ("F", "", ""),
        ]
    );
    assert_eq!(kv[4].key.pos, Pos { line: 4, column: 5 });
    let Command::Env(kv) = &i[3].command else {
        panic!()
    };
    assert_eq!(kv[0].value.value, "x");
}

#[test]
fn env_and_label_errors() {
    assert_eq!(
        err("FROM a\nENV A\n").to_string(),
        "Dockerfile:2: ENV must have two arguments"
    );
    assert_eq!(
        err("FROM a\nENV A=1 B\n").message,
        "Syntax error - can't find = in \"B\". Must be of the form: name=value"
    );
    assert_eq!(
        err("FROM a\nENV\n").message,
        "ENV requires at least one argument"
    );
    assert_eq!(
        err("FROM a\nENV =x\n").message,
        "ENV names can not be blank"
    );
    assert_eq!(
        err("FROM a\nLABEL\n").message,
        "LABEL requires at least one argument"
    );
    assert_eq!(
        err("FROM a\nLABEL x\n").message,
        "LABEL must have two arguments"
    );
}

#[test]
fn label_pairs() {
    let df = ok(
        "FROM a\nLABEL \"com.example.vendor\"=\"ACME Incorporated\" version=1.0 \\\n      description=\"This text \\\nillustrates\" multi.label1=\"value1\"\n",
    );
    let Command::Label(kv) = &all(&df)[1].command else {
        panic!()
    };
    let pairs: Vec<(&str, &str)> = kv
        .iter()
        .map(|k| (k.key.value.as_str(), k.value.value.as_str()))
        .collect();
    assert_eq!(
        pairs,
        vec![
            ("com.example.vendor", "ACME Incorporated"),
            ("version", "1.0"),
            ("description", "This text illustrates"),
            ("multi.label1", "value1"),
        ]
    );
}

#[test]
fn other_instructions() {
    let src = "FROM a\nMAINTAINER Jane <jane@example.com>\nEXPOSE 80/tcp 443 $PORT\nADD --checksum=sha256:abc https://example.com/x.tgz /x/\nCOPY [\"a b\", \"/dst/\"]\nCOPY a b c /d/\nVOLUME [\"/data\", \"/logs\"]\nVOLUME /a /b\nUSER app:staff\nUSER 1000\nWORKDIR /srv/$APP\nARG A B=2 C=\"x y\"\nSTOPSIGNAL SIGTERM\nHEALTHCHECK NONE\nHEALTHCHECK CMD [\"curl\", \"-f\", \"http://x\"]\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nENTRYPOINT exec app\n";
    let df = ok(src);
    let i = all(&df);
    let kinds: Vec<Kind> = i.iter().map(|i| i.kind).collect();
    assert_eq!(
        kinds,
        vec![
            Kind::From,
            Kind::Maintainer,
            Kind::Expose,
            Kind::Add,
            Kind::Copy,
            Kind::Copy,
            Kind::Volume,
            Kind::Volume,
            Kind::User,
            Kind::User,
            Kind::Workdir,
            Kind::Arg,
            Kind::StopSignal,
            Kind::Healthcheck,
            Kind::Healthcheck,
            Kind::Shell,
            Kind::Entrypoint,
        ]
    );
    let Command::Maintainer(m) = &i[1].command else {
        panic!()
    };
    assert_eq!(m.value, "Jane <jane@example.com>");
    let Command::Expose(p) = &i[2].command else {
        panic!()
    };
    let ports: Vec<&str> = p.iter().map(|w| w.value.as_str()).collect();
    assert_eq!(ports, vec!["80/tcp", "443", "$PORT"]);
    let Command::Add(a) = &i[3].command else {
        panic!()
    };
    assert!(matches!(&a.sources[0], CopySource::Path(w) if w.value == "https://example.com/x.tgz"));
    assert_eq!(
        i[3].flag("checksum").unwrap().value.as_deref(),
        Some("sha256:abc")
    );
    let Command::Copy(c) = &i[4].command else {
        panic!()
    };
    assert!(c.json);
    assert!(matches!(&c.sources[0], CopySource::Path(w) if w.value == "a b"));
    let Command::Copy(c) = &i[5].command else {
        panic!()
    };
    assert_eq!((c.sources.len(), c.dest.value.as_str()), (3, "/d/"));
    let Command::Volume(v, json) = &i[6].command else {
        panic!()
    };
    assert!(*json);
    assert_eq!(v.len(), 2);
    let Command::Volume(v, json) = &i[7].command else {
        panic!()
    };
    assert!(!*json);
    assert_eq!(v[1].value, "/b");
    let Command::User(u) = &i[8].command else {
        panic!()
    };
    assert_eq!(
        (u.user.as_str(), u.group.as_deref()),
        ("app", Some("staff"))
    );
    let Command::User(u) = &i[9].command else {
        panic!()
    };
    assert_eq!((u.user.as_str(), u.group.as_deref()), ("1000", None));
    let Command::Workdir(w) = &i[10].command else {
        panic!()
    };
    assert_eq!(w.value, "/srv/$APP");
    let Command::Arg(defs) = &i[11].command else {
        panic!()
    };
    let d: Vec<(&str, Option<&str>)> = defs
        .iter()
        .map(|d| {
            (
                d.name.value.as_str(),
                d.default.as_ref().map(|w| w.value.as_str()),
            )
        })
        .collect();
    assert_eq!(d, vec![("A", None), ("B", Some("2")), ("C", Some("x y"))]);
    assert_eq!(
        defs[2].default.as_ref().unwrap().pos,
        Pos {
            line: 12,
            column: 13
        }
    );
    let Command::StopSignal(s) = &i[12].command else {
        panic!()
    };
    assert_eq!(s.value, "SIGTERM");
    assert_eq!(i[13].command, Command::Healthcheck(Healthcheck::None));
    assert_eq!(exec_args(i[14]), vec!["curl", "-f", "http://x"]);
    assert_eq!(shell_text(i[16]), "exec app");
}

#[test]
fn instruction_argument_errors() {
    let cases = [
        (
            "FROM a\nCOPY onlyone\n",
            "COPY requires at least two arguments, but only one was provided. Destination could not be determined",
        ),
        (
            "FROM a\nADD\n",
            "ADD requires at least two arguments, but only one was provided. Destination could not be determined",
        ),
        (
            "FROM a\nCOPY a <<EOF\nx\nEOF\n",
            "COPY cannot accept a heredoc as a destination",
        ),
        (
            "FROM a\nSHELL /bin/sh -c\n",
            "SHELL requires the arguments to be in JSON form",
        ),
        ("FROM a\nSHELL []\n", "SHELL requires at least one argument"),
        (
            "FROM a\nHEALTHCHECK\n",
            "HEALTHCHECK requires at least one argument",
        ),
        (
            "FROM a\nHEALTHCHECK NONE x\n",
            "HEALTHCHECK NONE takes no arguments",
        ),
        (
            "FROM a\nHEALTHCHECK CMD\n",
            "Missing command after HEALTHCHECK CMD",
        ),
        (
            "FROM a\nHEALTHCHECK CMD []\n",
            "Missing command after HEALTHCHECK CMD",
        ),
        (
            "FROM a\nHEALTHCHECK FOO x\n",
            "Unknown type \"FOO\" in HEALTHCHECK (try CMD)",
        ),
        (
            "FROM a\nHEALTHCHECK --interval=abc CMD x\n",
            "time: invalid duration \"abc\"",
        ),
        (
            "FROM a\nHEALTHCHECK --timeout=10 CMD x\n",
            "time: missing unit in duration \"10\"",
        ),
        (
            "FROM a\nHEALTHCHECK --interval=10us CMD x\n",
            "Interval \"interval\" cannot be less than 1ms",
        ),
        (
            "FROM a\nHEALTHCHECK --retries=-1 CMD x\n",
            "--retries cannot be negative (-1)",
        ),
        ("FROM a\nUSER\n", "USER requires exactly one argument"),
        ("FROM a\nWORKDIR\n", "WORKDIR requires exactly one argument"),
        (
            "FROM a\nSTOPSIGNAL\n",
            "STOPSIGNAL requires exactly one argument",
        ),
        (
            "FROM a\nMAINTAINER\n",
            "MAINTAINER requires exactly one argument",
        ),
        ("FROM a\nEXPOSE\n", "EXPOSE requires at least one argument"),
        ("FROM a\nVOLUME\n", "VOLUME requires at least one argument"),
        (
            "FROM a\nVOLUME [\"\"]\n",
            "VOLUME specified can not be an empty string",
        ),
        ("FROM a\nARG\n", "ARG requires at least one argument"),
        ("FROM a\nARG =x\n", "ARG names can not be blank"),
        (
            "FROM a\nONBUILD\n",
            "ONBUILD requires at least one argument",
        ),
    ];
    for (src, msg) in cases {
        let e = err(src);
        assert_eq!(e.message, msg, "{src:?}");
        assert_eq!(e.line, 2, "{src:?}");
    }
}

#[test]
fn unknown_instruction() {
    let e = err("FROM alpine\n\nFOO bar\n");
    assert_eq!(e.to_string(), "Dockerfile:3: unknown instruction: FOO");
    assert_eq!(e.column, Some(1));
    let e = err("FROM alpine\n  COPPY a b\n");
    assert_eq!(e.message, "unknown instruction: COPPY (did you mean COPY?)");
    assert_eq!(e.column, Some(3));
}

#[test]
fn onbuild() {
    let df = ok("FROM a\nONBUILD RUN echo hi\nonbuild copy --chown=1:1 . /app\nONBUILD FOO bar\n");
    let i = all(&df);
    let Command::Onbuild(o) = &i[1].command else {
        panic!()
    };
    assert_eq!(o.expression, "RUN echo hi");
    assert_eq!(shell_text(o.trigger.as_ref().unwrap()), "echo hi");
    let Command::Onbuild(o) = &i[2].command else {
        panic!()
    };
    let t = o.trigger.as_ref().unwrap();
    assert_eq!(t.kind, Kind::Copy);
    assert_eq!(
        t.flag("chown").unwrap().pos,
        Pos {
            line: 3,
            column: 14
        }
    );
    // BuildKit stores unknown triggers and fails only when a child image is built
    let Command::Onbuild(o) = &i[3].command else {
        panic!()
    };
    assert!(o.trigger.is_none());
    assert_eq!(o.trigger_error.as_deref(), Some("unknown instruction: FOO"));
}

#[test]
fn onbuild_errors() {
    assert_eq!(
        err("FROM a\nONBUILD ONBUILD RUN x\n").message,
        "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"
    );
    assert_eq!(
        err("FROM a\nONBUILD FROM x\n").message,
        "FROM isn't allowed as an ONBUILD trigger"
    );
    assert_eq!(
        err("FROM a\nONBUILD maintainer x\n").message,
        "MAINTAINER isn't allowed as an ONBUILD trigger"
    );
    // a long ONBUILD chain neither recurses nor panics
    let chain = format!("FROM a\n{}RUN x\n", "ONBUILD ".repeat(8_000));
    assert!(err(&chain).message.starts_with("Chaining ONBUILD"));
}

// ---------------------------------------------------------------------------------------------
// stages, global args, structure errors

#[test]
fn stages_and_global_args() {
    let src = "ARG BASE=alpine\nARG TAG\nARG REG=docker.io/library\nFROM ${REG}/${BASE}:${TAG:-3.20} AS build\nRUN make\nFROM --platform=$BUILDPLATFORM build AS test\nRUN make test\nFROM $UNKNOWN\n";
    let df = ok(src);
    assert_eq!(df.global_args.len(), 3);
    assert_eq!(df.stages.len(), 3);
    let s = &df.stages[0];
    assert_eq!(s.base.raw, "${REG}/${BASE}:${TAG:-3.20}");
    assert_eq!(s.base_expanded, "docker.io/library/alpine:3.20");
    assert_eq!((s.start_line(), s.end_line()), (4, 5));
    assert_eq!(s.instructions.len(), 1);
    assert_eq!(df.stages[1].parent, Some(0));
    assert_eq!(df.stages[1].platform.as_deref(), Some("$BUILDPLATFORM"));
    assert_eq!(df.stages[2].base_expanded, "$UNKNOWN");
    assert_eq!(df.instructions().count(), 8);
}

#[test]
fn structure_errors() {
    let e = err("RUN echo\nFROM a\n");
    assert_eq!(e.line, 1);
    assert!(
        e.message.starts_with("no build stage in current context"),
        "{e}"
    );
    let e = err("ARG A=1\nENV B=2\nFROM a\n");
    assert_eq!(e.line, 2);
    assert_eq!(
        err("").to_string(),
        "Dockerfile:1: file with no instructions"
    );
    assert_eq!(
        err("# just a comment\n\n").message,
        "file with no instructions"
    );
    assert_eq!(
        err("ARG A\n").message,
        "dockerfile contains no stages to build (no FROM instruction)"
    );
}

#[test]
fn phase_one_errors_come_first() {
    // BuildKit parses the whole file into nodes first: the heredoc error on line 4 wins over the
    // unknown instruction on line 2
    let e = err("FROM a\nFOO\nRUN x\nRUN <<EOF\n");
    assert_eq!(e.line, 4);
}

#[test]
fn limits() {
    let long = format!("FROM a\nRUN echo {}\n", "x".repeat(70_000));
    let e = err(&long);
    assert_eq!(e.line, 2);
    assert_eq!(
        e.message,
        "dockerfile line greater than max allowed size of 65535"
    );
    let big = vec![b'#'; bulkhead_dockerfile::MAX_INPUT_BYTES + 1];
    assert_eq!(parse_bytes(&big).unwrap_err().line, 1);
    let many = format!(
        "FROM a\n{}",
        "RUN a\n".repeat(bulkhead_dockerfile::MAX_INSTRUCTIONS)
    );
    assert!(err(&many).message.contains("instructions"));
    let words = format!(
        "FROM a\nEXPOSE {}\n",
        "1 \\\n".repeat(bulkhead_dockerfile::MAX_WORDS + 5)
    );
    let e = err(&words);
    assert_eq!((e.line, e.message.contains("arguments")), (2, true));
    // deep JSON and deep substitutions are handled without recursion
    let deep = format!("FROM a\nCMD {}\n", "[".repeat(60_000));
    ok(&deep);
    let nested = format!("FROM a\nRUN <<EOF {}\nx\n", "${A:-".repeat(10_000));
    let _ = parse(&nested);
}

#[test]
fn keywords_are_case_insensitive_and_positions_are_one_based() {
    let df = ok("From a\n\tRun  echo hi\nworkdir /x\n");
    let i = all(&df);
    assert_eq!(i[1].kind, Kind::Run);
    assert_eq!(i[1].pos, Pos { line: 2, column: 2 });
    let Some(CommandLine::Shell(w)) = i[1].command_line() else {
        panic!()
    };
    assert_eq!(w.pos, Pos { line: 2, column: 7 });
    assert_eq!(i[2].kind, Kind::Workdir);
}

// ---------------------------------------------------------------------------------------------
// environment tracking

#[test]
fn env_tracking_in_a_stage() {
    let src = "ARG V=1.0\nARG NODEF\nFROM alpine\nARG V\nARG NODEF\nARG OWN=x\nENV P=/opt/bin:$PATH Q=$OWN\nENV R=$Q S=${NODEF:-dflt} T=${V}\nENV U=1 W=$U\nARG TARGETARCH\nRUN echo $R\n";
    let df = ok(src);
    let n = df.stages[0].instructions.len();
    let env = df.env_before(0, n);
    assert_eq!(env.get("V"), Some("1.0"));
    assert_eq!(env.var("V").unwrap().source, VarSource::GlobalArg);
    assert!(env.is_declared("NODEF"));
    assert_eq!(env.get("NODEF"), None);
    assert_eq!(env.get("OWN"), Some("x"));
    assert_eq!(
        env.get("P"),
        Some("/opt/bin:$PATH"),
        "unknown base-image PATH is kept"
    );
    assert_eq!(env.get("Q"), Some("x"));
    assert_eq!(env.get("R"), Some("x"));
    assert_eq!(env.get("S"), Some("dflt"));
    assert_eq!(env.get("T"), Some("1.0"));
    assert_eq!(
        env.get("W"),
        Some("$U"),
        "pairs of one ENV see the env before it"
    );
    assert_eq!(env.var("TARGETARCH").unwrap().source, VarSource::Builtin);
    assert_eq!(env.var("R").unwrap().line, 8);
    // before the ENV on line 7, P is not set
    assert!(df.env_before(0, 3).get("P").is_none());

    let mut seen = Vec::new();
    df.for_each_with_env(0, |i, t| {
        if i.kind == Kind::Run {
            seen.push(t.expand("$R-$TARGETARCH"));
        }
    });
    assert_eq!(seen, vec!["x-$TARGETARCH"]);
    let global = df.global_env();
    let t = df.env_tracker(&global, 0).unset_as_empty();
    assert_eq!(t.expand("[$PATH]"), "[]");
}

#[test]
fn env_is_inherited_from_parent_stage() {
    let df =
        ok("FROM alpine AS base\nENV A=1\nARG B=2\nFROM base AS child\nENV C=$A$B\nFROM alpine\n");
    let env = df.env_before(1, 1);
    assert_eq!(env.get("A"), Some("1"));
    assert_eq!(env.var("A").unwrap().source, VarSource::Inherited);
    assert_eq!(env.get("C"), Some("12"));
    assert!(df.env_before(2, 0).is_empty());
}

#[test]
fn arg_and_env_override_order() {
    let df = ok("FROM a\nARG X=arg\nENV X=env\nRUN a\nARG X=arg2\nRUN b\n");
    assert_eq!(df.env_before(0, 2).get("X"), Some("env"));
    assert_eq!(df.env_before(0, 4).get("X"), Some("arg2"));
    // ARG without default does not clear a value
    let df = ok("FROM a\nENV X=env\nARG X\n");
    assert_eq!(df.env_before(0, 2).get("X"), Some("env"));
}
