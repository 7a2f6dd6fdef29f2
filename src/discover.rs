//! `rtdoctor check` with no target and no config: find the real-time
//! servers among this machine's TCP listeners. Every listener is probed at
//! once and briefly (an Engine.IO handshake at /socket.io/, else a
//! WebSocket handshake at /), so a machine with hundreds of listeners still
//! answers in about a second.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use crate::holders::PortHolders;
use crate::os::SocketTable;
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

/// What the scan found: the servers, and among how many listeners.
pub struct LocalServers {
    pub servers: Vec<LocalServer>,
    pub listeners: usize,
}

pub async fn run(table: &SocketTable, http: &Http) -> LocalServers {
    let mut dials: Vec<SocketAddr> = Vec::new();
    for s in table.listeners() {
        let port = s.local.port();
        if dials.iter().any(|d| d.port() == port) {
            continue;
        }
        dials.push(SocketAddr::new(dial_ip(s.local.ip(), s.v6only), port));
    }
    dials.sort_by_key(|a| a.port());
    let listeners = dials.len();
    dials.truncate(MAX_LISTENERS);
    let probes = dials
        .into_iter()
        .map(|addr| async move { (addr, probe(addr, http).await) });
    let mut servers = Vec::new();
    for (addr, kind) in futures_util::future::join_all(probes).await {
        let Some((kind, url)) = kind else { continue };
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
    LocalServers { servers, listeners }
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

/// What answers at `addr`: a kind and the URL to check it by.
async fn probe(addr: SocketAddr, http: &Http) -> Option<(String, String)> {
    let url = format!("http://{}", base(addr));
    let target = Target::parse(&url).ok()?;
    let ep = Endpoint::new(&target, "/socket.io/", Eio::V4, Vec::new());
    if let Handshake::Open { open, eio, .. } = engineio::handshake(http, &ep, PROBE_TIMEOUT).await {
        // Hand the session back at once.
        let close = [Packet::new(Kind::Close, "")];
        let _ = engineio::post(http, &ep.with_eio(eio), &open.sid, &close, PROBE_TIMEOUT).await;
        return Some((format!("Socket.IO (Engine.IO {})", eio.number()), url));
    }
    let ws_url = url::Url::parse(&format!("ws://{}/", base(addr))).ok()?;
    let req = Request {
        url: &ws_url,
        headers: &[],
        subprotocols: &[],
        offer_deflate: false,
        tls: None,
    };
    match ws_handshake::upgrade(&req, PROBE_TIMEOUT).await {
        Ok(up) if up.answer.status == 101 => Some(("WebSocket at /".into(), ws_url.to_string())),
        _ => None,
    }
}
