//! `socketio.namespace`: does the server accept a Socket.IO CONNECT to the
//! namespace (with `--auth`), and if not, what did it say?

use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::{Check, Ctx, sessions};
use crate::probe::Failure;
use crate::probe::engineio::{PollError, Session};
use crate::probe::http::Answer;
use crate::protocol::engineio::{Eio, Kind, Packet};
use crate::protocol::socketio::{self, ConnectReply, DecodeError};
use crate::report::{Fix, Outcome};

pub struct Namespace;

/// Polls before giving up on a CONNECT reply (each bounded by the timeout).
const MAX_POLLS: usize = 4;

#[async_trait]
impl Check for Namespace {
    fn id(&self) -> &str {
        "socketio.namespace"
    }

    fn title(&self) -> &str {
        "Socket.IO namespace CONNECT"
    }

    fn needs(&self) -> &[&str] {
        &["socketio.handshake"]
    }

    fn explain(&self) -> &str {
        "Opens an Engine.IO session and sends a Socket.IO CONNECT for --namespace (default /) \
with the --auth payload, as socket.io-client does: protocol v5 (Engine.IO 4) sends \
40/ns,{auth} and expects 40/ns,{\"sid\":…} or a CONNECT_ERROR 44/ns,{\"message\":…}; \
protocol v4 (socket.io 2.x, Engine.IO 3) connects / by itself and answers 40/ns or \
44/ns,\"message\". Records the round-trip time. The auth payload is never printed.\n\n\
Causes it tells apart:\n\
- 'Invalid namespace' (or python-socketio's refusal of an unknown one): the server defines \
no such namespace. Fix: io.of('/ns') on a Node server, namespace='/ns' on python-socketio \
handlers, or connect to the namespace that exists.\n\
- any other refusal: a connect handler or middleware said no, usually for missing or wrong \
credentials. Fix: send what it wants (io(url, { auth: {…} }); --auth '{…}' here).\n\
- a namespace taken from the target's path (io('http://host:3000/chat') means namespace /chat) \
that is refused: a second CONNECT, to /, tells a path that is really the page or a proxy \
prefix (/ is accepted) from a server that refuses everyone. Fix: name the server's origin, \
or its path option for a prefix.\n\
- a reply rtdoctor will not read (over 64 KiB, or JSON nested deeper than 128 levels): said \
as such, with its size or depth, not as \"no reply\".\n\
- no reply: the server never answered the CONNECT within the timeout."
    }

    async fn run(&self, ctx: &Ctx) -> Outcome {
        // One session's requests one after the other: one connection, as
        // a browser keeps it.
        let http = match ctx.machine.keep_alive_http_for(&ctx.probe) {
            Ok(http) => http,
            Err(_) => return sessions::unopened(ctx).await,
        };
        let http = &http;
        let (endpoint, mut opened) = match sessions::open(ctx, http, 1).await {
            Ok(opened) => opened,
            Err(skip) => return skip,
        };
        let timeout = ctx.probe.timeout;
        let mut session = match opened.pop() {
            Some(Ok(s)) => s,
            Some(Err(h)) => {
                return Outcome::fail(format!("a new session did not open: {}", h.summary()));
            }
            None => return sessions::unopened(ctx).await,
        };
        let mut seen = Observation {
            target: ctx.target.to_string(),
            nsp: ctx.probe.namespace.clone(),
            from_target: ctx.probe.namespace_from_target,
            eio: endpoint.eio,
            sid: session.sid().to_string(),
            auth: ctx.probe.auth.is_some(),
            received: Vec::new(),
            end: End::Silent,
            ms: 0,
            root: None,
        };
        let auth = ctx.probe.auth.as_ref().map(crate::secret::Secret::expose);
        seen.end = exchange(&mut session, &mut seen, auth, timeout).await;
        // After a CONNECT that could not be sent (often a timeout), a
        // close would most likely wait out the timeout again. Nothing
        // waits for its answer.
        if !matches!(seen.end, End::PostFailed(_)) {
            ctx.machine.linger(session.closing(timeout));
        }
        if seen.from_target
            && seen.nsp != "/"
            && matches!(seen.end, End::Answered(ConnectReply::Refused { .. }))
        {
            seen.root = Some(connect_root(http, endpoint, auth, &seen, timeout).await);
        }
        verdict(&seen)
    }
}

/// What one CONNECT met on the wire.
struct Observation {
    /// The target as the user named it: suggested commands quote it.
    target: String,
    nsp: String,
    /// `nsp` is the target's path, read as `io(url)` reads it.
    from_target: bool,
    eio: Eio,
    sid: String,
    /// `--auth` was given (its value is never kept here).
    auth: bool,
    /// The packets polled, up to and with the one that decided.
    received: Vec<Packet>,
    end: End,
    /// From the CONNECT to its reply.
    ms: u128,
    /// When the target's path was refused as a namespace: what a CONNECT
    /// to `/` on a new session got (a reply, or why there was none).
    root: Option<Result<ConnectReply, String>>,
}

impl Observation {
    /// socket.io 2 connects the default namespace by itself.
    fn sends_connect(&self) -> bool {
        !(self.eio == Eio::V3 && self.nsp == "/")
    }
}

/// How the exchange ended.
enum End {
    /// The POST carrying the CONNECT was answered, but not with 200.
    PostRefused(Answer),
    PostFailed(Failure),
    PollFailed(PollError),
    /// The server closed the session instead of answering.
    Closed,
    /// A reply rtdoctor will not read (too big, too deep, not Socket.IO).
    Unreadable(DecodeError),
    Answered(ConnectReply),
    /// No reply after `MAX_POLLS` polls.
    Silent,
}

/// Send the CONNECT (unless socket.io 2 connects by itself) and poll for
/// its reply, recording the packets received.
async fn exchange(
    session: &mut Session<'_>,
    seen: &mut Observation,
    auth: Option<&serde_json::Value>,
    timeout: Duration,
) -> End {
    let start = Instant::now();
    if seen.sends_connect() {
        let connect = socketio::connect(&seen.nsp, auth, seen.eio);
        match session
            .send(&[Packet::new(Kind::Message, connect)], timeout)
            .await
        {
            Ok(a) if a.status == 200 => {}
            Ok(a) => return End::PostRefused(a),
            Err(f) => return End::PostFailed(f),
        }
    }
    for _ in 0..MAX_POLLS {
        let packets = match session.receive(timeout).await {
            Ok(p) => p,
            Err(e) => return End::PollFailed(e),
        };
        if let Some(end) = take(packets, &seen.nsp, &mut seen.received) {
            seen.ms = start.elapsed().as_millis();
            return end;
        }
    }
    End::Silent
}

/// A CONNECT to `/` on a new session, as the same client would make with
/// the target's origin alone: tells a path read as a namespace from a
/// server that refuses every CONNECT.
async fn connect_root(
    http: &crate::probe::http::Http,
    endpoint: &crate::probe::engineio::Endpoint,
    auth: Option<&serde_json::Value>,
    seen: &Observation,
    timeout: Duration,
) -> Result<ConnectReply, String> {
    let mut session = Session::open(http, endpoint, timeout)
        .await
        .map_err(|h| format!("a new session did not open: {}", h.summary()))?;
    let mut root = Observation {
        target: seen.target.clone(),
        nsp: "/".to_string(),
        from_target: false,
        eio: seen.eio,
        sid: session.sid().to_string(),
        auth: seen.auth,
        received: Vec::new(),
        end: End::Silent,
        ms: 0,
        root: None,
    };
    let end = exchange(&mut session, &mut root, auth, timeout).await;
    if !matches!(end, End::PostFailed(_)) {
        session.close(timeout).await;
    }
    match end {
        End::Answered(reply) => Ok(reply),
        End::PostRefused(a) => Err(format!("the CONNECT was answered {}", a.who())),
        End::PostFailed(f) => Err(format!("sending the CONNECT got {f}")),
        End::PollFailed(e) => Err(format!("waiting for the reply: {e}")),
        End::Closed => Err("the server closed the session".to_string()),
        End::Unreadable(e) => Err(format!("an unreadable reply: {e}")),
        End::Silent => Err(format!("no reply after {MAX_POLLS} polls")),
    }
}

/// Record polled packets up to the one that ends the wait, if one does.
fn take(packets: Vec<Packet>, nsp: &str, received: &mut Vec<Packet>) -> Option<End> {
    for p in packets {
        let end = read(&p, nsp);
        received.push(p);
        if end.is_some() {
            return end;
        }
    }
    None
}

/// Whether this packet ends the wait for the CONNECT reply, and how.
fn read(p: &Packet, nsp: &str) -> Option<End> {
    match p.kind {
        Kind::Close => Some(End::Closed),
        Kind::Message => match socketio::decode(&p.data) {
            // A reply rtdoctor cannot read is said as such, not waited
            // past until the poll times out ("no answer").
            Err(e) => Some(End::Unreadable(e)),
            Ok(packet) => socketio::connect_reply(&packet, nsp).map(End::Answered),
        },
        _ => None,
    }
}

/// Status, summary, fixes and evidence of one observed CONNECT.
fn verdict(seen: &Observation) -> Outcome {
    let nsp = seen.nsp.as_str();
    let out = match &seen.end {
        End::PostRefused(a) => {
            let unknown = crate::protocol::engineio::decode_error(&a.body)
                .filter(|e| e.kind == crate::protocol::engineio::ErrorKind::SessionIdUnknown);
            let out = match unknown {
                Some(e) => Outcome::fail(format!(
                    "the CONNECT landed on a server process that does not know the session ({}: {:?}): \
several processes without sticky sessions",
                    a.who(),
                    e.message
                ))
                .fix(super::fixes::sticky()),
                None => Outcome::fail(format!("the CONNECT was answered {}", a.who())),
            };
            let mut out = with(out, seen);
            a.add_evidence(&mut out, "answer");
            return out;
        }
        End::PostFailed(f) => Outcome::fail(format!("sending the CONNECT got {f}")),
        End::PollFailed(e) => Outcome::fail(format!("waiting for the CONNECT reply: {e}")),
        End::Closed => {
            Outcome::fail("the server closed the session instead of answering the CONNECT")
        }
        End::Unreadable(e) => Outcome::fail(format!(
            "the server answered the CONNECT for {nsp} with a packet rtdoctor refused: {e}"
        )),
        End::Answered(reply) => answered(reply, seen),
        End::Silent => Outcome::fail(format!(
            "no reply to the CONNECT for {nsp} after {MAX_POLLS} polls"
        )),
    };
    with(out, seen)
}

fn answered(reply: &ConnectReply, seen: &Observation) -> Outcome {
    let (target, nsp, ms) = (&seen.target, seen.nsp.as_str(), seen.ms);
    match reply {
        ConnectReply::Connected { sid } => Outcome::pass(format!(
            "connected to {nsp} in {ms} ms{}",
            sid.as_ref()
                .map(|s| format!(" (sid {s})"))
                .unwrap_or_default()
        )),
        ConnectReply::Refused { message } => {
            let unknown = message.to_ascii_lowercase().contains("invalid namespace")
                || message.to_ascii_lowercase().contains("unable to connect");
            let root_accepted = matches!(seen.root, Some(Ok(ConnectReply::Connected { .. })));
            let out = Outcome::fail(format!(
                "the server refused the CONNECT to {nsp}: \"{message}\"{}",
                if root_accepted {
                    "; it accepts a CONNECT to /"
                } else {
                    ""
                }
            ));
            if seen.from_target && (unknown || looks_like_a_page(nsp)) {
                out.fix(path_read_as_namespace(seen))
            } else if unknown {
                out.fix(Fix::new(
                    format!("Define {nsp} on the server, or connect to one it has"),
                    format!(
                        "Node: io.of('{nsp}').on('connection', …). python-socketio: \
@sio.on('connect', namespace='{nsp}'). The client connects with io('http://host:port{nsp}')."
                    ),
                ))
            } else {
                let out = out.fix(
                    Fix::new(
                        "Send what the server's connect handler or middleware wants",
                        "A connect handler (python-socketio: return False / raise ConnectionRefusedError) \
or a middleware (Node: io.use / io.of(…).use calling next(new Error(…))) refused it, usually for \
missing credentials. Client: io(url, { auth: { token } }). Check it here with --auth.",
                    )
                    .command(format!("rtdoctor check {target} --namespace {nsp} --auth '{{\"token\":\"…\"}}'")),
                );
                // `/` connects while the path is refused: the path may be
                // the page or a prefix rather than a namespace.
                if seen.from_target && root_accepted {
                    out.fix(path_read_as_namespace(seen))
                } else {
                    out
                }
            }
        }
    }
}

/// A path a browser shows rather than a namespace: a file name
/// (`/index.html`) or a page of an app (`/dashboard`, `/login`).
fn looks_like_a_page(path: &str) -> bool {
    let last = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    last.contains('.')
        || ["dashboard", "index", "home", "login", "app", "page"]
            .contains(&last.to_ascii_lowercase().as_str())
        || path.trim_matches('/').contains('/')
}

/// The target's path went out as the namespace (as `io(url)` sends it):
/// how to write the target for the server's origin instead.
fn path_read_as_namespace(seen: &Observation) -> Fix {
    let nsp = seen.nsp.as_str();
    let origin = crate::target::Target::parse(&seen.target)
        .map(|t| t.origin_only())
        .unwrap_or_else(|_| seen.target.clone());
    Fix::new(
        format!("The target's path {nsp} was read as the Socket.IO namespace, as io() reads it"),
        format!(
            "socket.io-client reads io('{target}') as namespace {nsp} on {origin}, and so does rtdoctor. \
If {nsp} is the page that hosts the client, name the server without it: io('{origin}') (here \
the target {origin}, with --page {target} for the page). If Socket.IO is served under {nsp}, \
that is its path, not a namespace: io('{origin}', {{ path: '{nsp}/socket.io/' }}) (here \
--socketio-path {nsp}/socket.io/). If {nsp} is meant as a namespace, define it on the server.",
            target = seen.target,
        ),
    )
    .command(format!("rtdoctor check {origin}"))
}

/// The session, what was sent (never the auth payload) and what came back.
fn with(mut out: Outcome, seen: &Observation) -> Outcome {
    out.push_evidence(
        "session",
        format!("sid {}, Engine.IO {}", seen.sid, seen.eio.number()),
    );
    if seen.sends_connect() {
        let shown = if seen.auth && seen.eio == Eio::V4 {
            format!(
                "4{}",
                socketio::connect(&seen.nsp, None, seen.eio).trim_end_matches(',')
            ) + " + auth (not shown)"
        } else {
            format!("4{}", socketio::connect(&seen.nsp, None, seen.eio))
        };
        out.push_evidence("sent", shown);
        if seen.auth && seen.eio == Eio::V3 {
            out.push_evidence(
                "note",
                "socket.io 2.x takes no CONNECT auth payload; --auth was not sent",
            );
        }
    }
    for p in &seen.received {
        out.push_evidence(
            "received",
            crate::protocol::preview(p.encode().as_bytes(), 160),
        );
    }
    match &seen.root {
        None => {}
        Some(Ok(ConnectReply::Connected { .. })) => out.push_evidence("CONNECT to /", "accepted"),
        Some(Ok(ConnectReply::Refused { message })) => {
            out.push_evidence("CONNECT to /", format!("refused: \"{message}\""))
        }
        Some(Err(why)) => out.push_evidence("CONNECT to /", why.clone()),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::recorded::{evidence, recorded, said};
    use crate::protocol::engineio::decode_payload;
    use crate::report::Status;
    use std::time::Duration;

    /// The CONNECT to `nsp` and the poll bodies that followed, as recorded
    /// in tests/servers/WIRE.md.
    fn polled(eio: Eio, nsp: &str, auth: bool, bodies: &[&str]) -> Observation {
        let mut seen = sent(eio, nsp, auth, End::Silent);
        for body in bodies {
            let packets = decode_payload(body.as_bytes(), eio).unwrap();
            if let Some(end) = take(packets, nsp, &mut seen.received) {
                seen.end = end;
                seen.ms = 2;
                break;
            }
        }
        seen
    }

    fn sent(eio: Eio, nsp: &str, auth: bool, end: End) -> Observation {
        Observation {
            target: "http://localhost:5000".into(),
            nsp: nsp.into(),
            from_target: false,
            eio,
            sid: "bz-Qvm48dHlZhf7QAAAA".into(),
            auth,
            received: Vec::new(),
            end,
            ms: 0,
            root: None,
        }
    }

    /// A refusal: its summary and the title of its fix.
    fn assert_refused(out: &Outcome, message: &str, fix: &str) {
        assert_eq!(out.status, Status::Fail);
        assert_eq!(
            out.summary,
            format!("the server refused the CONNECT to {message}")
        );
        assert_eq!(out.fixes[0].title, fix);
    }

    /// WIRE.md §1 and §2: `40/admin,{"token":"secret"}` is answered with
    /// the namespace's own sid.
    #[test]
    fn connected_passes_with_the_sid_and_hides_the_auth() {
        let out = verdict(&polled(
            Eio::V4,
            "/admin",
            true,
            &[r#"40/admin,{"sid":"jP2wMwkchPYpEfTDAAAD"}"#],
        ));
        assert_eq!(
            said(&out),
            (
                Status::Pass,
                "connected to /admin in 2 ms (sid jP2wMwkchPYpEfTDAAAD)"
            )
        );
        assert!(out.fixes.is_empty());
        assert_eq!(
            evidence(&out),
            vec![
                ("session", "sid bz-Qvm48dHlZhf7QAAAA, Engine.IO 4"),
                ("sent", "40/admin + auth (not shown)"),
                ("received", r#"40/admin,{"sid":"jP2wMwkchPYpEfTDAAAD"}"#),
            ]
        );
    }

    /// WIRE.md §3: socket.io 2 connects / by itself and answers `40`; no
    /// CONNECT is sent.
    #[test]
    fn socketio_2_default_namespace_is_not_sent_a_connect() {
        let out = verdict(&polled(Eio::V3, "/", false, &["2:40"]));
        assert_eq!(said(&out), (Status::Pass, "connected to / in 2 ms"));
        assert_eq!(
            evidence(&out),
            vec![
                ("session", "sid bz-Qvm48dHlZhf7QAAAA, Engine.IO 3"),
                ("received", "40"),
            ]
        );
    }

    /// WIRE.md §1/§2: `40/admin,` without a token; the middleware says
    /// "authentication failed".
    #[test]
    fn refused_by_middleware_names_the_credentials() {
        let out = verdict(&polled(
            Eio::V4,
            "/admin",
            false,
            &[r#"44/admin,{"message":"authentication failed"}"#],
        ));
        assert_refused(
            &out,
            "/admin: \"authentication failed\"",
            "Send what the server's connect handler or middleware wants",
        );
        assert_eq!(
            out.fixes[0].command.as_deref(),
            Some(
                "rtdoctor check http://localhost:5000 --namespace /admin --auth '{\"token\":\"…\"}'"
            )
        );
        assert_eq!(evidence(&out)[1], ("sent", "40/admin"));
    }

    /// WIRE.md §1 row "POST `40/admin,{"token":"x"}\x1e421["ping"]`":
    /// the refusal comes after another packet in the same poll.
    #[test]
    fn the_reply_is_found_among_other_packets() {
        let out = verdict(&polled(
            Eio::V4,
            "/admin",
            true,
            &[
                "2",
                "431[\"pong\"]\u{1e}44/admin,{\"message\":\"authentication failed\"}",
            ],
        ));
        assert_eq!(
            out.summary,
            "the server refused the CONNECT to /admin: \"authentication failed\""
        );
        let received: Vec<_> = evidence(&out)
            .into_iter()
            .filter(|(k, _)| *k == "received")
            .map(|(_, v)| v)
            .collect();
        assert_eq!(
            received,
            vec![
                "2",
                "431[\"pong\"]",
                "44/admin,{\"message\":\"authentication failed\"}"
            ]
        );
    }

    /// WIRE.md §3's refusal, for a namespace that was the target's path:
    /// the fix says the path was read as `io()` reads it, and how else to
    /// write it.
    #[test]
    fn a_refused_path_namespace_says_how_it_was_read() {
        let mut seen = polled(
            Eio::V4,
            "/dashboard",
            false,
            &[r#"44/dashboard,{"message":"Invalid namespace"}"#],
        );
        seen.target = "http://localhost:5000/dashboard".into();
        seen.from_target = true;
        let out = verdict(&seen);
        assert_refused(
            &out,
            "/dashboard: \"Invalid namespace\"",
            "The target's path /dashboard was read as the Socket.IO namespace, as io() reads it",
        );
        let fix = &out.fixes[0];
        assert!(
            fix.detail.contains("io('http://localhost:5000')"),
            "{}",
            fix.detail
        );
        assert!(fix.detail.contains("--socketio-path /dashboard/socket.io/"));
        assert_eq!(
            fix.command.as_deref(),
            Some("rtdoctor check http://localhost:5000")
        );
        // A path-like namespace a server refuses for credentials is not
        // said to be a path: /admin is a namespace.
        let out = admin_refused_from_path(None);
        assert_eq!(
            out.fixes[0].title,
            "Send what the server's connect handler or middleware wants"
        );
        assert!(looks_like_a_page("/index.html") && looks_like_a_page("/app/dashboard"));
        assert!(!looks_like_a_page("/admin"));
    }

    /// WIRE.md §1/§2's refusal of /admin without a token, for a target
    /// whose path was /admin, with what a CONNECT to `/` got (if tried).
    fn admin_refused_from_path(root: Option<Result<ConnectReply, String>>) -> Outcome {
        let mut seen = polled(
            Eio::V4,
            "/admin",
            false,
            &[r#"44/admin,{"message":"authentication failed"}"#],
        );
        seen.from_target = true;
        seen.root = root;
        verdict(&seen)
    }

    /// A path namespace refused for credentials: a second CONNECT to `/`
    /// tells whether the path may be a page or prefix (accepted) or the
    /// server refuses every CONNECT (refused: no path fix).
    #[test]
    fn a_refused_path_namespace_is_weighed_against_a_connect_to_root() {
        let refused = |root| admin_refused_from_path(Some(root));
        let out = refused(Ok(ConnectReply::Connected { sid: None }));
        assert_eq!(
            out.summary,
            "the server refused the CONNECT to /admin: \"authentication failed\"; it accepts a CONNECT to /"
        );
        let titles: Vec<_> = out.fixes.iter().map(|f| f.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "Send what the server's connect handler or middleware wants",
                "The target's path /admin was read as the Socket.IO namespace, as io() reads it"
            ]
        );
        assert!(evidence(&out).contains(&("CONNECT to /", "accepted")));
        let out = refused(Ok(ConnectReply::Refused {
            message: "not authorized".into(),
        }));
        assert_eq!(
            out.summary,
            "the server refused the CONNECT to /admin: \"authentication failed\""
        );
        assert_eq!(out.fixes.len(), 1);
        assert!(evidence(&out).contains(&("CONNECT to /", "refused: \"not authorized\"")));
    }

    /// WIRE.md §3: socket.io 2.5 answers a CONNECT to a namespace it does
    /// not define; --auth was given but v3 cannot carry it.
    #[test]
    fn invalid_namespace_says_define_it() {
        let out = verdict(&polled(
            Eio::V3,
            "/admin",
            true,
            &[r#"28:44/admin,"Invalid namespace""#],
        ));
        assert_refused(
            &out,
            "/admin: \"Invalid namespace\"",
            "Define /admin on the server, or connect to one it has",
        );
        assert!(out.fixes[0].detail.contains("io.of('/admin')"));
        assert_eq!(
            &evidence(&out)[1..3],
            &[
                ("sent", "40/admin"),
                (
                    "note",
                    "socket.io 2.x takes no CONNECT auth payload; --auth was not sent"
                )
            ]
        );
    }

    /// python-socketio refuses a namespace it has no handlers for with
    /// "Unable to connect".
    #[test]
    fn python_unknown_namespace_says_define_it() {
        let out = verdict(&polled(
            Eio::V4,
            "/nope",
            false,
            &[r#"44/nope,{"message":"Unable to connect"}"#],
        ));
        assert_refused(
            &out,
            "/nope: \"Unable to connect\"",
            "Define /nope on the server, or connect to one it has",
        );
    }

    /// WIRE.md §7: behind round-robin nginx the POST `40` lands on the
    /// process that does not own the session.
    #[test]
    fn connect_on_another_process_says_sticky_sessions() {
        let answer = recorded(
            "HTTP/1.1 400 Bad Request",
            &[("Server", "nginx/1.22.1")],
            r#"{"code":1,"message":"Session ID unknown"}"#,
        );
        let out = verdict(&sent(Eio::V4, "/", false, End::PostRefused(answer)));
        assert_eq!(out.status, Status::Fail);
        assert_eq!(
            out.summary,
            "the CONNECT landed on a server process that does not know the session \
(HTTP/1.1 400 Bad Request (server: nginx/1.22.1): \"Session ID unknown\"): several processes \
without sticky sessions"
        );
        assert_eq!(out.fixes, vec![super::super::fixes::sticky()]);
        let ev = evidence(&out);
        assert_eq!(ev[1], ("sent", "40"));
        assert_eq!(ev[2], ("answer", "HTTP/1.1 400 Bad Request in 1 ms"));
    }

    /// WIRE.md §8: nginx with its upstream down.
    #[test]
    fn connect_post_answered_otherwise_says_who_answered() {
        let answer = recorded(
            "HTTP/1.1 502 Bad Gateway",
            &[("Server", "nginx/1.22.1")],
            "<html>",
        );
        let out = verdict(&sent(Eio::V4, "/", false, End::PostRefused(answer)));
        assert_eq!(
            out.summary,
            "the CONNECT was answered HTTP/1.1 502 Bad Gateway (server: nginx/1.22.1)"
        );
        assert!(out.fixes.is_empty());
    }

    #[test]
    fn connect_not_sent_says_the_failure() {
        let out = verdict(&sent(
            Eio::V4,
            "/",
            false,
            End::PostFailed(Failure::Refused),
        ));
        assert_eq!(out.summary, "sending the CONNECT got connection refused");
    }

    #[test]
    fn poll_failure_says_the_wait() {
        let timeout = PollError::Failed(Failure::TimedOut(Duration::from_millis(500)));
        let out = verdict(&sent(Eio::V4, "/", false, End::PollFailed(timeout)));
        assert!(
            out.summary.starts_with("waiting for the CONNECT reply: "),
            "{}",
            out.summary
        );
    }

    #[test]
    fn close_instead_of_a_reply() {
        let out = verdict(&polled(Eio::V4, "/", false, &["1"]));
        assert_eq!(
            out.summary,
            "the server closed the session instead of answering the CONNECT"
        );
        assert_eq!(evidence(&out)[2], ("received", "1"));
    }

    #[test]
    fn unreadable_reply_is_said_as_such() {
        let deep = format!("44/admin,{}", "[".repeat(200));
        let out = verdict(&polled(Eio::V4, "/admin", false, &[&deep]));
        assert_eq!(out.status, Status::Fail);
        assert!(
            out.summary.starts_with(
                "the server answered the CONNECT for /admin with a packet rtdoctor refused: "
            ),
            "{}",
            out.summary
        );
    }

    #[test]
    fn no_reply_after_the_polls() {
        let out = verdict(&polled(Eio::V4, "/admin", false, &["2", "6"]));
        assert_eq!(
            out.summary,
            "no reply to the CONNECT for /admin after 4 polls"
        );
        assert_eq!(evidence(&out).len(), 4);
    }

    #[test]
    fn other_namespaces_replies_do_not_end_the_wait() {
        let p = decode_payload(br#"40/other,{"sid":"x"}"#, Eio::V4).unwrap();
        assert!(read(&p[0], "/admin").is_none());
        assert!(matches!(read(&p[0], "/other"), Some(End::Answered(_))));
    }
}
