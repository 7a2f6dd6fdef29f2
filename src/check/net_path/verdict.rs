//! What stands between here and the server, judged from what was seen:
//! the address used and its connect time, the hops the answer's headers
//! name, who terminates TLS, and whether a hop's idle cut is shorter than
//! the time a session waits for its next ping (pingInterval + pingTimeout).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use super::hops::{Hop, identify};
use crate::report::{Fix, Outcome, millis};

/// What `net.path` saw.
pub struct Observation {
    /// Every address the target's name resolved to, in the resolver's order.
    pub addrs: Vec<IpAddr>,
    /// The address that took the connection and its connect time.
    pub used: SocketAddr,
    pub connect: Duration,
    /// The answer's headers (the Engine.IO handshake's, or a GET's), or
    /// why there was none.
    pub answer: Result<Answered, String>,
    /// For https/wss: the server certificate's subject and issuer.
    pub certificate: Option<(String, String)>,
    /// The handshake's pingInterval and pingTimeout (ms), when a session
    /// opened.
    pub ping: Option<(u64, u64)>,
}

/// One answer and the request that got it.
pub struct Answered {
    /// `GET /socket.io/?EIO=4…`: what was asked.
    pub request: String,
    pub headers: Vec<(String, String)>,
}

/// At most this many of the answer's headers are shown as evidence.
const SHOWN_HEADERS: usize = 12;

pub fn verdict(seen: &Observation) -> Outcome {
    let ms = millis(seen.connect);
    let at = format!("{} (TCP connect {ms:.1} ms)", seen.used);
    let hops = match &seen.answer {
        Ok(a) => identify(&a.headers),
        Err(_) => Vec::new(),
    };
    let tls =
        seen.certificate
            .as_ref()
            .map(|(subject, _)| match hops.iter().find(|h| h.known.edge) {
                Some(edge) => format!("TLS terminated by {} ({subject})", edge.known.name),
                None => match hops.first() {
                    Some(proxy) => format!("TLS terminated by {} ({subject})", proxy.label()),
                    None => format!("TLS terminated by the server at {} ({subject})", seen.used),
                },
            });
    let mut out = if hops.is_empty() {
        let nothing = match &seen.answer {
            Ok(_) => "no proxy, CDN or platform named by the answer".to_string(),
            Err(why) => format!("no answer to read who is in between ({why})"),
        };
        let tls = tls.map(|t| format!("; {t}")).unwrap_or_default();
        Outcome::pass(format!("direct: {at}, {nothing}{tls}"))
    } else {
        judged(&hops, &at, tls, seen.ping)
    };
    for hop in &hops {
        out.push_evidence(
            hop.known.name,
            format!("{}: {} ({})", hop.seen, hop.known.does, hop.known.source),
        );
    }
    out.push_evidence("connected to", format!("{} in {ms:.1} ms", seen.used));
    let addrs: Vec<String> = seen.addrs.iter().map(ToString::to_string).collect();
    out.push_evidence("resolved", addrs.join(", "));
    if let Some((subject, issuer)) = &seen.certificate {
        out.push_evidence("certificate", format!("{subject} (issuer {issuer})"));
    }
    match &seen.answer {
        Ok(a) => {
            out.push_evidence("request", &a.request);
            // Bounded: a hostile answer may repeat a header many times.
            let named = a
                .headers
                .iter()
                .filter(|(n, _)| shown(n))
                .take(SHOWN_HEADERS);
            for (name, value) in named {
                out.push_evidence("header", super::hops::shown(name, value));
            }
        }
        Err(why) => out.push_evidence("answer", why),
    }
    out
}

/// Headers that name hops, shown as evidence.
fn shown(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "server",
        "via",
        "cf-ray",
        "x-vercel-id",
        "fly-request-id",
        "x-azure-ref",
    ]
    .contains(&n.as_str())
        || n == "x-render-origin-server"
        || n.starts_with("x-amzn-")
        || n.starts_with("x-railway-")
        || n.starts_with("x-envoy-")
}

/// Hops in front: a pass that names them with what they do, or a warning
/// when one of them cuts the server's pings or cannot hold a WebSocket.
fn judged(hops: &[Hop], at: &str, tls: Option<String>, ping: Option<(u64, u64)>) -> Outcome {
    let names: Vec<String> = hops
        .iter()
        .map(|h| match &h.server {
            Some(s) => s.clone(),
            None => format!("{} ({})", h.known.name, h.seen),
        })
        .collect();
    let front = format!("{} in front of the server at {at}", names.join(", then "));
    let tls = tls.map(|t| format!("; {t}")).unwrap_or_default();
    // The first hop that may cut a connection the server still counts as
    // alive: socket.io's reverse-proxy guide (https://socket.io/docs/v4/reverse-proxy/)
    // asks for a proxy idle timeout bigger than pingInterval + pingTimeout.
    let cut = ping.and_then(|(interval, timeout)| {
        hops.iter().find_map(|h| {
            let idle = h.known.idle_cut?;
            (interval + timeout >= idle * 1000).then_some((h, idle, interval, timeout))
        })
    });
    if let Some((hop, idle, interval, timeout)) = cut {
        let name = hop.label();
        return Outcome::warn(format!(
            "{name} cuts connections idle for {idle} s, and the server pings every {} s with a \
{} s pingTimeout: keep pingInterval + pingTimeout under {idle} s; {front}{tls}",
            secs(interval),
            secs(timeout),
        ))
        .fix(Fix::new(
            format!("Keep pingInterval + pingTimeout under {idle} s, the idle cut of {name}"),
            format!(
                "A session waits up to pingInterval + pingTimeout for its next ping, and {name} \
{}: it cuts connections the server still counts as alive, and their clients reconnect. socket.io: \
new Server({{ pingInterval: 25000, pingTimeout: 20000 }}); python-socketio: \
socketio.AsyncServer(ping_interval=25, ping_timeout=20) (the defaults, 45 s together). {}",
                hop.known.does, hop.known.setting
            ),
        ));
    }
    if let Some(hop) = hops.iter().find(|h| h.known.serverless) {
        let name = hop.known.name;
        return Outcome::warn(format!(
            "{name} in front ({}): it {}; {front}{tls}",
            hop.seen, hop.known.does
        ))
        .fix(Fix::new(
            format!("Keep the socket where a process stays up, not in {name}'s functions"),
            format!(
                "A Socket.IO session over polling sends each request anew, and a function \
instance that ends takes its sessions with it. Host the Socket.IO server where one process keeps \
running (a container or VM host), or connect with transports: ['websocket'] and let the client \
reconnect; see {}.",
                hop.known.source
            ),
        ));
    }
    let facts: Vec<String> = hops
        .iter()
        .filter(|h| h.known.idle_cut.is_some() || h.known.does.contains("WebSocket"))
        .map(|h| format!("{} {}", h.label(), h.known.does))
        .collect();
    let idle_cuts = hops.iter().any(|h| h.known.idle_cut.is_some());
    let pings = match ping {
        Some((interval, _)) if idle_cuts => {
            format!(
                "; the server pings every {} s, within each idle cut",
                secs(interval)
            )
        }
        _ => String::new(),
    };
    let facts = if facts.is_empty() {
        String::new()
    } else {
        format!("; {}{pings}", facts.join("; "))
    };
    Outcome::pass(format!("{front}{tls}{facts}"))
}

/// Milliseconds as seconds, whole when they are.
fn secs(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        (ms / 1000).to_string()
    } else {
        format!("{:.1}", ms as f64 / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::recorded::said;
    use crate::report::Status;

    /// The summary, checked by `test` against `words`.
    fn says(out: &Outcome, test: fn(&str, &str) -> bool, words: &str) {
        assert!(test(&out.summary, words), "{}", out.summary);
    }

    fn seen(headers: &[(&str, &str)], ping: Option<(u64, u64)>) -> Observation {
        Observation {
            addrs: vec!["127.0.0.1".parse().unwrap()],
            used: "127.0.0.1:8080".parse().unwrap(),
            connect: Duration::from_micros(210),
            answer: Ok(Answered {
                request: "GET http://127.0.0.1:8080/socket.io/?EIO=4&transport=polling".into(),
                headers: headers
                    .iter()
                    .map(|(n, v)| (n.to_string(), v.to_string()))
                    .collect(),
            }),
            certificate: None,
            ping,
        }
    }

    /// python-socketio's answer straight from aiohttp (WIRE.md 1).
    const DIRECT: &[(&str, &str)] = &[
        ("Content-Type", "text/plain; charset=UTF-8"),
        ("Server", "Python/3.11 aiohttp/3.14.5"),
    ];

    #[test]
    fn a_direct_answer_says_nothing_is_in_between() {
        let out = verdict(&seen(DIRECT, Some((25_000, 20_000))));
        assert_eq!(
            said(&out),
            (
                Status::Pass,
                "direct: 127.0.0.1:8080 (TCP connect 0.2 ms), no proxy, CDN or platform named by the answer"
            )
        );
        let ev = crate::check::recorded::evidence(&out);
        assert!(
            ev.contains(&("connected to", "127.0.0.1:8080 in 0.2 ms")),
            "{ev:?}"
        );
        assert!(ev.contains(&("resolved", "127.0.0.1")), "{ev:?}");
        assert!(
            ev.contains(&("header", "server: Python/3.11 aiohttp/3.14.5")),
            "{ev:?}"
        );
    }

    #[test]
    fn heroku_cuts_a_server_that_pings_every_60_s() {
        let headers = &[
            ("Server", "Python/3.11 aiohttp/3.14.5"),
            ("Via", "1.1 vegur"),
        ];
        let out = verdict(&seen(headers, Some((60_000, 20_000))));
        assert_eq!(out.status, Status::Warn);
        says(
            &out,
            |s, w| s.starts_with(w),
            "Heroku's router cuts connections idle for 55 s, and the server pings every 60 s with \
a 20 s pingTimeout: keep pingInterval + pingTimeout under 55 s; Heroku's router (via: 1.1 vegur) \
in front of the server at 127.0.0.1:8080",
        );
        assert_eq!(
            out.fixes[0].title,
            "Keep pingInterval + pingTimeout under 55 s, the idle cut of Heroku's router"
        );
        assert!(
            out.fixes[0]
                .detail
                .contains("pingInterval: 25000, pingTimeout: 20000")
        );
        // pingInterval + pingTimeout at the cut is a warning; under it is not.
        let at = verdict(&seen(headers, Some((35_000, 20_000))));
        assert_eq!(at.status, Status::Warn);
        let under = verdict(&seen(headers, Some((34_000, 20_000))));
        assert_eq!(under.status, Status::Pass);
        let fine = verdict(&seen(headers, Some((25_000, 20_000))));
        assert_eq!(fine.status, Status::Pass);
        assert_eq!(
            fine.summary,
            "Heroku's router (via: 1.1 vegur) in front of the server at 127.0.0.1:8080 (TCP \
connect 0.2 ms); Heroku's router cuts connections idle for 55 s (H15); the server pings every \
25 s, within each idle cut"
        );
    }

    #[test]
    fn each_platforms_idle_cut_is_weighed_against_the_ping_interval() {
        for (header, value, name, idle) in [
            ("cf-ray", "8a1b2c3d4e5f6789-AMS", "Cloudflare", 100),
            (
                "Server",
                "awselb/2.0",
                "an AWS Application Load Balancer",
                60,
            ),
            ("Server", "nginx/1.22.1", "nginx/1.22.1", 60),
            ("Server", "envoy", "envoy", 300),
        ] {
            let over = (idle + 10) * 1000;
            let out = verdict(&seen(&[(header, value)], Some((over, 20_000))));
            assert_eq!(out.status, Status::Warn, "{name}: {}", out.summary);
            says(
                &out,
                |s, w| s.starts_with(w),
                &format!("{name} cuts connections idle for {idle} s"),
            );
            let under = verdict(&seen(&[(header, value)], Some((25_000, 20_000))));
            assert_eq!(under.status, Status::Pass, "{name}: {}", under.summary);
        }
    }

    #[test]
    fn vercel_functions_are_a_warning_with_the_websocket_fix() {
        let out = verdict(&seen(
            &[("x-vercel-id", "fra1::iad1::abcde-1700000000000")],
            Some((25_000, 20_000)),
        ));
        assert_eq!(out.status, Status::Warn);
        says(
            &out,
            |s, w| s.starts_with(w),
            "Vercel in front (x-vercel-id: fra1::iad1::abcde-1700000000000): it runs the \
server as Functions",
        );
        assert!(out.fixes[0].detail.contains("transports: ['websocket']"));
    }

    #[test]
    fn platforms_without_a_documented_number_are_named_without_one() {
        for (header, value, name) in [
            ("fly-request-id", "01HABCDEF-ams", "Fly.io's proxy"),
            ("x-render-origin-server", "uvicorn", "Render"),
            ("x-railway-request-id", "abc", "Railway's edge"),
            ("X-Azure-Ref", "0zxV+XAAAAAB", "Azure Front Door"),
            ("Server", "HAProxy", "HAProxy"),
        ] {
            let out = verdict(&seen(&[(header, value)], Some((90_000, 20_000))));
            assert_eq!(out.status, Status::Pass, "{name}: {}", out.summary);
            says(&out, |s, w| s.contains(w), name);
            assert!(!out.summary.contains(" s,"), "{}", out.summary);
        }
    }

    #[test]
    fn tls_is_terminated_by_the_edge_in_front() {
        let mut s = seen(&[("Server", "cloudflare"), ("cf-ray", "1-AMS")], None);
        s.certificate = Some((
            "CN=app.example.com".into(),
            "CN=WE1, O=Google Trust Services".into(),
        ));
        let out = verdict(&s);
        assert_eq!(out.status, Status::Pass);
        says(
            &out,
            |s, w| s.contains(w),
            "; TLS terminated by Cloudflare (CN=app.example.com)",
        );
        let mut direct = seen(DIRECT, None);
        direct.certificate = Some(("CN=localhost".into(), "CN=localhost".into()));
        let out = verdict(&direct);
        says(
            &out,
            |s, w| s.ends_with(w),
            "; TLS terminated by the server at 127.0.0.1:8080 (CN=localhost)",
        );
    }

    #[test]
    fn no_answer_still_reports_the_address_and_connect_time() {
        let mut s = seen(&[], None);
        s.answer = Err("GET / got connection reset".into());
        let out = verdict(&s);
        assert_eq!(
            said(&out),
            (
                Status::Pass,
                "direct: 127.0.0.1:8080 (TCP connect 0.2 ms), no answer to read who is in between \
(GET / got connection reset)"
            )
        );
    }
}
