//! The `socketio` kind: a session, a CONNECT to a namespace, one emitted
//! event, and its ack (or an awaited event) against the expectation.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::load::{Decl, expectations};
use super::{Declared, json_of};
use crate::check::Ctx;
use crate::probe::engineio::Session;
use crate::protocol::engineio::{Kind as EioKind, Packet};
use crate::protocol::socketio::{self, ConnectReply, Kind as SioKind};
use crate::report::Outcome;
use crate::secret::Secret;

/// What the check emits and expects, for `explain`.
pub(super) fn describe(d: &Decl) -> String {
    format!(
        "Connects to the Socket.IO namespace {}, emits {:?} and expects {} with {}.",
        d.namespace.as_deref().unwrap_or("/"),
        d.emit.as_deref().unwrap_or(""),
        d.expect
            .event
            .as_deref()
            .map(|e| format!("the event {e:?}"))
            .unwrap_or_else(|| "an ack".into()),
        expectations(&d.expect)
    )
}

impl Declared {
    pub(super) async fn socketio(&self, ctx: &Ctx, timeout: Duration) -> Outcome {
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
