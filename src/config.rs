//! The resolved configuration the engine runs with, and rtdoctor's own
//! config file (`rtdoctor.toml`). `cli.rs` merges defaults < file <
//! environment < flags into these types; nothing past here knows clap.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::target::Target;

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

/// How checks probe one target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probe {
    /// Limit for one probe (a connect, a request).
    pub timeout: Duration,
    /// Where `port.listen` looks when nothing listens on the target port.
    pub port_range: (u16, u16),
}

impl Probe {
    pub fn default_range(port: u16) -> (u16, u16) {
        (
            port.saturating_sub(DEFAULT_PORT_SPREAD).max(1),
            port.saturating_add(DEFAULT_PORT_SPREAD),
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
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
}

#[derive(Clone, Debug)]
pub struct PortsConfig {
    /// Inclusive ranges; empty means every listener.
    pub ranges: Vec<(u16, u16)>,
    pub json: bool,
}

// ---- the config file -------------------------------------------------------

/// `rtdoctor.toml`: top-level keys are defaults for every target; each
/// `[[target]]` table names one target and may override them.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub timeout: Option<Spanned<String>>,
    pub port_range: Option<Spanned<String>>,
    pub only: Option<Vec<String>>,
    pub skip: Option<Vec<String>>,
    pub strict: Option<bool>,
    pub format: Option<Spanned<String>>,
    pub color: Option<Spanned<String>>,
    pub output: Option<PathBuf>,
    #[serde(default)]
    pub target: Vec<FileTarget>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileTarget {
    pub url: Spanned<String>,
    pub timeout: Option<Spanned<String>>,
    pub port_range: Option<Spanned<String>>,
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
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => return Ok(None),
            Err(e) => return Err(format!("cannot read config file {}: {e}", path.display())),
        };
        let config: FileConfig = toml::from_str(&text).map_err(|e| {
            let line = e.span().map(|s| line_of(&text, s.start)).unwrap_or(1);
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
        parse(v.get_ref()).map_err(|e| {
            format!(
                "{}:{}: invalid {key}: {e}",
                self.path.display(),
                line_of(&self.text, v.span().start)
            )
        })
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).unwrap_or(text).matches('\n').count() + 1
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
