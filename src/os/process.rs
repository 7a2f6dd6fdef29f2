//! What the platform tells about a process and what can be done to one:
//! the facts `ports`, `kill` and the checks show, the signals `kill`
//! sends, and why a signal was not delivered.

use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct ProcessInfo {
    pub pid: u32,
    pub ppid: Option<u32>,
    pub name: String,
    pub cmdline: Vec<String>,
    pub uid: Option<u32>,
    pub user: Option<String>,
    /// seconds since the Unix epoch
    pub start_time: Option<u64>,
    pub memory_bytes: Option<u64>,
    /// open file descriptors, None when unreadable
    pub open_fds: Option<u64>,
    /// soft open-files limit, None when unreadable or unlimited
    pub fd_limit: Option<u64>,
}

/// The signals `rtdoctor kill` sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    Term,
    Int,
    Hup,
    Kill,
}

impl Signal {
    /// The name reports and prompts use: `SIGTERM`.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Term => "SIGTERM",
            Signal::Int => "SIGINT",
            Signal::Hup => "SIGHUP",
            Signal::Kill => "SIGKILL",
        }
    }
}

/// Why a signal was not delivered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignalError {
    /// No such process (any more).
    Gone,
    /// The process belongs to another user.
    Denied,
    /// Anything else, in words.
    Failed(String),
}

/// rtdoctor's own place among processes: what `kill` never signals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Family {
    pub me: u32,
    pub parent: u32,
    pub group: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_names_are_the_usual_ones() {
        let names: Vec<&str> = [Signal::Term, Signal::Int, Signal::Hup, Signal::Kill]
            .into_iter()
            .map(Signal::name)
            .collect();
        assert_eq!(names, ["SIGTERM", "SIGINT", "SIGHUP", "SIGKILL"]);
    }
}
