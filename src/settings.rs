//! The resolved settings the engine runs with: what `crate::resolve` makes
//! of defaults, the config file, the environment and the flags. Nothing
//! here knows clap or TOML; the runner, the checks, the renderers and the
//! bundle read these types and nothing else of the command line.

use std::path::PathBuf;
use std::time::Duration;

use crate::secret::{Header, Secret};
use crate::target::Target;

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
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

/// How checks probe one target (`ctx.probe`): the settings bag, not the
/// probes themselves (`crate::probe`).
#[derive(Clone, Debug, PartialEq)]
pub struct ProbeSettings {
    /// Limit for one probe (a connect, a request).
    pub timeout: Duration,
    /// `--soak DUR`: how long the soak checks (`socketio.heartbeat`,
    /// `websocket.idle`) hold their connections; `None`: they do not run.
    pub soak: Option<Duration>,
    /// Where `port.listen` looks when nothing listens on the target port.
    pub port_range: (u16, u16),
    pub socketio_path: String,
    pub health_path: String,
    pub namespace: String,
    /// `namespace` is the path of an http(s) target, read as `io(url)`
    /// reads it (no --namespace, no `namespace` key).
    pub namespace_from_target: bool,
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
    /// The server behind the proxy the target is (`--backend`): probed
    /// directly when a check fails through the proxy.
    pub backend: Option<Target>,
}

pub const DEFAULT_SOCKETIO_PATH: &str = "/socket.io/";
pub const DEFAULT_HEALTH_PATH: &str = "/health";

impl ProbeSettings {
    /// The defaults for a target on `port`.
    pub fn new(timeout: Duration, port_range: (u16, u16)) -> ProbeSettings {
        ProbeSettings {
            timeout,
            soak: None,
            port_range,
            socketio_path: DEFAULT_SOCKETIO_PATH.into(),
            health_path: DEFAULT_HEALTH_PATH.into(),
            namespace: "/".into(),
            namespace_from_target: false,
            auth: None,
            eio: EioMode::Auto,
            headers: Vec::new(),
            ws_paths: Vec::new(),
            origin: None,
            page: None,
            subprotocols: Vec::new(),
            cacert: None,
            insecure: false,
            backend: None,
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
    pub probe: ProbeSettings,
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
    pub discover: Option<ProbeSettings>,
    /// First wait up to this long for each target to answer.
    pub wait: Option<Duration>,
    /// Also write a debug bundle.
    pub bundle: Option<BundleConfig>,
    /// `rtdoctor bundle`: the bundle is the product; the exit code says
    /// whether it was written, not what the checks found.
    pub bundle_only: bool,
    /// Where the socket table comes from (`RTDOCTOR_SOCKETS`; `None`: the
    /// platform's first source, falling back on the next).
    pub sockets: Option<crate::os::Source>,
}

#[derive(Clone, Debug)]
pub struct PortsConfig {
    /// Inclusive ranges; empty means every listener.
    pub ranges: Vec<(u16, u16)>,
    pub json: bool,
    /// Whole command lines and start times, even on a narrow terminal.
    pub verbose: bool,
    /// Where the socket table comes from (`RTDOCTOR_SOCKETS`).
    pub sockets: Option<crate::os::Source>,
}

/// `rtdoctor bundle` / `check --bundle`: where the bundle goes and what
/// else it carries.
#[derive(Clone, Debug, Default)]
pub struct BundleConfig {
    /// `None`: `rtdoctor-bundle-HOST-YYYYmmdd-HHMMSS.tar.gz` here.
    pub path: Option<PathBuf>,
    pub logs: Vec<PathBuf>,
    pub log_lines: usize,
    pub config_files: Vec<PathBuf>,
    pub anonymize: bool,
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
    fn the_default_range_stays_inside_the_port_numbers() {
        assert_eq!(ProbeSettings::default_range(8765), (8755, 8775));
        assert_eq!(ProbeSettings::default_range(3), (1, 13));
        assert_eq!(ProbeSettings::default_range(65530), (65520, 65535));
    }
}
