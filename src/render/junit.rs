//! The JUnit XML view for CI test reporters: one testsuite per target, one
//! testcase per check. A warning is a failure only under `--strict`.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Report as Junit, TestCase, TestCaseStatus, TestSuite};

use crate::report::{CheckResult, Report, Status};

pub fn junit(report: &Report, strict: bool) -> String {
    let mut junit = Junit::new("rtdoctor");
    junit.set_time(Duration::from_millis(report.duration_ms));
    for target in &report.targets {
        let mut suite = TestSuite::new(target.target.as_str());
        for check in &target.checks {
            suite.add_test_case(case(check, &target.target, strict));
        }
        junit.add_test_suite(suite);
    }
    junit.to_string().unwrap_or_default()
}

fn case(check: &CheckResult, target: &str, strict: bool) -> TestCase {
    let status = match check.status {
        Status::Skip => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(check.summary.as_str());
            s
        }
        s if s.is_failure(strict) => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(check.summary.as_str())
                .set_type(check.status.as_str())
                .set_description(details(check));
            s
        }
        _ => TestCaseStatus::success(),
    };
    let mut case = TestCase::new(check.id.as_str(), status);
    case.set_classname(target)
        .set_time(Duration::from_millis(check.duration_ms));
    if matches!(check.status, Status::Pass | Status::Warn) && !check.status.is_failure(strict) {
        case.set_system_out(format!("{}: {}", check.status.as_str(), check.summary));
    }
    case
}

fn details(check: &CheckResult) -> String {
    let mut out = String::new();
    for e in &check.evidence {
        out.push_str(&format!("{}: {}\n", e.label, e.value));
    }
    for f in &check.fixes {
        out.push_str(&format!("fix: {} — {}\n", f.title, f.detail));
        if let Some(cmd) = &f.command {
            out.push_str(&format!("  $ {cmd}\n"));
        }
    }
    out
}
