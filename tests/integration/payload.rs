//! `socketio.payload` and `websocket.payload` (with `--payload`) against
//! real servers with small limits: python-socketio's max_http_buffer_size,
//! socket.io's maxHttpBufferSize, nginx's client_max_body_size in front of
//! python-socketio, ws' maxPayload; and the same servers with their
//! defaults, which pass. Each asserts the status, the cause named and the
//! limit's bracket (the size through and the first refused, in the
//! evidence) around the configured limit.

use serde_json::Value;

use crate::peers::*;
use crate::support::*;

/// `rtdoctor check TARGET --payload --json --only ID --timeout 3s`: the
/// report, after `ID`'s status was checked, and its summary.
fn payload(target: &str, id: &str, want: &str) -> (Value, String) {
    let out = rt(&[
        "check",
        target,
        "--payload",
        "--json",
        "--only",
        id,
        "--timeout",
        "3s",
    ]);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    let r = out.json();
    assert_eq!(status(&r, id), want, "{r:#}");
    let said = summary(&r, id).to_string();
    (r, said)
}

/// The largest size through and the smallest refused on `transport`, from
/// the evidence (`N B through`, `N B refused (…)`).
fn bracket(report: &Value, id: &str, transport: &str) -> (Option<usize>, Option<usize>) {
    let seen = evidence(report, id);
    let line = seen
        .lines()
        .find(|l| l.starts_with(&format!("{transport} messages: ")))
        .unwrap_or_else(|| panic!("no {transport} messages in {seen}"));
    let sizes = |word: &str| -> Vec<usize> {
        line.split(", ")
            .map(|t| t.trim_start_matches(&format!("{transport} messages: ")))
            .filter(|t| t.contains(word))
            .filter_map(|t| t.split(' ').next()?.parse().ok())
            .collect()
    };
    (
        sizes(" B through").into_iter().max(),
        sizes(" B refused").into_iter().min(),
    )
}

/// The limit lies in the bracket, and the bracket is within 5 % or 1 KiB.
fn assert_around(report: &Value, id: &str, transport: &str, limit: usize) {
    let (through, refused) = bracket(report, id, transport);
    let (t, r) = (through.unwrap(), refused.unwrap());
    // aiohttp refuses a message of exactly max_msg_size: the limit is
    // within one size of the bracket.
    assert!(
        t <= limit && limit <= r,
        "{transport}: {t}..{r} around {limit}"
    );
    assert!(r - t <= (t / 20).max(1024), "{transport}: {t}..{r}");
}

#[test]
fn socketio_payload_python_socketio_max_http_buffer_size_closes_the_session() {
    let server = py_healthy(&["--max-http-buffer-size", "100000"]);
    let (r, said) = payload(
        &format!("http://127.0.0.1:{}", server.port),
        "socketio.payload",
        "pass",
    );
    assert!(said.contains("close code 1009 (message too big)"), "{said}");
    assert!(
        said.contains("is refused: the server ended the session (")
            && said.contains("'Session is disconnected'"),
        "{said}"
    );
    assert!(said.ends_with("(maxPayload 97.7 KiB)"), "{said}");
    assert_around(&r, "socketio.payload", "websocket", 100_000);
    assert_around(&r, "socketio.payload", "polling", 100_000);
}

#[test]
fn socketio_payload_socketio_max_http_buffer_size_gets_1009_and_413() {
    let server = node4(&["--max-http-buffer-size", "50000"]);
    let (r, said) = payload(
        &format!("http://127.0.0.1:{}", server.port),
        "socketio.payload",
        "pass",
    );
    assert!(
        said.contains("is refused: close code 1009 (message too big)"),
        "{said}"
    );
    assert!(
        said.contains("is refused: HTTP 413 from the server"),
        "{said}"
    );
    assert_around(&r, "socketio.payload", "websocket", 50_000);
    assert_around(&r, "socketio.payload", "polling", 50_000);
}

#[test]
fn socketio_payload_nginx_client_max_body_size_below_the_server_fails_on_polling() {
    let server = py_healthy(&[]);
    let nginx = nginx("nginx-body.conf.template", &[server.port]);
    let (r, said) = payload(
        &format!("http://127.0.0.1:{}", nginx.port()),
        "socketio.payload",
        "fail",
    );
    assert!(
        said.starts_with("polling messages over ")
            && said.contains(" get HTTP 413 from nginx/")
            && said.contains("while the server accepts 976.6 KiB (its maxPayload)"),
        "{said}"
    );
    assert!(fix_text(&r, "socketio.payload").contains("client_max_body_size 977k;"));
    assert_around(&r, "socketio.payload", "polling", 16 * 1024);
    // The websocket passes what nginx refuses on polling: the server's own
    // 1 MB.
    assert_around(&r, "socketio.payload", "websocket", 1_000_000);
}

#[test]
fn websocket_payload_ws_max_payload_is_refused_with_1009() {
    let server = ws_server(&["--max-payload", "65536"]);
    let (r, said) = payload(
        &format!("ws://127.0.0.1:{}/", server.port),
        "websocket.payload",
        "warn",
    );
    assert!(
        said.contains("64 KiB gets through")
            && said.contains("is refused: close code 1009 (message too big)"),
        "{said}"
    );
    assert!(fix_text(&r, "websocket.payload").contains("maxPayload"));
    assert_around(&r, "websocket.payload", "/", 65_536);
}

#[test]
fn websocket_payload_ws_defaults_pass_16_mib_within_the_budget() {
    let server = ws_server(&[]);
    let (r, said) = payload(
        &format!("ws://127.0.0.1:{}/", server.port),
        "websocket.payload",
        "pass",
    );
    assert!(said.ends_with("/: 16 MiB gets through"), "{said}");
    let sent = evidence(&r, "websocket.payload");
    assert!(sent.contains("/ sent: 33553408 bytes in all"), "{sent}");
}

#[test]
fn socketio_payload_socketio_defaults_pass_with_the_server_limit_and_is_opt_in() {
    let server = node4(&[]);
    let target = format!("http://127.0.0.1:{}", server.port);
    let (r, _) = payload(&target, "socketio.payload", "pass");
    assert_around(&r, "socketio.payload", "websocket", 1_000_000);
    assert_around(&r, "socketio.payload", "polling", 1_000_000);
    // Without --payload: named by --only, it is skipped with the reason;
    // otherwise it is not in the report at all.
    let out = rt(&["check", &target, "--json", "--only", "socketio.payload"]);
    let r = out.json();
    assert_eq!(status(&r, "socketio.payload"), "skip");
    assert_eq!(
        summary(&r, "socketio.payload"),
        "opt-in: --payload sends messages up to 16 MiB to find the limit"
    );
    let r = rt(&["check", &target, "--json", "--only", "socketio"]).json();
    let ids: Vec<&str> = r["targets"][0]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert!(!ids.contains(&"socketio.payload"), "{ids:?}");
}

/// socket.io 2 (Engine.IO 3: no maxPayload in the handshake, and the
/// client pings): its default maxHttpBufferSize of 1e6, found from 1 KiB up.
#[test]
fn socketio_payload_socketio_2_is_found_without_a_maxpayload() {
    let server = node2(&[]);
    let (r, said) = payload(
        &format!("http://127.0.0.1:{}", server.port),
        "socketio.payload",
        "pass",
    );
    assert!(
        said.contains("is refused: close code 1009 (message too big)"),
        "{said}"
    );
    assert!(!said.contains("maxPayload"), "{said}");
    assert_around(&r, "socketio.payload", "websocket", 1_000_000);
    assert_around(&r, "socketio.payload", "polling", 1_000_000);
}
