//! `rtdoctor ports`: listeners with their processes, table and JSON.

use crate::support::*;

#[test]
fn ports_lists_the_listener_with_its_process() {
    let port = free_port();
    let server = http_server("127.0.0.1", port);
    let out = rt(&["ports", &port.to_string()]);
    assert_eq!(out.code, 0);
    for needle in [
        port.to_string(),
        format!("127.0.0.1:{port}"),
        server.pid().to_string(),
        "python3".to_string(),
        "http.server".to_string(),
        "LISTEN 1".to_string(),
    ] {
        assert!(
            out.stdout.contains(&needle),
            "{needle} missing:\n{}",
            out.stdout
        );
    }

    let json = rt(&["ports", &format!("{}-{}", port, port), "--json"]).json();
    let entry = &json["ports"][0];
    assert_eq!(entry["port"], port);
    assert_eq!(entry["holders"][0]["process"]["pid"], server.pid());
    assert_eq!(entry["listeners"][0]["addr"], format!("127.0.0.1:{port}"));
    assert_eq!(entry["states"]["LISTEN"], 1);
}

#[test]
fn ports_says_when_nothing_listens() {
    let port = free_port_with_quiet_neighbours(1);
    let out = rt(&[
        "ports",
        &port.to_string(),
        &format!("{}-{}", port - 1, port + 1),
    ]);
    assert_eq!(out.code, 0);
    assert!(
        out.stdout
            .contains(&format!("nothing listens on port {port}\n")),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains(&format!(
        "nothing listens on ports {}-{}",
        port - 1,
        port + 1
    )));
}

#[test]
fn ports_without_arguments_lists_every_listener() {
    let port = free_port();
    let _server = listener("::", port, true);
    let out = rt(&["ports"]);
    assert!(
        out.stdout.contains(&format!("[::]:{port} (IPv6 only)")),
        "{}",
        out.stdout
    );
}

/// rtdoctor as it runs in a container with its own PID namespace (and its
/// own /proc) that shares this machine's network: `unshare` as root.
fn in_own_pid_namespace(args: &[&str]) -> Out {
    run(std::process::Command::new("unshare")
        .args(["--pid", "--fork", "--mount-proc", "--"])
        .arg(env!("CARGO_BIN_EXE_rtdoctor"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LANG", "C.UTF-8")
        .current_dir("/")
        .stdin(std::process::Stdio::null()))
}

#[test]
fn as_root_in_another_pid_namespace_the_owner_is_not_visible_from_here_not_a_sudo_away() {
    needs_root("make a PID namespace with unshare");
    let port = free_port();
    let server = listener("127.0.0.1", port, false);
    let not_visible = format!(
        "port {port} is held by a process of root (uid 0) that is not visible from here, even as root: \
it runs in another PID namespace"
    );

    let ports = in_own_pid_namespace(&["ports", &port.to_string()]);
    assert_eq!(ports.code, 0, "{}{}", ports.stdout, ports.stderr);
    assert!(ports.stdout.contains(&not_visible), "{}", ports.stdout);
    assert!(!ports.stdout.contains("sudo"), "{}", ports.stdout);

    let kill = in_own_pid_namespace(&["kill", &port.to_string(), "--yes"]);
    assert_eq!(kill.code, 1, "{}{}", kill.stdout, kill.stderr);
    assert!(kill.stdout.contains(&not_visible), "{}", kill.stdout);
    assert!(
        kill.stdout
            .contains(&format!("`ss -tlnp 'sport = :{port}'`")),
        "{}",
        kill.stdout
    );
    assert!(!kill.stdout.contains("sudo"), "{}", kill.stdout);
    assert!(rtdoctor::os::native().alive(server.pid()));
}
