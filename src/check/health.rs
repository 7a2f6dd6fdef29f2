//! `http.health`: does the server's health endpoint answer, and is what
//! answers the server or a proxy whose upstream is down?

use async_trait::async_trait;
use std::sync::LazyLock;

use super::backend::{self, Backend, Proxy, Words};
use super::{Check, Ctx};
use url::Url;

use crate::probe::Failure;
use crate::probe::http::Answer;
use crate::probe::proxy_name::proxy_name;
use crate::report::{Fix, Outcome};

pub struct Health;

#[async_trait]
impl Check for Health {
    fn id(&self) -> &str {
        "http.health"
    }

    fn title(&self) -> &str {
        "The health endpoint answers"
    }

    fn needs(&self) -> &[&str] {
        &["port.listen", "tls.certificate"]
    }

    fn explain(&self) -> &str {
        static TEXT: LazyLock<String> = LazyLock::new(|| {
            format!(
                "GETs the health path (--health-path, default /health) and keeps the status, latency, \
content type and, for a JSON body, its status field.\n\n\
Causes it tells apart:\n\
- 2xx whose JSON body says `status` (or `state`, `health`) down, fail, error, unhealthy or \
critical: the server answers but reports itself unhealthy, so this fails (degraded or warn: \
a warning).\n\
- 2xx whose body did not end within {} KiB (endless or streaming): not an answer that can be \
read; a warning.\n\
- 404, or 426 Upgrade Required (what a WebSocket-only server such as Node's ws or Python's \
websockets answers every plain GET): there is no health endpoint. It is optional, so the \
check is skipped; name yours with --health-path.\n\
- 502/503/504 from a proxy (its Server header or error page names it, e.g. nginx): the \
proxy is up but its upstream, your server, is down or unreachable. Fix: start the upstream \
and check the proxy_pass / upstream address and port.\n\
- another 5xx: the server itself fails; read its log.\n\
- a redirect or 401/403: the endpoint moved or needs credentials (-H 'Authorization: …').\n\
- no answer: refused, reset or timed out, named as such.\n\n\
Proxy or server: when this check fails through a proxy (--backend names the server behind it, or \
rtdoctor finds it when the proxy runs on this machine), it runs again straight at that server. A 502–504 \
through the proxy while the server answers on its own: the proxy points at the wrong upstream \
(address or port). The server does not answer either: start it.",
                crate::probe::BODY_LIMIT / 1024
            )
        });
        &TEXT
    }

    async fn run(&self, ctx: &Ctx) -> Outcome {
        let started = std::time::Instant::now();
        let through = get(ctx).await;
        backend::split(ctx, started, through, self, &words).await
    }
}

/// The server answers the health path itself; through the proxy it does
/// not: a 502–504 means the proxy forwards to the wrong place.
fn words(proxy: &Proxy, backend: &Backend, through: &Outcome) -> Words {
    let gateway = through
        .summary
        .contains("its upstream, your server, is down");
    let name = &proxy.name;
    // `HTTP/1.1 502 Bad Gateway in 1 ms`: the status line of the answer.
    let answered = through
        .evidence
        .iter()
        .find(|e| e.label == "response")
        .and_then(|e| e.value.split(" in ").next());
    Words {
        works: "answers the health path directly".into(),
        fails: answered.map_or("it does not".into(), |a| format!("it answers {a}")),
        fault: if gateway {
            "points at the wrong upstream (address or port)".into()
        } else {
            "answers it differently".into()
        },
        fix: Fix::new(
            "Point the proxy at the server's address and port",
            format!(
                "The server answers at {}; {name} forwards the request elsewhere or changes it. \
nginx: proxy_pass and the upstream block's server lines; HAProxy: the backend's server line; \
Caddy: reverse_proxy's upstream address; a dev server: its proxy target.",
                backend.target
            ),
        ),
    }
}

/// The GET of the health path, and what it means.
async fn get(ctx: &Ctx) -> Outcome {
    {
        let http = match ctx.machine.http_for(&ctx.probe) {
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
        let answer = http.get(&url, &ctx.probe.headers, ctx.probe.timeout).await;
        // A stuck server on this machine can be stopped and started again.
        let local = matches!(answer, Err(Failure::TimedOut(_))) && ctx.is_local().await == Ok(true);
        verdict(&Observation {
            url,
            answer,
            local,
            port: ctx.target.port,
        })
    }
}

/// The GET of the health path and how it ended.
struct Observation {
    url: Url,
    answer: Result<Answer, Failure>,
    /// The GET timed out and the server runs on this machine.
    local: bool,
    port: u16,
}

fn verdict(seen: &Observation) -> Outcome {
    let url = &seen.url;
    let answer = match &seen.answer {
        Ok(a) => a,
        Err(f) => {
            let out = Outcome::fail(format!("GET {} got {f}", url.path()))
                .evidence("request", format!("GET {url}"));
            return if seen.local {
                out.fix(super::fixes::kill(seen.port))
            } else {
                out
            };
        }
    };
    let mut out = answered(answer, url.path());
    out.push_evidence("request", format!("GET {url}"));
    answer.add_evidence(&mut out, "response");
    out
}

fn answered(answer: &Answer, path: &str) -> Outcome {
    let ms = answer.elapsed.as_millis();
    let ctype = answer.header("content-type").unwrap_or("no content type");
    match answer.status {
        200..=299 => ok_verdict(answer, &format!("{} in {ms} ms ({ctype}", answer.status_line())),
        404 => Outcome::skip(format!("no health endpoint at {path} (404); it is optional: name yours with --health-path")),
        // What a WebSocket-only server (Node's ws, Python's websockets)
        // answers every plain GET: nothing is served there but the upgrade.
        426 => Outcome::skip(format!(
            "no health endpoint at {path} ({}: a WebSocket-only server answers every plain GET so); \
it is optional: name yours with --health-path",
            answer.status_line()
        )),
        502..=504 => match proxy_name(answer) {
            Some(proxy) => Outcome::fail(format!(
                "the proxy ({proxy}) answered {}: its upstream, your server, is down or unreachable",
                answer.status_line()
            ))
            .fix(super::fixes::upstream_down()),
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

/// Words a health body's `status` (or `state`, `health`) uses for "I am
/// not well" (Spring's DOWN, the IETF health draft's fail, …) and for
/// "degraded".
const UNHEALTHY: &[&str] = &[
    "down",
    "fail",
    "failed",
    "failure",
    "failing",
    "error",
    "unhealthy",
    "critical",
    "ko",
    "outofservice",
    "out_of_service",
    "red",
    "false",
];
const DEGRADED: &[&str] = &["warn", "warning", "degraded", "yellow", "partial"];

/// A 2xx: the status code says "up", but a body that never ended is not
/// an answer, and a JSON body may say the server is down.
fn ok_verdict(answer: &Answer, head: &str) -> Outcome {
    if answer.truncated {
        return Outcome::warn(format!(
            "{head}), but the body did not end within {} KiB: it is not a health answer rtdoctor \
can read, and a health checker that reads it whole never gets one",
            crate::probe::BODY_LIMIT / 1024
        ))
        .fix(Fix::new(
            "Make the health endpoint answer a short, complete body",
            "Send Content-Length (or end the chunked body) after a small JSON object such as \
{\"status\":\"ok\"}; a streaming or endless body keeps load balancers' health checks waiting.",
        ));
    }
    let json = serde_json::from_slice::<serde_json::Value>(&answer.body).ok();
    let Some((key, word, shown)) = json.as_ref().and_then(health_field) else {
        return Outcome::pass(format!("{head})"));
    };
    let summary = format!("{head}, {key} {shown})");
    if UNHEALTHY.contains(&word.as_str()) {
        Outcome::fail(format!(
            "{summary}: the server answers, but says it is not healthy"
        ))
        .fix(Fix::new(
            "Find out what the server's health endpoint reports as failing",
            "The body names the failing part when the endpoint lists its checks (database, cache, \
queue); otherwise the server's log says why it reports itself down.",
        ))
    } else if DEGRADED.contains(&word.as_str()) {
        Outcome::warn(format!("{summary}: the server says it is degraded"))
    } else {
        Outcome::pass(summary)
    }
}

/// The JSON body's own health word (`status`, `state` or `health`): the
/// key, the word lower-cased to compare, and how it is shown (a string in
/// quotes and bounded, since it is the server's text; a boolean as is).
fn health_field(v: &serde_json::Value) -> Option<(&'static str, String, String)> {
    ["status", "state", "health"]
        .into_iter()
        .find_map(|key| match v.get(key)? {
            serde_json::Value::String(s) => Some((
                key,
                s.to_ascii_lowercase(),
                format!("\"{}\"", crate::protocol::preview(s.as_bytes(), 60)),
            )),
            serde_json::Value::Bool(b) => Some((key, b.to_string(), b.to_string())),
            _ => None,
        })
}

fn read_log() -> Fix {
    Fix::new(
        "Read the server's log",
        "The server answered with an error of its own: its log has the traceback or message.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::recorded::{self, said};
    use crate::report::Status;
    use std::time::Duration;

    fn answer(body: &str, truncated: bool) -> Answer {
        Answer {
            version: "HTTP/1.1".into(),
            status: 200,
            reason: "OK".into(),
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.as_bytes().to_vec(),
            truncated,
            elapsed: Duration::from_millis(3),
        }
    }

    /// The GET of /health on a server on this machine, ended as `answer`.
    fn got(answer: Result<Answer, Failure>) -> Observation {
        Observation {
            url: Url::parse("http://localhost:8765/health").unwrap(),
            local: matches!(answer, Err(Failure::TimedOut(_))),
            answer,
            port: 8765,
        }
    }

    fn verdict_on(answer: Answer) -> Outcome {
        verdict(&got(Ok(answer)))
    }

    fn titles(out: &Outcome) -> Vec<&str> {
        out.fixes.iter().map(|f| f.title.as_str()).collect()
    }

    #[test]
    fn a_body_that_says_down_fails_even_with_200() {
        for body in [
            r#"{"status":"down"}"#,
            r#"{"status":"DOWN"}"#,
            r#"{"status":"fail"}"#,
            r#"{"status":"error"}"#,
            r#"{"state":"unhealthy"}"#,
            r#"{"health":"critical"}"#,
            r#"{"status":false}"#,
        ] {
            let out = verdict_on(answer(body, false));
            assert_eq!(out.status, Status::Fail, "{body}: {}", out.summary);
            assert!(out.summary.contains("not healthy"), "{}", out.summary);
        }
    }

    #[test]
    fn a_body_that_says_up_passes_and_degraded_warns() {
        for body in [
            r#"{"status":"ok"}"#,
            r#"{"status":"UP"}"#,
            r#"{"status":"pass"}"#,
            "OK",
            "",
        ] {
            let out = verdict_on(answer(body, false));
            assert_eq!(out.status, Status::Pass, "{body}: {}", out.summary);
        }
        let out = verdict_on(answer(r#"{"status":"ok"}"#, false));
        assert_eq!(
            out.summary,
            "HTTP/1.1 200 OK in 3 ms (application/json, status \"ok\")"
        );
        let out = verdict_on(answer(r#"{"status":"degraded"}"#, false));
        assert_eq!(out.status, Status::Warn, "{}", out.summary);
    }

    #[test]
    fn a_body_cut_at_the_limit_is_not_read_as_an_answer() {
        let out = verdict_on(answer(r#"{"status":"ok"}"#, true));
        assert_eq!(out.status, Status::Warn, "{}", out.summary);
        assert!(
            out.summary.contains("did not end within 64 KiB"),
            "{}",
            out.summary
        );
    }

    #[test]
    fn a_404_is_no_health_endpoint_and_is_skipped() {
        let out = verdict_on(recorded::answer(recorded::GUNICORN_404));
        let (status, summary) = said(&out);
        assert_eq!(status, Status::Skip);
        assert!(
            summary.starts_with("no health endpoint at /health (404)"),
            "{summary}"
        );
    }

    #[test]
    fn a_websocket_only_server_s_426_is_no_health_endpoint_and_is_skipped() {
        // Node's ws, and Python's websockets (its server.py's answer to a
        // GET without Upgrade), answer every plain GET with 426.
        let python = recorded::recorded(
            "HTTP/1.1 426 Upgrade Required",
            &[
                ("Upgrade", "websocket"),
                ("Content-Type", "text/plain"),
                ("Connection", "close"),
            ],
            "Failed to open a WebSocket connection: invalid Connection header: keep-alive.\n\n\
You cannot access a WebSocket server directly with a browser. You need a WebSocket client.\n",
        );
        for answer in [recorded::answer(recorded::WS_NO_UPGRADE), python] {
            let out = verdict_on(answer);
            let (status, summary) = said(&out);
            assert_eq!(status, Status::Skip, "{summary}");
            assert!(
                summary.starts_with("no health endpoint at /health (HTTP/1.1 426 Upgrade Required"),
                "{summary}"
            );
            assert!(summary.contains("--health-path"), "{summary}");
            assert!(out.fixes.is_empty());
        }
    }

    #[test]
    fn a_proxy_s_502_names_the_proxy_and_its_upstream() {
        let out = verdict_on(recorded::answer(recorded::NGINX_502));
        let (status, summary) = said(&out);
        assert_eq!(status, Status::Fail);
        assert!(
            summary.starts_with("the proxy (nginx/1.22.1) answered HTTP/1.1 502 Bad Gateway"),
            "{summary}"
        );
        assert_eq!(
            titles(&out),
            ["Start the upstream, and check the proxy's upstream address"]
        );
    }

    #[test]
    fn the_server_s_own_5xx_points_at_its_log() {
        let out = verdict_on(recorded::recorded(
            "HTTP/1.1 500 Internal Server Error",
            &[("Content-Type", "text/plain")],
            "boom",
        ));
        assert_eq!(
            said(&out),
            (
                Status::Fail,
                "HTTP/1.1 500 Internal Server Error from /health"
            )
        );
        assert_eq!(titles(&out), ["Read the server's log"]);
    }

    #[test]
    fn a_redirect_and_a_demand_for_credentials_warn_with_their_fix() {
        let moved = verdict_on(recorded::recorded(
            "HTTP/1.1 302 Found",
            &[("Location", "https://localhost/health")],
            "",
        ));
        assert_eq!(
            said(&moved),
            (
                Status::Warn,
                "HTTP/1.1 302 Found to https://localhost/health"
            )
        );
        assert_eq!(
            titles(&moved),
            ["Point --health-path (or the target URL) at where it redirects"]
        );
        let locked = verdict_on(recorded::recorded("HTTP/1.1 401 Unauthorized", &[], ""));
        assert_eq!(locked.status, Status::Warn);
        assert!(locked.summary.ends_with("it needs credentials"));
        assert_eq!(titles(&locked), ["Send the credentials the endpoint wants"]);
    }

    #[test]
    fn no_answer_is_named_and_a_stuck_local_server_can_be_stopped() {
        let stuck = verdict(&got(Err(Failure::TimedOut(Duration::from_secs(2)))));
        assert_eq!(
            said(&stuck),
            (Status::Fail, "GET /health got no answer within 2000 ms")
        );
        assert_eq!(
            titles(&stuck),
            ["If the process is stuck, stop it and start it again"]
        );
        let refused = verdict(&got(Err(Failure::Refused)));
        assert_eq!(
            said(&refused),
            (Status::Fail, "GET /health got connection refused")
        );
        assert!(refused.fixes.is_empty());
        assert_eq!(
            recorded::evidence(&refused),
            [("request", "GET http://localhost:8765/health")]
        );
    }
}
