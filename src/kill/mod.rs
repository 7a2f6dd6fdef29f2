//! `rtdoctor kill PORT`: the safe kill-the-port-holder. Lists who holds the
//! port (listeners only: a client of the port is never a holder), proposes
//! the master of a pre-fork server, asks before each signal, re-checks just
//! before signalling that the pid is still the same process and still holds
//! the port, waits, offers SIGKILL, and ends by reading the socket table
//! again to say whether the port is free. The machine is asked through
//! `os::Platform`; the safety rules are in `policy`.

mod action;
mod delivery;
mod output;
mod policy;
mod prompt;

use std::time::Duration;

use serde::Serialize;

pub use action::{Action, Done};
pub use policy::{Recheck, protected, recheck};
pub use prompt::{Prompt, Terminal};

use crate::holders::{Holder, Owner, PortHolders};
use crate::os::{self, Platform, Signal, Source};
use delivery::{Delivery, Flow};
use output::Output;

#[derive(Clone, Debug)]
pub struct KillConfig {
    pub port: u16,
    pub yes: bool,
    pub signal: Signal,
    pub grace: Duration,
    pub dry_run: bool,
    pub json: bool,
    /// Where the socket table comes from (`RTDOCTOR_SOCKETS`).
    pub sockets: Option<Source>,
}

#[derive(Debug, Serialize)]
pub struct KillReport {
    pub port: u16,
    pub holders: Vec<Holder>,
    pub hidden_owners: Vec<Owner>,
    pub actions: Vec<Action>,
    pub dry_run: bool,
    /// The port has no listener at the end (read from the socket table).
    pub free: bool,
}

/// How a kill run ended, for the exit code.
#[derive(Debug, PartialEq, Eq)]
pub enum Ending {
    /// Nothing listens (any more), or a dry run.
    Done,
    /// The port is still held, or a signal was not allowed.
    StillHeld,
    /// No terminal to ask and no --yes: nothing was signalled.
    Refused(String),
}

/// On this machine, asking at the terminal.
pub fn run(config: &KillConfig) -> Result<(KillReport, Ending), String> {
    run_with(
        &*os::native(),
        config,
        &mut Terminal,
        &mut Output::new(config.json),
    )
}

fn run_with(
    os: &dyn Platform,
    config: &KillConfig,
    prompt: &mut dyn Prompt,
    out: &mut Output,
) -> Result<(KillReport, Ending), String> {
    let read = || {
        os.socket_table_with_owners(config.sockets)
            .map_err(|e| format!("cannot read the socket table: {e}"))
    };
    let found = PortHolders::find_with(os, &read()?, config.port);
    let mut report = KillReport {
        port: config.port,
        holders: found.holders.clone(),
        hidden_owners: found.hidden_owners.clone(),
        actions: Vec::new(),
        dry_run: config.dry_run,
        free: found.is_empty(),
    };
    if found.is_empty() {
        out.line(&format!(
            "nothing listens on port {}: nothing to do",
            config.port
        ));
        return Ok((report, Ending::Done));
    }
    out.list(&found);
    if found.holders.is_empty() {
        out.line(&found.hidden_owner_sentence());
        return Ok((report, Ending::StillHeld));
    }
    let interactive = prompt.interactive();
    if !config.dry_run && !config.yes && !interactive {
        return Ok((
            report,
            Ending::Refused(
                "standard input is not a terminal, so there is no one to ask: rerun with --yes to signal \
without asking, or --dry-run to see what would be done"
                    .into(),
            ),
        ));
    }

    let mut delivery = Delivery {
        os,
        config,
        out,
        prompt,
        spinner: interactive && !config.json,
        actions: Vec::new(),
    };
    let blocked = policy::targets(&found)
        .into_iter()
        .any(|holder| delivery.holder(holder) == Flow::Stop);
    report.actions = delivery.actions;

    // The verdict comes from the socket table, never from the signals.
    let still = PortHolders::find_with(os, &read()?, config.port);
    report.free = still.is_empty();
    if config.dry_run {
        return Ok((report, Ending::Done));
    }
    if report.free {
        out.line(&format!("port {} is free", config.port));
        Ok((report, Ending::Done))
    } else {
        let who = still
            .main_holder()
            .map(|h| h.label())
            .unwrap_or_else(|| "a process this user cannot see".into());
        if !blocked {
            out.line(&format!("port {} is still held by {who}", config.port));
        }
        Ok((report, Ending::StillHeld))
    }
}

/// The signal the command line named.
pub fn os_signal(arg: crate::cli::SignalArg) -> Signal {
    use crate::cli::SignalArg;
    match arg {
        SignalArg::Term => Signal::Term,
        SignalArg::Int => Signal::Int,
        SignalArg::Hup => Signal::Hup,
        SignalArg::Kill => Signal::Kill,
    }
}

#[cfg(test)]
mod tests;
