//! What a check's result through the proxy and its result straight at the
//! server behind it mean together, and which local connection or listener
//! is that server. Pure: tested on recorded outcomes and socket tables.

use std::net::SocketAddr;

use crate::check::upgrade::DevServer;
use crate::os::{SocketTable, TcpState};
use crate::report::{Fix, Outcome, Status};
use crate::target::Target;

/// A proxy, named by the process holding the target's port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProxyKind {
    Nginx,
    Haproxy,
    Caddy,
    Traefik,
    Envoy,
    Apache,
    Dev(DevServer),
}

impl ProxyKind {
    /// The proxy a process runs, by its name or its command line.
    pub fn of(name: &str, command_line: &str) -> Option<ProxyKind> {
        if let Some(dev) = DevServer::named(command_line) {
            return Some(ProxyKind::Dev(dev));
        }
        let name = name.to_ascii_lowercase();
        let program = command_line
            .split_whitespace()
            .next()
            .and_then(|w| w.rsplit('/').next())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let is = |n: &str| name == n || program == n || name.starts_with(&format!("{n}:"));
        [
            ("nginx", ProxyKind::Nginx),
            ("haproxy", ProxyKind::Haproxy),
            ("caddy", ProxyKind::Caddy),
            ("traefik", ProxyKind::Traefik),
            ("envoy", ProxyKind::Envoy),
            ("httpd", ProxyKind::Apache),
            ("apache2", ProxyKind::Apache),
        ]
        .into_iter()
        .find(|(n, _)| is(n))
        .map(|(_, k)| k)
    }

    pub fn name(self) -> &'static str {
        match self {
            ProxyKind::Nginx => "nginx",
            ProxyKind::Haproxy => "HAProxy",
            ProxyKind::Caddy => "Caddy",
            ProxyKind::Traefik => "Traefik",
            ProxyKind::Envoy => "Envoy",
            ProxyKind::Apache => "Apache",
            ProxyKind::Dev(d) => d.name(),
        }
    }
}

/// The target, as the proxy in front of the server.
#[derive(Clone, Debug)]
pub struct Proxy {
    /// `nginx`, or `the proxy` when nothing names it.
    pub name: String,
    pub kind: Option<ProxyKind>,
    pub port: u16,
    /// The processes holding its listening socket.
    pub pids: Vec<u32>,
}

impl Proxy {
    /// A proxy only `--backend` says is one.
    pub fn unnamed(port: u16) -> Proxy {
        Proxy {
            name: "the proxy".into(),
            kind: None,
            port,
            pids: Vec::new(),
        }
    }
}

/// The server behind the proxy.
#[derive(Clone, Debug)]
pub struct Backend {
    pub target: Target,
    /// `the server on :3001 (node server.js)`.
    pub label: String,
    /// How it was found: `named by --backend`, …
    pub how: String,
    /// Found only as a local listener that answers Engine.IO, with nothing
    /// tying it to the proxy: another app's server may answer too, so what
    /// it does is said as a lead, not as the cause.
    pub guessed: bool,
}

/// What the run knows of the server behind the target.
pub enum Behind {
    /// The target is not a proxy on this machine and no --backend names
    /// one: nothing to split.
    NotProxy,
    One(Proxy, Backend),
    Several(Proxy, Vec<Backend>),
    /// A proxy, but no server behind it found: why.
    NoneFound(Proxy, String),
}

impl Behind {
    /// `through`, with what was (not) found behind the proxy.
    pub fn annotate(&self, mut through: Outcome) -> Outcome {
        match self {
            Behind::NotProxy | Behind::One(..) => {}
            Behind::NoneFound(proxy, why) => {
                through.push_evidence(
                    "backend",
                    format!("{} on :{}: {why}", proxy.name, proxy.port),
                );
            }
            Behind::Several(proxy, backends) => {
                let list: Vec<String> = backends.iter().map(|b| b.label.clone()).collect();
                through.push_evidence(
                    "backend",
                    format!(
                        "several servers could be behind {} on :{}: {}; name the one with --backend \
to tell the proxy's fault from the server's",
                        proxy.name,
                        proxy.port,
                        list.join(", ")
                    ),
                );
            }
        }
        through
    }
}

/// What was found behind `proxy`: the servers it holds connections to
/// (`held_by`, the pid that held them: each is its upstream, the first is
/// probed), else the local listeners that answer Engine.IO at `path` (one
/// is used, several are only listed: any could be another app).
pub fn found(proxy: Proxy, mut backends: Vec<Backend>, held_by: Option<u32>, path: &str) -> Behind {
    let labels: Vec<String> = backends.iter().map(|b| b.label.clone()).collect();
    let how = match (held_by, backends.len()) {
        (_, 0) => {
            return Behind::NoneFound(
                proxy,
                format!(
                    "no server behind it was found: no connection from it to a local listener, and \
no other local listener answers Engine.IO at {path}"
                ),
            );
        }
        (None, 1) => {
            backends[0].guessed = true;
            format!(
                "found only as the local listener, other than {}, that answers Engine.IO at {path}: \
nothing seen ties it to {}",
                proxy.name, proxy.name
            )
        }
        (None, _) => return Behind::Several(proxy, backends),
        (Some(pid), 1) => format!(
            "found by its connection from {} (pid {pid}) while a request through it was pending",
            proxy.name
        ),
        (Some(pid), n) => format!(
            "the first of the {n} servers {} (pid {pid}) holds connections to while a request \
through it was pending: {}",
            proxy.name,
            labels.join(", ")
        ),
    };
    let mut first = backends.remove(0);
    first.how = how;
    Behind::One(proxy, first)
}

/// What the same check did straight at the backend.
pub enum Direct {
    /// No TCP connection to it: what the connect met.
    Down(String),
    Ran(Outcome),
    /// Not run: why.
    Unprobed(String),
}

/// How one check says the split.
pub struct Words {
    /// What the server does right on its own: `upgrades directly`.
    pub works: String,
    /// What goes wrong through the proxy: `the upgrade fails`.
    pub fails: String,
    /// What the proxy does wrong: `drops the upgrade`.
    pub fault: String,
    /// The fix in the proxy's config.
    pub fix: Fix,
}

/// The two runs together: the proxy's fault when the server passes on
/// its own, the server's when it fails the same way, and a server that
/// does not answer at all named as down.
pub fn combine(
    through: Outcome,
    proxy: &Proxy,
    backend: &Backend,
    direct: Direct,
    words: &Words,
) -> Outcome {
    let front = format!("{} on :{}", proxy.name, proxy.port);
    let mut out = match &direct {
        // A server that may not be the proxy's: a lead, after what was
        // seen through the proxy, and the first run's fixes stand.
        Direct::Ran(d) if backend.guessed && d.status == Status::Pass => {
            let mut o = Outcome::new(
                through.status,
                format!(
                    "{}; {} {} (nothing ties it to {}): if {} should forward to it, {} {}",
                    through.summary,
                    backend.label,
                    words.works,
                    proxy.name,
                    proxy.name,
                    proxy.name,
                    words.fault
                ),
            );
            o.fixes = through.fixes.clone();
            o.fix(words.fix.clone())
        }
        Direct::Ran(d) if backend.guessed && matches!(d.status, Status::Fail | Status::Warn) => {
            let mut o = Outcome::new(
                through.status,
                format!(
                    "{}; {} fails the same way on its own, if it is the server behind {}",
                    through.summary, backend.label, proxy.name
                ),
            );
            o.fixes = through.fixes.clone();
            o
        }
        Direct::Ran(d) if d.status == Status::Pass => Outcome::new(
            through.status,
            format!(
                "{} {}; through {front} in front of it {}: {} {}",
                backend.label, words.works, words.fails, proxy.name, words.fault
            ),
        )
        .fix(words.fix.clone()),
        Direct::Ran(d) if matches!(d.status, Status::Fail | Status::Warn) => {
            let mut o = Outcome::new(
                through.status,
                format!(
                    "the server itself is at fault: {} ({} answers the same without {}, so the fix \
goes to the server, not to {})",
                    d.summary, backend.label, proxy.name, proxy.name
                ),
            );
            o.fixes = d.fixes.clone();
            o
        }
        Direct::Down(e) => Outcome::new(
            through.status,
            format!(
                "{}; {} does not answer ({e}): start it, or check that {front} forwards to where it \
listens",
                through.summary, backend.label
            ),
        )
        .fix(Fix::new(
            "Start the server behind the proxy",
            format!(
                "Nothing answers at {}. Start the server there; if it listens elsewhere, point the \
proxy's upstream (and --backend) at that address and port.",
                backend.target
            ),
        )),
        Direct::Ran(_) | Direct::Unprobed(_) => {
            let mut o = through.clone();
            o.evidence.clear();
            o
        }
    };
    let changed = out.summary != through.summary;
    out.evidence = through.evidence;
    if changed {
        out.push_evidence("through the proxy", through.summary);
    }
    out.push_evidence("backend", format!("{} ({})", backend.target, backend.how));
    match direct {
        Direct::Ran(d) => {
            out.push_evidence("backend result", d.summary);
            for e in d.evidence {
                out.push_evidence(format!("backend {}", e.label.trim_start()), e.value);
            }
        }
        Direct::Down(e) => out.push_evidence("backend result", format!("no connection: {e}")),
        Direct::Unprobed(why) => out.push_evidence("backend result", format!("not probed: {why}")),
    }
    if !changed {
        // Nothing told apart: the first run's fixes stand.
        out.fixes = through.fixes;
    }
    out
}

/// `the server on :3001 (node server.js)`, `the server at host:3001`.
pub fn label(target: &Target, local: bool, command: Option<&str>) -> String {
    match (local, command) {
        (true, Some(cmd)) => format!("the server on :{} ({cmd})", target.port),
        (true, None) => format!("the server on :{}", target.port),
        (false, _) => format!("the server at {}:{}", target.host, target.port),
    }
}

/// The ports the proxy's processes listen on (its own, not a backend).
pub fn proxy_ports(table: &SocketTable, proxy: &Proxy) -> Vec<u16> {
    let mut ports: Vec<u16> = table
        .listeners()
        .filter(|s| s.local.port() == proxy.port || s.pids.iter().any(|p| proxy.pids.contains(p)))
        .map(|s| s.local.port())
        .collect();
    ports.push(proxy.port);
    ports.dedup();
    ports
}

/// The proxy's established connections to a local listener that is not
/// its own: the servers it forwards to, and the pid that held the first.
pub fn upstreams(table: &SocketTable, proxy: &Proxy) -> (Vec<SocketAddr>, Option<u32>) {
    let own = proxy_ports(table, proxy);
    let mut found: Vec<SocketAddr> = Vec::new();
    let mut pid = None;
    for s in &table.sockets {
        let held = s.pids.iter().find(|p| proxy.pids.contains(p));
        let Some(&by) = held else { continue };
        if s.state != TcpState::Established
            || own.contains(&s.local.port())
            || own.contains(&s.remote.port())
        {
            continue;
        }
        let listens = table
            .listeners_on(s.remote.port())
            .any(|l| l.local.ip() == s.remote.ip() || l.local.ip().is_unspecified());
        if listens && !found.contains(&s.remote) {
            found.push(s.remote);
            pid.get_or_insert(by);
        }
    }
    (found, pid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::os::{Socket, Source};
    use crate::report::Evidence;

    fn socket(local: &str, remote: &str, state: TcpState, pids: &[u32]) -> Socket {
        Socket {
            local: local.parse().unwrap(),
            remote: remote.parse().unwrap(),
            state,
            uid: 0,
            inode: 1,
            v6only: None,
            pids: pids.to_vec(),
        }
    }

    fn nginx() -> Proxy {
        Proxy {
            name: "nginx".into(),
            kind: Some(ProxyKind::Nginx),
            port: 8080,
            pids: vec![811, 812],
        }
    }

    /// nginx (master 811, worker 812) on :8080 in front of node on :3001,
    /// while a poll through it is pending; another server on :5000 and a
    /// client of it that is not nginx.
    fn table() -> SocketTable {
        use TcpState::*;
        SocketTable::new(
            vec![
                socket("127.0.0.1:8080", "0.0.0.0:0", Listen, &[811, 812]),
                socket("127.0.0.1:3001", "0.0.0.0:0", Listen, &[900]),
                socket("0.0.0.0:5000", "0.0.0.0:0", Listen, &[901]),
                // rtdoctor's poll, accepted by nginx.
                socket("127.0.0.1:8080", "127.0.0.1:41000", Established, &[812]),
                socket("127.0.0.1:41000", "127.0.0.1:8080", Established, &[7]),
                // nginx's upstream connection, and node's end of it.
                socket("127.0.0.1:41002", "127.0.0.1:3001", Established, &[812]),
                socket("127.0.0.1:3001", "127.0.0.1:41002", Established, &[900]),
                // Someone else's connection to :5000; nginx's to a remote host.
                socket("127.0.0.1:41004", "127.0.0.1:5000", Established, &[77]),
                socket("10.0.0.2:41006", "10.0.0.9:443", Established, &[812]),
            ],
            Source::Netlink,
            Vec::new(),
        )
    }

    #[test]
    fn the_proxys_own_connection_to_a_local_listener_is_the_backend() {
        let (found, pid) = upstreams(&table(), &nginx());
        assert_eq!(found, ["127.0.0.1:3001".parse::<SocketAddr>().unwrap()]);
        assert_eq!(pid, Some(812));
        let mut other = nginx();
        other.pids = vec![5];
        assert!(upstreams(&table(), &other).0.is_empty(), "not nginx's");
    }

    #[test]
    fn proxies_are_named_by_their_process() {
        assert_eq!(
            ProxyKind::of("nginx", "nginx: master process nginx"),
            Some(ProxyKind::Nginx)
        );
        assert_eq!(
            ProxyKind::of("haproxy", "/usr/sbin/haproxy -f /etc/haproxy.cfg"),
            Some(ProxyKind::Haproxy)
        );
        assert_eq!(
            ProxyKind::of("caddy", "caddy run --config Caddyfile"),
            Some(ProxyKind::Caddy)
        );
        assert_eq!(
            ProxyKind::of("node", "node /app/node_modules/.bin/vite"),
            Some(ProxyKind::Dev(DevServer::Vite))
        );
        assert_eq!(ProxyKind::of("node", "node server.js"), None);
        assert_eq!(ProxyKind::of("python3", "python3 app.py"), None);
    }

    fn backend() -> Backend {
        Backend {
            target: Target::parse("127.0.0.1:3001").unwrap(),
            label: "the server on :3001 (node server.js)".into(),
            how: "named by --backend".into(),
            guessed: false,
        }
    }

    fn words() -> Words {
        Words {
            works: "upgrades directly".into(),
            fails: "the upgrade fails".into(),
            fault: "drops the upgrade".into(),
            fix: Fix::new("Pass websocket upgrades through the proxy", "…"),
        }
    }

    /// WIRE.md: nginx without the Upgrade headers answers the upgrade with
    /// Engine.IO's own 400 "Bad request", as socketio.upgrade says it.
    fn through() -> Outcome {
        Outcome::fail(
            "the websocket upgrade was answered HTTP/1.1 400 Bad Request (server: nginx/1.22.1) \
with \"Bad request\": the request reached the server without its Upgrade/Connection headers, so \
a proxy in between dropped them",
        )
        .evidence("upgrade refused", "HTTP/1.1 400 Bad Request")
        .fix(Fix::new("Pass websocket upgrades through the proxy", "…"))
    }

    /// The recorded nginx failure, against what the server did directly.
    fn against(direct: Direct) -> Outcome {
        combine(through(), &nginx(), &backend(), direct, &words())
    }

    fn labels(out: &Outcome) -> Vec<&str> {
        out.evidence
            .iter()
            .map(|e: &Evidence| e.label.as_str())
            .collect()
    }

    #[test]
    fn a_server_that_passes_on_its_own_puts_the_fault_on_the_proxy() {
        let direct = Outcome::pass("upgraded to websocket in 3 ms").evidence("upgrade", "GET …");
        let out = against(Direct::Ran(direct));
        assert_eq!(out.status, Status::Fail);
        assert_eq!(
            out.summary,
            "the server on :3001 (node server.js) upgrades directly; through nginx on :8080 in \
front of it the upgrade fails: nginx drops the upgrade"
        );
        assert_eq!(
            labels(&out),
            [
                "upgrade refused",
                "through the proxy",
                "backend",
                "backend result",
                "backend upgrade"
            ]
        );
        assert_eq!(
            out.evidence[2].value,
            "http://127.0.0.1:3001 (named by --backend)"
        );
        assert_eq!(out.fixes.len(), 1);
    }

    #[test]
    fn a_server_that_fails_the_same_on_its_own_gets_the_fix() {
        let direct = Outcome::fail(
            "the server offers no websocket upgrade (\"upgrades\":[]): it runs without WebSocket support",
        )
        .fix(Fix::new("Or turn upgrades back on", "…"));
        let out = against(Direct::Ran(direct));
        assert_eq!(
            out.summary,
            "the server itself is at fault: the server offers no websocket upgrade (\"upgrades\":[]): \
it runs without WebSocket support (the server on :3001 (node server.js) answers the same without \
nginx, so the fix goes to the server, not to nginx)"
        );
        let titles: Vec<&str> = out.fixes.iter().map(|f| f.title.as_str()).collect();
        assert_eq!(titles, ["Or turn upgrades back on"]);
    }

    /// A listener found only by answering Engine.IO may be another app's:
    /// what it does is a lead after what the proxy did, never the cause.
    #[test]
    fn a_guessed_backend_is_said_as_a_lead() {
        let guessed = Backend {
            guessed: true,
            ..backend()
        };
        let pass = Direct::Ran(Outcome::pass("upgraded to websocket in 3 ms"));
        let out = combine(through(), &nginx(), &guessed, pass, &words());
        assert_eq!(
            out.summary,
            format!(
                "{}; the server on :3001 (node server.js) upgrades directly (nothing ties it to \
nginx): if nginx should forward to it, nginx drops the upgrade",
                through().summary
            )
        );
        let titles: Vec<&str> = out.fixes.iter().map(|f| f.title.as_str()).collect();
        assert_eq!(titles, ["Pass websocket upgrades through the proxy"; 2]);
        let fail = Direct::Ran(Outcome::fail("no websocket").fix(Fix::new("Server fix", "…")));
        let out = combine(through(), &nginx(), &guessed, fail, &words());
        assert!(out.summary.starts_with(&through().summary));
        assert!(out.summary.ends_with(
            "the server on :3001 (node server.js) fails the same way on its own, if it is the \
server behind nginx"
        ));
        assert_eq!(out.fixes, through().fixes, "no server fix from a guess");
    }

    #[test]
    fn a_server_that_does_not_answer_is_to_be_started() {
        let through = Outcome::fail("the proxy (nginx/1.22.1) answered HTTP/1.1 502 Bad Gateway");
        let down = Direct::Down("refused (ECONNREFUSED)".into());
        let out = combine(through, &nginx(), &backend(), down, &words());
        assert!(
            out.summary.ends_with(
                "the server on :3001 (node server.js) does not answer (refused \
(ECONNREFUSED)): start it, or check that nginx on :8080 forwards to where it listens"
            ),
            "{}",
            out.summary
        );
        assert_eq!(out.fixes[0].title, "Start the server behind the proxy");
    }

    #[test]
    fn a_backend_not_probed_leaves_the_result_and_says_why() {
        let out = against(Direct::Unprobed("no time".into()));
        assert_eq!(out.summary, through().summary);
        assert_eq!(out.fixes, through().fixes);
        assert_eq!(out.evidence.last().unwrap().value, "not probed: no time");
    }

    /// HAProxy keeps idle connections to both servers it balances over:
    /// both are its upstreams, so the first is probed; listeners that only
    /// answer Engine.IO may be any app, so several are only listed.
    #[test]
    fn several_upstreams_held_by_the_proxy_are_its_own_and_the_first_is_probed() {
        let mut other = backend();
        other.label = "the server on :3002 (node server.js)".into();
        let two = || vec![backend(), other.clone()];
        let Behind::One(_, first) = found(nginx(), two(), Some(812), "/socket.io/") else {
            panic!("two upstreams of nginx were not taken");
        };
        assert_eq!(
            first.how,
            "the first of the 2 servers nginx (pid 812) holds connections to while a request \
through it was pending: the server on :3001 (node server.js), the server on :3002 (node server.js)"
        );
        assert!(matches!(
            found(nginx(), two(), None, "/socket.io/"),
            Behind::Several(..)
        ));
        assert!(matches!(
            found(nginx(), Vec::new(), None, "/socket.io/"),
            Behind::NoneFound(..)
        ));
    }

    #[test]
    fn several_candidates_are_listed_with_the_option_to_pick_one() {
        let mut other = backend();
        other.label = "the server on :3002 (python3 app.py)".into();
        let out = Behind::Several(nginx(), vec![backend(), other]).annotate(through());
        assert_eq!(out.summary, through().summary);
        let said = &out.evidence.last().unwrap().value;
        assert!(
            said.starts_with("several servers could be behind nginx on :8080: the server on :3001")
                && said.contains("--backend"),
            "{said}"
        );
    }
}
