//! `port.listen`: is anything listening on the target port, which process,
//! and — when nothing is — where did the server go?

use std::sync::LazyLock;

use async_trait::async_trait;

use super::{Check, Ctx, reach};
use crate::holders::{self, PortHolders, Viewer, started};
use crate::os::words;
use crate::report::{Fix, Outcome};

pub struct PortListen;

static EXPLAIN: LazyLock<String> = LazyLock::new(|| {
    format!(
        "Looks at this machine's TCP socket table ({}) for sockets in LISTEN state on the target port, and at the processes \
that hold them: pid, name, user, full command line, start time, and every bound address \
(0.0.0.0, 127.0.0.1, [::] with its IPv6-only flag, ::1). Only listening sockets count: a \
process that is merely a client of the port is never named. A pre-fork server (gunicorn, \
nginx, Node cluster) shows its master and workers.\n\n\
Causes it tells apart:\n\
- nothing listens, but a server listens on a nearby port (--port-range, default 10 ports \
either side): the server moved, typically because the port was taken when it started and \
it picked the next free one. Fix: point the client at the port the server uses, or free \
the port and restart the server.\n\
- nothing listens anywhere near: the server is not running, crashed at start-up, or \
listens on a port you did not expect. Fix: start it and read its first log lines.\n\
- a socket listens but its process is hidden: it belongs to another user. Fix: rerun with \
sudo to see the process. As root, a hidden process runs in another PID namespace (a \
container's, or the host's) or {hidden}. Fix: look from where it runs \
(`ss -tlnp` on the host, `docker top`, `nsenter`).\n\n\
A listener that takes no new connection within the timeout (its accept queue is full: the \
process is stuck or overloaded) fails too. Fix: stop the stuck process and start it again \
(rtdoctor kill PORT).\n\n\
For a target on another machine (or a name that does not resolve), whose sockets cannot be \
seen from here, it resolves the name as this machine's clients do and opens a TCP connection \
to every address, and names the one root cause when none opens: the name does not resolve \
(Fix: check its spelling, getent hosts NAME), the connection is refused (nothing listens there, \
or a firewall rejects it; Fix: start the server, bind 0.0.0.0 or ::), or no answer (a firewall \
drops it, or the host is down; Fix: open the port). Every check that talks to the server needs \
this one, so they are skipped with this failure as the reason.",
        words::SOCKET_SOURCES,
        hidden = words::HIDDEN_FROM_ROOT,
    )
});

#[async_trait]
impl Check for PortListen {
    fn id(&self) -> &str {
        "port.listen"
    }

    fn title(&self) -> &str {
        "Something listens on the port"
    }

    fn explain(&self) -> &str {
        &EXPLAIN
    }

    /// The kernel's socket table says whether anything listens; the
    /// process lookup (every process's fds) is what takes time.
    /// On this machine its answer is a moment's (the socket table and a
    /// loopback connect), and it must see the port before the others'
    /// connections fill its accept queue.
    async fn holds_back(&self, ctx: &Ctx) -> bool {
        matches!(ctx.is_local().await, Ok(true))
    }

    async fn fails(&self, ctx: &Ctx) -> Option<bool> {
        if !matches!(ctx.is_local().await, Ok(true)) {
            return Some(ctx.reach().await.is_err());
        }
        if ctx.machine.unsupported().is_some() {
            return Some(false);
        }
        Some(match ctx.machine.sockets_bare().await {
            Ok(table) => {
                table.listeners_on(ctx.target.port).next().is_none() || stuck(ctx).await.is_some()
            }
            Err(_) => true,
        })
    }

    async fn run(&self, ctx: &Ctx) -> Outcome {
        // Another machine's sockets cannot be seen: whether it can be
        // reached at all is what this check tells for it.
        if !matches!(ctx.is_local().await, Ok(true)) {
            return reach::verdict(&ctx.target, ctx.reach().await);
        }
        if let Some(why) = ctx.machine.unsupported() {
            return Outcome::skip(why);
        }
        let port = ctx.target.port;
        let found = match ctx.machine.holders(port).await {
            Ok(found) => found,
            Err(e) => return Outcome::fail(format!("cannot read the socket table: {e}")),
        };
        if found.is_empty() {
            return nothing_listens(ctx, port).await;
        }
        match stuck(ctx).await {
            Some(mut out) => {
                push_holders(&mut out, &found);
                out
            }
            None => listening(&found),
        }
    }
}

/// A listener that takes no new connection at all (its accept queue is
/// full) is the one cause of every other check's timeout.
async fn stuck(ctx: &Ctx) -> Option<Outcome> {
    match ctx.reach().await {
        Err(reach::Unreachable::TimedOut(_, timeout)) => {
            Some(reach::stuck(ctx.target.port, *timeout))
        }
        _ => None,
    }
}

fn listening(found: &PortHolders) -> Outcome {
    let addrs = found.addr_labels().join(", ");
    let summary = match found.main_holder() {
        Some(h) => {
            let others = found.holders.len() - 1;
            let more = match others {
                0 => String::new(),
                1 => " and 1 worker".to_string(),
                n => format!(" and {n} workers"),
            };
            let verb = if others == 0 { "listens" } else { "listen" };
            format!(
                "{} (pid {}){more} {verb} on {addrs}",
                h.process.name, h.process.pid
            )
        }
        None => format!(
            "a process of {} listens on {addrs}; its pid is {}",
            found
                .hidden_owners
                .first()
                .map(|owner| owner.to_string())
                .unwrap_or_else(|| "another user".into()),
            found.viewer.hidden()
        ),
    };
    let mut out = Outcome::pass(summary);
    push_holders(&mut out, found);
    if found.holders.is_empty() || !found.hidden_owners.is_empty() {
        for owner in &found.hidden_owners {
            out.push_evidence(
                "hidden owner",
                format!(
                    "a socket on port {} belongs to {owner}; its process is not visible {}",
                    found.port,
                    match found.viewer {
                        Viewer::User => "to this user",
                        Viewer::Root => "from here, even as root",
                    }
                ),
            );
        }
        out = out.fix(match found.viewer {
            Viewer::User => Fix::new(
                "See the hidden process",
                "Processes of other users are visible only with privileges.",
            )
            .command(format!("sudo rtdoctor ports {}", found.port)),
            Viewer::Root => Fix::new(
                "Look from where the process runs",
                found.hidden_owner_sentence(),
            )
            .command(format!("ss -tlnp 'sport = :{}'", found.port)),
        });
    }
    out
}

fn push_holders(out: &mut Outcome, found: &PortHolders) {
    for s in &found.sockets {
        out.push_evidence("listening on", s.label());
    }
    for h in &found.holders {
        out.push_evidence("process", h.label());
        out.push_evidence("command", h.command_line());
        out.push_evidence("started", started(h.process.start_time));
    }
}

async fn nothing_listens(ctx: &Ctx, port: u16) -> Outcome {
    let (lo, hi) = ctx.probe.port_range;
    let mut nearby: Vec<PortHolders> = Vec::new();
    if let Ok(table) = ctx.machine.sockets().await {
        let mut ports: Vec<u16> = table
            .listeners()
            .map(|s| s.local.port())
            .filter(|p| (lo..=hi).contains(p) && *p != port)
            .collect();
        ports.sort_unstable_by_key(|p| (p.abs_diff(port), *p));
        ports.dedup();
        for p in ports.into_iter().take(5) {
            if let Ok(h) = ctx.machine.holders(p).await {
                nearby.push(h);
            }
        }
    }
    // The closest listener that a visible process holds is the likeliest
    // server that moved.
    let Some(moved) = nearby
        .iter()
        .find(|h| !h.holders.is_empty())
        .or(nearby.first())
    else {
        return Outcome::fail(format!(
            "nothing listens on port {port}, nor on ports {lo}-{hi}"
        ))
        .fix(
            Fix::new(
                "Start the server",
                "The server is not running, crashed at start-up, or listens elsewhere. Start it \
and read its first log lines for the port it chose and for errors such as 'Address already in \
use'. To see every listener on this machine:",
            )
            .command("rtdoctor ports"),
        );
    };
    let who = moved
        .main_holder()
        .map(|h| {
            format!(
                "`{}` (pid {}) listens on {}",
                holders::short_command_line(&h.process),
                h.process.pid,
                moved.port
            )
        })
        .unwrap_or_else(|| format!("a hidden process listens on {}", moved.port));
    let mut out = Outcome::fail(format!("nothing listens on {port}; but {who}"));
    for other in &nearby {
        push_holders(&mut out, other);
    }
    out.fix(
        Fix::new(
            format!("Point the client at port {}", moved.port),
            format!(
                "If that is your server, it did not get port {port} (often because it was \
taken when the server started, so it picked another) or is configured for {}. Use the \
port it listens on in the client, or free {port} and restart the server.",
                moved.port
            ),
        )
        .command(format!(
            "rtdoctor check {}",
            ctx.target.with_port(moved.port)
        )),
    )
    .fix(Fix::new(
        format!("Start the server on {port}"),
        format!(
            "If no server of yours is among these, start it on {port} and read its first log lines."
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::os::fake::{self, Fake};
    use crate::os::unsupported::Unsupported;
    use crate::report::Status;

    /// A check of localhost:8000 on a machine where python3 (pid 4242)
    /// holds some of `sockets`.
    fn python_on(sockets: Vec<crate::os::Socket>) -> Ctx {
        Fake {
            sockets,
            processes: vec![fake::process(4242, 1, "python3")],
            ..Fake::default()
        }
        .ctx("localhost:8000")
    }

    #[tokio::test]
    async fn the_holder_of_the_port_is_named() {
        let ctx = python_on(vec![fake::listener("127.0.0.1:8000", 0, &[4242])]);
        assert_eq!(PortListen.fails(&ctx).await, Some(false));
        let out = PortListen.run(&ctx).await;
        assert_eq!(out.status, Status::Pass);
        assert_eq!(out.summary, "python3 (pid 4242) listens on 127.0.0.1:8000");
        assert_eq!(out.evidence[1].value, "python3 (pid 4242, user root)");
        assert_eq!(out.evidence[2].value, "/usr/bin/python3 server.py");
        assert!(out.fixes.is_empty());
    }

    #[tokio::test]
    async fn a_server_on_the_next_port_is_where_it_moved() {
        let ctx = python_on(vec![
            fake::listener("127.0.0.1:8001", 0, &[4242]),
            // Farther, and hidden: the visible one is the likelier.
            fake::listener("127.0.0.1:7999", 1000, &[]),
        ]);
        assert_eq!(PortListen.fails(&ctx).await, Some(true));
        let out = PortListen.run(&ctx).await;
        assert_eq!(out.status, Status::Fail);
        assert_eq!(
            out.summary,
            "nothing listens on 8000; but `python3 server.py` (pid 4242) listens on 8001"
        );
        assert_eq!(out.fixes[0].title, "Point the client at port 8001");
        assert_eq!(
            out.fixes[0].command.as_deref(),
            Some("rtdoctor check http://localhost:8001")
        );
        assert_eq!(out.fixes[1].title, "Start the server on 8000");
    }

    #[tokio::test]
    async fn nothing_anywhere_near_says_start_the_server() {
        let ctx = python_on(vec![fake::listener("127.0.0.1:9000", 0, &[4242])]);
        let out = PortListen.run(&ctx).await;
        assert_eq!(out.status, Status::Fail);
        assert_eq!(
            out.summary,
            "nothing listens on port 8000, nor on ports 7990-8010"
        );
        assert_eq!(out.fixes[0].title, "Start the server");
        assert_eq!(out.fixes[0].command.as_deref(), Some("rtdoctor ports"));
    }

    #[tokio::test]
    async fn a_hidden_owner_is_named_and_sudo_offered() {
        let ctx = Fake {
            sockets: vec![fake::listener("127.0.0.1:8000", 1000, &[])],
            users: vec![(1000, "alice".into())],
            unreadable: 3,
            ..Fake::default()
        }
        .ctx("localhost:8000");
        let out = PortListen.run(&ctx).await;
        assert_eq!(out.status, Status::Pass);
        assert_eq!(
            out.summary,
            "a process of alice (uid 1000) listens on 127.0.0.1:8000; its pid is hidden from this user"
        );
        assert_eq!(
            out.evidence[1].value,
            "a socket on port 8000 belongs to alice (uid 1000); its process is not visible to this user"
        );
        assert_eq!(out.fixes[0].title, "See the hidden process");
        assert_eq!(
            out.fixes[0].command.as_deref(),
            Some("sudo rtdoctor ports 8000")
        );
    }

    /// Another host's sockets cannot be seen: it is dialled instead, and
    /// a name that does not resolve is the root cause (`.invalid` never
    /// resolves, and no packet leaves for it).
    #[tokio::test]
    async fn another_host_is_dialled_and_a_name_that_does_not_resolve_fails() {
        let ctx = Fake::default().ctx("does-not-exist.invalid:8000");
        let out = PortListen.run(&ctx).await;
        let (host, said) = out.summary.split_once(": ").expect("a reason");
        assert_eq!(
            (out.status, host, out.fixes[0].title.as_str()),
            (
                Status::Fail,
                "does-not-exist.invalid does not resolve",
                "Check the host name"
            ),
            "{said}"
        );
    }

    #[tokio::test]
    async fn as_root_a_hidden_owner_is_not_a_sudo_away() {
        let ctx = fake::hidden_listener("127.0.0.1:8000", 0).ctx("localhost:8000");
        let out = PortListen.run(&ctx).await;
        assert_eq!(
            out.summary,
            "a process of alice (uid 1000) listens on 127.0.0.1:8000; its pid is not visible from here"
        );
        assert_eq!(out.fixes[0].title, "Look from where the process runs");
        assert!(
            out.fixes[0].detail.contains("another PID namespace"),
            "{}",
            out.fixes[0].detail
        );
        assert_eq!(
            out.fixes[0].command.as_deref(),
            Some("ss -tlnp 'sport = :8000'")
        );
    }

    #[tokio::test]
    async fn a_platform_without_an_implementation_skips_and_says_so() {
        let machine = crate::machine::Machine::with_platform(
            Vec::new(),
            None,
            std::sync::Arc::new(Unsupported::named("macos")),
        );
        let ctx = Ctx::new(
            crate::target::Target::parse("localhost:8000").unwrap(),
            crate::settings::ProbeSettings::new(std::time::Duration::from_secs(1), (7990, 8010)),
            std::sync::Arc::new(machine),
        );
        assert_eq!(PortListen.fails(&ctx).await, Some(false));
        let out = PortListen.run(&ctx).await;
        assert_eq!(out.status, Status::Skip);
        assert_eq!(
            out.summary,
            "reading this machine's sockets and processes is not supported on macos"
        );
        for check in [
            &super::super::time_wait::TimeWait as &dyn Check,
            &super::super::fd_limit::FdLimit,
        ] {
            let out = check.run(&ctx).await;
            assert_eq!(out.status, Status::Skip, "{}", check.id());
            assert!(
                out.summary.ends_with("not supported on macos"),
                "{}",
                out.summary
            );
        }
    }
}
