//! TLS as clients meet it: the trusted roots (the system's plus
//! `--cacert`), the rustls configurations the HTTP and WebSocket probes use
//! (enforcing, or lenient with `--insecure`), and an inspection handshake
//! that records what certificate verification said instead of stopping at
//! it, so the chain, protocol version and ALPN are always there to report.
//! Only ring is used as the crypto provider (one provider per build).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{WebPkiServerVerifier, verify_server_name};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::net::TcpStream;
use x509_parser::extensions::GeneralName;

use super::{Failure, classify};

/// ALPN offered by the inspection handshake: what a browser offers, so the
/// report shows what a browser would get.
pub const INSPECT_ALPN: &[&[u8]] = &[b"h2", b"http/1.1"];

/// ALPN offered by the HTTP and WebSocket probes: both speak HTTP/1.1 (a
/// WebSocket upgrade is an HTTP/1.1 request), so a server that would pick
/// h2 must not be offered it.
pub const PROBE_ALPN: &[&[u8]] = &[b"http/1.1"];

/// The most a `--cacert` file may hold: a whole system bundle
/// (ca-certificates.crt) is about 200 KiB.
const CACERT_CAP: u64 = 4 * 1024 * 1024;

/// The certificates of a `--cacert` file. A file without a single PEM
/// certificate (DER, a key, garbage) is an error naming the file: a
/// silently empty trust list would make every verdict a wrong one.
pub fn load_cacert(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let bytes = crate::input_file::read_all(path, CACERT_CAP)
        .map_err(|e| {
            format!(
                "cannot read the CA certificate file {}: {e}",
                path.display()
            )
        })?
        .bytes;
    parse_pem_certs(&bytes).map_err(|e| format!("the CA certificate file {}: {e}", path.display()))
}

/// The PEM certificates in `bytes`, in order.
pub fn parse_pem_certs(bytes: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let mut certs = Vec::new();
    for item in CertificateDer::pem_slice_iter(bytes) {
        match item {
            Ok(cert) => certs.push(cert),
            Err(e) => return Err(format!("not a valid PEM certificate file ({e})")),
        }
    }
    if certs.is_empty() {
        return Err(
            "no certificate in it: rtdoctor wants PEM (-----BEGIN CERTIFICATE-----); \
convert DER with: openssl x509 -inform der -in FILE -out ca.pem"
                .into(),
        );
    }
    Ok(certs)
}

/// The system's trusted roots (rustls-native-certs: the OS store, or
/// `SSL_CERT_FILE`/`SSL_CERT_DIR`), read once per process. Unreadable
/// entries are skipped, as OpenSSL does.
fn system_roots() -> &'static [CertificateDer<'static>] {
    static ROOTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| rustls_native_certs::load_native_certs().certs)
}

/// Which roots a verification trusts, and how many came from where (the
/// evidence of an unknown-issuer verdict).
pub struct Roots {
    pub store: RootCertStore,
    pub system: usize,
    pub extra: usize,
}

pub fn roots(cacert: Option<&Path>) -> Result<Roots, String> {
    let extra = match cacert {
        Some(path) => anchors(path)?,
        None => Vec::new(),
    };
    Ok(trusting(&extra))
}

/// The certificates of a `--cacert` file, each one checked to be usable as
/// a trust anchor (so a bad file is a usage error before any probe runs).
fn anchors(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = load_cacert(path)?;
    let mut scratch = RootCertStore::empty();
    for cert in &certs {
        scratch.add(cert.clone()).map_err(|e| {
            format!(
                "{}: a certificate in it cannot be a trust anchor: {e}",
                path.display()
            )
        })?;
    }
    Ok(certs)
}

/// The system roots plus `extra` (already checked by `anchors`).
fn trusting(extra: &[CertificateDer<'static>]) -> Roots {
    let mut store = RootCertStore::empty();
    let (system, _) = store.add_parsable_certificates(system_roots().iter().cloned());
    let (added, _) = store.add_parsable_certificates(extra.iter().cloned());
    Roots {
        store,
        system,
        extra: added,
    }
}

fn webpki(store: RootCertStore, provider: Arc<CryptoProvider>) -> WebPki {
    WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider)
        .build()
        .ok()
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The configuration the HTTP and WebSocket probes use: the system roots
/// plus `cacert`; with `insecure`, any certificate is accepted (the
/// handshake's signatures are still checked, so it is still TLS).
/// The system store is read at the first certificate to verify, not
/// here: a run against plain http:// and ws:// targets never reads it.
pub fn client_config(cacert: Option<&Path>, insecure: bool) -> Result<ClientConfig, String> {
    let extra = match cacert {
        Some(path) => anchors(path)?,
        None => Vec::new(),
    };
    let mode = if insecure {
        Mode::Accept
    } else {
        Mode::Enforce
    };
    config(
        Verifier::new(Trust::Lazy(extra, OnceLock::new()), mode),
        PROBE_ALPN,
    )
}

fn config(verifier: Verifier, alpn: &[&[u8]]) -> Result<ClientConfig, String> {
    let provider = verifier.provider.clone();
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(config)
}

/// What the certificate verification said.
#[derive(Clone, Debug)]
pub struct Verification {
    /// The whole webpki verdict (validity, chain to a trusted root, then
    /// name), as an enforcing client gets it: its first error.
    pub result: Result<(), rustls::Error>,
    /// The name check alone, so a wrong name is reported even when the
    /// chain failed first.
    pub name: Result<(), rustls::Error>,
}

#[derive(Debug)]
enum Mode {
    /// Refuse what webpki refuses.
    Enforce,
    /// `--insecure`: accept anything.
    Accept,
    /// Inspection: accept anything, keep the verdict.
    Record(Arc<Mutex<Option<Verification>>>),
}

/// webpki's verification (chain, validity, name) with a choice of what to
/// do with its verdict.
#[derive(Debug)]
struct Verifier {
    trust: Trust,
    provider: Arc<CryptoProvider>,
    algorithms: WebPkiSupportedAlgorithms,
    mode: Mode,
}

/// webpki's verifier over the trusted roots. `None` when nothing at all is
/// trusted: webpki refuses to build a verifier without roots, and every
/// certificate is then of an unknown issuer.
type WebPki = Option<Arc<WebPkiServerVerifier>>;

#[derive(Debug)]
enum Trust {
    /// Built from these roots.
    Ready(WebPki),
    /// The system roots plus these extra ones, built at first use.
    Lazy(Vec<CertificateDer<'static>>, OnceLock<WebPki>),
}

impl Verifier {
    fn new(trust: Trust, mode: Mode) -> Verifier {
        let provider = provider();
        let algorithms = provider.signature_verification_algorithms;
        Verifier {
            trust,
            provider,
            algorithms,
            mode,
        }
    }

    fn webpki(&self) -> &WebPki {
        match &self.trust {
            Trust::Ready(webpki) => webpki,
            Trust::Lazy(extra, built) => {
                built.get_or_init(|| webpki(trusting(extra).store, self.provider.clone()))
            }
        }
    }

    fn verify(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Verification {
        let result = match self.webpki() {
            Some(v) => v
                .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
                .map(|_| ()),
            None => Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer,
            )),
        };
        let name = ParsedCertificate::try_from(end_entity)
            .and_then(|cert| verify_server_name(&cert, server_name));
        Verification { result, name }
    }
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match &self.mode {
            Mode::Accept => Ok(ServerCertVerified::assertion()),
            Mode::Enforce => self
                .verify(end_entity, intermediates, server_name, ocsp, now)
                .result
                .map(|()| ServerCertVerified::assertion()),
            Mode::Record(slot) => {
                let v = self.verify(end_entity, intermediates, server_name, ocsp, now);
                if let Ok(mut slot) = slot.lock() {
                    *slot = Some(v);
                }
                Ok(ServerCertVerified::assertion())
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// One certificate as the report shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertInfo {
    pub subject: String,
    pub issuer: String,
    /// DNS names and IP addresses it is valid for.
    pub sans: Vec<String>,
    /// Unix seconds.
    pub not_before: i64,
    pub not_after: i64,
    /// Issued by itself (issuer = subject): nothing vouches for it but the
    /// certificate itself.
    pub self_signed: bool,
    pub is_ca: bool,
}

impl CertInfo {
    pub fn parse(der: &[u8]) -> Result<CertInfo, String> {
        let (_, cert) = x509_parser::parse_x509_certificate(der)
            .map_err(|e| format!("the certificate does not parse: {e}"))?;
        let sans = match cert.subject_alternative_name() {
            Ok(Some(ext)) => ext.value.general_names.iter().filter_map(san).collect(),
            _ => Vec::new(),
        };
        let validity = cert.validity();
        Ok(CertInfo {
            subject: name_text(&cert.subject().to_string()),
            issuer: name_text(&cert.issuer().to_string()),
            sans,
            not_before: validity.not_before.timestamp(),
            not_after: validity.not_after.timestamp(),
            self_signed: cert.subject().as_raw() == cert.issuer().as_raw(),
            is_ca: cert.is_ca(),
        })
    }

    /// Whole days from `now` to expiry, rounded to the nearest day
    /// (negative once expired).
    pub fn days_left(&self, now: i64) -> i64 {
        (self.not_after - now + 43_200).div_euclid(86_400)
    }

    /// `CN=localhost (valid 2025-01-01 → 2026-01-01; names: localhost, 127.0.0.1)`
    pub fn describe(&self) -> String {
        let names = if self.sans.is_empty() {
            "no subject alternative names".to_string()
        } else {
            format!("names: {}", self.sans.join(", "))
        };
        format!(
            "{} (issuer {}; valid {} → {}; {names})",
            self.subject,
            self.issuer,
            date(self.not_before),
            date(self.not_after)
        )
    }
}

fn san(name: &GeneralName<'_>) -> Option<String> {
    match name {
        GeneralName::DNSName(d) => Some(d.to_string()),
        GeneralName::IPAddress(b) => match b.len() {
            4 => <[u8; 4]>::try_from(*b)
                .ok()
                .map(|a| std::net::Ipv4Addr::from(a).to_string()),
            16 => <[u8; 16]>::try_from(*b)
                .ok()
                .map(|a| std::net::Ipv6Addr::from(a).to_string()),
            _ => None,
        },
        _ => None,
    }
}

fn name_text(s: &str) -> String {
    if s.is_empty() {
        "(empty name)".into()
    } else {
        s.to_string()
    }
}

/// `2026-01-05` for a Unix time; never panics on odd dates a server sends.
pub fn date(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .map(|t| t.date().to_string())
        .unwrap_or_else(|_| format!("@{unix}"))
}

/// Seconds since the epoch, now.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

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
        Trust::Ready(webpki(roots.store, provider())),
        Mode::Record(slot.clone()),
    );
    let config = config(verifier, INSPECT_ALPN).map_err(Failure::Other)?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let start = Instant::now();
    let handshake = async {
        let tcp = TcpStream::connect((host, port))
            .await
            .map_err(|e| classify(&e))?;
        let peer = tcp.peer_addr().map_err(|e| classify(&e))?;
        let (tcp, kept) = super::first_bytes::FirstBytes::new(tcp);
        let tls = connector.connect(name, tcp).await.map_err(|e| {
            match (classify(&e), super::first_bytes::not_tls(&kept)) {
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

#[cfg(test)]
mod tests {
    use super::*;

    const NOT_PEM: &[u8] = b"this is not a certificate\n";

    #[test]
    fn a_cacert_file_without_certificates_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, NOT_PEM).unwrap();
        let err = load_cacert(&path).unwrap_err();
        assert!(
            err.starts_with(&format!("the CA certificate file {}: ", path.display())),
            "{err}"
        );
        assert!(err.contains("no certificate in it"), "{err}");
        assert!(client_config(Some(&path), false).is_err());
        assert!(roots(Some(&path)).is_err());
    }

    #[test]
    fn a_broken_pem_block_is_an_error() {
        let err = parse_pem_certs(
            b"-----BEGIN CERTIFICATE-----\n!!!not base64!!!\n-----END CERTIFICATE-----\n",
        )
        .unwrap_err();
        assert!(err.contains("not a valid PEM"), "{err}");
    }

    #[test]
    fn a_missing_cacert_file_names_it() {
        let err = load_cacert(Path::new("/nonexistent/ca.pem")).unwrap_err();
        assert!(
            err.starts_with("cannot read the CA certificate file /nonexistent/ca.pem"),
            "{err}"
        );
    }

    #[test]
    fn garbage_never_parses_as_a_certificate() {
        assert!(CertInfo::parse(b"").is_err());
        assert!(CertInfo::parse(&[0x30, 0x82, 0xff, 0xff, 0x00]).is_err());
    }

    #[test]
    fn days_left_rounds_to_the_nearest_day() {
        let c = CertInfo {
            subject: "CN=a".into(),
            issuer: "CN=a".into(),
            sans: vec![],
            not_before: 0,
            not_after: 10 * 86_400,
            self_signed: true,
            is_ca: false,
        };
        assert_eq!(c.days_left(5 * 86_400 + 60), 5);
        assert_eq!(c.days_left(0), 10);
        assert_eq!(c.days_left(12 * 86_400), -2);
    }

    #[test]
    fn dates_format_without_panicking() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(1_767_571_200), "2026-01-05");
        assert_eq!(date(-86_400), "1969-12-31");
        assert_eq!(date(i64::MAX), format!("@{}", i64::MAX));
    }

    #[test]
    fn the_probe_config_offers_http_1_1_only() {
        let c = client_config(None, true).unwrap();
        assert_eq!(c.alpn_protocols, vec![b"http/1.1".to_vec()]);
    }
}
