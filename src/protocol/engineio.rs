//! Engine.IO, protocol versions 3 (socket.io 1.x/2.x, python-socketio 4)
//! and 4 (socket.io 3.x/4.x, python-socketio 5): packets, the polling
//! payload framings, the open packet, and the error answers of Node's
//! engine.io (JSON) and python-engineio (plain text).

use serde::Deserialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Eio {
    V3,
    V4,
}

impl Eio {
    pub fn number(self) -> u8 {
        match self {
            Eio::V3 => 3,
            Eio::V4 => 4,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Open,
    Close,
    Ping,
    Pong,
    Message,
    Upgrade,
    Noop,
}

impl Kind {
    fn from_digit(c: char) -> Option<Kind> {
        Some(match c {
            '0' => Kind::Open,
            '1' => Kind::Close,
            '2' => Kind::Ping,
            '3' => Kind::Pong,
            '4' => Kind::Message,
            '5' => Kind::Upgrade,
            '6' => Kind::Noop,
            _ => return None,
        })
    }

    pub fn digit(self) -> char {
        match self {
            Kind::Open => '0',
            Kind::Close => '1',
            Kind::Ping => '2',
            Kind::Pong => '3',
            Kind::Message => '4',
            Kind::Upgrade => '5',
            Kind::Noop => '6',
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    pub kind: Kind,
    /// Text data; binary messages (`b…` in v4, base64) are kept encoded.
    pub data: String,
    pub binary: bool,
}

impl Packet {
    pub fn new(kind: Kind, data: impl Into<String>) -> Packet {
        Packet {
            kind,
            data: data.into(),
            binary: false,
        }
    }

    pub fn encode(&self) -> String {
        format!("{}{}", self.kind.digit(), self.data)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("empty packet")]
    Empty,
    #[error("unknown packet type {0:?}")]
    UnknownType(char),
    #[error("bad v3 length prefix: {0}")]
    BadLength(String),
    #[error("the payload is not UTF-8")]
    NotText,
    #[error("not an open packet: {0}")]
    NotOpen(String),
}

/// One packet as it travels in a websocket frame or a payload slot.
pub fn decode_packet(text: &str) -> Result<Packet, DecodeError> {
    if let Some(b64) = text.strip_prefix('b') {
        return Ok(Packet {
            kind: Kind::Message,
            data: b64.to_string(),
            binary: true,
        });
    }
    let mut chars = text.chars();
    let first = chars.next().ok_or(DecodeError::Empty)?;
    let kind = Kind::from_digit(first).ok_or(DecodeError::UnknownType(first))?;
    Ok(Packet::new(kind, chars.as_str()))
}

/// A polling body. v4 separates packets with the record separator 0x1e;
/// v3 prefixes each with its length in UTF-16 code units and a colon
/// (`97:0{…}2:40`), the way JavaScript counts string length.
pub fn decode_payload(body: &[u8], eio: Eio) -> Result<Vec<Packet>, DecodeError> {
    let text = std::str::from_utf8(body).map_err(|_| DecodeError::NotText)?;
    match eio {
        Eio::V4 => text.split('\u{1e}').map(decode_packet).collect(),
        Eio::V3 => decode_v3(text),
    }
}

fn decode_v3(mut text: &str) -> Result<Vec<Packet>, DecodeError> {
    let mut packets = Vec::new();
    while !text.is_empty() {
        let (len, rest) = text
            .split_once(':')
            .ok_or_else(|| DecodeError::BadLength(crate::protocol::preview(text.as_bytes(), 20)))?;
        let units: usize = len
            .parse()
            .map_err(|_| DecodeError::BadLength(crate::protocol::preview(len.as_bytes(), 20)))?;
        let end = utf16_prefix_len(rest, units)
            .ok_or_else(|| DecodeError::BadLength(format!("{units} is longer than the payload")))?;
        packets.push(decode_packet(&rest[..end])?);
        text = &rest[end..];
    }
    if packets.is_empty() {
        return Err(DecodeError::Empty);
    }
    Ok(packets)
}

/// The byte length of the first `units` UTF-16 code units of `s`.
fn utf16_prefix_len(s: &str, units: usize) -> Option<usize> {
    let mut seen = 0;
    for (i, c) in s.char_indices() {
        if seen == units {
            return Some(i);
        }
        seen += c.len_utf16();
        if seen > units {
            return None;
        }
    }
    (seen == units).then_some(s.len())
}

pub fn encode_payload(packets: &[Packet], eio: Eio) -> String {
    match eio {
        Eio::V4 => packets
            .iter()
            .map(Packet::encode)
            .collect::<Vec<_>>()
            .join("\u{1e}"),
        Eio::V3 => packets
            .iter()
            .map(|p| {
                let e = p.encode();
                format!("{}:{e}", e.encode_utf16().count())
            })
            .collect(),
    }
}

/// Which framing does this handshake body use?
pub fn sniff(body: &[u8]) -> Option<Eio> {
    if body.starts_with(b"0{") {
        return Some(Eio::V4);
    }
    let digits = body.iter().take_while(|b| b.is_ascii_digit()).count();
    (digits > 0 && body.get(digits) == Some(&b':')).then_some(Eio::V3)
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Open {
    pub sid: String,
    #[serde(default)]
    pub upgrades: Vec<String>,
    #[serde(default)]
    pub ping_interval: Option<u64>,
    #[serde(default)]
    pub ping_timeout: Option<u64>,
    /// v4 only.
    #[serde(default)]
    pub max_payload: Option<u64>,
}

impl Open {
    pub fn offers_websocket(&self) -> bool {
        self.upgrades.iter().any(|u| u == "websocket")
    }

    /// What in the open packet makes the session unusable for any client,
    /// in words: a zero heartbeat interval or timeout (socket.io-client
    /// and python-socketio's client then time out at once, "ping timeout"),
    /// or a zero maxPayload (no message fits, so nothing can be sent).
    pub fn unusable(&self) -> Vec<String> {
        let mut found = Vec::new();
        if self.ping_interval == Some(0) {
            found.push(
                "pingInterval is 0: the heartbeat has no interval, and clients give up on the \
connection at once (\"ping timeout\")"
                    .to_string(),
            );
        }
        if self.ping_timeout == Some(0) {
            found.push(
                "pingTimeout is 0: clients allow no time for a heartbeat and drop the connection \
(\"ping timeout\") at the first one"
                    .to_string(),
            );
        }
        if self.max_payload == Some(0) {
            found.push(
                "maxPayload is 0: the server accepts no message of any size, so a client cannot \
send anything"
                    .to_string(),
            );
        }
        found
    }

    pub fn describe(&self) -> String {
        let mut parts = vec![
            format!("sid {}", self.sid),
            format!("upgrades {:?}", self.upgrades),
        ];
        if let Some(i) = self.ping_interval {
            parts.push(format!("pingInterval {i}"));
        }
        if let Some(t) = self.ping_timeout {
            parts.push(format!("pingTimeout {t}"));
        }
        if let Some(m) = self.max_payload {
            parts.push(format!("maxPayload {m}"));
        }
        parts.join(", ")
    }
}

/// The open packet of a handshake answer, and the packets after it (a v3
/// socket.io 2.x server sends `40` for the default namespace at once).
pub fn parse_handshake(body: &[u8], eio: Eio) -> Result<(Open, Vec<Packet>), DecodeError> {
    let mut packets = decode_payload(body, eio)?;
    let first = packets.remove(0);
    if first.kind != Kind::Open {
        return Err(DecodeError::NotOpen(first.encode()));
    }
    let open: Open = serde_json::from_str(&first.data).map_err(|e| {
        DecodeError::NotOpen(format!(
            "{e}: {}",
            crate::protocol::preview(first.data.as_bytes(), 80)
        ))
    })?;
    if open.sid.is_empty() {
        return Err(DecodeError::NotOpen("the sid is empty".into()));
    }
    Ok((open, packets))
}

/// The Engine.IO error table (engine.io's `Server.errors`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    TransportUnknown,
    SessionIdUnknown,
    BadHandshakeMethod,
    BadRequest,
    Forbidden,
    UnsupportedProtocolVersion,
    /// python-engineio's CORS refusal: "… is not an accepted origin."
    OriginNotAccepted,
}

impl ErrorKind {
    pub fn from_code(code: u64) -> Option<ErrorKind> {
        Some(match code {
            0 => ErrorKind::TransportUnknown,
            1 => ErrorKind::SessionIdUnknown,
            2 => ErrorKind::BadHandshakeMethod,
            3 => ErrorKind::BadRequest,
            4 => ErrorKind::Forbidden,
            5 => ErrorKind::UnsupportedProtocolVersion,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineError {
    pub kind: ErrorKind,
    /// The server's own words.
    pub message: String,
    /// Node's engine.io answers JSON with a code; python-engineio, text.
    pub code: Option<u64>,
}

#[derive(Deserialize)]
struct NodeError {
    code: u64,
    message: String,
}

/// Recognise an Engine.IO error answer (any status; they come as 400/403).
pub fn decode_error(body: &[u8]) -> Option<EngineError> {
    let text = std::str::from_utf8(body).ok()?.trim();
    if let Ok(e) = serde_json::from_str::<NodeError>(text) {
        return Some(EngineError {
            kind: ErrorKind::from_code(e.code)?,
            message: e.message,
            code: Some(e.code),
        });
    }
    // python-engineio answers plain text (sometimes JSON-quoted).
    let msg = text.trim_matches('"');
    let lower = msg.to_ascii_lowercase();
    let kind = if lower.contains("unsupported version") {
        ErrorKind::UnsupportedProtocolVersion
    } else if lower.contains("is not an accepted origin") {
        ErrorKind::OriginNotAccepted
    } else if lower.starts_with("invalid session") || lower.contains("session id unknown") {
        ErrorKind::SessionIdUnknown
    } else if lower.contains("invalid transport") || lower.contains("transport unknown") {
        ErrorKind::TransportUnknown
    } else if lower == "bad request" || lower.contains("invalid websocket upgrade") {
        ErrorKind::BadRequest
    } else {
        return None;
    };
    Some(EngineError {
        kind,
        message: msg.to_string(),
        code: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const V4_OPEN: &str = r#"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;

    #[test]
    fn v4_handshake() {
        let (open, rest) = parse_handshake(V4_OPEN.as_bytes(), Eio::V4).unwrap();
        assert_eq!(open.sid, "lv_VI97HAXpY6yYWAAAC");
        assert!(open.offers_websocket());
        assert_eq!(
            (open.ping_interval, open.ping_timeout, open.max_payload),
            (Some(25000), Some(20000), Some(1000000))
        );
        assert!(rest.is_empty());
        assert_eq!(sniff(V4_OPEN.as_bytes()), Some(Eio::V4));
    }

    #[test]
    fn v3_handshake_with_the_automatic_namespace_connect() {
        let open =
            r#"0{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":5000}"#;
        let body = format!("{}:{open}2:40", open.len());
        assert_eq!(sniff(body.as_bytes()), Some(Eio::V3));
        let (o, rest) = parse_handshake(body.as_bytes(), Eio::V3).unwrap();
        assert_eq!(o.sid, "abc");
        assert_eq!(o.max_payload, None);
        assert_eq!(rest, vec![Packet::new(Kind::Message, "0")]);
    }

    #[test]
    fn v3_lengths_count_utf16_units() {
        // "é" is one UTF-16 unit but two bytes; "😀" is two units, four bytes.
        let body = "2:4é5:4a😀b1:6";
        let p = decode_payload(body.as_bytes(), Eio::V3).unwrap();
        assert_eq!(p[0].data, "é");
        assert_eq!(p[1].data, "a😀b");
        assert_eq!(p[2].kind, Kind::Noop);
        assert_eq!(encode_payload(&p, Eio::V3), body);
    }

    #[test]
    fn v4_payload_round_trip_and_binary() {
        let body = "40{\"sid\":\"x\"}\u{1e}42[\"a\"]\u{1e}bAQID";
        let p = decode_payload(body.as_bytes(), Eio::V4).unwrap();
        assert_eq!(p.len(), 3);
        assert!(p[2].binary);
        assert_eq!(
            encode_payload(&p[..2], Eio::V4),
            "40{\"sid\":\"x\"}\u{1e}42[\"a\"]"
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for body in [
            &b""[..],
            b":",
            b"99:0{}",
            b"x",
            b"3:",
            b"<!DOCTYPE html>",
            b"\xff\xfe",
            b"1:\xc3\xa9",
            b"18446744073709551616:0",
        ] {
            assert!(parse_handshake(body, Eio::V3).is_err(), "{body:?}");
            assert!(parse_handshake(body, Eio::V4).is_err(), "{body:?}");
        }
        assert!(parse_handshake(b"0{\"nosid\":1}", Eio::V4).is_err());
        assert!(parse_handshake(b"0{\"sid\":\"\"}", Eio::V4).is_err());
        assert!(parse_handshake(b"40", Eio::V4).is_err());
        assert_eq!(sniff(b"<html>"), None);
    }

    #[test]
    fn node_and_python_errors() {
        let e = decode_error(br#"{"code":5,"message":"Unsupported protocol version"}"#).unwrap();
        assert_eq!(
            (e.kind, e.code),
            (ErrorKind::UnsupportedProtocolVersion, Some(5))
        );
        let e = decode_error(br#"{"code":1,"message":"Session ID unknown"}"#).unwrap();
        assert_eq!(e.kind, ErrorKind::SessionIdUnknown);
        let e = decode_error(br#"{"code":3,"message":"Bad request"}"#).unwrap();
        assert_eq!(e.kind, ErrorKind::BadRequest);
        let e = decode_error(
            b"The client is using an unsupported version of the Socket.IO or Engine.IO protocols",
        )
        .unwrap();
        assert_eq!(
            (e.kind, e.code),
            (ErrorKind::UnsupportedProtocolVersion, None)
        );
        let e = decode_error(b"\"http://evil.example is not an accepted origin.\"").unwrap();
        assert_eq!(e.kind, ErrorKind::OriginNotAccepted);
        assert_eq!(e.message, "http://evil.example is not an accepted origin.");
        assert_eq!(
            decode_error(b"Invalid session").unwrap().kind,
            ErrorKind::SessionIdUnknown
        );
        assert_eq!(decode_error(br#"{"code":99,"message":"?"}"#), None);
        assert_eq!(decode_error(b"Cannot GET /socket.io/"), None);
    }

    #[test]
    fn zero_heartbeat_or_payload_makes_an_open_packet_unusable() {
        let open = |json: &str| {
            parse_handshake(format!("0{json}").as_bytes(), Eio::V4)
                .unwrap()
                .0
        };
        assert!(
            open(V4_OPEN.strip_prefix('0').unwrap())
                .unusable()
                .is_empty()
        );
        let zero = open(r#"{"sid":"a","pingInterval":0,"pingTimeout":0,"maxPayload":0}"#);
        let found = zero.unusable();
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found[0].starts_with("pingInterval is 0"));
        assert!(found[1].starts_with("pingTimeout is 0"));
        assert!(found[2].contains("cannot send anything"));
        let v3 = open(r#"{"sid":"a","pingInterval":25000,"pingTimeout":0}"#);
        assert_eq!(v3.unusable().len(), 1);
    }
}
