//! `socketio.namespace`: does the server accept a Socket.IO CONNECT to the
//! namespace (with `--auth`), and if not, what did it say?

use std::time::Instant;

use async_trait::async_trait;

use super::{Check, Ctx};
use crate::probe::engineio::Session;
use crate::protocol::engineio::{Eio, Kind, Packet};
use crate::protocol::socketio::{self, ConnectReply};
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
- a reply rtdoctor will not read (over 64 KiB, or JSON nested deeper than 128 levels): said \
as such, with its size or depth, not as \"no reply\".\n\
- no reply: the server never answered the CONNECT within the timeout."
    }

    async fn run(&self, ctx: &Ctx) -> Outcome {
        let d = ctx.engineio().await;
        let (endpoint, http) = match d.session() {
            Ok(s) => s,
            Err(skip) => return skip,
        };
        let timeout = ctx.probe.timeout;
        let nsp = ctx.probe.namespace.as_str();
        let eio = endpoint.eio;
        let mut session = match Session::open(http, endpoint, timeout).await {
            Ok(s) => s,
            Err(h) => {
                return Outcome::fail(format!("a new session did not open: {}", h.summary()));
            }
        };
        let start = Instant::now();
        let mut evidence = vec![(
            "session".to_string(),
            format!("sid {}, Engine.IO {}", session.sid(), eio.number()),
        )];
        // socket.io 2 connects the default namespace by itself.
        if !(eio == Eio::V3 && nsp == "/") {
            let auth = ctx.probe.auth.as_ref().map(crate::secret::Secret::expose);
            let connect = socketio::connect(nsp, auth, eio);
            let shown = if ctx.probe.auth.is_some() && eio == Eio::V4 {
                format!(
                    "4{}",
                    socketio::connect(nsp, None, eio).trim_end_matches(',')
                ) + " + auth (not shown)"
            } else {
                format!("4{connect}")
            };
            evidence.push(("sent".into(), shown));
            if ctx.probe.auth.is_some() && eio == Eio::V3 {
                evidence.push((
                    "note".into(),
                    "socket.io 2.x takes no CONNECT auth payload; --auth was not sent".into(),
                ));
            }
            match session
                .send(&[Packet::new(Kind::Message, connect)], timeout)
                .await
            {
                Ok(a) if a.status == 200 => {}
                Ok(a) => {
                    session.close(timeout).await;
                    let unknown = crate::protocol::engineio::decode_error(&a.body).filter(|e| {
                        e.kind == crate::protocol::engineio::ErrorKind::SessionIdUnknown
                    });
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
                    let mut out = with(out, evidence);
                    a.add_evidence(&mut out, "answer");
                    return out;
                }
                Err(f) => {
                    return with(
                        Outcome::fail(format!("sending the CONNECT got {f}")),
                        evidence,
                    );
                }
            }
        }
        let mut outcome = None;
        for _ in 0..MAX_POLLS {
            let packets = match session.receive(timeout).await {
                Ok(p) => p,
                Err(e) => {
                    outcome = Some(Outcome::fail(format!("waiting for the CONNECT reply: {e}")));
                    break;
                }
            };
            for p in packets {
                evidence.push((
                    "received".into(),
                    crate::protocol::preview(p.encode().as_bytes(), 160),
                ));
                if p.kind == Kind::Close {
                    outcome = Some(Outcome::fail(
                        "the server closed the session instead of answering the CONNECT",
                    ));
                    break;
                }
                if p.kind != Kind::Message {
                    continue;
                }
                // A reply rtdoctor cannot read is said as such, not waited
                // past until the poll times out ("no answer").
                let packet = match socketio::decode(&p.data) {
                    Ok(packet) => packet,
                    Err(e) => {
                        outcome = Some(Outcome::fail(format!(
                            "the server answered the CONNECT for {nsp} with a packet rtdoctor \
refused: {e}"
                        )));
                        break;
                    }
                };
                if let Some(reply) = socketio::connect_reply(&packet, nsp) {
                    outcome = Some(verdict(reply, nsp, start.elapsed().as_millis()));
                    break;
                }
            }
            if outcome.is_some() {
                break;
            }
        }
        session.close(timeout).await;
        let out = outcome.unwrap_or_else(|| {
            Outcome::fail(format!(
                "no reply to the CONNECT for {nsp} after {MAX_POLLS} polls"
            ))
        });
        with(out, evidence)
    }
}

fn verdict(reply: ConnectReply, nsp: &str, ms: u128) -> Outcome {
    match reply {
        ConnectReply::Connected { sid } => Outcome::pass(format!(
            "connected to {nsp} in {ms} ms{}",
            sid.map(|s| format!(" (sid {s})")).unwrap_or_default()
        )),
        ConnectReply::Refused { message } => {
            let unknown = message.to_ascii_lowercase().contains("invalid namespace")
                || message.to_ascii_lowercase().contains("unable to connect");
            let out = Outcome::fail(format!(
                "the server refused the CONNECT to {nsp}: \"{message}\""
            ));
            if unknown {
                out.fix(Fix::new(
                    format!("Define {nsp} on the server, or connect to one it has"),
                    format!(
                        "Node: io.of('{nsp}').on('connection', …). python-socketio: \
@sio.on('connect', namespace='{nsp}'). The client connects with io('http://host:port{nsp}')."
                    ),
                ))
            } else {
                out.fix(
                    Fix::new(
                        "Send what the server's connect handler or middleware wants",
                        "A connect handler (python-socketio: return False / raise ConnectionRefusedError) \
or a middleware (Node: io.use / io.of(…).use calling next(new Error(…))) refused it, usually for \
missing credentials. Client: io(url, { auth: { token } }). Check it here with --auth.",
                    )
                    .command(format!("rtdoctor check … --namespace {nsp} --auth '{{\"token\":\"…\"}}'")),
                )
            }
        }
    }
}

fn with(mut out: Outcome, evidence: Vec<(String, String)>) -> Outcome {
    for (k, v) in evidence {
        out.push_evidence(k, v);
    }
    out
}
