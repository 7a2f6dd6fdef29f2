//! The `websocket` kind: an upgrade to a path, one text message sent, and
//! the messages that come back until one matches the expectation.

use std::time::{Duration, Instant};

use super::Declared;
use super::load::{Decl, expectations};
use crate::check::Ctx;
use crate::probe::ws::{self, Received};
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
}
