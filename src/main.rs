//! rtdoctor: parse the command line, resolve it into one configuration, run
//! it (which renders its result), and map the result to the exit code
//! (CONTRACT.md): 0 nothing failed, 1 a check failed, 2 usage or configuration
//! error, 3 rtdoctor itself broke. `rtdoctor::error::Error` decides 2 or 3.

#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;

use rtdoctor::error::{Error, REPORT_A_BUG};
use rtdoctor::escape::escape;
use rtdoctor::{cli, commands, redact, resolve};

fn main() -> ExitCode {
    // Once per run, however many checks crash: a panicking check becomes
    // that check's failure and the others go on. Through `say!`, which
    // never panics: a panic inside this hook would abort the process.
    let told = std::sync::atomic::AtomicBool::new(false);
    std::panic::set_hook(Box::new(move |info| {
        if !told.swap(true, std::sync::atomic::Ordering::SeqCst) {
            rtdoctor::say!(
                "rtdoctor: internal error (a bug): {}\n{REPORT_A_BUG}",
                escape(&info.to_string())
            );
        }
    }));
    // Clap prints its own usage errors and exits with 2.
    let cli = cli::Cli::parse();
    // Before anything can fail: an error that echoes a malformed -H or
    // --auth must not print its value.
    redact::remember(resolve::raw_secrets(&cli));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        let resolved = resolve::resolve(cli)?;
        // Runs the command and renders what it found.
        commands::run(resolved)
    }));
    match outcome {
        Ok(Ok(code)) => code,
        Ok(Err(err)) => tell(&err),
        // The panic hook has already said what happened.
        Err(_) => ExitCode::from(3),
    }
}

/// Say what went wrong on standard error; its kind is the exit code.
fn tell(err: &Error) -> ExitCode {
    // A message may quote a config file, a target or a server.
    let words = escape(&redact::line(&format!("{err:#}"))).into_owned();
    match err {
        Error::Usage(_) => rtdoctor::say!("rtdoctor: error: {words}"),
        Error::Bug(_) => {
            rtdoctor::say!("rtdoctor: internal error (a bug): {words}\n{REPORT_A_BUG}")
        }
    }
    err.exit_code()
}
