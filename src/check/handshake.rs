//! `socketio.handshake`: does Engine.IO answer at the path, which protocol
//! version does it speak, and what does its open packet say?

use async_trait::async_trait;

use super::{Check, Ctx, fixes};
use crate::config::EioMode;
use crate::probe::eio_version::{EioVersion, Family, family, refuses_version};
use crate::probe::engineio::Handshake as Answered;
use crate::protocol::engineio::{Eio, ErrorKind};
use crate::report::{Fix, Outcome};

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
        &["port.listen"]
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

    async fn run(&self, ctx: &Ctx) -> Outcome {
        let d = ctx.engineio().await;
        if let Some(e) = &d.error {
            return Outcome::fail(e.clone());
        }
        let path = d.endpoint.path().to_string();
        let mode = ctx.probe.eio;
        let primary = match mode {
            EioMode::V3 => &d.v3,
            _ => &d.v4,
        };
        let Some(primary) = primary else {
            return Outcome::fail("no handshake was made");
        };
        let mut out = match (primary, mode) {
            (
                Answered::Open {
                    open, eio: Eio::V4, ..
                },
                _,
            ) => {
                let mut o = Outcome::pass(format!("Engine.IO 4: {}", open.describe()));
                if mode == EioMode::V3 {
                    o = Outcome::fail(
                        "the server answered EIO=3 in Engine.IO 4 framing".to_string(),
                    );
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
                version_refused(d, mode, primary, &error.message)
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
            (Answered::NotEngineIo { answer, reason }, _)
                if plain_websocket(ctx, answer.status) =>
            {
                Outcome::skip(format!(
                    "not a Socket.IO server: {} answered {path} with {reason}",
                    answer.who()
                ))
            }
            (Answered::NotEngineIo { answer, reason }, _) => Outcome::fail(format!(
                "Engine.IO is not served at {path}: {} answered with {reason}",
                answer.who()
            ))
            .fix(fixes::socketio_path(&path)),
            (Answered::Failed(f @ crate::probe::Failure::TimedOut(_)), _) => Outcome::fail(
                format!("the handshake got {f}"),
            )
            .fix(Fix::new(
                "Find out why the server does not answer",
                "It accepted the connection but sent nothing back: it is hung, or busy. A worker \
that serves one request at a time (gunicorn's sync worker) is held by another client's \
long-poll or websocket for up to the ping interval. Look at the server's log and CPU, and \
run it on a worker that serves many connections (see rtdoctor explain socketio.upgrade).",
            )),
            (Answered::Failed(f), _) => Outcome::fail(format!("the handshake got {f}")),
        };
        if let Answered::Open { open, .. } = primary {
            out = unusable(out, open);
        }
        if matches!(
            primary,
            Answered::Failed(crate::probe::Failure::TimedOut(_))
        ) {
            out = fixes::kill_hint(ctx, out).await;
        }
        for (label, h, eio) in [("EIO=4", &d.v4, Eio::V4), ("EIO=3", &d.v3, Eio::V3)] {
            if let Some(h) = h {
                describe(&mut out, label, h, &d.endpoint.with_eio(eio));
            }
        }
        out
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

/// The target is a plain WebSocket endpoint: a ws:// URL, or a server that
/// answers plain HTTP with 426 Upgrade Required (ws, Python websockets).
/// `--ws-path` alone says nothing: a server may serve both.
fn plain_websocket(ctx: &Ctx, status: u16) -> bool {
    matches!(
        ctx.target.scheme,
        crate::target::Scheme::Ws | crate::target::Scheme::Wss
    ) || status == 426
}

fn version_refused(d: &EioVersion, mode: EioMode, primary: &Answered, message: &str) -> Outcome {
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
            let v3_ok = matches!(d.v3, Some(Answered::Open { .. }));
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
