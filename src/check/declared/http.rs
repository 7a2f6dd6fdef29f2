//! The `http` kind: one request (GET, POST or OPTIONS) to a path, and the
//! answer's status, headers and body against the expectation.

use std::time::Duration;

use super::Declared;
use super::load::{Decl, expectations};
use crate::check::Ctx;
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
        let http = match ctx.host.http_for(&ctx.probe) {
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
        let answer = match answer {
            Ok(a) => a,
            Err(f) => return self.fail(format!("{method} {} got {f}", url.path())),
        };
        let mut out = if let Some(want) = self.decl.expect.status.filter(|s| *s != answer.status) {
            self.fail(format!(
                "{method} {} answered {}, not {want}",
                url.path(),
                answer.status
            ))
        } else if let Some((k, v)) = self
            .decl
            .expect
            .header
            .iter()
            .find(|(k, v)| !answer.header(k).is_some_and(|h| h.contains(v.as_str())))
        {
            self.fail(format!(
                "the header {k} does not contain {v:?} (it is {:?})",
                answer.header(k).unwrap_or("absent")
            ))
        } else {
            match self.matches(&answer.body_text()) {
                Ok(()) => Outcome::pass(format!(
                    "{method} {}: {} as expected",
                    url.path(),
                    answer.status_line()
                )),
                Err(e) => self.fail(format!(
                    "{method} {} answered {}, but {e}",
                    url.path(),
                    answer.status_line()
                )),
            }
        };
        answer.add_evidence(&mut out, "response");
        out
    }
}
