//! `socketio.handshake`: does Engine.IO answer at the path, which protocol
//! version does it speak, and what does its open packet say?

use async_trait::async_trait;

use super::{Check, Ctx, fixes};
use crate::probe::Failure;
use crate::probe::eio_version::{Family, family, refuses_version};
use crate::probe::engineio::{Endpoint, Handshake as Answered};
use crate::probe::proxy_name::proxy_name;
use crate::protocol::engineio::{Eio, ErrorKind};
use crate::report::{Fix, Outcome, Status};
use crate::settings::EioMode;
use crate::target::Scheme;

pub struct Handshake;

#[async_trait]
impl Check for Handshake {
    fn id(&self) -> &str {
        "socketio.handshake"
    }

    fn title(&self) -> &str {
        "Engine.IO handshake"
    }

    fn needs(&self) -> &[&str] {
        &["port.listen", "tls.certificate"]
    }

    fn explain(&self) -> &str {
        "GETs {path}?EIO=4&transport=polling (and, with --eio auto, EIO=3 at the same time) as \
socket.io-client does, and decodes the answer: the open packet (sid, upgrades, pingInterval, \
pingTimeout, maxPayload) in Engine.IO 4 framing (0{…}) or Engine.IO 3 framing (97:0{…}2:40), \
or the Engine.IO error table (0 Transport unknown, 1 Session ID unknown, 2 Bad handshake \
method, 3 Bad request, 4 Forbidden, 5 Unsupported protocol version) from Node's JSON bodies \
and python-engineio's text bodies.\n\n\
Causes it tells apart:\n\
- an HTML page or a 404 (an SPA's index.html, 'Cannot GET /socket.io/'): Engine.IO is not \
served at that path. Fix: set the same path on client and server (path: '/…' / \
socketio_path=…), and make a proxy forward it.\n\
- a 502, 503 or 504 with no Engine.IO body: a proxy or dev server in front (named by its Server \
header or error page: nginx, HAProxy, Caddy) is up, its upstream is not. Fix: start the server, \
and point the proxy's upstream (proxy_pass, server line, reverse_proxy, Vite's target) at it.\n\
- an empty 200 from Caddy: Caddy's answer when no route of its config handles the request (no \
site address matches the host the client dials, or no matcher covers the path). Fix: a site \
address for that host (or :PORT for any) whose reverse_proxy covers the Engine.IO path.\n\
- the same, but a session opens under the target's own path (http://host/app/ answers at \
/app/socket.io/): a proxy serves the app under a prefix. Fix: the client's path option, \
io('https://host', { path: '/app/socket.io/' }) (--socketio-path here).\n\
- the server speaks Engine.IO 3 only (socket.io 1.x/2.x, python-socketio 4): \
socket.io-client 3.x/4.x cannot connect (warn with --eio auto, fail with --eio 4). Fix: \
socket.io-client 2.x, or socket.io 4 on the server with allowEIO3: true.\n\
- the server refuses Engine.IO 3 ('Unsupported protocol version', code 5): a \
socket.io-client 2.x cannot connect to this socket.io 3/4 or python-socketio 5 server (fail \
with --eio 3). Fix: upgrade the client, or allowEIO3: true (Node only).\n\
- an open packet with pingInterval, pingTimeout or maxPayload 0: a session no client can \
keep (an instant \"ping timeout\", or no message small enough to send); fail. Fix: positive \
values (socket.io's defaults are 25000, 20000 and 1e6).\n\
- another Engine.IO error, or no answer: named with what the server said."
    }

    /// Known once the handshakes are answered: the checks that need this
    /// one need not wait for the sessions to be closed.
    async fn fails(&self, ctx: &Ctx) -> Option<bool> {
        Some(judge(ctx).await.status == Status::Fail)
    }

    async fn run(&self, ctx: &Ctx) -> Outcome {
        let out = judge(ctx).await;
        ctx.engineio().await.closed().await;
        out
    }
}

/// What the version probe's handshakes mean.
async fn judge(ctx: &Ctx) -> Outcome {
    let d = ctx.engineio().await;
    let mode = ctx.probe.eio;
    let stalled = matches!(
        primary(mode, d.v4.as_ref(), d.v3.as_ref()),
        Some(Answered::Failed(Failure::TimedOut(_)))
    );
    let seen = Observation {
        error: d.error.as_deref(),
        v4: d.v4.as_ref(),
        v3: d.v3.as_ref(),
        endpoint: &d.endpoint,
        mode,
        ws_target: matches!(ctx.target.scheme, Scheme::Ws | Scheme::Wss),
        stuck_local: stalled && ctx.is_local().await == Ok(true),
        port: ctx.target.port,
        under_prefix: d.under_prefix.as_deref(),
    };
    verdict(&seen)
}

/// What the handshakes met, and the facts about the target the verdict
/// weighs.
struct Observation<'a> {
    /// Why no handshake could be made at all.
    error: Option<&'a str>,
    /// The answers to `EIO=4` and `EIO=3`, as far as asked (`--eio`).
    v4: Option<&'a Answered>,
    v3: Option<&'a Answered>,
    endpoint: &'a Endpoint,
    mode: EioMode,
    /// A ws:// or wss:// target: a plain WebSocket server is no broken
    /// Socket.IO server (nor is one that answers plain HTTP with 426).
    /// `--ws-path` alone says nothing: a server may serve both.
    ws_target: bool,
    /// The handshake stalled and the server runs on this machine: a stuck
    /// process may still hold the port.
    stuck_local: bool,
    port: u16,
    /// Engine.IO answered under the target's path instead (a proxy prefix).
    under_prefix: Option<&'a str>,
}

/// The answer the verdict is about: the version `--eio` asks for.
fn primary<'a>(
    mode: EioMode,
    v4: Option<&'a Answered>,
    v3: Option<&'a Answered>,
) -> Option<&'a Answered> {
    match mode {
        EioMode::V3 => v3,
        _ => v4,
    }
}

fn verdict(seen: &Observation) -> Outcome {
    if let Some(e) = seen.error {
        return Outcome::fail(e.to_string());
    }
    let Some(primary) = primary(seen.mode, seen.v4, seen.v3) else {
        return Outcome::fail("no handshake was made");
    };
    let mut out = answered(seen, primary);
    if let Answered::Open { open, .. } = primary {
        out = unusable(out, open);
    }
    if seen.stuck_local {
        out = out.fix(fixes::kill(seen.port));
    }
    for (label, h, eio) in [("EIO=4", seen.v4, Eio::V4), ("EIO=3", seen.v3, Eio::V3)] {
        if let Some(h) = h {
            describe(&mut out, label, h, &seen.endpoint.with_eio(eio));
        }
    }
    out
}

/// Engine.IO answers at `prefixed` (`/app/socket.io/`): a proxy serves the
/// app under a prefix, and the client must name the whole path.
fn under_prefix(prefixed: &str) -> Fix {
    Fix::new(
        format!("Engine.IO answers at {prefixed}: set the client's path option to it"),
        format!(
            "A proxy serves the app under a prefix and strips it (nginx: location /app/ {{ \
proxy_pass http://app/; }}), so the client must ask for the prefixed path: \
io('https://host', {{ path: '{prefixed}' }}) (the URL's path would be read as a namespace, \
not as the prefix). Here: --socketio-path {prefixed}."
        ),
    )
}

/// What the primary answer says, before the checks every open session gets.
fn answered(seen: &Observation, primary: &Answered) -> Outcome {
    let (path, mode) = (seen.endpoint.path().to_string(), seen.mode);
    match (primary, mode) {
        (
            Answered::Open {
                open, eio: Eio::V4, ..
            },
            _,
        ) => {
            let mut o = Outcome::pass(format!("Engine.IO 4: {}", open.describe()));
            if mode == EioMode::V3 {
                o = Outcome::fail("the server answered EIO=3 in Engine.IO 4 framing".to_string());
            }
            o
        }
        (
            Answered::Open {
                open, eio: Eio::V3, ..
            },
            EioMode::V3,
        ) => Outcome::pass(format!("Engine.IO 3: {}", open.describe())),
        (
            Answered::Open {
                open, eio: Eio::V3, ..
            },
            _,
        ) => {
            let status = if mode == EioMode::V4 {
                Outcome::fail
            } else {
                Outcome::warn
            };
            let mut o = status(format!(
                "the server speaks Engine.IO 3 only (socket.io 2.x or python-socketio 4; it answered \
EIO=4 in v3 framing): socket.io-client 3.x/4.x cannot connect to it ({})",
                open.describe()
            ));
            o.fixes.extend(fixes::v3_only_server());
            o
        }
        (Answered::Refused { error, .. }, _)
            if error.kind == ErrorKind::UnsupportedProtocolVersion =>
        {
            version_refused(seen, primary, &error.message)
        }
        (Answered::Refused { error, answer }, _) => {
            let o = Outcome::fail(format!(
                "the handshake was refused: {} ({})",
                error.message,
                answer.status_line()
            ));
            refused_fix(o, error.kind)
        }
        // A plain WebSocket server is not a broken Socket.IO server.
        (Answered::NotEngineIo { answer, reason }, _) if seen.ws_target || answer.status == 426 => {
            Outcome::skip(format!(
                "not a Socket.IO server: {} answered {path} with {reason}",
                answer.who()
            ))
        }
        // No Engine.IO server answers 502–504: a proxy or dev server in
        // front does, for an upstream that is down (WIRE.md: nginx, HAProxy,
        // Caddy, Vite).
        (Answered::NotEngineIo { answer, .. }, _) if (502..=504).contains(&answer.status) => {
            let who = proxy_name(answer).map_or("the proxy or dev server in front".into(), |p| {
                format!("the proxy ({p})")
            });
            Outcome::fail(format!(
                "{who} answered {path} with {}: its upstream, the Socket.IO server, is down or \
unreachable",
                answer.status_line()
            ))
            .fix(fixes::upstream_down())
        }
        // Caddy answers an empty 200 when no route of its config handles a
        // request: no site address matches the Host, or no matcher covers
        // the path. Its maintainers call that intended ("Caddy worked as
        // configured"): https://github.com/caddyserver/caddy/issues/4173,
        // https://github.com/caddyserver/caddy/issues/4026.
        (Answered::NotEngineIo { answer, .. }, _)
            if answer.status == 200
                && answer.body.is_empty()
                && answer
                    .server()
                    .is_some_and(|s| s.to_ascii_lowercase().starts_with("caddy")) =>
        {
            let url = seen.endpoint.polling(None);
            let host = format!(
                "{}:{}",
                url.host_str().unwrap_or(""),
                url.port_or_known_default().unwrap_or(0)
            );
            Outcome::fail(format!(
                "Caddy answered {path} with an empty {}: no route of its config handles the \
request (Caddy's answer when no site address matches the host {host}, or no matcher covers {path})",
                answer.status_line()
            ))
            .fix(Fix::new(
                "Give Caddy a route for this host and path",
                format!(
                    "The site address must match the host the client dials: list every name \
(http://localhost:PORT, http://127.0.0.1:PORT {{ … }}) or use :PORT {{ … }} for any host; and \
reverse_proxy must cover {path} (a bare reverse_proxy does, handle /api/* alone does not). \
caddy adapt --pretty shows the host and path matchers Caddy made of the Caddyfile."
                ),
            ))
        }
        (Answered::NotEngineIo { answer, reason }, _) => {
            let o = Outcome::fail(format!(
                "Engine.IO is not served at {path}: {} answered with {reason}",
                answer.who()
            ));
            match seen.under_prefix {
                Some(prefixed) => o.fix(under_prefix(prefixed)),
                None => o.fix(fixes::socketio_path(&path)),
            }
        }
        (Answered::Failed(f @ crate::probe::Failure::TimedOut(_)), _) => {
            Outcome::fail(format!("the handshake got {f}")).fix(Fix::new(
                "Find out why the server does not answer",
                "It accepted the connection but sent nothing back: it is hung, or busy. A worker \
that serves one request at a time (gunicorn's sync worker) is held by another client's \
long-poll or websocket for up to the ping interval. Look at the server's log and CPU, and \
run it on a worker that serves many connections (see rtdoctor explain socketio.upgrade).",
            ))
        }
        (Answered::Failed(f), _) => Outcome::fail(format!("the handshake got {f}")),
    }
}

/// A session opened, but with settings no client can live with: that is
/// the verdict, whatever the protocol version said.
fn unusable(out: Outcome, open: &crate::protocol::engineio::Open) -> Outcome {
    let found = open.unusable();
    if found.is_empty() || out.status == crate::report::Status::Fail {
        return out;
    }
    let mut failed = Outcome::fail(format!(
        "the server opened a session no client can keep: {} ({})",
        found.join("; "),
        open.describe()
    ))
    .fix(Fix::new(
        "Give the heartbeat and the payload limit positive values",
        "socket.io: new Server(httpServer, { pingInterval: 25000, pingTimeout: 20000, \
maxHttpBufferSize: 1e6 }) (the defaults). python-socketio: AsyncServer(ping_interval=25, \
ping_timeout=20, max_http_buffer_size=1000000). Whatever sets them to 0 (a config value read as \
a number of minutes, an unset variable) is the bug.",
    ));
    failed.fixes.extend(out.fixes);
    failed
}

fn version_refused(seen: &Observation, primary: &Answered, message: &str) -> Outcome {
    let mode = seen.mode;
    let fam = family(primary);
    match mode {
        EioMode::V3 => {
            let mut o = Outcome::fail(format!(
                "the server refuses Engine.IO 3 clients (socket.io-client 2.x): \"{message}\"; it speaks Engine.IO 4"
            ));
            o.fixes.extend(fixes::v4_server_for_v3_client(fam));
            o
        }
        _ => {
            // EIO=4 refused: a server that speaks only 3 and checks it.
            let v3_ok = matches!(seen.v3, Some(Answered::Open { .. }));
            let status = if v3_ok && mode == EioMode::Auto {
                Outcome::warn
            } else {
                Outcome::fail
            };
            let mut o = status(format!(
                "the server refuses Engine.IO 4 (\"{message}\"){}: socket.io-client 3.x/4.x cannot connect",
                if v3_ok { "; it speaks Engine.IO 3" } else { "" }
            ));
            o.fixes.extend(fixes::v3_only_server());
            o
        }
    }
}

fn refused_fix(o: Outcome, kind: ErrorKind) -> Outcome {
    match kind {
        ErrorKind::OriginNotAccepted | ErrorKind::Forbidden => o.fix(Fix::new(
            "Allow the client's origin",
            "python-socketio / Flask-SocketIO: cors_allowed_origins=['https://your.app']; socket.io: \
new Server(httpServer, { cors: { origin: ['https://your.app'], credentials: true } }). A 403 \
can also come from an allowRequest hook or a proxy's access rules.",
        )),
        ErrorKind::TransportUnknown => o.fix(Fix::new(
            "Enable the polling transport on the server, or connect with websocket only",
            "The server was started with transports: ['websocket'] (or an equivalent). Either allow \
'polling' there, or use io(url, { transports: ['websocket'] }) in the client and check \
socketio.upgrade.",
        )),
        _ => o,
    }
}

fn describe(out: &mut Outcome, label: &str, h: &Answered, ep: &crate::probe::engineio::Endpoint) {
    let request = format!("GET {}", ep.polling(None));
    match h {
        Answered::Open { answer, eio, .. } => {
            out.push_evidence(label, request.clone());
            answer.add_evidence(out, &format!("{label} answer"));
            out.push_evidence(
                format!("{label} framing"),
                format!("Engine.IO {}", eio.number()),
            );
        }
        Answered::Refused { answer, .. } | Answered::NotEngineIo { answer, .. } => {
            out.push_evidence(label, request);
            answer.add_evidence(out, &format!("{label} answer"));
        }
        Answered::Failed(f) => out.push_evidence(label, format!("{request}: {f}")),
    }
    if label == "EIO=3" && family(h) == Family::Node && refuses_version(&Some(h.clone())) {
        out.push_evidence(
            "EIO=3 note",
            "socket.io-client 2.x clients are refused (allowEIO3 is off)",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::recorded::{self, answer};
    use crate::probe::engineio::classify_handshake;
    use crate::report::Status;
    use crate::target::Target;
    use std::time::Duration;

    fn endpoint(url: &str) -> Endpoint {
        let target = Target::parse(url).expect("a target");
        Endpoint::new(&target, "/socket.io/", Eio::V4, Vec::new())
    }

    fn met(recorded: &str) -> Answered {
        classify_handshake(answer(recorded))
    }

    /// The verdict on what `--eio mode` met: `v4` and `v3` as answered.
    fn judge(mode: EioMode, v4: Option<&Answered>, v3: Option<&Answered>) -> Outcome {
        let ep = endpoint("http://127.0.0.1:5000");
        verdict(&Observation {
            error: None,
            v4,
            v3,
            endpoint: &ep,
            mode,
            ws_target: false,
            stuck_local: false,
            port: 5000,
            under_prefix: None,
        })
    }

    fn titles(out: &Outcome) -> Vec<&str> {
        out.fixes.iter().map(|f| f.title.as_str()).collect()
    }

    #[test]
    fn an_engine_io_4_server_passes_and_names_what_it_refuses() {
        let (v4, v3) = (met(recorded::NODE4_OPEN), met(recorded::NODE4_EIO3_REFUSED));
        let out = judge(EioMode::Auto, Some(&v4), Some(&v3));
        assert_eq!(out.status, Status::Pass);
        assert!(
            out.summary.starts_with("Engine.IO 4: sid "),
            "{}",
            out.summary
        );
        let note = out.evidence.iter().find(|e| e.label == "EIO=3 note");
        assert_eq!(
            note.map(|e| e.value.as_str()),
            Some("socket.io-client 2.x clients are refused (allowEIO3 is off)")
        );
    }

    #[test]
    fn a_socket_io_2_server_warns_with_auto_and_fails_with_eio_4() {
        let v3_answer = met(recorded::NODE2_OPEN);
        let auto = judge(EioMode::Auto, Some(&v3_answer), Some(&v3_answer));
        assert_eq!(auto.status, Status::Warn);
        assert!(
            auto.summary.starts_with(
                "the server speaks Engine.IO 3 only (socket.io 2.x or python-socketio 4"
            ),
            "{}",
            auto.summary
        );
        assert_eq!(
            titles(&auto),
            [
                "Match the client to the server (socket.io 2.x speaks Engine.IO 3)",
                "Or upgrade the server and keep old clients"
            ]
        );
        assert_eq!(
            judge(EioMode::V4, Some(&v3_answer), None).status,
            Status::Fail
        );
        let v3_client = judge(EioMode::V3, None, Some(&v3_answer));
        assert_eq!(v3_client.status, Status::Pass);
        assert!(v3_client.summary.starts_with("Engine.IO 3: "));
    }

    #[test]
    fn a_v2_client_refused_gets_the_fixes_of_that_server_family() {
        let node = judge(EioMode::V3, None, Some(&met(recorded::NODE4_EIO3_REFUSED)));
        assert_eq!(
            node.summary,
            "the server refuses Engine.IO 3 clients (socket.io-client 2.x): \"Unsupported protocol \
version\"; it speaks Engine.IO 4"
        );
        assert_eq!(
            titles(&node),
            [
                "Upgrade the client",
                "Or let a socket.io 4 server accept 2.x clients"
            ]
        );
        let python = judge(EioMode::V3, None, Some(&met(recorded::PY_EIO3_REFUSED)));
        assert_eq!(
            titles(&python),
            [
                "Upgrade the client",
                "python-socketio 5 cannot speak Engine.IO 3"
            ]
        );
    }

    #[test]
    fn an_html_404_means_engine_io_is_not_at_that_path() {
        let out = judge(EioMode::V4, Some(&met(recorded::GUNICORN_404)), None);
        assert_eq!(
            out.summary,
            "Engine.IO is not served at /socket.io/: HTTP/1.1 404 NOT FOUND (server: gunicorn) \
answered with HTTP 404 without an Engine.IO error body"
        );
        assert_eq!(
            titles(&out),
            ["Serve Engine.IO at the path the client uses, on both sides"]
        );
    }

    /// A gateway error is the proxy's upstream, not a wrong path: named
    /// when the answer names the proxy (HAProxy's page, Caddy's header).
    #[test]
    fn a_proxy_s_gateway_error_names_its_upstream_not_the_path() {
        for (recorded, who) in [
            (
                recorded::HAPROXY_503,
                "the proxy (HAProxy) answered /socket.io/ with HTTP/1.1 503",
            ),
            (
                recorded::CADDY_502,
                "the proxy (Caddy) answered /socket.io/ with HTTP/1.1 502",
            ),
            (
                recorded::VITE_502,
                "the proxy or dev server in front answered /socket.io/ with HTTP/1.1 502",
            ),
        ] {
            let out = judge(EioMode::V4, Some(&met(recorded)), None);
            assert!(out.summary.starts_with(who), "{}", out.summary);
            assert!(
                out.summary
                    .ends_with("its upstream, the Socket.IO server, is down or unreachable")
            );
            assert_eq!(
                titles(&out),
                ["Start the upstream, and check the proxy's upstream address"]
            );
        }
    }

    /// The same 404 at /socket.io/, with a session that opened under the
    /// target's path: the fix names the client's path option.
    /// WIRE.md "Caddy": an empty 200 from Caddy is its answer when no
    /// route handles the request, not an app that is not Engine.IO.
    #[test]
    fn caddys_empty_200_names_its_routes() {
        let out = judge(EioMode::V4, Some(&met(recorded::CADDY_NO_ROUTE)), None);
        assert_eq!(out.status, Status::Fail);
        assert!(
            out.summary.starts_with(
                "Caddy answered /socket.io/ with an empty HTTP/1.1 200 OK: no route of its config \
handles the request (Caddy's answer when no site address matches the host "
            ),
            "{}",
            out.summary
        );
        assert_eq!(
            out.fixes[0].title,
            "Give Caddy a route for this host and path"
        );
        // Another server's empty 200 is still "not an open packet".
        let other = met(&recorded::CADDY_NO_ROUTE.replace("Server: Caddy", "Server: gunicorn"));
        let out = judge(EioMode::V4, Some(&other), None);
        assert!(
            out.summary
                .starts_with("Engine.IO is not served at /socket.io/")
        );
    }

    #[test]
    fn a_404_with_engine_io_under_the_prefix_names_the_path_option() {
        let ep = endpoint("http://127.0.0.1:5000/app/");
        let missing = met(recorded::GUNICORN_404);
        let out = verdict(&Observation {
            error: None,
            v4: Some(&missing),
            v3: None,
            endpoint: &ep,
            mode: EioMode::V4,
            ws_target: false,
            stuck_local: false,
            port: 5000,
            under_prefix: Some("/app/socket.io/"),
        });
        assert_eq!(out.status, Status::Fail);
        assert_eq!(
            titles(&out),
            ["Engine.IO answers at /app/socket.io/: set the client's path option to it"]
        );
        assert!(
            out.fixes[0]
                .detail
                .contains("--socketio-path /app/socket.io/")
        );
    }

    #[test]
    fn a_plain_websocket_server_is_skipped_not_failed() {
        let upgrade_required = met(recorded::WS_NO_UPGRADE);
        let out = judge(EioMode::V4, Some(&upgrade_required), None);
        let skipped =
            out.status == Status::Skip && out.summary.starts_with("not a Socket.IO server: ");
        assert!(skipped, "{}", out.summary);
    }

    #[test]
    fn a_refused_origin_is_named_with_its_fix() {
        let out = judge(EioMode::V4, Some(&met(recorded::PY_EVIL_ORIGIN)), None);
        assert_eq!(
            out.summary,
            "the handshake was refused: http://evil.example is not an accepted origin. (HTTP/1.1 \
400 Bad Request)"
        );
        assert_eq!(titles(&out), ["Allow the client's origin"]);
    }

    #[test]
    fn a_session_no_client_can_keep_fails() {
        let zero = recorded::PY_OPEN.replace("\"pingInterval\":25000", "\"pingInterval\":0");
        let out = judge(EioMode::V4, Some(&met(&zero)), None);
        assert_eq!(out.status, Status::Fail);
        assert!(
            out.summary
                .starts_with("the server opened a session no client can keep: "),
            "{}",
            out.summary
        );
        assert_eq!(
            titles(&out),
            ["Give the heartbeat and the payload limit positive values"]
        );
    }

    #[test]
    fn a_stalled_local_server_gets_the_kill_fix_and_a_remote_one_does_not() {
        let stalled = Answered::Failed(Failure::TimedOut(Duration::from_secs(1)));
        let ep = endpoint("http://127.0.0.1:5000");
        let mut seen = Observation {
            error: None,
            v4: Some(&stalled),
            v3: None,
            endpoint: &ep,
            mode: EioMode::V4,
            ws_target: false,
            stuck_local: true,
            port: 5000,
            under_prefix: None,
        };
        let out = verdict(&seen);
        assert_eq!(out.summary, "the handshake got no answer within 1000 ms");
        assert_eq!(
            titles(&out),
            [
                "Find out why the server does not answer",
                "If the process is stuck, stop it and start it again"
            ]
        );
        assert_eq!(out.fixes[1].command.as_deref(), Some("rtdoctor kill 5000"));
        seen.stuck_local = false;
        assert_eq!(verdict(&seen).fixes.len(), 1);
    }

    #[test]
    fn polling_turned_off_says_how_to_connect_anyway() {
        let out = judge(
            EioMode::V4,
            Some(&met(recorded::NODE4_TRANSPORT_UNKNOWN)),
            None,
        );
        assert_eq!(
            out.summary,
            "the handshake was refused: Transport unknown (HTTP/1.1 400 Bad Request)"
        );
        assert_eq!(
            titles(&out),
            ["Enable the polling transport on the server, or connect with websocket only"]
        );
    }
}
