//! What every Socket.IO check shares: which Engine.IO version the server
//! speaks (asked once per target, both versions at once with `--eio auto`),
//! the endpoint to talk to, and the compatibility facts the fixes quote.

use super::Ctx;
use crate::probe::engineio::{self, Endpoint, Handshake};
use crate::probe::http::Http;
use crate::protocol::engineio::{Eio, ErrorKind};
use crate::report::{Fix, Outcome};
use crate::settings::EioMode;

pub struct Discovery {
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
    /// The HTTP client for this target's TLS settings, shared by the
    /// checks that use the session.
    http: Option<Http>,
}

pub async fn discover(ctx: &Ctx) -> Discovery {
    let p = &ctx.probe;
    let base = Endpoint::new(&ctx.target, &p.socketio_path, Eio::V4, p.headers.clone());
    let http = match ctx.host.http_for(p) {
        Ok(h) => h,
        Err(e) => {
            return Discovery {
                endpoint: base,
                v4: None,
                v3: None,
                speaks: None,
                error: Some(e),
                http: None,
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
    // Hand the sessions these handshakes opened back to the server.
    for (h, eio) in [(&v4, Eio::V4), (&v3, Eio::V3)] {
        if let Some(Handshake::Open {
            open, eio: framing, ..
        }) = h
        {
            let ep = base.with_eio(if *framing == eio { eio } else { *framing });
            let close = [crate::protocol::engineio::Packet::new(
                crate::protocol::engineio::Kind::Close,
                "",
            )];
            let _ = engineio::post(http, &ep, &open.sid, &close, p.timeout).await;
        }
    }
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
    Discovery {
        endpoint: base.with_eio(speaks.unwrap_or(match p.eio {
            EioMode::V3 => Eio::V3,
            _ => Eio::V4,
        })),
        v4,
        v3,
        speaks,
        error: None,
        http: Some(http.clone()),
    }
}

impl Discovery {
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

pub fn fix_v3_only_server() -> Vec<Fix> {
    vec![
        Fix::new(
            "Match the client to the server (socket.io 2.x speaks Engine.IO 3)",
            "socket.io 1.x/2.x servers speak Engine.IO 3 and cannot talk to socket.io-client 3.x/4.x. \
Use socket.io-client 2.x, or upgrade the server.",
        )
        .command("npm install socket.io-client@2"),
        Fix::new(
            "Or upgrade the server and keep old clients",
            "socket.io 4 speaks Engine.IO 4 and also accepts 2.x clients with allowEIO3: \
new Server(httpServer, { allowEIO3: true }). python-socketio 4 / Flask-SocketIO 4 speak Engine.IO 3; \
python-socketio 5 / Flask-SocketIO 5 speak Engine.IO 4 only.",
        )
        .command("npm install socket.io@4"),
    ]
}

pub fn fix_v4_server_for_v3_client(family: Family) -> Vec<Fix> {
    let mut fixes = vec![
        Fix::new(
            "Upgrade the client",
            "socket.io-client 2.x speaks Engine.IO 3; this server speaks Engine.IO 4 (socket.io 3.x/4.x, \
python-socketio 5, Flask-SocketIO 5). socket.io-client 4.x talks to it.",
        )
        .command("npm install socket.io-client@4"),
    ];
    if family != Family::Python {
        fixes.push(Fix::new(
            "Or let a socket.io 4 server accept 2.x clients",
            "new Server(httpServer, { allowEIO3: true })",
        ));
    }
    if family != Family::Node {
        fixes.push(Fix::new(
            "python-socketio 5 cannot speak Engine.IO 3",
            "python-socketio 5 / Flask-SocketIO 5 accept Engine.IO 4 clients only. For socket.io-client 2.x \
use python-socketio 4.x / Flask-SocketIO 4.x, or upgrade the client.",
        ));
    }
    fixes
}

pub fn fix_path(path: &str) -> Fix {
    Fix::new(
        "Serve Engine.IO at the path the client uses, on both sides",
        format!(
            "rtdoctor asked {path} (--socketio-path). Client: io(url, {{ path: '{path}' }}). \
Node server: new Server(httpServer, {{ path: '{path}' }}). python-socketio: \
socketio.ASGIApp(sio, socketio_path='{}') / socketio.WSGIApp(sio, socketio_path=…). \
Behind a proxy, the proxy must forward {path} to the server too.",
            path.trim_matches('/')
        ),
    )
}
