//! Runs the selected checks of every target at once and assembles one
//! ordered `Report`. Each check is bounded (twice the probe timeout plus a
//! second, and more for the opt-in checks: `--soak`'s DUR, the `--payload`
//! searches); the whole run is bounded too (by as much more), so no server
//! can hang rtdoctor.
//! Every check starts at once. One that needs another runs meanwhile, and
//! its result stands only once it is known that the other does not fail
//! (early, from `Check::fails`, or from its result); when it does, the
//! check is stopped and skipped, with the reason. Across a network this
//! turns a chain of round trips into one: the Socket.IO checks make their
//! own sessions while the handshake is still out. A check whose requests
//! must not share the server with others' (`Check::after`) waits for those
//! itself, at that point (`Ctx::after`).

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use futures_util::FutureExt as _;
use tokio::sync::watch;
use tokio::time::timeout_at;

use crate::check::{Check, Ctx, OptIn, Slot};
use crate::machine::Machine;
use crate::report::{self, CheckResult, Outcome, Report, Status, TargetReport};
use crate::settings::{CheckConfig, ProbeSettings};

/// Whether a check fails, as soon as that is known (`Check::fails`), else
/// from its result: what the checks that need it wait on.
type Gate = watch::Receiver<Option<bool>>;

/// The longest one check may take: an opt-in check (`--soak`,
/// `--payload`) its extra time more, and one that waits for others
/// (`Check::after`) as long as they may take more.
pub fn check_budget(check: &dyn Check, probe: &ProbeSettings) -> Duration {
    let one = probe.timeout * 2 + Duration::from_secs(1);
    let extra = check
        .opt_in()
        .map_or(Duration::ZERO, |o| o.extra_time(probe));
    let waits = if check.after().is_empty() {
        Duration::ZERO
    } else {
        one
    };
    one + extra + waits
}

/// The longest a whole run may take: a chain of checks that wait on each
/// other (the Socket.IO probes share one server, one after another), and
/// the extra time of each opt-in check asked for (`--soak`'s DUR, the
/// `--payload` searches).
pub fn run_budget(probe: &ProbeSettings) -> Duration {
    let extra: Duration = [OptIn::Soak, OptIn::Payload]
        .into_iter()
        .filter(|o| o.asked(probe))
        .map(|o| o.extra_time(probe))
        .sum();
    probe.timeout * 6 + Duration::from_secs(2) + extra
}

/// The checks that run on a target probed with `probe`: those `--only` and
/// `--skip` select, less the opt-in ones its options did not ask for —
/// unless `--only` names one by its id, which then runs to say it was
/// skipped and why.
pub fn selected(
    config: &CheckConfig,
    checks: &[Arc<dyn Check>],
    probe: &ProbeSettings,
) -> Vec<Arc<dyn Check>> {
    checks
        .iter()
        .filter(|c| config.selection.includes(c.id()))
        .filter(|c| match c.opt_in() {
            Some(o) if !o.asked(probe) => config.selection.only.iter().any(|p| p == c.id()),
            _ => true,
        })
        .cloned()
        .collect()
}

/// `on_done` is called as each check finishes (for progress display).
pub async fn run(
    config: &CheckConfig,
    checks: &[Arc<dyn Check>],
    on_done: Arc<dyn Fn() + Send + Sync>,
) -> anyhow::Result<Report> {
    let machine = Arc::new(Machine::new(config.env.clone(), config.sockets));
    run_on(config, checks, machine, on_done).await
}

/// The same, on a `machine` the caller keeps: what its scans found (or are
/// still finding) outlives the run, for the bundle.
pub async fn run_on(
    config: &CheckConfig,
    checks: &[Arc<dyn Check>],
    machine: Arc<Machine>,
    on_done: Arc<dyn Fn() + Send + Sync>,
) -> anyhow::Result<Report> {
    let started_at = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    let start = Instant::now();

    if let Some(wait) = config.wait {
        crate::wait::for_targets(config, &machine, wait).await;
    }
    let start_deadline = tokio::time::Instant::now();
    let max_budget = config
        .targets
        .iter()
        .map(|tc| run_budget(&tc.probe))
        .max()
        .unwrap_or_default();
    let mut pending = Vec::new();
    for tc in &config.targets {
        let ctx = Arc::new(Ctx::new(
            tc.target.clone(),
            tc.probe.clone(),
            machine.clone(),
        ));
        let deadline = tokio::time::Instant::now() + run_budget(&tc.probe);
        let selected = selected(config, checks, &tc.probe);
        let (senders, slots): (Vec<_>, Vec<Slot>) =
            selected.iter().map(|_| watch::channel(None)).unzip();
        let (gate_senders, gates): (Vec<_>, Vec<Gate>) =
            selected.iter().map(|_| watch::channel(None)).unzip();
        let ids = selected.iter().map(|c| c.id().to_string());
        ctx.finished_by(ids.zip(slots.iter().cloned()).collect(), deadline);
        let mut handles = Vec::new();
        for ((check, tx), gate) in selected.iter().zip(senders).zip(gate_senders) {
            let index = |id: &str| selected.iter().position(|c| c.id() == id);
            let needs: Vec<(String, Gate)> = check
                .needs()
                .iter()
                .filter_map(|id| Some((id.to_string(), gates[index(id)?].clone())))
                .collect();
            let mine = ancestors(check.as_ref(), &selected);
            let held: Vec<Held> = held_by(check.as_ref(), &selected)
                .into_iter()
                .map(|i| Held {
                    check: selected[i].clone(),
                    gate: gates[i].clone(),
                    needed: mine.contains(&i),
                })
                .collect();
            let (check, ctx, on_done) = (check.clone(), ctx.clone(), on_done.clone());
            let named = (check.id().to_string(), check.title().to_string());
            let handle = tokio::spawn(async move {
                let (result, crashed) =
                    run_one(check.as_ref(), &ctx, needs, held, &gate, deadline).await;
                let failed = result.status == Status::Fail && check.stops_dependents(&ctx, &result);
                // Unless `Check::fails` answered early.
                gate.send_if_modified(|g| {
                    let unset = g.is_none();
                    if unset {
                        *g = Some(failed);
                    }
                    unset
                });
                tx.send_replace(Some(result.clone()));
                on_done();
                (result, crashed)
            });
            handles.push((named, handle));
        }
        pending.push((ctx, handles));
    }

    let mut targets = Vec::new();
    let mut crashed = Vec::new();
    for (ctx, handles) in pending {
        let target = ctx.target.to_string();
        let mut checks = Vec::new();
        for ((id, title), handle) in handles {
            // A crash outside the check itself (the task was lost) is the
            // same bug to the user: that check's failure, exit 3.
            let (result, broke) = handle.await.unwrap_or_else(|_| {
                let outcome = Outcome::fail(CRASHED);
                (stamp(&id, &title, outcome, Duration::ZERO), true)
            });
            if broke {
                crashed.push(format!("{id} on {target}"));
            }
            checks.push(result);
        }
        targets.push(TargetReport {
            status: report::overall(checks.iter().map(|c| &c.status)),
            connect_ms: ctx.remote_connect().await.map(report::millis),
            target,
            checks,
        });
    }
    // What checks left to finish in the background (sessions being
    // closed), within the run's bound.
    machine.settle(start_deadline + max_budget).await;
    let mut report = Report::new(started_at, start.elapsed().as_millis() as u64, targets);
    report.crashed = crashed;
    Ok(report)
}

/// The summary of a check that panicked; the panic itself is told once on
/// standard error (the panic hook in main.rs).
const CRASHED: &str = "internal error: this check crashed (a bug in rtdoctor); \
the other checks' results stand";

/// A check that may hold another back (`held_by`).
struct Held {
    check: Arc<dyn Check>,
    gate: Gate,
    /// The other needs it, directly or through others.
    needed: bool,
}

/// `held`: the checks that may hold this one back (`held_by`). Those that
/// do (`Check::holds_back`) are waited for before it starts; by one that
/// holds back itself, only those it needs, so that none waits in a circle.
async fn run_one(
    check: &dyn Check,
    ctx: &Ctx,
    needs: Vec<(String, Gate)>,
    held: Vec<Held>,
    gate: &watch::Sender<Option<bool>>,
    deadline: tokio::time::Instant,
) -> (CheckResult, bool) {
    let start = Instant::now();
    let holds = check.holds_back(ctx).await;
    for mut before in held {
        if (before.needed || !holds) && before.check.holds_back(ctx).await {
            let _ = timeout_at(deadline, before.gate.wait_for(Option::is_some)).await;
        }
    }
    let mut crashed = false;
    let not_asked = check
        .opt_in()
        .filter(|o| !o.asked(&ctx.probe))
        .map(|o| o.not_asked());
    let outcome = match not_asked {
        Some(skip) => skip,
        None => match speculate(check, ctx, needs, gate, deadline).await {
            Ran::Skipped(skip) => skip,
            Ran::Done(Ok(outcome)) => outcome,
            Ran::Done(Err(Stopped::Panicked)) => {
                crashed = true;
                Outcome::fail(CRASHED)
            }
            Ran::Done(Err(Stopped::OverBudget)) => Outcome::fail(format!(
                "did not finish within {} ms (the probe timeout is {} ms){}",
                start.elapsed().as_millis(),
                ctx.probe.timeout.as_millis(),
                if ctx.machine.scanning() {
                    "; the scan of this machine's sockets and processes was still running, \
and rtdoctor did not wait for it"
                } else {
                    ""
                }
            )),
        },
    };
    (
        stamp(check.id(), check.title(), outcome, start.elapsed()),
        crashed,
    )
}

/// The indexes in `selected` of the checks that may hold `check` back: for
/// a check that needs another (one that talks to the target), every other
/// check but those that need it, directly or through others; for one that
/// needs none, none.
fn held_by(check: &dyn Check, selected: &[Arc<dyn Check>]) -> Vec<usize> {
    if check.needs().is_empty() {
        return Vec::new();
    }
    (0..selected.len())
        .filter(|&i| selected[i].id() != check.id())
        .filter(|&i| {
            let theirs = ancestors(selected[i].as_ref(), selected);
            !theirs.iter().any(|&a| selected[a].id() == check.id())
        })
        .collect()
}

/// The indexes in `selected` of the checks `check` needs, directly or
/// through others.
fn ancestors(check: &dyn Check, selected: &[Arc<dyn Check>]) -> Vec<usize> {
    let index = |id: &str| selected.iter().position(|c| c.id() == id);
    let mut found: Vec<usize> = Vec::new();
    let mut todo: Vec<usize> = check.needs().iter().filter_map(|id| index(id)).collect();
    while let Some(i) = todo.pop() {
        if !found.contains(&i) {
            found.push(i);
            todo.extend(selected[i].needs().iter().filter_map(|id| index(id)));
        }
    }
    found
}

/// How a check's own work ended, when it did not give an outcome.
enum Stopped {
    Panicked,
    OverBudget,
}

/// What became of a check run while its needs were still open.
enum Ran {
    /// A need failed: the check was stopped (or its result dropped).
    Skipped(Outcome),
    Done(Result<Outcome, Stopped>),
}

/// Runs `check` at once while its needs are settled. Its early answer
/// (`Check::fails`) reaches the gate only once its needs are known not to
/// fail, so what needs it never starts on a result that will be dropped.
async fn speculate(
    check: &dyn Check,
    ctx: &Ctx,
    needs: Vec<(String, Gate)>,
    gate: &watch::Sender<Option<bool>>,
    deadline: tokio::time::Instant,
) -> Ran {
    let budget = (tokio::time::Instant::now() + check_budget(check, &ctx.probe)).min(deadline);
    let (early_tx, mut early) = watch::channel(None);
    let work = async {
        if let Some(fails) = check.fails(ctx).await {
            early_tx.send_replace(Some(fails));
        }
        check.run(ctx).await
    };
    // A panic is this check's failure, not the end of the run.
    let work = async {
        match timeout_at(budget, std::panic::AssertUnwindSafe(work).catch_unwind()).await {
            Ok(Ok(outcome)) => Ok(outcome),
            Ok(Err(_panic)) => Err(Stopped::Panicked),
            Err(_) => Err(Stopped::OverBudget),
        }
    };
    let settled = wait_for_needs(needs, deadline);
    tokio::pin!(work, settled);
    let mut finished = None;
    let skip = loop {
        tokio::select! {
            skip = &mut settled => break skip,
            done = &mut work, if finished.is_none() => finished = Some(done),
        }
    };
    if let Some(skip) = skip {
        return Ran::Skipped(skip);
    }
    if let Some(done) = finished {
        return Ran::Done(done);
    }
    loop {
        if let Some(fails) = *early.borrow_and_update() {
            gate.send_replace(Some(fails));
        }
        tokio::select! {
            done = &mut work => return Ran::Done(done),
            // The sender lives as long as this function: no error.
            _ = early.changed() => {}
        }
    }
}

fn stamp(id: &str, title: &str, outcome: Outcome, took: Duration) -> CheckResult {
    CheckResult {
        id: id.to_string(),
        title: title.to_string(),
        status: outcome.status,
        summary: outcome.summary,
        evidence: outcome.evidence,
        fixes: outcome.fixes,
        duration_ms: took.as_millis() as u64,
    }
}

/// `Some(outcome)` when the check must not run.
async fn wait_for_needs(
    needs: Vec<(String, Gate)>,
    deadline: tokio::time::Instant,
) -> Option<Outcome> {
    for (need, mut gate) in needs {
        let verdict = match timeout_at(deadline, gate.wait_for(Option::is_some)).await {
            Ok(Ok(failed)) => (*failed == Some(true))
                .then(|| Outcome::skip(format!("skipped because {need} failed"))),
            Ok(Err(_)) => Some(Outcome::skip(format!("{need} did not finish"))),
            Err(_) => Some(Outcome::fail(format!(
                "did not start: {need} was still running when the run's time was up"
            ))),
        };
        if verdict.is_some() {
            return verdict;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{Format, Selection, TargetConfig, Verbosity};
    use crate::target::Target;
    use async_trait::async_trait;

    struct Fake {
        id: &'static str,
        needs: &'static [&'static str],
        status: Status,
        delay_ms: u64,
        /// Answers `fails` before its delay.
        early: bool,
        /// When `run` began (tokio's clock).
        started: Arc<std::sync::Mutex<Option<tokio::time::Instant>>>,
    }

    #[async_trait]
    impl Check for Fake {
        fn id(&self) -> &str {
            self.id
        }
        fn title(&self) -> &str {
            self.id
        }
        fn explain(&self) -> &str {
            ""
        }
        fn needs(&self) -> &[&str] {
            self.needs
        }
        async fn fails(&self, _: &Ctx) -> Option<bool> {
            self.early.then_some(self.status == Status::Fail)
        }
        async fn run(&self, _: &Ctx) -> Outcome {
            if self.delay_ms == PANICS {
                panic!("{} broke", self.id);
            }
            *self.started.lock().unwrap() = Some(tokio::time::Instant::now());
            tokio::time::sleep(Duration::from_millis(self.delay_ms)).await;
            Outcome::new(self.status, "done")
        }
    }

    /// A `delay_ms` that makes the fake check panic instead.
    const PANICS: u64 = u64::MAX;

    fn config(timeout: Duration) -> CheckConfig {
        let target = Target::parse("1").unwrap();
        CheckConfig {
            targets: vec![TargetConfig {
                target,
                probe: ProbeSettings::new(timeout, (1, 2)),
            }],
            selection: Selection::default(),
            format: Format::Json,
            output: None,
            strict: false,
            verbosity: Verbosity::Normal,
            color: false,
            progress: false,
            env: vec![],
            bundle: None,
            bundle_only: false,
            sockets: None,
            wait: None,
            discover: None,
        }
    }

    fn fake(
        id: &'static str,
        needs: &'static [&'static str],
        status: Status,
        delay_ms: u64,
    ) -> Arc<dyn Check> {
        Arc::new(Fake {
            id,
            needs,
            status,
            delay_ms,
            early: false,
            started: Arc::default(),
        })
    }

    #[tokio::test(start_paused = true)]
    async fn results_keep_catalogue_order_and_skip_on_failed_needs() {
        let checks = [
            fake("a", &[], Status::Fail, 30),
            fake("b", &["a"], Status::Pass, 0),
            fake("c", &[], Status::Pass, 0),
        ];
        let report = run(&config(Duration::from_secs(1)), &checks, Arc::new(|| {}))
            .await
            .unwrap();
        let got: Vec<(&str, Status)> = report.checks().map(|c| (c.id.as_str(), c.status)).collect();
        assert_eq!(
            got,
            [
                ("a", Status::Fail),
                ("b", Status::Skip),
                ("c", Status::Pass)
            ]
        );
        assert_eq!(
            report.checks().nth(1).unwrap().summary,
            "skipped because a failed"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_early_answer_starts_the_checks_that_need_it() {
        for status in [Status::Pass, Status::Fail] {
            let begin = tokio::time::Instant::now();
            let b = Fake {
                id: "b",
                needs: &["a"],
                status: Status::Pass,
                delay_ms: 0,
                early: false,
                started: Arc::default(),
            };
            let b_started = b.started.clone();
            let a = Fake {
                id: "a",
                needs: &[],
                status,
                delay_ms: 1500,
                early: true,
                started: Arc::default(),
            };
            let checks: [Arc<dyn Check>; 2] = [Arc::new(a), Arc::new(b)];
            let report = run(&config(Duration::from_secs(1)), &checks, Arc::new(|| {}))
                .await
                .unwrap();
            let b = report.checks().nth(1).unwrap();
            if status == Status::Pass {
                // b ran while a was still in its delay.
                let started = b_started.lock().unwrap().expect("b ran");
                assert!(started - begin < Duration::from_millis(1500));
                assert_eq!(b.status, Status::Pass);
            } else {
                // An early "fails" skips it, as a failed result does.
                assert_eq!(
                    (b.status, b.summary.as_str()),
                    (Status::Skip, "skipped because a failed")
                );
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_check_runs_while_its_need_is_out_and_stands_only_if_the_need_does() {
        for (need, want) in [(Status::Pass, Status::Pass), (Status::Fail, Status::Skip)] {
            let begin = tokio::time::Instant::now();
            let b = Fake {
                id: "b",
                needs: &["a"],
                status: Status::Pass,
                delay_ms: 50,
                early: false,
                started: Arc::default(),
            };
            let b_started = b.started.clone();
            let checks: [Arc<dyn Check>; 2] = [fake("a", &[], need, 300), Arc::new(b)];
            let report = run(&config(Duration::from_secs(1)), &checks, Arc::new(|| {}))
                .await
                .unwrap();
            // b began at once, not after a's 300 ms.
            let started = b_started.lock().unwrap().expect("b ran");
            assert_eq!(started, begin);
            let b = report.checks().nth(1).unwrap();
            assert_eq!(b.status, want, "{}", b.summary);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_need_stops_a_check_still_running() {
        let begin = tokio::time::Instant::now();
        let checks = [
            fake("a", &[], Status::Fail, 100),
            fake("b", &["a"], Status::Pass, 3_600_000),
        ];
        let report = run(&config(Duration::from_secs(1)), &checks, Arc::new(|| {}))
            .await
            .unwrap();
        let b = report.checks().nth(1).unwrap();
        assert_eq!(
            (b.status, b.summary.as_str()),
            (Status::Skip, "skipped because a failed")
        );
        // Stopped when a failed, not cut off at its bound: the run was
        // over then (tokio's paused clock).
        assert_eq!(begin.elapsed(), Duration::from_millis(100));
    }

    /// "a", which holds back what needs it, directly or not, until its
    /// answer: its result, after 300 ms.
    struct Holder;

    #[async_trait]
    impl Check for Holder {
        fn id(&self) -> &str {
            "a"
        }
        fn title(&self) -> &str {
            "a"
        }
        fn explain(&self) -> &str {
            ""
        }
        async fn holds_back(&self, _: &Ctx) -> bool {
            true
        }
        async fn run(&self, _: &Ctx) -> Outcome {
            tokio::time::sleep(Duration::from_millis(300)).await;
            Outcome::pass("held")
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_check_that_holds_back_starts_every_check_that_needs_another_only_after_it() {
        let begin = tokio::time::Instant::now();
        let c = Fake {
            id: "c",
            needs: &["b"],
            status: Status::Pass,
            delay_ms: 0,
            early: false,
            started: Arc::default(),
        };
        let c_started = c.started.clone();
        // d needs only z, and talks to the target all the same: it waits
        // for a too; z, which needs nothing, does not.
        let d = Fake {
            id: "d",
            needs: &["z"],
            status: Status::Pass,
            delay_ms: 0,
            early: false,
            started: Arc::default(),
        };
        let d_started = d.started.clone();
        let z = Fake {
            id: "z",
            needs: &[],
            status: Status::Pass,
            delay_ms: 0,
            early: false,
            started: Arc::default(),
        };
        let z_started = z.started.clone();
        let checks: [Arc<dyn Check>; 5] = [
            Arc::new(Holder),
            fake("b", &["a"], Status::Pass, 0),
            Arc::new(c),
            Arc::new(z),
            Arc::new(d),
        ];
        let report = run(&config(Duration::from_secs(1)), &checks, Arc::new(|| {}))
            .await
            .unwrap();
        let started = c_started.lock().unwrap().expect("c ran");
        assert_eq!(started - begin, Duration::from_millis(300));
        let started = d_started.lock().unwrap().expect("d ran");
        assert_eq!(started - begin, Duration::from_millis(300));
        assert_eq!(z_started.lock().unwrap().expect("z ran"), begin);
        assert!(report.checks().all(|c| c.status == Status::Pass));
    }

    /// A check that waits for "a" itself (`Ctx::after`) and says when.
    struct Waiter {
        waited: Arc<std::sync::Mutex<Option<tokio::time::Instant>>>,
    }

    #[async_trait]
    impl Check for Waiter {
        fn id(&self) -> &str {
            "waiter"
        }
        fn title(&self) -> &str {
            "waiter"
        }
        fn explain(&self) -> &str {
            ""
        }
        fn after(&self) -> &[&str] {
            &["a", "not-selected"]
        }
        async fn run(&self, ctx: &Ctx) -> Outcome {
            ctx.after(self.after()).await;
            *self.waited.lock().unwrap() = Some(tokio::time::Instant::now());
            Outcome::pass("waited")
        }
    }

    #[tokio::test(start_paused = true)]
    async fn after_waits_for_the_checks_named_whatever_their_result() {
        let begin = tokio::time::Instant::now();
        let waited = Arc::default();
        let checks: [Arc<dyn Check>; 2] = [
            fake("a", &[], Status::Fail, 300),
            Arc::new(Waiter {
                waited: Arc::clone(&waited),
            }),
        ];
        let report = run(&config(Duration::from_secs(1)), &checks, Arc::new(|| {}))
            .await
            .unwrap();
        let at = waited.lock().unwrap().expect("waiter ran");
        assert_eq!(at - begin, Duration::from_millis(300));
        assert_eq!(report.checks().nth(1).unwrap().status, Status::Pass);
    }

    #[tokio::test(start_paused = true)]
    async fn a_hanging_check_is_cut_off_as_a_failure() {
        let checks = [
            fake("slow", &[], Status::Pass, 3_600_000),
            fake("fast", &[], Status::Pass, 0),
        ];
        let report = run(&config(Duration::from_secs(1)), &checks, Arc::new(|| {}))
            .await
            .unwrap();
        let slow = report.checks().next().unwrap();
        assert_eq!(slow.status, Status::Fail);
        assert!(slow.summary.contains("did not finish"), "{}", slow.summary);
        assert_eq!(report.checks().nth(1).unwrap().status, Status::Pass);
    }

    #[tokio::test(start_paused = true)]
    async fn a_panicking_check_is_its_own_failure_and_the_others_stand() {
        let checks = [
            fake("first", &[], Status::Pass, 10),
            fake("boom", &[], Status::Pass, PANICS),
            fake("after-boom", &["boom"], Status::Pass, 0),
            fake("last", &[], Status::Warn, 20),
        ];
        let report = run(&config(Duration::from_secs(1)), &checks, Arc::new(|| {}))
            .await
            .unwrap();
        let got: Vec<(&str, Status)> = report.checks().map(|c| (c.id.as_str(), c.status)).collect();
        assert_eq!(
            got,
            [
                ("first", Status::Pass),
                ("boom", Status::Fail),
                ("after-boom", Status::Skip),
                ("last", Status::Warn)
            ]
        );
        let boom = report.checks().nth(1).unwrap();
        assert!(
            boom.summary.starts_with("internal error"),
            "{}",
            boom.summary
        );
        assert_eq!(
            report.checks().nth(2).unwrap().summary,
            "skipped because boom failed"
        );
        assert_eq!(report.crashed, ["boom on http://localhost:1"]);
    }

    /// A check that holds its connection for `delay_ms` under `--soak`.
    struct Soaker {
        delay_ms: u64,
    }

    #[async_trait]
    impl Check for Soaker {
        fn id(&self) -> &str {
            "soaker"
        }
        fn title(&self) -> &str {
            "soaker"
        }
        fn explain(&self) -> &str {
            ""
        }
        fn opt_in(&self) -> Option<crate::check::OptIn> {
            Some(crate::check::OptIn::Soak)
        }
        async fn run(&self, _: &Ctx) -> Outcome {
            tokio::time::sleep(Duration::from_millis(self.delay_ms)).await;
            Outcome::pass("held")
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_opt_in_check_is_left_out_unless_asked_and_skipped_when_named_alone() {
        let checks: [Arc<dyn Check>; 2] = [
            fake("a", &[], Status::Pass, 0),
            Arc::new(Soaker { delay_ms: 0 }),
        ];
        let mut config = config(Duration::from_secs(1));
        let report = run(&config, &checks, Arc::new(|| {})).await.unwrap();
        let ids: Vec<&str> = report.checks().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["a"]);

        config.selection.only = vec!["soaker".into()];
        let report = run(&config, &checks, Arc::new(|| {})).await.unwrap();
        let soaker = report.checks().next().unwrap();
        assert_eq!(soaker.status, Status::Skip);
        assert!(soaker.summary.contains("--soak DUR"), "{}", soaker.summary);
    }

    #[tokio::test(start_paused = true)]
    async fn the_soak_lengthens_the_bound_of_its_checks_and_of_the_run() {
        // 1 s timeout: 3 s for a check, 8 s for the run, each 20 s more.
        let checks: [Arc<dyn Check>; 2] = [
            Arc::new(Soaker { delay_ms: 22_000 }),
            fake("slow", &[], Status::Pass, 4_000),
        ];
        let mut config = config(Duration::from_secs(1));
        config.targets[0].probe.soak = Some(Duration::from_secs(20));
        assert_eq!(
            run_budget(&config.targets[0].probe),
            Duration::from_secs(28)
        );
        let report = run(&config, &checks, Arc::new(|| {})).await.unwrap();
        let got: Vec<(&str, Status)> = report.checks().map(|c| (c.id.as_str(), c.status)).collect();
        assert_eq!(got, [("soaker", Status::Pass), ("slow", Status::Fail)]);
    }
}
