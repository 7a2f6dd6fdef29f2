//! Can the target be reached at all: does its name resolve, and does a TCP
//! connection to its port open? One answer per target (`Ctx::reach`), said
//! once by `port.listen` as the root cause when it is no: every check that
//! talks to the server needs `port.listen`, so each of them is skipped
//! with that as the reason instead of failing with the same symptom.

use std::net::SocketAddr;
use std::time::Duration;

use super::Ctx;
use crate::probe::{Failure, classify};
use crate::report::{Fix, Outcome};
use crate::target::Target;

/// The address that took the connection, or why none did.
pub type Reach = Result<Reached, Unreachable>;

/// The address that took the connection, and how long its connect took
/// (the TCP round trip, plus this machine's own overhead).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reached {
    pub addr: SocketAddr,
    pub took: Duration,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Unreachable {
    /// The name has no address: the resolver's answer in words.
    NoName(String),
    /// Every address refused the connection.
    Refused(Vec<SocketAddr>),
    /// No address answered (some may have refused) within the timeout.
    TimedOut(Vec<SocketAddr>, Duration),
    /// Anything else, in words (`probe::Failure`).
    Other(Failure),
}

/// Resolve the target as this machine's clients do and dial every address
/// at once; the first in the resolver's order that connects wins.
pub async fn dial(ctx: &Ctx) -> Reach {
    let ips = match ctx.resolved().await {
        Ok(ips) if !ips.is_empty() => ips.clone(),
        Ok(_) => {
            return Err(Unreachable::NoName(
                "the resolver returned no address".into(),
            ));
        }
        Err(words) => return Err(Unreachable::NoName(words.clone())),
    };
    let timeout = ctx.probe.timeout;
    let attempts = ips.iter().map(|ip| {
        let addr = SocketAddr::new(*ip, ctx.target.port);
        async move {
            let start = std::time::Instant::now();
            let got =
                match tokio::time::timeout(timeout, tokio::net::TcpStream::connect(addr)).await {
                    Ok(Ok(_stream)) => Ok(start.elapsed()),
                    Ok(Err(e)) => Err(Some(classify(&e))),
                    Err(_) => Err(None),
                };
            (addr, got)
        }
    });
    let results = futures_util::future::join_all(attempts).await;
    sort_out(results, timeout)
}

/// The answer from each address's attempt (`Err(None)`: no answer).
fn sort_out(
    results: Vec<(SocketAddr, Result<Duration, Option<Failure>>)>,
    timeout: Duration,
) -> Reach {
    if let Some((addr, Ok(took))) = results.iter().find(|(_, r)| r.is_ok()) {
        return Ok(Reached {
            addr: *addr,
            took: *took,
        });
    }
    let silent: Vec<SocketAddr> = results
        .iter()
        .filter(|(_, r)| matches!(r, Err(None)))
        .map(|(a, _)| *a)
        .collect();
    if !silent.is_empty() {
        return Err(Unreachable::TimedOut(silent, timeout));
    }
    let refused: Vec<SocketAddr> = results
        .iter()
        .filter(|(_, r)| matches!(r, Err(Some(Failure::Refused))))
        .map(|(a, _)| *a)
        .collect();
    if refused.len() == results.len() {
        return Err(Unreachable::Refused(refused));
    }
    let other = results
        .into_iter()
        .find_map(|(_, r)| match r {
            Err(Some(f)) if f != Failure::Refused => Some(f),
            _ => None,
        })
        .unwrap_or(Failure::Refused);
    Err(Unreachable::Other(other))
}

/// `port.listen` for a target on another machine (or one whose name does
/// not resolve): whether it can be reached, and if not, the root cause
/// with its fix.
pub fn verdict(target: &Target, reach: &Reach) -> Outcome {
    let (host, port) = (&target.host, target.port);
    let why = match reach {
        Ok(r) => {
            return Outcome::pass(format!("{host}:{port} accepts connections (at {})", r.addr));
        }
        Err(why) => why,
    };
    match why {
        Unreachable::NoName(words) => Outcome::fail(if words.starts_with(host.as_str()) {
            words.clone()
        } else {
            format!("{host} does not resolve: {words}")
        })
        .fix(
            Fix::new(
                "Check the host name",
                format!(
                    "This machine's resolver (what clients here use) has no address for {host}. \
Check its spelling in the URL; a new DNS record may not have reached this machine yet; a name \
only some machines know belongs in /etc/hosts or the local DNS."
                ),
            )
            .command(format!("getent hosts {host}")),
        ),
        Unreachable::Refused(addrs) => Outcome::fail(format!(
            "{host}:{port} refused the connection ({}): nothing listens on port {port} there, \
or a firewall rejects it",
            list(addrs)
        ))
        .fix(
            Fix::new(
                "Start the server, or dial the port it listens on",
                format!(
                    "On {host}, see what listens on port {port} and on which address: a server bound \
to 127.0.0.1 takes no connection from other machines (bind 0.0.0.0 or :: instead). A firewall \
that rejects port {port} refuses it the same way."
                ),
            )
            .command(format!("rtdoctor ports {port}   # on {host}")),
        ),
        Unreachable::TimedOut(addrs, timeout) => Outcome::fail(format!(
            "no answer from {host}:{port} within {} ms ({}): a firewall drops the connection, \
or the host is down or not at this address",
            timeout.as_millis(),
            list(addrs)
        ))
        .fix(
            Fix::new(
                "Find what drops the connection",
                format!(
                    "Silence (not a refusal) is what a firewall that drops packets gives: check that \
the host's firewall (ufw, firewalld, iptables) and any cloud security group allow TCP port {port} \
from this machine, and that {host} is up. A longer timeout tells a slow network apart."
                ),
            )
            .command(format!("rtdoctor check {target} --timeout 10s")),
        ),
        Unreachable::Other(failure) => {
            Outcome::fail(format!("cannot connect to {host}:{port}: {failure}"))
        }
    }
}

/// `port.listen` for a local port that is listened on but takes no new
/// connection: Linux drops a SYN to a listener whose accept queue is full,
/// so the process that holds it is stuck or overloaded.
pub fn stuck(port: u16, timeout: Duration) -> Outcome {
    Outcome::fail(format!(
        "a process listens on port {port} but took no new connection within {} ms: \
its accept queue is full (the process is stuck or overloaded)",
        timeout.as_millis()
    ))
    .fix(super::fixes::kill(port))
}

fn list(addrs: &[SocketAddr]) -> String {
    let each: Vec<String> = addrs.iter().map(ToString::to_string).collect();
    each.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Status;

    fn target() -> Target {
        Target::parse("https://api.example.invalid:8443").unwrap()
    }

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    /// The summary, the fixes' titles and commands.
    fn said(out: &Outcome) -> (Status, &str, Vec<(&str, Option<&str>)>) {
        (
            out.status,
            out.summary.as_str(),
            out.fixes
                .iter()
                .map(|f| (f.title.as_str(), f.command.as_deref()))
                .collect(),
        )
    }

    #[test]
    fn each_root_cause_is_said_once_in_words_with_its_fix() {
        let t = target();
        let unresolved = verdict(
            &t,
            &Err(Unreachable::NoName(
                "api.example.invalid does not resolve: no such name".into(),
            )),
        );
        assert_eq!(
            said(&unresolved),
            (
                Status::Fail,
                "api.example.invalid does not resolve: no such name",
                vec![(
                    "Check the host name",
                    Some("getent hosts api.example.invalid")
                )]
            )
        );
        let refused = verdict(&t, &Err(Unreachable::Refused(vec![addr("192.0.2.1:8443")])));
        assert_eq!(
            said(&refused),
            (
                Status::Fail,
                "api.example.invalid:8443 refused the connection (192.0.2.1:8443): nothing listens \
on port 8443 there, or a firewall rejects it",
                vec![(
                    "Start the server, or dial the port it listens on",
                    Some("rtdoctor ports 8443   # on api.example.invalid")
                )]
            )
        );
        let dropped = verdict(
            &t,
            &Err(Unreachable::TimedOut(
                vec![addr("192.0.2.1:8443")],
                Duration::from_millis(1500),
            )),
        );
        assert_eq!(
            said(&dropped),
            (
                Status::Fail,
                "no answer from api.example.invalid:8443 within 1500 ms (192.0.2.1:8443): a firewall \
drops the connection, or the host is down or not at this address",
                vec![(
                    "Find what drops the connection",
                    Some("rtdoctor check https://api.example.invalid:8443 --timeout 10s")
                )]
            )
        );
        let reached = verdict(
            &t,
            &Ok(Reached {
                addr: addr("192.0.2.1:8443"),
                took: Duration::from_millis(20),
            }),
        );
        assert_eq!(
            said(&reached),
            (
                Status::Pass,
                "api.example.invalid:8443 accepts connections (at 192.0.2.1:8443)",
                vec![]
            )
        );
    }

    #[test]
    fn one_address_that_connects_is_enough_and_silence_outranks_a_refusal() {
        let (v4, v6) = (addr("127.0.0.1:1"), addr("[::1]:1"));
        let t = Duration::from_secs(1);
        let took = Duration::from_micros(150);
        assert_eq!(
            sort_out(vec![(v6, Err(Some(Failure::Refused))), (v4, Ok(took))], t),
            Ok(Reached { addr: v4, took })
        );
        assert_eq!(
            sort_out(vec![(v6, Err(Some(Failure::Refused))), (v4, Err(None))], t),
            Err(Unreachable::TimedOut(vec![v4], t))
        );
        assert_eq!(
            sort_out(
                vec![
                    (v6, Err(Some(Failure::Refused))),
                    (v4, Err(Some(Failure::Refused)))
                ],
                t
            ),
            Err(Unreachable::Refused(vec![v6, v4]))
        );
        assert_eq!(
            sort_out(
                vec![
                    (v6, Err(Some(Failure::Reset))),
                    (v4, Err(Some(Failure::Refused)))
                ],
                t
            ),
            Err(Unreachable::Other(Failure::Reset))
        );
    }
}
