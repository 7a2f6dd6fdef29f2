//! What a held session's timeline means: an idle cut shorter than the
//! heartbeat, a blocked event loop (late or bunched pings), pongs that did
//! not reach the server, or a session that lived through the soak. Pure:
//! unit-tested on recorded timelines.

use std::time::Duration;

use crate::protocol::engineio::Eio;
use crate::report::{Fix, Outcome, Status};

/// Pings later than this are the sign of a blocked event loop.
const LATE: Duration = Duration::from_secs(1);

/// At most this many pings are recorded (an hour of 1 s pings); the count
/// goes on past it.
pub const MAX_PINGS: usize = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    WebSocket,
    Polling,
}

/// How the connection ended before the soak was over.
#[derive(Clone, Debug, PartialEq)]
pub enum Cut {
    /// A WebSocket close frame: its code and reason.
    Close(u16, String),
    /// An Engine.IO close packet: the server ended the session.
    EngineClose,
    /// The connection ended without a close frame (a FIN).
    Fin,
    /// A TCP reset.
    Reset,
    /// The pending long-poll was answered with this status, by this
    /// server (its `Server` header or error page).
    Poll(u16, Option<String>),
    /// Anything else, in words.
    Failed(String),
}

#[derive(Clone, Debug, PartialEq)]
pub enum End {
    /// Still open when the soak was over.
    Held,
    /// Ctrl-C, this long after the session opened.
    Interrupted(Duration),
    /// Cut this long after the session opened.
    Cut(Duration, Cut),
}

/// One session held for the soak: times are since the session opened.
#[derive(Clone, Debug)]
pub struct Timeline {
    pub eio: Eio,
    pub transport: Transport,
    /// The open packet's pingInterval and pingTimeout.
    pub interval: Duration,
    pub timeout: Duration,
    /// How long it was to be held (`--soak`).
    pub soak: Duration,
    /// When each server ping arrived (Engine.IO 4), the first `MAX_PINGS`.
    pub pings: Vec<Duration>,
    /// All pings seen (Engine.IO 4) or pongs received (Engine.IO 3).
    pub seen: usize,
    /// Engine.IO 3: the round trip of each ping rtdoctor sent.
    pub rtts: Vec<Duration>,
    /// Pongs (Engine.IO 4) or pings (Engine.IO 3) rtdoctor sent.
    pub sent: usize,
    /// When the server was last heard from.
    pub last_heard: Duration,
    pub end: End,
    /// The proxy in front, as named by the answers or this machine's
    /// port holder (`nginx/1.22.1`, `HAProxy`).
    pub proxy: Option<String>,
}

fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

impl Timeline {
    /// Each ping's lateness against pingInterval (the first's against the
    /// session's opening), and how many came bunched (less than half an
    /// interval after the previous one).
    fn lateness(&self) -> (Duration, usize) {
        let mut worst = Duration::ZERO;
        let mut bunched = 0;
        let mut previous = Duration::ZERO;
        for (i, &at) in self.pings.iter().enumerate() {
            let gap = at.saturating_sub(previous);
            worst = worst.max(gap.saturating_sub(self.interval));
            if i > 0 && gap < self.interval / 2 {
                bunched += 1;
            }
            previous = at;
        }
        (worst, bunched)
    }

    fn rtt(&self) -> Option<Duration> {
        self.rtts.iter().max().copied()
    }

    /// `5 pings, every 1.0 s as announced (worst 0.0 s late)`.
    fn figures(&self) -> String {
        match self.eio {
            Eio::V4 if self.seen == 0 => {
                format!(
                    "no ping yet (the server pings every {})",
                    secs(self.interval)
                )
            }
            Eio::V4 => {
                let (worst, _) = self.lateness();
                format!(
                    "{} pings every {} (worst {} late), each answered",
                    self.seen,
                    secs(self.interval),
                    secs(worst)
                )
            }
            Eio::V3 => format!(
                "{} of {} pings answered, pong round trip at most {} ms",
                self.seen,
                self.sent,
                self.rtt().map_or(0, |d| d.as_millis())
            ),
        }
    }

    fn how(&self) -> &'static str {
        match self.transport {
            Transport::WebSocket => "upgraded to websocket",
            Transport::Polling => "over polling (no upgrade offered)",
        }
    }
}

pub fn verdict(t: &Timeline) -> Outcome {
    let (worst, bunched) = t.lateness();
    let blocked = worst > LATE || bunched > 0;
    let outcome = match &t.end {
        End::Cut(at, cut) => cut_verdict(t, *at, cut),
        End::Held if blocked => late(t, worst, bunched, None),
        End::Held if t.seen == 0 => Outcome::pass(format!(
            "held the session for {} ({}), but no heartbeat came: the server pings every {}; \
soak longer than that to watch one",
            secs(t.soak),
            t.how(),
            secs(t.interval)
        )),
        End::Held => Outcome::pass(format!(
            "held the session for {} ({}): {}",
            secs(t.soak),
            t.how(),
            t.figures()
        )),
        End::Interrupted(at) if blocked => late(t, worst, bunched, Some(*at)),
        End::Interrupted(at) => Outcome::skip(format!(
            "interrupted after {}, of the {} asked: {} so far, nothing wrong seen",
            secs(*at),
            secs(t.soak),
            t.figures()
        )),
    };
    evidence(t, outcome, worst)
}

fn evidence(t: &Timeline, outcome: Outcome, worst: Duration) -> Outcome {
    let mut outcome = outcome
        .evidence(
            "session",
            format!(
                "Engine.IO {}, {}, pingInterval {} ms, pingTimeout {} ms, held for up to {}",
                t.eio.number(),
                t.how(),
                t.interval.as_millis(),
                t.timeout.as_millis(),
                secs(t.soak)
            ),
        )
        .evidence("heartbeat", t.figures())
        .evidence("worst lateness", format!("{} ms", worst.as_millis()));
    if !t.pings.is_empty() {
        let shown: Vec<String> = t.pings.iter().take(12).map(|d| secs(*d)).collect();
        let more = if t.pings.len() > 12 { ", …" } else { "" };
        outcome = outcome.evidence("pings at", format!("{}{more}", shown.join(", ")));
    }
    if let Some(proxy) = &t.proxy {
        outcome = outcome.evidence("proxy", proxy.clone());
    }
    outcome.evidence(
        "end",
        match &t.end {
            End::Held => "still open at the end of the soak; closed by rtdoctor".to_string(),
            End::Interrupted(at) => format!("interrupted (Ctrl-C) after {}", secs(*at)),
            End::Cut(at, cut) => format!(
                "{} after {}, {} after the server was last heard",
                cut_words(cut),
                secs(*at),
                secs(at.saturating_sub(t.last_heard))
            ),
        },
    )
}

fn cut_words(cut: &Cut) -> String {
    match cut {
        Cut::Close(code, reason) if reason.is_empty() => format!("a close frame, code {code}"),
        Cut::Close(code, reason) => format!("a close frame, code {code} ({reason})"),
        Cut::EngineClose => "an Engine.IO close packet from the server".into(),
        Cut::Fin => "the connection closed without a close frame (FIN)".into(),
        Cut::Reset => "the connection was reset (RST)".into(),
        Cut::Poll(status, Some(server)) => {
            format!("the pending long-poll answered HTTP {status} by {server}")
        }
        Cut::Poll(status, None) => format!("the pending long-poll answered HTTP {status}"),
        Cut::Failed(words) => words.clone(),
    }
}

/// Whether the server itself ended the session (as it does on a ping
/// timeout), rather than something cutting the connection under it.
fn by_server(cut: &Cut) -> bool {
    matches!(cut, Cut::EngineClose | Cut::Close(1000 | 1001, _))
}

fn cut_verdict(t: &Timeline, at: Duration, cut: &Cut) -> Outcome {
    let silence = at.saturating_sub(t.last_heard);
    let heartbeat = t.interval + t.timeout;
    let how = cut_words(cut);
    if by_server(cut) && t.sent > 0 && silence + LATE >= t.timeout.min(t.interval) {
        return Outcome::fail(format!(
            "the server ended the session after {} ({how}) although rtdoctor answered each of \
its {} pings: its pongs did not reach the server, its ping timeout ({}) ran out",
            secs(at),
            t.seen,
            secs(t.timeout)
        ))
        .fix(Fix::new(
            "Let the heartbeat through the proxy unbuffered",
            "A proxy that buffers what the client sends (request buffering on long-polls, a \
WebSocket-unaware middlebox) holds the pongs until the server has given up. nginx: \
proxy_request_buffering off; proxy_buffering off; in the location that proxies Socket.IO, and \
pass the upgrade through (proxy_http_version 1.1 with the Upgrade/Connection headers) so the \
session leaves polling.",
        ));
    }
    if silence < heartbeat {
        let by = t
            .proxy
            .as_deref()
            .map(|p| format!(" by {p}"))
            .unwrap_or_default();
        return Outcome::fail(format!(
            "cut after {} of silence{by} though the server pings every {} ({} with its \
pingTimeout): an idle timeout between here and the server is shorter than the heartbeat ({how})",
            secs(silence),
            secs(t.interval),
            secs(heartbeat)
        ))
        .fix(idle_fix(t.proxy.as_deref(), silence))
        .fix(Fix::new(
            "Or ping more often than the cut",
            format!(
                "Lower pingInterval below {}: socket.io: new Server({{ pingInterval: {} }}); \
python-socketio: socketio.AsyncServer(ping_interval={}).",
                secs(silence),
                half_ms(silence),
                half_ms(silence) as f64 / 1000.0
            ),
        ));
    }
    Outcome::new(
        Status::Fail,
        format!(
            "the session ended after {} ({how}), {} after the server was last heard",
            secs(at),
            secs(silence)
        ),
    )
}

/// Half the cut, in whole seconds (tenths below two seconds), in ms: a
/// pingInterval that leaves room below it.
fn half_ms(cut: Duration) -> u64 {
    let half = (cut / 2).as_millis() as u64;
    if half >= 1000 {
        half / 1000 * 1000
    } else {
        (half / 100 * 100).max(100)
    }
}

/// The idle timeout of the proxy named (or of the usual ones).
fn idle_fix(proxy: Option<&str>, silence: Duration) -> Fix {
    let name = proxy.map(str::to_ascii_lowercase).unwrap_or_default();
    let cut = secs(silence);
    let detail = if name.contains("nginx") {
        format!(
            "nginx cuts a proxied connection when the upstream is silent for proxy_read_timeout \
(here about {cut}): raise proxy_read_timeout and proxy_send_timeout above pingInterval + \
pingTimeout in the location that proxies Socket.IO (e.g. proxy_read_timeout 3600s;)."
        )
    } else if name.contains("haproxy") {
        format!(
            "HAProxy without `timeout tunnel` cuts an upgraded connection after `timeout client` / \
`timeout server` of silence (here about {cut}): set timeout tunnel 1h in the defaults or the \
backend."
        )
    } else {
        format!(
            "Something between here and the server cuts connections idle for about {cut}: raise \
its idle timeout above pingInterval + pingTimeout (nginx proxy_read_timeout/proxy_send_timeout, \
HAProxy timeout tunnel, AWS ALB idle timeout, Cloudflare ~100 s, Heroku 55 s: see net.path)."
        )
    };
    Fix::new("Raise the proxy's idle timeout above the heartbeat", detail)
}

fn late(t: &Timeline, worst: Duration, bunched: usize, interrupted: Option<Duration>) -> Outcome {
    let prefix = interrupted
        .map(|at| format!("interrupted after {}: ", secs(at)))
        .unwrap_or_default();
    let bunch = if bunched > 0 {
        format!(", {bunched} bunched right behind the one before")
    } else {
        String::new()
    };
    let status = if worst >= t.timeout {
        Status::Fail
    } else {
        Status::Warn
    };
    Outcome::new(
        status,
        format!(
            "{prefix}pings arrive up to {} late (every {} announced{bunch}): the server's event \
loop is blocked",
            secs(worst),
            secs(t.interval)
        ),
    )
    .fix(Fix::new(
        "Unblock the server's event loop",
        "Something holds the loop that sends the heartbeat: a CPU-bound handler, a blocking call \
in async code (python: time.sleep, requests, a sync database driver — use await asyncio.sleep, \
an async client, or run_in_executor), or eventlet/gevent without monkey-patching \
(eventlet.monkey_patch() / gevent.monkey.patch_all() first thing). Clients whose pings are later \
than pingTimeout drop with \"ping timeout\".",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn says(o: &Outcome, words: &str) {
        assert!(o.summary.contains(words), "{}", o.summary);
    }

    fn begins(o: &Outcome, words: &str) {
        assert!(o.summary.starts_with(words), "{}", o.summary);
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// python-socketio, pingInterval 4 s, pingTimeout 20 s, upgraded.
    fn timeline(pings: &[u64], last_heard: u64, end: End) -> Timeline {
        Timeline {
            eio: Eio::V4,
            transport: Transport::WebSocket,
            interval: ms(4000),
            timeout: ms(20_000),
            soak: ms(10_000),
            pings: pings.iter().map(|&p| ms(p)).collect(),
            seen: pings.len(),
            rtts: vec![],
            sent: pings.len(),
            last_heard: ms(last_heard),
            end,
            proxy: None,
        }
    }

    /// nginx with proxy_read_timeout 2s: no close frame, a FIN 2 s after
    /// the CONNECT's answer.
    #[test]
    fn a_cut_shorter_than_the_heartbeat_is_the_proxys_idle_timeout() {
        let mut t = timeline(&[], 12, End::Cut(ms(2015), Cut::Fin));
        t.proxy = Some("nginx/1.22.1".into());
        let o = verdict(&t);
        assert_eq!(o.status, Status::Fail);
        begins(&o, "cut after 2.0 s of silence by nginx/1.22.1");
        assert!(o.fixes[0].detail.contains("proxy_read_timeout"));
        assert!(o.fixes[1].detail.contains("below 2.0 s"));
        assert!(o.fixes[1].detail.contains("pingInterval: 1000 }"));
        assert!(o.fixes[1].detail.contains("ping_interval=1)"));
        t.proxy = Some("HAProxy".into());
        assert!(verdict(&t).fixes[0].detail.contains("timeout tunnel"));
        t.proxy = None;
        assert!(verdict(&t).fixes[0].detail.contains("net.path"));
    }

    /// A polling session whose pending poll nginx answers 504.
    #[test]
    fn a_long_poll_answered_504_is_an_idle_cut_named_by_who_answered() {
        let mut t = timeline(
            &[],
            5,
            End::Cut(ms(3010), Cut::Poll(504, Some("nginx".into()))),
        );
        t.transport = Transport::Polling;
        let o = verdict(&t);
        assert_eq!(o.status, Status::Fail);
        says(&o, "3.0 s of silence");
        says(&o, "HTTP 504 by nginx");
    }

    #[test]
    fn late_pings_are_a_blocked_event_loop_with_the_worst_delay() {
        // pingInterval 1 s: one ping 2.9 s late, then two bunched.
        let mut t = timeline(&[1000, 4900, 5000, 6000], 6000, End::Held);
        t.interval = ms(1000);
        let o = verdict(&t);
        assert_eq!(o.status, Status::Warn);
        begins(&o, "pings arrive up to 2.9 s late");
        says(&o, "1 bunched");
        assert!(o.fixes[0].detail.contains("time.sleep"));
        // Later than pingTimeout: clients drop.
        t.timeout = ms(2000);
        assert_eq!(verdict(&t).status, Status::Fail);
    }

    #[test]
    fn the_server_ending_the_session_though_pongs_were_sent_is_a_lost_pong() {
        let t = timeline(
            &[4000],
            4000,
            End::Cut(ms(24_010), Cut::Close(1000, String::new())),
        );
        let o = verdict(&t);
        assert_eq!(o.status, Status::Fail);
        says(&o, "pongs did not reach the server");
    }

    #[test]
    fn a_session_held_with_pings_on_time_passes_with_its_figures() {
        let t = timeline(&[4001, 8002], 8002, End::Held);
        let o = verdict(&t);
        assert_eq!(o.status, Status::Pass);
        says(&o, "held the session for 10.0 s");
        says(&o, "2 pings every 4.0 s (worst 0.0 s late)");
        let quiet = timeline(&[], 3, End::Held);
        assert!(verdict(&quiet).summary.contains("no heartbeat came"));
    }

    #[test]
    fn an_interrupted_soak_says_so_with_what_it_saw() {
        let t = timeline(&[4000], 4000, End::Interrupted(ms(5200)));
        let o = verdict(&t);
        assert_eq!(o.status, Status::Skip);
        begins(&o, "interrupted after 5.2 s");
        let mut late = timeline(&[7000], 7000, End::Interrupted(ms(7100)));
        late.timeout = ms(20_000);
        begins(
            &verdict(&late),
            "interrupted after 7.1 s: pings arrive up to 3.0 s late",
        );
    }

    #[test]
    fn engine_io_3_reports_its_own_pings_round_trip() {
        let mut t = timeline(&[], 8000, End::Held);
        t.eio = Eio::V3;
        t.rtts = vec![ms(3), ms(7)];
        t.seen = 2;
        t.sent = 2;
        let o = verdict(&t);
        assert_eq!(o.status, Status::Pass);
        says(&o, "2 of 2 pings answered, pong round trip at most 7 ms");
    }
}
