//! Probes: talking to the server the way clients do, bounded in time and in
//! bytes, keeping what the server answered as evidence. A probe knows the
//! wire; the checks decide what it means.

pub mod eio_version;
pub mod engineio;
pub mod first_bytes;
pub mod handshake;
pub mod http;
pub mod proxy_name;
pub mod tls;
pub mod tls_words;
pub mod ws;

use std::fmt;
use std::time::Duration;

/// Bytes kept of any answer body or message: enough for every error body
/// and handshake, and a bound on memory whatever a server sends.
pub const BODY_LIMIT: usize = 64 * 1024;

/// rustls needs one process-wide crypto provider: ring, the only one this
/// build carries. Installing twice is harmless.
pub fn ensure_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// Why a probe got no answer to look at.
#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    Refused,
    Reset,
    TimedOut(Duration),
    /// Kept typed: verdicts match the variant, and `tls_words` says it.
    Tls(rustls::Error),
    /// A TLS handshake was answered with bytes that are not TLS: these,
    /// as they came (at most `first_bytes::KEPT`).
    NotTls(Vec<u8>),
    Other(String),
}

/// A plain-HTTP server answers a ClientHello with its own error page.
pub fn is_http(bytes: &[u8]) -> bool {
    bytes.starts_with(b"HTTP/")
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Refused => f.write_str("connection refused"),
            Failure::Reset => f.write_str("the connection was reset"),
            Failure::TimedOut(d) => write!(f, "no answer within {} ms", d.as_millis()),
            Failure::Tls(e) => write!(f, "TLS error: {}", tls_words::words(e)),
            Failure::NotTls(bytes) if is_http(bytes) => write!(
                f,
                "an answer in plain HTTP, not TLS ({})",
                crate::protocol::preview(bytes, 40)
            ),
            Failure::NotTls(bytes) => write!(
                f,
                "bytes that are neither TLS nor HTTP ({})",
                crate::protocol::preview(bytes, 24)
            ),
            Failure::Other(e) => f.write_str(e),
        }
    }
}

/// Classify an error by walking its source chain for the I/O error kind
/// and the typed TLS error; anything else is said in words: reqwest's and
/// hyper's wrappers ("error sending request for url (…)", "client error
/// (Connect)") say only that something failed, so what failed is the
/// innermost error's text, after what reqwest's own type says it was.
pub fn classify(err: &(dyn std::error::Error + 'static)) -> Failure {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    let mut text = err.to_string();
    let mut stage: Option<&str> = None;
    let mut innermost = err;
    while let Some(e) = cur {
        if let Some(words) = unresolved_words(&e.to_string()) {
            return Failure::Other(format!("the name does not resolve: {words}"));
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return Failure::Refused,
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted => {
                    return Failure::Reset;
                }
                std::io::ErrorKind::TimedOut => return Failure::Other("timed out".into()),
                std::io::ErrorKind::NetworkUnreachable | std::io::ErrorKind::HostUnreachable => {
                    return Failure::Other(
                        "no route to the host from this machine (network unreachable)".into(),
                    );
                }
                std::io::ErrorKind::UnexpectedEof => {
                    return Failure::Other(CLOSED.into());
                }
                _ => {}
            }
            if let Some(tls) = wrapped_rustls(io) {
                return Failure::Tls(tls.clone());
            }
        }
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Failure::Tls(tls.clone());
        }
        if let Some(r) = e.downcast_ref::<reqwest::Error>() {
            stage = stage.or_else(|| reqwest_stage(r));
        }
        innermost = e;
        cur = next_cause(e);
        if let Some(next) = cur {
            let s = next.to_string();
            if !text.contains(&s) {
                text = format!("{text}: {s}");
            }
        }
    }
    if let Some(words) = hyper_words(&innermost.to_string()) {
        return Failure::Other(words.into());
    }
    match stage {
        Some(stage) if !std::ptr::addr_eq(innermost, err) => Failure::Other(format!(
            "{stage}: {}",
            strip_os_error(&innermost.to_string())
        )),
        Some(stage) => Failure::Other(stage.to_string()),
        None => Failure::Other(strip_os_error(&text)),
    }
}

/// A connection that ended before any answer came.
const CLOSED: &str = "the server closed the connection without answering";

/// What a name lookup's error means, from the resolver's own text
/// (getaddrinfo's, which std and tokio pass on as
/// "failed to lookup address information: …"); `None` when `text` is not
/// a lookup error.
pub fn unresolved_words(text: &str) -> Option<&'static str> {
    let detail = text.strip_prefix("failed to lookup address information: ")?;
    Some(match detail {
        "Name or service not known"
        | "No address associated with hostname"
        | "nodename nor servname provided, or not known"
        | "Name has no usable address" => "no such name (no address for it in DNS or /etc/hosts)",
        "Temporary failure in name resolution" => {
            "the resolver did not answer (no network, or no DNS server reachable)"
        }
        _ => "this machine's resolver returned no address for it",
    })
}

/// hyper's words for a connection that ended early, said plainly.
fn hyper_words(text: &str) -> Option<&'static str> {
    Some(match text {
        "connection closed before message completed" => CLOSED,
        "operation timed out" | "deadline has elapsed" => "timed out",
        _ => return None,
    })
}

/// An I/O error's text without std's " (os error N)": the number says
/// nothing to a person.
fn strip_os_error(text: &str) -> String {
    match text.rfind(" (os error ") {
        Some(at) if text.ends_with(')') => text[..at].to_string(),
        _ => text.to_string(),
    }
}

/// The error `e` wraps. std's `io::Error::source()` skips the error an
/// `io::Error` carries (hyper-util's connect error holds the socket's
/// `ConnectionReset` that way), so an io::Error is opened with `get_ref`.
fn next_cause<'a>(
    e: &'a (dyn std::error::Error + 'static),
) -> Option<&'a (dyn std::error::Error + 'static)> {
    match e.downcast_ref::<std::io::Error>() {
        Some(io) => io.get_ref().map(|inner| inner as _).or_else(|| e.source()),
        None => e.source(),
    }
}

/// What reqwest was doing, from its error's type.
fn reqwest_stage(e: &reqwest::Error) -> Option<&'static str> {
    Some(if e.is_connect() {
        "cannot connect"
    } else if e.is_timeout() {
        "timed out"
    } else if e.is_redirect() {
        "too many redirects"
    } else if e.is_body() {
        "reading the body failed"
    } else if e.is_decode() {
        "decoding the body failed"
    } else if e.is_builder() {
        "the request could not be built"
    } else if e.is_request() {
        "sending the request failed"
    } else {
        return None;
    })
}

/// The rustls::Error inside an io::Error. std's io::Error::source() skips
/// the error it wraps, and tokio-rustls wraps the rustls::Error that names
/// the certificate problem in one (which hyper-util wraps in another).
fn wrapped_rustls(io: &std::io::Error) -> Option<&rustls::Error> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = io.get_ref().map(|e| e as _);
    while let Some(e) = cur {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        cur = match e.downcast_ref::<std::io::Error>() {
            Some(inner) => inner.get_ref().map(|e| e as _),
            None => e.source(),
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Library phrases a summary must never carry.
    const LIBRARY: [&str; 5] = [
        "error sending request",
        "client error (Connect)",
        "dns error",
        "os error",
        "failed to lookup address information",
    ];

    #[test]
    fn every_failure_kind_is_said_in_words() {
        use std::io::{Error, ErrorKind};
        let lookup =
            Error::other("failed to lookup address information: Name or service not known");
        let wrapped = |inner: Error| Error::other(inner);
        for (err, said) in [
            (
                wrapped(lookup),
                "the name does not resolve: no such name (no address for it in DNS or /etc/hosts)",
            ),
            (
                Error::from(ErrorKind::ConnectionRefused),
                "connection refused",
            ),
            (
                Error::from(ErrorKind::ConnectionReset),
                "the connection was reset",
            ),
            (Error::from_raw_os_error(110), "timed out"),
            (
                Error::from_raw_os_error(101),
                "no route to the host from this machine (network unreachable)",
            ),
            (Error::from(ErrorKind::UnexpectedEof), CLOSED),
            (
                Error::from_raw_os_error(99),
                "Cannot assign requested address",
            ),
        ] {
            let got = classify(&err).to_string();
            assert_eq!(got, said);
            for phrase in LIBRARY {
                assert!(!got.contains(phrase), "{got}");
            }
        }
    }

    #[test]
    fn a_certificate_error_inside_nested_io_errors_is_a_tls_failure() {
        // What reqwest hands over: hyper-util's io::Error around
        // tokio-rustls's io::Error around the rustls::Error.
        let tls = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let inner = std::io::Error::new(std::io::ErrorKind::InvalidData, tls);
        let outer = std::io::Error::other(inner);
        assert!(matches!(
            classify(&outer),
            Failure::Tls(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer
            ))
        ));
        assert_eq!(
            classify(&outer).to_string(),
            "TLS error: the server's certificate is not signed by an authority this client \
trusts (unknown issuer)"
        );
    }
}
