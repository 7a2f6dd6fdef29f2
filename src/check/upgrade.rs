//! `socketio.upgrade`: does the polling session upgrade to a websocket the
//! way engine.io-client does it, and does a websocket-only client connect?
//! The upgrade is tried while a long-poll is pending, because a server with
//! one single-threaded worker fails only then.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::sync::Notify;

use super::fixes;
use super::{Check, Ctx};
use crate::probe::engineio::{self, Endpoint};
use crate::probe::http::{Answer, Http};
use crate::probe::proxy_name::proxy_name;
use crate::probe::ws::{self, ConnectError, Received, RecvError};
use crate::protocol::engineio::{self as eio, Eio, ErrorKind};
use crate::protocol::preview;
use crate::report::{Fix, Outcome};

pub struct Upgrade;

/// How long after the long-poll's connection is made the upgrade starts:
/// its request is written at once, and the upgrade still has a connection
/// of its own to make before the server sees it.
const POLL_MARGIN: Duration = Duration::from_millis(1);

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
        // Last of the Socket.IO probes: a server with one single-threaded
        // worker stays stuck on the long-poll this check leaves pending.
        &["socketio.sticky", "socketio.namespace", "http.health"]
    }

    fn explain(&self) -> &str {
        "Behaves like engine.io-client: opens a polling session, keeps a long-poll GET pending, \
opens {path}?transport=websocket&sid=…, sends 2probe, expects 3probe, sends 5 (upgrade), \
then uses the session over the websocket (a Socket.IO CONNECT, or a ping with Engine.IO 3) \
and closes it cleanly. Then connects websocket-only (no sid), as clients with \
transports: ['websocket'] do, and expects the open packet.\n\n\
Causes it tells apart:\n\
- \"upgrades\":[] in the handshake: the server runs without WebSocket support, e.g. \
Flask-SocketIO under gunicorn's sync worker. Fix: gunicorn -k gevent -w 1 (gevent + \
gevent-websocket) or -k eventlet -w 1, or threading mode with simple-websocket and enough \
threads (gunicorn -w 1 --threads 100).\n\
- 400 {\"code\":3,\"message\":\"Bad request\"} to transport=websocket: the request reached the \
server as plain HTTP, because a proxy dropped Upgrade/Connection. Fix (nginx): \
proxy_http_version 1.1 and the map $http_upgrade $connection_upgrade snippet; Vite/webpack \
dev proxy: ws: true.\n\
- a 400 (or 200) from a proxy itself, with no Engine.IO body: the same cause, named.\n\
- 101 but no 3probe, no open packet on a websocket-only connect, or no answer at all while a \
poll is pending: the server's worker cannot serve websockets (gunicorn's sync worker when the \
Server header says gunicorn).\n\
- 101 then frames that do not parse: two upgrade handlers on one server (e.g. a ws server and \
socket.io both attached to the same HTTP server).\n\
- a timeout: where it stalled."
    }

    async fn run(&self, ctx: &Ctx) -> Outcome {
        let d = ctx.engineio().await;
        let (endpoint, http) = match d.session() {
            Ok(s) => s,
            Err(skip) => return skip,
        };
        let mut probe = Probe {
            ctx,
            http,
            endpoint,
            deadline: Instant::now() + ctx.probe.timeout * 2,
            evidence: Vec::new(),
            server: None,
        };
        let upgraded = probe.upgrade().await;
        let only = match &upgraded {
            // Without an upgrade offer, or with a worker already stuck, the
            // websocket-only connect would only wait on the same worker.
            Err(Stop::NoUpgrades(_) | Stop::Silent(_)) => None,
            _ => Some(probe.websocket_only().await),
        };
        let mut out = match (upgraded, only) {
            (Ok(ms), Some(Ok(()))) => Outcome::pass(format!(
                "upgraded to websocket in {ms} ms (2probe → 3probe, 5) and a websocket-only connect works"
            )),
            (Ok(_), Some(Err(stop))) => {
                let mut o = stop.outcome(&probe);
                o.summary = format!(
                    "polling → websocket works, but a websocket-only connect fails: {}",
                    o.summary
                );
                o
            }
            (Err(stop), only) => {
                let mut o = stop.outcome(&probe);
                match only {
                    Some(Ok(())) => o.push_evidence("websocket-only result", "works"),
                    Some(Err(other)) => {
                        let summary = other.outcome(&probe).summary;
                        o.push_evidence("websocket-only result", summary)
                    }
                    None => {}
                }
                o
            }
            (Ok(ms), None) => Outcome::pass(format!("upgraded to websocket in {ms} ms")),
        };
        // What the probe did first, then what the failure showed.
        let shown = std::mem::take(&mut out.evidence);
        for (k, v) in probe.evidence {
            out.push_evidence(k, v);
        }
        out.evidence.extend(shown);
        out
    }
}

/// What became of the long-poll, for the evidence.
fn poll_result(
    answered: Result<Result<Answer, crate::probe::Failure>, tokio::task::JoinError>,
) -> String {
    match answered {
        Ok(Ok(a)) => format!("returned {}: {}", a.status_line(), preview(&a.body, 80)),
        Ok(Err(failure)) => failure.to_string(),
        Err(e) => format!("the poll did not finish ({e})"),
    }
}

/// Why the probe stopped.
enum Stop {
    NoUpgrades(String),
    Session(String),
    Refused(Answer),
    NoAnswer(String),
    Invalid(String),
    Garbage(String),
    Silent(String),
    Closed(String),
}

struct Probe<'a> {
    ctx: &'a Ctx,
    http: &'a Http,
    endpoint: &'a Endpoint,
    deadline: Instant,
    evidence: Vec<(String, String)>,
    /// The Server header of the handshake answer.
    server: Option<String>,
}

impl Probe<'_> {
    fn left(&self) -> Duration {
        self.deadline
            .saturating_duration_since(Instant::now())
            .min(self.ctx.probe.timeout)
            .max(Duration::from_millis(50))
    }

    fn note(&mut self, label: &str, value: impl Into<String>) {
        self.evidence.push((label.to_string(), value.into()));
    }

    async fn upgrade(&mut self) -> Result<u128, Stop> {
        let timeout = self.left();
        let session = match engineio::handshake(self.http, self.endpoint, timeout).await {
            engineio::Handshake::Open { open, answer, .. } => {
                self.server = answer.server().map(str::to_owned);
                open
            }
            other => return Err(Stop::Session(other.summary())),
        };
        self.note(
            "session",
            format!("sid {}, upgrades {:?}", session.sid, session.upgrades),
        );
        if !session.offers_websocket() {
            return Err(Stop::NoUpgrades(format!("{:?}", session.upgrades)));
        }
        let sid = session.sid.clone();
        // The long-poll a real client keeps open while it upgrades, on a
        // client that says when its connection is made (or, woken the
        // same way, that the poll is over).
        let connected = Arc::new(Notify::new());
        let poll_http = self
            .ctx
            .host
            .observed_http_for(&self.ctx.probe, connected.clone())
            .map_err(Stop::Session)?;
        let poll = {
            let (ep, sid, t) = (self.endpoint.clone(), sid.clone(), self.ctx.probe.timeout);
            let done = connected.clone();
            tokio::spawn(async move {
                let answer = engineio::poll(&poll_http, &ep, &sid, t).await;
                done.notify_one();
                answer
            })
        };
        // engine.io-client's poll reaches the server before its upgrade
        // does, or a worker that serves one request at a time would take
        // the upgrade first and look healthy. Such a worker accepts
        // connections in the order they were made, so the upgrade starts
        // once the poll's connection is made.
        let _ = tokio::time::timeout(self.left(), connected.notified()).await;
        let mut poll = Some(poll);
        if let Some(over) = poll.take_if(|p| p.is_finished()) {
            let how = poll_result(over.await);
            self.note(
                "pending poll",
                format!("over before the upgrade began: {how}"),
            );
        } else {
            tokio::time::sleep(POLL_MARGIN).await;
        }
        let start = Instant::now();
        let url = self.endpoint.websocket(Some(&sid));
        let pending = if poll.is_some() {
            " (a long-poll is pending)"
        } else {
            ""
        };
        self.note("upgrade", format!("GET {url}{pending}"));
        let result = self.upgrade_on(&url, start).await;
        if let Some(poll) = poll {
            let abort = poll.abort_handle();
            // After an upgrade the server answers the pending poll (a
            // noop); after a failed one it may hold it for the whole ping
            // interval.
            if result.is_ok() {
                let wait = Duration::from_millis(300).min(self.left());
                let how = match tokio::time::timeout(wait, poll).await {
                    Ok(answered) => poll_result(answered),
                    Err(_) => "still pending after the upgrade".to_string(),
                };
                self.note("pending poll", how);
            }
            // Closing it tells the server this client is gone.
            abort.abort();
        }
        result
    }

    async fn upgrade_on(&mut self, url: &url::Url, start: Instant) -> Result<u128, Stop> {
        let mut conn = self.connect(url).await?;
        let t = self.left();
        ws::send(&mut conn.stream, "2probe", t)
            .await
            .map_err(|f| Stop::NoAnswer(format!("sending 2probe: {f}")))?;
        self.expect(&mut conn.stream, "3probe", "after 2probe")
            .await?;
        let ms = start.elapsed().as_millis();
        let t = self.left();
        ws::send(&mut conn.stream, "5", t)
            .await
            .map_err(|f| Stop::NoAnswer(format!("sending 5: {f}")))?;
        self.use_session(&mut conn.stream).await?;
        let code = ws::close(&mut conn.stream, self.left()).await;
        self.note(
            "close",
            code.map_or("no close frame from the server".into(), |c| {
                format!("close code {c}")
            }),
        );
        Ok(ms)
    }

    /// What engine.io-client does with a fresh websocket-only connection.
    async fn websocket_only(&mut self) -> Result<(), Stop> {
        let url = self.endpoint.websocket(None);
        self.note("websocket-only", format!("GET {url}"));
        let mut conn = self.connect(&url).await?;
        let first = self
            .next_text(&mut conn.stream, "waiting for the open packet")
            .await?;
        match eio::decode_packet(&first) {
            Ok(p) if p.kind == eio::Kind::Open => {
                self.note("websocket-only open", preview(first.as_bytes(), 160))
            }
            _ => {
                return Err(Stop::Garbage(format!(
                    "the first message was not an open packet: {}",
                    preview(first.as_bytes(), 80)
                )));
            }
        }
        self.use_session(&mut conn.stream).await?;
        let _ = ws::close(&mut conn.stream, self.left()).await;
        Ok(())
    }

    async fn connect(&mut self, url: &url::Url) -> Result<ws::Conn, Stop> {
        let t = self.left();
        let tls = self
            .ctx
            .host
            .ws_tls_for(&self.ctx.probe)
            .map_err(Stop::NoAnswer)?;
        match ws::connect(url, &self.endpoint.headers, t, tls).await {
            Ok(conn) => {
                self.note("upgrade answer", conn.answer.status_line());
                Ok(conn)
            }
            Err(ConnectError::Refused(answer)) => Err(Stop::Refused(answer)),
            Err(ConnectError::Failed(crate::probe::Failure::TimedOut(d))) => {
                Err(Stop::Silent(format!(
                    "the websocket upgrade got no answer within {} ms while a long-poll was pending",
                    d.as_millis()
                )))
            }
            Err(ConnectError::Failed(f)) => {
                Err(Stop::NoAnswer(format!("the upgrade request got {f}")))
            }
            Err(ConnectError::Protocol(e) | ConnectError::WrongAccept(e)) => Err(Stop::Invalid(e)),
        }
    }

    /// Over the upgraded websocket: a Socket.IO CONNECT to / (Engine.IO 4)
    /// or a ping (Engine.IO 3, where the client pings).
    async fn use_session(&mut self, stream: &mut ws::Stream) -> Result<(), Stop> {
        let (send, want) = match self.endpoint.eio {
            Eio::V4 => ("40", "40"),
            Eio::V3 => ("2", "3"),
        };
        let t = self.left();
        ws::send(stream, send, t)
            .await
            .map_err(|f| Stop::NoAnswer(format!("sending {send}: {f}")))?;
        for _ in 0..8 {
            let text = self
                .next_text(stream, &format!("waiting for the answer to {send}"))
                .await?;
            if text.starts_with(want) {
                self.note(
                    "over websocket",
                    format!("sent {send}, got {}", preview(text.as_bytes(), 80)),
                );
                return Ok(());
            }
            if text.starts_with("44") {
                // A refused CONNECT still proves the websocket carries the session.
                self.note(
                    "over websocket",
                    format!("sent {send}, got {}", preview(text.as_bytes(), 80)),
                );
                return Ok(());
            }
        }
        Err(Stop::Silent(format!("no {want} in answer to {send}")))
    }

    async fn expect(
        &mut self,
        stream: &mut ws::Stream,
        want: &str,
        when: &str,
    ) -> Result<(), Stop> {
        for _ in 0..8 {
            let text = self
                .next_text(stream, &format!("waiting for {want} {when}"))
                .await?;
            if text == want {
                self.note("probe", format!("sent 2probe, got {want}"));
                return Ok(());
            }
            self.note("unexpected", preview(text.as_bytes(), 80));
        }
        Err(Stop::Silent(format!("no {want} {when}")))
    }

    async fn next_text(&mut self, stream: &mut ws::Stream, doing: &str) -> Result<String, Stop> {
        let t = self.left();
        match ws::recv(stream, t).await {
            Ok(Received::Text(text)) => Ok(text),
            Ok(Received::Binary(n)) => {
                Err(Stop::Garbage(format!("a {n}-byte binary frame {doing}")))
            }
            Ok(Received::Closed(frame)) => Err(Stop::Closed(match frame {
                Some((code, reason)) => {
                    format!("the server closed the websocket {doing} (code {code} {reason})")
                }
                None => format!("the server closed the websocket {doing}"),
            })),
            // Pinging without end is not the silence of a worker that
            // cannot serve websockets: say what came, name no cause.
            Err(RecvError::TimedOut(d, pings)) if pings > 0 => Err(Stop::NoAnswer(format!(
                "101 Switching Protocols, then only the server's own ping frames ({pings}) for {} ms {doing}",
                d.as_millis()
            ))),
            Err(RecvError::TimedOut(d, _)) => Err(Stop::Silent(format!(
                "101 Switching Protocols, then nothing for {} ms {doing}",
                d.as_millis()
            ))),
            Err(RecvError::Garbage(e)) => Err(Stop::Garbage(e)),
            Err(RecvError::Failed(f)) => Err(Stop::NoAnswer(format!("{f} {doing}"))),
        }
    }
}

impl Stop {
    fn outcome(self, probe: &Probe<'_>) -> Outcome {
        let gunicorn = probe
            .server
            .as_deref()
            .is_some_and(|s| s.to_ascii_lowercase().contains("gunicorn"));
        match self {
            Stop::NoUpgrades(upgrades) => Outcome::fail(format!(
                "the server offers no websocket upgrade (\"upgrades\":{upgrades}): it runs without WebSocket support{}",
                if gunicorn { " (gunicorn's sync worker)" } else { "" }
            ))
            .fix(worker_fix())
            .fix(Fix::new(
                "Or turn upgrades back on",
                "The server may be configured to stay on polling: python-socketio / python-engineio \
allow_upgrades=False, or socket.io transports: ['polling']. Remove that setting.",
            )),
            Stop::Session(why) => Outcome::fail(format!("a new session did not open: {why}")),
            Stop::Refused(answer) => refused(&answer, probe),
            Stop::NoAnswer(why) => Outcome::fail(why),
            Stop::Invalid(e) => Outcome::fail(format!("the upgrade answer is not a valid WebSocket handshake: {e}"))
                .fix(two_handlers_fix()),
            Stop::Garbage(e) => Outcome::fail(format!("101, then frames that do not parse: {e}")).fix(two_handlers_fix()),
            Stop::Silent(why) => {
                let mut o = Outcome::fail(format!(
                    "{why}: the server's worker cannot serve websockets{}",
                    if gunicorn { " (gunicorn's sync worker)" } else { "" }
                ));
                o = o.fix(worker_fix());
                o
            }
            Stop::Closed(why) => Outcome::fail(why).fix(worker_fix()),
        }
    }
}

fn refused(answer: &Answer, probe: &Probe<'_>) -> Outcome {
    let proxy = proxy_name(answer);
    let engine = eio::decode_error(&answer.body);
    let who = answer.who();
    let mut out = match (&engine, answer.status, &proxy) {
        // The handshake offered websocket, so a "bad request" or "transport
        // unknown" (python-engineio: "Invalid transport") to a request that
        // left here with Upgrade: websocket means it arrived without it.
        (Some(e), _, _) if matches!(e.kind, ErrorKind::BadRequest | ErrorKind::TransportUnknown) => {
            Outcome::fail(format!(
                "the websocket upgrade was answered {who} with {:?}: the request reached the server without its \
Upgrade/Connection headers, so a proxy in between dropped them",
                e.message
            ))
            .fix(fixes::proxy())
        }
        (Some(e), _, _) if e.kind == ErrorKind::SessionIdUnknown => Outcome::fail(format!(
            "the websocket upgrade landed on a server process that does not know the session ({who}: {:?}): \
several workers without sticky sessions",
            e.message
        ))
        .fix(fixes::sticky()),
        (Some(e), _, _) => Outcome::fail(format!("the websocket upgrade was refused: {who}: {:?}", e.message)),
        (None, _, Some(p)) => Outcome::fail(format!(
            "the proxy ({p}) answered the websocket upgrade {}: it does not pass websockets through",
            answer.status_line()
        ))
        .fix(fixes::proxy()),
        (None, 200, None) => Outcome::fail(format!(
            "the websocket upgrade was answered {who}: something in between (a proxy, a dev server, an SPA fallback) \
does not forward websockets"
        ))
        .fix(fixes::proxy()),
        (None, 404, None) => Outcome::fail(format!("no websocket handler at {}: {who}", probe.endpoint.path()))
            .fix(fixes::socketio_path(probe.endpoint.path())),
        (None, _, None) => Outcome::fail(format!("the websocket upgrade was refused: {who}")),
    };
    answer.add_evidence(&mut out, "upgrade refused");
    out
}

fn worker_fix() -> Fix {
    Fix::new(
        "Run the server on a worker that can serve websockets",
        "Flask-SocketIO / python-socketio under gunicorn: the default sync worker serves one request \
at a time and no websockets. Use gunicorn -k gevent -w 1 (with gevent-websocket) or \
-k eventlet -w 1, or threading mode with simple-websocket and enough threads \
(gunicorn -w 1 --threads 100 app:app). Keep one worker unless sessions are sticky.",
    )
    .command("gunicorn -w 1 --threads 100 app:app")
}

fn two_handlers_fix() -> Fix {
    Fix::new(
        "Attach one upgrade handler per path",
        "Two WebSocket handlers on one HTTP server (e.g. a ws WebSocketServer({ server }) and \
socket.io) both answer the same upgrade and corrupt its frames. Give the ws server its own \
path (new WebSocketServer({ server, path: '/ws' })) or noServer with a handleUpgrade router.",
    )
}
