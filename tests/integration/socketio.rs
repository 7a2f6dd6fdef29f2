//! The Socket.IO checks against the servers people run: python-socketio 5,
//! Flask-SocketIO under gunicorn's sync worker, socket.io 4 and 2, and nginx
//! in front of them with and without the Upgrade headers and sticky
//! sessions. Each failure mode names its cause; healthy servers come out
//! clean.

use serde_json::Value;

use crate::peers::*;
use crate::support::*;

/// `rtdoctor check 127.0.0.1:PORT --json ARGS…`: the IPv4 address, since
/// these servers bind 127.0.0.1 and `localhost` would (rightly) add a
/// dual-stack warning.
pub fn check_json(port: u16, args: &[&str]) -> (i32, Value) {
    let out = rt(&[&["check", &format!("127.0.0.1:{port}"), "--json"], args].concat());
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    (out.code, out.json())
}

#[test]
fn python_socketio_healthy_is_clean() {
    let server = py_healthy(&[]);
    let (code, r) = check_json(server.port, &[]);
    assert_healthy(&r);
    assert_eq!(code, 0);
    assert!(summary(&r, "http.health").contains("status \"ok\""));
    let hs = summary(&r, "socketio.handshake");
    assert!(
        hs.starts_with("Engine.IO 4: sid ") && hs.contains("upgrades [\"websocket\"]"),
        "{hs}"
    );
    assert!(
        hs.contains("pingInterval 25000") && hs.contains("maxPayload 1000000"),
        "{hs}"
    );
    assert!(summary(&r, "socketio.upgrade").contains("websocket-only connect works"));
    assert!(summary(&r, "socketio.sticky").starts_with("13 requests"));
}

#[test]
fn socketio_namespace_python_auth_is_refused_then_accepted_and_never_shown() {
    let server = py_healthy(&[]);
    let (code, r) = check_json(
        server.port,
        &["--only", "socketio", "--namespace", "/admin"],
    );
    assert_eq!(code, 1);
    assert_eq!(status(&r, "socketio.namespace"), "fail");
    assert_eq!(
        summary(&r, "socketio.namespace"),
        "the server refused the CONNECT to /admin: \"authentication failed\""
    );
    assert!(fix_text(&r, "socketio.namespace").contains("--auth"));

    let out = rt(&[
        "check",
        &format!("127.0.0.1:{}", server.port),
        "--json",
        "--only",
        "socketio.namespace",
        "--namespace",
        "admin",
        "--auth",
        r#"{"token":"secret"}"#,
    ]);
    let r = out.json();
    assert_eq!(status(&r, "socketio.namespace"), "pass", "{r:#}");
    assert!(summary(&r, "socketio.namespace").starts_with("connected to /admin in "));
    assert!(
        !out.stdout.contains("secret"),
        "the auth payload leaked: {}",
        out.stdout
    );
    assert!(evidence(&r, "socketio.namespace").contains("+ auth (not shown)"));
}

#[test]
fn socketio_handshake_socketio_4_healthy_is_clean_and_refuses_eio3_clients() {
    let server = node4(&[]);
    let (code, r) = check_json(server.port, &[]);
    assert_healthy(&r);
    assert_eq!(code, 0);
    assert!(
        evidence(&r, "socketio.handshake")
            .contains("socket.io-client 2.x clients are refused (allowEIO3 is off)")
    );

    let (code, r) = check_json(server.port, &["--only", "socketio", "--eio", "3"]);
    assert_eq!(code, 1);
    assert_eq!(status(&r, "socketio.handshake"), "fail");
    let s = summary(&r, "socketio.handshake");
    assert!(
        s.contains("refuses Engine.IO 3 clients") && s.contains("Unsupported protocol version"),
        "{s}"
    );
    assert!(fix_text(&r, "socketio.handshake").contains("allowEIO3: true"));
    assert_eq!(status(&r, "socketio.namespace"), "skip");
}

#[test]
fn socketio_handshake_socketio_4_with_allow_eio3_passes_with_eio_3() {
    let server = node4(&["--eio3"]);
    let (code, r) = check_json(server.port, &["--only", "socketio", "--eio", "3"]);
    assert_healthy(&r);
    assert_eq!(code, 0);
    assert!(summary(&r, "socketio.handshake").starts_with("Engine.IO 3: "));
}

#[test]
fn socketio_namespace_socketio_4_middleware_refusal_and_unknown_namespace() {
    let server = node4(&[]);
    let (_, r) = check_json(
        server.port,
        &["--only", "socketio.namespace", "--namespace", "/admin"],
    );
    assert_eq!(
        summary(&r, "socketio.namespace"),
        "the server refused the CONNECT to /admin: \"authentication failed\""
    );
    let (_, r) = check_json(
        server.port,
        &["--only", "socketio.namespace", "--namespace", "/nope"],
    );
    assert_eq!(
        summary(&r, "socketio.namespace"),
        "the server refused the CONNECT to /nope: \"Invalid namespace\""
    );
    assert!(fix_text(&r, "socketio.namespace").contains("io.of('/nope')"));
    let (_, r) = check_json(
        server.port,
        &[
            "--only",
            "socketio.namespace",
            "--namespace",
            "/admin",
            "--auth",
            r#"{"token":"secret"}"#,
        ],
    );
    assert_eq!(status(&r, "socketio.namespace"), "pass");
}

#[test]
fn socketio_handshake_socketio_2_is_read_as_engineio_3_only() {
    let server = node2(&[]);
    let (code, r) = check_json(server.port, &["--only", "socketio"]);
    assert_eq!(code, 0, "a warning under --eio auto");
    assert_eq!(status(&r, "socketio.handshake"), "warn");
    let s = summary(&r, "socketio.handshake");
    assert!(s.starts_with("the server speaks Engine.IO 3 only"), "{s}");
    assert!(fix_text(&r, "socketio.handshake").contains("socket.io-client@2"));
    // The rest runs in Engine.IO 3, as a 2.x client would.
    for id in ["socketio.namespace", "socketio.upgrade", "socketio.sticky"] {
        assert_eq!(status(&r, id), "pass", "{id}: {r:#}");
    }

    let (code, r) = check_json(server.port, &["--only", "socketio", "--eio", "3"]);
    assert_healthy(&r);
    assert_eq!(code, 0);
    let (code, r) = check_json(server.port, &["--only", "socketio.handshake", "--eio", "4"]);
    assert_eq!((code, status(&r, "socketio.handshake")), (1, "fail"));
}

#[test]
fn socketio_handshake_a_wrong_path_says_engineio_is_not_served_there() {
    let server = node4(&[]);
    let (code, r) = check_json(
        server.port,
        &["--only", "socketio", "--socketio-path", "/realtime"],
    );
    assert_eq!(code, 1);
    let s = summary(&r, "socketio.handshake");
    assert!(
        s.starts_with("Engine.IO is not served at /realtime/: HTTP/1.1 404 Not Found"),
        "{s}"
    );
    assert!(fix_text(&r, "socketio.handshake").contains("path: '/realtime/'"));
}

#[test]
fn socketio_upgrade_flask_socketio_under_gunicorn_sync_worker_cannot_upgrade() {
    let server = gunicorn_flask(1);
    let (code, r) = check_json(server.port, &["--only", "http,socketio", "--timeout", "2s"]);
    assert_eq!(code, 1);
    assert_eq!(
        status(&r, "socketio.handshake"),
        "pass",
        "polling works: {r:#}"
    );
    assert_eq!(status(&r, "socketio.upgrade"), "fail");
    let s = summary(&r, "socketio.upgrade");
    assert!(
        s.contains("while a long-poll was pending") && s.contains("gunicorn's sync worker"),
        "{s}"
    );
    assert!(fix_text(&r, "socketio.upgrade").contains("gunicorn -w 1 --threads 100"));
}

#[test]
fn socketio_upgrade_nginx_without_upgrade_headers_is_named_and_with_them_passes() {
    let app = node4(&[]);
    let plain = nginx("nginx-plain.conf.template", &[app.port]);
    let (code, r) = check_json(plain.port(), &["--only", "http,socketio"]);
    assert_eq!(code, 1);
    assert_eq!(status(&r, "socketio.handshake"), "pass");
    // Through nginx, as the proxy answered (the summary puts it against
    // the server behind, see backend.rs).
    let s = evidence(&r, "socketio.upgrade");
    assert!(
        s.contains("(server: nginx/") && s.contains("\"Bad request\""),
        "{s}"
    );
    assert!(s.contains("a proxy in between dropped them"), "{s}");
    let fix = fix_text(&r, "socketio.upgrade");
    assert!(
        fix.contains("proxy_set_header Upgrade $http_upgrade") && fix.contains("map $http_upgrade"),
        "{fix}"
    );

    let upgrade = nginx("nginx-upgrade.conf.template", &[app.port]);
    let (code, r) = check_json(upgrade.port(), &["--only", "http,socketio"]);
    assert_healthy(&r);
    assert_eq!(code, 0);
}

#[test]
fn socketio_sticky_nginx_round_robin_without_sticky_sessions_fails() {
    let (a, b) = (node4(&[]), node4(&[]));
    let lb = nginx("nginx-roundrobin.conf.template", &[a.port, b.port]);
    let (code, r) = check_json(lb.port(), &["--only", "socketio"]);
    assert_eq!(code, 1);
    assert_eq!(status(&r, "socketio.sticky"), "fail");
    let s = evidence(&r, "socketio.sticky");
    assert!(
        s.contains(
            "requests, each on its own session over a connection that session never used, were \
answered {\"code\":1,\"message\":\"Session ID unknown\"}"
        ),
        "{s}"
    );
    assert!(fix_text(&r, "socketio.sticky").contains("ip_hash"));
}

#[test]
fn http_health_nginx_with_its_upstream_down_is_named() {
    let dead = free_port();
    let proxy = nginx("nginx-upgrade.conf.template", &[dead]);
    let (code, r) = check_json(proxy.port(), &["--only", "http,socketio.handshake"]);
    assert_eq!(code, 1);
    // Another local Socket.IO server (a test running beside this one) may
    // answer Engine.IO: it is only a lead, said after nginx's own answer.
    let s = summary(&r, "http.health");
    assert!(
        s.starts_with("the proxy (nginx/")
            && s.contains("502 Bad Gateway: its upstream, your server, is down"),
        "{s}"
    );
    assert_eq!(status(&r, "socketio.handshake"), "fail");
}

#[test]
fn http_health_a_missing_health_endpoint_is_skipped() {
    let server = py_healthy(&[]);
    let (_, r) = check_json(server.port, &["--only", "http", "--health-path", "/nope"]);
    assert_eq!(status(&r, "http.health"), "skip");
    assert!(summary(&r, "http.health").starts_with("no health endpoint at /nope (404)"));
}

#[test]
fn socketio_upgrade_a_server_without_upgrades_is_named() {
    let server = py_healthy(&["--no-upgrades"]);
    let (code, r) = check_json(server.port, &["--only", "socketio"]);
    assert_eq!(code, 1);
    assert_eq!(status(&r, "socketio.handshake"), "pass");
    assert_eq!(
        summary(&r, "socketio.upgrade"),
        "the server offers no websocket upgrade (\"upgrades\":[]): it runs without WebSocket support"
    );
    assert!(fix_text(&r, "socketio.upgrade").contains("allow_upgrades=False"));
}

#[test]
fn socketio_upgrade_two_upgrade_handlers_on_one_server_garble_the_frames() {
    let server = node4(&["--two-handlers"]);
    let (code, r) = check_json(server.port, &["--only", "socketio"]);
    assert_eq!(code, 1);
    let s = summary(&r, "socketio.upgrade");
    assert!(s.starts_with("101, then frames that do not parse"), "{s}");
    assert!(fix_text(&r, "socketio.upgrade").contains("WebSocketServer({ server, path: '/ws' })"));
}

#[test]
fn socketio_upgrade_nginx_without_upgrade_headers_in_front_of_python_is_named_too() {
    let app = py_healthy(&[]);
    let plain = nginx("nginx-plain.conf.template", &[app.port]);
    let (_, r) = check_json(
        plain.port(),
        &["--only", "socketio.handshake,socketio.upgrade"],
    );
    let s = evidence(&r, "socketio.upgrade");
    // With a sid, python-engineio says "Invalid transport" (without one,
    // "Invalid websocket upgrade"): either way the Upgrade header is gone.
    assert!(
        s.contains("\"Invalid transport\"") && s.contains("a proxy in between dropped them"),
        "{s}"
    );
    assert!(fix_text(&r, "socketio.upgrade").contains("proxy_set_header Upgrade"));
}
