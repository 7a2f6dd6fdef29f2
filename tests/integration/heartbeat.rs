//! `socketio.heartbeat` (`--soak DUR`) against real servers: python-socketio
//! behind nginx with a short `proxy_read_timeout` and behind HAProxy without
//! `timeout tunnel` (cut sooner than the heartbeat), python-socketio with a
//! blocked event loop (late pings), healthy python-socketio and socket.io 4
//! (held with pings on time), and Ctrl-C in the middle of a soak. Each
//! asserts the status, the cause named and the figure measured.

use std::time::Duration;

use serde_json::Value;

use crate::peers::*;
use crate::support::*;

/// `rtdoctor check http://127.0.0.1:PORT --json --only socketio.heartbeat
/// --soak SOAK`: the report, and the check's summary.
fn soak(port: u16, soak: &str) -> (Value, String) {
    let target = format!("http://127.0.0.1:{port}");
    let out = rt(&[
        "check",
        &target,
        "--json",
        "--only",
        "socketio.heartbeat",
        "--soak",
        soak,
    ]);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    let r = out.json();
    let said = summary(&r, "socketio.heartbeat").to_string();
    (r, said)
}

/// The number of seconds right after `before` in `text` ("cut after 2.0 s").
fn seconds_after(text: &str, before: &str) -> f64 {
    let at = text
        .find(before)
        .unwrap_or_else(|| panic!("no '{before}' in: {text}"));
    let rest = &text[at + before.len()..];
    let number: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    number
        .parse()
        .unwrap_or_else(|_| panic!("no figure after '{before}' in: {text}"))
}

#[test]
fn socketio_heartbeat_nginx_proxy_read_timeout_cuts_before_the_ping() {
    let server = py_healthy(&["--ping-interval", "4"]);
    let nginx = nginx_with(
        "nginx-upgrade.conf.template",
        &[server.port],
        &[("HEADERS", "proxy_read_timeout 2s;")],
    );
    let (r, said) = soak(nginx.port(), "8s");
    assert_eq!(status(&r, "socketio.heartbeat"), "fail", "{r:#}");
    let cut = seconds_after(&said, "cut after ");
    assert!((1.5..=3.5).contains(&cut), "{said}");
    assert!(said.contains("by nginx"), "{said}");
    assert!(said.contains("every 4.0 s"), "{said}");
    let fix = fix_text(&r, "socketio.heartbeat");
    assert!(fix.contains("proxy_read_timeout"), "{fix}");
}

#[test]
fn socketio_heartbeat_haproxy_without_timeout_tunnel_cuts_before_the_ping() {
    let server = py_healthy(&["--ping-interval", "4"]);
    let haproxy = haproxy("haproxy-no-tunnel.cfg.template", &[server.port]);
    let (r, said) = soak(haproxy.port(), "8s");
    assert_eq!(status(&r, "socketio.heartbeat"), "fail", "{r:#}");
    let cut = seconds_after(&said, "cut after ");
    assert!((1.5..=3.5).contains(&cut), "{said}");
    let fix = fix_text(&r, "socketio.heartbeat");
    assert!(fix.contains("timeout tunnel"), "{said}\n{fix}");
}

#[test]
fn socketio_heartbeat_a_blocked_event_loop_sends_pings_late() {
    // time.sleep(3) in the loop, 1.5 s free between: pings every 1 s due.
    let server = py_healthy(&["--ping-interval", "1", "--block", "3"]);
    let (r, said) = soak(server.port, "7s");
    assert_eq!(status(&r, "socketio.heartbeat"), "warn", "{r:#}");
    assert!(
        said.contains("the server's event loop is blocked"),
        "{said}"
    );
    let worst = seconds_after(&said, "pings arrive up to ");
    assert!((1.5..=3.6).contains(&worst), "{said}");
    let fix = fix_text(&r, "socketio.heartbeat");
    assert!(fix.contains("time.sleep"), "{fix}");
}

/// The number of pings a passing soak counted.
fn pings(said: &str) -> u64 {
    let figures = said.split(": ").last().unwrap_or_default();
    figures
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no ping count in: {said}"))
}

#[test]
fn socketio_heartbeat_healthy_servers_hold_with_pings_on_time() {
    let python = py_healthy(&["--ping-interval", "1"]);
    let node = node4(&["--ping-interval", "1000"]);
    for port in [python.port, node.port] {
        let (r, said) = soak(port, "3.5s");
        assert_eq!(status(&r, "socketio.heartbeat"), "pass", "{r:#}");
        assert!(
            said.starts_with("held the session for 3.5 s (upgraded to websocket)"),
            "{said}"
        );
        assert!(said.contains("every 1.0 s"), "{said}");
        assert!((2..=4).contains(&pings(&said)), "{said}");
        let worst = seconds_after(&said, "(worst ");
        assert!(worst < 1.0, "{said}");
    }
}

#[test]
fn socketio_heartbeat_is_left_out_without_soak_and_skipped_when_named() {
    let server = py_healthy(&[]);
    let target = format!("http://127.0.0.1:{}", server.port);
    let r = rt(&["check", &target, "--json", "--only", "socketio"]).json();
    let ids: Vec<&str> = r["targets"][0]["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert!(!ids.contains(&"socketio.heartbeat"), "{ids:?}");
    let r = rt(&["check", &target, "--json", "--only", "socketio.heartbeat"]).json();
    assert_eq!(status(&r, "socketio.heartbeat"), "skip", "{r:#}");
    assert!(
        summary(&r, "socketio.heartbeat").contains("--soak DUR"),
        "{r:#}"
    );
    let listed = rt(&["checks"]).stdout;
    assert!(listed.contains("socketio.heartbeat"), "{listed}");
}

#[test]
fn socketio_heartbeat_ctrl_c_mid_soak_still_reports_what_was_seen() {
    let server = py_healthy(&["--ping-interval", "1"]);
    let target = format!("http://127.0.0.1:{}", server.port);
    let spawned = std::time::Instant::now();
    let child = rtdoctor()
        .args(["check", &target, "--json", "--only", "socketio.heartbeat"])
        .args(["--soak", "60s"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("rtdoctor starts");
    std::thread::sleep(Duration::from_millis(2500));
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).expect("SIGINT to rtdoctor");
    let sent = spawned.elapsed().as_secs_f64();
    let out = child.wait_with_output().expect("rtdoctor ends");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let r: Value = serde_json::from_str(&stdout).expect("a JSON report");
    let said = summary(&r, "socketio.heartbeat");
    assert_eq!(status(&r, "socketio.heartbeat"), "skip", "{r:#}");
    // Held from the session's opening until the SIGINT: no longer than
    // the time between rtdoctor's start and the signal.
    let after = seconds_after(said, "interrupted after ");
    assert!(after <= sent + 0.1, "{said} (SIGINT after {sent:.1} s)");
    assert!(stderr.contains("interrupted"), "{stderr}");
}

/// socket.io 2 (Engine.IO 3): the client pings, the server pongs.
#[test]
fn socketio_heartbeat_engine_io_3_times_its_own_pings() {
    let server = node2(&["--ping-interval", "1000"]);
    let (r, said) = soak(server.port, "3.5s");
    assert_eq!(status(&r, "socketio.heartbeat"), "pass", "{r:#}");
    assert!(said.contains("(upgraded to websocket)"), "{said}");
    let answered = pings(&said);
    assert!((2..=4).contains(&answered), "{said}");
    assert!(
        said.contains(&format!("{answered} of {answered} pings answered")),
        "{said}"
    );
    assert!(said.contains("pong round trip at most "), "{said}");
}

/// No upgrade offered: the session is held over polling, and nginx
/// answers the pending long-poll with its 504 after proxy_read_timeout.
#[test]
fn socketio_heartbeat_polling_held_and_its_long_poll_cut_by_nginx() {
    let direct = py_healthy(&["--no-upgrades", "--ping-interval", "1"]);
    let (r, said) = soak(direct.port, "3s");
    assert_eq!(status(&r, "socketio.heartbeat"), "pass", "{r:#}");
    assert!(said.contains("over polling (no upgrade offered)"), "{said}");
    assert!((1..=4).contains(&pings(&said)), "{said}");

    let server = py_healthy(&["--no-upgrades", "--ping-interval", "4"]);
    let nginx = nginx_with(
        "nginx-upgrade.conf.template",
        &[server.port],
        &[("HEADERS", "proxy_read_timeout 2s;")],
    );
    let (r, said) = soak(nginx.port(), "8s");
    assert_eq!(status(&r, "socketio.heartbeat"), "fail", "{r:#}");
    let cut = seconds_after(&said, "cut after ");
    assert!((1.5..=3.5).contains(&cut), "{said}");
    assert!(said.contains("HTTP 504 by nginx"), "{said}");
}

#[test]
fn socketio_heartbeat_a_terminal_shows_the_time_the_soak_has_left() {
    let server = py_healthy(&["--ping-interval", "1"]);
    let target = format!("http://127.0.0.1:{}", server.port);
    let args = [
        "check",
        &target,
        "--only",
        "socketio.heartbeat",
        "--soak",
        "2s",
    ];
    let shown = crate::terminal::in_pty(100, &args, &[], true);
    assert!(shown.contains("soaking, "), "{shown}");
    assert!(shown.contains(" s left"), "{shown}");
    assert!(shown.contains("✓ socketio.heartbeat"), "{shown}");
}
