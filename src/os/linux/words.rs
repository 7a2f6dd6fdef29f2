//! How explanations, fixes and messages name the places Linux keeps the
//! facts rtdoctor reads, so that text outside `os/` never spells a path of
//! one platform.

/// Where the socket table comes from, in `port.listen`'s explanation.
pub const SOCKET_SOURCES: &str = "netlink sock_diag, or /proc/net/tcp when that is unavailable";

/// The sources tried when `RTDOCTOR_SOCKETS` is unset.
pub const DEFAULT_SOURCES: &str = "netlink sock_diag, falling back on /proc/net/tcp";

/// Why root cannot see a process of its own PID namespace.
pub const HIDDEN_FROM_ROOT: &str = "/proc is mounted with hidepid";

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

#[cfg(test)]
mod tests {
    use super::*;

    fn explain(id: &str) -> String {
        let checks = crate::check::registry();
        let check = checks.iter().find(|c| c.id() == id);
        check.map(|c| c.explain().to_string()).unwrap_or_default()
    }

    /// The checks' texts read on Linux as they did before these words
    /// moved here.
    #[test]
    fn the_checks_read_as_before_on_linux() {
        assert!(explain("port.listen").starts_with(
            "Looks at this machine's TCP socket table (netlink sock_diag, or /proc/net/tcp when \
that is unavailable) for sockets in LISTEN state on the target port, and at the processes \
that hold them:"
        ));
        let fd_limit = explain("system.fd-limit");
        assert!(fd_limit.contains(
            "its open file descriptors \
(/proc/PID/fd) against its own soft limit (/proc/PID/limits).\n\n"
        ));
        assert!(fd_limit.ends_with(
            "The server's own numbers need permission to read its /proc entries: another user's \
server needs sudo."
        ));
        assert_eq!(count_fds_command(4242), "ls /proc/4242/fd | wc -l");
    }
}
