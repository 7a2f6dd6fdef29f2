//! The body of each subcommand: run the resolved configuration and say
//! which exit code the result means.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::check::Check;
use crate::error::{Context, Error};
use crate::notice::Notice;
use crate::resolve::Resolved;
use crate::settings::{CheckConfig, Format, PortsConfig, ProbeSettings, TargetConfig};
use crate::style::Style;
use crate::{catalogue, machine, ports, render, runner};

pub fn run(resolved: Resolved) -> Result<ExitCode, Error> {
    match resolved {
        Resolved::Check(config, checks) => check(&config, &checks),
        Resolved::Ports(config) => ports(&config),
        Resolved::Kill(config) => kill(&config),
        Resolved::Checks(checks) => print(&catalogue::list(&checks)),
        Resolved::Explain(id, checks) => print(&catalogue::explain(
            &checks,
            &id,
            Style::plain_stdout(crate::style::stdout_is_terminal()).width,
        )?),
        Resolved::Completions(shell) => {
            // Into memory first: clap_complete panics when its writer fails
            // (`rtdoctor completions fish | head`).
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut crate::cli::command(), "rtdoctor", &mut script);
            print(&String::from_utf8_lossy(&script))
        }
    }
}

/// `work` on a runtime of its own, which is then let go without waiting
/// for the blocking tasks still running (a scan of every process's open
/// files, on a host with hundreds of thousands of them): dropping a runtime waits for
/// them, which would stretch the run past its documented bound. What they
/// would have found is already reported as not finished.
fn block_on<F: std::future::Future>(work: F) -> Result<F::Output, Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::bug(e).context("starting the async runtime"))?;
    let out = runtime.block_on(work);
    runtime.shutdown_background();
    Ok(out)
}

fn check(config: &CheckConfig, checks: &[Arc<dyn Check>]) -> Result<ExitCode, Error> {
    if let Some(probe) = &config.discover {
        let mut config = config.clone();
        config.targets = discover(&config, probe)?;
        config.discover = None;
        return check(&config, checks);
    }
    let total = config
        .targets
        .iter()
        .map(|t| runner::selected(config, checks, &t.probe).len())
        .sum();
    let bar = spinner(config.progress, total);
    let soak = config.targets.iter().filter_map(|t| t.probe.soak).max();
    let on_done: Arc<dyn Fn() + Send + Sync> = {
        let bar = bar.clone();
        Arc::new(move || bar.inc(1))
    };
    // Known before the run: its progress lines on stderr hide them too.
    let redactor = redactor_for(config, checks);
    let machine = Arc::new(crate::machine::Machine::new(
        config.env.clone(),
        config.sockets,
    ));
    // The run's bound holds for the whole process: the bundle takes the
    // socket table the run's checks read (or are still reading) within
    // what is left of it, and never starts that scan again.
    let bound = config.wait.unwrap_or_default()
        + config
            .targets
            .iter()
            .map(|t| runner::run_budget(&t.probe))
            .max()
            .unwrap_or_default();
    let (report, table) = block_on(async {
        let deadline = tokio::time::Instant::now() + bound;
        if let Some(soak) = soak {
            crate::interrupt::listen(config.verbosity);
            tokio::spawn(soak_left(bar.clone(), soak));
        }
        let report = runner::run_on(config, checks, machine.clone(), on_done).await;
        let table = match &config.bundle {
            Some(_) => tokio::time::timeout_at(deadline, machine.sockets())
                .await
                .ok()
                .and_then(Result::ok),
            None => None,
        };
        (report, table)
    })?;
    let mut report = report.map_err(Error::Bug)?;
    report.redact(&redactor);
    // The checks are done: the spinner goes before the bundle's notes
    // (an input it could not read) are said on stderr, not over them.
    bar.finish_and_clear();
    let written = match &config.bundle {
        Some(bundle) => Some(crate::bundle::write(
            &report,
            config,
            bundle,
            table.as_deref(),
            &redactor,
        )?),
        None => None,
    };
    let bundle_line = written.as_ref().map(|w| {
        format!(
            "wrote {} ({} KiB, {} files, {} values redacted)\n",
            w.path.display(),
            w.size.div_ceil(1024),
            w.files,
            w.redactions
        )
    });
    if config.bundle_only {
        let summary = crate::bundle::summary_line(&report);
        print(&format!("{summary}\n{}", bundle_line.unwrap_or_default()))?;
        return Ok(if report.crashed.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(3)
        });
    }
    if let Some(line) = &bundle_line {
        crate::stdio::err(line);
    }

    let text = match config.format {
        Format::Human => render::human(
            &report,
            config.verbosity,
            Style::stdout(
                config.color,
                &config.env,
                config.output.is_none() && crate::style::stdout_is_terminal(),
            ),
        ),
        Format::Json => render::json(&report),
        Format::Junit => render::junit(&report, config.strict),
    };
    match &config.output {
        Some(path) => write_file(path, &text)?,
        None => print(&text).map(|_| ())?,
    }
    Ok(if !report.crashed.is_empty() {
        // The panic hook has said so on stderr; the report says which.
        ExitCode::from(3)
    } else if report.failed(config.strict) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// No target named: find the local real-time servers, say what was found
/// on standard error, and check those.
fn discover(config: &CheckConfig, probe: &ProbeSettings) -> Result<Vec<TargetConfig>, Error> {
    let table = machine::read_table(config.sockets).context("cannot read the socket table")?;
    let tls = crate::probe::tls::client_config(None, false).map_err(Error::usage)?;
    let http = crate::probe::http::Http::new(tls).map_err(Error::usage)?;
    let found = block_on(crate::discover::run(&table, &http))?;
    let skipped = || {
        for s in &found.skipped {
            Notice::Skipped(s).tell(config.verbosity);
        }
        if !found.not_http.is_empty() {
            Notice::NotHttp(&found.not_http).tell(config.verbosity);
        }
    };
    if found.servers.is_empty() {
        skipped();
        return Err(Error::usage(format!(
            "no target given, and none of the {} local TCP listeners answered as a Socket.IO or WebSocket server: \
name one (rtdoctor check 8765, rtdoctor check ws://localhost:8080/ws) or list [[target]] tables in rtdoctor.toml",
            found.listeners
        )));
    }
    Notice::Found {
        servers: found.servers.len(),
        listeners: found.listeners,
    }
    .tell(config.verbosity);
    for server in &found.servers {
        Notice::Server(server).tell(config.verbosity);
    }
    skipped();
    Ok(found
        .servers
        .into_iter()
        .map(|f| {
            let mut probe = probe.clone();
            probe.port_range = ProbeSettings::default_range(f.target.port);
            TargetConfig {
                target: f.target,
                probe,
            }
        })
        .collect())
}

/// What this run knows to be secret: the values of `-H` and config-file
/// headers, the strings of `--auth`, and the declared checks' own. They
/// are remembered for the lines written on standard error too.
pub fn redactor_for(config: &CheckConfig, checks: &[Arc<dyn Check>]) -> crate::redact::Redactor {
    let mut known = Vec::new();
    for t in &config.targets {
        known.extend(t.probe.headers.iter().map(|h| h.value().expose().clone()));
        if let Some(auth) = &t.probe.auth {
            crate::redact::json_strings(auth.expose(), &mut known);
        }
    }
    for c in checks {
        known.extend(c.secrets());
    }
    crate::redact::remember(known);
    // With what was remembered before: the raw command line's values and
    // the config and declared-check files' secrets.
    crate::redact::Redactor::new(crate::redact::remembered())
}

fn spinner(enabled: bool, total: usize) -> ProgressBar {
    if !enabled {
        return ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::hidden());
    }
    let bar = ProgressBar::new(total as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} checking… {pos}/{len}{msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(80));
    bar
}

/// `--soak`: the spinner also shows the time the soak has left, once a
/// second (a hidden spinner draws nothing).
async fn soak_left(bar: ProgressBar, soak: Duration) {
    let end = tokio::time::Instant::now() + soak;
    let mut stop = crate::interrupt::stop();
    loop {
        let left = end.saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() {
            bar.set_message("");
            return;
        }
        bar.set_message(format!(
            " · soaking, {} s left",
            left.as_secs_f64().ceil() as u64
        ));
        tokio::select! {
            _ = stop.wait() => {
                bar.set_message(" · interrupted");
                return;
            }
            _ = tokio::time::sleep(Duration::from_secs(1).min(left)) => {}
        }
    }
}

fn ports(config: &PortsConfig) -> Result<ExitCode, Error> {
    let table = machine::read_table(config.sockets).context("cannot read the socket table")?;
    let report = ports::collect(&table, &config.ranges);
    print(&if config.json {
        ports::render_json(&report)
    } else {
        ports::render_table(
            &report,
            Style::plain_stdout(crate::style::stdout_is_terminal()),
            config.verbose,
        )
    })
}

fn kill(config: &crate::kill::KillConfig) -> Result<ExitCode, Error> {
    use crate::kill::Ending;
    let (report, ending) = crate::kill::run(config).map_err(Error::usage)?;
    if let Ending::Refused(why) = &ending {
        // CONTRACT.md: a refused action (no terminal to ask on, no --yes) is exit 2.
        return Err(Error::usage(why.clone()));
    }
    if config.json {
        let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
        text.push('\n');
        print(&text)?;
    }
    Ok(match ending {
        Ending::Done => ExitCode::SUCCESS,
        Ending::StillHeld | Ending::Refused(_) => ExitCode::from(1),
    })
}

/// A closed pipe (`rtdoctor ports | head`) is not an error worth a word.
fn print(text: &str) -> Result<ExitCode, Error> {
    crate::stdio::out(text.as_bytes())
        .map(|()| ExitCode::SUCCESS)
        .map_err(|e| Error::usage(format!("cannot write to standard output: {e}")))
}

/// `-o FILE`: a path the user named (or their config file did), so a
/// failure to write it is theirs to fix (exit 2).
fn write_file(path: &Path, text: &str) -> Result<(), Error> {
    std::fs::write(path, text).map_err(|e| {
        Error::usage(format!(
            "cannot write the report to {}: {e}",
            path.display()
        ))
    })
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn a_run_ends_without_waiting_for_its_abandoned_blocking_work() {
        let (release, held) = mpsc::channel::<()>();
        let (ended, end) = mpsc::channel();
        let (finished, scan_done) = mpsc::channel();
        std::thread::spawn(move || {
            let out = super::block_on(async move {
                // A scan that outlives the run: it waits to be released.
                let scan = tokio::task::spawn_blocking(move || {
                    let _ = held.recv();
                    let _ = finished.send(());
                });
                // The run gives up on it, as the runner does at its bound.
                let _ = tokio::time::timeout(Duration::from_millis(10), scan).await;
                "report"
            });
            let _ = ended.send(out.ok());
        });
        // Not a timing: a minute only stops the test from hanging when
        // block_on does wait for the scan, which never ends on its own.
        let out = end.recv_timeout(Duration::from_secs(60));
        assert_eq!(out, Ok(Some("report")), "block_on waited for the scan");
        // The scan was still running when the run ended.
        assert!(scan_done.try_recv().is_err());
        let _ = release.send(());
    }
}
