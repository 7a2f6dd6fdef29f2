//! What `websocket.upgrade` sees at one endpoint: the opening handshake
//! as sent and answered, then a client session on a second connection
//! (ping, pong, close).

use std::sync::Arc;
use std::time::{Duration, Instant};

use url::Url;

use crate::check::Ctx;
use crate::probe::handshake::{self, Request, Upgrade};
use crate::probe::ws::{self, ConnectError, RecvError};
use crate::secret::Header;

/// What one endpoint did, as sent and answered.
pub struct Observation {
    /// The subprotocols offered (`--subprotocol`).
    pub subprotocols: Vec<String>,
    /// The Origin sent (`--origin`).
    pub origin: Option<String>,
    /// The opening handshake, checked by hand; `Err` when no client could
    /// be set up for this target.
    pub handshake: Result<Result<Upgrade, handshake::Error>, String>,
    /// A real client session on a second connection, made when the
    /// handshake upgraded with the right accept key.
    pub session: Option<Result<Session, ConnectError>>,
}

pub struct Session {
    /// How long the second connection took to upgrade.
    pub upgraded: Duration,
    pub pong: Result<Pong, RecvError>,
}

pub struct Pong {
    pub rtt: Duration,
    /// A message the server sent before its pong (a greeting).
    pub greeting: Option<String>,
    /// The server's close code, if it sent a close frame back.
    pub close: Option<u16>,
}

pub async fn observe(ctx: &Ctx, url: &Url) -> Observation {
    let mut headers = ctx.probe.headers.clone();
    if let Some(origin) = &ctx.probe.origin {
        headers.extend(Header::new("Origin", origin));
    }
    let (handshake, session) = match ctx.machine.ws_tls_for(&ctx.probe) {
        Ok(tls) => exchange(ctx, url, headers, tls).await,
        Err(e) => (Err(e), None),
    };
    Observation {
        subprotocols: ctx.probe.subprotocols.clone(),
        origin: ctx.probe.origin.clone(),
        handshake,
        session,
    }
}

/// The opening handshake, then (when it upgraded) a client session on a
/// second connection.
async fn exchange(
    ctx: &Ctx,
    url: &Url,
    headers: Vec<Header>,
    tls: Arc<rustls::ClientConfig>,
) -> (
    Result<Result<Upgrade, handshake::Error>, String>,
    Option<Result<Session, ConnectError>>,
) {
    let timeout = ctx.probe.timeout;
    let req = Request {
        url,
        headers: &headers,
        subprotocols: &ctx.probe.subprotocols,
        offer_deflate: true,
        tls: Some(tls.clone()),
    };
    let opened = handshake::upgrade(&req, timeout).await;
    let upgraded =
        matches!(&opened, Ok(up) if up.answer.status == 101 && up.accept_ok != Some(false));
    // Ask for the subprotocols again only when the server chose one: a
    // client that asked and got none fails the connection (tungstenite
    // does, as browsers do), and the session is still worth trying.
    let agreed = matches!(&opened, Ok(up) if up.answer.header("sec-websocket-protocol").is_some());
    if !upgraded {
        return (Ok(opened), None);
    }
    let mut ws_headers = headers;
    if !ctx.probe.subprotocols.is_empty() && agreed {
        ws_headers.extend(Header::new(
            "Sec-WebSocket-Protocol",
            &ctx.probe.subprotocols.join(", "),
        ));
    }
    let start = Instant::now();
    let session = match ws::connect(url, &ws_headers, timeout, tls).await {
        Ok(mut conn) => {
            let upgraded = start.elapsed();
            let pong = match ws::ping(&mut conn.stream, timeout).await {
                Ok((rtt, greeting)) => Ok(Pong {
                    rtt,
                    greeting,
                    close: ws::close(&mut conn.stream, timeout).await,
                }),
                Err(e) => Err(e),
            };
            Ok(Session { upgraded, pong })
        }
        Err(e) => Err(e),
    };
    (Ok(opened), Some(session))
}
