//! The platform seam: everything rtdoctor asks of the machine it runs on —
//! the TCP socket table, the processes holding sockets (identity, owner,
//! age, open files, limits), this process's own limits, liveness, signals
//! and process groups — behind one trait, `Platform`. Each platform's
//! implementation lives in its own folder (`linux/`); a platform without
//! one gets `unsupported`, which says so instead of failing to build; unit
//! tests use `fake`. Nothing outside `os/` reads /proc or calls libc.

mod process;
pub mod sockets;

#[cfg(test)]
pub mod fake;
#[cfg(target_os = "linux")]
pub mod linux;
#[cfg(any(not(target_os = "linux"), test))]
pub mod unsupported;

use std::sync::{Arc, OnceLock};

pub use process::{Family, ProcessInfo, Signal, SignalError};
pub use sockets::{Socket, SocketOwners, SocketTable, Source, TcpState};

/// The words a check's explanation and fixes use for where this platform
/// finds its facts (`/proc/PID/fd` on Linux).
#[cfg(target_os = "linux")]
pub use linux::words;
#[cfg(not(target_os = "linux"))]
pub use unsupported::words;

/// What rtdoctor asks of the machine it runs on.
pub trait Platform: Send + Sync {
    /// Why this platform cannot answer at all (`None` where it can): the
    /// checks that need it skip with these words, and `ports` and `kill`
    /// stop with them.
    fn unsupported(&self) -> Option<String> {
        None
    }

    /// The kernel's TCP socket table without pids: from `source` when one
    /// is forced (`RTDOCTOR_SOCKETS`), else from the platform's first
    /// choice, falling back on the next with a note.
    fn socket_table(&self, source: Option<Source>) -> Result<SocketTable, String>;

    /// Which processes hold which sockets: the slow half of a read.
    fn socket_owners(&self) -> Result<SocketOwners, String>;

    /// Which of `pids` hold which sockets: a scan of their fd tables
    /// only, cheap enough to repeat while a request is in flight.
    fn socket_owners_of(&self, pids: &[u32]) -> Result<SocketOwners, String> {
        let mut owners = self.socket_owners()?;
        owners.by_inode.retain(|_, held| {
            held.retain(|p| pids.contains(p));
            !held.is_empty()
        });
        Ok(owners)
    }

    /// The socket table with the pids holding each socket.
    fn socket_table_with_owners(&self, source: Option<Source>) -> Result<SocketTable, String> {
        Ok(self
            .socket_table(source)?
            .with_holders(self.socket_owners()))
    }

    /// Facts about `pids`, in their order, first occurrence only; a pid
    /// that no longer exists, or that cannot be read at all, is absent.
    fn processes(&self, pids: &[u32]) -> Vec<ProcessInfo>;

    /// This process's soft and hard open-files limit (`u64::MAX`:
    /// unlimited); servers started from the same shell inherit them.
    fn nofile_limit(&self) -> Option<(u64, u64)>;

    /// The account name of `uid`, when it has one.
    fn user_name(&self, uid: u32) -> Option<String>;

    /// Alive and not a zombie (a zombie's sockets are already closed).
    fn alive(&self, pid: u32) -> bool;

    /// Sends `signal` to `pid`.
    fn signal(&self, pid: u32, signal: Signal) -> Result<(), SignalError>;

    /// rtdoctor's own pid, its parent's and its process group.
    fn family(&self) -> Family;

    /// The process group of `pid`, when it can be read.
    fn process_group(&self, pid: u32) -> Option<u32>;

    /// The effective uid rtdoctor runs as (0: root), where the platform
    /// has one: what a socket whose process is hidden means depends on it.
    fn euid(&self) -> Option<u32>;

    /// The program file `pid` runs, when it can be read (`/proc/PID/exe`).
    fn exe(&self, pid: u32) -> Option<std::path::PathBuf>;
}

/// The platform rtdoctor was built for.
pub fn native() -> Arc<dyn Platform> {
    static NATIVE: OnceLock<Arc<dyn Platform>> = OnceLock::new();
    NATIVE.get_or_init(build_native).clone()
}

#[cfg(target_os = "linux")]
fn build_native() -> Arc<dyn Platform> {
    Arc::new(linux::Linux)
}

#[cfg(not(target_os = "linux"))]
fn build_native() -> Arc<dyn Platform> {
    Arc::new(unsupported::Unsupported::here())
}

/// `RTDOCTOR_SOCKETS=procfs|netlink` forces one source: a troubleshooting
/// knob for kernels whose sock_diag misbehaves, and how tests reach the
/// fallback. Read once, when the command is resolved: a value that is
/// neither is a usage error rather than a silent "try both".
pub fn socket_source(value: Option<&std::ffi::OsStr>) -> Result<Option<Source>, String> {
    match value.map(|v| v.to_str()) {
        None | Some(Some("")) => Ok(None),
        Some(Some("procfs")) => Ok(Some(Source::Procfs)),
        Some(Some("netlink")) => Ok(Some(Source::Netlink)),
        Some(_) => Err(format!(
            "RTDOCTOR_SOCKETS must be procfs or netlink (or unset: {})",
            words::DEFAULT_SOURCES
        )),
    }
}

/// The one reader of `RTDOCTOR_SOCKETS` in rtdoctor's environment.
pub fn socket_source_from_env() -> Result<Option<Source>, String> {
    socket_source(std::env::var_os("RTDOCTOR_SOCKETS").as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_source_takes_two_names_and_refuses_the_rest() {
        let source = |v: &str| socket_source(Some(std::ffi::OsStr::new(v)));
        assert_eq!(socket_source(None), Ok(None));
        assert_eq!(source(""), Ok(None));
        assert_eq!(source("procfs"), Ok(Some(Source::Procfs)));
        assert_eq!(source("netlink"), Ok(Some(Source::Netlink)));
        for bad in ["proc", "NETLINK", " procfs", "auto"] {
            let err = source(bad).unwrap_err();
            assert!(err.contains("procfs or netlink"), "{err}");
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_refusal_reads_as_before() {
        let err = socket_source(Some(std::ffi::OsStr::new("auto"))).unwrap_err();
        assert_eq!(
            err,
            "RTDOCTOR_SOCKETS must be procfs or netlink (or unset: netlink sock_diag, \
falling back on /proc/net/tcp)"
        );
    }
}
