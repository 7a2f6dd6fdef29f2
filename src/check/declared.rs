//! User-declared smoke checks: TOML files in a folder (`--checks DIR`, or
//! `checks = "DIR"` in rtdoctor.toml). Each `[[check]]` is one of three
//! kinds (`http`, `websocket`, `socketio`) and becomes a `Check` like any
//! built-in one, so the runner, the renderers, `checks` and `explain` never
//! tell them apart. A file that does not load becomes a failing
//! `declared.load` result with its path, line and field; the rest still run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::Value;

use super::{Check, Ctx};
use crate::probe::engineio::Session;
use crate::probe::ws::{self, Received};
use crate::protocol::engineio::{Kind as EioKind, Packet};
use crate::protocol::socketio::{self, ConnectReply, Kind as SioKind};
use crate::report::{Fix, Outcome};
use crate::secret::{Header, Secret, parse_subprotocol};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    check: Vec<Decl>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Decl {
    id: String,
    title: String,
    kind: String,
    /// Shown as the fix when the check fails.
    fix: String,
    timeout: Option<String>,
    path: Option<String>,
    method: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, Secret>,
    body: Option<String>,
    subprotocol: Option<String>,
    send: Option<String>,
    namespace: Option<String>,
    auth: Option<Secret<toml::Value>>,
    emit: Option<String>,
    #[serde(default)]
    args: Vec<toml::Value>,
    #[serde(default)]
    expect: Expect,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    status: Option<u16>,
    #[serde(default)]
    header: BTreeMap<String, String>,
    contains: Option<String>,
    regex: Option<String>,
    /// JSON pointer → expected value.
    #[serde(default)]
    json: BTreeMap<String, toml::Value>,
    /// socketio: the event to wait for instead of an ack.
    event: Option<String>,
}

pub struct Declared {
    decl: Decl,
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

/// Load every `*.toml` in `dir`, in name order.
pub fn load_dir(dir: &Path, builtin: &[&str]) -> Result<Vec<Arc<dyn Check>>, String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read the checks folder {}: {e}", dir.display()))?
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
        let text = crate::input_file::read_text(&file, crate::input_file::CONFIG_CAP)
            .map_err(|e| format!("cannot read the check file {}: {e}", file.display()))?;
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

fn load_file(path: &Path, text: &str) -> Result<Vec<Declared>, String> {
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
            validate(&decl).map_err(|e| format!("{at}: {}: {e}", decl.id))?;
            let timeout = decl
                .timeout
                .as_deref()
                .map(crate::config::parse_duration)
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
                decl.kind,
                describe(&decl),
                decl.fix
            );
            Ok(Declared {
                decl,
                headers,
                file: path.to_path_buf(),
                timeout,
                regex,
                explain,
            })
        })
        .collect()
}

fn validate(d: &Decl) -> Result<(), String> {
    if !d.id.contains('.')
        || !d
            .id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ".-_".contains(c))
    {
        return Err("id: use lowercase words with a dot, e.g. app.health".into());
    }
    match d.kind.as_str() {
        "http" | "websocket" => {
            if d.path.is_none() {
                return Err(format!("path: a {} check needs a path", d.kind));
            }
        }
        "socketio" => {
            if d.emit.is_none() {
                return Err("emit: a socketio check needs an event to emit".into());
            }
        }
        other => {
            return Err(format!(
                "kind: '{other}' is not http, websocket or socketio"
            ));
        }
    }
    if d.kind == "websocket" && d.send.is_none() {
        return Err("send: a websocket check needs a message to send".into());
    }
    Ok(())
}

fn describe(d: &Decl) -> String {
    match d.kind.as_str() {
        "http" => format!(
            "Sends {} {} and expects {}.",
            d.method.as_deref().unwrap_or("GET"),
            d.path.as_deref().unwrap_or("/"),
            expectations(&d.expect)
        ),
        "websocket" => format!(
            "Connects to {}, sends {:?} and expects a message with {}.",
            d.path.as_deref().unwrap_or("/"),
            d.send.as_deref().unwrap_or(""),
            expectations(&d.expect)
        ),
        _ => format!(
            "Connects to the Socket.IO namespace {}, emits {:?} and expects {} with {}.",
            d.namespace.as_deref().unwrap_or("/"),
            d.emit.as_deref().unwrap_or(""),
            d.expect
                .event
                .as_deref()
                .map(|e| format!("the event {e:?}"))
                .unwrap_or_else(|| "an ack".into()),
            expectations(&d.expect)
        ),
    }
}

fn expectations(e: &Expect) -> String {
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

    async fn http(&self, ctx: &Ctx, timeout: Duration) -> Outcome {
        let http = match ctx.host.http_for(&ctx.probe) {
            Ok(h) => h,
            Err(e) => return Outcome::fail(e),
        };
        let mut url = ctx.target.url.clone();
        let _ = url.set_scheme(if ctx.target.scheme.is_tls() {
            "https"
        } else {
            "http"
        });
        let (path, query) = self
            .decl
            .path
            .as_deref()
            .unwrap_or("/")
            .split_once('?')
            .map_or(
                (self.decl.path.as_deref().unwrap_or("/"), None),
                |(p, q)| (p, Some(q)),
            );
        url.set_path(path);
        url.set_query(query);
        let headers = self.headers(ctx);
        let method = self
            .decl
            .method
            .as_deref()
            .unwrap_or("GET")
            .to_ascii_uppercase();
        let answer = match method.as_str() {
            "GET" => http.get(&url, &headers, timeout).await,
            "POST" => {
                http.post(
                    &url,
                    self.decl.body.clone().unwrap_or_default(),
                    &headers,
                    timeout,
                )
                .await
            }
            "OPTIONS" => http.options(&url, &headers, timeout).await,
            other => {
                return Outcome::fail(format!(
                    "method {other} is not supported (GET, POST, OPTIONS)"
                ));
            }
        };
        let answer = match answer {
            Ok(a) => a,
            Err(f) => return self.fail(format!("{method} {} got {f}", url.path())),
        };
        let mut out = if let Some(want) = self.decl.expect.status.filter(|s| *s != answer.status) {
            self.fail(format!(
                "{method} {} answered {}, not {want}",
                url.path(),
                answer.status
            ))
        } else if let Some((k, v)) = self
            .decl
            .expect
            .header
            .iter()
            .find(|(k, v)| !answer.header(k).is_some_and(|h| h.contains(v.as_str())))
        {
            self.fail(format!(
                "the header {k} does not contain {v:?} (it is {:?})",
                answer.header(k).unwrap_or("absent")
            ))
        } else {
            match self.matches(&answer.body_text()) {
                Ok(()) => Outcome::pass(format!(
                    "{method} {}: {} as expected",
                    url.path(),
                    answer.status_line()
                )),
                Err(e) => self.fail(format!(
                    "{method} {} answered {}, but {e}",
                    url.path(),
                    answer.status_line()
                )),
            }
        };
        answer.add_evidence(&mut out, "response");
        out
    }

    async fn websocket(&self, ctx: &Ctx, timeout: Duration) -> Outcome {
        let mut url = ctx.target.url.clone();
        let _ = url.set_scheme(if ctx.target.scheme.is_tls() {
            "wss"
        } else {
            "ws"
        });
        url.set_path(self.decl.path.as_deref().unwrap_or("/"));
        let mut headers = self.headers(ctx);
        if let Some(p) = &self.decl.subprotocol {
            match Header::new("Sec-WebSocket-Protocol", p) {
                Ok(h) => headers.push(h),
                Err(e) => return self.fail(e),
            }
        }
        // The run's trust (--cacert, --insecure), as every other probe
        // has it; a trust that cannot be built is this check's failure.
        let tls = match ctx.host.ws_tls_for(&ctx.probe) {
            Ok(tls) => tls,
            Err(e) => return self.fail(format!("cannot set up TLS for the upgrade: {e}")),
        };
        let mut conn = match ws::connect(&url, &headers, timeout, tls).await {
            Ok(c) => c,
            Err(ws::ConnectError::Refused(a)) => {
                return self.fail(format!(
                    "the upgrade to {} was answered {}",
                    url.path(),
                    a.who()
                ));
            }
            Err(ws::ConnectError::Failed(f)) => {
                return self.fail(format!("the upgrade to {} got {f}", url.path()));
            }
            Err(ws::ConnectError::Protocol(e) | ws::ConnectError::WrongAccept(e)) => {
                return self.fail(format!("the upgrade to {} failed: {e}", url.path()));
            }
        };
        let send = self.decl.send.clone().unwrap_or_default();
        if let Err(f) = ws::send(&mut conn.stream, &send, timeout).await {
            return self.fail(format!("sending the message got {f}"));
        }
        let deadline = Instant::now() + timeout;
        let mut seen = Vec::new();
        let out = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match ws::recv(&mut conn.stream, left.max(Duration::from_millis(10))).await {
                Ok(Received::Text(t)) => {
                    if self.matches(&t).is_ok() {
                        break Outcome::pass(format!(
                            "sent {:?} and got {}",
                            send,
                            crate::protocol::preview(t.as_bytes(), 120)
                        ));
                    }
                    seen.push(t);
                    if seen.len() >= 32 {
                        break self.fail(format!("none of {} messages matched", seen.len()));
                    }
                }
                Ok(Received::Binary(n)) => seen.push(format!("({n} binary bytes)")),
                Ok(Received::Closed(_)) => {
                    break self
                        .fail("the server closed the connection before a matching message".into());
                }
                Err(e) => {
                    break self.fail(format!(
                        "no matching message: {e} ({} other message(s))",
                        seen.len()
                    ));
                }
            }
        };
        let _ = ws::close(&mut conn.stream, Duration::from_millis(500).min(timeout)).await;
        let mut out = out;
        for m in seen.iter().take(5) {
            out.push_evidence("received", crate::protocol::preview(m.as_bytes(), 160));
        }
        out
    }

    async fn socketio(&self, ctx: &Ctx, timeout: Duration) -> Outcome {
        let d = ctx.engineio().await;
        let (endpoint, http) = match d.session() {
            Ok(s) => s,
            Err(skip) => return skip,
        };
        let eio = endpoint.eio;
        let nsp = self.decl.namespace.clone().unwrap_or_else(|| "/".into());
        let mut session = match Session::open(http, endpoint, timeout).await {
            Ok(s) => s,
            Err(h) => return self.fail(format!("a session did not open: {}", h.summary())),
        };
        let auth = self
            .decl
            .auth
            .as_ref()
            .map(|a| Secret::new(json_of(a.expose())))
            .or_else(|| ctx.probe.auth.clone());
        let deadline = Instant::now() + timeout;
        let result = async {
            if !(eio == crate::protocol::engineio::Eio::V3 && nsp == "/") {
                let connect = socketio::connect(&nsp, auth.as_ref().map(Secret::expose), eio);
                session
                    .send(&[Packet::new(EioKind::Message, connect)], timeout)
                    .await
                    .map_err(|f| format!("CONNECT got {f}"))?;
            }
            let mut packets: Vec<socketio::Packet> = Vec::new();
            let mut connected = false;
            let mut emitted = false;
            while Instant::now() < deadline {
                for p in &packets {
                    if let Some(reply) = socketio::connect_reply(p, &nsp) {
                        match reply {
                            ConnectReply::Connected { .. } => connected = true,
                            ConnectReply::Refused { message } => {
                                return Err(format!(
                                    "the CONNECT to {nsp} was refused: {message:?}"
                                ));
                            }
                        }
                    }
                    let want_event = self.decl.expect.event.as_deref();
                    let hit = match (want_event, p.kind) {
                        (None, SioKind::Ack) if p.id == Some(1) && p.namespace == nsp => true,
                        (Some(ev), SioKind::Event) if p.namespace == nsp => {
                            p.data
                                .as_ref()
                                .and_then(|d| d.get(0))
                                .and_then(Value::as_str)
                                == Some(ev)
                        }
                        _ => false,
                    };
                    if hit {
                        let text = p.data.as_ref().map(|d| d.to_string()).unwrap_or_default();
                        // An ack's or event's arguments: match the first one, else all.
                        let first = p.data.as_ref().and_then(|d| {
                            let i = usize::from(want_event.is_some());
                            d.get(i).map(|v| {
                                v.as_str()
                                    .map(str::to_owned)
                                    .unwrap_or_else(|| v.to_string())
                            })
                        });
                        let ok = first.as_deref().is_some_and(|f| self.matches(f).is_ok())
                            || self.matches(&text).is_ok();
                        return if ok {
                            Ok(text)
                        } else {
                            Err(format!("the answer {text} does not match"))
                        };
                    }
                }
                packets.clear();
                if connected && !emitted {
                    let mut data = vec![Value::String(self.decl.emit.clone().unwrap_or_default())];
                    data.extend(self.decl.args.iter().map(json_of));
                    let id = self.decl.expect.event.is_none().then_some(1);
                    let event =
                        socketio::encode(SioKind::Event, &nsp, id, Some(&Value::Array(data)));
                    session
                        .send(&[Packet::new(EioKind::Message, event)], timeout)
                        .await
                        .map_err(|f| format!("the emit got {f}"))?;
                    emitted = true;
                }
                let left = deadline
                    .saturating_duration_since(Instant::now())
                    .max(Duration::from_millis(10));
                let got = session
                    .receive(left)
                    .await
                    .map_err(|e| format!("waiting: {e}"))?;
                packets = got
                    .iter()
                    .filter(|p| p.kind == EioKind::Message)
                    .filter_map(|p| socketio::decode(&p.data).ok())
                    .collect();
                if got.iter().any(|p| p.kind == EioKind::Close) {
                    return Err("the server closed the session".into());
                }
            }
            Err(format!("no answer within {} ms", timeout.as_millis()))
        }
        .await;
        session.close(Duration::from_millis(500)).await;
        match result {
            Ok(text) => Outcome::pass(format!(
                "emitted {:?} on {nsp} and got {}",
                self.decl.emit.as_deref().unwrap_or(""),
                crate::protocol::preview(text.as_bytes(), 120)
            )),
            Err(e) => self.fail(e),
        }
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
        &["port.listen"]
    }

    async fn run(&self, ctx: &Ctx) -> Outcome {
        let timeout = self.timeout.unwrap_or(ctx.probe.timeout);
        let out = match self.decl.kind.as_str() {
            "http" => self.http(ctx, timeout).await,
            "websocket" => self.websocket(ctx, timeout).await,
            _ => self.socketio(ctx, timeout).await,
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
