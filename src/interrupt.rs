//! Ctrl-C during a soak (`--soak DUR`): the first one ends the soak early,
//! and the report of what was seen so far is still printed; a second one
//! ends rtdoctor at once. Without a soak, Ctrl-C keeps its default: the
//! run ends at once, as every check is short.

use std::sync::OnceLock;

use tokio::sync::watch;

use crate::notice::Notice;
use crate::settings::Verbosity;

fn state() -> &'static watch::Sender<bool> {
    static STATE: OnceLock<watch::Sender<bool>> = OnceLock::new();
    STATE.get_or_init(|| watch::Sender::new(false))
}

/// Catch Ctrl-C from now on, on the current tokio runtime.
pub fn listen(verbosity: Verbosity) {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_err() {
            return;
        }
        // Said before the soak hears it: the report, and the exit, follow
        // at once.
        Notice::Interrupted.tell(verbosity);
        state().send_replace(true);
        if tokio::signal::ctrl_c().await.is_ok() {
            // 128 + SIGINT, as a shell reports a process Ctrl-C ended.
            std::process::exit(130);
        }
    });
}

/// What a soak waits on besides its connection.
pub struct Stop(watch::Receiver<bool>);

/// A handle that says when Ctrl-C was pressed (never, unless `listen`).
pub fn stop() -> Stop {
    Stop(state().subscribe())
}

impl Stop {
    /// Resolves once Ctrl-C was pressed (at once if it already was).
    pub async fn wait(&mut self) {
        if self.0.wait_for(|pressed| *pressed).await.is_err() {
            // The sender lives for the whole process: never reached.
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test(start_paused = true)]
    async fn a_stop_waits_until_ctrl_c() {
        let mut stop = super::stop();
        let waited = tokio::time::timeout(std::time::Duration::from_secs(1), stop.wait()).await;
        assert!(waited.is_err(), "no Ctrl-C yet");
    }
}
