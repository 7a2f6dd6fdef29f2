//! The person at the terminal: `[y/N]` questions before each signal, and
//! a spinner while a signalled process is given time to exit.

use std::io::{BufRead, IsTerminal, Write};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use crate::os::Platform;

/// Who answers `kill`'s questions.
pub trait Prompt {
    /// Whether anyone is there to ask.
    fn interactive(&self) -> bool;
    /// A yes/no question; only a clear yes says yes.
    fn ask(&mut self, question: &str) -> bool;
}

/// Standard input, when it is a terminal.
pub struct Terminal;

impl Prompt for Terminal {
    fn interactive(&self) -> bool {
        std::io::stdin().is_terminal()
    }

    /// `[y/N]` on the terminal: only y or yes says yes.
    fn ask(&mut self, question: &str) -> bool {
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
}

/// Poll until the process is gone or `grace` is up; a spinner on a terminal.
pub fn wait_for_exit(os: &dyn Platform, pid: u32, grace: Duration, spinner: bool) -> bool {
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
        if !os.alive(pid) {
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
