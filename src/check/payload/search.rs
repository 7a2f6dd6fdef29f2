//! The search for the largest message that gets through: sizes tried one
//! after another, each told `Through` or refused, until the largest size
//! through and the smallest refused are within 1 KiB or 5 % of each other,
//! the largest size allowed passes, or the traffic budget is spent. Pure:
//! the probes feed it what happened.

use std::time::Duration;

/// The smallest size tried.
pub const MIN: usize = 1024;
/// The largest size ever tried.
pub const MAX: usize = 16 * 1024 * 1024;
/// The most one probe sends in all (one transport of one endpoint).
pub const BUDGET: u64 = 32 * 1024 * 1024;

/// How one message fared.
#[derive(Clone, Debug, PartialEq)]
pub enum Fate {
    /// Sent, and the session answered the next request.
    Through,
    Refused(Refusal),
}

/// What refused a message.
#[derive(Clone, Debug, PartialEq)]
pub enum Refusal {
    /// The websocket was closed: the close frame's code and reason, or
    /// none (the connection just ended).
    Closed(Option<(u16, String)>),
    /// The POST carrying it was answered with this status; `proxy` names
    /// the proxy whose own error page it is, `server` its Server header.
    Status {
        status: u16,
        proxy: Option<String>,
        server: Option<String>,
        body: String,
    },
    /// The message was taken, then the session was gone: how that showed.
    SessionEnded(String),
    /// No answer within this long.
    Stalled(Duration),
    /// The connection failed otherwise (a reset while sending).
    Failed(String),
}

/// Where a search stands.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Search {
    /// The largest size allowed (twice the advertised limit, at most `MAX`).
    pub cap: usize,
    /// A size to try first: the advertised limit.
    pub guess: Option<usize>,
    /// Each size tried, in order, and how it fared.
    pub tries: Vec<(usize, Fate)>,
    /// Bytes sent in all.
    pub sent: u64,
}

/// Sizes this close together are a found limit.
pub fn close_enough(through: usize, refused: usize) -> bool {
    refused.saturating_sub(through) <= (through / 20).max(MIN)
}

impl Search {
    pub fn new(advertised: Option<u64>) -> Search {
        let guess = advertised
            .and_then(|m| usize::try_from(m).ok())
            .filter(|m| (MIN..=MAX).contains(m));
        Search {
            cap: guess.map_or(MAX, |m| (m * 2).min(MAX)),
            guess,
            tries: Vec::new(),
            sent: 0,
        }
    }

    pub fn record(&mut self, size: usize, fate: Fate) {
        self.sent += size as u64;
        self.tries.push((size, fate));
    }

    /// The largest size that got through.
    pub fn through(&self) -> Option<usize> {
        self.tries
            .iter()
            .filter(|(_, f)| *f == Fate::Through)
            .map(|(s, _)| *s)
            .max()
    }

    /// The smallest size refused, and what refused it.
    pub fn refused(&self) -> Option<(usize, &Refusal)> {
        self.tries
            .iter()
            .filter_map(|(s, f)| match f {
                Fate::Refused(r) => Some((*s, r)),
                Fate::Through => None,
            })
            .min_by_key(|(s, _)| *s)
    }

    /// The next size to try; `None` when the search is over.
    pub fn next(&self) -> Option<usize> {
        let next = self.wanted()?;
        (self.sent + next as u64 <= BUDGET).then_some(next)
    }

    /// Why the search stopped before it found a limit, if it did.
    pub fn cut_short(&self) -> Option<String> {
        let wanted = self.wanted()?;
        Some(format!(
            "stopped before sending {} bytes more: {} bytes sent, the budget is {} MiB",
            wanted,
            self.sent,
            BUDGET / (1024 * 1024)
        ))
    }

    fn wanted(&self) -> Option<usize> {
        let Some((first, _)) = self.tries.first() else {
            return Some(self.guess.unwrap_or(MIN));
        };
        let (through, refused) = (self.through(), self.refused().map(|(s, _)| s));
        match (through, refused) {
            // The advertised limit was refused: one step below it.
            (None, Some(r)) if Some(r) == self.guess && self.tries.len() == 1 => {
                Some(r.saturating_sub((r / 20).max(MIN)).max(MIN))
            }
            (None, Some(r)) if r > MIN => Some(MIN),
            (None, _) => None,
            (Some(t), None) if t >= self.cap => None,
            // The advertised limit got through: one step past it.
            (Some(t), None) if Some(t) == self.guess && t == *first => {
                Some((t + (t / 20).max(MIN)).min(self.cap))
            }
            (Some(t), None) => Some((t * 2).min(self.cap)),
            (Some(t), Some(r)) if close_enough(t, r) || r <= t => None,
            // Far apart: halve the ratio, then the difference.
            (Some(t), Some(r)) if r > t * 4 => Some(((t as f64) * (r as f64)).sqrt() as usize),
            (Some(t), Some(r)) => Some(t + (r - t) / 2),
        }
    }
}

/// A size as a person reads it: `980 B`, `16 KiB`, `97.7 KiB`, `1.5 MiB`.
pub fn size(bytes: usize) -> String {
    let (value, unit) = match bytes {
        b if b < 1024 => return format!("{b} B"),
        b if b < 1024 * 1024 => (b as f64 / 1024.0, "KiB"),
        b => (b as f64 / (1024.0 * 1024.0), "MiB"),
    };
    let text = format!("{value:.1}");
    let text = text.strip_suffix(".0").unwrap_or(&text);
    format!("{text} {unit}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused() -> Fate {
        Fate::Refused(Refusal::Closed(Some((1009, String::new()))))
    }

    /// Runs a search against a server whose limit is `limit` bytes.
    fn against(advertised: Option<u64>, limit: usize) -> Search {
        let mut s = Search::new(advertised);
        while let Some(size) = s.next() {
            s.record(
                size,
                if size <= limit {
                    Fate::Through
                } else {
                    refused()
                },
            );
            assert!(s.tries.len() < 64, "{s:?}");
        }
        s
    }

    #[test]
    fn the_advertised_limit_is_found_in_two_messages() {
        let s = against(Some(1_000_000), 1_000_000);
        assert_eq!(s.tries.len(), 2, "{s:?}");
        assert_eq!(s.through(), Some(1_000_000));
        assert_eq!(s.refused().map(|(n, _)| n), Some(1_050_000));
    }

    #[test]
    fn a_lower_limit_is_bracketed_within_5_percent_or_1_kib() {
        for limit in [16 * 1024, 100_000, 1_500_000] {
            let s = against(Some(1_000_000), limit);
            let (t, r) = (s.through().unwrap(), s.refused().unwrap().0);
            assert!(t <= limit && limit < r, "{limit}: {t}..{r}");
            assert!(close_enough(t, r), "{limit}: {t}..{r}");
            assert!(s.sent <= BUDGET);
        }
    }

    #[test]
    fn without_an_advertised_limit_it_doubles_from_1_kib() {
        let s = against(None, 100_000);
        let (t, r) = (s.through().unwrap(), s.refused().unwrap().0);
        assert!(t <= 100_000 && 100_000 < r, "{t}..{r}");
        assert_eq!(s.tries[0].0, MIN);
        // No limit at all: everything up to 16 MiB, within the budget.
        let s = against(None, usize::MAX);
        assert_eq!(s.through(), Some(MAX));
        assert!(s.refused().is_none() && s.sent <= BUDGET, "{s:?}");
        assert_eq!(s.cut_short(), None);
    }

    #[test]
    fn nothing_through_stops_at_1_kib_and_twice_the_limit_is_the_cap() {
        let s = against(Some(1_000_000), 10);
        assert_eq!(s.through(), None);
        assert_eq!(s.refused().map(|(n, _)| n), Some(MIN));
        let s = against(Some(1_000_000), usize::MAX);
        assert_eq!(s.through(), Some(2_000_000));
        assert!(s.refused().is_none());
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(size(980), "980 B");
        assert_eq!(size(16 * 1024), "16 KiB");
        assert_eq!(size(100_000), "97.7 KiB");
        assert_eq!(size(1_000_000), "976.6 KiB");
        assert_eq!(size(16 * 1024 * 1024), "16 MiB");
    }
}
