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
- the server uses 80% or more of its limit (warn), or all of it (fail): new connections \
fail with EMFILE 'Too many open files' while existing ones keep working. Fix: raise the \
limit where the server starts (ulimit -n 65536 in its shell, LimitNOFILE=65536 in a \
systemd unit, --ulimit nofile=65536:65536 for docker run), and if the count keeps \
growing, look for leaked sockets (see port.time-wait's CLOSE_WAIT count).\n\
- this shell's soft limit is below 1024: servers started here serve only a few hundred \
clients. Fix: ulimit -n up to the hard limit.\n\n\
The server's own numbers need permission to read {entries}: another user's \
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
        if let Some(why) = ctx.host.unsupported() {
            return Outcome::skip(why);
        }
        let own = ctx.host.nofile_limit();
        let local = ctx.is_local().await == Ok(true);
        let holders: Vec<Holder> = if local {
            ctx.host
                .holders(ctx.target.port)
                .await
                .map(|h| h.holders)
                .unwrap_or_default()
        } else {
            Vec::new()
        };

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
                    "soft open-files limit {soft} (hard {}){}",
                    show(hard),
                    if local { "" } else { "; the server's own limit cannot be seen from here" }
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
