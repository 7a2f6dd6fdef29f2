//! Fix texts that more than one check gives, written once: a check names
//! the fix it means (`fixes::proxy()`) instead of borrowing another
//! check's, so the same cause reads the same in every report.

use crate::probe::eio_version::Family;
use crate::report::Fix;
use crate::target::Target;

/// A proxy in front drops the Socket.IO websocket upgrade (its
/// Upgrade/Connection headers, or the whole request).
pub fn proxy() -> Fix {
    proxy_for(
        "the location that proxies Socket.IO",
        "the /socket.io entry",
    )
}

/// The same for a plain WebSocket endpoint at `path`: the proxy's rule is
/// the one for that path, not Socket.IO's.
pub fn ws_proxy(path: &str) -> Fix {
    proxy_for(
        &format!("the location that proxies {path}"),
        &format!("the {path} entry"),
    )
}

fn proxy_for(location: &str, entry: &str) -> Fix {
    Fix::new(
        "Pass websocket upgrades through the proxy",
        // One paragraph: the human report shows a fix's line breaks as
        // `\n`, like any other text a fix may quote.
        format!(
            "nginx, in {location}: proxy_http_version 1.1; \
proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection $connection_upgrade; \
and once in http {{}}: map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}. \
Vite / webpack-dev-server proxy: add ws: true to {entry}. Other proxies: enable \
WebSocket (HTTP/1.1 Upgrade) forwarding."
        ),
    )
}

/// The target's URL with its host replaced by `ip` (and its scheme, port
/// and path kept): what to dial to pick one address family.
pub fn url_with_ip(target: &Target, ip: std::net::IpAddr) -> String {
    let mut url = target.url.clone();
    match url.set_ip_host(ip) {
        Ok(()) => crate::target::display_url(&url),
        Err(()) => target.to_string(),
    }
}

/// A WebSocket endpoint or Socket.IO server refuses the browser's origin.
pub fn origin(origin: &str) -> Fix {
    Fix::new(
        format!("Allow the origin {origin}"),
        format!(
            "Add it to the server's allow-list. ws: verifyClient: ({{ origin }}) => allowed.includes(origin). \
Python websockets: serve(…, origins=['{origin}']). python-socketio / Flask-SocketIO: \
cors_allowed_origins=['{origin}']. socket.io: new Server(httpServer, {{ cors: {{ origin: ['{origin}'], \
credentials: true }} }})."
        ),
    )
}

/// Requests of one session land on processes that do not share it.
pub fn sticky() -> Fix {
    Fix::new(
        "Make sessions sticky, or run one process",
        "nginx: in the upstream block, ip_hash; (or hash $remote_addr consistent;). HAProxy: in \
the backend, balance source; or a cookie: cookie SERVERID insert indirect nocache, and cookie s1 / \
cookie s2 on the server lines. Node cluster: @socket.io/sticky (setupMaster / setupWorker) with \
@socket.io/cluster-adapter. Flask-SocketIO / python-socketio under gunicorn: one worker \
(-w 1; gunicorn has no sticky sessions), scaled out behind a sticky load balancer with a \
message queue. Or connect websocket-only: io(url, { transports: ['websocket'] }).",
    )
}

/// A proxy (or dev server) answered 502/503/504: it is up, its upstream
/// is not.
pub fn upstream_down() -> Fix {
    Fix::new(
        "Start the upstream, and check the proxy's upstream address",
        "The proxy is up; what it forwards to is not. Start the server, and check that the \
proxy's upstream (nginx: proxy_pass / upstream; HAProxy: the backend's server line; Caddy: \
reverse_proxy's address; Vite: server.proxy's target) names the host and port the server listens \
on. The proxy's error log says which address it tried.",
    )
}

/// How to stop a process that holds `port` and no longer answers: a local
/// server that accepts but does not answer may be a stuck process still
/// holding the port.
pub fn kill(port: u16) -> Fix {
    Fix::new(
        "If the process is stuck, stop it and start it again",
        "rtdoctor kill shows what holds the port, asks, sends SIGTERM, offers SIGKILL and checks the port is free.",
    )
    .command(format!("rtdoctor kill {port}"))
}

/// The server speaks Engine.IO 3 only; today's clients speak 4.
pub fn v3_only_server() -> Vec<Fix> {
    vec![
        Fix::new(
            "Match the client to the server (socket.io 2.x speaks Engine.IO 3)",
            "socket.io 1.x/2.x servers speak Engine.IO 3 and cannot talk to socket.io-client 3.x/4.x. \
Use socket.io-client 2.x, or upgrade the server.",
        )
        .command("npm install socket.io-client@2"),
        Fix::new(
            "Or upgrade the server and keep old clients",
            "socket.io 4 speaks Engine.IO 4 and also accepts 2.x clients with allowEIO3: \
new Server(httpServer, { allowEIO3: true }). python-socketio 4 / Flask-SocketIO 4 speak Engine.IO 3; \
python-socketio 5 / Flask-SocketIO 5 speak Engine.IO 4 only.",
        )
        .command("npm install socket.io@4"),
    ]
}

/// The server speaks Engine.IO 4 only; the client speaks 3.
pub fn v4_server_for_v3_client(family: Family) -> Vec<Fix> {
    let mut fixes = vec![
        Fix::new(
            "Upgrade the client",
            "socket.io-client 2.x speaks Engine.IO 3; this server speaks Engine.IO 4 (socket.io 3.x/4.x, \
python-socketio 5, Flask-SocketIO 5). socket.io-client 4.x talks to it.",
        )
        .command("npm install socket.io-client@4"),
    ];
    if family != Family::Python {
        fixes.push(Fix::new(
            "Or let a socket.io 4 server accept 2.x clients",
            "new Server(httpServer, { allowEIO3: true })",
        ));
    }
    if family != Family::Node {
        fixes.push(Fix::new(
            "python-socketio 5 cannot speak Engine.IO 3",
            "python-socketio 5 / Flask-SocketIO 5 accept Engine.IO 4 clients only. For socket.io-client 2.x \
use python-socketio 4.x / Flask-SocketIO 4.x, or upgrade the client.",
        ));
    }
    fixes
}

/// Engine.IO is not where the client looks for it.
pub fn socketio_path(path: &str) -> Fix {
    Fix::new(
        "Serve Engine.IO at the path the client uses, on both sides",
        format!(
            "rtdoctor asked {path} (--socketio-path). Client: io(url, {{ path: '{path}' }}). \
Node server: new Server(httpServer, {{ path: '{path}' }}). python-socketio: \
socketio.ASGIApp(sio, socketio_path='{}') / socketio.WSGIApp(sio, socketio_path=…). \
Behind a proxy, the proxy must forward {path} to the server too.",
            path.trim_matches('/')
        ),
    )
}

/// A server bound to one address family: how to listen on both.
pub fn listen_everywhere(port: u16) -> Fix {
    Fix::new(
        "Listen on both address families",
        format!(
            "Bind the server to :: with IPV6_V6ONLY off (dual-stack; Node's \
server.listen({port}, '::') does this by default), or listen on 0.0.0.0 and :: both \
(nginx: 'listen {port};' and 'listen [::]:{port};', or 'listen [::]:{port} ipv6only=off;'). \
Binding 127.0.0.1 alone serves IPv4 clients only."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The human report shows a fix's line breaks as `\n`: each shared fix
    /// is one paragraph.
    #[test]
    fn every_shared_fix_is_one_titled_paragraph() {
        let all = [
            proxy(),
            origin("https://app.example"),
            sticky(),
            kill(5000),
            socketio_path("/socket.io/"),
        ]
        .into_iter()
        .chain(v3_only_server())
        .chain(v4_server_for_v3_client(Family::Unknown));
        for f in all {
            assert!(
                !f.title.is_empty() && !f.title.contains('\n'),
                "{}",
                f.title
            );
            assert!(!f.detail.contains('\n'), "{}: {}", f.title, f.detail);
        }
    }

    #[test]
    fn an_address_to_dial_keeps_the_scheme_port_and_path() {
        let v4 = std::net::Ipv4Addr::LOCALHOST.into();
        let v6 = std::net::Ipv6Addr::LOCALHOST.into();
        let at = |t: &str, ip| url_with_ip(&Target::parse(t).unwrap(), ip);
        assert_eq!(at("https://localhost:8443", v4), "https://127.0.0.1:8443");
        assert_eq!(at("wss://localhost:9000/ws", v4), "wss://127.0.0.1:9000/ws");
        assert_eq!(at("http://localhost:5000", v6), "http://[::1]:5000");
    }

    #[test]
    fn the_plain_websocket_proxy_fix_names_its_path_not_socket_io() {
        let fix = ws_proxy("/ws").detail;
        for said in ["the location that proxies /ws", "ws: true to the /ws entry"] {
            assert!(fix.contains(said), "{said}: {fix}");
        }
        assert!(!fix.to_lowercase().contains("socket.io"), "{fix}");
        assert!(proxy().detail.contains("the /socket.io entry"));
    }

    #[test]
    fn fixes_quote_the_values_they_are_given() {
        assert!(
            origin("https://app.example")
                .detail
                .contains("origins=['https://app.example']")
        );
        let path = socketio_path("/rt/socket/");
        assert!(
            path.detail.contains("path: '/rt/socket/'"),
            "{}",
            path.detail
        );
        assert!(
            path.detail.contains("socketio_path='rt/socket'"),
            "{}",
            path.detail
        );
        assert_eq!(kill(8080).command.as_deref(), Some("rtdoctor kill 8080"));
    }
}
