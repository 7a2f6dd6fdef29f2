//! The command line. Only this module knows clap: it turns flags, the
//! environment (`RTDOCTOR_*`) and the config file into one resolved command,
//! with precedence defaults < file < environment < flags.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::check::Check;
use crate::config::{
    self, CheckConfig, DEFAULT_CONFIG_FILE, DEFAULT_TIMEOUT, FileConfig, FileSocketIo, FileTarget,
    Format, LoadedFile, PortsConfig, Probe, Selection, TargetConfig, Verbosity,
};
use crate::secret::{self, Secret};
use crate::style::{self, ColorChoice};
use crate::target::{self, Target};

#[derive(Debug, Parser)]
#[command(
    name = "rtdoctor",
    version,
    about = "Tells you why a WebSocket / Socket.IO connection does not work, and what to change",
    long_about = "Tells you why a WebSocket / Socket.IO connection does not work, and what to \
change. `rtdoctor check` looks at the wire and at this machine's sockets and processes, names \
the root cause and prints the fix.",
    after_help = "Examples:\n  rtdoctor check 8765\n  rtdoctor check http://localhost:8765 --json\n  rtdoctor ports 8000-8100\n  rtdoctor explain net.dualstack"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the checks against each target and print a report
    Check(Box<CheckArgs>),
    /// Show who listens on / holds ports: pid, process, user, command, addresses, socket states
    Ports(PortsArgs),
    /// Run the checks and write a redacted debug bundle (.tar.gz) to attach to a bug report
    Bundle(Box<CheckArgs>),
    /// Stop what holds a port, safely: show the holders, ask, SIGTERM, wait, offer SIGKILL, confirm the port is free
    Kill(KillArgs),
    /// List the checks: id and title
    Checks {
        /// Also list the declared checks in DIR
        #[arg(long, value_name = "DIR")]
        checks: Option<PathBuf>,
    },
    /// Explain one check: what it looks at, the causes it tells apart, the fixes
    Explain {
        /// A check id, as listed by `rtdoctor checks`
        id: String,
        /// Also look among the declared checks in DIR
        #[arg(long, value_name = "DIR")]
        checks: Option<PathBuf>,
    },
    /// Print shell completions
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Human,
    Json,
    Junit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

/// The first signal `kill` sends; the engine maps it to the OS's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignalArg {
    Term,
    Int,
    Hup,
    Kill,
}

/// `TERM`, `SIGTERM`, `term`.
fn parse_signal(text: &str) -> Result<SignalArg, String> {
    let up = text.trim().to_ascii_uppercase();
    let name = up.strip_prefix("SIG").unwrap_or(&up);
    match name {
        "TERM" => Ok(SignalArg::Term),
        "INT" => Ok(SignalArg::Int),
        "HUP" => Ok(SignalArg::Hup),
        "KILL" => Ok(SignalArg::Kill),
        _ => Err(format!("'{text}' is not one of TERM, INT, HUP, KILL")),
    }
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// URL (http, https, ws, wss), HOST:PORT, or PORT (meaning http://localhost:PORT)
    #[arg(value_name = "TARGET")]
    pub targets: Vec<String>,

    /// Limit for each probe (connect, request), e.g. 5s or 500ms
    #[arg(long, value_name = "DUR", env = "RTDOCTOR_TIMEOUT", value_parser = config::parse_duration)]
    pub timeout: Option<std::time::Duration>,

    /// Run only these checks (ids or prefixes such as `port`), comma-separated
    #[arg(
        long,
        value_name = "ID,...",
        value_delimiter = ',',
        env = "RTDOCTOR_ONLY"
    )]
    pub only: Vec<String>,

    /// Leave out these checks (ids or prefixes), comma-separated
    #[arg(
        long,
        value_name = "ID,...",
        value_delimiter = ',',
        env = "RTDOCTOR_SKIP"
    )]
    pub skip: Vec<String>,

    /// Report format
    #[arg(long, value_enum, value_name = "FORMAT", env = "RTDOCTOR_FORMAT")]
    pub format: Option<FormatArg>,

    /// Short for --format json
    #[arg(long, conflicts_with = "format")]
    pub json: bool,

    /// Write the report (with `bundle`: the bundle) to FILE instead of standard output
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Also write a redacted debug bundle (.tar.gz) to FILE
    #[arg(long, value_name = "FILE")]
    pub bundle: Option<PathBuf>,

    /// A log file whose tail goes into the bundle, redacted (repeatable)
    #[arg(long = "log", value_name = "FILE")]
    pub logs: Vec<PathBuf>,

    /// How many lines of each --log to keep
    #[arg(long, value_name = "N", default_value_t = 500)]
    pub log_lines: usize,

    /// A config file copied into the bundle, redacted (repeatable)
    #[arg(long = "config-file", value_name = "FILE")]
    pub config_files: Vec<PathBuf>,

    /// Also replace hostnames, user names and home paths in the bundle by hashes
    #[arg(long)]
    pub anonymize: bool,

    /// Warnings fail the run too (exit code 1)
    #[arg(long, env = "RTDOCTOR_STRICT", value_parser = clap::builder::BoolishValueParser::new(), num_args = 0, default_missing_value = "true")]
    pub strict: Option<bool>,

    /// First wait up to DUR for each target to answer (TCP, then HTTP): for CI jobs that start the server in the background
    #[arg(long, value_name = "DUR", env = "RTDOCTOR_WAIT", value_parser = config::parse_duration)]
    pub wait: Option<std::time::Duration>,

    /// Where to look for the server when nothing listens on the target port (default: 10 ports either side)
    #[arg(long, value_name = "A-B", env = "RTDOCTOR_PORT_RANGE", value_parser = parse_range)]
    pub port_range: Option<(u16, u16)>,

    /// Engine.IO path [default: /socket.io/]
    #[arg(long, value_name = "PATH", env = "RTDOCTOR_SOCKETIO_PATH")]
    pub socketio_path: Option<String>,

    /// Health endpoint path [default: /health]
    #[arg(long, value_name = "PATH", env = "RTDOCTOR_HEALTH_PATH")]
    pub health_path: Option<String>,

    /// Socket.IO namespace to connect to [default: /]
    #[arg(long, value_name = "NS", env = "RTDOCTOR_NAMESPACE")]
    pub namespace: Option<String>,

    /// Socket.IO CONNECT auth payload, a JSON object (sent, never printed)
    #[arg(long, value_name = "JSON")]
    pub auth: Option<String>,

    /// Engine.IO protocol version to speak: 3 (socket.io 2.x), 4 (3.x/4.x), or auto
    #[arg(long, value_name = "3|4|auto", env = "RTDOCTOR_EIO")]
    pub eio: Option<String>,

    /// A plain WebSocket endpoint to probe (repeatable); a ws:// TARGET's own path counts
    #[arg(long = "ws-path", value_name = "PATH")]
    pub ws_paths: Vec<String>,

    /// The browser origin to test CORS and WebSocket origin checks with [default: --page's origin]
    #[arg(long, value_name = "ORIGIN", env = "RTDOCTOR_ORIGIN")]
    pub origin: Option<String>,

    /// The page that will host the client (mixed-content check)
    #[arg(long, value_name = "URL", env = "RTDOCTOR_PAGE")]
    pub page: Option<String>,

    /// WebSocket subprotocol to offer (repeatable)
    #[arg(long = "subprotocol", value_name = "P")]
    pub subprotocols: Vec<String>,

    /// Extra trusted CA certificate(s), PEM
    #[arg(long, value_name = "FILE", env = "RTDOCTOR_CACERT")]
    pub cacert: Option<PathBuf>,

    /// Go on past an invalid certificate (still reported)
    #[arg(long)]
    pub insecure: bool,

    /// Extra request header, e.g. 'Authorization: Bearer …' (repeatable; values never printed)
    #[arg(short = 'H', long = "header", value_name = "'NAME: VALUE'")]
    pub headers: Vec<String>,

    /// Load extra declared checks (*.toml) from DIR
    #[arg(long, value_name = "DIR", env = "RTDOCTOR_CHECKS")]
    pub checks: Option<PathBuf>,

    /// rtdoctor's config file
    #[arg(long, value_name = "FILE", env = "RTDOCTOR_CONFIG")]
    pub config: Option<PathBuf>,

    /// Show the evidence of every check
    #[arg(short, long, conflicts_with = "quiet")]
    pub verbose: bool,

    /// Show only what needs attention
    #[arg(short, long)]
    pub quiet: bool,

    /// When to colour the output
    #[arg(long, value_enum, value_name = "WHEN", env = "RTDOCTOR_COLOR")]
    pub color: Option<ColorArg>,
}

#[derive(Debug, Args)]
pub struct PortsArgs {
    /// Ports or ranges (8765, 8000-8100); none means every listener
    #[arg(value_name = "PORT|A-B", value_parser = parse_range)]
    pub ports: Vec<(u16, u16)>,

    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct KillArgs {
    /// The port whose holder to stop
    #[arg(value_name = "PORT", value_parser = parse_port)]
    pub port: u16,

    /// Answer yes to every question (needed when there is no terminal to ask on)
    #[arg(short, long)]
    pub yes: bool,

    /// The first signal to send
    #[arg(long, value_name = "TERM|INT|HUP|KILL", default_value = "TERM", value_parser = parse_signal)]
    pub signal: SignalArg,

    /// How long to wait for the process to exit before offering SIGKILL
    #[arg(long, value_name = "DUR", default_value = "5s", value_parser = config::parse_duration)]
    pub grace: std::time::Duration,

    /// Only show what would be signalled
    #[arg(long)]
    pub dry_run: bool,

    /// Report what was found and done as JSON
    #[arg(long)]
    pub json: bool,
}

fn parse_port(s: &str) -> Result<u16, String> {
    match target::parse_port_range(s) {
        Ok((a, b)) if a == b => Ok(a),
        Ok(_) => Err(format!("'{s}': give one port, not a range")),
        Err(e) => Err(e.to_string()),
    }
}

fn parse_range(s: &str) -> Result<(u16, u16), String> {
    target::parse_port_range(s).map_err(|e| e.to_string())
}

/// What main runs, fully resolved.
pub enum Resolved {
    Check(Box<CheckConfig>),
    Ports(PortsConfig),
    Kill(crate::kill::KillConfig),
    Checks,
    Explain(String),
    Completions(clap_complete::Shell),
}

impl Cli {
    /// The secrets typed on the command line, as typed and before they are
    /// checked (`-H` values, with or without the colon; `--auth`'s text and
    /// strings), so that an error about them can hide them.
    pub fn raw_secrets(&self) -> Vec<String> {
        let (Command::Check(args) | Command::Bundle(args)) = &self.command else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for h in &args.headers {
            out.push(h.clone());
            let value = h.split_once(':').or_else(|| h.trim().split_once(' '));
            out.extend(value.map(|(_, v)| v.trim().to_string()));
        }
        if let Some(auth) = &args.auth {
            out.push(auth.clone());
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(auth) {
                crate::redact::json_strings(&v, &mut out);
            }
        }
        out
    }

    pub fn resolve(self, checks: &mut Vec<std::sync::Arc<dyn Check>>) -> Result<Resolved, String> {
        Ok(match self.command {
            Command::Check(args) => {
                let bundle = args
                    .bundle
                    .clone()
                    .map(|path| args.bundle_config(Some(path)));
                let mut config = args.resolve(checks)?;
                config.bundle = bundle;
                Resolved::Check(Box::new(config))
            }
            Command::Bundle(mut args) => {
                let path = args.output.take();
                let bundle = args.bundle_config(path);
                let mut config = args.resolve(checks)?;
                config.bundle = Some(bundle);
                config.bundle_only = true;
                Resolved::Check(Box::new(config))
            }
            Command::Ports(args) => Resolved::Ports(PortsConfig {
                ranges: args.ports,
                json: args.json,
                sockets: sockets_from_env()?,
            }),
            Command::Kill(args) => Resolved::Kill(crate::kill::KillConfig {
                port: args.port,
                yes: args.yes,
                signal: crate::kill::os_signal(args.signal),
                grace: args.grace,
                dry_run: args.dry_run,
                json: args.json,
                sockets: sockets_from_env()?,
            }),
            Command::Checks { checks: dir } => {
                add_declared(checks, dir.as_deref())?;
                Resolved::Checks
            }
            Command::Explain { id, checks: dir } => {
                add_declared(checks, dir.as_deref())?;
                Resolved::Explain(id)
            }
            Command::Completions { shell } => Resolved::Completions(shell),
        })
    }
}

impl CheckArgs {
    fn bundle_config(&self, path: Option<PathBuf>) -> crate::bundle::BundleConfig {
        crate::bundle::BundleConfig {
            path,
            logs: self.logs.clone(),
            log_lines: self.log_lines,
            config_files: self.config_files.clone(),
            anonymize: self.anonymize,
        }
    }

    fn resolve(self, checks: &mut Vec<std::sync::Arc<dyn Check>>) -> Result<CheckConfig, String> {
        let env: Vec<(String, String)> = std::env::vars().collect();
        let sockets = sockets_from_env()?;
        let file = match &self.config {
            Some(path) => LoadedFile::load(path, true)?,
            None => LoadedFile::load(std::path::Path::new(DEFAULT_CONFIG_FILE), false)?,
        }
        .unwrap_or_default();
        let fc: &FileConfig = &file.config;

        let top = self.probe_settings(&file, &fc.socketio, None)?;
        let mut targets = Vec::new();
        if self.targets.is_empty() {
            for t in &fc.target {
                let target = file.value(&t.url, "url", |s| {
                    Target::parse(s).map_err(|e| e.to_string())
                })?;
                let probe = self.probe_settings(&file, &t.socketio, Some((t, &top)))?;
                targets.push(target_config(target, probe));
            }
        } else {
            for input in &self.targets {
                let target = Target::parse(input).map_err(|e| e.to_string())?;
                targets.push(target_config(target, top.clone()));
            }
        }
        // No target anywhere: the local real-time servers are found at run time.
        let discover = targets.is_empty().then(|| top.probe.clone());

        let dir = self.checks.clone().or_else(|| fc.checks.clone());
        add_declared(checks, dir.as_deref())?;
        let only = if self.only.is_empty() {
            fc.only.clone().unwrap_or_default()
        } else {
            self.only
        };
        let skip = if self.skip.is_empty() {
            fc.skip.clone().unwrap_or_default()
        } else {
            self.skip
        };
        let ids: Vec<&str> = checks.iter().map(|c| c.id()).collect();
        for pattern in only.iter().chain(&skip) {
            if !ids.iter().any(|id| Selection::matches(pattern, id)) {
                return Err(unknown_check(pattern, &ids));
            }
        }

        let format = if self.json {
            Format::Json
        } else {
            match self.format {
                Some(f) => f.into(),
                None => match &fc.format {
                    Some(v) => file.value(v, "format", parse_format)?,
                    None => Format::Human,
                },
            }
        };
        let color = match self.color {
            Some(c) => c.into(),
            None => match &fc.color {
                Some(v) => file.value(v, "color", parse_color)?,
                None => ColorChoice::Auto,
            },
        };
        let output = match self.output {
            Some(path) => Some(path),
            None => file.output()?,
        };
        let verbosity = if self.verbose {
            Verbosity::Verbose
        } else if self.quiet {
            Verbosity::Quiet
        } else {
            Verbosity::Normal
        };
        let human_to_terminal =
            format == Format::Human && output.is_none() && style::stdout_is_terminal();
        Ok(CheckConfig {
            targets,
            selection: Selection { only, skip },
            format,
            strict: self.strict.or(fc.strict).unwrap_or(false),
            verbosity,
            color: format == Format::Human
                && output.is_none()
                && style::use_color(color, &env, human_to_terminal),
            progress: format == Format::Human
                && verbosity != Verbosity::Quiet
                && style::stderr_is_terminal(),
            output,
            env,
            bundle: None,
            bundle_only: false,
            sockets,
            wait: self.wait,
            discover,
        })
    }
}

fn sockets_from_env() -> Result<Option<crate::os::Source>, String> {
    crate::host::socket_source()
}

/// Append the declared checks of `dir` to the registry.
fn add_declared(
    checks: &mut Vec<std::sync::Arc<dyn Check>>,
    dir: Option<&std::path::Path>,
) -> Result<(), String> {
    if let Some(dir) = dir {
        let ids: Vec<&str> = checks.iter().map(|c| c.id()).collect();
        let declared = crate::check::load_dir(dir, &ids)?;
        checks.extend(declared);
    }
    Ok(())
}

/// Probe settings before the target's port is known: `port_range`
/// `None` means "around the target port".
#[derive(Clone)]
struct Settings {
    probe: Probe,
    port_range: Option<(u16, u16)>,
}

fn target_config(target: Target, settings: Settings) -> TargetConfig {
    let mut probe = settings.probe;
    probe.port_range = settings
        .port_range
        .unwrap_or_else(|| Probe::default_range(target.port));
    TargetConfig { target, probe }
}

impl CheckArgs {
    /// Settings for the top level (`target` None) or one `[[target]]`
    /// table, which falls back on the top level's. Flags and environment
    /// (merged by clap) win over both.
    fn probe_settings(
        &self,
        file: &LoadedFile,
        keys: &FileSocketIo,
        target: Option<(&FileTarget, &Settings)>,
    ) -> Result<Settings, String> {
        let base = target.map(|(_, s)| s.clone());
        let base_probe = base
            .as_ref()
            .map(|s| s.probe.clone())
            .unwrap_or_else(|| Probe::new(DEFAULT_TIMEOUT, (0, 0)));
        let file_timeout = match target.map_or(&file.config.timeout, |(t, _)| &t.timeout) {
            Some(v) => Some(file.value(v, "timeout", config::parse_duration)?),
            None => None,
        };
        let file_range = match target.map_or(&file.config.port_range, |(t, _)| &t.port_range) {
            Some(v) => Some(file.value(v, "port_range", parse_range)?),
            None => None,
        };
        let file_eio = keys
            .eio
            .as_ref()
            .map(|v| file.value(v, "eio", config::parse_eio))
            .transpose()?;
        let file_auth = keys.auth.as_ref().map(|v| file.auth(v)).transpose()?;
        let mut file_headers = Vec::new();
        for h in keys.headers.iter().flatten() {
            file_headers.push(file.value(h, "headers", config::parse_header)?);
        }
        let auth = match &self.auth {
            Some(text) => Some(config::parse_auth(text).map_err(|e| format!("--auth: {e}"))?),
            None => file_auth,
        }
        .map(Secret::new)
        .or(base_probe.auth.clone());
        let eio = match &self.eio {
            Some(text) => config::parse_eio(text).map_err(|e| format!("--eio: {e}"))?,
            None => file_eio.unwrap_or(base_probe.eio),
        };
        let headers = if !self.headers.is_empty() {
            self.headers
                .iter()
                .map(|h| config::parse_header(h).map_err(|e| format!("-H: {e}")))
                .collect::<Result<_, _>>()?
        } else if !file_headers.is_empty() {
            file_headers
        } else {
            base_probe.headers.clone()
        };
        let namespace = self
            .namespace
            .clone()
            .or(keys.namespace.clone())
            .unwrap_or(base_probe.namespace.clone());
        let file_origin = keys
            .origin
            .as_ref()
            .map(|v| file.value(v, "origin", config::parse_origin))
            .transpose()?;
        let file_page = keys
            .page
            .as_ref()
            .map(|v| file.value(v, "page", config::parse_page))
            .transpose()?;
        let page = match &self.page {
            Some(text) => Some(config::parse_page(text).map_err(|e| format!("--page: {e}"))?),
            None => file_page.or(base_probe.page.clone()),
        };
        let origin = match &self.origin {
            Some(text) => Some(config::parse_origin(text).map_err(|e| format!("--origin: {e}"))?),
            None => file_origin.or(base_probe.origin.clone()),
        };
        let subprotocols = pick_list(
            &self.subprotocols,
            &keys.subprotocols,
            &base_probe.subprotocols,
        );
        for p in &subprotocols {
            secret::parse_subprotocol(p)?;
        }
        let cacert = self
            .cacert
            .clone()
            .or(keys.cacert.clone())
            .or(base_probe.cacert.clone());
        // Read and parsed now, so a bad file is a usage error (exit 2)
        // rather than a TLS failure in every check.
        if let Some(path) = &cacert {
            crate::probe::tls::load_cacert(path)?;
        }
        Ok(Settings {
            probe: Probe {
                timeout: self.timeout.or(file_timeout).unwrap_or(base_probe.timeout),
                port_range: (0, 0),
                socketio_path: self
                    .socketio_path
                    .clone()
                    .or(keys.socketio_path.clone())
                    .unwrap_or(base_probe.socketio_path),
                health_path: self
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
                ws_paths: pick_list(&self.ws_paths, &keys.ws_paths, &base_probe.ws_paths),
                origin,
                page,
                subprotocols,
                cacert,
                insecure: self.insecure || keys.insecure.unwrap_or(base_probe.insecure),
            },
            port_range: self
                .port_range
                .or(file_range)
                .or(base.and_then(|b| b.port_range)),
        })
    }
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

pub fn unknown_check(pattern: &str, ids: &[&str]) -> String {
    let nearest = ids
        .iter()
        .map(|id| (edit_distance(pattern, id), *id))
        .min()
        .filter(|(d, _)| *d <= 4)
        .map(|(_, id)| format!(" (did you mean {id}?)"))
        .unwrap_or_default();
    format!("unknown check id '{pattern}'{nearest}: `rtdoctor checks` lists them")
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

fn parse_format(s: &str) -> Result<Format, String> {
    FormatArg::from_str(s, true)
        .map(Into::into)
        .map_err(|_| format!("'{s}' is not a format: human, json or junit"))
}

fn parse_color(s: &str) -> Result<ColorChoice, String> {
    ColorArg::from_str(s, true)
        .map(Into::into)
        .map_err(|_| format!("'{s}' is not a colour choice: auto, always or never"))
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Human => Format::Human,
            FormatArg::Json => Format::Json,
            FormatArg::Junit => Format::Junit,
        }
    }
}

impl From<ColorArg> for ColorChoice {
    fn from(c: ColorArg) -> Self {
        match c {
            ColorArg::Auto => ColorChoice::Auto,
            ColorArg::Always => ColorChoice::Always,
            ColorArg::Never => ColorChoice::Never,
        }
    }
}

/// The clap command, for completions and the man page.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_parse_in_any_spelling() {
        assert_eq!(parse_signal("TERM"), Ok(SignalArg::Term));
        assert_eq!(parse_signal("sigkill"), Ok(SignalArg::Kill));
        assert_eq!(parse_signal("Hup"), Ok(SignalArg::Hup));
        assert!(parse_signal("STOP").is_err());
    }

    #[test]
    fn the_cli_definition_is_consistent() {
        command().debug_assert();
    }

    #[test]
    fn unknown_ids_suggest_the_nearest() {
        let msg = unknown_check("port.listn", &["port.listen", "env.proxy"]);
        assert!(msg.contains("did you mean port.listen?"), "{msg}");
        let msg = unknown_check("zzzzzzzzzz", &["port.listen"]);
        assert!(!msg.contains("did you mean"), "{msg}");
    }
}
