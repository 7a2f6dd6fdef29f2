//! Servers that misbehave on purpose, in this test process (real servers
//! will not hang, drip or send garbage on demand). Whatever they do,
//! rtdoctor finishes with `fail` and what it saw, reads a bounded number
//! of bytes, and never panics. Wall times are printed for the record
//! (`--nocapture`), not asserted.

use std::io::Write;
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

use crate::support::*;

/// A misbehaving server; it stops accepting when dropped.
struct Hostile {
    loopback: Loopback,
    /// Bytes the server managed to write, over all connections.
    written: Arc<AtomicU64>,
    /// Connections it accepted.
    accepted: Arc<AtomicU64>,
}

struct Conn<'a> {
    stream: TcpStream,
    /// The request head as received.
    head: String,
    written: Arc<AtomicU64>,
    stop: &'a AtomicBool,
}

impl Conn<'_> {
    fn send(&mut self, bytes: &[u8]) -> bool {
        match self.stream.write_all(bytes) {
            Ok(()) => {
                self.written.fetch_add(bytes.len() as u64, Ordering::SeqCst);
                true
            }
            Err(_) => false,
        }
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    fn ws_key(&self) -> Option<String> {
        self.head
            .lines()
            .find_map(|l| {
                l.strip_prefix("Sec-WebSocket-Key: ")
                    .or_else(|| l.strip_prefix("sec-websocket-key: "))
            })
            .map(|k| k.trim().to_string())
    }
}

fn hostile(behave: fn(&mut Conn)) -> Hostile {
    let written = Arc::new(AtomicU64::new(0));
    let accepted = Arc::new(AtomicU64::new(0));
    let (w, a) = (written.clone(), accepted.clone());
    let loopback = Loopback::start(move |mut stream, stop| {
        a.fetch_add(1, Ordering::SeqCst);
        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
        let head = read_head(&mut stream);
        let mut conn = Conn {
            stream,
            head,
            written: w.clone(),
            stop,
        };
        behave(&mut conn);
    });
    Hostile {
        loopback,
        written,
        accepted,
    }
}

/// Hold the connection without a byte, until the test ends.
fn hang(c: &mut Conn) {
    while !c.stopped() {
        thread::sleep(Duration::from_millis(50));
    }
}

/// The status line of a 200 answer, one byte a second.
fn drip(c: &mut Conn) {
    for b in b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n" {
        if c.stopped() || !c.send(&[*b]) {
            return;
        }
        thread::sleep(Duration::from_secs(1));
    }
}

/// Bytes from a fixed-seed generator, then close.
fn random_bytes(c: &mut Conn) {
    let mut x: u32 = 0x2545_f491;
    let bytes: Vec<u8> = (0..100_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x & 0xff) as u8
        })
        .collect();
    c.send(&bytes);
}

/// A 200 whose body never ends.
fn endless_body(c: &mut Conn) {
    if !c.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n") {
        return;
    }
    let chunk = vec![b'0'; 64 * 1024];
    while !c.stopped() && c.send(&chunk) {}
}

/// A 200 with a one-megabyte header.
fn huge_header(c: &mut Conn) {
    let mut answer = b"HTTP/1.1 200 OK\r\nX-Big: ".to_vec();
    answer.extend(std::iter::repeat_n(b'a', 1024 * 1024));
    answer.extend_from_slice(b"\r\nContent-Length: 0\r\n\r\n");
    c.send(&answer);
    hang(c);
}

/// 101 to every upgrade, with an accept key that is not derived from the key.
fn wrong_accept(c: &mut Conn) {
    if c.ws_key().is_some() {
        c.send(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: bm90IHRoZSByaWdodCBrZXk=\r\n\r\n");
        hang(c);
    } else {
        c.send(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    }
}

/// A correct 101, then bytes that are not WebSocket frames.
fn garbage_frames(c: &mut Conn) {
    match c.ws_key() {
        Some(key) => {
            let head = format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
                derive_accept_key(key.as_bytes())
            );
            if c.send(head.as_bytes()) {
                c.send(&[0xff; 64]);
                c.send(b"HTTP/1.1 101 Switching Protocols\r\n\r\n");
            }
            hang(c);
        }
        None => {
            c.send(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        }
    }
}

/// Every request is sent back to itself.
fn redirect_loop(c: &mut Conn) {
    let path = c.head.split_whitespace().nth(1).unwrap_or("/").to_string();
    c.send(
        format!("HTTP/1.1 302 Found\r\nLocation: {path}\r\nContent-Length: 0\r\n\r\n").as_bytes(),
    );
}

/// An Engine.IO open packet whose JSON breaks off.
fn malformed_open(c: &mut Conn) {
    let body = "0{\"sid\":\"abc\",\"upgrades\":[\"webso";
    c.send(
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    );
}

/// Half an answer, then a TCP reset.
fn reset_midway(c: &mut Conn) {
    c.send(b"HTTP/1.1 200 OK\r\nContent-Le");
    let linger = nix::libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    let _ = nix::sys::socket::setsockopt(&c.stream, nix::sys::socket::sockopt::Linger, &linger);
}

/// A 200 whose headers name hops with bidi and C1 controls (what a header
/// value may carry), and repeat Via many times.
fn hostile_hops(c: &mut Conn) {
    let mut answer = String::from(
        "HTTP/1.1 200 OK\r\nServer: nginx\u{9b}2J\r\nVia: 1.1 vegur\u{202e}gnp.exe\r\n",
    );
    for i in 0..60 {
        answer.push_str(&format!("Via: 1.1 hop{i}\r\n"));
    }
    answer.push_str("Content-Length: 0\r\n\r\n");
    c.send(answer.as_bytes());
}

/// rtdoctor with every wire probe against the server, `--timeout 1s`.
fn against(server: &Hostile, name: &str) -> (Value, String) {
    let start = Instant::now();
    let out = rt(&[
        "check",
        &format!("127.0.0.1:{}", server.loopback.port),
        "--json",
        "--timeout",
        "1s",
        "--ws-path",
        "/ws",
        "--only",
        "http,socketio,websocket",
    ]);
    eprintln!(
        "hostile {name}: rtdoctor ran {} ms with --timeout 1s",
        start.elapsed().as_millis()
    );
    assert!(!out.stderr.contains("panicked"), "{name}: {}", out.stderr);
    assert_eq!(out.code, 1, "{name}: {}", out.stdout);
    let r = out.json();
    (r, out.stdout)
}

#[test]
fn a_server_that_never_answers() {
    let s = hostile(hang);
    let (r, _) = against(&s, "never answers");
    assert_eq!(
        summary(&r, "http.health"),
        "GET /health got no answer within 1000 ms"
    );
    assert_eq!(
        summary(&r, "socketio.handshake"),
        "the handshake got no answer within 1000 ms"
    );
    assert_eq!(status(&r, "socketio.upgrade"), "skip");
    // A local process that accepts and never answers may be stuck.
    assert!(
        fix_text(&r, "socketio.handshake").contains(&format!("rtdoctor kill {}", s.loopback.port))
    );
    assert!(summary(&r, "websocket.upgrade").ends_with("the upgrade got no answer within 1000 ms"));
}

#[test]
fn a_server_that_drips_a_byte_a_second() {
    let s = hostile(drip);
    let (r, _) = against(&s, "drips");
    assert_eq!(
        summary(&r, "http.health"),
        "GET /health got no answer within 1000 ms"
    );
    assert!(summary(&r, "websocket.upgrade").ends_with("no answer within 1000 ms"));
}

#[test]
fn a_server_that_answers_random_bytes() {
    let s = hostile(random_bytes);
    let (r, _) = against(&s, "random bytes");
    assert_eq!(status(&r, "http.health"), "fail");
    assert_eq!(status(&r, "socketio.handshake"), "fail");
    let ws = summary(&r, "websocket.upgrade");
    assert!(ws.contains("an answer that is not HTTP"), "{ws}");
}

/// The most the kernel holds for one loopback TCP connection: the
/// receiving side's buffer and the sending side's, at their maximum
/// (`tcp_rmem`, `tcp_wmem`).
fn socket_buffers() -> u64 {
    let max = |name: &str| -> u64 {
        std::fs::read_to_string(format!("/proc/sys/net/ipv4/{name}"))
            .ok()
            .and_then(|s| s.split_whitespace().nth(2)?.parse().ok())
            .unwrap_or(8 * 1024 * 1024)
    };
    max("tcp_rmem") + max("tcp_wmem")
}

#[test]
fn socketio_handshake_a_server_with_an_endless_body_is_read_only_so_far() {
    let s = hostile(endless_body);
    let (r, _) = against(&s, "endless body");
    let hs = summary(&r, "socketio.handshake");
    assert!(
        hs.contains("Engine.IO is not served at /socket.io/"),
        "{hs}"
    );
    assert!(
        evidence(&r, "socketio.handshake").contains("(cut)"),
        "the body was cut at the read limit"
    );
    // Bytes, not time: what the server got rid of before rtdoctor stopped
    // reading is, on each connection, the 64 KiB kept per answer plus the
    // kernel's socket buffers, not an endless stream. (The Socket.IO
    // checks make a dozen connections at once.)
    thread::sleep(Duration::from_millis(200));
    let written = s.written.load(Ordering::SeqCst);
    let accepted = s.accepted.load(Ordering::SeqCst);
    let each = 64 * 1024 + socket_buffers();
    assert!(
        written < accepted * each,
        "the server wrote {written} bytes over {accepted} connections before rtdoctor let \
go: more than {each} a connection"
    );
}

#[test]
fn a_server_with_a_one_megabyte_header() {
    let s = hostile(huge_header);
    let (r, _) = against(&s, "1 MB header");
    assert_eq!(status(&r, "http.health"), "fail");
    assert_eq!(status(&r, "socketio.handshake"), "fail");
    let ws = summary(&r, "websocket.upgrade");
    assert!(ws.contains("larger than 16384 bytes"), "{ws}");
}

#[test]
fn websocket_upgrade_a_101_with_a_wrong_accept_key() {
    let s = hostile(wrong_accept);
    let (r, _) = against(&s, "wrong accept key");
    let ws = summary(&r, "websocket.upgrade");
    assert!(
        ws.contains("Sec-WebSocket-Accept does not match the key sent"),
        "{ws}"
    );
}

#[test]
fn websocket_upgrade_a_101_then_garbage_frames() {
    let s = hostile(garbage_frames);
    let (r, _) = against(&s, "garbage frames");
    let ws = summary(&r, "websocket.upgrade");
    assert!(ws.contains("101, then frames that do not parse"), "{ws}");
}

#[test]
fn a_redirect_loop_is_not_followed() {
    let s = hostile(redirect_loop);
    let (r, _) = against(&s, "redirect loop");
    assert_eq!(status(&r, "http.health"), "warn");
    assert!(summary(&r, "http.health").starts_with("HTTP/1.1 302 Found to /health"));
    assert!(summary(&r, "socketio.handshake").contains("HTTP/1.1 302 Found"));
    assert!(summary(&r, "websocket.upgrade").contains("the upgrade was redirected"));
}

#[test]
fn socketio_handshake_a_malformed_engineio_open_packet() {
    let s = hostile(malformed_open);
    let (r, _) = against(&s, "malformed open packet");
    let hs = summary(&r, "socketio.handshake");
    assert!(hs.contains("a malformed Engine.IO open packet"), "{hs}");
}

#[test]
fn a_reset_in_the_middle_of_the_answer() {
    let s = hostile(reset_midway);
    let (r, _) = against(&s, "reset midway");
    assert_eq!(status(&r, "http.health"), "fail");
    assert_eq!(status(&r, "socketio.handshake"), "fail");
    assert_eq!(status(&r, "websocket.upgrade"), "fail");
}

#[test]
fn net_path_hop_headers_are_escaped_for_people_bounded_and_exact_in_json() {
    let s = hostile(hostile_hops);
    let target = format!("127.0.0.1:{}", s.loopback.port);
    let args = ["check", &target, "--only", "net.path", "--timeout", "1s"];
    let out = rt(&[&args[..], &["-v"]].concat());
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert!(!out.stdout.contains('\u{202e}'), "{}", out.stdout);
    assert!(!out.stdout.contains('\u{9b}'), "{}", out.stdout);
    assert!(
        out.stdout.contains("vegur\\u{202e}gnp.exe"),
        "{}",
        out.stdout
    );
    let shown = out
        .stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("header:"));
    assert!((1..=12).contains(&shown.count()), "{}", out.stdout);
    let r = rt(&[&args[..], &["--json"]].concat()).json();
    assert!(summary(&r, "net.path").contains("Heroku's router (via: 1.1 vegur\u{202e}gnp.exe)"));
}
