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

use super::roots::trusting;

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
    /// Built from these roots.
    Ready(WebPki),
    /// The system roots plus these extra ones, built at first use.
    Lazy(Vec<CertificateDer<'static>>, OnceLock<WebPki>),
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
            Trust::Ready(webpki) => webpki,
            Trust::Lazy(extra, built) => {
                built.get_or_init(|| webpki(trusting(extra).store, self.provider.clone()))
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
        Verification { result, name }
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
