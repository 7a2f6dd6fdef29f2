//! `mixed-content`: a page served over https may not open ws:// or http://
//! connections; browsers block them before any packet leaves.

use async_trait::async_trait;

use url::Url;

use super::{Check, Ctx};
use crate::report::{Fix, Outcome};
use crate::target::Target;

pub struct MixedContent;

#[async_trait]
impl Check for MixedContent {
    fn id(&self) -> &str {
        "mixed-content"
    }

    fn title(&self) -> &str {
        "The page may open this connection"
    }

    fn explain(&self) -> &str {
        "Compares the scheme of the page that hosts the client (--page) with the target's. A page \
served over https that opens ws:// or http:// is mixed content: browsers block it, and the \
console says \"Mixed Content: … insecure WebSocket endpoint\" or \"This request has been \
blocked\". Fix: serve the socket over TLS (wss:// / https://), directly or through the proxy \
that already terminates TLS for the page, and use that URL in the client. An https page \
talking to another host is fine for mixed content, but cross-origin: the cors check then \
runs with the page's origin. Without --page there is nothing to compare: skipped."
    }

    async fn run(&self, ctx: &Ctx) -> Outcome {
        verdict(ctx.probe.page.as_ref(), &ctx.target)
    }
}

/// The page that hosts the client (`--page`), if named, and the socket it
/// opens: all there is to observe, as the browser compares them before any
/// packet leaves.
fn verdict(page: Option<&Url>, target: &Target) -> Outcome {
    let Some(page) = page else {
        return Outcome::skip(
            "no --page: name the page that hosts the client to check mixed content",
        );
    };
    let page_origin = page.origin().ascii_serialization();
    let mut target_http = target.url.clone();
    let _ = target_http.set_scheme(if target.scheme.is_tls() {
        "https"
    } else {
        "http"
    });
    let target_origin = target_http.origin().ascii_serialization();
    let cross = page_origin != target_origin;
    let out = if page.scheme() == "https" && !target.scheme.is_tls() {
        let mut secure = target.url.clone();
        let _ = secure.set_scheme(if target.url.scheme() == "ws" {
            "wss"
        } else {
            "https"
        });
        let secure = crate::target::display_url(&secure);
        Outcome::fail(format!(
            "the page is served over https but the socket is {}://: browsers block it as mixed content",
            target.url.scheme()
        ))
        .fix(
            Fix::new(
                format!("Serve the socket over TLS and connect to {secure}"),
                "Terminate TLS for the socket as for the page (often the same proxy: forward /socket.io/ or \
the WebSocket path with the Upgrade headers), and use wss:// / https:// in the client. Socket.IO \
clients pick wss:// themselves when given an https:// URL.",
            )
            .command(format!("rtdoctor check {secure} --page {page}")),
        )
    } else if cross {
        Outcome::pass(format!(
            "a {} page may open {}:// (no mixed content); it is cross-origin ({page_origin} → {target_origin}), so CORS applies",
            page.scheme(),
            target.url.scheme()
        ))
    } else {
        Outcome::pass(format!(
            "a {} page may open {}:// on its own origin",
            page.scheme(),
            target.url.scheme()
        ))
    };
    out.evidence("page", page.as_str())
        .evidence("socket", target.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::recorded::{evidence, said};
    use crate::report::Status;

    fn judge(page: Option<&str>, target: &str) -> Outcome {
        let page = page.map(|p| Url::parse(p).unwrap());
        verdict(page.as_ref(), &Target::parse(target).unwrap())
    }

    #[test]
    fn without_a_page_there_is_nothing_to_compare() {
        let out = judge(None, "ws://localhost:8765/ws");
        assert_eq!(out.status, Status::Skip);
        assert!(out.summary.starts_with("no --page"), "{}", out.summary);
    }

    #[test]
    fn an_https_page_opening_ws_is_blocked_with_the_secure_url_as_fix() {
        let out = judge(Some("https://app.test/chat"), "ws://app.test:8765/ws");
        assert_eq!(
            said(&out),
            (
                Status::Fail,
                "the page is served over https but the socket is ws://: browsers block it as mixed content"
            )
        );
        assert_eq!(
            out.fixes[0].title,
            "Serve the socket over TLS and connect to wss://app.test:8765/ws"
        );
        assert_eq!(
            out.fixes[0].command.as_deref(),
            Some("rtdoctor check wss://app.test:8765/ws --page https://app.test/chat")
        );
        assert_eq!(
            evidence(&out),
            [
                ("page", "https://app.test/chat"),
                ("socket", "ws://app.test:8765/ws")
            ]
        );
        let http = judge(Some("https://app.test/"), "http://app.test:8765");
        assert!(
            http.fixes[0].title.ends_with("https://app.test:8765"),
            "{}",
            http.fixes[0].title
        );
    }

    #[test]
    fn same_origin_and_cross_origin_pass_and_cross_origin_says_cors_applies() {
        let same = judge(Some("https://app.test/"), "wss://app.test/socket");
        assert_eq!(
            said(&same),
            (
                Status::Pass,
                "a https page may open wss:// on its own origin"
            )
        );
        let cross = judge(Some("http://localhost:3000/"), "ws://localhost:8765");
        assert_eq!(cross.status, Status::Pass);
        assert!(
            cross.summary.ends_with(
                "cross-origin (http://localhost:3000 → http://localhost:8765), so CORS applies"
            ),
            "{}",
            cross.summary
        );
    }
}
