//! Terminal styling: colour only when asked for or when writing to a
//! terminal that wants it (`--color`, `NO_COLOR`, `TERM=dumb`), the width
//! human output is wrapped to (a terminal's, never a pipe's or a file's),
//! the status marks every human view shares, and their ASCII forms for a
//! locale that is not UTF-8.

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
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            to_terminal
                && var(env, "NO_COLOR").is_none_or(str::is_empty)
                && var(env, "TERM") != Some("dumb")
        }
    }
}

pub fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}

pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

/// The width to wrap human output to: `None` (no wrapping) unless it goes
/// to a terminal; then `COLUMNS` when it is a number, as ripgrep and cargo
/// read it, else the terminal's own width, else 80.
pub fn wrap_width(
    env: &[(String, String)],
    to_terminal: bool,
    measured: Option<usize>,
) -> Option<usize> {
    if !to_terminal {
        return None;
    }
    let columns = var(env, "COLUMNS").and_then(|v| v.trim().parse::<usize>().ok());
    Some(
        columns
            .filter(|c| *c > 0)
            .or(measured)
            .unwrap_or(80)
            .max(MIN_WIDTH),
    )
}

/// Narrower than this, wrapping makes things worse, not better.
const MIN_WIDTH: usize = 40;

/// The width of the terminal standard output is, as the kernel says it.
pub fn measured_width() -> Option<usize> {
    terminal_size::terminal_size().map(|(w, _)| usize::from(w.0))
}

/// Whether the locale's character set is UTF-8: the first of `LC_ALL`,
/// `LC_CTYPE`, `LANG` that is set and not empty decides; none set is the
/// "C" locale, which is ASCII.
pub fn utf8_locale(env: &[(String, String)]) -> bool {
    ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .find_map(|name| var(env, name).filter(|v| !v.is_empty()))
        .is_some_and(|v| {
            let v = v.to_ascii_lowercase();
            v.contains("utf-8") || v.contains("utf8")
        })
}

fn var<'a>(env: &'a [(String, String)], name: &str) -> Option<&'a str> {
    env.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// How human output looks: coloured or not, wrapped to a width or not,
/// Unicode marks or their ASCII forms.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub color: bool,
    /// `None`: written to a pipe or a file, every line whole.
    pub width: Option<usize>,
    pub ascii: bool,
}

impl Style {
    /// No colour, no wrapping, Unicode marks: for a file (the bundle's).
    pub fn plain() -> Self {
        Style {
            color: false,
            width: None,
            ascii: false,
        }
    }

    /// Standard output's style without colour (`ports`, `explain`,
    /// `kill`), from this process's environment: its width when
    /// `to_terminal`, and the locale's marks.
    pub fn plain_stdout(to_terminal: bool) -> Self {
        let env: Vec<(String, String)> = std::env::vars().collect();
        Style::stdout(false, &env, to_terminal)
    }

    /// The style of standard output, from this process's environment.
    pub fn stdout(color: bool, env: &[(String, String)], to_terminal: bool) -> Self {
        Style {
            color,
            width: wrap_width(env, to_terminal, measured_width()),
            ascii: !utf8_locale(env),
        }
    }

    /// `text` as this terminal can show it: under an ASCII locale, the
    /// typographic marks rtdoctor itself writes become their ASCII forms.
    pub fn text<'a>(&self, text: &'a str) -> std::borrow::Cow<'a, str> {
        if !self.ascii || text.is_ascii() {
            return text.into();
        }
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            match c {
                '…' => out.push_str("..."),
                '—' | '–' => out.push('-'),
                '→' => out.push_str("->"),
                '←' => out.push_str("<-"),
                '×' => out.push('x'),
                '≥' => out.push_str(">="),
                '≤' => out.push_str("<="),
                '└' => out.push_str("`-"),
                '‘' | '’' => out.push('\''),
                '“' | '”' => out.push('"'),
                _ => out.push(c),
            }
        }
        out.into()
    }
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
        let mark = if self.ascii {
            ascii_mark(status)
        } else {
            mark(status)
        };
        self.status(status, mark)
    }

    /// How many columns a mark takes.
    pub fn mark_width(&self) -> usize {
        if self.ascii { 2 } else { 1 }
    }
}

/// The marks under a locale that is not UTF-8: two columns each, so the
/// ids after them stay aligned.
pub fn ascii_mark(status: Status) -> &'static str {
    match status {
        Status::Pass => "ok",
        Status::Warn => "!!",
        Status::Fail => "XX",
        Status::Skip => "--",
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

    #[test]
    fn width_is_the_terminals_or_columns_and_none_off_a_terminal() {
        assert_eq!(wrap_width(&env(&[]), true, Some(120)), Some(120));
        assert_eq!(
            wrap_width(&env(&[("COLUMNS", "80")]), true, Some(120)),
            Some(80)
        );
        assert_eq!(
            wrap_width(&env(&[("COLUMNS", "x")]), true, Some(100)),
            Some(100)
        );
        assert_eq!(wrap_width(&env(&[("COLUMNS", "0")]), true, None), Some(80));
        assert_eq!(wrap_width(&env(&[]), true, Some(10)), Some(MIN_WIDTH));
        assert_eq!(
            wrap_width(&env(&[("COLUMNS", "80")]), false, Some(80)),
            None
        );
    }

    #[test]
    fn the_locale_decides_utf8_in_posix_order() {
        assert!(utf8_locale(&env(&[("LANG", "C.UTF-8")])));
        assert!(utf8_locale(&env(&[("LANG", "en_US.utf8")])));
        assert!(!utf8_locale(&env(&[("LANG", "C")])));
        assert!(!utf8_locale(&env(&[])));
        assert!(!utf8_locale(&env(&[("LC_ALL", "C"), ("LANG", "C.UTF-8")])));
        assert!(utf8_locale(&env(&[
            ("LC_ALL", ""),
            ("LC_CTYPE", "de_DE.UTF-8"),
            ("LANG", "C")
        ])));
        assert!(!utf8_locale(&env(&[
            ("LC_CTYPE", "POSIX"),
            ("LANG", "C.UTF-8")
        ])));
    }

    #[test]
    fn ascii_marks_and_text_under_a_c_locale() {
        let ascii = Style {
            color: false,
            width: None,
            ascii: true,
        };
        let marks: Vec<String> = [Status::Pass, Status::Warn, Status::Fail, Status::Skip]
            .map(|s| ascii.mark(s))
            .to_vec();
        assert_eq!(marks, ["ok", "!!", "XX", "--"]);
        assert!(marks.iter().all(|m| m.len() == ascii.mark_width()));
        assert_eq!(
            ascii.text("rtdoctor check … — a → b └ x"),
            "rtdoctor check ... - a -> b `- x"
        );
        assert_eq!(Style::plain().mark(Status::Pass), "✓");
        assert_eq!(Style::plain().text("a … b"), "a … b");
    }
}
