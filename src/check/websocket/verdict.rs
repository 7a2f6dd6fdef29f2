//! What `websocket.upgrade`'s observation of one endpoint means: the
//! cause named, with its fix. Pure, so every cause is tested on a recorded
//! answer.

use url::Url;

use super::observe::{Observation, Session};
use crate::check::fixes;
use crate::probe::Failure;
use crate::probe::handshake;
use crate::probe::http::Answer;
use crate::probe::proxy_name::proxy_name;
use crate::probe::ws::{ConnectError, RecvError};
use crate::report::{Fix, Outcome, Status};

pub fn verdict(seen: &Observation, url: &Url) -> Outcome {
    let up = match &seen.handshake {
        Err(e) => return Outcome::fail(e.clone()),
        Ok(Err(e)) => {
            let mut out = Outcome::fail(format!("the upgrade got {e}"));
            out.fixes.extend(reset_hint(e));
            return out;
        }
        Ok(Ok(up)) if up.answer.status != 101 => {
            return refusal(&up.answer, url, seen.origin.as_deref());
        }
        Ok(Ok(up)) => up,
    };
    let notes = up.answer.evidence("handshake");
    if up.accept_ok == Some(false) {
        return with(
            Outcome::fail(
                "101 Switching Protocols, but Sec-WebSocket-Accept does not match the key sent: something in \
between (a proxy or middleware) rewrote the handshake, and every client will close the connection",
            )
            .fix(fixes::ws_proxy(url.path())),
            notes,
        );
    }
    let (chosen, agreement) = negotiated(&up.answer, &seen.subprotocols);
    let status = if agreement.is_some() {
        Status::Warn
    } else {
        Status::Pass
    };
    match &seen.session {
        None => with(Outcome::new(status, format!("101{chosen}")), notes),
        Some(Err(e)) => connect_failed(e, url, seen.origin.as_deref(), notes),
        Some(Ok(session)) => session_outcome(session, (status, &chosen, agreement), notes),
    }
}

/// What the server chose of what was offered, for the summary, and the
/// fix when it chose no subprotocol of those asked for.
fn negotiated(answer: &Answer, subprotocols: &[String]) -> (String, Option<Fix>) {
    let mut chosen = String::new();
    let mut agreement = None;
    if !subprotocols.is_empty() {
        match answer.header("sec-websocket-protocol") {
            Some(p) => chosen.push_str(&format!(", subprotocol {p}")),
            None => {
                agreement = Some(Fix::new(
                    "Agree on a subprotocol",
                    format!(
                        "The client offered {} and the server chose none. Browsers fail the connection \
when they asked for a subprotocol and got none: register it on the server (ws: handleProtocols; \
websockets: subprotocols=[…]) or stop asking for it.",
                        subprotocols.join(", ")
                    ),
                ));
                chosen.push_str(&format!(
                    ", none of the subprotocols {} was chosen",
                    subprotocols.join(", ")
                ));
            }
        }
    }
    chosen.push_str(&match answer.header("sec-websocket-extensions") {
        Some(e) => format!(", extensions {e}"),
        None => ", no extensions".to_string(),
    });
    (chosen, agreement)
}

/// The second connection did not upgrade.
fn connect_failed(
    e: &ConnectError,
    url: &Url,
    origin: Option<&str>,
    notes: Vec<(String, String)>,
) -> Outcome {
    match e {
        ConnectError::Refused(answer) => refusal(answer, url, origin),
        ConnectError::WrongAccept(e) => with(
            Outcome::fail(format!("101, but the Sec-WebSocket-Accept is wrong ({e}): something in between rewrote the handshake"))
                .fix(fixes::ws_proxy(url.path())),
            notes,
        ),
        ConnectError::Protocol(e) => with(
            Outcome::fail(format!(
                "the upgrade answer is not a valid WebSocket handshake: {e}"
            )),
            notes,
        ),
        ConnectError::Failed(f) => with(Outcome::fail(format!("the upgrade got {f}")), notes),
    }
}

/// The ping, the pong and the close of the second connection.
/// `negotiated`: the status, the summary's words and the fix of what the
/// handshake agreed on, which stand when the session works.
fn session_outcome(
    session: &Session,
    negotiated: (Status, &str, Option<Fix>),
    mut notes: Vec<(String, String)>,
) -> Outcome {
    let (status, chosen, agreement) = negotiated;
    let pong = match &session.pong {
        Ok(pong) => pong,
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
    if let Some(g) = &pong.greeting {
        notes.push((
            "first message".into(),
            crate::protocol::preview(g.as_bytes(), 120),
        ));
    }
    let close = match pong.close {
        Some(code) => format!("closed with code {code}"),
        None => "the server sent no close frame back".to_string(),
    };
    let summary = format!(
        "101 in {} ms{chosen}, pong in {} ms, {close}",
        session.upgraded.as_millis(),
        pong.rtt.as_millis()
    );
    let mut out = Outcome::new(status, summary);
    out.fixes.extend(agreement);
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
        .fix(fixes::ws_proxy(url.path())),
        200 => Outcome::fail(format!("the upgrade was answered {who}: something in between does not forward websockets")).fix(fixes::ws_proxy(url.path())),
        426 => Outcome::fail(format!(
            "the upgrade was answered {who}: the server got the request without its Upgrade header, so a proxy in between dropped it"
        ))
        .fix(fixes::ws_proxy(url.path())),
        400 => match &proxy {
            Some(p) => Outcome::fail(format!("the proxy ({p}) answered the upgrade {}: it does not pass websockets through", answer.status_line()))
                .fix(fixes::ws_proxy(url.path())),
            // ws answers 400 for a path it does not serve, and servers
            // answer 400 to an upgrade that lost its headers on the way.
            None => Outcome::fail(format!(
                "the upgrade was refused: {who}: a path the server does not serve, or Upgrade headers that did not arrive"
            ))
            .fix(path_fix())
            .fix(fixes::ws_proxy(url.path())),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::recorded::{self, answer};
    use crate::check::websocket::observe::Pong;
    use crate::probe::handshake::Upgrade;
    use std::time::Duration;

    fn url() -> Url {
        Url::parse("ws://127.0.0.1:9000/ws").expect("a url")
    }

    fn opened(recorded: &str, accept_ok: Option<bool>) -> Observation {
        Observation {
            subprotocols: Vec::new(),
            origin: None,
            handshake: Ok(Ok(Upgrade {
                answer: answer(recorded),
                accept_ok,
            })),
            session: None,
        }
    }

    fn session(pong: Result<Pong, RecvError>) -> Option<Result<Session, ConnectError>> {
        Some(Ok(Session {
            upgraded: Duration::from_millis(3),
            pong,
        }))
    }

    fn pong(close: Option<u16>) -> Result<Pong, RecvError> {
        Ok(Pong {
            rtt: Duration::from_millis(1),
            greeting: Some("hello".into()),
            close,
        })
    }

    fn titles(out: &Outcome) -> Vec<&str> {
        out.fixes.iter().map(|f| f.title.as_str()).collect()
    }

    #[test]
    fn an_endpoint_that_upgrades_pongs_and_closes_passes() {
        let mut seen = opened(recorded::WS_SWITCHING, Some(true));
        seen.subprotocols = vec!["chat".into()];
        seen.session = session(pong(Some(1000)));
        let out = verdict(&seen, &url());
        assert_eq!(out.status, Status::Pass);
        assert_eq!(
            out.summary,
            "101 in 3 ms, subprotocol chat, extensions permessage-deflate; client_max_window_bits, \
pong in 1 ms, closed with code 1000"
        );
        assert!(
            out.evidence
                .iter()
                .any(|e| e.label == "first message" && e.value == "hello")
        );
    }

    #[test]
    fn no_subprotocol_chosen_warns_and_says_how_to_agree() {
        let mut seen = opened(recorded::WS_NO_UPGRADE, Some(true));
        if let Ok(Ok(up)) = &mut seen.handshake {
            up.answer = answer(
                "HTTP/1.1 101 Switching Protocols\nUpgrade: websocket\nConnection: Upgrade\n\n",
            );
        }
        seen.subprotocols = vec!["chat".into(), "json".into()];
        seen.session = session(pong(None));
        let out = verdict(&seen, &url());
        assert_eq!(out.status, Status::Warn);
        assert_eq!(
            out.summary,
            "101 in 3 ms, none of the subprotocols chat, json was chosen, no extensions, pong in 1 \
ms, the server sent no close frame back"
        );
        assert_eq!(titles(&out), ["Agree on a subprotocol"]);
    }

    #[test]
    fn a_wrong_accept_key_means_something_rewrote_the_handshake() {
        let out = verdict(&opened(recorded::WS_SWITCHING, Some(false)), &url());
        assert!(
            out.summary
                .starts_with("101 Switching Protocols, but Sec-WebSocket-Accept does not match")
        );
        assert_eq!(titles(&out), ["Pass websocket upgrades through the proxy"]);
        assert!(
            out.fixes[0].detail.contains("proxies /ws:"),
            "{}",
            out.fixes[0].detail
        );
    }

    #[test]
    fn each_refusal_names_its_cause() {
        let said = |recorded: &str| verdict(&opened(recorded, None), &url());
        let wrong_path = said(recorded::WS_WRONG_PATH);
        assert_eq!(
            wrong_path.summary,
            "the upgrade was refused: HTTP/1.1 400 Bad Request: a path the server does not serve, \
or Upgrade headers that did not arrive"
        );
        assert_eq!(
            titles(&wrong_path),
            [
                "Use the path the server registers",
                "Pass websocket upgrades through the proxy"
            ]
        );
        let dropped = said(recorded::WS_NO_UPGRADE).summary;
        assert!(
            dropped.ends_with("so a proxy in between dropped it"),
            "{dropped}"
        );
        let nginx = said(recorded::NGINX_NODE4_NO_UPGRADE).summary;
        assert_eq!(
            nginx,
            "the proxy (nginx/1.22.1) answered the upgrade HTTP/1.1 400 Bad Request: it does not \
pass websockets through"
        );
        let down = said(recorded::NGINX_502).summary;
        assert_eq!(
            down,
            "the proxy (nginx/1.22.1) answered HTTP/1.1 502 Bad Gateway: its upstream is down or unreachable"
        );
        let missing = said(recorded::GUNICORN_404).summary;
        assert_eq!(
            missing,
            "no WebSocket endpoint at /ws: HTTP/1.1 404 NOT FOUND (server: gunicorn)"
        );
    }

    #[test]
    fn a_refused_origin_gets_the_allow_list_fix_and_a_redirect_to_https_wss() {
        let mut seen = opened(recorded::WS_ORIGIN_REFUSED, None);
        seen.origin = Some("https://app.example".into());
        let out = verdict(&seen, &url());
        assert_eq!(
            out.summary,
            "the upgrade was refused HTTP/1.1 401 Unauthorized: the endpoint does not accept the \
origin https://app.example (or wants credentials)"
        );
        assert_eq!(
            titles(&out),
            [
                "Allow the origin https://app.example",
                "Send the credentials the endpoint wants"
            ]
        );
        let moved = "HTTP/1.1 301 Moved Permanently\nLocation: https://127.0.0.1:9000/ws\n\n";
        let out = verdict(&opened(moved, None), &url());
        assert_eq!(titles(&out), ["Use wss://"]);
    }

    #[test]
    fn a_silent_endpoint_and_a_reset_are_told_apart() {
        let mut seen = opened(recorded::WS_SWITCHING, Some(true));
        seen.session = session(Err(RecvError::TimedOut(Duration::from_millis(500), 2)));
        let out = verdict(&seen, &url());
        assert_eq!(
            out.summary,
            "101, but no pong within 500 ms (it sent 2 ping frames of its own meanwhile): the \
endpoint does not answer pings"
        );
        let reset = Observation {
            handshake: Ok(Err(handshake::Error::Failed(Failure::Reset))),
            ..opened(recorded::WS_SWITCHING, None)
        };
        let out = verdict(&reset, &url());
        assert_eq!(out.summary, "the upgrade got the connection was reset");
        assert_eq!(titles(&out), ["Check the scheme and the server's log"]);
    }

    #[test]
    fn an_html_page_and_frames_that_do_not_parse_are_named() {
        let page = verdict(&opened(recorded::SPA_FALLBACK, None), &url());
        assert_eq!(
            page.summary,
            "the upgrade was answered HTTP/1.1 200 OK with an HTML page: a proxy or an SPA \
fallback serves the app instead of upgrading"
        );
        let mut seen = opened(recorded::WS_SWITCHING, Some(true));
        seen.session = session(Err(RecvError::Garbage("reserved bits set".into())));
        let out = verdict(&seen, &url());
        assert_eq!(
            out.summary,
            "101, then frames that do not parse: reserved bits set"
        );
        assert_eq!(titles(&out), ["Attach one upgrade handler per path"]);
    }
}
