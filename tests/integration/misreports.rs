//! Answers that rtdoctor used to mis-report, from servers in this process
//! (no real server sends them on demand): a health body that says "down",
//! a health body that never ends, an open packet with zero heartbeat or
//! payload limit, a CONNECT reply too big or too deep to read, and random
//! bytes on a TLS port.

use std::io::Write;
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::Value;

use crate::support::*;

/// A server answering each connection with `answer(request head)`; the
/// answer `ENDLESS` instead starts a 200 whose body is written until the
/// test ends.
fn fake(answer: fn(&str) -> Vec<u8>) -> Loopback {
    fake_with(answer, false)
}

/// Like `fake`, but it answers as soon as it accepts, without reading a
/// request (what a server that does not speak the client's protocol does
/// with a TLS ClientHello it cannot parse).
fn talker(answer: fn(&str) -> Vec<u8>) -> Loopback {
    fake_with(answer, true)
}

fn fake_with(answer: fn(&str) -> Vec<u8>, first: bool) -> Loopback {
    Loopback::start(move |stream, stop| serve(stream, answer, stop, first))
}

fn serve(mut stream: TcpStream, answer: fn(&str) -> Vec<u8>, stop: &AtomicBool, first: bool) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let head = if first {
        String::new()
    } else {
        // The body too (a POST's packets), so none is left unread.
        let head = read_head(&mut stream);
        skip_body(&mut stream, &head);
        head
    };
    let bytes = answer(&head);
    if bytes == ENDLESS {
        if stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"status\":\"ok\",\"pad\":\"")
            .is_err()
        {
            return;
        }
        let chunk = vec![b'0'; 64 * 1024];
        while !stop.load(Ordering::SeqCst) && stream.write_all(&chunk).is_ok() {}
        return;
    }
    let _ = stream.write_all(&bytes);
}

const ENDLESS: &[u8] = b"endless";

fn http(status: &str, ctype: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

fn check(port: u16, scheme: &str, only: &str) -> Value {
    let out = rt(&[
        "check",
        &format!("{scheme}://127.0.0.1:{port}"),
        "--json",
        "--timeout",
        "2s",
        "--only",
        only,
    ]);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    out.json()
}

#[test]
fn http_health_a_body_that_says_down_fails() {
    let down = fake(|_| http("200 OK", "application/json", br#"{"status":"down"}"#));
    let r = check(down.port, "http", "http.health");
    assert_eq!(status(&r, "http.health"), "fail", "{r}");
    let s = summary(&r, "http.health");
    assert!(
        s.contains("status \"down\"") && s.contains("not healthy"),
        "{s}"
    );

    let out = rt(&[
        "check",
        &format!("127.0.0.1:{}", down.port),
        "--json",
        "--strict",
        "--only",
        "http.health",
    ]);
    assert_eq!(out.code, 1, "{}", out.stdout);

    let up = fake(|_| http("200 OK", "application/json", br#"{"status":"UP"}"#));
    let r = check(up.port, "http", "http.health");
    assert_eq!(status(&r, "http.health"), "pass", "{r}");
}

#[test]
fn http_health_a_body_that_never_ends_is_not_read_as_json() {
    let endless = fake(|_| ENDLESS.to_vec());
    let r = check(endless.port, "http", "http.health");
    assert_eq!(status(&r, "http.health"), "warn", "{r}");
    let s = summary(&r, "http.health");
    assert!(s.contains("the body did not end within 64 KiB"), "{s}");
}

/// An Engine.IO 4 server whose open packet is `open` and whose first poll
/// answers `reply` (the CONNECT's reply).
fn engineio(head: &str, open: &str, reply: &[u8]) -> Vec<u8> {
    let line = head.lines().next().unwrap_or("");
    if line.starts_with("POST") {
        http("200 OK", "text/plain", b"ok")
    } else if line.contains("sid=") {
        http("200 OK", "text/plain", reply)
    } else if line.contains("EIO=3") {
        http(
            "400 Bad Request",
            "application/json",
            br#"{"code":5,"message":"Unsupported protocol version"}"#,
        )
    } else {
        http("200 OK", "text/plain", format!("0{open}").as_bytes())
    }
}

const OPEN: &str =
    r#"{"sid":"s1","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;

#[test]
fn socketio_handshake_an_open_packet_with_zero_heartbeat_or_payload_fails() {
    let zero = fake(|h| {
        engineio(
            h,
            r#"{"sid":"s1","upgrades":[],"pingInterval":0,"pingTimeout":0,"maxPayload":0}"#,
            b"40{\"sid\":\"n1\"}",
        )
    });
    let r = check(zero.port, "http", "socketio.handshake");
    assert_eq!(status(&r, "socketio.handshake"), "fail", "{r}");
    let s = summary(&r, "socketio.handshake");
    for said in [
        "pingInterval is 0",
        "pingTimeout is 0",
        "cannot send anything",
    ] {
        assert!(s.contains(said), "{said}: {s}");
    }

    let sane = fake(|h| engineio(h, OPEN, b"40{\"sid\":\"n1\"}"));
    let r = check(sane.port, "http", "socketio.handshake,socketio.namespace");
    assert_eq!(status(&r, "socketio.handshake"), "pass", "{r}");
    assert_eq!(status(&r, "socketio.namespace"), "pass", "{r}");
}

#[test]
fn socketio_namespace_a_connect_reply_too_big_to_read_says_so() {
    let big = fake(|h| {
        let mut reply = b"40{\"sid\":\"n1\",\"pad\":\"".to_vec();
        reply.extend(std::iter::repeat_n(b'x', 200 * 1024));
        reply.extend_from_slice(b"\"}");
        engineio(h, OPEN, &reply)
    });
    let r = check(big.port, "http", "socketio.handshake,socketio.namespace");
    assert_eq!(status(&r, "socketio.namespace"), "fail", "{r}");
    let s = summary(&r, "socketio.namespace");
    assert!(
        s.contains("the server answered 204823 bytes, over the 64 KiB"),
        "{s}"
    );
    assert!(!s.contains("no answer"), "{s}");
}

#[test]
fn socketio_namespace_a_connect_reply_nested_too_deep_says_so() {
    let deep = fake(|h| {
        let reply = format!("40{}{}", "[".repeat(3000), "]".repeat(3000));
        engineio(h, OPEN, reply.as_bytes())
    });
    let r = check(deep.port, "http", "socketio.handshake,socketio.namespace");
    assert_eq!(status(&r, "socketio.namespace"), "fail", "{r}");
    let s = summary(&r, "socketio.namespace");
    assert!(s.contains("nested 3000 levels deep"), "{s}");
    assert!(!s.contains("no answer"), "{s}");
}

#[test]
fn tls_certificate_random_bytes_on_a_tls_port_are_not_called_plain_http() {
    let noise = talker(|_| {
        let mut x: u32 = 0x2545_f491;
        (0..4096)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                // Never a TLS record type (20–24) first.
                (x as u8) | 0x80
            })
            .collect()
    });
    let r = check(noise.port, "https", "tls.certificate");
    assert_eq!(status(&r, "tls.certificate"), "fail", "{r}");
    let s = summary(&r, "tls.certificate");
    assert!(s.contains("neither TLS nor HTTP"), "{s}");
    assert!(!s.contains("plain HTTP"), "{s}");

    let plain = talker(|_| http("400 Bad Request", "text/html", b"<h1>400</h1>"));
    let r = check(plain.port, "https", "tls.certificate");
    assert!(summary(&r, "tls.certificate").contains("plain HTTP"), "{r}");
}

/// reqwest's and hyper's wrappers ("error sending request for url (…)",
/// "client error (Connect)") and Rust Debug names never reach the report:
/// a TLS port that closes at once, and one that answers plain HTTP.
#[test]
fn failures_are_said_in_words() {
    let closes = talker(|_| Vec::new());
    let plain = talker(|_| http("400 Bad Request", "text/html", b"<h1>400</h1>"));
    for server in [&closes, &plain] {
        let r = check(
            server.port,
            "https",
            // Without tls.certificate, whose failure would skip them:
            // the probes meet the failure themselves.
            "http.health,socketio.handshake",
        );
        let text = r.to_string();
        for wrapper in [
            "error sending request",
            "client error (",
            "Other(",
            "OtherError",
            "InvalidContentType",
            "corrupt message",
        ] {
            assert!(!text.contains(wrapper), "{wrapper} in {r:#}");
        }
        let s = summary(&r, "http.health");
        assert!(s.starts_with("GET /health got "), "{s}");
    }
}

/// A listener with a backlog of 0 that never accepts, its accept queue
/// filled by connections of this test: the kernel then drops new
/// connection attempts, which time out. Returns the port, the listening
/// socket and the queued connections (kept open), and how many connection
/// attempts timed out while filling.
fn full_backlog() -> (u16, std::os::fd::OwnedFd, Vec<TcpStream>, usize) {
    use nix::sys::socket::{
        AddressFamily, Backlog, SockFlag, SockType, SockaddrIn, bind, getsockname, listen, socket,
    };
    use std::os::fd::AsRawFd;
    let fd = socket(
        AddressFamily::Inet,
        SockType::Stream,
        SockFlag::empty(),
        None,
    )
    .unwrap();
    bind(
        fd.as_raw_fd(),
        &SockaddrIn::from(std::net::SocketAddrV4::new(
            std::net::Ipv4Addr::LOCALHOST,
            0,
        )),
    )
    .unwrap();
    listen(&fd, Backlog::new(0).unwrap()).unwrap();
    let port = getsockname::<SockaddrIn>(fd.as_raw_fd()).unwrap().port();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut queued = Vec::new();
    let mut timed_out = 0;
    for _ in 0..8 {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
            Ok(s) => queued.push(s),
            Err(_) => {
                timed_out += 1;
                if timed_out == 2 {
                    break;
                }
            }
        }
    }
    (port, fd, queued, timed_out)
}

#[test]
fn a_listener_whose_accept_queue_is_full_is_said_to_accept_nothing() {
    let (port, _listener, _queued, timed_out) = full_backlog();
    assert!(timed_out > 0, "the accept queue never filled");
    let out = rt(&[
        "check",
        &format!("127.0.0.1:{port}"),
        "--json",
        "--timeout",
        "1s",
        "--only",
        "port.listen,net.dualstack",
    ]);
    let r = out.json();
    // One root cause, said by port.listen (it dials what it found
    // listening); net.dualstack, which needs it, is skipped.
    assert_eq!(status(&r, "port.listen"), "fail", "{r:#}");
    let s = summary(&r, "port.listen");
    assert!(s.contains("took no new connection"), "{s}");
    assert!(s.contains("accept queue is full"), "{s}");
    let fixes = fix_text(&r, "port.listen");
    assert!(fixes.contains(&format!("rtdoctor kill {port}")), "{fixes}");
    assert!(
        !fixes.contains("Listen on both address families"),
        "{fixes}"
    );
    assert_eq!(
        summary(&r, "net.dualstack"),
        "skipped because port.listen failed"
    );
}
