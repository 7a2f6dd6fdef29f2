//! Proxy or server? When `socketio.upgrade`, `socketio.sticky`, `cors` or
//! `http.health` fails through a proxy, the same check is run straight at
//! the server behind it (`--backend`, or the one found on this machine),
//! and the report says whose fault it is. `find` looks for that server,
//! `split` runs the check again on it; what the two runs mean together is
//! `verdict`'s, pure and tested on recorded outcomes.

mod verdict;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::join_all;

pub use verdict::{Backend, Behind, Direct, Proxy, ProxyKind, Words};

use super::{Check, Ctx};
use crate::discover;
use crate::probe::engineio::{self, Handshake};
use crate::protocol::engineio::{Kind as PacketKind, Packet};
use crate::report::{Outcome, Status};
use crate::settings::ProbeSettings;
use crate::target::Target;

/// Local listeners asked whether they answer Engine.IO, at most.
const MAX_LISTENERS: usize = 64;

/// Runs `check` again straight at the server behind the proxy when
/// `through` (its result through the target) failed or warned, and says
/// whose fault it is. A run at the backend itself, or a result that
/// passed, is returned as it is. `started`: when the check began (the
/// second run must end within the check's bound).
pub async fn split(
    ctx: &Ctx,
    started: Instant,
    through: Outcome,
    check: &dyn Check,
    words: &(dyn Fn(&Proxy, &Backend, &Outcome) -> Words + Sync),
) -> Outcome {
    if ctx.direct || !matches!(through.status, Status::Fail | Status::Warn) {
        return through;
    }
    // The check's bound is 2× the timeout + 1 s (the runner's): what is
    // left, less a margin for the verdict.
    let bound = ctx.probe.timeout * 2 + Duration::from_millis(500);
    let left = bound.saturating_sub(started.elapsed());
    let Ok(behind) = tokio::time::timeout(left, ctx.behind()).await else {
        let mut out = through;
        out.push_evidence(
            "backend",
            "not looked for: the probe through the target used the check's time",
        );
        return out;
    };
    let (proxy, backend) = match behind {
        Behind::NotProxy => return through,
        Behind::One(proxy, backend) => (proxy, backend),
        other => return other.annotate(through),
    };
    let left = bound.saturating_sub(started.elapsed());
    let direct = if left < Duration::from_millis(200) {
        Direct::Unprobed("the probe through the proxy used the check's time".into())
    } else if let Err(e) = reachable(&backend.target, ctx.probe.timeout).await {
        Direct::Down(e)
    } else {
        let bctx = Ctx::direct(
            backend.target.clone(),
            direct_settings(&ctx.probe, &backend.target),
            ctx.machine.clone(),
        );
        match tokio::time::timeout(left, check.run(&bctx)).await {
            Ok(out) => Direct::Ran(out),
            Err(_) => Direct::Unprobed(format!(
                "the same probe at it did not finish within {} ms",
                left.as_millis()
            )),
        }
    };
    let words = words(proxy, backend, &through);
    verdict::combine(through, proxy, backend, direct, &words)
}

/// The target's settings, for its backend.
fn direct_settings(probe: &ProbeSettings, backend: &Target) -> ProbeSettings {
    let mut settings = probe.clone();
    settings.port_range = ProbeSettings::default_range(backend.port);
    settings.backend = None;
    settings
}

/// Whether a TCP connection to `target` opens (to any of its addresses);
/// else what the first address met.
async fn reachable(target: &Target, timeout: Duration) -> Result<(), String> {
    let ips = match target.ip() {
        Some(ip) => vec![ip],
        None => crate::net::resolve(&target.host, timeout).await?,
    };
    let addrs: Vec<SocketAddr> = ips
        .into_iter()
        .map(|ip| SocketAddr::new(ip, target.port))
        .collect();
    let met = crate::net::connect_all(&addrs, timeout).await;
    if met
        .iter()
        .any(|(_, c)| matches!(c, crate::net::Connect::Accepted(_)))
    {
        return Ok(());
    }
    Err(met
        .first()
        .map_or("no address".to_string(), |(_, c)| c.describe()))
}

/// The server behind the target: named by `--backend`, else found on this
/// machine when the target's port is held by a proxy.
pub async fn find(ctx: &Ctx) -> Behind {
    let proxy = local_proxy(ctx).await;
    if let Some(target) = &ctx.probe.backend {
        let proxy = proxy.unwrap_or_else(|| Proxy::unnamed(ctx.target.port));
        let backend = Backend {
            label: label(ctx, target).await.0,
            target: target.clone(),
            how: "named by --backend".into(),
            guessed: false,
        };
        return Behind::One(proxy, backend);
    }
    let Some(proxy) = proxy else {
        return Behind::NotProxy;
    };
    let (found, held_by) = match in_flight(ctx, &proxy).await {
        (found, Some(pid)) if !found.is_empty() => (found, Some(pid)),
        _ => (answering(ctx, &proxy).await, None),
    };
    let mut backends = Vec::new();
    for addr in found {
        let Ok(target) = Target::parse(&discover::listener_url(addr)) else {
            continue;
        };
        let (label, is_proxy) = label(ctx, &target).await;
        // Another proxy answers for its own backend, not this one's.
        if !is_proxy {
            backends.push(Backend {
                label,
                target,
                how: String::new(),
                guessed: false,
            });
        }
    }
    verdict::found(proxy, backends, held_by, &ctx.probe.socketio_path)
}

/// The port holder, when it is a proxy.
/// The proxy holding the target's port, when the target is this machine.
pub async fn local_proxy(ctx: &Ctx) -> Option<Proxy> {
    if ctx.is_local().await != Ok(true) {
        return None;
    }
    proxy(ctx).await
}

async fn proxy(ctx: &Ctx) -> Option<Proxy> {
    let found = ctx.machine.holders(ctx.target.port).await.ok()?;
    let holder = found.main_holder()?;
    let kind = ProxyKind::of(&holder.process.name, &holder.command_line())?;
    Some(Proxy {
        name: kind.name().to_string(),
        kind: Some(kind),
        port: ctx.target.port,
        pids: found.holders.iter().map(|h| h.process.pid).collect(),
    })
}

/// `the server on :3001 (node server.js)`: the backend and, on this
/// machine, what holds its port; and whether that is a proxy too.
async fn label(ctx: &Ctx, target: &Target) -> (String, bool) {
    let local = target.is_localhost_name() || target.ip().is_some_and(crate::net::is_local_ip);
    let holders = match local {
        true => ctx.machine.holders(target.port).await.ok(),
        false => None,
    };
    let holder = holders.as_ref().and_then(|h| h.main_holder());
    let command = holder.map(|h| crate::holders::short_command_line(&h.process));
    let is_proxy =
        holder.is_some_and(|h| ProxyKind::of(&h.process.name, &h.command_line()).is_some());
    (verdict::label(target, local, command.as_deref()), is_proxy)
}

/// Evidence 1: the proxy's own connections to local listeners while a
/// long-poll through it is pending (the proxy holds its upstream
/// connection for as long). The addresses, and the proxy's pid that held
/// the first. A proxy that balances round-robin sends the poll to another
/// server than the session's, which answers at once: each new try puts
/// one more request between the handshake and the poll.
async fn in_flight(ctx: &Ctx, proxy: &Proxy) -> (Vec<SocketAddr>, Option<u32>) {
    let d = ctx.engineio().await;
    let Ok((endpoint, http)) = d.session() else {
        return (Vec::new(), None);
    };
    let t = ctx.probe.timeout;
    let close = [Packet::new(PacketKind::Close, "")];
    for fillers in 0..3 {
        let Handshake::Open { open, .. } = engineio::handshake(http, endpoint, t).await else {
            return (Vec::new(), None);
        };
        // One request each (their sessions are handed back afterwards).
        let mut extra = Vec::new();
        for _ in 0..fillers {
            if let Handshake::Open { open, .. } = engineio::handshake(http, endpoint, t).await {
                extra.push(open.sid);
            }
        }
        let poll = {
            let (http, ep, sid) = (http.clone(), endpoint.clone(), open.sid.clone());
            tokio::spawn(async move { engineio::poll(&http, &ep, &sid, t).await })
        };
        let mut found = (Vec::new(), None);
        // The proxy connects upstream once it has read the poll: look twice.
        for wait in [150, 400] {
            tokio::time::sleep(Duration::from_millis(wait)).await;
            if poll.is_finished() {
                break;
            }
            if let Ok(table) = ctx.machine.sockets_now(&proxy.pids).await {
                found = verdict::upstreams(&table, proxy);
                if !found.0.is_empty() {
                    break;
                }
            }
        }
        let answered = poll.is_finished();
        poll.abort();
        for sid in extra.iter().chain([&open.sid]) {
            let _ = engineio::post(http, endpoint, sid, &close, t).await;
        }
        if !found.0.is_empty() || !answered {
            return found;
        }
    }
    (Vec::new(), None)
}

/// Evidence 2: the local listeners, other than the proxy's, that answer
/// an Engine.IO handshake at the target's path.
async fn answering(ctx: &Ctx, proxy: &Proxy) -> Vec<SocketAddr> {
    let (Ok(table), Ok(http)) = (
        ctx.machine.sockets().await,
        ctx.machine.http_for(&ctx.probe),
    ) else {
        return Vec::new();
    };
    let own = verdict::proxy_ports(&table, proxy);
    let mut addrs = discover::listener_addrs(&table);
    addrs.retain(|a| !own.contains(&a.port()));
    addrs.truncate(MAX_LISTENERS);
    let path = ctx.probe.socketio_path.as_str();
    let http = Arc::new(http);
    let probes = addrs.into_iter().map(|addr| {
        let http = http.clone();
        async move { discover::engineio_at(addr, path, &http).await.map(|_| addr) }
    });
    join_all(probes).await.into_iter().flatten().collect()
}
