//! Package sniffing: the installed versions of the Node and Python
//! Socket.IO / WebSocket packages, as the server here would load them.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::time::Duration;

use super::logs::read_bounded;
use crate::holders::PortHolders;
use crate::os::{Platform, ProcessInfo};

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

/// The most of an interpreter's answer read: a few lines are expected.
const ANSWER_LIMIT: u64 = 64 * 1024;
/// How long an interpreter is given to answer.
const ANSWER_TIME: Duration = Duration::from_secs(3);

/// The Python whose packages the bundle lists, and why that one.
pub(super) struct Python {
    /// What is run: a path, or a name looked up in PATH.
    program: String,
    /// Where it came from, for `system.json`.
    why: String,
}

impl Python {
    /// The interpreter of the first target's server that is a Python
    /// process, else the active virtualenv's python, else python3.
    pub(super) fn for_servers(os: &dyn Platform, holders: &BTreeMap<u16, PortHolders>) -> Python {
        holders
            .iter()
            .find_map(|(port, found)| {
                found
                    .main_holder()
                    .and_then(|h| server_python(os, &h.process, *port))
            })
            .unwrap_or_else(|| match std::env::var("VIRTUAL_ENV") {
                Ok(venv) => Python {
                    program: Path::new(&venv)
                        .join("bin/python")
                        .to_string_lossy()
                        .into_owned(),
                    why: "the active virtualenv's (no target's server is a Python process)".into(),
                },
                Err(_) => Python {
                    program: "python3".into(),
                    why: "the first in PATH (no target's server is a Python process)".into(),
                },
            })
    }

    /// `…/bin/python: the interpreter of pid 42, which holds port 8000`.
    pub(super) fn describe(&self) -> String {
        format!("{}: {}", self.program, self.why)
    }
}

/// The interpreter `p` runs, when it is a Python: its argv[0] (a
/// virtualenv's `bin/python` keeps the virtualenv, where the process's
/// executable link names the base interpreter it links to), else the program file it
/// runs. Only a process of the user rtdoctor runs as: rtdoctor never runs
/// a program on another user's word.
fn server_python(os: &dyn Platform, p: &ProcessInfo, port: u16) -> Option<Python> {
    if p.uid.is_none() || p.uid != os.euid() {
        return None;
    }
    let is_python = |path: &Path| {
        path.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("python") || n.starts_with("pypy"))
    };
    let why = format!("the interpreter of pid {}, which holds port {port}", p.pid);
    let argv0 = p.cmdline.first().map(Path::new);
    // A relative path with a directory is relative to the server's own
    // working directory, not rtdoctor's: left for the program file.
    let usable = |a: &&Path| a.is_absolute() || a.components().count() == 1;
    if let Some(argv0) = argv0.filter(usable).filter(|a| is_python(a)) {
        return Some(Python {
            program: argv0.to_string_lossy().into_owned(),
            why,
        });
    }
    let exe = os.exe(p.pid).filter(|e| is_python(e))?;
    Some(Python {
        program: exe.to_string_lossy().into_owned(),
        why,
    })
}

/// Versions of the Socket.IO / WebSocket packages `python` would load,
/// asked with a time limit and reading a bounded answer.
pub(super) fn python_packages(
    python: &Python,
    notes: &mut Vec<String>,
) -> BTreeMap<String, String> {
    let program = &python.program;
    let script = format!(
        "import importlib.metadata as m\nfor n in {PYTHON_PACKAGES:?}:\n    try: print(n, m.version(n))\n    except Exception: pass\n"
    );
    let Ok(mut child) = std::process::Command::new(program)
        .args(["-c", &script])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .stdin(std::process::Stdio::null())
        .spawn()
    else {
        notes.push(format!(
            "{program} could not be run: no Python package versions"
        ));
        return BTreeMap::new();
    };
    let start = std::time::Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if start.elapsed() < ANSWER_TIME => {
                std::thread::sleep(Duration::from_millis(20))
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                notes.push(format!(
                    "{program} took longer than {} s: no Python package versions",
                    ANSWER_TIME.as_secs()
                ));
                return BTreeMap::new();
            }
        }
    }
    let mut text = String::new();
    if let Some(out) = child.stdout.take() {
        let _ = out.take(ANSWER_LIMIT).read_to_string(&mut text);
    }
    text.lines()
        .filter_map(|l| l.split_once(' '))
        .filter(|(n, _)| PYTHON_PACKAGES.contains(n))
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::os::fake::{self, Fake};

    fn found(os: &Fake, port: u16) -> BTreeMap<u16, PortHolders> {
        let table = os.socket_table_with_owners(None).unwrap();
        BTreeMap::from([(port, PortHolders::find_with(os, &table, port))])
    }

    /// Pid 42 of `uid` serves port 8000 with `cmdline`, running `exe`.
    fn serving(uid: u32, cmdline: &[&str], exe: &str) -> Fake {
        Fake {
            sockets: vec![fake::listener("127.0.0.1:8000", uid, &[42])],
            processes: vec![ProcessInfo {
                uid: Some(uid),
                cmdline: cmdline.iter().map(|a| a.to_string()).collect(),
                ..fake::process(42, 1, "python3")
            }],
            exes: vec![(42, exe.into())],
            ..Fake::default()
        }
    }

    #[test]
    fn the_servers_own_python_is_asked() {
        let os = serving(
            1000,
            &["/srv/app/.venv/bin/python", "app.py"],
            "/usr/bin/python3.12",
        );
        let python = Python::for_servers(&os, &found(&os, 8000));
        assert_eq!(
            python.describe(),
            "/srv/app/.venv/bin/python: the interpreter of pid 42, which holds port 8000"
        );
    }

    #[test]
    fn a_renamed_or_relative_argv0_falls_back_on_the_program_file() {
        for argv0 in ["gunicorn: master [app]", "./venv/bin/python"] {
            let os = serving(1000, &[argv0], "/usr/bin/python3.12");
            let python = Python::for_servers(&os, &found(&os, 8000));
            assert_eq!(python.program, "/usr/bin/python3.12", "{argv0}");
        }
    }

    #[test]
    fn another_users_server_or_a_server_that_is_not_python_is_not_asked() {
        let node = serving(1000, &["/usr/bin/node", "server.js"], "/usr/bin/node");
        let alices = serving(
            1001,
            &["/home/alice/bin/python", "app.py"],
            "/usr/bin/python3",
        );
        for os in [node, alices] {
            let python = Python::for_servers(&os, &found(&os, 8000));
            assert!(
                python
                    .why
                    .contains("no target's server is a Python process"),
                "{}",
                python.describe()
            );
        }
    }
}
