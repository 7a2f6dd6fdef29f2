//! What `websocket.idle`'s timelines of one endpoint mean: held open
//! without traffic, was it cut, after how long a silence, by whom, and did
//! a client's pings keep a second connection open. Pure, so each cause is
//! tested on a recorded timeline (tests/servers/WIRE.md, "Idle cuts").

use std::time::Duration;

use crate::check::backend::ProxyKind;
use crate::report::{Fix, Outcome};

/// What one endpoint did while it was held open.
pub struct Observation {
    /// How long the connections were to be held (`--soak`).
    pub soak: Duration,
    /// The proxy named in front: by the 101's `Server` header, or by the
    /// process holding the target's port.
    pub proxy: Option<InFront>,
    /// The first connection, quiet: nothing sent but the pongs the server's
    /// pings ask for. `Err`: it did not open (why).
    pub quiet: Result<Held, String>,
    /// After a cut, a second connection that pings every half of the
    /// silence the first was cut after; `Err`: it did not open. `None`
    /// when nothing cut the first, or no time was left for a second.
    pub pinged: Option<Result<Held, String>>,
}

/// A proxy in front of the endpoint.
#[derive(Clone, Debug, PartialEq)]
pub struct InFront {
    /// As it names itself (`nginx/1.22.1`) or as its process is known.
    pub name: String,
    pub kind: Option<ProxyKind>,
}

impl InFront {
    /// The proxy a `Server` header names (`nginx/1.22.1`, `HAProxy`).
    pub fn named(name: &str) -> InFront {
        let program = name.split(['/', ' ']).next().unwrap_or_default();
        InFront {
            name: name.to_string(),
            kind: ProxyKind::of(program, ""),
        }
    }
}

/// One connection's timeline, from the moment it opened.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Held {
    /// How long it was watched (until its end, or until the time was up).
    pub held: Duration,
    /// When the server's first pings arrived (at most `MAX_KEPT`).
    pub server_pings: Vec<Duration>,
    /// All the server's pings, kept or not.
    pub server_ping_count: usize,
    /// Data messages the server sent.
    pub messages: usize,
    /// When the last frame of any kind came from the server.
    pub last_heard: Option<Duration>,
    /// The client's ping interval (the second connection's), and the
    /// pongs that answered.
    pub client_pings: Option<Duration>,
    pub pongs: usize,
    pub end: End,
    /// Ctrl-C ended the soak before its time (`end` is then `Open`).
    pub interrupted: bool,
}

/// How much shorter than the soak a hold may be and still count as the
/// soak (timers fire a little early or late).
const SHORT_BY: Duration = Duration::from_millis(200);

/// The server's pings kept for the intervals.
pub const MAX_KEPT: usize = 64;

/// How a held connection ended.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum End {
    /// Still open when the time was up.
    #[default]
    Open,
    /// A close frame: its code (none in the frame: `None`) and reason.
    Close {
        at: Duration,
        code: Option<u16>,
        reason: String,
    },
    /// The TCP connection ended without a close frame (a FIN): 1006.
    Fin { at: Duration },
    /// The TCP connection was reset: 1006.
    Reset { at: Duration },
    /// Anything else that ended it.
    Failed { at: Duration, error: String },
}

impl End {
    pub fn at(&self) -> Option<Duration> {
        match self {
            End::Open => None,
            End::Close { at, .. }
            | End::Fin { at }
            | End::Reset { at }
            | End::Failed { at, .. } => Some(*at),
        }
    }

    /// How it ended, in words: `with a TCP FIN and no close frame (1006)`.
    fn how(&self) -> String {
        match self {
            End::Open => "still open".into(),
            End::Close { code, reason, .. } => {
                let code = code.map_or("without a code".to_string(), |c| {
                    format!("{c}{}", close_name(c))
                });
                let reason = match reason.is_empty() {
                    true => String::new(),
                    false => format!(" \"{}\"", crate::escape::escape(reason)),
                };
                format!("with a close frame {code}{reason}")
            }
            End::Fin { .. } => "with a TCP FIN and no close frame (1006)".into(),
            End::Reset { .. } => "with a TCP reset and no close frame (1006)".into(),
            End::Failed { error, .. } => format!("with an error: {error}"),
        }
    }
}

fn close_name(code: u16) -> &'static str {
    match code {
        1000 => " (normal)",
        1001 => " (going away)",
        1008 => " (policy)",
        1011 => " (server error)",
        1012 => " (restarting)",
        _ => "",
    }
}

impl Held {
    /// How long the connection had been quiet when it ended: since the
    /// last frame from the server (its pings count), or since it opened.
    pub fn silence(&self) -> Option<Duration> {
        let at = self.end.at()?;
        Some(at.saturating_sub(self.last_heard.unwrap_or_default()))
    }

    /// The server's ping interval: the mean gap between the pings kept,
    /// counting the gap from the opening to the first.
    pub fn ping_interval(&self) -> Option<Duration> {
        let last = self.server_pings.last()?;
        Some(*last / self.server_pings.len() as u32)
    }
}

pub fn verdict(seen: &Observation) -> Outcome {
    let quiet = match &seen.quiet {
        Ok(held) => held,
        Err(e) => return Outcome::skip(format!("did not open: {e} (see websocket.upgrade)")),
    };
    let pings = server_pings(quiet);
    let evidence = timeline("quiet", quiet);
    let Some(silence) = quiet.silence() else {
        return with(
            open(quiet, seen.soak, &pings, seen.proxy.as_ref()),
            evidence,
        );
    };
    let who = who(&quiet.end, seen.proxy.as_ref());
    let cut = format!(
        "cut after {} of silence by {who} {}",
        secs(silence),
        quiet.end.how()
    );
    let mut evidence = evidence;
    let out = match &seen.pinged {
        None => Outcome::fail(format!(
            "{cut}; no time was left to try a connection with pings: a --soak of {} or more would tell whether pings keep it open",
            secs(silence * 3)
        )),
        Some(Err(e)) => Outcome::fail(format!(
            "{cut}; a second connection, to try pings, did not open: {e}"
        )),
        Some(Ok(pinged)) => {
            evidence.extend(timeline("pinged", pinged));
            second(&cut, silence, pinged, seen.proxy.as_ref())
        }
    };
    with(out, evidence)
}

/// The quiet connection outlived the soak, or Ctrl-C ended it first.
fn open(quiet: &Held, soak: Duration, pings: &str, proxy: Option<&InFront>) -> Outcome {
    let held = secs(quiet.held);
    if quiet.interrupted {
        return Outcome::skip(format!(
            "interrupted (Ctrl-C) after {held}: open without traffic from here so far, nothing cut it; {pings}"
        ));
    }
    if quiet.held + SHORT_BY < soak {
        return Outcome::skip(format!(
            "held only {held} of the {} asked: the check's time ran out first (the connection took long to open); nothing cut it so far; {pings}",
            secs(soak)
        ));
    }
    if quiet.server_ping_count > 0 {
        return Outcome::pass(format!("open {held} without traffic from here; {pings}"));
    }
    let quiet_words = match quiet.messages {
        0 => "without traffic".to_string(),
        n => format!("without traffic from here ({n} messages from the server)"),
    };
    let risk = match proxy {
        Some(p) => format!(
            "{} in front would cut it if it stayed quiet longer than its idle timeout",
            p.name
        ),
        None => "an idle timeout on the way (a proxy's, a load balancer's) would cut it if it stayed quiet longer".into(),
    };
    Outcome::pass(format!(
        "open {held} {quiet_words}, nothing cut it; the server sends no pings: {risk}"
    ))
}

/// The second connection's answer: do pings keep it open?
fn second(cut: &str, silence: Duration, pinged: &Held, proxy: Option<&InFront>) -> Outcome {
    let every = pinged.client_pings.unwrap_or_default();
    let tried = format!("a second connection pinged every {}", secs(every));
    match pinged.end.at() {
        None if pinged.interrupted => Outcome::fail(format!(
            "{cut}; {tried} was interrupted (Ctrl-C) after {}, before it told whether pings keep it open",
            secs(pinged.held)
        )),
        None if pinged.held > silence + silence / 4 => {
            let mut out = Outcome::fail(format!(
                "{cut}; {tried} stayed open {}: an idle timeout of about {} cuts quiet connections",
                secs(pinged.held),
                secs_round(silence)
            ));
            out.fixes.push(heartbeat(silence));
            out.fixes.extend(proxy_timeout(proxy, silence));
            out
        }
        None => Outcome::fail(format!(
            "{cut}; {tried} stayed open only {}, too short to tell whether pings keep it open: a longer --soak would",
            secs(pinged.held)
        )),
        Some(at) => Outcome::fail(format!(
            "{cut}; {tried} was cut too, after {} {}: not an idle cut, something ends connections after a while whatever their traffic (a maximum connection time, or the server closing them)",
            secs(at),
            pinged.end.how()
        ))
        .fix(Fix::new(
            "Find what ends connections after a fixed time",
            "Pings did not keep the connection open: look for a maximum connection lifetime or \
request timeout on the way (a proxy's timeout for a whole request, a platform's request \
limit) or in the server's code, and reconnect in the client when it happens.",
        )),
    }
}

/// Who ended it, as the timeline and the proxy in front say.
fn who(end: &End, proxy: Option<&InFront>) -> String {
    match (end, proxy) {
        (End::Close { .. }, Some(p)) => {
            format!("the server behind {} (or {} itself)", p.name, p.name)
        }
        (End::Close { .. }, None) => "the server".into(),
        (_, Some(p)) => p.name.clone(),
        (_, None) => "the server or something between (a proxy, a load balancer, a NAT)".into(),
    }
}

/// The server's pings, in words.
fn server_pings(held: &Held) -> String {
    match (held.server_ping_count, held.ping_interval()) {
        (0, _) => "the server sent no ping".into(),
        (n, Some(every)) => format!("the server pings every {} ({n} pings)", secs(every)),
        (n, None) => format!("the server sent {n} pings"),
    }
}

/// A connection's timeline as evidence lines.
fn timeline(label: &str, held: &Held) -> Vec<(String, String)> {
    let mut lines = vec![(
        format!("{label} connection"),
        match held.end {
            End::Open => format!("open for {}", secs(held.held)),
            _ => format!("ended after {} {}", secs(held.held), held.end.how()),
        },
    )];
    lines.push((format!("{label} server pings"), server_pings(held)));
    if let Some(every) = held.client_pings {
        lines.push((
            format!("{label} client pings"),
            format!("every {}, {} answered by a pong", secs(every), held.pongs),
        ));
    }
    if held.messages > 0 {
        lines.push((
            format!("{label} messages"),
            format!("{} from the server", held.messages),
        ));
    }
    lines
}

fn with(mut out: Outcome, evidence: Vec<(String, String)>) -> Outcome {
    for (label, value) in evidence {
        out.push_evidence(label, value);
    }
    out
}

/// The fix on the application's side: a heartbeat below the cut.
fn heartbeat(silence: Duration) -> Fix {
    Fix::new(
        format!(
            "Keep the connection busy more often than every {}",
            secs_round(silence)
        ),
        format!(
            "Send a ping (or a small application message) every {} or sooner, from the server or the \
client, so the connection is never quiet for {}: ws sends no pings by default (its README's \
heartbeat: setInterval(() => ws.ping(), …) for each client); python-websockets pings every 20 s \
(ping_interval); browsers cannot send ping frames: an application message.",
            secs(silence / 2),
            secs_round(silence)
        ),
    )
}

/// The fix on the proxy's side: its idle timeout, by its own name.
fn proxy_timeout(proxy: Option<&InFront>, silence: Duration) -> Option<Fix> {
    let p = proxy?;
    let n = secs_round(silence);
    Some(match p.kind {
        Some(ProxyKind::Nginx) => Fix::new(
            "Raise nginx's proxy_read_timeout",
            format!(
                "nginx closes a proxied WebSocket when nothing came from the upstream for \
proxy_read_timeout (60 s by default; about {n} here): in the location that proxies it, \
proxy_read_timeout 3600s; and proxy_send_timeout 3600s; (or a heartbeat below it)."
            ),
        ),
        Some(ProxyKind::Haproxy) => Fix::new(
            "Set HAProxy's timeout tunnel",
            format!(
                "Without `timeout tunnel`, HAProxy applies timeout client and timeout server (about {n} \
here) to an upgraded connection: add `timeout tunnel 1h` to the defaults or the backend."
            ),
        ),
        _ => Fix::new(
            format!("Raise {}'s idle timeout", p.name),
            format!(
                "{} cuts connections quiet for about {n}: raise its idle (read) timeout for \
WebSockets above the longest quiet spell, or keep a heartbeat below it.",
                p.name
            ),
        ),
    })
}

/// `2.0 s`.
fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

/// `2 s`, for a timeout that is a whole number of seconds in a config.
fn secs_round(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 1.0 {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.0} s", s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::recorded;
    use crate::report::Status;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// nginx 1.22.1, proxy_read_timeout 2s, in front of ws (no pings):
    /// the quiet connection ends with a FIN and no close frame 2.012 s
    /// after the 101 (WIRE.md, "Idle cuts").
    fn nginx_cut() -> Held {
        Held {
            held: ms(2012),
            end: End::Fin { at: ms(2012) },
            ..Held::default()
        }
    }

    /// The second connection through the same nginx, pinged every 1.0 s:
    /// open until the soak's end.
    fn pinged_open(every: u64, held: u64) -> Held {
        Held {
            held: ms(held),
            client_pings: Some(ms(every)),
            pongs: (held / every) as usize,
            last_heard: Some(ms(held - held % every)),
            ..Held::default()
        }
    }

    fn begins(out: &Outcome, start: &str) {
        assert!(out.summary.starts_with(start), "{}", out.summary);
    }

    fn nginx() -> Option<InFront> {
        Some(InFront::named("nginx/1.22.1"))
    }

    /// nginx's cut, then a second connection pinged every 1.006 s and
    /// open for `held` ms.
    fn through_nginx(held: u64) -> Outcome {
        verdict(&Observation {
            soak: ms(3000),
            proxy: nginx(),
            quiet: Ok(nginx_cut()),
            pinged: Some(Ok(pinged_open(1006, held))),
        })
    }

    #[test]
    fn an_nginx_idle_cut_is_named_with_its_time_and_both_fixes() {
        let out = through_nginx(3000);
        assert_eq!(out.status, Status::Fail);
        begins(
            &out,
            "cut after 2.0 s of silence by nginx/1.22.1 with a TCP FIN and no close frame (1006); \
a second connection pinged every 1.0 s stayed open 3.0 s: an idle timeout of about 2 s",
        );
        let titles: Vec<&str> = out.fixes.iter().map(|f| f.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "Keep the connection busy more often than every 2 s",
                "Raise nginx's proxy_read_timeout"
            ]
        );
        assert!(out.fixes[0].detail.contains("every 1.0 s or sooner"));
        let ev = recorded::evidence(&out);
        assert!(ev.contains(&("quiet server pings", "the server sent no ping")));
        assert!(ev.contains(&("pinged client pings", "every 1.0 s, 2 answered by a pong")));
    }

    /// HAProxy 2.6 without timeout tunnel, timeout client 2s: the same FIN
    /// 2.005 s after the 101, named by the process holding the port.
    #[test]
    fn haproxy_without_a_tunnel_timeout_is_told_to_set_one() {
        let out = verdict(&Observation {
            soak: ms(3000),
            proxy: Some(InFront {
                name: "HAProxy".into(),
                kind: Some(ProxyKind::Haproxy),
            }),
            quiet: Ok(Held {
                held: ms(2005),
                end: End::Fin { at: ms(2005) },
                ..Held::default()
            }),
            pinged: Some(Ok(pinged_open(1002, 2990))),
        });
        assert_eq!(out.status, Status::Fail);
        assert!(
            out.summary
                .starts_with("cut after 2.0 s of silence by HAProxy")
        );
        assert_eq!(out.fixes[1].title, "Set HAProxy's timeout tunnel");
        assert!(out.fixes[1].detail.contains("timeout tunnel 1h"));
    }

    /// ws --ping 500 (tests/servers/ws.js): pings at 0.512, 1.012 and
    /// 1.513 s, nothing cuts the connection.
    #[test]
    fn a_server_that_pings_passes_with_its_interval() {
        let out = verdict(&Observation {
            soak: ms(3000),
            proxy: None,
            quiet: Ok(Held {
                held: ms(3000),
                server_pings: vec![ms(512), ms(1012), ms(1513)],
                server_ping_count: 3,
                last_heard: Some(ms(1513)),
                ..Held::default()
            }),
            pinged: None,
        });
        assert_eq!(out.status, Status::Pass);
        assert_eq!(
            out.summary,
            "open 3.0 s without traffic from here; the server pings every 0.5 s (3 pings)"
        );
    }

    #[test]
    fn a_quiet_server_that_nothing_cuts_passes_and_says_it_sends_no_pings() {
        let quiet = Held {
            held: ms(3001),
            ..Held::default()
        };
        let out = verdict(&Observation {
            soak: ms(3000),
            proxy: None,
            quiet: Ok(quiet.clone()),
            pinged: None,
        });
        assert_eq!(out.status, Status::Pass);
        begins(
            &out,
            "open 3.0 s without traffic, nothing cut it; the server sends no pings: an idle timeout on the way",
        );
        let out = verdict(&Observation {
            soak: ms(3000),
            proxy: nginx(),
            quiet: Ok(quiet),
            pinged: None,
        });
        assert!(out.summary.contains("nginx/1.22.1 in front would cut it"));
    }

    #[test]
    fn a_cut_despite_pings_is_not_an_idle_cut() {
        let out = verdict(&Observation {
            soak: ms(3000),
            proxy: None,
            quiet: Ok(Held {
                held: ms(2000),
                end: End::Close {
                    at: ms(2000),
                    code: Some(1001),
                    reason: "bye".into(),
                },
                ..Held::default()
            }),
            pinged: Some(Ok(Held {
                end: End::Close {
                    at: ms(2001),
                    code: Some(1001),
                    reason: "bye".into(),
                },
                ..pinged_open(1000, 2001)
            })),
        });
        assert_eq!(out.status, Status::Fail);
        begins(
            &out,
            "cut after 2.0 s of silence by the server with a close frame 1001 (going away) \"bye\"",
        );
        assert!(out.summary.contains("was cut too, after 2.0 s"));
        assert!(out.summary.contains("not an idle cut"));
        assert_eq!(
            out.fixes[0].title,
            "Find what ends connections after a fixed time"
        );
    }

    #[test]
    fn silence_counts_from_the_last_frame_heard() {
        let held = Held {
            held: ms(5000),
            server_pings: vec![ms(1000)],
            server_ping_count: 1,
            last_heard: Some(ms(1000)),
            end: End::Reset { at: ms(5000) },
            ..Held::default()
        };
        assert_eq!(held.silence(), Some(ms(4000)));
        let out = verdict(&Observation {
            soak: ms(3000),
            proxy: None,
            quiet: Ok(held),
            pinged: None,
        });
        begins(
            &out,
            "cut after 4.0 s of silence by the server or something between (a proxy, a load balancer, a NAT) \
with a TCP reset and no close frame (1006); no time was left",
        );
        assert!(out.summary.contains("a --soak of 12.0 s or more"));
    }

    #[test]
    fn a_short_second_try_or_one_that_did_not_open_tells_nothing_more() {
        let short = through_nginx(2100);
        assert_eq!(short.status, Status::Fail);
        assert!(
            short.summary.contains("too short to tell"),
            "{}",
            short.summary
        );
        assert!(short.fixes.is_empty());
        let refused = verdict(&Observation {
            soak: ms(3000),
            proxy: nginx(),
            quiet: Ok(nginx_cut()),
            pinged: Some(Err("connection refused".into())),
        });
        assert!(
            refused
                .summary
                .ends_with("did not open: connection refused")
        );
        let unopened = verdict(&Observation {
            soak: ms(3000),
            proxy: None,
            quiet: Err("HTTP 404".into()),
            pinged: None,
        });
        assert_eq!(unopened.status, Status::Skip);
    }

    #[test]
    fn ctrl_c_ends_the_soak_with_what_was_seen_so_far() {
        let quiet = Held {
            held: ms(1200),
            interrupted: true,
            ..Held::default()
        };
        let out = verdict(&Observation {
            soak: ms(3000),
            proxy: None,
            quiet: Ok(quiet),
            pinged: None,
        });
        assert_eq!(out.status, Status::Skip);
        begins(
            &out,
            "interrupted (Ctrl-C) after 1.2 s: open without traffic from here so far, nothing cut it; \
the server sent no ping",
        );
        let out = verdict(&Observation {
            soak: ms(3000),
            proxy: nginx(),
            quiet: Ok(nginx_cut()),
            pinged: Some(Ok(Held {
                interrupted: true,
                ..pinged_open(1006, 1500)
            })),
        });
        assert_eq!(out.status, Status::Fail);
        assert!(out.summary.ends_with(
            "a second connection pinged every 1.0 s was interrupted (Ctrl-C) after 1.5 s, before it told whether pings keep it open"
        ));
    }

    #[test]
    fn a_hold_shorter_than_the_soak_is_not_a_pass() {
        let out = verdict(&Observation {
            soak: ms(3000),
            proxy: None,
            quiet: Ok(Held {
                held: ms(500),
                ..Held::default()
            }),
            pinged: None,
        });
        assert_eq!(out.status, Status::Skip);
        begins(
            &out,
            "held only 0.5 s of the 3.0 s asked: the check's time ran out first",
        );
    }

    #[test]
    fn proxies_are_known_by_their_server_header() {
        assert_eq!(InFront::named("nginx/1.22.1").kind, Some(ProxyKind::Nginx));
        assert_eq!(InFront::named("Caddy").kind, Some(ProxyKind::Caddy));
        assert_eq!(InFront::named("cloudflare").kind, None);
        let fix = proxy_timeout(Some(&InFront::named("cloudflare")), ms(100_000)).unwrap();
        assert_eq!(fix.title, "Raise cloudflare's idle timeout");
        assert!(fix.detail.contains("about 100 s"));
    }
}
