//! System call numbers → names, for the generic events (`syscall`, codes 0/1) that older drivers
//! and captures record for syscalls without an event of their own: the enter event's `nativeID`
//! parameter is the architecture's syscall number. libsinsp names such an event after its syscall
//! (`evt.type=madvise`); [`generic_name`] gives that name.
//!
//! The table is data (`syscalls_x86_64.txt`, with its provenance in its header): the x86_64
//! numbers of Linux 6.1. Captures of other architectures are not told apart (scap files do not
//! record the architecture); their generic events get x86_64 names.

use std::sync::OnceLock;

const DATA: &str = include_str!("syscalls_x86_64.txt");

/// Event codes of the generic enter and exit events (`PPME_GENERIC_E`/`PPME_GENERIC_X`).
pub const GENERIC_E: u16 = 0;
pub const GENERIC_X: u16 = 1;

fn table() -> &'static [Option<&'static str>] {
    static T: OnceLock<Vec<Option<&'static str>>> = OnceLock::new();
    T.get_or_init(|| {
        let mut t: Vec<Option<&'static str>> = Vec::new();
        for line in DATA
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        {
            let Some((n, name)) = line.split_once(' ') else {
                continue;
            };
            let Ok(n) = n.parse::<usize>() else {
                continue;
            };
            if t.len() <= n {
                t.resize(n + 1, None);
            }
            t[n] = Some(name.trim());
        }
        t
    })
}

/// The name of x86_64 system call `nr` (`28` → `madvise`).
pub fn x86_64_name(nr: u64) -> Option<&'static str> {
    table().get(usize::try_from(nr).ok()?).copied().flatten()
}

/// Every x86_64 system call the table knows, by number.
pub fn x86_64_syscalls() -> impl Iterator<Item = (u64, &'static str)> {
    table()
        .iter()
        .enumerate()
        .filter_map(|(i, n)| n.map(|n| (i as u64, n)))
}

/// The syscall a generic enter event stands for: its `nativeID` parameter (the second one) looked
/// up in the x86_64 table. `None` for other events and for numbers the table does not have.
pub fn generic_name(ev: &crate::Event) -> Option<&'static str> {
    if ev.code != GENERIC_E {
        return None;
    }
    let id = ev.param("nativeID")?;
    match id.value {
        crate::Value::UInt(n) => x86_64_name(n),
        crate::Value::Int(n) => x86_64_name(u64::try_from(n).ok()?),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_names() {
        assert_eq!(x86_64_name(0), Some("read"));
        assert_eq!(x86_64_name(10), Some("mprotect"));
        assert_eq!(x86_64_name(28), Some("madvise"));
        assert_eq!(x86_64_name(59), Some("execve"));
        assert_eq!(x86_64_name(231), Some("exit_group"));
        assert_eq!(x86_64_name(435), Some("clone3"));
        assert_eq!(x86_64_name(450), Some("set_mempolicy_home_node"));
        assert_eq!(x86_64_name(451), None);
        assert_eq!(x86_64_name(u64::MAX), None);
        // 335..=423 are unassigned on x86_64.
        assert_eq!(x86_64_name(400), None);
        assert_eq!(x86_64_syscalls().count(), 362);
    }
}
