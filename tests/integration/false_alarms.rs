//! Issue 13, "no false alarm": a healthy server is not warned about.
//! `http.health` against Node's `ws` answering 426 to a plain GET, and
//! `net.dualstack` on an IPv4-only server, graded by what this machine's
//! resolver gives for localhost.

use crate::peers::ws_server;
use crate::support::*;

#[test]
fn http_health_a_websocket_only_server_s_426_is_no_health_endpoint_and_skipped() {
    let server = ws_server(&[]);
    // Node's ws answers every plain GET but its own /health with 426.
    let out = rt(&[
        "check",
        &format!("ws://localhost:{}/", server.port),
        "--json",
        "--strict",
        "--health-path",
        "/status",
        "--only",
        "http.health,websocket.upgrade",
    ]);
    let report = out.json();
    assert_eq!(status(&report, "websocket.upgrade"), "pass", "{report:#}");
    assert_eq!(status(&report, "http.health"), "skip", "{report:#}");
    let s = summary(&report, "http.health");
    assert!(
        s.starts_with("no health endpoint at /status (HTTP/1.1 426 Upgrade Required"),
        "{s}"
    );
    assert!(s.contains("--health-path"), "{s}");
    assert_eq!(out.code, 0, "--strict passes a healthy WebSocket server");
}

#[test]
fn net_dualstack_an_ipv4_only_server_is_graded_by_what_this_machine_resolves() {
    let port = free_port();
    let _server = http_server("127.0.0.1", port);
    let out = rt(&[
        "check",
        &port.to_string(),
        "--json",
        "--strict",
        "--only",
        "port.listen,net.dualstack",
    ]);
    let report = out.json();
    let ds = summary(&report, "net.dualstack");
    let ev = evidence(&report, "net.dualstack");
    assert!(ev.contains("why ::1 is refused"), "{ev}");
    if localhost_resolves_to_v6() {
        // This machine's own clients may dial ::1: a real warning.
        assert!(ev.contains("this machine resolves: localhost → "), "{ev}");
        assert_eq!(status(&report, "net.dualstack"), "warn", "{report:#}");
        assert!(ds.starts_with("::1 refused, 127.0.0.1 accepts"), "{ds}");
        assert_eq!(out.code, 1, "--strict fails on the warning");
    } else {
        // localhost is 127.0.0.1 only here: every client on this machine
        // connects; other machines' clients are named in a note.
        assert!(
            ev.contains("this machine resolves: localhost → 127.0.0.1"),
            "{ev}"
        );
        assert_eq!(status(&report, "net.dualstack"), "pass", "{report:#}");
        assert!(
            ds.starts_with("127.0.0.1 accepts, and this machine resolves localhost to 127.0.0.1"),
            "{ds}"
        );
        assert!(
            ds.contains("::1 (macOS, browsers, Node ≥ 17) would be refused"),
            "{ds}"
        );
        assert!(
            check(&report, "net.dualstack")["fixes"]
                .as_array()
                .is_some_and(Vec::is_empty),
            "{report:#}"
        );
        assert_eq!(out.code, 0, "--strict passes: no client here is refused");
    }
}
