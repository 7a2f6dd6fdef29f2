//! The probe of `websocket.payload`: text frames of chosen sizes to one
//! plain WebSocket endpoint, each followed by a ping whose pong says the
//! connection still works.

use std::time::Instant;

use tokio_tungstenite::tungstenite::Message;
use url::Url;

use super::search::{self, Search};
use super::{Probe, exchange, filler, left};
use crate::check::Ctx;
use crate::probe::ws::{self, ConnectError};

const ACK: &[u8] = b"rtdoctor-payload";

pub async fn observe(ctx: &Ctx, url: &Url, deadline: Instant) -> Probe {
    let mut probe = Probe {
        search: Search::new(None),
        stopped: None,
    };
    let mut open: Option<ws::Stream> = None;
    while let Some(size) = probe.search.next() {
        let Some(t) = left(deadline, ctx.probe.timeout) else {
            probe.stopped = Some("stopped at the check's time bound".into());
            break;
        };
        let stream = match open.take() {
            Some(s) => s,
            None => match connect(ctx, url, t).await {
                Ok(s) => s,
                Err(e) => {
                    probe.stopped = Some(e);
                    break;
                }
            },
        };
        let pinged = |m: &Message| matches!(m, Message::Pong(p) if p.as_ref() == ACK);
        let message = Message::text(filler(size));
        let (back, fate) = exchange(stream, message, Message::Ping(ACK.into()), pinged, t).await;
        probe.search.record(size, fate);
        open = back;
    }
    if let Some(mut s) = open {
        let _ = ws::close(
            &mut s,
            ctx.probe.timeout.min(std::time::Duration::from_secs(1)),
        )
        .await;
    }
    probe
}

async fn connect(ctx: &Ctx, url: &Url, t: std::time::Duration) -> Result<ws::Stream, String> {
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
