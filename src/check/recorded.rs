//! Answers real servers gave, copied from tests/servers/WIRE.md (status
//! line, headers, body; Date headers left out), for the unit tests of the
//! checks' verdicts: a verdict is tested on what a server really said, and
//! the integration tests prove the probes still observe it.

use crate::probe::handshake::parse_head;
use crate::probe::http::Answer;
use crate::report::Outcome;

/// A recorded answer: its head with one header a line, a blank line, the body.
pub fn answer(recorded: &str) -> Answer {
    let (head, body) = recorded.split_once("\n\n").unwrap_or((recorded, ""));
    let raw = format!("{}\r\n\r\n{body}", head.replace('\n', "\r\n"));
    parse_head(raw.as_bytes()).expect("a recorded answer parses")
}

/// An answer as `tests/servers/WIRE.md` recorded it: the status line, the
/// headers and the body. Built from its parts,
/// where `answer` takes the whole text.
pub fn recorded(status_line: &str, headers: &[(&str, &str)], body: &str) -> Answer {
    let mut words = status_line.splitn(3, ' ');
    Answer {
        version: words.next().unwrap_or_default().into(),
        status: words.next().and_then(|s| s.parse().ok()).unwrap_or(0),
        reason: words.next().unwrap_or_default().into(),
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: body.as_bytes().to_vec(),
        truncated: false,
        elapsed: std::time::Duration::from_millis(1),
    }
}

/// An outcome's evidence as (label, value) pairs, for the unit tests.
pub fn evidence(out: &Outcome) -> Vec<(&str, &str)> {
    out.evidence
        .iter()
        .map(|e| (e.label.as_str(), e.value.as_str()))
        .collect()
}

/// An outcome's status and summary, for the unit tests.
pub fn said(out: &Outcome) -> (crate::report::Status, &str) {
    (out.status, out.summary.as_str())
}

/// python-socketio 5 on aiohttp: the open packet (WIRE.md 1, "Open packet").
pub const PY_OPEN: &str = "HTTP/1.1 200 OK
Content-Type: text/plain; charset=UTF-8
Access-Control-Allow-Credentials: true
Content-Length: 118
Server: Python/3.11 aiohttp/3.14.5

0{\"sid\":\"bz-Qvm48dHlZhf7QAAAA\",\"upgrades\":[\"websocket\"],\"pingTimeout\":20000,\"pingInterval\":25000,\"maxPayload\":1000000}";

/// python-engineio's errors on aiohttp all come with this head: a 400 and
/// the message as a JSON string, in plain text.
macro_rules! py_error {
    ($length:literal, $body:literal) => {
        concat!(
            "HTTP/1.1 400 Bad Request\nContent-Type: text/plain\n",
            "Access-Control-Allow-Credentials: true\nContent-Length: ",
            $length,
            "\nServer: Python/3.11 aiohttp/3.14.5\n\n",
            $body
        )
    };
}

/// python-socketio 5 asked `EIO=3` (WIRE.md 1, "EIO=3").
pub const PY_EIO3_REFUSED: &str = py_error!(
    "84",
    "\"The client is using an unsupported version of the Socket.IO or Engine.IO protocols\""
);

/// python-socketio 5, default cors_allowed_origins, `Origin: http://evil.example`:
/// the polling handshake and the websocket upgrade both answer this
/// (WIRE.md 1, "Handshake with Origin" and "WebSocket upgrade with Origin").
pub const PY_EVIL_ORIGIN: &str =
    py_error!("48", "\"http://evil.example is not an accepted origin.\"");

/// socket.io 4.8, no options: the open packet (WIRE.md 2, "Open packet");
/// with any Origin it is the same, without Access-Control-Allow-Origin.
pub const NODE4_OPEN: &str = "HTTP/1.1 200 OK
Content-Type: text/plain; charset=UTF-8
Content-Length: 118
cache-control: no-store
Connection: keep-alive
Keep-Alive: timeout=5

0{\"sid\":\"oI_RwqgAEl4GkLK8AAAH\",\"upgrades\":[\"websocket\"],\"pingInterval\":25000,\"pingTimeout\":20000,\"maxPayload\":1000000}";

/// socket.io 4.8's Engine.IO errors all come with this head: a 400 and
/// a JSON body with the error's code.
macro_rules! node4_error {
    ($json:literal) => {
        concat!(
            "HTTP/1.1 400 Bad Request\nContent-Type: application/json\n",
            "Connection: keep-alive\nKeep-Alive: timeout=5\n\n",
            $json
        )
    };
}

/// socket.io 4.8 asked `EIO=3` without allowEIO3 (WIRE.md 2, "EIO=3").
pub const NODE4_EIO3_REFUSED: &str =
    node4_error!("{\"code\":5,\"message\":\"Unsupported protocol version\"}");

/// socket.io 4.8 asked for a transport it does not run (WIRE.md 2,
/// "transport=bogus"); a server started with transports: ['websocket']
/// answers the polling handshake the same way.
pub const NODE4_TRANSPORT_UNKNOWN: &str =
    node4_error!("{\"code\":0,\"message\":\"Transport unknown\"}");

/// An SPA's dev server answering every path with its index.html.
pub const SPA_FALLBACK: &str = "HTTP/1.1 200 OK
Content-Type: text/html; charset=utf-8
X-Powered-By: Express

<!doctype html><html><head><title>app</title></head><body><div id=\"root\"></div></body></html>";

/// socket.io 4.8's answer to a preflight OPTIONS (WIRE.md 2, "Preflight OPTIONS").
pub const NODE4_PREFLIGHT: &str = node4_error!("{\"code\":2,\"message\":\"Bad handshake method\"}");

/// socket.io 4.8 `--cors http://allowed.example`, `Origin: http://evil.example`
/// (WIRE.md 2b): the configured origin, not the request's.
pub const NODE4_CORS_OTHER_ORIGIN: &str = "HTTP/1.1 200 OK
Access-Control-Allow-Origin: http://allowed.example
Vary: Origin
Content-Type: text/plain; charset=UTF-8
Content-Length: 118
cache-control: no-store

0{\"sid\":\"pmZU0KbxkjVi-9nLAAAA\",\"upgrades\":[\"websocket\"],\"pingInterval\":25000,\"pingTimeout\":20000,\"maxPayload\":1000000}";

/// socket.io 4.8 `--cors http://allowed.example`: a preflight asking for
/// `content-type` (WIRE.md 2b, "Preflight OPTIONS from http://allowed.example").
pub const NODE4_CORS_PREFLIGHT: &str = "HTTP/1.1 204 No Content
Access-Control-Allow-Origin: http://allowed.example
Vary: Origin, Access-Control-Request-Headers
Access-Control-Allow-Methods: GET,HEAD,PUT,PATCH,POST,DELETE
Access-Control-Allow-Headers: content-type
Content-Length: 0

";

/// socket.io 2.5 asked `EIO=4`: a v3 answer whatever was asked (WIRE.md 3).
pub const NODE2_OPEN: &str = "HTTP/1.1 200 OK
Content-Type: text/plain; charset=UTF-8
Content-Length: 104
Access-Control-Allow-Origin: *
Set-Cookie: io=Uky-_IPmT17atNquAAAA; Path=/; HttpOnly; SameSite=Strict
Connection: keep-alive

97:0{\"sid\":\"Uky-_IPmT17atNquAAAA\",\"upgrades\":[\"websocket\"],\"pingInterval\":25000,\"pingTimeout\":20000}2:40";

/// socket.io 2.5, `Origin: http://evil.example`: the origin echoed, with
/// credentials (WIRE.md 3, "Origin: http://evil.example").
pub const NODE2_EVIL_ORIGIN: &str = "HTTP/1.1 200 OK
Content-Type: text/plain; charset=UTF-8
Content-Length: 104
Access-Control-Allow-Credentials: true
Access-Control-Allow-Origin: http://evil.example

97:0{\"sid\":\"jIczi3U_70lu-M_gAAAD\",\"upgrades\":[\"websocket\"],\"pingInterval\":25000,\"pingTimeout\":20000}2:40";

/// Flask-SocketIO under gunicorn's sync worker: the open packet (WIRE.md 4).
pub const GUNICORN_OPEN: &str = "HTTP/1.1 200 OK
Server: gunicorn
Connection: close
Content-Type: text/plain; charset=UTF-8
Access-Control-Allow-Credentials: true

0{\"sid\":\"cZ5ANK6K8LgATiJhAAAA\",\"upgrades\":[\"websocket\"],\"pingTimeout\":20000,\"pingInterval\":25000,\"maxPayload\":1000000}";

/// Flask under gunicorn at a path Engine.IO is not served at (WIRE.md 4, "/nope/").
pub const GUNICORN_404: &str = "HTTP/1.1 404 NOT FOUND
Server: gunicorn
Connection: close
Content-Type: text/html; charset=utf-8
Content-Length: 207

<!doctype html>
<html lang=en>
<title>404 Not Found</title>
<h1>Not Found</h1>
<p>The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.</p>
";

/// python-socketio's ASGI app under uvicorn --ws none (no WebSocket
/// library): the upgrade answered as plain HTTP (WIRE.md, "Checked by hand").
pub const UVICORN_NO_WS: &str = "HTTP/1.1 500 Internal Server Error
server: uvicorn
content-type: text/plain; charset=utf-8
connection: close
Content-Length: 21

Internal Server Error";

/// nginx without the Upgrade/Connection headers in front of socket.io 4:
/// the websocket upgrade arrives as a plain GET (WIRE.md 6, "the same with curl").
pub const NGINX_NODE4_NO_UPGRADE: &str = "HTTP/1.1 400 Bad Request
Server: nginx/1.22.1
Content-Type: application/json
Connection: keep-alive

{\"code\":3,\"message\":\"Bad request\"}";

/// The same nginx in front of python-socketio (WIRE.md 6, "-> py_healthy").
pub const NGINX_PY_NO_UPGRADE: &str = "HTTP/1.1 400 Bad Request
Server: nginx/1.22.1
Content-Type: text/plain
Content-Length: 27
Connection: keep-alive
Access-Control-Allow-Credentials: true

\"Invalid websocket upgrade\"";

/// nginx round-robin over two socket.io 4 servers: an upgrade with a sid
/// the other upstream made (WIRE.md 7).
pub const NGINX_ROUNDROBIN_UPGRADE: &str = "HTTP/1.1 400 Bad Request
Server: nginx/1.22.1
Content-Type: text/html
Content-Length: 18
Connection: keep-alive

Session ID unknown";

/// nginx with its upstream down, to any request (WIRE.md 8).
pub const NGINX_502: &str = "HTTP/1.1 502 Bad Gateway
Server: nginx/1.22.1
Content-Type: text/html
Content-Length: 157
Connection: keep-alive

<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n";

/// HAProxy 2.6 with its only server refusing connections, to any request
/// (WIRE.md "HAProxy"): no Server header, its own error page.
pub const HAPROXY_503: &str = "HTTP/1.1 503 Service Unavailable
content-length: 107
cache-control: no-cache
content-type: text/html

<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n";

/// HAProxy 2.6 when its server answers something that is not HTTP.
pub const HAPROXY_502: &str = "HTTP/1.1 502 Bad Gateway
content-length: 107
cache-control: no-cache
content-type: text/html

<html><body><h1>502 Bad Gateway</h1>\nThe server returned an invalid or incomplete response.\n</body></html>\n";

/// HAProxy 2.6 when its server does not answer within `timeout server`.
pub const HAPROXY_504: &str = "HTTP/1.1 504 Gateway Time-out
content-length: 92
cache-control: no-cache
content-type: text/html

<html><body><h1>504 Gateway Time-out</h1>\nThe server didn't respond in time.\n</body></html>\n";

/// Caddy 2.6 `reverse_proxy` with its upstream refusing connections
/// (WIRE.md "Caddy"): an empty body, named by its Server header.
pub const CADDY_502: &str = "HTTP/1.1 502 Bad Gateway
Server: Caddy
Content-Length: 0

";

/// Caddy 2.6 with the site `http://127.0.0.1:PORT` asked for
/// `localhost:PORT` (WIRE.md "Caddy"): no route handles it, an empty 200.
pub const CADDY_NO_ROUTE: &str = "HTTP/1.1 200 OK
Server: Caddy
Date: Sun, 29 Nov 2026 03:52:13 GMT
Content-Length: 0

";

/// Vite 8's server.proxy with its target refusing connections (WIRE.md
/// "Vite"): no Server header, an empty chunked body.
pub const VITE_502: &str = "HTTP/1.1 502 Bad Gateway
Vary: Origin
Content-Type: text/plain
Connection: keep-alive
Keep-Alive: timeout=5
Transfer-Encoding: chunked

";

/// HAProxy 2.6 `cookie SERVERID insert indirect nocache` in front of
/// socket.io 4: the open packet, with the affinity cookie (WIRE.md "HAProxy").
pub const HAPROXY_COOKIE_OPEN: &str = "HTTP/1.1 200 OK
content-type: text/plain; charset=UTF-8
content-length: 118
cache-control: no-store
keep-alive: timeout=5
set-cookie: SERVERID=s2; path=/

0{\"sid\":\"P1S7E2VbzxSLq-DUAAAE\",\"upgrades\":[\"websocket\"],\"pingInterval\":25000,\"pingTimeout\":20000,\"maxPayload\":1000000}";

/// The `ws` package (8.x) refusing an upgrade at a path it does not serve
/// (`new WebSocketServer({ server, path })`): its abortHandshake answer.
pub const WS_WRONG_PATH: &str = "HTTP/1.1 400 Bad Request
Connection: close
Content-Type: text/html
Content-Length: 11

Bad Request";

/// The `ws` package refusing an origin its verifyClient rejects.
pub const WS_ORIGIN_REFUSED: &str = "HTTP/1.1 401 Unauthorized
Connection: close
Content-Type: text/html
Content-Length: 12

Unauthorized";

/// tests/servers/ws.js answering a GET that arrived without its Upgrade
/// header, as ws's own HTTP server does.
pub const WS_NO_UPGRADE: &str = "HTTP/1.1 426 Upgrade Required
Content-Type: text/plain
Connection: keep-alive

Upgrade Required";

/// A 101 from the `ws` package with a subprotocol and permessage-deflate.
pub const WS_SWITCHING: &str = "HTTP/1.1 101 Switching Protocols
Upgrade: websocket
Connection: Upgrade
Sec-WebSocket-Accept: 721FtL2csNMN5XSbhiHZKo2AsQQ=
Sec-WebSocket-Protocol: chat
Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits

";

/// nginx 1.22.1 with `client_max_body_size 16k`, a polling POST over it
/// (WIRE.md, "Message size limits").
pub const NGINX_413: &str = "HTTP/1.1 413 Request Entity Too Large
Server: nginx/1.22.1
Content-Type: text/html
Content-Length: 183
Connection: close

<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n<center><h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n";

/// socket.io 4 (engine.io 6.6.12) with a small maxHttpBufferSize: a POST
/// over it (WIRE.md, "Message size limits").
pub const NODE4_413: &str = "HTTP/1.1 413 Payload Too Large
Connection: keep-alive
Keep-Alive: timeout=5
Transfer-Encoding: chunked

";
