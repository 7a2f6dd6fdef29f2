//! `port.time-wait`, `env.proxy` and `system.fd-limit` on real sockets,
//! processes and environments.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::time::Duration;

use crate::support::*;

/// The "Address already in use after Ctrl+C" case, produced for real: the
/// server closes first, so its side of the connection sits in TIME_WAIT on
/// the port after the listener is gone.
#[test]
fn port_time_wait_after_the_server_stopped_warns_with_so_reuseaddr() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let (server_side, _) = listener.accept().unwrap();
    drop(server_side);
    let mut buf = [0u8; 1];
    assert_eq!(client.read(&mut buf).unwrap(), 0, "the server's FIN");
    drop(client);
    drop(listener);
    std::thread::sleep(Duration::from_millis(100));

    let out = rt(&[
        "check",
        &port.to_string(),
        "--json",
        "--only",
        "port.time-wait",
    ]);
    let report = out.json();
    assert_eq!(status(&report, "port.time-wait"), "warn", "{report:#}");
    let s = summary(&report, "port.time-wait");
    assert!(
        s.starts_with("1 TIME_WAIT socket(s) on") && s.contains("Address already in use"),
        "{s}"
    );
    assert_eq!(
        check(&report, "port.time-wait")["fixes"][0]["title"],
        "Bind with SO_REUSEADDR"
    );
    assert_eq!(out.code, 0);
}

/// Clients that hang up on a server that never closes its side leave
/// CLOSE_WAIT sockets: a leak.
#[test]
fn port_time_wait_close_wait_pile_up_on_a_listening_server_warns() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut leaked = Vec::new();
    for _ in 0..12 {
        let client = TcpStream::connect(("127.0.0.1", port)).unwrap();
        leaked.push(listener.accept().unwrap().0);
        drop(client);
    }
    std::thread::sleep(Duration::from_millis(100));
    let report = rt(&[
        "check",
        &port.to_string(),
        "--json",
        "--only",
        "port.time-wait",
    ])
    .json();
    assert_eq!(status(&report, "port.time-wait"), "warn", "{report:#}");
    assert!(summary(&report, "port.time-wait").contains("holds 12 CLOSE_WAIT sockets"));
    assert!(evidence(&report, "port.time-wait").contains("CLOSE_WAIT 12"));
}

#[test]
fn port_time_wait_a_quiet_listening_port_passes() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let report = rt(&[
        "check",
        &port.to_string(),
        "--json",
        "--only",
        "port.time-wait",
    ])
    .json();
    assert_eq!(status(&report, "port.time-wait"), "pass");
    assert_eq!(
        summary(&report, "port.time-wait"),
        format!("LISTEN 1 on port {port}")
    );
}

#[test]
fn env_proxy_a_proxy_variable_without_no_proxy_warns_and_hides_credentials() {
    let port = free_port();
    let _server = listener("127.0.0.1", port, false);
    let out = run(rtdoctor()
        .env("http_proxy", "http://alice:s3cret@proxy.invalid:3128")
        .args(["check", &port.to_string(), "--json", "--only", "env.proxy"]));
    let report = out.json();
    assert_eq!(status(&report, "env.proxy"), "warn", "{report:#}");
    assert!(
        summary(&report, "env.proxy")
            .starts_with("http_proxy set and NO_PROXY does not cover localhost")
    );
    assert_eq!(
        check(&report, "env.proxy")["fixes"][0]["command"],
        "export NO_PROXY=\"localhost,127.0.0.1,::1\" no_proxy=\"localhost,127.0.0.1,::1\""
    );
    assert!(!out.stdout.contains("s3cret"), "{}", out.stdout);

    let report = run(rtdoctor()
        .env("HTTPS_PROXY", "http://proxy.invalid:3128")
        .env("HTTP_PROXY", "http://proxy.invalid:3128")
        .env("NO_PROXY", "example.com,127.0.0.0/8")
        .args([
            "check",
            &format!("127.0.0.1:{port}"),
            "--json",
            "--only",
            "env.proxy",
        ]))
    .json();
    assert_eq!(status(&report, "env.proxy"), "pass", "{report:#}");

    let report = rt(&["check", &port.to_string(), "--json", "--only", "env.proxy"]).json();
    assert_eq!(
        summary(&report, "env.proxy"),
        "no HTTP_PROXY/ALL_PROXY variable is set"
    );
}

const FD_HOG: &str = r#"
import resource, socket, sys
resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(8)
files = []
try:
    for _ in range(int(sys.argv[2])):
        files.append(open("/dev/null"))
except OSError:
    pass  # at the limit: that is the point
print("ready", flush=True)
import time
time.sleep(600)
"#;

#[test]
fn system_fd_limit_a_server_near_its_fd_limit_warns_and_one_at_it_fails() {
    for (extra, expected) in [(50, "warn"), (100, "fail"), (4, "pass")] {
        let port = free_port();
        let server = spawn_ready(
            Command::new(python()).args(["-c", FD_HOG, &port.to_string(), &extra.to_string()]),
            port,
        );
        let out = rt(&[
            "check",
            &port.to_string(),
            "--json",
            "--only",
            "port.listen,system.fd-limit",
        ]);
        let report = out.json();
        assert_eq!(
            status(&report, "system.fd-limit"),
            expected,
            "{extra} files: {report:#}"
        );
        let s = summary(&report, "system.fd-limit");
        assert!(s.contains(" of 64 file descriptors"), "{s}");
        if expected != "pass" {
            assert!(
                check(&report, "system.fd-limit")["fixes"][0]["command"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("--pid {}", server.pid()))
            );
        }
        drop(server);
    }
}
