//! What the user names on the command line or in `[[target]]`: a URL
//! (`http://`, `https://`, `ws://`, `wss://`), `HOST:PORT`, or a bare `PORT`
//! meaning `http://localhost:PORT`. Parsing never panics; every rejection is
//! one sentence that says what to write instead.

use std::fmt;
use std::net::IpAddr;

use url::{Host, Url};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
    Ws,
    Wss,
}

impl Scheme {
    pub fn is_tls(self) -> bool {
        matches!(self, Scheme::Https | Scheme::Wss)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub url: Url,
    pub scheme: Scheme,
    /// The host as written, without IPv6 brackets.
    pub host: String,
    pub port: u16,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TargetError(String);

impl Target {
    pub fn parse(input: &str) -> Result<Target, TargetError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(TargetError(
                "an empty target: name a PORT, HOST:PORT or a URL".into(),
            ));
        }
        if input.chars().all(|c| c.is_ascii_digit()) {
            let port = parse_port(input, input)?;
            return Self::from_url(&format!("http://localhost:{port}"), input);
        }
        if let Some((scheme, _)) = input.split_once("://") {
            if !matches!(
                scheme.to_ascii_lowercase().as_str(),
                "http" | "https" | "ws" | "wss"
            ) {
                return Err(TargetError(format!(
                    "unknown scheme '{scheme}' in '{input}': use http://, https://, ws:// or wss://"
                )));
            }
            return Self::from_url(input, input);
        }
        // HOST:PORT, with IPv6 hosts in brackets ([::1]:8765).
        let Some((host, port)) = input.rsplit_once(':') else {
            return Err(TargetError(format!(
                "'{input}' has no port: write {input}:PORT, a bare PORT or a URL"
            )));
        };
        if host.contains(':') && !host.starts_with('[') {
            return Err(TargetError(format!(
                "'{input}' looks like a bare IPv6 address: write it in brackets with a port, e.g. [::1]:8765"
            )));
        }
        let port = parse_port(port, input)?;
        Self::from_url(&format!("http://{host}:{port}"), input)
    }

    fn from_url(text: &str, input: &str) -> Result<Target, TargetError> {
        let url = Url::parse(text)
            .map_err(|e| TargetError(format!("'{input}' is not a valid URL: {e}")))?;
        let scheme = match url.scheme() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            "ws" => Scheme::Ws,
            "wss" => Scheme::Wss,
            other => {
                return Err(TargetError(format!(
                    "unknown scheme '{other}' in '{input}': use http://, https://, ws:// or wss://"
                )));
            }
        };
        let host = match url.host() {
            Some(Host::Domain(d)) => d.to_string(),
            Some(Host::Ipv4(ip)) => ip.to_string(),
            Some(Host::Ipv6(ip)) => ip.to_string(),
            None => return Err(TargetError(format!("'{input}' has no host"))),
        };
        // The url crate drops a port equal to the scheme's default and
        // rejects ports above 65535, but it accepts port 0.
        let port = url.port_or_known_default().unwrap_or(80);
        if port == 0 {
            return Err(TargetError(format!(
                "'{input}': port 0 is not a port a server can listen on (1-65535)"
            )));
        }
        Ok(Target {
            url,
            scheme,
            host,
            port,
        })
    }

    pub fn ip(&self) -> Option<IpAddr> {
        self.host.parse().ok()
    }

    /// `localhost` and `*.localhost` resolve to loopback by definition
    /// (RFC 6761), whatever this machine's resolver says.
    pub fn is_localhost_name(&self) -> bool {
        let h = self.host.to_ascii_lowercase();
        h == "localhost" || h.ends_with(".localhost")
    }

    /// The namespace socket.io-client reads from this target, as
    /// `io("http://host:3000/chat")` connects to `/chat`: the path of an
    /// http(s) target, unless it is `/` or the Engine.IO path itself
    /// (`socketio_path`, which no client means as a namespace). A ws(s)
    /// target's path is a WebSocket endpoint, not a namespace.
    pub fn path_namespace(&self, socketio_path: &str) -> Option<String> {
        if matches!(self.scheme, Scheme::Ws | Scheme::Wss) {
            return None;
        }
        let path = self.url.path();
        let bare = |p: &str| p.trim_matches('/').to_string();
        // A proxy prefix the Engine.IO path lives under (`/app/` with
        // --socketio-path /app/socket.io/) is no namespace either.
        let under = bare(socketio_path).starts_with(&format!("{}/", bare(path)));
        (path != "/" && bare(path) != bare(socketio_path) && !under).then(|| path.to_string())
    }

    /// The target without its path, query and fragment: the server's
    /// origin, as a suggested command names it.
    pub fn origin_only(&self) -> String {
        let mut url = self.url.clone();
        url.set_path("/");
        url.set_query(None);
        url.set_fragment(None);
        display_url(&url)
    }

    /// The same URL with another port (to point at a server that moved).
    pub fn with_port(&self, port: u16) -> String {
        let mut url = self.url.clone();
        // set_port only fails for URLs that cannot have a port, which a
        // parsed Target never is.
        let _ = url.set_port(Some(port));
        display_url(&url)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&display_url(&self.url))
    }
}

/// `http://localhost:8765`, not `http://localhost:8765/`: the trailing slash
/// of an empty path is noise in a report.
pub fn display_url(url: &Url) -> String {
    let s = url.as_str();
    if url.path() == "/" && url.query().is_none() && url.fragment().is_none() {
        s.trim_end_matches('/').to_string()
    } else {
        s.to_string()
    }
}

fn parse_port(text: &str, input: &str) -> Result<u16, TargetError> {
    crate::cli::values::port_number(text, input).map_err(TargetError)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: &str) -> Target {
        Target::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"))
    }

    #[test]
    fn accepts_the_three_forms() {
        let t = ok("8765");
        assert_eq!(
            (t.host.as_str(), t.port, t.scheme),
            ("localhost", 8765, Scheme::Http)
        );
        assert_eq!(t.to_string(), "http://localhost:8765");

        let t = ok("127.0.0.1:3000");
        assert_eq!((t.host.as_str(), t.port), ("127.0.0.1", 3000));

        let t = ok("[::1]:3000");
        assert_eq!((t.host.as_str(), t.port), ("::1", 3000));
        assert_eq!(t.to_string(), "http://[::1]:3000");

        let t = ok("wss://example.com/socket");
        assert_eq!((t.port, t.scheme), (443, Scheme::Wss));
        assert_eq!(t.to_string(), "wss://example.com/socket");

        let t = ok("HTTP://LOCALHOST:80");
        assert_eq!((t.host.as_str(), t.port), ("localhost", 80));
    }

    #[test]
    fn rejects_bad_input_with_a_sentence() {
        for (input, needle) in [
            ("0", "port 0"),
            ("70000", "out of range"),
            ("localhost:0", "port 0"),
            ("localhost:99999", "out of range"),
            ("http://localhost:0", "port 0"),
            ("http://localhost:99999", "not a valid URL"),
            ("ftp://localhost:21", "unknown scheme 'ftp'"),
            ("localhost", "has no port"),
            ("::1", "brackets"),
            ("localhost:http", "not a port number"),
            ("http://exa mple.com", "not a valid URL"),
            ("", "empty target"),
        ] {
            let err = Target::parse(input).expect_err(input).to_string();
            assert!(err.contains(needle), "{input}: {err}");
        }
    }

    #[test]
    fn an_http_path_is_a_namespace_as_io_reads_it() {
        let nsp = |t: &str| ok(t).path_namespace("/socket.io/");
        assert_eq!(nsp("http://localhost:3000/chat").as_deref(), Some("/chat"));
        assert_eq!(
            nsp("https://example.com/chat?token=x").as_deref(),
            Some("/chat")
        );
        assert_eq!(nsp("http://localhost:3000/"), None);
        assert_eq!(nsp("3000"), None);
        assert_eq!(nsp("http://localhost:3000/socket.io/"), None);
        assert_eq!(nsp("ws://localhost:3000/chat"), None);
        assert_eq!(
            ok("http://localhost:3000/app/").path_namespace("/app/socket.io/"),
            None
        );
        assert_eq!(
            ok("http://localhost:3000/dashboard?x=1").origin_only(),
            "http://localhost:3000"
        );
    }

    #[test]
    fn with_port_keeps_scheme_and_path() {
        assert_eq!(
            ok("ws://localhost:1018/ws").with_port(1019),
            "ws://localhost:1019/ws"
        );
    }
}
