//! The resolve step: clap's raw values (`crate::cli`), the environment and
//! the config file (`crate::config`) become the resolved settings
//! (`crate::settings`) and the registry a run uses, with precedence
//! defaults < file < environment < flags. Everything the user typed or
//! named is checked here, so what fails here is their input to fix (exit 2)
//! and the engine past this point never sees clap or TOML.

mod check;
mod probe;
mod problems;
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
            verbose: args.verbose,
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
/// checked (`-H` values, with or without the colon; `--auth`'s text and
/// the strings inside its JSON), so that an error about them, however
/// early, can hide them.
pub fn raw_secrets(cli: &Cli) -> Vec<String> {
    let (Command::Check(args) | Command::Bundle(args)) = &cli.command else {
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

/// `RTDOCTOR_SOCKETS`, read once when the command is resolved.
fn sockets_from_env() -> Result<Option<crate::os::Source>, Error> {
    crate::machine::socket_source().map_err(Error::usage)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use clap::Parser;

    use super::*;
    use crate::settings::EioMode;

    fn resolved(args: &[&str]) -> Result<Resolved, Error> {
        resolve(Cli::parse_from(
            std::iter::once("rtdoctor").chain(args.iter().copied()),
        ))
    }

    fn check_config(args: &[&str]) -> CheckConfig {
        match resolved(args) {
            Ok(Resolved::Check(config, _)) => *config,
            Ok(_) => panic!("not a check command"),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn flags_win_over_the_file_and_a_target_table_over_its_top_level() {
        // Two targets: one table overrides the top level, one keeps it.
        let two_targets = "timeout = \"2s\"\neio = \"3\"\nnamespace = \"/top\"\n\
             [[target]]\nurl = \"127.0.0.1:9000\"\nnamespace = \"chat\"\ntimeout = \"1s\"\n\
             [[target]]\nurl = \"9100\"\n";
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("rtdoctor.toml");
        std::fs::write(&file, two_targets).unwrap();
        let path = file.to_str().unwrap();
        let config = check_config(&["check", "--config", path, "--eio", "4"]);
        let [first, second] = &config.targets[..] else {
            panic!("two targets expected");
        };
        assert_eq!(first.probe.namespace, "/chat");
        assert_eq!(first.probe.timeout, Duration::from_secs(1));
        assert_eq!(second.probe.namespace, "/top");
        assert_eq!(second.probe.timeout, Duration::from_secs(2));
        assert_eq!(second.probe.port_range, (9090, 9110));
        for t in &config.targets {
            assert_eq!(t.probe.eio, EioMode::V4, "the flag wins over the file");
        }
        // Targets named on the command line replace the file's.
        let config = check_config(&["check", "--config", path, "7000"]);
        assert_eq!(config.targets.len(), 1);
        assert_eq!(config.targets[0].probe.eio, EioMode::V3);
        assert_eq!(config.targets[0].probe.namespace, "/top");
    }

    #[test]
    fn raw_secrets_are_the_header_values_and_the_auth_strings() {
        let cli = Cli::parse_from([
            "rtdoctor",
            "check",
            "8765",
            "-H",
            "Authorization: Bearer t0k",
            "--auth",
            r#"{"token":"s3"}"#,
        ]);
        let secrets = raw_secrets(&cli);
        for want in [
            "Authorization: Bearer t0k",
            "Bearer t0k",
            r#"{"token":"s3"}"#,
            "s3",
        ] {
            assert!(
                secrets.iter().any(|s| s == want),
                "{want} missing: {secrets:?}"
            );
        }
    }

    #[test]
    fn a_typo_in_a_check_id_is_the_users_input() {
        let Err(err) = resolved(&["check", "8765", "--only", "port.listn"]) else {
            panic!("an unknown id was accepted");
        };
        assert_eq!(err.exit_code(), std::process::ExitCode::from(2));
        assert!(
            err.to_string().contains("did you mean port.listen?"),
            "{err}"
        );
    }

    #[test]
    fn the_registry_is_the_built_ins_then_the_declared_checks() {
        let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("checks");
        let dir = shipped.to_str().unwrap();
        let Ok(Resolved::Checks(checks)) = resolved(&["checks", "--checks", dir]) else {
            panic!("the shipped checks did not load");
        };
        let builtin = crate::check::registry();
        assert!(checks.len() > builtin.len());
        for (got, want) in checks.iter().zip(&builtin) {
            assert_eq!(got.id(), want.id());
        }
        let Err(err) = resolved(&["checks", "--checks", "/nonexistent/checks"]) else {
            panic!("a missing folder was accepted");
        };
        assert!(
            err.to_string().contains("cannot read the checks folder"),
            "{err}"
        );
        assert_eq!(err.exit_code(), std::process::ExitCode::from(2));
    }
    #[test]
    fn the_soak_is_off_unless_the_flag_or_the_files_top_level_names_it() {
        assert_eq!(check_config(&["check", "8765"]).targets[0].probe.soak, None);
        let config = check_config(&["check", "8765", "--soak", "3s"]);
        assert_eq!(config.targets[0].probe.soak, Some(Duration::from_secs(3)));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("rtdoctor.toml");
        std::fs::write(&file, "soak = \"2s\"\n[[target]]\nurl = \"9000\"\n").unwrap();
        let path = file.to_str().unwrap();
        let config = check_config(&["check", "--config", path]);
        assert_eq!(config.targets[0].probe.soak, Some(Duration::from_secs(2)));
        let config = check_config(&["check", "--config", path, "--soak", "1s"]);
        assert_eq!(config.targets[0].probe.soak, Some(Duration::from_secs(1)));
    }
}
