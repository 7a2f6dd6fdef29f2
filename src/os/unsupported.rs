//! A platform rtdoctor has no implementation for (anything but Linux,
//! today): every question is answered "not supported on <os>", so the
//! checks that read this machine skip and `ports` and `kill` stop with
//! those words, instead of the build failing deep inside. Compiled on
//! Linux too, under test, so that it keeps building.

use super::{
    Family, Platform, ProcessInfo, Signal, SignalError, SocketOwners, SocketTable, Source,
};

/// A platform without an implementation, named as Rust names it
/// (`macos`, `windows`).
pub struct Unsupported {
    os: &'static str,
}

impl Unsupported {
    /// The platform this build is for.
    pub fn here() -> Self {
        Unsupported {
            os: std::env::consts::OS,
        }
    }

    /// A platform of that name, for tests.
    pub fn named(os: &'static str) -> Self {
        Unsupported { os }
    }

    fn why(&self) -> String {
        format!(
            "reading this machine's sockets and processes is not supported on {}",
            self.os
        )
    }
}

impl Platform for Unsupported {
    fn unsupported(&self) -> Option<String> {
        Some(self.why())
    }

    fn socket_table(&self, _source: Option<Source>) -> Result<SocketTable, String> {
        Err(self.why())
    }

    fn socket_owners(&self) -> Result<SocketOwners, String> {
        Err(self.why())
    }

    fn processes(&self, _pids: &[u32]) -> Vec<ProcessInfo> {
        Vec::new()
    }

    fn nofile_limit(&self) -> Option<(u64, u64)> {
        None
    }

    fn user_name(&self, _uid: u32) -> Option<String> {
        None
    }

    fn alive(&self, _pid: u32) -> bool {
        false
    }

    fn signal(&self, _pid: u32, _signal: Signal) -> Result<(), SignalError> {
        Err(SignalError::Failed(self.why()))
    }

    fn family(&self) -> Family {
        let me = std::process::id();
        Family {
            me,
            parent: me,
            group: me,
        }
    }

    fn process_group(&self, _pid: u32) -> Option<u32> {
        None
    }

    fn euid(&self) -> Option<u32> {
        None
    }

    fn exe(&self, _pid: u32) -> Option<std::path::PathBuf> {
        None
    }
}

/// The words of explanations on a platform without an implementation.
pub mod words {
    pub const SOCKET_SOURCES: &str = "not readable on this platform";
    pub const DEFAULT_SOURCES: &str = "not readable on this platform";
    pub const FD_TABLE: &str = "its open file descriptors";
    pub const FD_LIMITS: &str = "its open-files limit";
    pub const PROCESS_ENTRIES: &str = "its process details";
    pub const HIDDEN_FROM_ROOT: &str = "the platform hides it";

    pub fn count_fds_command(pid: u32) -> String {
        format!("lsof -p {pid} | wc -l")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_question_names_the_platform() {
        let os = Unsupported::named("macos");
        let why = "reading this machine's sockets and processes is not supported on macos";
        assert_eq!(os.unsupported().as_deref(), Some(why));
        assert_eq!(os.socket_table(None).err().as_deref(), Some(why));
        assert_eq!(
            os.socket_table_with_owners(Some(Source::Procfs))
                .err()
                .as_deref(),
            Some(why)
        );
        assert_eq!(os.socket_owners().err().as_deref(), Some(why));
        assert_eq!(
            os.signal(42, Signal::Term),
            Err(SignalError::Failed(why.into()))
        );
        assert!(os.processes(&[1]).is_empty());
        assert_eq!(os.nofile_limit(), None);
        assert!(!os.alive(1));
        assert_eq!(words::count_fds_command(7), "lsof -p 7 | wc -l");
    }
}
