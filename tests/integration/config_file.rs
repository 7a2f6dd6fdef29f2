//! Every key README.md documents for `rtdoctor.toml`, set in a file and
//! observed in what rtdoctor then does (a request a recording server saw,
//! a report's content), and every ```toml block of README.md loaded through
//! the real loader.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::peers::*;
use crate::support::*;

/// An HTTP server in this process that records each request head it gets
/// and answers `status` with no body (404 by default, so every probe goes
/// on to the next thing it sends).
struct Recorder {
    port: u16,
    heads: Arc<Mutex<Vec<String>>>,
    /// Stops accepting when the recorder is dropped.
    _server: Loopback,
}

impl Recorder {
    fn start() -> Recorder {
        Recorder::answering(404)
    }

    fn answering(status: u16) -> Recorder {
        let heads = Arc::new(Mutex::new(Vec::new()));
        let h = heads.clone();
        let server = Loopback::start(move |stream, _| answer(stream, &h, status));
        Recorder {
            port: server.port,
            heads,
            _server: server,
        }
    }

    /// All request heads so far, lower-cased (header names vary in case).
    fn seen(&self) -> String {
        self.heads.lock().unwrap().join("\n").to_ascii_lowercase()
    }
}

fn answer(mut stream: TcpStream, heads: &Mutex<Vec<String>>, status: u16) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let head = read_head(&mut stream);
    heads.lock().unwrap().push(head);
    let _ = stream.write_all(
        format!("HTTP/1.1 {status} Status\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    );
}

/// `rtdoctor check --config FILE ARGS…` with `toml` as the file.
fn with_file(toml: &str, args: &[&str]) -> Out {
    with_file_in(tempfile::tempdir().unwrap().path(), toml, args)
}

/// The same, with the file (and so its `output`) in `dir`.
fn with_file_in(dir: &std::path::Path, toml: &str, args: &[&str]) -> Out {
    let path = dir.join("rt.toml");
    std::fs::write(&path, toml).unwrap();
    let out = run(rtdoctor()
        .current_dir(dir)
        .args(["check", "--config", path.to_str().unwrap()])
        .args(args));
    assert!(
        out.code == 0 || out.code == 1,
        "the file did not load:\n{toml}\n{}",
        out.stderr
    );
    out
}

/// The recorder as the file's one target, `key_lines` at its table's top.
fn recorded(key_lines: &str, only: &str) -> String {
    let rec = Recorder::start();
    let toml = format!(
        "timeout = \"2s\"\nonly = [\"{only}\"]\n\n[[target]]\nurl = \"http://127.0.0.1:{}\"\n{key_lines}\n",
        rec.port
    );
    with_file(&toml, &["--json"]);
    rec.seen()
}

#[test]
fn key_socketio_path() {
    let seen = recorded("socketio_path = \"/rt-io/\"", "socketio.handshake");
    assert!(seen.contains("get /rt-io/?eio="), "{seen}");
}

#[test]
fn key_health_path() {
    let seen = recorded("health_path = \"/rt-healthz\"", "http.health");
    assert!(seen.contains("get /rt-healthz "), "{seen}");
}

#[test]
fn key_eio() {
    let seen = recorded("eio = \"3\"", "socketio.handshake");
    assert!(seen.contains("eio=3"), "{seen}");
    assert!(!seen.contains("eio=4"), "{seen}");
}

#[test]
fn key_headers() {
    let seen = recorded(
        "headers = [\"X-Rt-From-File: yes\", \"Authorization: Bearer file-token\"]",
        "socketio.handshake",
    );
    assert!(seen.contains("x-rt-from-file: yes"), "{seen}");
    assert!(seen.contains("authorization: bearer file-token"), "{seen}");
}

#[test]
fn key_ws_paths() {
    let seen = recorded("ws_paths = [\"/rt-ws\"]", "websocket.upgrade");
    assert!(seen.contains("get /rt-ws "), "{seen}");
    assert!(seen.contains("upgrade: websocket"), "{seen}");
}

#[test]
fn key_subprotocols() {
    let seen = recorded(
        "ws_paths = [\"/rt-ws\"]\nsubprotocols = [\"rt-chat\"]",
        "websocket.upgrade",
    );
    assert!(seen.contains("sec-websocket-protocol: rt-chat"), "{seen}");
}

#[test]
fn key_origin() {
    let seen = recorded(
        "ws_paths = [\"/rt-ws\"]\norigin = \"https://rt-app.example.com/ignored\"",
        "websocket.upgrade",
    );
    assert!(
        seen.contains("origin: https://rt-app.example.com\r"),
        "{seen}"
    );
}

/// An https page and an http target: mixed content, naming the page.
#[test]
fn key_page() {
    let rec = Recorder::start();
    let toml = format!(
        "only = [\"mixed-content\"]\npage = \"https://rt-page.example.com/chat\"\n[[target]]\nurl = \"http://127.0.0.1:{}\"\n",
        rec.port
    );
    let r = with_file(&toml, &["--json"]).json();
    assert_eq!(status(&r, "mixed-content"), "fail", "{r}");
    assert!(
        summary(&r, "mixed-content").contains("mixed content"),
        "{r}"
    );
}

/// `/admin` of the python-socketio peer refuses a CONNECT without
/// `{"token":"secret"}`: the namespace and auth from the file decide.
#[test]
fn keys_namespace_and_auth() {
    let server = py_healthy(&[]);
    let url = format!("http://127.0.0.1:{}", server.port);
    let ns = |keys: &str| {
        let toml =
            format!("only = [\"socketio.namespace\"]\n\n[[target]]\nurl = \"{url}\"\n{keys}\n");
        let r = with_file(&toml, &["--json"]).json();
        (
            status(&r, "socketio.namespace").to_string(),
            summary(&r, "socketio.namespace").to_string(),
        )
    };
    let (st, sum) = ns("namespace = \"/admin\"");
    assert_eq!(st, "fail", "{sum}");
    assert!(sum.contains("/admin"), "{sum}");
    let (st, sum) = ns("namespace = \"/admin\"\nauth = { token = \"secret\" }");
    assert_eq!(st, "pass", "auth as a TOML table: {sum}");
    let (st, sum) = ns("namespace = \"admin\"\nauth = '{\"token\":\"secret\"}'");
    assert_eq!(st, "pass", "auth as JSON text: {sum}");
    // Top-level keys are every target's defaults.
    let toml = format!(
        "only = [\"socketio.namespace\"]\nnamespace = \"/admin\"\nauth = {{ token = \"secret\" }}\n\n[[target]]\nurl = \"{url}\"\n"
    );
    let r = with_file(&toml, &["--json"]).json();
    assert_eq!(status(&r, "socketio.namespace"), "pass");
}

#[test]
fn keys_only_skip_and_format() {
    let rec = Recorder::start();
    let url = format!("http://127.0.0.1:{}", rec.port);
    let r = with_file(
        &format!("only = [\"port\", \"env.proxy\"]\nskip = [\"port.time-wait\"]\nformat = \"json\"\n[[target]]\nurl = \"{url}\"\n"),
        &[],
    )
    .json();
    let ids: Vec<&str> = r["targets"][0]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"port.listen") && ids.contains(&"env.proxy"),
        "{ids:?}"
    );
    assert!(!ids.contains(&"port.time-wait"), "{ids:?}");
    assert!(
        ids.iter()
            .all(|id| id.starts_with("port.") || *id == "env.proxy"),
        "{ids:?}"
    );

    let out = with_file(
        &format!("only = [\"port.listen\"]\nformat = \"junit\"\n[[target]]\nurl = \"{url}\"\n"),
        &[],
    );
    assert!(out.stdout.starts_with("<?xml"), "{}", out.stdout);
}

#[test]
fn keys_timeout_and_port_range() {
    let port = free_port_with_quiet_neighbours(4);
    let _moved = listener("127.0.0.1", port + 3, false);
    let r = with_file(
        &format!("timeout = \"1s\"\nport_range = \"{}-{}\"\nonly = [\"port.listen\"]\n[[target]]\nurl = \"127.0.0.1:{port}\"\n", port, port + 3),
        &["--json"],
    )
    .json();
    let s = summary(&r, "port.listen");
    assert!(s.contains(&format!("listens on {}", port + 3)), "{s}");

    // A silent listener: the handshake's limit is the file's timeout.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let r = with_file(
        &format!("only = [\"socketio.handshake\"]\n[[target]]\nurl = \"127.0.0.1:{silent_port}\"\ntimeout = \"1s\"\n"),
        &["--json"],
    )
    .json();
    let s = summary(&r, "socketio.handshake");
    assert!(s.contains("within 1000 ms"), "{s}");
}

#[test]
fn keys_strict_color_and_output() {
    let rec = Recorder::answering(418);
    let url = format!("http://127.0.0.1:{}", rec.port);
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.txt");
    // A 418 from the health endpoint warns; strict makes a warning fail the run.
    let base = format!("only = [\"http.health\"]\n[[target]]\nurl = \"{url}\"\n");
    let lenient = with_file(&base, &["--json"]);
    assert_eq!(status(&lenient.json(), "http.health"), "warn");
    assert_eq!(lenient.code, 0);
    let strict = with_file(&format!("strict = true\n{base}"), &["--json"]);
    assert_eq!(strict.code, 1);

    let coloured = with_file(&format!("color = \"always\"\n{base}"), &[]);
    assert!(coloured.stdout.contains("\x1b["), "{}", coloured.stdout);
    let plain = with_file(&format!("color = \"never\"\n{base}"), &[]);
    assert!(!plain.stdout.contains("\x1b["), "{}", plain.stdout);

    // A config file's `output` is a path inside its own folder.
    let out = with_file_in(dir.path(), &format!("output = \"report.txt\"\n{base}"), &[]);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    let written = std::fs::read_to_string(&report).unwrap();
    assert!(written.contains("http.health"), "{written}");
}

#[test]
fn key_checks() {
    let rec = Recorder::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("mine.toml"),
        "[[check]]\nid = \"my.root\"\ntitle = \"GET answers\"\nkind = \"http\"\npath = \"/rt-declared\"\nfix = \"serve it\"\n\n[check.expect]\nstatus = 200\n",
    )
    .unwrap();
    let r = with_file(
        &format!(
            "checks = \"{}\"\nonly = [\"my\"]\n[[target]]\nurl = \"http://127.0.0.1:{}\"\n",
            dir.path().display(),
            rec.port
        ),
        &["--json"],
    )
    .json();
    assert!(r["targets"][0]["checks"][0]["id"] == "my.root", "{r}");
    assert!(rec.seen().contains("get /rt-declared "), "{}", rec.seen());
}

/// Every ```toml block of README.md: the `rtdoctor.toml` examples load
/// through `rtdoctor check --config` (targets pointed at nothing
/// listening, checks limited to local ones), and declared-check examples
/// through `--checks`.
#[test]
fn every_toml_example_in_the_readme_loads() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let blocks = toml_blocks(&readme);
    assert!(!blocks.is_empty(), "README.md has no ```toml block");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("dev-ca.pem"), test_ca()).unwrap();
    for (i, block) in blocks.iter().enumerate() {
        let path = dir.path().join(format!("example-{i}.toml"));
        std::fs::write(&path, block).unwrap();
        let p = path.to_str().unwrap();
        let table: toml::Table = toml::from_str(block)
            .unwrap_or_else(|e| panic!("README block {i} is not TOML: {e}\n{block}"));
        let out = if table.contains_key("check") {
            run(rtdoctor().current_dir(dir.path()).args([
                "checks",
                "--checks",
                dir.path().to_str().unwrap(),
            ]))
        } else {
            run(rtdoctor().current_dir(dir.path()).args([
                "check",
                "--config",
                p,
                "--only",
                "env.proxy",
                "--format",
                "json",
            ]))
        };
        assert!(
            out.code == 0 || out.code == 1,
            "README block {i} does not load:\n{block}\n{}",
            out.stderr
        );
        std::fs::remove_file(&path).unwrap();
    }
}

fn toml_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match (&mut current, line.trim_start()) {
            (None, l) if l.starts_with("```toml") => current = Some(String::new()),
            (Some(_), l) if l.starts_with("```") => blocks.extend(current.take()),
            (Some(b), _) => {
                b.push_str(line);
                b.push('\n');
            }
            _ => {}
        }
    }
    blocks
}

/// A CA certificate for the README's `cacert = "dev-ca.pem"` (the loader
/// reads and parses it).
fn test_ca() -> String {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.self_signed(&key).unwrap().pem()
}

/// A bad value of one of these keys is a usage error naming the file and
/// the value's own line (the span survives the shared-key parsing).
#[test]
fn bad_values_name_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rt.toml");
    let p = path.to_str().unwrap();
    for (text, said) in [
        (
            "[[target]]\nurl = \"localhost:1\"\n\neio = \"5\"\n",
            ":4: invalid eio",
        ),
        ("origin = \"app.example.com\"\n", ":1: invalid origin"),
        ("\npage = \"file:///x\"\n", ":2: invalid page"),
        (
            "headers = [\"X-Ok: 1\",\n  \"no colon\"]\n",
            ":2: invalid headers",
        ),
        (
            "[[target]]\nurl = \"localhost:1\"\nauth = \"[1]\"\n",
            ":3: invalid auth",
        ),
    ] {
        std::fs::write(&path, text).unwrap();
        let out = rt(&["check", "--config", p]);
        assert_eq!(out.code, 2, "{text}: {}", out.stderr);
        assert!(
            out.stderr.contains(&format!("{p}{said}")),
            "{text}: {}",
            out.stderr
        );
    }
}
