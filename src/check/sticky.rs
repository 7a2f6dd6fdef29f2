//! `socketio.sticky`: do all requests of one session reach the process that
//! owns it? Behind a load balancer without sticky sessions, or with several
//! workers, some polls and posts land on a process that answers "Session ID
//! unknown".

use async_trait::async_trait;

use super::backend::{self, Backend, Proxy, ProxyKind, Words};
use super::{Check, Ctx};
use crate::probe::Failure;
use crate::probe::engineio::{PollError, Session};
use crate::probe::http::Answer;
use crate::protocol::engineio::{self as eio, Eio, ErrorKind, Kind, Packet};
use crate::protocol::preview;
use crate::report::{Fix, Outcome};

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

    fn explain(&self) -> &str {
        "Opens a session and sends several posts and polls on it (6 rounds, each a post and, when \
the server has something to deliver, a poll), every one over a fresh TCP connection, as a \
browser behind a load balancer does, with the cookies the handshake set (a load balancer's \
affinity cookie, such as HAProxy's cookie SERVERID insert). A post carries a harmless packet that makes the server \
answer (Engine.IO 4: a CONNECT to a namespace of rtdoctor's own, answered by a CONNECT or \
CONNECT_ERROR; Engine.IO 3: a ping), so no poll waits for the ping interval.\n\n\
Any \"Session ID unknown\" (Node, code 1) or \"Invalid session\" (python-engineio) means \
several server processes share the traffic and the session lives in only one of them. Fix: \
sticky sessions (nginx: ip_hash; or hash $remote_addr consistent; in the upstream block; \
HAProxy: a cookie or balance source), @socket.io/sticky with Node's cluster module, one worker \
for Flask-SocketIO / python-socketio under gunicorn (-w 1), or websocket-only clients \
(transports: ['websocket']), which keep one connection to one process.\n\n\
Proxy or server: when this check fails through a proxy (--backend names the server behind it, or \
rtdoctor finds it when the proxy runs on this machine), it runs again straight at that server. The server keeps its sessions on its own: the proxy balances without affinity, and the fix is \
the proxy's own (nginx ip_hash, HAProxy balance source or a cookie, Caddy lb_policy ip_hash or \
cookie, Traefik sticky.cookie)."
    }

    async fn run(&self, ctx: &Ctx) -> Outcome {
        let started = std::time::Instant::now();
        let through = rounds(ctx).await;
        backend::split(ctx, started, through, self, &words).await
    }
}

/// One session keeps together straight at the server, not through the
/// proxy: the proxy spreads it, and its own affinity setting is the fix.
fn words(proxy: &Proxy, _: &Backend, _: &Outcome) -> Words {
    let fix = match proxy.kind {
        Some(ProxyKind::Nginx) => Some(
            "nginx: in the upstream block, ip_hash; (or hash $remote_addr \
consistent;).",
        ),
        Some(ProxyKind::Haproxy) => Some(
            "HAProxy: in the backend, balance source; or a cookie: cookie \
SERVERID insert indirect nocache, and cookie s1 / cookie s2 on the server lines.",
        ),
        Some(ProxyKind::Caddy) => Some(
            "Caddy: in reverse_proxy, lb_policy ip_hash (or lb_policy \
cookie).",
        ),
        Some(ProxyKind::Traefik) => Some("Traefik: on the service's loadBalancer, sticky.cookie."),
        _ => None,
    };
    Words {
        works: "keeps one session's requests together directly".into(),
        fails: "they reach processes that do not know the session".into(),
        fault: "balances without affinity".into(),
        fix: match fix {
            Some(detail) => Fix::new(
                format!("Make {} keep each client on one server", proxy.name),
                format!(
                    "{detail} Or connect websocket-only: io(url, {{ transports: ['websocket'] }})."
                ),
            ),
            None => super::fixes::sticky(),
        },
    }
}

/// The rounds on one session, and what they mean.
async fn rounds(ctx: &Ctx) -> Outcome {
    {
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
        let mut seen = Observation {
            sid: session.sid().to_string(),
            steps: Vec::new(),
            broke: None,
        };
        let mut pending = 0usize;
        for round in 1..=ROUNDS {
            match session.send(&[nudge(endpoint.eio, round)], timeout).await {
                Ok(a) => {
                    if a.status == 200 {
                        pending += 1;
                    }
                    seen.steps.push(Step::Post(round, a));
                }
                Err(f) => {
                    seen.broke = Some(Break::Post(round, f));
                    break;
                }
            }
            // Poll only when something is waiting, so no poll hangs.
            if pending == 0 {
                continue;
            }
            match session.receive(timeout).await {
                Ok(packets) => {
                    pending = 0;
                    let closed = packets.iter().any(|p| p.kind == Kind::Close);
                    seen.steps.push(Step::Polled(round, packets));
                    if closed {
                        seen.broke = Some(Break::Closed);
                        break;
                    }
                }
                Err(PollError::Status(a)) => seen.steps.push(Step::PollRefused(round, a)),
                Err(e) => {
                    seen.broke = Some(Break::Poll(round, e));
                    break;
                }
            }
        }
        session.close(timeout).await;
        verdict(&seen)
    }
}

/// What the rounds on one session met, in order.
struct Observation {
    sid: String,
    steps: Vec<Step>,
    /// What ended the rounds early, if anything did.
    broke: Option<Break>,
}

/// One answered request of a round.
enum Step {
    /// A post and its answer, whatever the status.
    Post(usize, Answer),
    /// A poll answered 200, with what it delivered.
    Polled(usize, Vec<Packet>),
    /// A poll answered with something other than 200.
    PollRefused(usize, Answer),
}

/// Why the rounds stopped before `ROUNDS`.
enum Break {
    Post(usize, Failure),
    Poll(usize, PollError),
    /// A poll delivered a close packet.
    Closed,
}

impl Observation {
    /// Requests sent: the answered ones and the one that failed.
    fn sent(&self) -> usize {
        self.steps.len()
            + usize::from(matches!(
                self.broke,
                Some(Break::Post(..) | Break::Poll(..))
            ))
    }

    /// The answers that were not 200.
    fn refusals(&self) -> impl Iterator<Item = &Answer> {
        self.steps.iter().filter_map(|s| match s {
            Step::Post(_, a) | Step::PollRefused(_, a) if a.status != 200 => Some(a),
            _ => None,
        })
    }
}

/// Status, summary, fix and evidence of the rounds on one session.
fn verdict(seen: &Observation) -> Outcome {
    let sent = seen.sent();
    let mut unknown = seen.refusals().filter(|a| unknown_session(&a.body));
    let rejection = unknown.next().map(|a| preview(&a.body, 120));
    let rejected = rejection.as_ref().map_or(0, |_| 1 + unknown.count());
    let mut out = if rejected > 0 {
        Outcome::fail(format!(
            "{rejected} of {sent} requests on one session were answered {}: several server processes \
share the traffic without sticky sessions",
            rejection.unwrap_or_default()
        ))
        .fix(super::fixes::sticky())
    } else if let Some(b) = &seen.broke {
        let f = match b {
            Break::Post(round, f) => format!("post {round}: {f}"),
            Break::Poll(round, e) => format!("poll {round}: {e}"),
            Break::Closed => "the server closed the session".into(),
        };
        Outcome::fail(format!("the session broke after {sent} requests: {f}"))
    } else {
        Outcome::pass(format!(
            "{sent} requests over fresh connections all reached the session's process"
        ))
    };
    out.push_evidence("session", format!("sid {}", seen.sid));
    for step in &seen.steps {
        let (label, value) = match step {
            Step::Post(round, a) if a.status == 200 => (format!("post {round}"), a.status_line()),
            Step::Post(round, a) => (format!("post {round}"), refused(a)),
            Step::PollRefused(round, a) => (format!("poll {round}"), refused(a)),
            Step::Polled(round, packets) => {
                let text = packets
                    .iter()
                    .map(Packet::encode)
                    .collect::<Vec<_>>()
                    .join(" ");
                (
                    format!("poll {round}"),
                    format!("200 OK: {}", preview(text.as_bytes(), 120)),
                )
            }
        };
        out.push_evidence(label, value);
    }
    out
}

/// A request answered with something other than 200, for the evidence.
fn refused(answer: &Answer) -> String {
    format!("{}: {}", answer.status_line(), preview(&answer.body, 120))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::recorded::{evidence, recorded, said};
    use crate::report::Status;
    use std::time::Duration;

    const SID: &str = "COb7mQuhJsaZDYsCAAAL";
    /// WIRE.md §7: nginx round-robin over two node4 processes; the one
    /// that does not own the session answers this.
    const NODE_UNKNOWN: &str = r#"{"code":1,"message":"Session ID unknown"}"#;

    fn node_ok() -> Answer {
        recorded("HTTP/1.1 200 OK", &[("Server", "nginx/1.22.1")], "ok")
    }

    fn node_unknown() -> Answer {
        recorded(
            "HTTP/1.1 400 Bad Request",
            &[
                ("Server", "nginx/1.22.1"),
                ("Content-Type", "application/json"),
            ],
            NODE_UNKNOWN,
        )
    }

    /// The CONNECT_ERROR node4 answers the nudge of `round` with.
    fn nudged(round: usize) -> Vec<Packet> {
        let body = format!("44/rtdoctor-sticky-{round},{{\"message\":\"Invalid namespace\"}}");
        eio::decode_payload(body.as_bytes(), Eio::V4).unwrap()
    }

    fn observed(steps: Vec<Step>, broke: Option<Break>) -> Observation {
        Observation {
            sid: SID.into(),
            steps,
            broke,
        }
    }

    #[test]
    fn one_process_passes() {
        let steps = (1..=ROUNDS)
            .flat_map(|r| [Step::Post(r, node_ok()), Step::Polled(r, nudged(r))])
            .collect();
        let out = verdict(&observed(steps, None));
        assert_eq!(
            said(&out),
            (
                Status::Pass,
                "12 requests over fresh connections all reached the session's process"
            )
        );
        assert!(out.fixes.is_empty());
        let ev = evidence(&out);
        assert_eq!(ev[0], ("session", "sid COb7mQuhJsaZDYsCAAAL"));
        assert_eq!(ev[1], ("post 1", "HTTP/1.1 200 OK"));
        assert_eq!(
            ev[2],
            (
                "poll 1",
                "200 OK: 44/rtdoctor-sticky-1,{\"message\":\"Invalid namespace\"}"
            )
        );
    }

    /// WIRE.md §7: strictly alternating, every other request lands on the
    /// process that does not know the session.
    #[test]
    fn round_robin_without_sticky_sessions_fails_with_the_fix() {
        let steps = vec![
            Step::Post(1, node_unknown()),
            Step::Post(2, node_ok()),
            Step::PollRefused(2, node_unknown()),
            Step::Post(3, node_ok()),
            Step::Polled(3, nudged(2)),
        ];
        let out = verdict(&observed(steps, None));
        assert_eq!(out.status, Status::Fail);
        assert_eq!(
            out.summary,
            format!(
                "2 of 5 requests on one session were answered {NODE_UNKNOWN}: several server \
processes share the traffic without sticky sessions"
            )
        );
        assert_eq!(out.fixes, vec![super::super::fixes::sticky()]);
        let ev = evidence(&out);
        assert_eq!(
            ev[1],
            (
                "post 1",
                &*format!("HTTP/1.1 400 Bad Request: {NODE_UNKNOWN}")
            )
        );
        assert_eq!(
            ev[3],
            (
                "poll 2",
                &*format!("HTTP/1.1 400 Bad Request: {NODE_UNKNOWN}")
            )
        );
    }

    /// WIRE.md §5: Flask-SocketIO under gunicorn -w 2, python-engineio's
    /// words for the same fault.
    #[test]
    fn gunicorn_workers_without_sticky_sessions_fail() {
        let invalid = recorded(
            "HTTP/1.1 400 BAD REQUEST",
            &[("Server", "gunicorn"), ("Content-Type", "text/plain")],
            "\"Invalid session dzctmJZrnCIZWMETAAAA\"",
        );
        let ok = recorded("HTTP/1.1 200 OK", &[("Server", "gunicorn")], "OK");
        let out = verdict(&observed(
            vec![Step::Post(1, ok), Step::Post(2, invalid)],
            Some(Break::Post(3, Failure::Reset)),
        ));
        assert_eq!(out.status, Status::Fail);
        assert_eq!(
            out.summary,
            "1 of 3 requests on one session were answered \"Invalid session dzctmJZrnCIZWMETAAAA\": \
several server processes share the traffic without sticky sessions"
        );
        assert_eq!(out.fixes, vec![super::super::fixes::sticky()]);
    }

    #[test]
    fn a_failed_post_breaks_the_session() {
        let out = verdict(&observed(
            vec![Step::Post(1, node_ok()), Step::Polled(1, nudged(1))],
            Some(Break::Post(2, Failure::Reset)),
        ));
        assert_eq!(
            said(&out),
            (
                Status::Fail,
                "the session broke after 3 requests: post 2: the connection was reset"
            )
        );
        assert!(out.fixes.is_empty());
    }

    #[test]
    fn a_failed_poll_breaks_the_session() {
        let out = verdict(&observed(
            vec![Step::Post(1, node_ok())],
            Some(Break::Poll(
                1,
                PollError::Failed(Failure::TimedOut(Duration::from_millis(3000))),
            )),
        ));
        assert_eq!(out.status, Status::Fail);
        assert!(
            out.summary
                .starts_with("the session broke after 2 requests: poll 1: "),
            "{}",
            out.summary
        );
        assert!(out.summary.contains("3000 ms"), "{}", out.summary);
    }

    #[test]
    fn a_close_packet_breaks_the_session() {
        let close = eio::decode_payload(b"1", Eio::V4).unwrap();
        let out = verdict(&observed(
            vec![Step::Post(1, node_ok()), Step::Polled(1, close)],
            Some(Break::Closed),
        ));
        assert_eq!(
            said(&out),
            (
                Status::Fail,
                "the session broke after 2 requests: the server closed the session"
            )
        );
        assert_eq!(evidence(&out)[2], ("poll 1", "200 OK: 1"));
    }

    /// WIRE.md §8: nginx with its upstream down answers 502 to everything;
    /// that is not a session living in another process, and other checks
    /// name it.
    #[test]
    fn other_refusals_are_evidence_not_a_sticky_fault() {
        let bad_gateway = recorded(
            "HTTP/1.1 502 Bad Gateway",
            &[("Server", "nginx/1.22.1"), ("Content-Type", "text/html")],
            "<html>\r\n<head><title>502 Bad Gateway</title></head>",
        );
        let out = verdict(&observed(vec![Step::Post(1, bad_gateway)], None));
        assert_eq!(out.status, Status::Pass);
        assert_eq!(
            evidence(&out)[1],
            (
                "post 1",
                "HTTP/1.1 502 Bad Gateway: <html>\\r\\n<head><title>502 Bad Gateway</title></head>"
            )
        );
    }

    #[test]
    fn the_nudge_is_answered_without_the_application() {
        assert_eq!(nudge(Eio::V4, 3).encode(), "40/rtdoctor-sticky-3,");
        assert_eq!(nudge(Eio::V3, 3).encode(), "2");
    }
}
