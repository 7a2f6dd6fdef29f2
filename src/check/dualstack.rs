//! `net.dualstack`: will clients reach the server whichever address family
//! they try first? `localhost` is 127.0.0.1 for some clients and ::1 for
//! others (macOS, browsers, Node ≥ 17), so both are dialled whatever this
//! machine's resolver says.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use async_trait::async_trait;

use super::{Check, Ctx};
use crate::net::{self, Connect};
use crate::report::{Fix, Outcome};

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
Warns when some addresses work and others do not; fails when none of the addresses this \
machine resolves the name to accepts."
    }

    async fn run(&self, ctx: &Ctx) -> Outcome {
        let port = ctx.target.port;
        let resolved = ctx.resolved().await.clone();
        let mut ips: Vec<IpAddr> = Vec::new();
        if ctx.target.is_localhost_name() {
            ips.extend([
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(Ipv6Addr::LOCALHOST),
            ]);
        }
        match &resolved {
            Ok(addrs) => ips.extend(
                addrs
                    .iter()
                    .filter(|a| !ips.contains(a))
                    .collect::<Vec<_>>(),
            ),
            Err(e) if ips.is_empty() => return Outcome::fail(e.clone()),
            Err(_) => {}
        }

        let addrs: Vec<SocketAddr> = ips.iter().map(|ip| SocketAddr::new(*ip, port)).collect();
        let results: Vec<(IpAddr, Connect)> = net::connect_all(&addrs, ctx.probe.timeout)
            .await
            .into_iter()
            .map(|(addr, c)| (addr.ip(), c))
            .collect();

        let works = |c: &Connect| matches!(c, Connect::Accepted(_));
        // An address this machine cannot even dial (no IPv6 on it) says
        // nothing about the server.
        let counts = |c: &Connect| !matches!(c, Connect::Failed(_));
        let accepted: Vec<IpAddr> = results
            .iter()
            .filter(|(_, c)| works(c))
            .map(|r| r.0)
            .collect();
        let rejected: Vec<IpAddr> = results
            .iter()
            .filter(|(_, c)| !works(c) && counts(c))
            .map(|r| r.0)
            .collect();

        let mut evidence: Vec<(String, String)> = results
            .iter()
            .map(|(ip, c)| (SocketAddr::new(*ip, port).to_string(), c.describe()))
            .collect();
        if let Ok(addrs) = &resolved {
            evidence.push((
                "this machine resolves".into(),
                format!("{} → {}", ctx.target.host, list(addrs)),
            ));
        }
        if ctx.is_local().await == Ok(true)
            && let Ok(found) = ctx.machine.holders(port).await
            && !found.is_empty()
        {
            evidence.push(("server listens on".into(), found.addr_labels().join(", ")));
            for ip in &rejected {
                if found.sockets.iter().all(|s| s.accepts(*ip) == Some(false)) {
                    evidence.push((
                        format!("why {ip} is refused"),
                        "no listening socket covers this address".into(),
                    ));
                }
            }
        }

        let timed_out: Vec<IpAddr> = results
            .iter()
            .filter(|(_, c)| matches!(c, Connect::TimedOut))
            .map(|r| r.0)
            .collect();
        let mut out = if timed_out.is_empty() {
            verdict(ctx, &accepted, &rejected, resolved.as_ref().ok())
        } else {
            let local = ctx.is_local().await == Ok(true);
            let refused: Vec<IpAddr> = rejected
                .iter()
                .filter(|ip| !timed_out.contains(ip))
                .copied()
                .collect();
            let out = stalled(&timed_out, &refused, local, ctx.probe.timeout);
            super::fixes::kill_hint(ctx, out).await
        };
        for (label, value) in evidence {
            out.push_evidence(label, value);
        }
        out
    }
}

fn verdict(
    ctx: &Ctx,
    accepted: &[IpAddr],
    rejected: &[IpAddr],
    resolved: Option<&Vec<IpAddr>>,
) -> Outcome {
    let port = ctx.target.port;
    if rejected.is_empty() && !accepted.is_empty() {
        return Outcome::pass(match accepted {
            [one] => format!("{one} accepts connections"),
            _ => format!("{} all accept connections", list(accepted)),
        });
    }
    if accepted.is_empty() {
        return Outcome::fail(format!(
            "no address of {} accepts connections on port {port} ({} tried)",
            ctx.target.host,
            list(rejected)
        ))
        .fix(listen_everywhere(port));
    }
    let v6_refused = rejected.iter().any(IpAddr::is_ipv6);
    let v4_refused = rejected.iter().any(IpAddr::is_ipv4);
    let reason = match (v4_refused, v6_refused) {
        (false, true) => format!(
            "the server listens on IPv4 only; clients that resolve {} to an IPv6 address first \
(macOS, browsers, Node ≥ 17) get ECONNREFUSED",
            ctx.target.host
        ),
        (true, false) => "the server listens on IPv6 only; IPv4 clients get ECONNREFUSED".into(),
        _ => "the server listens on some addresses only".into(),
    };
    let summary = format!(
        "{} refused, {} accepts: {reason}",
        list(rejected),
        list(accepted)
    );
    // Fail when the name does not work from here at all; warn when it
    // works here but not for clients that pick the other family.
    let works_here = resolved.is_none_or(|r| r.iter().any(|ip| accepted.contains(ip)));
    let mut out = if works_here {
        Outcome::warn(summary)
    } else {
        Outcome::fail(summary)
    };
    out = out.fix(listen_everywhere(port));
    if v6_refused && !v4_refused {
        out = out
            .fix(
                Fix::new(
                    "Or dial IPv4 explicitly",
                    "Use 127.0.0.1 instead of localhost in the client URL.",
                )
                .command(format!(
                    "rtdoctor check {}",
                    super::fixes::url_with_ip(&ctx.target, std::net::Ipv4Addr::LOCALHOST.into())
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
                super::fixes::url_with_ip(&ctx.target, std::net::Ipv6Addr::LOCALHOST.into())
            ),
        ));
    }
    out
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

fn listen_everywhere(port: u16) -> Fix {
    Fix::new(
        "Listen on both address families",
        format!(
            "Bind the server to :: with IPV6_V6ONLY off (dual-stack; Node's \
server.listen({port}, '::') does this by default), or listen on 0.0.0.0 and :: both \
(nginx: 'listen {port};' and 'listen [::]:{port};', or 'listen [::]:{port} ipv6only=off;'). \
Binding 127.0.0.1 alone serves IPv4 clients only."
        ),
    )
}

fn list(ips: &[IpAddr]) -> String {
    ips.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
