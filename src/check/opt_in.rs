//! Checks that run only when asked for: they hold connections open for a
//! while (`--soak DUR`). `rtdoctor checks` lists them and `explain` explains
//! them; a run without their option leaves them out of the report, unless
//! `--only` names one by its id, which is then skipped with the reason.

use std::time::Duration;

use crate::report::Outcome;
use crate::settings::ProbeSettings;

/// The option a check waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptIn {
    /// `--soak DUR`: holds its connections for DUR.
    Soak,
}

impl OptIn {
    /// Whether this run asked for it.
    pub fn asked(self, probe: &ProbeSettings) -> bool {
        match self {
            OptIn::Soak => probe.soak.is_some(),
        }
    }

    /// How much longer than the others such a check may take.
    pub fn extra_time(self, probe: &ProbeSettings) -> Duration {
        match self {
            OptIn::Soak => probe.soak.unwrap_or_default(),
        }
    }

    /// The skip of a check named by `--only` without its option.
    pub fn not_asked(self) -> Outcome {
        Outcome::skip(match self {
            OptIn::Soak => "opt-in: --soak DUR holds connections open for DUR and watches them",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soak_is_asked_by_its_duration_and_adds_it() {
        let mut probe = ProbeSettings::new(Duration::from_secs(1), (1, 2));
        assert!(!OptIn::Soak.asked(&probe));
        assert_eq!(OptIn::Soak.extra_time(&probe), Duration::ZERO);
        probe.soak = Some(Duration::from_secs(30));
        assert!(OptIn::Soak.asked(&probe));
        assert_eq!(OptIn::Soak.extra_time(&probe), Duration::from_secs(30));
        assert!(OptIn::Soak.not_asked().summary.contains("--soak DUR"));
    }
}
