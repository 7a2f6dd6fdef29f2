//! The probe of `socketio.upgrade`, as engine.io-client behaves: a polling
//! session, a long-poll kept pending, the upgrade on its own connection
//! (2probe, 3probe, 5), the session used over the websocket; then a
//! websocket-only connect. What it met is an `Observation`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::FutureExt as _;
use tokio::sync::Notify;

use crate::check::Ctx;
use crate::probe::engineio::{self, Endpoint};
use crate::probe::http::{Answer, Http};
use crate::probe::ws::{self, ConnectError, Received, RecvError};
use crate::protocol::engineio::{self as eio, Eio};
use crate::protocol::preview;

/// How long after the long-poll's connection is made the upgrade starts:
/// its request is written at once, and the upgrade still has a connection
/// of its own to make before the server sees it.
const POLL_MARGIN: Duration = Duration::from_millis(1);

/// How long a connection made ahead of its upgrade request is used: well
/// under the seconds servers give a new connection to send its request.
const DIALED_FOR: Duration = Duration::from_secs(2);

/// What the probe met.
pub struct Observation {
    /// What the probe did and saw, in order.
    pub evidence: Vec<(String, String)>,
    /// The Server header of the handshake answer.
    pub server: Option<String>,
    /// The command line of the process listening on the target's port,
    /// when the target is this machine and its holder can be seen.
    pub holder: Option<String>,
    /// The Engine.IO path asked.
    pub path: String,
    /// The polling → websocket upgrade: its time in ms, or where it stopped.
    pub upgraded: Result<u128, Stop>,
    /// The websocket-only connect, unless the upgrade showed it would only
    /// wait on the same stuck worker.
    pub only: Option<Result<(), Stop>>,
}

/// The port holder's command line: evidence of the stack for the verdict.
async fn holder(ctx: &Ctx) -> Option<String> {
    if ctx.is_local().await != Ok(true) {
        return None;
    }
    let found = ctx.machine.holders(ctx.target.port).await.ok()?;
    let first = found.holders.first()?;
    let p = &first.process;
    Some(if p.cmdline.is_empty() {
        p.name.clone()
    } else {
        p.cmdline.join(" ")
    })
}

/// The client of the session to upgrade: it keeps its connection for
/// the long-poll, and says when it makes a new one.
pub struct Client {
    pub http: Http,
    /// Notified each time `http` has made a connection (and when the
    /// poll is over).
    pub connected: Arc<Notify>,
}

impl Client {
    pub fn new(ctx: &Ctx) -> Result<Client, String> {
        let connected = Arc::new(Notify::new());
        let http = ctx
            .machine
            .observed_http_for(&ctx.probe, connected.clone())?;
        Ok(Client { http, connected })
    }
}

/// `answered`: the handshake to `endpoint`, made on `client`, that opens
/// the session to upgrade. `after`: the checks whose requests must be over
/// before the long-poll is left pending (`Check::after`).
pub async fn observe(
    ctx: &Ctx,
    endpoint: &Endpoint,
    client: &Client,
    answered: engineio::Handshake,
    after: &[&str],
) -> Observation {
    let attempt = |endpoint: Endpoint| Attempt {
        ctx,
        client,
        kept: false,
        endpoint,
        deadline: Instant::now() + ctx.probe.timeout * 2,
        evidence: Vec::new(),
        server: None,
    };
    let mut upgrading = attempt(endpoint.clone());
    let opened = upgrading.open(answered);
    let mut alone = attempt(upgrading.endpoint.clone());
    let probe = async {
        let (upgraded, only) = match opened {
            Ok(sid) => {
                // The websocket-only connect needs no pending poll: it starts
                // while the other checks finish, so its connection is made
                // before the poll's (a worker serving one connection at a time
                // serves it first); the upgrade waits for the others.
                let upgrade = async {
                    // A server that keeps connections open does not stall on
                    // an idle one: the upgrade's connection is made meanwhile
                    // too, as a browser may hold one ready.
                    let dial = async {
                        let url = upgrading.endpoint.websocket(Some(&sid));
                        let tls = ctx.machine.ws_tls_for(&ctx.probe).ok()?;
                        let kept = upgrading.kept;
                        kept.then(|| ws::dial(&url, ctx.probe.timeout, tls))?
                            .await
                            .ok()
                    };
                    let ((), dialed) = tokio::join!(ctx.after(after), dial);
                    upgrading.deadline = Instant::now() + ctx.probe.timeout * 2;
                    upgrading.upgrade(sid, dialed).await
                };
                let (upgraded, only) = tokio::join!(upgrade, alone.websocket_only());
                (upgraded, Some(only))
            }
            Err(stop) => (Err(stop), None),
        };
        let only = match &upgraded {
            // Without an upgrade offer, or with a worker already stuck, the
            // websocket-only connect would only wait on the same worker.
            Err(Stop::NoUpgrades(_) | Stop::Silent(_)) => None,
            _ => match only {
                Some(only) => Some(only),
                None => Some(alone.websocket_only().await),
            },
        };
        (upgraded, only)
    };
    // The port holder is looked up while the probe runs.
    let ((upgraded, only), holder) = tokio::join!(probe, holder(ctx));
    let mut evidence = upgrading.evidence;
    if only.is_some() {
        evidence.append(&mut alone.evidence);
    }
    Observation {
        evidence,
        server: upgrading.server,
        holder,
        path: endpoint.path().to_string(),
        upgraded,
        only,
    }
}

fn poll_result(
    answered: Result<Result<Answer, crate::probe::Failure>, tokio::task::JoinError>,
) -> String {
    match answered {
        Ok(Ok(a)) => format!("returned {}: {}", a.status_line(), preview(&a.body, 80)),
        Ok(Err(failure)) => failure.to_string(),
        Err(e) => format!("the poll did not finish ({e})"),
    }
}

/// Why the probe stopped. The words say what was met, with its timings;
/// the variant is the cause the verdict names.
pub enum Stop {
    /// The open packet's `upgrades`, without "websocket" in it.
    NoUpgrades(Vec<String>),
    /// A new polling session did not open: what the handshake met.
    Session(String),
    /// The upgrade was answered, but not with 101.
    Refused(Answer),
    /// No answer to look at, or a failure that names no cause.
    NoAnswer(String),
    /// A 101 that is not a valid WebSocket handshake.
    Invalid(String),
    /// Frames that do not parse, or not the packet expected.
    Garbage(String),
    /// Nothing where an answer was due: a worker that cannot serve
    /// websockets while it holds a long-poll.
    Silent(String),
    /// The server closed the websocket before the session was used.
    Closed(String),
}

/// One upgrade attempt in progress: what it talks to, its deadline and what
/// it has seen so far.
struct Attempt<'a> {
    ctx: &'a Ctx,
    client: &'a Client,
    /// The handshake's connection stays open for the poll (HTTP/1.1
    /// without `Connection: close`).
    kept: bool,
    /// The target's endpoint; after the handshake, with the cookies it set.
    endpoint: Endpoint,
    deadline: Instant,
    evidence: Vec<(String, String)>,
    /// The Server header of the handshake answer.
    server: Option<String>,
}

impl Attempt<'_> {
    fn left(&self) -> Duration {
        self.deadline
            .saturating_duration_since(Instant::now())
            .min(self.ctx.probe.timeout)
            .max(Duration::from_millis(50))
    }

    fn note(&mut self, label: &str, value: impl Into<String>) {
        self.evidence.push((label.to_string(), value.into()));
    }

    /// The polling session to upgrade: its sid, once it offers websocket.
    fn open(&mut self, answered: engineio::Handshake) -> Result<String, Stop> {
        let session = match answered {
            engineio::Handshake::Open { open, answer, .. } => {
                self.server = answer.server().map(str::to_owned);
                self.kept = answer.version == "HTTP/1.1"
                    && !answer
                        .header("connection")
                        .is_some_and(|c| c.eq_ignore_ascii_case("close"));
                // As a browser: a load balancer's affinity cookie goes along.
                self.endpoint = self.endpoint.with_cookies(&answer);
                open
            }
            other => return Err(Stop::Session(other.summary())),
        };
        self.note(
            "session",
            format!(
                "sid {}, upgrades {}",
                session.sid,
                serde_json::to_string(&session.upgrades).unwrap_or_default()
            ),
        );
        if !session.offers_websocket() {
            return Err(Stop::NoUpgrades(session.upgrades.clone()));
        }
        Ok(session.sid)
    }

    /// The upgrade of session `sid`, with a long-poll pending, on
    /// `dialed` when its connection was made already.
    async fn upgrade(&mut self, sid: String, dialed: Option<ws::Dialed>) -> Result<u128, Stop> {
        // The long-poll a real client keeps open while it upgrades, on the
        // handshake's client, which says when it makes a connection (or,
        // woken the same way, that the poll is over). The handshake's own
        // connection was said long ago.
        let connected = self.client.connected.clone();
        while connected.notified().now_or_never().is_some() {}
        let poll_http = self.client.http.clone();
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
        // connections in the order they were made (and closes each after
        // its answer), so the upgrade starts once the poll's connection is
        // made. A poll on the handshake's open connection is written at
        // once, a round trip or more before the upgrade's new connection
        // can carry anything.
        if !self.kept {
            let _ = tokio::time::timeout(self.left(), connected.notified()).await;
        }
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
        let result = self.upgrade_on(&url, dialed, start).await;
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

    async fn upgrade_on(
        &mut self,
        url: &url::Url,
        dialed: Option<ws::Dialed>,
        start: Instant,
    ) -> Result<u128, Stop> {
        let mut conn = self.connect(url, dialed).await?;
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
        self.close(conn).await;
        Ok(ms)
    }

    /// A clean close, whose answer nothing waits for: the close frame goes
    /// now, the server's is read after the check is done.
    async fn close(&mut self, mut conn: ws::Conn) {
        let sent = ws::send_close(&mut conn.stream, self.left()).await;
        let how = if sent {
            "close frame sent (1000)"
        } else {
            "the close frame could not be sent"
        };
        self.note("close", how);
    }

    /// What engine.io-client does with a fresh websocket-only connection.
    async fn websocket_only(&mut self) -> Result<(), Stop> {
        let url = self.endpoint.websocket(None);
        self.note("websocket-only", format!("GET {url}"));
        let mut conn = self.connect(&url, None).await?;
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
        self.close(conn).await;
        Ok(())
    }

    /// The upgrade request for `url`, on `dialed` unless it has waited so
    /// long that the server may have given up on it.
    async fn connect(
        &mut self,
        url: &url::Url,
        dialed: Option<ws::Dialed>,
    ) -> Result<ws::Conn, Stop> {
        let t = self.left();
        let tls = self
            .ctx
            .machine
            .ws_tls_for(&self.ctx.probe)
            .map_err(Stop::NoAnswer)?;
        let headers = &self.endpoint.headers;
        let connected = match dialed.filter(|d| d.at.elapsed() < DIALED_FOR) {
            Some(dialed) => ws::connect_on(dialed, url, headers, t).await,
            None => ws::connect(url, headers, t, tls).await,
        };
        match connected {
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
