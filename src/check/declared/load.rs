//! Loading declared checks: the checks folder and its `*.toml` files, the
//! TOML schema, and validation, with errors that name the file, line and
//! field.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use super::{Declared, LoadError, json_of};
use crate::check::Check;
use crate::error::Error;
use crate::secret::{Header, Secret, parse_subprotocol};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    check: Vec<Decl>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Decl {
    pub(super) id: String,
    pub(super) title: String,
    /// Parsed into a `Kind` by `validate`, so an unknown kind is reported
    /// with the check's line and id, as every other field is.
    pub(super) kind: String,
    /// Shown as the fix when the check fails.
    pub(super) fix: String,
    pub(super) timeout: Option<String>,
    pub(super) path: Option<String>,
    pub(super) method: Option<String>,
    #[serde(default)]
    pub(super) headers: BTreeMap<String, Secret>,
    pub(super) body: Option<String>,
    pub(super) subprotocol: Option<String>,
    pub(super) send: Option<String>,
    pub(super) namespace: Option<String>,
    pub(super) auth: Option<Secret<toml::Value>>,
    pub(super) emit: Option<String>,
    #[serde(default)]
    pub(super) args: Vec<toml::Value>,
    #[serde(default)]
    pub(super) expect: Expect,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Expect {
    pub(super) status: Option<u16>,
    #[serde(default)]
    pub(super) header: BTreeMap<String, String>,
    pub(super) contains: Option<String>,
    pub(super) regex: Option<String>,
    /// JSON pointer → expected value.
    #[serde(default)]
    pub(super) json: BTreeMap<String, toml::Value>,
    /// socketio: the event to wait for instead of an ack.
    pub(super) event: Option<String>,
}

/// What a declared check speaks, from its `kind` string; each has a
/// driver in its own file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Http,
    Websocket,
    Socketio,
}

impl Kind {
    /// The string a check file names it by.
    pub(super) fn name(self) -> &'static str {
        match self {
            Kind::Http => "http",
            Kind::Websocket => "websocket",
            Kind::Socketio => "socketio",
        }
    }
}

impl std::str::FromStr for Kind {
    type Err = String;

    fn from_str(s: &str) -> Result<Kind, String> {
        match s {
            "http" => Ok(Kind::Http),
            "websocket" => Ok(Kind::Websocket),
            "socketio" => Ok(Kind::Socketio),
            other => Err(format!(
                "kind: '{other}' is not http, websocket or socketio"
            )),
        }
    }
}

/// Load every `*.toml` in `dir`, in name order.
pub fn load_dir(dir: &Path, builtin: &[&str]) -> Result<Vec<Arc<dyn Check>>, Error> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| {
            Error::usage(format!(
                "cannot read the checks folder {}: {e}",
                dir.display()
            ))
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut out: Vec<Arc<dyn Check>> = Vec::new();
    let mut errors = Vec::new();
    let mut ids: Vec<String> = builtin.iter().map(|s| s.to_string()).collect();
    for file in files {
        // A file that cannot be read as a regular file (a FIFO, a device,
        // one over the cap) is the user's input to fix, like a bad
        // --config; a file that reads but does not parse is a failing
        // `declared.load`, and the other checks run.
        let text =
            crate::input_file::read_text(&file, crate::input_file::CONFIG_CAP).map_err(|e| {
                Error::usage(format!(
                    "cannot read the check file {}: {e}",
                    file.display()
                ))
            })?;
        match load_file(&file, &text) {
            Ok(decls) => {
                for d in decls {
                    if ids.contains(&d.decl.id) {
                        errors.push(format!(
                            "{}: the id {} is used twice",
                            file.display(),
                            d.decl.id
                        ));
                        continue;
                    }
                    ids.push(d.decl.id.clone());
                    out.push(Arc::new(d));
                }
            }
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        out.push(Arc::new(LoadError {
            message: errors.join("; "),
        }));
    }
    Ok(out)
}

pub(super) fn load_file(path: &Path, text: &str) -> Result<Vec<Declared>, String> {
    // Before it is parsed: a load error may quote a header or auth value.
    crate::redact::remember(crate::redact::secret_values(text));
    let file: File = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text.get(..s.start).unwrap_or("").matches('\n').count() + 1)
            .unwrap_or(1);
        format!(
            "{}:{line}: {}",
            path.display(),
            e.message().trim().replace('\n', " ")
        )
    })?;
    let line_of = |id: &str| {
        text.lines()
            .position(|l| l.contains(&format!("\"{id}\"")))
            .map(|i| i + 1)
            .unwrap_or(1)
    };
    file.check
        .into_iter()
        .map(|decl| {
            let at = format!("{}:{}", path.display(), line_of(&decl.id));
            let kind = validate(&decl).map_err(|e| format!("{at}: {}: {e}", decl.id))?;
            let timeout = decl
                .timeout
                .as_deref()
                .map(crate::cli::parse_duration)
                .transpose()
                .map_err(|e| format!("{at}: {}: timeout: {e}", decl.id))?;
            let regex = decl
                .expect
                .regex
                .as_deref()
                .map(regex::Regex::new)
                .transpose()
                .map_err(|e| format!("{at}: {}: expect.regex: {e}", decl.id))?;
            let headers = decl
                .headers
                .iter()
                .map(|(k, v)| Header::new(k, v.expose()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("{at}: {}: headers: {e}", decl.id))?;
            if let Some(p) = &decl.subprotocol {
                parse_subprotocol(p).map_err(|e| format!("{at}: {}: subprotocol: {e}", decl.id))?;
            }
            let explain = format!(
                "Declared in {} ({} check).\n\n{}\n\nWhen it fails: {}",
                path.display(),
                kind.name(),
                describe(kind, &decl),
                decl.fix
            );
            Ok(Declared {
                decl,
                kind,
                headers,
                file: path.to_path_buf(),
                timeout,
                regex,
                explain,
            })
        })
        .collect()
}

/// The id's shape and the fields the kind needs; the kind it names.
fn validate(d: &Decl) -> Result<Kind, String> {
    if !d.id.contains('.')
        || !d
            .id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ".-_".contains(c))
    {
        return Err("id: use lowercase words with a dot, e.g. app.health".into());
    }
    let kind: Kind = d.kind.parse()?;
    match kind {
        Kind::Http | Kind::Websocket => {
            if d.path.is_none() {
                return Err(format!("path: a {} check needs a path", kind.name()));
            }
        }
        Kind::Socketio => {
            if d.emit.is_none() {
                return Err("emit: a socketio check needs an event to emit".into());
            }
        }
    }
    if kind == Kind::Websocket && d.send.is_none() {
        return Err("send: a websocket check needs a message to send".into());
    }
    Ok(kind)
}

/// What the check does, in a sentence, for `explain`.
fn describe(kind: Kind, d: &Decl) -> String {
    match kind {
        Kind::Http => super::http::describe(d),
        Kind::Websocket => super::websocket::describe(d),
        Kind::Socketio => super::socketio::describe(d),
    }
}

/// The expectation in words, for `explain`.
pub(super) fn expectations(e: &Expect) -> String {
    let mut parts = Vec::new();
    if let Some(s) = e.status {
        parts.push(format!("status {s}"));
    }
    for (k, v) in &e.header {
        parts.push(format!("header {k} containing {v:?}"));
    }
    if let Some(c) = &e.contains {
        parts.push(format!("{c:?} in it"));
    }
    if let Some(r) = &e.regex {
        parts.push(format!("a match for /{r}/"));
    }
    for (p, v) in &e.json {
        parts.push(format!("JSON {p} = {}", json_of(v)));
    }
    if parts.is_empty() {
        "anything".into()
    } else {
        parts.join(", ")
    }
}
