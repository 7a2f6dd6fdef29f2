//! User-declared smoke checks: TOML files in a folder (`--checks DIR`, or
//! `checks = "DIR"` in rtdoctor.toml). Each `[[check]]` is one of three
//! kinds (`http`, `websocket`, `socketio`) and becomes a `Check` like any
//! built-in one, so the runner, the renderers, `checks` and `explain` never
//! tell them apart. A file that does not load becomes a failing
//! `declared.load` result with its path, line and field; the rest still run.
//!
//! This file is the adapter (`Declared`, `LoadError`) and what every kind
//! shares: headers, the expectation matcher, the failure with its fix.
//! `load` reads and validates the files; `http`, `websocket` and `socketio`
//! each drive one kind.

mod http;
mod load;
mod socketio;
mod websocket;

pub use load::load_dir;

use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;

use super::{Check, Ctx};
use crate::report::{Fix, Outcome};
use crate::secret::Header;
use load::{Decl, Kind};

/// One `[[check]]` of a file, loaded and validated.
pub struct Declared {
    decl: Decl,
    kind: Kind,
    /// The check's own `headers`, checked as `-H` values are.
    headers: Vec<Header>,
    file: PathBuf,
    timeout: Option<Duration>,
    regex: Option<regex::Regex>,
    explain: String,
}

/// A file that did not load, reported as a check so the run goes on.
pub struct LoadError {
    message: String,
}

fn json_of(v: &toml::Value) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

impl Declared {
    /// The run's `-H` headers, then the check's own.
    fn headers(&self, ctx: &Ctx) -> Vec<Header> {
        let mut headers = ctx.probe.headers.clone();
        headers.extend(self.headers.iter().cloned());
        headers
    }

    /// Text (a body, a message, an ack) against contains / regex / json.
    fn matches(&self, text: &str) -> Result<(), String> {
        let e = &self.decl.expect;
        if let Some(c) = &e.contains
            && !text.contains(c.as_str())
        {
            return Err(format!("{c:?} is not in it"));
        }
        if let Some(r) = &self.regex
            && !r.is_match(text)
        {
            return Err(format!("no match for /{}/", r.as_str()));
        }
        if !e.json.is_empty() {
            let value: Value =
                serde_json::from_str(text).map_err(|err| format!("it is not JSON ({err})"))?;
            for (pointer, want) in &e.json {
                let want = json_of(want);
                match value.pointer(pointer) {
                    Some(got) if *got == want => {}
                    Some(got) => return Err(format!("{pointer} is {got}, not {want}")),
                    None => return Err(format!("{pointer} is missing")),
                }
            }
        }
        Ok(())
    }

    fn fail(&self, summary: String) -> Outcome {
        Outcome::fail(summary).fix(Fix::new(self.decl.title.clone(), self.decl.fix.clone()))
    }
}

#[async_trait]
impl Check for Declared {
    fn id(&self) -> &str {
        &self.decl.id
    }

    fn title(&self) -> &str {
        &self.decl.title
    }

    fn explain(&self) -> &str {
        &self.explain
    }

    fn secrets(&self) -> Vec<String> {
        let mut known: Vec<String> = self
            .headers
            .iter()
            .map(|h| h.value().expose().clone())
            .collect();
        if let Some(auth) = &self.decl.auth {
            crate::redact::json_strings(&json_of(auth.expose()), &mut known);
        }
        known
    }

    fn needs(&self) -> &[&str] {
        &["port.listen", "tls.certificate"]
    }

    async fn run(&self, ctx: &Ctx) -> Outcome {
        let timeout = self.timeout.unwrap_or(ctx.probe.timeout);
        let out = match self.kind {
            Kind::Http => self.http(ctx, timeout).await,
            Kind::Websocket => self.websocket(ctx, timeout).await,
            Kind::Socketio => self.socketio(ctx, timeout).await,
        };
        out.evidence("declared in", self.file.display().to_string())
    }
}

#[async_trait]
impl Check for LoadError {
    fn id(&self) -> &str {
        "declared.load"
    }

    fn title(&self) -> &str {
        "Declared checks load"
    }

    fn explain(&self) -> &str {
        "Reports declared check files (--checks DIR) that could not be read or parsed, with the \
file, line and field; the checks of the other files still run."
    }

    async fn run(&self, _: &Ctx) -> Outcome {
        Outcome::fail(self.message.clone()).fix(Fix::new(
            "Fix the check file",
            "Each [[check]] needs id, title, kind (http, websocket or socketio) and fix; unknown keys are refused.",
        ))
    }
}

/// The first check of a file's text, loaded as `--checks` loads it: the
/// kinds' unit tests start from what a user writes.
#[cfg(test)]
fn declared(toml: &str) -> Declared {
    let mut loaded = load::load_file(std::path::Path::new("checks/test.toml"), toml)
        .unwrap_or_else(|e| panic!("{e}"));
    loaded.remove(0)
}
