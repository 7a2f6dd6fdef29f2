//! `rtdoctor kill PORT` against real processes holding ports: a python3
//! listener, gunicorn's master and workers, a process that ignores SIGTERM,
//! and a client of the port that must survive. Prompts are answered through
//! a real pseudo-terminal (util-linux `script`).

use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::peers::gunicorn_flask;
use crate::support::*;

fn alive(pid: u32) -> bool {
    rtdoctor::os::native().alive(pid)
}

/// Wait (bounded) for a pid to be gone: a killed child of this test is a
/// zombie until reaped, which `alive` already counts as gone.
fn wait_gone(pid: u32) -> bool {
    let start = Instant::now();
    while alive(pid) {
        if start.elapsed() > Duration::from_secs(5) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

const STUBBORN: &str = r#"
import signal, socket, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(8)
print("ready", flush=True)
while True:
    time.sleep(1)
"#;

/// rtdoctor kill on a pseudo-terminal, with `input` typed at its prompts.
fn kill_on_tty(port: u16, input: &str) -> Out {
    let cmd = format!("{} kill {port} --grace 2s", env!("CARGO_BIN_EXE_rtdoctor"));
    let mut child = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env("TERM", "dumb")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("util-linux script is needed for the pty tests (apt-get install util-linux)");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// What a CI script does: start a server with `&`, then stop it with
/// `rtdoctor kill --yes`. The server is in rtdoctor's own process group;
/// its one pid is signalled, never the group (the script goes on).
const SCRIPT: &str = r#"
"$PY" -c "$LISTENER" 4 127.0.0.1 "$PORT" 0 > "$DIR/ready" &
server=$!
i=0
while ! grep -q ready "$DIR/ready" && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done
echo "server $server"
"$RTDOCTOR" kill --yes "$PORT"
echo "kill exited $?"
kill -9 "$server" 2>/dev/null
wait "$server"
echo "server exited $?"
"#;

#[test]
fn yes_stops_a_server_its_own_script_started_in_the_background() {
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let out = run(Command::new("sh")
        .args(["-c", SCRIPT])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LANG", "C.UTF-8")
        .env("PY", python())
        .env("LISTENER", LISTENER)
        .env("PORT", port.to_string())
        .env("DIR", dir.path())
        .env("RTDOCTOR", env!("CARGO_BIN_EXE_rtdoctor"))
        // The script leads its own process group, as a CI job's shell does.
        .process_group(0));
    let pid = out
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("server "))
        .unwrap_or_else(|| panic!("{}{}", out.stdout, out.stderr));
    assert!(
        out.stdout.contains(&format!(
            "sent SIGTERM to {pid}\n{pid} exited\nport {port} is free\n"
        )),
        "{}{}",
        out.stdout,
        out.stderr
    );
    assert!(out.stdout.contains("kill exited 0\n"), "{}", out.stdout);
    // 128 + 15: SIGTERM from rtdoctor, not the script's SIGKILL.
    assert!(
        out.stdout.ends_with("server exited 143\n"),
        "{}",
        out.stdout
    );
    assert_eq!(out.code, 0, "the script itself went on: {}", out.stderr);
}

#[test]
fn yes_stops_the_listener_and_confirms_the_port_is_free() {
    let port = free_port();
    let server = listener("127.0.0.1", port, false);
    let out = rt(&["kill", &port.to_string(), "--yes"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains(&format!(
            "python3 (pid {}, user root) on 127.0.0.1:{port}",
            server.pid()
        )),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains(&format!("sent SIGTERM to {}", server.pid()))
    );
    assert!(
        out.stdout.ends_with(&format!("port {port} is free\n")),
        "{}",
        out.stdout
    );
    assert!(wait_gone(server.pid()));
}

#[test]
fn a_client_of_the_port_is_never_a_holder_and_survives() {
    let port = free_port();
    let server = listener("127.0.0.1", port, false);
    // A separate process connected to the port, as `lsof -ti:PORT` would list.
    // Connected once it says "ready": on a loaded machine a client still
    // starting when the listener is killed would be refused and exit,
    // which would look like rtdoctor had killed it.
    let client = spawn_ready(
        Command::new(python()).args(["-c", &format!("import socket,time; s=socket.create_connection(('127.0.0.1',{port})); print('ready',flush=True); time.sleep(60)")]),
        port,
    );
    let out = rt(&["kill", &port.to_string(), "--yes", "--json"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let r = out.json();
    let pids: Vec<u64> = r["holders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["process"]["pid"].as_u64().unwrap())
        .collect();
    assert_eq!(
        pids,
        [server.pid() as u64],
        "only the listener holds the port"
    );
    assert!(wait_gone(server.pid()));
    assert!(alive(client.pid()), "the client was killed");
    assert_eq!(r["free"], true);
    assert_eq!(r["actions"][0]["result"], "exited");
}

#[test]
fn a_prefork_server_is_stopped_through_its_master() {
    let server = gunicorn_flask(2);
    // Both workers booted: three processes hold the socket.
    let start = Instant::now();
    let listing = loop {
        let out = rt(&["kill", &server.port.to_string(), "--dry-run"]);
        if out.stdout.matches("(worker)").count() + out.stdout.matches(", worker)").count() >= 2
            || start.elapsed() > Duration::from_secs(10)
        {
            break out.stdout;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        listing.contains(&format!(
            "gunicorn (pid {}, user root, master)",
            server.pid()
        )),
        "{listing}"
    );
    assert_eq!(
        listing.matches("    └ ").count(),
        2,
        "two workers under the master:\n{listing}"
    );
    assert!(
        listing.contains(&format!(
            "would send SIGTERM to {} (gunicorn: master",
            server.pid()
        )),
        "{listing}"
    );

    let out = rt(&["kill", &server.port.to_string(), "--yes", "--json"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let r = out.json();
    let signalled: Vec<u64> = r["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["pid"].as_u64().unwrap())
        .collect();
    assert_eq!(
        signalled,
        [server.pid() as u64],
        "only the master is signalled"
    );
    assert_eq!(r["free"], true);
}

#[test]
fn a_process_that_ignores_sigterm_gets_sigkill() {
    let port = free_port();
    let server = spawn_ready(
        Command::new(python()).args(["-c", STUBBORN, &port.to_string()]),
        port,
    );
    let out = rt(&[
        "kill",
        &port.to_string(),
        "--yes",
        "--grace",
        "300ms",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let r = out.json();
    let steps: Vec<(String, String)> = r["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["signal"].as_str().unwrap().to_string(),
                a["result"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("SIGTERM".into(), "still running".into()),
            ("SIGKILL".into(), "exited".into())
        ]
    );
    assert!(wait_gone(server.pid()));
}

#[test]
fn without_a_terminal_and_without_yes_nothing_is_signalled() {
    let port = free_port();
    let server = listener("127.0.0.1", port, false);
    let out = rt(&["kill", &port.to_string()]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("standard input is not a terminal") && out.stderr.contains("--yes"),
        "{}",
        out.stderr
    );
    assert!(alive(server.pid()));

    let out = rt(&["kill", &port.to_string(), "--dry-run"]);
    assert_eq!(out.code, 0);
    assert!(
        out.stdout
            .contains(&format!("would send SIGTERM to {}", server.pid()))
    );
    assert!(alive(server.pid()));
}

#[test]
fn on_a_terminal_no_leaves_it_and_yes_stops_it() {
    let port = free_port();
    let server = listener("127.0.0.1", port, false);
    let out = kill_on_tty(port, "n\n");
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stdout.contains(&format!(
            "Send SIGTERM to {} (python3, started ",
            server.pid()
        )),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains(&format!("left {} alone", server.pid())));
    assert!(out.stdout.contains(&format!(
        "port {port} is still held by python3 (pid {}",
        server.pid()
    )));
    assert!(alive(server.pid()));

    let out = kill_on_tty(port, "y\n");
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout.contains(&format!("port {port} is free")),
        "{}",
        out.stdout
    );
    assert!(wait_gone(server.pid()));
}

#[test]
fn on_a_terminal_sigkill_is_offered_after_the_grace_period() {
    let port = free_port();
    let server = spawn_ready(
        Command::new(python()).args(["-c", STUBBORN, &port.to_string()]),
        port,
    );
    let out = kill_on_tty(port, "y\ny\n");
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout.contains(&format!(
            "{} is still running after 2000 ms. Send SIGKILL? [y/N]",
            server.pid()
        )),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("port ") && out.stdout.contains(" is free"));
    assert!(wait_gone(server.pid()));
}

#[test]
fn another_users_holder_is_named_and_left_alone() {
    assert!(
        nix::unistd::Uid::effective().is_root(),
        "this test drops rtdoctor's privileges to nobody and needs root (CI runs as root)"
    );
    let port = free_port();
    let server = listener("127.0.0.1", port, false);
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("rtdoctor");
    std::fs::copy(env!("CARGO_BIN_EXE_rtdoctor"), &bin).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = run(Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(&bin)
        .args(["kill", &port.to_string(), "--yes"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .current_dir("/")
        .stdin(Stdio::null()));
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains(&format!(
            "port {port} is held by a process of root (uid 0) that this user can neither see nor signal: run as that user or with sudo"
        )),
        "{}",
        out.stdout
    );
    assert!(alive(server.pid()));
}

#[test]
fn nothing_listening_is_nothing_to_do() {
    let port = free_port();
    let out = rt(&["kill", &port.to_string(), "--yes"]);
    assert_eq!(out.code, 0);
    assert_eq!(
        out.stdout,
        format!("nothing listens on port {port}: nothing to do\n")
    );
    let _ = TcpStream::connect(("127.0.0.1", port)).expect_err("nothing listens");
}
