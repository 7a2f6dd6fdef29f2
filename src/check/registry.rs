//! The registry: the built-in checks in catalogue order, and the registry a
//! run uses — those, then the declared checks its settings name. It is
//! built once from the settings and never changed afterwards.

use std::path::Path;
use std::sync::Arc;

use super::{
    Check, cors, declared, dualstack, fd_limit, handshake, health, listen, mixed, namespace, proxy,
    sticky, time_wait, tls, upgrade, websocket,
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

/// The words for a pattern that names no check, with the nearest id when
/// one is close enough to be a typo.
pub fn unknown_check(pattern: &str, ids: &[&str]) -> String {
    let nearest = ids
        .iter()
        .map(|id| (edit_distance(pattern, id), *id))
        .min()
        .filter(|(d, _)| *d <= 4)
        .map(|(_, id)| format!(" (did you mean {id}?)"))
        .unwrap_or_default();
    format!("unknown check id '{pattern}'{nearest}: `rtdoctor checks` lists them")
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
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
    }
}
