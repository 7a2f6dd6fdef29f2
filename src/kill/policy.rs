//! `kill`'s safety rules: which processes it never signals, which holders
//! it proposes, and the re-check just before a signal that the pid is
//! still the process that was listed and still holds the port.

use crate::holders::{Holder, PortHolders, Role};
use crate::os::{Platform, ProcessInfo};

/// Why a pid must not be signalled, if it must not.
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
    if os.process_group(pid) == Some(family.group) {
        return Some("it is in rtdoctor's own process group");
    }
    None
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
    fn rtdoctor_its_parent_its_group_and_init_are_protected() {
        let os = Fake {
            groups: vec![(950, 899), (951, 951)],
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
            protected(&os, 950),
            Some("it is in rtdoctor's own process group")
        );
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
