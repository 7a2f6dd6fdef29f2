//! The report: the one value a run produces, and that the human, JSON and
//! JUnit renderers all read. Field names here are the `rtdoctor.report/v1`
//! JSON contract (CONTRACT.md), so renaming one is a breaking change.

use serde::Serialize;

pub const SCHEMA: &str = "rtdoctor.report/v1";

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Skip,
    Warn,
    Fail,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Skip => "skip",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }

    /// The one place that decides whether a status fails the run: every
    /// renderer and the exit code ask this, so they cannot drift apart.
    pub fn is_failure(self, strict: bool) -> bool {
        match self {
            Status::Fail => true,
            Status::Warn => strict,
            Status::Pass | Status::Skip => false,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub label: String,
    pub value: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Fix {
    pub title: String,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
}

impl Fix {
    pub fn new(title: impl Into<String>, detail: impl Into<String>) -> Self {
        Fix {
            title: title.into(),
            detail: detail.into(),
            command: None,
        }
    }

    pub fn command(mut self, command: impl Into<String>) -> Self {
        self.command = Some(command.into());
        self
    }
}

/// What a check found, before the runner stamps it with id, title and time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub status: Status,
    pub summary: String,
    pub evidence: Vec<Evidence>,
    pub fixes: Vec<Fix>,
}

impl Outcome {
    pub fn new(status: Status, summary: impl Into<String>) -> Self {
        Outcome {
            status,
            summary: summary.into(),
            evidence: Vec::new(),
            fixes: Vec::new(),
        }
    }

    pub fn pass(summary: impl Into<String>) -> Self {
        Self::new(Status::Pass, summary)
    }
    pub fn warn(summary: impl Into<String>) -> Self {
        Self::new(Status::Warn, summary)
    }
    pub fn fail(summary: impl Into<String>) -> Self {
        Self::new(Status::Fail, summary)
    }
    pub fn skip(reason: impl Into<String>) -> Self {
        Self::new(Status::Skip, reason)
    }

    pub fn evidence(mut self, label: impl Into<String>, value: impl Into<String>) -> Self {
        self.push_evidence(label, value);
        self
    }

    pub fn push_evidence(&mut self, label: impl Into<String>, value: impl Into<String>) {
        self.evidence.push(Evidence {
            label: label.into(),
            value: value.into(),
        });
    }

    pub fn fix(mut self, fix: Fix) -> Self {
        self.fixes.push(fix);
        self
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct CheckResult {
    pub id: String,
    pub title: String,
    pub status: Status,
    pub summary: String,
    pub evidence: Vec<Evidence>,
    pub fixes: Vec<Fix>,
    pub duration_ms: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct TargetReport {
    pub target: String,
    pub status: Status,
    /// The TCP connect time to a target on another machine, in ms (one
    /// decimal): the round trip every request to it pays.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connect_ms: Option<f64>,
    pub checks: Vec<CheckResult>,
}

/// A connect time as the report gives it: ms with one decimal.
pub fn millis(d: std::time::Duration) -> f64 {
    (d.as_secs_f64() * 10_000.0).round() / 10.0
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub pass: usize,
    pub warn: usize,
    pub fail: usize,
    pub skip: usize,
}

impl Summary {
    /// "3 passed, 1 warning, 0 failed, 2 skipped": the closing line of the
    /// human report and of `--bundle-only`, written here once. `paint`
    /// dresses each part that counts something for the status it counts
    /// (its colour); a zero is left plain: `0 failed` is no alarm.
    pub fn line(&self, paint: impl Fn(Status, &str) -> String) -> String {
        let warnings = if self.warn == 1 {
            "warning"
        } else {
            "warnings"
        };
        [
            (Status::Pass, self.pass, "passed"),
            (Status::Warn, self.warn, warnings),
            (Status::Fail, self.fail, "failed"),
            (Status::Skip, self.skip, "skipped"),
        ]
        .map(|(status, n, what)| {
            let part = format!("{n} {what}");
            if n == 0 { part } else { paint(status, &part) }
        })
        .join(", ")
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub tool: Tool,
    pub started_at: String,
    pub duration_ms: u64,
    pub status: Status,
    pub summary: Summary,
    pub targets: Vec<TargetReport>,
    /// Checks that crashed (`id on target`): each is reported as its own
    /// failure, and the run still ends with exit 3, as rtdoctor broke.
    #[serde(skip)]
    pub crashed: Vec<String>,
}

/// The worst status among checks; skips do not count, so a run whose checks
/// were all skipped is a pass.
pub fn overall<'a>(statuses: impl IntoIterator<Item = &'a Status>) -> Status {
    statuses
        .into_iter()
        .copied()
        .filter(|s| *s != Status::Skip)
        .max()
        .unwrap_or(Status::Pass)
}

impl Report {
    pub fn new(started_at: String, duration_ms: u64, targets: Vec<TargetReport>) -> Self {
        let mut summary = Summary::default();
        for check in targets.iter().flat_map(|t| &t.checks) {
            match check.status {
                Status::Pass => summary.pass += 1,
                Status::Warn => summary.warn += 1,
                Status::Fail => summary.fail += 1,
                Status::Skip => summary.skip += 1,
            }
        }
        Report {
            schema: SCHEMA,
            tool: Tool {
                name: env!("CARGO_PKG_NAME"),
                version: env!("CARGO_PKG_VERSION"),
            },
            started_at,
            duration_ms,
            status: overall(targets.iter().map(|t| &t.status)),
            summary,
            targets,
            crashed: Vec::new(),
        }
    }

    pub fn checks(&self) -> impl Iterator<Item = &CheckResult> {
        self.targets.iter().flat_map(|t| &t.checks)
    }

    /// Hide secrets in every string a renderer will show; how many.
    pub fn redact(&mut self, r: &crate::redact::Redactor) -> usize {
        let mut n = 0;
        let mut fix = |s: &mut String| {
            let (t, k) = r.count(s);
            n += k;
            *s = t;
        };
        for t in &mut self.targets {
            fix(&mut t.target);
            for c in &mut t.checks {
                fix(&mut c.summary);
                for e in &mut c.evidence {
                    fix(&mut e.value);
                }
                for f in &mut c.fixes {
                    fix(&mut f.title);
                    fix(&mut f.detail);
                    if let Some(cmd) = &mut f.command {
                        fix(cmd);
                    }
                }
            }
        }
        n
    }

    /// Did the run fail (exit code 1)?
    pub fn failed(&self, strict: bool) -> bool {
        self.checks().any(|c| c.status.is_failure(strict))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(status: Status) -> CheckResult {
        CheckResult {
            id: "x".into(),
            title: "x".into(),
            status,
            summary: String::new(),
            evidence: vec![],
            fixes: vec![],
            duration_ms: 0,
        }
    }

    #[test]
    fn the_summary_line_counts_each_status_in_one_order() {
        let one = Summary {
            pass: 3,
            warn: 1,
            fail: 0,
            skip: 2,
        };
        assert_eq!(
            one.line(|_, part| part.to_string()),
            "3 passed, 1 warning, 0 failed, 2 skipped"
        );
        let many = Summary { warn: 2, ..one };
        assert_eq!(
            many.line(|status, part| format!("<{}>{part}", status.as_str())),
            "<pass>3 passed, <warn>2 warnings, 0 failed, <skip>2 skipped"
        );
    }

    #[test]
    fn overall_ignores_skips_and_takes_the_worst() {
        assert_eq!(overall(&[Status::Skip, Status::Skip]), Status::Pass);
        assert_eq!(overall(&[Status::Pass, Status::Warn]), Status::Warn);
        assert_eq!(
            overall(&[Status::Fail, Status::Warn, Status::Skip]),
            Status::Fail
        );
    }

    #[test]
    fn warnings_fail_only_when_strict() {
        let target = TargetReport {
            target: "t".into(),
            status: Status::Warn,
            connect_ms: None,
            checks: vec![result(Status::Pass), result(Status::Warn)],
        };
        let report = Report::new("now".into(), 1, vec![target]);
        assert!(!report.failed(false));
        assert!(report.failed(true));
        assert_eq!(
            report.summary,
            Summary {
                pass: 1,
                warn: 1,
                fail: 0,
                skip: 0
            }
        );
    }
}
