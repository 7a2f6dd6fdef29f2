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

/// Issue 13: every error of a config file at once, in the order of its
/// lines, each with a suggestion where one is near, and each naming where
/// its value came from (the file and line, the flag or the variable).
#[test]
fn every_input_error_is_said_at_once_in_file_order_naming_its_source() {
    let dir = tempfile::tempdir().unwrap();
    // Named relative to the working directory: a random temporary folder's
    // name may look like a secret to the redactor (`…pwd…`).
    let p = "rtdoctor.toml";
    std::fs::write(
        dir.path().join(p),
        "timout = \"5s\"\nonly = [\"nosuch\"]\neio = \"5\"\n\n[[target]]\nurl = \"localhost:1\"\nport_range = \"9-1\"\nnamespase = \"/chat\"\n",
    )
    .unwrap();
    let out = run(rtdoctor()
        .current_dir(dir.path())
        .args(["check", "--config", p, "--origin", "app.example.com"])
        .env("RTDOCTOR_SKIP", "port.lisen"));
    assert_eq!(out.code, 2, "{}", out.stderr);
    let lines: Vec<&str> = out.stderr.lines().collect();
    let want = [
        "rtdoctor: error: --origin: 'app.example.com' is not an origin".to_string(),
        "rtdoctor: error: RTDOCTOR_SKIP: unknown check id 'port.lisen' (did you mean port.listen?)"
            .into(),
        format!("rtdoctor: error: {p}:1: unknown key `timout` (did you mean timeout?)"),
        format!(
            "rtdoctor: error: {p}:2: invalid only: unknown check id 'nosuch': no check matches"
        ),
        format!("rtdoctor: error: {p}:3: invalid eio: '5' is not an Engine.IO version"),
        format!("rtdoctor: error: {p}:7: invalid port_range: '9-1': the range runs backwards"),
        format!("rtdoctor: error: {p}:8: unknown key `namespase` (did you mean namespace?)"),
    ];
    assert_eq!(lines.len(), want.len(), "{}", out.stderr);
    for (line, want) in lines.iter().zip(&want) {
        assert!(line.starts_with(want.as_str()), "{line}\nwanted: {want}");
    }
}

/// Issue 13: a value clap parses from a variable names the variable, not
/// a flag that was never typed; errors are in one style whatever raised
/// them, and a port is not said twice.
#[test]
fn a_bad_variable_is_named_as_the_variable_in_rtdoctors_style() {
    let out = run(rtdoctor()
        .args(["check", "8765"])
        .env("RTDOCTOR_TIMEOUT", "abc"));
    usage_error(
        &out,
        "rtdoctor: error: RTDOCTOR_TIMEOUT: 'abc' is not a duration: write seconds (5, 1.5) or a number with a unit",
    );
    assert!(!out.stderr.contains("--timeout"), "{}", out.stderr);
    let out = rt(&["check", "8765", "--timeout", "1.5x"]);
    usage_error(
        &out,
        "rtdoctor: error: --timeout: '1.5x': 'x' is not a unit of time",
    );
    assert!(!out.stderr.contains("expected"), "{}", out.stderr);
    let out = rt(&["check", "--no-such-flag"]);
    usage_error(
        &out,
        "rtdoctor: error: unexpected argument '--no-such-flag'",
    );
    assert!(
        out.stderr.contains("Usage: rtdoctor check"),
        "{}",
        out.stderr
    );
    let out = rt(&["kill", "abc"]);
    usage_error(
        &out,
        "rtdoctor: error: 'abc' is not a port number (1-65535)",
    );
    assert_eq!(out.stderr.matches("'abc'").count(), 1, "{}", out.stderr);
    let out = rt(&[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.starts_with("Tells you why"), "{}", out.stderr);
    for ok in [&["--help"][..], &["--version"], &["check", "--help"]] {
        let out = rt(ok);
        assert_eq!(out.code, 0, "{ok:?}: {}", out.stderr);
        assert!(!out.stdout.is_empty() && out.stderr.is_empty(), "{ok:?}");
    }
}

/// Issue 13: `--help` names a variable without showing it "set empty",
/// and states `--timeout`'s default.
#[test]
fn help_shows_the_variables_unset_and_the_timeout_default() {
    let out = run(rtdoctor()
        .args(["check", "--help"])
        .env("RTDOCTOR_NAMESPACE", "/secret-ns"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let help = out.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        help.contains("[default: 5s] [env: RTDOCTOR_TIMEOUT]"),
        "{help}"
    );
    assert!(!help.contains("RTDOCTOR_TIMEOUT="), "{help}");
    assert!(!help.contains("/secret-ns"), "{help}");
}

/// Issue 13: `--timeout 1.5` is seconds, as the README says.
#[test]
fn a_bare_fractional_timeout_is_seconds() {
    let port = free_port().to_string();
    let out = rt(&[
        "check",
        &port,
        "--only",
        "env.proxy",
        "--timeout",
        "1.5",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(status(&out.json(), "env.proxy"), "pass");
}

/// Issue 13: a selection that leaves no check is a usage error, not a
/// pass; a word that begins ids suggests them, and nothing near suggests
/// nothing.
#[test]
fn no_check_selected_is_a_usage_error_and_suggestions_begin_with_the_prefix() {
    let port = free_port().to_string();
    let out = rt(&["check", &port, "--only", "port", "--skip", "port"]);
    usage_error(&out, "--only port --skip port selects no check");
    let out = rt(&["explain", "net"]);
    usage_error(
        &out,
        "unknown check id 'net' (did you mean one of net.dualstack, net.path?)",
    );
    let out = rt(&["check", &port, "--only", ""]);
    usage_error(&out, "--only: an empty check id names no check");
    assert!(!out.stderr.contains("did you mean"), "{}", out.stderr);
    let out = rt(&["check", &port, "--only", "qqqqq"]);
    usage_error(&out, "unknown check id 'qqqqq': no check matches");
}

/// Issue 13: one target named twice is checked once, and stderr says so.
#[test]
fn a_target_named_twice_is_checked_once() {
    let port = free_port();
    let out = rt(&[
        "check",
        &port.to_string(),
        &format!("localhost:{port}"),
        "--only",
        "env.proxy",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let r = out.json();
    assert_eq!(r["targets"].as_array().unwrap().len(), 1, "{r:#}");
    assert!(
        out.stderr.contains(&format!(
            "rtdoctor: localhost:{port} is http://localhost:{port} again; checking it once"
        )),
        "{}",
        out.stderr
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rtdoctor.toml");
    let table = format!("[[target]]\nurl = \"{port}\"\n");
    std::fs::write(&path, format!("only = [\"env.proxy\"]\n{table}{table}")).unwrap();
    let out = rt(&["check", "--config", path.to_str().unwrap(), "--json"]);
    assert_eq!(out.json()["targets"].as_array().unwrap().len(), 1);
    assert!(out.stderr.contains("rtdoctor.toml:5 is "), "{}", out.stderr);
}

/// Issue 13: discovery says which listeners it skipped and why, one line
/// each, and how to name them: a WebSocket server on /ws (real), and a
/// listener that never answers (a fault, in process).
#[test]
fn discovery_says_which_listeners_it_skipped_and_how_to_name_them() {
    let ws = ws_server(&["--path", "/ws"]);
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let out = rt(&["check", "--json", "--only", "port.listen"]);
    let skipped = |port: u16| {
        out.stderr
            .lines()
            .find(|l| l.starts_with(&format!("rtdoctor: skipped 127.0.0.1:{port}: ")))
            .unwrap_or_else(|| panic!("{port} not said: {}", out.stderr))
            .to_string()
    };
    let line = skipped(ws.port);
    assert!(line.contains("such as /ws?)"), "{line}");
    assert!(
        line.ends_with(&format!("rtdoctor check ws://127.0.0.1:{}/PATH", ws.port)),
        "{line}"
    );
    let line = skipped(silent_port);
    assert!(line.contains("it did not answer within 700 ms"), "{line}");
    drop(silent);
}
