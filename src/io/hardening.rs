//! Process-level protections set before anything else runs.

use std::io::IsTerminal;

/// A new key's secret lives in this process's memory for a while: no core
/// dump (SIGQUIT, a crash) may write it to disk, and no other process of the
/// same user may read it through ptrace or /proc/PID/mem.
#[allow(unsafe_code)]
pub fn no_core_dumps() {
    let none = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: both calls take plain values (and a pointer to a live local);
    // they change only this process's limits and flags.
    unsafe {
        if libc::setrlimit(libc::RLIMIT_CORE, &none) != 0 {
            tracing::warn!("could not set RLIMIT_CORE to 0");
        }
        if libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 {
            tracing::warn!("could not make the process non-dumpable");
        }
    }
}

/// The dashboard needs a terminal on both ends.
pub fn on_a_terminal() -> bool {
    std::io::stdin().is_terminal() && std::io::stdout().is_terminal()
}
