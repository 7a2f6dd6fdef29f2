//! `websocket.idle` (`--soak`) against real servers: Node's ws (which sends
//! no pings unless told to) directly, and behind nginx and HAProxy with an
//! idle timeout of 2 s. Each asserts the status, the cause named and the
//! figure measured (the cut time, the ping interval) within a tolerance.

use std::time::Duration;

use serde_json::Value;

use crate::peers::*;
use crate::support::*;

/// `rtdoctor check URL --soak DUR --only websocket.idle --json`.
fn soak(url: &str, dur: &str) -> Value {
    let out = rt(&[
        "check",
        "--json",
        url,
        "--soak",
        dur,
        "--only",
        "websocket.idle",
    ]);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    out.json()
}

/// The seconds that follow `before` in `text` (`cut after 2.0 s`).
fn figure(text: &str, before: &str) -> f64 {
    let at = text
        .find(before)
        .unwrap_or_else(|| panic!("{before}: {text}"))
        + before.len();
    text[at..]
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no figure after {before}: {text}"))
}

/// A quiet connection through `proxy` (2 s idle timeout) is cut after
/// about 2 s, by the proxy, and pings keep a second one open.
fn assert_idle_cut(r: &Value, by: &str, fix: &str) {
    assert_eq!(status(r, "websocket.idle"), "fail", "{r:#}");
    let s = summary(r, "websocket.idle");
    let cut = figure(s, "cut after ");
    assert!((1.5..=3.5).contains(&cut), "{s}");
    assert!(s.contains(&format!("of silence by {by}")), "{s}");
    assert!(
        s.contains("with a TCP FIN and no close frame (1006)"),
        "{s}"
    );
    assert!(s.contains("a second connection pinged every "), "{s}");
    assert!(s.contains("stayed open"), "{s}");
    let fixes = fix_text(r, "websocket.idle");
    assert!(
        fixes.contains("Keep the connection busy more often than every"),
        "{fixes}"
    );
    assert!(fixes.contains(fix), "{fixes}");
}

#[test]
fn websocket_idle_nginx_proxy_read_timeout_cuts_a_quiet_connection_that_pings_keep_open() {
    let server = ws_server(&[]);
    let nginx = nginx_with(
        "nginx-upgrade.conf.template",
        &[server.port],
        &[("HEADERS", "proxy_read_timeout 2s;")],
    );
    let r = soak(&format!("ws://127.0.0.1:{}/ws", nginx.port()), "5s");
    assert_idle_cut(&r, "nginx", "Raise nginx's proxy_read_timeout");
}

#[test]
fn websocket_idle_haproxy_without_timeout_tunnel_cuts_at_its_client_timeout() {
    let server = ws_server(&[]);
    let lb = haproxy("haproxy-no-tunnel.cfg.template", &[server.port]);
    let r = soak(&format!("ws://127.0.0.1:{}/ws", lb.port()), "5s");
    assert_idle_cut(&r, "HAProxy", "Set HAProxy's timeout tunnel");
}

/// `ws.js` started with `ws_args`, soaked directly for `dur`: the check's
/// summary, once its status is `want`.
fn soaked_direct(ws_args: &[&str], dur: &str, want: &str) -> String {
    let server = ws_server(ws_args);
    let r = soak(&format!("ws://127.0.0.1:{}/ws", server.port), dur);
    assert_eq!(status(&r, "websocket.idle"), want, "{r:#}");
    summary(&r, "websocket.idle").to_string()
}

#[test]
fn websocket_idle_a_quiet_ws_server_with_nothing_in_front_passes_and_says_it_never_pings() {
    let s = soaked_direct(&[], "3s", "pass");
    assert!((2.5..=3.5).contains(&figure(&s, "open ")), "{s}");
    assert!(
        s.contains("nothing cut it; the server sends no pings"),
        "{s}"
    );
}

#[test]
fn websocket_idle_a_server_that_pings_passes_with_its_interval_measured() {
    let s = soaked_direct(&["--ping", "1000"], "3s", "pass");
    let every = figure(&s, "the server pings every ");
    assert!((0.8..=1.2).contains(&every), "{s}");
}

#[test]
fn websocket_idle_a_server_that_ends_connections_whatever_their_traffic_is_not_an_idle_cut() {
    let s = soaked_direct(&["--close-after", "1000"], "3s", "fail");
    assert!((0.7..=1.5).contains(&figure(&s, "cut after ")), "{s}");
    assert!(
        s.contains("by the server with a close frame 1001 (going away) \"lifetime\""),
        "{s}"
    );
    assert!(s.contains("was cut too, after "), "{s}");
    assert!(s.contains("not an idle cut"), "{s}");
}

#[test]
fn websocket_idle_ctrl_c_mid_soak_reports_what_was_seen_so_far() {
    let server = ws_server(&["--ping", "500"]);
    let url = format!("ws://127.0.0.1:{}/ws", server.port);
    let args = ["check", "--json", &url, "--only", "websocket.idle"];
    let (out, sent) = rt_interrupted(
        &[&args[..], &["--soak", "60s"]].concat(),
        Duration::from_millis(2000),
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let r = out.json();
    assert_eq!(status(&r, "websocket.idle"), "skip", "{r:#}");
    let s = summary(&r, "websocket.idle");
    // Held from the opening until the SIGINT: no longer than the time
    // between rtdoctor's start and the signal.
    let after = figure(s, "interrupted (Ctrl-C) after ");
    assert!(after <= sent + 0.1, "{s} (SIGINT after {sent:.1} s)");
    let every = figure(s, "the server pings every ");
    assert!((0.4..=0.6).contains(&every), "{s}");
}
