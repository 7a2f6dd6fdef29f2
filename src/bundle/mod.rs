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
use crate::report::Report;
use crate::settings::{BundleConfig, CheckConfig, Verbosity};
use crate::style::Style;
use crate::{ports, render};

use anonymize::Anonymizer;
pub use archive::SIZE_LIMIT;
use archive::{default_name, write_atomically};
use env::env_text;
use logs::{fit_logs, read_bounded, tail};
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
    let mut entries = vec![
        redacted("report.json", &render::json(report), redactor),
        redacted(
            "report.txt",
            &render::human(report, Verbosity::Verbose, Style::plain()),
            redactor,
        ),
        redacted("system.json", &json(&system(&mut notes)), &files),
    ];
    match table {
        Some(t) => {
            entries.push(redacted(
                "sockets.json",
                &ports::render_json(&ports::collect(t, &[])),
                &files,
            ));
            let holders: BTreeMap<u16, PortHolders> = config
                .targets
                .iter()
                .map(|tc| (tc.target.port, PortHolders::find(t, tc.target.port)))
                .collect();
            entries.push(redacted("processes.json", &json(&holders), &files));
        }
        None => notes
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
/// the manifest: the bundle is still written, without it.
fn unread(note: String) -> String {
    crate::say!("rtdoctor: the bundle leaves out {note}");
    note
}
