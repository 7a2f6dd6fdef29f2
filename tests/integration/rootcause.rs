//! One root cause, not its symptoms: a name that does not resolve, a
//! listener that takes no connection and a TLS handshake that fails are
//! each said once, in words, with a fix, by the check that meets them
//! first (`port.listen`, `tls.certificate`); the checks that need it are
//! skipped with the reason. And whatever a probe meets, no summary quotes
//! a library's error text.

use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::Duration;

use serde_json::Value;

use crate::support::{Loopback, fix_text, free_port, http_server, read_head, rt, status, summary};

/// What reqwest, hyper, getaddrinfo and std say when they fail.
const LIBRARY: [&str; 7] = [
    "error sending request",
    "client error (Connect)",
    "dns error",
    "os error",
    "failed to lookup address information",
    "connection closed before message completed",
    "tcp connect error",
];

fn check_json(url: &str, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["check", url, "--format", "json", "--timeout", "1s"];
    all.extend_from_slice(args);
    let out = rt(&all);
    (out.code, out.json())
}

/// Every check's id, status and summary.
fn results(r: &Value) -> Vec<(String, String, String)> {
    r["targets"][0]["checks"]
        .as_array()
        .expect("checks array")
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap_or_default().to_string();
            (s("id"), s("status"), s("summary"))
        })
        .collect()
}

/// The ids of the checks that failed.
fn failed(r: &Value) -> Vec<String> {
    results(r)
        .into_iter()
        .filter(|(_, status, _)| status == "fail")
        .map(|(id, ..)| id)
        .collect()
}

fn assert_in_words(r: &Value) {
    for (id, _, said) in results(r) {
        for phrase in LIBRARY {
            assert!(!said.contains(phrase), "{id}: {said}");
        }
    }
}

/// Each of `ids` was skipped because `cause` failed.
fn assert_skipped(r: &Value, ids: &[&str], cause: &str) {
    for id in ids {
        assert_eq!(
            (status(r, id), summary(r, id)),
            ("skip", format!("skipped because {cause} failed").as_str()),
            "{id}"
        );
    }
}

#[test]
fn port_listen_a_name_that_does_not_resolve_is_one_root_cause_with_its_fix() {
    let (code, r) = check_json("https://does-not-exist.invalid", &[]);
    assert_eq!(code, 1);
    assert_eq!(failed(&r), ["port.listen"]);
    assert_eq!(
        summary(&r, "port.listen"),
        "does-not-exist.invalid does not resolve: no such name (no address for it in DNS or /etc/hosts)"
    );
    assert!(
        fix_text(&r, "port.listen").contains("getent hosts does-not-exist.invalid"),
        "{}",
        fix_text(&r, "port.listen")
    );
    let dependents = [
        "http.health",
        "socketio.handshake",
        "tls.certificate",
        "net.dualstack",
        "system.fd-limit",
    ];
    assert_skipped(&r, &dependents, "port.listen");
    assert_in_words(&r);
}

/// A listener whose accept queue is full: Linux drops the SYNs of new
/// connections, as a firewall that drops packets does, all on loopback.
struct Full {
    port: u16,
    _listener: tokio::net::TcpListener,
    _queued: Vec<TcpStream>,
    _rt: tokio::runtime::Runtime,
}

impl Full {
    fn start() -> Full {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .expect("a runtime");
        let listener = rt.block_on(async {
            let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
            socket
                .bind("127.0.0.1:0".parse().expect("an address"))
                .expect("bind");
            socket.listen(0).expect("listen")
        });
        let port = listener.local_addr().expect("its address").port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        // Never accepted: the first connections fill the queue, the next
        // ones get no answer.
        let queued = (0..3)
            .filter_map(|_| TcpStream::connect_timeout(&addr, Duration::from_millis(300)).ok())
            .collect();
        Full {
            port,
            _listener: listener,
            _queued: queued,
            _rt: rt,
        }
    }
}

#[test]
fn port_listen_a_listener_that_takes_no_connection_is_one_root_cause_with_its_fix() {
    let full = Full::start();
    let (code, r) = check_json(&format!("http://127.0.0.1:{}", full.port), &[]);
    assert_eq!(code, 1);
    assert_eq!(failed(&r), ["port.listen"], "{:#?}", results(&r));
    assert_eq!(
        summary(&r, "port.listen"),
        format!(
            "a process listens on port {} but took no new connection within 1000 ms: its accept \
queue is full (the process is stuck or overloaded)",
            full.port
        )
    );
    assert!(fix_text(&r, "port.listen").contains(&format!("rtdoctor kill {}", full.port)));
    assert_skipped(
        &r,
        &["http.health", "socketio.handshake", "net.dualstack"],
        "port.listen",
    );
    assert_in_words(&r);
}

#[test]
fn tls_certificate_a_handshake_that_fails_skips_the_checks_that_talk_tls() {
    let port = free_port();
    let _plain = http_server("127.0.0.1", port);
    let (code, r) = check_json(
        &format!("https://127.0.0.1:{port}"),
        &["--origin", "http://localhost:3000"],
    );
    assert_eq!(code, 1);
    assert_eq!(failed(&r), ["tls.certificate"], "{:#?}", results(&r));
    assert!(
        summary(&r, "tls.certificate").contains("answered the TLS handshake with"),
        "{}",
        summary(&r, "tls.certificate")
    );
    assert_skipped(
        &r,
        &["http.health", "socketio.handshake", "cors"],
        "tls.certificate",
    );
    assert_in_words(&r);
}

/// All checks, then the checks that talk to the server picked so that
/// each meets the failure itself (their gates left out).
const PROBES: [&[&str]; 2] = [
    &[],
    &[
        "--only",
        "http.health",
        "--only",
        "socketio.handshake",
        "--only",
        "websocket.upgrade",
        "--only",
        "cors",
        "--only",
        "net.dualstack",
    ],
];

#[test]
fn port_listen_no_summary_quotes_library_text_whatever_the_probes_meet() {
    let closed = free_port();
    let plain_port = free_port();
    let _plain = http_server("127.0.0.1", plain_port);
    let silent = silent();
    // Reads the request, then closes without a word.
    let closing = Loopback::start(|mut stream, _| {
        let _ = read_head(&mut stream);
    });
    let targets = [
        "http://does-not-exist.invalid:8765".to_string(),
        format!("http://127.0.0.1:{closed}"),
        format!("http://127.0.0.1:{}", silent.port),
        format!("http://127.0.0.1:{}", closing.port),
        format!("https://127.0.0.1:{plain_port}"),
    ];
    let extra = ["--ws-path", "/ws", "--origin", "http://localhost:3000"];
    for url in &targets {
        for only in PROBES {
            let args: Vec<&str> = extra.iter().chain(only.iter()).copied().collect();
            let (_, r) = check_json(url, &args);
            let said = results(&r);
            assert!(
                said.iter().any(|(_, status, _)| status == "fail"),
                "{url} {only:?}: {said:#?}"
            );
            for (id, _, summary) in &said {
                for phrase in LIBRARY {
                    assert!(!summary.contains(phrase), "{url} {only:?} {id}: {summary}");
                }
            }
        }
    }
}

/// Holds every connection it takes, answering nothing, until dropped.
fn silent() -> Loopback {
    Loopback::start(|_stream, stop| {
        while !stop.load(std::sync::atomic::Ordering::SeqCst) {
            thread::sleep(Duration::from_millis(20));
        }
    })
}

#[test]
fn http_health_and_socketio_handshake_give_the_stuck_process_fix_once() {
    let server = silent();
    let url = format!("http://127.0.0.1:{}", server.port);
    let (_, r) = check_json(&url, &[]);
    for id in ["http.health", "socketio.handshake"] {
        assert_eq!(status(&r, id), "fail", "{id}: {}", summary(&r, id));
    }
    let out = rt(&["check", &url, "--timeout", "1s"]);
    assert_eq!(
        out.stdout.matches("If the process is stuck").count(),
        1,
        "{}",
        out.stdout
    );
    assert_eq!(
        out.stdout
            .matches(&format!("$ rtdoctor kill {}", server.port))
            .count(),
        1,
        "{}",
        out.stdout
    );
}
