//! `port.time-wait`: sockets lingering on the port after connections closed:
//! TIME_WAIT that blocks a restart, CLOSE_WAIT that a server leaks.

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::{Check, Ctx};
use crate::os::TcpState;
use crate::report::{Fix, Outcome};

/// CLOSE_WAIT sockets pile up only when a server never closes its side;
/// a handful can be in flight, this many is a leak.
const CLOSE_WAIT_LEAK: usize = 10;

pub struct TimeWait;

#[async_trait]
impl Check for TimeWait {
    fn id(&self) -> &str {
        "port.time-wait"
    }

    fn title(&self) -> &str {
        "No lingering TIME_WAIT / CLOSE_WAIT sockets"
    }

    fn explain(&self) -> &str {
        "Counts the TCP sockets whose local port is the target port, by state.\n\n\
Causes it tells apart:\n\
- TIME_WAIT sockets remain and nothing listens: the server was just stopped (Ctrl+C) \
after it closed connections itself. For about 60 seconds a restart that binds without \
SO_REUSEADDR fails with 'Address already in use'. Fix: set SO_REUSEADDR before bind \
(Python socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1), or \
allow_reuse_address = True on a socketserver; Node and most frameworks already do), \
or wait a minute.\n\
- many CLOSE_WAIT sockets on a listening server: clients closed their connections but \
the server never closed its side, so it leaks one file descriptor per connection until \
it hits its limit. Fix: close sockets on disconnect (look for handlers that return \
without closing, or blocking calls that never return), then restart the server.\n\n\
TIME_WAIT on a running server is normal and passes. Applies to targets on this machine \
only."
    }

    async fn run(&self, ctx: &Ctx) -> Outcome {
        if let Some(skip) = ctx.skip_unless_local().await {
            return skip;
        }
        if let Some(why) = ctx.machine.unsupported() {
            return Outcome::skip(why);
        }
        let port = ctx.target.port;
        let table = match ctx.machine.sockets_bare().await {
            Ok(t) => t,
            Err(e) => return Outcome::fail(format!("cannot read the socket table: {e}")),
        };
        let mut counts: BTreeMap<TcpState, usize> = BTreeMap::new();
        for s in table.on_local_port(port) {
            *counts.entry(s.state).or_default() += 1;
        }
        let listening = counts.contains_key(&TcpState::Listen);
        let time_wait = counts.get(&TcpState::TimeWait).copied().unwrap_or(0);
        let close_wait = counts.get(&TcpState::CloseWait).copied().unwrap_or(0);
        let evidence = counts
            .iter()
            .map(|(state, n)| format!("{} {n}", state.as_str()))
            .collect::<Vec<_>>()
            .join(", ");

        let out = if !listening && time_wait > 0 {
            Outcome::warn(format!(
                "{time_wait} TIME_WAIT socket(s) on {port} and nothing listens: a restart \
without SO_REUSEADDR fails with 'Address already in use' for up to a minute"
            ))
            .fix(Fix::new(
                "Bind with SO_REUSEADDR",
                "Set SO_REUSEADDR on the listening socket before bind (Node, nginx, uvicorn \
and gunicorn already do). In Python: sock.setsockopt(socket.SOL_SOCKET, \
socket.SO_REUSEADDR, 1), or allow_reuse_address = True on a socketserver / \
http.server class. Otherwise wait about 60 seconds for the kernel to drop them.",
            ))
        } else if listening && close_wait >= CLOSE_WAIT_LEAK {
            Outcome::warn(format!(
                "the server holds {close_wait} CLOSE_WAIT sockets on {port}: clients hung up \
but it never closed its side (a socket leak)"
            ))
            .fix(
                Fix::new(
                    "Close sockets on disconnect",
                    "Find the handler that returns (or blocks) without closing the connection, \
e.g. an exception path or a read that never times out; until fixed, a restart releases \
them. Watch the count with the command below.",
                )
                .command(format!("ss -tan state close-wait '( sport = :{port} )'")),
            )
        } else if counts.is_empty() {
            Outcome::pass(format!("no sockets on port {port}"))
        } else {
            Outcome::pass(format!("{evidence} on port {port}"))
        };
        if counts.is_empty() {
            out
        } else {
            out.evidence("sockets by state", evidence)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::os::fake::{self, Fake};
    use crate::report::Status;

    /// `n` sockets on port 8000 in `state`, to clients on ports 50000 and up.
    fn many(n: u16, state: TcpState) -> Vec<crate::os::Socket> {
        (0..n)
            .map(|i| {
                let client = format!("127.0.0.1:{}", 50_000 + i);
                fake::socket("127.0.0.1:8000", &client, state, 0, &[])
            })
            .collect()
    }

    async fn run(sockets: Vec<crate::os::Socket>) -> Outcome {
        let ctx = Fake {
            sockets,
            ..Fake::default()
        }
        .ctx("localhost:8000");
        TimeWait.run(&ctx).await
    }

    fn warns(out: &Outcome, summary_start: &str) {
        assert_eq!(out.status, Status::Warn, "{}", out.summary);
        assert!(out.summary.starts_with(summary_start), "{}", out.summary);
    }

    #[tokio::test]
    async fn time_wait_without_a_listener_warns_of_a_failed_restart() {
        let out = run(many(40, TcpState::TimeWait)).await;
        warns(&out, "40 TIME_WAIT socket(s) on 8000 and nothing listens:");
        assert_eq!(out.fixes[0].title, "Bind with SO_REUSEADDR");
        assert_eq!(out.evidence[0].value, "TIME_WAIT 40");
    }

    #[tokio::test]
    async fn close_wait_piling_up_on_a_server_is_a_leak() {
        let mut sockets = many(12, TcpState::CloseWait);
        sockets.push(fake::listener("127.0.0.1:8000", 0, &[4242]));
        let out = run(sockets).await;
        warns(&out, "the server holds 12 CLOSE_WAIT sockets on 8000:");
        assert_eq!(
            out.fixes[0].command.as_deref(),
            Some("ss -tan state close-wait '( sport = :8000 )'")
        );
    }

    #[tokio::test]
    async fn time_wait_on_a_running_server_is_normal() {
        let mut sockets = many(2, TcpState::TimeWait);
        sockets.extend(many(3, TcpState::CloseWait));
        sockets.push(fake::listener("127.0.0.1:8000", 0, &[4242]));
        let out = run(sockets).await;
        assert_eq!(out.status, Status::Pass);
        assert_eq!(
            out.summary,
            "TIME_WAIT 2, CLOSE_WAIT 3, LISTEN 1 on port 8000"
        );
    }

    #[tokio::test]
    async fn no_sockets_at_all_passes_without_evidence() {
        let out = run(vec![fake::listener("127.0.0.1:8001", 0, &[1])]).await;
        assert_eq!(out.status, Status::Pass);
        assert_eq!(out.summary, "no sockets on port 8000");
        assert!(out.evidence.is_empty());
    }
}
