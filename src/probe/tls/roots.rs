//! What a verification trusts: the system's roots, read once per process,
//! plus the certificates of a `--cacert` file, each checked to be usable as
//! a trust anchor before any probe runs.

use std::path::Path;
use std::sync::OnceLock;

use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

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
    /// The `--cacert` certificates themselves.
    pub anchors: Vec<CertificateDer<'static>>,
}

pub fn roots(cacert: Option<&Path>) -> Result<Roots, String> {
    let extra = match cacert {
        Some(path) => anchors(path)?,
        None => Vec::new(),
    };
    Ok(trusting(extra))
}

/// The certificates of a `--cacert` file, each one checked to be usable as
/// a trust anchor (so a bad file is a usage error before any probe runs).
pub(super) fn anchors(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
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
pub(super) fn trusting(extra: Vec<CertificateDer<'static>>) -> Roots {
    let mut store = RootCertStore::empty();
    let (system, _) = store.add_parsable_certificates(system_roots().iter().cloned());
    let (added, _) = store.add_parsable_certificates(extra.iter().cloned());
    Roots {
        store,
        system,
        extra: added,
        anchors: extra,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::tls::client_config;

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
}
