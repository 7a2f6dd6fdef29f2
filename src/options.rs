//! Every option of every subcommand, declared once (ripgrep's
//! `flags/defs.rs`, as data): flag, environment variable, config-file key
//! and its TOML type, default, the line `--help` shows and what the README
//! and the man page add. `docs` renders README.md's tables, the man page and
//! CONTRACT.md's config schema from it; the tests hold clap and the
//! config-file parser to it.

mod environment;

pub use environment::{ENVIRONMENT, EnvVar};

/// Where a config-file key may stand in `rtdoctor.toml`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Top level only: a default for the whole run.
    Top,
    /// Top level, and overridden by a `[[target]]` table.
    Both,
    /// In a `[[target]]` table only.
    Target,
}

/// What a key of `rtdoctor.toml` holds, as TOML.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Toml {
    String,
    Strings,
    Bool,
    /// `auth`: a TOML table, or a string of JSON.
    TableOrString,
}

impl Toml {
    pub fn name(self) -> &'static str {
        match self {
            Toml::String => "string",
            Toml::Strings => "array of strings",
            Toml::Bool => "boolean",
            Toml::TableOrString => "table, or a string of JSON",
        }
    }
}

/// A key of `rtdoctor.toml`.
#[derive(Clone, Copy, Debug)]
pub struct Key {
    pub name: &'static str,
    pub scope: Scope,
    pub toml: Toml,
}

/// One option (or positional argument) of one or more subcommands.
#[derive(Clone, Copy, Debug)]
pub struct Opt {
    /// clap's id for the argument: the field name in `cli.rs`.
    pub id: &'static str,
    /// `--long`, without the dashes; `None` for a positional argument.
    pub long: Option<&'static str>,
    pub short: Option<char>,
    /// The value's placeholder (`DUR`); `None` for a switch.
    pub value: Option<&'static str>,
    pub env: Option<&'static str>,
    pub key: Option<Key>,
    /// The value used when none is given anywhere, as a person reads it.
    pub default: Option<&'static str>,
    /// The one line `--help` shows, exactly.
    pub help: &'static str,
    /// What the README and the man page add to `help` ("" for nothing).
    pub more: &'static str,
    /// The subcommands that take it.
    pub commands: &'static [&'static str],
}

impl Opt {
    /// `--timeout DUR`, `-H, --header 'NAME: VALUE'`, `TARGET`.
    pub fn synopsis(&self) -> String {
        let flag = match (self.short, self.long) {
            (Some(c), Some(l)) => format!("-{c}, --{l}"),
            (None, Some(l)) => format!("--{l}"),
            (Some(c), None) => format!("-{c}"),
            (None, None) => return self.value.unwrap_or(self.id).to_string(),
        };
        match self.value {
            Some(v) => format!("{flag} {v}"),
            None => flag,
        }
    }

    /// `help` without the default it states (clap cannot hold those
    /// defaults itself: the environment and the file must win over them),
    /// then `more`.
    pub fn description(&self) -> String {
        let help = match default_in_help(self.help) {
            Some((at, _)) => &self.help[..at],
            None => self.help,
        };
        match (help, self.more) {
            (help, "") => help.to_string(),
            ("", more) => more.to_string(),
            (help, more) => format!("{help}. {more}"),
        }
    }
}

/// Where `help` states the default itself (`[default: X]` or
/// `(default: X)`, at its end): the offset and `X`.
pub fn default_in_help(help: &str) -> Option<(usize, &str)> {
    let at = help
        .find(" [default: ")
        .or_else(|| help.find(" (default: "))?;
    let value = help[at + " [default: ".len()..].strip_suffix([']', ')'])?;
    Some((at, value))
}

const CHECK: &[&str] = &["check", "bundle"];

const fn opt(id: &'static str, help: &'static str, commands: &'static [&'static str]) -> Opt {
    Opt {
        id,
        long: None,
        short: None,
        value: None,
        env: None,
        key: None,
        default: None,
        help,
        more: "",
        commands,
    }
}

const fn key(name: &'static str, scope: Scope, toml: Toml) -> Option<Key> {
    Some(Key { name, scope, toml })
}

/// Every option, in the order the README and the man page list them.
pub const OPTIONS: &[Opt] = &[
    Opt {
        value: Some("TARGET"),
        key: key("url", Scope::Target, Toml::String),
        more: "Several targets are checked in one run and one report; none means the config \
file's `[[target]]` tables, else the local real-time servers rtdoctor finds",
        ..opt(
            "targets",
            "URL (http, https, ws, wss), HOST:PORT, or PORT (meaning http://localhost:PORT)",
            CHECK,
        )
    },
    Opt {
        long: Some("timeout"),
        value: Some("DUR"),
        env: Some("RTDOCTOR_TIMEOUT"),
        key: key("timeout", Scope::Both, Toml::String),
        default: Some("5s"),
        more: "A bare number is seconds. Checks run concurrently; each is cut off after 2× the \
timeout + 1 s and the whole run after 6× + 2 s: rtdoctor then reports what finished and exits \
without waiting for the rest (a scan of every process's open files on a host with very \
many of them included)",
        ..opt(
            "timeout",
            "Limit for each probe (connect, request), e.g. 5s, 500ms or 1.5 [default: 5s]",
            CHECK,
        )
    },
    Opt {
        long: Some("only"),
        value: Some("ID,..."),
        env: Some("RTDOCTOR_ONLY"),
        key: key("only", Scope::Top, Toml::Strings),
        default: Some("every check"),
        more: "`port` means `port.*`",
        ..opt(
            "only",
            "Run only these checks (ids or prefixes such as `port`), comma-separated",
            CHECK,
        )
    },
    Opt {
        long: Some("skip"),
        value: Some("ID,..."),
        env: Some("RTDOCTOR_SKIP"),
        key: key("skip", Scope::Top, Toml::Strings),
        ..opt(
            "skip",
            "Leave out these checks (ids or prefixes), comma-separated",
            CHECK,
        )
    },
    Opt {
        long: Some("format"),
        value: Some("FORMAT"),
        env: Some("RTDOCTOR_FORMAT"),
        key: key("format", Scope::Top, Toml::String),
        default: Some("human"),
        more: "`human`, `json` (the `rtdoctor.report/v1` document of CONTRACT.md) or `junit` \
(one testsuite per target, one testcase per check)",
        ..opt("format", "Report format", CHECK)
    },
    Opt {
        long: Some("json"),
        ..opt("json", "Short for --format json", CHECK)
    },
    Opt {
        long: Some("output"),
        short: Some('o'),
        value: Some("FILE"),
        key: key("output", Scope::Top, Toml::String),
        default: Some("standard output"),
        more: "In the config file, a relative path inside the file's own folder",
        ..opt(
            "output",
            "Write the report (with `bundle`: the bundle) to FILE instead of standard output",
            CHECK,
        )
    },
    Opt {
        long: Some("strict"),
        env: Some("RTDOCTOR_STRICT"),
        key: key("strict", Scope::Top, Toml::Bool),
        ..opt("strict", "Warnings fail the run too (exit code 1)", CHECK)
    },
    Opt {
        long: Some("wait"),
        value: Some("DUR"),
        env: Some("RTDOCTOR_WAIT"),
        ..opt(
            "wait",
            "First wait up to DUR for each target to answer (TCP, then HTTP): for CI jobs that \
start the server in the background",
            CHECK,
        )
    },
    Opt {
        long: Some("soak"),
        value: Some("DUR"),
        env: Some("RTDOCTOR_SOAK"),
        key: key("soak", Scope::Top, Toml::String),
        default: Some("off"),
        more: "Adds `socketio.heartbeat` and `websocket.idle`, which hold their connections for \
DUR; without --soak they are left out of the report (named with `--only`, they are skipped \
with the reason). On a terminal a progress bar shows the time left (none with `-q`, JSON or \
JUnit). Each of those checks may take DUR longer than the others, and so may the whole run. \
Ctrl-C during the soak still prints the report of what was seen so far",
        ..opt(
            "soak",
            "Also hold connections open for DUR and watch them: heartbeats, idle cuts",
            CHECK,
        )
    },
    Opt {
        long: Some("port-range"),
        value: Some("A-B"),
        env: Some("RTDOCTOR_PORT_RANGE"),
        key: key("port_range", Scope::Both, Toml::String),
        default: Some("10 ports either side"),
        ..opt(
            "port_range",
            "Where to look for the server when nothing listens on the target port (default: 10 \
ports either side)",
            CHECK,
        )
    },
    Opt {
        long: Some("backend"),
        value: Some("URL"),
        env: Some("RTDOCTOR_BACKEND"),
        key: key("backend", Scope::Target, Toml::String),
        default: Some("found by itself"),
        more: "A URL, HOST:PORT or PORT, as a TARGET. When `socketio.upgrade`, `socketio.sticky`, \
`cors` or `http.health` fails (or warns) through a proxy, the same check runs again straight at \
this server, and the summary says whether the proxy or the server is at fault (both results are \
in the evidence). Without it, when the target's port is held by a proxy on this machine (nginx, \
HAProxy, Caddy, Traefik, Envoy, Apache, a dev server), rtdoctor looks for that server itself: \
the proxy's own connection to a local listener while a long-poll through it is pending, else \
the local listeners, other than proxies, that answer Engine.IO at the same path; one is used \
and named with how it was found, several are listed. The flag and the variable take one \
target; in the config file each `[[target]]` names its own",
        ..opt(
            "backend",
            "The server behind the proxy, probed directly to tell the proxy's faults from the \
server's",
            CHECK,
        )
    },
    Opt {
        long: Some("socketio-path"),
        value: Some("PATH"),
        env: Some("RTDOCTOR_SOCKETIO_PATH"),
        key: key("socketio_path", Scope::Both, Toml::String),
        default: Some("/socket.io/"),
        ..opt(
            "socketio_path",
            "Engine.IO path [default: /socket.io/]",
            CHECK,
        )
    },
    Opt {
        long: Some("health-path"),
        value: Some("PATH"),
        env: Some("RTDOCTOR_HEALTH_PATH"),
        key: key("health_path", Scope::Both, Toml::String),
        default: Some("/health"),
        ..opt(
            "health_path",
            "Health endpoint path [default: /health]",
            CHECK,
        )
    },
    Opt {
        long: Some("namespace"),
        value: Some("NS"),
        env: Some("RTDOCTOR_NAMESPACE"),
        key: key("namespace", Scope::Both, Toml::String),
        default: Some("/"),
        ..opt(
            "namespace",
            "Socket.IO namespace to connect to; without it, an http(s) TARGET's path, as io(url) reads it [default: /]",
            CHECK,
        )
    },
    Opt {
        long: Some("auth"),
        value: Some("JSON"),
        key: key("auth", Scope::Both, Toml::TableOrString),
        more: "In the config file, a TOML table or a string of JSON",
        ..opt(
            "auth",
            "Socket.IO CONNECT auth payload, a JSON object (sent, never printed)",
            CHECK,
        )
    },
    Opt {
        long: Some("eio"),
        value: Some("3|4|auto"),
        env: Some("RTDOCTOR_EIO"),
        key: key("eio", Scope::Both, Toml::String),
        default: Some("auto"),
        more: "`auto` asks both and reports which the server speaks",
        ..opt(
            "eio",
            "Engine.IO protocol version to speak: 3 (socket.io 2.x), 4 (3.x/4.x), or auto",
            CHECK,
        )
    },
    Opt {
        long: Some("ws-path"),
        value: Some("PATH"),
        key: key("ws_paths", Scope::Both, Toml::Strings),
        ..opt(
            "ws_paths",
            "A plain WebSocket endpoint to probe (repeatable); a ws:// TARGET's own path counts",
            CHECK,
        )
    },
    Opt {
        long: Some("origin"),
        value: Some("ORIGIN"),
        env: Some("RTDOCTOR_ORIGIN"),
        key: key("origin", Scope::Both, Toml::String),
        default: Some("--page's origin"),
        ..opt(
            "origin",
            "The browser origin to test CORS and WebSocket origin checks with [default: \
--page's origin]",
            CHECK,
        )
    },
    Opt {
        long: Some("page"),
        value: Some("URL"),
        env: Some("RTDOCTOR_PAGE"),
        key: key("page", Scope::Both, Toml::String),
        ..opt(
            "page",
            "The page that will host the client (mixed-content check)",
            CHECK,
        )
    },
    Opt {
        long: Some("subprotocol"),
        value: Some("P"),
        key: key("subprotocols", Scope::Both, Toml::Strings),
        more: "It must be an HTTP token, or rtdoctor exits 2",
        ..opt(
            "subprotocols",
            "WebSocket subprotocol to offer (repeatable)",
            CHECK,
        )
    },
    Opt {
        long: Some("cacert"),
        value: Some("FILE"),
        env: Some("RTDOCTOR_CACERT"),
        key: key("cacert", Scope::Both, Toml::String),
        more: "On top of the system roots, for every probe over TLS; one file may hold several. \
A file without a PEM certificate is a usage error (exit 2)",
        ..opt("cacert", "Extra trusted CA certificate(s), PEM", CHECK)
    },
    Opt {
        long: Some("insecure"),
        key: key("insecure", Scope::Both, Toml::Bool),
        more: "`tls.certificate` still fails; the other probes accept any certificate",
        ..opt(
            "insecure",
            "Go on past an invalid certificate (still reported)",
            CHECK,
        )
    },
    Opt {
        long: Some("header"),
        short: Some('H'),
        value: Some("'NAME: VALUE'"),
        key: key("headers", Scope::Both, Toml::Strings),
        more: "Every probe sends it; a name given twice is sent twice. A name that is not an \
HTTP token, or a value with a line break or another control character, is a usage error \
(exit 2) that names the header, not its value",
        ..opt(
            "headers",
            "Extra request header, e.g. 'Authorization: Bearer …' (repeatable; values never \
printed)",
            CHECK,
        )
    },
    Opt {
        long: Some("checks"),
        value: Some("DIR"),
        env: Some("RTDOCTOR_CHECKS"),
        key: key("checks", Scope::Top, Toml::String),
        more: "See checks/README.md",
        ..opt(
            "checks",
            "Load extra declared checks (*.toml) from DIR",
            CHECK,
        )
    },
    Opt {
        long: Some("config"),
        value: Some("FILE"),
        env: Some("RTDOCTOR_CONFIG"),
        default: Some("./rtdoctor.toml"),
        ..opt("config", "rtdoctor's config file", CHECK)
    },
    Opt {
        long: Some("bundle"),
        value: Some("FILE"),
        ..opt(
            "bundle",
            "Also write a redacted debug bundle (.tar.gz) to FILE",
            CHECK,
        )
    },
    Opt {
        long: Some("log"),
        value: Some("FILE"),
        more: "At most 1 MiB of it is read",
        ..opt(
            "logs",
            "A log file whose tail goes into the bundle, redacted (repeatable)",
            CHECK,
        )
    },
    Opt {
        long: Some("log-lines"),
        value: Some("N"),
        default: Some("500"),
        ..opt("log_lines", "How many lines of each --log to keep", CHECK)
    },
    Opt {
        long: Some("config-file"),
        value: Some("FILE"),
        ..opt(
            "config_files",
            "A config file copied into the bundle, redacted (repeatable)",
            CHECK,
        )
    },
    Opt {
        long: Some("anonymize"),
        ..opt(
            "anonymize",
            "Also replace hostnames, user names and home paths in the bundle by hashes",
            CHECK,
        )
    },
    Opt {
        long: Some("verbose"),
        short: Some('v'),
        ..opt("verbose", "Show the evidence of every check", CHECK)
    },
    Opt {
        long: Some("quiet"),
        short: Some('q'),
        ..opt("quiet", "Show only what needs attention", CHECK)
    },
    Opt {
        long: Some("color"),
        value: Some("WHEN"),
        env: Some("RTDOCTOR_COLOR"),
        key: key("color", Scope::Top, Toml::String),
        default: Some("auto"),
        more: "`auto`, `always` or `never`. `auto` colours a terminal unless `NO_COLOR` is set \
or `TERM=dumb`; never in JSON or JUnit, nor with `-o`",
        ..opt("color", "When to colour the output", CHECK)
    },
    Opt {
        value: Some("PORT|A-B"),
        ..opt(
            "ports",
            "Ports or ranges (8765, 8000-8100); none means every listener",
            &["ports"],
        )
    },
    Opt {
        long: Some("json"),
        ..opt("json", "Print JSON", &["ports"])
    },
    Opt {
        long: Some("verbose"),
        short: Some('v'),
        more: "On a terminal, `ports` fits its width: command lines are shortened with `…` and \
start times shown as ages. Output that is not a terminal is always whole",
        ..opt(
            "verbose",
            "Show whole command lines and start times",
            &["ports"],
        )
    },
    Opt {
        value: Some("PORT"),
        ..opt("port", "The port whose holder to stop", &["kill"])
    },
    Opt {
        long: Some("yes"),
        short: Some('y'),
        ..opt(
            "yes",
            "Answer yes to every question (needed when there is no terminal to ask on)",
            &["kill"],
        )
    },
    Opt {
        long: Some("signal"),
        value: Some("TERM|INT|HUP|KILL"),
        default: Some("TERM"),
        ..opt("signal", "The first signal to send", &["kill"])
    },
    Opt {
        long: Some("grace"),
        value: Some("DUR"),
        default: Some("5s"),
        ..opt(
            "grace",
            "How long to wait for the process to exit before offering SIGKILL",
            &["kill"],
        )
    },
    Opt {
        long: Some("dry-run"),
        ..opt("dry_run", "Only show what would be signalled", &["kill"])
    },
    Opt {
        long: Some("json"),
        more: "The holders, each action and its result, and whether the port is free; the \
human lines then go to standard error",
        ..opt("json", "Report what was found and done as JSON", &["kill"])
    },
    Opt {
        value: Some("ID"),
        ..opt(
            "id",
            "A check id, as listed by `rtdoctor checks`",
            &["explain"],
        )
    },
    Opt {
        long: Some("checks"),
        value: Some("DIR"),
        ..opt(
            "checks",
            "Also list the declared checks in DIR",
            &["checks"],
        )
    },
    Opt {
        long: Some("checks"),
        value: Some("DIR"),
        ..opt(
            "checks",
            "Also look among the declared checks in DIR",
            &["explain"],
        )
    },
    Opt {
        value: Some("SHELL"),
        more: "`bash`, `elvish`, `fish`, `powershell` or `zsh`",
        ..opt("shell", "", &["completions"])
    },
];

/// The options `command` takes, in declaration order.
pub fn of(command: &str) -> impl Iterator<Item = &'static Opt> + '_ {
    OPTIONS
        .iter()
        .filter(move |o| o.commands.contains(&command))
}

/// Options with an environment variable (each its own: a test says so).
pub fn with_env() -> Vec<&'static Opt> {
    OPTIONS.iter().filter(|o| o.env.is_some()).collect()
}

/// Options with a config-file key (each its own: a test says so).
pub fn with_key() -> Vec<(&'static Opt, Key)> {
    OPTIONS.iter().filter_map(|o| Some((o, o.key?))).collect()
}

#[cfg(test)]
mod tests;
