//! `cors`: will a browser on `--origin` (or `--page`'s origin) be allowed
//! to use the polling transport and the WebSocket upgrade? Browsers enforce
//! Access-Control-Allow-Origin on polling requests; servers check Origin on
//! the upgrade themselves.

use async_trait::async_trait;
use url::Url;

use super::backend::{Backend, Proxy, Words};
use super::fixes;
use super::websocket::endpoints;
use super::{Check, Ctx};
use crate::probe::Failure;
use crate::probe::eio_version::Family;
use crate::probe::handshake::{self, Request};
use crate::probe::http::Answer;
use crate::probe::proxy_name::proxy_name;
use crate::protocol::engineio::{self as eio, ErrorKind};
use crate::report::{Fix, Outcome, Status};
use crate::secret::Header;

pub struct Cors;

#[async_trait]
impl Check for Cors {
    fn id(&self) -> &str {
        "cors"
    }

    fn title(&self) -> &str {
        "The browser's origin is allowed"
    }

    fn needs(&self) -> &[&str] {
        &["port.listen", "tls.certificate"]
    }

    fn explain(&self) -> &str {
        "With --origin (or --page's origin), as a browser on that origin would: GETs the Engine.IO \
polling handshake with that Origin and reads Access-Control-Allow-Origin and \
-Allow-Credentials; sends a preflight OPTIONS when extra headers are sent (-H), as browsers do \
for non-simple headers; and opens the WebSocket upgrade (Socket.IO's, and each plain \
WebSocket endpoint) with that Origin.\n\n\
Causes it tells apart:\n\
- python-socketio / Flask-SocketIO refuse the origin: 400 \"<origin> is not an accepted \
origin.\" Fix: cors_allowed_origins=['https://your.app'] (the default allows only the same \
origin).\n\
- socket.io answers 200 without Access-Control-Allow-Origin (its default: no CORS), so the \
browser blocks the answer. Fix: new Server(httpServer, { cors: { origin: ['https://your.app'], \
credentials: true } }).\n\
- Access-Control-Allow-Origin: * together with Access-Control-Allow-Credentials: true: \
browsers reject that combination. Fix: name the origin instead of *.\n\
- a preflight refused, or without the requested headers in Access-Control-Allow-Headers.\n\
- the WebSocket upgrade refused for that origin (400/401/403): the server's origin check.\n\
- a proxy that answers itself: its own CORS headers (nginx add_header …).\n\
Without an origin there is nothing to check: skipped.\n\n\
Proxy or server: when this check fails through a proxy (--backend names the server behind it, or \
rtdoctor finds it when the proxy runs on this machine), it runs again straight at that server. The server allows the origin on its own: the proxy strips or changes its Access-Control-* \
headers (compare both in the evidence)."
    }

    async fn run(&self, ctx: &Ctx) -> Outcome {
        let origin = ctx.probe.origin.clone().or_else(|| {
            ctx.probe
                .page
                .as_ref()
                .map(|p| p.origin().ascii_serialization())
        });
        let Some(origin) = origin else {
            return Outcome::skip(
                "no --origin or --page: CORS matters to browser clients; name the page's origin to check it",
            );
        };
        let started = std::time::Instant::now();
        let through = verdict(&observe(ctx, origin).await);
        super::backend::split(ctx, started, through, self, &words).await
    }
}

/// The server allows the origin on its own; through the proxy the browser
/// is refused: the proxy adds, strips or overrides Access-Control-*.
fn words(proxy: &Proxy, _: &Backend, _: &Outcome) -> Words {
    Words {
        works: "allows the origin directly".into(),
        fails: "it is refused".into(),
        fault: "strips or changes the server's Access-Control-* headers".into(),
        fix: Fix::new(
            format!("Let the server's CORS answer through {}", proxy.name),
            "The proxy adds, strips or overrides Access-Control-* headers (nginx: add_header, \
proxy_hide_header; HAProxy: http-response set-header/del-header; Caddy: header). Remove them and let \
the server answer CORS, or set them in one place only, naming the page's origin.",
        ),
    }
}

/// What a browser on `origin` would meet, as sent and answered.
struct Observation {
    origin: String,
    /// The Socket.IO server's family (its CORS setting is the fix).
    family: Family,
    /// The polling handshake with that Origin, when a session opens at all.
    polling: Option<Result<Answer, Failure>>,
    /// With -H headers: their names, and the preflight OPTIONS' answer.
    preflight: Option<(Vec<String>, Result<Answer, Failure>)>,
    /// Each WebSocket upgrade tried with that Origin.
    upgrades: Vec<UpgradeSeen>,
}

struct UpgradeSeen {
    url: Url,
    /// The Socket.IO server's family for its upgrade; `None` for a plain
    /// WebSocket endpoint.
    socketio: Option<Family>,
    answer: Result<Answer, handshake::Error>,
}

async fn observe(ctx: &Ctx, origin: String) -> Observation {
    let d = ctx.engineio().await;
    let mut seen = Observation {
        family: d.family(),
        polling: None,
        preflight: None,
        upgrades: Vec::new(),
        origin,
    };
    let origin = seen.origin.as_str();
    if d.speaks.is_some()
        && let Ok(http) = ctx.machine.http_for(&ctx.probe)
    {
        let mut headers = d.endpoint.headers.clone();
        headers.extend(Header::new("Origin", origin));
        let url = d.endpoint.polling(None);
        seen.polling = Some(http.get(&url, &headers, ctx.probe.timeout).await);
        if !ctx.probe.headers.is_empty() {
            let names: Vec<String> = ctx
                .probe
                .headers
                .iter()
                .map(|h| h.name().to_ascii_lowercase())
                .collect();
            let pre: Vec<Header> = [
                Header::new("Origin", origin),
                Header::new("Access-Control-Request-Method", "GET"),
                Header::new("Access-Control-Request-Headers", &names.join(",")),
            ]
            .into_iter()
            .flatten()
            .collect();
            let answer = http.options(&url, &pre, ctx.probe.timeout).await;
            seen.preflight = Some((names, answer));
        }
        let ws = d.endpoint.websocket(None);
        let answer = upgrade(ctx, &ws, origin).await;
        seen.upgrades.push(UpgradeSeen {
            url: ws,
            socketio: Some(seen.family),
            answer,
        });
    }
    for url in endpoints(ctx).await {
        let answer = upgrade(ctx, &url, origin).await;
        seen.upgrades.push(UpgradeSeen {
            url,
            socketio: None,
            answer,
        });
    }
    seen
}

/// The opening handshake at `url` with that Origin, as a browser sends it.
async fn upgrade(ctx: &Ctx, url: &Url, origin: &str) -> Result<Answer, handshake::Error> {
    let mut headers = ctx.probe.headers.clone();
    headers.extend(Header::new("Origin", origin));
    let req = Request {
        url,
        headers: &headers,
        subprotocols: &ctx.probe.subprotocols,
        offer_deflate: false,
        tls: ctx.machine.ws_tls_for(&ctx.probe).ok(),
    };
    handshake::upgrade(&req, ctx.probe.timeout)
        .await
        .map(|up| up.answer)
}

fn verdict(seen: &Observation) -> Outcome {
    let (origin, fam) = (seen.origin.as_str(), seen.family);
    let mut findings = Findings::default();
    match &seen.polling {
        Some(Ok(answer)) => findings.polling(answer, origin, fam),
        Some(Err(f)) => findings.fail(format!(
            "the polling handshake with Origin {origin} got {f}"
        )),
        None => {}
    }
    match &seen.preflight {
        Some((names, Ok(answer))) => findings.preflight(answer, origin, names, fam),
        Some((_, Err(f))) => findings.fail(format!("the preflight OPTIONS got {f}")),
        None => {}
    }
    for up in &seen.upgrades {
        findings.upgrade(up, origin);
    }
    findings.into_outcome(origin)
}

#[derive(Default)]
struct Findings {
    problems: Vec<String>,
    fine: Vec<String>,
    evidence: Vec<(String, String)>,
    fixes: Vec<Fix>,
}

impl Findings {
    fn fail(&mut self, what: String) {
        self.problems.push(what);
    }

    fn fix(&mut self, fix: Fix) {
        if !self.fixes.iter().any(|f| f.title == fix.title) {
            self.fixes.push(fix);
        }
    }

    fn polling(&mut self, answer: &Answer, origin: &str, fam: Family) {
        let acao = answer
            .header("access-control-allow-origin")
            .map(str::to_owned);
        let acac = answer
            .header("access-control-allow-credentials")
            .map(str::to_owned);
        self.evidence.push(("polling".into(), answer.status_line()));
        self.evidence.push((
            "  access-control-allow-origin".into(),
            acao.clone().unwrap_or_else(|| "(none)".into()),
        ));
        if let Some(c) = &acac {
            self.evidence
                .push(("  access-control-allow-credentials".into(), c.clone()));
        }
        if answer.status != 200 {
            match eio::decode_error(&answer.body) {
                Some(e)
                    if matches!(e.kind, ErrorKind::OriginNotAccepted | ErrorKind::Forbidden) =>
                {
                    self.fail(format!(
                        "the polling handshake refused the origin: {} \"{}\"",
                        answer.status_line(),
                        e.message
                    ));
                }
                _ => self.fail(format!(
                    "the polling handshake with Origin {origin} was answered {}",
                    answer.who()
                )),
            }
            self.fix_for(fam, origin, answer);
            return;
        }
        match acao.as_deref() {
            None => {
                self.fail(format!(
                    "the polling handshake has no Access-Control-Allow-Origin for {origin}: the browser blocks the answer"
                ));
                self.fix_for(fam, origin, answer);
            }
            Some("*") if acac.as_deref() == Some("true") => {
                self.fail("Access-Control-Allow-Origin: * with Access-Control-Allow-Credentials: true: browsers reject that pair".into());
                self.fix(Fix::new(
                    "Name the origin instead of *",
                    format!("With credentials, the allowed origin must be named: origin: ['{origin}'] (socket.io) or cors_allowed_origins=['{origin}'] (python-socketio)."),
                ));
            }
            Some(v) if v == "*" || v == origin => self.fine.push(format!("polling allows {v}")),
            Some(v) => {
                self.fail(format!("the polling handshake allows {v}, not {origin}"));
                self.fix_for(fam, origin, answer);
            }
        }
    }

    fn preflight(&mut self, answer: &Answer, origin: &str, names: &[String], fam: Family) {
        self.evidence
            .push(("preflight".into(), answer.status_line()));
        let allowed = answer
            .header("access-control-allow-headers")
            .unwrap_or("")
            .to_ascii_lowercase();
        self.evidence
            .push(("  access-control-allow-headers".into(), allowed.clone()));
        if !(200..300).contains(&answer.status) {
            self.fail(format!(
                "the preflight OPTIONS for headers {} was answered {}",
                names.join(", "),
                answer.who()
            ));
            self.fix_for(fam, origin, answer);
            return;
        }
        let missing: Vec<&String> = names
            .iter()
            .filter(|n| allowed != "*" && !allowed.split(',').any(|a| a.trim() == n.as_str()))
            .collect();
        if missing.is_empty() {
            self.fine.push("the preflight allows the headers".into());
        } else {
            let list = missing
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            self.fail(format!("the preflight does not allow the headers {list}"));
            self.fix(Fix::new(
                "Allow the request headers",
                format!("socket.io: cors: {{ origin: ['{origin}'], allowedHeaders: ['{list}'] }}. Behind a proxy: add_header Access-Control-Allow-Headers …"),
            ));
        }
    }

    /// A Socket.IO server's refusal gets that server's CORS setting as
    /// its fix; a plain endpoint's, its origin allow-list.
    fn upgrade(&mut self, up: &UpgradeSeen, origin: &str) {
        let (url, label) = (&up.url, format!("upgrade {}", up.url.path()));
        match &up.answer {
            Ok(answer) if answer.status == 101 => {
                self.evidence
                    .push((label, "101 Switching Protocols".into()));
                self.fine
                    .push(format!("the upgrade at {} accepts it", url.path()));
            }
            Ok(answer) => {
                self.evidence.push((
                    label,
                    format!(
                        "{}: {}",
                        answer.status_line(),
                        crate::protocol::preview(&answer.body, 120)
                    ),
                ));
                if matches!(answer.status, 400 | 401 | 403) {
                    self.fail(format!(
                        "the WebSocket upgrade at {} refused the origin: {}",
                        url.path(),
                        answer.status_line()
                    ));
                    match up.socketio {
                        Some(fam) => self.fix_for(fam, origin, answer),
                        None => self.fix(fixes::origin(origin)),
                    }
                }
            }
            Err(e) => self.evidence.push((label, e.to_string())),
        }
    }

    fn fix_for(&mut self, fam: Family, origin: &str, answer: &Answer) {
        if let Some(proxy) = proxy_name(answer) {
            self.fix(Fix::new(
                format!("The proxy ({proxy}) answers: give it the CORS headers"),
                format!("nginx: add_header Access-Control-Allow-Origin {origin} always; add_header Access-Control-Allow-Credentials true always;"),
            ));
        }
        match fam {
            Family::Python => self.fix(python_fix(origin)),
            Family::Node => self.fix(node_fix(origin)),
            Family::Unknown => {
                self.fix(node_fix(origin));
                self.fix(python_fix(origin));
            }
        }
    }

    fn into_outcome(self, origin: &str) -> Outcome {
        let mut out = if self.problems.is_empty() && self.fine.is_empty() {
            Outcome::skip(
                "no Socket.IO or plain WebSocket endpoint answered to test the origin against",
            )
        } else if self.problems.is_empty() {
            Outcome::pass(format!("{origin} is allowed: {}", self.fine.join(", ")))
        } else {
            let mut o = Outcome::new(Status::Fail, self.problems.join("; "));
            o.fixes = self.fixes;
            o
        };
        for (k, v) in self.evidence {
            out.push_evidence(k, v);
        }
        out
    }
}

fn python_fix(origin: &str) -> Fix {
    Fix::new(
        "python-socketio / Flask-SocketIO: allow the origin",
        format!(
            "socketio.AsyncServer(cors_allowed_origins=['{origin}']) or SocketIO(app, cors_allowed_origins=['{origin}']). The default allows only the server's own origin."
        ),
    )
}

fn node_fix(origin: &str) -> Fix {
    Fix::new(
        "socket.io: allow the origin",
        format!(
            "new Server(httpServer, {{ cors: {{ origin: ['{origin}'], credentials: true }} }}). By default socket.io sends no CORS headers."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::recorded::{self, answer};

    const EVIL: &str = "http://evil.example";

    fn seen(family: Family, polling: &str) -> Observation {
        Observation {
            origin: EVIL.into(),
            family,
            polling: Some(Ok(answer(polling))),
            preflight: None,
            upgrades: Vec::new(),
        }
    }

    fn socketio_upgrade(family: Family, recorded: &str) -> UpgradeSeen {
        UpgradeSeen {
            url: Url::parse("ws://127.0.0.1:42101/socket.io/?EIO=4&transport=websocket")
                .expect("a url"),
            socketio: Some(family),
            answer: Ok(answer(recorded)),
        }
    }

    fn titles(out: &Outcome) -> Vec<&str> {
        out.fixes.iter().map(|f| f.title.as_str()).collect()
    }

    #[test]
    fn python_socketio_refusing_the_origin_gets_cors_allowed_origins() {
        let mut o = seen(Family::Python, recorded::PY_EVIL_ORIGIN);
        o.upgrades
            .push(socketio_upgrade(Family::Python, recorded::PY_EVIL_ORIGIN));
        let out = verdict(&o);
        assert_eq!(out.status, Status::Fail);
        assert_eq!(
            out.summary,
            "the polling handshake refused the origin: HTTP/1.1 400 Bad Request \
\"http://evil.example is not an accepted origin.\"; the WebSocket upgrade at /socket.io/ \
refused the origin: HTTP/1.1 400 Bad Request"
        );
        assert_eq!(
            titles(&out),
            ["python-socketio / Flask-SocketIO: allow the origin"]
        );
        assert!(
            out.fixes[0]
                .detail
                .contains("cors_allowed_origins=['http://evil.example']")
        );
    }

    #[test]
    fn socket_io_without_cors_headers_is_blocked_by_the_browser() {
        let out = verdict(&seen(Family::Node, recorded::NODE4_OPEN));
        assert_eq!(
            out.summary,
            "the polling handshake has no Access-Control-Allow-Origin for http://evil.example: \
the browser blocks the answer"
        );
        assert_eq!(titles(&out), ["socket.io: allow the origin"]);
    }

    #[test]
    fn another_allowed_origin_is_named() {
        let out = verdict(&seen(Family::Node, recorded::NODE4_CORS_OTHER_ORIGIN));
        assert_eq!(
            out.summary,
            "the polling handshake allows http://allowed.example, not http://evil.example"
        );
    }

    #[test]
    fn an_echoed_origin_passes_and_a_star_with_credentials_fails() {
        let echoed = verdict(&seen(Family::Node, recorded::NODE2_EVIL_ORIGIN));
        assert_eq!(echoed.status, Status::Pass);
        assert_eq!(
            echoed.summary,
            "http://evil.example is allowed: polling allows http://evil.example"
        );
        let star = recorded::NODE2_EVIL_ORIGIN.replace(
            "Access-Control-Allow-Origin: http://evil.example",
            "Access-Control-Allow-Origin: *",
        );
        let out = verdict(&seen(Family::Node, &star));
        assert!(
            out.summary
                .starts_with("Access-Control-Allow-Origin: * with"),
            "{}",
            out.summary
        );
        assert_eq!(titles(&out), ["Name the origin instead of *"]);
    }

    #[test]
    fn a_refused_preflight_and_a_proxy_that_answers_are_named() {
        let mut o = seen(Family::Unknown, recorded::NGINX_502);
        o.preflight = Some((
            vec!["authorization".into()],
            Ok(answer(recorded::NODE4_PREFLIGHT)),
        ));
        let out = verdict(&o);
        assert_eq!(
            out.summary,
            "the polling handshake with Origin http://evil.example was answered HTTP/1.1 502 Bad \
Gateway (server: nginx/1.22.1); the preflight OPTIONS for headers authorization was answered \
HTTP/1.1 400 Bad Request"
        );
        assert_eq!(
            titles(&out),
            [
                "The proxy (nginx/1.22.1) answers: give it the CORS headers",
                "socket.io: allow the origin",
                "python-socketio / Flask-SocketIO: allow the origin"
            ]
        );
    }

    #[test]
    fn a_preflight_names_the_headers_it_does_not_allow() {
        let mut o = seen(Family::Node, recorded::NODE2_EVIL_ORIGIN);
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let preflight = || Ok(answer(recorded::NODE4_CORS_PREFLIGHT));
        o.preflight = Some((names(&["content-type"]), preflight()));
        assert_eq!(verdict(&o).status, Status::Pass);
        o.preflight = Some((names(&["content-type", "x-tag"]), preflight()));
        let out = verdict(&o);
        assert_eq!(
            out.summary,
            "the preflight does not allow the headers x-tag"
        );
        assert_eq!(titles(&out), ["Allow the request headers"]);
    }

    #[test]
    fn a_plain_endpoint_refusing_the_origin_gets_its_allow_list() {
        let mut o = seen(Family::Node, recorded::NODE2_EVIL_ORIGIN);
        o.upgrades.push(UpgradeSeen {
            url: Url::parse("ws://127.0.0.1:9000/ws").expect("a url"),
            socketio: None,
            answer: Ok(answer("HTTP/1.1 403 Forbidden\nContent-Length: 0\n\n")),
        });
        let out = verdict(&o);
        let said = (out.summary.as_str(), titles(&out));
        let expected = (
            "the WebSocket upgrade at /ws refused the origin: HTTP/1.1 403 Forbidden",
            vec!["Allow the origin http://evil.example"],
        );
        assert_eq!(said, expected);
    }

    #[test]
    fn nothing_to_test_against_is_a_skip() {
        let o = Observation {
            origin: EVIL.into(),
            family: Family::Unknown,
            polling: None,
            preflight: None,
            upgrades: Vec::new(),
        };
        assert_eq!(verdict(&o).status, Status::Skip);
    }
}
