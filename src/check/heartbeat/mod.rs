//! `socketio.heartbeat` (with `--soak DUR`): one Socket.IO session held for
//! DUR the way a client holds it, its heartbeat timed. `observe` holds the
//! session and records its timeline, `verdict` decides what it means.

mod observe;
mod verdict;

use async_trait::async_trait;

use super::{Check, Ctx, OptIn};
use crate::report::Outcome;

pub struct Heartbeat;

#[async_trait]
impl Check for Heartbeat {
    fn id(&self) -> &str {
        "socketio.heartbeat"
    }

    fn title(&self) -> &str {
        "Socket.IO heartbeat over time (--soak)"
    }

    fn needs(&self) -> &[&str] {
        &["socketio.handshake"]
    }

    fn after(&self) -> &[&str] {
        // After the other Socket.IO probes: a server with one worker that
        // serves one connection at a time is held by this session.
        &[
            "socketio.upgrade",
            "socketio.sticky",
            "socketio.namespace",
            "http.health",
        ]
    }

    fn opt_in(&self) -> Option<OptIn> {
        Some(OptIn::Soak)
    }

    fn explain(&self) -> &str {
        "Only with --soak DUR. Opens one session and upgrades it to a websocket as engine.io-client \
does (it stays on polling only when the server offers no upgrade), sends the Socket.IO CONNECT, \
then holds it for DUR answering like a client: with Engine.IO 4 it answers each server ping with \
a pong; with Engine.IO 3 it pings every pingInterval and times the server's pong. It records \
when each ping arrives against the open packet's pingInterval, and whether, when and how the \
connection ended: a close frame and its code, an Engine.IO close packet, a FIN or a reset, a \
pending long-poll answered 502/504 and who answered it.\n\n\
Causes it tells apart:\n\
- cut after N s of silence, N below pingInterval + pingTimeout: an idle timeout between here and \
the server is shorter than the heartbeat, and the cut looks to the client like a dropped \
connection. Fix: raise the proxy's idle timeout (nginx proxy_read_timeout and \
proxy_send_timeout; HAProxy timeout tunnel; the platform's, see net.path), or lower \
pingInterval below N.\n\
- pings more than a second late, or bunched: the server's event loop is blocked (a CPU-bound \
handler, time.sleep or another blocking call in async code, eventlet/gevent without \
monkey-patching), named with the worst delay measured.\n\
- the server ends the session although every ping was answered: the pongs did not reach it \
(a proxy that buffers what the client sends).\n\
- held for DUR with pings on time: pass, with the pings seen, the worst lateness and (Engine.IO \
3) the pong round trip.\n\n\
Ctrl-C during the soak ends it early: the report says \"interrupted after N s\" with what was \
seen so far."
    }

    async fn run(&self, ctx: &Ctx) -> Outcome {
        let Some(soak) = ctx.probe.soak else {
            return OptIn::Soak.not_asked();
        };
        let d = ctx.engineio().await;
        let (endpoint, http) = match d.session() {
            Ok(s) => s,
            Err(skip) => return skip,
        };
        match observe::observe(ctx, endpoint, http, soak).await {
            Ok(timeline) => verdict::verdict(&timeline),
            Err(why) => Outcome::fail(format!("no session to hold: {why}")),
        }
    }
}
