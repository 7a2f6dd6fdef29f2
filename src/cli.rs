//! The command line as clap sees it: the subcommands, their flags and the
//! environment variables clap reads for them, and nothing else. A leaf: it
//! imports no other module of rtdoctor. The resolve step (`crate::resolve`)
//! turns these raw values into the settings the engine runs with. The
//! flags' value syntax (durations, ports, signals) lives beside it in
//! `values`: pure functions the config file and target parsing reuse.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub mod errors;
pub mod values;

pub use values::{parse_duration, parse_port, parse_port_range, parse_signal};

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

/// Each variable is named in `--help` without its value
/// (`hide_env_values`): clap shows an unset one as `[env: RTDOCTOR_TIMEOUT=]`,
/// as if it were set empty, and a set one's value, which may be a secret.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// URL (http, https, ws, wss), HOST:PORT, or PORT (meaning http://localhost:PORT)
    #[arg(value_name = "TARGET")]
    pub targets: Vec<String>,

    /// Limit for each probe (connect, request), e.g. 5s, 500ms or 1.5 [default: 5s]
    #[arg(long, value_name = "DUR", hide_env_values = true, env = "RTDOCTOR_TIMEOUT", value_parser = parse_duration)]
    pub timeout: Option<std::time::Duration>,

    /// Run only these checks (ids or prefixes such as `port`), comma-separated
    #[arg(
        long,
        value_name = "ID,...",
        value_delimiter = ',',
        hide_env_values = true,
        env = "RTDOCTOR_ONLY"
    )]
    pub only: Vec<String>,

    /// Leave out these checks (ids or prefixes), comma-separated
    #[arg(
        long,
        value_name = "ID,...",
        value_delimiter = ',',
        hide_env_values = true,
        env = "RTDOCTOR_SKIP"
    )]
    pub skip: Vec<String>,

    /// Report format
    #[arg(
        long,
        value_enum,
        value_name = "FORMAT",
        hide_env_values = true,
        env = "RTDOCTOR_FORMAT"
    )]
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
    #[arg(long, hide_env_values = true, env = "RTDOCTOR_STRICT", value_parser = clap::builder::BoolishValueParser::new(), num_args = 0, default_missing_value = "true")]
    pub strict: Option<bool>,

    /// First wait up to DUR for each target to answer (TCP, then HTTP): for CI jobs that start the server in the background
    #[arg(long, value_name = "DUR", hide_env_values = true, env = "RTDOCTOR_WAIT", value_parser = parse_duration)]
    pub wait: Option<std::time::Duration>,

    /// Also hold connections open for DUR and watch them: heartbeats, idle cuts
    #[arg(long, value_name = "DUR", hide_env_values = true, env = "RTDOCTOR_SOAK", value_parser = parse_duration)]
    pub soak: Option<std::time::Duration>,

    /// Where to look for the server when nothing listens on the target port (default: 10 ports either side)
    #[arg(long, value_name = "A-B", hide_env_values = true, env = "RTDOCTOR_PORT_RANGE", value_parser = parse_port_range)]
    pub port_range: Option<(u16, u16)>,

    /// The server behind the proxy, probed directly to tell the proxy's faults from the server's
    #[arg(
        long,
        value_name = "URL",
        hide_env_values = true,
        env = "RTDOCTOR_BACKEND"
    )]
    pub backend: Option<String>,

    /// Engine.IO path [default: /socket.io/]
    #[arg(
        long,
        value_name = "PATH",
        hide_env_values = true,
        env = "RTDOCTOR_SOCKETIO_PATH"
    )]
    pub socketio_path: Option<String>,

    /// Health endpoint path [default: /health]
    #[arg(
        long,
        value_name = "PATH",
        hide_env_values = true,
        env = "RTDOCTOR_HEALTH_PATH"
    )]
    pub health_path: Option<String>,

    /// Socket.IO namespace to connect to; without it, an http(s) TARGET's path, as io(url) reads it [default: /]
    #[arg(
        long,
        value_name = "NS",
        hide_env_values = true,
        env = "RTDOCTOR_NAMESPACE"
    )]
    pub namespace: Option<String>,

    /// Socket.IO CONNECT auth payload, a JSON object (sent, never printed)
    #[arg(long, value_name = "JSON")]
    pub auth: Option<String>,

    /// Engine.IO protocol version to speak: 3 (socket.io 2.x), 4 (3.x/4.x), or auto
    #[arg(
        long,
        value_name = "3|4|auto",
        hide_env_values = true,
        env = "RTDOCTOR_EIO"
    )]
    pub eio: Option<String>,

    /// A plain WebSocket endpoint to probe (repeatable); a ws:// TARGET's own path counts
    #[arg(long = "ws-path", value_name = "PATH")]
    pub ws_paths: Vec<String>,

    /// The browser origin to test CORS and WebSocket origin checks with [default: --page's origin]
    #[arg(
        long,
        value_name = "ORIGIN",
        hide_env_values = true,
        env = "RTDOCTOR_ORIGIN"
    )]
    pub origin: Option<String>,

    /// The page that will host the client (mixed-content check)
    #[arg(
        long,
        value_name = "URL",
        hide_env_values = true,
        env = "RTDOCTOR_PAGE"
    )]
    pub page: Option<String>,

    /// WebSocket subprotocol to offer (repeatable)
    #[arg(long = "subprotocol", value_name = "P")]
    pub subprotocols: Vec<String>,

    /// Extra trusted CA certificate(s), PEM
    #[arg(
        long,
        value_name = "FILE",
        hide_env_values = true,
        env = "RTDOCTOR_CACERT"
    )]
    pub cacert: Option<PathBuf>,

    /// Go on past an invalid certificate (still reported)
    #[arg(long)]
    pub insecure: bool,

    /// Extra request header, e.g. 'Authorization: Bearer …' (repeatable; values never printed)
    #[arg(short = 'H', long = "header", value_name = "'NAME: VALUE'")]
    pub headers: Vec<String>,

    /// Load extra declared checks (*.toml) from DIR
    #[arg(
        long,
        value_name = "DIR",
        hide_env_values = true,
        env = "RTDOCTOR_CHECKS"
    )]
    pub checks: Option<PathBuf>,

    /// rtdoctor's config file
    #[arg(
        long,
        value_name = "FILE",
        hide_env_values = true,
        env = "RTDOCTOR_CONFIG"
    )]
    pub config: Option<PathBuf>,

    /// Show the evidence of every check
    #[arg(short, long, conflicts_with = "quiet")]
    pub verbose: bool,

    /// Show only what needs attention
    #[arg(short, long)]
    pub quiet: bool,

    /// When to colour the output
    #[arg(
        long,
        value_enum,
        value_name = "WHEN",
        hide_env_values = true,
        env = "RTDOCTOR_COLOR"
    )]
    pub color: Option<ColorArg>,

    /// The ids of the options whose value came from their environment
    /// variable rather than a flag (`parse_from` fills it), so that an
    /// error names what the user set: `RTDOCTOR_ONLY`, not `--only`.
    #[arg(skip)]
    pub from_env: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PortsArgs {
    /// Ports or ranges (8765, 8000-8100); none means every listener
    #[arg(value_name = "PORT|A-B", value_parser = parse_port_range)]
    pub ports: Vec<(u16, u16)>,

    /// Print JSON
    #[arg(long)]
    pub json: bool,

    /// Show whole command lines and start times
    #[arg(short, long)]
    pub verbose: bool,
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
    #[arg(long, value_name = "DUR", default_value = "5s", value_parser = parse_duration)]
    pub grace: std::time::Duration,

    /// Only show what would be signalled
    #[arg(long)]
    pub dry_run: bool,

    /// Report what was found and done as JSON
    #[arg(long)]
    pub json: bool,
}

/// The command line, with what `CheckArgs::from_env` records.
pub fn parse_from<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    use clap::FromArgMatches;
    use clap::parser::ValueSource;
    let matches = command().try_get_matches_from(args)?;
    let mut cli = Cli::from_arg_matches(&matches)?;
    if let (Command::Check(a) | Command::Bundle(a), Some((_, sub))) =
        (&mut cli.command, matches.subcommand())
    {
        a.from_env = sub
            .ids()
            .filter(|id| sub.value_source(id.as_str()) == Some(ValueSource::EnvVariable))
            .map(|id| id.to_string())
            .collect();
    }
    Ok(cli)
}

/// The clap command, for parsing, completions and the man page.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cli_definition_is_consistent() {
        command().debug_assert();
    }
}
