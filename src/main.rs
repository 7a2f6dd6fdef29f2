//! rtdoctor: parse the command line, resolve it into one configuration, run
//! it, render the result, and map it to the exit code (SPEC.md):
//! 0 nothing failed, 1 a check failed, 2 usage or configuration error,
//! 3 rtdoctor itself broke.

#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;

use rtdoctor::commands::{self, Failure};
use rtdoctor::escape::escape;
use rtdoctor::{check, cli, redact};

fn main() -> ExitCode {
    // Once per run, however many checks crash: a panicking check becomes
    // that check's failure and the others go on. Through `say!`, which
    // never panics: a panic inside this hook would abort the process.
    let told = std::sync::atomic::AtomicBool::new(false);
    std::panic::set_hook(Box::new(move |info| {
        if !told.swap(true, std::sync::atomic::Ordering::SeqCst) {
            rtdoctor::say!(
                "rtdoctor: internal error (a bug): {}\n\
                 Please report it with the command you ran and the output of `rtdoctor --version`.",
                escape(&info.to_string())
            );
        }
    }));
    // Clap prints its own usage errors and exits with 2.
    let cli = cli::Cli::parse();
    // Before anything can fail: an error that echoes a malformed -H or
    // --auth must not print its value.
    redact::remember(cli.raw_secrets());
    let mut checks = check::registry();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        let resolved = cli.resolve(&mut checks).map_err(Failure::Usage)?;
        commands::run(resolved, &checks)
    }));
    match outcome {
        Ok(Ok(code)) => code,
        Ok(Err(Failure::Usage(msg))) => {
            // A message may quote a config file, a target or a server.
            rtdoctor::say!("rtdoctor: error: {}", escape(&redact::line(&msg)));
            ExitCode::from(2)
        }
        Ok(Err(Failure::Internal(err))) => {
            rtdoctor::say!(
                "rtdoctor: internal error (a bug): {}\n\
                 Please report it with the command you ran and the output of `rtdoctor --version`.",
                escape(&redact::line(&format!("{err:#}")))
            );
            ExitCode::from(3)
        }
        // The panic hook has already said what happened.
        Err(_) => ExitCode::from(3),
    }
}
