//! Values the user hands rtdoctor to send, never to show: `-H` header
//! values, the `--auth` payload, a config file's or a declared check's
//! headers and auth. `Secret` has no `Display` and a `Debug` that hides
//! the value, so printing one by accident does not compile (or prints
//! `[REDACTED]`); the probes that send it call `expose()`, and the
//! redactor is told every exposed value (`commands::redactor_for`).
//!
//! `Header` is a request header checked once, when the command is
//! resolved: a name and a value that every probe (reqwest, tungstenite,
//! the hand-written handshake) can send as they are, so a line break in a
//! value can never become an extra header line.

use std::fmt;

use reqwest::header::{HeaderName, HeaderValue};

/// A value sent but never shown. It reads from a file as the bare value.
#[derive(Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(transparent)]
pub struct Secret<T = String>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Secret(value)
    }

    /// The value itself, for the probe that sends it and for the redactor.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

/// A request header whose name is an HTTP token and whose value holds no
/// control character but tab (RFC 9110): what `http::HeaderName` and
/// `HeaderValue` accept, so no probe has to drop or refuse it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// As the user spelled it (the hand-written handshake keeps the case).
    name: String,
    value: Secret,
}

impl Header {
    /// `Name: value`, as `curl -H` takes it.
    pub fn parse(text: &str) -> Result<Header, String> {
        let Some((name, value)) = text.split_once(':') else {
            // Without a colon the whole text may be the credential.
            return Err("a header has no ':': write 'Name: value'".into());
        };
        Header::new(name.trim(), value.trim())
    }

    /// Errors name the header but never quote its value: it may be a
    /// credential.
    pub fn new(name: &str, value: &str) -> Result<Header, String> {
        if HeaderName::from_bytes(name.as_bytes()).is_err() {
            return Err(format!(
                "'{}' is not a valid header name: use letters, digits and -",
                shown_name(name)
            ));
        }
        if let Some(c) = value.chars().find(|c| c.is_control() && *c != '\t') {
            let what = match c {
                '\r' | '\n' => "a line break".to_string(),
                '\0' => "a NUL byte".to_string(),
                c => format!("the control character U+{:04X}", c as u32),
            };
            return Err(format!(
                "the value of header {} contains {what}, which would end the header early",
                shown_name(name)
            ));
        }
        Ok(Header {
            name: name.to_string(),
            value: Secret::new(value.to_string()),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn value(&self) -> &Secret {
        &self.value
    }

    /// The header for an `http::HeaderMap` (reqwest, tungstenite), its
    /// value marked sensitive so that `http`'s own `Debug` hides it too.
    pub fn to_http(&self) -> (HeaderName, HeaderValue) {
        // Both were checked by `new`; the fallbacks are never reached.
        let name = HeaderName::from_bytes(self.name.as_bytes())
            .unwrap_or(HeaderName::from_static("x-rtdoctor-invalid"));
        let mut value = HeaderValue::from_bytes(self.value.expose().as_bytes())
            .unwrap_or(HeaderValue::from_static(""));
        value.set_sensitive(true);
        (name, value)
    }
}

/// A header name, escaped and cut, for an error message.
fn shown_name(text: &str) -> String {
    let name: String = text.chars().take(40).collect();
    crate::escape::escape(&name).into_owned()
}

/// `--subprotocol P`: an RFC 6455 subprotocol is an HTTP token; anything
/// else would break (or add lines to) the `Sec-WebSocket-Protocol` header.
pub fn parse_subprotocol(text: &str) -> Result<String, String> {
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if text.is_empty() || !text.bytes().all(token) {
        return Err(format!(
            "'{}' is not a WebSocket subprotocol: one token of letters, digits and !#$%&'*+-.^_`|~",
            crate::escape::escape(text)
        ));
    }
    Ok(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_value() {
        let s = Secret::new("hunter2".to_string());
        assert_eq!(format!("{s:?}"), "Secret([REDACTED])");
        let h = Header::parse("Authorization: Bearer hunter2").unwrap();
        assert!(!format!("{h:?}").contains("hunter2"));
        let (_, v) = h.to_http();
        assert!(!format!("{v:?}").contains("hunter2"));
        assert_eq!(h.value().expose(), "Bearer hunter2");
    }

    #[test]
    fn headers_are_checked_and_errors_never_quote_the_value() {
        let h = Header::parse("X-Tag:  a:b ").unwrap();
        assert_eq!((h.name(), h.value().expose().as_str()), ("X-Tag", "a:b"));
        for (text, why) in [
            (
                "X-A: b\r\nX-Injected: 1",
                "header X-A contains a line break",
            ),
            ("X-A: se\ncret", "contains a line break"),
            ("X-A: se\0cret", "a NUL byte"),
            ("X-A: se\x1bcret", "U+001B"),
            ("Bad Name: secret", "not a valid header name"),
            ("X-\u{e9}: secret", "not a valid header name"),
            (": secret", "not a valid header name"),
            ("Bearer secret", "has no ':'"),
        ] {
            let err = Header::parse(text).unwrap_err();
            assert!(err.contains(why), "{text:?}: {err}");
            assert!(!err.contains("secret"), "{err}");
        }
        assert!(Header::parse("X-A: tab\there").is_ok());
    }

    #[test]
    fn subprotocols_are_tokens() {
        assert_eq!(parse_subprotocol("chat.v2"), Ok("chat.v2".into()));
        for bad in ["", "chat\r\nX: 1", "a b", "a,b", "caf\u{e9}"] {
            assert!(parse_subprotocol(bad).is_err(), "{bad:?}");
        }
    }
}
