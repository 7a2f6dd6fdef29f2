//! What CONTRACT.md promises besides the options: the exit codes and the
//! fields of the `rtdoctor.report/v1` JSON document, each with its meaning,
//! and a sample report built from the real types, so that the contract's
//! example and field list come from the serializer itself.

use serde_json::Value;

use crate::report::{CheckResult, Evidence, Fix, Report, Status, TargetReport};

/// Every exit code `rtdoctor` uses, and what it means.
pub const EXIT_CODES: &[(u8, &str)] = &[
    (
        0,
        "no check failed (warnings allowed unless `--strict`); `ports` whatever it finds; \
`bundle` once the bundle is written; `kill` when the port ends up free",
    ),
    (
        1,
        "at least one check failed (with `--strict`, a warning too); `kill`: the port is \
still held",
    ),
    (
        2,
        "usage or configuration error, a selection (`--only`, `--skip`) that leaves no check, \
or a refused action (`kill` without a terminal and without `--yes`): one sentence per \
mistake says what (`rtdoctor: error: …`), every mistake of the flags, variables and \
config file at once",
    ),
    (
        3,
        "rtdoctor itself broke (a bug): the message says how to report it. A check that \
crashed is reported as that check's failure, with the other checks' results",
    ),
];

/// Every field of the JSON report, as a path (`targets[].checks[].id`),
/// with its meaning. A unit test holds it to what the serializer writes.
pub const REPORT_FIELDS: &[(&str, &str)] = &[
    ("schema", "always `rtdoctor.report/v1`"),
    ("tool.name", "`rtdoctor`"),
    (
        "tool.version",
        "the version of rtdoctor that wrote the report",
    ),
    ("started_at", "when the run started, RFC 3339 in UTC"),
    ("duration_ms", "how long the whole run took"),
    (
        "status",
        "the worst status of any check (`pass` when every check was skipped)",
    ),
    ("summary.pass", "how many checks passed, over all targets"),
    ("summary.warn", "how many checks warned"),
    ("summary.fail", "how many checks failed"),
    ("summary.skip", "how many checks were skipped"),
    ("targets[].target", "the target as a URL"),
    (
        "targets[].status",
        "the worst status among this target's checks",
    ),
    (
        "targets[].connect_ms",
        "the TCP connect time to the target's address, in ms (the network round trip, see net.path); \
only for a target on another machine, left out otherwise",
    ),
    (
        "targets[].checks[].id",
        "the check's stable id (see Check ids)",
    ),
    ("targets[].checks[].title", "the check's one-line title"),
    (
        "targets[].checks[].status",
        "`pass`, `warn`, `fail` or `skip`",
    ),
    (
        "targets[].checks[].summary",
        "one line: what was found, or why the check was skipped",
    ),
    (
        "targets[].checks[].evidence[].label",
        "what was looked at (`listening on`, `response`)",
    ),
    ("targets[].checks[].evidence[].value", "what was seen"),
    (
        "targets[].checks[].fixes[].title",
        "what to do, in a few words",
    ),
    ("targets[].checks[].fixes[].detail", "how and why"),
    (
        "targets[].checks[].fixes[].command",
        "a command or config line to use; left out when the fix has none",
    ),
    ("targets[].checks[].duration_ms", "how long the check took"),
];

/// A report as `rtdoctor check --json` writes it, with one check of each
/// part (evidence, a fix with a command).
pub fn sample_report() -> Report {
    let check = CheckResult {
        id: "port.listen".into(),
        title: "Something listens on the port".into(),
        status: Status::Fail,
        summary: "nothing listens on 3000; but `node server.js` (pid 15900) listens on 3001".into(),
        evidence: vec![Evidence {
            label: "listening nearby".into(),
            value: "127.0.0.1:3001".into(),
        }],
        fixes: vec![
            Fix::new(
                "Point the client at port 3001",
                "If that is your server, it did not get port 3000. Use the port it listens on.",
            )
            .command("rtdoctor check http://localhost:3001"),
        ],
        duration_ms: 2,
    };
    let target = TargetReport {
        target: "http://localhost:3000".into(),
        status: Status::Fail,
        connect_ms: None,
        checks: vec![check],
    };
    Report::new("2026-11-22T04:02:35Z".into(), 9, vec![target])
}

/// The field paths of a serialized report, in document order, each once.
pub fn field_paths(value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk(value, "", &mut out);
    out
}

fn walk(value: &Value, at: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (name, v) in map {
                let path = if at.is_empty() {
                    name.clone()
                } else {
                    format!("{at}.{name}")
                };
                walk(v, &path, out);
            }
        }
        Value::Array(items) => {
            for v in items {
                walk(v, &format!("{at}[]"), out);
            }
        }
        _ => {
            if !out.iter().any(|p| p == at) {
                out.push(at.to_string());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_the_serializer_writes_is_described() {
        // A remote target's connect time is left out for the sample's
        // local one: set it, so that it is written too.
        let mut sample = sample_report();
        sample.targets[0].connect_ms = Some(23.4);
        let json: Value = serde_json::from_str(&crate::render::json(&sample)).unwrap();
        // serde_json's `Value` sorts keys: compare the sets.
        let mut written = field_paths(&json);
        written.sort();
        let mut described: Vec<&str> = REPORT_FIELDS.iter().map(|(p, _)| *p).collect();
        described.sort_unstable();
        assert_eq!(written, described);
    }

    #[test]
    fn exit_codes_are_listed_in_order() {
        let codes: Vec<u8> = EXIT_CODES.iter().map(|(c, _)| *c).collect();
        assert_eq!(codes, [0, 1, 2, 3]);
    }
}
