//! How explanations, fixes and messages name the places Linux keeps the
//! facts rtdoctor reads, so that text outside `os/` never spells a path of
//! one platform.

/// Where the socket table comes from, in `port.listen`'s explanation.
pub const SOCKET_SOURCES: &str = "netlink sock_diag, or /proc/net/tcp when that is unavailable";

/// The sources tried when `RTDOCTOR_SOCKETS` is unset.
pub const DEFAULT_SOURCES: &str = "netlink sock_diag, falling back on /proc/net/tcp";

/// Where a process's open file descriptors are counted.
pub const FD_TABLE: &str = "/proc/PID/fd";

/// Where a process's own soft limit is read.
pub const FD_LIMITS: &str = "/proc/PID/limits";

/// What reading another user's server needs permission for.
pub const PROCESS_ENTRIES: &str = "its /proc entries";

/// A command that counts the open file descriptors of `pid`.
pub fn count_fds_command(pid: u32) -> String {
    format!("ls /proc/{pid}/fd | wc -l")
}
