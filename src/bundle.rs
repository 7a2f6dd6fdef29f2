//! `rtdoctor bundle` / `check --bundle`: a redacted `.tar.gz` to attach to a
//! bug report: the report, this machine, its sockets and the target ports'
//! holders, the variables that matter, log tails and config copies. Every
//! file goes through the redactor; the archive is written to a temporary
//! file (mode 0600) and renamed into place, so a failed write leaves nothing.

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::config::{CheckConfig, Verbosity};
use crate::holders::PortHolders;
use crate::process;
use crate::redact::Redactor;
use crate::report::Report;
use crate::sockets::SocketTable;
use crate::style::Style;
use crate::{ports, render};

/// The archive stays under this; log tails are cut to fit, with a marker.
pub const SIZE_LIMIT: usize = 5 * 1024 * 1024;
/// The most of any one log or config file read.
const FILE_LIMIT: u64 = 1024 * 1024;
const TRUNCATED: &str = "\n[… cut by rtdoctor: the bundle is kept under 5 MB …]\n";

#[derive(Clone, Debug, Default)]
pub struct BundleConfig {
    /// `None`: `rtdoctor-bundle-HOST-YYYYmmdd-HHMMSS.tar.gz` here.
    pub path: Option<PathBuf>,
    pub logs: Vec<PathBuf>,
    pub log_lines: usize,
    pub config_files: Vec<PathBuf>,
    pub anonymize: bool,
}

#[derive(Serialize)]
struct Manifest {
    schema: &'static str,
    created_at: String,
    tool: &'static str,
    anonymized: bool,
    files: Vec<FileEntry>,
    /// Inputs that could not be read (the bundle is written anyway).
    notes: Vec<String>,
}

#[derive(Serialize)]
struct FileEntry {
    name: String,
    size: usize,
    sha256: String,
    redactions: usize,
}

pub struct Written {
    pub path: PathBuf,
    pub size: u64,
    pub files: usize,
    pub redactions: usize,
}

struct Entry {
    name: String,
    bytes: Vec<u8>,
    redactions: usize,
}

pub fn write(
    report: &Report,
    config: &CheckConfig,
    bundle: &BundleConfig,
    table: Option<&SocketTable>,
    redactor: &Redactor,
) -> Result<Written, String> {
    let files = redactor.for_files();
    let mut notes = Vec::new();
    let mut entries = vec![
        redacted("report.json", &render::json(report), redactor),
        redacted(
            "report.txt",
            &render::human(report, Verbosity::Verbose, Style { color: false }),
            redactor,
        ),
        redacted("system.json", &json(&system(&mut notes)), &files),
    ];
    match table {
        Some(t) => {
            entries.push(redacted(
                "sockets.json",
                &ports::render_json(&ports::collect(t, &[])),
                &files,
            ));
            let holders: BTreeMap<u16, PortHolders> = config
                .targets
                .iter()
                .map(|tc| (tc.target.port, PortHolders::find(t, tc.target.port)))
                .collect();
            entries.push(redacted("processes.json", &json(&holders), &files));
        }
        None => notes
            .push("the socket table could not be read within the run's bound: no sockets.json or processes.json".into()),
    }
    entries.push(redacted("env.txt", &env_text(&config.env), &files));
    // Log tails and config copies: what is cut to keep the bundle under
    // the size limit, both of them.
    let mut cuttable = Vec::new();
    for path in &bundle.logs {
        match tail(path, bundle.log_lines, &files) {
            Ok((text, redactions)) => cuttable.push(Entry {
                name: format!("logs/{}", file_name(path)),
                bytes: text.into_bytes(),
                redactions,
            }),
            Err(e) => notes.push(unread(format!("--log {}: {e}", path.display()))),
        }
    }
    for path in &bundle.config_files {
        match read_bounded(path) {
            Ok(text) => cuttable.push(redacted(
                &format!("config/{}", file_name(path)),
                &text,
                &files,
            )),
            Err(e) => notes.push(unread(format!("--config-file {}: {e}", path.display()))),
        }
    }
    fit_logs(&mut cuttable, entries.iter().map(|e| e.bytes.len()).sum());
    entries.extend(cuttable);
    if bundle.anonymize {
        let anon = Anonymizer::new();
        for e in &mut entries {
            e.bytes = anon.apply(&String::from_utf8_lossy(&e.bytes)).into_bytes();
        }
        for n in &mut notes {
            *n = anon.apply(n);
        }
    }
    let manifest = Manifest {
        schema: "rtdoctor.bundle/v1",
        created_at: report.started_at.clone(),
        tool: concat!("rtdoctor ", env!("CARGO_PKG_VERSION")),
        anonymized: bundle.anonymize,
        files: entries
            .iter()
            .map(|e| FileEntry {
                name: e.name.clone(),
                size: e.bytes.len(),
                sha256: hex(&Sha256::digest(&e.bytes)),
                redactions: e.redactions,
            })
            .collect(),
        notes,
    };
    let redactions = entries.iter().map(|e| e.redactions).sum();
    entries.insert(
        0,
        Entry {
            name: "manifest.json".into(),
            bytes: json(&manifest).into_bytes(),
            redactions: 0,
        },
    );
    let path = match &bundle.path {
        Some(p) => p.clone(),
        None => PathBuf::from(default_name(bundle.anonymize)),
    };
    let size = write_atomically(&path, &entries)?;
    Ok(Written {
        path,
        size,
        files: entries.len(),
        redactions,
    })
}

fn redacted(name: &str, text: &str, r: &Redactor) -> Entry {
    let (text, redactions) = r.count(text);
    Entry {
        name: name.to_string(),
        bytes: text.into_bytes(),
        redactions,
    }
}

fn json<T: Serialize>(value: &T) -> String {
    let mut s = serde_json::to_string_pretty(value).unwrap_or_default();
    s.push('\n');
    s
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "unnamed".into())
}

/// The variables that matter to a real-time connection.
fn env_text(env: &[(String, String)]) -> String {
    let mut lines: Vec<String> = env
        .iter()
        .filter(|(k, _)| relevant_var(k))
        .map(|(k, v)| {
            let v = if crate::redact::is_secret_name(k) {
                crate::redact::MARK
            } else {
                v.as_str()
            };
            format!("{k}={v}")
        })
        .collect();
    lines.sort();
    lines.join("\n") + "\n"
}

fn relevant_var(name: &str) -> bool {
    let up = name.to_ascii_uppercase();
    up.contains("PORT")
        || up.contains("HOST")
        || up.ends_with("_PROXY")
        || [
            "NODE_",
            "NPM_CONFIG_PROXY",
            "PYTHON",
            "SOCKETIO",
            "SOCKET_IO",
            "WEBSOCKET",
            "RTDOCTOR_",
            "FLASK_",
            "GUNICORN",
            "UVICORN",
        ]
        .iter()
        .any(|p| up.starts_with(p))
}

/// A bundle input that could not be read is said on stderr as well as in
/// the manifest: the bundle is still written, without it.
fn unread(note: String) -> String {
    crate::say!("rtdoctor: the bundle leaves out {note}");
    note
}

/// The last `lines` lines of a file, reading at most `FILE_LIMIT` bytes
/// from its end, redacted. The whole window is redacted before it is cut
/// to `lines`: a key block whose BEGIN line falls outside the kept lines is
/// still seen whole.
fn tail(path: &Path, lines: usize, redactor: &Redactor) -> Result<(String, usize), String> {
    let bytes = crate::input_file::read_tail(path, FILE_LIMIT)
        .map_err(|e| e.to_string())?
        .bytes;
    let (text, redactions) = redactor.count(&String::from_utf8_lossy(&bytes));
    let all: Vec<&str> = text.lines().collect();
    let keep = &all[all.len().saturating_sub(lines)..];
    Ok((keep.join("\n") + "\n", redactions))
}

fn read_bounded(path: &Path) -> Result<String, String> {
    let bytes = crate::input_file::read_head(path, FILE_LIMIT)
        .map_err(|e| e.to_string())?
        .bytes;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Cut the log tails and config copies (their first bytes) so the whole
/// stays under the size limit; a marker says where. They are cut after
/// redaction, so a cut never uncovers part of a hidden value.
fn fit_logs(logs: &mut [Entry], others: usize) {
    let room = SIZE_LIMIT.saturating_sub(others + 64 * 1024);
    let total: usize = logs.iter().map(|l| l.bytes.len()).sum();
    if total <= room || logs.is_empty() {
        return;
    }
    let share = room / logs.len();
    for log in logs.iter_mut() {
        if log.bytes.len() > share {
            let keep = share.saturating_sub(TRUNCATED.len());
            let cut = log.bytes.len() - keep;
            let mut bytes = TRUNCATED.as_bytes().to_vec();
            bytes.extend_from_slice(&log.bytes[cut..]);
            log.bytes = bytes;
        }
    }
}

#[derive(Serialize)]
struct System {
    rtdoctor: &'static str,
    os: Option<String>,
    kernel: Option<String>,
    arch: &'static str,
    hostname: Option<String>,
    cpus: Option<usize>,
    memory_total_bytes: Option<u64>,
    memory_available_bytes: Option<u64>,
    load_average: Option<[f64; 3]>,
    disk_free_bytes: Option<u64>,
    nofile_limit: Option<(u64, u64)>,
    node_packages: BTreeMap<String, String>,
    python_packages: BTreeMap<String, String>,
}

fn system(notes: &mut Vec<String>) -> System {
    let mut memory = (None, None);
    if let Ok(mut sys) = sysinfo::System::new() {
        sys.refresh_memory();
        memory = (Some(sys.total_memory()), Some(sys.available_memory()));
    }
    let disk_free_bytes = nix::sys::statvfs::statvfs(".")
        .ok()
        .map(|s| s.blocks_available() * s.fragment_size());
    System {
        rtdoctor: env!("CARGO_PKG_VERSION"),
        os: sysinfo::System::long_os_version().ok(),
        kernel: sysinfo::System::kernel_version().ok(),
        arch: std::env::consts::ARCH,
        hostname: sysinfo::System::host_name().ok(),
        cpus: std::thread::available_parallelism().ok().map(|n| n.get()),
        memory_total_bytes: memory.0,
        memory_available_bytes: memory.1,
        load_average: sysinfo::System::load_average()
            .ok()
            .map(|l| [l.one, l.five, l.fifteen]),
        disk_free_bytes,
        nofile_limit: process::own_nofile_limit(),
        node_packages: node_packages(),
        python_packages: python_packages(notes),
    }
}

const NODE_PACKAGES: &[&str] = &[
    "socket.io",
    "socket.io-client",
    "engine.io",
    "engine.io-client",
    "ws",
];

/// Versions from ./package-lock.json, else ./node_modules/*/package.json.
fn node_packages() -> BTreeMap<String, String> {
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
fn python_packages(notes: &mut Vec<String>) -> BTreeMap<String, String> {
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

/// Hostnames, user names and home paths replaced by short stable hashes.
struct Anonymizer {
    pairs: Vec<(String, String)>,
}

impl Anonymizer {
    fn new() -> Self {
        let mut pairs = Vec::new();
        let token =
            |kind: &str, s: &str| format!("{kind}-{}", &hex(&Sha256::digest(s.as_bytes()))[..8]);
        if let Ok(host) = sysinfo::System::host_name()
            && host.len() >= 2
        {
            pairs.push((host.clone(), token("host", &host)));
        }
        let mut users: Vec<String> = Vec::new();
        if let Ok(Some(u)) = nix::unistd::User::from_uid(nix::unistd::Uid::current()) {
            users.push(u.name);
        }
        for var in ["USER", "LOGNAME", "SUDO_USER"] {
            if let Ok(v) = std::env::var(var) {
                users.push(v);
            }
        }
        users.sort();
        users.dedup();
        for user in users.into_iter().filter(|u| u.len() >= 2) {
            let t = token("user", &user);
            pairs.push((format!("/home/{user}"), format!("/home/{t}")));
            pairs.push((user, t));
        }
        if let Ok(home) = std::env::var("HOME")
            && home.len() > 1
        {
            pairs.push((home.clone(), token("home", &home)));
        }
        // Longest first, so /home/alice goes before alice.
        pairs.sort_by_key(|(from, _)| std::cmp::Reverse(from.len()));
        Anonymizer { pairs }
    }

    fn apply(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (from, to) in &self.pairs {
            out = replace_word(&out, from, to);
        }
        out
    }
}

/// Replace `from` where it is not part of a longer word ("root" in
/// "rootfs" stays).
fn replace_word(text: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(from) {
        let before = rest[..i].chars().next_back();
        let after = rest[i + from.len()..].chars().next();
        let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        out.push_str(&rest[..i]);
        if word(before) || word(after) {
            out.push_str(from);
        } else {
            out.push_str(to);
        }
        rest = &rest[i + from.len()..];
    }
    out.push_str(rest);
    out
}

fn default_name(anonymize: bool) -> String {
    let host = sysinfo::System::host_name().unwrap_or_else(|_| "host".into());
    let host = if anonymize {
        format!("host-{}", &hex(&Sha256::digest(host.as_bytes()))[..8])
    } else {
        host.chars()
            .map(|c| {
                if c.is_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    let stamp = humantime::format_rfc3339_seconds(SystemTime::now())
        .to_string()
        .replace(['-', ':'], "")
        .replace('T', "-")
        .trim_end_matches('Z')
        .to_string();
    format!("rtdoctor-bundle-{host}-{stamp}.tar.gz")
}

/// Write the archive to a 0600 temporary file beside `path`, then rename
/// it into place: readers never see half a bundle, and a failure removes
/// the temporary file.
fn write_atomically(path: &Path, entries: &[Entry]) -> Result<u64, String> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = dir.join(format!(".{}.{}.tmp", file_name(path), std::process::id()));
    let result = (|| -> std::io::Result<u64> {
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
        let mut tar = tar::Builder::new(gz);
        let mtime = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        for e in entries {
            let mut header = tar::Header::new_gnu();
            header.set_size(e.bytes.len() as u64);
            header.set_mode(0o600);
            header.set_mtime(mtime);
            header.set_uid(0);
            header.set_gid(0);
            // Owner names in tar headers could name a user: keep them neutral.
            let _ = header.set_username("rtdoctor");
            let _ = header.set_groupname("rtdoctor");
            header.set_cksum();
            tar.append_data(&mut header, &e.name, e.bytes.as_slice())?;
        }
        let gz = tar.into_inner()?;
        let mut file = gz.finish()?;
        file.flush()?;
        file.sync_all()?;
        let size = file.metadata()?.len();
        fs::rename(&tmp, path)?;
        Ok(size)
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        format!("cannot write the bundle to {}: {e}", path.display())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_replaced_only_whole() {
        assert_eq!(
            replace_word("root ran rootfs as root.", "root", "user-1"),
            "user-1 ran rootfs as user-1."
        );
        assert_eq!(
            replace_word("/home/alice/app", "/home/alice", "/home/u"),
            "/home/u/app"
        );
    }

    #[test]
    fn logs_are_cut_to_fit_with_a_marker() {
        let mut logs = vec![Entry {
            name: "logs/a".into(),
            bytes: vec![b'x'; SIZE_LIMIT * 2],
            redactions: 0,
        }];
        fit_logs(&mut logs, 1000);
        assert!(logs[0].bytes.len() < SIZE_LIMIT);
        assert!(String::from_utf8_lossy(&logs[0].bytes).starts_with(TRUNCATED));
    }

    #[test]
    fn only_the_variables_that_matter() {
        let env = vec![
            ("PORT".to_string(), "8765".to_string()),
            ("API_TOKEN".to_string(), "tok".to_string()),
            ("HTTP_PROXY".to_string(), "http://p:3128".to_string()),
            ("EDITOR".to_string(), "vim".to_string()),
            (
                "NODE_OPTIONS".to_string(),
                "--dns-result-order=ipv4first".to_string(),
            ),
        ];
        let text = env_text(&env);
        assert!(
            text.contains("PORT=8765")
                && text.contains("HTTP_PROXY=")
                && text.contains("NODE_OPTIONS=")
        );
        assert!(!text.contains("EDITOR") && !text.contains("API_TOKEN"));
    }
}
