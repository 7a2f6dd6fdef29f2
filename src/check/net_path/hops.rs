//! The proxies, CDNs, load balancers and platforms an answer's headers
//! name, and what each is documented to do to long-lived connections. Each
//! fact cites the page it comes from; where no page gives a number, the hop
//! is named without one.

/// What a hop is documented to do to a long-lived connection.
#[derive(Debug, PartialEq, Eq)]
pub struct Known {
    pub name: &'static str,
    /// Connections idle (no byte either way) this long are cut, by default.
    pub idle_cut: Option<u64>,
    /// What it does to long-lived connections, in words (after its name).
    pub does: &'static str,
    /// Where that is set, or what can be done about it: a sentence.
    pub setting: &'static str,
    /// A platform whose functions hold a WebSocket only for a while.
    pub serverless: bool,
    /// A CDN or platform edge: it terminates TLS in front of the server.
    pub edge: bool,
    /// The documentation the facts come from.
    pub source: &'static str,
}

// https://devcenter.heroku.com/articles/http-routing#timeouts: "each byte
// transmitted thereafter … resets a rolling 55 second window. If no data is
// sent during the 55 second window, the connection will be terminated" (H15);
// https://devcenter.heroku.com/articles/websockets#timeouts: "The normal
// Heroku HTTP routing timeout rules apply to WebSocket connections".
const HEROKU: Known = Known {
    name: "Heroku's router",
    idle_cut: Some(55),
    does: "cuts connections idle for 55 s (H15)",
    setting: "The 55 s window cannot be raised: only traffic resets it.",
    serverless: false,
    edge: true,
    source: "https://devcenter.heroku.com/articles/http-routing#timeouts",
};

// https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html#connection-idle-timeout:
// "By default, ELB sets the idle timeout value for your load balancer to 60
// seconds."
const ALB: Known = Known {
    name: "an AWS Application Load Balancer",
    idle_cut: Some(60),
    does: "cuts connections idle for 60 s by default",
    setting: "Or raise the load balancer's idle timeout (its idle_timeout.timeout_seconds attribute).",
    serverless: false,
    edge: true,
    source: "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html#connection-idle-timeout",
};

// x-amzn-* headers other than ALB's trace id (API Gateway, App Runner, …):
// AWS, which front is not said.
const AWS: Known = Known {
    name: "an AWS front (x-amzn-* headers)",
    idle_cut: None,
    does: "applies its own idle and duration limits",
    setting: "Or raise the AWS service's timeout.",
    serverless: false,
    edge: true,
    source: "https://docs.aws.amazon.com/",
};

// https://developers.cloudflare.com/fundamentals/reference/connection-limits/:
// "Proxy Read Timeout | 100 | 524 | Yes" (configurable on Enterprise only).
const CLOUDFLARE: Known = Known {
    name: "Cloudflare",
    idle_cut: Some(100),
    does: "cuts proxied connections idle for 100 s (its Proxy Read Timeout)",
    setting: "Only Enterprise plans can raise it.",
    serverless: false,
    edge: true,
    source: "https://developers.cloudflare.com/fundamentals/reference/connection-limits/",
};

// https://vercel.com/docs/functions/websockets: "A single WebSocket
// connection is pinned to one Vercel Function instance";
// https://vercel.com/docs/functions/configuring-functions/duration: "If a
// function runs for longer than its set maximum duration, Vercel will
// terminate it."
const VERCEL: Known = Known {
    name: "Vercel",
    idle_cut: None,
    does: "runs the server as Functions: a WebSocket lasts only until the function's maximum \
duration, and each request may reach another instance",
    setting: "Raise the function's maxDuration, or host the server where a process stays up.",
    serverless: true,
    edge: true,
    source: "https://vercel.com/docs/functions/websockets",
};

// https://fly.io/docs/networking/request-headers/: the headers Fly Proxy adds;
// no idle figure for WebSockets was found in its documentation.
const FLY: Known = Known {
    name: "Fly.io's proxy",
    idle_cut: None,
    does: "proxies every request to the app's machines",
    setting: "See fly.toml's [http_service] settings.",
    serverless: false,
    edge: true,
    source: "https://fly.io/docs/networking/request-headers/",
};

// https://render.com/docs/websocket: web services accept WebSockets; the page
// gives no idle figure.
const RENDER: Known = Known {
    name: "Render",
    idle_cut: None,
    does: "proxies every request to the service",
    setting: "See the service's settings on Render.",
    serverless: false,
    edge: true,
    source: "https://render.com/docs/websocket",
};

// Railway: no page of its documentation giving an idle or duration figure for
// WebSockets was found; named without one.
const RAILWAY: Known = Known {
    name: "Railway's edge",
    idle_cut: None,
    does: "proxies every request to the service",
    setting: "See the service's networking settings on Railway.",
    serverless: false,
    edge: true,
    source: "https://docs.railway.com/",
};

// https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto
// stream_idle_timeout: "If not specified, this defaults to 5 minutes."
const ENVOY: Known = Known {
    name: "Envoy",
    idle_cut: Some(300),
    does: "cuts streams idle for 5 minutes by default (stream_idle_timeout)",
    setting: "Or raise the HTTP connection manager's stream_idle_timeout (or the route's idle_timeout).",
    serverless: false,
    edge: false,
    source: "https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto",
};

// https://learn.microsoft.com/en-us/azure/frontdoor/front-door-http-headers-protocol:
// X-Azure-Ref, "a unique reference string that identifies a request served by
// Azure Front Door"; no WebSocket idle figure was found.
const AZURE: Known = Known {
    name: "Azure Front Door",
    idle_cut: None,
    does: "proxies every request to the origin",
    setting: "See the Front Door route's and origin's settings.",
    serverless: false,
    edge: true,
    source: "https://learn.microsoft.com/en-us/azure/frontdoor/front-door-http-headers-protocol",
};

// https://cloud.google.com/run/docs/triggering/websockets: WebSockets "are
// subject to the request timeout (currently up to 60 minutes, default 5
// minutes)".
const GOOGLE_FRONTEND: Known = Known {
    name: "Google Front End (Cloud Run or App Engine)",
    idle_cut: None,
    does: "ends a WebSocket at the service's request timeout (Cloud Run: 5 minutes by default, 60 \
at most), idle or not",
    setting: "Raise the service's request timeout: gcloud run services update SERVICE --timeout 3600.",
    serverless: false,
    edge: true,
    source: "https://cloud.google.com/run/docs/triggering/websockets",
};

// https://cloud.google.com/load-balancing/docs/backend-service#timeout-setting:
// for WebSockets the backend service timeout (30 s by default) is how long
// one may stay open, idle or not.
const GOOGLE_LB: Known = Known {
    name: "a Google Cloud load balancer (via: 1.1 google)",
    idle_cut: None,
    does: "ends a WebSocket at the backend service timeout (30 s by default), idle or not",
    setting: "Raise the backend service's timeout (timeoutSec).",
    serverless: false,
    edge: true,
    source: "https://cloud.google.com/load-balancing/docs/backend-service#timeout-setting",
};

// https://nginx.org/en/docs/http/websocket.html: "By default, the connection
// will be closed if the proxied server does not transmit any data within 60
// seconds" (proxy_read_timeout).
const NGINX: Known = Known {
    name: "nginx",
    idle_cut: Some(60),
    does: "closes a proxied connection idle for 60 s by default (proxy_read_timeout)",
    setting: "Or raise proxy_read_timeout (and proxy_send_timeout) in the proxied location.",
    serverless: false,
    edge: false,
    source: "https://nginx.org/en/docs/http/websocket.html",
};

// https://docs.haproxy.org/2.8/configuration.html#4-timeout%20tunnel: an
// upgraded connection is cut after `timeout tunnel`, or `timeout client` /
// `timeout server` when it is not set; HAProxy has no default value.
const HAPROXY: Known = Known {
    name: "HAProxy",
    idle_cut: None,
    does: "cuts an idle upgraded connection at its timeout tunnel (else timeout client / timeout \
server)",
    setting: "Or raise timeout tunnel in the backend.",
    serverless: false,
    edge: false,
    source: "https://docs.haproxy.org/2.8/configuration.html#4-timeout%20tunnel",
};

// https://caddyserver.com/docs/caddyfile/directives/reverse_proxy#streaming:
// stream_timeout / stream_close_delay, no limit unless set.
const CADDY: Known = Known {
    name: "Caddy",
    idle_cut: None,
    does: "keeps proxied WebSockets open unless stream_timeout is set",
    setting: "See reverse_proxy's stream_timeout.",
    serverless: false,
    edge: false,
    source: "https://caddyserver.com/docs/caddyfile/directives/reverse_proxy#streaming",
};

// https://doc.traefik.io/traefik/routing/entrypoints/#respondingtimeouts
const TRAEFIK: Known = Known {
    name: "Traefik",
    idle_cut: None,
    does: "applies its entry point's respondingTimeouts",
    setting: "See entryPoints.<name>.transport.respondingTimeouts.",
    serverless: false,
    edge: false,
    source: "https://doc.traefik.io/traefik/routing/entrypoints/#respondingtimeouts",
};

// https://httpd.apache.org/docs/2.4/mod/mod_proxy.html#proxytimeout:
// "Default: Value of Timeout" (https://httpd.apache.org/docs/2.4/mod/core.html#timeout:
// "Default: Timeout 60").
const APACHE: Known = Known {
    name: "Apache httpd",
    idle_cut: Some(60),
    does: "closes a proxied connection idle for 60 s by default (ProxyTimeout, which defaults \
to Timeout)",
    setting: "Or raise ProxyTimeout (mod_proxy_wstunnel: ProxyWebsocketIdleTimeout).",
    serverless: false,
    edge: false,
    source: "https://httpd.apache.org/docs/2.4/mod/mod_proxy.html#proxytimeout",
};

/// Something a Via header names that is none of the above.
const VIA: Known = Known {
    name: "a proxy",
    idle_cut: None,
    does: "forwards the request (a Via header names it)",
    setting: "Or raise its idle timeout.",
    serverless: false,
    edge: false,
    source: "https://www.rfc-editor.org/rfc/rfc9110#name-via",
};

/// A header value shown as evidence is cut here: headers are the server's
/// text, and a hostile one may send kilobytes.
const SHOWN: usize = 120;

/// One hop the answer names: what it is, and the header that says so.
#[derive(Debug, PartialEq, Eq)]
pub struct Hop {
    pub known: &'static Known,
    /// `via: 1.1 vegur`, bounded.
    pub seen: String,
    /// The Server header's own words for a proxy named by it
    /// (`nginx/1.22.1`), bounded.
    pub server: Option<String>,
}

impl Hop {
    /// How reports name it: the Server header's words when it named the
    /// proxy, else the hop's name.
    pub fn label(&self) -> String {
        match &self.server {
            Some(s) => s.clone(),
            None => self.known.name.to_string(),
        }
    }
}

/// `name: value`, cut to a bounded length.
pub(super) fn shown(name: &str, value: &str) -> String {
    let value: String = if value.chars().count() > SHOWN {
        value.chars().take(SHOWN).chain(['…']).collect()
    } else {
        value.to_string()
    };
    format!("{}: {value}", name.to_ascii_lowercase())
}

/// The hops the headers name, each once, in the order of this list: edges
/// first (the outermost), then proxies.
pub fn identify(headers: &[(String, String)]) -> Vec<Hop> {
    let mut hops: Vec<Hop> = Vec::new();
    let mut add = |known: &'static Known, name: &str, value: &str, server: bool| {
        if hops.iter().any(|h| std::ptr::eq(h.known, known)) {
            return;
        }
        // A cookie's value may be a session: only its name is shown.
        let seen = if name.eq_ignore_ascii_case("set-cookie") {
            let cookie = value.split('=').next().unwrap_or_default();
            shown(name, &format!("{cookie}=…"))
        } else {
            shown(name, value)
        };
        hops.push(Hop {
            known,
            seen,
            server: server.then(|| shown("", value).trim_start_matches(": ").to_string()),
        });
    };
    for (name, value) in headers {
        let (n, v) = (name.to_ascii_lowercase(), value.to_ascii_lowercase());
        let by_server = |word: &str| n == "server" && v.contains(word);
        if by_server("cloudflare") || n == "cf-ray" {
            add(&CLOUDFLARE, name, value, false);
        } else if n == "via" && v.contains("vegur") {
            add(&HEROKU, name, value, false);
        } else if (n == "server" && v.starts_with("awselb"))
            || n == "x-amzn-trace-id"
            || (n == "set-cookie" && value.starts_with("AWSALB"))
        {
            add(&ALB, name, value, false);
        } else if n.starts_with("x-amzn-") {
            add(&AWS, name, value, false);
        } else if n == "x-vercel-id" || by_server("vercel") {
            add(&VERCEL, name, value, false);
        } else if n == "fly-request-id" {
            add(&FLY, name, value, false);
        } else if n == "x-render-origin-server" {
            add(&RENDER, name, value, false);
        } else if n.starts_with("x-railway-") {
            add(&RAILWAY, name, value, false);
        } else if n == "x-azure-ref" {
            add(&AZURE, name, value, false);
        } else if by_server("google frontend") {
            add(&GOOGLE_FRONTEND, name, value, false);
        } else if n == "via" && v.contains("google") {
            add(&GOOGLE_LB, name, value, false);
        } else if by_server("envoy") || n.starts_with("x-envoy-") {
            add(&ENVOY, name, value, n == "server");
        } else if by_server("nginx") || by_server("openresty") {
            add(&NGINX, name, value, true);
        } else if by_server("haproxy") {
            add(&HAPROXY, name, value, true);
        } else if by_server("caddy") {
            add(&CADDY, name, value, true);
        } else if by_server("traefik") {
            add(&TRAEFIK, name, value, true);
        } else if by_server("apache") {
            add(&APACHE, name, value, true);
        } else if n == "via" {
            add(&VIA, name, value, false);
        }
    }
    // The outermost first: the edges, then the proxies behind them.
    hops.sort_by_key(|h| !h.known.edge);
    hops
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(headers: &[(&str, &str)]) -> Vec<(&'static str, String)> {
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        identify(&headers)
            .into_iter()
            .map(|h| (h.known.name, h.seen))
            .collect()
    }

    #[test]
    fn each_platform_is_named_by_the_headers_it_sends() {
        let one = |n: &str, v: &str| named(&[(n, v)]).first().map(|h| h.0);
        assert_eq!(one("Via", "1.1 vegur"), Some("Heroku's router"));
        assert_eq!(one("CF-RAY", "8a1b2c3d4e5f6789-AMS"), Some("Cloudflare"));
        assert_eq!(one("Server", "cloudflare"), Some("Cloudflare"));
        assert_eq!(
            one("Server", "awselb/2.0"),
            Some("an AWS Application Load Balancer")
        );
        assert_eq!(
            one("Set-Cookie", "AWSALB=abc; Expires=Tue, 01 Dec 2026; Path=/"),
            Some("an AWS Application Load Balancer")
        );
        let cookie = named(&[("Set-Cookie", "AWSALB=secretish; Path=/")]);
        assert_eq!(cookie[0].1, "set-cookie: AWSALB=…");
        assert_eq!(
            one(
                "X-Amzn-Trace-Id",
                "Root=1-67891233-abcdef012345678912345678"
            ),
            Some("an AWS Application Load Balancer")
        );
        assert_eq!(
            one("x-amzn-RequestId", "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"),
            Some("an AWS front (x-amzn-* headers)")
        );
        assert_eq!(
            one(
                "x-vercel-id",
                "fra1::iad1::abcde-1700000000000-0123456789ab"
            ),
            Some("Vercel")
        );
        assert_eq!(
            one("fly-request-id", "01HABCDEF-ams"),
            Some("Fly.io's proxy")
        );
        assert_eq!(one("x-render-origin-server", "uvicorn"), Some("Render"));
        assert_eq!(
            one("X-Railway-Edge", "railway/us-west2"),
            Some("Railway's edge")
        );
        assert_eq!(one("server", "envoy"), Some("Envoy"));
        assert_eq!(one("x-envoy-upstream-service-time", "3"), Some("Envoy"));
        assert_eq!(
            one(
                "X-Azure-Ref",
                "0zxV+XAAAAABKMMOjBv2NT4TY6SQVjC0zV1NURURHRTA2MTkA"
            ),
            Some("Azure Front Door")
        );
        assert_eq!(
            one("server", "Google Frontend"),
            Some("Google Front End (Cloud Run or App Engine)")
        );
        assert_eq!(
            one("via", "1.1 google"),
            Some("a Google Cloud load balancer (via: 1.1 google)")
        );
        for (server, name) in [
            ("nginx/1.22.1", "nginx"),
            ("openresty/1.21.4.1", "nginx"),
            ("HAProxy", "HAProxy"),
            ("Caddy", "Caddy"),
            ("Traefik", "Traefik"),
            ("Apache/2.4.57 (Debian)", "Apache httpd"),
        ] {
            assert_eq!(one("Server", server), Some(name), "{server}");
        }
        assert_eq!(one("Via", "1.1 squid"), Some("a proxy"));
        // Application servers are not hops.
        assert_eq!(one("Server", "Python/3.11 aiohttp/3.14.5"), None);
        assert_eq!(one("Server", "uvicorn"), None);
    }

    #[test]
    fn the_edge_comes_first_each_hop_once_and_long_values_are_cut() {
        let hops = named(&[
            ("Server", "nginx/1.22.1"),
            ("Via", "1.1 vegur"),
            ("Via", "1.1 vegur"),
            ("cf-ray", &"x".repeat(5000)),
        ]);
        let names: Vec<&str> = hops.iter().map(|h| h.0).collect();
        assert_eq!(names, ["Heroku's router", "Cloudflare", "nginx"]);
        assert_eq!(hops[0].1, "via: 1.1 vegur");
        assert!(hops[1].1.chars().count() < 140, "{}", hops[1].1);
        assert!(hops[1].1.ends_with('…'));
    }

    #[test]
    fn a_proxy_named_by_server_is_labelled_with_its_own_words() {
        let headers = vec![("Server".to_string(), "nginx/1.22.1".to_string())];
        let hops = identify(&headers);
        assert_eq!(hops[0].label(), "nginx/1.22.1");
        let headers = vec![("Via".to_string(), "1.1 vegur".to_string())];
        assert_eq!(identify(&headers)[0].label(), "Heroku's router");
    }
}
