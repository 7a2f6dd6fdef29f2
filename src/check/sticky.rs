//! `socketio.sticky`: do a session's requests reach the process that owns
//! it? Behind a load balancer without sticky sessions, or with several
//! workers, some land on a process that answers "Session ID unknown". Many
//! sessions at once, one request each, catch it in two round trips.

use std::time::Duration;

use async_trait::async_trait;
use futures_util::future::join_all;

use super::backend::{self, Backend, Proxy, ProxyKind, Words};
use super::{Check, Ctx, sessions};
use crate::probe::Failure;
use crate::probe::engineio::{Endpoint, Handshake, Session};
use crate::probe::http::{Answer, Http};
use crate::protocol::engineio::{self as eio, Eio, ErrorKind, Kind, Packet};
use crate::protocol::preview;
use crate::report::{Fix, Outcome};

pub struct Sticky;

/// Sessions opened at once, each with one follow-up over a connection it
/// never used: a random balancer over two processes sends all 13 to the
/// session's own process once in 8192 runs. A prime, for a round-robin
/// balancer (`the_counts_defeat_any_round_robin`).
const SESSIONS: usize = 13;

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
        "Opens 13 sessions at once, each on a connection of its own, then sends one request on \
each, all at once, every one over a connection its session never used (the one the next \
session's handshake left open, or a new one), as browsers behind a load balancer do, with the \
cookies its handshake set (a load balancer's affinity cookie, such as HAProxy's cookie \
SERVERID insert). A balancer that balances each request (nginx, HAProxy, Caddy) does so \
whatever the connection; one that balances connections chose that connection's process for \
another session, as independently as for a new connection. The request \
is a post of a harmless packet (Engine.IO 4: a CONNECT to a namespace of rtdoctor's own; \
Engine.IO 3: a ping) and a close packet, which ends the session: the process that owns the \
session answers 200 \"ok\", any other one refuses it. No request waits on the server: no poll \
is made. A random balancer over two servers sends all 13 to their session's process once in \
8192 runs. A round-robin one over 2 to 12 servers cannot when these are all the requests it \
gets, whatever order they race in: 13 is divisible by none of them, so some server gets more \
posts than it opened sessions. Nor when the requests keep the order they were sent in: the \
posts go out in another order than the handshakes (last, first, second-to-last, second, ...). \
Among others' requests (other clients', the version probe's, the other checks'), a miss is \
rare.\n\n\
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
        let through = observed(ctx).await;
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

/// The sessions, their follow-ups, and what they mean. The sessions open
/// while the version probe is out (`sessions::early`); on this machine,
/// once `port.listen` and `net.dualstack` have seen the port
/// (`Check::holds_back`), so that 13 connections at once cannot fill the
/// accept queue they look at. Each session's handshake has a client of
/// its own, which keeps its connection: a session's post goes over the
/// connection of another session's handshake (`follow_up`).
async fn observed(ctx: &Ctx) -> Outcome {
    let clients: Result<Vec<Http>, String> = (0..SESSIONS)
        .map(|_| ctx.machine.keep_alive_http_for(&ctx.probe))
        .collect();
    let Ok(clients) = clients else {
        return sessions::unopened(ctx).await;
    };
    let timeout = ctx.probe.timeout;
    let make = |endpoint: Endpoint| {
        let clients = &clients;
        async move {
            let opens = clients
                .iter()
                .map(|http| Session::open(http, &endpoint, timeout));
            join_all(opens).await
        }
    };
    let undo = |ctx: &Ctx, opened| sessions::close_all(ctx, opened, timeout);
    let (endpoint, opened) = match sessions::early(ctx, make, undo).await {
        Ok(found) => found,
        Err(skip) => return skip,
    };
    let seen = follow_up(&opened, &clients, endpoint.eio, timeout).await;
    verdict(&Observation { sessions: seen })
}

/// One post on each open session, all at once, started in `zigzag`
/// order: the nudge and a close packet, which ends the session. What each
/// session met, in the order of `opened`.
///
/// The i-th post goes over `clients[i + 1]`, on the connection the next
/// session's handshake left open (or a new one where the server closed
/// it): a connection that never carried this session, so a balancer meets
/// it as it would a new one. One that balances each request (nginx,
/// HAProxy, Caddy) does so whatever the connection; one that balances
/// connections (a TCP balancer, Node's cluster) chose that connection's
/// process for another session, as independently of this one as for a
/// new connection. It costs one round trip instead of a new connection's
/// two (three over TLS).
async fn follow_up(
    opened: &[Result<Session<'_>, Handshake>],
    clients: &[Http],
    eio: Eio,
    timeout: Duration,
) -> Vec<Seen> {
    let n = opened.len();
    let posts = zigzag(n).into_iter().map(|i| async move {
        let seen = match &opened[i] {
            Ok(session) => {
                let packets = [nudge(eio, i + 1), Packet::new(Kind::Close, "")];
                let over = &clients[(i + 1) % n];
                Seen::Opened {
                    sid: session.sid().to_string(),
                    answer: session.send_over(over, &packets, timeout).await,
                }
            }
            Err(handshake) => Seen::Unopened(handshake.clone()),
        };
        (i, seen)
    });
    let mut seen = join_all(posts).await;
    seen.sort_by_key(|(i, _)| *i);
    seen.into_iter().map(|(_, s)| s).collect()
}

/// The order to send `n` follow-ups in, as places in the order the
/// handshakes were sent: last, first, second-to-last, second, ... Where
/// requests keep the order they were sent in, a round-robin balancer's
/// j-th goes to backend j mod k: in the handshakes' order, each post would
/// land n places after its handshake, on its own backend whenever k
/// divides n (plus whatever came between).
fn zigzag(n: usize) -> Vec<usize> {
    (0..n)
        .map(|m| if m % 2 == 0 { n - 1 - m / 2 } else { m / 2 })
        .collect()
}

/// What each session met.
struct Observation {
    sessions: Vec<Seen>,
}

/// One session: its handshake, and what its follow-up got.
enum Seen {
    /// The handshake did not open a session.
    Unopened(Handshake),
    /// The post on the session: an answer, whatever its status, or why
    /// there was none.
    Opened {
        sid: String,
        answer: Result<Answer, Failure>,
    },
}

impl Observation {
    /// The follow-ups sent: one per session that opened.
    fn sent(&self) -> usize {
        self.sessions
            .iter()
            .filter(|s| matches!(s, Seen::Opened { .. }))
            .count()
    }

    /// The follow-ups answered with something other than 200.
    fn refusals(&self) -> impl Iterator<Item = &Answer> {
        self.sessions.iter().filter_map(|s| match s {
            Seen::Opened { answer: Ok(a), .. } if a.status != 200 => Some(a),
            _ => None,
        })
    }

    /// What broke: handshakes and follow-ups that got no answer.
    fn broken(&self) -> impl Iterator<Item = String> + '_ {
        self.sessions.iter().filter_map(|s| match s {
            Seen::Unopened(Handshake::Failed(f)) => Some(format!("a handshake: {f}")),
            Seen::Opened {
                sid,
                answer: Err(f),
            } => Some(format!("the post on sid {sid}: {f}")),
            _ => None,
        })
    }
}

/// Status, summary, fix and evidence of the sessions.
fn verdict(seen: &Observation) -> Outcome {
    let sent = seen.sent();
    let mut unknown = seen.refusals().filter(|a| unknown_session(&a.body));
    let rejection = unknown.next().map(|a| preview(&a.body, 120));
    let rejected = rejection.as_ref().map_or(0, |_| 1 + unknown.count());
    let mut broken = seen.broken();
    let broke = broken.next().map(|first| (first, 1 + broken.count()));
    let others = seen.sessions.len() - sent + seen.refusals().count();
    let mut out = if rejected > 0 {
        Outcome::fail(format!(
            "{rejected} of {sent} requests, each on its own session over a connection that session never used, were \
answered {}: several server processes share the traffic without sticky sessions",
            rejection.unwrap_or_default()
        ))
        .fix(super::fixes::sticky())
    } else if let Some((first, n)) = broke {
        Outcome::fail(format!(
            "{n} of {} sessions broke: {first}",
            seen.sessions.len()
        ))
    } else if sent == 0 {
        let first = seen.sessions.iter().find_map(|s| match s {
            Seen::Unopened(h) => Some(h.summary()),
            Seen::Opened { .. } => None,
        });
        Outcome::fail(format!(
            "none of {} new sessions opened: {}",
            seen.sessions.len(),
            first.unwrap_or_default()
        ))
    } else if others > 0 {
        Outcome::pass(format!(
            "{sent} requests, one on each of {sent} sessions over a connection that session never used, met no \
process that did not know their session ({others} answers were not 200: see the evidence)"
        ))
    } else {
        Outcome::pass(format!(
            "{sent} requests, one on each of {sent} sessions over a connection that session never used, all reached \
their session's process"
        ))
    };
    for (i, s) in seen.sessions.iter().enumerate() {
        out.push_evidence(format!("session {}", i + 1), met(s));
    }
    out
}

/// What one session met, for the evidence.
fn met(seen: &Seen) -> String {
    match seen {
        Seen::Unopened(h) => format!("did not open: {}", h.summary()),
        Seen::Opened { sid, answer: Ok(a) } if a.status == 200 => {
            format!("sid {sid}: {}", a.status_line())
        }
        Seen::Opened { sid, answer: Ok(a) } => format!("sid {sid}: {}", refused(a)),
        Seen::Opened {
            sid,
            answer: Err(f),
        } => format!("sid {sid}: the post failed: {f}"),
    }
}

/// A request answered with something other than 200, for the evidence.
fn refused(answer: &Answer) -> String {
    format!("{}: {}", answer.status_line(), preview(&answer.body, 120))
}

/// A packet the server answers at once, without touching the application:
/// Engine.IO 4 servers answer a CONNECT to an unknown namespace with a
/// CONNECT_ERROR; Engine.IO 3 clients ping and servers pong.
fn nudge(eio: Eio, session: usize) -> Packet {
    match eio {
        Eio::V4 => Packet::new(Kind::Message, format!("0/rtdoctor-sticky-{session},")),
        Eio::V3 => Packet::new(Kind::Ping, ""),
    }
}

fn unknown_session(body: &[u8]) -> bool {
    eio::decode_error(body).is_some_and(|e| e.kind == ErrorKind::SessionIdUnknown)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::recorded::{self, evidence, recorded, said};
    use crate::probe::engineio::classify_handshake;
    use crate::report::Status;

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

    fn sid(i: usize) -> String {
        format!("COb7mQuhJsaZDYsCAA{i:02}")
    }

    /// `SESSIONS` sessions that opened, the i-th one's post answered
    /// `answer(i)`.
    fn observed(answer: impl Fn(usize) -> Result<Answer, Failure>) -> Observation {
        Observation {
            sessions: (1..=SESSIONS)
                .map(|i| Seen::Opened {
                    sid: sid(i),
                    answer: answer(i),
                })
                .collect(),
        }
    }

    #[test]
    fn one_process_passes() {
        let out = verdict(&observed(|_| Ok(node_ok())));
        assert_eq!(
            said(&out),
            (
                Status::Pass,
                "13 requests, one on each of 13 sessions over a connection that session never used, all reached \
their session's process"
            )
        );
        assert!(out.fixes.is_empty());
        let ev = evidence(&out);
        assert_eq!(ev.len(), SESSIONS);
        assert_eq!(
            ev[0],
            ("session 1", "sid COb7mQuhJsaZDYsCAA01: HTTP/1.1 200 OK")
        );
        assert_eq!(
            ev[12],
            ("session 13", "sid COb7mQuhJsaZDYsCAA13: HTTP/1.1 200 OK")
        );
    }

    /// WIRE.md §7: round-robin over two processes, every other post lands
    /// on the process that does not know its session.
    #[test]
    fn round_robin_without_sticky_sessions_fails_with_the_fix() {
        let out = verdict(&observed(|i| {
            Ok(if i % 2 == 0 {
                node_unknown()
            } else {
                node_ok()
            })
        }));
        assert_eq!(out.status, Status::Fail);
        assert_eq!(
            out.summary,
            format!(
                "6 of 13 requests, each on its own session over a connection that session never used, were answered \
{NODE_UNKNOWN}: several server processes share the traffic without sticky sessions"
            )
        );
        assert_eq!(out.fixes, vec![super::super::fixes::sticky()]);
        let ev = evidence(&out);
        assert_eq!(
            ev[0],
            ("session 1", "sid COb7mQuhJsaZDYsCAA01: HTTP/1.1 200 OK")
        );
        assert_eq!(
            ev[1],
            (
                "session 2",
                &*format!("sid COb7mQuhJsaZDYsCAA02: HTTP/1.1 400 Bad Request: {NODE_UNKNOWN}")
            )
        );
    }

    /// WIRE.md §5: Flask-SocketIO under gunicorn -w 2, python-engineio's
    /// words for the same fault; it is named even when another post broke.
    #[test]
    fn gunicorn_workers_without_sticky_sessions_fail() {
        let invalid = recorded(
            "HTTP/1.1 400 BAD REQUEST",
            &[("Server", "gunicorn"), ("Content-Type", "text/plain")],
            "\"Invalid session dzctmJZrnCIZWMETAAAA\"",
        );
        let ok = recorded("HTTP/1.1 200 OK", &[("Server", "gunicorn")], "OK");
        let out = verdict(&observed(|i| match i {
            3 => Ok(invalid.clone()),
            7 => Err(Failure::Reset),
            _ => Ok(ok.clone()),
        }));
        assert_eq!(out.status, Status::Fail);
        assert_eq!(
            out.summary,
            "1 of 13 requests, each on its own session over a connection that session never used, were answered \
\"Invalid session dzctmJZrnCIZWMETAAAA\": several server processes share the traffic without \
sticky sessions"
        );
        assert_eq!(out.fixes, vec![super::super::fixes::sticky()]);
        assert_eq!(
            evidence(&out)[6],
            (
                "session 7",
                "sid COb7mQuhJsaZDYsCAA07: the post failed: the connection was reset"
            )
        );
    }

    #[test]
    fn a_failed_post_breaks_its_session() {
        let out = verdict(&observed(|i| {
            if i == 5 {
                Err(Failure::Reset)
            } else {
                Ok(node_ok())
            }
        }));
        assert_eq!(
            said(&out),
            (
                Status::Fail,
                "1 of 13 sessions broke: the post on sid COb7mQuhJsaZDYsCAA05: the connection was \
reset"
            )
        );
        assert!(out.fixes.is_empty());
    }

    #[test]
    fn a_failed_handshake_breaks_its_session() {
        let mut seen = observed(|_| Ok(node_ok()));
        let timed_out = Failure::TimedOut(Duration::from_millis(3000));
        seen.sessions[11] = Seen::Unopened(Handshake::Failed(timed_out.clone()));
        seen.sessions[4] = Seen::Unopened(Handshake::Failed(timed_out));
        let out = verdict(&seen);
        assert_eq!(
            said(&out),
            (
                Status::Fail,
                "2 of 13 sessions broke: a handshake: no answer within 3000 ms"
            )
        );
        assert_eq!(
            evidence(&out)[4],
            ("session 5", "did not open: no answer within 3000 ms")
        );
    }

    /// WIRE.md §8: nginx with its upstream down answers 502 to everything;
    /// that is not a session living in another process, and other checks
    /// name it.
    #[test]
    fn other_refusals_are_evidence_not_a_sticky_fault() {
        let bad_gateway = recorded::answer(recorded::NGINX_502);
        let mut seen = observed(|i| {
            if i == 2 {
                Ok(bad_gateway.clone())
            } else {
                Ok(node_ok())
            }
        });
        seen.sessions[0] = Seen::Unopened(classify_handshake(bad_gateway.clone()));
        let out = verdict(&seen);
        assert_eq!(
            said(&out),
            (
                Status::Pass,
                "12 requests, one on each of 12 sessions over a connection that session never used, met no process \
that did not know their session (2 answers were not 200: see the evidence)"
            )
        );
        let ev = evidence(&out);
        assert!(
            ev[0].1.starts_with("did not open: ") && ev[0].1.contains("502"),
            "{ev:?}"
        );
        assert!(
            ev[1]
                .1
                .starts_with("sid COb7mQuhJsaZDYsCAA02: HTTP/1.1 502 Bad Gateway: "),
            "{ev:?}"
        );
    }

    #[test]
    fn no_session_opening_fails() {
        let refused = classify_handshake(recorded::answer(recorded::NODE4_EIO3_REFUSED));
        let out = verdict(&Observation {
            sessions: (0..SESSIONS)
                .map(|_| Seen::Unopened(refused.clone()))
                .collect(),
        });
        assert_eq!(out.status, Status::Fail);
        assert_eq!(
            out.summary,
            format!("none of 13 new sessions opened: {}", refused.summary())
        );
        assert_eq!(evidence(&out).len(), SESSIONS);
    }

    /// A round-robin balancer over k backends sends the j-th request it
    /// receives to backend j mod k, whatever order the requests raced in.
    /// The handshakes take places p..p+n, the posts the n after them: a
    /// backend that gets more posts than handshakes gets a post on a
    /// session it never saw. The counts differ whenever k does not divide
    /// n, and no k from 2 to 12 divides 13.
    #[test]
    fn the_counts_defeat_any_round_robin() {
        let n = SESSIONS;
        let per_backend = |first: usize, k: usize| {
            let mut counts = vec![0; k];
            for j in first..first + n {
                counts[j % k] += 1;
            }
            counts
        };
        for k in 2..n {
            for p in 0..k {
                assert_ne!(
                    per_backend(p, k),
                    per_backend(p + n, k),
                    "k {k}, first place {p}"
                );
            }
        }
    }

    /// Where requests keep the order they were sent in: the handshakes
    /// reach a round-robin balancer at places 0..n, the posts at n.. in
    /// `zigzag` order. A post lands on its handshake's backend when k
    /// divides the distance between them, plus whatever other requests came
    /// between. Two distances that are consecutive integers are never both
    /// divisible by a k >= 2, so whatever the shift, some post meets a
    /// process that does not know its session.
    #[test]
    fn the_posts_order_defeats_a_round_robin_that_keeps_the_order() {
        let n = SESSIONS;
        let order = zigzag(n);
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..n).collect::<Vec<_>>(), "a permutation");
        assert_eq!(&order[..4], &[12, 0, 11, 1]);
        let offsets: Vec<usize> = order.iter().enumerate().map(|(m, h)| n + m - h).collect();
        assert!(
            offsets.iter().any(|o| offsets.contains(&(o + 1))),
            "{offsets:?}"
        );
        for k in 2..=4 * n {
            for shift in 0..k {
                assert!(
                    offsets.iter().any(|o| (o + shift) % k != 0),
                    "k {k}, shift {shift}: {offsets:?}"
                );
            }
        }
    }

    #[test]
    fn the_nudge_is_answered_without_the_application() {
        assert_eq!(nudge(Eio::V4, 3).encode(), "40/rtdoctor-sticky-3,");
        assert_eq!(nudge(Eio::V3, 3).encode(), "2");
    }
}
