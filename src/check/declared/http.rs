//! The `http` kind: one request (GET, POST or OPTIONS) to a path, and the
//! answer's status, headers and body against the expectation.

use std::time::Duration;

use super::Declared;
use super::load::{Decl, expectations};
use crate::check::Ctx;
use crate::probe::Failure;
use crate::probe::http::Answer;
use crate::report::Outcome;

/// What the check sends and expects, for `explain`.
pub(super) fn describe(d: &Decl) -> String {
    format!(
        "Sends {} {} and expects {}.",
        d.method.as_deref().unwrap_or("GET"),
        d.path.as_deref().unwrap_or("/"),
        expectations(&d.expect)
    )
}

impl Declared {
    pub(super) async fn http(&self, ctx: &Ctx, timeout: Duration) -> Outcome {
        let http = match ctx.machine.http_for(&ctx.probe) {
            Ok(h) => h,
            Err(e) => return Outcome::fail(e),
        };
        let mut url = ctx.target.url.clone();
        let _ = url.set_scheme(if ctx.target.scheme.is_tls() {
            "https"
        } else {
            "http"
        });
        let (path, query) = self
            .decl
            .path
            .as_deref()
            .unwrap_or("/")
            .split_once('?')
            .map_or(
                (self.decl.path.as_deref().unwrap_or("/"), None),
                |(p, q)| (p, Some(q)),
            );
        url.set_path(path);
        url.set_query(query);
        let headers = self.headers(ctx);
        let method = self
            .decl
            .method
            .as_deref()
            .unwrap_or("GET")
            .to_ascii_uppercase();
        let answer = match method.as_str() {
            "GET" => http.get(&url, &headers, timeout).await,
            "POST" => {
                http.post(
                    &url,
                    self.decl.body.clone().unwrap_or_default(),
                    &headers,
                    timeout,
                )
                .await
            }
            "OPTIONS" => http.options(&url, &headers, timeout).await,
            other => {
                return Outcome::fail(format!(
                    "method {other} is not supported (GET, POST, OPTIONS)"
                ));
            }
        };
        verdict(
            self,
            &Observation {
                method,
                path: url.path().to_string(),
                answer,
            },
        )
    }
}

/// One request and what answered it.
struct Observation {
    /// Upper-case, as sent.
    method: String,
    path: String,
    answer: Result<Answer, Failure>,
}

/// The answer against the check's expectation: status, then headers, then
/// the body (contains, regex, JSON pointers).
fn verdict(check: &Declared, seen: &Observation) -> Outcome {
    let (method, path) = (&seen.method, &seen.path);
    let answer = match &seen.answer {
        Ok(a) => a,
        Err(f) => return check.fail(format!("{method} {path} got {f}")),
    };
    let expect = &check.decl.expect;
    let mut out = if let Some(want) = expect.status.filter(|s| *s != answer.status) {
        check.fail(format!(
            "{method} {path} answered {}, not {want}",
            answer.status
        ))
    } else if let Some((k, v)) = expect
        .header
        .iter()
        .find(|(k, v)| !answer.header(k).is_some_and(|h| h.contains(v.as_str())))
    {
        check.fail(format!(
            "the header {k} does not contain {v:?} (it is {:?})",
            answer.header(k).unwrap_or("absent")
        ))
    } else {
        match check.matches(&answer.body_text()) {
            Ok(()) => Outcome::pass(format!(
                "{method} {path}: {} as expected",
                answer.status_line()
            )),
            Err(e) => check.fail(format!(
                "{method} {path} answered {}, but {e}",
                answer.status_line()
            )),
        }
    };
    answer.add_evidence(&mut out, "response");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::declared::declared;
    use crate::check::recorded::{recorded, said};
    use crate::report::Status;

    /// checks/health.toml, with `expect` replaced.
    fn health(expect: &str) -> Declared {
        declared(&format!(
            "[[check]]\nid = \"app.health\"\ntitle = \"The health endpoint reports ok\"\n\
kind = \"http\"\npath = \"/health\"\nfix = \"Read the server's log.\"\n\n[check.expect]\n{expect}\n"
        ))
    }

    /// WIRE.md §1: python-socketio's /health.
    fn py_health() -> Answer {
        recorded(
            "HTTP/1.1 200 OK",
            &[("Content-Type", "application/json; charset=utf-8")],
            r#"{"status":"ok"}"#,
        )
    }

    fn get(answer: Result<Answer, Failure>) -> Observation {
        Observation {
            method: "GET".into(),
            path: "/health".into(),
            answer,
        }
    }

    fn shipped() -> Declared {
        health(
            "status = 200\nheader = { \"content-type\" = \"json\" }\njson = { \"/status\" = \"ok\" }",
        )
    }

    #[test]
    fn everything_as_expected_passes() {
        let out = verdict(&shipped(), &get(Ok(py_health())));
        assert_eq!(
            said(&out),
            (Status::Pass, "GET /health: HTTP/1.1 200 OK as expected")
        );
        assert!(out.fixes.is_empty());
        assert_eq!(out.evidence[0].label, "response");
    }

    #[test]
    fn no_expectation_takes_anything() {
        let out = verdict(&health(""), &get(Ok(py_health())));
        assert_eq!(out.status, Status::Pass);
    }

    /// WIRE.md §1: a path the server does not serve.
    #[test]
    fn another_status_fails_with_the_declared_fix() {
        let not_found = recorded(
            "HTTP/1.1 404 Not Found",
            &[("Content-Type", "text/plain; charset=utf-8")],
            "404: Not Found",
        );
        let out = verdict(&shipped(), &get(Ok(not_found)));
        assert_eq!(
            said(&out),
            (Status::Fail, "GET /health answered 404, not 200")
        );
        assert_eq!(out.fixes[0].title, "The health endpoint reports ok");
        assert_eq!(out.fixes[0].detail, "Read the server's log.");
    }

    /// A single-page app answers every path with its HTML shell.
    #[test]
    fn a_header_without_the_value_fails() {
        let html = recorded(
            "HTTP/1.1 200 OK",
            &[("Content-Type", "text/html")],
            "<!doctype html>",
        );
        let out = verdict(&shipped(), &get(Ok(html)));
        assert_eq!(
            out.summary,
            "the header content-type does not contain \"json\" (it is \"text/html\")"
        );
        let bare = recorded("HTTP/1.1 200 OK", &[], r#"{"status":"ok"}"#);
        let out = verdict(&shipped(), &get(Ok(bare)));
        assert_eq!(
            out.summary,
            "the header content-type does not contain \"json\" (it is \"absent\")"
        );
    }

    /// contains, regex and JSON pointers against python-socketio's /health.
    #[test]
    fn body_expectations() {
        let cases = [
            ("contains = \"ok\"", None),
            ("contains = \"healthy\"", Some("\"healthy\" is not in it")),
            ("regex = 'status.:.ok'", None),
            ("regex = '^ok$'", Some("no match for /^ok$/")),
            ("json = { \"/status\" = \"ok\" }", None),
            (
                "json = { \"/status\" = \"down\" }",
                Some("/status is \"ok\", not \"down\""),
            ),
            ("json = { \"/db\" = \"ok\" }", Some("/db is missing")),
        ];
        for (expect, failure) in cases {
            let out = verdict(&health(expect), &get(Ok(py_health())));
            match failure {
                None => assert_eq!(out.status, Status::Pass, "{expect}: {}", out.summary),
                Some(f) => assert_eq!(
                    out.summary,
                    format!("GET /health answered HTTP/1.1 200 OK, but {f}")
                ),
            }
        }
    }

    #[test]
    fn a_json_expectation_on_a_body_that_is_not_json() {
        let text = recorded("HTTP/1.1 200 OK", &[], "OK");
        let out = verdict(&health("json = { \"/status\" = \"ok\" }"), &get(Ok(text)));
        assert!(
            out.summary
                .starts_with("GET /health answered HTTP/1.1 200 OK, but it is not JSON ("),
            "{}",
            out.summary
        );
    }

    #[test]
    fn no_answer_fails_with_the_declared_fix() {
        let out = verdict(&shipped(), &get(Err(Failure::Refused)));
        assert_eq!(out.summary, "GET /health got connection refused");
        assert_eq!(out.fixes.len(), 1);
        assert!(out.evidence.is_empty());
    }
}
