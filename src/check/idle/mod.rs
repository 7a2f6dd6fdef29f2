//! `websocket.idle` (with `--soak DUR`): each plain WebSocket endpoint held
//! open without traffic for DUR. Does the server ping, is the connection
//! cut after some silence and by whom, and do a client's pings keep a
//! second connection open? `observe` holds the connections (all endpoints
//! at once: the soak time is shared), `verdict` decides what it means.

mod observe;
mod verdict;

use std::time::Duration;

use async_trait::async_trait;
use futures_util::future::join_all;
use tokio::time::timeout_at;

use super::websocket::{combine, endpoints};
use super::{Check, Ctx, OptIn, backend};
use crate::report::Outcome;
use crate::runner::check_budget;
use verdict::InFront;

/// Time kept, of the check's bound, for the verdict and the report.
const MARGIN: Duration = Duration::from_millis(300);

pub struct Idle;

#[async_trait]
impl Check for Idle {
    fn id(&self) -> &str {
        "websocket.idle"
    }

    fn title(&self) -> &str {
        "Plain WebSocket held open without traffic"
    }

    fn needs(&self) -> &[&str] {
        &["port.listen", "tls.certificate", "websocket.upgrade"]
    }

    fn opt_in(&self) -> Option<OptIn> {
        Some(OptIn::Soak)
    }

    fn explain(&self) -> &str {
        "Runs with --soak DUR. For each --ws-path and a ws:// or wss:// target's own path (all at \
once): opens a WebSocket and holds it for DUR without sending anything but the pongs the \
server's pings ask for. It records each ping the server sends (many servers, ws among them, \
send none by default) and whether, when and how the connection ended: a close frame and its \
code (1000, 1001, …), or the TCP connection closed (FIN) or reset without one (1006). When it \
was cut, a second connection pings the server every half of the silence the first was cut \
after and is held at least half as long again: whether it survives tells an idle timeout from \
a limit on the connection's life. Who cut it: the proxy named in front (the 101's Server \
header, or the process holding the target's port) when the connection ended without a close \
frame; the server when a close frame came. Ctrl-C during the soak ends it early, and the \
report says what was seen so far.\n\n\
Causes it tells apart:\n\
- cut after N s of silence, and the pinged connection stays open: an idle timeout on the way \
(nginx's proxy_read_timeout, 60 s by default; HAProxy's timeout client/server when timeout \
tunnel is not set; a load balancer's idle timeout). Fix: a ping or message every N/2 s from \
the server or the client (ws: ws.ping() on an interval), or raise the proxy's timeout \
(proxy_read_timeout 3600s; timeout tunnel 1h).\n\
- cut with pings too: not an idle cut; a maximum connection time on the way or the server \
closing connections.\n\
- open for DUR: a pass, with the server's ping interval, or the note that it sends none (a \
proxy's idle timeout longer than DUR would still cut a connection that quiet)."
    }

    async fn run(&self, ctx: &Ctx) -> Outcome {
        let started = tokio::time::Instant::now();
        let Some(soak) = ctx.probe.soak else {
            return OptIn::Soak.not_asked();
        };
        let urls = endpoints(ctx).await;
        if urls.is_empty() {
            return Outcome::skip(
                "no plain WebSocket endpoint to hold open: name one with --ws-path, or a ws:// target",
            );
        }
        let deadline = started + check_budget(self, &ctx.probe) - MARGIN;
        let span = observe::Span { soak, deadline };
        // The port holder is looked for while the connections are held: on
        // a busy machine the scan takes seconds.
        let holds = join_all(urls.iter().map(|url| observe::observe(ctx, url, span)));
        let holder = async { timeout_at(deadline, holder(ctx)).await.ok().flatten() };
        let (mut seen, holder) = tokio::join!(holds, holder);
        for seen in &mut seen {
            seen.proxy = seen.proxy.take().or_else(|| holder.clone());
        }
        combine(
            urls.into_iter()
                .zip(seen.iter().map(verdict::verdict))
                .collect(),
        )
    }
}

/// The proxy holding the target's port, on this machine.
async fn holder(ctx: &Ctx) -> Option<InFront> {
    let proxy = backend::local_proxy(ctx).await?;
    Some(InFront {
        name: proxy.name,
        kind: proxy.kind,
    })
}
