//! Terminal styling: colour only when asked for or when writing to a
//! terminal that wants it (`--color`, `NO_COLOR`, `TERM=dumb`), and the
//! status marks every human view shares.

use std::io::IsTerminal;

use crate::report::Status;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Whether to colour human output written to stdout. `NO_COLOR` (any
/// non-empty value) and `TERM=dumb` turn `auto` off; `always` wins over both.
pub fn use_color(choice: ColorChoice, env: &[(String, String)], to_terminal: bool) -> bool {
    let var = |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            to_terminal && var("NO_COLOR").is_none_or(str::is_empty) && var("TERM") != Some("dumb")
        }
    }
}

pub fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}

pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    pub fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }

    pub fn dim(&self, text: &str) -> String {
        self.paint("2", text)
    }

    pub fn cyan(&self, text: &str) -> String {
        self.paint("36", text)
    }

    pub fn status(&self, status: Status, text: &str) -> String {
        let code = match status {
            Status::Pass => "32",
            Status::Warn => "33",
            Status::Fail => "31;1",
            Status::Skip => "2",
        };
        self.paint(code, text)
    }

    pub fn mark(&self, status: Status) -> String {
        self.status(status, mark(status))
    }
}

pub fn mark(status: Status) -> &'static str {
    match status {
        Status::Pass => "✓",
        Status::Warn => "!",
        Status::Fail => "✗",
        Status::Skip => "–",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn color_follows_flag_env_and_terminal() {
        assert!(use_color(ColorChoice::Auto, &env(&[]), true));
        assert!(!use_color(ColorChoice::Auto, &env(&[]), false));
        assert!(!use_color(
            ColorChoice::Auto,
            &env(&[("NO_COLOR", "1")]),
            true
        ));
        assert!(use_color(
            ColorChoice::Auto,
            &env(&[("NO_COLOR", "")]),
            true
        ));
        assert!(!use_color(
            ColorChoice::Auto,
            &env(&[("TERM", "dumb")]),
            true
        ));
        assert!(use_color(
            ColorChoice::Always,
            &env(&[("NO_COLOR", "1")]),
            false
        ));
        assert!(!use_color(ColorChoice::Never, &env(&[]), true));
    }
}
