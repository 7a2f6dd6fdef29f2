//! How one target is probed: the flags and environment (merged by clap)
//! over a `[[target]]` table over the file's top level over the defaults,
//! into `ProbeSettings`. Every value is checked here, so a bad one is the
//! user's input to fix (exit 2) rather than a failure in every check.

use toml::Spanned;

use super::problems::{Problems, named};
use super::values::{parse_auth, parse_eio, parse_header, parse_origin, parse_page};
use crate::cli::{CheckArgs, parse_duration, parse_port_range};
use crate::config::{FileSocketIo, FileTarget, LoadedFile};
use crate::error::Context;
use crate::secret::{self, Secret};
use crate::settings::{DEFAULT_TIMEOUT, ProbeSettings, TargetConfig};
use crate::target::Target;

/// Probe settings before the target's port is known: `port_range`
/// `None` means "around the target port".
#[derive(Clone)]
pub(super) struct Settings {
    pub(super) probe: ProbeSettings,
    pub(super) port_range: Option<(u16, u16)>,
    /// The namespace was named (flag, variable or file key), so the
    /// target's path is not read as one.
    pub(super) namespace_named: bool,
}

impl Settings {
    /// The settings for `target`, its port now known.
    pub(super) fn for_target(self, target: Target) -> TargetConfig {
        let mut probe = self.probe;
        probe.port_range = self
            .port_range
            .unwrap_or_else(|| ProbeSettings::default_range(target.port));
        if !self.namespace_named
            && let Some(nsp) = target.path_namespace(&probe.socketio_path)
        {
            probe.namespace = nsp;
            probe.namespace_from_target = true;
        }
        TargetConfig { target, probe }
    }
}

/// Settings for the top level (`target` None) or one `[[target]]` table,
/// which falls back on the top level's. Flags and environment (merged by
/// clap) win over both. A value that does not parse is kept in `problems`
/// (the file's in `file`) and the default stands in for it.
pub(super) fn settings(
    args: &CheckArgs,
    file: &LoadedFile,
    keys: &FileSocketIo,
    target: Option<(&FileTarget, &Settings)>,
    problems: &mut Problems,
) -> Settings {
    let base = target.map(|(_, s)| s.clone());
    let base_probe = base
        .as_ref()
        .map(|s| s.probe.clone())
        .unwrap_or_else(|| ProbeSettings::new(DEFAULT_TIMEOUT, (0, 0)));
    let file_timeout = target
        .map_or(&file.config.timeout, |(t, _)| &t.timeout)
        .as_ref()
        .and_then(|v| file.value(v, "timeout", parse_duration));
    // A top-level key only: the run's, as its bound is.
    let file_soak = file
        .config
        .soak
        .as_ref()
        .filter(|_| target.is_none())
        .and_then(|v| file.value(v, "soak", parse_duration));
    let file_range = target
        .map_or(&file.config.port_range, |(t, _)| &t.port_range)
        .as_ref()
        .and_then(|v| file.value(v, "port_range", parse_port_range));
    let file_eio = keys
        .eio
        .as_ref()
        .and_then(|v| file.value(v, "eio", parse_eio));
    let file_auth = keys.auth.as_ref().and_then(|v| auth(file, v));
    let file_headers: Vec<_> = keys
        .headers
        .iter()
        .flatten()
        .filter_map(|h| file.value(h, "headers", parse_header))
        .collect();
    let mut flags = Flags {
        args,
        problems,
        top: target.is_none(),
    };
    let auth = match &args.auth {
        Some(text) => flags.take(parse_auth(text), "auth"),
        None => file_auth,
    }
    .map(Secret::new)
    .or(base_probe.auth.clone());
    let eio = match &args.eio {
        Some(text) => flags.take(parse_eio(text), "eio").unwrap_or(base_probe.eio),
        None => file_eio.unwrap_or(base_probe.eio),
    };
    let headers = if !args.headers.is_empty() {
        args.headers
            .iter()
            .filter_map(|h| flags.take(parse_header(h), "headers"))
            .collect()
    } else if !file_headers.is_empty() {
        file_headers
    } else {
        base_probe.headers.clone()
    };
    let namespace_named = args.namespace.is_some()
        || keys.namespace.is_some()
        || base.as_ref().is_some_and(|b| b.namespace_named);
    let namespace = args
        .namespace
        .clone()
        .or(keys.namespace.clone())
        .unwrap_or(base_probe.namespace.clone());
    let file_origin = keys
        .origin
        .as_ref()
        .and_then(|v| file.value(v, "origin", parse_origin));
    let file_page = keys
        .page
        .as_ref()
        .and_then(|v| file.value(v, "page", parse_page));
    let page = match &args.page {
        Some(text) => flags.take(parse_page(text), "page"),
        None => file_page.or(base_probe.page.clone()),
    };
    let origin = match &args.origin {
        Some(text) => flags.take(parse_origin(text), "origin"),
        None => file_origin.or(base_probe.origin.clone()),
    };
    let subprotocols = pick_list(
        &args.subprotocols,
        &keys.subprotocols,
        &base_probe.subprotocols,
    );
    // Each list and file checked where it was given (the base's were
    // checked with the top level).
    for p in &subprotocols {
        let checked = secret::parse_subprotocol(p).map(|_| ());
        if !args.subprotocols.is_empty() {
            flags.take(checked, "subprotocols");
        } else if keys.subprotocols.is_some() {
            flags.in_file(file, checked, "subprotocols");
        }
    }
    let cacert = args
        .cacert
        .clone()
        .or(keys.cacert.clone())
        .or(base_probe.cacert.clone());
    // Read and parsed now, so a bad file is a usage error (exit 2)
    // rather than a TLS failure in every check.
    if let Some(path) = &cacert {
        let checked = || crate::probe::tls::load_cacert(path).map(|_| ());
        if args.cacert.is_some() {
            flags.take(checked(), "cacert");
        } else if keys.cacert.is_some() {
            flags.in_file(file, checked(), "cacert");
        }
    }
    Settings {
        probe: ProbeSettings {
            timeout: args.timeout.or(file_timeout).unwrap_or(base_probe.timeout),
            soak: args.soak.or(file_soak).or(base_probe.soak),
            port_range: (0, 0),
            socketio_path: args
                .socketio_path
                .clone()
                .or(keys.socketio_path.clone())
                .unwrap_or(base_probe.socketio_path),
            health_path: args
                .health_path
                .clone()
                .or(keys.health_path.clone())
                .unwrap_or(base_probe.health_path),
            namespace: if namespace.starts_with('/') {
                namespace
            } else {
                format!("/{namespace}")
            },
            namespace_from_target: false,
            auth,
            eio,
            headers,
            ws_paths: pick_list(&args.ws_paths, &keys.ws_paths, &base_probe.ws_paths),
            origin,
            page,
            subprotocols,
            cacert,
            insecure: args.insecure || keys.insecure.unwrap_or(base_probe.insecure),
            // Per target: `resolve` sets it from the flag or the table.
            backend: None,
        },
        port_range: args
            .port_range
            .or(file_range)
            .or(base.and_then(|b| b.port_range)),
        namespace_named,
    }
}

/// Where the errors of the flags' and variables' values go: each is said
/// once, with the top level's settings (every `[[target]]` table takes the
/// same flags again).
struct Flags<'a> {
    args: &'a CheckArgs,
    problems: &'a mut Problems,
    top: bool,
}

impl Flags<'_> {
    /// The value of the option `id`; its error names the flag or variable.
    fn take<T>(&mut self, result: Result<T, String>, id: &str) -> Option<T> {
        match self.top {
            true => self.problems.take(result.context(named(self.args, id))),
            false => result.ok(),
        }
    }

    /// A value of the file's key `key` that has no place of its own.
    fn in_file(&mut self, file: &LoadedFile, result: Result<(), String>, key: &str) {
        let at = format!("{}: {key}", file.path.display());
        self.problems.take(result.context(at));
    }
}

/// `auth` as JSON: a TOML table converts, a string must hold JSON.
fn auth(file: &LoadedFile, v: &Spanned<toml::Value>) -> Option<serde_json::Value> {
    match v.get_ref() {
        toml::Value::String(s) => parse_auth(s),
        other => serde_json::to_value(other).map_err(|e| e.to_string()),
    }
    .map_err(|e| file.error_at(v.span().start, "auth", &e))
    .ok()
}

/// A repeatable option: the flags' values, else the file's, else the base.
fn pick_list(flags: &[String], file: &Option<Vec<String>>, base: &[String]) -> Vec<String> {
    if !flags.is_empty() {
        flags.to_vec()
    } else if let Some(list) = file {
        list.clone()
    } else {
        base.to_vec()
    }
}
