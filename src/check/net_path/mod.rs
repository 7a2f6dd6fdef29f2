//! `net.path`: what stands between this machine and the server — the
//! addresses, the TCP connect time, who terminates TLS, and the proxies,
//! CDNs, load balancers and platforms the answers' headers name, with what
//! each is documented to do to long-lived connections. Cheap: it reads what
//! the run already has (the resolution, the connect, the TLS handshake, the
//! Engine.IO handshake's answer) and sends no request of its own.

mod hops;
mod verdict;

use async_trait::async_trait;

use super::{Check, Ctx};
use crate::probe::engineio::Handshake;
use crate::report::Outcome;
use crate::settings::EioMode;
use verdict::{Answered, Observation, verdict};

pub struct NetPath;

#[async_trait]
impl Check for NetPath {
    fn id(&self) -> &str {
        "net.path"
    }

    fn title(&self) -> &str {
        "What stands between here and the server"
    }

    fn needs(&self) -> &[&str] {
        &["port.listen"]
    }

    fn explain(&self) -> &str {
        "Reports the addresses the target's name resolves to, the address that took the \
connection and its TCP connect time (the network round trip; for a target on another machine \
it is shown next to the URL in the report's header and as connect_ms in JSON), who terminates \
TLS (for https/wss: the certificate's subject, and the CDN or platform in front when one is \
named), and the proxies, CDNs, load balancers and platforms that the answer's headers name: \
Server (nginx, HAProxy, Caddy, Traefik, Apache, Envoy, cloudflare, awselb, Google Frontend), \
Via (1.1 vegur: Heroku's router; 1.1 google: a Google Cloud load balancer), cf-ray, x-amzn-* \
and AWSALB cookies, x-vercel-id, fly-request-id, x-render-origin-server, x-railway-*, \
x-envoy-*, x-azure-ref. It reads the answer to the Engine.IO handshake, which the Socket.IO \
checks share: it sends no request of its own.\n\n\
For each hop it says what its documentation says it does to long-lived connections: Heroku's \
router cuts connections idle for 55 s, an AWS Application Load Balancer after 60 s by default, \
Cloudflare after 100 s, nginx after 60 s by default (proxy_read_timeout), Apache after 60 s \
(ProxyTimeout), Envoy after 5 minutes (stream_idle_timeout); Cloud Run ends a WebSocket at its \
request timeout (5 minutes by default), a Google Cloud load balancer at its backend service \
timeout (30 s by default). Platforms whose documentation gives no number are named without \
one.\n\n\
Causes it tells apart:\n\
- a hop whose idle cut is not longer than the handshake's pingInterval + pingTimeout: a \
session waits that long for its next ping, so the hop cuts connections the server still counts \
as alive, and their clients reconnect (a warning; socket.io's reverse-proxy guide asks for a \
proxy timeout bigger than the sum). Fix: pingInterval + pingTimeout under the cut (socket.io's \
defaults, 25 + 20 s), or raise the hop's limit (proxy_read_timeout, the ALB's idle timeout).\n\
- Vercel in front: its Functions hold a WebSocket only until the function's maximum \
duration, and requests of one polling session may reach different instances (a warning). \
Fix: host the Socket.IO server where a process stays up, or use the websocket transport \
only with reconnection.\n\
- nothing named: the server answered directly (a pass)."
    }

    async fn run(&self, ctx: &Ctx) -> Outcome {
        let reached = match ctx.reach().await {
            Ok(r) => *r,
            Err(_) => {
                return Outcome::skip("no TCP connection to the target opened (see port.listen)");
            }
        };
        let addrs = ctx.resolved().await.clone().unwrap_or_default();
        // At once: a server that hangs costs one timeout, not two.
        let ((answer, ping), certificate) = tokio::join!(handshake_answer(ctx), certificate(ctx));
        verdict(&Observation {
            addrs,
            used: reached.addr,
            connect: reached.took,
            answer,
            certificate,
            ping,
        })
    }
}

/// For https/wss: the server certificate's subject and issuer.
async fn certificate(ctx: &Ctx) -> Option<(String, String)> {
    if !ctx.target.scheme.is_tls() {
        return None;
    }
    let report = ctx.tls().await.as_ref().ok()?;
    report.leaf().map(|c| (c.subject.clone(), c.issuer.clone()))
}

/// The Engine.IO handshake's answer (shared with the Socket.IO checks: no
/// request of this check's own), or why there is none, and the ping
/// interval and timeout of the session it opened.
async fn handshake_answer(ctx: &Ctx) -> (Result<Answered, String>, Option<(u64, u64)>) {
    let d = ctx.engineio().await;
    let asked = match ctx.probe.eio {
        EioMode::V3 => [&d.v3, &d.v4],
        _ => [&d.v4, &d.v3],
    };
    let ping = asked.iter().find_map(|h| match h {
        Some(Handshake::Open { open, .. }) => open
            .ping_interval
            .map(|i| (i, open.ping_timeout.unwrap_or(0))),
        _ => None,
    });
    let answer = asked.iter().find_map(|h| match h {
        Some(
            Handshake::Open { answer, .. }
            | Handshake::Refused { answer, .. }
            | Handshake::NotEngineIo { answer, .. },
        ) => Some(Answered {
            request: format!(
                "GET {}?EIO=…&transport=polling (the Engine.IO handshake)",
                d.endpoint.path()
            ),
            headers: answer.headers.clone(),
        }),
        _ => None,
    });
    let why = || match (&d.error, asked.iter().find_map(|h| h.as_ref())) {
        (Some(e), _) => e.clone(),
        (None, Some(h)) => format!("the Engine.IO handshake got {}", h.summary()),
        (None, None) => "no Engine.IO handshake was made".to_string(),
    };
    (answer.ok_or_else(why), ping)
}
