//! `websocket.upgrade`: does each plain WebSocket endpoint (`--ws-path`, a
//! ws:// target's own path) upgrade, with the right accept key, the
//! subprotocol and extensions asked for, answer a ping and close cleanly?

use std::time::Instant;

use async_trait::async_trait;
use url::Url;

use super::fixes;
use super::{Check, Ctx};
use crate::probe::Failure;
use crate::probe::handshake::{self, Request};
use crate::probe::http::Answer;
use crate::probe::proxy_name::proxy_name;
use crate::probe::ws::{self, ConnectError, RecvError};
use crate::report::{Fix, Outcome, Status};
use crate::secret::Header;
use crate::target::Scheme;

pub struct WebSocket;

#[async_trait]
impl Check for WebSocket {
    fn id(&self) -> &str {
        "websocket.upgrade"
    }

    fn title(&self) -> &str {
        "Plain WebSocket endpoint"
    }

    fn needs(&self) -> &[&str] {
        &["port.listen"]
    }

    fn explain(&self) -> &str {
        "For each --ws-path and for a ws:// or wss:// target's own path: sends the opening \
handshake (offering --subprotocol and permessage-deflate, with --origin and -H headers), \
checks the 101, the Sec-WebSocket-Accept against the key sent, and the subprotocol and \
extensions the server chose; then, on a second connection, a ping answered by a pong (its \
round-trip time) and a clean close (its close code).\n\n\
Causes it tells apart:\n\
- 404: no WebSocket endpoint at that path. Fix: the path the server registers (ws: new \
WebSocketServer({ server, path }); websockets: the handler's path).\n\
- 426 Upgrade Required, or a 400: the request reached the server without its Upgrade \
header: a proxy dropped it. Fix: proxy_http_version 1.1 and the Upgrade/Connection headers \
(nginx), ws: true (Vite/webpack dev proxy).\n\
- 200 (an HTML page): a proxy or an SPA fallback answers instead of upgrading.\n\
- a redirect (often http → https): use wss:// and the URL it names.\n\
- 403: the server refuses the origin (or wants credentials). Fix: its origin allow-list \
(ws: verifyClient; websockets: origins=[…]).\n\
- 101 with a wrong Sec-WebSocket-Accept: something in between rewrites the handshake.\n\
- 101, then frames that do not parse, no pong, or a reset: named with what arrived."
    }

    async fn run(&self, ctx: &Ctx) -> Outcome {
        let urls = endpoints(ctx).await;
        if urls.is_empty() {
            return Outcome::skip(
                "no plain WebSocket endpoint to probe: name one with --ws-path, or a ws:// target",
            );
        }
        let mut results = Vec::new();
        for url in &urls {
            results.push((url.clone(), probe(ctx, url).await));
        }
        combine(results)
    }
}

/// The endpoints to probe, in the order given, without repeats. A ws://
/// target's own path counts, but a bare `ws://host:port` in front of a
/// Socket.IO server is how Socket.IO clients are pointed at it, not a
/// plain WebSocket endpoint.
pub async fn endpoints(ctx: &Ctx) -> Vec<Url> {
    let mut base = ctx.target.url.clone();
    let tls = ctx.target.scheme.is_tls();
    let _ = base.set_scheme(if tls { "wss" } else { "ws" });
    let mut urls: Vec<Url> = Vec::new();
    if matches!(ctx.target.scheme, Scheme::Ws | Scheme::Wss)
        && (ctx.target.url.path() != "/" || ctx.engineio().await.speaks.is_none())
    {
        urls.push(ctx.target.url.clone());
    }
    for path in &ctx.probe.ws_paths {
        let mut url = base.clone();
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        url.set_path(path);
        url.set_query((!query.is_empty()).then_some(query));
        if !urls.contains(&url) {
            urls.push(url);
        }
    }
    urls
}

fn combine(results: Vec<(Url, Outcome)>) -> Outcome {
    if results.len() == 1 {
        let (url, mut out) = results.into_iter().next().expect("one result");
        out.summary = format!("{url}: {}", out.summary);
        return out;
    }
    let status = results
        .iter()
        .map(|(_, o)| o.status)
        .max()
        .unwrap_or(Status::Pass);
    let summary = results
        .iter()
        .map(|(url, o)| format!("{}: {}", url.path(), o.summary))
        .collect::<Vec<_>>()
        .join("; ");
    let mut out = Outcome::new(status, summary);
    for (url, o) in results {
        for e in o.evidence {
            out.push_evidence(format!("{} {}", url.path(), e.label), e.value);
        }
        for f in o.fixes {
            if !out.fixes.iter().any(|g| g.title == f.title) {
                out.fixes.push(f);
            }
        }
    }
    out
}

async fn probe(ctx: &Ctx, url: &Url) -> Outcome {
    let timeout = ctx.probe.timeout;
    let mut headers = ctx.probe.headers.clone();
    if let Some(origin) = &ctx.probe.origin {
        headers.extend(Header::new("Origin", origin));
    }
    let mut notes: Vec<(String, String)> = Vec::new();
    let mut chosen = String::new();
    let mut status = Status::Pass;
    let mut out_fixes = Vec::new();

    let tls = match ctx.host.ws_tls_for(&ctx.probe) {
        Ok(t) => t,
        Err(e) => return Outcome::fail(e),
    };

    // 1. The handshake as sent and answered, checked by hand.
    let req = Request {
        url,
        headers: &headers,
        subprotocols: &ctx.probe.subprotocols,
        offer_deflate: true,
        tls: Some(tls.clone()),
    };
    match handshake::upgrade(&req, timeout).await {
        Err(e) => {
            let mut out = Outcome::fail(format!("the upgrade got {e}"));
            out.fixes.extend(reset_hint(&e));
            return out;
        }
        Ok(up) if up.answer.status != 101 => {
            return refusal(&up.answer, url, ctx.probe.origin.as_deref());
        }
        Ok(up) => {
            notes.extend(up.answer.evidence("handshake"));
            if up.accept_ok == Some(false) {
                return with(
                    Outcome::fail(
                        "101 Switching Protocols, but Sec-WebSocket-Accept does not match the key sent: something in \
between (a proxy or middleware) rewrote the handshake, and every client will close the connection",
                    )
                    .fix(fixes::proxy()),
                    notes,
                );
            }
            let protocol = up
                .answer
                .header("sec-websocket-protocol")
                .map(str::to_owned);
            let extensions = up
                .answer
                .header("sec-websocket-extensions")
                .map(str::to_owned);
            if !ctx.probe.subprotocols.is_empty() {
                match &protocol {
                    Some(p) => chosen.push_str(&format!(", subprotocol {p}")),
                    None => {
                        status = Status::Warn;
                        out_fixes.push(Fix::new(
                            "Agree on a subprotocol",
                            format!(
                                "The client offered {} and the server chose none. Browsers fail the connection \
when they asked for a subprotocol and got none: register it on the server (ws: handleProtocols; \
websockets: subprotocols=[…]) or stop asking for it.",
                                ctx.probe.subprotocols.join(", ")
                            ),
                        ));
                        chosen.push_str(&format!(
                            ", none of the subprotocols {} was chosen",
                            ctx.probe.subprotocols.join(", ")
                        ));
                    }
                }
            }
            chosen.push_str(&match extensions {
                Some(e) => format!(", extensions {e}"),
                None => ", no extensions".to_string(),
            });
        }
    }

    // 2. A real client session: ping, pong, close.
    let mut ws_headers = headers.clone();
    if !ctx.probe.subprotocols.is_empty() && status == Status::Pass {
        ws_headers.extend(Header::new(
            "Sec-WebSocket-Protocol",
            &ctx.probe.subprotocols.join(", "),
        ));
    }
    let start = Instant::now();
    let mut conn = match ws::connect(url, &ws_headers, timeout, tls).await {
        Ok(c) => c,
        Err(ConnectError::Refused(answer)) => {
            return refusal(&answer, url, ctx.probe.origin.as_deref());
        }
        Err(ConnectError::WrongAccept(e)) => {
            return with(
                Outcome::fail(format!("101, but the Sec-WebSocket-Accept is wrong ({e}): something in between rewrote the handshake"))
                    .fix(fixes::proxy()),
                notes,
            );
        }
        Err(ConnectError::Protocol(e)) => {
            return with(
                Outcome::fail(format!(
                    "the upgrade answer is not a valid WebSocket handshake: {e}"
                )),
                notes,
            );
        }
        Err(ConnectError::Failed(f)) => {
            return with(Outcome::fail(format!("the upgrade got {f}")), notes);
        }
    };
    let upgraded_ms = start.elapsed().as_millis();
    let pong = match ws::ping(&mut conn.stream, timeout).await {
        Ok((rtt, greeting)) => {
            if let Some(g) = greeting {
                notes.push((
                    "first message".into(),
                    crate::protocol::preview(g.as_bytes(), 120),
                ));
            }
            format!("pong in {} ms", rtt.as_millis())
        }
        Err(RecvError::Garbage(e)) => {
            return with(
                Outcome::fail(format!("101, then frames that do not parse: {e}")).fix(Fix::new(
                    "Attach one upgrade handler per path",
                    "Two WebSocket handlers on one HTTP server (or a proxy that alters frames) corrupt the stream. \
Give each WebSocket server its own path, and check what sits between client and server.",
                )),
                notes,
            );
        }
        Err(RecvError::TimedOut(d, pings)) => {
            let meanwhile = match pings {
                0 => String::new(),
                n => format!(" (it sent {n} ping frames of its own meanwhile)"),
            };
            return with(
                Outcome::fail(format!(
                    "101, but no pong within {} ms{meanwhile}: the endpoint does not answer pings",
                    d.as_millis()
                )),
                notes,
            );
        }
        Err(RecvError::Failed(f)) => return with(Outcome::fail(format!("101, then {f}")), notes),
    };
    let close = match ws::close(&mut conn.stream, timeout).await {
        Some(code) => format!("closed with code {code}"),
        None => "the server sent no close frame back".to_string(),
    };
    let summary = format!("101 in {upgraded_ms} ms{chosen}, {pong}, {close}");
    let mut out = Outcome::new(status, summary);
    out.fixes = out_fixes;
    with(out, notes)
}

fn with(mut out: Outcome, notes: Vec<(String, String)>) -> Outcome {
    let shown = std::mem::take(&mut out.evidence);
    for (k, v) in notes {
        out.push_evidence(k, v);
    }
    out.evidence.extend(shown);
    out
}

/// A refused upgrade: what answered and what it means.
fn refusal(answer: &Answer, url: &Url, origin: Option<&str>) -> Outcome {
    let who = answer.who();
    let proxy = proxy_name(answer);
    let mut out = match answer.status {
        301 | 302 | 303 | 307 | 308 => {
            let location = answer.header("location").unwrap_or("(no location)");
            let o = Outcome::fail(format!("the upgrade was redirected: {who} to {location}; clients do not follow redirects on a websocket"));
            if location.starts_with("https://") || location.starts_with("wss://") {
                o.fix(Fix::new(
                    "Use wss://",
                    format!("The server sends plain-http clients to https. Connect to wss://{}{} directly.", url.host_str().unwrap_or(""), url.path()),
                ))
            } else {
                o.fix(Fix::new("Connect to where it redirects", format!("Use {location} (as ws:// or wss://) in the client.")))
            }
        }
        200 if answer.is_html() => Outcome::fail(format!(
            "the upgrade was answered {who} with an HTML page: a proxy or an SPA fallback serves the app instead of upgrading"
        ))
        .fix(fixes::proxy()),
        200 => Outcome::fail(format!("the upgrade was answered {who}: something in between does not forward websockets")).fix(fixes::proxy()),
        426 => Outcome::fail(format!(
            "the upgrade was answered {who}: the server got the request without its Upgrade header, so a proxy in between dropped it"
        ))
        .fix(fixes::proxy()),
        400 => match &proxy {
            Some(p) => Outcome::fail(format!("the proxy ({p}) answered the upgrade {}: it does not pass websockets through", answer.status_line()))
                .fix(fixes::proxy()),
            // ws answers 400 for a path it does not serve, and servers
            // answer 400 to an upgrade that lost its headers on the way.
            None => Outcome::fail(format!(
                "the upgrade was refused: {who}: a path the server does not serve, or Upgrade headers that did not arrive"
            ))
            .fix(path_fix())
            .fix(fixes::proxy()),
        },
        401 | 403 => match origin {
            Some(o) => Outcome::fail(format!(
                "the upgrade was refused {who}: the endpoint does not accept the origin {o} (or wants credentials)"
            ))
            .fix(fixes::origin(o))
            .fix(credentials_fix()),
            None => Outcome::fail(format!("the upgrade was refused {who}: an origin check or missing credentials"))
                .fix(credentials_fix())
                .fix(Fix::new(
                    "Check the origin too",
                    "Browsers always send Origin: run again with --origin set to your page's origin.",
                )),
        },
        404 => Outcome::fail(format!("no WebSocket endpoint at {}: {who}", url.path())).fix(path_fix()),
        502..=504 if proxy.is_some() => Outcome::fail(format!(
            "the proxy ({}) answered {}: its upstream is down or unreachable",
            proxy.unwrap_or_default(),
            answer.status_line()
        )),
        _ => Outcome::fail(format!("the upgrade was refused: {who}")),
    };
    answer.add_evidence(&mut out, "answer");
    out
}

fn path_fix() -> Fix {
    Fix::new(
        "Use the path the server registers",
        "ws: new WebSocketServer({ server, path: '/ws' }); Python websockets / FastAPI: the route of the websocket \
handler. Behind a proxy, the proxy must forward that path too.",
    )
}

fn credentials_fix() -> Fix {
    Fix::new(
        "Send the credentials the endpoint wants",
        "Pass them as a header (-H 'Authorization: Bearer …'), a cookie, or a query parameter, as your client does.",
    )
}

/// A reset or a close with no answer at all: usually a TLS-only port
/// dialled with ws://, or a server that crashed on the request.
fn reset_hint(e: &handshake::Error) -> Option<Fix> {
    matches!(e, handshake::Error::Failed(Failure::Reset)).then(|| {
        Fix::new(
            "Check the scheme and the server's log",
            "A reset during the handshake comes from a TLS-only port dialled with ws:// (use wss://), or a \
server that crashed on the request.",
        )
    })
}
