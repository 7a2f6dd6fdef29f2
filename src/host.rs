//! Facts about this machine that every check of a run shares: the
//! environment rtdoctor started with and the TCP socket table, read once
//! (and only if a check asks) however many targets and checks there are.

use std::sync::{Arc, OnceLock};

use tokio::sync::OnceCell;

use crate::holders::PortHolders;
use crate::probe::http::Http;
use crate::sockets::{SocketTable, Source};

pub struct Host {
    env: Vec<(String, String)>,
    sockets: OnceCell<Result<Arc<SocketTable>, String>>,
    http: OnceLock<Result<Http, String>>,
}

impl Host {
    pub fn new(env: Vec<(String, String)>) -> Self {
        Host {
            env,
            sockets: OnceCell::new(),
            http: OnceLock::new(),
        }
    }

    pub fn env(&self) -> &[(String, String)] {
        &self.env
    }

    /// The variable, in exactly this case.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.env
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub async fn sockets(&self) -> Result<Arc<SocketTable>, String> {
        let source = self.var("RTDOCTOR_SOCKETS").map(str::to_owned);
        self.sockets
            .get_or_init(|| async move {
                tokio::task::spawn_blocking(move || read_table(source.as_deref()))
                    .await
                    .map_err(|e| format!("reading the socket table crashed: {e}"))?
            })
            .await
            .clone()
    }

    /// The HTTP client every probe of the run shares.
    pub fn http(&self) -> Result<&Http, String> {
        self.http
            .get_or_init(Http::new)
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Listeners of `port` and the processes holding them.
    pub async fn holders(&self, port: u16) -> Result<PortHolders, String> {
        let table = self.sockets().await?;
        tokio::task::spawn_blocking(move || PortHolders::find(&table, port))
            .await
            .map_err(|e| format!("looking up processes crashed: {e}"))
    }
}

/// `RTDOCTOR_SOCKETS=procfs|netlink` forces one source: a troubleshooting
/// knob for kernels whose sock_diag misbehaves, and how tests reach the
/// fallback.
pub fn read_table(source: Option<&str>) -> Result<Arc<SocketTable>, String> {
    let table = match source {
        Some("procfs") => SocketTable::read_from(Source::Procfs),
        Some("netlink") => SocketTable::read_from(Source::Netlink),
        _ => SocketTable::read(),
    };
    table.map(Arc::new).map_err(|e| format!("{e:#}"))
}
