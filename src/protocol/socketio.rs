//! Socket.IO packets, carried in Engine.IO `message` packets: protocol v5
//! (socket.io 3.x/4.x and python-socketio 5, over Engine.IO 4) and v4
//! (socket.io 2.x, over Engine.IO 3).
//! Format: `<type>[<attachments>-][<namespace>,][<ack id>][<JSON>]`.

use serde_json::Value;

use super::engineio::Eio;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Connect,
    Disconnect,
    Event,
    Ack,
    /// v5 CONNECT_ERROR; v4 calls it ERROR.
    ConnectError,
    BinaryEvent,
    BinaryAck,
}

impl Kind {
    fn from_digit(c: char) -> Option<Kind> {
        Some(match c {
            '0' => Kind::Connect,
            '1' => Kind::Disconnect,
            '2' => Kind::Event,
            '3' => Kind::Ack,
            '4' => Kind::ConnectError,
            '5' => Kind::BinaryEvent,
            '6' => Kind::BinaryAck,
            _ => return None,
        })
    }

    fn digit(self) -> char {
        match self {
            Kind::Connect => '0',
            Kind::Disconnect => '1',
            Kind::Event => '2',
            Kind::Ack => '3',
            Kind::ConnectError => '4',
            Kind::BinaryEvent => '5',
            Kind::BinaryAck => '6',
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Packet {
    pub kind: Kind,
    pub namespace: String,
    pub id: Option<u64>,
    pub data: Option<Value>,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("empty Socket.IO packet")]
    Empty,
    #[error("unknown Socket.IO packet type {0:?}")]
    UnknownType(char),
    #[error("bad attachment count")]
    BadAttachments,
    #[error("the packet's data is not JSON: {0}")]
    BadJson(String),
    #[error(
        "the packet's data is nested {depth} levels deep, deeper than the {MAX_DEPTH} rtdoctor reads"
    )]
    TooDeep { depth: usize },
}

/// serde_json's own recursion limit: deeper data is refused by it with a
/// message, so it is measured first and said in words.
pub const MAX_DEPTH: usize = 128;

/// How deep arrays and objects nest in JSON text (brackets inside strings
/// do not count). Linear, no allocation, any input.
pub fn nesting_depth(text: &str) -> usize {
    let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for b in text.bytes() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

pub fn decode(text: &str) -> Result<Packet, DecodeError> {
    let mut rest = text;
    let first = rest.chars().next().ok_or(DecodeError::Empty)?;
    let kind = Kind::from_digit(first).ok_or(DecodeError::UnknownType(first))?;
    rest = &rest[1..];
    if matches!(kind, Kind::BinaryEvent | Kind::BinaryAck) {
        let (n, tail) = rest.split_once('-').ok_or(DecodeError::BadAttachments)?;
        n.parse::<u32>().map_err(|_| DecodeError::BadAttachments)?;
        rest = tail;
    }
    let mut namespace = "/".to_string();
    if rest.starts_with('/') {
        let end = rest.find(',').unwrap_or(rest.len());
        // A v4 CONNECT may carry a query string: `0/admin?token=x`.
        namespace = rest[..end].split('?').next().unwrap_or("/").to_string();
        rest = rest.get(end + 1..).unwrap_or("");
    }
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let id = if digits > 0 {
        let id = rest[..digits].parse().ok();
        rest = &rest[digits..];
        id
    } else {
        None
    };
    let depth = nesting_depth(rest);
    if depth > MAX_DEPTH {
        return Err(DecodeError::TooDeep { depth });
    }
    let data = if rest.is_empty() {
        None
    } else {
        Some(serde_json::from_str(rest).map_err(|e| {
            DecodeError::BadJson(format!(
                "{e}: {}",
                crate::protocol::preview(rest.as_bytes(), 60)
            ))
        })?)
    };
    Ok(Packet {
        kind,
        namespace,
        id,
        data,
    })
}

pub fn encode(kind: Kind, namespace: &str, id: Option<u64>, data: Option<&Value>) -> String {
    let mut out = String::from(kind.digit());
    let has_payload = id.is_some() || data.is_some();
    if namespace != "/" {
        out.push_str(namespace);
        if has_payload {
            out.push(',');
        }
    }
    if let Some(id) = id {
        out.push_str(&id.to_string());
    }
    if let Some(data) = data {
        out.push_str(&data.to_string());
    }
    out
}

/// The CONNECT a client sends for `namespace`. Protocol v5 carries the
/// auth payload in the packet; v4 (socket.io 2) has none (auth goes in
/// the handshake's query string there).
pub fn connect(namespace: &str, auth: Option<&Value>, eio: Eio) -> String {
    match eio {
        Eio::V4 => encode(Kind::Connect, namespace, None, auth),
        Eio::V3 => encode(Kind::Connect, namespace, None, None),
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum ConnectReply {
    Connected { sid: Option<String> },
    Refused { message: String },
}

/// The server's answer to a CONNECT for `namespace`, if this packet is one.
pub fn connect_reply(p: &Packet, namespace: &str) -> Option<ConnectReply> {
    if p.namespace != namespace {
        return None;
    }
    match p.kind {
        Kind::Connect => Some(ConnectReply::Connected {
            sid: p
                .data
                .as_ref()
                .and_then(|d| d.get("sid"))
                .and_then(Value::as_str)
                .map(str::to_owned),
        }),
        Kind::ConnectError => Some(ConnectReply::Refused {
            message: match &p.data {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Object(o)) => o
                    .get("message")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .unwrap_or_else(|| Value::Object(o.clone()).to_string()),
                Some(other) => other.to_string(),
                None => "(no message)".into(),
            },
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn v5_connect_replies() {
        let p = decode(r#"0{"sid":"wZX3oN0bSVIhsaknAAAI"}"#).unwrap();
        assert_eq!(
            connect_reply(&p, "/"),
            Some(ConnectReply::Connected {
                sid: Some("wZX3oN0bSVIhsaknAAAI".into())
            })
        );
        let p = decode(r#"4/admin,{"message":"authentication failed"}"#).unwrap();
        assert_eq!(p.namespace, "/admin");
        assert_eq!(
            connect_reply(&p, "/admin"),
            Some(ConnectReply::Refused {
                message: "authentication failed".into()
            })
        );
        assert_eq!(connect_reply(&p, "/"), None);
    }

    #[test]
    fn v4_replies_of_socketio_2() {
        assert_eq!(
            connect_reply(&decode("0").unwrap(), "/"),
            Some(ConnectReply::Connected { sid: None })
        );
        assert_eq!(
            connect_reply(&decode("0/admin").unwrap(), "/admin"),
            Some(ConnectReply::Connected { sid: None })
        );
        let p = decode(r#"4/admin,"Invalid namespace""#).unwrap();
        assert_eq!(
            connect_reply(&p, "/admin"),
            Some(ConnectReply::Refused {
                message: "Invalid namespace".into()
            })
        );
        assert_eq!(decode("0/admin?token=x").unwrap().namespace, "/admin");
    }

    #[test]
    fn encoding() {
        assert_eq!(connect("/", None, Eio::V4), "0");
        assert_eq!(
            connect("/admin", Some(&json!({"token": "t"})), Eio::V4),
            r#"0/admin,{"token":"t"}"#
        );
        assert_eq!(
            connect("/", Some(&json!({"token": "t"})), Eio::V4),
            r#"0{"token":"t"}"#
        );
        assert_eq!(
            connect("/admin", Some(&json!({"token": "t"})), Eio::V3),
            "0/admin"
        );
        assert_eq!(
            encode(Kind::Event, "/", Some(12), Some(&json!(["ping"]))),
            r#"212["ping"]"#
        );
        let p = decode(r#"3/chat,12["pong"]"#).unwrap();
        assert_eq!(
            (p.kind, p.namespace.as_str(), p.id),
            (Kind::Ack, "/chat", Some(12))
        );
        assert_eq!(
            decode(r#"51-["a",{"_placeholder":true,"num":0}]"#)
                .unwrap()
                .kind,
            Kind::BinaryEvent
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for text in ["", "x", "2{", "5[]", "5x-[]", "2/ns,{bad", "9"] {
            assert!(decode(text).is_err(), "{text:?}");
        }
        // A namespace with no comma and nothing after it is fine.
        assert_eq!(decode("1/admin").unwrap().kind, Kind::Disconnect);
    }

    #[test]
    fn deep_nesting_is_measured_not_recursed() {
        assert_eq!(nesting_depth(r#"{"a":[1,{"b":"[[[["}]}"#), 3);
        assert_eq!(nesting_depth(r#""\"[""#), 0);
        let deep = format!("0{}{}", "[".repeat(5000), "]".repeat(5000));
        assert_eq!(decode(&deep), Err(DecodeError::TooDeep { depth: 5000 }));
        assert!(
            decode(&deep)
                .unwrap_err()
                .to_string()
                .contains("nested 5000 levels deep")
        );
        let fine = format!("0{}{}", "[".repeat(100), "]".repeat(100));
        assert!(decode(&fine).is_ok());
    }
}
