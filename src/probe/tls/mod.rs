//! TLS as clients meet it: the trusted roots (the system's plus
//! `--cacert`), the rustls configurations the HTTP and WebSocket probes use
//! (enforcing, or lenient with `--insecure`), and an inspection handshake
//! that records what certificate verification said instead of stopping at
//! it, so the chain, protocol version and ALPN are always there to report.
//! Only ring is used as the crypto provider (one provider per build).
//!
//! One idea per file: `roots` (what is trusted), `verifier` (webpki's
//! verdict and what to do with it), `config` (the probes' client
//! configuration), `inspect` (the recording handshake), `cert` (one
//! certificate as the report shows it) and `date` (Unix times as days).

mod cert;
mod config;
mod date;
mod inspect;
mod roots;
mod verifier;

pub use cert::CertInfo;
pub use config::client_config;
pub use date::{date, now};
pub use inspect::{TlsReport, inspect};
pub use roots::{Roots, load_cacert, parse_pem_certs, roots};
pub use verifier::Verification;

/// ALPN offered by the inspection handshake: what a browser offers, so the
/// report shows what a browser would get.
pub const INSPECT_ALPN: &[&[u8]] = &[b"h2", b"http/1.1"];

/// ALPN offered by the HTTP and WebSocket probes: both speak HTTP/1.1 (a
/// WebSocket upgrade is an HTTP/1.1 request), so a server that would pick
/// h2 must not be offered it.
pub const PROBE_ALPN: &[&[u8]] = &[b"http/1.1"];
