//! The `rtdoctor.report/v1` JSON view: the report's own serde shape.

use crate::report::Report;

pub fn json(report: &Report) -> String {
    // Serialising plain data with string keys cannot fail.
    let mut s = serde_json::to_string_pretty(report).unwrap_or_default();
    s.push('\n');
    s
}
