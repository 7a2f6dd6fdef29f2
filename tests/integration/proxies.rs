//! The proxies in front of Socket.IO servers that people run, real and
//! pinned (scripts/provision): HAProxy, Caddy and Vite's dev server, each
//! failing the way users meet it and healthy. Test names start with the id
//! of the check they are about. What each answers is in
//! tests/servers/WIRE.md ("HAProxy, Caddy, Vite").

use serde_json::Value;

use crate::peers::*;
use crate::socketio::check_json;
use crate::support::*;

/// The checks in `only` of `rtdoctor check` through `proxy`.
fn through(proxy: &Proxy, only: &str) -> (i32, Value) {
    check_json(proxy.port(), &["--only", only])
}

/// socket.io 4 and python-socketio, each behind the proxy `front` starts
/// for its port, come out clean (every check) with the websocket upgrade
/// through.
fn healthy_behind(front: impl Fn(u16) -> Proxy) {
    for app in [node4(&[]), py_healthy(&[])] {
        let proxy = front(app.port);
        let (code, r) = check_json(proxy.port(), &[]);
        assert_healthy(&r);
        assert_eq!(code, 0, "{}", proxy.log());
        assert!(summary(&r, "socketio.upgrade").contains("websocket-only connect works"));
    }
}

/// Two socket.io 4 processes, then two python-socketio ones, behind
/// HAProxy with `template`: the two reports (every check).
fn sticky_behind_haproxy(template: &str) -> Vec<Value> {
    let pairs = [(node4(&[]), node4(&[])), (py_healthy(&[]), py_healthy(&[]))];
    pairs
        .iter()
        .map(|(a, b)| {
            let lb = haproxy(template, &[a.port, b.port]);
            check_json(lb.port(), &[]).1
        })
        .collect()
}

#[test]
fn socketio_upgrade_haproxy_mode_http_passes_websockets_to_socketio4_and_python_socketio() {
    healthy_behind(|port| haproxy("haproxy.cfg.template", &[port]));
}

#[test]
fn socketio_upgrade_caddy_reverse_proxy_passes_websockets_to_socketio4_and_python_socketio() {
    healthy_behind(|port| caddy("caddy.Caddyfile.template", &[port], &[]));
}

#[test]
fn socketio_upgrade_vite_with_ws_true_proxies_socketio4_cleanly() {
    let app = node4(&[]);
    let dev = vite(app.port, true);
    let (code, r) = check_json(dev.port(), &[]);
    assert_eq!(code, 0, "{r:#}\n{}", dev.log());
    // Vite proxies /socket.io only: its own 404 at /health is a skip.
    assert_eq!(status(&r, "http.health"), "skip");
    for id in ["handshake", "namespace", "upgrade", "sticky"] {
        assert_eq!(status(&r, &format!("socketio.{id}")), "pass", "{r:#}");
    }
    assert_eq!(r["summary"]["warn"], 0, "{r:#}");
    assert_eq!(r["summary"]["fail"], 0, "{r:#}");
}

/// Vite without `ws: true` leaves the upgrade unanswered (WIRE.md): the
/// port holder is Vite, so its option is named, and no worker is blamed.
#[test]
fn socketio_upgrade_vite_without_ws_true_names_its_ws_option_not_gunicorn() {
    let app = node4(&[]);
    let dev = vite(app.port, false);
    // The default timeout: the check's bound leaves room for the scan of
    // this machine's sockets that finds the port holder (Vite), slow on a
    // loaded machine.
    let (code, r) = check_json(dev.port(), &["--only", "socketio"]);
    assert_eq!(code, 1, "{}", dev.log());
    let statuses = (
        status(&r, "socketio.handshake"),
        status(&r, "socketio.upgrade"),
    );
    assert_eq!(
        statuses,
        ("pass", "fail"),
        "polling goes through, the upgrade not"
    );
    let said = format!(
        "{}\n{}",
        summary(&r, "socketio.upgrade"),
        fix_text(&r, "socketio.upgrade")
    );
    assert!(
        said.contains("Add ws: true to Vite's server.proxy entry"),
        "{said}"
    );
    assert!(
        !said.contains("gunicorn") && !said.contains("worker"),
        "{said}"
    );
}

/// Round-robin without affinity: the sticky fix names HAProxy's own
/// settings, a source balance or its cookie.
#[test]
fn socketio_sticky_haproxy_roundrobin_fails_naming_balance_source_and_its_cookie() {
    for r in sticky_behind_haproxy("haproxy-roundrobin.cfg.template") {
        assert_eq!(status(&r, "socketio.sticky"), "fail", "{r:#}");
        let fix = fix_text(&r, "socketio.sticky");
        assert!(
            fix.contains("balance source") && fix.contains("cookie SERVERID insert"),
            "{fix}"
        );
    }
}

#[test]
fn socketio_sticky_haproxy_balance_source_passes() {
    for r in sticky_behind_haproxy("haproxy-source.cfg.template") {
        assert_healthy(&r);
    }
}

/// HAProxy's affinity cookie keeps a browser's session on one server:
/// rtdoctor carries it as a browser does, so the session, its namespace
/// CONNECT and its upgrade all stay on one server.
#[test]
fn socketio_sticky_haproxy_cookie_insert_passes() {
    for r in sticky_behind_haproxy("haproxy-cookie.cfg.template") {
        assert_healthy(&r);
    }
}

/// A proxy in front of a port nothing listens on: http.health names the
/// proxy and what it answered (`proxy`, `answered`) and, in the fix, the
/// proxy's own directive (`directive`). The report, for more.
fn upstream_down_named(
    front: impl Fn(u16) -> Proxy,
    proxy: &str,
    answered: &str,
    directive: &str,
) -> Value {
    let running = front(free_port());
    let (code, r) = through(&running, "http.health,socketio.handshake");
    assert_eq!(code, 1, "{}", running.log());
    let s = summary(&r, "http.health");
    assert!(s.contains(proxy) && s.contains(answered), "{s}");
    assert!(fix_text(&r, "http.health").contains(directive), "{r:#}");
    r
}

/// HAProxy sends no Server header: its own 503 page names it.
#[test]
fn http_health_haproxy_with_its_server_down_names_haproxy() {
    let r = upstream_down_named(
        |dead| haproxy("haproxy.cfg.template", &[dead]),
        "HAProxy",
        "HTTP/1.1 503 Service Unavailable",
        "HAProxy: the backend's server line",
    );
    assert!(summary(&r, "socketio.handshake").starts_with("the proxy (HAProxy) answered"));
}

/// A reverse_proxy to a port nothing listens on: Caddy's empty 502, named
/// by its Server header, with Caddy's directive in the fix.
#[test]
fn http_health_caddy_reverse_proxy_to_the_wrong_port_names_caddy() {
    let r = upstream_down_named(
        |dead| caddy("caddy.Caddyfile.template", &[dead], &[]),
        "Caddy",
        "HTTP/1.1 502 Bad Gateway",
        "reverse_proxy",
    );
    let hs = summary(&r, "socketio.handshake");
    assert!(
        hs.starts_with("the proxy (Caddy) answered /socket.io/ with HTTP/1.1 502 Bad Gateway")
            && hs.ends_with("its upstream, the Socket.IO server, is down or unreachable"),
        "{hs}"
    );
}

/// Vite's proxy with its target down answers the handshake an empty 502
/// (WIRE.md): the upstream is named, not a wrong path.
#[test]
fn socketio_handshake_vite_with_its_target_down_names_the_upstream_not_the_path() {
    let dev = vite(free_port(), true);
    let (code, r) = through(&dev, "socketio.handshake");
    assert_eq!(code, 1, "{}", dev.log());
    let hs = summary(&r, "socketio.handshake");
    assert!(
        hs.starts_with("the proxy or dev server in front answered /socket.io/ with HTTP/1.1 502"),
        "{hs}"
    );
    assert!(fix_text(&r, "socketio.handshake").contains("Vite: server.proxy's target"));
}

/// Caddy's site is `http://127.0.0.1:PORT`; a client that dials
/// `localhost:PORT` matches no site, and Caddy answers an empty 200 (its
/// answer when no route handles a request): named as Caddy's routes, not as
/// a server that does not speak Engine.IO.
#[test]
fn socketio_handshake_caddy_with_no_site_for_the_host_names_its_routes() {
    let app = node4(&[]);
    let proxy = caddy("caddy.Caddyfile.template", &[app.port], &[]);
    let target = format!("http://localhost:{}", proxy.port());
    let out = rt(&["check", &target, "--json", "--only", "socketio.handshake"]);
    let r = out.json();
    assert_eq!(status(&r, "socketio.handshake"), "fail", "{r:#}");
    let said = summary(&r, "socketio.handshake");
    assert!(
        said.starts_with(
            "Caddy answered /socket.io/ with an empty HTTP/1.1 200 OK: no route of its config \
handles the request (Caddy's answer when no site address matches the host localhost:"
        ),
        "{said}"
    );
    assert!(
        fix_text(&r, "socketio.handshake").contains("use :PORT { … } for any host"),
        "{r:#}"
    );
    // The host its site names is served.
    let (_, r) = through(&proxy, "socketio.handshake");
    assert_eq!(status(&r, "socketio.handshake"), "pass", "{r:#}");
}
