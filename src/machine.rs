//! Facts about this machine that every check of a run shares: the
//! environment rtdoctor started with and the TCP socket table, read once
//! (and only if a check asks) however many targets and checks there are,
//! through the platform (`os::Platform`), which tests replace with a fake.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use crate::holders::PortHolders;
use crate::os::{self, Platform, SocketTable, Source};
use crate::probe::http::Http;
use crate::probe::tls;
use crate::settings::ProbeSettings;

/// This machine, as a run asks it (not the target's host name, which is
/// `Target::host`).
pub struct Machine {
    env: Vec<(String, String)>,
    /// What the machine is asked through.
    os: Arc<dyn Platform>,
    /// `RTDOCTOR_SOCKETS`, as resolved: `None` lets the platform choose.
    source: Option<Source>,
    bare: Scan<Result<Arc<SocketTable>, String>>,
    sockets: Scan<Result<Arc<SocketTable>, String>>,
    /// One HTTP client and one WebSocket TLS configuration per distinct
    /// (`cacert`, `insecure`) of the run's targets, built on first use.
    clients: Mutex<Vec<(TlsKey, Result<Clients, String>)>>,
    /// Scans of processes still running: a check cut off at its bound says
    /// so, for the run does not wait for them.
    scans: Arc<AtomicUsize>,
    /// Work checks left running when they were done (closing the sessions
    /// they opened): the run waits for it at its end, within its bound.
    lingering: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

/// Counts one running scan for as long as it lives, on the blocking
/// thread itself: a check that stops waiting does not end the scan.
struct Scanning(Arc<AtomicUsize>);

impl Scanning {
    fn start(scans: &Arc<AtomicUsize>) -> Self {
        scans.fetch_add(1, Ordering::SeqCst);
        Scanning(scans.clone())
    }
}

impl Drop for Scanning {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A blocking scan started at most once per run, whose result is kept
/// even when every check waiting on it was cut off at its bound: a later
/// reader (the bundle, after the run) takes the same scan's answer, or
/// waits for it, instead of starting the same slow scan again.
struct Scan<T> {
    result: std::sync::OnceLock<watch::Receiver<Option<T>>>,
}

impl<T: Clone + Send + Sync + 'static> Scan<T> {
    fn new() -> Self {
        Scan {
            result: std::sync::OnceLock::new(),
        }
    }

    /// The scan's result, starting `work` on the blocking pool if no one
    /// has yet. A scan that crashed is said so.
    async fn get(
        &self,
        scans: &Arc<AtomicUsize>,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, String> {
        let mut result = self
            .result
            .get_or_init(|| {
                let (tx, rx) = watch::channel(None);
                let scanning = Scanning::start(scans);
                tokio::task::spawn_blocking(move || {
                    let _scanning = scanning;
                    let _ = tx.send(Some(work()));
                });
                rx
            })
            .clone();
        let done = result
            .wait_for(Option::is_some)
            .await
            .map_err(|_| "reading the socket table crashed".to_string())?;
        Ok(done.clone().expect("waited for a value"))
    }
}

/// The target settings a TLS client depends on.
type TlsKey = (Option<PathBuf>, bool);

#[derive(Clone)]
struct Clients {
    http: Http,
    ws_tls: Arc<rustls::ClientConfig>,
}

impl Clients {
    fn build(cacert: Option<&std::path::Path>, insecure: bool) -> Result<Clients, String> {
        let config = tls::client_config(cacert, insecure)?;
        Ok(Clients {
            http: Http::new(config.clone())?,
            ws_tls: Arc::new(config),
        })
    }
}

impl Machine {
    /// This machine, as the platform rtdoctor was built for sees it.
    pub fn new(env: Vec<(String, String)>, source: Option<Source>) -> Self {
        Self::with_platform(env, source, os::native())
    }

    /// A machine seen through `os` (a fake, in tests).
    pub fn with_platform(
        env: Vec<(String, String)>,
        source: Option<Source>,
        os: Arc<dyn Platform>,
    ) -> Self {
        Machine {
            env,
            os,
            source,
            bare: Scan::new(),
            sockets: Scan::new(),
            clients: Mutex::new(Vec::new()),
            scans: Arc::default(),
            lingering: Mutex::default(),
        }
    }

    /// Leaves `work` running after the check that started it is done: a
    /// session's close, whose answer nothing waits for. It must be bounded
    /// itself; the run waits for it at its end (`settle`).
    pub fn linger(&self, work: impl Future<Output = ()> + Send + 'static) {
        let task = tokio::spawn(work);
        self.lingering
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(task);
    }

    /// Waits for the work left running (`linger`), until `deadline`; what
    /// is still running then is stopped.
    pub async fn settle(&self, deadline: tokio::time::Instant) {
        loop {
            let next = self
                .lingering
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .pop();
            let Some(mut task) = next else { return };
            if tokio::time::timeout_at(deadline, &mut task).await.is_err() {
                task.abort();
            }
        }
    }

    /// Whether a scan of this machine's sockets or processes is running.
    pub fn scanning(&self) -> bool {
        self.scans.load(Ordering::SeqCst) > 0
    }

    /// Why this platform cannot read its sockets and processes, if it
    /// cannot: the checks that need them skip with these words.
    pub fn unsupported(&self) -> Option<String> {
        self.os.unsupported()
    }

    /// This process's soft and hard open-files limit (`u64::MAX`:
    /// unlimited).
    pub fn nofile_limit(&self) -> Option<(u64, u64)> {
        self.os.nofile_limit()
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

    /// The socket table with the pids holding each socket.
    pub async fn sockets(&self) -> Result<Arc<SocketTable>, String> {
        let bare = self.sockets_bare().await?;
        let os = self.os.clone();
        self.sockets
            .get(&self.scans, move || {
                Ok(Arc::new(
                    bare.as_ref().clone().with_holders(os.socket_owners()),
                ))
            })
            .await?
    }

    /// The socket table read anew, with the sockets `pids` hold (only
    /// theirs: a scan of a few fd tables): what is true only while a
    /// request is in flight (a proxy's own connection to its server).
    pub async fn sockets_now(&self, pids: &[u32]) -> Result<SocketTable, String> {
        let (os, source, pids) = (self.os.clone(), self.source, pids.to_vec());
        let scanning = Scanning::start(&self.scans);
        tokio::task::spawn_blocking(move || {
            let _scanning = scanning;
            Ok(os
                .socket_table(source)?
                .with_holders(os.socket_owners_of(&pids)))
        })
        .await
        .map_err(|e| format!("reading the socket table crashed: {e}"))?
    }

    /// The socket table without pids: ready before every process's fds
    /// are scanned, which is what `sockets` adds.
    pub async fn sockets_bare(&self) -> Result<Arc<SocketTable>, String> {
        let (os, source) = (self.os.clone(), self.source);
        self.bare
            .get(&self.scans, move || os.socket_table(source).map(Arc::new))
            .await?
    }

    /// The HTTP client the probes of targets with these TLS settings
    /// (`cacert`, `insecure`) share. Cheap to clone.
    pub fn http_for(&self, probe: &ProbeSettings) -> Result<Http, String> {
        self.clients_for(probe).map(|c| c.http)
    }

    /// The TLS configuration of WebSocket probes of targets with these TLS
    /// settings: the same trust as `http_for`'s client.
    pub fn ws_tls_for(&self, probe: &ProbeSettings) -> Result<Arc<rustls::ClientConfig>, String> {
        self.clients_for(probe).map(|c| c.ws_tls)
    }

    /// A client of its own, with the same trust as `http_for`'s, that
    /// keeps its connection for the next request (`Http::keep_alive`).
    pub fn keep_alive_http_for(&self, probe: &ProbeSettings) -> Result<Http, String> {
        let tls = self.clients_for(probe)?.ws_tls;
        Http::keep_alive(tls.as_ref().clone())
    }

    /// A client of its own, with the same trust as `http_for`'s, that
    /// keeps its connection for the next request and notifies `connected`
    /// each time it has made a connection (`Http::observed`).
    pub fn observed_http_for(
        &self,
        probe: &ProbeSettings,
        connected: Arc<tokio::sync::Notify>,
    ) -> Result<Http, String> {
        let tls = self.clients_for(probe)?.ws_tls;
        Http::observed(tls.as_ref().clone(), connected)
    }

    fn clients_for(&self, probe: &ProbeSettings) -> Result<Clients, String> {
        let key: TlsKey = (probe.cacert.clone(), probe.insecure);
        // Entries are pushed whole, so a lock poisoned by a panicking
        // check still holds a usable list.
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, found)) = clients.iter().find(|(k, _)| *k == key) {
            return found.clone();
        }
        let built = Clients::build(key.0.as_deref(), key.1);
        clients.push((key, built.clone()));
        built
    }

    /// Listeners of `port` and the processes holding them.
    pub async fn holders(&self, port: u16) -> Result<PortHolders, String> {
        let table = self.sockets().await?;
        let scanning = Scanning::start(&self.scans);
        let os = self.os.clone();
        tokio::task::spawn_blocking(move || {
            let _scanning = scanning;
            PortHolders::find_with(&*os, &table, port)
        })
        .await
        .map_err(|e| format!("looking up processes crashed: {e}"))
    }
}

/// The one reader of `RTDOCTOR_SOCKETS`: where the socket table comes
/// from, or a usage error naming the values it takes.
pub fn socket_source() -> Result<Option<Source>, String> {
    os::socket_source_from_env()
}

/// This machine's socket table with its holders, from `source` (`None`:
/// the platform's first choice, falling back on the next).
pub fn read_table(source: Option<Source>) -> Result<Arc<SocketTable>, String> {
    os::native().socket_table_with_owners(source).map(Arc::new)
}
