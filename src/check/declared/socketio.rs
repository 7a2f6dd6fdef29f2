//! The `socketio` kind: a session, a CONNECT to a namespace, one emitted
//! event, and its ack (or an awaited event) against the expectation.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::load::{Decl, expectations};
use super::{Declared, json_of};
use crate::check::Ctx;
use crate::probe::Failure;
use crate::probe::engineio::{PollError, Session};
use crate::protocol::engineio::{Eio, Kind as EioKind, Packet};
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
        let end = self
            .round_trip(&mut session, eio, &nsp, auth.as_ref(), timeout)
            .await;
        session.close(Duration::from_millis(500)).await;
        verdict(self, &Observation { nsp, end, timeout })
    }

    /// CONNECT (unless socket.io 2 connects / by itself), emit once
    /// connected, and read until the ack or the awaited event comes.
    async fn round_trip(
        &self,
        session: &mut Session<'_>,
        eio: Eio,
        nsp: &str,
        auth: Option<&Secret<Value>>,
        timeout: Duration,
    ) -> End {
        let deadline = Instant::now() + timeout;
        if !(eio == Eio::V3 && nsp == "/") {
            let connect = socketio::connect(nsp, auth.map(Secret::expose), eio);
            if let Err(f) = session
                .send(&[Packet::new(EioKind::Message, connect)], timeout)
                .await
            {
                return End::ConnectNotSent(f);
            }
        }
        let mut packets: Vec<socketio::Packet> = Vec::new();
        let mut connected = false;
        let mut emitted = false;
        while Instant::now() < deadline {
            if let Some(end) = self.scan(&packets, nsp, &mut connected) {
                return end;
            }
            packets.clear();
            if connected && !emitted {
                if let Err(f) = session
                    .send(
                        &[Packet::new(EioKind::Message, self.emitted_event(nsp))],
                        timeout,
                    )
                    .await
                {
                    return End::EmitNotSent(f);
                }
                emitted = true;
            }
            let left = deadline
                .saturating_duration_since(Instant::now())
                .max(Duration::from_millis(10));
            let got = match session.receive(left).await {
                Ok(got) => got,
                Err(e) => return End::PollFailed(e),
            };
            packets = got
                .iter()
                .filter(|p| p.kind == EioKind::Message)
                .filter_map(|p| socketio::decode(&p.data).ok())
                .collect();
            if got.iter().any(|p| p.kind == EioKind::Close) {
                return End::Closed;
            }
        }
        End::Silent
    }

    /// The EVENT to emit: the declared name and args, with ack id 1 when an
    /// ack is what is expected.
    fn emitted_event(&self, nsp: &str) -> String {
        let mut data = vec![Value::String(self.decl.emit.clone().unwrap_or_default())];
        data.extend(self.decl.args.iter().map(json_of));
        let id = self.decl.expect.event.is_none().then_some(1);
        socketio::encode(SioKind::Event, nsp, id, Some(&Value::Array(data)))
    }

    /// Whether these packets end the exchange: a refused CONNECT, or the
    /// answer awaited. A CONNECT reply sets `connected`.
    fn scan(&self, packets: &[socketio::Packet], nsp: &str, connected: &mut bool) -> Option<End> {
        for p in packets {
            if let Some(reply) = socketio::connect_reply(p, nsp) {
                match reply {
                    ConnectReply::Connected { .. } => *connected = true,
                    ConnectReply::Refused { message } => return Some(End::Refused(message)),
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
                return Some(End::Answered { text, first });
            }
        }
        None
    }
}

/// A session's CONNECT, emit and answer.
struct Observation {
    nsp: String,
    end: End,
    timeout: Duration,
}

/// How the exchange ended.
enum End {
    ConnectNotSent(Failure),
    /// The server's CONNECT_ERROR message.
    Refused(String),
    EmitNotSent(Failure),
    PollFailed(PollError),
    Closed,
    /// The ack or awaited event: all its arguments as JSON, and the first
    /// one (a string as itself).
    Answered {
        text: String,
        first: Option<String>,
    },
    /// Nothing answered within the timeout.
    Silent,
}

/// The answer against the expectation (its first argument, else all of
/// them), or why there was none.
fn verdict(check: &Declared, seen: &Observation) -> Outcome {
    let nsp = &seen.nsp;
    let failure = match &seen.end {
        End::Answered { text, first } => {
            let ok = first.as_deref().is_some_and(|f| check.matches(f).is_ok())
                || check.matches(text).is_ok();
            if ok {
                return Outcome::pass(format!(
                    "emitted {:?} on {nsp} and got {}",
                    check.decl.emit.as_deref().unwrap_or(""),
                    crate::protocol::preview(text.as_bytes(), 120)
                ));
            }
            format!("the answer {text} does not match")
        }
        End::ConnectNotSent(f) => format!("CONNECT got {f}"),
        End::Refused(message) => format!("the CONNECT to {nsp} was refused: {message:?}"),
        End::EmitNotSent(f) => format!("the emit got {f}"),
        End::PollFailed(e) => format!("waiting: {e}"),
        End::Closed => "the server closed the session".into(),
        End::Silent => format!("no answer within {} ms", seen.timeout.as_millis()),
    };
    check.fail(failure)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::declared::declared;
    use crate::check::recorded::said;
    use crate::protocol::engineio::decode_payload;
    use crate::report::Status;

    /// checks/socketio-ping.toml, with the namespace, the emitted event's
    /// args and `expect` replaced.
    fn ping(nsp: &str, args: &str, expect: &str) -> Declared {
        declared(&format!(
            "[[check]]\nid = \"app.socketio-ping\"\ntitle = \"Socket.IO ping is acked\"\n\
kind = \"socketio\"\nnamespace = \"{nsp}\"\nemit = \"ping\"\nargs = [{args}]\n\
fix = \"Check the ping handler.\"\n\n[check.expect]\n{expect}\n"
        ))
    }

    fn shipped() -> Declared {
        ping("/", "", "contains = \"pong\"")
    }

    /// Poll bodies as recorded in tests/servers/WIRE.md, read as
    /// `round_trip` reads them.
    fn polled(check: &Declared, eio: Eio, bodies: &[&str]) -> End {
        let nsp = check.decl.namespace.clone().unwrap_or_default();
        let mut connected = false;
        for body in bodies {
            let packets: Vec<_> = decode_payload(body.as_bytes(), eio)
                .unwrap()
                .iter()
                .filter(|p| p.kind == EioKind::Message)
                .filter_map(|p| socketio::decode(&p.data).ok())
                .collect();
            if let Some(end) = check.scan(&packets, &nsp, &mut connected) {
                return end;
            }
        }
        End::Silent
    }

    /// The verdict on what these recorded Engine.IO 4 poll bodies bring.
    fn answered(check: &Declared, bodies: &[&str]) -> Outcome {
        judged(check, polled(check, Eio::V4, bodies))
    }

    fn judged(check: &Declared, end: End) -> Outcome {
        let nsp = check.decl.namespace.clone().unwrap_or_default();
        verdict(
            check,
            &Observation {
                nsp,
                end,
                timeout: Duration::from_millis(3000),
            },
        )
    }

    /// WIRE.md §1/§2: CONNECT answered `40{"sid":…}`, then `431["pong"]`.
    #[test]
    fn the_ack_matches_and_passes() {
        let check = shipped();
        let out = answered(
            &check,
            &[r#"40{"sid":"jP2wMwkchPYpEfTDAAAD"}"#, r#"431["pong"]"#],
        );
        assert_eq!(
            said(&out),
            (Status::Pass, "emitted \"ping\" on / and got [\"pong\"]")
        );
    }

    /// WIRE.md §3: socket.io 2 connects / by itself and frames v3.
    #[test]
    fn socketio_2_acks_too() {
        let check = shipped();
        let end = polled(&check, Eio::V3, &["2:40", r#"11:431["pong"]"#]);
        assert_eq!(judged(&check, end).status, Status::Pass);
    }

    /// WIRE.md §1/§2: `40/admin,` without a token.
    #[test]
    fn a_refused_connect_fails_with_the_declared_fix() {
        let check = ping("/admin", "", "contains = \"pong\"");
        let out = answered(&check, &[r#"44/admin,{"message":"authentication failed"}"#]);
        assert_eq!(
            said(&out),
            (
                Status::Fail,
                "the CONNECT to /admin was refused: \"authentication failed\""
            )
        );
        assert_eq!(out.fixes[0].detail, "Check the ping handler.");
    }

    #[test]
    fn an_ack_that_does_not_match() {
        let check = shipped();
        let out = answered(&check, &["40", r#"431["nope",2]"#]);
        assert_eq!(out.summary, "the answer [\"nope\",2] does not match");
    }

    /// Only the ack of the emit (id 1, this namespace) is the answer.
    #[test]
    fn other_acks_and_namespaces_are_not_the_answer() {
        let check = shipped();
        let end = polled(
            &check,
            Eio::V4,
            &["40", r#"432["pong"]"#, r#"43/admin,1["pong"]"#],
        );
        assert!(matches!(end, End::Silent));
        assert_eq!(judged(&check, end).summary, "no answer within 3000 ms");
    }

    #[test]
    fn an_awaited_event_matches_on_its_first_argument() {
        let check = ping("/", "", "event = \"news\"\nregex = '^hello'");
        let out = answered(&check, &["40", r#"42["news","hello world"]"#]);
        assert_eq!(
            said(&out),
            (
                Status::Pass,
                "emitted \"ping\" on / and got [\"news\",\"hello world\"]"
            )
        );
        let end = polled(&check, Eio::V4, &["40", r#"42["other","hello"]"#]);
        assert!(matches!(end, End::Silent));
    }

    #[test]
    fn json_expectations_read_an_object_argument() {
        let check = ping("/", "", "json = { \"/ok\" = true }");
        let out = answered(&check, &["40", r#"431[{"ok":true}]"#]);
        assert_eq!(out.status, Status::Pass);
        let out = answered(&check, &["40", r#"431[{"ok":false}]"#]);
        assert_eq!(out.summary, "the answer [{\"ok\":false}] does not match");
    }

    #[test]
    fn the_emitted_event_carries_its_args_and_asks_for_an_ack() {
        assert_eq!(
            ping("/admin", "1, \"two\"", "").emitted_event("/admin"),
            r#"2/admin,1["ping",1,"two"]"#
        );
        let awaited = ping("/", "", "event = \"news\"");
        assert_eq!(awaited.emitted_event("/"), r#"2["ping"]"#);
    }

    #[test]
    fn failures_on_the_way_are_named() {
        let check = shipped();
        let said = |end| judged(&check, end).summary;
        assert_eq!(
            said(End::ConnectNotSent(Failure::Refused)),
            "CONNECT got connection refused"
        );
        assert_eq!(
            said(End::EmitNotSent(Failure::Reset)),
            "the emit got the connection was reset"
        );
        assert_eq!(said(End::Closed), "the server closed the session");
        let timeout = PollError::Failed(Failure::TimedOut(Duration::from_millis(3000)));
        assert!(said(End::PollFailed(timeout)).starts_with("waiting: "));
    }
}
