//! Probes: talking to the server the way clients do, bounded in time and in
//! bytes, keeping what the server answered as evidence. A probe knows the
//! wire; the checks decide what it means.

pub mod engineio;
pub mod first_bytes;
pub mod handshake;
pub mod http;
pub mod tls;
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
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    Refused,
    Reset,
    TimedOut(Duration),
    Tls(String),
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
            Failure::Tls(e) => write!(f, "TLS error: {e}"),
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

/// Classify an error by walking its source chain for the I/O error kind.
pub fn classify(err: &(dyn std::error::Error + 'static)) -> Failure {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    let mut text = err.to_string();
    while let Some(e) = cur {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return Failure::Refused,
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted => {
                    return Failure::Reset;
                }
                _ => {}
            }
            if let Some(tls) = wrapped_rustls(io) {
                return Failure::Tls(tls.to_string());
            }
        }
        if e.downcast_ref::<rustls::Error>().is_some() {
            return Failure::Tls(e.to_string());
        }
        cur = e.source();
        if let Some(next) = cur {
            let s = next.to_string();
            if !text.contains(&s) {
                text = format!("{text}: {s}");
            }
        }
    }
    Failure::Other(text)
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

    #[test]
    fn a_certificate_error_inside_nested_io_errors_is_a_tls_failure() {
        // What reqwest hands over: hyper-util's io::Error around
        // tokio-rustls's io::Error around the rustls::Error.
        let tls = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let inner = std::io::Error::new(std::io::ErrorKind::InvalidData, tls);
        let outer = std::io::Error::other(inner);
        assert_eq!(
            classify(&outer),
            Failure::Tls("invalid peer certificate: UnknownIssuer".into())
        );
        assert_eq!(
            classify(&outer).to_string(),
            "TLS error: invalid peer certificate: UnknownIssuer"
        );
    }
}
