//! The host's TCP socket table (IPv4 and IPv6, every state) with the pids
//! holding each socket, as every platform reports it: the data, and the
//! questions checks ask of it. Reading it is the platform's (`os::Platform`).

use std::collections::HashMap;
use std::net::SocketAddr;

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TcpState {
    Established,
    SynSent,
    SynRecv,
    FinWait1,
    FinWait2,
    TimeWait,
    Close,
    CloseWait,
    LastAck,
    Listen,
    Closing,
    NewSynRecv,
    Unknown,
}

impl TcpState {
    /// Maps the kernel's `TCP_*` numbering (include/net/tcp_states.h), shared by both of Linux's sources.
    pub fn from_kernel(n: u8) -> Self {
        match n {
            1 => Self::Established,
            2 => Self::SynSent,
            3 => Self::SynRecv,
            4 => Self::FinWait1,
            5 => Self::FinWait2,
            6 => Self::TimeWait,
            7 => Self::Close,
            8 => Self::CloseWait,
            9 => Self::LastAck,
            10 => Self::Listen,
            11 => Self::Closing,
            12 => Self::NewSynRecv,
            _ => Self::Unknown,
        }
    }

    /// The same spelling as the serde form, so text and JSON output agree.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Established => "ESTABLISHED",
            Self::SynSent => "SYN_SENT",
            Self::SynRecv => "SYN_RECV",
            Self::FinWait1 => "FIN_WAIT1",
            Self::FinWait2 => "FIN_WAIT2",
            Self::TimeWait => "TIME_WAIT",
            Self::Close => "CLOSE",
            Self::CloseWait => "CLOSE_WAIT",
            Self::LastAck => "LAST_ACK",
            Self::Listen => "LISTEN",
            Self::Closing => "CLOSING",
            Self::NewSynRecv => "NEW_SYN_RECV",
            Self::Unknown => "UNKNOWN",
        }
    }
}

impl std::fmt::Display for TcpState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Socket {
    pub local: SocketAddr,
    pub remote: SocketAddr,
    pub state: TcpState,
    pub uid: u32,
    pub inode: u64,
    /// Some(true/false) for AF_INET6 sockets when known (netlink INET_DIAG_SKV6ONLY); None for IPv4 or when unknown (procfs fallback, TIME_WAIT).
    pub v6only: Option<bool>,
    /// pids whose fd table holds this socket (sorted, deduplicated); empty when no visible process holds it (TIME_WAIT, or another user's process without privileges).
    pub pids: Vec<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Netlink,
    Procfs,
}

#[derive(Clone, Debug, Serialize)]
pub struct SocketTable {
    /// Sorted by (local port, local addr, remote addr) for deterministic output.
    pub sockets: Vec<Socket>,
    pub source: Source,
    /// Number of processes whose fd tables could not be read (permission denied): when > 0, some holders may be hidden.
    pub unreadable_processes: usize,
    /// Human-readable notes, e.g. why the platform fell back on another source.
    pub notes: Vec<String>,
}

impl SocketTable {
    /// A table of `sockets` as read from `source`, sorted, without pids.
    pub fn new(mut sockets: Vec<Socket>, source: Source, notes: Vec<String>) -> SocketTable {
        sort_sockets(&mut sockets);
        SocketTable {
            sockets,
            source,
            unreadable_processes: 0,
            notes,
        }
    }

    /// The slow half of a read: the pids holding each socket, from a scan
    /// of every process's fd table (`Platform::socket_owners`).
    pub fn with_holders(mut self, owners: Result<SocketOwners, String>) -> SocketTable {
        let owners = match owners {
            Ok(h) => h,
            Err(err) => {
                // The table is still useful without pids, so degrade instead of failing.
                self.notes
                    .push(format!("could not map sockets to processes: {err}"));
                SocketOwners::default()
            }
        };
        for socket in &mut self.sockets {
            if socket.inode != 0
                && let Some(pids) = owners.by_inode.get(&socket.inode)
            {
                socket.pids.clone_from(pids);
            }
        }
        self.unreadable_processes = owners.unreadable;
        self
    }

    pub fn listeners(&self) -> impl Iterator<Item = &Socket> {
        self.sockets.iter().filter(|s| s.state == TcpState::Listen)
    }

    pub fn listeners_on(&self, port: u16) -> impl Iterator<Item = &Socket> {
        self.listeners().filter(move |s| s.local.port() == port)
    }

    pub fn on_local_port(&self, port: u16) -> impl Iterator<Item = &Socket> {
        self.sockets.iter().filter(move |s| s.local.port() == port)
    }
}

fn sort_sockets(sockets: &mut [Socket]) {
    // State and inode only break ties (e.g. SO_REUSEPORT listeners) so repeated runs print identically.
    sockets.sort_by(|a, b| {
        (a.local.port(), a.local.ip(), a.remote, a.state, a.inode).cmp(&(
            b.local.port(),
            b.local.ip(),
            b.remote,
            b.state,
            b.inode,
        ))
    });
}

/// Which processes hold which sockets, from one scan of every process's
/// fd table.
#[derive(Default, Debug)]
pub struct SocketOwners {
    /// Socket inode to sorted, deduplicated pids.
    pub by_inode: HashMap<u64, Vec<u32>>,
    /// Processes whose fd tables could not be read (another user's).
    pub unreadable: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_numbers_and_names() {
        assert_eq!(TcpState::from_kernel(10), TcpState::Listen);
        assert_eq!(TcpState::from_kernel(6).as_str(), "TIME_WAIT");
        assert_eq!(TcpState::from_kernel(8).as_str(), "CLOSE_WAIT");
        assert_eq!(TcpState::from_kernel(1).to_string(), "ESTABLISHED");
        assert_eq!(TcpState::from_kernel(0), TcpState::Unknown);
        assert_eq!(TcpState::from_kernel(255), TcpState::Unknown);
    }

    #[test]
    fn sort_is_by_port_then_addresses() -> anyhow::Result<()> {
        let mk = |local: &str, remote: &str, state| -> anyhow::Result<Socket> {
            Ok(Socket {
                local: local.parse()?,
                remote: remote.parse()?,
                state,
                uid: 0,
                inode: 0,
                v6only: None,
                pids: Vec::new(),
            })
        };
        let mut v = vec![
            mk("127.0.0.1:9000", "0.0.0.0:0", TcpState::Listen)?,
            mk("[::1]:80", "[::]:0", TcpState::Listen)?,
            mk("127.0.0.1:80", "127.0.0.1:5000", TcpState::TimeWait)?,
            mk("127.0.0.1:80", "0.0.0.0:0", TcpState::Listen)?,
        ];
        sort_sockets(&mut v);
        let got: Vec<String> = v
            .iter()
            .map(|s| format!("{} {}", s.local, s.remote))
            .collect();
        assert_eq!(
            got,
            [
                "127.0.0.1:80 0.0.0.0:0",
                "127.0.0.1:80 127.0.0.1:5000",
                "[::1]:80 [::]:0",
                "127.0.0.1:9000 0.0.0.0:0",
            ]
        );
        Ok(())
    }
}
