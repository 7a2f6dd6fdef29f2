//! Signals delivered to the holders of a port, one holder at a time: the
//! question, the re-check, the signal, the wait, and SIGKILL offered to a
//! process that outlives its grace period. Each signal, the first or the
//! SIGKILL after it, goes through the one `send` step.

use std::time::Duration;

use super::KillConfig;
use super::action::{Action, Done};
use super::output::{Output, describe};
use super::policy::{Recheck, protected, recheck};
use super::prompt::{Prompt, wait_for_exit};
use crate::holders::{Holder, PortHolders};
use crate::os::{Platform, Signal, SignalError};

/// How long a process is given to exit after SIGKILL.
const KILL_GRACE: Duration = Duration::from_secs(2);

pub struct Delivery<'a> {
    pub os: &'a dyn Platform,
    pub config: &'a KillConfig,
    pub out: &'a mut Output,
    pub prompt: &'a mut dyn Prompt,
    /// A spinner while waiting: on a terminal, and not for JSON.
    pub spinner: bool,
    pub actions: Vec<Action>,
}

/// Whether to go on with the next holder.
#[derive(PartialEq, Eq)]
pub enum Flow {
    Next,
    /// A signal was not allowed: the others would not be either.
    Stop,
}

/// How one `send` ended.
enum Step {
    Exited,
    StillRunning,
    /// Not signalled, for a reason that is not an error.
    Skipped,
    Blocked,
}

/// What the re-check and the signal found.
enum Sent {
    Ok,
    Skipped(Done, String),
    Denied(String),
}

impl Delivery<'_> {
    /// Everything done to one holder.
    pub fn holder(&mut self, holder: &Holder) -> Flow {
        let pid = holder.process.pid;
        let sig = self.config.signal;
        let name = sig.name();
        if let Some(why) = protected(self.os, pid) {
            self.out.line(&format!("not signalling {pid}: {why}"));
            self.act(pid, sig, Done::Protected);
            return Flow::Next;
        }
        if self.config.dry_run {
            self.out.line(&format!(
                "would send {name} to {pid} ({})",
                describe(holder)
            ));
            self.act(pid, sig, Done::WouldSend);
            return Flow::Next;
        }
        if !self.confirm(&format!("Send {name} to {pid} ({})?", describe(holder))) {
            self.out.line(&format!("left {pid} alone"));
            self.act(pid, sig, Done::Declined);
            return Flow::Next;
        }
        match self.send(holder, sig, self.config.grace, false) {
            Step::Blocked => return Flow::Stop,
            Step::Exited | Step::Skipped => return Flow::Next,
            Step::StillRunning if sig == Signal::Kill => return Flow::Next,
            Step::StillRunning => {}
        }
        let question = format!(
            "{pid} is still running after {} ms. Send SIGKILL?",
            self.config.grace.as_millis()
        );
        if !self.confirm(&question) {
            self.out.line(&format!("left {pid} running"));
            self.act(pid, Signal::Kill, Done::Declined);
            return Flow::Next;
        }
        match self.send(holder, Signal::Kill, KILL_GRACE, true) {
            Step::Blocked => Flow::Stop,
            _ => Flow::Next,
        }
    }

    /// Re-check, signal, wait up to `grace`, and say how it went. The
    /// SIGKILL that `follows_up` a signal says "sent" once it knows
    /// whether the process exited.
    fn send(&mut self, holder: &Holder, sig: Signal, grace: Duration, follows_up: bool) -> Step {
        let pid = holder.process.pid;
        match self.signal_checked(holder, sig) {
            Sent::Ok => {}
            Sent::Skipped(done, message) => {
                self.out.line(&message);
                self.act(pid, sig, done);
                return Step::Skipped;
            }
            Sent::Denied(message) => {
                self.out.line(&message);
                self.act(pid, sig, Done::PermissionDenied);
                return Step::Blocked;
            }
        }
        if !follows_up {
            self.out.line(&format!("sent {} to {pid}", sig.name()));
        }
        let exited = wait_for_exit(self.os, pid, grace, self.spinner);
        if follows_up {
            let how = if exited { "; it exited" } else { "" };
            self.out.line(&format!("sent {} to {pid}{how}", sig.name()));
        } else if exited {
            self.out.line(&format!("{pid} exited"));
        }
        if exited {
            self.act(pid, sig, Done::Exited);
            Step::Exited
        } else {
            self.act(pid, sig, Done::StillRunning);
            Step::StillRunning
        }
    }

    /// Signal `holder` after checking, right before, that its pid is the
    /// same process and still holds the port.
    fn signal_checked(&self, holder: &Holder, sig: Signal) -> Sent {
        let pid = holder.process.pid;
        let port = self.config.port;
        let now = self.os.processes(&[pid]).into_iter().next();
        let holds = (self.os)
            .socket_table_with_owners(self.config.sockets)
            .map(|t| {
                PortHolders::find_with(self.os, &t, port)
                    .holders
                    .iter()
                    .any(|h| h.process.pid == pid)
            })
            .unwrap_or(false);
        let gone = || Sent::Skipped(Done::Gone, format!("{pid} has already exited"));
        match recheck(&holder.process, now.as_ref(), holds) {
            Recheck::Same => {}
            Recheck::Gone => return gone(),
            Recheck::Reused => {
                return Sent::Skipped(
                    Done::NotTheSame,
                    format!("pid {pid} is now another process: left alone"),
                );
            }
            Recheck::LetGo => {
                return Sent::Skipped(
                    Done::LetGo,
                    format!("{pid} no longer holds port {port}: left alone"),
                );
            }
        }
        match self.os.signal(pid, sig) {
            Ok(()) => Sent::Ok,
            Err(SignalError::Gone) => gone(),
            Err(SignalError::Denied) => {
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
            Err(SignalError::Failed(e)) => Sent::Denied(format!("signalling {pid} failed: {e}")),
        }
    }

    fn confirm(&mut self, question: &str) -> bool {
        self.config.yes || self.prompt.ask(question)
    }

    fn act(&mut self, pid: u32, signal: Signal, done: Done) {
        self.actions.push(Action::new(pid, signal, done));
    }
}
