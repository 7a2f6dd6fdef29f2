//! Engine.IO as a client speaks it: the polling handshake, polls and posts
//! on a session, and the websocket transport's URL. What an answer means
//! is decided in `protocol::engineio`; this module only does the talking.

use std::time::Duration;

use url::Url;

use super::Failure;
use super::http::{Answer, Http};
use crate::protocol::engineio::{self, DecodeError, Eio, EngineError, Open, Packet};
use crate::secret::Header;
use crate::target::Target;

#[derive(Clone, Debug)]
pub struct Endpoint {
    http: Url,
    ws: Url,
    pub eio: Eio,
    pub headers: Vec<Header>,
}

impl Endpoint {
    /// `path` as given by `--socketio-path`; normalised to `/path/`.
    pub fn new(target: &Target, path: &str, eio: Eio, headers: Vec<Header>) -> Endpoint {
        let path = normalise_path(path);
        let (http_scheme, ws_scheme) = if target.scheme.is_tls() {
            ("https", "wss")
        } else {
            ("http", "ws")
        };
        let mut http = target.url.clone();
        let _ = http.set_scheme(http_scheme);
        http.set_path(&path);
        // socket.io-client sends the target's query on the handshake
        // (`io("http://host/?token=x")`): so do the probes.
        http.set_query(target.url.query());
        http.set_fragment(None);
        let mut ws = http.clone();
        // http → ws and https → wss are always allowed by the url crate.
        let _ = ws.set_scheme(ws_scheme);
        Endpoint {
            http,
            ws,
            eio,
            headers,
        }
    }

    pub fn with_eio(&self, eio: Eio) -> Endpoint {
        Endpoint {
            eio,
            ..self.clone()
        }
    }

    pub fn path(&self) -> &str {
        self.http.path()
    }

    /// The same server, path, query and Engine.IO version (whatever the
    /// headers, and the cache buster each request gets).
    pub fn same_place(&self, other: &Endpoint) -> bool {
        self.http == other.http && self.eio == other.eio
    }

    /// The `name=value` of a Set-Cookie value that a browser sends back to
    /// this endpoint: not a `Secure` one over http://, not one whose `Path`
    /// does not cover the Engine.IO path.
    fn sent_back<'v>(&self, set_cookie: &'v str) -> Option<&'v str> {
        let mut parts = set_cookie.split(';').map(str::trim);
        let pair = parts.next().filter(|p| p.contains('='))?;
        for attr in parts {
            let (name, value) = attr.split_once('=').unwrap_or((attr, ""));
            if name.eq_ignore_ascii_case("secure") && self.http.scheme() != "https" {
                return None;
            }
            if name.eq_ignore_ascii_case("path") && !self.path().starts_with(value.trim()) {
                return None;
            }
        }
        Some(pair)
    }

    /// This endpoint with the cookies `answer` set (`Set-Cookie`), sent on
    /// the session's later requests as a browser on the page's origin does:
    /// a load balancer's affinity cookie (HAProxy's `cookie SERVERID
    /// insert`, AWS ALB's) keeps the session on one server only so. A
    /// `Cookie` header given with -H keeps its pairs, first.
    pub fn with_cookies(&self, answer: &Answer) -> Endpoint {
        let set: Vec<&str> = answer
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .filter_map(|(_, v)| self.sent_back(v))
            .collect();
        if set.is_empty() {
            return self.clone();
        }
        let mut headers = self.headers.clone();
        let given = headers
            .iter()
            .position(|h| h.name().eq_ignore_ascii_case("cookie"));
        let (name, pairs) = match given {
            Some(i) => {
                let h = headers.remove(i);
                let pairs = format!("{}; {}", h.value().expose(), set.join("; "));
                (h.name().to_string(), pairs)
            }
            None => ("Cookie".to_string(), set.join("; ")),
        };
        // A Set-Cookie value that no header may carry is not sent.
        headers.extend(Header::new(&name, &pairs));
        Endpoint {
            headers,
            ..self.clone()
        }
    }

    pub fn polling(&self, sid: Option<&str>) -> Url {
        let mut url = self.http.clone();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("EIO", &self.eio.number().to_string());
            q.append_pair("transport", "polling");
            q.append_pair("t", &cache_buster());
            if self.eio == Eio::V3 {
                // Ask socket.io 2 for text framing, never its binary one.
                q.append_pair("b64", "1");
            }
            if let Some(sid) = sid {
                q.append_pair("sid", sid);
            }
        }
        url
    }

    pub fn websocket(&self, sid: Option<&str>) -> Url {
        let mut url = self.ws.clone();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("EIO", &self.eio.number().to_string());
            q.append_pair("transport", "websocket");
            if let Some(sid) = sid {
                q.append_pair("sid", sid);
            }
        }
        url
    }
}

pub fn normalise_path(path: &str) -> String {
    let trimmed = path.trim().trim_matches('/');
    if trimmed.is_empty() {
        "/".into()
    } else {
        format!("/{trimmed}/")
    }
}

/// Like engine.io-client's `t` parameter: keeps caches out of the way.
fn cache_buster() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("rtd{nanos:x}")
}

/// What a handshake request met.
#[derive(Clone, Debug)]
pub enum Handshake {
    /// An open packet; `eio` is the framing the server answered in, which a
    /// socket.io 2 server picks whatever was asked.
    Open {
        open: Open,
        eio: Eio,
        rest: Vec<Packet>,
        answer: Answer,
    },
    /// An Engine.IO error answer.
    Refused {
        error: EngineError,
        answer: Answer,
    },
    /// Something answered that is not Engine.IO.
    NotEngineIo {
        answer: Answer,
        reason: String,
    },
    Failed(Failure),
}

impl Handshake {
    /// One line on what the handshake met.
    pub fn summary(&self) -> String {
        match self {
            Handshake::Open { open, .. } => format!("a session opened (sid {})", open.sid),
            Handshake::Refused { error, answer } => {
                format!("{} ({})", error.message, answer.status_line())
            }
            Handshake::NotEngineIo { answer, reason } => format!("{} with {reason}", answer.who()),
            Handshake::Failed(f) => f.to_string(),
        }
    }
}

pub async fn handshake(http: &Http, ep: &Endpoint, timeout: Duration) -> Handshake {
    let answer = match http.get(&ep.polling(None), &ep.headers, timeout).await {
        Ok(a) => a,
        Err(f) => return Handshake::Failed(f),
    };
    classify_handshake(answer)
}

pub fn classify_handshake(answer: Answer) -> Handshake {
    if answer.status == 200 {
        let Some(eio) = engineio::sniff(&answer.body) else {
            let reason = if answer.is_html() {
                "an HTML page, not an Engine.IO open packet".to_string()
            } else {
                "an answer that is not an Engine.IO open packet".to_string()
            };
            return Handshake::NotEngineIo { answer, reason };
        };
        return match engineio::parse_handshake(&answer.body, eio) {
            Ok((open, rest)) => Handshake::Open {
                open,
                eio,
                rest,
                answer,
            },
            Err(e) => Handshake::NotEngineIo {
                reason: format!("a malformed Engine.IO open packet ({e})"),
                answer,
            },
        };
    }
    match engineio::decode_error(&answer.body) {
        Some(error) => Handshake::Refused { error, answer },
        None => Handshake::NotEngineIo {
            reason: format!("HTTP {} without an Engine.IO error body", answer.status),
            answer,
        },
    }
}

pub async fn post(
    http: &Http,
    ep: &Endpoint,
    sid: &str,
    packets: &[Packet],
    timeout: Duration,
) -> Result<Answer, Failure> {
    let body = engineio::encode_payload(packets, ep.eio);
    http.post(&ep.polling(Some(sid)), body, &ep.headers, timeout)
        .await
}

pub async fn poll(
    http: &Http,
    ep: &Endpoint,
    sid: &str,
    timeout: Duration,
) -> Result<Answer, Failure> {
    http.get(&ep.polling(Some(sid)), &ep.headers, timeout).await
}

/// The close of session `sid` (a close packet), as work of its own that
/// outlives what opened the session (for `Machine::linger`). Best effort.
pub fn closing(
    http: &Http,
    ep: &Endpoint,
    sid: &str,
    timeout: Duration,
) -> impl Future<Output = ()> + Send + 'static {
    let (http, ep, sid) = (http.clone(), ep.clone(), sid.to_string());
    async move {
        let close = [Packet::new(engineio::Kind::Close, "")];
        let _ = post(&http, &ep, &sid, &close, timeout).await;
    }
}

/// Why a poll gave no packets.
#[derive(Clone, Debug)]
pub enum PollError {
    /// Answered, but not with 200 (e.g. "Session ID unknown").
    Status(Answer),
    /// 200 with a body that is not an Engine.IO payload.
    Garbage(DecodeError, Answer),
    /// 200 with a body longer than `BODY_LIMIT`: what was kept is cut, and
    /// decoding it would only find a broken last packet.
    TooLong(Answer),
    Failed(Failure),
}

impl std::fmt::Display for PollError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PollError::Status(a) => write!(
                f,
                "{}: {}",
                a.status_line(),
                crate::protocol::preview(&a.body, 120)
            ),
            PollError::Garbage(e, a) => {
                write!(f, "{e}: {}", crate::protocol::preview(&a.body, 120))
            }
            PollError::TooLong(a) => {
                let size = a
                    .header("content-length")
                    .and_then(|n| n.trim().parse::<u64>().ok())
                    .map(|n| format!("{n} bytes"))
                    .unwrap_or_else(|| "a body that did not end".into());
                write!(
                    f,
                    "the server answered {size}, over the {} KiB rtdoctor reads of one answer, so \
it was not decoded: {}",
                    crate::probe::BODY_LIMIT / 1024,
                    crate::protocol::preview(&a.body, 80)
                )
            }
            PollError::Failed(e) => write!(f, "{e}"),
        }
    }
}

/// One Engine.IO session over polling, as a client holds it: its requests
/// carry the cookies the handshake set.
pub struct Session<'a> {
    http: &'a Http,
    pub endpoint: Endpoint,
    pub open: Open,
    /// Packets that came with the handshake, not yet handed out.
    pending: Vec<Packet>,
}

impl<'a> Session<'a> {
    /// Handshake; the answer itself when it did not open a session.
    pub async fn open(
        http: &'a Http,
        endpoint: &Endpoint,
        timeout: Duration,
    ) -> Result<Session<'a>, Handshake> {
        match handshake(http, endpoint, timeout).await {
            Handshake::Open {
                open, rest, answer, ..
            } => Ok(Session {
                http,
                endpoint: endpoint.with_cookies(&answer),
                open,
                pending: rest,
            }),
            other => Err(other),
        }
    }

    pub fn sid(&self) -> &str {
        &self.open.sid
    }

    pub async fn send(&self, packets: &[Packet], timeout: Duration) -> Result<Answer, Failure> {
        self.send_over(self.http, packets, timeout).await
    }

    /// `send` through another client (its connection), with this
    /// session's cookies.
    pub async fn send_over(
        &self,
        http: &Http,
        packets: &[Packet],
        timeout: Duration,
    ) -> Result<Answer, Failure> {
        post(http, &self.endpoint, &self.open.sid, packets, timeout).await
    }

    /// The next packets: those that came with the handshake, else a poll.
    pub async fn receive(&mut self, timeout: Duration) -> Result<Vec<Packet>, PollError> {
        if !self.pending.is_empty() {
            return Ok(std::mem::take(&mut self.pending));
        }
        let answer = poll(self.http, &self.endpoint, &self.open.sid, timeout)
            .await
            .map_err(PollError::Failed)?;
        if answer.status != 200 {
            return Err(PollError::Status(answer));
        }
        if answer.truncated {
            return Err(PollError::TooLong(answer));
        }
        engineio::decode_payload(&answer.body, self.endpoint.eio)
            .map_err(|e| PollError::Garbage(e, answer))
    }

    /// Tell the server the session is over (a close packet), so it does
    /// not keep it until its ping timeout. Best effort.
    pub async fn close(&self, timeout: Duration) {
        self.closing(timeout).await
    }

    /// The same close, as work of its own that outlives the session (for
    /// `Machine::linger`).
    pub fn closing(&self, timeout: Duration) -> impl Future<Output = ()> + Send + 'static {
        closing(self.http, &self.endpoint, &self.open.sid, timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_follow_the_target_and_the_path() {
        let t = Target::parse("ws://localhost:8765/ignored?x=1").unwrap();
        let ep = Endpoint::new(&t, "socket.io", Eio::V4, vec![]);
        let p = ep.polling(Some("abc"));
        assert_eq!(p.scheme(), "http");
        assert_eq!(p.path(), "/socket.io/");
        let q: Vec<(String, String)> = p.query_pairs().into_owned().collect();
        // The target's query goes first, as socket.io-client sends it.
        assert_eq!(q[0], ("x".into(), "1".into()));
        assert_eq!(q[1], ("EIO".into(), "4".into()));
        assert_eq!(q[2], ("transport".into(), "polling".into()));
        assert_eq!(q.last().unwrap(), &("sid".into(), "abc".into()));
        assert_eq!(
            ep.websocket(None).as_str(),
            "ws://localhost:8765/socket.io/?x=1&EIO=4&transport=websocket"
        );
        let v3 = ep.with_eio(Eio::V3).polling(None);
        assert!(v3.as_str().contains("EIO=3") && v3.as_str().contains("b64=1"));
        let tls = Endpoint::new(
            &Target::parse("https://h:1").unwrap(),
            "/custom/path/",
            Eio::V4,
            vec![],
        );
        assert_eq!(
            tls.websocket(Some("s")).as_str(),
            "wss://h:1/custom/path/?EIO=4&transport=websocket&sid=s"
        );
        assert_eq!(normalise_path(""), "/");
    }

    /// Two requests' URLs differ by their cache buster; the place they go
    /// to does not.
    #[test]
    fn the_same_place_whatever_the_cache_buster_and_headers() {
        let t = Target::parse("http://localhost:8765/?token=x").unwrap();
        let ep = Endpoint::new(&t, "/socket.io/", Eio::V4, vec![]);
        let again = Endpoint::new(&t, "socket.io", Eio::V4, vec![]);
        assert_ne!(ep.polling(None), again.polling(None));
        assert!(ep.same_place(&again));
        let cookie = vec![Header::parse("cookie: a=b").unwrap()];
        assert!(ep.same_place(&Endpoint::new(&t, "/socket.io/", Eio::V4, cookie)));
        assert!(!ep.same_place(&ep.with_eio(Eio::V3)));
        assert!(!ep.same_place(&Endpoint::new(&t, "/realtime/", Eio::V4, vec![])));
    }

    /// HAProxy's affinity cookie on the open packet (WIRE.md "HAProxy")
    /// goes on the session's requests, after a Cookie given with -H.
    #[test]
    fn the_cookies_an_answer_sets_go_on_later_requests() {
        use crate::check::recorded;
        let t = Target::parse("http://localhost:8765").unwrap();
        let cookie = |ep: &Endpoint| -> Vec<String> {
            ep.headers
                .iter()
                .filter(|h| h.name() == "Cookie")
                .map(|h| h.value().expose().clone())
                .collect()
        };
        let open = recorded::answer(recorded::HAPROXY_COOKIE_OPEN);
        let ep = Endpoint::new(&t, "/socket.io/", Eio::V4, vec![]);
        assert_eq!(cookie(&ep.with_cookies(&open)), ["SERVERID=s2"]);
        let given = vec![Header::parse("cookie: token=abc").unwrap()];
        let ep = Endpoint::new(&t, "/socket.io/", Eio::V4, given);
        let with = ep.with_cookies(&open);
        assert_eq!(with.headers.len(), 1);
        assert_eq!(with.headers[0].name(), "cookie", "as -H spelled it");
        assert_eq!(with.headers[0].value().expose(), "token=abc; SERVERID=s2");
        // A Secure cookie over http://, or one for another path: not sent.
        let mut other = recorded::answer(recorded::HAPROXY_COOKIE_OPEN);
        other.headers = vec![
            (
                "Set-Cookie".into(),
                "AWSALBCORS=x; Path=/; Secure; SameSite=None".into(),
            ),
            ("Set-Cookie".into(), "admin=y; Path=/admin".into()),
            ("Set-Cookie".into(), "io=z; Path=/socket.io".into()),
        ];
        let ep = Endpoint::new(&t, "/socket.io/", Eio::V4, vec![]);
        assert_eq!(cookie(&ep.with_cookies(&other)), ["io=z"]);
        let tls = Endpoint::new(&Target::parse("https://h").unwrap(), "/", Eio::V4, vec![]);
        assert_eq!(cookie(&tls.with_cookies(&other)), ["AWSALBCORS=x"]);
        // No Set-Cookie: the endpoint as it was.
        let plain = recorded::answer(recorded::NODE4_OPEN);
        assert_eq!(ep.with_cookies(&plain).headers, ep.headers);
    }
}
