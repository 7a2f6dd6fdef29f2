//! rtdoctor as a CI smoke test: `--wait` for a server started in the
//! background, and `check` with no target finding the local real-time
//! servers by itself.

use std::thread;
use std::time::Duration;

use crate::peers::{py_healthy, ws_server};
use crate::support::*;

#[test]
fn wait_holds_the_checks_until_a_late_server_answers() {
    let port = free_port();
    let late = thread::spawn(move || {
        thread::sleep(Duration::from_millis(1500));
        http_server("127.0.0.1", port)
    });
    let out = rt(&[
        "check",
        &format!("127.0.0.1:{port}"),
        "--wait",
        "20s",
        "--json",
        "--only",
        "port,net",
    ]);
    let _server = late.join().unwrap();
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "rtdoctor: http://127.0.0.1:{port} answered after "
        )),
        "{}",
        out.stderr
    );
    assert_eq!(status(&out.json(), "port.listen"), "pass");
}

#[test]
fn wait_gives_up_and_checks_anyway() {
    let port = free_port_with_quiet_neighbours(1);
    let out = rt(&[
        "check",
        &port.to_string(),
        "--wait",
        "1s",
        "--json",
        "--only",
        "port.listen",
    ]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("did not answer within 1000 ms"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("checking anyway"), "{}", out.stderr);
    assert_eq!(status(&out.json(), "port.listen"), "fail");
}

#[test]
fn no_target_finds_the_local_realtime_servers() {
    let sio = py_healthy(&[]);
    let ws = ws_server(&[]);
    let plain = http_server("127.0.0.1", free_port());
    let dir = tempfile::tempdir().unwrap();
    let out =
        run(rtdoctor()
            .current_dir(dir.path())
            .args(["check", "--json", "--only", "port.listen"]));
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    let r = out.json();
    let targets: Vec<String> = r["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["target"].as_str().unwrap().to_string())
        .collect();
    // Other tests' servers may be found too; these must be.
    assert!(
        targets.contains(&format!("http://127.0.0.1:{}", sio.port)),
        "{targets:?}"
    );
    assert!(
        targets.contains(&format!("ws://127.0.0.1:{}", ws.port)),
        "{targets:?}"
    );
    assert!(
        !targets
            .iter()
            .any(|t| t.ends_with(&format!(":{}", plain.port))),
        "a plain HTTP server is not a real-time one"
    );
    assert!(
        out.stderr.contains("no target given; found "),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(&format!(
            "http://127.0.0.1:{} Socket.IO (Engine.IO 4)",
            sio.port
        )),
        "{}",
        out.stderr
    );
}
