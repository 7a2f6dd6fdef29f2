//! What the command line, the environment and a config file may ask for,
//! checked once before any probe runs: a header or subprotocol that would
//! add lines to a request, an unknown `RTDOCTOR_SOCKETS`, a config file's
//! `output` outside its folder (exit 2, naming what is wrong without
//! echoing a secret); and the headers that pass reach a real server
//! through every probe, repeated names included.

use serde_json::Value;

use crate::peers::ws_server;
use crate::support::*;

fn usage_error(out: &Out, needle: &str) {
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains(needle), "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}

#[test]
fn a_line_break_in_a_header_or_subprotocol_is_a_usage_error_that_hides_the_value() {
    // Nothing listens there: exit 2 must come before any probe.
    let target = format!("127.0.0.1:{}", free_port());
    let out = rt(&["check", &target, "-H", "X-A: s3cret\r\nX-Injected: 1"]);
    usage_error(&out, "the value of header X-A contains a line break");
    assert!(!out.stderr.contains("s3cret") && !out.stderr.contains("Injected"));

    let out = rt(&["check", &target, "-H", "X-A: s3cret\x1b[2J"]);
    usage_error(
        &out,
        "the value of header X-A contains the control character U+001B",
    );
    let out = rt(&["check", &target, "-H", "X A: s3cret"]);
    usage_error(&out, "not a valid header name");
    assert!(!out.stderr.contains("s3cret"));

    let out = rt(&["check", &target, "--subprotocol", "chat\r\nX: 1"]);
    usage_error(&out, "is not a WebSocket subprotocol");
    assert!(out.stderr.contains("chat\\r\\nX: 1"), "{}", out.stderr);
}

#[test]
fn a_repeated_header_reaches_a_real_server_through_every_probe() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("requests.jsonl");
    let ws = ws_server(&["--path", "/ws", "--log-headers", log.to_str().unwrap()]);
    let out = rt(&[
        "check",
        &format!("ws://127.0.0.1:{}/ws", ws.port),
        "--only",
        "http.health,websocket.upgrade",
        "-H",
        "X-Tag: a",
        "-H",
        "X-Tag: b",
        "--json",
    ]);
    let r = out.json();
    assert_eq!(status(&r, "http.health"), "pass", "{r:#}");
    assert_eq!(status(&r, "websocket.upgrade"), "pass", "{r:#}");
    let requests: Vec<Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for req in &requests {
        assert_eq!(req["tags"], serde_json::json!(["a", "b"]), "{req}");
    }
    let seen = |upgrade: bool, hand_written: bool| {
        requests.iter().any(|q| {
            q["upgrade"] == upgrade
                && q["ua"].as_str().unwrap().starts_with("rtdoctor/") == hand_written
        })
    };
    // reqwest (GET /health), the hand-written handshake (it names
    // rtdoctor as its User-Agent), and tungstenite's client session.
    assert!(seen(false, false) || seen(false, true), "{requests:#?}");
    assert!(seen(true, true), "no hand-written upgrade: {requests:#?}");
    assert!(seen(true, false), "no tungstenite upgrade: {requests:#?}");
}

#[test]
fn an_unknown_rtdoctor_sockets_value_is_a_usage_error() {
    let port = free_port().to_string();
    for args in [
        vec!["ports"],
        vec!["kill", &port, "--dry-run"],
        vec!["check", &port, "--only", "port.listen"],
    ] {
        let out = run(rtdoctor().env("RTDOCTOR_SOCKETS", "prcofs").args(&args));
        usage_error(&out, "RTDOCTOR_SOCKETS must be procfs or netlink");
    }
    let out = run(rtdoctor()
        .env("RTDOCTOR_SOCKETS", "procfs")
        .args(["ports", &port]));
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn a_config_files_output_stays_inside_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    let checkout = dir.path().join("checkout");
    std::fs::create_dir(&checkout).unwrap();
    let config = checkout.join("rtdoctor.toml");
    let port = free_port();
    let check = |output: &str| {
        std::fs::write(
            &config,
            format!("output = \"{output}\"\nonly = [\"env.proxy\"]\n\n[[target]]\nurl = \"127.0.0.1:{port}\"\n"),
        )
        .unwrap();
        // Run from elsewhere: the file's folder, not the working
        // directory, is what a relative path means.
        run(rtdoctor().args(["check", "--config", config.to_str().unwrap()]))
    };
    for (bad, why) in [
        ("../outside.txt", "climbs out with '..'"),
        ("/tmp/rtdoctor-abs.txt", "is an absolute path"),
    ] {
        let out = check(bad);
        usage_error(
            &out,
            &format!("{}:1: invalid output: '{bad}' {why}", config.display()),
        );
    }
    assert!(!dir.path().join("outside.txt").exists());
    std::os::unix::fs::symlink(dir.path(), checkout.join("up")).unwrap();
    usage_error(
        &check("up/outside.txt"),
        "leads out of the folder through a link",
    );
    assert!(!dir.path().join("outside.txt").exists());

    let out = check("report.txt");
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let text = std::fs::read_to_string(checkout.join("report.txt")).unwrap();
    assert!(text.contains("env.proxy"), "{text}");
    // The command line may still write anywhere.
    let elsewhere = dir.path().join("mine.txt");
    let out = run(rtdoctor().args([
        "check",
        "--config",
        config.to_str().unwrap(),
        "-o",
        elsewhere.to_str().unwrap(),
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(elsewhere.exists());
}

/// Answers every request with 200 and the request's own head as the body,
/// as a debug endpoint that echoes headers does.
fn echo_server() -> u16 {
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(5)));
            // Bytes, not text: the echo is the head exactly as it came.
            let head = read_head_bytes(&mut stream);
            let mut reply = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                head.len()
            )
            .into_bytes();
            reply.extend_from_slice(&head);
            let _ = stream.write_all(&reply);
        }
    });
    port
}

#[test]
fn a_declared_checks_own_header_value_is_sent_and_never_shown() {
    let port = echo_server();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("echo.toml"),
        "[[check]]\nid = \"app.echo\"\ntitle = \"t\"\nkind = \"http\"\npath = \"/echo\"\n\
fix = \"f\"\nheaders = { \"X-Tenant\" = \"tenant-7f3a9c2e\" }\n\n[check.expect]\ncontains = \"never there\"\n",
    )
    .unwrap();
    let checks = dir.path().to_str().unwrap();
    let target = format!("127.0.0.1:{port}");
    let out = rt(&[
        "check", &target, "--checks", checks, "--only", "app.echo", "--json",
    ]);
    let r = out.json();
    assert_eq!(status(&r, "app.echo"), "fail", "{r:#}");
    let seen = evidence(&r, "app.echo");
    assert!(
        seen.to_ascii_lowercase().contains("x-tenant: [redacted]"),
        "{seen}"
    );
    assert!(!out.stdout.contains("tenant-7f3a9c2e"), "{}", out.stdout);
    let out = rt(&[
        "check", &target, "--checks", checks, "--only", "app.echo", "-v",
    ]);
    assert!(!out.stdout.contains("tenant-7f3a9c2e"), "{}", out.stdout);

    // A line break in it is refused when the file loads, without the value.
    std::fs::write(
        dir.path().join("echo.toml"),
        "[[check]]\nid = \"app.echo\"\ntitle = \"t\"\nkind = \"http\"\npath = \"/echo\"\n\
fix = \"f\"\nheaders = { \"X-Tenant\" = \"tenant-7f3a9c2e\\r\\nX-Injected: 1\" }\n",
    )
    .unwrap();
    let out = rt(&[
        "check", &target, "--checks", checks, "--only", "declared", "--json",
    ]);
    let r = out.json();
    let s = summary(&r, "declared.load");
    assert!(
        s.contains("headers: the value of header X-Tenant contains a line break"),
        "{s}"
    );
    assert!(!out.stdout.contains("tenant-7f3a9c2e"), "{}", out.stdout);
}
