//! `tls.certificate`: for https:// and wss:// targets, the certificate the
//! server presents — chain, name, validity dates — and the protocol and ALPN
//! it negotiates, with each verification failure named and its fix. The
//! handshake completes whatever the certificate (`probe::tls::inspect`), so
//! even a failing certificate is shown in full.

mod verdict;

use async_trait::async_trait;
use std::sync::LazyLock;

use super::{Check, Ctx};
use crate::probe::Failure;
use crate::probe::tls::{self, INSPECT_ALPN, TlsReport};
use crate::probe::tls_words;
use crate::report::{CheckResult, Fix, Outcome};
use verdict::{WARN_DAYS, verdict};

pub struct Certificate;

/// The evidence label that says --insecure lets the other checks go on.
const INSECURE: &str = "--insecure";

#[async_trait]
impl Check for Certificate {
    fn id(&self) -> &str {
        "tls.certificate"
    }

    fn title(&self) -> &str {
        "TLS certificate"
    }

    fn needs(&self) -> &[&str] {
        &["port.listen"]
    }

    fn explain(&self) -> &str {
        static TEXT: LazyLock<String> = LazyLock::new(|| {
            format!(
                "For https:// and wss:// targets: a TLS handshake (SNI = the target's host, ALPN h2 and \
http/1.1 offered, as a browser does) that completes whatever the certificate, then webpki's \
verification against this machine's trusted roots plus --cacert: the chain as the server sent \
it, subject, issuer, names (SANs), validity dates, days left, TLS version and ALPN. Other \
targets are skipped.\n\n\
Causes it tells apart:\n\
- expired. Fix: renew it (certbot renew, then reload the server) and check the renewal timer.\n\
- not yet valid: this machine's clock is behind, or the certificate was issued for later. \
Fix: set the clock (NTP).\n\
- self-signed: nothing trusted vouches for it. Fix: in development use a local CA (mkcert) \
and trust it: --cacert ca.pem for rtdoctor, NODE_EXTRA_CA_CERTS for Node clients, \
REQUESTS_CA_BUNDLE / SSL_CERT_FILE for Python clients.\n\
- unknown issuer: issued by a CA this machine does not trust, or the server sends the leaf \
without its intermediate. Fix: serve the full chain (fullchain.pem) or trust the CA.\n\
- wrong host: the certificate is not valid for the name connected to; the names it is valid \
for are listed. Fix: connect with one of them, or reissue it with this name.\n\
- a CA certificate served as the server's own (openssl req -x509 without \
basicConstraints=critical,CA:FALSE): self-signed, it is first of all trusted by nothing here. \
Trusted as itself (--cacert cert.pem) it verifies, as curl, Python and Node accept it, with a \
warning: Firefox and rustls-based clients refuse a CA certificate as a server's own. Fix: add \
-addext basicConstraints=critical,CA:FALSE, or serve a leaf signed by a CA (mkcert does both).\n\
- expires in under {WARN_DAYS} days: a warning. Fix: renew it now, and find out why the automatic renewal has not.\n\
- no handshake: a timeout, a plain-HTTP server on this port (Fix: use http:// and ws://), or \
a TLS alert.\n\n\
With --insecure this check still reports the problem; the other checks go on past it."
            )
        });
        &TEXT
    }

    async fn run(&self, ctx: &Ctx) -> Outcome {
        if !ctx.target.scheme.is_tls() {
            return Outcome::skip(format!("not a TLS target ({}://)", ctx.target.url.scheme()));
        }
        let (host, port) = (&ctx.target.host, ctx.target.port);
        match ctx.tls().await {
            Ok(report) => {
                let mut out = verdict(report, host, tls::now());
                add_evidence(&mut out, report, ctx);
                if ctx.probe.insecure && out.status == crate::report::Status::Fail {
                    out.push_evidence(INSECURE, "the other checks go on past this certificate");
                }
                out
            }
            Err(f) => no_handshake(f, host, port),
        }
    }

    /// A certificate clients refuse is the root cause of every other
    /// check's failure over TLS, unless --insecure lets them past it (a
    /// handshake that did not complete stops them all the same).
    fn stops_dependents(&self, _ctx: &Ctx, failed: &CheckResult) -> bool {
        !failed.evidence.iter().any(|e| e.label == INSECURE)
    }
}

fn no_handshake(f: &Failure, host: &str, port: u16) -> Outcome {
    let probe = format!("openssl s_client -connect {host}:{port} -servername {host}");
    match f {
        Failure::TimedOut(d) => Outcome::fail(format!(
            "no TLS handshake within {} ms: something accepted the connection on port {port} \
but did not complete the handshake",
            d.as_millis()
        ))
        .fix(
            Fix::new(
                "Check that this port serves TLS",
                "A server stuck before the handshake, or one that speaks another protocol and \
waits for the client to start, looks like this. If it serves plain HTTP, use http:// or ws://.",
            )
            .command(probe),
        ),
        Failure::NotTls(bytes) if crate::probe::is_http(bytes) => Outcome::fail(format!(
            "the server on port {port} answered the TLS handshake in plain text: it serves \
plain HTTP, not TLS ({})",
            crate::protocol::preview(bytes, 40)
        ))
        .fix(Fix::new(
            "Use http:// and ws://, or enable TLS on the server",
            "The client must use the scheme the server speaks. To serve TLS, configure it on the \
server or the proxy in front (nginx: listen 443 ssl; ssl_certificate …; ssl_certificate_key …).",
        )),
        Failure::NotTls(_) => Outcome::fail(format!(
            "the port {port} answered the TLS handshake with {f}: something else listens there"
        ))
        .fix(
            Fix::new(
                "Find out what listens on this port",
                "Another program (a database, a broker, a custom protocol) holds it, or the URL \
names the wrong port.",
            )
            .command(format!("rtdoctor ports {port}")),
        ),
        Failure::Tls(e) => Outcome::fail(format!("the TLS handshake failed: {e}")).fix(
            Fix::new(
                "Compare the server's TLS settings with what clients support",
                "An alert from the server names the reason (protocol version, no shared cipher, \
a client certificate required).",
            )
            .command(probe),
        ),
        other => Outcome::fail(format!("TLS connection to {host}:{port} got {other}")),
    }
}

fn add_evidence(out: &mut Outcome, r: &TlsReport, ctx: &Ctx) {
    out.push_evidence("connected to", r.peer.to_string());
    out.push_evidence(
        "handshake",
        format!(
            "{}, {} in {} ms",
            r.version,
            r.cipher,
            r.elapsed.as_millis()
        ),
    );
    let offered = INSPECT_ALPN
        .iter()
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect::<Vec<_>>()
        .join(", ");
    out.push_evidence(
        "ALPN",
        format!(
            "{} (offered {offered})",
            r.alpn.as_deref().unwrap_or("none chosen")
        ),
    );
    for (i, c) in r.chain.iter().enumerate() {
        let text = match c {
            Ok(c) => c.describe(),
            Err(e) => e.clone(),
        };
        out.push_evidence(format!("certificate {i}"), text);
    }
    out.push_evidence(
        "verification",
        match &r.verification.result {
            Ok(()) => format!("ok for {}", ctx.target.host),
            Err(e) => tls_words::words(e),
        },
    );
    let extra = match &ctx.probe.cacert {
        Some(p) => format!(", {} from {}", r.extra_roots, p.display()),
        None => String::new(),
    };
    out.push_evidence("trusted roots", format!("{} system{extra}", r.system_roots));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_plain_http_port_and_a_stall_are_told_apart() {
        let said = |f: Failure| no_handshake(&f, "localhost", 8080).summary;
        let plain = said(Failure::NotTls(b"HTTP/1.1 400 Bad Request\r\n".to_vec()));
        assert!(plain.contains("plain HTTP"), "{plain}");
        let noise = said(Failure::NotTls(vec![0x9c, 0x01, 0xff]));
        assert!(
            noise.contains("neither TLS nor HTTP") && !noise.contains("plain"),
            "{noise}"
        );
        let stall = said(Failure::TimedOut(Duration::from_secs(1)));
        assert!(
            stall.starts_with("no TLS handshake within 1000 ms"),
            "{stall}"
        );
    }
}
