//! The target as socket.io-client reads it: `io("http://host:PORT/chat")`
//! connects to namespace `/chat` and sends the URL's query on the
//! handshake. Against real python-socketio 5 and socket.io 4.

use serde_json::Value;

use crate::peers::*;
use crate::support::*;

/// `rtdoctor check http://127.0.0.1:PORT{rest} --json --only socketio ARGS…`.
fn check_at(port: u16, rest: &str, args: &[&str]) -> Value {
    let target = format!("http://127.0.0.1:{port}{rest}");
    let out = rt(&[&["check", &target, "--json", "--only", "socketio"], args].concat());
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    out.json()
}

/// The target `rest` (with `args`) connects to namespace `nsp`.
fn connects(port: u16, rest: &str, args: &[&str], nsp: &str) {
    let r = check_at(port, rest, args);
    assert_eq!(status(&r, "socketio.namespace"), "pass", "{r:#}");
    let said = summary(&r, "socketio.namespace");
    assert!(
        said.starts_with(&format!("connected to {nsp} in ")),
        "{said}"
    );
}

#[test]
fn socketio_namespace_the_target_path_is_the_namespace_python_socketio() {
    let server = py_healthy(&[]);
    connects(server.port, "/chat", &[], "/chat");
    // A namespace refused for credentials: its own fix first; `/`, which
    // a second CONNECT shows accepted, makes the path-as-namespace reading
    // a second fix.
    let r = check_at(server.port, "/admin", &[]);
    assert_eq!(
        summary(&r, "socketio.namespace"),
        "the server refused the CONNECT to /admin: \"authentication failed\"; it accepts a CONNECT to /"
    );
    let titles: Vec<_> = check(&r, "socketio.namespace")["fixes"]
        .as_array()
        .expect("fixes array")
        .iter()
        .map(|f| f["title"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        titles,
        [
            "Send what the server's connect handler or middleware wants",
            "The target's path /admin was read as the Socket.IO namespace, as io() reads it"
        ],
        "{r:#}"
    );
    assert!(
        evidence(&r, "socketio.namespace").contains("CONNECT to /: accepted"),
        "{r:#}"
    );
    // --namespace wins over the path.
    connects(server.port, "/admin", &["--namespace", "/"], "/");
}

#[test]
fn socketio_namespace_the_target_path_is_the_namespace_socketio_4() {
    let server = node4(&[]);
    connects(server.port, "/chat", &[], "/chat");
    // The Engine.IO path is not a namespace.
    connects(server.port, "/socket.io/", &[], "/");
}

#[test]
fn socketio_namespace_a_page_path_is_said_to_be_read_as_a_namespace() {
    for (server, refusal) in [
        (node4(&[]), "Invalid namespace"),
        (py_healthy(&[]), "Unable to connect"),
    ] {
        let r = check_at(server.port, "/dashboard", &[]);
        assert_eq!(status(&r, "socketio.namespace"), "fail", "{r:#}");
        assert_eq!(
            summary(&r, "socketio.namespace"),
            format!(
                "the server refused the CONNECT to /dashboard: \"{refusal}\"; it accepts a CONNECT to /"
            )
        );
        let fix = fix_text(&r, "socketio.namespace");
        assert!(
            fix.contains("path /dashboard was read as the Socket.IO namespace, as io() reads it"),
            "{fix}"
        );
        let origin = format!("http://127.0.0.1:{}", server.port);
        assert!(fix.contains(&format!("io('{origin}')")), "{fix}");
        assert!(fix.contains(&format!("rtdoctor check {origin}")), "{fix}");
        // The handshake itself went to /socket.io/, not under the path.
        assert_eq!(status(&r, "socketio.handshake"), "pass", "{r:#}");
    }
}

#[test]
fn socketio_namespace_the_target_query_goes_on_the_handshake() {
    let server = py_healthy(&[]);
    let r = check_at(server.port, "/query?room=blue&token=zq8-tok-71", &[]);
    let said = summary(&r, "socketio.namespace");
    assert!(
        said.starts_with("the server refused the CONNECT to /query: \"query room=blue&token=")
            && said.contains("&EIO=4&transport=polling"),
        "{said}"
    );
    // The token went out; the report does not show it.
    assert!(!r.to_string().contains("zq8-tok-71"), "{r:#}");
}

#[test]
fn socketio_handshake_an_app_behind_a_proxy_prefix_names_the_client_path_option() {
    let app = node4(&[]);
    let proxy = nginx_with(
        "nginx-upgrade.conf.template",
        &[app.port],
        &[("LOCATION", "/app/"), ("STRIP", "/")],
    );
    let r = check_at(proxy.port(), "/app/", &[]);
    assert_eq!(status(&r, "socketio.handshake"), "fail", "{r:#}");
    assert!(
        summary(&r, "socketio.handshake").starts_with("Engine.IO is not served at /socket.io/"),
        "{r:#}"
    );
    let fix = fix_text(&r, "socketio.handshake");
    assert!(
        fix.contains("Engine.IO answers at /app/socket.io/: set the client's path option")
            && fix.contains("path: '/app/socket.io/'"),
        "{fix}"
    );
    // Written as the fix says, it connects, to namespace /.
    connects(
        proxy.port(),
        "/app/",
        &["--socketio-path", "/app/socket.io/"],
        "/",
    );
}
