//! The `websocket` kind: an upgrade to a path, one text message sent, and
//! the messages that come back until one matches the expectation.

use std::time::{Duration, Instant};

use super::Declared;
use super::load::{Decl, expectations};
use crate::check::Ctx;
use crate::probe::Failure;
use crate::probe::ws::{self, Received, RecvError};
use crate::report::Outcome;
use crate::secret::Header;

/// What the check sends and expects, for `explain`.
pub(super) fn describe(d: &Decl) -> String {
    format!(
        "Connects to {}, sends {:?} and expects a message with {}.",
        d.path.as_deref().unwrap_or("/"),
        d.send.as_deref().unwrap_or(""),
        expectations(&d.expect)
    )
}

impl Declared {
    pub(super) async fn websocket(&self, ctx: &Ctx, timeout: Duration) -> Outcome {
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
        let tls = match ctx.machine.ws_tls_for(&ctx.probe) {
            Ok(tls) => tls,
            Err(e) => return self.fail(format!("cannot set up TLS for the upgrade: {e}")),
        };
        let mut seen = Observation {
            path: url.path().to_string(),
            sent: self.decl.send.clone().unwrap_or_default(),
            end: End::Closed,
            seen: Vec::new(),
        };
        seen.end = match ws::connect(&url, &headers, timeout, tls).await {
            Err(e) => End::Upgrade(e),
            Ok(mut conn) => match ws::send(&mut conn.stream, &seen.sent, timeout).await {
                Err(f) => End::NotSent(f),
                Ok(()) => {
                    let end = self
                        .await_match(&mut conn.stream, &mut seen.seen, timeout)
                        .await;
                    let _ =
                        ws::close(&mut conn.stream, Duration::from_millis(500).min(timeout)).await;
                    end
                }
            },
        };
        verdict(self, &seen)
    }

    /// Read messages until one matches, the server closes, too many do not
    /// match, or the timeout passes.
    async fn await_match(
        &self,
        stream: &mut ws::Stream,
        seen: &mut Vec<String>,
        timeout: Duration,
    ) -> End {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match ws::recv(stream, left.max(Duration::from_millis(10))).await {
                Ok(message) => {
                    if let Some(end) = self.read_message(message, seen) {
                        return end;
                    }
                }
                Err(e) => return End::Silent(e),
            }
        }
    }

    /// Whether this message ends the wait, and how; one that does not
    /// match is kept in `seen`.
    fn read_message(&self, message: Received, seen: &mut Vec<String>) -> Option<End> {
        match message {
            Received::Text(t) if self.matches(&t).is_ok() => Some(End::Matched(t)),
            Received::Text(t) => {
                seen.push(t);
                (seen.len() >= 32).then_some(End::TooMany)
            }
            Received::Binary(n) => {
                seen.push(format!("({n} binary bytes)"));
                None
            }
            Received::Closed(_) => Some(End::Closed),
        }
    }
}

/// An upgrade, one message sent, and the messages that came back.
struct Observation {
    path: String,
    sent: String,
    end: End,
    /// The messages that did not match, in order (binary ones by size).
    seen: Vec<String>,
}

/// How the exchange ended.
enum End {
    Upgrade(ws::ConnectError),
    /// The message could not be sent.
    NotSent(Failure),
    Matched(String),
    /// 32 messages and none matched.
    TooMany,
    /// The server closed the connection first.
    Closed,
    /// The timeout passed, or the connection failed, before a match.
    Silent(RecvError),
}

fn verdict(check: &Declared, seen: &Observation) -> Outcome {
    let path = &seen.path;
    let mut out = match &seen.end {
        End::Upgrade(ws::ConnectError::Refused(a)) => {
            check.fail(format!("the upgrade to {path} was answered {}", a.who()))
        }
        End::Upgrade(ws::ConnectError::Failed(f)) => {
            check.fail(format!("the upgrade to {path} got {f}"))
        }
        End::Upgrade(ws::ConnectError::Protocol(e) | ws::ConnectError::WrongAccept(e)) => {
            check.fail(format!("the upgrade to {path} failed: {e}"))
        }
        End::NotSent(f) => check.fail(format!("sending the message got {f}")),
        End::Matched(t) => Outcome::pass(format!(
            "sent {:?} and got {}",
            seen.sent,
            crate::protocol::preview(t.as_bytes(), 120)
        )),
        End::TooMany => check.fail(format!("none of {} messages matched", seen.seen.len())),
        End::Closed => {
            check.fail("the server closed the connection before a matching message".into())
        }
        End::Silent(e) => check.fail(format!(
            "no matching message: {e} ({} other message(s))",
            seen.seen.len()
        )),
    };
    for m in seen.seen.iter().take(5) {
        out.push_evidence("received", crate::protocol::preview(m.as_bytes(), 160));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::declared::declared;
    use crate::check::recorded::{recorded, said};
    use crate::report::Status;

    /// checks/websocket-echo.toml, with `expect` replaced.
    fn echo(expect: &str) -> Declared {
        declared(&format!(
            "[[check]]\nid = \"app.websocket-echo\"\ntitle = \"The WebSocket endpoint answers\"\n\
kind = \"websocket\"\npath = \"/ws\"\nsend = '{{\"type\":\"ping\"}}'\n\
fix = \"Check its message handler.\"\n\n[check.expect]\n{expect}\n"
        ))
    }

    fn shipped() -> Declared {
        echo("json = { \"/type\" = \"ping\" }")
    }

    /// The messages, fed to the check as `await_match` feeds them, and how
    /// the wait ended (`Silent` when none ended it).
    fn received(check: &Declared, messages: Vec<Received>) -> Observation {
        let mut seen = Vec::new();
        let end = messages
            .into_iter()
            .find_map(|m| check.read_message(m, &mut seen))
            .unwrap_or(End::Silent(RecvError::TimedOut(
                Duration::from_millis(3000),
                0,
            )));
        ended(end, seen)
    }

    fn ended(end: End, seen: Vec<String>) -> Observation {
        Observation {
            path: "/ws".into(),
            sent: r#"{"type":"ping"}"#.into(),
            end,
            seen,
        }
    }

    #[test]
    fn the_echo_matches_and_passes() {
        let check = shipped();
        let out = verdict(
            &check,
            &received(&check, vec![Received::Text(r#"{"type":"ping"}"#.into())]),
        );
        assert_eq!(
            said(&out),
            (
                Status::Pass,
                "sent \"{\\\"type\\\":\\\"ping\\\"}\" and got {\"type\":\"ping\"}"
            )
        );
        assert!(out.evidence.is_empty());
    }

    /// A match after other messages: those are evidence.
    #[test]
    fn the_frame_that_matches_may_come_later() {
        let check = echo("contains = \"pong\"");
        let out = verdict(
            &check,
            &received(
                &check,
                vec![
                    Received::Text("hello".into()),
                    Received::Binary(5),
                    Received::Text("pong".into()),
                ],
            ),
        );
        assert_eq!(out.status, Status::Pass);
        let values: Vec<_> = out.evidence.iter().map(|e| e.value.as_str()).collect();
        assert_eq!(values, vec!["hello", "(5 binary bytes)"]);
    }

    /// WIRE.md §1 "WebSocket session": an Engine.IO endpoint opens with
    /// its own packet, which an echo check does not want.
    #[test]
    fn no_matching_frame_within_the_timeout() {
        let check = echo("regex = '^\\{\"type\"'");
        let open = r#"0{"sid":"x4Yb","upgrades":[],"pingTimeout":20000,"pingInterval":25000}"#;
        let out = verdict(&check, &received(&check, vec![Received::Text(open.into())]));
        assert_eq!(
            said(&out),
            (
                Status::Fail,
                "no matching message: nothing arrived within 3000 ms (1 other message(s))"
            )
        );
        assert_eq!(out.evidence[0].value, open);
        assert_eq!(out.fixes[0].detail, "Check its message handler.");
    }

    #[test]
    fn a_close_before_a_match() {
        let check = shipped();
        let out = verdict(
            &check,
            &received(&check, vec![Received::Closed(Some((1000, String::new())))]),
        );
        assert_eq!(
            out.summary,
            "the server closed the connection before a matching message"
        );
    }

    #[test]
    fn too_many_frames_that_do_not_match() {
        let check = shipped();
        let noise = (0..40).map(|i| Received::Text(format!("{i}"))).collect();
        let out = verdict(&check, &received(&check, noise));
        assert_eq!(out.summary, "none of 32 messages matched");
        assert_eq!(out.evidence.len(), 5);
    }

    /// WIRE.md §6: nginx without the Upgrade headers in front of node4.
    #[test]
    fn an_upgrade_refused_says_who_answered() {
        let answer = recorded(
            "HTTP/1.1 400 Bad Request",
            &[("Server", "nginx/1.22.1")],
            r#"{"code":3,"message":"Bad request"}"#,
        );
        let end = End::Upgrade(ws::ConnectError::Refused(answer));
        let out = verdict(&shipped(), &ended(end, Vec::new()));
        assert_eq!(
            out.summary,
            "the upgrade to /ws was answered HTTP/1.1 400 Bad Request (server: nginx/1.22.1)"
        );
        assert_eq!(out.fixes.len(), 1);
    }

    #[test]
    fn an_upgrade_that_fails_or_is_malformed() {
        let end = End::Upgrade(ws::ConnectError::Failed(Failure::Refused));
        let out = verdict(&shipped(), &ended(end, Vec::new()));
        assert_eq!(out.summary, "the upgrade to /ws got connection refused");
        let end = End::Upgrade(ws::ConnectError::WrongAccept("a wrong accept key".into()));
        let out = verdict(&shipped(), &ended(end, Vec::new()));
        assert_eq!(out.summary, "the upgrade to /ws failed: a wrong accept key");
    }

    #[test]
    fn a_message_that_cannot_be_sent() {
        let out = verdict(&shipped(), &ended(End::NotSent(Failure::Reset), Vec::new()));
        assert_eq!(
            out.summary,
            "sending the message got the connection was reset"
        );
    }
}
