//! A WebSocket opening handshake written by hand, so that what the server
//! answers can be checked rather than trusted: the status, the
//! `Sec-WebSocket-Accept` against the key sent, and the subprotocol and
//! extensions it chose, over ws:// and wss://. The connection is closed
//! right after the answer's head; frames are tungstenite's business
//! (`probe::ws`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::MaybeTlsStream;
use tokio_tungstenite::tungstenite::handshake::{client::generate_key, derive_accept_key};
use url::Url;

use super::http::Answer;
use super::{Failure, classify};
use crate::secret::Header;

/// The most of an answer's head (and the body bytes that came with it)
/// that is read: a server sending a megabyte of headers gets cut here.
pub const HEAD_LIMIT: usize = 16 * 1024;

#[derive(Clone, Debug)]
pub struct Request<'a> {
    pub url: &'a Url,
    pub headers: &'a [Header],
    pub subprotocols: &'a [String],
    pub offer_deflate: bool,
    /// The TLS configuration of `wss://` URLs (the same trust as the
    /// other probes).
    pub tls: Option<Arc<rustls::ClientConfig>>,
}

/// The head of the answer, and whether its accept key is right.
#[derive(Clone, Debug)]
pub struct Upgrade {
    pub answer: Answer,
    /// `Some(true)` for a 101 with the right `Sec-WebSocket-Accept`.
    pub accept_ok: Option<bool>,
}

#[derive(Clone, Debug)]
pub enum Error {
    Failed(Failure),
    /// Bytes came back that are not an HTTP response.
    NotHttp(String),
    /// The head did not end within `HEAD_LIMIT` bytes.
    HeadTooLarge(usize),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Failed(e) => write!(f, "{e}"),
            Error::NotHttp(p) => write!(f, "an answer that is not HTTP: {p}"),
            Error::HeadTooLarge(n) => write!(f, "an answer head larger than {n} bytes (cut off)"),
        }
    }
}

/// `ws://`, or `wss://` over `req.tls`.
pub async fn upgrade(req: &Request<'_>, timeout: Duration) -> Result<Upgrade, Error> {
    let start = Instant::now();
    let attempt = async {
        let stream = open(req.url, req.tls.clone())
            .await
            .map_err(Error::Failed)?;
        exchange(stream, req, start).await
    };
    tokio::time::timeout(timeout, attempt)
        .await
        .unwrap_or(Err(Error::Failed(Failure::TimedOut(timeout))))
}

/// The connection a `ws://` or `wss://` URL names: TCP, then TLS over
/// `tls` for wss://. Unbounded: callers bound it.
pub async fn open(
    url: &Url,
    tls: Option<Arc<rustls::ClientConfig>>,
) -> Result<MaybeTlsStream<TcpStream>, Failure> {
    let host = url
        .host_str()
        .unwrap_or("localhost")
        .trim_matches(|c| c == '[' || c == ']')
        .to_string();
    let port = url.port_or_known_default().unwrap_or(80);
    let tcp = TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|e| classify(&e))?;
    let _ = tcp.set_nodelay(true);
    if url.scheme() != "wss" {
        return Ok(MaybeTlsStream::Plain(tcp));
    }
    let Some(tls) = tls else {
        return Err(Failure::Other(
            "no TLS configuration for a wss:// URL".into(),
        ));
    };
    let name = ServerName::try_from(host.clone())
        .map_err(|e| Failure::Other(format!("{host} is not a name TLS can check ({e})")))?;
    let stream = tokio_rustls::TlsConnector::from(tls)
        .connect(name, tcp)
        .await
        .map_err(|e| classify(&e))?;
    Ok(MaybeTlsStream::Rustls(stream))
}

/// The request written and the answer's head read, over any stream.
async fn exchange(
    mut stream: impl AsyncRead + AsyncWrite + Unpin,
    req: &Request<'_>,
    start: Instant,
) -> Result<Upgrade, Error> {
    let key = generate_key();
    stream
        .write_all(request_bytes(req, &key).as_bytes())
        .await
        .map_err(|e| Error::Failed(classify(&e)))?;
    let head = read_head(&mut stream).await?;
    let mut answer = parse_head(&head)?;
    answer.elapsed = start.elapsed();
    let accept_ok = (answer.status == 101).then(|| {
        answer.header("sec-websocket-accept") == Some(derive_accept_key(key.as_bytes()).as_str())
    });
    Ok(Upgrade { answer, accept_ok })
}

fn request_bytes(req: &Request<'_>, key: &str) -> String {
    let url = req.url;
    let mut target = url.path().to_string();
    if let Some(q) = url.query() {
        target.push('?');
        target.push_str(q);
    }
    let host = match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap_or("localhost")),
        None => url.host_str().unwrap_or("localhost").to_string(),
    };
    let mut out = format!(
        "GET {target} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nUser-Agent: rtdoctor/{}\r\n",
        env!("CARGO_PKG_VERSION")
    );
    if !req.subprotocols.is_empty() {
        out.push_str(&format!(
            "Sec-WebSocket-Protocol: {}\r\n",
            req.subprotocols.join(", ")
        ));
    }
    if req.offer_deflate {
        out.push_str("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n");
    }
    // Names and values were checked when the command was resolved
    // (`secret::Header`): neither can hold a line break.
    for h in req.headers {
        out.push_str(&format!("{}: {}\r\n", h.name(), h.value().expose()));
    }
    out.push_str("\r\n");
    out
}

async fn read_head(stream: &mut (impl AsyncRead + Unpin)) -> Result<Vec<u8>, Error> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    loop {
        // A server that answers anything but HTTP is told apart at once,
        // not after the whole head limit.
        if buf.len() >= 5 && !buf.starts_with(b"HTTP/") {
            return Err(Error::NotHttp(crate::protocol::preview(&buf, 80)));
        }
        if buf.windows(4).any(|w| w == b"\r\n\r\n") {
            return Ok(buf);
        }
        if buf.len() >= HEAD_LIMIT {
            return Err(Error::HeadTooLarge(HEAD_LIMIT));
        }
        let n = stream
            .read(&mut chunk)
            .await
            .map_err(|e| Error::Failed(classify(&e)))?;
        if n == 0 {
            return if buf.is_empty() {
                Err(Error::Failed(Failure::Other(
                    "the server closed the connection without answering".into(),
                )))
            } else {
                Ok(buf)
            };
        }
        let room = HEAD_LIMIT.saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..n.min(room)]);
    }
}

/// Parse a response head; the bytes after it are kept as the body start.
pub fn parse_head(bytes: &[u8]) -> Result<Answer, Error> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut resp = httparse::Response::new(&mut headers);
    let status = resp.parse(bytes);
    let end = match status {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => {
            return Err(Error::NotHttp(format!(
                "an incomplete head: {}",
                crate::protocol::preview(bytes, 80)
            )));
        }
        Err(httparse::Error::TooManyHeaders) => return Err(Error::HeadTooLarge(bytes.len())),
        Err(_) => return Err(Error::NotHttp(crate::protocol::preview(bytes, 80))),
    };
    let code = resp.code.unwrap_or(0);
    Ok(Answer {
        version: format!("HTTP/1.{}", resp.version.unwrap_or(1)),
        status: code,
        reason: resp.reason.unwrap_or("").to_string(),
        headers: resp
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_string(),
                    String::from_utf8_lossy(h.value).into_owned(),
                )
            })
            .collect(),
        body: bytes[end..].to_vec(),
        truncated: false,
        elapsed: Duration::ZERO,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_parse_and_garbage_does_not() {
        let a = parse_head(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: x\r\n\r\n").unwrap();
        assert_eq!((a.status, a.header("upgrade")), (101, Some("websocket")));
        let a = parse_head(
            b"HTTP/1.1 426 Upgrade Required\r\nContent-Length: 16\r\n\r\nUpgrade Required",
        )
        .unwrap();
        assert_eq!(a.body, b"Upgrade Required");
        assert!(matches!(
            parse_head(b"\x00\xff garbage\r\n\r\n"),
            Err(Error::NotHttp(_))
        ));
        assert!(matches!(
            parse_head(b"HTTP/1.1 200 OK\r\nX: y"),
            Err(Error::NotHttp(_))
        ));
        let mut many = b"HTTP/1.1 200 OK\r\n".to_vec();
        for i in 0..100 {
            many.extend_from_slice(format!("X-{i}: y\r\n").as_bytes());
        }
        many.extend_from_slice(b"\r\n");
        assert!(matches!(parse_head(&many), Err(Error::HeadTooLarge(_))));
    }

    #[test]
    fn the_request_offers_what_was_asked() {
        let url = Url::parse("ws://127.0.0.1:9000/ws?x=1").unwrap();
        let headers = vec![
            Header::new("Origin", "https://app.example").unwrap(),
            Header::new("X-Tag", "a").unwrap(),
            Header::new("X-Tag", "b").unwrap(),
        ];
        let protos = vec!["chat".to_string(), "json".to_string()];
        let req = Request {
            url: &url,
            headers: &headers,
            subprotocols: &protos,
            offer_deflate: true,
            tls: None,
        };
        let text = request_bytes(&req, "k");
        assert!(text.starts_with("GET /ws?x=1 HTTP/1.1\r\nHost: 127.0.0.1:9000\r\n"));
        assert!(text.contains("Sec-WebSocket-Protocol: chat, json\r\n"));
        assert!(text.contains("permessage-deflate"));
        assert!(text.contains("Origin: https://app.example\r\n"));
        assert!(text.contains("X-Tag: a\r\nX-Tag: b\r\n"));
        assert!(text.ends_with("\r\n\r\n"));
    }
}
