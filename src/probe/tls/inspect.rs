//! The inspection handshake: a TLS handshake completed whatever the
//! certificate, recording what verification said, so the chain, protocol
//! version and ALPN are always there to report.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use tokio::net::TcpStream;

use super::INSPECT_ALPN;
use super::cert::CertInfo;
use super::config::with_verifier;
use super::roots::roots;
use super::verifier::{Mode, Trust, Verification, Verifier, provider, webpki};
use crate::probe::{Failure, classify, first_bytes};

/// What the inspection handshake saw.
#[derive(Clone, Debug)]
pub struct TlsReport {
    pub peer: SocketAddr,
    /// `TLS 1.3`
    pub version: String,
    pub cipher: String,
    /// The protocol the server chose, if it chose one.
    pub alpn: Option<String>,
    /// The chain as the server sent it, leaf first.
    pub chain: Vec<Result<CertInfo, String>>,
    pub verification: Verification,
    pub system_roots: usize,
    pub extra_roots: usize,
    pub elapsed: Duration,
}

impl TlsReport {
    pub fn leaf(&self) -> Option<&CertInfo> {
        self.chain.first().and_then(|c| c.as_ref().ok())
    }
}

/// A TLS handshake with `host:port` for `server_name` (SNI and the name
/// checked), completed whatever the certificate, bounded by `timeout` as a
/// whole (connect and handshake: a server that accepts and never answers
/// is `Failure::TimedOut`).
pub async fn inspect(
    host: &str,
    port: u16,
    server_name: &str,
    cacert: Option<&Path>,
    timeout: Duration,
) -> Result<TlsReport, Failure> {
    let name = ServerName::try_from(server_name.to_string())
        .map_err(|e| Failure::Other(format!("{server_name} is not a name TLS can check ({e})")))?;
    let roots = roots(cacert).map_err(Failure::Other)?;
    let (system_roots, extra_roots) = (roots.system, roots.extra);

    let slot = Arc::new(Mutex::new(None));
    let verifier = Verifier::new(
        Trust::Ready(webpki(roots.store, provider()), roots.anchors),
        Mode::Record(slot.clone()),
    );
    let config = with_verifier(verifier, INSPECT_ALPN).map_err(Failure::Other)?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let start = Instant::now();
    let handshake = async {
        let tcp = TcpStream::connect((host, port))
            .await
            .map_err(|e| classify(&e))?;
        let peer = tcp.peer_addr().map_err(|e| classify(&e))?;
        let (tcp, kept) = first_bytes::FirstBytes::new(tcp);
        let tls = connector.connect(name, tcp).await.map_err(|e| {
            match (classify(&e), first_bytes::not_tls(&kept)) {
                (Failure::Tls(_), Some(bytes)) => Failure::NotTls(bytes),
                (other, _) => other,
            }
        })?;
        Ok::<_, Failure>((peer, tls))
    };
    let (peer, tls) = tokio::time::timeout(timeout, handshake)
        .await
        .unwrap_or(Err(Failure::TimedOut(timeout)))?;
    let elapsed = start.elapsed();
    let (_, conn) = tls.get_ref();
    let verification = slot
        .lock()
        .ok()
        .and_then(|mut s| s.take())
        .ok_or_else(|| Failure::Other("the handshake ended without a certificate".into()))?;
    Ok(TlsReport {
        peer,
        version: conn
            .protocol_version()
            .map(version_text)
            .unwrap_or_else(|| "unknown version".into()),
        cipher: conn
            .negotiated_cipher_suite()
            .map(|c| format!("{:?}", c.suite()))
            .unwrap_or_default(),
        alpn: conn
            .alpn_protocol()
            .map(|p| String::from_utf8_lossy(p).into_owned()),
        chain: conn
            .peer_certificates()
            .unwrap_or_default()
            .iter()
            .map(|c| CertInfo::parse(c))
            .collect(),
        verification,
        system_roots,
        extra_roots,
        elapsed,
    })
}

fn version_text(v: rustls::ProtocolVersion) -> String {
    match v {
        rustls::ProtocolVersion::TLSv1_3 => "TLS 1.3".into(),
        rustls::ProtocolVersion::TLSv1_2 => "TLS 1.2".into(),
        other => format!("{other:?}"),
    }
}
