//! clap's errors in rtdoctor's words and style: a value that does not
//! parse names where it came from (`--timeout` or `RTDOCTOR_TIMEOUT`, not
//! `'--timeout <DUR>'` when no flag was typed) and says why once; every
//! other error keeps clap's text, usage and tip. The top level prints each
//! line after `rtdoctor: error: ` like every other usage error.

use std::error::Error as _;
use std::ffi::OsString;

use clap::error::{ContextKind, ContextValue, ErrorKind};

/// The lines to say for `err`, which came from parsing `argv`: the first
/// is the error, the others (clap's usage and tip) follow it as they are.
pub fn lines(err: &clap::Error, argv: &[OsString]) -> Vec<String> {
    if matches!(
        err.kind(),
        ErrorKind::ValueValidation | ErrorKind::InvalidValue
    ) && let Some(line) = bad_value(err, argv)
    {
        return vec![line];
    }
    let text = err.render().to_string();
    let text = text.strip_prefix("error: ").unwrap_or(&text);
    text.trim_end().lines().map(str::to_string).collect()
}

/// `--timeout: 'abc' is not a duration: …`, `RTDOCTOR_FORMAT: 'x' is not
/// one of human, json, junit`.
fn bad_value(err: &clap::Error, argv: &[OsString]) -> Option<String> {
    let ContextValue::String(arg) = err.get(ContextKind::InvalidArg)? else {
        return None;
    };
    let Some(long) = arg.strip_prefix("--") else {
        // A positional value: the reason quotes it.
        return match err.kind() {
            ErrorKind::ValueValidation => Some(err.source()?.to_string()),
            _ => None,
        };
    };
    let long = long.split([' ', '=']).next()?;
    let source = source(long, argv);
    let why = match err.kind() {
        ErrorKind::ValueValidation => err.source()?.to_string(),
        _ => {
            let value = match err.get(ContextKind::InvalidValue) {
                Some(ContextValue::String(v)) => v.as_str(),
                _ => "",
            };
            let valid = match err.get(ContextKind::ValidValue) {
                Some(ContextValue::Strings(v)) => v.join(", "),
                _ => return None,
            };
            format!("'{value}' is not one of {valid}")
        }
    };
    Some(format!("{source}: {why}"))
}

/// `--long` when the command line has it, else its variable when it has
/// one (the value came from there).
fn source(long: &str, argv: &[OsString]) -> String {
    let flag = format!("--{long}");
    let typed = argv.iter().any(|a| {
        let a = a.to_string_lossy();
        a == flag || a.starts_with(&format!("{flag}="))
    });
    let env = super::command().get_subcommands().find_map(|sub| {
        sub.get_arguments()
            .find(|a| a.get_long() == Some(long))
            .and_then(|a| a.get_env())
            .map(|e| e.to_string_lossy().into_owned())
    });
    match env {
        Some(var) if !typed => var,
        _ => flag,
    }
}
