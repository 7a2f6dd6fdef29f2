//! The check registry: every check is a value that carries its own id, title
//! and explanation next to its code, so `rtdoctor checks`, `explain`, the man
//! page and the report all read the same source. A failed check is an
//! `Outcome` with status `fail`, never an `Err`.

mod backend;
mod cors;
mod declared;
mod dualstack;
mod fd_limit;
mod fixes;
mod handshake;
mod health;
mod heartbeat;
mod idle;
mod listen;
mod mixed;
mod namespace;
mod net_path;
mod opt_in;
mod payload;
mod proxy;
mod reach;
#[cfg(test)]
pub(crate) mod recorded;
mod registry;
mod sessions;
mod sticky;
mod time_wait;
mod tls;
pub(crate) mod upgrade;
mod websocket;

pub use opt_in::OptIn;
pub use registry::{Registry, registry, registry_with, unknown_check};

use std::net::IpAddr;
use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::OnceCell;

use crate::machine::Machine;
use crate::net;
use crate::probe::Failure;
use crate::probe::eio_version::{self, EioVersion};
use crate::probe::tls::TlsReport;
use crate::report::{CheckResult, Outcome};
use crate::settings::ProbeSettings;
use crate::target::Target;

#[async_trait]
pub trait Check: Send + Sync {
    /// Stable id, part of the contract (`port.listen`).
    fn id(&self) -> &str;
    /// One line for reports and `rtdoctor checks`.
    fn title(&self) -> &str;
    /// What it looks at, the causes it tells apart and their fixes.
    fn explain(&self) -> &str;
    /// Checks whose failure makes this one pointless: when one of them
    /// fails, this check is skipped with that failure as the reason.
    fn needs(&self) -> &[&str] {
        &[]
    }
    /// Checks whose requests must be over (whatever their result) before
    /// this one makes requests that must not share the server with
    /// others': it waits for them itself, at that point, with
    /// `Ctx::after` (the upgrade's pending long-poll). It starts at once
    /// like every check.
    fn after(&self) -> &[&str] {
        &[]
    }
    /// Whether the checks that need another (those that talk to the
    /// target) wait for this one's answer (`fails`, else its result) before
    /// they start, instead of running meanwhile: `port.listen` and
    /// `net.dualstack` on this machine, whose picture of the port (its
    /// accept queue, a connect to each address) their burst of connections
    /// would change. Not the checks that need this one. The default: no.
    async fn holds_back(&self, _ctx: &Ctx) -> bool {
        false
    }
    /// Whether `run` will fail, when that is known before it ends: the
    /// checks that need this one start on this answer instead of waiting
    /// for the whole result. It must agree with `run`'s status. `None`
    /// (the default): they wait for the result.
    async fn fails(&self, _ctx: &Ctx) -> Option<bool> {
        None
    }
    async fn run(&self, ctx: &Ctx) -> Outcome;
    /// The option that must ask for this check (`--soak`, `--payload`); `None` (the
    /// default): it always runs.
    fn opt_in(&self) -> Option<OptIn> {
        None
    }
    /// Whether this check's failure skips the checks that need it (the
    /// default). `tls.certificate` under --insecure fails and lets them go
    /// on, as clients told to ignore the certificate do.
    fn stops_dependents(&self, _ctx: &Ctx, _failed: &CheckResult) -> bool {
        true
    }
    /// Values this check sends that must never be shown (a declared
    /// check's own headers and auth): the redactor hides them everywhere.
    fn secrets(&self) -> Vec<String> {
        Vec::new()
    }
}

/// What a check is given: its target, how to probe it, and the facts about
/// this machine that all checks share (read once per run).
pub struct Ctx {
    pub target: Target,
    pub probe: ProbeSettings,
    pub machine: Arc<Machine>,
    /// A run straight at the server behind the proxy the first run went
    /// through (`backend::split`), whose checks do not split again.
    pub direct: bool,
    addrs: OnceCell<Result<Vec<IpAddr>, String>>,
    engineio: OnceCell<EioVersion>,
    reach: OnceCell<reach::Reach>,
    behind: OnceCell<backend::Behind>,
    tls: OnceCell<Result<TlsReport, Failure>>,
    dialled: OnceCell<dualstack::Dialled>,
    /// The results of this target's checks as they come, and the run's
    /// deadline: what `after` waits on. Set once by the runner.
    finished: std::sync::OnceLock<Finished>,
}

/// Each selected check's result slot, by id, and the run's deadline.
struct Finished {
    slots: Vec<(String, Slot)>,
    deadline: tokio::time::Instant,
}

/// Where a check's result appears when it is done.
pub type Slot = tokio::sync::watch::Receiver<Option<CheckResult>>;

impl Ctx {
    pub fn new(target: Target, probe: ProbeSettings, machine: Arc<Machine>) -> Self {
        Ctx {
            target,
            probe,
            machine,
            direct: false,
            addrs: OnceCell::new(),
            engineio: OnceCell::new(),
            reach: OnceCell::new(),
            behind: OnceCell::new(),
            tls: OnceCell::new(),
            dialled: OnceCell::new(),
            finished: std::sync::OnceLock::new(),
        }
    }

    /// Where the runner puts each selected check's result, and the run's
    /// deadline.
    pub fn finished_by(&self, slots: Vec<(String, Slot)>, deadline: tokio::time::Instant) {
        let _ = self.finished.set(Finished { slots, deadline });
    }

    /// Waits until the checks `ids` of this target are done (those not
    /// run count as done), or the run's time is up. In a run straight at
    /// the server behind a proxy (`backend::split`) there is nothing to
    /// wait for: the first run's checks are over.
    pub async fn after(&self, ids: &[&str]) {
        let Some(finished) = self.finished.get() else {
            return;
        };
        for (_, slot) in finished
            .slots
            .iter()
            .filter(|(id, _)| ids.contains(&id.as_str()))
        {
            let mut slot = slot.clone();
            let waiting = slot.wait_for(Option::is_some);
            let _ = tokio::time::timeout_at(finished.deadline, waiting).await;
        }
    }

    /// The context of a run straight at `target`, the server behind the
    /// proxy a check failed through.
    fn direct(target: Target, probe: ProbeSettings, machine: Arc<Machine>) -> Self {
        Ctx {
            direct: true,
            ..Ctx::new(target, probe, machine)
        }
    }

    /// The server behind the target when it is a proxy: named by
    /// `--backend`, else found on this machine; looked for once per
    /// target, and only when a check that splits failed.
    async fn behind(&self) -> &backend::Behind {
        self.behind.get_or_init(|| backend::find(self)).await
    }

    /// Which Engine.IO version the server speaks, found out once per
    /// target (by `socketio.handshake`, which reports it).
    pub async fn engineio(&self) -> &EioVersion {
        self.engineio
            .get_or_init(|| {
                let http = self.machine.http_for(&self.probe);
                eio_version::discover(&self.target, &self.probe, http)
            })
            .await
    }

    /// The target host's addresses as this machine's resolver (getaddrinfo,
    /// like real clients) returns them, in its order; resolved once.
    pub async fn resolved(&self) -> &Result<Vec<IpAddr>, String> {
        self.addrs
            .get_or_init(|| net::resolve(&self.target.host, self.probe.timeout))
            .await
    }

    /// Whether a TCP connection to the target opens (the name resolved,
    /// every address dialled at once); found out once per target.
    pub async fn reach(&self) -> &reach::Reach {
        self.reach.get_or_init(|| reach::dial(self)).await
    }

    /// Each address a client of the target may dial, and how its connect
    /// ended (`net.dualstack`); dialled once per target.
    async fn dialled(&self) -> &dualstack::Dialled {
        self.dialled.get_or_init(|| dualstack::dial(self)).await
    }

    /// The TLS handshake with the target (https/wss), whatever the
    /// certificate: made once, by `tls.certificate` or `net.path`.
    pub async fn tls(&self) -> &Result<TlsReport, Failure> {
        self.tls
            .get_or_init(|| {
                let (host, port) = (&self.target.host, self.target.port);
                let cacert = self.probe.cacert.as_deref();
                crate::probe::tls::inspect(host, port, host, cacert, self.probe.timeout)
            })
            .await
    }

    /// The TCP connect time to a target on another machine, when this run
    /// connected to it (`port.listen` or `net.path` did): what the report's
    /// header shows. `None` for a target on this machine.
    pub async fn remote_connect(&self) -> Option<std::time::Duration> {
        let reached = self.reach.get()?.as_ref().ok()?;
        (self.is_local().await == Ok(false)).then_some(reached.took)
    }

    /// Does the server run on this machine, so its sockets and process can
    /// be seen? `localhost` always does; other names if they resolve to a
    /// loopback or local interface address.
    pub async fn is_local(&self) -> Result<bool, String> {
        if self.target.is_localhost_name() {
            return Ok(true);
        }
        if let Some(ip) = self.target.ip() {
            return Ok(net::is_local_ip(ip));
        }
        match self.resolved().await {
            Ok(addrs) => Ok(addrs.iter().any(|ip| net::is_local_ip(*ip))),
            Err(e) => Err(e.clone()),
        }
    }

    /// The skip outcome for checks that only apply to servers on this
    /// machine, or `None` when the target is local.
    pub async fn skip_unless_local(&self) -> Option<Outcome> {
        match self.is_local().await {
            Ok(true) => None,
            Ok(false) => Some(Outcome::skip(format!(
                "{} is not this machine: its sockets and processes cannot be seen from here",
                self.target.host
            ))),
            Err(_) => Some(Outcome::skip(format!(
                "skipped because {} does not resolve (see port.listen)",
                self.target.host
            ))),
        }
    }
}
