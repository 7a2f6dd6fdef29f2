//! Whether an answer came from a proxy or load balancer in front rather
//! than from the server behind it: checks name the proxy, because its
//! settings are where the fix goes.

use super::http::Answer;

/// `Server:` values of proxies and load balancers, not application servers.
const PROXIES: &[&str] = &[
    "nginx",
    "envoy",
    "haproxy",
    "traefik",
    "caddy",
    "apache",
    "cloudflare",
    "varnish",
    "openresty",
];

pub fn proxy_name(answer: &Answer) -> Option<String> {
    if let Some(server) = answer.server() {
        let lower = server.to_ascii_lowercase();
        if PROXIES.iter().any(|p| lower.contains(p)) {
            return Some(server.to_string());
        }
    }
    // nginx's own error pages name it even with server_tokens off;
    // HAProxy sends no Server header, but its error pages say what only it
    // says (WIRE.md).
    let body =
        String::from_utf8_lossy(&answer.body[..answer.body.len().min(2048)]).to_ascii_lowercase();
    if body.contains("<center>nginx") {
        return Some("nginx".to_string());
    }
    HAPROXY_PAGES
        .iter()
        .any(|p| body.contains(p))
        .then(|| "HAProxy".to_string())
}

/// The sentences of HAProxy's own 502, 503 and 504 pages (2.6), lower case.
const HAPROXY_PAGES: &[&str] = &[
    "<h1>502 bad gateway</h1>\nthe server returned an invalid or incomplete response.",
    "<h1>503 service unavailable</h1>\nno server is available to handle this request.",
    "<h1>504 gateway time-out</h1>\nthe server didn't respond in time.",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::recorded;
    use crate::probe::handshake::parse_head;

    /// nginx 1.22.1's 502 when its upstream refuses connections (WIRE.md,
    /// "upstream down"), with and without its Server header.
    const NGINX_502_BODY: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n";

    fn answer(head: &str) -> Answer {
        parse_head(format!("{head}\r\n\r\n{NGINX_502_BODY}").as_bytes()).expect("a recorded head")
    }

    #[test]
    fn a_proxy_is_named_by_its_server_header_or_its_error_page() {
        let named =
            answer("HTTP/1.1 502 Bad Gateway\r\nServer: nginx/1.22.1\r\nContent-Type: text/html");
        assert_eq!(proxy_name(&named).as_deref(), Some("nginx/1.22.1"));
        let tokens_off = answer("HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html");
        assert_eq!(proxy_name(&tokens_off).as_deref(), Some("nginx"));
    }

    /// HAProxy has no Server header: its error pages name it (WIRE.md
    /// "HAProxy"). Caddy's empty 502 is named by its header.
    #[test]
    fn haproxy_is_named_by_its_error_pages_and_caddy_by_its_header() {
        for page in [
            recorded::HAPROXY_502,
            recorded::HAPROXY_503,
            recorded::HAPROXY_504,
        ] {
            assert_eq!(
                proxy_name(&recorded::answer(page)).as_deref(),
                Some("HAProxy")
            );
        }
        let caddy = recorded::answer(recorded::CADDY_502);
        assert_eq!(proxy_name(&caddy).as_deref(), Some("Caddy"));
        let open = recorded::answer(recorded::HAPROXY_COOKIE_OPEN);
        assert_eq!(
            proxy_name(&open),
            None,
            "a page passed through names no proxy"
        );
    }

    #[test]
    fn an_application_server_is_not_a_proxy() {
        let aiohttp = parse_head(
            b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nServer: Python/3.11 aiohttp/3.14.5\r\n\r\n\"Invalid websocket upgrade\"",
        )
        .expect("a recorded head");
        assert_eq!(proxy_name(&aiohttp), None);
    }
}
