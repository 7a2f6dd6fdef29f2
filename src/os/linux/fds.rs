//! Which process holds which socket, from one pass over every process's
//! fd table (`/proc/PID/fd/*` links of the form `socket:[INODE]`).

use std::io::ErrorKind;
use std::path::Path;

use anyhow::{Context, Result, anyhow};

use crate::os::sockets::SocketOwners;

/// At most this many threads read fd tables: the time goes to the kernel
/// resolving each fd link, which spreads across cores.
const SCAN_THREADS: usize = 4;

/// One pass over `<proc>/[0-9]*/fd/*`, because a per-socket search would
/// rescan every process; the processes are shared out among a few threads.
pub(crate) fn scan_holders(proc_root: &Path) -> Result<SocketOwners> {
    let pids: Vec<u32> = std::fs::read_dir(proc_root)
        .with_context(|| format!("listing {}", proc_root.display()))?
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse().ok())
        .collect();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, SCAN_THREADS)
        .min(pids.len().max(1));
    let parts: Vec<SocketOwners> = if threads == 1 {
        vec![scan_pids(proc_root, pids.iter().copied())]
    } else {
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|k| {
                    let mine = pids.iter().copied().skip(k).step_by(threads);
                    scope.spawn(move || scan_pids(proc_root, mine))
                })
                .collect();
            workers
                .into_iter()
                .map(|w| {
                    w.join()
                        .map_err(|_| anyhow!("a thread scanning fd tables crashed"))
                })
                .collect::<Result<_>>()
        })?
    };
    let mut holders = SocketOwners::default();
    for part in parts {
        holders.unreadable += part.unreadable;
        for (inode, pids) in part.by_inode {
            holders.by_inode.entry(inode).or_default().extend(pids);
        }
    }
    for pids in holders.by_inode.values_mut() {
        pids.sort_unstable();
        pids.dedup();
    }
    Ok(holders)
}

/// The fd tables of `pids` only.
pub(crate) fn scan_some(proc_root: &Path, pids: &[u32]) -> SocketOwners {
    let mut holders = scan_pids(proc_root, pids.iter().copied());
    for held in holders.by_inode.values_mut() {
        held.sort_unstable();
        held.dedup();
    }
    holders
}

fn scan_pids(proc_root: &Path, pids: impl Iterator<Item = u32>) -> SocketOwners {
    let mut holders = SocketOwners::default();
    for pid in pids {
        let fd_dir = proc_root.join(pid.to_string()).join("fd");
        let fds = match std::fs::read_dir(&fd_dir) {
            Ok(fds) => fds,
            Err(err) if err.kind() == ErrorKind::PermissionDenied => {
                holders.unreadable += 1;
                continue;
            }
            // Vanished processes (ENOENT/ESRCH) and zombies are not holders.
            Err(_) => continue,
        };
        for fd in fds.flatten() {
            // The fd may have been closed since the listing; that is not an error.
            let Ok(target) = std::fs::read_link(fd.path()) else {
                continue;
            };
            if let Some(inode) = target.to_str().and_then(socket_inode) {
                holders.by_inode.entry(inode).or_default().push(pid);
            }
        }
    }
    holders
}

/// Parses the `socket:[INODE]` link target the kernel gives socket fds.
fn socket_inode(target: &str) -> Option<u64> {
    target
        .strip_prefix("socket:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_link_targets() {
        assert_eq!(socket_inode("socket:[12345]"), Some(12345));
        assert_eq!(socket_inode("pipe:[12345]"), None);
        assert_eq!(socket_inode("socket:[]"), None);
        assert_eq!(socket_inode("socket:[12"), None);
        assert_eq!(socket_inode("/dev/null"), None);
    }

    #[test]
    fn holders_from_a_fake_proc_tree() -> Result<()> {
        use std::os::unix::fs::symlink;
        let root = tempfile::tempdir()?;
        let p = root.path();
        for (pid, targets) in [
            ("100", &["socket:[7]", "socket:[8]", "/dev/null"][..]),
            ("200", &["socket:[7]", "socket:[7]"][..]),
        ] {
            std::fs::create_dir_all(p.join(pid).join("fd"))?;
            for (fd, target) in targets.iter().enumerate() {
                symlink(target, p.join(pid).join("fd").join(fd.to_string()))?;
            }
        }
        // Not processes: must be ignored.
        std::fs::create_dir_all(p.join("net"))?;
        std::fs::create_dir_all(p.join("300"))?;
        let holders = scan_holders(p)?;
        assert_eq!(holders.by_inode.get(&7), Some(&vec![100, 200]));
        assert_eq!(holders.by_inode.get(&8), Some(&vec![100]));
        assert_eq!(holders.by_inode.len(), 2);
        assert_eq!(holders.unreadable, 0);
        assert!(scan_holders(&p.join("missing")).is_err());
        Ok(())
    }
}
