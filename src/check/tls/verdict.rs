//! `tls.certificate`'s verdict: what is wrong with the certificate an
//! inspection handshake saw, in words, with each problem's fix. Pure:
//! unit-tested on recorded reports.

use rustls::CertificateError;

use crate::probe::tls::{self, CertInfo, TlsReport};
use crate::probe::tls_words;
use crate::report::{Fix, Outcome};

/// Below this many days left, an expiry is a warning: enough time for a
/// renewal that failed silently to be noticed and fixed. `explain` quotes it.
pub(super) const WARN_DAYS: i64 = 14;

/// What is wrong with a certificate that did not verify.
#[derive(Debug, PartialEq, Eq)]
enum Problem {
    Expired(Option<CertInfo>),
    NotYetValid(Option<CertInfo>),
    SelfSigned(String),
    UnknownIssuer {
        issuer: String,
        only_leaf: bool,
    },
    WrongHost(Vec<String>),
    /// A CA certificate (basicConstraints CA:TRUE) served as the server's
    /// own: what `openssl req -x509` makes unless told otherwise.
    CaAsLeaf,
    Other(String),
}

fn problems(r: &TlsReport, now: i64) -> Vec<Problem> {
    let leaf = r.leaf();
    let mut found = Vec::new();
    let mut name_done = false;
    if let Err(e) = &r.verification.result {
        match e {
            rustls::Error::InvalidCertificate(
                CertificateError::Expired | CertificateError::ExpiredContext { .. },
            ) => {
                // webpki checks every certificate of the chain; name the one
                // that expired.
                let which = chain(r).find(|c| c.not_after < now).or(leaf).cloned();
                found.push(Problem::Expired(which));
            }
            rustls::Error::InvalidCertificate(
                CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. },
            ) => {
                let which = chain(r).find(|c| c.not_before > now).or(leaf).cloned();
                found.push(Problem::NotYetValid(which));
            }
            rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => match leaf {
                Some(l) if l.self_signed => found.push(Problem::SelfSigned(l.subject.clone())),
                _ => found.push(Problem::UnknownIssuer {
                    issuer: leaf.map_or_else(|| "an unknown issuer".into(), |l| l.issuer.clone()),
                    only_leaf: r.chain.len() == 1,
                }),
            },
            rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            ) => {
                found.push(Problem::WrongHost(
                    leaf.map(|l| l.sans.clone()).unwrap_or_default(),
                ));
                name_done = true;
            }
            // webpki's reason travels inside an opaque OtherError,
            // downcast to its type.
            // A self-signed one (openssl req -x509) is first of all
            // trusted by nothing here.
            other if tls_words::is_ca_used_as_leaf(other) => match leaf {
                Some(l) if l.self_signed => found.push(Problem::SelfSigned(l.subject.clone())),
                _ => found.push(Problem::CaAsLeaf),
            },
            other => found.push(Problem::Other(tls_words::words(other))),
        }
    }
    // webpki stops at its first error; a wrong name behind, say, an unknown
    // issuer would only show up after that is fixed.
    let wrong_name = matches!(
        r.verification.name,
        Err(rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }
        ))
    );
    if !name_done && wrong_name {
        found.push(Problem::WrongHost(
            leaf.map(|l| l.sans.clone()).unwrap_or_default(),
        ));
    }
    found
}

fn chain(r: &TlsReport) -> impl Iterator<Item = &CertInfo> {
    r.chain.iter().filter_map(|c| c.as_ref().ok())
}

pub(super) fn verdict(r: &TlsReport, host: &str, now: i64) -> Outcome {
    let found = problems(r, now);
    let session = format!(
        "{}, ALPN {}",
        r.version,
        r.alpn.as_deref().unwrap_or("none")
    );
    if !found.is_empty() {
        let summary = found
            .iter()
            .map(|p| describe(p, host, now))
            .collect::<Vec<_>>()
            .join("; ");
        let mut out = Outcome::fail(summary);
        for p in &found {
            out = out.fix(fix(p, host, r.peer.port()));
        }
        return out;
    }
    let Some(leaf) = r.leaf() else {
        return Outcome::fail("the server's certificate verified but does not parse")
            .fix(other_fix(host, r.peer.port()));
    };
    let days = leaf.days_left(now);
    let trusted = if leaf.self_signed {
        " (self-signed, trusted through --cacert)".to_string()
    } else {
        format!(", issued by {}", leaf.issuer)
    };
    let out = if leaf.not_after - now < WARN_DAYS * 86_400 {
        Outcome::warn(format!(
            "expires on {} ({}){trusted}; {session}",
            tls::date(leaf.not_after),
            in_days(days)
        ))
        .fix(
            Fix::new(
                format!("Renew the certificate before {}", tls::date(leaf.not_after)),
                "Let's Encrypt certificates renew from 30 days before expiry: if this one has \
not, the renewal is failing. Run it by hand and read its error, reload the server afterwards, \
and check that the renewal timer runs (systemctl list-timers | grep certbot). A development \
certificate: make a new one (mkcert localhost 127.0.0.1).",
            )
            .command("certbot renew"),
        )
    } else {
        Outcome::pass(format!(
            "valid until {} ({days} days left){trusted}; {session}",
            tls::date(leaf.not_after)
        ))
    };
    if r.verification.ca_trusted_as_itself {
        return ca_trusted_as_itself(out, leaf, host);
    }
    out
}

/// A CA certificate (CA:TRUE) trusted as itself through --cacert: curl,
/// Python and Node accept it, as rtdoctor's probes do; Firefox and
/// rustls-based clients refuse a CA certificate as a server's own whatever
/// is trusted.
fn ca_trusted_as_itself(mut out: Outcome, leaf: &CertInfo, host: &str) -> Outcome {
    let cn_only = if leaf.sans.is_empty() {
        "; and it names its host only as its common name (no subject alternative names), which \
browsers and rustls ignore"
    } else {
        ""
    };
    out.status = crate::report::Status::Warn;
    out.summary = format!(
        "{}; but it is a CA certificate (basicConstraints CA:TRUE): curl, Python and Node \
accept it once trusted, Firefox and rustls-based clients refuse a CA certificate as a server's \
own{cn_only}",
        out.summary
    );
    out.fix(ca_as_leaf_fix(host))
}

fn ca_as_leaf_fix(host: &str) -> Fix {
    Fix::new(
        "Serve a leaf certificate, not a CA's",
        "openssl req -x509 makes a CA certificate unless told otherwise: add -addext \
basicConstraints=critical,CA:FALSE (and -addext subjectAltName=DNS:localhost,IP:127.0.0.1: \
browsers and rustls read the names there, not in CN), or make a CA and sign a leaf with it \
(mkcert does both).",
    )
    .command(mkcert(host))
}

fn in_days(days: i64) -> String {
    match days {
        ..=0 => "in under a day".into(),
        1 => "in 1 day".into(),
        n => format!("in {n} days"),
    }
}

fn names(sans: &[String]) -> String {
    if sans.is_empty() {
        "no names at all (no subject alternative names)".into()
    } else {
        sans.join(", ")
    }
}

fn describe(p: &Problem, host: &str, now: i64) -> String {
    match p {
        Problem::Expired(Some(c)) => {
            let ago = (now - c.not_after).div_euclid(86_400);
            let who = if c.is_ca { format!(" ({})", c.subject) } else { String::new() };
            format!(
                "the certificate{who} expired on {} ({ago} days ago)",
                tls::date(c.not_after)
            )
        }
        Problem::Expired(None) => "a certificate of the chain has expired".into(),
        Problem::NotYetValid(Some(c)) => format!(
            "the certificate is not valid until {} (this machine's date is {})",
            tls::date(c.not_before),
            tls::date(now)
        ),
        Problem::NotYetValid(None) => "a certificate of the chain is not valid yet".into(),
        Problem::SelfSigned(subject) => format!(
            "the certificate is self-signed ({subject}): nothing this machine trusts vouches for it"
        ),
        Problem::UnknownIssuer { issuer, only_leaf } => {
            let sent = if *only_leaf {
                "; the server sent no intermediate certificate"
            } else {
                ""
            };
            format!(
                "unknown issuer: the certificate is issued by {issuer}, a CA neither the system \
roots nor --cacert hold{sent}"
            )
        }
        Problem::WrongHost(sans) => format!(
            "wrong host: the certificate is not valid for {host}; it is valid for {}",
            names(sans)
        ),
        Problem::CaAsLeaf => "the server's certificate is a CA certificate (basicConstraints CA:TRUE), which TLS clients refuse as a server's own"
            .into(),
        Problem::Other(e) => format!("the certificate does not verify: {e}"),
    }
}

const TRUST_CA: &str = "Trust the CA where the clients run: rtdoctor --cacert ca.pem; Node \
clients NODE_EXTRA_CA_CERTS=ca.pem; Python clients (requests, python-socketio) \
REQUESTS_CA_BUNDLE=ca.pem or SSL_CERT_FILE=ca.pem; browsers: the OS or browser certificate store.";

fn fix(p: &Problem, host: &str, port: u16) -> Fix {
    match p {
        Problem::Expired(_) => Fix::new(
            "Renew the certificate",
            "Let's Encrypt: certbot renew, then reload the server (systemctl reload nginx), and \
check that the renewal timer runs (systemctl list-timers | grep certbot). A development \
certificate: make a new one (mkcert localhost 127.0.0.1). If this machine's clock is wrong, fix \
the clock instead (timedatectl).",
        )
        .command("certbot renew"),
        Problem::NotYetValid(_) => Fix::new(
            "Check this machine's clock",
            "A certificate issued moments ago by a machine whose clock is ahead, or a machine \
whose clock is behind, both look like this. Set the clock (NTP), or wait until the date.",
        )
        .command("timedatectl status"),
        Problem::SelfSigned(_) => Fix::new(
            "Use a certificate from a CA the clients trust",
            format!(
                "In development, make a local CA with mkcert (mkcert -install; mkcert localhost \
127.0.0.1) and serve that certificate. {TRUST_CA} A self-signed certificate can itself be \
trusted the same way (--cacert cert.pem). In production, get one from a public CA (Let's \
Encrypt: certbot). To run the other checks meanwhile: --insecure."
            ),
        )
        .command(mkcert(host)),
        Problem::UnknownIssuer { only_leaf, .. } => Fix::new(
            if *only_leaf {
                "Serve the full chain, or trust the CA"
            } else {
                "Trust the CA, or serve a chain to a public root"
            },
            format!(
                "If the issuer is a public CA's intermediate, the server sends the leaf without \
it: configure the full chain (nginx: ssl_certificate fullchain.pem, not cert.pem). If it is a \
private CA: {TRUST_CA} To run the other checks meanwhile: --insecure."
            ),
        ),
        Problem::WrongHost(sans) => Fix::new(
            "Connect with a name the certificate is valid for, or reissue it",
            format!(
                "It is valid for: {}. Use one of those names in the URL, or issue a certificate \
that includes {host} (mkcert {host}; certbot certonly -d {host}). An IP address needs an IP \
address entry, a DNS name does not cover it.",
                names(sans)
            ),
        ),
        Problem::CaAsLeaf => ca_as_leaf_fix(host),
        Problem::Other(_) => other_fix(host, port),
    }
}

/// `mkcert localhost 127.0.0.1`, plus the target's host if it is another.
fn mkcert(host: &str) -> String {
    let mut names = vec!["localhost", "127.0.0.1"];
    if !names.contains(&host) {
        names.push(host);
    }
    format!("mkcert {}", names.join(" "))
}

fn other_fix(host: &str, port: u16) -> Fix {
    Fix::new(
        "Fix the certificate the server sends",
        "Look at the chain the server sends. The error names what webpki refused (a bad \
signature, a purpose other than server authentication, an unsupported algorithm).",
    )
    .command(format!(
        "openssl s_client -connect {host}:{port} -servername {host} -showcerts"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::tls::Verification;
    use std::time::Duration;

    const DAY: i64 = 86_400;
    const NOW: i64 = 1_767_571_200; // 2026-01-05

    fn cert(self_signed: bool, not_before: i64, not_after: i64) -> CertInfo {
        CertInfo {
            subject: "CN=leaf".into(),
            issuer: if self_signed { "CN=leaf" } else { "CN=Dev CA" }.into(),
            sans: vec!["localhost".into(), "127.0.0.1".into()],
            not_before,
            not_after,
            self_signed,
            is_ca: false,
        }
    }

    fn report(leaf: CertInfo, result: Result<(), rustls::Error>, name_ok: bool) -> TlsReport {
        TlsReport {
            peer: "127.0.0.1:443".parse().unwrap(),
            version: "TLS 1.3".into(),
            cipher: "TLS13_AES_256_GCM_SHA384".into(),
            alpn: Some("http/1.1".into()),
            chain: vec![Ok(leaf)],
            verification: Verification {
                result,
                name: if name_ok {
                    Ok(())
                } else {
                    Err(invalid(CertificateError::NotValidForName))
                },
                ca_trusted_as_itself: false,
            },
            system_roots: 140,
            extra_roots: 0,
            elapsed: Duration::from_millis(3),
        }
    }

    fn invalid(e: CertificateError) -> rustls::Error {
        rustls::Error::InvalidCertificate(e)
    }

    /// The verdict on `leaf` refused with `e`, for `host`.
    fn refused(leaf: CertInfo, e: CertificateError, name_ok: bool, host: &str) -> Outcome {
        verdict(&report(leaf, Err(invalid(e)), name_ok), host, NOW)
    }

    #[test]
    fn a_valid_certificate_passes_with_its_expiry_version_and_alpn() {
        let r = report(cert(false, NOW - DAY, NOW + 90 * DAY), Ok(()), true);
        let out = verdict(&r, "localhost", NOW);
        assert_eq!(out.status, crate::report::Status::Pass);
        assert_eq!(
            out.summary,
            "valid until 2026-04-05 (90 days left), issued by CN=Dev CA; TLS 1.3, ALPN http/1.1"
        );
    }

    #[test]
    fn under_two_weeks_left_warns() {
        let r = report(cert(false, NOW - DAY, NOW + 5 * DAY), Ok(()), true);
        let out = verdict(&r, "localhost", NOW);
        assert_eq!(out.status, crate::report::Status::Warn);
        assert!(
            out.summary.starts_with("expires on 2026-01-10 (in 5 days)"),
            "{}",
            out.summary
        );
        assert_eq!(out.fixes[0].command.as_deref(), Some("certbot renew"));
    }

    #[test]
    fn self_signed_is_named_and_a_wrong_name_behind_it_too() {
        let out = refused(
            cert(true, NOW - DAY, NOW + 90 * DAY),
            CertificateError::UnknownIssuer,
            false,
            "example.test",
        );
        assert_eq!(out.status, crate::report::Status::Fail);
        assert!(
            out.summary.contains("self-signed (CN=leaf)"),
            "{}",
            out.summary
        );
        assert!(
            out.summary
                .contains("not valid for example.test; it is valid for localhost, 127.0.0.1"),
            "{}",
            out.summary
        );
        assert!(out.fixes[0].detail.contains("NODE_EXTRA_CA_CERTS"));
        assert_eq!(out.fixes.len(), 2);
    }

    #[test]
    fn expired_names_the_date() {
        let out = refused(
            cert(false, NOW - 100 * DAY, NOW - 3 * DAY),
            CertificateError::Expired,
            true,
            "localhost",
        );
        assert_eq!(
            out.summary,
            "the certificate expired on 2026-01-02 (3 days ago)"
        );
    }

    #[test]
    fn unknown_issuer_says_whether_an_intermediate_was_sent() {
        let out = refused(
            cert(false, NOW - DAY, NOW + 90 * DAY),
            CertificateError::UnknownIssuer,
            true,
            "localhost",
        );
        assert!(
            out.summary
                .starts_with("unknown issuer: the certificate is issued by CN=Dev CA")
        );
        assert!(out.summary.contains("no intermediate"));
        assert!(out.fixes[0].detail.contains("fullchain.pem"));
    }

    /// webpki's CaUsedAsEndEntity inside rustls' opaque OtherError is
    /// found by type (tls_words has the other opaque reasons); a
    /// self-signed one (openssl req -x509) is said as self-signed, with
    /// the ways to trust it.
    #[test]
    fn a_ca_as_leaf_is_found_by_type_and_a_self_signed_one_is_self_signed() {
        let ca_as_leaf = || {
            let opaque = rustls::OtherError(std::sync::Arc::new(webpki::Error::CaUsedAsEndEntity));
            Err(invalid(CertificateError::Other(opaque)))
        };
        let r = report(cert(false, NOW - DAY, NOW + 90 * DAY), ca_as_leaf(), true);
        let said = verdict(&r, "localhost", NOW).summary;
        assert!(said.contains("is a CA certificate"), "{said}");

        let r = report(cert(true, NOW - DAY, NOW + 90 * DAY), ca_as_leaf(), true);
        let out = verdict(&r, "localhost", NOW);
        assert_eq!(out.status, crate::report::Status::Fail);
        assert_eq!(
            out.summary,
            "the certificate is self-signed (CN=leaf): nothing this machine trusts vouches for it"
        );
        for hint in [
            "--cacert",
            "NODE_EXTRA_CA_CERTS",
            "REQUESTS_CA_BUNDLE",
            "SSL_CERT_FILE",
        ] {
            assert!(out.fixes[0].detail.contains(hint), "{hint}");
        }
    }

    /// The openssl req -x509 certificate trusted as itself (--cacert): it
    /// verifies, with a warning that Firefox and rustls refuse it.
    #[test]
    fn a_ca_certificate_trusted_as_itself_warns_about_firefox_and_rustls() {
        let mut r = report(cert(true, NOW - DAY, NOW + 90 * DAY), Ok(()), true);
        r.verification.ca_trusted_as_itself = true;
        let out = verdict(&r, "localhost", NOW);
        assert_eq!(out.status, crate::report::Status::Warn);
        assert!(
            out.summary.starts_with(
                "valid until 2026-04-05 (90 days left) (self-signed, trusted through --cacert)"
            ),
            "{}",
            out.summary
        );
        assert!(
            out.summary
                .contains("Firefox and rustls-based clients refuse a CA certificate"),
            "{}",
            out.summary
        );
        assert!(
            out.fixes[0]
                .detail
                .contains("-addext basicConstraints=critical,CA:FALSE")
        );
    }
}
