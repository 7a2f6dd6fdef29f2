//! `env.proxy`: will a proxy variable send the client's traffic to the
//! target through a proxy? Clients that honour `HTTP(S)_PROXY` / `ALL_PROXY`
//! (curl, Python requests and websocket-client, Node agents built on
//! proxy-from-env) skip the proxy only for hosts that `NO_PROXY` covers.

use std::net::IpAddr;

use async_trait::async_trait;

use super::{Check, Ctx};
use crate::report::{Fix, Outcome};

pub struct EnvProxy;

#[async_trait]
impl Check for EnvProxy {
    fn id(&self) -> &str {
        "env.proxy"
    }

    fn title(&self) -> &str {
        "No proxy variable hijacks the connection"
    }

    fn explain(&self) -> &str {
        "Reads HTTP_PROXY, HTTPS_PROXY and ALL_PROXY in either case (http_proxy is the one \
every client reads; some ignore the upper-case form) and NO_PROXY / no_proxy, and decides \
whether a client that honours them would send traffic for the target through the proxy. \
For http:// and ws:// targets HTTP_PROXY and ALL_PROXY matter; for https:// and wss:// \
HTTPS_PROXY and ALL_PROXY. NO_PROXY entries match the host exactly, as a domain suffix \
(.example.com or example.com), as *, with a :port, or as a CIDR block.\n\n\
A proxy in the way of a local server shows up as 502/503 answers, a corporate login page \
instead of the Socket.IO handshake, or a WebSocket upgrade that never completes (many \
proxies do not tunnel Upgrade requests). Fix: add the target host to NO_PROXY and \
no_proxy (for local servers: localhost,127.0.0.1,::1), or unset the proxy variables in \
the shell that runs the client. Proxy credentials are never printed."
    }

    async fn run(&self, ctx: &Ctx) -> Outcome {
        verdict(&observe(ctx))
    }
}

/// The proxy variables a client of the target reads, and the target.
struct Observation {
    /// An https:// or wss:// target (HTTPS_PROXY applies, not HTTP_PROXY).
    tls: bool,
    /// The proxy variables that apply and are set, as spelt, with their values.
    set: Vec<(String, String)>,
    /// NO_PROXY and no_proxy, as set.
    no_proxy: Vec<(String, String)>,
    host: String,
    port: u16,
    /// The target is localhost or a loopback address: every name of it
    /// belongs in NO_PROXY.
    loopback: bool,
}

fn observe(ctx: &Ctx) -> Observation {
    let tls = ctx.target.scheme.is_tls();
    let relevant: &[&str] = if tls {
        &["https_proxy", "all_proxy"]
    } else {
        &["http_proxy", "all_proxy"]
    };
    let env = ctx.machine.env();
    let pick = |keep: &dyn Fn(&str, &str) -> bool| -> Vec<(String, String)> {
        env.iter()
            .filter(|(k, v)| keep(k, v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    Observation {
        tls,
        set: pick(&|k, v| {
            relevant.contains(&k.to_ascii_lowercase().as_str()) && !v.trim().is_empty()
        }),
        no_proxy: pick(&|k, _| k.eq_ignore_ascii_case("no_proxy")),
        host: ctx.target.host.clone(),
        port: ctx.target.port,
        loopback: ctx.target.is_localhost_name()
            || ctx.target.ip().is_some_and(|ip| ip.is_loopback()),
    }
}

fn verdict(seen: &Observation) -> Outcome {
    if seen.set.is_empty() {
        return Outcome::pass(format!(
            "no {} variable is set",
            if seen.tls {
                "HTTPS_PROXY/ALL_PROXY"
            } else {
                "HTTP_PROXY/ALL_PROXY"
            }
        ));
    }
    let host = &seen.host;
    let covered = seen
        .no_proxy
        .iter()
        .any(|(_, v)| covers(v, host, seen.port));
    let names = seen
        .set
        .iter()
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>()
        .join(", ");

    let mut out = if covered {
        Outcome::pass(format!("{names} set, but NO_PROXY covers {host}"))
    } else {
        let current = seen.no_proxy.first().map(|(_, v)| v.as_str()).unwrap_or("");
        let value = suggested_no_proxy(current, seen);
        Outcome::warn(format!(
            "{names} set and NO_PROXY does not cover {host}: clients that honour it send \
traffic for {host} through the proxy"
        ))
        .fix(
            Fix::new(
                format!("Exempt {host} from the proxy"),
                "Set both spellings: some clients read only no_proxy. Or unset the proxy \
variables in the shell that runs the client.",
            )
            .command(format!("export NO_PROXY=\"{value}\" no_proxy=\"{value}\"")),
        )
    };
    for (k, v) in &seen.set {
        out.push_evidence(k.as_str(), without_credentials(v));
    }
    for (k, v) in &seen.no_proxy {
        out.push_evidence(k.as_str(), v.as_str());
    }
    if seen.no_proxy.is_empty() {
        out.push_evidence("NO_PROXY", "(not set)");
    }
    out
}

fn suggested_no_proxy(current: &str, seen: &Observation) -> String {
    let mut entries: Vec<String> = current
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_owned)
        .collect();
    let wanted: Vec<String> = if seen.loopback {
        vec!["localhost".into(), "127.0.0.1".into(), "::1".into()]
    } else {
        vec![seen.host.clone()]
    };
    for w in wanted {
        if !entries.iter().any(|e| e.eq_ignore_ascii_case(&w)) {
            entries.push(w);
        }
    }
    entries.join(",")
}

/// Does a NO_PROXY value exempt `host:port`?
pub fn covers(no_proxy: &str, host: &str, port: u16) -> bool {
    let host = host
        .trim_matches(|c| c == '[' || c == ']')
        .to_ascii_lowercase();
    let host_ip: Option<IpAddr> = host.parse().ok();
    no_proxy
        .split(',')
        .map(|e| e.trim().to_ascii_lowercase())
        .filter(|e| !e.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            let (name, entry_port) = split_port(&entry);
            if entry_port.is_some_and(|p| p != port) {
                return false;
            }
            if let (Some(ip), Some((net, bits))) = (host_ip, name.split_once('/')) {
                return in_cidr(ip, net, bits);
            }
            let name = name.trim_start_matches("*.").trim_start_matches('.');
            host == name || host.ends_with(&format!(".{name}"))
        })
}

/// `host:port`, `[::1]:port`, or a bare host / IPv6 address.
fn split_port(entry: &str) -> (&str, Option<u16>) {
    if let Some(rest) = entry.strip_prefix('[') {
        return match rest.split_once(']') {
            Some((ip, tail)) => (ip, tail.strip_prefix(':').and_then(|p| p.parse().ok())),
            None => (entry, None),
        };
    }
    match entry.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') => (name, port.parse().ok()),
        _ => (entry, None),
    }
}

fn in_cidr(ip: IpAddr, net: &str, bits: &str) -> bool {
    let (Ok(net), Ok(bits)) = (net.parse::<IpAddr>(), bits.parse::<u32>()) else {
        return false;
    };
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) if bits <= 32 => {
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) if bits <= 128 => {
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

/// A proxy URL without `user:password@`.
fn without_credentials(value: &str) -> String {
    match url::Url::parse(value) {
        Ok(mut u) if !u.username().is_empty() || u.password().is_some() => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        }
        _ if value.contains('@') => "(a proxy URL with credentials, not shown)".into(),
        _ => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::recorded::{evidence, said};
    use crate::report::Status;

    #[test]
    fn no_proxy_matching() {
        assert!(covers("localhost,127.0.0.1", "localhost", 80));
        assert!(covers("*", "example.com", 80));
        assert!(covers(".example.com", "api.example.com", 80));
        assert!(covers("example.com", "api.example.com", 80));
        assert!(!covers("example.com", "badexample.com", 80));
        assert!(covers("127.0.0.0/8", "127.0.0.1", 80));
        assert!(!covers("10.0.0.0/8", "127.0.0.1", 80));
        assert!(covers("::1", "::1", 80));
        assert!(covers("[::1]:8765", "::1", 8765));
        assert!(covers("localhost:8765", "localhost", 8765));
        assert!(!covers("localhost:9000", "localhost", 8765));
        assert!(!covers("", "localhost", 80));
        assert!(covers(" LOCALHOST ", "localhost", 80));
    }

    #[test]
    fn proxy_credentials_are_not_shown() {
        assert_eq!(
            without_credentials("http://u:secret@proxy:3128"),
            "http://proxy:3128/"
        );
        assert_eq!(without_credentials("proxy:3128"), "proxy:3128");
        assert!(!without_credentials("u:secret@proxy:3128").contains("secret"));
    }

    /// A client of `host:8765` over http, with these variables set.
    fn env(host: &str, vars: &[(&str, &str)]) -> Observation {
        let pairs = |keep: fn(&str) -> bool| {
            vars.iter()
                .filter(|(k, _)| keep(k))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        Observation {
            tls: false,
            set: pairs(|k| !k.eq_ignore_ascii_case("no_proxy")),
            no_proxy: pairs(|k| k.eq_ignore_ascii_case("no_proxy")),
            host: host.into(),
            port: 8765,
            loopback: host == "localhost",
        }
    }

    #[test]
    fn no_proxy_variable_passes() {
        let out = verdict(&env("localhost", &[]));
        assert_eq!(
            said(&out),
            (Status::Pass, "no HTTP_PROXY/ALL_PROXY variable is set")
        );
        let mut tls = env("localhost", &[]);
        tls.tls = true;
        assert_eq!(
            verdict(&tls).summary,
            "no HTTPS_PROXY/ALL_PROXY variable is set"
        );
    }

    #[test]
    fn a_proxy_without_no_proxy_warns_and_suggests_every_loopback_name() {
        let out = verdict(&env(
            "localhost",
            &[
                ("http_proxy", "http://u:secret@proxy:3128"),
                ("no_proxy", "corp.test"),
            ],
        ));
        assert_eq!(out.status, Status::Warn, "{}", out.summary);
        assert!(
            out.summary
                .starts_with("http_proxy set and NO_PROXY does not cover localhost"),
            "{}",
            out.summary
        );
        assert_eq!(
            out.fixes[0].command.as_deref(),
            Some(
                "export NO_PROXY=\"corp.test,localhost,127.0.0.1,::1\" no_proxy=\"corp.test,localhost,127.0.0.1,::1\""
            )
        );
        assert_eq!(
            evidence(&out),
            [
                ("http_proxy", "http://proxy:3128/"),
                ("no_proxy", "corp.test")
            ]
        );
        let remote = verdict(&env("api.test", &[("ALL_PROXY", "socks5://proxy:1080")]));
        assert_eq!(
            remote.fixes[0].command.as_deref(),
            Some("export NO_PROXY=\"api.test\" no_proxy=\"api.test\"")
        );
        assert!(evidence(&remote).contains(&("NO_PROXY", "(not set)")));
    }

    #[test]
    fn a_proxy_that_no_proxy_exempts_the_target_from_passes() {
        let out = verdict(&env(
            "localhost",
            &[
                ("HTTP_PROXY", "http://proxy:3128"),
                ("NO_PROXY", "localhost,127.0.0.1"),
            ],
        ));
        assert_eq!(
            said(&out),
            (
                Status::Pass,
                "HTTP_PROXY set, but NO_PROXY covers localhost"
            )
        );
    }
}
