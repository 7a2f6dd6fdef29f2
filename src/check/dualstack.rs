//! `net.dualstack`: will clients reach the server whichever address family
//! they try first? `localhost` is 127.0.0.1 for some clients and ::1 for
//! others (macOS, browsers, Node ≥ 17), so both are dialled whatever this
//! machine's resolver says.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use async_trait::async_trait;

use super::{Check, Ctx, fixes};
use crate::net::{self, Connect};
use crate::report::{Fix, Outcome, Status};

pub struct DualStack;

#[async_trait]
impl Check for DualStack {
    fn id(&self) -> &str {
        "net.dualstack"
    }

    fn title(&self) -> &str {
        "IPv4 and IPv6 clients both reach the server"
    }

    fn needs(&self) -> &[&str] {
        &["port.listen"]
    }

    /// On this machine its connects are a moment's, and must meet the
    /// port before the other checks' connections fill its accept queue.
    async fn holds_back(&self, ctx: &Ctx) -> bool {
        matches!(ctx.is_local().await, Ok(true))
    }

    fn explain(&self) -> &str {
        "Connects over TCP to every address a client may use for the target: for localhost \
both 127.0.0.1 and ::1 (whatever this machine's resolver answers: macOS, browsers and \
Node ≥ 17 dial ::1 first, while curl and Python here may use 127.0.0.1), for an IP \
literal that address, and for other names every address getaddrinfo returns. Each \
answer (accepted, refused, timed out) is compared with the addresses the server listens \
on.\n\n\
Causes it tells apart:\n\
- the server listens on 127.0.0.1 or 0.0.0.0 only: ::1 is refused, so clients that \
resolve localhost to ::1 get ECONNREFUSED (the classic 'works in curl, fails in Node 18' \
case). Fix: listen on :: as well (dual-stack), or use 127.0.0.1 in the client URL, or \
run Node with --dns-result-order=ipv4first.\n\
- the server listens on ::1, or on [::] with IPV6_V6ONLY set (nginx's default for \
'listen [::]:80'): 127.0.0.1 is refused. Fix: 'listen [::]:PORT ipv6only=off', or \
listen on 0.0.0.0 too, or use [::1] in the client URL.\n\
- a connection attempt times out although the port is listened on: the server accepts no \
connections, its accept queue (backlog) is full because it is stuck or overloaded (off this \
machine, a firewall dropping it looks the same). Fix: find out why it stopped calling \
accept(), restart it, add workers or raise the backlog.\n\
- no address accepts although something listens: the server is bound to another \
interface's address only. Fix: bind 0.0.0.0 / :: or use that address.\n\n\
Graded by what this machine's clients will do: fails when none of the addresses this \
machine resolves the name to accepts; warns when one of them is refused (clients here \
that try it, or try it first, are refused); passes, with a note, when only addresses \
this machine's resolver does not give are refused (::1 where localhost is 127.0.0.1 \
only): clients on machines that resolve localhost to ::1 (macOS, Node ≥ 17) would be \
refused."
    }

    /// Known from the connects alone: the listeners the run names are
    /// evidence, and the checks this one holds back need not wait for
    /// them.
    async fn fails(&self, ctx: &Ctx) -> Option<bool> {
        Some(verdict(&observe(ctx, false).await).status == Status::Fail)
    }

    async fn run(&self, ctx: &Ctx) -> Outcome {
        verdict(&observe(ctx, true).await)
    }
}

/// What a client of the target meets on every address it may dial.
struct Observation {
    /// The target as named (its scheme and path go into a suggested URL).
    target: crate::target::Target,
    host: String,
    port: u16,
    /// What this machine's resolver answers for the name, or why it did not.
    resolved: Result<Vec<IpAddr>, String>,
    /// Each address dialled and how the attempt ended, in the order tried.
    tried: Vec<(IpAddr, Connect)>,
    /// The server runs on this machine: its listeners can be read, and a
    /// stuck one can be stopped.
    local: bool,
    /// The server's listening sockets, when they could be read.
    listening: Option<Listening>,
    timeout: Duration,
}

struct Listening {
    /// Each listening socket, as `port.listen` names it.
    labels: Vec<String>,
    /// The addresses dialled that no listening socket covers.
    uncovered: Vec<IpAddr>,
}

/// The addresses a client of the target may dial, and how each connect
/// ended: made once per target (`Ctx::dialled`), for `fails` and `run`.
pub struct Dialled {
    resolved: Result<Vec<IpAddr>, String>,
    tried: Vec<(IpAddr, Connect)>,
}

pub async fn dial(ctx: &Ctx) -> Dialled {
    let port = ctx.target.port;
    let resolved = ctx.resolved().await.clone();
    let mut ips: Vec<IpAddr> = Vec::new();
    if ctx.target.is_localhost_name() {
        ips.extend([
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ]);
    }
    if let Ok(addrs) = &resolved {
        ips.extend(
            addrs
                .iter()
                .filter(|a| !ips.contains(a))
                .collect::<Vec<_>>(),
        );
    }
    let addrs: Vec<SocketAddr> = ips.iter().map(|ip| SocketAddr::new(*ip, port)).collect();
    let tried: Vec<(IpAddr, Connect)> = if addrs.is_empty() {
        Vec::new()
    } else {
        net::connect_all(&addrs, ctx.probe.timeout)
            .await
            .into_iter()
            .map(|(addr, c)| (addr.ip(), c))
            .collect()
    };
    Dialled { resolved, tried }
}

/// What was dialled, and, when `listeners`, the server's listening
/// sockets on this machine (the evidence; the status does not need them).
async fn observe(ctx: &Ctx, listeners: bool) -> Observation {
    let port = ctx.target.port;
    let Dialled { resolved, tried } = ctx.dialled().await;
    let (resolved, tried) = (resolved.clone(), tried.clone());
    let ips: Vec<IpAddr> = tried.iter().map(|(ip, _)| *ip).collect();
    let local = !tried.is_empty() && ctx.is_local().await == Ok(true);
    let mut listening = None;
    if local
        && listeners
        && let Ok(found) = ctx.machine.holders(port).await
        && !found.is_empty()
    {
        listening = Some(Listening {
            labels: found.addr_labels(),
            uncovered: ips
                .iter()
                .filter(|ip| found.sockets.iter().all(|s| s.accepts(**ip) == Some(false)))
                .copied()
                .collect(),
        });
    }
    Observation {
        target: ctx.target.clone(),
        host: ctx.target.host.clone(),
        port,
        resolved,
        tried,
        local,
        listening,
        timeout: ctx.probe.timeout,
    }
}

fn verdict(seen: &Observation) -> Outcome {
    let port = seen.port;
    if seen.tried.is_empty()
        && let Err(e) = &seen.resolved
    {
        return Outcome::fail(e.clone());
    }
    let works = |c: &Connect| matches!(c, Connect::Accepted(_));
    // An address this machine cannot even dial (no IPv6 on it) says
    // nothing about the server.
    let counts = |c: &Connect| !matches!(c, Connect::Failed(_));
    let accepted: Vec<IpAddr> = seen
        .tried
        .iter()
        .filter(|(_, c)| works(c))
        .map(|r| r.0)
        .collect();
    let rejected: Vec<IpAddr> = seen
        .tried
        .iter()
        .filter(|(_, c)| !works(c) && counts(c))
        .map(|r| r.0)
        .collect();
    let timed_out: Vec<IpAddr> = seen
        .tried
        .iter()
        .filter(|(_, c)| matches!(c, Connect::TimedOut))
        .map(|r| r.0)
        .collect();

    let mut out = if timed_out.is_empty() {
        answered(seen, &accepted, &rejected)
    } else {
        let refused: Vec<IpAddr> = rejected
            .iter()
            .filter(|ip| !timed_out.contains(ip))
            .copied()
            .collect();
        let out = stalled(&timed_out, &refused, seen.local, seen.timeout);
        if seen.local {
            out.fix(super::fixes::kill(port))
        } else {
            out
        }
    };

    for (ip, c) in &seen.tried {
        out.push_evidence(SocketAddr::new(*ip, port).to_string(), c.describe());
    }
    if let Ok(addrs) = &seen.resolved {
        out.push_evidence(
            "this machine resolves",
            format!("{} → {}", seen.host, list(addrs)),
        );
    }
    if let Some(listening) = &seen.listening {
        out.push_evidence("server listens on", listening.labels.join(", "));
        for ip in rejected
            .iter()
            .filter(|ip| listening.uncovered.contains(ip))
        {
            out.push_evidence(
                format!("why {ip} is refused"),
                "no listening socket covers this address",
            );
        }
    }
    out
}

/// Every address answered, accepted or refused: which clients get in.
fn answered(seen: &Observation, accepted: &[IpAddr], rejected: &[IpAddr]) -> Outcome {
    let port = seen.port;
    let host = &seen.host;
    let resolved = seen.resolved.as_ref().ok();
    if rejected.is_empty() && !accepted.is_empty() {
        return Outcome::pass(match accepted {
            [one] => format!("{one} accepts connections"),
            _ => format!("{} all accept connections", list(accepted)),
        });
    }
    if accepted.is_empty() {
        return Outcome::fail(format!(
            "no address of {} accepts connections on port {port} ({} tried)",
            host,
            list(rejected)
        ))
        .fix(fixes::listen_everywhere(port));
    }
    let v6_refused = rejected.iter().any(IpAddr::is_ipv6);
    let v4_refused = rejected.iter().any(IpAddr::is_ipv4);
    let reason = match (v4_refused, v6_refused) {
        (false, true) => format!(
            "the server listens on IPv4 only; clients that resolve {} to an IPv6 address first \
(macOS, browsers, Node ≥ 17) get ECONNREFUSED",
            host
        ),
        (true, false) => "the server listens on IPv6 only; IPv4 clients get ECONNREFUSED".into(),
        _ => "the server listens on some addresses only".into(),
    };
    let summary = format!(
        "{} refused, {} accepts: {reason}",
        list(rejected),
        list(accepted)
    );
    // Graded by what this machine's clients do: fail when the name does
    // not work from here at all; warn when this machine's resolver gives an
    // address that is refused (its clients try it, maybe first); pass with
    // a note when only addresses other machines' resolvers give are refused.
    let mut out = match resolved {
        Some(r) if !r.iter().any(|ip| accepted.contains(ip)) => Outcome::fail(summary),
        Some(r) if !rejected.iter().any(|ip| r.contains(ip)) => {
            return elsewhere_only(host, r, accepted, rejected, v6_refused && !v4_refused);
        }
        _ => Outcome::warn(summary),
    };
    out = out.fix(fixes::listen_everywhere(port));
    if v6_refused && !v4_refused {
        out = out
            .fix(
                Fix::new(
                    "Or dial IPv4 explicitly",
                    "Use 127.0.0.1 instead of localhost in the client URL.",
                )
                .command(format!(
                    "rtdoctor check {}",
                    fixes::url_with_ip(&seen.target, std::net::Ipv4Addr::LOCALHOST.into())
                )),
            )
            .fix(
                Fix::new(
                    "Or make Node clients prefer IPv4",
                    "Node ≥ 17 returns ::1 first for localhost. Start Node with \
--dns-result-order=ipv4first, or call dns.setDefaultResultOrder('ipv4first') before connecting.",
                )
                .command("NODE_OPTIONS=--dns-result-order=ipv4first"),
            );
    } else if v4_refused && !v6_refused {
        out = out.fix(Fix::new(
            "Or dial IPv6 explicitly",
            format!(
                "Use [::1] instead of localhost in the client URL: {}",
                fixes::url_with_ip(&seen.target, std::net::Ipv6Addr::LOCALHOST.into())
            ),
        ));
    }
    out
}

/// Every address this machine's resolver gives for the name accepts; the
/// refused ones are those other machines' resolvers give (for localhost:
/// ::1 on macOS and for Node ≥ 17, where this machine says 127.0.0.1): no
/// client here is refused, so it passes with a note of who would be.
fn elsewhere_only(
    host: &str,
    resolved: &[IpAddr],
    accepted: &[IpAddr],
    rejected: &[IpAddr],
    ipv4_only: bool,
) -> Outcome {
    let (accept, is) = match (accepted.len(), rejected.len()) {
        (1, 1) => ("accepts", "is"),
        (1, _) => ("accepts", "are"),
        (_, 1) => ("accept", "is"),
        _ => ("accept", "are"),
    };
    let (family, who) = if ipv4_only {
        ("IPv4", " (macOS, browsers, Node ≥ 17)")
    } else if rejected.iter().all(IpAddr::is_ipv4) {
        ("IPv6", "")
    } else {
        ("some addresses", "")
    };
    Outcome::pass(format!(
        "{} {accept}, and this machine resolves {host} to {} only: its clients connect. {} {is} \
refused (the server listens on {family} only): clients on machines that resolve {host} to {}{who} \
would be refused",
        list(accepted),
        list(resolved),
        list(rejected),
        list(rejected),
    ))
}

/// Connection attempts that time out while the port is listened on
/// (`port.listen` found it): Linux drops a SYN to a listener whose accept
/// queue is full, so the server takes no new connection at all, whatever
/// the address family. Off this machine, a firewall dropping the SYN looks
/// the same.
fn stalled(timed_out: &[IpAddr], refused: &[IpAddr], local: bool, timeout: Duration) -> Outcome {
    let ms = timeout.as_millis();
    let mut summary = if local {
        format!(
            "the server accepts no connections: {} did not complete one within {ms} ms although \
the port is listened on, so its accept queue (backlog) is full: the server is stuck or \
overloaded",
            list(timed_out)
        )
    } else {
        format!(
            "{} did not complete a connection within {ms} ms: a firewall drops it, or the server \
accepts no connections because its accept queue (backlog) is full",
            list(timed_out)
        )
    };
    if !refused.is_empty() {
        summary.push_str(&format!("; {} refused", list(refused)));
    }
    Outcome::fail(summary).fix(Fix::new(
        "Find out why the server stopped accepting connections",
        "A server that no longer calls accept() (a blocked event loop, a deadlock, every worker \
busy) lets the kernel's queue of completed handshakes fill up; after that, new connections \
are dropped until they time out. Read its log, look at its CPU, take a stack dump (py-spy dump \
--pid PID; node --inspect) and restart it. If it is only overloaded: more workers, or a larger \
backlog (listen(…, backlog), net.core.somaxconn).",
    ))
}

fn list(ips: &[IpAddr]) -> String {
    ips.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::recorded::{evidence, said};
    use crate::report::Status;

    const V4: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
    const V6: IpAddr = IpAddr::V6(Ipv6Addr::LOCALHOST);

    fn ok() -> Connect {
        Connect::Accepted(Duration::from_millis(1))
    }

    /// `localhost:8765` on this machine: both loopbacks dialled, the
    /// resolver answering `resolved`.
    fn seen(resolved: &[IpAddr], v4: Connect, v6: Connect) -> Observation {
        Observation {
            target: crate::target::Target::parse("localhost:8765").expect("a target"),
            host: "localhost".into(),
            port: 8765,
            resolved: Ok(resolved.to_vec()),
            tried: vec![(V4, v4), (V6, v6)],
            local: true,
            listening: None,
            timeout: Duration::from_secs(2),
        }
    }

    /// A server on 127.0.0.1:8765 only, on a machine whose resolver gives
    /// `resolver` for localhost.
    fn ipv4_only(resolver: &[IpAddr]) -> Observation {
        let mut s = seen(resolver, ok(), Connect::Refused);
        s.listening = Some(Listening {
            labels: vec!["127.0.0.1:8765".into()],
            uncovered: vec![V6],
        });
        s
    }

    const WHY_V6: (&str, &str) = (
        "why ::1 is refused",
        "no listening socket covers this address",
    );

    fn titles(out: &Outcome) -> Vec<&str> {
        out.fixes.iter().map(|f| f.title.as_str()).collect()
    }

    #[test]
    fn both_families_accepted_pass() {
        let out = verdict(&seen(&[V4], ok(), ok()));
        assert_eq!(
            said(&out),
            (Status::Pass, "127.0.0.1, ::1 all accept connections")
        );
        assert!(evidence(&out).contains(&("this machine resolves", "localhost → 127.0.0.1")));
    }

    #[test]
    fn an_ipv4_only_server_warns_when_this_machine_resolves_localhost_to_v6() {
        for resolver in [&[V6, V4][..], &[V4, V6]] {
            let out = verdict(&ipv4_only(resolver));
            let (status, summary) = said(&out);
            assert_eq!(status, Status::Warn, "{resolver:?}: {summary}");
            assert!(
                summary.starts_with("::1 refused, 127.0.0.1 accepts"),
                "{summary}"
            );
            assert!(summary.contains("Node ≥ 17"), "{summary}");
            assert_eq!(
                titles(&out),
                [
                    "Listen on both address families",
                    "Or dial IPv4 explicitly",
                    "Or make Node clients prefer IPv4"
                ]
            );
            let ev = evidence(&out);
            assert!(
                ev.contains(&("server listens on", "127.0.0.1:8765")),
                "{ev:?}"
            );
            assert!(ev.contains(&WHY_V6), "{ev:?}");
        }
    }

    #[test]
    fn an_ipv4_only_server_passes_with_a_note_where_localhost_is_127_0_0_1_only() {
        // `getent ahosts localhost` on a Debian container: 127.0.0.1 only.
        let out = verdict(&ipv4_only(&[V4]));
        assert_eq!(
            said(&out),
            (
                Status::Pass,
                "127.0.0.1 accepts, and this machine resolves localhost to 127.0.0.1 only: its \
clients connect. ::1 is refused (the server listens on IPv4 only): clients on machines that \
resolve localhost to ::1 (macOS, browsers, Node ≥ 17) would be refused"
            )
        );
        assert!(out.fixes.is_empty(), "a pass has nothing to fix here");
        let ev = evidence(&out);
        assert!(
            ev.contains(&("this machine resolves", "localhost → 127.0.0.1")),
            "{ev:?}"
        );
        assert!(
            ev.contains(&("[::1]:8765", "refused (ECONNREFUSED)")),
            "{ev:?}"
        );
        assert!(ev.contains(&WHY_V6), "{ev:?}");
    }

    #[test]
    fn an_ipv6_only_server_passes_with_a_note_where_localhost_is_v6_only() {
        let out = verdict(&seen(&[V6], Connect::Refused, ok()));
        let (status, summary) = said(&out);
        assert_eq!(status, Status::Pass, "{summary}");
        assert!(
            summary.ends_with(
                "clients on machines that resolve localhost to 127.0.0.1 would be refused"
            ),
            "{summary}"
        );
    }

    #[test]
    fn an_unknown_resolver_answer_keeps_the_warning() {
        let mut s = seen(&[], ok(), Connect::Refused);
        s.resolved = Err("localhost does not resolve".into());
        assert_eq!(verdict(&s).status, Status::Warn);
    }

    #[test]
    fn an_ipv4_only_server_fails_where_the_name_means_ipv6_only() {
        let out = verdict(&seen(&[V6], ok(), Connect::Refused));
        assert_eq!(out.status, Status::Fail, "{}", out.summary);
    }

    #[test]
    fn an_ipv6_only_server_fails_where_the_name_means_ipv4_only() {
        let out = verdict(&seen(&[V4], Connect::Refused, ok()));
        let (status, summary) = said(&out);
        assert_eq!(status, Status::Fail, "{summary}");
        assert!(
            summary.starts_with("127.0.0.1 refused, ::1 accepts: the server listens on IPv6 only"),
            "{summary}"
        );
        assert_eq!(
            titles(&out),
            ["Listen on both address families", "Or dial IPv6 explicitly"]
        );
    }

    #[test]
    fn no_address_accepting_fails() {
        let out = verdict(&seen(&[V4], Connect::Refused, Connect::Refused));
        assert_eq!(
            said(&out),
            (
                Status::Fail,
                "no address of localhost accepts connections on port 8765 (127.0.0.1, ::1 tried)"
            )
        );
    }

    #[test]
    fn an_address_this_machine_cannot_dial_says_nothing_about_the_server() {
        let no_v6 = Connect::Failed("Network is unreachable (os error 101)".into());
        let out = verdict(&seen(&[V4], ok(), no_v6));
        assert_eq!(said(&out), (Status::Pass, "127.0.0.1 accepts connections"));
        assert!(evidence(&out).contains(&("[::1]:8765", "Network is unreachable (os error 101)")));
    }

    #[test]
    fn a_full_accept_queue_is_told_apart_from_a_refusal() {
        let out = verdict(&seen(&[V4], Connect::TimedOut, Connect::Refused));
        let (status, summary) = said(&out);
        assert_eq!(status, Status::Fail);
        assert!(
            summary.starts_with(
                "the server accepts no connections: 127.0.0.1 did not complete one within 2000 ms"
            ),
            "{summary}"
        );
        assert!(summary.ends_with("; ::1 refused"), "{summary}");
        assert_eq!(
            titles(&out),
            [
                "Find out why the server stopped accepting connections",
                "If the process is stuck, stop it and start it again"
            ]
        );

        let mut remote = seen(&[V4], Connect::TimedOut, Connect::Refused);
        remote.host = "example.test".into();
        remote.local = false;
        let out = verdict(&remote);
        assert!(
            out.summary.contains("a firewall drops it"),
            "{}",
            out.summary
        );
        assert_eq!(
            titles(&out),
            ["Find out why the server stopped accepting connections"]
        );
    }

    #[test]
    fn a_name_that_does_not_resolve_fails_with_the_resolver_s_answer() {
        let out = verdict(&Observation {
            target: crate::target::Target::parse("nowhere.test:80").expect("a target"),
            host: "nowhere.test".into(),
            port: 80,
            resolved: Err("nowhere.test does not resolve".into()),
            tried: Vec::new(),
            local: false,
            listening: None,
            timeout: Duration::from_secs(2),
        });
        assert_eq!(said(&out), (Status::Fail, "nowhere.test does not resolve"));
        assert!(out.evidence.is_empty());
    }
}
