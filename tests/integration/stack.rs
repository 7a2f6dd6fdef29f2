//! Issue 14: the server behind a failure is named only from what this run
//! saw (the Server header, the port holder's command line), with that
//! server's fix; otherwise the fix stays neutral. Real servers throughout.

use crate::peers::*;
use crate::socketio::check_json;
use crate::support::*;

/// `rtdoctor check --only socketio` on `port`, where the handshake works and
/// the upgrade fails: the upgrade's summary and fix text.
fn upgrade_fails(port: u16) -> (String, String) {
    let (code, r) = check_json(port, &["--only", "socketio"]);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(status(&r, "socketio.handshake"), "pass", "{r:#}");
    assert_eq!(status(&r, "socketio.upgrade"), "fail", "{r:#}");
    let said = summary(&r, "socketio.upgrade").to_string();
    (said, fix_text(&r, "socketio.upgrade"))
}

/// uvicorn without a WebSocket library (`--ws none`, as when neither
/// websockets nor wsproto is installed) answers the upgrade 500.
#[test]
fn socketio_upgrade_uvicorn_without_websockets_names_uvicorn_standard() {
    let server = uvicorn("none");
    let (said, fix) = upgrade_fails(server.port);
    assert_eq!(
        said,
        "the websocket upgrade was answered HTTP/1.1 500 Internal Server Error (server: uvicorn), \
as plain HTTP: uvicorn most likely runs without WebSocket support"
    );
    assert!(
        fix.contains("Give uvicorn a WebSocket implementation"),
        "{fix}"
    );
    // fix_text quotes the command as JSON does.
    assert!(
        fix.contains("pip install \\\"uvicorn[standard]\\\""),
        "{fix}"
    );
    assert!(!fix.contains("gunicorn -w 1 --threads 100"), "{fix}");
}

/// The same app with uvicorn's wsproto implementation upgrades.
#[test]
fn socketio_upgrade_uvicorn_with_websockets_passes() {
    let server = uvicorn("wsproto");
    let (code, r) = check_json(server.port, &["--only", "socketio"]);
    assert_eq!(status(&r, "socketio.upgrade"), "pass", "{r:#}");
    assert!(summary(&r, "socketio.upgrade").contains("websocket-only connect works"));
    assert_eq!(code, 0, "{r:#}");
}

/// python-socketio on aiohttp without upgrades: nothing names gunicorn, so
/// the fix lists the common causes and gives no gunicorn command.
#[test]
fn socketio_upgrade_without_gunicorn_evidence_does_not_name_gunicorn() {
    let server = py_healthy(&["--no-upgrades"]);
    let (_, fix) = upgrade_fails(server.port);
    let neutral = "The server's worker cannot serve websockets. Common causes:";
    assert!(fix.contains(neutral), "{fix}");
    assert!(!fix.contains("gunicorn -w 1 --threads 100"), "{fix}");
}
