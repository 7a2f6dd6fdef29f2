//! A platform made of plain values, for unit tests of the checks that read
//! this machine and of `kill`'s safety rules: a socket table, the
//! processes holding its sockets, users, limits, and processes that exit
//! on a signal, ignore it, or belong to someone else.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use super::{
    Family, Platform, ProcessInfo, Signal, SignalError, Socket, SocketOwners, SocketTable, Source,
    TcpState,
};

/// How a fake process takes a signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Takes {
    /// It exits (its sockets close).
    Exits,
    /// It ignores anything but SIGKILL.
    OnlyKill,
    /// It belongs to another user: EPERM.
    Refuses,
    /// It has already exited: ESRCH.
    IsGone,
}

pub struct Fake {
    /// With their pids: the fake's fd tables are the sockets' own pids.
    pub sockets: Vec<Socket>,
    pub processes: Vec<ProcessInfo>,
    /// Processes whose fd tables this user cannot read.
    pub unreadable: usize,
    pub nofile: Option<(u64, u64)>,
    pub users: Vec<(u32, String)>,
    pub family: Family,
    /// (pid, group) of processes other than rtdoctor's own.
    pub groups: Vec<(u32, u32)>,
    /// (pid, how it takes a signal); unnamed processes exit.
    pub takes: Vec<(u32, Takes)>,
    /// The uid rtdoctor runs as: a user's (1000) unless a test makes it root.
    pub euid: u32,
    /// (pid, the program file it runs).
    pub exes: Vec<(u32, std::path::PathBuf)>,
    /// Signals sent, and pids that exited: what the fake records (leave
    /// it at its default).
    pub state: Mutex<State>,
}

#[derive(Default)]
pub struct State {
    sent: Vec<(u32, Signal)>,
    exited: Vec<u32>,
}

impl Default for Fake {
    fn default() -> Self {
        Fake {
            sockets: Vec::new(),
            processes: Vec::new(),
            unreadable: 0,
            nofile: Some((1024, 524_288)),
            users: vec![(0, "root".into())],
            family: Family {
                me: 900,
                parent: 899,
                group: 899,
            },
            groups: Vec::new(),
            takes: Vec::new(),
            euid: 1000,
            exes: Vec::new(),
            state: Mutex::default(),
        }
    }
}

/// A socket; `pids` hold it (none: hidden, or nobody's as TIME_WAIT is).
pub fn socket(local: &str, remote: &str, state: TcpState, uid: u32, pids: &[u32]) -> Socket {
    Socket {
        local: local
            .parse()
            .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 0))),
        remote: remote
            .parse()
            .unwrap_or(SocketAddr::from(([0, 0, 0, 0], 0))),
        state,
        uid,
        // Set from the socket's place in the fake's table, where its
        // holders are found by it.
        inode: 0,
        v6only: None,
        pids: pids.to_vec(),
    }
}

/// A listener on `local` held by `pids`, owned by `uid`.
pub fn listener(local: &str, uid: u32, pids: &[u32]) -> Socket {
    socket(local, "0.0.0.0:0", TcpState::Listen, uid, pids)
}

/// A listener on `local` of alice (uid 1000) whose process is hidden,
/// seen by rtdoctor running as `euid`.
pub fn hidden_listener(local: &str, euid: u32) -> Fake {
    Fake {
        sockets: vec![listener(local, 1000, &[])],
        users: vec![(1000, "alice".into())],
        euid,
        ..Fake::default()
    }
}

/// A process `name` started from `parent`, owned by root.
pub fn process(pid: u32, parent: u32, name: &str) -> ProcessInfo {
    ProcessInfo {
        pid,
        ppid: Some(parent),
        name: name.into(),
        cmdline: vec![format!("/usr/bin/{name}"), "server.py".into()],
        uid: Some(0),
        user: Some("root".into()),
        start_time: Some(1_700_000_000),
        memory_bytes: Some(1 << 20),
        open_fds: None,
        fd_limit: None,
    }
}

impl Fake {
    /// The signals sent so far, in order.
    pub fn sent(&self) -> Vec<(u32, Signal)> {
        self.state().sent.clone()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn exited(&self, pid: u32) -> bool {
        self.state().exited.contains(&pid)
    }

    /// The sockets still open: an exited process's sockets are closed.
    fn open_sockets(&self) -> Vec<Socket> {
        let exited = self.state().exited.clone();
        self.sockets
            .iter()
            .enumerate()
            .filter(|(_, s)| s.pids.is_empty() || s.pids.iter().any(|p| !exited.contains(p)))
            .map(|(i, s)| {
                let mut s = s.clone();
                s.inode = i as u64 + 1;
                s.pids.retain(|p| !exited.contains(p));
                s
            })
            .collect()
    }
}

impl Platform for Fake {
    fn socket_table(&self, source: Option<Source>) -> Result<SocketTable, String> {
        let sockets = self
            .open_sockets()
            .into_iter()
            .map(|mut s| {
                s.pids.clear();
                s
            })
            .collect();
        Ok(SocketTable::new(
            sockets,
            source.unwrap_or(Source::Netlink),
            Vec::new(),
        ))
    }

    fn socket_owners(&self) -> Result<SocketOwners, String> {
        let mut owners = SocketOwners {
            unreadable: self.unreadable,
            ..SocketOwners::default()
        };
        for s in self.open_sockets() {
            if !s.pids.is_empty() {
                owners.by_inode.insert(s.inode, s.pids);
            }
        }
        Ok(owners)
    }

    fn processes(&self, pids: &[u32]) -> Vec<ProcessInfo> {
        let mut found: Vec<ProcessInfo> = Vec::new();
        for pid in pids {
            if found.iter().any(|p| p.pid == *pid) || self.exited(*pid) {
                continue;
            }
            found.extend(self.processes.iter().find(|p| p.pid == *pid).cloned());
        }
        found
    }

    fn nofile_limit(&self) -> Option<(u64, u64)> {
        self.nofile
    }

    fn user_name(&self, uid: u32) -> Option<String> {
        self.users
            .iter()
            .find(|(u, _)| *u == uid)
            .map(|(_, name)| name.clone())
    }

    fn alive(&self, pid: u32) -> bool {
        !self.exited(pid) && self.processes.iter().any(|p| p.pid == pid)
    }

    fn signal(&self, pid: u32, signal: Signal) -> Result<(), SignalError> {
        let takes = self
            .takes
            .iter()
            .find(|(p, _)| *p == pid)
            .map_or(Takes::Exits, |(_, t)| *t);
        if !self.alive(pid) || takes == Takes::IsGone {
            return Err(SignalError::Gone);
        }
        if takes == Takes::Refuses {
            return Err(SignalError::Denied);
        }
        let mut state = self.state();
        state.sent.push((pid, signal));
        if takes == Takes::Exits || signal == Signal::Kill {
            state.exited.push(pid);
        }
        Ok(())
    }

    fn family(&self) -> Family {
        self.family
    }

    fn process_group(&self, pid: u32) -> Option<u32> {
        if pid == self.family.me {
            return Some(self.family.group);
        }
        self.groups.iter().find(|(p, _)| *p == pid).map(|(_, g)| *g)
    }

    fn euid(&self) -> Option<u32> {
        Some(self.euid)
    }

    fn exe(&self, pid: u32) -> Option<std::path::PathBuf> {
        self.exes
            .iter()
            .find(|(p, _)| *p == pid)
            .map(|(_, exe)| exe.clone())
    }
}

impl Fake {
    /// A check's context for `target` (on this machine: `localhost`) on a
    /// machine whose platform is this fake, looking 10 ports either side.
    pub fn ctx(self, target: &str) -> crate::check::Ctx {
        let target = crate::target::Target::parse(target).unwrap_or_else(|e| panic!("{e}"));
        let range = crate::settings::ProbeSettings::default_range(target.port);
        let probe = crate::settings::ProbeSettings::new(std::time::Duration::from_secs(1), range);
        crate::check::Ctx::new(target, probe, Arc::new(self.machine()))
    }

    /// A machine whose platform is this fake.
    pub fn machine(self) -> crate::machine::Machine {
        crate::machine::Machine::with_platform(Vec::new(), None, Arc::new(self))
    }
}
