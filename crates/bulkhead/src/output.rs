//! Where and how reports are written: stdout or an atomic file, colour and width decisions, and the
//! progress bars (stderr, only on a terminal).

use anyhow::{Context, Result};
use std::io::{IsTerminal, Write};
use std::path::Path;

/// Whether `-o` names stdout (absent, or `-`).
pub fn is_stdout(path: Option<&Path>) -> bool {
    path.is_none_or(|p| p.as_os_str() == "-")
}

/// Colour for a report written to stdout: `NO_COLOR` (any non-empty value) turns it off,
/// `CLICOLOR_FORCE` (non-empty, not `0`) forces it on, otherwise only on a terminal. Files never
/// get colour.
pub fn use_color(output: Option<&Path>) -> bool {
    if !is_stdout(output) {
        return false;
    }
    let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
    if set("NO_COLOR") {
        return false;
    }
    if set("CLICOLOR_FORCE") && std::env::var_os("CLICOLOR_FORCE").is_some_and(|v| v != "0") {
        return true;
    }
    std::io::stdout().is_terminal()
}

/// The width tables should fit: the terminal's when writing to one (or `$COLUMNS`), else none.
pub fn table_width(output: Option<&Path>) -> Option<u16> {
    if !is_stdout(output) {
        return None;
    }
    if let Some(c) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse::<u16>().ok())
    {
        return Some(c.max(40));
    }
    if !std::io::stdout().is_terminal() {
        return None;
    }
    terminal_size::terminal_size().map(|(w, _)| w.0.max(40))
}

/// Write to stdout (`None` or `-`), or atomically to `path` (temp file beside it, then rename). The
/// file gets the permissions the umask allows (0666 & !umask), as any tool's output.
pub fn write_output(path: Option<&Path>, data: &[u8]) -> Result<()> {
    write_with(path, &mut |w| w.write_all(data))
}

/// [`write_output`] with the content written by `f` (a renderer streaming into the file).
pub fn write_with(
    path: Option<&Path>,
    f: &mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    if is_stdout(path) {
        let mut out = std::io::stdout().lock();
        return match f(&mut out).and_then(|_| out.flush()) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            Err(e) => Err(e).context("writing to stdout"),
        };
    }
    let p = path.expect("not stdout");
    let dir = p
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    use std::os::unix::fs::PermissionsExt;
    // open(2) applies the umask to this mode, as it does for any newly created file.
    let mut tmp = tempfile::Builder::new()
        .prefix(".bulkhead-")
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    // An interrupted write leaves no temporary file behind.
    let _guard = bulkhead_core::cleanup::remove_on_signal(tmp.path());
    f(tmp.as_file_mut()).with_context(|| format!("writing {}", p.display()))?;
    tmp.persist(p)
        .with_context(|| format!("writing {}", p.display()))?;
    Ok(())
}

/// Whether progress bars may be drawn: stderr is a terminal, `-q` is off, and the report does not
/// go to the same terminal in a machine format.
pub fn progress_allowed(quiet: bool, machine_to_stdout: bool) -> bool {
    !quiet && !machine_to_stdout && std::io::stderr().is_terminal()
}

/// A progress bar on stderr (hidden when not allowed).
pub fn bar(allowed: bool) -> indicatif::ProgressBar {
    if allowed {
        indicatif::ProgressBar::with_draw_target(
            None,
            indicatif::ProgressDrawTarget::stderr_with_hz(8),
        )
    } else {
        indicatif::ProgressBar::hidden()
    }
}

/// A bar style (a template that cannot fail to parse falls back to the default bar).
pub fn style(template: &str) -> indicatif::ProgressStyle {
    indicatif::ProgressStyle::with_template(template)
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> ")
}
