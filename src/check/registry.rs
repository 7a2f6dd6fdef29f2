//! The registry: the built-in checks in catalogue order, and the registry a
//! run uses — those, then the declared checks its settings name. It is
//! built once from the settings and never changed afterwards.

use std::path::Path;
use std::sync::Arc;

use super::{
    Check, cors, declared, dualstack, fd_limit, handshake, health, heartbeat, idle, listen, mixed,
    namespace, net_path, payload, proxy, sticky, time_wait, tls, upgrade, websocket,
};
use crate::error::Error;

/// The checks of one run, in the order reports use.
pub type Registry = Vec<Arc<dyn Check>>;

/// The built-in checks, in catalogue order (the order reports use).
pub fn registry() -> Registry {
    vec![
        Arc::new(listen::PortListen),
        Arc::new(time_wait::TimeWait),
        Arc::new(dualstack::DualStack),
        Arc::new(proxy::EnvProxy),
        Arc::new(fd_limit::FdLimit),
        Arc::new(health::Health),
        Arc::new(handshake::Handshake),
        Arc::new(namespace::Namespace),
        Arc::new(upgrade::Upgrade),
        Arc::new(sticky::Sticky),
        Arc::new(websocket::WebSocket),
        Arc::new(cors::Cors),
        Arc::new(tls::Certificate),
        Arc::new(mixed::MixedContent),
        Arc::new(net_path::NetPath),
        Arc::new(heartbeat::Heartbeat),
        Arc::new(idle::Idle),
        Arc::new(payload::SocketIoPayload),
        Arc::new(payload::WebSocketPayload),
    ]
}

/// The built-in checks, then the declared ones in `dir` (`--checks`, or
/// `checks =` in the config file).
pub fn registry_with(dir: Option<&Path>) -> Result<Registry, Error> {
    let mut checks = registry();
    if let Some(dir) = dir {
        let ids: Vec<&str> = checks.iter().map(|c| c.id()).collect();
        let declared = declared::load_dir(dir, &ids)?;
        checks.extend(declared);
    }
    Ok(checks)
}

/// The words for a pattern that names no check: the ids it begins (`net`
/// → `net.dualstack`), else the nearest ids or groups when one is close
/// enough to be a typo, else that no check matches.
pub fn unknown_check(pattern: &str, ids: &[&str]) -> String {
    let shown = crate::escape::escape(pattern);
    let near = suggestions(pattern, ids);
    let tail = "`rtdoctor checks` lists them";
    if near.is_empty() && pattern.trim().is_empty() {
        format!("an empty check id names no check: {tail}")
    } else if near.is_empty() {
        format!("unknown check id '{shown}': no check matches; {tail}")
    } else {
        let near = crate::suggest::did_you_mean(&near);
        format!("unknown check id '{shown}'{near}: {tail}")
    }
}

/// The ids `pattern` begins, else the ids and groups (`port`) nearest to
/// it, when near enough to be a typo.
fn suggestions(pattern: &str, ids: &[&str]) -> Vec<String> {
    let mut names: Vec<&str> = ids.to_vec();
    names.extend(
        ids.iter()
            .filter_map(|id| id.split_once('.').map(|(g, _)| g)),
    );
    names.sort();
    names.dedup();
    let begun = crate::suggest::nearest(pattern, ids);
    if begun.iter().any(|n| n.starts_with(pattern.trim())) {
        return begun;
    }
    crate::suggest::nearest(pattern, &names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_dotted_lowercase_and_explained() {
        let checks = registry();
        let mut ids: Vec<&str> = checks.iter().map(|c| c.id()).collect();
        for c in &checks {
            assert!(
                c.id()
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch == '.' || ch == '-'),
                "{}",
                c.id()
            );
            assert!(!c.title().is_empty(), "{} has no title", c.id());
            assert!(c.explain().len() > 200, "{} is barely explained", c.id());
            for need in c.needs().iter().chain(c.after()) {
                assert!(ids.contains(need), "{} needs unknown {need}", c.id());
            }
        }
        ids.sort();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "duplicate ids");
    }

    #[test]
    fn waits_have_no_cycles() {
        // The runner waits on needs and after; a cycle would wait forever
        // (until the run's deadline).
        let checks = registry();
        let edges = |id: &str| -> Vec<String> {
            let c = checks.iter().find(|c| c.id() == id).unwrap();
            c.needs()
                .iter()
                .chain(c.after())
                .map(|s| s.to_string())
                .collect()
        };
        for start in checks.iter().map(|c| c.id().to_string()) {
            let mut stack = edges(&start);
            let mut seen = Vec::new();
            while let Some(id) = stack.pop() {
                assert_ne!(id, start, "{start} waits on itself");
                if !seen.contains(&id) {
                    stack.extend(edges(&id));
                    seen.push(id);
                }
            }
        }
    }

    #[test]
    fn unknown_ids_suggest_the_nearest() {
        let msg = unknown_check("port.listn", &["port.listen", "env.proxy"]);
        assert!(msg.contains("did you mean port.listen?"), "{msg}");
        let msg = unknown_check("zzzzzzzzzz", &["port.listen"]);
        assert!(!msg.contains("did you mean"), "{msg}");
        assert!(msg.contains("no check matches"), "{msg}");
    }

    #[test]
    fn a_beginning_suggests_the_ids_it_begins_before_any_near_name() {
        let checks = registry();
        let ids: Vec<&str> = checks.iter().map(|c| c.id()).collect();
        let msg = unknown_check("net", &ids);
        assert!(
            msg.contains("did you mean one of net.dualstack, net.path?"),
            "{msg}"
        );
        let msg = unknown_check("socketio.hand", &ids);
        assert!(msg.contains("did you mean socketio.handshake?"), "{msg}");
        // A short word is not "near" every short id.
        let msg = unknown_check("cor", &ids);
        assert!(msg.contains("did you mean cors?"), "{msg}");
        let msg = unknown_check("http", &ids);
        assert!(msg.contains("did you mean http.health?"), "{msg}");
        for nothing in ["", "  ", "qqq"] {
            let msg = unknown_check(nothing, &ids);
            assert!(!msg.contains("cors"), "{nothing:?}: {msg}");
            assert!(!msg.contains("did you mean"), "{nothing:?}: {msg}");
        }
        // A typo of a group suggests the group; swapped letters are one edit.
        let msg = unknown_check("prot", &ids);
        assert!(msg.contains("did you mean port?"), "{msg}");
        let msg = unknown_check("port.lsiten", &ids);
        assert!(msg.contains("did you mean port.listen?"), "{msg}");
    }
}
