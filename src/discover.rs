//! `rtdoctor check` with no target and no config: find the real-time
//! servers among this machine's TCP listeners. Every listener is probed at
//! once and briefly (an Engine.IO handshake at /socket.io/, else a
//! WebSocket handshake at /), so a machine with hundreds of listeners still
//! answers in about a second.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use crate::holders::PortHolders;
use crate::os::SocketTable;
use crate::probe::Failure;
use crate::probe::engineio::{self, Endpoint, Handshake};
use crate::probe::handshake::{self as ws_handshake, Request};
use crate::probe::http::Http;
use crate::protocol::engineio::{Eio, Kind, Packet};
use crate::target::Target;

/// Listeners probed at most.
const MAX_LISTENERS: usize = 256;
pub const PROBE_TIMEOUT: Duration = Duration::from_millis(700);

/// A real-time server found listening on this machine.
#[derive(Clone, Debug)]
pub struct LocalServer {
    pub target: Target,
    pub kind: String,
    pub holder: Option<String>,
}

/// A listener that answered HTTP but not as a real-time server where
/// discovery looks, or did not answer in time: why, and how to name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// `127.0.0.1:8080`.
    pub addr: String,
    pub why: String,
    /// The target to give `rtdoctor check` for it.
    pub name_it: String,
}

/// What the scan found: the servers, and among how many listeners; the
/// listeners it skipped and why; the ports that did not answer HTTP.
pub struct LocalServers {
    pub servers: Vec<LocalServer>,
    pub listeners: usize,
    pub skipped: Vec<Skipped>,
    pub not_http: Vec<u16>,
}

/// What one listener turned out to be.
enum Found {
    /// A real-time server: its kind and the URL to check it by.
    Server(String, String),
    Skipped(Skipped),
    NotHttp,
}

/// The address a local client dials for each listening port: one per
/// port, by port.
pub fn listener_addrs(table: &SocketTable) -> Vec<SocketAddr> {
    let mut dials: Vec<SocketAddr> = Vec::new();
    for s in table.listeners() {
        let port = s.local.port();
        if dials.iter().any(|d| d.port() == port) {
            continue;
        }
        dials.push(SocketAddr::new(dial_ip(s.local.ip(), s.v6only), port));
    }
    dials.sort_by_key(|a| a.port());
    dials
}

pub async fn run(table: &SocketTable, http: &Http) -> LocalServers {
    let mut dials = listener_addrs(table);
    let listeners = dials.len();
    dials.truncate(MAX_LISTENERS);
    let probes = dials
        .into_iter()
        .map(|addr| async move { (addr, probe(addr, http).await) });
    let mut servers = Vec::new();
    let mut skipped = Vec::new();
    let mut not_http = Vec::new();
    for (addr, found) in futures_util::future::join_all(probes).await {
        let (kind, url) = match found {
            Some(Found::Server(kind, url)) => (kind, url),
            Some(Found::Skipped(s)) => {
                skipped.push(s);
                continue;
            }
            Some(Found::NotHttp) | None => {
                not_http.push(addr.port());
                continue;
            }
        };
        let Ok(target) = Target::parse(&url) else {
            continue;
        };
        let holder = PortHolders::find(table, addr.port())
            .main_holder()
            .map(|h| {
                format!(
                    "{} — {}",
                    h.label(),
                    crate::holders::short_command_line(&h.process)
                )
            });
        servers.push(LocalServer {
            target,
            kind,
            holder,
        });
    }
    LocalServers {
        servers,
        listeners,
        skipped,
        not_http,
    }
}

/// The address a local client would dial to reach a listener.
fn dial_ip(bound: IpAddr, v6only: Option<bool>) -> IpAddr {
    match bound {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() && v6only == Some(false) => {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        }
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        other => other,
    }
}

fn base(addr: SocketAddr) -> String {
    match addr.ip() {
        IpAddr::V6(ip) => format!("[{ip}]:{}", addr.port()),
        IpAddr::V4(ip) => format!("{ip}:{}", addr.port()),
    }
}

/// `http://127.0.0.1:8080`: how a local client names a listener.
pub fn listener_url(addr: SocketAddr) -> String {
    format!("http://{}", base(addr))
}

/// Whether an Engine.IO server opens a session at `path` of `addr`, which
/// is handed back at once: `Socket.IO (Engine.IO 4)`.
pub async fn engineio_at(addr: SocketAddr, path: &str, http: &Http) -> Option<String> {
    let target = Target::parse(&listener_url(addr)).ok()?;
    let ep = Endpoint::new(&target, path, Eio::V4, Vec::new());
    let Handshake::Open { open, eio, .. } = engineio::handshake(http, &ep, PROBE_TIMEOUT).await
    else {
        return None;
    };
    let close = [Packet::new(Kind::Close, "")];
    let _ = engineio::post(http, &ep.with_eio(eio), &open.sid, &close, PROBE_TIMEOUT).await;
    Some(format!("Socket.IO (Engine.IO {})", eio.number()))
}

/// What answers at `addr`.
async fn probe(addr: SocketAddr, http: &Http) -> Option<Found> {
    let url = listener_url(addr);
    if let Some(kind) = engineio_at(addr, "/socket.io/", http).await {
        return Some(Found::Server(kind, url));
    }
    let ws_url = url::Url::parse(&format!("ws://{}/", base(addr))).ok()?;
    let req = Request {
        url: &ws_url,
        headers: &[],
        subprotocols: &[],
        offer_deflate: false,
        tls: None,
    };
    Some(skip_or_server(
        &base(addr),
        ws_handshake::upgrade(&req, PROBE_TIMEOUT)
            .await
            .map(|up| up.answer.status),
    ))
}

/// What the WebSocket handshake at `/` of `base` (`127.0.0.1:8080`)
/// says the listener is, given that /socket.io/ did not open a session.
fn skip_or_server(base: &str, status: Result<u16, ws_handshake::Error>) -> Found {
    match status {
        Ok(101) => Found::Server("WebSocket at /".into(), format!("ws://{base}/")),
        Ok(status) => Found::Skipped(Skipped {
            addr: base.to_string(),
            why: format!(
                "it answers HTTP ({status} to a WebSocket handshake at /) but is not \
Socket.IO at /socket.io/ nor a WebSocket server at / (a WebSocket server on another path, such as /ws?)"
            ),
            name_it: format!("ws://{base}/PATH"),
        }),
        Err(ws_handshake::Error::Failed(Failure::TimedOut(d))) => Found::Skipped(Skipped {
            addr: base.to_string(),
            why: format!("it did not answer within {} ms", d.as_millis()),
            name_it: format!("http://{base} (or ws://{base}/PATH)"),
        }),
        Err(_) => Found::NotHttp,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listener_is_skipped_with_why_and_how_to_name_it() {
        let base = "127.0.0.1:8080";
        let Found::Skipped(s) = skip_or_server(base, Ok(404)) else {
            panic!("an HTTP 404 was not skipped");
        };
        assert!(s.why.contains("such as /ws"), "{}", s.why);
        assert_eq!(s.name_it, "ws://127.0.0.1:8080/PATH");
        let late = Err(ws_handshake::Error::Failed(Failure::TimedOut(
            PROBE_TIMEOUT,
        )));
        let Found::Skipped(s) = skip_or_server(base, late) else {
            panic!("a silent listener was not skipped");
        };
        assert_eq!(s.why, "it did not answer within 700 ms");
        let refused = Err(ws_handshake::Error::NotHttp("SSH-2.0".into()));
        assert!(matches!(skip_or_server(base, refused), Found::NotHttp));
        assert!(matches!(skip_or_server(base, Ok(101)), Found::Server(..)));
    }
}
