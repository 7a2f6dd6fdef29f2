//! `rtdoctor bundle` / `check --bundle`: a redacted `.tar.gz` to attach to a
//! bug report: the report, this machine, its sockets and the target ports'
//! holders, the variables that matter, log tails and config copies. Every
//! file goes through the redactor; the archive is written to a temporary
//! file (mode 0600) and renamed into place, so a failed write leaves nothing.

mod anonymize;
mod archive;
mod env;
mod logs;
mod packages;
mod system;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::Error;
use crate::holders::PortHolders;
use crate::os::SocketTable;
use crate::redact::Redactor;
use crate::report::{Report, Status};
use crate::settings::{BundleConfig, CheckConfig, Verbosity};
use crate::style::Style;
use crate::{ports, render};

use anonymize::Anonymizer;
pub use archive::SIZE_LIMIT;
use archive::{default_name, write_atomically};
use env::env_text;
use logs::{fit_logs, read_bounded, tail};
use packages::Python;
use system::system;

pub struct Written {
    pub path: PathBuf,
    pub size: u64,
    pub files: usize,
    pub redactions: usize,
}

struct Entry {
    name: String,
    bytes: Vec<u8>,
    redactions: usize,
}

pub fn write(
    report: &Report,
    config: &CheckConfig,
    bundle: &BundleConfig,
    table: Option<&SocketTable>,
    redactor: &Redactor,
) -> Result<Written, Error> {
    let files = redactor.for_files();
    let mut notes = Vec::new();
    // The targets' holders: in processes.json, and the server whose own
    // Python is asked for its packages.
    let holders: Option<BTreeMap<u16, PortHolders>> = table.map(|t| {
        config
            .targets
            .iter()
            .map(|tc| (tc.target.port, PortHolders::find(t, tc.target.port)))
            .collect()
    });
    let python = Python::for_servers(
        &*crate::os::native(),
        holders.as_ref().unwrap_or(&BTreeMap::new()),
    );
    let mut entries = vec![
        redacted("report.json", &render::json(report), redactor),
        redacted(
            "report.txt",
            &render::human(report, Verbosity::Verbose, Style::plain()),
            redactor,
        ),
        redacted("system.json", &json(&system(&python, &mut notes)), &files),
    ];
    match (table, &holders) {
        (Some(t), Some(holders)) => {
            entries.push(redacted(
                "sockets.json",
                &ports::render_json(&ports::collect(t, &[])),
                &files,
            ));
            entries.push(redacted("processes.json", &json(holders), &files));
        }
        _ => notes
            .push("the socket table could not be read within the run's bound: no sockets.json or processes.json".into()),
    }
    entries.push(redacted("env.txt", &env_text(&config.env), &files));
    // Log tails and config copies: what is cut to keep the bundle under
    // the size limit, both of them.
    let mut cuttable = Vec::new();
    for path in &bundle.logs {
        match tail(path, bundle.log_lines, &files) {
            Ok((text, redactions)) => cuttable.push(Entry {
                name: format!("logs/{}", file_name(path)),
                bytes: text.into_bytes(),
                redactions,
            }),
            Err(e) => notes.push(unread(format!("--log {}: {e}", path.display()))),
        }
    }
    for path in &bundle.config_files {
        match read_bounded(path) {
            Ok(text) => cuttable.push(redacted(
                &format!("config/{}", file_name(path)),
                &text,
                &files,
            )),
            Err(e) => notes.push(unread(format!("--config-file {}: {e}", path.display()))),
        }
    }
    fit_logs(&mut cuttable, entries.iter().map(|e| e.bytes.len()).sum());
    entries.extend(cuttable);
    if bundle.anonymize {
        let anon = Anonymizer::new();
        for e in &mut entries {
            e.bytes = anon.apply(&String::from_utf8_lossy(&e.bytes)).into_bytes();
        }
        for n in &mut notes {
            *n = anon.apply(n);
        }
    }
    let redactions = entries.iter().map(|e| e.redactions).sum();
    let manifest = archive::manifest(report.started_at.clone(), bundle.anonymize, &entries, notes);
    entries.insert(0, manifest);
    let path = match &bundle.path {
        Some(p) => p.clone(),
        None => PathBuf::from(default_name(bundle.anonymize)),
    };
    let size = write_atomically(&path, &entries)?;
    Ok(Written {
        path,
        size,
        files: entries.len(),
        redactions,
    })
}

/// The line `rtdoctor bundle` ends with, where no report is shown: the
/// counts, naming the checks that warned or failed (with their target when
/// there are several): "1 passed, 1 warning (net.dualstack), 1 failed
/// (socketio.upgrade), 0 skipped".
pub fn summary_line(report: &Report) -> String {
    let several = report.targets.len() > 1;
    let named = |status: Status| {
        let mut ids: Vec<String> = Vec::new();
        for t in &report.targets {
            for c in t.checks.iter().filter(|c| c.status == status) {
                let id = if several {
                    format!("{} on {}", c.id, t.target)
                } else {
                    c.id.clone()
                };
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
        ids.join(", ")
    };
    report.summary.line(|status, part| match status {
        Status::Warn | Status::Fail if !named(status).is_empty() => {
            format!("{part} ({})", named(status))
        }
        _ => part.to_string(),
    })
}

fn redacted(name: &str, text: &str, r: &Redactor) -> Entry {
    let (text, redactions) = r.count(text);
    Entry {
        name: name.to_string(),
        bytes: text.into_bytes(),
        redactions,
    }
}

fn json<T: Serialize>(value: &T) -> String {
    let mut s = serde_json::to_string_pretty(value).unwrap_or_default();
    s.push('\n');
    s
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "unnamed".into())
}

/// A bundle input that could not be read is said on stderr as well as in
/// the manifest, in words (without the OS's error number): the bundle is
/// still written, without it.
fn unread(note: String) -> String {
    let note = match note.find(" (os error ") {
        Some(at) if note.ends_with(')') => note[..at].to_string(),
        _ => note,
    };
    crate::say!("rtdoctor: the bundle leaves out {note}");
    note
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{CheckResult, TargetReport};

    fn check(id: &str, status: Status) -> CheckResult {
        CheckResult {
            id: id.into(),
            title: id.into(),
            status,
            summary: String::new(),
            evidence: Vec::new(),
            fixes: Vec::new(),
            duration_ms: 1,
        }
    }

    fn target(name: &str, checks: Vec<CheckResult>) -> TargetReport {
        TargetReport {
            target: name.into(),
            status: crate::report::overall(checks.iter().map(|c| &c.status)),
            connect_ms: None,
            checks,
        }
    }

    #[test]
    fn the_summary_names_the_checks_that_warned_or_failed() {
        let one = || {
            target(
                "http://localhost:8000",
                vec![
                    check("port.listen", Status::Pass),
                    check("net.dualstack", Status::Warn),
                    check("socketio.upgrade", Status::Fail),
                    check("tls.certificate", Status::Skip),
                ],
            )
        };
        let report = Report::new("now".into(), 1, vec![one()]);
        assert_eq!(
            summary_line(&report),
            "1 passed, 1 warning (net.dualstack), 1 failed (socketio.upgrade), 1 skipped"
        );
        let mut other = one();
        other.target = "http://localhost:9000".into();
        other.checks.retain(|c| c.status != Status::Warn);
        let report = Report::new("now".into(), 1, vec![one(), other]);
        assert_eq!(
            summary_line(&report),
            "2 passed, 1 warning (net.dualstack on http://localhost:8000), 2 failed \
(socketio.upgrade on http://localhost:8000, socketio.upgrade on http://localhost:9000), 2 skipped"
        );
        let clean = Report::new(
            "now".into(),
            1,
            vec![target("x", vec![check("port.listen", Status::Pass)])],
        );
        assert_eq!(
            summary_line(&clean),
            "1 passed, 0 warnings, 0 failed, 0 skipped"
        );
    }
}
