//! Declared checks (`checks/*.toml`): the shipped examples against real
//! servers, a failing one with its fix, and files that do not load.

use serde_json::Value;

use crate::peers::{node4, py_healthy, spa, ws_server};
use crate::support::*;

fn shipped() -> String {
    format!("{}/checks", env!("CARGO_MANIFEST_DIR"))
}

fn run_one(target: &str, id: &str) -> (i32, Value) {
    let out = rt(&[
        "check",
        target,
        "--checks",
        &shipped(),
        "--only",
        id,
        "--json",
    ]);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    (out.code, out.json())
}

#[test]
fn the_shipped_examples_pass_against_real_servers() {
    let py = py_healthy(&[]);
    let node = node4(&[]);
    let ws = ws_server(&["--path", "/ws"]);
    for port in [py.port, node.port] {
        let target = format!("127.0.0.1:{port}");
        for id in ["app.health", "app.socketio-ping"] {
            let (code, r) = run_one(&target, id);
            assert_eq!((code, status(&r, id)), (0, "pass"), "{id} on {port}: {r:#}");
        }
        let (_, r) = run_one(&target, "app.socketio-ping");
        assert_eq!(
            summary(&r, "app.socketio-ping"),
            "emitted \"ping\" on / and got [\"pong\"]"
        );
    }
    let (code, r) = run_one(&format!("127.0.0.1:{}", ws.port), "app.websocket-echo");
    assert_eq!(
        (code, status(&r, "app.websocket-echo")),
        (0, "pass"),
        "{r:#}"
    );
    assert_eq!(
        summary(&r, "app.websocket-echo"),
        "sent \"{\\\"type\\\":\\\"ping\\\"}\" and got {\"type\":\"ping\"}"
    );
}

#[test]
fn a_failing_declared_check_shows_its_own_fix_and_reads_like_a_builtin() {
    let app = spa(&[]);
    let target = format!("127.0.0.1:{}", app.port);
    let (code, r) = run_one(&target, "app.health");
    assert_eq!(code, 1);
    let s = summary(&r, "app.health");
    assert!(
        s.contains("the header content-type does not contain \"json\""),
        "{s}"
    );
    assert!(
        fix_text(&r, "app.health").contains("read the server's log for the failing dependency")
    );

    let out = rt(&[
        "check",
        &target,
        "--checks",
        &shipped(),
        "--only",
        "app.health",
        "--format",
        "junit",
    ]);
    assert!(
        out.stdout.contains("<testcase name=\"app.health\""),
        "{}",
        out.stdout
    );
    let out = rt(&["checks", "--checks", &shipped()]);
    assert!(
        out.stdout.contains("app.socketio-ping")
            && out.stdout.contains("Socket.IO ping is acked with pong")
    );
    let out = rt(&["explain", "app.websocket-echo", "--checks", &shipped()]);
    assert_eq!(out.code, 0);
    assert!(
        out.stdout.contains("Connects to /ws, sends"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_bad_file_is_reported_with_path_line_and_field_and_the_rest_run() {
    let py = py_healthy(&[]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        format!("{}/health.toml", shipped()),
        dir.path().join("a-good.toml"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("b-bad.toml"),
        "[[check]]\nid = \"app.bad\"\ntitle = \"t\"\nkind = \"http\"\npath = \"/\"\nfix = \"f\"\nbogus = 1\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("c-kind.toml"),
        "[[check]]\nid = \"app.kind\"\ntitle = \"t\"\nkind = \"grpc\"\nfix = \"f\"\n",
    )
    .unwrap();
    let out = rt(&[
        "check",
        &format!("127.0.0.1:{}", py.port),
        "--checks",
        dir.path().to_str().unwrap(),
        "--only",
        "app,declared",
        "--json",
    ]);
    let r = out.json();
    assert_eq!(
        status(&r, "app.health"),
        "pass",
        "the good file still runs: {r:#}"
    );
    assert_eq!(status(&r, "declared.load"), "fail");
    let s = summary(&r, "declared.load");
    assert!(s.contains("b-bad.toml:7: unknown field `bogus`"), "{s}");
    assert!(
        s.contains("c-kind.toml:2: app.kind: kind: 'grpc' is not http, websocket or socketio"),
        "{s}"
    );
}

#[test]
fn explain_shows_a_fix_with_an_empty_list_item() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bare-dash.toml"),
        "[[check]]\nid = \"app.dash\"\ntitle = \"t\"\nkind = \"http\"\npath = \"/\"\n\
fix = \"\"\"\nDo this:\n- \n- restart the server\n\"\"\"\n",
    )
    .unwrap();
    let out = rt(&[
        "explain",
        "app.dash",
        "--checks",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("  - restart the server"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("\n  -\n"), "{}", out.stdout);
}
