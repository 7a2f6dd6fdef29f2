//! Facts about the few processes that hold a socket of interest: identity,
//! owner, age, memory and file-descriptor headroom (sysinfo, /proc/PID/fd
//! and /proc/PID/limits); this process's own limit; liveness.

use std::collections::HashSet;
use std::path::Path;

use nix::sys::resource::{Resource, getrlimit};
use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System, UpdateKind, Users};

use crate::os::ProcessInfo;

/// Refreshes only `pids` (a full process scan costs far more than the few holders we report).
/// Results follow the order of `pids`, first occurrence only; a pid that no longer exists, or
/// that sysinfo cannot read at all, is absent.
pub fn lookup(pids: &[u32]) -> Vec<ProcessInfo> {
    let mut seen = HashSet::new();
    let wanted: Vec<u32> = pids.iter().copied().filter(|p| seen.insert(*p)).collect();
    if wanted.is_empty() {
        return Vec::new();
    }
    // System::new() cannot fail on Linux (its Err is for unsupported platforms).
    let Ok(mut system) = System::new() else {
        return Vec::new();
    };
    let sys_pids: Vec<Pid> = wanted.iter().copied().map(Pid::from_u32).collect();
    system.refresh_processes_specifics(
        ProcessesToUpdate::Some(&sys_pids),
        true,
        ProcessRefreshKind::nothing()
            .with_memory()
            .with_user(UpdateKind::OnlyIfNotSet)
            .with_cmd(UpdateKind::OnlyIfNotSet)
            .without_tasks(),
    );
    let users = Users::new_with_refreshed_list().ok();
    // sysinfo's list drops accounts whose shell ends in /false or whose uid is >= 65536, which
    // includes many service accounts, so /etc/passwd is consulted for those.
    let passwd = std::cell::OnceCell::new();

    wanted
        .into_iter()
        .filter_map(|pid| {
            let p = system.process(Pid::from_u32(pid))?;
            let uid = p.user_id().map(|u| **u);
            let user = uid.and_then(|uid| {
                users
                    .as_ref()
                    .and_then(|us| us.iter().find(|u| **u.id() == uid))
                    .map(|u| u.name().to_string())
                    .or_else(|| {
                        let text = passwd.get_or_init(|| {
                            std::fs::read_to_string("/etc/passwd").unwrap_or_default()
                        });
                        passwd_name(text, uid)
                    })
            });
            let proc_dir = Path::new("/proc").join(pid.to_string());
            Some(ProcessInfo {
                pid,
                ppid: p.parent().map(Pid::as_u32),
                name: p.name().to_string_lossy().into_owned(),
                // Read already redacted: a command line is only ever shown,
                // and its secrets (`--requirepass x`) must reach no report,
                // table or bundle.
                cmdline: crate::redact::command_args(
                    p.cmd()
                        .iter()
                        .map(|a| a.to_string_lossy().into_owned())
                        .collect(),
                ),
                uid,
                user,
                // sysinfo reports 0 when it could not compute the start time.
                start_time: Some(p.start_time()).filter(|&t| t != 0),
                memory_bytes: Some(p.memory()),
                open_fds: count_fds(&proc_dir),
                fd_limit: std::fs::read_to_string(proc_dir.join("limits"))
                    .ok()
                    .and_then(|t| parse_limits_nofile(&t)),
            })
        })
        .collect()
}

fn count_fds(proc_dir: &Path) -> Option<u64> {
    let entries = std::fs::read_dir(proc_dir.join("fd")).ok()?;
    u64::try_from(entries.count()).ok()
}

/// The soft limit from the "Max open files" row of a /proc/PID/limits text.
pub fn parse_limits_nofile(text: &str) -> Option<u64> {
    let rest = text
        .lines()
        .find_map(|line| line.strip_prefix("Max open files"))?;
    rest.split_whitespace().next()?.parse().ok()
}

/// The soft and hard RLIMIT_NOFILE of this process; RLIM_INFINITY is reported as u64::MAX.
pub fn own_nofile_limit() -> Option<(u64, u64)> {
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).ok()?;
    let unlimited = |n: libc::rlim_t| {
        if n == libc::RLIM_INFINITY {
            u64::MAX
        } else {
            n
        }
    };
    Some((unlimited(soft), unlimited(hard)))
}

/// Alive and not a zombie (a zombie's sockets are already closed): the
/// state letter after the command name in /proc/PID/stat.
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.trim_start().chars().next())
            .is_some_and(|state| state != 'Z' && state != 'X'),
        Err(_) => false,
    }
}

/// Name of `uid` in an /etc/passwd text (`name:x:uid:gid:...`).
fn passwd_name(passwd: &str, uid: u32) -> Option<String> {
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let line_uid: u32 = fields.nth(1)?.parse().ok()?;
        (line_uid == uid && !name.is_empty()).then(|| name.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: &str =
        "Limit                     Soft Limit           Hard Limit           Units     
Max cpu time              unlimited            unlimited            seconds   
Max processes             127431               127431               processes 
Max open files            1024                 524288               files     
Max locked memory         8388608              8388608              bytes     
";

    #[test]
    fn limits_soft_nofile() {
        assert_eq!(parse_limits_nofile(LIMITS), Some(1024));
        assert_eq!(
            parse_limits_nofile("Max open files  1024  524288  files"),
            Some(1024)
        );
        assert_eq!(
            parse_limits_nofile("Max open files unlimited unlimited files"),
            None
        );
        assert_eq!(parse_limits_nofile("Max processes 10 10 processes"), None);
        assert_eq!(parse_limits_nofile("Max open files"), None);
        assert_eq!(parse_limits_nofile(""), None);
    }

    #[test]
    fn passwd_lookup() {
        let text = "root:x:0:0:root:/root:/bin/bash\nbroken\nredis:x:105:110::/var/lib/redis:/bin/false\n:x:7:7::/:/bin/sh\n";
        assert_eq!(passwd_name(text, 0).as_deref(), Some("root"));
        assert_eq!(passwd_name(text, 105).as_deref(), Some("redis"));
        assert_eq!(passwd_name(text, 7), None);
        assert_eq!(passwd_name(text, 4242), None);
    }

    #[test]
    fn own_limit_is_sane() {
        let Some((soft, hard)) = own_nofile_limit() else {
            panic!("getrlimit(RLIMIT_NOFILE) failed");
        };
        assert!(soft > 0 && soft <= hard);
    }

    #[test]
    fn lookup_of_this_process() {
        let me = std::process::id();
        let infos = lookup(&[me, me, u32::MAX]);
        assert_eq!(
            infos.len(),
            1,
            "duplicates and a nonexistent pid are dropped"
        );
        let info = &infos[0];
        assert_eq!(info.pid, me);
        assert!(!info.name.is_empty());
        assert!(!info.cmdline.is_empty());
        assert_eq!(info.uid, Some(nix::unistd::getuid().as_raw()));
        assert!(info.user.is_some());
        assert!(info.ppid.is_some());
        let Some(start) = info.start_time else {
            panic!("no start time: {info:?}");
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        assert!(
            start <= now + 1 && start + 3600 > now,
            "start {start}, now {now}"
        );
        assert!(info.memory_bytes.is_some_and(|m| m > 0));
        assert!(info.open_fds.is_some_and(|n| n >= 3));
        assert_eq!(info.fd_limit, own_nofile_limit().map(|(soft, _)| soft));
        assert!(lookup(&[]).is_empty());
    }
}
