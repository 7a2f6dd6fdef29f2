//! `rtdoctor kill PORT`: the safe kill-the-port-holder. Lists who holds the
//! port (listeners only: a client of the port is never a holder), proposes
//! the master of a pre-fork server, asks before each signal, re-checks just
//! before signalling that the pid is still the same process and still holds
//! the port, waits, offers SIGKILL, and ends by reading the socket table
//! again to say whether the port is free.

use std::io::{BufRead, IsTerminal, Write};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use nix::errno::Errno;
use nix::sys::signal::{self, Signal};
use nix::unistd::{self, Pid};
use serde::Serialize;

use crate::holders::{Holder, PortHolders, Role, started, user_name, user_names};
use crate::host::read_table;
use crate::process::{self, ProcessInfo};

#[derive(Clone, Debug)]
pub struct KillConfig {
    pub port: u16,
    pub yes: bool,
    pub signal: Signal,
    pub grace: Duration,
    pub dry_run: bool,
    pub json: bool,
    /// Where the socket table comes from (`RTDOCTOR_SOCKETS`).
    pub sockets: Option<crate::sockets::Source>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Action {
    pub pid: u32,
    pub signal: String,
    /// sent, exited, still running, declined, gone, not the same process,
    /// no longer holds the port, permission denied, protected, would send
    pub result: String,
}

#[derive(Debug, Serialize)]
pub struct KillReport {
    pub port: u16,
    pub holders: Vec<Holder>,
    pub hidden_owners: Vec<u32>,
    pub actions: Vec<Action>,
    pub dry_run: bool,
    /// The port has no listener at the end (read from the socket table).
    pub free: bool,
}

/// How a kill run ended, for the exit code.
pub enum Ending {
    /// Nothing listens (any more), or a dry run.
    Done,
    /// The port is still held, or a signal was not allowed.
    StillHeld,
    /// No terminal to ask and no --yes: nothing was signalled.
    Refused(String),
}

/// Why a pid must not be signalled, if it must not.
pub fn protected(pid: u32) -> Option<&'static str> {
    let me = std::process::id();
    let parent = unistd::getppid().as_raw() as u32;
    if pid <= 1 {
        return Some("pid 1 (init) is never signalled");
    }
    if pid == me {
        return Some("this is rtdoctor itself");
    }
    if pid == parent {
        return Some("this is rtdoctor's parent (the shell or script that ran it)");
    }
    let group = unistd::getpgrp();
    if unistd::getpgid(Some(Pid::from_raw(pid as i32))).is_ok_and(|g| g == group) {
        return Some("it is in rtdoctor's own process group");
    }
    None
}

/// What the re-check just before a signal found.
#[derive(Debug, PartialEq, Eq)]
pub enum Recheck {
    Same,
    Gone,
    /// The pid now names another process (reused): never signal it.
    Reused,
    /// Same process, but it no longer holds the port.
    LetGo,
}

/// Compare the process as listed with what the pid is now.
pub fn recheck(listed: &ProcessInfo, now: Option<&ProcessInfo>, holds_port: bool) -> Recheck {
    match now {
        None => Recheck::Gone,
        Some(p) if p.start_time != listed.start_time || p.name != listed.name => Recheck::Reused,
        Some(_) if !holds_port => Recheck::LetGo,
        Some(_) => Recheck::Same,
    }
}

/// Alive and not a zombie (a zombie's sockets are already closed).
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.trim_start().chars().next())
            .is_some_and(|state| state != 'Z' && state != 'X'),
        Err(_) => false,
    }
}

pub fn run(config: &KillConfig) -> Result<(KillReport, Ending), String> {
    let table =
        read_table(config.sockets).map_err(|e| format!("cannot read the socket table: {e}"))?;
    let found = PortHolders::find(&table, config.port);
    let mut out = Output::new(config.json);
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
        let owners = user_names(&found.hidden_owners);
        out.line(&format!(
            "port {} is held by a process of {owners} that this user can neither see nor signal: run as that user or with sudo",
            config.port
        ));
        return Ok((report, Ending::StillHeld));
    }

    let targets: Vec<&Holder> = if found.holders.iter().any(|h| h.role == Role::Master) {
        found
            .holders
            .iter()
            .filter(|h| h.role == Role::Master)
            .collect()
    } else {
        found.holders.iter().collect()
    };
    let interactive = std::io::stdin().is_terminal();
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

    let mut blocked = false;
    for holder in targets {
        let pid = holder.process.pid;
        let name = signal_name(config.signal);
        if let Some(why) = protected(pid) {
            out.line(&format!("not signalling {pid}: {why}"));
            report.actions.push(action(pid, name, "protected"));
            continue;
        }
        if config.dry_run {
            out.line(&format!(
                "would send {name} to {pid} ({})",
                describe(holder)
            ));
            report.actions.push(action(pid, name, "would send"));
            continue;
        }
        let question = format!("Send {name} to {pid} ({})?", describe(holder));
        if !config.yes && !ask(&question) {
            out.line(&format!("left {pid} alone"));
            report.actions.push(action(pid, name, "declined"));
            continue;
        }
        match signal_checked(config, holder, config.signal) {
            Sent::Ok => {}
            Sent::Skipped(result, message) => {
                out.line(&message);
                report.actions.push(action(pid, name, result));
                continue;
            }
            Sent::Denied(message) => {
                out.line(&message);
                report.actions.push(action(pid, name, "permission denied"));
                blocked = true;
                break;
            }
        }
        out.line(&format!("sent {name} to {pid}"));
        let exited = wait_for_exit(pid, config.grace, interactive && !config.json);
        if exited {
            out.line(&format!("{pid} exited"));
            report.actions.push(action(pid, name, "exited"));
            continue;
        }
        report.actions.push(action(pid, name, "still running"));
        if config.signal == Signal::SIGKILL {
            continue;
        }
        let question = format!(
            "{pid} is still running after {} ms. Send SIGKILL?",
            config.grace.as_millis()
        );
        if !config.yes && !ask(&question) {
            out.line(&format!("left {pid} running"));
            report.actions.push(action(pid, "SIGKILL", "declined"));
            continue;
        }
        match signal_checked(config, holder, Signal::SIGKILL) {
            Sent::Ok => {
                let gone = wait_for_exit(pid, Duration::from_secs(2), interactive && !config.json);
                out.line(&format!(
                    "sent SIGKILL to {pid}{}",
                    if gone { "; it exited" } else { "" }
                ));
                report.actions.push(action(
                    pid,
                    "SIGKILL",
                    if gone { "exited" } else { "still running" },
                ));
            }
            Sent::Skipped(result, message) => {
                out.line(&message);
                report.actions.push(action(pid, "SIGKILL", result));
            }
            Sent::Denied(message) => {
                out.line(&message);
                report
                    .actions
                    .push(action(pid, "SIGKILL", "permission denied"));
                blocked = true;
                break;
            }
        }
    }

    // The verdict comes from the socket table, never from the signals.
    let after =
        read_table(config.sockets).map_err(|e| format!("cannot read the socket table: {e}"))?;
    let still = PortHolders::find(&after, config.port);
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

enum Sent {
    Ok,
    /// Not signalled, for a reason that is not an error.
    Skipped(&'static str, String),
    Denied(String),
}

/// Signal `holder` after checking, right before, that its pid is the same
/// process and still holds the port.
fn signal_checked(config: &KillConfig, holder: &Holder, sig: Signal) -> Sent {
    let pid = holder.process.pid;
    let now = process::lookup(&[pid]).into_iter().next();
    let holds = read_table(config.sockets)
        .map(|t| {
            PortHolders::find(&t, config.port)
                .holders
                .iter()
                .any(|h| h.process.pid == pid)
        })
        .unwrap_or(false);
    match recheck(&holder.process, now.as_ref(), holds) {
        Recheck::Same => {}
        Recheck::Gone => return Sent::Skipped("gone", format!("{pid} has already exited")),
        Recheck::Reused => {
            return Sent::Skipped(
                "not the same process",
                format!("pid {pid} is now another process: left alone"),
            );
        }
        Recheck::LetGo => {
            return Sent::Skipped(
                "no longer holds the port",
                format!("{pid} no longer holds port {}: left alone", config.port),
            );
        }
    }
    match signal::kill(Pid::from_raw(pid as i32), sig) {
        Ok(()) => Sent::Ok,
        Err(Errno::ESRCH) => Sent::Skipped("gone", format!("{pid} has already exited")),
        Err(Errno::EPERM) => {
            let owner = holder
                .process
                .user
                .clone()
                .or_else(|| holder.process.uid.map(|u| format!("uid {u}")))
                .unwrap_or_else(|| "another user".into());
            Sent::Denied(format!(
                "pid {pid} belongs to user {owner}: run as that user or with sudo"
            ))
        }
        Err(e) => Sent::Denied(format!("signalling {pid} failed: {e}")),
    }
}

/// Poll until the process is gone or `grace` is up; a spinner on a terminal.
fn wait_for_exit(pid: u32, grace: Duration, spinner: bool) -> bool {
    let bar = spinner.then(|| {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message(format!(
            "waiting up to {} ms for {pid} to exit",
            grace.as_millis()
        ));
        bar.enable_steady_tick(Duration::from_millis(80));
        bar
    });
    let start = Instant::now();
    let gone = loop {
        if !alive(pid) {
            break true;
        }
        if start.elapsed() >= grace {
            break false;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    gone
}

/// `[y/N]` on the terminal: only y or yes says yes.
fn ask(question: &str) -> bool {
    let mut err = std::io::stderr();
    let _ = write!(
        err,
        "{} [y/N] ",
        crate::escape::escape(&crate::redact::line(question))
    );
    let _ = err.flush();
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

fn describe(h: &Holder) -> String {
    let role = match h.role {
        Role::Master => ": master",
        Role::Worker => ": worker",
        Role::Single => "",
    };
    format!(
        "{}{role}, started {}",
        h.process.name,
        started(h.process.start_time)
    )
}

fn action(pid: u32, signal: &str, result: &str) -> Action {
    Action {
        pid,
        signal: signal.to_string(),
        result: result.to_string(),
    }
}

pub fn signal_name(sig: Signal) -> &'static str {
    sig.as_str()
}

/// The signal the command line named.
pub fn os_signal(arg: crate::cli::SignalArg) -> Signal {
    use crate::cli::SignalArg;
    match arg {
        SignalArg::Term => Signal::SIGTERM,
        SignalArg::Int => Signal::SIGINT,
        SignalArg::Hup => Signal::SIGHUP,
        SignalArg::Kill => Signal::SIGKILL,
    }
}

/// Human lines go to standard output, unless the report is JSON (then the
/// JSON is the only thing there and these lines go to standard error).
struct Output {
    json: bool,
}

impl Output {
    fn new(json: bool) -> Self {
        Output { json }
    }

    /// Each line names processes (their names and command lines are
    /// anyone's to choose), so it is escaped as a whole: none of these
    /// lines has a line break of its own.
    fn line(&mut self, text: &str) {
        // Holders' command lines carry their secrets (`--requirepass x`).
        let redacted = crate::redact::line(text);
        let text = crate::escape::escape(&redacted);
        if self.json {
            crate::say!("{text}");
        } else {
            crate::stdio::out_line(&text);
        }
    }

    fn list(&mut self, found: &PortHolders) {
        self.line(&format!("port {} is held by:", found.port));
        for h in &found.holders {
            let indent = if h.role == Role::Worker {
                "    └ "
            } else {
                "  "
            };
            let addrs = h
                .addrs
                .iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .join(", ");
            self.line(&format!(
                "{indent}{} on {addrs}, started {}",
                h.label(),
                started(h.process.start_time)
            ));
            self.line(&format!(
                "{}    {}",
                if h.role == Role::Worker { "  " } else { "" },
                h.command_line()
            ));
        }
        for uid in &found.hidden_owners {
            self.line(&format!(
                "  a process of {} (hidden from this user)",
                user_name(*uid)
            ));
        }
        if found.holders.iter().any(|h| h.role == Role::Master) {
            self.line("  (the master is what to signal: its workers exit with it, a killed worker is just respawned)");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(pid: u32, start: u64, name: &str) -> ProcessInfo {
        ProcessInfo {
            pid,
            ppid: Some(1),
            name: name.into(),
            cmdline: vec![name.into()],
            uid: Some(0),
            user: Some("root".into()),
            start_time: Some(start),
            memory_bytes: None,
            open_fds: None,
            fd_limit: None,
        }
    }

    #[test]
    fn a_reused_pid_is_never_signalled() {
        let listed = info(4242, 1000, "python3");
        assert_eq!(
            recheck(&listed, Some(&info(4242, 1000, "python3")), true),
            Recheck::Same
        );
        assert_eq!(
            recheck(&listed, Some(&info(4242, 2000, "python3")), true),
            Recheck::Reused
        );
        assert_eq!(
            recheck(&listed, Some(&info(4242, 1000, "bash")), true),
            Recheck::Reused
        );
        assert_eq!(recheck(&listed, None, false), Recheck::Gone);
        assert_eq!(
            recheck(&listed, Some(&info(4242, 1000, "python3")), false),
            Recheck::LetGo
        );
    }

    #[test]
    fn rtdoctor_its_parent_and_init_are_protected() {
        assert!(protected(1).is_some());
        assert!(protected(std::process::id()).is_some());
        assert!(protected(unistd::getppid().as_raw() as u32).is_some());
    }

    #[test]
    fn this_process_is_alive_and_a_missing_pid_is_not() {
        assert!(alive(std::process::id()));
        assert!(!alive(u32::MAX - 1));
    }
}
