//! `system.fd-limit`: every WebSocket or long-poll is one open file; a
//! server at its RLIMIT_NOFILE refuses new clients with EMFILE ("Too many
//! open files") while the old ones keep working.

use std::sync::LazyLock;

use async_trait::async_trait;

use super::{Check, Ctx};
use crate::holders::Holder;
use crate::os::words;
use crate::report::{Fix, Outcome, Status};

const WARN_PERCENT: u64 = 80;
/// Below this soft limit a shell starts servers that cap out at a few
/// hundred connections (macOS's default is 256).
const LOW_SOFT_LIMIT: u64 = 1024;

pub struct FdLimit;

static EXPLAIN: LazyLock<String> = LazyLock::new(|| {
    format!(
        "Reads the soft and hard RLIMIT_NOFILE of this shell (servers started from it \
inherit them) and, for a server on this machine, its open file descriptors \
({fds}) against its own soft limit ({limits}).\n\n\
Causes it tells apart:\n\
- the server uses {WARN_PERCENT}% or more of its limit (warn), or all of it (fail): new connections \
fail with EMFILE 'Too many open files' while existing ones keep working. Fix: raise the \
limit where the server starts (ulimit -n 65536 in its shell, LimitNOFILE=65536 in a \
systemd unit, --ulimit nofile=65536:65536 for docker run), and if the count keeps \
growing, look for leaked sockets (see port.time-wait's CLOSE_WAIT count).\n\
- this shell's soft limit is below {LOW_SOFT_LIMIT}: servers started here serve only a few hundred \
clients. Fix: ulimit -n up to the hard limit.\n\n\
Targets on other machines are skipped: neither their server's numbers nor their limits can \
be seen from here. The server's own numbers need permission to read {entries}: another user's \
server needs sudo.",
        fds = words::FD_TABLE,
        limits = words::FD_LIMITS,
        entries = words::PROCESS_ENTRIES,
    )
});

#[async_trait]
impl Check for FdLimit {
    fn id(&self) -> &str {
        "system.fd-limit"
    }

    fn title(&self) -> &str {
        "File descriptor limits leave room for connections"
    }

    fn needs(&self) -> &[&str] {
        &["port.listen"]
    }

    fn explain(&self) -> &str {
        &EXPLAIN
    }

    async fn run(&self, ctx: &Ctx) -> Outcome {
        if let Some(why) = ctx.machine.unsupported() {
            return Outcome::skip(why);
        }
        // Another machine's server and limits cannot be seen from here:
        // this shell's limit says nothing about them.
        if let Some(skip) = ctx.skip_unless_local().await {
            return skip;
        }
        let own = ctx.machine.nofile_limit();
        let holders: Vec<Holder> = ctx
            .machine
            .holders(ctx.target.port)
            .await
            .map(|h| h.holders)
            .unwrap_or_default();

        let mut worst: Option<(u64, &Holder, u64, u64)> = None;
        let mut evidence = Vec::new();
        for h in &holders {
            match (h.process.open_fds, h.process.fd_limit) {
                (Some(open), Some(limit)) if limit > 0 => {
                    let pct = open * 100 / limit;
                    evidence.push((
                        h.label(),
                        format!("{open} of {limit} file descriptors open ({pct}%)"),
                    ));
                    if worst.is_none_or(|w| pct > w.0) {
                        worst = Some((pct, h, open, limit));
                    }
                }
                _ => evidence.push((
                    h.label(),
                    "open files and limit not readable (another user's process: rerun with sudo)"
                        .into(),
                )),
            }
        }
        if let Some((soft, hard)) = own {
            evidence.push((
                "this shell".into(),
                format!("soft limit {soft}, hard limit {}", show(hard)),
            ));
        }

        let mut out = match worst {
            Some((pct, h, open, limit)) if pct >= WARN_PERCENT => {
                let status = if open >= limit { Status::Fail } else { Status::Warn };
                Outcome::new(
                    status,
                    format!(
                        "{} has {open} of {limit} file descriptors open ({pct}%): new connections \
will fail with EMFILE",
                        h.process.name
                    ),
                )
                .fix(raise_limit(h.process.pid))
            }
            Some((pct, h, open, limit)) => Outcome::pass(format!(
                "{} uses {open} of {limit} file descriptors ({pct}%)",
                h.process.name
            )),
            None => match own {
                Some((soft, _)) if soft < LOW_SOFT_LIMIT => Outcome::warn(format!(
                    "the soft open-files limit here is {soft}: servers started from this shell \
serve at most about {soft} connections"
                ))
                .fix(Fix::new(
                    "Raise the soft limit before starting the server",
                    "ulimit -n raises it up to the hard limit for this shell and what it starts.",
                ).command("ulimit -n 65536")),
                Some((soft, hard)) => Outcome::pass(format!(
                    "soft open-files limit {soft} (hard {})",
                    show(hard)
                )),
                None => Outcome::skip("the open-files limit could not be read"),
            },
        };
        for (label, value) in evidence {
            out.push_evidence(label, value);
        }
        out
    }
}

fn raise_limit(pid: u32) -> Fix {
    Fix::new(
        "Raise the server's open-files limit",
        format!(
            "Start the server with a higher limit: ulimit -n 65536 in its shell, \
LimitNOFILE=65536 in its systemd unit, or --ulimit nofile=65536:65536 for docker run. \
If its count keeps growing, it leaks sockets: look at its CLOSE_WAIT sockets. To watch \
it: {}",
            words::count_fds_command(pid)
        ),
    )
    .command(format!("prlimit --pid {pid} --nofile=65536:65536"))
}

fn show(limit: u64) -> String {
    if limit == u64::MAX {
        "unlimited".into()
    } else {
        limit.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::os::fake::{self, Fake};

    /// A python3 (pid 4242) on port 8000 with `open` of `limit` files,
    /// started from a shell whose limits are `own`.
    async fn run(fds: Option<(u64, u64)>, own: Option<(u64, u64)>) -> Outcome {
        let ctx = Fake {
            sockets: vec![fake::listener("127.0.0.1:8000", 0, &[4242])],
            processes: vec![crate::os::ProcessInfo {
                open_fds: fds.map(|f| f.0),
                fd_limit: fds.map(|f| f.1),
                ..fake::process(4242, 1, "python3")
            }],
            nofile: own,
            ..Fake::default()
        }
        .ctx("localhost:8000");
        FdLimit.run(&ctx).await
    }

    #[tokio::test]
    async fn a_server_at_95_percent_warns_of_emfile() {
        let out = run(Some((973, 1024)), Some((1024, 524_288))).await;
        assert_eq!(out.status, Status::Warn);
        assert_eq!(
            out.summary,
            "python3 has 973 of 1024 file descriptors open (95%): new connections will fail with EMFILE"
        );
        assert_eq!(
            out.fixes[0].command.as_deref(),
            Some("prlimit --pid 4242 --nofile=65536:65536")
        );
        let watch = format!("To watch it: {}", words::count_fds_command(4242));
        assert!(out.fixes[0].detail.ends_with(&watch));
        assert_eq!(out.evidence[0].label, "python3 (pid 4242, user root)");
        assert_eq!(
            out.evidence[0].value,
            "973 of 1024 file descriptors open (95%)"
        );
        assert_eq!(out.evidence[1].value, "soft limit 1024, hard limit 524288");
    }

    #[tokio::test]
    async fn a_server_out_of_descriptors_fails() {
        let out = run(Some((1024, 1024)), Some((1024, 1024))).await;
        assert_eq!(out.status, Status::Fail);
    }

    #[tokio::test]
    async fn a_server_with_room_passes() {
        let out = run(Some((12, 1024)), Some((1024, u64::MAX))).await;
        assert_eq!(out.status, Status::Pass);
        assert_eq!(out.summary, "python3 uses 12 of 1024 file descriptors (1%)");
        assert_eq!(
            out.evidence[1].value,
            "soft limit 1024, hard limit unlimited"
        );
    }

    #[tokio::test]
    async fn another_users_server_and_a_low_shell_limit() {
        let out = run(None, Some((256, 1024))).await;
        let shown = (
            out.status,
            out.summary.as_str(),
            out.evidence[0].value.as_str(),
        );
        assert_eq!(
            shown,
            (
                Status::Warn,
                "the soft open-files limit here is 256: servers started from this shell serve at most about 256 connections",
                "open files and limit not readable (another user's process: rerun with sudo)"
            )
        );
        assert_eq!(out.fixes[0].command.as_deref(), Some("ulimit -n 65536"));
    }

    #[tokio::test]
    async fn no_limit_readable_at_all_skips() {
        let out = run(None, None).await;
        assert_eq!(out.status, Status::Skip);
        assert_eq!(out.summary, "the open-files limit could not be read");
    }
}
