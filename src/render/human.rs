//! The human view: one line per check, the fixes for what did not pass, a
//! summary line. `-v` adds every check's evidence; `-q` keeps only what
//! needs attention.

use std::fmt::Write as _;

use super::wrap;
use crate::escape::escape;
use crate::report::{Fix, Report, Status};
use crate::settings::Verbosity;
use crate::style::Style;

const WIDTH: usize = 92;

pub fn human(report: &Report, verbosity: Verbosity, style: Style) -> String {
    let mut out = String::new();
    let id_width = report.checks().map(|c| c.id.len()).max().unwrap_or(0);
    let quiet = verbosity == Verbosity::Quiet;
    for (i, target) in report.targets.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        // Every field may quote a server, a certificate or a process:
        // escaped here, field by field, so only rtdoctor's own line breaks
        // and colours reach the terminal.
        let _ = writeln!(out, "{}", style.bold(&escape(&target.target)));
        for check in &target.checks {
            if quiet && matches!(check.status, Status::Pass | Status::Skip) {
                continue;
            }
            let _ = writeln!(
                out,
                "  {} {:<id_width$}  {}",
                style.mark(check.status),
                escape(&check.id),
                escape(&check.summary)
            );
            if verbosity == Verbosity::Verbose {
                for e in &check.evidence {
                    let _ = writeln!(
                        out,
                        "      {} {}",
                        style.dim(&format!("{}:", escape(&e.label))),
                        escape(&e.value)
                    );
                }
            }
        }
        let needs_fix: Vec<_> = target
            .checks
            .iter()
            .filter(|c| matches!(c.status, Status::Warn | Status::Fail) && !c.fixes.is_empty())
            .collect();
        if !needs_fix.is_empty() {
            let _ = writeln!(out, "\n  {}", style.bold("How to fix"));
            // A cause several checks met (a stuck process) gets its fix
            // once, under the first of them; the JSON keeps each check's.
            let mut shown: Vec<&Fix> = Vec::new();
            for check in needs_fix {
                for fix in &check.fixes {
                    if shown.contains(&fix) {
                        continue;
                    }
                    shown.push(fix);
                    let _ = writeln!(
                        out,
                        "  {} {} — {}",
                        style.mark(check.status),
                        escape(&check.id),
                        style.bold(&escape(&fix.title))
                    );
                    // A fix may quote a certificate's names or a declared
                    // check's file: its line breaks are escaped too.
                    out.push_str(&wrap(&escape(&fix.detail), WIDTH, "      "));
                    if let Some(cmd) = &fix.command {
                        let cmd = escape(cmd);
                        let _ = writeln!(out, "      {}", style.cyan(&format!("$ {cmd}")));
                    }
                }
            }
        }
    }
    let line = report
        .summary
        .line(|status, part| style.status(status, part));
    let _ = writeln!(out, "\n{line} ({} ms)", report.duration_ms);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{CheckResult, Evidence, TargetReport};

    #[test]
    fn a_fix_two_checks_give_is_printed_once_under_the_first() {
        let failed = |id: &str, fixes: &[&str]| CheckResult {
            id: id.into(),
            title: id.into(),
            status: Status::Fail,
            summary: "no answer".into(),
            evidence: vec![],
            fixes: fixes
                .iter()
                .map(|t| Fix::new(*t, "the same words"))
                .collect(),
            duration_ms: 1,
        };
        let report = Report::new(
            "now".into(),
            1,
            vec![TargetReport {
                target: "http://localhost:5000".into(),
                status: Status::Fail,
                checks: vec![
                    failed("http.health", &["If the process is stuck"]),
                    failed(
                        "socketio.handshake",
                        &["If the process is stuck", "Match the path"],
                    ),
                ],
            }],
        );
        let text = human(&report, Verbosity::Normal, Style { color: false });
        assert_eq!(text.matches("If the process is stuck").count(), 1, "{text}");
        assert!(
            text.contains("✗ http.health — If the process is stuck"),
            "{text}"
        );
        assert!(
            text.contains("✗ socketio.handshake — Match the path"),
            "{text}"
        );
    }

    #[test]
    fn every_field_is_escaped() {
        let evil = "a\x1b[2J\r\nb\u{202e}";
        let check = CheckResult {
            id: "socketio.namespace".into(),
            title: "t".into(),
            status: Status::Fail,
            summary: format!("refused: {evil}"),
            evidence: vec![Evidence {
                label: format!("l{evil}"),
                value: format!("v{evil}"),
            }],
            fixes: vec![
                Fix::new(
                    format!("title {evil}"),
                    format!("line one\nline two {evil}"),
                )
                .command(format!("cmd {evil}")),
            ],
            duration_ms: 1,
        };
        let report = Report::new(
            "now".into(),
            1,
            vec![TargetReport {
                target: format!("http://x{evil}"),
                status: Status::Fail,
                checks: vec![check],
            }],
        );
        let text = human(&report, Verbosity::Verbose, Style { color: true });
        let shown = "a\\x1b[2J\\r\\nb\\u{202e}";
        for field in [
            format!("http://x{shown}"),
            format!("refused: {shown}"),
            format!("l{shown}:"),
            format!("v{shown}"),
            format!("title {shown}"),
            format!("      line one\\nline two {shown}"),
            format!("$ cmd {shown}"),
        ] {
            assert!(text.contains(&field), "{field:?} not in:\n{text}");
        }
        // rtdoctor's own colours are all that is left of ESC.
        assert!(!text.contains("\x1b[2J") && !text.contains('\r') && !text.contains('\u{202e}'));
    }
}
