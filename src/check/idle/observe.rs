//! What `websocket.idle` sees at one endpoint: a connection held open
//! without traffic (pongs to the server's pings aside) for the soak, and,
//! when it is cut, a second one that pings every half of the silence it
//! was cut after. Each is a timeline of what came, bounded in time and in
//! what is kept.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::time::{Instant, sleep_until};
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use url::Url;

use super::verdict::{End, Held, InFront, MAX_KEPT, Observation};
use crate::check::Ctx;
use crate::probe::proxy_name::proxy_name;
use crate::probe::ws::{self, ConnectError, Stream};
use crate::secret::Header;

/// The shortest client ping interval: a cut after a few milliseconds is
/// not pinged faster than this.
const MIN_PING_EVERY: Duration = Duration::from_millis(100);
/// How long a close is waited for at the end.
const CLOSING: Duration = Duration::from_millis(500);
const PAYLOAD: &[u8] = b"rtdoctor";

/// How long to hold, and until when at the latest.
#[derive(Clone, Copy)]
pub struct Span {
    pub soak: Duration,
    /// The check's own end, less the time to close.
    pub deadline: Instant,
}

/// Hold `url` open for the soak.
pub async fn observe(ctx: &Ctx, url: &Url, span: Span) -> Observation {
    let mut headers = ctx.probe.headers.clone();
    if let Some(origin) = &ctx.probe.origin {
        headers.extend(Header::new("Origin", origin));
    }
    if !ctx.probe.subprotocols.is_empty() {
        headers.extend(Header::new(
            "Sec-WebSocket-Protocol",
            &ctx.probe.subprotocols.join(", "),
        ));
    }
    let mut seen = Observation {
        soak: span.soak,
        proxy: None,
        quiet: Err(String::new()),
        pinged: None,
    };
    let deadline = span.deadline - CLOSING;
    let mut conn = match connect(ctx, url, &headers).await {
        Ok(conn) => conn,
        Err(e) => {
            seen.quiet = Err(e);
            return seen;
        }
    };
    if let Some(name) = proxy_name(&conn.answer) {
        seen.proxy = Some(InFront::named(&name));
    }
    let opened = Instant::now();
    let quiet = hold(
        &mut conn.stream,
        opened,
        (opened + span.soak).min(deadline),
        None,
    )
    .await;
    let silence = quiet.silence();
    seen.quiet = Ok(quiet);
    let Some(silence) = silence else {
        ws::close(&mut conn.stream, CLOSING).await;
        return seen;
    };
    // Held long enough past the silence to tell (from its own opening),
    // to the soak's end when that is later, within the check's bound.
    let every = (silence / 2).max(MIN_PING_EVERY);
    let enough = silence + silence / 2 + MIN_PING_EVERY;
    if deadline <= Instant::now() + enough {
        return seen;
    }
    seen.pinged = Some(match connect(ctx, url, &headers).await {
        Ok(mut conn) => {
            let start = Instant::now();
            let until = (start + enough).max(opened + span.soak).min(deadline);
            let held = hold(&mut conn.stream, start, until, Some(every)).await;
            if held.end == End::Open {
                ws::close(&mut conn.stream, CLOSING).await;
            }
            Ok(held)
        }
        Err(e) => Err(e),
    });
    seen
}

async fn connect(ctx: &Ctx, url: &Url, headers: &[Header]) -> Result<ws::Conn, String> {
    let tls = ctx.machine.ws_tls_for(&ctx.probe)?;
    ws::connect(url, headers, ctx.probe.timeout, tls)
        .await
        .map_err(|e| match e {
            ConnectError::Failed(f) => f.to_string(),
            ConnectError::Refused(answer) => format!(
                "the upgrade was answered {} {}",
                answer.status, answer.reason
            ),
            ConnectError::Protocol(e) | ConnectError::WrongAccept(e) => e,
        })
}

/// Read what comes until `until` or the connection's end, answering the
/// server's pings (tungstenite queues each pong and sends it on the next
/// read) and, with `every`, pinging the server that often.
async fn hold(
    stream: &mut Stream,
    opened: Instant,
    until: Instant,
    every: Option<Duration>,
) -> Held {
    let mut held = Held {
        client_pings: every,
        ..Held::default()
    };
    let mut next_ping = every.map(|e| opened + e);
    let mut stop = crate::interrupt::stop();
    let end = loop {
        let ping_at = next_ping.unwrap_or(until);
        // The deadline first: a server that sends without pause keeps
        // the stream ready.
        tokio::select! {
            biased;
            _ = sleep_until(until) => break End::Open,
            _ = stop.wait() => {
                held.interrupted = true;
                break End::Open;
            }
            frame = stream.next() => {
                let at = opened.elapsed();
                match frame {
                    Some(Ok(message)) => {
                        if let Some(end) = heard(&mut held, message, at) {
                            break end;
                        }
                    }
                    None => break End::Fin { at },
                    Some(Err(e)) => break ended(e, at),
                }
            }
            _ = sleep_until(ping_at), if next_ping.is_some() => {
                let at = opened.elapsed();
                next_ping = every.map(|e| ping_at + e);
                let send = stream.send(Message::Ping(PAYLOAD.to_vec().into()));
                match tokio::time::timeout(every.unwrap_or_default(), send).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => break ended(e, at),
                    Err(_) => break End::Failed {
                        at,
                        error: "a ping could not be sent: the server does not read".into(),
                    },
                }
            }
        }
    };
    held.held = end.at().unwrap_or_else(|| opened.elapsed());
    if let End::Close { .. } = end {
        // The close frame tungstenite queued in answer.
        let _ = tokio::time::timeout(CLOSING, stream.flush()).await;
    }
    held.end = end;
    held
}

/// Count one message; the end when it was a close frame (which ends a
/// silence, and is not part of it).
fn heard(held: &mut Held, message: Message, at: Duration) -> Option<End> {
    if !message.is_close() {
        held.last_heard = Some(at);
    }
    match message {
        Message::Ping(_) => {
            held.server_ping_count += 1;
            if held.server_pings.len() < MAX_KEPT {
                held.server_pings.push(at);
            }
        }
        Message::Pong(p) if p.as_ref() == PAYLOAD => held.pongs += 1,
        Message::Pong(_) | Message::Frame(_) => {}
        Message::Text(_) | Message::Binary(_) => held.messages += 1,
        Message::Close(frame) => {
            let (code, reason) = frame.map_or((None, String::new()), |f| {
                (Some(u16::from(f.code)), f.reason.as_str().to_string())
            });
            return Some(End::Close { at, code, reason });
        }
    }
    None
}

/// How an error ended the connection: a FIN or a reset without a close
/// frame, or something else.
fn ended(e: WsError, at: Duration) -> End {
    match &e {
        WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake)
        | WsError::ConnectionClosed
        | WsError::AlreadyClosed => End::Fin { at },
        WsError::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => End::Fin { at },
        WsError::Io(io)
            if matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted
            ) =>
        {
            End::Reset { at }
        }
        _ => End::Failed {
            at,
            error: crate::probe::classify(&e).to_string(),
        },
    }
}
