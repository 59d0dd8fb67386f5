//! Temporary files that must not outlive an interrupted process. Writers that create a temporary
//! file beside their output (an atomic `-o` write, the copy of a database being imported) register
//! it here; if SIGINT, SIGTERM or SIGHUP arrives before the guard is dropped, the handler removes
//! it and the process then dies of the signal as it would have. (SIGKILL cannot be caught; nothing
//! can clean up after it.)
//!
//! Hand-written rather than `signal-hook`: the handler must only call async-signal-safe functions
//! (`unlink`, `rmdir`, `signal`, `raise`) on paths prepared beforehand, which is a few lines with
//! `libc` and needs no thread.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::Once;
use std::sync::atomic::{AtomicPtr, Ordering};

const SLOTS: usize = 16;

#[allow(clippy::declare_interior_mutable_const)]
const EMPTY: AtomicPtr<libc::c_char> = AtomicPtr::new(std::ptr::null_mut());
static PATHS: [AtomicPtr<libc::c_char>; SLOTS] = [EMPTY; SLOTS];
static INSTALL: Once = Once::new();

extern "C" fn on_signal(sig: libc::c_int) {
    for slot in &PATHS {
        let p = slot.load(Ordering::SeqCst);
        if !p.is_null() {
            // SAFETY: `p` is a NUL-terminated string that is never freed (see `Guard::drop`);
            // unlink and rmdir are async-signal-safe and fail harmlessly on the wrong kind.
            unsafe {
                libc::unlink(p);
                libc::rmdir(p);
            }
        }
    }
    // SAFETY: restoring the default action and re-raising are async-signal-safe.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
    }
}

fn install() {
    INSTALL.call_once(|| {
        for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            // SAFETY: `on_signal` is an `extern "C" fn(c_int)`, a valid handler; it only calls
            // async-signal-safe functions.
            unsafe {
                libc::signal(sig, on_signal as *const () as libc::sighandler_t);
            }
        }
    });
}

/// While alive, the registered path is removed if the process is interrupted.
#[must_use = "the path is protected only while the guard lives"]
pub struct Guard {
    slot: Option<usize>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(i) = self.slot {
            // The string is leaked, not freed: a handler running right now may still read it.
            PATHS[i].store(std::ptr::null_mut(), Ordering::SeqCst);
        }
    }
}

/// Remove `path` (a file, or an empty directory) if a SIGINT, SIGTERM or SIGHUP ends the process
/// while the returned guard lives. Register a directory after the files in it. When every slot is
/// taken the path is not protected (the guard does nothing).
pub fn remove_on_signal(path: &Path) -> Guard {
    install();
    let Ok(c) = CString::new(path.as_os_str().as_bytes()) else {
        return Guard { slot: None };
    };
    let raw = c.into_raw();
    for (i, slot) in PATHS.iter().enumerate() {
        if slot
            .compare_exchange(
                std::ptr::null_mut(),
                raw,
                Ordering::SeqCst,
                Ordering::SeqCst,
            )
            .is_ok()
        {
            return Guard { slot: Some(i) };
        }
    }
    // SAFETY: `raw` came from `CString::into_raw` just above and was stored nowhere.
    drop(unsafe { CString::from_raw(raw) });
    Guard { slot: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_taken_and_given_back() {
        let d = std::env::temp_dir();
        let guards: Vec<Guard> = (0..SLOTS)
            .map(|i| remove_on_signal(&d.join(format!("x{i}"))))
            .collect();
        assert!(guards.iter().filter(|g| g.slot.is_some()).count() <= SLOTS);
        let over = remove_on_signal(&d.join("over"));
        drop(guards);
        let again = remove_on_signal(&d.join("again"));
        assert!(
            again.slot.is_some(),
            "a slot is free after the guards dropped"
        );
        drop(over);
    }
}
