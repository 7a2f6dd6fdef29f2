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
