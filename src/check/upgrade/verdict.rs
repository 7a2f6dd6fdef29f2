//! What `socketio.upgrade`'s observation means: the cause named, with its
//! fix. Pure, so every cause is tested on a recorded answer.

use super::observe::{Observation, Stop};
use super::stack::{DevServer, Stack};
use crate::check::fixes;
use crate::probe::http::Answer;
use crate::probe::proxy_name::proxy_name;
use crate::protocol::engineio::{self as eio, ErrorKind};
use crate::report::{Fix, Outcome};

pub fn verdict(seen: &Observation) -> Outcome {
    let mut out = match (&seen.upgraded, &seen.only) {
        (Ok(ms), Some(Ok(()))) => Outcome::pass(format!(
            "upgraded to websocket in {ms} ms (2probe → 3probe, 5) and a websocket-only connect works"
        )),
        (Ok(_), Some(Err(stop))) => {
            let mut o = stop.outcome(seen);
            o.summary = format!(
                "polling → websocket works, but a websocket-only connect fails: {}",
                o.summary
            );
            o
        }
        (Err(stop), only) => {
            let mut o = stop.outcome(seen);
            match only {
                Some(Ok(())) => o.push_evidence("websocket-only result", "works"),
                Some(Err(other)) => {
                    let summary = other.outcome(seen).summary;
                    o.push_evidence("websocket-only result", summary)
                }
                None => {}
            }
            o
        }
        (Ok(ms), None) => Outcome::pass(format!("upgraded to websocket in {ms} ms")),
    };
    // What the probe did first, then what the failure showed.
    let shown = std::mem::take(&mut out.evidence);
    for (k, v) in &seen.evidence {
        out.push_evidence(k.clone(), v.clone());
    }
    out.evidence.extend(shown);
    out
}

impl Stop {
    fn outcome(&self, seen: &Observation) -> Outcome {
        // gunicorn is named only when this run saw it: in the Server
        // header or as the port holder.
        let gunicorn = Stack::of(seen) == Some(Stack::Gunicorn);
        match self {
            Stop::NoUpgrades(upgrades) => Outcome::fail(format!(
                "the server offers no websocket upgrade (\"upgrades\":{}): it runs without WebSocket support{}",
                // As the open packet has it (JSON), not as Rust prints it.
                serde_json::to_string(upgrades).unwrap_or_default(),
                if gunicorn { " (gunicorn's sync worker)" } else { "" }
            ))
            .fix(worker_fix(seen))
            .fix(Fix::new(
                "Or turn upgrades back on",
                "The server may be configured to stay on polling: python-socketio / python-engineio \
allow_upgrades=False, or socket.io transports: ['polling']. Remove that setting.",
            )),
            Stop::Session(why) => Outcome::fail(format!("a new session did not open: {why}")),
            Stop::Refused(answer) => refused(answer, seen),
            Stop::NoAnswer(why) => Outcome::fail(why),
            Stop::Invalid(e) => Outcome::fail(format!("the upgrade answer is not a valid WebSocket handshake: {e}"))
                .fix(two_handlers_fix()),
            Stop::Garbage(e) => Outcome::fail(format!("101, then frames that do not parse: {e}")).fix(two_handlers_fix()),
            // A dev server (the port holder) leaves an upgrade its proxy
            // does not forward unanswered (Vite without ws: true, WIRE.md).
            Stop::Silent(why) if DevServer::of(seen).is_some() => Outcome::fail(format!(
                "{why}: the dev server holding the port does not forward websockets to the Socket.IO server"
            ))
            .fix(proxy_fix(seen)),
            Stop::Silent(why) => {
                let mut o = Outcome::fail(format!(
                    "{why}: the server's worker cannot serve websockets{}",
                    if gunicorn { " (gunicorn's sync worker)" } else { "" }
                ));
                o = o.fix(worker_fix(seen));
                o
            }
            Stop::Closed(why) => Outcome::fail(why).fix(worker_fix(seen)),
        }
    }
}

fn refused(answer: &Answer, seen: &Observation) -> Outcome {
    let proxy = proxy_name(answer);
    let engine = eio::decode_error(&answer.body);
    let who = answer.who();
    // The server's own words, quoted as they came (the renderers escape
    // what a terminal would act on), not in Rust's Debug escaping.
    let said = engine.as_ref().map(|e| format!("\"{}\"", e.message));
    let said = said.as_deref().unwrap_or_default();
    // What answered the upgrade, else what answered the handshake or holds the port.
    let stack = answer
        .server()
        .and_then(Stack::named)
        .or_else(|| Stack::of(seen));
    let mut out = match (&engine, answer.status, &proxy) {
        // The handshake offered websocket, so a "bad request" or "transport
        // unknown" (python-engineio: "Invalid transport") to a request that
        // left here with Upgrade: websocket means it arrived without it.
        (Some(e), _, _) if matches!(e.kind, ErrorKind::BadRequest | ErrorKind::TransportUnknown) => {
            Outcome::fail(format!(
                "the websocket upgrade was answered {who} with {said}: the request reached the server without its \
Upgrade/Connection headers, so a proxy in between dropped them"
            ))
            .fix(proxy_fix(seen))
        }
        (Some(e), _, _) if e.kind == ErrorKind::SessionIdUnknown => Outcome::fail(format!(
            "the websocket upgrade landed on a server process that does not know the session ({who}: {said}): \
several workers without sticky sessions"
        ))
        .fix(fixes::sticky()),
        (Some(_), _, _) => Outcome::fail(format!("the websocket upgrade was refused: {who}: {said}")),
        (None, _, Some(p)) => Outcome::fail(format!(
            "the proxy ({p}) answered the websocket upgrade {}: it does not pass websockets through",
            answer.status_line()
        ))
        .fix(proxy_fix(seen)),
        (None, 200, None) => Outcome::fail(format!(
            "the websocket upgrade was answered {who}: something in between (a proxy, a dev server, an SPA fallback) \
does not forward websockets"
        ))
        .fix(proxy_fix(seen)),
        (None, 404, None) => Outcome::fail(format!("no websocket handler at {}: {who}", seen.path))
            .fix(fixes::socketio_path(&seen.path)),
        (None, 400 | 500, None) if asgi_fix(stack).is_some() => Outcome::fail(format!(
            "the websocket upgrade was answered {who}, as plain HTTP: {} most likely runs without \
WebSocket support",
            stack.map_or("", Stack::name)
        ))
        .fix(asgi_fix(stack).unwrap_or_else(|| worker_fix(seen))),
        (None, _, None) => Outcome::fail(format!("the websocket upgrade was refused: {who}")),
    };
    answer.add_evidence(&mut out, "upgrade refused");
    out
}

fn worker_fix(seen: &Observation) -> Fix {
    match Stack::of(seen) {
        Some(Stack::Gunicorn) => gunicorn_fix(),
        stack => asgi_fix(stack).unwrap_or_else(|| {
            Fix::new(
                "Run the server on a worker that can serve websockets",
                "The server's worker cannot serve websockets. Common causes: gunicorn's default sync \
worker (use -k gevent -w 1 with gevent-websocket, -k eventlet -w 1, or --threads with simple-websocket); \
uvicorn without the websockets or wsproto package, or run with --ws none \
(pip install \"uvicorn[standard]\"); Flask-SocketIO / python-socketio in threading mode without \
simple-websocket; a WSGI server (uWSGI without --http-websockets, waitress, mod_wsgi) that has no \
websocket support.",
            )
        }),
    }
}

/// The ASGI server the evidence names, and how it gets WebSocket support.
fn asgi_fix(stack: Option<Stack>) -> Option<Fix> {
    let fix = match stack? {
        Stack::Gunicorn => return None,
        Stack::Uvicorn => Fix::new(
            "Give uvicorn a WebSocket implementation",
            "uvicorn serves websockets only with the websockets or wsproto package installed, and not \
with --ws none: without them it answers the upgrade as plain HTTP (\"Unsupported upgrade request\" \
in its log). Install uvicorn[standard] (or websockets) in the server's environment and restart it; \
drop --ws none. Under gunicorn -k uvicorn.workers.UvicornWorker the same holds.",
        )
        .command("pip install \"uvicorn[standard]\""),
        Stack::Hypercorn => Fix::new(
            "Give hypercorn its WebSocket support",
            "hypercorn serves websockets through wsproto, one of its dependencies: reinstall hypercorn \
in the server's environment so wsproto is present, and serve the ASGI application (not a WSGI one, \
which has no websockets).",
        )
        .command("pip install --force-reinstall hypercorn"),
        Stack::Daphne => Fix::new(
            "Route websockets in daphne's ASGI application",
            "daphne serves websockets only to an ASGI application that routes them: with Django Channels, \
asgi.py's ProtocolTypeRouter needs a \"websocket\" entry (a URLRouter with the Socket.IO path), \
and daphne must run that application, not the WSGI one.",
        ),
    };
    Some(fix)
}

/// The proxy fix: the dev server's own option when the port holder is one.
fn proxy_fix(seen: &Observation) -> Fix {
    proxy_fix_for(DevServer::of(seen))
}

/// The proxy fix for the dev server named, else the common one.
pub fn proxy_fix_for(dev: Option<DevServer>) -> Fix {
    let (title, detail) = match dev {
        None => return fixes::proxy(),
        Some(DevServer::Vite) => (
            "Add ws: true to Vite's server.proxy entry",
            "Vite (the port holder) proxies the app's requests with server.proxy, which passes websocket \
upgrades only with ws: true. In vite.config: server: { proxy: { '/socket.io': { target: \
'http://localhost:3000', ws: true } } }, the target being the Socket.IO server.",
        ),
        Some(DevServer::Webpack) => (
            "Add ws: true to webpack-dev-server's proxy entry",
            "webpack-dev-server (the port holder) passes websocket upgrades only for a proxy entry with \
ws: true. In webpack.config devServer: proxy: [{ context: ['/socket.io'], target: \
'http://localhost:3000', ws: true }].",
        ),
        Some(DevServer::CreateReactApp) => (
            "Proxy /socket.io with ws: true in src/setupProxy.js",
            "Create React App (the port holder) does not pass websocket upgrades through package.json's \
\"proxy\". Add src/setupProxy.js: app.use('/socket.io', createProxyMiddleware({ target: \
'http://localhost:3000', ws: true })) (http-proxy-middleware), and remove \"proxy\".",
        ),
        Some(DevServer::Angular) => (
            "Add \"ws\": true to the Angular proxy config",
            "ng serve (the port holder) passes websocket upgrades only for a proxy.conf.json entry with \
\"ws\": true: { \"/socket.io\": { \"target\": \"http://localhost:3000\", \"ws\": true } }, served with \
ng serve --proxy-config proxy.conf.json.",
        ),
        Some(DevServer::Next) => (
            "Connect the client to the Socket.IO server itself",
            "next dev (the port holder) rewrites do not pass websocket upgrades. Point the client at \
the Socket.IO server's own URL (io('http://localhost:3000'), with CORS allowing the page's \
origin), or serve Socket.IO from a custom Next.js server.",
        ),
    };
    Fix::new(title, detail)
}

fn gunicorn_fix() -> Fix {
    Fix::new(
        "Run the server on a worker that can serve websockets",
        "Flask-SocketIO / python-socketio under gunicorn: the default sync worker serves one request \
at a time and no websockets. Use gunicorn -k gevent -w 1 (with gevent-websocket) or \
-k eventlet -w 1, or threading mode with simple-websocket and enough threads \
(gunicorn -w 1 --threads 100 app:app). Keep one worker unless sessions are sticky.",
    )
    .command("gunicorn -w 1 --threads 100 app:app")
}

fn two_handlers_fix() -> Fix {
    Fix::new(
        "Attach one upgrade handler per path",
        "Two WebSocket handlers on one HTTP server (e.g. a ws WebSocketServer({ server }) and \
socket.io) both answer the same upgrade and corrupt its frames. Give the ws server its own \
path (new WebSocketServer({ server, path: '/ws' })) or noServer with a handleUpgrade router.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::recorded::{self, answer};
    use crate::protocol::engineio::{Eio, parse_handshake};
    use crate::report::Status;

    fn seen(server: Option<&str>, upgraded: Result<u128, Stop>) -> Observation {
        Observation {
            evidence: vec![(
                "session".into(),
                "sid cZ5ANK6K8LgATiJhAAAA, upgrades [\"websocket\"]".into(),
            )],
            server: server.map(str::to_owned),
            holder: None,
            path: "/socket.io/".into(),
            upgraded,
            only: None,
        }
    }

    fn refused_by(recorded: &str) -> Outcome {
        let mut o = seen(None, Err(Stop::Refused(answer(recorded))));
        o.only = Some(Ok(()));
        verdict(&o)
    }

    fn titles(out: &Outcome) -> Vec<&str> {
        out.fixes.iter().map(|f| f.title.as_str()).collect()
    }

    /// The summary begins with `cause` and the one fix is `fix`.
    fn named(out: &Outcome, cause: &str, fix: &str) {
        assert!(out.summary.starts_with(cause), "{}", out.summary);
        assert_eq!(titles(out), [fix]);
    }

    #[test]
    fn an_upgrade_and_a_websocket_only_connect_pass() {
        let mut o = seen(None, Ok(4));
        o.only = Some(Ok(()));
        let out = verdict(&o);
        assert_eq!(out.status, Status::Pass);
        assert_eq!(
            out.summary,
            "upgraded to websocket in 4 ms (2probe → 3probe, 5) and a websocket-only connect works"
        );
    }

    #[test]
    fn no_upgrade_offered_names_the_sync_worker_under_gunicorn() {
        // The open packet a server without WebSocket support sends.
        let body = recorded::GUNICORN_OPEN
            .split_once("\n\n")
            .map_or("", |(_, b)| b);
        let no_ws = body.replace("[\"websocket\"]", "[]");
        let (open, _) = parse_handshake(no_ws.as_bytes(), Eio::V4).expect("an open packet");
        let stop = Stop::NoUpgrades(open.upgrades);
        let out = verdict(&seen(Some("gunicorn"), Err(stop)));
        assert_eq!(
            out.summary,
            "the server offers no websocket upgrade (\"upgrades\":[]): it runs without WebSocket \
support (gunicorn's sync worker)"
        );
        assert_eq!(
            titles(&out),
            [
                "Run the server on a worker that can serve websockets",
                "Or turn upgrades back on"
            ]
        );
    }

    #[test]
    fn a_proxy_that_drops_the_upgrade_headers_is_named_for_node_and_python() {
        for recorded in [
            recorded::NGINX_NODE4_NO_UPGRADE,
            recorded::NGINX_PY_NO_UPGRADE,
        ] {
            let out = refused_by(recorded);
            assert!(
                out.summary.starts_with(
                    "the websocket upgrade was answered HTTP/1.1 400 Bad Request (server: nginx/1.22.1) with "
                ) && out.summary.ends_with("so a proxy in between dropped them"),
                "{}",
                out.summary
            );
            assert_eq!(titles(&out), ["Pass websocket upgrades through the proxy"]);
            let labels: Vec<&str> = out.evidence.iter().map(|e| e.label.as_str()).collect();
            assert_eq!(
                labels[..3],
                ["session", "upgrade refused", "  server"],
                "the probe's steps first"
            );
            assert_eq!(labels.last(), Some(&"websocket-only result"));
        }
    }

    #[test]
    fn the_server_s_words_are_quoted_as_they_came() {
        let out = refused_by(recorded::NGINX_NODE4_NO_UPGRADE);
        assert_eq!(
            out.summary,
            "the websocket upgrade was answered HTTP/1.1 400 Bad Request (server: nginx/1.22.1) \
with \"Bad request\": the request reached the server without its Upgrade/Connection headers, so \
a proxy in between dropped them"
        );
    }

    #[test]
    fn an_upgrade_on_the_other_upstream_needs_sticky_sessions() {
        let out = refused_by(recorded::NGINX_ROUNDROBIN_UPGRADE);
        named(
            &out,
            "the websocket upgrade landed on a server process that does not know the session",
            "Make sessions sticky, or run one process",
        );
    }

    #[test]
    fn a_proxy_error_page_and_a_missing_handler_are_told_apart() {
        let down = refused_by(recorded::NGINX_502);
        assert_eq!(
            down.summary,
            "the proxy (nginx/1.22.1) answered the websocket upgrade HTTP/1.1 502 Bad Gateway: it \
does not pass websockets through"
        );
        let missing = refused_by(recorded::GUNICORN_404);
        assert_eq!(
            missing.summary,
            "no websocket handler at /socket.io/: HTTP/1.1 404 NOT FOUND (server: gunicorn)"
        );
        assert_eq!(
            titles(&missing),
            ["Serve Engine.IO at the path the client uses, on both sides"]
        );
    }

    /// WIRE.md "Vite": Vite's dev server without ws: true leaves the
    /// upgrade unanswered, its socket open. The port holder names Vite, and
    /// no worker (gunicorn) is blamed.
    #[test]
    fn silence_from_a_dev_server_names_its_proxy_option_not_a_worker() {
        let stop = Stop::Silent(
            "the websocket upgrade got no answer within 5000 ms while a long-poll was pending"
                .into(),
        );
        let mut o = seen(None, Err(stop));
        o.holder = Some("node /app/node_modules/vite/bin/vite.js --port 5173".into());
        let out = verdict(&o);
        assert!(
            out.summary.ends_with(
                "pending: the dev server holding the port does not forward websockets to the \
Socket.IO server"
            ),
            "{}",
            out.summary
        );
        assert_eq!(titles(&out), ["Add ws: true to Vite's server.proxy entry"]);
        assert!(!format!("{out:?}").contains("gunicorn"));
    }

    /// WIRE.md 4: a websocket attempt while a long-poll is pending on
    /// gunicorn's only sync worker gets no response head at all.
    #[test]
    fn silence_while_a_poll_is_pending_is_the_worker() {
        let stop = Stop::Silent(
            "the websocket upgrade got no answer within 5000 ms while a long-poll was pending"
                .into(),
        );
        let out = verdict(&seen(Some("gunicorn"), Err(stop)));
        assert_eq!(
            out.summary,
            "the websocket upgrade got no answer within 5000 ms while a long-poll was pending: the \
server's worker cannot serve websockets (gunicorn's sync worker)"
        );
        assert_eq!(
            out.fixes[0].command.as_deref(),
            Some("gunicorn -w 1 --threads 100 app:app")
        );
    }

    #[test]
    fn a_working_upgrade_with_a_failing_websocket_only_connect_says_both() {
        let mut o = seen(None, Ok(3));
        o.only = Some(Err(Stop::Garbage(
            "a 12-byte binary frame waiting for the open packet".into(),
        )));
        let out = verdict(&o);
        assert_eq!(out.status, Status::Fail);
        assert_eq!(
            out.summary,
            "polling → websocket works, but a websocket-only connect fails: 101, then frames that \
do not parse: a 12-byte binary frame waiting for the open packet"
        );
        assert_eq!(titles(&out), ["Attach one upgrade handler per path"]);
    }

    /// WIRE.md 4: gunicorn's worker timeout kills the worker holding a
    /// websocket; its 500 page arrives inside the stream, read as a close.
    #[test]
    fn a_websocket_closed_under_the_client_is_the_worker_too() {
        let stop = Stop::Closed(
            "the server closed the websocket waiting for the answer to 40 (code 21584 )".into(),
        );
        let mut o = seen(Some("gunicorn"), Ok(2));
        o.only = Some(Err(stop));
        let out = verdict(&o);
        assert!(out.summary.ends_with("(code 21584 )"), "{}", out.summary);
        assert_eq!(
            titles(&out),
            ["Run the server on a worker that can serve websockets"]
        );
    }

    #[test]
    fn an_spa_fallback_a_bad_101_and_a_stall_are_told_apart() {
        named(
            &refused_by(recorded::SPA_FALLBACK),
            "the websocket upgrade was answered HTTP/1.1 200 OK: something in between",
            "Pass websocket upgrades through the proxy",
        );
        let invalid = Stop::Invalid("no Upgrade header".into());
        let out = verdict(&seen(None, Err(invalid)));
        assert_eq!(
            out.summary,
            "the upgrade answer is not a valid WebSocket handshake: no Upgrade header"
        );
        assert_eq!(titles(&out), ["Attach one upgrade handler per path"]);
        let pinging = Stop::NoAnswer(
            "101 Switching Protocols, then only the server's own ping frames (3) for 5000 ms \
waiting for 3probe after 2probe"
                .into(),
        );
        let out = verdict(&seen(Some("gunicorn"), Err(pinging)));
        assert!(
            out.fixes.is_empty(),
            "a server that pings is not the silent worker"
        );
    }

    const SILENT: &str =
        "the websocket upgrade got no answer within 5000 ms while a long-poll was pending";

    /// Without a Server header, gunicorn as the port holder still names it.
    #[test]
    fn the_port_holders_command_line_names_the_sync_worker() {
        let mut o = seen(None, Err(Stop::Silent(SILENT.into())));
        o.holder = Some("/srv/venv/bin/python /srv/venv/bin/gunicorn -w 1 app:app".into());
        let out = verdict(&o);
        assert!(
            out.summary.ends_with("(gunicorn's sync worker)"),
            "{}",
            out.summary
        );
        assert_eq!(
            out.fixes[0].command.as_deref(),
            Some("gunicorn -w 1 --threads 100 app:app")
        );
    }

    /// Nothing seen names gunicorn: the fix lists the common causes and
    /// gives no gunicorn command.
    #[test]
    fn without_evidence_the_worker_is_not_named() {
        let mut o = seen(
            Some("Python/3.11 aiohttp/3.14.5"),
            Err(Stop::Silent(SILENT.into())),
        );
        o.holder = Some("python3 app.py".into());
        let out = verdict(&o);
        assert_eq!(
            out.summary,
            format!("{SILENT}: the server's worker cannot serve websockets")
        );
        assert_eq!(out.fixes.len(), 1);
        assert_eq!(out.fixes[0].command, None);
        let detail = &out.fixes[0].detail;
        assert!(detail.starts_with("The server's worker cannot serve websockets. Common causes: gunicorn's default sync worker"), "{detail}");
        assert!(detail.contains("uvicorn[standard]"), "{detail}");
    }

    /// uvicorn without a WebSocket library answers the upgrade 500.
    #[test]
    fn uvicorn_without_websockets_is_named_with_its_install() {
        let out = refused_by(recorded::UVICORN_NO_WS);
        named(
            &out,
            "the websocket upgrade was answered HTTP/1.1 500 Internal Server Error (server: uvicorn), \
as plain HTTP: uvicorn most likely runs without WebSocket support",
            "Give uvicorn a WebSocket implementation",
        );
        assert_eq!(
            out.fixes[0].command.as_deref(),
            Some("pip install \"uvicorn[standard]\"")
        );
    }

    /// The same 500 from a server nothing names stays unnamed.
    #[test]
    fn a_500_from_an_unnamed_server_names_no_product() {
        let unnamed = recorded::UVICORN_NO_WS.replace("server: uvicorn\n", "");
        let out = refused_by(&unnamed);
        assert_eq!(
            out.summary,
            "the websocket upgrade was refused: HTTP/1.1 500 Internal Server Error"
        );
        assert!(out.fixes.is_empty());
    }

    /// hypercorn and daphne, named by the port holder, get their own fix.
    #[test]
    fn hypercorn_and_daphne_are_named_from_the_port_holder() {
        let unnamed = recorded::UVICORN_NO_WS.replace("server: uvicorn\n", "");
        for (cmd, title) in [
            (
                "/venv/bin/python /venv/bin/hypercorn app:app",
                "Give hypercorn its WebSocket support",
            ),
            (
                "/venv/bin/python /venv/bin/daphne project.asgi:application",
                "Route websockets in daphne's ASGI application",
            ),
        ] {
            let mut o = seen(None, Err(Stop::Refused(answer(&unnamed))));
            o.holder = Some(cmd.into());
            assert_eq!(titles(&verdict(&o)), [title]);
        }
    }

    /// A dev server as the port holder gets its own proxy option.
    #[test]
    fn a_dev_server_holding_the_port_gets_its_proxy_option() {
        for (cmd, title) in [
            (
                "node /app/node_modules/.bin/vite",
                "Add ws: true to Vite's server.proxy entry",
            ),
            ("ng serve", "Add \"ws\": true to the Angular proxy config"),
            (
                "node /app/node_modules/.bin/next dev",
                "Connect the client to the Socket.IO server itself",
            ),
        ] {
            let mut o = seen(None, Err(Stop::Refused(answer(recorded::SPA_FALLBACK))));
            o.holder = Some(cmd.into());
            assert_eq!(titles(&verdict(&o)), [title]);
        }
        // Without the holder, the generic proxy fix.
        named(
            &refused_by(recorded::SPA_FALLBACK),
            "the websocket upgrade was answered HTTP/1.1 200 OK",
            "Pass websocket upgrades through the proxy",
        );
    }
}
