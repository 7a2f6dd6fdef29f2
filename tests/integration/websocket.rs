//! `websocket.upgrade`, `cors` and `mixed-content` against real servers:
//! Node's ws, socket.io 4, python-socketio, and nginx in front of them.

use serde_json::Value;

use crate::peers::*;
use crate::support::*;

fn run_json(args: &[&str]) -> (i32, Value) {
    let out = rt(&[&["check", "--json"], args].concat());
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    (out.code, out.json())
}

#[test]
fn websocket_upgrade_a_healthy_ws_endpoint_passes_and_is_not_a_socketio_server() {
    let server = ws_server(&[
        "--path",
        "/ws",
        "--protocol",
        "chat",
        "--deflate",
        "--hello",
        r#"{"type":"hello"}"#,
    ]);
    let url = format!("ws://127.0.0.1:{}/ws", server.port);
    let (code, r) = run_json(&[
        &url,
        "--subprotocol",
        "chat",
        "--only",
        "http,socketio,websocket",
    ]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(status(&r, "websocket.upgrade"), "pass");
    let s = summary(&r, "websocket.upgrade");
    for part in [
        "101 in ",
        "subprotocol chat",
        "extensions permessage-deflate",
        "pong in ",
        "closed with code 1000",
    ] {
        assert!(s.contains(part), "{part}: {s}");
    }
    assert!(evidence(&r, "websocket.upgrade").contains("first message: {\"type\":\"hello\"}"));
    assert_eq!(status(&r, "socketio.handshake"), "skip");
    assert!(
        summary(&r, "socketio.handshake")
            .starts_with("not a Socket.IO server: HTTP/1.1 426 Upgrade Required")
    );
    assert_eq!(status(&r, "socketio.namespace"), "skip");
}

#[test]
fn websocket_upgrade_an_unknown_path_and_a_refused_subprotocol_are_named() {
    // ws picks the client's first subprotocol unless handleProtocols says
    // otherwise: this one takes only "chat".
    let server = ws_server(&["--path", "/ws", "--protocol", "chat"]);
    let target = format!("127.0.0.1:{}", server.port);
    let (code, r) = run_json(&[
        &target,
        "--ws-path",
        "/ws",
        "--ws-path",
        "/nope",
        "--only",
        "websocket",
    ]);
    assert_eq!(code, 1);
    let s = summary(&r, "websocket.upgrade");
    assert!(s.starts_with("/ws: 101 in "), "{s}");
    assert!(s.contains("/nope: the upgrade was refused: HTTP/1.1 400 Bad Request: a path the server does not serve"), "{s}");

    let (code, r) = run_json(&[
        &format!("ws://{target}/ws"),
        "--subprotocol",
        "mqtt",
        "--only",
        "websocket",
    ]);
    assert_eq!(code, 0, "a warning");
    assert_eq!(status(&r, "websocket.upgrade"), "warn");
    assert!(summary(&r, "websocket.upgrade").contains("none of the subprotocols mqtt was chosen"));
}

#[test]
fn websocket_upgrade_an_origin_the_ws_server_refuses_is_named_by_websocket_and_cors() {
    let server = ws_server(&["--origin", "https://app.example"]);
    let url = format!("ws://127.0.0.1:{}/", server.port);
    let (code, r) = run_json(&[
        &url,
        "--only",
        "websocket,cors",
        "--origin",
        "https://evil.example",
    ]);
    assert_eq!(code, 1);
    let s = summary(&r, "websocket.upgrade");
    assert!(
        s.contains(
            "401 Unauthorized: the endpoint does not accept the origin https://evil.example"
        ),
        "{s}"
    );
    assert!(fix_text(&r, "websocket.upgrade").contains("verifyClient"));
    assert_eq!(status(&r, "cors"), "fail");
    assert!(summary(&r, "cors").contains("the WebSocket upgrade at / refused the origin"));

    let (code, r) = run_json(&[
        &url,
        "--only",
        "websocket,cors",
        "--origin",
        "https://app.example",
    ]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(
        summary(&r, "cors"),
        "https://app.example is allowed: the upgrade at / accepts it"
    );
}

#[test]
fn websocket_upgrade_nginx_without_upgrade_headers_in_front_of_ws_is_named() {
    let app = ws_server(&[]);
    let plain = nginx("nginx-plain.conf.template", &[app.port]);
    let (code, r) = run_json(&[
        &format!("ws://127.0.0.1:{}/", plain.port()),
        "--only",
        "websocket",
    ]);
    assert_eq!(code, 1);
    let s = summary(&r, "websocket.upgrade");
    assert!(
        s.contains("426 Upgrade Required") && s.contains("a proxy in between dropped it"),
        "{s}"
    );
    assert!(fix_text(&r, "websocket.upgrade").contains("proxy_set_header Upgrade"));
}

#[test]
fn cors_against_python_and_node_defaults_and_allow_lists() {
    let origin = "https://app.example";
    let py = py_healthy(&[]);
    let (_, r) = run_json(&[
        &format!("127.0.0.1:{}", py.port),
        "--only",
        "cors",
        "--origin",
        origin,
    ]);
    let s = summary(&r, "cors");
    assert!(
        s.contains("\"https://app.example is not an accepted origin.\""),
        "{s}"
    );
    assert!(fix_text(&r, "cors").contains("cors_allowed_origins=['https://app.example']"));
    assert!(
        !fix_text(&r, "cors").contains("new Server(httpServer"),
        "only the python fix"
    );

    let py_ok = py_healthy(&["--cors", origin]);
    let (code, r) = run_json(&[
        &format!("127.0.0.1:{}", py_ok.port),
        "--only",
        "cors",
        "--origin",
        origin,
    ]);
    assert_eq!((code, status(&r, "cors")), (0, "pass"), "{r:#}");

    let node = node4(&[]);
    let (_, r) = run_json(&[
        &format!("127.0.0.1:{}", node.port),
        "--only",
        "cors",
        "--page",
        "https://app.example/chat",
    ]);
    assert_eq!(
        summary(&r, "cors"),
        "the polling handshake has no Access-Control-Allow-Origin for https://app.example: the browser blocks the answer"
    );
    assert!(
        fix_text(&r, "cors")
            .contains("cors: { origin: ['https://app.example'], credentials: true }")
    );

    let node_ok = node4(&["--cors", origin]);
    let (code, r) = run_json(&[
        &format!("127.0.0.1:{}", node_ok.port),
        "--only",
        "cors",
        "--origin",
        origin,
        "-H",
        "X-Api-Key: k1",
    ]);
    assert_eq!((code, status(&r, "cors")), (0, "pass"), "{r:#}");
    assert!(summary(&r, "cors").contains("the preflight allows the headers"));
    // Without CORS on the server, the preflight for that header is refused.
    let (_, r) = run_json(&[
        &format!("127.0.0.1:{}", node.port),
        "--only",
        "cors",
        "--origin",
        origin,
        "-H",
        "X-Api-Key: k1",
    ]);
    assert!(
        summary(&r, "cors")
            .contains("the preflight OPTIONS for headers x-api-key was answered HTTP/1.1 400"),
        "{}",
        summary(&r, "cors")
    );
}

#[test]
fn mixed_content_and_no_page() {
    let node = node4(&[]);
    let target = format!("127.0.0.1:{}", node.port);
    let (_, r) = run_json(&[
        &target,
        "--only",
        "mixed-content",
        "--page",
        "https://app.example/chat",
    ]);
    assert_eq!(status(&r, "mixed-content"), "fail");
    assert_eq!(
        summary(&r, "mixed-content"),
        "the page is served over https but the socket is http://: browsers block it as mixed content"
    );
    assert_eq!(
        check(&r, "mixed-content")["fixes"][0]["command"],
        format!("rtdoctor check https://{target} --page https://app.example/chat")
    );
    let (_, r) = run_json(&[
        &target,
        "--only",
        "mixed-content",
        "--page",
        "http://app.example/chat",
    ]);
    assert_eq!(status(&r, "mixed-content"), "pass");
    assert!(summary(&r, "mixed-content").contains("cross-origin"));
    let (_, r) = run_json(&[&target, "--only", "mixed-content,cors"]);
    assert_eq!(status(&r, "mixed-content"), "skip");
    assert_eq!(status(&r, "cors"), "skip");
}

#[test]
fn websocket_upgrade_an_spa_fallback_answers_with_its_page() {
    let app = spa(&[]);
    let target = format!("127.0.0.1:{}", app.port);
    let (code, r) = run_json(&[
        &target,
        "--ws-path",
        "/ws",
        "--only",
        "socketio.handshake,websocket",
    ]);
    assert_eq!(code, 1);
    let hs = summary(&r, "socketio.handshake");
    assert!(
        hs.contains("Engine.IO is not served at /socket.io/") && hs.contains("an HTML page"),
        "{hs}"
    );
    let ws = summary(&r, "websocket.upgrade");
    assert!(
        ws.contains(
            "with an HTML page: a proxy or an SPA fallback serves the app instead of upgrading"
        ),
        "{ws}"
    );
}

#[test]
fn cors_star_with_credentials_is_refused_by_browsers() {
    let node = node4(&["--cors", "*", "--credentials"]);
    let (code, r) = run_json(&[
        &format!("127.0.0.1:{}", node.port),
        "--only",
        "cors",
        "--origin",
        "https://app.example",
    ]);
    assert_eq!(code, 1, "{r:#}");
    assert!(
        summary(&r, "cors")
            .contains("Access-Control-Allow-Origin: * with Access-Control-Allow-Credentials: true"),
        "{}",
        summary(&r, "cors")
    );
    assert!(fix_text(&r, "cors").contains("Name the origin instead of *"));
}
