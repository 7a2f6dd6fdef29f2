//! What the payload searches mean: the largest size through and the
//! smallest refused on each transport, what refused it, and whether a
//! proxy's limit sits below the server's or the transports disagree.

use url::Url;

use super::Probe;
use super::search::{Fate, Refusal, close_enough, size};
use super::socketio::Observation;
use crate::report::{Fix, Outcome, Status};

/// What one transport's search found, as the verdict reads it.
struct Found<'a> {
    transport: &'a str,
    probe: &'a Probe,
}

impl Found<'_> {
    fn through(&self) -> Option<usize> {
        self.probe.search.through()
    }

    fn refused(&self) -> Option<(usize, &Refusal)> {
        self.probe.search.refused()
    }

    /// Nothing was sent: why.
    fn unmeasured(&self) -> Option<&str> {
        match self.probe.search.tries.is_empty() {
            true => Some(self.probe.stopped.as_deref().unwrap_or("nothing was sent")),
            false => None,
        }
    }

    /// `websocket: 96 KiB gets through, 100 KiB is refused: close code 1009 …`.
    fn line(&self) -> String {
        let t = self.transport;
        if let Some(why) = self.unmeasured() {
            return format!("{t}: not measured: {why}");
        }
        match (self.through(), self.refused()) {
            (None, Some((r, why))) => format!("{t}: even {} is refused: {}", size(r), cause(why)),
            (Some(ok), None) => format!("{t}: {} gets through", size(ok)),
            (Some(ok), Some((r, why))) => format!(
                "{t}: {} gets through, {} is refused: {}",
                size(ok),
                size(r),
                cause(why)
            ),
            (None, None) => format!("{t}: not measured"),
        }
    }

    fn evidence(&self, out: &mut Outcome) {
        let tries: Vec<String> = self
            .probe
            .search
            .tries
            .iter()
            .map(|(n, fate)| match fate {
                Fate::Through => format!("{n} B through"),
                Fate::Refused(r) => format!("{n} B refused ({})", cause(r)),
            })
            .collect();
        let t = self.transport;
        out.push_evidence(format!("{t} messages"), tries.join(", "));
        out.push_evidence(
            format!("{t} sent"),
            format!("{} bytes in all", self.probe.search.sent),
        );
        if let Some(cut) = self.probe.search.cut_short() {
            out.push_evidence(format!("{t} stopped"), cut);
        }
        if let Some(stopped) = &self.probe.stopped {
            out.push_evidence(format!("{t} stopped"), stopped.clone());
        }
    }
}

/// What refused a message, in words.
pub fn cause(r: &Refusal) -> String {
    match r {
        Refusal::Closed(Some((1009, reason))) => {
            format!("close code 1009 (message too big){}", quoted(reason))
        }
        Refusal::Closed(Some((1011, reason))) => {
            format!(
                "close code 1011 (the server failed on it){}",
                quoted(reason)
            )
        }
        Refusal::Closed(Some((code, reason))) => format!("close code {code}{}", quoted(reason)),
        Refusal::Closed(None) => "the connection ended without a close frame".into(),
        Refusal::Status {
            status,
            proxy: Some(proxy),
            ..
        } => format!("HTTP {status} from {proxy}'s own error page"),
        Refusal::Status {
            status,
            server,
            body,
            ..
        } => {
            let server = server
                .as_ref()
                .map(|s| format!(" (server: {s})"))
                .unwrap_or_default();
            let body = if body.is_empty() {
                String::new()
            } else {
                format!(": {body}")
            };
            format!("HTTP {status} from the server{server}{body}")
        }
        Refusal::SessionEnded(how) => format!("the server ended the session ({how})"),
        Refusal::Stalled(d) => format!("no answer within {} ms (a stall)", d.as_millis()),
        Refusal::Failed(e) => e.clone(),
    }
}

fn quoted(reason: &str) -> String {
    match reason.trim() {
        "" => String::new(),
        r => format!(" \"{}\"", crate::escape::escape(r)),
    }
}

/// Whether the refusal is a proxy's own answer: its name.
fn proxy_of(r: &Refusal) -> Option<&str> {
    match r {
        Refusal::Status {
            proxy: Some(proxy), ..
        } => Some(proxy),
        _ => None,
    }
}

pub fn socketio(seen: &Observation) -> Outcome {
    let mut found = Vec::new();
    if let Some(ws) = &seen.websocket {
        found.push(Found {
            transport: "websocket",
            probe: ws,
        });
    }
    found.push(Found {
        transport: "polling",
        probe: &seen.polling,
    });
    let lines: Vec<String> = found.iter().map(Found::line).collect();
    let advertised = seen
        .max_payload
        .map(|m| format!("the handshake's maxPayload is {m} B ({})", size(m as usize)));
    let mut out = socketio_status(seen, &found, &lines);
    if let Some(a) = advertised {
        out.push_evidence("maxPayload", a);
    }
    for f in &found {
        f.evidence(&mut out);
    }
    out
}

fn socketio_status(seen: &Observation, found: &[Found], lines: &[String]) -> Outcome {
    let all = lines.join("; ");
    if let Some(f) = found.iter().find(|f| f.unmeasured().is_some()) {
        return Outcome::fail(format!("{} could not be measured: {all}", f.transport));
    }
    if found.iter().any(|f| f.through().is_none()) {
        return Outcome::fail(all).fix(server_limit());
    }
    // Messages within the server's own limit refused on the way.
    if let Some(m) = seen.max_payload.map(|m| m as usize) {
        let below = found
            .iter()
            .filter_map(|f| Some((f, f.refused()?)))
            // The server's own refusal at about its limit is that limit
            // (aiohttp refuses a message of exactly max_msg_size).
            .find(|(_, (r, why))| *r <= m && (proxy_of(why).is_some() || !close_enough(*r, m)));
        if let Some((f, (_, why))) = below {
            let over = f.through().map(size).unwrap_or_default();
            let out = Outcome::fail(format!(
                "{} messages over {over} get {} while the server accepts {} (its maxPayload); {all}",
                f.transport,
                cause(why),
                size(m)
            ));
            return match proxy_of(why) {
                Some(proxy) => out.fix(proxy_limit(proxy, m)),
                None => out.fix(server_limit()),
            };
        }
    }
    if let [a, b] = found
        && disagree(a, b)
    {
        return Outcome::warn(format!("the transports disagree: {all}")).fix(server_limit());
    }
    let advertised = match seen.max_payload {
        Some(m) => format!(" (maxPayload {})", size(m as usize)),
        None => String::new(),
    };
    Outcome::pass(format!("{all}{advertised}"))
}

/// One transport gets a size through that the other refuses.
fn disagree(a: &Found, b: &Found) -> bool {
    let over = |x: &Found, y: &Found| matches!((x.through(), y.refused()), (Some(t), Some((r, _))) if t >= r && !close_enough(r, t));
    over(a, b) || over(b, a)
}

fn proxy_limit(proxy: &str, max: usize) -> Fix {
    let kib = max.div_ceil(1024);
    let detail = if proxy.to_ascii_lowercase().contains("nginx") {
        format!(
            "nginx refuses request bodies over client_max_body_size (1m by default) with 413, \
before the server sees them; Socket.IO's polling transport sends each message as a POST body. \
In the location that proxies Socket.IO: client_max_body_size {kib}k; (at least the server's \
maxPayload), or lower the server's maxHttpBufferSize / max_http_buffer_size to the proxy's."
        )
    } else {
        format!(
            "{proxy} refuses request bodies above its limit before the server sees them; \
Socket.IO's polling transport sends each message as a POST body. Raise its request body \
limit to at least {kib} KiB (the server's maxPayload), or lower the server's \
maxHttpBufferSize / max_http_buffer_size to the proxy's."
        )
    };
    Fix::new(format!("Raise {proxy}'s request body limit"), detail)
}

fn server_limit() -> Fix {
    Fix::new(
        "Raise the server's message size limit, or send smaller messages",
        "socket.io: new Server(httpServer, { maxHttpBufferSize: 1e7 }) (1e6 by default). \
python-socketio: socketio.AsyncServer(max_http_buffer_size=10_000_000) (1 000 000 by \
default). Keep every proxy's body limit (nginx client_max_body_size) at least as large, \
or split large data into several messages.",
    )
}

/// `websocket.payload` over every endpoint probed.
pub fn websocket(seen: &[(Url, Probe)]) -> Outcome {
    let mut status = Status::Pass;
    let mut lines = Vec::new();
    let mut out = Outcome::pass("");
    for (url, probe) in seen {
        let f = Found {
            transport: url.path(),
            probe,
        };
        let one = match (f.unmeasured(), f.through(), f.refused()) {
            (Some(_), ..) | (None, None, _) => Status::Fail,
            (None, Some(_), Some(_)) => Status::Warn,
            (None, Some(_), None) => Status::Pass,
        };
        status = status.max(one);
        lines.push(format!(
            "{}{}",
            url,
            f.line().trim_start_matches(url.path())
        ));
        f.evidence(&mut out);
    }
    out.status = status;
    out.summary = lines.join("; ");
    if status != Status::Pass {
        out.fixes.push(Fix::new(
            "Raise the WebSocket server's message size limit, or send smaller messages",
            "ws: new WebSocketServer({ maxPayload: 16 * 1024 * 1024 }) (100 MiB by default). \
python-websockets: serve(handler, host, port, max_size=16 * 2**20) (1 MiB by default). \
aiohttp: web.WebSocketResponse(max_msg_size=…) (4 MiB by default). Or split large data into \
several messages.",
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::check::payload::search::Search;
    use crate::check::recorded::{self, said};

    fn probe(advertised: Option<u64>, limit: usize, refusal: Refusal) -> Probe {
        let mut search = Search::new(advertised);
        while let Some(n) = search.next() {
            let fate = match n <= limit {
                true => Fate::Through,
                false => Fate::Refused(refusal.clone()),
            };
            search.record(n, fate);
        }
        Probe {
            search,
            stopped: None,
        }
    }

    fn close_1009() -> Refusal {
        Refusal::Closed(Some((1009, "Max payload size exceeded".into())))
    }

    /// nginx's 413 page (WIRE.md, "Message size limits").
    fn nginx_413() -> Refusal {
        super::super::socketio::refused_post(&recorded::answer(recorded::NGINX_413))
    }

    #[test]
    fn the_server_at_its_maxpayload_on_both_transports_passes_with_the_figure() {
        let ended = Refusal::SessionEnded("the next poll brought a close packet".into());
        let seen = Observation {
            max_payload: Some(100_000),
            websocket: Some(probe(Some(100_000), 100_000, close_1009())),
            polling: probe(Some(100_000), 100_000, ended),
        };
        let out = socketio(&seen);
        let (status, summary) = said(&out);
        assert_eq!(status, Status::Pass, "{summary}");
        assert!(
            summary.starts_with(
                "websocket: 97.7 KiB gets through, 102.5 KiB is refused: close code 1009 \
(message too big) \"Max payload size exceeded\"; polling: 97.7 KiB gets through"
            ),
            "{summary}"
        );
        assert!(summary.ends_with("(maxPayload 97.7 KiB)"), "{summary}");
        let ev = recorded::evidence(&out);
        assert!(ev.contains(&("websocket messages", "100000 B through, 105000 B refused (close code 1009 (message too big) \"Max payload size exceeded\")")), "{ev:?}");
    }

    #[test]
    fn nginx_refusing_polling_below_the_server_limit_fails_and_names_nginx() {
        let seen = Observation {
            max_payload: Some(1_000_000),
            websocket: Some(probe(Some(1_000_000), 1_000_000, close_1009())),
            polling: probe(Some(1_000_000), 16 * 1024, nginx_413()),
        };
        let out = socketio(&seen);
        let (status, summary) = said(&out);
        assert_eq!(status, Status::Fail, "{summary}");
        assert!(
            summary.starts_with("polling messages over ")
                && summary.contains(
                    " get HTTP 413 from nginx/1.22.1's own error page while the server accepts \
976.6 KiB (its maxPayload)"
                ),
            "{summary}"
        );
        assert_eq!(
            out.fixes[0].title,
            "Raise nginx/1.22.1's request body limit"
        );
        assert!(out.fixes[0].detail.contains("client_max_body_size 977k;"));
    }

    /// socket.io's own 413 has no page and no Server header: the server's
    /// limit, not a proxy's, so a bracket at maxPayload passes.
    #[test]
    fn socketio_413_is_the_servers_own_limit() {
        let node = super::super::socketio::refused_post(&recorded::answer(recorded::NODE4_413));
        assert_eq!(cause(&node), "HTTP 413 from the server");
        let seen = Observation {
            max_payload: Some(50_000),
            websocket: Some(probe(Some(50_000), 50_000, close_1009())),
            polling: probe(Some(50_000), 50_000, node),
        };
        let out = socketio(&seen);
        assert_eq!(out.status, Status::Pass, "{}", out.summary);
        assert!(out.fixes.is_empty());
    }

    #[test]
    fn transports_that_disagree_without_an_advertised_limit_warn() {
        let seen = Observation {
            max_payload: None,
            websocket: Some(probe(None, 1_000_000, close_1009())),
            polling: probe(None, 50_000, Refusal::Stalled(Duration::from_secs(2))),
        };
        let out = socketio(&seen);
        assert_eq!(out.status, Status::Warn, "{}", out.summary);
        assert!(out.summary.starts_with("the transports disagree: "));
        assert!(out.summary.contains("no answer within 2000 ms (a stall)"));
    }

    #[test]
    fn nothing_through_or_nothing_measured_fails() {
        let refused = |n| Refusal::Status {
            status: n,
            proxy: None,
            server: None,
            body: "\"Bad Request\"".into(),
        };
        let seen = Observation {
            max_payload: Some(1_000_000),
            websocket: None,
            polling: probe(Some(1_000_000), 10, refused(400)),
        };
        let out = socketio(&seen);
        assert_eq!(out.status, Status::Fail);
        assert!(
            out.summary.contains(
                "polling: even 1 KiB is refused: HTTP 400 from the server: \"Bad Request\""
            ),
            "{}",
            out.summary
        );
        let seen = Observation {
            max_payload: None,
            websocket: None,
            polling: Probe {
                search: Search::new(None),
                stopped: Some("a new session did not open: connection refused".into()),
            },
        };
        let out = socketio(&seen);
        assert_eq!(out.status, Status::Fail);
        assert!(
            out.summary
                .contains("not measured: a new session did not open")
        );
    }

    #[test]
    fn a_plain_websocket_limit_warns_with_its_bracket_and_none_passes() {
        let url = Url::parse("ws://127.0.0.1:1/ws").unwrap();
        let out = websocket(&[(url.clone(), probe(None, 65_536, close_1009()))]);
        assert_eq!(out.status, Status::Warn);
        assert!(
            out.summary
                .starts_with("ws://127.0.0.1:1/ws: 64 KiB gets through, 66 KiB")
                && out
                    .summary
                    .contains(" is refused: close code 1009 (message too big)"),
            "{}",
            out.summary
        );
        assert!(out.fixes[0].detail.contains("maxPayload"));
        let out = websocket(&[(url, probe(None, usize::MAX, close_1009()))]);
        assert_eq!(out.status, Status::Pass);
        assert_eq!(out.summary, "ws://127.0.0.1:1/ws: 16 MiB gets through");
    }
}
