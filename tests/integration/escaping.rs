//! Text a server, a process or a config file chooses reaches a person with
//! its control characters and bidi overrides escaped (no terminal escape,
//! no injected line), while JSON keeps it exact. The server is an
//! in-process Socket.IO look-alike (no real server sends this on demand);
//! the process is a real python3 listener whose name and arguments carry
//! the same bytes.

use std::io::Write;
use std::net::TcpListener;
use std::process::Command;
use std::thread;
use std::time::Duration;

use crate::support::*;

/// Retitle the window, clear the screen, start a new line, reverse the text.
const EVIL: &str = "x\x1b]0;pwned\x07\x1b[2J\r\nFAKE LINE\u{202e}y";
/// How `EVIL` reads once escaped.
const SHOWN: &str = "x\\x1b]0;pwned\\x07\\x1b[2J\\r\\nFAKE LINE\\u{202e}y";

fn assert_escaped(text: &str) {
    for raw in ['\x1b', '\x07', '\r', '\u{202e}'] {
        assert!(
            !text.contains(raw),
            "raw {:?} reached the person:\n{text}",
            raw
        );
    }
    assert!(!text.contains("\nFAKE LINE"), "an injected line:\n{text}");
    assert!(text.contains(SHOWN), "no escaped form in:\n{text}");
}

/// Engine.IO 4 polling as a server would speak it, with `EVIL` as the
/// session id and as the CONNECT_ERROR message; under `/err/`, an
/// Engine.IO error with `EVIL` as its message. One request per connection.
fn evil_socketio() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let evil = serde_json::to_string(EVIL).unwrap();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let evil = evil.clone();
            thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let head = read_head_bytes(&mut stream);
                // A head cut short (the peer gone, the read timed out) gets
                // no answer; one that fills the cap does.
                if !head.ends_with(b"\r\n\r\n") && head.len() < READ_CAP {
                    return;
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let first = head.lines().next().unwrap_or_default().to_string();
                skip_body(&mut stream, &head);
                let (status, reply) = if first.contains("/err/") {
                    (
                        "400 Bad Request",
                        format!("{{\"code\":3,\"message\":{evil}}}"),
                    )
                } else if !first.contains("/socket.io/") {
                    ("404 Not Found", "not found".to_string())
                } else if first.starts_with("POST") {
                    ("200 OK", "ok".to_string())
                } else if first.contains("sid=") {
                    ("200 OK", format!("44{{\"message\":{evil}}}"))
                } else {
                    (
                        "200 OK",
                        format!(
                            "0{{\"sid\":{evil},\"upgrades\":[],\"pingInterval\":25000,\"pingTimeout\":20000,\"maxPayload\":1000000}}"
                        ),
                    )
                };
                let _ = stream.write_all(
                    format!(
                        "HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                        reply.len()
                    )
                    .as_bytes(),
                );
            });
        }
    });
    port
}

#[test]
fn a_servers_sid_and_connect_error_are_escaped_for_people_and_exact_in_json() {
    let port = evil_socketio();
    let target = format!("127.0.0.1:{port}");
    let only = "socketio.handshake,socketio.namespace";
    let args = ["check", &target, "--eio", "4", "--only", only];

    let out = rt(&[&args[..], &["-v"]].concat());
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert_escaped(&out.stdout);
    assert!(
        out.stdout
            .contains(&format!("the server refused the CONNECT to /: \"{SHOWN}\"")),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(&format!("sid {SHOWN}")),
        "{}",
        out.stdout
    );

    let out = rt(&[&args[..], &["--json"]].concat());
    let r = out.json();
    assert_eq!(
        summary(&r, "socketio.namespace"),
        format!("the server refused the CONNECT to /: \"{EVIL}\"")
    );
    assert!(evidence(&r, "socketio.namespace").contains(&format!("sid {EVIL}")));

    let args = [&args[..], &["--socketio-path", "/err/"]].concat();
    let out = rt(&[&args[..], &["-v"]].concat());
    assert_escaped(&out.stdout);
    assert!(
        out.stdout
            .contains(&format!("the handshake was refused: {SHOWN}")),
        "{}",
        out.stdout
    );
    let r = rt(&[&args[..], &["--json"]].concat()).json();
    assert!(
        summary(&r, "socketio.handshake")
            .starts_with(&format!("the handshake was refused: {EVIL}")),
        "{r:#}"
    );
}

/// A python3 listener whose process name (comm) and arguments carry `EVIL`.
fn evil_process() -> Server {
    let port = free_port();
    let script = r#"
import socket, sys
with open("/proc/self/comm", "wb") as f:
    f.write(b"py\x1b[31m\xe2\x80\xaeX")
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(8)
print("ready", flush=True)
while True:
    s.accept()[0].close()
"#;
    spawn_ready(
        Command::new(python()).args(["-c", script, &port.to_string(), EVIL]),
        port,
    )
}

#[test]
fn a_process_name_and_command_line_are_escaped_in_ports_and_kill() {
    let server = evil_process();
    let port = server.port.to_string();

    let out = rt(&["ports", &port]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_escaped(&out.stdout);
    assert!(
        out.stdout.contains("py\\x1b[31m\\u{202e}X"),
        "{}",
        out.stdout
    );

    let out = rt(&["ports", &port, "--json"]);
    let holder = &out.json()["ports"][0]["holders"][0]["process"];
    assert_eq!(holder["name"], "py\x1b[31m\u{202e}X", "{holder:#}");
    let cmdline: Vec<&str> = holder["cmdline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(cmdline.last(), Some(&EVIL), "{holder:#}");

    let out = rt(&["kill", &port, "--dry-run"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_escaped(&out.stdout);
    assert!(
        out.stdout.contains("would send SIGTERM") && out.stdout.contains("py\\x1b[31m\\u{202e}X"),
        "{}",
        out.stdout
    );
    assert!(server.pid() > 0, "the listener is still ours to end");
}
