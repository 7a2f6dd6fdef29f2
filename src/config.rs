//! The resolved configuration the engine runs with, and rtdoctor's own
//! config file (`rtdoctor.toml`). `cli.rs` merges defaults < file <
//! environment < flags into these types; nothing past here knows clap.

use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::Spanned;

use crate::secret::{Header, Secret};
use crate::target::Target;

mod file_keys;

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
pub const DEFAULT_CONFIG_FILE: &str = "rtdoctor.toml";
/// How far either side of the target port `port.listen` looks for a server
/// that moved (dev servers pick the next free port).
pub const DEFAULT_PORT_SPREAD: u16 = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Junit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

/// Which Engine.IO protocol to speak.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EioMode {
    /// Find out which the server speaks.
    Auto,
    V3,
    V4,
}

/// How checks probe one target.
#[derive(Clone, Debug, PartialEq)]
pub struct Probe {
    /// Limit for one probe (a connect, a request).
    pub timeout: Duration,
    /// Where `port.listen` looks when nothing listens on the target port.
    pub port_range: (u16, u16),
    pub socketio_path: String,
    pub health_path: String,
    pub namespace: String,
    /// The Socket.IO CONNECT auth payload: sent, never shown.
    pub auth: Option<Secret<serde_json::Value>>,
    pub eio: EioMode,
    /// Extra request headers (`-H`): sent, their values never shown.
    pub headers: Vec<Header>,
    /// Plain WebSocket endpoints to probe (`--ws-path`; a ws:// target's
    /// own path is added by the check).
    pub ws_paths: Vec<String>,
    /// The browser origin for the CORS and WebSocket origin checks.
    pub origin: Option<String>,
    /// The page that hosts the client (mixed content; its origin is the
    /// default `origin`).
    pub page: Option<url::Url>,
    pub subprotocols: Vec<String>,
    /// Extra trusted CA certificates (PEM).
    pub cacert: Option<std::path::PathBuf>,
    /// Go on past an invalid certificate (still reported).
    pub insecure: bool,
}

pub const DEFAULT_SOCKETIO_PATH: &str = "/socket.io/";
pub const DEFAULT_HEALTH_PATH: &str = "/health";

impl Probe {
    /// The defaults for a target on `port`.
    pub fn new(timeout: Duration, port_range: (u16, u16)) -> Probe {
        Probe {
            timeout,
            port_range,
            socketio_path: DEFAULT_SOCKETIO_PATH.into(),
            health_path: DEFAULT_HEALTH_PATH.into(),
            namespace: "/".into(),
            auth: None,
            eio: EioMode::Auto,
            headers: Vec::new(),
            ws_paths: Vec::new(),
            origin: None,
            page: None,
            subprotocols: Vec::new(),
            cacert: None,
            insecure: false,
        }
    }

    pub fn default_range(port: u16) -> (u16, u16) {
        (
            port.saturating_sub(DEFAULT_PORT_SPREAD).max(1),
            port.saturating_add(DEFAULT_PORT_SPREAD),
        )
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct TargetConfig {
    pub target: Target,
    pub probe: Probe,
}

/// Which checks run: ids or id prefixes (`port` means `port.*`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    pub only: Vec<String>,
    pub skip: Vec<String>,
}

impl Selection {
    pub fn matches(pattern: &str, id: &str) -> bool {
        id == pattern
            || id
                .strip_prefix(pattern)
                .is_some_and(|rest| rest.starts_with('.'))
    }

    pub fn includes(&self, id: &str) -> bool {
        (self.only.is_empty() || self.only.iter().any(|p| Self::matches(p, id)))
            && !self.skip.iter().any(|p| Self::matches(p, id))
    }
}

/// Everything `rtdoctor check` needs, resolved.
#[derive(Clone, Debug)]
pub struct CheckConfig {
    pub targets: Vec<TargetConfig>,
    pub selection: Selection,
    pub format: Format,
    pub output: Option<PathBuf>,
    pub strict: bool,
    pub verbosity: Verbosity,
    pub color: bool,
    pub progress: bool,
    /// The environment as rtdoctor saw it at start (checks such as
    /// `env.proxy` read this snapshot, never the live environment).
    pub env: Vec<(String, String)>,
    /// No target was named: discover them, and probe them with these
    /// settings.
    pub discover: Option<Probe>,
    /// First wait up to this long for each target to answer.
    pub wait: Option<Duration>,
    /// Also write a debug bundle.
    pub bundle: Option<crate::bundle::BundleConfig>,
    /// `rtdoctor bundle`: the bundle is the product; the exit code says
    /// whether it was written, not what the checks found.
    pub bundle_only: bool,
    /// Where the socket table comes from (`RTDOCTOR_SOCKETS`; `None`: netlink,
    /// falling back on /proc).
    pub sockets: Option<crate::os::Source>,
}

#[derive(Clone, Debug)]
pub struct PortsConfig {
    /// Inclusive ranges; empty means every listener.
    pub ranges: Vec<(u16, u16)>,
    pub json: bool,
    /// Where the socket table comes from (`RTDOCTOR_SOCKETS`).
    pub sockets: Option<crate::os::Source>,
}

// ---- the config file -------------------------------------------------------

/// `rtdoctor.toml`: top-level keys are defaults for every target; each
/// `[[target]]` table names one target and may override them.
///
/// Deserialised by hand (`file_keys`), not with `#[serde(flatten)]`:
/// flatten buffers values and loses the spans `Spanned` needs ("expected
/// a spanned value"), so `headers`, `auth`, `eio`, `origin` and `page`
/// could not be read at all.
#[derive(Debug, Default)]
pub struct FileConfig {
    pub timeout: Option<Spanned<String>>,
    pub port_range: Option<Spanned<String>>,
    pub only: Option<Vec<String>>,
    pub skip: Option<Vec<String>>,
    pub strict: Option<bool>,
    pub format: Option<Spanned<String>>,
    pub color: Option<Spanned<String>>,
    /// Where the report goes: a path inside the config file's folder
    /// (`LoadedFile::output`).
    pub output: Option<Spanned<String>>,
    /// A folder of declared checks (`*.toml`).
    pub checks: Option<PathBuf>,
    pub socketio: FileSocketIo,
    pub target: Vec<FileTarget>,
}

/// Socket.IO settings, at the top level or per `[[target]]`.
#[derive(Debug, Default)]
pub struct FileSocketIo {
    pub socketio_path: Option<String>,
    pub health_path: Option<String>,
    pub namespace: Option<String>,
    /// A TOML table (`auth = { token = "…" }`) or a JSON string.
    pub auth: Option<Spanned<toml::Value>>,
    pub eio: Option<Spanned<String>>,
    pub headers: Option<Vec<Spanned<String>>>,
    pub ws_paths: Option<Vec<String>>,
    pub origin: Option<Spanned<String>>,
    pub page: Option<Spanned<String>>,
    pub subprotocols: Option<Vec<String>>,
    pub cacert: Option<PathBuf>,
    pub insecure: Option<bool>,
}

#[derive(Debug)]
pub struct FileTarget {
    pub url: Spanned<String>,
    pub timeout: Option<Spanned<String>>,
    pub port_range: Option<Spanned<String>>,
    pub socketio: FileSocketIo,
}

/// A config file after it was read: its text is kept so that any later
/// error about a value can name the line it stands on.
#[derive(Debug, Default)]
pub struct LoadedFile {
    pub path: PathBuf,
    pub text: String,
    pub config: FileConfig,
}

impl LoadedFile {
    /// `None` when `path` is the default file and it does not exist.
    pub fn load(path: &Path, explicit: bool) -> Result<Option<LoadedFile>, String> {
        let text = match crate::input_file::read_text(path, crate::input_file::CONFIG_CAP) {
            Ok(text) => text,
            Err(e) if e.is_not_found() && !explicit => return Ok(None),
            Err(e) => return Err(format!("cannot read config file {}: {e}", path.display())),
        };
        // Before it is parsed: an error may quote a value (`auth`, a header).
        crate::redact::remember(crate::redact::secret_values(&text));
        let config: FileConfig = toml::from_str(&text).map_err(|e| {
            let line = unknown_key_line(&text, e.message())
                .or_else(|| e.span().map(|s| line_of(&text, s.start)))
                .unwrap_or(1);
            format!(
                "{}:{line}: {}",
                path.display(),
                e.message().trim_end().replace('\n', " ")
            )
        })?;
        Ok(Some(LoadedFile {
            path: path.to_path_buf(),
            text,
            config,
        }))
    }

    /// Parse a spanned value, naming file and line when it is invalid.
    pub fn value<T>(
        &self,
        v: &Spanned<String>,
        key: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<T, String> {
        parse(v.get_ref()).map_err(|e| self.error_at(v.span().start, key, &e))
    }

    pub fn error_at(&self, offset: usize, key: &str, e: &str) -> String {
        format!(
            "{}:{}: invalid {key}: {e}",
            self.path.display(),
            line_of(&self.text, offset)
        )
    }

    /// `output` from the file, resolved against the file's folder. A config
    /// file may come with a checkout that is not the user's own, so it may
    /// not make rtdoctor write outside that folder (over a dotfile, say).
    pub fn output(&self) -> Result<Option<PathBuf>, String> {
        let Some(v) = &self.config.output else {
            return Ok(None);
        };
        let folder = match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        self.value(v, "output", |text| confined(folder, text))
            .map(Some)
    }

    /// `auth` as JSON: a TOML table converts, a string must hold JSON.
    pub fn auth(&self, v: &Spanned<toml::Value>) -> Result<serde_json::Value, String> {
        match v.get_ref() {
            toml::Value::String(s) => parse_auth(s),
            other => serde_json::to_value(other).map_err(|e| e.to_string()),
        }
        .map_err(|e| self.error_at(v.span().start, "auth", &e))
    }
}

/// serde reports an unknown key of a table with flattened parts at the
/// table's start; the key's own line is what the user needs.
fn unknown_key_line(text: &str, message: &str) -> Option<usize> {
    let key = message.strip_prefix("unknown field `")?.split('`').next()?;
    text.lines()
        .position(|line| {
            line.trim_start()
                .strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map(|i| i + 1)
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).unwrap_or(text).matches('\n').count() + 1
}

/// `text`, a path a config file names, as a path inside `folder`: relative,
/// without `..`, and with no symbolic link on the way that leads out
/// (the checkout may hold `report.txt -> ~/.bashrc`).
fn confined(folder: &Path, text: &str) -> Result<PathBuf, String> {
    use std::path::Component;
    let shown = crate::escape::escape(text);
    let rule = "a config file may only name a file inside its own folder (write elsewhere with -o)";
    let rel = Path::new(text);
    let mut names = 0;
    for part in rel.components() {
        match part {
            Component::Normal(_) => names += 1,
            Component::CurDir => {}
            Component::ParentDir => return Err(format!("'{shown}' climbs out with '..': {rule}")),
            Component::RootDir | Component::Prefix(_) => {
                return Err(format!("'{shown}' is an absolute path: {rule}"));
            }
        }
    }
    if names == 0 {
        return Err(format!("'{shown}' names no file"));
    }
    let path = folder.join(rel);
    let root = folder
        .canonicalize()
        .map_err(|e| format!("cannot resolve the config file's folder: {e}"))?;
    // The deepest part of the path that exists decides where a write lands.
    let existing = path
        .ancestors()
        .find(|p| p.symlink_metadata().is_ok())
        .unwrap_or(folder);
    let resolved = existing
        .canonicalize()
        .map_err(|_| format!("'{shown}' goes through a link that leads nowhere: {rule}"))?;
    if !resolved.starts_with(&root) {
        return Err(format!(
            "'{shown}' leads out of the folder through a link: {rule}"
        ));
    }
    Ok(path)
}

/// `--auth '{"token":"…"}'`: a JSON object (Socket.IO sends it as is).
pub fn parse_auth(text: &str) -> Result<serde_json::Value, String> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v @ serde_json::Value::Object(_)) => Ok(v),
        Ok(_) => Err("the auth payload must be a JSON object, e.g. '{\"token\":\"…\"}'".into()),
        Err(e) => Err(format!("the auth payload is not JSON ({e})")),
    }
}

/// `--origin https://app.example.com`: scheme, host and port, no path.
pub fn parse_origin(text: &str) -> Result<String, String> {
    let url = url::Url::parse(text.trim()).map_err(|e| {
        format!("'{text}' is not an origin ({e}); write e.g. https://app.example.com")
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!(
            "'{text}' is not an origin: write scheme://host[:port], e.g. https://app.example.com"
        ));
    }
    Ok(url.origin().ascii_serialization())
}

/// `--page https://app.example.com/chat`: an http(s) URL.
pub fn parse_page(text: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(text.trim()).map_err(|e| format!("'{text}' is not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!(
            "'{text}' is not a page URL: write http(s)://host/path"
        ));
    }
    Ok(url)
}

/// `-H 'Name: value'`, checked so that every probe sends it as given.
pub fn parse_header(text: &str) -> Result<Header, String> {
    Header::parse(text)
}

pub fn parse_eio(text: &str) -> Result<EioMode, String> {
    match text.trim() {
        "auto" => Ok(EioMode::Auto),
        "3" => Ok(EioMode::V3),
        "4" => Ok(EioMode::V4),
        other => Err(format!(
            "'{other}' is not an Engine.IO version: 3, 4 or auto"
        )),
    }
}

/// `5s`, `500ms`, `1m`; a bare number means seconds, as in `curl -m 5`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let d = match text.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => humantime::parse_duration(text)
            .map_err(|e| format!("'{text}' is not a duration ({e}); write e.g. 5s or 500ms"))?,
    };
    if d.is_zero() {
        return Err(format!("'{text}' is zero; give a positive duration"));
    }
    if d > Duration::from_secs(3600) {
        return Err(format!("'{text}' is longer than an hour"));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_matches_ids_and_prefixes() {
        assert!(Selection::matches("port", "port.listen"));
        assert!(Selection::matches("port.listen", "port.listen"));
        assert!(!Selection::matches("por", "port.listen"));
        let s = Selection {
            only: vec!["port".into()],
            skip: vec!["port.time-wait".into()],
        };
        assert!(s.includes("port.listen"));
        assert!(!s.includes("port.time-wait"));
        assert!(!s.includes("env.proxy"));
    }

    #[test]
    fn origins_and_pages() {
        assert_eq!(
            parse_origin("https://App.example.com/chat?x=1"),
            Ok("https://app.example.com".into())
        );
        assert_eq!(
            parse_origin("http://localhost:3000"),
            Ok("http://localhost:3000".into())
        );
        assert!(parse_origin("app.example.com").is_err());
        assert!(parse_origin("ws://x").is_err());
        assert!(parse_page("https://app.example.com/chat").is_ok());
        assert!(parse_page("file:///x").is_err());
    }

    #[test]
    fn headers_auth_and_eio() {
        let h = parse_header("Authorization: Bearer x:y").unwrap();
        assert_eq!(h.name(), "Authorization");
        assert_eq!(h.value().expose(), "Bearer x:y");
        let err = parse_header("Bearer secret-token").unwrap_err();
        assert!(!err.contains("secret-token"), "{err}");
        assert!(parse_header("Bad Name: v").is_err());
        assert!(parse_auth(r#"{"token":"t"}"#).is_ok());
        assert!(parse_auth("[1]").is_err());
        assert!(parse_auth("{").is_err());
        assert_eq!(parse_eio("3"), Ok(EioMode::V3));
        assert!(parse_eio("5").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("2h").is_err());
    }

    #[test]
    fn invalid_file_names_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rtdoctor.toml");
        std::fs::write(
            &path,
            "timeout = \"5s\"\n\n[[target]]\nurl = \"8765\"\nbogus = 1\n",
        )
        .unwrap();
        let err = LoadedFile::load(&path, true).unwrap_err();
        assert!(err.contains("rtdoctor.toml:5:"), "{err}");
        assert!(err.contains("bogus"), "{err}");

        std::fs::write(&path, "timeout = \"soon\"\n").unwrap();
        let file = LoadedFile::load(&path, true).unwrap().unwrap();
        let err = file
            .value(
                file.config.timeout.as_ref().unwrap(),
                "timeout",
                parse_duration,
            )
            .unwrap_err();
        assert!(err.contains("rtdoctor.toml:1: invalid timeout"), "{err}");
    }

    #[test]
    fn a_config_file_writes_only_inside_its_folder() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("checkout");
        std::fs::create_dir_all(folder.join("reports")).unwrap();
        assert_eq!(
            confined(&folder, "reports/r.txt"),
            Ok(folder.join("reports/r.txt"))
        );
        assert_eq!(confined(&folder, "./r.txt"), Ok(folder.join("./r.txt")));
        for (bad, why) in [
            ("../x", "climbs out"),
            ("reports/../../x", "climbs out"),
            ("/tmp/abs", "absolute"),
            (".", "names no file"),
        ] {
            let err = confined(&folder, bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
        std::os::unix::fs::symlink(dir.path(), folder.join("out")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("dotfile"), folder.join("r.txt")).unwrap();
        assert!(
            confined(&folder, "out/x")
                .unwrap_err()
                .contains("through a link")
        );
        assert!(
            confined(&folder, "r.txt")
                .unwrap_err()
                .contains("leads nowhere")
        );
        std::fs::write(dir.path().join("dotfile"), "").unwrap();
        assert!(
            confined(&folder, "r.txt")
                .unwrap_err()
                .contains("through a link")
        );
    }

    #[test]
    fn missing_default_file_is_fine_but_missing_named_file_is_not() {
        let path = Path::new("/nonexistent/rtdoctor.toml");
        assert!(LoadedFile::load(path, false).unwrap().is_none());
        assert!(
            LoadedFile::load(path, true)
                .unwrap_err()
                .contains("cannot read")
        );
    }
}
