//! Issue 14, "proxy or server?": when a check fails through a proxy, the
//! same probe straight at the server behind it says whose fault it is.
//! Real nginx in front of real socket.io 4 and python-socketio; the server
//! behind is named by --backend, by the config file, or found by the
//! proxy's own connection to it.

use serde_json::Value;

use crate::peers::*;
use crate::support::*;

/// `rtdoctor check 127.0.0.1:PORT --json ARGS`: the exit code and report.
fn check_json(port: u16, args: &[&str]) -> (i32, Value) {
    crate::socketio::check_json(port, args)
}

/// nginx from `template` in front of the server on `port`, checked with
/// `args`, and with `--backend PORT` when `named`.
fn behind_nginx(template: &str, port: u16, named: bool, args: &[&str]) -> (Nginx, Value) {
    let proxy = nginx(template, &[port]);
    let backend = port.to_string();
    let flag: &[&str] = if named { &["--backend", &backend] } else { &[] };
    let (_, r) = check_json(proxy.port(), &[args, flag].concat());
    (proxy, r)
}

/// `--only socketio` through nginx from `template` (see `behind_nginx`).
fn socketio_behind_nginx(template: &str, port: u16, named: bool) -> Value {
    behind_nginx(template, port, named, &["--only", "socketio"]).1
}

/// The check `id` failed: its summary, fixes and evidence.
fn failed(r: &Value, id: &str) -> (String, String, String) {
    assert_eq!(status(r, id), "fail", "{r:#}");
    (summary(r, id).into(), fix_text(r, id), evidence(r, id))
}

/// nginx without the Upgrade headers in front of socket.io 4, and nothing
/// named: rtdoctor finds node by nginx's connection to it and puts the
/// fault on nginx.
#[test]
fn socketio_upgrade_backend_found_by_the_proxys_connection_blames_nginx() {
    let node = node4(&[]);
    let (proxy, r) = behind_nginx(
        "nginx-plain.conf.template",
        node.port,
        false,
        &["--only", "socketio"],
    );
    let (said, fix, seen) = failed(&r, "socketio.upgrade");
    assert!(
        said.starts_with(&format!("the server on :{} (node ", node.port))
            && said.ends_with(&format!(
                ") upgrades directly; through nginx on :{} in front of it the upgrade fails: nginx \
drops the upgrade",
                proxy.port()
            )),
        "{said}"
    );
    assert!(
        fix.contains("Pass websocket upgrades through the proxy"),
        "{fix}"
    );
    assert!(
        seen.contains("found by its connection from nginx (pid "),
        "{seen}"
    );
    assert!(
        seen.contains("backend result: upgraded to websocket"),
        "{seen}"
    );
}

/// The same fault in front of python-socketio, the server named with
/// --backend.
#[test]
fn socketio_upgrade_backend_named_by_the_flag_blames_nginx_for_python() {
    let py = py_healthy(&[]);
    let r = socketio_behind_nginx("nginx-plain.conf.template", py.port, true);
    let (said, _, seen) = failed(&r, "socketio.upgrade");
    assert!(
        said.starts_with(&format!("the server on :{} (python ", py.port))
            && said.ends_with("the upgrade fails: nginx drops the upgrade"),
        "{said}"
    );
    assert!(
        seen.contains(&format!(
            "backend: http://localhost:{} (named by --backend)",
            py.port
        )),
        "{seen}"
    );
}

/// A healthy nginx in front of python-socketio run without upgrades: the
/// server answers the same on its own, so the fix goes to the server.
#[test]
fn socketio_upgrade_backend_the_server_itself_refuses_behind_a_healthy_nginx() {
    let py = py_healthy(&["--no-upgrades"]);
    let r = socketio_behind_nginx("nginx-upgrade.conf.template", py.port, false);
    let (said, fix, _) = failed(&r, "socketio.upgrade");
    assert!(
        said.starts_with(
            "the server itself is at fault: the server offers no websocket upgrade (\"upgrades\":[])"
        ) && said.ends_with("so the fix goes to the server, not to nginx)"),
        "{said}"
    );
    assert!(fix.contains("Or turn upgrades back on"), "{fix}");
    assert!(
        !fix.contains("Pass websocket upgrades through the proxy"),
        "{fix}"
    );
}

/// nginx with the Upgrade headers in front of socket.io 4: the upgrade
/// passes and nothing is probed behind it.
#[test]
fn socketio_upgrade_backend_not_probed_when_the_upgrade_passes() {
    let node = node4(&[]);
    let r = socketio_behind_nginx("nginx-upgrade.conf.template", node.port, true);
    assert_eq!(status(&r, "socketio.upgrade"), "pass", "{r:#}");
    assert!(
        !evidence(&r, "socketio.upgrade").contains("backend"),
        "{r:#}"
    );
}

/// nginx round-robin over two socket.io 4 processes: each keeps its
/// sessions, nginx spreads them; the fix is nginx's own affinity setting.
#[test]
fn socketio_sticky_backend_nginx_balances_without_affinity() {
    let (a, b) = (node4(&[]), node4(&[]));
    let proxy = nginx("nginx-roundrobin.conf.template", &[a.port, b.port]);
    let (_, r) = check_json(proxy.port(), &["--only", "socketio.sticky"]);
    let (said, fix, seen) = failed(&r, "socketio.sticky");
    assert!(
        said.contains("keeps one session's requests together directly; through nginx on :")
            && said.ends_with("nginx balances without affinity"),
        "{said}"
    );
    assert!(
        fix.contains("Make nginx keep each client on one server") && fix.contains("ip_hash"),
        "{fix}"
    );
    assert!(
        seen.contains("found by its connection from nginx"),
        "{seen}"
    );
}

/// HAProxy `balance roundrobin` and Caddy `lb_policy round_robin` over two
/// socket.io 4 processes: each proxy is named with its own affinity
/// setting.
#[test]
fn socketio_sticky_backend_haproxy_and_caddy_balance_without_affinity() {
    let (a, b) = (node4(&[]), node4(&[]));
    let fronts = [
        (
            haproxy("haproxy-roundrobin.cfg.template", &[a.port, b.port]),
            "HAProxy",
            "balance source",
        ),
        (
            caddy(
                "caddy-roundrobin.Caddyfile.template",
                &[a.port, b.port],
                &[],
            ),
            "Caddy",
            "lb_policy ip_hash",
        ),
    ];
    for (proxy, name, setting) in fronts {
        let (_, r) = check_json(proxy.port(), &["--only", "socketio.sticky"]);
        let (said, fix, seen) = failed(&r, "socketio.sticky");
        assert!(
            said.ends_with(&format!("{name} balances without affinity")),
            "{said}\n{}\n{}",
            evidence(&r, "socketio.sticky"),
            proxy.log()
        );
        assert!(
            fix.contains(&format!("Make {name} keep each client on one server"))
                && fix.contains(setting),
            "{fix}"
        );
        // Found by the proxy's own connections (HAProxy keeps one to each).
        assert!(seen.contains(&format!(" {name} (pid ")), "{seen}");
    }
}

/// HAProxy `balance source` over the same two processes keeps each client
/// on one: sticky passes and nothing is probed behind it.
#[test]
fn socketio_sticky_backend_not_probed_behind_haproxy_with_balance_source() {
    let (a, b) = (node4(&[]), node4(&[]));
    let proxy = haproxy("haproxy-source.cfg.template", &[a.port, b.port]);
    let (_, r) = check_json(proxy.port(), &["--only", "socketio.sticky"]);
    assert_eq!(status(&r, "socketio.sticky"), "pass", "{r:#}");
    assert!(
        !evidence(&r, "socketio.sticky").contains("backend"),
        "{r:#}"
    );
}

/// python-socketio without upgrades behind HAProxy and Caddy, which pass
/// websockets: the server itself is at fault.
#[test]
fn socketio_upgrade_backend_the_server_itself_refuses_behind_haproxy_and_caddy() {
    let py = py_healthy(&["--no-upgrades"]);
    let fronts = [
        (haproxy("haproxy.cfg.template", &[py.port]), "HAProxy"),
        (caddy("caddy.Caddyfile.template", &[py.port], &[]), "Caddy"),
    ];
    for (proxy, name) in fronts {
        let (_, r) = check_json(proxy.port(), &["--only", "socketio"]);
        let (said, fix, _) = failed(&r, "socketio.upgrade");
        assert!(
            said.starts_with(
                "the server itself is at fault: the server offers no websocket upgrade"
            ) && said.ends_with(&format!("so the fix goes to the server, not to {name})")),
            "{said}"
        );
        assert!(fix.contains("Or turn upgrades back on"), "{fix}");
    }
}

/// Vite's server.proxy without `ws: true` in front of socket.io 4: the
/// server upgrades on its own, Vite drops the upgrade (FAILURES.md 12).
#[test]
fn socketio_upgrade_backend_vite_without_ws_drops_the_upgrade() {
    let node = node4(&[]);
    let dev = vite(node.port, false);
    let (_, r) = check_json(dev.port(), &["--only", "socketio"]);
    let (said, fix, seen) = failed(&r, "socketio.upgrade");
    assert!(
        said.starts_with(&format!("the server on :{} (node ", node.port))
            && said.ends_with("the upgrade fails: Vite drops the upgrade"),
        "{said}\n{}",
        evidence(&r, "socketio.upgrade")
    );
    assert!(
        fix.contains("Add ws: true to Vite's server.proxy entry"),
        "{fix}"
    );
    assert!(
        seen.contains("found by its connection from Vite (pid "),
        "{seen}"
    );
}

/// nginx pointing at a port where nothing listens, the server up on
/// another: nginx's upstream is wrong.
#[test]
fn http_health_backend_502_with_the_server_up_on_another_port() {
    let py = py_healthy(&[]);
    let proxy = nginx("nginx-upgrade.conf.template", &[free_port()]);
    let backend = format!("127.0.0.1:{}", py.port);
    let (_, r) = check_json(
        proxy.port(),
        &["--only", "http.health", "--backend", &backend],
    );
    let (said, fix, seen) = failed(&r, "http.health");
    assert!(
        said.starts_with(&format!("the server on :{} (python ", py.port))
            && said.ends_with(&format!(
                ") answers the health path directly; through nginx on :{} in front of it it answers \
HTTP/1.1 502 Bad Gateway: nginx points at the wrong upstream (address or port)",
                proxy.port()
            )),
        "{said}"
    );
    assert!(
        fix.contains("Point the proxy at the server's address and port"),
        "{fix}"
    );
    assert!(seen.contains("backend response: HTTP/1.1 200 OK"), "{seen}");
}

/// The server behind nginx is down (named in the config file's
/// `[[target]]`): start it.
#[test]
fn http_health_backend_502_with_the_server_down_named_in_the_config_file() {
    let down = free_port();
    let proxy = nginx("nginx-upgrade.conf.template", &[down]);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("rtdoctor.toml");
    std::fs::write(
        &config,
        format!(
            "[[target]]\nurl = \"127.0.0.1:{}\"\nbackend = \"127.0.0.1:{down}\"\n",
            proxy.port()
        ),
    )
    .unwrap();
    let out = rt(&[
        "check",
        "--json",
        "--only",
        "http.health",
        "--config",
        config.to_str().unwrap(),
    ]);
    let r = out.json();
    let (said, fix, _) = failed(&r, "http.health");
    assert!(
        said.starts_with("the proxy (nginx/1.22.1) answered HTTP/1.1 502 Bad Gateway")
            && said.contains(&format!("the server on :{down} does not answer (")),
        "{said}"
    );
    assert!(fix.contains("Start the server behind the proxy"), "{fix}");
}

/// nginx strips the Access-Control-* headers python-socketio sends for an
/// allowed origin.
#[test]
fn cors_backend_nginx_strips_what_the_server_allows() {
    let origin = "http://app.example";
    let py = py_healthy(&["--cors", origin]);
    let (_, r) = behind_nginx(
        "nginx-hide-cors.conf.template",
        py.port,
        false,
        &["--only", "cors", "--origin", origin],
    );
    let (said, fix, seen) = failed(&r, "cors");
    assert!(
        said.contains("allows the origin directly; through nginx on :")
            && said.ends_with("nginx strips or changes the server's Access-Control-* headers"),
        "{said}"
    );
    assert!(
        fix.contains("Let the server's CORS answer through nginx"),
        "{fix}"
    );
    assert!(
        seen.contains(&format!("backend access-control-allow-origin: {origin}")),
        "{seen}"
    );
}

/// --backend names the server behind one target.
#[test]
fn backend_option_with_several_targets_is_a_usage_error() {
    let out = rt(&["check", "1", "2", "--backend", "3"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("--backend names the server behind one target, and 2 are checked"),
        "{}",
        out.stderr
    );
}
