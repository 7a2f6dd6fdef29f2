//! How one target is probed: the flags and environment (merged by clap)
//! over a `[[target]]` table over the file's top level over the defaults,
//! into `ProbeSettings`. Every value is checked here, so a bad one is the
//! user's input to fix (exit 2) rather than a failure in every check.

use toml::Spanned;

use super::values::{parse_auth, parse_eio, parse_header, parse_origin, parse_page};
use crate::cli::{CheckArgs, parse_duration, parse_port_range};
use crate::config::{FileSocketIo, FileTarget, LoadedFile};
use crate::error::{Context, Error};
use crate::secret::{self, Secret};
use crate::settings::{DEFAULT_TIMEOUT, ProbeSettings, TargetConfig};
use crate::target::Target;

/// Probe settings before the target's port is known: `port_range`
/// `None` means "around the target port".
#[derive(Clone)]
pub(super) struct Settings {
    pub(super) probe: ProbeSettings,
    pub(super) port_range: Option<(u16, u16)>,
}

impl Settings {
    /// The settings for `target`, its port now known.
    pub(super) fn for_target(self, target: Target) -> TargetConfig {
        let mut probe = self.probe;
        probe.port_range = self
            .port_range
            .unwrap_or_else(|| ProbeSettings::default_range(target.port));
        TargetConfig { target, probe }
    }
}

/// Settings for the top level (`target` None) or one `[[target]]` table,
/// which falls back on the top level's. Flags and environment (merged by
/// clap) win over both.
pub(super) fn settings(
    args: &CheckArgs,
    file: &LoadedFile,
    keys: &FileSocketIo,
    target: Option<(&FileTarget, &Settings)>,
) -> Result<Settings, Error> {
    let base = target.map(|(_, s)| s.clone());
    let base_probe = base
        .as_ref()
        .map(|s| s.probe.clone())
        .unwrap_or_else(|| ProbeSettings::new(DEFAULT_TIMEOUT, (0, 0)));
    let file_timeout = match target.map_or(&file.config.timeout, |(t, _)| &t.timeout) {
        Some(v) => Some(file.value(v, "timeout", parse_duration)?),
        None => None,
    };
    let file_range = match target.map_or(&file.config.port_range, |(t, _)| &t.port_range) {
        Some(v) => Some(file.value(v, "port_range", parse_port_range)?),
        None => None,
    };
    let file_eio = keys
        .eio
        .as_ref()
        .map(|v| file.value(v, "eio", parse_eio))
        .transpose()?;
    let file_auth = keys.auth.as_ref().map(|v| auth(file, v)).transpose()?;
    let mut file_headers = Vec::new();
    for h in keys.headers.iter().flatten() {
        file_headers.push(file.value(h, "headers", parse_header)?);
    }
    let auth = match &args.auth {
        Some(text) => Some(parse_auth(text).context("--auth")?),
        None => file_auth,
    }
    .map(Secret::new)
    .or(base_probe.auth.clone());
    let eio = match &args.eio {
        Some(text) => parse_eio(text).context("--eio")?,
        None => file_eio.unwrap_or(base_probe.eio),
    };
    let headers = if !args.headers.is_empty() {
        args.headers
            .iter()
            .map(|h| parse_header(h).context("-H"))
            .collect::<Result<_, _>>()?
    } else if !file_headers.is_empty() {
        file_headers
    } else {
        base_probe.headers.clone()
    };
    let namespace = args
        .namespace
        .clone()
        .or(keys.namespace.clone())
        .unwrap_or(base_probe.namespace.clone());
    let file_origin = keys
        .origin
        .as_ref()
        .map(|v| file.value(v, "origin", parse_origin))
        .transpose()?;
    let file_page = keys
        .page
        .as_ref()
        .map(|v| file.value(v, "page", parse_page))
        .transpose()?;
    let page = match &args.page {
        Some(text) => Some(parse_page(text).context("--page")?),
        None => file_page.or(base_probe.page.clone()),
    };
    let origin = match &args.origin {
        Some(text) => Some(parse_origin(text).context("--origin")?),
        None => file_origin.or(base_probe.origin.clone()),
    };
    let subprotocols = pick_list(
        &args.subprotocols,
        &keys.subprotocols,
        &base_probe.subprotocols,
    );
    for p in &subprotocols {
        secret::parse_subprotocol(p).map_err(Error::usage)?;
    }
    let cacert = args
        .cacert
        .clone()
        .or(keys.cacert.clone())
        .or(base_probe.cacert.clone());
    // Read and parsed now, so a bad file is a usage error (exit 2)
    // rather than a TLS failure in every check.
    if let Some(path) = &cacert {
        crate::probe::tls::load_cacert(path).map_err(Error::usage)?;
    }
    Ok(Settings {
        probe: ProbeSettings {
            timeout: args.timeout.or(file_timeout).unwrap_or(base_probe.timeout),
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
            auth,
            eio,
            headers,
            ws_paths: pick_list(&args.ws_paths, &keys.ws_paths, &base_probe.ws_paths),
            origin,
            page,
            subprotocols,
            cacert,
            insecure: args.insecure || keys.insecure.unwrap_or(base_probe.insecure),
        },
        port_range: args
            .port_range
            .or(file_range)
            .or(base.and_then(|b| b.port_range)),
    })
}

/// `auth` as JSON: a TOML table converts, a string must hold JSON.
fn auth(file: &LoadedFile, v: &Spanned<toml::Value>) -> Result<serde_json::Value, Error> {
    match v.get_ref() {
        toml::Value::String(s) => parse_auth(s),
        other => serde_json::to_value(other).map_err(|e| e.to_string()),
    }
    .map_err(|e| file.error_at(v.span().start, "auth", &e))
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
