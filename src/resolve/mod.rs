//! The resolve step: clap's raw values (`crate::cli`), the environment and
//! the config file (`crate::config`) become the resolved settings
//! (`crate::settings`) and the registry a run uses, with precedence
//! defaults < file < environment < flags. Everything the user typed or
//! named is checked here, so what fails here is their input to fix (exit 2)
//! and the engine past this point never sees clap or TOML.

mod check;
mod probe;
pub mod values;

use crate::check::Registry;
use crate::cli::{Cli, Command};
use crate::error::Error;
use crate::kill::KillConfig;
use crate::settings::{CheckConfig, PortsConfig};

/// What main runs, fully resolved.
pub enum Resolved {
    Check(Box<CheckConfig>, Registry),
    Ports(PortsConfig),
    Kill(KillConfig),
    Checks(Registry),
    Explain(String, Registry),
    Completions(clap_complete::Shell),
}

pub fn resolve(cli: Cli) -> Result<Resolved, Error> {
    Ok(match cli.command {
        Command::Check(args) => {
            let (config, checks) = check::check(*args)?;
            Resolved::Check(Box::new(config), checks)
        }
        Command::Bundle(args) => {
            let (config, checks) = check::bundle(*args)?;
            Resolved::Check(Box::new(config), checks)
        }
        Command::Ports(args) => Resolved::Ports(PortsConfig {
            ranges: args.ports,
            json: args.json,
            sockets: sockets_from_env()?,
        }),
        Command::Kill(args) => Resolved::Kill(KillConfig {
            port: args.port,
            yes: args.yes,
            signal: crate::kill::os_signal(args.signal),
            grace: args.grace,
            dry_run: args.dry_run,
            json: args.json,
            sockets: sockets_from_env()?,
        }),
        Command::Checks { checks } => {
            Resolved::Checks(crate::check::registry_with(checks.as_deref())?)
        }
        Command::Explain { id, checks } => {
            Resolved::Explain(id, crate::check::registry_with(checks.as_deref())?)
        }
        Command::Completions { shell } => Resolved::Completions(shell),
    })
}

/// The secrets typed on the command line, as typed and before they are
/// checked (`-H` values, `--auth`'s text and the strings inside its JSON),
/// so that an error about them, however early, can hide them.
pub fn raw_secrets(cli: &Cli) -> Vec<String> {
    let mut out = cli.raw_secrets();
    if let Command::Check(args) | Command::Bundle(args) = &cli.command
        && let Some(auth) = &args.auth
        && let Ok(v) = serde_json::from_str::<serde_json::Value>(auth)
    {
        crate::redact::json_strings(&v, &mut out);
    }
    out
}

/// `RTDOCTOR_SOCKETS`, read once when the command is resolved.
fn sockets_from_env() -> Result<Option<crate::sockets::Source>, Error> {
    crate::host::socket_source(std::env::var_os("RTDOCTOR_SOCKETS").as_deref())
        .map_err(Error::usage)
}
