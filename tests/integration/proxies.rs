//! The proxies in front of Socket.IO servers that people run, real and
//! pinned (scripts/provision): HAProxy, Caddy and Vite's dev server, each
//! failing the way users meet it and healthy. Test names start with the id
//! of the check they are about.

use serde_json::Value;

use crate::peers::*;
use crate::socketio::check_json;
use crate::support::*;

/// The Socket.IO and HTTP checks of `rtdoctor check` through `proxy`.
fn through(proxy: &Proxy, only: &str) -> (i32, Value) {
    check_json(proxy.port(), &["--only", only])
}

/// socket.io 4 and python-socketio, each behind the proxy `front` starts
/// for its port, come out clean with the websocket upgrade through.
fn healthy_behind(front: impl Fn(u16) -> Proxy) {
    for app in [node4(&[]), py_healthy(&[])] {
        let proxy = front(app.port);
        let (code, r) = through(&proxy, "http,socketio");
        assert_healthy(&r);
        assert_eq!(code, 0, "{}", proxy.log());
        assert!(summary(&r, "socketio.upgrade").contains("websocket-only connect works"));
    }
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
    let (code, r) = through(&dev, "socketio");
    assert_healthy(&r);
    assert_eq!(code, 0, "{}", dev.log());
}
