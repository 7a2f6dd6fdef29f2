//! Bounded WebSocket client probes over tokio-tungstenite: the upgrade (a
//! refused one keeps the server's status, headers and body), then text
//! frames sent and received under a deadline, and a clean close.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};
use url::Url;

use super::http::Answer;
use super::{BODY_LIMIT, Failure, classify};
use crate::secret::Header;

pub type Stream = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Bytes gathered before tungstenite writes them to the socket.
const WRITE_BUFFER: usize = 16 * 1024;

pub enum ConnectError {
    /// No answer to look at.
    Failed(Failure),
    /// The server answered, but not with 101.
    Refused(Answer),
    /// The answer was not a valid upgrade (bad headers).
    Protocol(String),
    /// A 101 whose Sec-WebSocket-Accept does not match the key sent (told
    /// by tungstenite's typed error, not its message).
    WrongAccept(String),
}

pub struct Conn {
    pub stream: Stream,
    /// The 101 answer's status and headers.
    pub answer: Answer,
}

/// `tls` is the configuration for a wss:// URL (trust, `--insecure`; see
/// `probe::tls`). It is not optional: tungstenite's own would trust the
/// system roots only, silently ignoring `--cacert` and `--insecure`.
pub async fn connect(
    url: &Url,
    headers: &[Header],
    timeout: Duration,
    tls: Arc<rustls::ClientConfig>,
) -> Result<Conn, ConnectError> {
    // Up to 1 MiB read, as ever.
    connect_sized(url, headers, timeout, tls, BODY_LIMIT * 15).await
}

/// `connect` for a probe that sends (and may have echoed back) messages
/// of up to `largest` bytes on purpose (`--payload`).
pub async fn connect_sized(
    url: &Url,
    headers: &[Header],
    timeout: Duration,
    tls: Arc<rustls::ClientConfig>,
    largest: usize,
) -> Result<Conn, ConnectError> {
    let config = config(largest + BODY_LIMIT);
    super::ensure_crypto_provider();
    let start = Instant::now();
    let request = request(url, headers)?;
    let attempt = tokio_tungstenite::connect_async_tls_with_config(
        request,
        Some(config),
        true,
        Some(Connector::Rustls(tls)),
    );
    answered(tokio::time::timeout(timeout, attempt).await, timeout, start)
}

/// A connection made before its upgrade request is written (TCP, then TLS
/// for wss://), as a browser may hold one ready: `connect_on` upgrades it.
pub struct Dialed {
    stream: MaybeTlsStream<TcpStream>,
    /// When it was made: a server may close a connection that stays
    /// silent too long.
    pub at: Instant,
}

/// The connection `connect` would make for `url`, without its request.
pub async fn dial(
    url: &Url,
    timeout: Duration,
    tls: Arc<rustls::ClientConfig>,
) -> Result<Dialed, Failure> {
    super::ensure_crypto_provider();
    let attempt = super::handshake::open(url, Some(tls));
    match tokio::time::timeout(timeout, attempt).await {
        Ok(Ok(stream)) => Ok(Dialed {
            stream,
            at: Instant::now(),
        }),
        Ok(Err(f)) => Err(f),
        Err(_) => Err(Failure::TimedOut(timeout)),
    }
}

/// `connect` on a connection made already.
pub async fn connect_on(
    dialed: Dialed,
    url: &Url,
    headers: &[Header],
    timeout: Duration,
) -> Result<Conn, ConnectError> {
    let start = Instant::now();
    let request = request(url, headers)?;
    let attempt = tokio_tungstenite::client_async_with_config(
        request,
        dialed.stream,
        Some(config(BODY_LIMIT * 16)),
    );
    answered(tokio::time::timeout(timeout, attempt).await, timeout, start)
}

/// The upgrade request for `url`, with `headers`.
fn request(
    url: &Url,
    headers: &[Header],
) -> Result<tokio_tungstenite::tungstenite::handshake::client::Request, ConnectError> {
    let mut request = url
        .as_str()
        .into_client_request()
        .map_err(|e| ConnectError::Protocol(format!("cannot build the upgrade request: {e}")))?;
    // `append`, not `insert`: a name given twice is sent twice, as the
    // other probes send it.
    for h in headers {
        let (name, value) = h.to_http();
        request.headers_mut().append(name, value);
    }
    Ok(request)
}

type Handshook = Result<
    (
        Stream,
        tokio_tungstenite::tungstenite::handshake::client::Response,
    ),
    WsError,
>;

/// What an upgrade attempt bounded by `timeout` met.
fn answered(
    attempt: Result<Handshook, tokio::time::error::Elapsed>,
    timeout: Duration,
    start: Instant,
) -> Result<Conn, ConnectError> {
    match attempt {
        Err(_) => Err(ConnectError::Failed(Failure::TimedOut(timeout))),
        Ok(Ok((stream, response))) => Ok(Conn {
            stream,
            answer: answer_of(
                response.status(),
                response.version(),
                response.headers(),
                None,
                start,
            ),
        }),
        Ok(Err(WsError::Http(response))) => {
            let body = response.body().clone().unwrap_or_default();
            Err(ConnectError::Refused(answer_of(
                response.status(),
                response.version(),
                response.headers(),
                Some(body),
                start,
            )))
        }
        Ok(Err(WsError::Protocol(e @ ProtocolError::SecWebSocketAcceptKeyMismatch))) => {
            Err(ConnectError::WrongAccept(e.to_string()))
        }
        Ok(Err(WsError::Protocol(e))) => Err(ConnectError::Protocol(e.to_string())),
        Ok(Err(e)) => Err(ConnectError::Failed(classify(&e))),
    }
}

/// Messages of up to `largest` bytes read, and never more queued for a
/// server that does not read than a full buffer and one message as large
/// as that. tungstenite queues a pong for every ping it reads and, with no
/// cap (its default), a server that pings in a tight loop and never reads
/// grows that queue without end. At the cap a pong waits in tungstenite's
/// single pending-pong slot, where each new ping's pong replaces the last.
fn config(largest: usize) -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(largest))
        .max_frame_size(Some(largest))
        .write_buffer_size(WRITE_BUFFER)
        .max_write_buffer_size(WRITE_BUFFER + largest)
}

fn answer_of(
    status: tokio_tungstenite::tungstenite::http::StatusCode,
    version: tokio_tungstenite::tungstenite::http::Version,
    headers: &tokio_tungstenite::tungstenite::http::HeaderMap,
    body: Option<Vec<u8>>,
    start: Instant,
) -> Answer {
    let mut body = body.unwrap_or_default();
    // tungstenite hands over a refused upgrade's body as it came off the
    // wire, chunked framing and all (nginx and Node both chunk it).
    if headers
        .get("transfer-encoding")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
    {
        body = dechunk(&body);
    }
    let truncated = body.len() > BODY_LIMIT;
    body.truncate(BODY_LIMIT);
    Answer {
        version: format!("{version:?}"),
        status: status.as_u16(),
        reason: status.canonical_reason().unwrap_or("").to_string(),
        headers: headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body,
        truncated,
        elapsed: start.elapsed(),
    }
}

/// The data of an HTTP/1.1 chunked body; a cut or malformed one yields
/// what was read so far, never a panic.
pub fn dechunk(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = raw;
    loop {
        let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size_text = String::from_utf8_lossy(&rest[..eol]);
        let size_hex = size_text.split(';').next().unwrap_or("").trim();
        let Ok(size) = usize::from_str_radix(size_hex, 16) else {
            return out;
        };
        rest = &rest[eol + 2..];
        if size == 0 {
            return out;
        }
        let take = size.min(rest.len());
        out.extend_from_slice(&rest[..take]);
        if take < size || rest.len() < take + 2 {
            return out;
        }
        rest = &rest[take + 2..];
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Received {
    Text(String),
    Binary(usize),
    Closed(Option<(u16, String)>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum RecvError {
    /// Nothing awaited came within the limit; the count is of the ping
    /// frames the server sent meanwhile (a server that pings without end
    /// is not a silent one).
    TimedOut(Duration, usize),
    /// Bytes that are not WebSocket frames.
    Garbage(String),
    Failed(Failure),
}

impl std::fmt::Display for RecvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RecvError::TimedOut(d, 0) => write!(f, "nothing arrived within {} ms", d.as_millis()),
            RecvError::TimedOut(d, pings) => write!(
                f,
                "only the server's own ping frames ({pings}) arrived within {} ms",
                d.as_millis()
            ),
            RecvError::Garbage(e) => write!(f, "frames that do not parse: {e}"),
            RecvError::Failed(e) => write!(f, "{e}"),
        }
    }
}

/// The next data frame; control frames are answered by tungstenite and
/// skipped here.
pub async fn recv(stream: &mut Stream, timeout: Duration) -> Result<Received, RecvError> {
    let mut pings = 0;
    let next = async {
        loop {
            match stream.next().await {
                None => return Ok(Received::Closed(None)),
                Some(Ok(Message::Text(t))) => return Ok(Received::Text(t.as_str().to_string())),
                Some(Ok(Message::Binary(b))) => return Ok(Received::Binary(b.len())),
                Some(Ok(Message::Close(frame))) => {
                    return Ok(Received::Closed(
                        frame.map(|f| (u16::from(f.code), f.reason.as_str().to_string())),
                    ));
                }
                Some(Ok(Message::Ping(_))) => pings += 1,
                Some(Ok(_)) => continue,
                Some(Err(WsError::Protocol(e))) => return Err(RecvError::Garbage(e.to_string())),
                Some(Err(WsError::Capacity(e))) => return Err(RecvError::Garbage(e.to_string())),
                Some(Err(WsError::Utf8(e))) => {
                    return Err(RecvError::Garbage(format!("text frame is not UTF-8: {e}")));
                }
                Some(Err(WsError::ConnectionClosed | WsError::AlreadyClosed)) => {
                    return Ok(Received::Closed(None));
                }
                Some(Err(e)) => return Err(RecvError::Failed(classify(&e))),
            }
        }
    };
    let got = tokio::time::timeout(timeout, next).await;
    got.unwrap_or(Err(RecvError::TimedOut(timeout, pings)))
}

/// Ping and wait for the matching pong: the round-trip time, and the first
/// data message that arrived in between (a server's greeting), if any.
pub async fn ping(
    stream: &mut Stream,
    timeout: Duration,
) -> Result<(Duration, Option<String>), RecvError> {
    let payload = b"rtdoctor".to_vec();
    let start = Instant::now();
    let mut pings = 0;
    let exchange = async {
        stream
            .send(Message::Ping(payload.clone().into()))
            .await
            .map_err(|e| RecvError::Failed(classify(&e)))?;
        let mut greeting = None;
        loop {
            match stream.next().await {
                None | Some(Err(WsError::ConnectionClosed | WsError::AlreadyClosed)) => {
                    return Err(RecvError::Failed(Failure::Other(
                        "the server closed the connection before its pong".into(),
                    )));
                }
                Some(Ok(Message::Pong(p))) if p.as_ref() == payload.as_slice() => {
                    return Ok((start.elapsed(), greeting));
                }
                Some(Ok(Message::Text(t))) => {
                    greeting.get_or_insert_with(|| t.as_str().to_string());
                }
                Some(Ok(Message::Close(frame))) => {
                    let why = frame
                        .map(|f| format!(" (code {} {})", u16::from(f.code), f.reason.as_str()))
                        .unwrap_or_default();
                    return Err(RecvError::Failed(Failure::Other(format!(
                        "the server closed the websocket instead of answering the ping{why}"
                    ))));
                }
                Some(Ok(Message::Ping(_))) => pings += 1,
                Some(Ok(_)) => continue,
                Some(Err(WsError::Protocol(e))) => return Err(RecvError::Garbage(e.to_string())),
                Some(Err(WsError::Capacity(e))) => return Err(RecvError::Garbage(e.to_string())),
                Some(Err(e)) => return Err(RecvError::Failed(classify(&e))),
            }
        }
    };
    let got = tokio::time::timeout(timeout, exchange).await;
    got.unwrap_or(Err(RecvError::TimedOut(timeout, pings)))
}

pub async fn send(stream: &mut Stream, text: &str, timeout: Duration) -> Result<(), Failure> {
    match tokio::time::timeout(timeout, stream.send(Message::text(text))).await {
        Err(_) => Err(Failure::TimedOut(timeout)),
        Ok(Err(e)) => Err(classify(&e)),
        Ok(Ok(())) => Ok(()),
    }
}

/// Send a close frame (1000) and wait, bounded, for the server's answer:
/// its close code, if it sent one.
pub async fn close(stream: &mut Stream, timeout: Duration) -> Option<u16> {
    let closing = async {
        // `send`, not `SinkExt::close`: the latter finishes the closing
        // handshake inside and swallows the server's close frame.
        stream.send(normal_close()).await.ok()?;
        loop {
            match stream.next().await {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => continue,
                _ => return None,
            }
        }
    };
    tokio::time::timeout(timeout, closing).await.ok().flatten()
}

/// A close frame with code 1000 (normal closure), sent within `timeout`,
/// without waiting for the server's: whether it went out. For a probe
/// that needs nothing more from the connection.
pub async fn send_close(stream: &mut Stream, timeout: Duration) -> bool {
    matches!(
        tokio::time::timeout(timeout, stream.send(normal_close())).await,
        Ok(Ok(()))
    )
}

fn normal_close() -> Message {
    use tokio_tungstenite::tungstenite::protocol::CloseFrame;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
    Message::Close(Some(CloseFrame {
        code: CloseCode::Normal,
        reason: "".into(),
    }))
}

#[cfg(test)]
mod tests {
    use super::dechunk;

    #[test]
    fn dechunk_reads_chunks_and_survives_garbage() {
        assert_eq!(
            dechunk(b"22\r\n{\"code\":3,\"message\":\"Bad request\"}\r\n0\r\n\r\n"),
            br#"{"code":3,"message":"Bad request"}"#
        );
        assert_eq!(dechunk(b"3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n"), b"abcde");
        assert_eq!(dechunk(b"ff\r\nshort"), b"short");
        assert_eq!(dechunk(b"zz\r\nabc"), b"");
        assert_eq!(dechunk(b""), b"");
        assert_eq!(dechunk(b"ffffffffffffffffffff\r\nx"), b"");
    }
}
