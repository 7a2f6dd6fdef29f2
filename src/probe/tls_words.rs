//! rustls' errors said in words. rustls' own Display embeds Debug names
//! ("invalid peer certificate: UnknownIssuer", "Other(OtherError(
//! CaUsedAsEndEntity))"); a person reads what they mean instead. Verdicts
//! match the typed error, never this text.

use rustls::{AlertDescription as A, CertificateError as C, Error as E};

/// webpki's reason behind rustls' opaque `CertificateError::Other`.
pub fn webpki_reason(e: &C) -> Option<&webpki::Error> {
    match e {
        C::Other(other) => other.0.downcast_ref::<webpki::Error>(),
        _ => None,
    }
}

/// The server sent a CA certificate as its own (`openssl req -x509`).
pub fn is_ca_used_as_leaf(e: &E) -> bool {
    matches!(e, E::InvalidCertificate(c)
        if matches!(webpki_reason(c), Some(webpki::Error::CaUsedAsEndEntity)))
}

pub fn words(e: &E) -> String {
    match e {
        E::InvalidCertificate(c) => format!("the server's certificate {}", certificate(c)),
        E::AlertReceived(a) => format!("the server ended the handshake: {}", alert(*a)),
        E::InvalidMessage(_) | E::InappropriateMessage { .. } => {
            "the server's answer is not a valid TLS message".into()
        }
        E::InappropriateHandshakeMessage { .. } | E::PeerMisbehaved(_) => {
            "the server broke the TLS protocol".into()
        }
        E::NoCertificatesPresented => "the server sent no certificate".into(),
        E::PeerIncompatible(_) => {
            "the server and rtdoctor have no TLS version, cipher suite or key exchange in common"
                .into()
        }
        E::PeerSentOversizedRecord => "the server sent a TLS record over the size limit".into(),
        E::NoApplicationProtocol => {
            "the server accepts none of the application protocols offered (ALPN)".into()
        }
        E::DecryptError => "a TLS record did not decrypt (a corrupted connection)".into(),
        E::HandshakeNotComplete => "the TLS handshake did not complete".into(),
        E::UnsupportedNameType => "the host is not a name TLS can check".into(),
        E::FailedToGetCurrentTime => "the system clock could not be read".into(),
        // rustls' free-text errors are already words.
        E::General(text) => text.clone(),
        _ => "the TLS handshake failed".into(),
    }
}

fn certificate(c: &C) -> String {
    match c {
        C::UnknownIssuer => {
            "is not signed by an authority this client trusts (unknown issuer)".into()
        }
        C::Expired | C::ExpiredContext { .. } => "has expired".into(),
        C::NotValidYet | C::NotValidYetContext { .. } => "is not valid yet".into(),
        C::NotValidForName | C::NotValidForNameContext { .. } => {
            "is not valid for this host name".into()
        }
        C::BadSignature => "has a signature that does not verify".into(),
        C::BadEncoding => "cannot be parsed".into(),
        C::Revoked => "has been revoked".into(),
        C::InvalidPurpose | C::InvalidPurposeContext { .. } => {
            "is not meant for server authentication (extended key usage)".into()
        }
        C::UnsupportedSignatureAlgorithmContext { .. }
        | C::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
            "is signed with an algorithm this client does not support".into()
        }
        C::UnhandledCriticalExtension => {
            "has a critical extension this client does not understand".into()
        }
        other => match webpki_reason(other) {
            Some(webpki::Error::CaUsedAsEndEntity) => {
                "is a CA certificate, served as the server's own (a CA cannot be a server's \
certificate)"
                    .into()
            }
            Some(webpki::Error::EndEntityUsedAsCa) => {
                "chain uses a server certificate as an issuer".into()
            }
            Some(webpki::Error::PathLenConstraintViolated) => {
                "chain is longer than an issuer allows (path length)".into()
            }
            Some(webpki::Error::NameConstraintViolation) => {
                "names a host its issuer may not vouch for (name constraints)".into()
            }
            Some(webpki::Error::UnsupportedCertVersion) => "is not an X.509 v3 certificate".into(),
            _ => "was refused by certificate verification".into(),
        },
    }
}

fn alert(a: A) -> String {
    match a {
        A::HandshakeFailure => "no TLS settings in common (handshake failure)".into(),
        A::ProtocolVersion => "it supports none of the TLS versions offered (1.2, 1.3)".into(),
        A::InsufficientSecurity => "the cipher suites offered are too weak for it".into(),
        A::UnrecognisedName => "it does not serve the name sent (SNI)".into(),
        A::CertificateRequired | A::NoCertificate => "it wants a client certificate".into(),
        A::AccessDenied => "access denied".into(),
        A::InternalError => "an internal error on the server".into(),
        A::DecodeError | A::IllegalParameter | A::UnexpectedMessage => {
            "it could not parse what the client sent".into()
        }
        A::NoApplicationProtocol => "it accepts none of the application protocols offered".into(),
        A::CloseNotify | A::UserCanceled => "it closed the connection".into(),
        _ => format!("alert {}", u8::from(a)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn no_debug_name_reaches_the_words() {
        let ca_leaf = E::InvalidCertificate(C::Other(rustls::OtherError(Arc::new(
            webpki::Error::CaUsedAsEndEntity,
        ))));
        assert!(is_ca_used_as_leaf(&ca_leaf));
        assert!(!is_ca_used_as_leaf(&E::InvalidCertificate(
            C::UnknownIssuer
        )));
        let cases = [
            ca_leaf,
            E::InvalidCertificate(C::UnknownIssuer),
            E::InvalidCertificate(C::NotValidForName),
            E::AlertReceived(A::HandshakeFailure),
            E::AlertReceived(A::Unknown(200)),
            E::InvalidMessage(rustls::InvalidMessage::InvalidContentType),
        ];
        for e in &cases {
            let w = words(e);
            for debug in [
                "CaUsedAsEndEntity",
                "OtherError",
                "UnknownIssuer",
                "Unknown(",
                "InvalidContentType",
                "HandshakeFailure",
            ] {
                assert!(!w.contains(debug), "{w}");
            }
        }
        assert_eq!(
            words(&cases[0]),
            "the server's certificate is a CA certificate, served as the server's own (a CA \
cannot be a server's certificate)"
        );
        assert_eq!(
            words(&cases[4]),
            "the server ended the handshake: alert 200"
        );
    }
}
