//! webpki's certificate verification (chain, validity, name) with a choice
//! of what to do with its verdict: enforce it, ignore it (`--insecure`), or
//! record it for the report and let the handshake go on (inspection).

use std::sync::{Arc, Mutex, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{WebPkiServerVerifier, verify_server_name};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::cert::CertInfo;
use super::roots::trusting;
use crate::probe::tls_words;

/// webpki's verifier over `store` (`None` when it holds no root).
pub(super) fn webpki(store: RootCertStore, provider: Arc<CryptoProvider>) -> WebPki {
    WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider)
        .build()
        .ok()
}

/// ring: the one crypto provider this build carries.
pub(super) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
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
    /// The server's certificate is a CA certificate (CA:TRUE) trusted as
    /// itself: byte for byte one of the `--cacert` certificates. OpenSSL
    /// (curl, Python, Node) accepts such a self-signed trust anchor as the
    /// server's own; webpki (rustls) and Firefox refuse it.
    pub ca_trusted_as_itself: bool,
}

#[derive(Debug)]
pub(super) enum Mode {
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
pub(super) struct Verifier {
    trust: Trust,
    pub(super) provider: Arc<CryptoProvider>,
    algorithms: WebPkiSupportedAlgorithms,
    mode: Mode,
}

/// webpki's verifier over the trusted roots. `None` when nothing at all is
/// trusted: webpki refuses to build a verifier without roots, and every
/// certificate is then of an unknown issuer.
pub(super) type WebPki = Option<Arc<WebPkiServerVerifier>>;

#[derive(Debug)]
pub(super) enum Trust {
    /// Built from these roots, of which these extra ones (`--cacert`).
    Ready(WebPki, Vec<CertificateDer<'static>>),
    /// The system roots plus these extra ones, built at first use.
    Lazy(Vec<CertificateDer<'static>>, OnceLock<WebPki>),
}

impl Trust {
    /// The `--cacert` certificates.
    fn extra(&self) -> &[CertificateDer<'static>] {
        match self {
            Trust::Ready(_, extra) | Trust::Lazy(extra, _) => extra,
        }
    }
}

impl Verifier {
    pub(super) fn new(trust: Trust, mode: Mode) -> Verifier {
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
            Trust::Ready(webpki, _) => webpki,
            Trust::Lazy(extra, built) => {
                built.get_or_init(|| webpki(trusting(extra.clone()).store, self.provider.clone()))
            }
        }
    }

    fn verify(&self, presented: &Presented<'_>) -> Verification {
        let Presented {
            end_entity,
            intermediates,
            server_name,
            ocsp,
            now,
        } = *presented;
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
        let ca_as_leaf = matches!(&result, Err(e) if tls_words::is_ca_used_as_leaf(e));
        if !ca_as_leaf {
            return Verification {
                result,
                name,
                ca_trusted_as_itself: false,
            };
        }
        // What `openssl req -x509 -subj /CN=host` makes: its name as
        // OpenSSL clients (which accept it once trusted) check it.
        let name = name.or_else(|e| common_name_fallback(end_entity, server_name, e));
        // Trusted as itself, as OpenSSL trusts a self-signed anchor: its
        // name and dates are still checked.
        let trusted = (self.trust.extra().iter()).any(|c| c.as_ref() == end_entity.as_ref());
        Verification {
            result: match trusted {
                true => name.clone().and_then(|()| in_date(end_entity, now)),
                false => result,
            },
            name,
            ca_trusted_as_itself: trusted,
        }
    }
}

/// The name check of OpenSSL clients (curl, Python, Node): a certificate
/// without subject alternative names is valid for its subject's common
/// name (`openssl req -x509 -subj /CN=localhost` makes one). webpki's
/// verdict `refused` stands otherwise.
fn common_name_fallback(
    cert: &CertificateDer<'_>,
    server_name: &ServerName<'_>,
    refused: rustls::Error,
) -> Result<(), rustls::Error> {
    let ServerName::DnsName(dns) = server_name else {
        return Err(refused);
    };
    let Ok((_, x509)) = x509_parser::parse_x509_certificate(cert) else {
        return Err(refused);
    };
    let has_sans = !matches!(x509.subject_alternative_name(), Ok(None));
    let cn = x509
        .subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok());
    match cn {
        Some(cn) if !has_sans && cn.eq_ignore_ascii_case(dns.as_ref()) => Ok(()),
        _ => Err(refused),
    }
}

/// The certificate's validity dates against `now`, as webpki words them.
fn in_date(cert: &CertificateDer<'_>, now: UnixTime) -> Result<(), rustls::Error> {
    let info = CertInfo::parse(cert)
        .map_err(|_| rustls::Error::InvalidCertificate(rustls::CertificateError::BadEncoding))?;
    let now = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
    if now > info.not_after {
        Err(rustls::Error::InvalidCertificate(
            rustls::CertificateError::Expired,
        ))
    } else if now < info.not_before {
        Err(rustls::Error::InvalidCertificate(
            rustls::CertificateError::NotValidYet,
        ))
    } else {
        Ok(())
    }
}

/// What the server presented for verification, as rustls hands it over.
#[derive(Clone, Copy)]
struct Presented<'a> {
    end_entity: &'a CertificateDer<'a>,
    intermediates: &'a [CertificateDer<'a>],
    server_name: &'a ServerName<'a>,
    ocsp: &'a [u8],
    now: UnixTime,
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
        let presented = Presented {
            end_entity,
            intermediates,
            server_name,
            ocsp,
            now,
        };
        match &self.mode {
            Mode::Accept => Ok(ServerCertVerified::assertion()),
            Mode::Enforce => self
                .verify(&presented)
                .result
                .map(|()| ServerCertVerified::assertion()),
            Mode::Record(slot) => {
                let v = self.verify(&presented);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(cn: &str, sans: &[&str]) -> CertificateDer<'static> {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params =
            rcgen::CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .unwrap();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, cn);
        params.self_signed(&key).unwrap().der().clone()
    }

    fn fallback(cert: &CertificateDer<'_>, name: &str) -> bool {
        let name = ServerName::try_from(name.to_string()).unwrap();
        let refused = rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName);
        common_name_fallback(cert, &name, refused).is_ok()
    }

    /// As OpenSSL clients check a name: the common name counts only
    /// without subject alternative names, and only for a DNS name.
    #[test]
    fn the_common_name_counts_only_without_alternative_names() {
        let cn_only = cert("localhost", &[]);
        assert!(fallback(&cn_only, "localhost"));
        assert!(fallback(&cn_only, "LOCALHOST"));
        assert!(!fallback(&cn_only, "example.test"));
        assert!(!fallback(&cert("127.0.0.1", &[]), "127.0.0.1"));
        assert!(!fallback(
            &cert("localhost", &["example.test"]),
            "localhost"
        ));
    }
}
