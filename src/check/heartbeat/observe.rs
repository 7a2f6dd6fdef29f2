//! The probe of `socketio.heartbeat`: one session opened and upgraded as
//! engine.io-client does (kept on polling only when the server offers no
//! upgrade), then held for the soak while answering like a client:
//! Engine.IO 4 pongs each server ping, Engine.IO 3 pings every pingInterval
//! and waits for the pong. What happened, and when, is a `Timeline`.

use std::time::{Duration, Instant};

use super::verdict::{Cut, End, MAX_PINGS, Timeline, Transport};
use crate::check::Ctx;
use crate::probe::Failure;
use crate::probe::engineio::{self, Endpoint, Handshake};
use crate::probe::http::Http;
use crate::probe::proxy_name::proxy_name;
use crate::probe::ws::{self, Received, RecvError};
use crate::protocol::engineio::{self as eio, Eio, Kind, Packet};
use crate::protocol::socketio;
use tokio_tungstenite::tungstenite::error::ProtocolError;

/// The server's heartbeat when its open packet names none (the defaults
/// of socket.io and python-socketio).
const DEFAULT_INTERVAL: Duration = Duration::from_secs(25);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

/// The session being held.
struct Held {
    started: Instant,
    soak: Duration,
    line: Timeline,
    /// Engine.IO 3: when rtdoctor's ping went out, until its pong.
    ping_out: Option<Instant>,
}

impl Held {
    fn now(&self) -> Duration {
        self.started.elapsed()
    }

    fn left(&self) -> Duration {
        self.soak.saturating_sub(self.now())
    }

    /// What the session does with one packet from the server: the pong
    /// (Engine.IO 4) it owes, if any, or the end it means.
    fn heard(&mut self, packet: &Packet) -> Result<Option<Packet>, Cut> {
        let at = self.now();
        self.line.last_heard = at;
        match (packet.kind, self.line.eio) {
            (Kind::Ping, Eio::V4) => {
                if self.line.pings.len() < MAX_PINGS {
                    self.line.pings.push(at);
                }
                self.line.seen += 1;
                self.line.sent += 1;
                Ok(Some(Packet::new(Kind::Pong, packet.data.clone())))
            }
            (Kind::Pong, Eio::V3) => {
                if let Some(out) = self.ping_out.take() {
                    if self.line.rtts.len() < MAX_PINGS {
                        self.line.rtts.push(out.elapsed());
                    }
                    self.line.seen += 1;
                }
                Ok(None)
            }
            (Kind::Close, _) => Err(Cut::EngineClose),
            _ => Ok(None),
        }
    }

    /// How long to wait for the server before rtdoctor has something to
    /// do: its own ping (Engine.IO 3), or the soak's end.
    fn wait(&self) -> Duration {
        let left = self.left();
        match self.line.eio {
            Eio::V3 if self.ping_out.is_none() => {
                let due = self.line.interval * (self.line.sent as u32 + 1);
                due.saturating_sub(self.now()).min(left)
            }
            _ => left,
        }
    }

    /// Engine.IO 3: rtdoctor's ping, when one is due.
    fn ping_due(&mut self) -> Option<Packet> {
        let due = self.line.interval * (self.line.sent as u32 + 1);
        if self.line.eio != Eio::V3 || self.ping_out.is_some() || self.now() < due {
            return None;
        }
        self.line.sent += 1;
        self.ping_out = Some(Instant::now());
        Some(Packet::new(Kind::Ping, ""))
    }
}

/// Open, upgrade and hold a session for `soak`; `Err` when no session
/// opened.
pub async fn observe(
    ctx: &Ctx,
    endpoint: &Endpoint,
    http: &Http,
    soak: Duration,
) -> Result<Timeline, String> {
    let t = ctx.probe.timeout;
    let (open, answer) = match engineio::handshake(http, endpoint, t).await {
        Handshake::Open { open, answer, .. } => (open, answer),
        other => return Err(other.summary()),
    };
    let started = Instant::now();
    let endpoint = endpoint.with_cookies(&answer);
    let proxy = match proxy_name(&answer) {
        Some(name) => Some(name),
        None => crate::check::backend::local_proxy(ctx)
            .await
            .map(|p| p.name),
    };
    let ms = |v: Option<u64>, d| v.map_or(d, Duration::from_millis);
    let mut held = Held {
        started,
        soak,
        line: Timeline {
            eio: endpoint.eio,
            transport: Transport::Polling,
            interval: ms(open.ping_interval, DEFAULT_INTERVAL),
            timeout: ms(open.ping_timeout, DEFAULT_TIMEOUT),
            soak,
            pings: Vec::new(),
            seen: 0,
            rtts: Vec::new(),
            sent: 0,
            last_heard: Duration::ZERO,
            end: End::Held,
            proxy,
        },
        ping_out: None,
    };
    let connect = (endpoint.eio == Eio::V4 || ctx.probe.namespace != "/").then(|| {
        let auth = ctx.probe.auth.as_ref().map(|a| a.expose());
        socketio::connect(&ctx.probe.namespace, auth, endpoint.eio)
    });
    let mut upgraded = None;
    if open.offers_websocket() {
        upgraded = upgrade(ctx, &endpoint, &open.sid).await.ok();
    }
    held.line.end = match upgraded {
        Some(mut stream) => {
            held.line.transport = Transport::WebSocket;
            let end = over_websocket(&mut held, &mut stream, connect, t).await;
            if !matches!(end, End::Cut(..)) {
                let _ = ws::close(&mut stream, t.min(Duration::from_secs(1))).await;
            }
            end
        }
        None => {
            let end = over_polling(&mut held, http, &endpoint, &open.sid, connect, t).await;
            if !matches!(end, End::Cut(..)) {
                let close = [Packet::new(Kind::Close, "")];
                let _ = engineio::post(http, &endpoint, &open.sid, &close, t).await;
            }
            end
        }
    };
    Ok(held.line)
}

/// The upgrade as engine.io-client makes it: 2probe, 3probe, 5.
async fn upgrade(ctx: &Ctx, endpoint: &Endpoint, sid: &str) -> Result<ws::Stream, String> {
    let t = ctx.probe.timeout;
    let tls = ctx.machine.ws_tls_for(&ctx.probe)?;
    let url = endpoint.websocket(Some(sid));
    let mut conn = ws::connect(&url, &endpoint.headers, t, tls)
        .await
        .map_err(|_| "the websocket upgrade failed (see socketio.upgrade)".to_string())?;
    let stream = &mut conn.stream;
    ws::send(stream, "2probe", t)
        .await
        .map_err(|f| f.to_string())?;
    loop {
        match ws::recv(stream, t).await {
            Ok(Received::Text(text)) if text == "3probe" => break,
            Ok(Received::Text(_)) => continue,
            _ => return Err("no 3probe".into()),
        }
    }
    ws::send(stream, "5", t).await.map_err(|f| f.to_string())?;
    Ok(conn.stream)
}

fn cut_of(error: RecvError) -> Cut {
    // tungstenite's words for a stream that ended without a close frame.
    let eof = ProtocolError::ResetWithoutClosingHandshake.to_string();
    match error {
        RecvError::Failed(Failure::Reset) => Cut::Reset,
        RecvError::Garbage(words) if words == eof => Cut::Fin,
        other => Cut::Failed(other.to_string()),
    }
}

async fn over_websocket(
    held: &mut Held,
    stream: &mut ws::Stream,
    connect: Option<String>,
    t: Duration,
) -> End {
    let cut = |held: &Held, cut| End::Cut(held.now(), cut);
    if let Some(connect) = connect
        && let Err(f) = ws::send(stream, &format!("4{connect}"), t).await
    {
        return cut(held, Cut::Failed(format!("sending the CONNECT: {f}")));
    }
    let mut stop = crate::interrupt::stop();
    loop {
        if let Some(ping) = held.ping_due()
            && let Err(f) = ws::send(stream, &ping.encode(), t).await
        {
            return cut(held, Cut::Failed(format!("sending a ping: {f}")));
        }
        if held.left().is_zero() {
            return End::Held;
        }
        let received = tokio::select! {
            _ = stop.wait() => return End::Interrupted(held.now()),
            r = ws::recv(stream, held.wait()) => r,
        };
        let text = match received {
            Ok(Received::Text(text)) => text,
            Ok(Received::Binary(_)) => {
                held.line.last_heard = held.now();
                continue;
            }
            Ok(Received::Closed(Some((code, reason)))) => {
                return cut(held, Cut::Close(code, reason));
            }
            Ok(Received::Closed(None)) => return cut(held, Cut::Fin),
            Err(RecvError::TimedOut(..)) => continue,
            Err(e) => return cut(held, cut_of(e)),
        };
        let Ok(packet) = eio::decode_packet(&text) else {
            held.line.last_heard = held.now();
            continue;
        };
        match held.heard(&packet) {
            Ok(Some(pong)) => {
                if let Err(f) = ws::send(stream, &pong.encode(), t).await {
                    return cut(held, Cut::Failed(format!("sending a pong: {f}")));
                }
            }
            Ok(None) => {}
            Err(end) => return cut(held, end),
        }
    }
}

async fn over_polling(
    held: &mut Held,
    http: &Http,
    endpoint: &Endpoint,
    sid: &str,
    connect: Option<String>,
    t: Duration,
) -> End {
    let mut out: Vec<Packet> = connect
        .map(|c| Packet::new(Kind::Message, c))
        .into_iter()
        .collect();
    let mut stop = crate::interrupt::stop();
    // A poll is held by the server for up to pingInterval: give it that
    // and the probe timeout.
    let poll_limit = held.line.interval + t;
    loop {
        out.extend(held.ping_due());
        if !out.is_empty() {
            let sending = std::mem::take(&mut out);
            match engineio::post(http, endpoint, sid, &sending, t).await {
                Ok(a) if a.status == 200 => {}
                Ok(a) => return End::Cut(held.now(), Cut::Poll(a.status, who(&a))),
                Err(f) => return End::Cut(held.now(), failure(f)),
            }
        }
        if held.left().is_zero() {
            return End::Held;
        }
        let answered = tokio::select! {
            _ = stop.wait() => return End::Interrupted(held.now()),
            _ = tokio::time::sleep(held.wait()) => continue,
            a = engineio::poll(http, endpoint, sid, poll_limit) => a,
        };
        let answer = match answered {
            Ok(a) if a.status == 200 => a,
            Ok(a) => return End::Cut(held.now(), Cut::Poll(a.status, who(&a))),
            Err(f) => return End::Cut(held.now(), failure(f)),
        };
        let Ok(packets) = eio::decode_payload(&answer.body, endpoint.eio) else {
            held.line.last_heard = held.now();
            continue;
        };
        for packet in &packets {
            match held.heard(packet) {
                Ok(pong) => out.extend(pong),
                Err(end) => return End::Cut(held.now(), end),
            }
        }
    }
}

fn who(answer: &crate::probe::http::Answer) -> Option<String> {
    proxy_name(answer).or_else(|| answer.server().map(str::to_owned))
}

fn failure(f: Failure) -> Cut {
    match f {
        Failure::Reset => Cut::Reset,
        other => Cut::Failed(other.to_string()),
    }
}
