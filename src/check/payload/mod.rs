//! `socketio.payload` and `websocket.payload` (with `--payload`): the
//! largest message that gets through, found by sending messages of chosen
//! sizes (`search`) over each transport (`socketio`, `websocket`), and
//! what refused the next size (`verdict`).

mod search;
mod socketio;
mod verdict;
mod websocket;

use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use super::{Check, Ctx, OptIn};
use crate::probe::ws;
use crate::report::Outcome;
use crate::settings::ProbeSettings;
use search::{Fate, Refusal};

/// How much longer than the other checks a payload check may take: the
/// search sends up to a few dozen messages, each bounded by the timeout.
pub fn extra_time(probe: &ProbeSettings) -> Duration {
    probe.timeout * 4
}

/// When a payload probe stops sending: a second before the runner's bound
/// for the check (twice the timeout, a second, and `extra_time`), so what
/// it found is still reported.
fn deadline(probe: &ProbeSettings) -> Instant {
    Instant::now() + probe.timeout * 2 + extra_time(probe)
}

/// The time one step may take: the probe timeout, within the deadline.
fn left(deadline: Instant, timeout: Duration) -> Option<Duration> {
    let left = deadline.saturating_duration_since(Instant::now());
    (left >= Duration::from_millis(100)).then(|| left.min(timeout))
}

pub struct SocketIoPayload;

#[async_trait]
impl Check for SocketIoPayload {
    fn id(&self) -> &str {
        "socketio.payload"
    }

    fn title(&self) -> &str {
        "Largest Socket.IO message that gets through"
    }

    fn needs(&self) -> &[&str] {
        &["socketio.namespace"]
    }

    fn opt_in(&self) -> Option<OptIn> {
        Some(OptIn::Payload)
    }

    fn explain(&self) -> &str {
        "With --payload: sends Socket.IO EVENT packets that no app handles \
(42[\"rtdoctor:payload\",\"xxxx…\"]) of chosen sizes, separately over a websocket-only \
connection and over polling, after a CONNECT to --namespace (with --auth). It starts at the \
handshake's maxPayload (else 1 KiB), then doubles, then halves the gap, until the largest \
size through and the smallest refused are within 1 KiB or 5 %, up to twice maxPayload (at \
most 16 MiB) and at most about 32 MiB sent per transport. Sizes are those of the Engine.IO \
packet, which is what maxHttpBufferSize and max_http_buffer_size count.\n\n\
A message got through when the session still works after it: the server answers the next \
request, a CONNECT to the namespace /rtdoctor-payload (Engine.IO 4: its 40 or 44 reply) or a \
ping (Engine.IO 3: its pong), on the same websocket, or over polling after a 200 to the POST \
and on the next poll. After a refusal the next size uses a new session.\n\n\
Causes of a refusal it tells apart:\n\
- close code 1009, or the server closing the session: the server's own limit (socket.io \
maxHttpBufferSize, python-socketio max_http_buffer_size; both 1 MB by default, and the \
handshake's maxPayload says it).\n\
- HTTP 413 from a proxy's own error page (nginx client_max_body_size, 1 MB by default), or \
another proxy's body limit: named with its Server header.\n\
- no answer within the timeout: something stalls on large messages.\n\
It fails when messages within the server's advertised maxPayload are refused on the way (a \
proxy's limit below the server's), and warns when the two transports disagree. Fix: the \
proxy's body limit at least the server's maxPayload (nginx: client_max_body_size), or the \
server's limit raised (maxHttpBufferSize, max_http_buffer_size) or messages split."
    }

    async fn run(&self, ctx: &Ctx) -> Outcome {
        let d = ctx.engineio().await;
        let (endpoint, http) = match d.session() {
            Ok(s) => s,
            Err(skip) => return skip,
        };
        let seen = socketio::observe(ctx, endpoint, http, deadline(&ctx.probe)).await;
        verdict::socketio(&seen)
    }
}

pub struct WebSocketPayload;

#[async_trait]
impl Check for WebSocketPayload {
    fn id(&self) -> &str {
        "websocket.payload"
    }

    fn title(&self) -> &str {
        "Largest WebSocket message that gets through"
    }

    fn needs(&self) -> &[&str] {
        &["websocket.upgrade"]
    }

    fn opt_in(&self) -> Option<OptIn> {
        Some(OptIn::Payload)
    }

    fn explain(&self) -> &str {
        "With --payload, for each plain WebSocket endpoint (--ws-path, a ws:// target's own \
path): sends text frames of chosen sizes, from 1 KiB, doubling, then halving the gap, until \
the largest size through and the smallest refused are within 1 KiB or 5 %, up to 16 MiB and \
at most about 32 MiB in all. A message got through when a ping sent after it is answered by \
its pong on the same connection (an echo of the message is read and set aside); after a \
refusal the next size uses a new connection.\n\n\
Causes of a refusal it tells apart:\n\
- close code 1009 (message too big): the server's limit: ws maxPayload (100 MiB by \
default), python-websockets max_size (1 MiB by default), aiohttp max_msg_size (4 MiB).\n\
- close code 1011: the server failed while handling the message.\n\
- another close code, or the connection ending without one (often a proxy's buffer or a \
crash), or no pong within the timeout (a stall).\n\
A limit found warns, with the size that got through and the one refused; none up to 16 MiB \
passes. Fix: raise the server's limit (maxPayload, max_size, max_msg_size) above the largest \
message the app sends, or split large data into several messages."
    }

    async fn run(&self, ctx: &Ctx) -> Outcome {
        let urls = super::websocket::endpoints(ctx).await;
        if urls.is_empty() {
            return Outcome::skip(
                "no plain WebSocket endpoint to probe: name one with --ws-path, or a ws:// target",
            );
        }
        let until = deadline(&ctx.probe);
        let mut seen = Vec::new();
        for url in urls {
            let probe = websocket::observe(ctx, &url, until).await;
            seen.push((url, probe));
        }
        verdict::websocket(&seen)
    }
}

/// What a search over one transport met.
#[derive(Clone, Debug, Default)]
pub struct Probe {
    pub search: search::Search,
    /// Why it could not start, or stopped before it was over.
    pub stopped: Option<String>,
}

/// What a search over websocket connections sends, and how it tells the
/// answer to its request.
trait Wire {
    /// A new connection, ready for messages.
    async fn open(&self, timeout: Duration) -> Result<ws::Stream, String>;
    /// The message of `size` bytes.
    fn message(&self, size: usize) -> Message;
    /// The request sent after it, which the server answers.
    fn ack(&self) -> Message;
    fn answers(&self, m: &Message) -> bool;
}

/// The search over websocket connections: one kept while messages get
/// through, a new one after each refusal.
async fn search_ws(
    wire: &impl Wire,
    search: search::Search,
    deadline: Instant,
    timeout: Duration,
) -> Probe {
    let mut probe = Probe {
        search,
        stopped: None,
    };
    let mut open: Option<ws::Stream> = None;
    while let Some(size) = probe.search.next() {
        let Some(t) = left(deadline, timeout) else {
            probe.stopped = Some("stopped at the check's time bound".into());
            break;
        };
        let stream = match open.take() {
            Some(s) => s,
            None => match wire.open(t).await {
                Ok(s) => s,
                Err(e) => {
                    probe.stopped = Some(e);
                    break;
                }
            },
        };
        let answered = |m: &Message| wire.answers(m);
        let (back, fate) = exchange(stream, wire.message(size), wire.ack(), answered, t).await;
        probe.search.record(size, fate);
        open = back;
    }
    if let Some(mut s) = open {
        let _ = ws::close(&mut s, timeout.min(Duration::from_secs(1))).await;
    }
    probe
}

/// Sends `message`, then `ack`, on `stream`, reading meanwhile (a server
/// may close it with a close frame before the message is all sent) until
/// `answered` says a frame answers `ack`. The stream back when the
/// message got through.
async fn exchange(
    stream: ws::Stream,
    message: Message,
    ack: Message,
    answered: impl Fn(&Message) -> bool,
    timeout: Duration,
) -> (Option<ws::Stream>, Fate) {
    let (mut sink, mut source) = stream.split();
    let fate = {
        let send = async {
            sink.send(message).await?;
            sink.send(ack).await
        };
        let read = async {
            loop {
                match source.next().await {
                    Some(Ok(Message::Close(frame))) => {
                        let frame = frame.map(|f| (u16::from(f.code), f.reason.to_string()));
                        return Fate::Refused(Refusal::Closed(frame));
                    }
                    Some(Ok(m)) if answered(&m) => return Fate::Through,
                    Some(Ok(_)) => continue,
                    None | Some(Err(WsError::ConnectionClosed | WsError::AlreadyClosed)) => {
                        return Fate::Refused(Refusal::Closed(None));
                    }
                    Some(Err(e)) => {
                        return Fate::Refused(Refusal::Failed(
                            crate::probe::classify(&e).to_string(),
                        ));
                    }
                }
            }
        };
        let both = async {
            tokio::pin!(send, read);
            let mut sending = true;
            loop {
                tokio::select! {
                    sent = &mut send, if sending => {
                        sending = false;
                        // A failed send leaves the reading to tell why
                        // (the close frame may already be on its way).
                        let _ = sent;
                    }
                    fate = &mut read => return fate,
                }
            }
        };
        tokio::time::timeout(timeout, both)
            .await
            .unwrap_or(Fate::Refused(Refusal::Stalled(timeout)))
    };
    let back = match fate {
        Fate::Through => sink.reunite(source).ok(),
        Fate::Refused(_) => None,
    };
    (back, fate)
}

/// `size` bytes of filler.
fn filler(size: usize) -> String {
    "x".repeat(size)
}
