//! `tls.certificate` and TLS under the other probes, against nginx
//! terminating TLS in front of socket.io 4, with certificates made at test
//! time (rcgen): a CA and a leaf it signed, a self-signed leaf, an expired
//! one, one not valid for two more days, one for the wrong name, one
//! expiring in 5 days. And an in-process listener that accepts and never
//! answers the handshake.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use serde_json::Value;
use time::OffsetDateTime;

use crate::peers::*;
use crate::support::*;

/// A throwaway PKI in a temp dir: `ca.pem` and leaves written next to it.
struct Pki {
    dir: tempfile::TempDir,
    ca: Issuer<'static, KeyPair>,
}

/// A certificate and its key, as files nginx reads.
struct Leaf {
    cert: PathBuf,
    key: PathBuf,
}

fn dn(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    dn
}

/// `n` days from one instant fixed for the whole test binary, so a
/// certificate's dates and the dates a test expects to see printed are
/// computed from the same moment (a run that crosses midnight UTC still
/// agrees with itself).
fn days(n: i64) -> OffsetDateTime {
    static NOW: LazyLock<OffsetDateTime> = LazyLock::new(OffsetDateTime::now_utc);
    *NOW + time::Duration::days(n)
}

impl Pki {
    fn new() -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name = dn("rtdoctor test CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.not_before = days(-1);
        params.not_after = days(365);
        let cert = params.self_signed(&key).unwrap();
        std::fs::write(dir.path().join("ca.pem"), cert.pem()).unwrap();
        Pki {
            dir,
            ca: Issuer::new(params, key),
        }
    }

    fn ca_pem(&self) -> String {
        self.dir.path().join("ca.pem").display().to_string()
    }

    fn params(cn: &str, sans: &[&str], from: i64, until: i64) -> CertificateParams {
        let mut p =
            CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
        p.distinguished_name = dn(cn);
        p.not_before = days(from);
        p.not_after = days(until);
        p
    }

    /// A leaf signed by the CA, valid from `from` to `until` days from now.
    fn leaf(&self, name: &str, sans: &[&str], from: i64, until: i64) -> Leaf {
        let key = KeyPair::generate().unwrap();
        let cert = Self::params(name, sans, from, until)
            .signed_by(&key, &self.ca)
            .unwrap();
        self.write(name, &cert.pem(), &key.serialize_pem())
    }

    fn self_signed(&self, name: &str, sans: &[&str]) -> Leaf {
        let key = KeyPair::generate().unwrap();
        let cert = Self::params(name, sans, -1, 90).self_signed(&key).unwrap();
        self.write(name, &cert.pem(), &key.serialize_pem())
    }

    /// What `openssl req -x509` makes by default: a self-signed CA
    /// certificate, served as the server's own.
    fn ca_as_leaf(&self, name: &str, sans: &[&str]) -> Leaf {
        let key = KeyPair::generate().unwrap();
        let mut params = Self::params(name, sans, -1, 90);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).unwrap();
        self.write(name, &cert.pem(), &key.serialize_pem())
    }

    fn write(&self, name: &str, cert: &str, key: &str) -> Leaf {
        // nginx's config would split a path at a space.
        let name = name.replace(' ', "-");
        let leaf = Leaf {
            cert: self.dir.path().join(format!("{name}.pem")),
            key: self.dir.path().join(format!("{name}.key")),
        };
        std::fs::write(&leaf.cert, cert).unwrap();
        std::fs::write(&leaf.key, key).unwrap();
        leaf
    }
}

const LOCAL_NAMES: &[&str] = &["localhost", "127.0.0.1"];

/// The certificate the tutorials make, by the `openssl` command line
/// exactly as they give it: self-signed, `basicConstraints CA:TRUE`, the
/// host only as its common name.
fn openssl_req_x509(dir: &Path) -> Leaf {
    let leaf = Leaf {
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
    };
    let out = std::process::Command::new("openssl")
        .current_dir(dir)
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
            "-days",
            "365",
            "-subj",
            "/CN=localhost",
        ])
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "this test needs the openssl command line ({e}); install it: \
apt-get install openssl (Debian/Ubuntu), dnf install openssl, brew install openssl"
            )
        });
    assert!(
        out.status.success(),
        "openssl req -x509 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    leaf
}

/// nginx serving `leaf` over TLS in front of `upstream`.
fn nginx_tls(leaf: &Leaf, upstream: u16) -> Nginx {
    let (cert, key) = (path_str(&leaf.cert), path_str(&leaf.key));
    nginx_with(
        "nginx-tls.conf.template",
        &[upstream],
        &[("CERT", &cert), ("KEY", &key)],
    )
}

fn path_str(p: &Path) -> String {
    p.display().to_string()
}

fn check_json(url: &str, args: &[&str]) -> (i32, Value) {
    let out = rt(&[&["check", url, "--json"], args].concat());
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    (out.code, out.json())
}

#[test]
fn websocket_upgrade_a_plain_websocket_over_wss_is_checked_by_hand_too() {
    let pki = Pki::new();
    let leaf = pki.leaf("good", LOCAL_NAMES, -1, 90);
    let server = ws_server(&[
        "--path",
        "/ws",
        "--protocol",
        "chat",
        "--deflate",
        "--origin",
        "https://app.example",
    ]);
    let proxy = nginx_tls(&leaf, server.port);
    let ca = pki.ca_pem();
    let url = format!("wss://127.0.0.1:{}/ws", proxy.port());
    let only = [
        "--only",
        "websocket,cors",
        "--cacert",
        &ca,
        "--subprotocol",
        "chat",
    ];

    let (code, r) = check_json(
        &url,
        &[&only[..], &["--origin", "https://app.example"]].concat(),
    );
    assert_eq!(code, 0, "{r}");
    // The handshake read by hand over TLS: the accept key, the subprotocol
    // and the extensions the server chose.
    let s = summary(&r, "websocket.upgrade");
    assert!(s.contains("subprotocol chat"), "{s}");
    assert!(s.contains("extensions permessage-deflate"), "{s}");
    let ev = evidence(&r, "websocket.upgrade");
    assert!(
        ev.contains("handshake: HTTP/1.1 101 Switching Protocols"),
        "{ev}"
    );
    assert_eq!(status(&r, "cors"), "pass");

    // The upgrade with a foreign Origin, over wss:// too.
    let (code, r) = check_json(
        &url,
        &[&only[..], &["--origin", "https://evil.example"]].concat(),
    );
    assert_eq!(code, 1);
    assert_eq!(status(&r, "websocket.upgrade"), "fail");
    assert_eq!(status(&r, "cors"), "fail");
    let ev = evidence(&r, "cors");
    assert!(ev.contains("upgrade /ws: HTTP/1.1 401"), "{ev}");
}

#[test]
fn tls_certificate_a_ca_signed_certificate_passes_with_cacert_and_socketio_works_over_https_and_wss()
 {
    let pki = Pki::new();
    let leaf = pki.leaf("good", LOCAL_NAMES, -1, 90);
    let app = node4(&[]);
    let proxy = nginx_tls(&leaf, app.port);
    let ca = pki.ca_pem();

    for scheme in ["https", "wss"] {
        let url = format!("{scheme}://127.0.0.1:{}", proxy.port());
        let (code, r) = check_json(&url, &["--cacert", &ca]);
        assert_healthy(&r);
        assert_eq!(code, 0);
        let s = summary(&r, "tls.certificate");
        assert!(
            s.starts_with(&format!(
                "valid until {} (90 days left), issued by CN=rtdoctor test CA; TLS 1.3, ALPN http/1.1",
                days(90).date()
            )),
            "{s}"
        );
        let ev = evidence(&r, "tls.certificate");
        assert!(ev.contains("names: localhost, 127.0.0.1"), "{ev}");
        assert!(ev.contains(&format!("1 from {ca}")), "{ev}");
        assert!(summary(&r, "socketio.upgrade").contains("websocket-only connect works"));
    }

    // The same server without the CA: nothing trusted vouches for it, and
    // the other probes stop at the certificate: said once, by
    // tls.certificate.
    let url = format!("https://127.0.0.1:{}", proxy.port());
    let (code, r) = check_json(&url, &[]);
    assert_eq!(code, 1);
    assert_eq!(status(&r, "tls.certificate"), "fail");
    let s = summary(&r, "tls.certificate");
    assert!(
        s.starts_with("unknown issuer: the certificate is issued by CN=rtdoctor test CA"),
        "{s}"
    );
    assert!(fix_text(&r, "tls.certificate").contains("fullchain.pem"));
    // One root cause: the checks that talk TLS are skipped because of it
    // instead of each failing with the same certificate error.
    for id in ["http.health", "socketio.handshake", "websocket.upgrade"] {
        assert_eq!(
            (status(&r, id), summary(&r, id)),
            ("skip", "skipped because tls.certificate failed"),
            "{id}"
        );
    }
}

/// Who terminates TLS: nginx in front of python-socketio, named by its
/// Server header, with the certificate it serves.
#[test]
fn net_path_names_the_proxy_that_terminates_tls_and_its_certificate() {
    let pki = Pki::new();
    let leaf = pki.leaf("good", LOCAL_NAMES, -1, 90);
    let app = py_healthy(&[]);
    let proxy = nginx_tls(&leaf, app.port);
    let url = format!("https://127.0.0.1:{}", proxy.port());
    let (_, r) = check_json(&url, &["--cacert", &pki.ca_pem(), "--only", "net.path"]);
    assert_eq!(status(&r, "net.path"), "pass", "{r:#}");
    let said = summary(&r, "net.path");
    assert!(said.starts_with("nginx/"), "{said}");
    assert!(said.contains("; TLS terminated by nginx/"), "{said}");
    assert!(said.contains(" (CN=good)"), "{said}");
    let ev = evidence(&r, "net.path");
    assert!(
        ev.contains("certificate: CN=good (issuer CN=rtdoctor test CA)"),
        "{ev}"
    );
}

/// `check url` without --cacert: a self-signed certificate trusted by
/// nothing here, with each client's way to trust it.
fn assert_self_signed_untrusted(url: &str, subject: &str) -> Value {
    let (code, r) = check_json(url, &[]);
    assert_eq!(code, 1);
    assert_eq!(status(&r, "tls.certificate"), "fail");
    assert_eq!(
        summary(&r, "tls.certificate"),
        format!(
            "the certificate is self-signed ({subject}): nothing this machine trusts vouches for it"
        )
    );
    let fixes = fix_text(&r, "tls.certificate");
    for hint in [
        "--cacert",
        "NODE_EXTRA_CA_CERTS",
        "REQUESTS_CA_BUNDLE",
        "SSL_CERT_FILE",
        "certificate store",
        "mkcert",
    ] {
        assert!(fixes.contains(hint), "{hint} missing from {fixes}");
    }
    r
}

#[test]
fn tls_certificate_self_signed_fails_and_insecure_lets_the_other_checks_go_on() {
    let pki = Pki::new();
    let leaf = pki.self_signed("rtdoctor self-signed", LOCAL_NAMES);
    let app = node4(&[]);
    let proxy = nginx_tls(&leaf, app.port);
    let url = format!("https://127.0.0.1:{}", proxy.port());

    let r = assert_self_signed_untrusted(&url, "CN=rtdoctor self-signed");
    // One root cause: the checks that talk TLS are skipped because of it
    // instead of each failing with the same certificate error.
    for id in ["http.health", "socketio.handshake", "websocket.upgrade"] {
        assert_eq!(
            (status(&r, id), summary(&r, id)),
            ("skip", "skipped because tls.certificate failed"),
            "{id}"
        );
    }

    let (code, r) = check_json(&url, &["--insecure"]);
    assert_eq!(code, 1, "the certificate still fails the run");
    assert_eq!(status(&r, "tls.certificate"), "fail");
    assert!(summary(&r, "tls.certificate").contains("self-signed"));
    assert!(evidence(&r, "tls.certificate").contains("--insecure: the other checks go on"));
    for id in [
        "http.health",
        "socketio.handshake",
        "socketio.namespace",
        "socketio.upgrade",
        "socketio.sticky",
    ] {
        assert_eq!(status(&r, id), "pass", "{id}: {}", summary(&r, id));
    }

    // The self-signed certificate itself, trusted: it passes.
    let (_, r) = check_json(&url, &["--only", "tls", "--cacert", &path_str(&leaf.cert)]);
    assert_eq!(status(&r, "tls.certificate"), "pass");
    assert!(summary(&r, "tls.certificate").contains("self-signed, trusted through --cacert"));
}

/// `openssl req -x509 … -subj /CN=localhost` in front of python-socketio:
/// self-signed and trusted by nothing here; trusted as itself through
/// --cacert, every probe goes on (as curl, Python and Node do) and the
/// certificate warns that Firefox and rustls will still refuse it.
#[test]
fn tls_certificate_openssl_req_x509_is_self_signed_and_trusted_as_itself_with_cacert() {
    let dir = tempfile::tempdir().unwrap();
    let leaf = openssl_req_x509(dir.path());
    let app = py_healthy(&[]);
    let proxy = nginx_tls(&leaf, app.port);
    let url = format!("https://localhost:{}", proxy.port());

    assert_self_signed_untrusted(&url, "CN=localhost");

    let cert = path_str(&leaf.cert);
    for scheme in ["https", "wss"] {
        let url = format!("{scheme}://localhost:{}", proxy.port());
        let (_, r) = check_json(&url, &["--cacert", &cert]);
        assert_eq!(status(&r, "tls.certificate"), "warn", "{r}");
        let s = summary(&r, "tls.certificate");
        assert!(s.contains("(self-signed, trusted through --cacert)"), "{s}");
        assert!(
            s.contains(
                "Firefox and rustls-based clients refuse a CA certificate as a server's own"
            ),
            "{s}"
        );
        assert!(s.contains("no subject alternative names"), "{s}");
        let fixes = fix_text(&r, "tls.certificate");
        assert!(
            fixes.contains("-addext basicConstraints=critical,CA:FALSE")
                && fixes.contains("mkcert"),
            "{fixes}"
        );
        for id in ["http.health", "socketio.handshake", "socketio.upgrade"] {
            assert_eq!(status(&r, id), "pass", "{id}: {}", summary(&r, id));
        }
    }

    // The name is still checked: the certificate is for localhost only.
    let url = format!("https://127.0.0.1:{}", proxy.port());
    let (_, r) = check_json(&url, &["--only", "tls", "--cacert", &cert]);
    assert_eq!(status(&r, "tls.certificate"), "fail");
    assert!(
        summary(&r, "tls.certificate").contains("wrong host"),
        "{}",
        summary(&r, "tls.certificate")
    );
}

#[test]
fn tls_certificate_expired_wrong_host_ca_as_leaf_and_expiring_soon_are_told_apart() {
    let pki = Pki::new();
    let ca = pki.ca_pem();
    let app = node4(&[]);
    let only = ["--only", "tls", "--cacert", ca.as_str()];

    let expired = pki.leaf("expired", LOCAL_NAMES, -100, -3);
    let proxy = nginx_tls(&expired, app.port);
    let (code, r) = check_json(&format!("https://127.0.0.1:{}", proxy.port()), &only);
    assert_eq!(code, 1);
    assert_eq!(status(&r, "tls.certificate"), "fail");
    assert_eq!(
        summary(&r, "tls.certificate"),
        format!(
            "the certificate expired on {} (3 days ago)",
            days(-3).date()
        )
    );
    assert!(fix_text(&r, "tls.certificate").contains("certbot renew"));
    drop(proxy);

    let future = pki.leaf("future", LOCAL_NAMES, 2, 90);
    let proxy = nginx_tls(&future, app.port);
    let (code, r) = check_json(&format!("https://127.0.0.1:{}", proxy.port()), &only);
    assert_eq!(code, 1);
    assert_eq!(status(&r, "tls.certificate"), "fail");
    let s = summary(&r, "tls.certificate");
    assert!(
        s.starts_with(&format!(
            "the certificate is not valid until {} (this machine's date is ",
            days(2).date()
        )),
        "{s}"
    );
    assert!(fix_text(&r, "tls.certificate").contains("timedatectl status"));
    drop(proxy);

    let wrong = pki.leaf("wrong", &["app.example.com", "www.example.com"], -1, 90);
    let proxy = nginx_tls(&wrong, app.port);
    let (code, r) = check_json(&format!("wss://127.0.0.1:{}", proxy.port()), &only);
    assert_eq!(code, 1);
    assert_eq!(status(&r, "tls.certificate"), "fail");
    assert_eq!(
        summary(&r, "tls.certificate"),
        "wrong host: the certificate is not valid for 127.0.0.1; it is valid for app.example.com, www.example.com"
    );
    assert!(fix_text(&r, "tls.certificate").contains("It is valid for: app.example.com"));
    drop(proxy);

    // A self-signed CA certificate trusted as itself: it verifies, as
    // OpenSSL clients accept it, with a warning that Firefox and rustls
    // refuse a CA certificate as a server's own.
    let ca_leaf = pki.ca_as_leaf("ca-leaf", LOCAL_NAMES);
    let proxy = nginx_tls(&ca_leaf, app.port);
    let (code, r) = check_json(
        &format!("https://127.0.0.1:{}", proxy.port()),
        &["--only", "tls", "--cacert", &path_str(&ca_leaf.cert)],
    );
    assert_eq!(code, 0, "{r}");
    assert_eq!(status(&r, "tls.certificate"), "warn");
    let s = summary(&r, "tls.certificate");
    assert!(
        s.contains("but it is a CA certificate (basicConstraints CA:TRUE)")
            && !s.contains("common name"),
        "{s}"
    );
    assert!(fix_text(&r, "tls.certificate").contains("basicConstraints=critical,CA:FALSE"));
    drop(proxy);

    let soon = pki.leaf("soon", LOCAL_NAMES, -80, 5);
    let proxy = nginx_tls(&soon, app.port);
    let (code, r) = check_json(&format!("https://localhost:{}", proxy.port()), &only);
    assert_eq!(code, 0, "a warning does not fail the run");
    assert_eq!(status(&r, "tls.certificate"), "warn");
    let s = summary(&r, "tls.certificate");
    assert!(
        s.starts_with(&format!("expires on {} (in 5 days)", days(5).date())),
        "{s}"
    );
    let (code, _) = check_json(
        &format!("https://localhost:{}", proxy.port()),
        &[&only[..], &["--strict"]].concat(),
    );
    assert_eq!(code, 1, "--strict fails on the warning");
}

/// Accepts TCP connections and never says a word: a server stuck before
/// the TLS handshake.
struct Mute {
    port: u16,
    stop: Arc<AtomicBool>,
}

impl Mute {
    fn start() -> Mute {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            while !flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((conn, _)) => held.push(conn),
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Mute { port, stop }
    }
}

impl Drop for Mute {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[test]
fn tls_certificate_a_server_that_never_completes_the_handshake_fails_with_a_timeout() {
    let mute = Mute::start();
    let (code, r) = check_json(
        &format!("https://127.0.0.1:{}", mute.port),
        &["--only", "tls", "--timeout", "1s"],
    );
    assert_eq!(code, 1);
    assert_eq!(status(&r, "tls.certificate"), "fail");
    assert_eq!(
        summary(&r, "tls.certificate"),
        format!(
            "no TLS handshake within 1000 ms: something accepted the connection on port {} but did not complete the handshake",
            mute.port
        )
    );
}

#[test]
fn tls_certificate_plain_http_targets_skip_and_a_plain_http_port_is_named() {
    let app = node4(&[]);
    let (_, r) = check_json(&format!("127.0.0.1:{}", app.port), &["--only", "tls"]);
    assert_eq!(status(&r, "tls.certificate"), "skip");
    assert_eq!(summary(&r, "tls.certificate"), "not a TLS target (http://)");

    let (code, r) = check_json(
        &format!("https://127.0.0.1:{}", app.port),
        &["--only", "tls"],
    );
    assert_eq!(code, 1);
    let s = summary(&r, "tls.certificate");
    assert!(s.contains("it serves plain HTTP, not TLS"), "{s}");
}

#[test]
fn a_cacert_file_without_a_certificate_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("ca.pem");
    std::fs::write(&garbage, "not a certificate\n").unwrap();
    let out = rt(&[
        "check",
        "https://127.0.0.1:1",
        "--cacert",
        garbage.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains(&format!("{}: no certificate in it", garbage.display())),
        "{}",
        out.stderr
    );
}

/// A certificate's names are the server's to choose: a person sees their
/// control characters and bidi controls escaped, JSON keeps them exact.
#[test]
fn tls_certificate_a_certificates_names_are_escaped_for_people_and_exact_in_json() {
    let pki = Pki::new();
    let cn = "evil\x1b]0;pwned\x07\r\nFAKE\u{202e}";
    let key = KeyPair::generate().unwrap();
    let cert = Pki::params(cn, LOCAL_NAMES, -1, 90)
        .self_signed(&key)
        .unwrap();
    let leaf = pki.write("evil", &cert.pem(), &key.serialize_pem());
    // Nothing behind nginx: the TLS handshake is all this check needs.
    let proxy = nginx_tls(&leaf, free_port());
    let url = format!("https://127.0.0.1:{}", proxy.port());

    let out = rt(&["check", &url, "--only", "tls", "-v"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    for raw in ['\x1b', '\x07', '\r', '\u{202e}'] {
        assert!(!out.stdout.contains(raw), "raw {raw:?} in:\n{}", out.stdout);
    }
    assert!(
        out.stdout
            .contains("CN=evil\\x1b]0;pwned\\x07\\r\\nFAKE\\u{202e}"),
        "{}",
        out.stdout
    );

    let (_, r) = check_json(&url, &["--only", "tls"]);
    assert!(
        summary(&r, "tls.certificate").contains(&format!("CN={cn}")),
        "{r:#}"
    );
}

/// A declared websocket check (checks/websocket-echo.toml) against ws
/// behind nginx TLS: it trusts what the run trusts (`--cacert`, or the
/// file's `cacert`), goes on with `--insecure` (or `insecure = true`), and
/// fails on the certificate with neither.
#[test]
fn a_declared_websocket_check_trusts_what_the_run_trusts() {
    let pki = Pki::new();
    let leaf = pki.leaf("good", LOCAL_NAMES, -1, 90);
    let server = ws_server(&["--path", "/ws"]);
    let proxy = nginx_tls(&leaf, server.port);
    let ca = pki.ca_pem();
    let url = format!("wss://127.0.0.1:{}", proxy.port());
    let checks = format!("{}/checks", env!("CARGO_MANIFEST_DIR"));
    let id = "app.websocket-echo";
    let base = ["--checks", &checks, "--only", id];

    let (code, r) = check_json(&url, &[&base[..], &["--cacert", &ca]].concat());
    assert_eq!((code, status(&r, id)), (0, "pass"), "{r:#}");

    let (code, r) = check_json(&url, &base);
    assert_eq!((code, status(&r, id)), (1, "fail"), "{r:#}");
    let s = summary(&r, id);
    assert!(s.contains("certificate"), "{s}");

    let (code, r) = check_json(&url, &[&base[..], &["--insecure"]].concat());
    assert_eq!((code, status(&r, id)), (0, "pass"), "{r:#}");

    // The same trust from rtdoctor.toml's `cacert` and `insecure` keys.
    let dir = tempfile::tempdir().unwrap();
    for keys in [format!("cacert = \"{ca}\""), "insecure = true".to_string()] {
        let file = dir.path().join("rt.toml");
        std::fs::write(&file, format!("{keys}\n\n[[target]]\nurl = \"{url}\"\n")).unwrap();
        let out = rt(&[
            &["check", "--config", file.to_str().unwrap(), "--json"],
            &base[..],
        ]
        .concat());
        let r = out.json();
        assert_eq!((out.code, status(&r, id)), (0, "pass"), "{keys}: {r:#}");
    }
}
