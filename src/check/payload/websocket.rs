//! The probe of `websocket.payload`: text frames of chosen sizes to one
//! plain WebSocket endpoint, each followed by a ping whose pong says the
//! connection still works.

use std::time::{Duration, Instant};

use tokio_tungstenite::tungstenite::Message;
use url::Url;

use super::search::{self, Search};
use super::{Probe, Wire, filler, search_ws};
use crate::check::Ctx;
use crate::probe::ws::{self, ConnectError};

const ACK: &[u8] = b"rtdoctor-payload";

pub async fn observe(ctx: &Ctx, url: &Url, deadline: Instant) -> Probe {
    let wire = Plain { ctx, url };
    search_ws(&wire, Search::new(None), deadline, ctx.probe.timeout).await
}

/// Text frames of filler, each followed by a ping.
struct Plain<'a> {
    ctx: &'a Ctx,
    url: &'a Url,
}

impl Wire for Plain<'_> {
    async fn open(&self, t: Duration) -> Result<ws::Stream, String> {
        connect(self.ctx, self.url, t).await
    }

    fn message(&self, size: usize) -> Message {
        Message::text(filler(size))
    }

    fn ack(&self) -> Message {
        Message::Ping(ACK.into())
    }

    fn answers(&self, m: &Message) -> bool {
        matches!(m, Message::Pong(p) if p.as_ref() == ACK)
    }
}

async fn connect(ctx: &Ctx, url: &Url, t: Duration) -> Result<ws::Stream, String> {
    let tls = ctx.machine.ws_tls_for(&ctx.probe)?;
    let headers = &ctx.probe.headers;
    match ws::connect_sized(url, headers, t, tls, search::MAX).await {
        Ok(conn) => Ok(conn.stream),
        Err(ConnectError::Refused(a)) => Err(format!("a new connection was refused: {}", a.who())),
        Err(ConnectError::Failed(f)) => Err(format!("a new connection failed: {f}")),
        Err(ConnectError::Protocol(e) | ConnectError::WrongAccept(e)) => {
            Err(format!("a new connection was not a WebSocket: {e}"))
        }
    }
}
