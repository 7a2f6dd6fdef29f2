//! The real servers people run, provisioned by scripts/provision into
//! target/peers and started here on loopback, one per test.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Server, free_port, spawn_ready};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn peers() -> PathBuf {
    let dir = root().join("target/peers");
    assert!(
        dir.join(".stamp").exists(),
        "the test peers (python-socketio, Flask-SocketIO, gunicorn, uvicorn, socket.io 2 and 4, Vite, \
nginx, HAProxy, Caddy) are not provisioned in {}: run scripts/provision (scripts/test runs it)",
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

/// A proxy (nginx, HAProxy, Caddy) or dev server (Vite) run as this
/// test's own process, with its own directory (config, pid file, storage)
/// and its stderr kept there for a failing test's message.
pub struct Proxy {
    pub server: Server,
    dir: tempfile::TempDir,
}

/// nginx from Debian's package, own prefix and config.
pub type Nginx = Proxy;

impl Proxy {
    pub fn port(&self) -> u16 {
        self.server.port
    }

    /// What the proxy wrote to stderr so far (its error log).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stderr")).unwrap_or_default()
    }
}

/// Read `template` (a file in tests/servers) and replace its placeholders:
/// `{{PREFIX}}` (the test's directory), `{{LISTEN_PORT}}`,
/// `{{UPSTREAM_n}}` (127.0.0.1:port of the n-th upstream), then `vars`.
fn fill(template: &str, dir: &Path, port: u16, upstreams: &[u16], vars: &[(&str, &str)]) -> String {
    let mut conf = std::fs::read_to_string(servers().join(template)).unwrap();
    conf = conf
        .replace("{{PREFIX}}", dir.to_str().unwrap())
        .replace("{{LISTEN_PORT}}", &port.to_string());
    for (i, up) in upstreams.iter().enumerate() {
        conf = conf.replace(
            &format!("{{{{UPSTREAM_{}}}}}", i + 1),
            &format!("127.0.0.1:{up}"),
        );
    }
    for (name, value) in vars {
        conf = conf.replace(&format!("{{{{{name}}}}}"), value);
    }
    conf
}

/// Start `cmd` (its own process group, stderr into `dir`/stderr) and wait
/// until it answers HTTP on `port` (any status); if it exits first, fail
/// with what it wrote.
fn start_proxy(mut cmd: Command, dir: tempfile::TempDir, port: u16) -> Proxy {
    let stderr = std::fs::File::create(dir.path().join("stderr")).unwrap();
    let child = cmd
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap_or_else(|e| panic!("spawning {cmd:?}: {e}"));
    let mut proxy = Proxy {
        server: Server { child, port },
        dir,
    };
    let start = Instant::now();
    while !answers_http(port) {
        if let Ok(Some(status)) = proxy.server.child.try_wait() {
            panic!(
                "{cmd:?} exited ({status}) before listening:\n{}",
                proxy.log()
            );
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{cmd:?} did not listen on 127.0.0.1:{port} within 20 s:\n{}",
            proxy.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    proxy
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
    // nginx-upgrade's location and headers, unless a test names others.
    let vars: Vec<_> = vars
        .iter()
        .chain(&[("LOCATION", "/"), ("STRIP", ""), ("HEADERS", "")])
        .copied()
        .collect();
    let conf_path = dir.path().join("nginx.conf");
    std::fs::write(
        &conf_path,
        fill(template, dir.path(), port, upstreams, &vars),
    )
    .unwrap();
    let mut cmd = Command::new(peers().join("bin/nginx"));
    cmd.args(["-e", "stderr", "-p", &format!("{prefix}/"), "-c"])
        .arg(&conf_path)
        .args(["-g", "daemon off;"]);
    start_proxy(cmd, dir, port)
}

/// HAProxy from Debian's package in the foreground (`-db`), one process,
/// config from `template` (tests/servers/haproxy*.cfg.template).
pub fn haproxy(template: &str, upstreams: &[u16]) -> Proxy {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let conf_path = dir.path().join("haproxy.cfg");
    std::fs::write(&conf_path, fill(template, dir.path(), port, upstreams, &[])).unwrap();
    let mut cmd = Command::new(peers().join("bin/haproxy"));
    cmd.arg("-db").arg("-f").arg(&conf_path);
    start_proxy(cmd, dir, port)
}

/// Caddy from Debian's package (`caddy run`), admin endpoint off, its
/// storage in the test's directory; `template` is a Caddyfile in
/// tests/servers, `vars` fill more placeholders.
pub fn caddy(template: &str, upstreams: &[u16], vars: &[(&str, &str)]) -> Proxy {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let conf_path = dir.path().join("Caddyfile");
    std::fs::write(
        &conf_path,
        fill(template, dir.path(), port, upstreams, vars),
    )
    .unwrap();
    let mut cmd = Command::new(peers().join("bin/caddy"));
    cmd.args(["run", "--adapter", "caddyfile", "--config"])
        .arg(&conf_path)
        .env("HOME", dir.path())
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .env("XDG_CONFIG_HOME", dir.path().join("config"));
    start_proxy(cmd, dir, port)
}

/// Vite's dev server (`node …/vite/bin/vite.js`, as `npx vite` runs it)
/// with tests/servers/vite/vite.config.mjs: `/socket.io` proxied to
/// 127.0.0.1:`target`, with `ws: true` when `ws`.
pub fn vite(target: u16, ws: bool) -> Proxy {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    // The config and the project root in the test's directory: Vite writes
    // its cache under the root.
    let conf_path = dir.path().join("vite.config.mjs");
    std::fs::copy(servers().join("vite/vite.config.mjs"), &conf_path).unwrap();
    let mut cmd = Command::new("node");
    cmd.arg(peers().join("vite/node_modules/vite/bin/vite.js"))
        .arg("--config")
        .arg(&conf_path)
        .args(["--configLoader", "native", "--strictPort"])
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .current_dir(dir.path())
        .env("RTDOCTOR_VITE_TARGET", format!("http://127.0.0.1:{target}"))
        .env("RTDOCTOR_VITE_WS", if ws { "1" } else { "0" });
    start_proxy(cmd, dir, port)
}

/// Does `GET /` on 127.0.0.1:`port` get an HTTP answer? (A bare connect
/// is not enough: a server may accept before it serves.) The answer may
/// be a proxy's 502 or 503: any status will do.
fn answers_http(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let mut head = [0u8; 8];
    write!(s, "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").is_ok()
        && s.read_exact(&mut head).is_ok()
        && head.starts_with(b"HTTP/1.")
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
