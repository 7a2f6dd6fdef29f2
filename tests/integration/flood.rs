//! A WebSocket server that answers the upgrade, then sends ping frames as
//! fast as it can and never reads its socket. Every pong rtdoctor owes
//! such a server has nowhere to go; what it keeps queued must stay capped,
//! so its memory (peak RSS, read from the child's /proc/PID/status) stays
//! within a few MB of a quiet server's, whatever the server sends. The
//! figures are printed for the record (`--nocapture`).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

use crate::support::*;

/// The most a flood may add to rtdoctor's peak RSS over a quiet server's.
const ALLOWED_GROWTH_KB: u64 = 8 * 1024;

/// What the server does once the upgrade is answered.
#[derive(Clone, Copy, PartialEq)]
enum After {
    /// Nothing: holds the connection.
    Quiet,
    /// Ping frames with a 125-byte payload, in a tight loop, never reading.
    Flood,
}

/// A server on loopback that answers WebSocket upgrades with a correct 101
/// (and Engine.IO v4 polling handshakes with an open packet offering the
/// websocket upgrade, so `socketio.upgrade` gets there too); it stops
/// accepting when dropped.
fn server(after: After) -> Loopback {
    Loopback::start(move |stream, stop| serve(stream, after, stop))
}

fn serve(mut stream: TcpStream, after: After, stop: &AtomicBool) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    loop {
        let head = read_head(&mut stream);
        if head.is_empty() {
            return;
        }
        if let Some(key) = ws_key(&head) {
            let answer = format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
                derive_accept_key(key.as_bytes())
            );
            if stream.write_all(answer.as_bytes()).is_err() {
                return;
            }
            let mut ping = vec![0x89, 125];
            ping.extend([b'p'; 125]);
            let pings = ping.repeat(512);
            while !stop.load(Ordering::SeqCst) {
                if after == After::Quiet {
                    thread::sleep(Duration::from_millis(20));
                } else if stream.write_all(&pings).is_err() {
                    return;
                }
            }
            return;
        }
        let body = if head.contains("sid=") {
            // A long-poll with nothing to say.
            thread::sleep(Duration::from_secs(3));
            "6".to_string()
        } else if head.contains("EIO=") {
            r#"0{"sid":"flood","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#.to_string()
        } else {
            "not here".to_string()
        };
        let answer = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        if stream.write_all(answer.as_bytes()).is_err() {
            return;
        }
    }
}

fn ws_key(head: &str) -> Option<String> {
    head.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("sec-websocket-key")
            .then(|| value.trim().to_string())
    })
}

/// rtdoctor's peak RSS in kB (VmHWM, read while it runs), its exit code
/// and its report.
fn peak_rss(args: &[&str]) -> (u64, i32, String) {
    let mut child = rtdoctor()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting rtdoctor");
    let status_path = format!("/proc/{}/status", child.id());
    let mut stdout = child.stdout.take().unwrap();
    let reader = thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let mut peak = 0;
    let code = loop {
        // VmHWM only grows; the last reading before exit is the peak.
        if let Ok(status) = std::fs::read_to_string(&status_path)
            && let Some(kb) = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak = peak.max(kb);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status.code().unwrap_or(-1);
        }
        thread::sleep(Duration::from_millis(5));
    };
    (peak, code, reader.join().unwrap())
}

fn measure(after: After, target: &str, only: &str, extra: &[&str]) -> (u64, String) {
    let s = server(after);
    let target = target.replace("PORT", &s.port.to_string());
    let mut args = vec![
        "check",
        &target,
        "--json",
        "--timeout",
        "2s",
        "--only",
        only,
    ];
    args.extend(extra);
    let (kb, code, report) = peak_rss(&args);
    assert_eq!(code, 1, "{report}");
    (kb, report)
}

/// The flood's summary for `check_id`, once its peak RSS was held to the
/// quiet server's.
fn assert_capped(target: &str, only: &str, check_id: &str, extra: &[&str]) -> String {
    let (quiet, _) = measure(After::Quiet, target, only, extra);
    let (flood, report) = measure(After::Flood, target, only, extra);
    eprintln!(
        "{check_id}: peak RSS {quiet} kB against a quiet server, {flood} kB against a ping flood"
    );
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(status(&report, check_id), "fail");
    eprintln!(
        "{check_id} against a ping flood: {}",
        summary(&report, check_id)
    );
    assert!(
        flood < quiet + ALLOWED_GROWTH_KB,
        "{check_id}: a ping flood took rtdoctor's peak RSS from {quiet} kB to {flood} kB"
    );
    summary(&report, check_id).to_string()
}

#[test]
fn websocket_upgrade_a_ping_flood_on_a_websocket_endpoint_keeps_memory_capped() {
    let target = "ws://127.0.0.1:PORT/ws";
    let said = assert_capped(target, "websocket.upgrade", "websocket.upgrade", &[]);
    assert!(said.contains("ping frames of its own meanwhile"), "{said}");
}

#[test]
fn socketio_upgrade_a_ping_flood_after_a_socketio_upgrade_keeps_memory_capped() {
    let only = "socketio.handshake,socketio.upgrade";
    let said = assert_capped("127.0.0.1:PORT", only, "socketio.upgrade", &[]);
    // What came is said; a server that pings without end is not named a
    // worker that cannot serve websockets.
    assert!(said.contains("only the server's own ping frames"), "{said}");
    assert!(!said.contains("worker"), "{said}");
}

#[test]
fn a_ping_flood_on_a_declared_websocket_check_keeps_memory_capped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("echo.toml"),
        r#"[[check]]
id = "app.echo"
title = "The endpoint echoes"
kind = "websocket"
path = "/ws"
send = "hello"
fix = "Echo."

[check.expect]
contains = "hello"
"#,
    )
    .unwrap();
    let checks = dir.path().to_str().unwrap();
    assert_capped("127.0.0.1:PORT", "app", "app.echo", &["--checks", checks]);
}
