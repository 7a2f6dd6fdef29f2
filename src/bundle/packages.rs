//! Package sniffing: the installed versions of the Node and Python
//! Socket.IO / WebSocket packages, as the server here would load them.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::time::Duration;

use super::logs::read_bounded;

const NODE_PACKAGES: &[&str] = &[
    "socket.io",
    "socket.io-client",
    "engine.io",
    "engine.io-client",
    "ws",
];

/// Versions from ./package-lock.json, else ./node_modules/*/package.json.
pub(super) fn node_packages() -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Ok(text) = read_bounded(Path::new("package-lock.json"))
        && let Ok(lock) = serde_json::from_str::<serde_json::Value>(&text)
    {
        for name in NODE_PACKAGES {
            if let Some(v) = lock["packages"][format!("node_modules/{name}")]["version"].as_str() {
                out.insert(name.to_string(), v.to_string());
            }
        }
    }
    for name in NODE_PACKAGES {
        if out.contains_key(*name) {
            continue;
        }
        if let Ok(text) = read_bounded(&Path::new("node_modules").join(name).join("package.json"))
            && let Ok(pkg) = serde_json::from_str::<serde_json::Value>(&text)
            && let Some(v) = pkg["version"].as_str()
        {
            out.insert(name.to_string(), v.to_string());
        }
    }
    out
}

const PYTHON_PACKAGES: &[&str] = &[
    "python-socketio",
    "python-engineio",
    "Flask-SocketIO",
    "gunicorn",
    "eventlet",
    "gevent",
    "simple-websocket",
];

/// Versions from the Python environment that would run the server (the
/// active virtualenv's python, else python3), asked with a 3 s limit.
pub(super) fn python_packages(notes: &mut Vec<String>) -> BTreeMap<String, String> {
    let python = std::env::var("VIRTUAL_ENV")
        .map(|v| {
            Path::new(&v)
                .join("bin/python")
                .to_string_lossy()
                .into_owned()
        })
        .unwrap_or_else(|_| "python3".into());
    let script = format!(
        "import importlib.metadata as m\nfor n in {PYTHON_PACKAGES:?}:\n    try: print(n, m.version(n))\n    except Exception: pass\n"
    );
    let Ok(mut child) = std::process::Command::new(&python)
        .args(["-c", &script])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .stdin(std::process::Stdio::null())
        .spawn()
    else {
        notes.push(format!(
            "{python} could not be run: no Python package versions"
        ));
        return BTreeMap::new();
    };
    let start = std::time::Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if start.elapsed() < Duration::from_secs(3) => {
                std::thread::sleep(Duration::from_millis(20))
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                notes.push(format!(
                    "{python} took longer than 3 s: no Python package versions"
                ));
                return BTreeMap::new();
            }
        }
    }
    let mut text = String::new();
    if let Some(mut out) = child.stdout.take() {
        let _ = out.read_to_string(&mut text);
    }
    text.lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}
