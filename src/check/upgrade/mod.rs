//! `socketio.upgrade`: does the polling session upgrade to a websocket the
//! way engine.io-client does it, and does a websocket-only client connect?
//! The upgrade is tried while a long-poll is pending, because a server with
//! one single-threaded worker fails only then. `observe` makes the probe,
//! `verdict` decides what it means.

mod observe;
pub(crate) mod stack;
mod verdict;

use std::time::Instant;

use async_trait::async_trait;

use super::backend::{self, Backend, Proxy, ProxyKind, Words};
use super::{Check, Ctx, sessions};
use crate::probe::engineio::{self, Endpoint, Handshake};
use crate::report::Outcome;

pub use stack::DevServer;

pub struct Upgrade;

#[async_trait]
impl Check for Upgrade {
    fn id(&self) -> &str {
        "socketio.upgrade"
    }

    fn title(&self) -> &str {
        "Socket.IO WebSocket upgrade"
    }

    fn needs(&self) -> &[&str] {
        &["socketio.handshake"]
    }

    fn after(&self) -> &[&str] {
        // A server with one single-threaded worker stays stuck on the
        // long-poll this check leaves pending: every other request to it
        // goes first.
        &[
            "socketio.handshake",
            "socketio.namespace",
            "socketio.sticky",
            "http.health",
            "websocket.upgrade",
            "cors",
        ]
    }

    fn explain(&self) -> &str {
        "Behaves like engine.io-client: opens a polling session, keeps a long-poll GET pending, \
opens {path}?transport=websocket&sid=…, sends 2probe, expects 3probe, sends 5 (upgrade), \
then uses the session over the websocket (a Socket.IO CONNECT, or a ping with Engine.IO 3) \
and closes it cleanly. The long-poll is left pending only once the other checks' requests to \
the server are over, so a worker that serves one request at a time has nothing else to do. \
Meanwhile it connects websocket-only (no sid), as clients with transports: ['websocket'] \
do, and expects the open packet.\n\n\
Causes it tells apart:\n\
- \"upgrades\":[] in the handshake: the server runs without WebSocket support, e.g. \
Flask-SocketIO under gunicorn's sync worker. Fix: gunicorn -k gevent -w 1 (gevent + \
gevent-websocket) or -k eventlet -w 1, or threading mode with simple-websocket and enough \
threads (gunicorn -w 1 --threads 100). gunicorn is named only when the Server header or the \
port holder's command line shows it; otherwise the fix lists the common causes.\n\
- a 500 or 400 with no Engine.IO body from uvicorn (Server header or port holder): uvicorn without \
the websockets or wsproto package, or run with --ws none, answers the upgrade as plain HTTP. Fix: \
pip install \"uvicorn[standard]\". hypercorn and daphne, when the evidence names them, get theirs.\n\
- 400 {\"code\":3,\"message\":\"Bad request\"} to transport=websocket: the request reached the \
server as plain HTTP, because a proxy dropped Upgrade/Connection. Fix (nginx): \
proxy_http_version 1.1 and the map $http_upgrade $connection_upgrade snippet; Vite/webpack \
dev proxy: ws: true.\n\
- a 400 (or 200) from a proxy itself, with no Engine.IO body: the same cause, named.\n\
When the port holder's command line is a dev server (vite, webpack serve, react-scripts start, \
ng serve, next dev), the fix names its proxy option (ws: true; next dev: connect directly).\n\
- 101 but no 3probe, no open packet on a websocket-only connect, or no answer at all while a \
poll is pending: the server's worker cannot serve websockets (gunicorn's sync worker when the \
Server header or the port holder says gunicorn). When the port holder is a dev server, no answer \
is its proxy leaving the upgrade alone (Vite without ws: true): its proxy option is named, not a \
worker.\n\
- 101 then frames that do not parse: two upgrade handlers on one server (e.g. a ws server and \
socket.io both attached to the same HTTP server).\n\
- a timeout: where it stalled.\n\n\
Proxy or server: when this check fails through a proxy (--backend names the server behind it, or \
rtdoctor finds it when the proxy runs on this machine), it runs again straight at that server. The server upgrades on its own: the proxy drops the upgrade, and the fix goes to the proxy \
(its own option for a dev server). The server fails the same way: the fix goes to the server."
    }

    async fn run(&self, ctx: &Ctx) -> Outcome {
        let started = Instant::now();
        let Ok(client) = observe::Client::new(ctx) else {
            return sessions::unopened(ctx).await;
        };
        let http = &client.http;
        let timeout = ctx.probe.timeout;
        // The session to upgrade opens while the version probe is out.
        let make = |endpoint: Endpoint| async move {
            let answered = engineio::handshake(http, &endpoint, timeout).await;
            (endpoint, answered)
        };
        let undo = |ctx: &Ctx, (endpoint, answered): (Endpoint, Handshake)| {
            if let Handshake::Open { open, .. } = answered {
                let close = engineio::closing(http, &endpoint, &open.sid, timeout);
                ctx.machine.linger(close);
            }
        };
        let (endpoint, answered) = match sessions::early(ctx, make, undo).await {
            Ok((_, made)) => made,
            Err(skip) => return skip,
        };
        let seen = observe::observe(ctx, &endpoint, &client, answered, self.after()).await;
        let through = verdict::verdict(&seen);
        backend::split(ctx, started, through, self, &words).await
    }
}

/// The upgrade works straight at the server, not through the proxy.
fn words(proxy: &Proxy, _: &Backend, _: &Outcome) -> Words {
    let dev = match proxy.kind {
        Some(ProxyKind::Dev(d)) => Some(d),
        _ => None,
    };
    Words {
        works: "upgrades directly".into(),
        fails: "the upgrade fails".into(),
        fault: "drops the upgrade".into(),
        fix: verdict::proxy_fix_for(dev),
    }
}
