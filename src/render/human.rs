//! The human view: one line per check, the fixes for what did not pass, a
//! summary line. `-v` adds every check's evidence; `-q` keeps only what
//! needs attention.

use std::fmt::Write as _;

use super::fill;
use crate::escape::escape;
use crate::report::{Fix, Report, Status, TargetReport};
use crate::settings::Verbosity;
use crate::style::Style;

/// Where a fix's detail and its command start, and where a wrapped fix
/// title or evidence value continues.
const INDENT: usize = 6;

pub fn human(report: &Report, verbosity: Verbosity, style: Style) -> String {
    // Every field may quote a server, a certificate or a process: escaped
    // here, field by field, so only rtdoctor's own line breaks and colours
    // reach the terminal; and shown as the locale can show it.
    let shown = |s: &str| style.text(&escape(s)).into_owned();
    let width = |s: &str| s.chars().count();
    let mut out = String::new();
    let id_width = report
        .checks()
        .map(|c| width(&shown(&c.id)))
        .max()
        .unwrap_or(0);
    let quiet = verbosity == Verbosity::Quiet;
    let indent = " ".repeat(INDENT);
    for (i, target) in report.targets.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "{}", header(target, style, &shown));
        for check in &target.checks {
            if quiet && matches!(check.status, Status::Pass | Status::Skip) {
                continue;
            }
            // `  ✓ port.listen     summary`, the summary hanging under itself.
            let lead = format!(
                "  {} {:<id_width$}  ",
                style.mark(check.status),
                shown(&check.id)
            );
            let lead_width = 2 + style.mark_width() + 1 + id_width + 2;
            out.push_str(&fill(
                &lead,
                lead_width,
                &shown(&check.summary),
                style.width,
                lead_width,
            ));
            if verbosity == Verbosity::Verbose {
                for e in &check.evidence {
                    let label = format!("{}:", shown(&e.label));
                    let lead = format!("{indent}{} ", style.dim(&label));
                    let lead_width = INDENT + width(&label) + 1;
                    out.push_str(&fill(
                        &lead,
                        lead_width,
                        &shown(&e.value),
                        style.width,
                        INDENT + 2,
                    ));
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
            let mut given: Vec<&Fix> = Vec::new();
            for check in needs_fix {
                let id = shown(&check.id);
                let lead = format!("  {} {id} {} ", style.mark(check.status), style.text("—"));
                let lead_width = 2 + style.mark_width() + 1 + width(&id) + 3;
                for fix in &check.fixes {
                    if given.contains(&fix) {
                        continue;
                    }
                    given.push(fix);
                    let title = fill("", lead_width, &shown(&fix.title), style.width, INDENT);
                    // A title whose first word does not fit after the lead
                    // starts on the next line: no space left at the end.
                    let title = title.trim_end();
                    let lead = if title.starts_with('\n') {
                        lead.trim_end()
                    } else {
                        &lead
                    };
                    let _ = writeln!(out, "{lead}{}", style.bold(title));
                    // A fix may quote a certificate's names or a declared
                    // check's file: its line breaks are escaped too.
                    out.push_str(&fill(
                        &indent,
                        INDENT,
                        &shown(&fix.detail),
                        style.width,
                        INDENT,
                    ));
                    if let Some(cmd) = &fix.command {
                        // Whole, to be copied.
                        let cmd = shown(cmd);
                        let _ = writeln!(out, "{indent}{}", style.cyan(&format!("$ {cmd}")));
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

/// The target's line: its URL, and for a target on another machine the
/// TCP connect time (the round trip every request pays).
fn header(target: &TargetReport, style: Style, shown: &dyn Fn(&str) -> String) -> String {
    let url = style.bold(&shown(&target.target));
    match target.connect_ms {
        Some(ms) => format!("{url}  {}", style.dim(&format!("(TCP connect {ms:.1} ms)"))),
        None => url,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{CheckResult, Evidence};

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
                connect_ms: None,
                checks: vec![
                    failed("http.health", &["If the process is stuck"]),
                    failed(
                        "socketio.handshake",
                        &["If the process is stuck", "Match the path"],
                    ),
                ],
            }],
        );
        let text = human(&report, Verbosity::Normal, Style::plain());
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

    /// A report of one target whose one check failed.
    fn one_failure(
        target: String,
        id: &str,
        summary: String,
        evidence: Vec<Evidence>,
        fixes: Vec<Fix>,
    ) -> Report {
        let check = CheckResult {
            id: id.into(),
            title: "t".into(),
            status: Status::Fail,
            summary,
            evidence,
            fixes,
            duration_ms: 1,
        };
        let target = TargetReport {
            target,
            status: Status::Fail,
            connect_ms: None,
            checks: vec![check],
        };
        Report::new("now".into(), 1, vec![target])
    }

    #[test]
    fn a_remote_targets_header_shows_its_connect_time_and_a_local_one_does_not() {
        let mut report = one_failure(
            "https://api.example.com".into(),
            "net.path",
            "nginx in front".into(),
            vec![],
            vec![],
        );
        let text = human(&report, Verbosity::Normal, Style::plain());
        assert_eq!(text.lines().next(), Some("https://api.example.com"));
        report.targets[0].connect_ms = Some(23.4);
        let text = human(&report, Verbosity::Normal, Style::plain());
        assert_eq!(
            text.lines().next(),
            Some("https://api.example.com  (TCP connect 23.4 ms)")
        );
        let json = crate::render::json(&report);
        assert!(json.contains("\"connect_ms\": 23.4"), "{json}");
    }

    #[test]
    fn every_field_is_escaped() {
        let evil = "a\x1b[2J\r\nb\u{202e}";
        let report = one_failure(
            format!("http://x{evil}"),
            "socketio.namespace",
            format!("refused: {evil}"),
            vec![Evidence {
                label: format!("l{evil}"),
                value: format!("v{evil}"),
            }],
            vec![
                Fix::new(
                    format!("title {evil}"),
                    format!("line one\nline two {evil}"),
                )
                .command(format!("cmd {evil}")),
            ],
        );
        let style = Style {
            color: true,
            ..Style::plain()
        };
        let text = human(&report, Verbosity::Verbose, style);
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

    #[test]
    fn summaries_and_fixes_wrap_to_the_width_with_hanging_indents_and_not_without_one() {
        let words = "a summary long enough to need three lines at forty columns wide";
        let report = one_failure(
            "http://localhost:1".into(),
            "port.listen",
            words.into(),
            vec![],
            vec![Fix::new("Start the server", words).command("rtdoctor ports")],
        );
        let at = |width| Style {
            width,
            ..Style::plain()
        };
        let text = human(&report, Verbosity::Normal, at(Some(40)));
        // All but the closing count, some 50 columns at most.
        let (body, _) = text.rsplit_once("\n\n").unwrap();
        assert!(body.lines().all(|l| l.chars().count() <= 40), "{text}");
        assert!(
            text.contains(
                "  ✗ port.listen  a summary long enough\n                 to need three lines at\n                 forty columns wide\n"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "\n      a summary long enough to need\n      three lines at forty columns wide\n"
            ),
            "{text}"
        );
        let whole = human(&report, Verbosity::Normal, at(None));
        assert!(
            whole.contains(&format!("  ✗ port.listen  {words}\n")),
            "{whole}"
        );
        assert!(whole.contains(&format!("\n      {words}\n")), "{whole}");
    }
}
