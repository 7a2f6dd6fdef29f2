//! Helpers: run rtdoctor isolated from the caller's environment, find free
//! ports, start real listeners that are ended (by pid) when dropped, and
//! serve loopback connections from this test process (`Loopback`,
//! `read_head`) where a test needs a server no real one imitates.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read};
use std::net::{Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The checks that look at this machine, not at the wire: what tests of
/// bare TCP listeners select (net.path asks the server over HTTP).
pub const LOCAL: &str = "port,net.dualstack,env,system";

/// The catalogue order (`rtdoctor checks`, and every report's checks;
/// opt-in ones only when asked for), written out once: an id moved,
/// renamed or added shows up here.
pub const CATALOGUE: &[&str] = &[
    "port.listen",
    "port.time-wait",
    "net.dualstack",
    "env.proxy",
    "system.fd-limit",
    "http.health",
    "socketio.handshake",
    "socketio.namespace",
    "socketio.upgrade",
    "socketio.sticky",
    "websocket.upgrade",
    "cors",
    "tls.certificate",
    "mixed-content",
    "net.path",
    // Opt-in (--soak, --payload): listed, left out of reports without them.
    "socketio.heartbeat",
    "websocket.idle",
    "socketio.payload",
    "websocket.payload",
];

/// The catalogue's ids that `--only groups` selects (a group names an id
/// or the ids under it, `port` → `port.listen`), in catalogue order.
pub fn catalogue_of(groups: &str) -> Vec<&'static str> {
    CATALOGUE
        .iter()
        .copied()
        .filter(|id| {
            groups.split(',').any(|group| {
                id.strip_prefix(group)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
            })
        })
        .collect()
}

pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\nstderr: {}", self.stdout, self.stderr))
    }
}

/// rtdoctor with a clean environment: no proxies, no NO_COLOR, a HOME and
/// working directory of its own (so no rtdoctor.toml is picked up).
pub fn rtdoctor() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rtdoctor"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", scratch_dir())
        .env("LANG", "C.UTF-8")
        .current_dir(scratch_dir())
        .stdin(Stdio::null());
    cmd
}

pub fn run(cmd: &mut Command) -> Out {
    let out = cmd.output().expect("running rtdoctor");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn rt(args: &[&str]) -> Out {
    run(rtdoctor().args(args))
}

/// rtdoctor with `args`, sent SIGINT (Ctrl-C) `after` it started: what it
/// printed, and how long after its start the signal went.
pub fn rt_interrupted(args: &[&str], after: Duration) -> (Out, f64) {
    let spawned = Instant::now();
    let child = rtdoctor()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rtdoctor starts");
    thread::sleep(after);
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).expect("SIGINT to rtdoctor");
    let sent = spawned.elapsed().as_secs_f64();
    let out = child.wait_with_output().expect("rtdoctor ends");
    let out = Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    (out, sent)
}

fn scratch_dir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("temp dir"))
        .path()
}

/// A port free on both 127.0.0.1 and ::1 right now, and never handed to
/// another test of this binary: the kernel may give a port that was just
/// released to the next `bind(0)`, so two tests running at once could
/// otherwise both start a server on it.
pub fn free_port() -> u16 {
    static HANDED: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
    loop {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = l.local_addr().unwrap().port();
        if TcpListener::bind((Ipv6Addr::LOCALHOST, port)).is_ok()
            && HANDED
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(port)
        {
            return port;
        }
    }
}

/// A free port whose neighbours up to `spread` either side are free too,
/// so that "where did the server go" searches see only our listeners.
pub fn free_port_with_quiet_neighbours(spread: u16) -> u16 {
    'outer: loop {
        let port = free_port();
        if port < spread + 1 || port > 65535 - spread {
            continue;
        }
        for p in port - spread..=port + spread {
            if TcpListener::bind(("127.0.0.1", p)).is_err()
                || TcpListener::bind((Ipv6Addr::UNSPECIFIED, p)).is_err()
            {
                continue 'outer;
            }
        }
        return port;
    }
}

pub fn python() -> &'static str {
    static OK: OnceLock<()> = OnceLock::new();
    OK.get_or_init(|| {
        let found = Command::new("python3")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(
            found,
            "python3 is needed to start the test listeners: install it (apt-get install python3)"
        );
    });
    "python3"
}

/// A child process, killed by its pid and reaped when dropped.
pub struct Server {
    pub child: Child,
    pub port: u16,
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    /// SIGTERM first, so a pre-fork master (gunicorn, nginx) takes its
    /// workers down with it; SIGKILL if it is still there after 5 s.
    fn drop(&mut self) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub const LISTENER: &str = r#"
import socket, sys
family, host, port, v6only = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
s = socket.socket(socket.AF_INET6 if family == "6" else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
if family == "6":
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(v6only))
s.bind((host, port))
s.listen(64)
print("ready", flush=True)
while True:
    c, _ = s.accept()
    c.close()
"#;

/// A test that needs root (to drop privileges, or to make a namespace)
/// says so when it is not: CI runs as root.
pub fn needs_root(to: &str) {
    assert!(
        nix::unistd::Uid::effective().is_root(),
        "this test needs root to {to} (CI runs as root)"
    );
}

/// A python3 process listening on `host:port`; `v6only` applies to IPv6.
pub fn listener(host: &str, port: u16, v6only: bool) -> Server {
    let family = if host.contains(':') { "6" } else { "4" };
    spawn_ready(
        Command::new(python()).args([
            "-c",
            LISTENER,
            family,
            host,
            &port.to_string(),
            if v6only { "1" } else { "0" },
        ]),
        port,
    )
}

/// Start `cmd` and wait for it to print "ready".
pub fn spawn_ready(cmd: &mut Command, port: u16) -> Server {
    // Its own process group, as a server started from another terminal
    // has (`kill` would signal it in rtdoctor's own group too, but this
    // test process is that group's).
    let mut child = cmd
        .process_group(0)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .expect("spawning a test server");
    let mut line = String::new();
    let stdout = child.stdout.take().expect("stdout");
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("reading the server's first line");
    if line.trim() != "ready" {
        let _ = child.kill();
        let out = child.wait_with_output().expect("server output");
        panic!(
            "test server did not start: {line}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Server { child, port }
}

/// `python3 -m http.server`, as people run it; ready once it accepts.
pub fn http_server(bind: &str, port: u16) -> Server {
    let child = Command::new(python())
        .args(["-m", "http.server", &port.to_string(), "--bind", bind])
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawning python3 -m http.server");
    let server = Server { child, port };
    let ip = if bind.contains(':') {
        "::1"
    } else {
        "127.0.0.1"
    };
    wait_for_port(SocketAddr::new(ip.parse().unwrap(), port));
    server
}

pub fn wait_for_port(addr: SocketAddr) {
    let start = Instant::now();
    while TcpStream::connect(addr).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "nothing listened on {addr} within 10 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A server on 127.0.0.1 in this test process: each connection it accepts
/// is handed, blocking again, to `handle` on a thread of its own, with the
/// stop flag. Dropping it raises the flag: the accept loop ends (closing
/// the listener) and handlers that hold a connection open or write without
/// end are expected to watch the flag and let go.
pub struct Loopback {
    pub port: u16,
    stop: Arc<AtomicBool>,
}

impl Loopback {
    pub fn start<F>(handle: F) -> Loopback
    where
        F: Fn(TcpStream, &AtomicBool) + Send + Sync + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        // Non-blocking, so that the accept loop sees the flag even when no
        // one connects; it polls every 5 ms.
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let handle = Arc::new(handle);
        let s = stop.clone();
        thread::spawn(move || {
            while !s.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (s, handle) = (s.clone(), handle.clone());
                        thread::spawn(move || {
                            let _ = stream.set_nonblocking(false);
                            handle(stream, &s);
                        });
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Loopback { port, stop }
    }
}

impl Drop for Loopback {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// The most the in-process servers read of a request's head, and of its
/// body.
pub const READ_CAP: usize = 64 * 1024;

/// A request head as sent: up to and with its blank line, `READ_CAP` bytes
/// at most, or what came before the peer closed, an error or the read
/// timeout. Byte by byte, so that nothing after the head (a body, the
/// first WebSocket frame) is taken from the socket.
pub fn read_head_bytes(stream: &mut TcpStream) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") && buf.len() < READ_CAP {
        match stream.read(&mut byte) {
            Ok(1) => buf.push(byte[0]),
            _ => break,
        }
    }
    buf
}

/// `read_head_bytes`, as text (bytes that are not UTF-8 replaced).
pub fn read_head(stream: &mut TcpStream) -> String {
    String::from_utf8_lossy(&read_head_bytes(stream)).into_owned()
}

/// Reads and drops the body `head` announces in its first Content-Length
/// (none, or one that does not parse, is 0), `READ_CAP` bytes at most: a
/// socket closed with a POST's packets still unread is reset, and the
/// answer written before it can be lost.
pub fn skip_body(stream: &mut TcpStream, head: &str) {
    let length = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|n| n.trim().parse::<usize>().unwrap_or(0))
        })
        .unwrap_or(0);
    let mut body = vec![0u8; length.min(READ_CAP)];
    let _ = stream.read_exact(&mut body);
}

pub fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["targets"][0]["checks"]
        .as_array()
        .expect("checks array")
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {report:#}"))
}

pub fn status<'a>(report: &'a Value, id: &str) -> &'a str {
    check(report, id)["status"].as_str().expect("status string")
}

pub fn summary<'a>(report: &'a Value, id: &str) -> &'a str {
    check(report, id)["summary"]
        .as_str()
        .expect("summary string")
}

/// All fixes of a check (title, detail, command), one per line.
pub fn fix_text(report: &Value, id: &str) -> String {
    check(report, id)["fixes"]
        .as_array()
        .expect("fixes array")
        .iter()
        .map(|f| format!("{} {} {}", f["title"], f["detail"], f["command"]))
        .collect::<Vec<_>>()
        .join("\n")
}

/// All evidence values of a check, one per line.
pub fn evidence(report: &Value, id: &str) -> String {
    check(report, id)["evidence"]
        .as_array()
        .expect("evidence array")
        .iter()
        .map(|e| {
            format!(
                "{}: {}",
                e["label"].as_str().unwrap(),
                e["value"].as_str().unwrap()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Does this machine's resolver return ::1 for localhost?
pub fn localhost_resolves_to_v6() -> bool {
    use std::net::ToSocketAddrs;
    ("localhost", 1)
        .to_socket_addrs()
        .map(|mut a| a.any(|a| a.is_ipv6()))
        .unwrap_or(false)
}

/// No warning, no failure; the port, HTTP, Socket.IO (and, where it
/// applies, TLS) checks pass; checks with nothing to look at (cors without
/// --origin, tls.certificate on http://) skip.
pub fn assert_healthy(report: &Value) {
    for c in report["targets"][0]["checks"].as_array().unwrap() {
        let id = c["id"].as_str().unwrap();
        if (id.starts_with("socketio.")
            || id.starts_with("http.")
            || id.starts_with("port.")
            || id == "tls.certificate")
            && c["summary"] != "not a TLS target (http://)"
        {
            assert_eq!(c["status"], "pass", "{c:#}");
        } else {
            assert!(c["status"] == "pass" || c["status"] == "skip", "{c:#}");
        }
    }
    assert_eq!(report["summary"]["warn"], 0);
    assert_eq!(report["summary"]["fail"], 0);
}
