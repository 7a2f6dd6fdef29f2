//! The probe of `socketio.payload`: EVENT packets of chosen sizes over a
//! websocket-only connection and over polling, each followed by a request
//! the server answers (a CONNECT to `ACK_NAMESPACE`, or an Engine.IO 3
//! ping) to tell that the session survived it.

use std::time::{Duration, Instant};

use tokio_tungstenite::tungstenite::Message;

use super::search::{self, Fate, Refusal, Search};
use super::{Probe, Wire, filler, left, search_ws};
use crate::check::Ctx;
use crate::probe::Failure;
use crate::probe::engineio::{self, Endpoint, PollError, Session};
use crate::probe::http::{Answer, Http};
use crate::probe::proxy_name::proxy_name;
use crate::probe::ws::{self, ConnectError, Received};
use crate::protocol::engineio::{self as eio, Eio, Kind, Packet};
use crate::protocol::preview;
use crate::protocol::socketio::{self as sio, ConnectReply};

/// The namespace whose CONNECT acknowledges a message: no app defines it,
/// and every server answers a CONNECT (40 or 44).
const ACK_NAMESPACE: &str = "/rtdoctor-payload";

/// What the probe met.
pub struct Observation {
    /// The handshake's maxPayload (Engine.IO 4).
    pub max_payload: Option<u64>,
    /// `None` when the server offers no websocket.
    pub websocket: Option<Probe>,
    pub polling: Probe,
}

/// The talk of one session: which namespace, with what auth, in which
/// Engine.IO version.
struct Talk<'a> {
    ctx: &'a Ctx,
    eio: Eio,
    deadline: Instant,
}

impl Talk<'_> {
    fn nsp(&self) -> &str {
        &self.ctx.probe.namespace
    }

    /// The Engine.IO message of an EVENT of `size` bytes in all.
    fn event(&self, size: usize) -> String {
        let nsp = match self.nsp() {
            "/" => String::new(),
            other => format!("{other},"),
        };
        let head = format!("2{nsp}[\"rtdoctor:payload\",\"");
        let fill = size.saturating_sub(head.len() + 3);
        format!("{head}{}\"]", filler(fill))
    }

    /// The Engine.IO packet asking for an answer, and whether a packet is it.
    fn ack(&self) -> Packet {
        match self.eio {
            Eio::V4 => Packet::new(Kind::Message, sio::connect(ACK_NAMESPACE, None, Eio::V4)),
            Eio::V3 => Packet::new(Kind::Ping, ""),
        }
    }

    fn acked(&self, p: &Packet) -> bool {
        match self.eio {
            Eio::V4 => {
                p.kind == Kind::Message
                    && sio::decode(&p.data)
                        .ok()
                        .and_then(|s| sio::connect_reply(&s, ACK_NAMESPACE))
                        .is_some()
            }
            Eio::V3 => p.kind == Kind::Pong,
        }
    }

    /// The CONNECT to the namespace, unless socket.io 2 connects it itself.
    fn connect(&self) -> Option<Packet> {
        let auth = self
            .ctx
            .probe
            .auth
            .as_ref()
            .map(crate::secret::Secret::expose);
        (self.eio == Eio::V4 || self.nsp() != "/")
            .then(|| Packet::new(Kind::Message, sio::connect(self.nsp(), auth, self.eio)))
    }

    /// Whether `p` ends the wait for the namespace's CONNECT reply.
    fn connected(&self, p: &Packet) -> Option<Result<(), String>> {
        if p.kind == Kind::Close {
            return Some(Err("the server closed the session".into()));
        }
        let reply = sio::decode(&p.data).ok()?;
        match sio::connect_reply(&reply, self.nsp())? {
            ConnectReply::Connected { .. } => Some(Ok(())),
            ConnectReply::Refused { message } => Some(Err(format!(
                "the CONNECT to {} was refused: {message} (see socketio.namespace)",
                self.nsp()
            ))),
        }
    }

    fn left(&self) -> Option<Duration> {
        left(self.deadline, self.ctx.probe.timeout)
    }
}

pub async fn observe(
    ctx: &Ctx,
    endpoint: &Endpoint,
    http: &Http,
    deadline: Instant,
) -> Observation {
    let talk = Talk {
        ctx,
        eio: endpoint.eio,
        deadline,
    };
    let open = match Session::open(http, endpoint, ctx.probe.timeout).await {
        Ok(s) => {
            s.close(ctx.probe.timeout).await;
            s.open
        }
        Err(h) => {
            let stopped = Some(format!("a new session did not open: {}", h.summary()));
            let failed = Probe {
                stopped,
                ..Probe::default()
            };
            return Observation {
                max_payload: None,
                websocket: None,
                polling: failed,
            };
        }
    };
    let advertised = open.max_payload;
    let over_ws = async {
        if open.offers_websocket() {
            Some(websocket(&talk, endpoint, advertised).await)
        } else {
            None
        }
    };
    let (websocket, polling) = tokio::join!(over_ws, polling(&talk, endpoint, http, advertised));
    Observation {
        max_payload: advertised,
        websocket,
        polling,
    }
}

/// The search over polling: a session kept while messages get through, a
/// new one after each refusal.
async fn polling(
    talk: &Talk<'_>,
    endpoint: &Endpoint,
    http: &Http,
    advertised: Option<u64>,
) -> Probe {
    let mut probe = Probe {
        search: Search::new(advertised),
        stopped: None,
    };
    let mut open: Option<Session> = None;
    while let Some(size) = probe.search.next() {
        let Some(t) = talk.left() else {
            probe.stopped = Some("stopped at the check's time bound".into());
            break;
        };
        let mut session = match open.take() {
            Some(s) => s,
            None => match polling_session(talk, endpoint, http, t).await {
                Ok(s) => s,
                Err(e) => {
                    probe.stopped = Some(e);
                    break;
                }
            },
        };
        let fate = post(talk, http, &mut session, size, t).await;
        let through = fate == Fate::Through;
        probe.search.record(size, fate);
        if through {
            open = Some(session);
        }
    }
    if let Some(s) = open {
        s.close(talk.ctx.probe.timeout).await;
    }
    probe
}

async fn polling_session<'a>(
    talk: &Talk<'_>,
    endpoint: &'a Endpoint,
    http: &'a Http,
    t: Duration,
) -> Result<Session<'a>, String> {
    let mut session = Session::open(http, endpoint, t)
        .await
        .map_err(|h| format!("a new session did not open: {}", h.summary()))?;
    let Some(connect) = talk.connect() else {
        return Ok(session);
    };
    match session.send(&[connect], t).await {
        Ok(a) if a.status == 200 => {}
        Ok(a) => return Err(format!("the CONNECT was answered {}", a.who())),
        Err(f) => return Err(format!("sending the CONNECT got {f}")),
    }
    for _ in 0..4 {
        let packets = session
            .receive(t)
            .await
            .map_err(|e| format!("waiting for the CONNECT reply: {e}"))?;
        if let Some(done) = packets.iter().find_map(|p| talk.connected(p)) {
            return done.map(|()| session);
        }
    }
    Err("no reply to the CONNECT after 4 polls".into())
}

/// One message over polling: its POST, then the acknowledgement's POST
/// and the polls that bring its answer.
async fn post(
    talk: &Talk<'_>,
    http: &Http,
    session: &mut Session<'_>,
    size: usize,
    t: Duration,
) -> Fate {
    let event = [Packet::new(Kind::Message, talk.event(size))];
    let answer = session.send(&event, t).await;
    // python-engineio never answers a POST over its limit: it ends the
    // session, which the next poll shows.
    if let Err(Failure::TimedOut(d)) = answer {
        let polled = engineio::poll(http, &session.endpoint, session.sid(), t).await;
        return Fate::Refused(match ended(polled, talk.eio) {
            Some(how) => Refusal::SessionEnded(format!(
                "the POST got no answer within {} ms, {how}",
                d.as_millis()
            )),
            None => Refusal::Stalled(d),
        });
    }
    match answer {
        Ok(a) if a.status == 200 => {}
        Ok(a) => return Fate::Refused(refused_post(&a)),
        Err(f) => return Fate::Refused(failure(f)),
    }
    match session.send(&[talk.ack()], t).await {
        Ok(a) if a.status == 200 => {}
        Ok(a) => {
            return Fate::Refused(Refusal::SessionEnded(format!(
                "the POST after it was answered {}: {}",
                a.who(),
                preview(&a.body, 80)
            )));
        }
        Err(f) => return Fate::Refused(failure(f)),
    }
    for _ in 0..4 {
        match session.receive(t).await {
            Ok(packets) => {
                if packets.iter().any(|p| p.kind == Kind::Close) {
                    return Fate::Refused(Refusal::SessionEnded(
                        "the next poll brought a close packet".into(),
                    ));
                }
                if packets.iter().any(|p| talk.acked(p)) {
                    return Fate::Through;
                }
            }
            Err(PollError::Status(a)) => {
                return Fate::Refused(Refusal::SessionEnded(format!(
                    "the next poll was answered {}: {}",
                    a.who(),
                    preview(&a.body, 80)
                )));
            }
            Err(PollError::Failed(f)) => return Fate::Refused(failure(f)),
            Err(e) => return Fate::Refused(Refusal::Failed(e.to_string())),
        }
    }
    Fate::Refused(Refusal::SessionEnded(
        "no answer to the request after it, in 4 polls".into(),
    ))
}

/// Whether a poll after an unanswered POST shows the session gone
/// (python-engineio's next poll gets 400 "Session is disconnected").
fn ended(polled: Result<Answer, Failure>, eio: Eio) -> Option<String> {
    let a = polled.ok()?;
    let closed = a.status == 200
        && eio::decode_payload(&a.body, eio).is_ok_and(|p| p.iter().any(|p| p.kind == Kind::Close));
    (a.status != 200 || closed).then(|| {
        format!(
            "and the next poll got {}: {}",
            a.who(),
            preview(&a.body, 80)
        )
    })
}

/// A POST answered otherwise than 200: the proxy is named only by its own
/// error page (a proxy passes the server's answers on under its Server).
pub fn refused_post(a: &Answer) -> Refusal {
    Refusal::Status {
        status: a.status,
        proxy: if a.is_html() { proxy_name(a) } else { None },
        server: a.server().map(str::to_owned),
        body: preview(&a.body, 120),
    }
}

fn failure(f: Failure) -> Refusal {
    match f {
        Failure::TimedOut(d) => Refusal::Stalled(d),
        other => Refusal::Failed(other.to_string()),
    }
}

/// The search over websocket-only connections (`transport=websocket`).
async fn websocket(talk: &Talk<'_>, endpoint: &Endpoint, advertised: Option<u64>) -> Probe {
    let wire = OverWs { talk, endpoint };
    let timeout = talk.ctx.probe.timeout;
    search_ws(&wire, Search::new(advertised), talk.deadline, timeout).await
}

/// EVENTs over a websocket-only Engine.IO connection.
struct OverWs<'a> {
    talk: &'a Talk<'a>,
    endpoint: &'a Endpoint,
}

impl Wire for OverWs<'_> {
    async fn open(&self, t: Duration) -> Result<ws::Stream, String> {
        ws_session(self.talk, self.endpoint, t).await
    }

    fn message(&self, size: usize) -> Message {
        Message::text(format!("4{}", self.talk.event(size)))
    }

    fn ack(&self) -> Message {
        Message::text(self.talk.ack().encode())
    }

    fn answers(&self, m: &Message) -> bool {
        match m {
            Message::Text(text) => {
                eio::decode_packet(text.as_str()).is_ok_and(|p| self.talk.acked(&p))
            }
            _ => false,
        }
    }
}

/// A websocket-only Engine.IO connection, connected to the namespace.
async fn ws_session(
    talk: &Talk<'_>,
    endpoint: &Endpoint,
    t: Duration,
) -> Result<ws::Stream, String> {
    let tls = talk.ctx.machine.ws_tls_for(&talk.ctx.probe)?;
    let url = endpoint.websocket(None);
    let mut stream = match ws::connect_sized(&url, &endpoint.headers, t, tls, search::MAX).await {
        Ok(conn) => conn.stream,
        Err(ConnectError::Refused(a)) => {
            return Err(format!("the websocket connect was refused: {}", a.who()));
        }
        Err(ConnectError::Failed(f)) => return Err(format!("the websocket connect failed: {f}")),
        Err(ConnectError::Protocol(e) | ConnectError::WrongAccept(e)) => {
            return Err(format!("the websocket connect got no WebSocket: {e}"));
        }
    };
    if let Some(connect) = talk.connect() {
        ws::send(&mut stream, &connect.encode(), t)
            .await
            .map_err(|f| format!("sending the CONNECT over websocket: {f}"))?;
    } else {
        return Ok(stream);
    }
    for _ in 0..8 {
        match ws::recv(&mut stream, t).await {
            Ok(Received::Text(text)) => {
                let Ok(p) = eio::decode_packet(&text) else {
                    continue;
                };
                if let Some(done) = talk.connected(&p) {
                    return done.map(|()| stream);
                }
            }
            Ok(Received::Binary(_)) => continue,
            Ok(Received::Closed(_)) => {
                return Err("the server closed the websocket before the CONNECT reply".into());
            }
            Err(e) => return Err(format!("waiting for the CONNECT reply over websocket: {e}")),
        }
    }
    Err("no reply to the CONNECT over websocket".into())
}
