//! `http.health`: does the server's health endpoint answer, and is what
//! answers the server or a proxy whose upstream is down?

use async_trait::async_trait;

use super::{Check, Ctx};
use crate::probe::http::Answer;
use crate::report::{Fix, Outcome};

pub struct Health;

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
    // nginx's own error pages name it even with server_tokens off.
    let body =
        String::from_utf8_lossy(&answer.body[..answer.body.len().min(2048)]).to_ascii_lowercase();
    body.contains("<center>nginx").then(|| "nginx".to_string())
}

#[async_trait]
impl Check for Health {
    fn id(&self) -> &str {
        "http.health"
    }

    fn title(&self) -> &str {
        "The health endpoint answers"
    }

    fn needs(&self) -> &[&str] {
        &["port.listen"]
    }

    fn explain(&self) -> &str {
        "GETs the health path (--health-path, default /health) and keeps the status, latency, \
content type and, for a JSON body, its status field.\n\n\
Causes it tells apart:\n\
- 404: there is no health endpoint. It is optional, so the check is skipped; name yours \
with --health-path.\n\
- 502/503/504 from a proxy (its Server header or error page names it, e.g. nginx): the \
proxy is up but its upstream, your server, is down or unreachable. Fix: start the upstream \
and check the proxy_pass / upstream address and port.\n\
- another 5xx: the server itself fails; read its log.\n\
- a redirect or 401/403: the endpoint moved or needs credentials (-H 'Authorization: …').\n\
- no answer: refused, reset or timed out, named as such."
    }

    async fn run(&self, ctx: &Ctx) -> Outcome {
        let http = match ctx.host.http_for(&ctx.probe) {
            Ok(h) => h,
            Err(e) => return Outcome::fail(e),
        };
        let mut url = ctx.target.url.clone();
        if url.scheme() == "ws" {
            let _ = url.set_scheme("http");
        } else if url.scheme() == "wss" {
            let _ = url.set_scheme("https");
        }
        url.set_path(&ctx.probe.health_path);
        url.set_query(None);
        let answer = match http.get(&url, &ctx.probe.headers, ctx.probe.timeout).await {
            Ok(a) => a,
            Err(f) => {
                let out = Outcome::fail(format!("GET {} got {f}", url.path()))
                    .evidence("request", format!("GET {url}"));
                return match f {
                    crate::probe::Failure::TimedOut(_) => {
                        super::handshake::kill_hint(ctx, out).await
                    }
                    _ => out,
                };
            }
        };
        let mut out = verdict(&answer, url.path());
        out.push_evidence("request", format!("GET {url}"));
        answer.add_evidence(&mut out, "response");
        out
    }
}

fn verdict(answer: &Answer, path: &str) -> Outcome {
    let ms = answer.elapsed.as_millis();
    let ctype = answer.header("content-type").unwrap_or("no content type");
    match answer.status {
        200..=299 => {
            let status_field = serde_json::from_slice::<serde_json::Value>(&answer.body)
                .ok()
                .and_then(|v| v.get("status").cloned())
                .map(|s| format!(", status {s}"))
                .unwrap_or_default();
            Outcome::pass(format!("{} in {ms} ms ({ctype}{status_field})", answer.status_line()))
        }
        404 => Outcome::skip(format!("no health endpoint at {path} (404); it is optional: name yours with --health-path")),
        502..=504 => match proxy_name(answer) {
            Some(proxy) => Outcome::fail(format!(
                "the proxy ({proxy}) answered {}: its upstream, your server, is down or unreachable",
                answer.status_line()
            ))
            .fix(Fix::new(
                "Start the upstream, and check the proxy's upstream address",
                "The proxy is up; what it forwards to is not. Start the server, and check that the \
proxy's upstream (nginx: proxy_pass / upstream) names the host and port the server listens on. \
The proxy's error log says which address it tried.",
            )),
            None => Outcome::fail(format!("{} from {path}", answer.status_line())).fix(read_log()),
        },
        500..=599 => Outcome::fail(format!("{} from {path}", answer.status_line())).fix(read_log()),
        300..=399 => Outcome::warn(format!(
            "{} to {}",
            answer.status_line(),
            answer.header("location").unwrap_or("(no location)")
        ))
        .fix(Fix::new(
            "Point --health-path (or the target URL) at where it redirects",
            "A redirect from http to https means the client must use https:// and wss://.",
        )),
        401 | 403 => Outcome::warn(format!("{} from {path}: it needs credentials", answer.status_line())).fix(Fix::new(
            "Send the credentials the endpoint wants",
            "Pass them as a header: rtdoctor check … -H 'Authorization: Bearer …'",
        )),
        _ => Outcome::warn(format!("{} from {path}", answer.status_line())),
    }
}

fn read_log() -> Fix {
    Fix::new(
        "Read the server's log",
        "The server answered with an error of its own: its log has the traceback or message.",
    )
}
