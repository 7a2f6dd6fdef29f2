//! Which Engine.IO version a server speaks, asked once per target (both
//! versions at once with `--eio auto`), and which server family answered:
//! the facts every Socket.IO check starts from. `discover.rs` is something
//! else (the scan for local servers); this is the version probe.

use super::engineio::{self, Endpoint, Handshake};
use super::http::Http;
use crate::protocol::engineio::{Eio, ErrorKind, Kind, Packet};
use crate::report::Outcome;
use crate::settings::{EioMode, ProbeSettings};
use crate::target::Target;

/// What the version probe found at one target.
pub struct EioVersion {
    /// The endpoint at the version the server speaks (or the one asked).
    pub endpoint: Endpoint,
    /// The answer to `EIO=4`, when asked.
    pub v4: Option<Handshake>,
    /// The answer to `EIO=3`, when asked.
    pub v3: Option<Handshake>,
    /// The version further probes use; `None` when no session opened.
    pub speaks: Option<Eio>,
    /// Set when no probe could be made at all.
    pub error: Option<String>,
    /// Engine.IO was not served at the path asked but is under the
    /// target's path (a proxy prefix: `location /app/ { proxy_pass …/; }`):
    /// the path that answered, e.g. `/app/socket.io/`.
    pub under_prefix: Option<String>,
    /// The HTTP client for this target's TLS settings, shared by the
    /// checks that use the session.
    http: Option<Http>,
    /// The close of the sessions these handshakes opened, under way.
    closing: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// `http` is the client for the target's TLS settings, or why there is none.
pub async fn discover(
    target: &Target,
    p: &ProbeSettings,
    http: Result<Http, String>,
) -> EioVersion {
    let base = Endpoint::new(target, &p.socketio_path, Eio::V4, p.headers.clone());
    let http = match http {
        Ok(h) => h,
        Err(e) => {
            return EioVersion {
                endpoint: base,
                v4: None,
                v3: None,
                speaks: None,
                error: Some(e),
                under_prefix: None,
                http: None,
                closing: std::sync::Mutex::default(),
            };
        }
    };
    let http = &http;
    let ask = |eio: Eio| {
        let ep = base.with_eio(eio);
        async move { engineio::handshake(http, &ep, p.timeout).await }
    };
    let (v4, v3) = match p.eio {
        EioMode::Auto => {
            let (a, b) = tokio::join!(ask(Eio::V4), ask(Eio::V3));
            (Some(a), Some(b))
        }
        EioMode::V4 => (Some(ask(Eio::V4).await), None),
        EioMode::V3 => (None, Some(ask(Eio::V3).await)),
    };
    // Hand the sessions these handshakes opened back to the server, both
    // at once, while the checks go on with what was found.
    let closes: Vec<_> = [(&v4, Eio::V4), (&v3, Eio::V3)]
        .into_iter()
        .filter_map(|(h, eio)| match h {
            Some(Handshake::Open {
                open, eio: framing, ..
            }) => Some((
                base.with_eio(if *framing == eio { eio } else { *framing }),
                open.sid.clone(),
            )),
            _ => None,
        })
        .collect();
    let closing = {
        let (http, timeout) = (http.clone(), p.timeout);
        tokio::spawn(async move {
            let close = [Packet::new(Kind::Close, "")];
            let each = closes
                .iter()
                .map(|(ep, sid)| engineio::post(&http, ep, sid, &close, timeout));
            futures_util::future::join_all(each).await;
        })
    };
    let opened = |h: &Option<Handshake>| match h {
        Some(Handshake::Open { eio, .. }) => Some(*eio),
        _ => None,
    };
    let speaks = match (opened(&v4), opened(&v3)) {
        (Some(Eio::V4), _) => Some(Eio::V4),
        (Some(Eio::V3), _) | (_, Some(Eio::V3)) => Some(Eio::V3),
        (_, Some(Eio::V4)) => Some(Eio::V4),
        (None, None) => None,
    };
    let under_prefix = match speaks {
        None => prefixed(target, p, http).await,
        Some(_) => None,
    };
    EioVersion {
        under_prefix,
        endpoint: base.with_eio(speaks.unwrap_or(match p.eio {
            EioMode::V3 => Eio::V3,
            _ => Eio::V4,
        })),
        v4,
        v3,
        speaks,
        error: None,
        http: Some(http.clone()),
        closing: std::sync::Mutex::new(Some(closing)),
    }
}

/// When nothing answered at the Engine.IO path: the same path under the
/// target's own path, if a session opens there (and is closed again).
async fn prefixed(target: &Target, p: &ProbeSettings, http: &Http) -> Option<String> {
    let prefix = target.url.path().trim_matches('/');
    if prefix.is_empty() || target.path_namespace(&p.socketio_path).is_none() {
        return None;
    }
    let path = format!("/{prefix}/{}", p.socketio_path.trim_matches('/'));
    let ep = Endpoint::new(target, &path, Eio::V4, p.headers.clone());
    match engineio::handshake(http, &ep, p.timeout).await {
        Handshake::Open {
            open, eio: framing, ..
        } => {
            let close = [Packet::new(Kind::Close, "")];
            let ep = ep.with_eio(framing);
            let _ = engineio::post(http, &ep, &open.sid, &close, p.timeout).await;
            Some(ep.path().to_string())
        }
        _ => None,
    }
}

impl EioVersion {
    /// The server family, from whichever handshake answer tells.
    pub fn family(&self) -> Family {
        [&self.v4, &self.v3]
            .into_iter()
            .flatten()
            .map(family)
            .find(|f| *f != Family::Unknown)
            .unwrap_or(Family::Unknown)
    }

    /// For the checks that need a session: the endpoint and the shared
    /// client, or the skip that says why there is none.
    /// Once the sessions the version probe opened are closed (each close
    /// is bounded by the probe timeout).
    pub async fn closed(&self) {
        let closing = self
            .closing
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(closing) = closing {
            let _ = closing.await;
        }
    }

    pub fn session(&self) -> Result<(&Endpoint, &Http), Outcome> {
        if self.speaks.is_none() {
            return Err(Outcome::skip(
                "no Engine.IO session could be opened (see socketio.handshake)",
            ));
        }
        match &self.http {
            Some(http) => Ok((&self.endpoint, http)),
            None => Err(Outcome::fail(
                "cannot make HTTP requests (see socketio.handshake)",
            )),
        }
    }
}

/// Which server family answered, from how it answers: Node's engine.io
/// sends JSON errors with a code, python-engineio plain text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Node,
    Python,
    Unknown,
}

pub fn family(h: &Handshake) -> Family {
    let answer = match h {
        Handshake::Open { answer, .. }
        | Handshake::Refused { answer, .. }
        | Handshake::NotEngineIo { answer, .. } => answer,
        Handshake::Failed(_) => return Family::Unknown,
    };
    if let Handshake::Refused { error, .. } = h {
        return if error.code.is_some() {
            Family::Node
        } else {
            Family::Python
        };
    }
    let server = answer.server().unwrap_or("").to_ascii_lowercase();
    if [
        "python",
        "aiohttp",
        "uvicorn",
        "gunicorn",
        "werkzeug",
        "hypercorn",
        "eventlet",
        "gevent",
        "tornado",
    ]
    .iter()
    .any(|s| server.contains(s))
    {
        Family::Python
    } else if answer
        .header("x-powered-by")
        .is_some_and(|v| v.contains("Express"))
    {
        Family::Node
    } else {
        Family::Unknown
    }
}

/// A version refusal: this request's version is not spoken there.
pub fn refuses_version(h: &Option<Handshake>) -> bool {
    matches!(h, Some(Handshake::Refused { error, .. }) if error.kind == ErrorKind::UnsupportedProtocolVersion)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::recorded::{self, answer};
    use crate::probe::engineio::classify_handshake;

    fn family_of(recorded: &str) -> Family {
        family(&classify_handshake(answer(recorded)))
    }

    #[test]
    fn the_family_shows_in_how_a_server_refuses_or_what_it_calls_itself() {
        assert_eq!(family_of(recorded::NODE4_EIO3_REFUSED), Family::Node);
        assert_eq!(family_of(recorded::PY_EIO3_REFUSED), Family::Python);
        assert_eq!(family_of(recorded::PY_OPEN), Family::Python);
        assert_eq!(family_of(recorded::GUNICORN_OPEN), Family::Python);
        // socket.io 4 names itself nowhere in an answer that opened.
        assert_eq!(family_of(recorded::NODE4_OPEN), Family::Unknown);
    }

    #[test]
    fn only_an_unsupported_version_error_is_a_version_refusal() {
        let refused = Some(classify_handshake(answer(recorded::NODE4_EIO3_REFUSED)));
        assert!(refuses_version(&refused));
        let origin = Some(classify_handshake(answer(recorded::PY_EVIL_ORIGIN)));
        assert!(!refuses_version(&origin));
        assert!(!refuses_version(&None));
    }
}
