//! The real servers people run, provisioned by scripts/provision into
//! target/peers and started here on loopback, one per test.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Server, free_port, spawn_ready, wait_for_port};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn peers() -> PathBuf {
    let dir = root().join("target/peers");
    assert!(
        dir.join(".stamp").exists(),
        "the test peers (python-socketio, Flask-SocketIO, gunicorn, socket.io 2 and 4, nginx) are not \
provisioned in {}: run scripts/provision (scripts/test runs it)",
        dir.display()
    );
    dir
}

fn servers() -> PathBuf {
    root().join("tests/servers")
}

/// python-socketio 5 on aiohttp, healthy: /health, `/`, `/admin` with auth.
pub fn py_healthy(args: &[&str]) -> Server {
    let port = free_port();
    spawn_ready(
        Command::new(peers().join("py/bin/python"))
            .arg(servers().join("py_healthy.py"))
            .arg(port.to_string())
            .args(args),
        port,
    )
}

fn node(script: &str, modules: &str, args: &[&str]) -> Server {
    let port = free_port();
    spawn_ready(
        Command::new("node")
            .arg(servers().join(script))
            .arg(port.to_string())
            .args(args)
            .env("RTDOCTOR_PEERS", peers())
            .env("NODE_PATH", peers().join(modules).join("node_modules")),
        port,
    )
}

/// socket.io 4 (Engine.IO 4) on Node's http server.
pub fn node4(args: &[&str]) -> Server {
    node("node4.js", "node4", args)
}

/// socket.io 2 (Engine.IO 3).
pub fn node2(args: &[&str]) -> Server {
    node("node2.js", "node2", args)
}

/// A plain WebSocket server (Node's ws), no Socket.IO.
pub fn ws_server(args: &[&str]) -> Server {
    node("ws.js", "node4", args)
}

/// A single-page-app server: index.html for every path, no sockets.
pub fn spa(args: &[&str]) -> Server {
    node("spa.js", "node4", args)
}

/// Flask-SocketIO under gunicorn's default sync worker.
pub fn gunicorn_flask(workers: u32) -> Server {
    let port = free_port();
    let mut child = Command::new(peers().join("py/bin/gunicorn"));
    child
        .args([
            "--chdir",
            servers().to_str().unwrap(),
            "-w",
            &workers.to_string(),
        ])
        .args(["-b", &format!("127.0.0.1:{port}"), "flask_app:app"]);
    // The master binds before the workers boot: wait for an answer.
    spawn_answering(child, port)
}

/// python-socketio's ASGI app (tests/servers/asgi_app.py) under uvicorn,
/// with `--ws WS`: `none` is uvicorn without a WebSocket library.
pub fn uvicorn(ws: &str) -> Server {
    let port = free_port();
    let mut cmd = Command::new(peers().join("py/bin/uvicorn"));
    cmd.args(["--app-dir", servers().to_str().unwrap(), "asgi_app:app"])
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["--ws", ws]);
    spawn_answering(cmd, port)
}

/// Start `cmd` in its own process group, output discarded, and wait until
/// its `/health` answers 200.
fn spawn_answering(mut cmd: Command, port: u16) -> Server {
    let child = cmd
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawning a test server");
    let server = Server { child, port };
    wait_for_status(port, "/health", 200);
    server
}

/// nginx from Debian's package, run as this test's own process with its
/// own prefix and config. `template` is a file in tests/servers.
pub struct Nginx {
    pub server: Server,
    _dir: tempfile::TempDir,
}

impl Nginx {
    pub fn port(&self) -> u16 {
        self.server.port
    }
}

pub fn nginx(template: &str, upstreams: &[u16]) -> Nginx {
    nginx_with(template, upstreams, &[])
}

/// `nginx` with more placeholders replaced: `("CERT", path)` fills
/// `{{CERT}}`.
pub fn nginx_with(template: &str, upstreams: &[u16], vars: &[(&str, &str)]) -> Nginx {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().to_str().unwrap().to_string();
    let port = free_port();
    let mut conf = std::fs::read_to_string(servers().join(template)).unwrap();
    conf = conf
        .replace("{{PREFIX}}", &prefix)
        .replace("{{LISTEN_PORT}}", &port.to_string());
    for (i, up) in upstreams.iter().enumerate() {
        conf = conf.replace(
            &format!("{{{{UPSTREAM_{}}}}}", i + 1),
            &format!("127.0.0.1:{up}"),
        );
    }
    // nginx-upgrade's location and headers, unless a test names others.
    let defaults = [("LOCATION", "/"), ("STRIP", ""), ("HEADERS", "")];
    for (name, value) in vars.iter().chain(&defaults) {
        conf = conf.replace(&format!("{{{{{name}}}}}"), value);
    }
    let conf_path = dir.path().join("nginx.conf");
    std::fs::write(&conf_path, conf).unwrap();
    let child = Command::new(peers().join("bin/nginx"))
        .args(["-e", "stderr", "-p", &format!("{prefix}/"), "-c"])
        .arg(&conf_path)
        .args(["-g", "daemon off;"])
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawning nginx");
    let server = Server { child, port };
    wait_for_port(SocketAddr::from(([127, 0, 0, 1], port)));
    Nginx { server, _dir: dir }
}

/// Poll `GET path` until it answers `status` (10 s at most).
pub fn wait_for_status(port: u16, path: &str, status: u16) {
    let start = Instant::now();
    let want = format!(" {status} ");
    loop {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            let _ = write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
            let mut head = [0u8; 64];
            if let Ok(n) = s.read(&mut head)
                && String::from_utf8_lossy(&head[..n]).contains(&want)
            {
                return;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "port {port} did not answer {path} with {status}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
