//! `socketio.sticky`: do all requests of one session reach the process that
//! owns it? Behind a load balancer without sticky sessions, or with several
//! workers, some polls and posts land on a process that answers "Session ID
//! unknown".

use async_trait::async_trait;

use super::{Check, Ctx};
use crate::probe::engineio::{PollError, Session};
use crate::probe::http::Answer;
use crate::protocol::engineio::{self as eio, Eio, ErrorKind, Kind, Packet};
use crate::protocol::preview;
use crate::report::Outcome;

pub struct Sticky;

/// Requests on the session after the handshake, over fresh connections.
const ROUNDS: usize = 6;

#[async_trait]
impl Check for Sticky {
    fn id(&self) -> &str {
        "socketio.sticky"
    }

    fn title(&self) -> &str {
        "One session's requests reach one server process"
    }

    fn needs(&self) -> &[&str] {
        &["socketio.handshake"]
    }

    fn after(&self) -> &[&str] {
        // Others' requests interleaved with this check's could line up with
        // a round-robin and hide the fault.
        &["socketio.namespace", "http.health"]
    }

    fn explain(&self) -> &str {
        "Opens a session and sends several posts and polls on it (6 rounds, each a post and, when \
the server has something to deliver, a poll), every one over a fresh TCP connection, as a \
browser behind a load balancer does. A post carries a harmless packet that makes the server \
answer (Engine.IO 4: a CONNECT to a namespace of rtdoctor's own, answered by a CONNECT or \
CONNECT_ERROR; Engine.IO 3: a ping), so no poll waits for the ping interval.\n\n\
Any \"Session ID unknown\" (Node, code 1) or \"Invalid session\" (python-engineio) means \
several server processes share the traffic and the session lives in only one of them. Fix: \
sticky sessions (nginx: ip_hash; or hash $remote_addr consistent; in the upstream block; \
HAProxy: a cookie or balance source), @socket.io/sticky with Node's cluster module, one worker \
for Flask-SocketIO / python-socketio under gunicorn (-w 1), or websocket-only clients \
(transports: ['websocket']), which keep one connection to one process."
    }

    async fn run(&self, ctx: &Ctx) -> Outcome {
        let d = ctx.engineio().await;
        let (endpoint, http) = match d.session() {
            Ok(s) => s,
            Err(skip) => return skip,
        };
        let timeout = ctx.probe.timeout;
        let mut session = match Session::open(http, endpoint, timeout).await {
            Ok(s) => s,
            Err(h) => {
                return Outcome::fail(format!("a new session did not open: {}", h.summary()));
            }
        };
        let mut tally = Tally {
            log: vec![("session".into(), format!("sid {}", session.sid()))],
            ..Tally::default()
        };
        let mut pending = 0usize;
        let mut failure: Option<String> = None;
        for round in 1..=ROUNDS {
            tally.sent += 1;
            match session.send(&[nudge(endpoint.eio, round)], timeout).await {
                Ok(a) if a.status == 200 => {
                    pending += 1;
                    tally.log.push((format!("post {round}"), a.status_line()));
                }
                Ok(a) => tally.refused(format!("post {round}"), &a),
                Err(f) => {
                    failure = Some(format!("post {round}: {f}"));
                    break;
                }
            }
            // Poll only when something is waiting, so no poll hangs.
            if pending == 0 {
                continue;
            }
            tally.sent += 1;
            match session.receive(timeout).await {
                Ok(packets) => {
                    pending = 0;
                    let text = packets
                        .iter()
                        .map(Packet::encode)
                        .collect::<Vec<_>>()
                        .join(" ");
                    tally.log.push((
                        format!("poll {round}"),
                        format!("200 OK: {}", preview(text.as_bytes(), 120)),
                    ));
                    if packets.iter().any(|p| p.kind == Kind::Close) {
                        failure = Some("the server closed the session".into());
                        break;
                    }
                }
                Err(PollError::Status(a)) => tally.refused(format!("poll {round}"), &a),
                Err(e) => {
                    failure = Some(format!("poll {round}: {e}"));
                    break;
                }
            }
        }
        session.close(timeout).await;
        let Tally {
            sent,
            rejected,
            rejection,
            log,
        } = tally;
        let mut out = if rejected > 0 {
            Outcome::fail(format!(
                "{rejected} of {sent} requests on one session were answered {}: several server processes \
share the traffic without sticky sessions",
                rejection.unwrap_or_default()
            ))
            .fix(super::fixes::sticky())
        } else if let Some(f) = failure {
            Outcome::fail(format!("the session broke after {sent} requests: {f}"))
        } else {
            Outcome::pass(format!(
                "{sent} requests over fresh connections all reached the session's process"
            ))
        };
        for (k, v) in log {
            out.push_evidence(k, v);
        }
        out
    }
}

/// What the rounds met.
#[derive(Default)]
struct Tally {
    sent: usize,
    rejected: usize,
    /// The first "Session ID unknown" answer, as the server put it.
    rejection: Option<String>,
    log: Vec<(String, String)>,
}

impl Tally {
    /// A request answered with something other than 200.
    fn refused(&mut self, what: String, answer: &Answer) {
        let body = preview(&answer.body, 120);
        if unknown_session(&answer.body) {
            self.rejected += 1;
            self.rejection.get_or_insert_with(|| body.clone());
        }
        self.log
            .push((what, format!("{}: {body}", answer.status_line())));
    }
}

/// A packet the server answers at once, without touching the application:
/// Engine.IO 4 servers answer a CONNECT to an unknown namespace with a
/// CONNECT_ERROR; Engine.IO 3 clients ping and servers pong.
fn nudge(eio: Eio, round: usize) -> Packet {
    match eio {
        Eio::V4 => Packet::new(Kind::Message, format!("0/rtdoctor-sticky-{round},")),
        Eio::V3 => Packet::new(Kind::Ping, ""),
    }
}

fn unknown_session(body: &[u8]) -> bool {
    eio::decode_error(body).is_some_and(|e| e.kind == ErrorKind::SessionIdUnknown)
}
