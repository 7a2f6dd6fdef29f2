//! Who holds a port: its listening sockets and the processes whose fd
//! tables hold them. Only listeners count: a process that is merely a
//! client of the port is never a holder (that is how `kill $(lsof -ti:PORT)`
//! kills the wrong process). Pre-fork servers share one listening socket
//! between a master and its workers; the master is told apart.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::os::{Platform, ProcessInfo, SocketTable};

#[derive(Clone, Debug, Serialize)]
pub struct ListenSocket {
    pub addr: SocketAddr,
    /// For `[::]`/IPv6 sockets: does it refuse IPv4 clients? None if unknown.
    pub v6only: Option<bool>,
    pub uid: u32,
    pub pids: Vec<u32>,
}

impl ListenSocket {
    /// `127.0.0.1:8765`, `[::]:8765 (IPv6 only)`, `[::]:8765 (IPv4 and IPv6)`.
    pub fn label(&self) -> String {
        match (self.addr.ip(), self.v6only) {
            (IpAddr::V6(ip), Some(true)) if ip.is_unspecified() => {
                format!("{} (IPv6 only)", self.addr)
            }
            (IpAddr::V6(ip), Some(false)) if ip.is_unspecified() => {
                format!("{} (IPv4 and IPv6)", self.addr)
            }
            _ => self.addr.to_string(),
        }
    }

    /// Would a connection to `ip` reach this socket? `None` when the answer
    /// depends on a v6-only flag that could not be read.
    pub fn accepts(&self, ip: IpAddr) -> Option<bool> {
        let bound = self.addr.ip();
        if bound == ip {
            return Some(true);
        }
        match (bound, ip) {
            (IpAddr::V4(b), IpAddr::V4(_)) => Some(b.is_unspecified()),
            (IpAddr::V6(b), IpAddr::V6(_)) => Some(b.is_unspecified()),
            (IpAddr::V6(b), IpAddr::V4(v4)) => {
                if b.is_unspecified() {
                    self.v6only.map(|only| !only)
                } else {
                    Some(b.to_ipv4_mapped() == Some(v4))
                }
            }
            (IpAddr::V4(_), IpAddr::V6(_)) => Some(false),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The only process holding the socket.
    Single,
    /// Holds the socket and is the parent of other holders (pre-fork master).
    Master,
    /// Holds the socket and is the child of another holder.
    Worker,
}

#[derive(Clone, Debug, Serialize)]
pub struct Holder {
    pub process: ProcessInfo,
    pub role: Role,
    pub addrs: Vec<SocketAddr>,
}

impl Holder {
    /// `python3 (pid 4242, user alice)`, `gunicorn (pid 10, user www, master)`.
    pub fn label(&self) -> String {
        let p = &self.process;
        let mut parts = vec![format!("pid {}", p.pid)];
        if let Some(user) = &p.user {
            parts.push(format!("user {user}"));
        } else if let Some(uid) = p.uid {
            parts.push(format!("uid {uid}"));
        }
        match self.role {
            Role::Master => parts.push("master".into()),
            Role::Worker => parts.push("worker".into()),
            Role::Single => {}
        }
        format!("{} ({})", p.name, parts.join(", "))
    }

    pub fn command_line(&self) -> String {
        command_line(&self.process)
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct PortHolders {
    pub port: u16,
    pub sockets: Vec<ListenSocket>,
    pub holders: Vec<Holder>,
    /// Owners of listening sockets no visible process holds: another
    /// user's process (visible with privileges), or, as root, a process
    /// of another PID namespace or hidden by the platform (hidepid).
    pub hidden_owners: Vec<Owner>,
    /// Who looked: what a hidden owner means depends on it.
    #[serde(skip)]
    pub viewer: Viewer,
}

/// Who reads the socket table: a user, to whom other users' processes are
/// hidden, or root, from whom a process is hidden only when it is not in
/// this PID namespace (a container's, or the host's) or the platform
/// hides it (`os::words::HIDDEN_FROM_ROOT`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Viewer {
    #[default]
    User,
    Root,
}

impl Viewer {
    /// How a hidden process is said to be: "hidden from this user", or
    /// "not visible from here" when even root does not see it.
    pub fn hidden(self) -> &'static str {
        match self {
            Viewer::User => "hidden from this user",
            Viewer::Root => "not visible from here",
        }
    }

    /// As the platform says rtdoctor runs.
    pub fn of(os: &dyn Platform) -> Viewer {
        match os.euid() {
            Some(0) => Viewer::Root,
            _ => Viewer::User,
        }
    }
}

/// The owner of a socket whose process this user cannot see: a uid in
/// JSON, a name where a person reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    pub uid: u32,
    pub name: Option<String>,
}

impl Serialize for Owner {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u32(self.uid)
    }
}

/// `alice (uid 1000)`, or `uid 1000` for an account without a name.
impl std::fmt::Display for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.name {
            Some(name) => write!(f, "{name} (uid {})", self.uid),
            None => write!(f, "uid {}", self.uid),
        }
    }
}

impl PortHolders {
    /// On the machine rtdoctor runs on.
    pub fn find(table: &SocketTable, port: u16) -> PortHolders {
        Self::find_with(&*crate::os::native(), table, port)
    }

    /// Listeners of `port` in `table`, with the processes `os` says hold
    /// them.
    pub fn find_with(os: &dyn Platform, table: &SocketTable, port: u16) -> PortHolders {
        let sockets: Vec<ListenSocket> = table
            .listeners_on(port)
            .map(|s| ListenSocket {
                addr: s.local,
                v6only: s.v6only,
                uid: s.uid,
                pids: s.pids.clone(),
            })
            .collect();
        let mut pids: Vec<u32> = sockets
            .iter()
            .flat_map(|s| s.pids.iter().copied())
            .collect();
        pids.sort_unstable();
        pids.dedup();
        let processes = os.processes(&pids);
        let holders = assign_roles(processes, &sockets);
        let mut uids: Vec<u32> = sockets
            .iter()
            .filter(|s| s.pids.is_empty())
            .map(|s| s.uid)
            .collect();
        uids.sort_unstable();
        uids.dedup();
        let hidden_owners = uids
            .into_iter()
            .map(|uid| Owner {
                uid,
                name: os.user_name(uid),
            })
            .collect();
        PortHolders {
            port,
            sockets,
            holders,
            hidden_owners,
            viewer: Viewer::of(os),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.sockets.is_empty()
    }

    /// The owners of listeners hidden from this user, by name: "a, b".
    pub fn hidden_owner_names(&self) -> String {
        owner_names(&self.hidden_owners)
    }

    /// Why the port's owner is hidden and how to see it, in one sentence:
    /// the one place this is said (`kill`, and `ports` in its notes).
    pub fn hidden_owner_sentence(&self) -> String {
        hidden_owner_sentence(self.port, &self.hidden_owners, self.viewer)
    }

    pub fn addr_labels(&self) -> Vec<String> {
        self.sockets.iter().map(ListenSocket::label).collect()
    }

    /// The holder to name first: the master of a pre-fork server, else the
    /// lowest pid.
    pub fn main_holder(&self) -> Option<&Holder> {
        self.holders
            .iter()
            .find(|h| h.role == Role::Master)
            .or_else(|| self.holders.first())
    }
}

fn assign_roles(processes: Vec<ProcessInfo>, sockets: &[ListenSocket]) -> Vec<Holder> {
    let pids: Vec<u32> = processes.iter().map(|p| p.pid).collect();
    let mut holders: Vec<Holder> = processes
        .into_iter()
        .map(|p| {
            let role = if p.ppid.is_some_and(|pp| pids.contains(&pp)) {
                Role::Worker
            } else if pids.len() > 1 {
                Role::Master
            } else {
                Role::Single
            };
            let addrs = sockets
                .iter()
                .filter(|s| s.pids.contains(&p.pid))
                .map(|s| s.addr)
                .collect();
            Holder {
                process: p,
                role,
                addrs,
            }
        })
        .collect();
    // Several unrelated holders (SO_REUSEPORT) are not masters.
    if !holders.iter().any(|h| h.role == Role::Worker) {
        for h in &mut holders {
            h.role = Role::Single;
        }
    }
    holders.sort_by_key(|h| (h.role != Role::Master, h.process.pid));
    holders
}

/// The command line on one line: arguments with spaces, quotes or control
/// characters are quoted, and newlines shown as `\n`.
pub fn command_line(p: &ProcessInfo) -> String {
    if p.cmdline.is_empty() {
        return format!("[{}]", p.name);
    }
    p.cmdline
        .iter()
        .map(|a| quote(a))
        .collect::<Vec<_>>()
        .join(" ")
}

/// An argument as a shell would need it, with control characters and bidi
/// controls escaped (`escape::escape`), as every view of a process shows them.
fn quote(arg: &str) -> String {
    let shown = crate::escape::escape(arg);
    let plain = !arg.is_empty()
        && matches!(shown, std::borrow::Cow::Borrowed(_))
        && !arg
            .chars()
            .any(|c| c.is_whitespace() || c == '\'' || c == '"');
    if plain {
        return arg.to_string();
    }
    format!("'{}'", shown.replace('\'', "'\\''"))
}

/// The command line with the program's directory left out and cut to a
/// length that fits a summary line: `python3 server.py`.
pub fn short_command_line(p: &ProcessInfo) -> String {
    const MAX: usize = 60;
    let full = command_line(p);
    let short = match full.split_once(' ') {
        Some((prog, rest)) if !prog.starts_with('\'') => {
            format!("{} {rest}", prog.rsplit('/').next().unwrap_or(prog))
        }
        None if !full.starts_with('[') => full.rsplit('/').next().unwrap_or(&full).to_string(),
        _ => full,
    };
    if short.chars().count() > MAX {
        let cut: String = short.chars().take(MAX - 1).collect();
        format!("{}…", cut.trim_end())
    } else {
        short
    }
}

/// `2026-11-22T10:00:01Z (3m ago)`.
pub fn started(start_time: Option<u64>) -> String {
    let Some(secs) = start_time else {
        return "unknown".into();
    };
    let at = UNIX_EPOCH + Duration::from_secs(secs);
    let ago = ago(secs).map(|a| format!(" ({a})")).unwrap_or_default();
    format!("{}{ago}", humantime::format_rfc3339_seconds(at))
}

/// `3m ago` for a process started at `secs` (Unix time); `None` for a
/// start in the future (a clock that moved).
pub fn ago(secs: u64) -> Option<String> {
    SystemTime::now()
        .duration_since(UNIX_EPOCH + Duration::from_secs(secs))
        .ok()
        .map(|d| format!("{} ago", short_duration(d)))
}

pub fn short_duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86400 => format!("{}h {}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d {}h", s / 86400, s % 86400 / 3600),
    }
}

/// Why a listener's process is hidden and where to look from: as a user,
/// it is another user's (sudo shows it); as root, it is not visible from
/// here at all, and sudo would change nothing.
pub fn hidden_owner_sentence(port: u16, owners: &[Owner], viewer: Viewer) -> String {
    let owners = owner_names(owners);
    match viewer {
        Viewer::User => format!(
            "port {port} is held by a process of {owners} that this user can neither see nor signal: \
run as that user or with sudo"
        ),
        Viewer::Root => format!(
            "port {port} is held by a process of {owners} that is not visible from here, even as root: \
it runs in another PID namespace (a container's, or the host's when rtdoctor runs in a container \
that shares its network) or {hidden}. Look from where it runs: on the host, \
`ss -tlnp 'sport = :{port}'` names it; for a container, `docker top CONTAINER` or \
`nsenter --target PID --net ss -tlnp`",
            hidden = crate::os::words::HIDDEN_FROM_ROOT
        ),
    }
}

/// What stands for a hidden process in a table cell.
pub fn hidden_owner_cell(viewer: Viewer) -> &'static str {
    match viewer {
        Viewer::User => "(run with sudo to see)",
        Viewer::Root => "(not visible from here: see the note)",
    }
}

/// Owners by name: "a, b".
pub fn owner_names(owners: &[Owner]) -> String {
    owners
        .iter()
        .map(Owner::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sock(addr: &str, v6only: Option<bool>) -> ListenSocket {
        ListenSocket {
            addr: addr.parse().unwrap(),
            v6only,
            uid: 0,
            pids: vec![1],
        }
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn which_listener_accepts_which_family() {
        let v4 = sock("127.0.0.1:80", None);
        assert_eq!(v4.accepts(ip("127.0.0.1")), Some(true));
        assert_eq!(v4.accepts(ip("::1")), Some(false));
        let any4 = sock("0.0.0.0:80", None);
        assert_eq!(any4.accepts(ip("127.0.0.1")), Some(true));
        let dual = sock("[::]:80", Some(false));
        assert_eq!(dual.accepts(ip("127.0.0.1")), Some(true));
        assert_eq!(dual.accepts(ip("::1")), Some(true));
        assert_eq!(dual.label(), "[::]:80 (IPv4 and IPv6)");
        let v6only = sock("[::]:80", Some(true));
        assert_eq!(v6only.accepts(ip("127.0.0.1")), Some(false));
        assert_eq!(v6only.label(), "[::]:80 (IPv6 only)");
        assert_eq!(sock("[::]:80", None).accepts(ip("127.0.0.1")), None);
        assert_eq!(sock("[::1]:80", None).accepts(ip("127.0.0.1")), Some(false));
    }

    fn info(pid: u32, ppid: u32) -> ProcessInfo {
        ProcessInfo {
            pid,
            ppid: Some(ppid),
            name: "gunicorn".into(),
            cmdline: vec!["gunicorn".into(), "app:app".into()],
            uid: Some(0),
            user: Some("root".into()),
            start_time: None,
            memory_bytes: None,
            open_fds: None,
            fd_limit: None,
        }
    }

    #[test]
    fn prefork_master_is_told_apart_from_workers() {
        let sockets = vec![ListenSocket {
            addr: "0.0.0.0:8000".parse().unwrap(),
            v6only: None,
            uid: 0,
            pids: vec![10, 11, 12],
        }];
        let holders = assign_roles(vec![info(11, 10), info(10, 1), info(12, 10)], &sockets);
        let roles: Vec<(u32, Role)> = holders.iter().map(|h| (h.process.pid, h.role)).collect();
        assert_eq!(
            roles,
            [(10, Role::Master), (11, Role::Worker), (12, Role::Worker)]
        );
        assert_eq!(holders[0].label(), "gunicorn (pid 10, user root, master)");

        let unrelated = assign_roles(vec![info(20, 1), info(21, 1)], &sockets);
        assert!(unrelated.iter().all(|h| h.role == Role::Single));
    }

    #[test]
    fn short_command_lines_drop_the_directory() {
        let mut p = info(1, 0);
        p.cmdline = vec!["/usr/bin/python3".into(), "server.py".into()];
        assert_eq!(short_command_line(&p), "python3 server.py");
        p.cmdline = vec!["/usr/sbin/nginx".into()];
        assert_eq!(short_command_line(&p), "nginx");
        p.cmdline = vec![];
        assert_eq!(short_command_line(&p), "[gunicorn]");
        p.cmdline = vec![
            "python3".into(),
            "-c".into(),
            "import x\nprint('hi')".into(),
        ];
        assert_eq!(
            command_line(&p),
            "python3 -c 'import x\\nprint('\\''hi'\\'')'"
        );
        p.cmdline = vec!["node".into(), "x".repeat(100)];
        let short = short_command_line(&p);
        assert_eq!(short.chars().count(), 60);
        assert!(short.ends_with('…'));
    }

    #[test]
    fn a_hidden_owner_is_explained_as_this_viewer_sees_it() {
        use crate::os::fake::{Fake, hidden_listener};
        let os = |euid| hidden_listener("0.0.0.0:8000", euid);
        let table = |os: &Fake| os.socket_table_with_owners(None).unwrap();

        let user = os(1000);
        let found = PortHolders::find_with(&user, &table(&user), 8000);
        assert_eq!(found.viewer, Viewer::User);
        assert_eq!(
            found.hidden_owner_sentence(),
            "port 8000 is held by a process of alice (uid 1000) that this user can neither see \
nor signal: run as that user or with sudo"
        );
        assert_eq!(hidden_owner_cell(found.viewer), "(run with sudo to see)");

        let root = os(0);
        let found = PortHolders::find_with(&root, &table(&root), 8000);
        assert_eq!(found.viewer, Viewer::Root);
        let said = found.hidden_owner_sentence();
        assert_eq!(
            said,
            format!(
                "port 8000 is held by a process of alice (uid 1000) that is not visible from here, \
even as root: it runs in another PID namespace (a container's, or the host's when rtdoctor runs \
in a container that shares its network) or {}. Look from where it \
runs: on the host, `ss -tlnp 'sport = :8000'` names it; for a container, `docker top CONTAINER` \
or `nsenter --target PID --net ss -tlnp`",
                crate::os::words::HIDDEN_FROM_ROOT
            )
        );
        assert!(!said.contains("sudo"), "{said}");
        assert!(!hidden_owner_cell(found.viewer).contains("sudo"));
    }

    #[test]
    fn durations_read_short() {
        assert_eq!(short_duration(Duration::from_secs(42)), "42s");
        assert_eq!(short_duration(Duration::from_secs(125)), "2m");
        assert_eq!(short_duration(Duration::from_secs(7380)), "2h 3m");
        assert_eq!(short_duration(Duration::from_secs(90000)), "1d 1h");
    }
}
