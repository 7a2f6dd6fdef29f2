//! The one error type whose kind decides the exit code (CONTRACT.md): the
//! user's input or this machine refused (2), or rtdoctor itself broke (3).
//! A failed check is not an `Error` (it is an `Outcome`), and neither is a
//! wire failure a check reports as evidence; an `Error` means the command
//! could not be run as given.
//!
//! Which kind a failure is gets decided where it is known — reading the
//! file the user named, parsing the flag they typed — and travels with it,
//! instead of depending on where a `String` is mapped on the way up.

use std::fmt;
use std::process::ExitCode;

/// What the top level adds after a bug's words, and the panic hook after a
/// panic's.
pub const REPORT_A_BUG: &str =
    "Please report it with the command you ran and the output of `rtdoctor --version`.";

#[derive(Debug)]
pub enum Error {
    /// Exit 2: the user's input (a flag, a variable, a file they named) or
    /// the environment it met (an output path that cannot be written, a
    /// disk that filled up), with one sentence saying what.
    Usage(String),
    /// Exit 2: several mistakes in the user's input, each its own sentence,
    /// said together (every error of a config file, in the order of its
    /// lines, after those of the flags and variables).
    Usages(Vec<String>),
    /// Exit 3: rtdoctor broke; the top level asks for a bug report.
    Bug(anyhow::Error),
}

impl Error {
    pub fn usage(message: impl Into<String>) -> Error {
        Error::Usage(message.into())
    }

    /// All of `messages` at once; one is a plain `Usage`.
    pub fn usages(mut messages: Vec<String>) -> Error {
        if messages.len() == 1 {
            Error::Usage(messages.remove(0))
        } else {
            Error::Usages(messages)
        }
    }

    /// Each sentence of a usage error, one per mistake.
    pub fn sentences(&self) -> Vec<String> {
        match self {
            Error::Usage(message) => vec![message.clone()],
            Error::Usages(messages) => messages.clone(),
            Error::Bug(err) => vec![format!("{err:#}")],
        }
    }

    pub fn bug(err: impl Into<anyhow::Error>) -> Error {
        Error::Bug(err.into())
    }

    /// The same failure, with `what` said first (`--auth: …`).
    pub fn context(self, what: impl fmt::Display) -> Error {
        match self {
            Error::Usage(message) => Error::Usage(format!("{what}: {message}")),
            Error::Usages(messages) => Error::Usages(
                messages
                    .into_iter()
                    .map(|m| format!("{what}: {m}"))
                    .collect(),
            ),
            Error::Bug(err) => Error::Bug(err.context(what.to_string())),
        }
    }

    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::Usage(_) | Error::Usages(_) => ExitCode::from(2),
            Error::Bug(_) => ExitCode::from(3),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(message) => f.write_str(message),
            Error::Usages(messages) => f.write_str(&messages.join("\n")),
            Error::Bug(err) => write!(f, "{err:#}"),
        }
    }
}

impl std::error::Error for Error {}

/// `.context("--auth")` on a failure in words: the words are about the
/// user's input, and `what` says which.
pub trait Context<T> {
    fn context(self, what: impl fmt::Display) -> Result<T, Error>;
    fn with_context<D: fmt::Display>(self, what: impl FnOnce() -> D) -> Result<T, Error>;
}

impl<T> Context<T> for Result<T, String> {
    fn context(self, what: impl fmt::Display) -> Result<T, Error> {
        self.map_err(|e| Error::Usage(e).context(what))
    }

    fn with_context<D: fmt::Display>(self, what: impl FnOnce() -> D) -> Result<T, Error> {
        self.map_err(|e| Error::Usage(e).context(what()))
    }
}

impl<T> Context<T> for Result<T, Error> {
    fn context(self, what: impl fmt::Display) -> Result<T, Error> {
        self.map_err(|e| e.context(what))
    }

    fn with_context<D: fmt::Display>(self, what: impl FnOnce() -> D) -> Result<T, Error> {
        self.map_err(|e| e.context(what()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kind_decides_the_exit_code() {
        assert_eq!(Error::usage("x").exit_code(), ExitCode::from(2));
        assert_eq!(
            Error::bug(anyhow::anyhow!("x")).exit_code(),
            ExitCode::from(3)
        );
    }

    #[test]
    fn context_is_said_first_and_keeps_the_kind() {
        let err: Result<(), String> = Err("not JSON".into());
        let err = err.context("--auth").unwrap_err();
        assert_eq!(err.to_string(), "--auth: not JSON");
        assert_eq!(err.exit_code(), ExitCode::from(2));
        let bug = Error::bug(anyhow::anyhow!("index out of range")).context("rendering");
        assert_eq!(bug.to_string(), "rendering: index out of range");
        assert_eq!(bug.exit_code(), ExitCode::from(3));
        let many = Error::usages(vec!["a".into(), "b".into()]).context("x");
        assert_eq!(many.sentences(), ["x: a", "x: b"]);
        assert_eq!(many.exit_code(), ExitCode::from(2));
        assert!(matches!(Error::usages(vec!["a".into()]), Error::Usage(_)));
    }
}
