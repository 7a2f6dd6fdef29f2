//! Linux: the socket table from netlink sock_diag (`diag`) or
//! /proc/net/tcp (`procfs`), socket holders from /proc/PID/fd (`fds`),
//! processes through sysinfo and /proc (`process`), signals and process
//! groups through nix.

pub mod diag;
mod fds;
pub mod process;
pub mod procfs;
pub mod words;

use std::path::Path;

use anyhow::{Context, anyhow};
use nix::errno::Errno;
use nix::sys::signal as nix_signal;
use nix::unistd::{self, Pid};

use super::{
    Family, Platform, ProcessInfo, Signal, SignalError, SocketOwners, SocketTable, Source,
};

/// The Linux platform.
pub struct Linux;

impl Platform for Linux {
    fn socket_table(&self, source: Option<Source>) -> Result<SocketTable, String> {
        let table = match source {
            Some(source) => read(source),
            None => read(Source::Netlink).or_else(fall_back),
        };
        table.map_err(|e| format!("{e:#}"))
    }

    fn socket_owners(&self) -> Result<SocketOwners, String> {
        fds::scan_holders(Path::new("/proc")).map_err(|e| format!("{e:#}"))
    }

    fn socket_owners_of(&self, pids: &[u32]) -> Result<SocketOwners, String> {
        Ok(fds::scan_some(Path::new("/proc"), pids))
    }

    fn processes(&self, pids: &[u32]) -> Vec<ProcessInfo> {
        process::lookup(pids)
    }

    fn nofile_limit(&self) -> Option<(u64, u64)> {
        process::own_nofile_limit()
    }

    fn user_name(&self, uid: u32) -> Option<String> {
        unistd::User::from_uid(unistd::Uid::from_raw(uid))
            .ok()
            .flatten()
            .map(|u| u.name)
    }

    fn alive(&self, pid: u32) -> bool {
        process::alive(pid)
    }

    fn signal(&self, pid: u32, signal: Signal) -> Result<(), SignalError> {
        let pid = i32::try_from(pid).map_err(|_| SignalError::Gone)?;
        match nix_signal::kill(Pid::from_raw(pid), nix_signal_of(signal)) {
            Ok(()) => Ok(()),
            Err(Errno::ESRCH) => Err(SignalError::Gone),
            Err(Errno::EPERM) => Err(SignalError::Denied),
            Err(e) => Err(SignalError::Failed(e.to_string())),
        }
    }

    fn family(&self) -> Family {
        Family {
            me: std::process::id(),
            parent: unistd::getppid().as_raw().unsigned_abs(),
            group: unistd::getpgrp().as_raw().unsigned_abs(),
        }
    }

    fn process_group(&self, pid: u32) -> Option<u32> {
        let pid = i32::try_from(pid).ok()?;
        unistd::getpgid(Some(Pid::from_raw(pid)))
            .ok()
            .map(|g| g.as_raw().unsigned_abs())
    }

    fn euid(&self) -> Option<u32> {
        Some(unistd::geteuid().as_raw())
    }

    fn exe(&self, pid: u32) -> Option<std::path::PathBuf> {
        // A program replaced on disk since it started reads "… (deleted)":
        // no file of that name runs it any more.
        std::fs::read_link(format!("/proc/{pid}/exe"))
            .ok()
            .filter(|p| !p.to_string_lossy().ends_with(" (deleted)"))
    }
}

fn nix_signal_of(signal: Signal) -> nix_signal::Signal {
    match signal {
        Signal::Term => nix_signal::Signal::SIGTERM,
        Signal::Int => nix_signal::Signal::SIGINT,
        Signal::Hup => nix_signal::Signal::SIGHUP,
        Signal::Kill => nix_signal::Signal::SIGKILL,
    }
}

/// The sockets alone, without pids: the fast half of a read (the
/// kernel's table), for questions such as "does anything listen".
fn read(source: Source) -> anyhow::Result<SocketTable> {
    let mut notes = Vec::new();
    let sockets = match source {
        Source::Netlink => diag::dump().context("reading TCP sockets via netlink sock_diag")?,
        Source::Procfs => procfs::read_tables(&mut notes)?,
    };
    Ok(SocketTable::new(sockets, source, notes))
}

/// /proc/net/tcp when netlink failed, with a note saying why; an error
/// only if both fail.
fn fall_back(netlink_err: anyhow::Error) -> anyhow::Result<SocketTable> {
    let mut table = read(Source::Procfs).map_err(|procfs_err| {
        anyhow!(
            "cannot read the TCP socket table: netlink sock_diag failed ({netlink_err:#}) and /proc/net/tcp failed ({procfs_err:#})"
        )
    })?;
    // The root cause alone ("Operation not permitted") is what a reader can act on.
    let cause = netlink_err.root_cause().to_string();
    let cause = cause.split(" (os error").next().unwrap_or_default();
    table.notes.insert(
        0,
        format!("netlink sock_diag unavailable ({cause}): read /proc/net/tcp instead"),
    );
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_records_why() -> anyhow::Result<()> {
        let refused = anyhow::Error::new(std::io::Error::from_raw_os_error(libc::EPERM))
            .context("opening a NETLINK_SOCK_DIAG socket");
        let table = fall_back(refused)?;
        assert_eq!(table.source, Source::Procfs);
        let note = table.notes.first().map(String::as_str).unwrap_or_default();
        assert_eq!(
            note,
            "netlink sock_diag unavailable (Operation not permitted): read /proc/net/tcp instead"
        );
        Ok(())
    }

    #[test]
    fn this_process_is_alive_and_a_missing_pid_is_not() {
        assert!(Linux.alive(std::process::id()));
        assert!(!Linux.alive(u32::MAX - 1));
    }

    #[test]
    fn this_process_knows_its_family() {
        let family = Linux.family();
        assert_eq!(family.me, std::process::id());
        assert_eq!(Linux.process_group(family.me), Some(family.group));
        assert_eq!(
            Linux.signal(u32::MAX - 1, Signal::Term),
            Err(SignalError::Gone)
        );
    }

    #[test]
    fn root_has_a_name() {
        assert_eq!(Linux.user_name(0).as_deref(), Some("root"));
    }
}
