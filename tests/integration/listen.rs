//! `port.listen` and `net.dualstack` against real listeners: IPv4 only,
//! IPv6 only, v6-only and dual-stack `[::]`, a server that moved, nothing
//! at all, the /proc fallback, and a listener of another user.

use std::net::TcpStream;

use crate::support::*;

#[test]
fn net_dualstack_ipv4_only_server_is_named_and_ipv6_clients_are_noted() {
    let port = free_port();
    let server = http_server("127.0.0.1", port);
    // A mere client of the port must never be named as its holder.
    let _client = TcpStream::connect(("127.0.0.1", port)).unwrap();

    let out = rt(&["check", &port.to_string(), "--json", "--only", LOCAL]);
    let report = out.json();
    assert_eq!(status(&report, "port.listen"), "pass", "{report:#}");
    let listen = summary(&report, "port.listen");
    assert!(
        listen.contains(&format!("python3 (pid {})", server.pid())),
        "{listen}"
    );
    assert!(listen.contains(&format!("127.0.0.1:{port}")), "{listen}");
    let ev = evidence(&report, "port.listen");
    assert!(
        ev.contains(&format!("http.server {port} --bind 127.0.0.1")),
        "{ev}"
    );
    assert!(ev.contains("started: "), "{ev}");
    assert!(
        !out.stdout.contains(&format!("pid {}", std::process::id())),
        "the client was named"
    );

    // Warned about where this machine's clients dial ::1 too; otherwise a
    // pass that notes them (false_alarms.rs has both).
    let expected = if localhost_resolves_to_v6() {
        "warn"
    } else {
        "pass"
    };
    assert_eq!(status(&report, "net.dualstack"), expected, "{report:#}");
    let ds = summary(&report, "net.dualstack");
    assert!(ds.contains("Node ≥ 17"), "{ds}");
    assert!(evidence(&report, "net.dualstack").contains("why ::1 is refused"));
    assert_eq!(out.code, 0, "a warning alone exits 0");
}

#[test]
fn net_dualstack_ipv6_loopback_only_server_refuses_ipv4_clients() {
    let port = free_port();
    let server = listener("::1", port, true);
    let report = rt(&["check", &port.to_string(), "--json"]).json();
    assert_eq!(status(&report, "port.listen"), "pass");
    assert!(
        summary(&report, "port.listen")
            .contains(&format!("pid {}) listens on [::1]:{port}", server.pid()))
    );
    let ds = summary(&report, "net.dualstack");
    assert!(ds.starts_with("127.0.0.1 refused, ::1 accepts"), "{ds}");
    // Where localhost means 127.0.0.1 only (this machine's /etc/hosts), the
    // target as typed does not work from here at all.
    let expected = if localhost_resolves_to_v6() {
        "warn"
    } else {
        "fail"
    };
    assert_eq!(status(&report, "net.dualstack"), expected);
}

#[test]
fn net_dualstack_v6only_wildcard_is_told_apart_from_dual_stack() {
    let port = free_port();
    let _server = listener("::", port, true);
    let report = rt(&["check", &port.to_string(), "--json"]).json();
    assert!(evidence(&report, "port.listen").contains(&format!("[::]:{port} (IPv6 only)")));
    assert!(summary(&report, "net.dualstack").starts_with("127.0.0.1 refused"));

    let port = free_port();
    let _server = listener("::", port, false);
    let report = rt(&["check", &port.to_string(), "--json"]).json();
    assert!(summary(&report, "port.listen").contains(&format!("[::]:{port} (IPv4 and IPv6)")));
    assert_eq!(status(&report, "net.dualstack"), "pass", "{report:#}");
    assert_eq!(
        summary(&report, "net.dualstack"),
        "127.0.0.1, ::1 all accept connections"
    );
}

#[test]
fn net_dualstack_both_families_on_separate_sockets_pass() {
    let port = free_port();
    let _v4 = listener("0.0.0.0", port, false);
    let _v6 = listener("::", port, true);
    let out = rt(&["check", &port.to_string(), "--json", "--only", LOCAL]);
    let report = out.json();
    assert_eq!(status(&report, "net.dualstack"), "pass", "{report:#}");
    let ev = evidence(&report, "port.listen");
    assert!(
        ev.contains(&format!("0.0.0.0:{port}")) && ev.contains(&format!("[::]:{port} (IPv6 only)")),
        "{ev}"
    );
    assert_eq!(out.code, 0);
}

#[test]
fn port_listen_a_server_that_moved_to_the_next_port_is_found() {
    let port = free_port_with_quiet_neighbours(3);
    let server = listener("127.0.0.1", port + 1, false);
    let out = rt(&["check", &port.to_string(), "--json"]);
    assert_eq!(out.code, 1);
    let report = out.json();
    assert_eq!(status(&report, "port.listen"), "fail");
    let s = summary(&report, "port.listen");
    assert!(
        s.starts_with(&format!("nothing listens on {port}; but `python3 -c")),
        "{s}"
    );
    assert!(
        s.ends_with(&format!("(pid {}) listens on {}", server.pid(), port + 1)),
        "{s}"
    );
    let fix = &check(&report, "port.listen")["fixes"][0];
    assert_eq!(
        fix["command"],
        format!("rtdoctor check http://localhost:{}", port + 1)
    );
    // With nothing listening, the socket probes are skipped with the reason.
    assert_eq!(status(&report, "net.dualstack"), "skip");
    assert_eq!(
        summary(&report, "net.dualstack"),
        "skipped because port.listen failed"
    );
}

#[test]
fn port_listen_nothing_listening_anywhere_near_says_so() {
    let port = free_port_with_quiet_neighbours(3);
    let range = format!("{}-{}", port - 3, port + 3);
    let out = rt(&["check", &port.to_string(), "--port-range", &range]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stdout.contains(&format!(
            "nothing listens on port {port}, nor on ports {range}"
        )),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("$ rtdoctor ports"), "{}", out.stdout);
}

#[test]
fn port_listen_the_proc_fallback_names_the_listener_too() {
    let port = free_port();
    let server = listener("127.0.0.1", port, false);
    let out = run(rtdoctor().env("RTDOCTOR_SOCKETS", "procfs").args([
        "check",
        &port.to_string(),
        "--json",
        "--only",
        "port",
    ]));
    let report = out.json();
    assert!(
        summary(&report, "port.listen").contains(&format!("(pid {})", server.pid())),
        "{report:#}"
    );
}

#[test]
fn port_listen_a_target_on_another_host_is_dialled_and_the_local_checks_skip() {
    // port.listen dials a host that is not this machine (whose sockets it
    // cannot see); a `.invalid` name never resolves, so nothing leaves
    // this machine, and the local checks skip with the reason.
    let out = rt(&[
        "check",
        "does-not-exist.invalid:80",
        "--json",
        "--only",
        "port,system",
    ]);
    let report = out.json();
    assert_eq!(status(&report, "port.listen"), "fail");
    assert!(summary(&report, "port.listen").starts_with("does-not-exist.invalid does not resolve"));
    let skipped = ["system.fd-limit", "port.time-wait"].map(|id| summary(&report, id));
    assert_eq!(
        skipped,
        [
            "skipped because port.listen failed",
            "skipped because does-not-exist.invalid does not resolve (see port.listen)"
        ]
    );
    assert_eq!(out.code, 1);
}

/// A listener of root seen by an unprivileged rtdoctor: the socket is
/// there, its process is hidden; rtdoctor says so and how to see it.
#[test]
fn port_listen_another_users_listener_is_reported_as_hidden() {
    assert!(
        nix::unistd::Uid::effective().is_root(),
        "this test drops privileges to nobody and needs root (CI runs as root)"
    );
    let port = free_port();
    let _server = listener("127.0.0.1", port, false);
    // A copy of the binary that nobody can reach.
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("rtdoctor");
    std::fs::copy(env!("CARGO_BIN_EXE_rtdoctor"), &bin).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = run(rtdoctor()
        .current_dir("/")
        .env("HOME", "/")
        .arg0_setpriv(&bin)
        .args([
            "check",
            &port.to_string(),
            "--json",
            "--only",
            "port.listen",
        ]));
    let report = out.json();
    assert_eq!(status(&report, "port.listen"), "pass", "{report:#}");
    let s = summary(&report, "port.listen");
    assert!(
        s.contains("a process of root (uid 0) listens on") && s.contains("hidden"),
        "{s}"
    );
    assert_eq!(
        check(&report, "port.listen")["fixes"][0]["command"],
        format!("sudo rtdoctor ports {port}")
    );
}

trait Setpriv {
    fn arg0_setpriv(&mut self, bin: &std::path::Path) -> &mut Self;
}

impl Setpriv for std::process::Command {
    /// Run `bin` as nobody through util-linux's setpriv: replaces the
    /// program, keeps the environment set so far.
    fn arg0_setpriv(&mut self, bin: &std::path::Path) -> &mut Self {
        let mut cmd = std::process::Command::new("setpriv");
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(bin);
        for (k, v) in self.get_envs() {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        cmd.env_clear();
        for (k, v) in self.get_envs() {
            if let Some(v) = v {
                cmd.env(k, v);
            }
        }
        if let Some(dir) = self.get_current_dir() {
            cmd.current_dir(dir);
        }
        cmd.stdin(std::process::Stdio::null());
        *self = cmd;
        self
    }
}
