//! Checks that run only when asked for: they send traffic on purpose
//! (`--payload`). `rtdoctor checks` lists them and `explain` explains them;
//! a run without their option leaves them out of the report, unless
//! `--only` names one by its id, which is then skipped with the reason.

use std::time::Duration;

use crate::report::Outcome;
use crate::settings::ProbeSettings;

/// The option a check waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptIn {
    /// `--payload`: sends messages of growing size.
    Payload,
}

impl OptIn {
    /// Whether this run asked for it.
    pub fn asked(self, probe: &ProbeSettings) -> bool {
        match self {
            OptIn::Payload => probe.payload,
        }
    }

    /// How much longer than the others such a check may take.
    pub fn extra_time(self, probe: &ProbeSettings) -> Duration {
        match self {
            OptIn::Payload => crate::check::payload::extra_time(probe),
        }
    }

    /// The skip of a check named by `--only` without its option.
    pub fn not_asked(self) -> Outcome {
        Outcome::skip(match self {
            OptIn::Payload => "opt-in: --payload sends messages up to 16 MiB to find the limit",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_is_asked_by_its_flag_and_takes_longer() {
        let mut probe = ProbeSettings::new(Duration::from_secs(1), (1, 2));
        assert!(!OptIn::Payload.asked(&probe));
        probe.payload = true;
        assert!(OptIn::Payload.asked(&probe));
        assert!(OptIn::Payload.extra_time(&probe) > Duration::ZERO);
        assert!(OptIn::Payload.not_asked().summary.contains("--payload"));
    }
}
