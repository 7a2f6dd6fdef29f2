//! `websocket.upgrade`: does each plain WebSocket endpoint (`--ws-path`, a
//! ws:// target's own path) upgrade, with the right accept key, the
//! subprotocol and extensions asked for, answer a ping and close cleanly?
//! `observe` talks to each endpoint, `verdict` decides what it means.

mod observe;
mod verdict;

use async_trait::async_trait;
use url::Url;

use super::{Check, Ctx};
use crate::report::{Outcome, Status};
use crate::target::Scheme;

pub struct WebSocket;

#[async_trait]
impl Check for WebSocket {
    fn id(&self) -> &str {
        "websocket.upgrade"
    }

    fn title(&self) -> &str {
        "Plain WebSocket endpoint"
    }

    fn needs(&self) -> &[&str] {
        &["port.listen", "tls.certificate"]
    }

    fn explain(&self) -> &str {
        "For each --ws-path and for a ws:// or wss:// target's own path: sends the opening \
handshake (offering --subprotocol and permessage-deflate, with --origin and -H headers), \
checks the 101, the Sec-WebSocket-Accept against the key sent, and the subprotocol and \
extensions the server chose; then, on a second connection, a ping answered by a pong (its \
round-trip time) and a clean close (its close code).\n\n\
Causes it tells apart:\n\
- 404: no WebSocket endpoint at that path. Fix: the path the server registers (ws: new \
WebSocketServer({ server, path }); websockets: the handler's path).\n\
- 426 Upgrade Required, or a 400: the request reached the server without its Upgrade \
header: a proxy dropped it. Fix: proxy_http_version 1.1 and the Upgrade/Connection headers \
(nginx), ws: true (Vite/webpack dev proxy).\n\
- 200 (an HTML page): a proxy or an SPA fallback answers instead of upgrading.\n\
- a redirect (often http → https): use wss:// and the URL it names.\n\
- 403: the server refuses the origin (or wants credentials). Fix: its origin allow-list \
(ws: verifyClient; websockets: origins=[…]).\n\
- 101 with a wrong Sec-WebSocket-Accept: something in between rewrites the handshake.\n\
- 101, then frames that do not parse, no pong, or a reset: named with what arrived."
    }

    async fn run(&self, ctx: &Ctx) -> Outcome {
        let urls = endpoints(ctx).await;
        if urls.is_empty() {
            return Outcome::skip(
                "no plain WebSocket endpoint to probe: name one with --ws-path, or a ws:// target",
            );
        }
        let mut results = Vec::new();
        for url in &urls {
            results.push((
                url.clone(),
                verdict::verdict(&observe::observe(ctx, url).await, url),
            ));
        }
        combine(results)
    }
}

/// The endpoints to probe, in the order given, without repeats. A ws://
/// target's own path counts, but a bare `ws://host:port` in front of a
/// Socket.IO server is how Socket.IO clients are pointed at it, not a
/// plain WebSocket endpoint.
pub async fn endpoints(ctx: &Ctx) -> Vec<Url> {
    let mut base = ctx.target.url.clone();
    let tls = ctx.target.scheme.is_tls();
    let _ = base.set_scheme(if tls { "wss" } else { "ws" });
    let mut urls: Vec<Url> = Vec::new();
    if matches!(ctx.target.scheme, Scheme::Ws | Scheme::Wss)
        && (ctx.target.url.path() != "/" || ctx.engineio().await.speaks.is_none())
    {
        urls.push(ctx.target.url.clone());
    }
    for path in &ctx.probe.ws_paths {
        let mut url = base.clone();
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        url.set_path(path);
        url.set_query((!query.is_empty()).then_some(query));
        if !urls.contains(&url) {
            urls.push(url);
        }
    }
    urls
}

pub(super) fn combine(results: Vec<(Url, Outcome)>) -> Outcome {
    if results.len() == 1 {
        let (url, mut out) = results.into_iter().next().expect("one result");
        out.summary = format!("{url}: {}", out.summary);
        return out;
    }
    let status = results
        .iter()
        .map(|(_, o)| o.status)
        .max()
        .unwrap_or(Status::Pass);
    let summary = results
        .iter()
        .map(|(url, o)| format!("{}: {}", url.path(), o.summary))
        .collect::<Vec<_>>()
        .join("; ");
    let mut out = Outcome::new(status, summary);
    for (url, o) in results {
        for e in o.evidence {
            out.push_evidence(format!("{} {}", url.path(), e.label), e.value);
        }
        for f in o.fixes {
            if !out.fixes.iter().any(|g| g.title == f.title) {
                out.fixes.push(f);
            }
        }
    }
    out
}
