//! Bounded HTTP requests over reqwest: a fresh TCP connection per request
//! (as a browser behind a load balancer may get; `Http::keep_alive` keeps
//! its connection for the next request), no redirects followed
//! (a redirect is evidence), no proxy (`env.proxy` reports what a proxy
//! would do), at most `BODY_LIMIT` bytes read, one deadline per request.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use reqwest::{Client, Method, RequestBuilder};
use tokio::sync::Notify;
use url::Url;

use super::{BODY_LIMIT, Failure, classify};
use crate::protocol::preview;
use crate::report::Outcome;
use crate::secret::Header;

fn builder(tls: rustls::ClientConfig) -> reqwest::ClientBuilder {
    super::ensure_crypto_provider();
    Client::builder()
        .tls_backend_preconfigured(tls)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .pool_max_idle_per_host(0)
        .http1_only()
        .user_agent(concat!("rtdoctor/", env!("CARGO_PKG_VERSION")))
}

/// A connector layer that notifies once per connection made.
#[derive(Clone)]
struct OnConnect(Arc<Notify>);

impl<S> tower_layer::Layer<S> for OnConnect {
    type Service = Notifying<S>;

    fn layer(&self, inner: S) -> Notifying<S> {
        Notifying {
            inner,
            connected: self.0.clone(),
        }
    }
}

#[derive(Clone)]
struct Notifying<S> {
    inner: S,
    connected: Arc<Notify>,
}

impl<S, R> tower_service::Service<R> for Notifying<S>
where
    S: tower_service::Service<R>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: R) -> Self::Future {
        let (connecting, connected) = (self.inner.call(req), self.connected.clone());
        Box::pin(async move {
            let conn = connecting.await;
            if conn.is_ok() {
                connected.notify_one();
            }
            conn
        })
    }
}

/// What the server answered.
#[derive(Clone, Debug)]
pub struct Answer {
    pub version: String,
    pub status: u16,
    pub reason: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The body was longer than what was kept.
    pub truncated: bool,
    pub elapsed: Duration,
}

/// Headers worth showing as evidence when present.
const SHOWN_HEADERS: &[&str] = &[
    "server",
    "content-type",
    "location",
    "upgrade",
    "connection",
    "via",
    "x-powered-by",
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "sec-websocket-protocol",
    "sec-websocket-extensions",
];

impl Answer {
    pub fn status_line(&self) -> String {
        format!("{} {} {}", self.version, self.status, self.reason)
            .trim_end()
            .to_string()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn server(&self) -> Option<&str> {
        self.header("server")
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn is_html(&self) -> bool {
        let head =
            String::from_utf8_lossy(&self.body[..self.body.len().min(512)]).to_ascii_lowercase();
        self.header("content-type")
            .is_some_and(|c| c.contains("text/html"))
            || head.trim_start().starts_with("<!doctype html")
            || head.trim_start().starts_with("<html")
    }

    /// The one line that says who answered: `HTTP/1.1 502 Bad Gateway from nginx/1.22.1`.
    pub fn who(&self) -> String {
        match self.server() {
            Some(s) => format!("{} (server: {s})", self.status_line()),
            None => self.status_line(),
        }
    }

    /// Status line, the headers that matter, the first bytes of the body.
    pub fn evidence(&self, label: &str) -> Vec<(String, String)> {
        let mut out = vec![(
            label.to_string(),
            format!("{} in {} ms", self.status_line(), self.elapsed.as_millis()),
        )];
        for (k, v) in &self.headers {
            if SHOWN_HEADERS.contains(&k.to_ascii_lowercase().as_str()) {
                out.push((
                    format!("  {}", k.to_ascii_lowercase()),
                    preview(v.as_bytes(), 200),
                ));
            }
        }
        if !self.body.is_empty() {
            let more = if self.truncated { " (cut)" } else { "" };
            out.push((
                "  body".into(),
                format!("{}{more}", preview(&self.body, 300)),
            ));
        }
        out
    }

    pub fn add_evidence(&self, out: &mut Outcome, label: &str) {
        for (k, v) in self.evidence(label) {
            out.push_evidence(k, v);
        }
    }
}

#[derive(Clone)]
pub struct Http {
    client: Client,
}

impl Http {
    /// A client whose TLS is `tls` (trust, `--insecure`; see `probe::tls`).
    pub fn new(tls: rustls::ClientConfig) -> Result<Http, String> {
        Http::build(builder(tls))
    }

    /// A client like `new`'s that keeps its connection open for the next
    /// request, as a browser does: one session's requests, one after the
    /// other, cost a round trip each instead of a new connection's two or
    /// three (TLS). Not shared between checks.
    pub fn keep_alive(tls: rustls::ClientConfig) -> Result<Http, String> {
        Http::build(builder(tls).pool_max_idle_per_host(1))
    }

    /// A client like `keep_alive`'s that signals `connected` each time it
    /// has made a connection (TCP, then TLS for https://): the moment the
    /// server's kernel has queued it, so a server that accepts one
    /// connection at a time will take it before any made later.
    pub fn observed(tls: rustls::ClientConfig, connected: Arc<Notify>) -> Result<Http, String> {
        let kept = builder(tls).pool_max_idle_per_host(1);
        Http::build(kept.connector_layer(OnConnect(connected)))
    }

    fn build(builder: reqwest::ClientBuilder) -> Result<Http, String> {
        let client = builder
            .build()
            .map_err(|e| format!("cannot set up the HTTP client: {e}"))?;
        Ok(Http { client })
    }

    pub async fn get(
        &self,
        url: &Url,
        headers: &[Header],
        timeout: Duration,
    ) -> Result<Answer, Failure> {
        self.send(self.request(Method::GET, url, headers), timeout)
            .await
    }

    pub async fn post(
        &self,
        url: &Url,
        body: String,
        headers: &[Header],
        timeout: Duration,
    ) -> Result<Answer, Failure> {
        let req = self
            .request(Method::POST, url, headers)
            .header("content-type", "text/plain;charset=UTF-8")
            .body(body);
        self.send(req, timeout).await
    }

    pub async fn options(
        &self,
        url: &Url,
        headers: &[Header],
        timeout: Duration,
    ) -> Result<Answer, Failure> {
        self.send(self.request(Method::OPTIONS, url, headers), timeout)
            .await
    }

    /// Every header is sent, repeated names included (reqwest appends).
    fn request(&self, method: Method, url: &Url, headers: &[Header]) -> RequestBuilder {
        let mut req = self.client.request(method, url.clone());
        for h in headers {
            let (name, value) = h.to_http();
            req = req.header(name, value);
        }
        req
    }

    async fn send(&self, req: RequestBuilder, timeout: Duration) -> Result<Answer, Failure> {
        let start = Instant::now();
        let exchange = async {
            let mut resp = req.send().await.map_err(|e| classify(&e))?;
            let status = resp.status();
            let version = format!("{:?}", resp.version());
            let headers = resp
                .headers()
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            let mut body = Vec::new();
            let mut truncated = false;
            loop {
                match resp.chunk().await {
                    Ok(Some(chunk)) => {
                        let room = BODY_LIMIT - body.len();
                        if chunk.len() > room {
                            body.extend_from_slice(&chunk[..room]);
                            truncated = true;
                            break;
                        }
                        body.extend_from_slice(&chunk);
                    }
                    Ok(None) => break,
                    Err(e) => return Err(classify(&e)),
                }
            }
            Ok(Answer {
                version,
                status: status.as_u16(),
                reason: status.canonical_reason().unwrap_or("").to_string(),
                headers,
                body,
                truncated,
                elapsed: start.elapsed(),
            })
        };
        tokio::time::timeout(timeout, exchange)
            .await
            .unwrap_or(Err(Failure::TimedOut(timeout)))
    }
}
