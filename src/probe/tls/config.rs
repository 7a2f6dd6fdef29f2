//! The rustls client configurations: the probes' (trust enforced, or
//! anything accepted with `--insecure`) and the one every configuration is
//! built by, around a verifier and an ALPN offer.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use rustls::ClientConfig;

use super::PROBE_ALPN;
use super::roots::anchors;
use super::verifier::{Mode, Trust, Verifier};

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
    with_verifier(
        Verifier::new(Trust::Lazy(extra, OnceLock::new()), mode),
        PROBE_ALPN,
    )
}

/// A configuration checking certificates with `verifier` and offering
/// `alpn`: every one rtdoctor uses is built here.
pub(super) fn with_verifier(verifier: Verifier, alpn: &[&[u8]]) -> Result<ClientConfig, String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probe_config_offers_http_1_1_only() {
        let c = client_config(None, true).unwrap();
        assert_eq!(c.alpn_protocols, vec![b"http/1.1".to_vec()]);
    }
}
