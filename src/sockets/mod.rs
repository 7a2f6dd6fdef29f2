//! The host's TCP socket table (IPv4 and IPv6, every state) with the pids holding each socket, read from netlink sock_diag or, when that is unavailable, from /proc/net/tcp{,6}.

pub mod diag;
pub mod procfs;

use std::collections::HashMap;
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::path::Path;

use anyhow::{Context, Result, anyhow};
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
    /// Maps the kernel's `TCP_*` numbering (include/net/tcp_states.h), shared by sock_diag and /proc/net/tcp.
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
    /// Number of /proc/PID/fd directories that could not be read (permission denied): when > 0, some holders may be hidden.
    pub unreadable_processes: usize,
    /// Human-readable notes, e.g. "netlink sock_diag unavailable (Operation not permitted): read /proc/net/tcp instead".
    pub notes: Vec<String>,
}

impl SocketTable {
    /// Netlink sock_diag first (IPv4 and IPv6 TCP, all states); on any error fall back to /proc/net/tcp and /proc/net/tcp6, recording a note. Errors only if both fail.
    pub fn read() -> Result<SocketTable> {
        Ok(Self::read_bare_any()?.with_holders())
    }

    fn fall_back(netlink_err: anyhow::Error) -> Result<SocketTable> {
        let mut table = Self::read_bare(Source::Procfs).map_err(|procfs_err| {
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

    /// Force one source (used by tests and by the `RTDOCTOR_SOCKETS=netlink|procfs` seam).
    pub fn read_from(source: Source) -> Result<SocketTable> {
        Ok(Self::read_bare(source)?.with_holders())
    }

    /// The netlink sock_diag table, or /proc/net/tcp's when that fails, without pids.
    pub fn read_bare_any() -> Result<SocketTable> {
        Self::read_bare(Source::Netlink).or_else(Self::fall_back)
    }

    /// The sockets alone, without pids: the fast half of a read (the
    /// kernel's table), for questions such as "does anything listen".
    pub fn read_bare(source: Source) -> Result<SocketTable> {
        let mut notes = Vec::new();
        let mut sockets = match source {
            Source::Netlink => diag::dump().context("reading TCP sockets via netlink sock_diag")?,
            Source::Procfs => procfs::read_tables(&mut notes)?,
        };
        sort_sockets(&mut sockets);
        Ok(SocketTable {
            sockets,
            source,
            unreadable_processes: 0,
            notes,
        })
    }

    /// The slow half: every process's fd table scanned for the pids
    /// holding each socket.
    pub fn with_holders(mut self) -> SocketTable {
        let holders = match scan_holders(Path::new("/proc")) {
            Ok(h) => h,
            Err(err) => {
                // The table is still useful without pids, so degrade instead of failing.
                self.notes
                    .push(format!("could not map sockets to processes: {err:#}"));
                Holders::default()
            }
        };
        for socket in &mut self.sockets {
            if socket.inode != 0
                && let Some(pids) = holders.by_inode.get(&socket.inode)
            {
                socket.pids.clone_from(pids);
            }
        }
        self.unreadable_processes = holders.unreadable;
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

#[derive(Default, Debug)]
pub(crate) struct Holders {
    /// Socket inode to sorted, deduplicated pids.
    pub by_inode: HashMap<u64, Vec<u32>>,
    pub unreadable: usize,
}

/// At most this many threads read fd tables: the time goes to the kernel
/// resolving each fd link, which spreads across cores.
const SCAN_THREADS: usize = 4;

/// One pass over `<proc>/[0-9]*/fd/*`, because a per-socket search would
/// rescan every process; the processes are shared out among a few threads.
pub(crate) fn scan_holders(proc_root: &Path) -> Result<Holders> {
    let pids: Vec<u32> = std::fs::read_dir(proc_root)
        .with_context(|| format!("listing {}", proc_root.display()))?
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse().ok())
        .collect();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, SCAN_THREADS)
        .min(pids.len().max(1));
    let parts: Vec<Holders> = if threads == 1 {
        vec![scan_pids(proc_root, pids.iter().copied())]
    } else {
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|k| {
                    let mine = pids.iter().copied().skip(k).step_by(threads);
                    scope.spawn(move || scan_pids(proc_root, mine))
                })
                .collect();
            workers
                .into_iter()
                .map(|w| {
                    w.join()
                        .map_err(|_| anyhow!("a thread scanning fd tables crashed"))
                })
                .collect::<Result<_>>()
        })?
    };
    let mut holders = Holders::default();
    for part in parts {
        holders.unreadable += part.unreadable;
        for (inode, pids) in part.by_inode {
            holders.by_inode.entry(inode).or_default().extend(pids);
        }
    }
    for pids in holders.by_inode.values_mut() {
        pids.sort_unstable();
        pids.dedup();
    }
    Ok(holders)
}

fn scan_pids(proc_root: &Path, pids: impl Iterator<Item = u32>) -> Holders {
    let mut holders = Holders::default();
    for pid in pids {
        let fd_dir = proc_root.join(pid.to_string()).join("fd");
        let fds = match std::fs::read_dir(&fd_dir) {
            Ok(fds) => fds,
            Err(err) if err.kind() == ErrorKind::PermissionDenied => {
                holders.unreadable += 1;
                continue;
            }
            // Vanished processes (ENOENT/ESRCH) and zombies are not holders.
            Err(_) => continue,
        };
        for fd in fds.flatten() {
            // The fd may have been closed since the listing; that is not an error.
            let Ok(target) = std::fs::read_link(fd.path()) else {
                continue;
            };
            if let Some(inode) = target.to_str().and_then(socket_inode) {
                holders.by_inode.entry(inode).or_default().push(pid);
            }
        }
    }
    holders
}

/// Parses the `socket:[INODE]` link target the kernel gives socket fds.
fn socket_inode(target: &str) -> Option<u64> {
    target
        .strip_prefix("socket:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
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
    fn fallback_records_why() -> Result<()> {
        let refused = anyhow::Error::new(std::io::Error::from_raw_os_error(libc::EPERM))
            .context("opening a NETLINK_SOCK_DIAG socket");
        let table = SocketTable::fall_back(refused)?;
        assert_eq!(table.source, Source::Procfs);
        let note = table.notes.first().map(String::as_str).unwrap_or_default();
        assert_eq!(
            note,
            "netlink sock_diag unavailable (Operation not permitted): read /proc/net/tcp instead"
        );
        Ok(())
    }

    #[test]
    fn socket_link_targets() {
        assert_eq!(socket_inode("socket:[12345]"), Some(12345));
        assert_eq!(socket_inode("pipe:[12345]"), None);
        assert_eq!(socket_inode("socket:[]"), None);
        assert_eq!(socket_inode("socket:[12"), None);
        assert_eq!(socket_inode("/dev/null"), None);
    }

    #[test]
    fn holders_from_a_fake_proc_tree() -> Result<()> {
        use std::os::unix::fs::symlink;
        let root = tempfile::tempdir()?;
        let p = root.path();
        for (pid, targets) in [
            ("100", &["socket:[7]", "socket:[8]", "/dev/null"][..]),
            ("200", &["socket:[7]", "socket:[7]"][..]),
        ] {
            std::fs::create_dir_all(p.join(pid).join("fd"))?;
            for (fd, target) in targets.iter().enumerate() {
                symlink(target, p.join(pid).join("fd").join(fd.to_string()))?;
            }
        }
        // Not processes: must be ignored.
        std::fs::create_dir_all(p.join("net"))?;
        std::fs::create_dir_all(p.join("300"))?;
        let holders = scan_holders(p)?;
        assert_eq!(holders.by_inode.get(&7), Some(&vec![100, 200]));
        assert_eq!(holders.by_inode.get(&8), Some(&vec![100]));
        assert_eq!(holders.by_inode.len(), 2);
        assert_eq!(holders.unreadable, 0);
        assert!(scan_holders(&p.join("missing")).is_err());
        Ok(())
    }

    #[test]
    fn sort_is_by_port_then_addresses() -> Result<()> {
        let mk = |local: &str, remote: &str, state| -> Result<Socket> {
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
