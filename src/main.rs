//! rtdoctor: parse the command line, resolve it into one configuration, run
//! it (which renders its result), and map the result to the exit code
//! (CONTRACT.md): 0 nothing failed, 1 a check failed, 2 usage or configuration
//! error, 3 rtdoctor itself broke. `rtdoctor::error::Error` decides 2 or 3.

#![forbid(unsafe_code)]

use std::process::ExitCode;

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
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli = match cli::parse_from(&argv) {
        Ok(cli) => cli,
        Err(err) => return tell_clap(&err, &argv),
    };
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
    let shown = |words: &str| escape(&redact::line(words)).into_owned();
    match err {
        Error::Usage(_) | Error::Usages(_) => {
            for sentence in err.sentences() {
                rtdoctor::say!("rtdoctor: error: {}", shown(&sentence));
            }
        }
        Error::Bug(_) => rtdoctor::say!(
            "rtdoctor: internal error (a bug): {}\n{REPORT_A_BUG}",
            shown(&format!("{err:#}"))
        ),
    }
    err.exit_code()
}

/// `--help` and `--version` on standard output (exit 0); a usage error in
/// the style of every other (`rtdoctor: error: …`, exit 2).
fn tell_clap(err: &clap::Error, argv: &[std::ffi::OsString]) -> ExitCode {
    // `rtdoctor` alone: the help, on stderr, is the answer (exit 2).
    let help = err.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand;
    if !err.use_stderr() || help {
        let _ = err.print();
        return ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(2));
    }
    let lines = cli::errors::lines(err, argv);
    let mut lines = lines.iter().map(|l| escape(&redact::line(l)).into_owned());
    if let Some(first) = lines.next() {
        rtdoctor::say!("rtdoctor: error: {first}");
    }
    for line in lines {
        rtdoctor::say!("{line}");
    }
    ExitCode::from(2)
}
