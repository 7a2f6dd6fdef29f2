//! `kill`'s safety rules: which processes it never signals, which holders
//! it proposes, and the re-check just before a signal that the pid is
//! still the process that was listed and still holds the port.

use crate::holders::{Holder, PortHolders, Role};
use crate::os::{Platform, ProcessInfo};

/// Why a pid must not be signalled, if it must not. Only ever one pid is
/// signalled, never a process group, so a server that a script started
/// with `&` (in rtdoctor's own process group) may be stopped; what is
/// protected is rtdoctor, the processes it runs under (its parent, the
/// leader of its group, its ancestors: stopping one would stop the script
/// that ran it) and init.
pub fn protected(os: &dyn Platform, pid: u32) -> Option<&'static str> {
    let family = os.family();
    if pid <= 1 {
        return Some("pid 1 (init) is never signalled");
    }
    if pid == family.me {
        return Some("this is rtdoctor itself");
    }
    if pid == family.parent {
        return Some("this is rtdoctor's parent (the shell or script that ran it)");
    }
    if pid == family.group {
        return Some("it leads rtdoctor's own process group (the shell or script that ran it)");
    }
    if ancestors(os, family.parent).contains(&pid) {
        return Some("rtdoctor runs under it: stopping it would stop the script that ran rtdoctor");
    }
    None
}

/// The ancestors of `pid` (itself included), as far as they can be read.
fn ancestors(os: &dyn Platform, pid: u32) -> Vec<u32> {
    // A bound, in case a platform's answers ever made a loop.
    const MAX_DEPTH: usize = 64;
    let mut chain = vec![pid];
    while chain.len() < MAX_DEPTH {
        let last = chain[chain.len() - 1];
        match os.processes(&[last]).first().and_then(|p| p.ppid) {
            Some(up) if up > 1 && !chain.contains(&up) => chain.push(up),
            _ => break,
        }
    }
    chain
}

/// The holders to signal: the masters of a pre-fork server (their workers
/// exit with them, a killed worker is just respawned), else every holder.
pub fn targets(found: &PortHolders) -> Vec<&Holder> {
    if found.holders.iter().any(|h| h.role == Role::Master) {
        found
            .holders
            .iter()
            .filter(|h| h.role == Role::Master)
            .collect()
    } else {
        found.holders.iter().collect()
    }
}

/// What the re-check just before a signal found.
#[derive(Debug, PartialEq, Eq)]
pub enum Recheck {
    Same,
    Gone,
    /// The pid now names another process (reused): never signal it.
    Reused,
    /// Same process, but it no longer holds the port.
    LetGo,
}

/// Compare the process as listed with what the pid is now.
pub fn recheck(listed: &ProcessInfo, now: Option<&ProcessInfo>, holds_port: bool) -> Recheck {
    match now {
        None => Recheck::Gone,
        Some(p) if p.start_time != listed.start_time || p.name != listed.name => Recheck::Reused,
        Some(_) if !holds_port => Recheck::LetGo,
        Some(_) => Recheck::Same,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::os::fake::{self, Fake};

    fn info(pid: u32, start: u64, name: &str) -> ProcessInfo {
        ProcessInfo {
            start_time: Some(start),
            ..fake::process(pid, 1, name)
        }
    }

    #[test]
    fn a_reused_pid_is_never_signalled() {
        let listed = info(4242, 1000, "python3");
        assert_eq!(
            recheck(&listed, Some(&info(4242, 1000, "python3")), true),
            Recheck::Same
        );
        assert_eq!(
            recheck(&listed, Some(&info(4242, 2000, "python3")), true),
            Recheck::Reused
        );
        assert_eq!(
            recheck(&listed, Some(&info(4242, 1000, "bash")), true),
            Recheck::Reused
        );
        assert_eq!(recheck(&listed, None, false), Recheck::Gone);
        assert_eq!(
            recheck(&listed, Some(&info(4242, 1000, "python3")), false),
            Recheck::LetGo
        );
    }

    #[test]
    fn rtdoctor_its_parent_its_group_leader_its_ancestors_and_init_are_protected() {
        let os = Fake {
            family: crate::os::Family {
                me: 900,
                parent: 899,
                group: 890,
            },
            processes: vec![
                fake::process(899, 880, "sh"),
                fake::process(880, 870, "make"),
                fake::process(870, 1, "bash"),
            ],
            groups: vec![(950, 890), (951, 951)],
            ..Fake::default()
        };
        assert_eq!(protected(&os, 0), Some("pid 1 (init) is never signalled"));
        assert_eq!(protected(&os, 1), Some("pid 1 (init) is never signalled"));
        assert_eq!(protected(&os, 900), Some("this is rtdoctor itself"));
        assert_eq!(
            protected(&os, 899),
            Some("this is rtdoctor's parent (the shell or script that ran it)")
        );
        assert_eq!(
            protected(&os, 890),
            Some("it leads rtdoctor's own process group (the shell or script that ran it)")
        );
        for ancestor in [880, 870] {
            assert_eq!(
                protected(&os, ancestor),
                Some("rtdoctor runs under it: stopping it would stop the script that ran rtdoctor")
            );
        }
    }

    #[test]
    fn a_server_a_script_started_in_rtdoctors_own_group_may_be_signalled() {
        // `python3 server.py & rtdoctor kill --yes 8000`: the server is in
        // rtdoctor's process group, and only its own pid is signalled.
        let os = Fake {
            processes: vec![fake::process(950, 899, "python3")],
            groups: vec![(950, 899), (951, 951)],
            ..Fake::default()
        };
        assert_eq!(os.process_group(950), Some(os.family().group));
        assert_eq!(protected(&os, 950), None, "rtdoctor's own group");
        assert_eq!(protected(&os, 951), None, "another group");
        assert_eq!(protected(&os, 4242), None, "a group that cannot be read");
    }

    #[test]
    fn this_process_and_its_parent_are_protected_on_this_machine() {
        let os = crate::os::native();
        let family = os.family();
        assert!(protected(&*os, 1).is_some());
        assert!(protected(&*os, family.me).is_some());
        assert!(protected(&*os, family.parent).is_some());
    }
}
