//! One report, three views: the JSON contract (SPEC.md), JUnit parsed back,
//! and snapshots of the human view with pids, ports and times redacted.

use serde_json::Value;

use crate::support::*;

/// A proxy variable without NO_PROXY: `env.proxy` warns, on any machine.
const PROXY: &str = "http://proxy.invalid:3128";

fn assert_check_shape(c: &Value) {
    for key in ["id", "title", "status", "summary"] {
        assert!(c[key].is_string(), "{key} in {c:#}");
    }
    assert!(["pass", "warn", "fail", "skip"].contains(&c["status"].as_str().unwrap()));
    assert!(c["duration_ms"].is_u64());
    for e in c["evidence"].as_array().unwrap() {
        assert!(e["label"].is_string() && e["value"].is_string(), "{e:#}");
    }
    for f in c["fixes"].as_array().unwrap() {
        assert!(f["title"].is_string() && f["detail"].is_string(), "{f:#}");
        assert!(f.get("command").is_none_or(Value::is_string), "{f:#}");
    }
    if c["status"] == "pass" {
        assert!(
            c["fixes"].as_array().unwrap().is_empty(),
            "a pass with fixes: {c:#}"
        );
    }
}

#[test]
fn json_follows_the_spec_shape_across_two_targets() {
    let (up, down) = (free_port(), free_port_with_quiet_neighbours(1));
    let _server = listener("127.0.0.1", up, false);
    // The proxy variable is the warning (env.proxy), whatever this
    // machine's resolver says for localhost.
    let out = run(rtdoctor().env("http_proxy", PROXY).args([
        "check",
        &up.to_string(),
        &format!("localhost:{down}"),
        "--format",
        "json",
        "--only",
        LOCAL,
    ]));
    assert_eq!(out.code, 1);
    let r = out.json();
    assert_eq!(r["schema"], "rtdoctor.report/v1");
    assert_eq!(r["tool"]["name"], "rtdoctor");
    assert_eq!(r["tool"]["version"], env!("CARGO_PKG_VERSION"));
    let started = r["started_at"].as_str().unwrap();
    assert!(
        started.len() == 20 && started.ends_with('Z') && started.as_bytes()[10] == b'T',
        "{started}"
    );
    assert!(r["duration_ms"].is_u64());
    assert_eq!(r["status"], "fail");
    let targets = r["targets"].as_array().unwrap();
    assert_eq!(targets[0]["target"], format!("http://localhost:{up}"));
    assert_eq!(targets[1]["target"], format!("http://localhost:{down}"));
    assert_eq!(targets[0]["status"], "warn");
    assert_eq!(targets[1]["status"], "fail");

    let mut counts = std::collections::HashMap::new();
    for t in targets {
        let ids: Vec<&str> = t["checks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, catalogue_of(LOCAL));
        for c in t["checks"].as_array().unwrap() {
            assert_check_shape(c);
            *counts
                .entry(c["status"].as_str().unwrap().to_string())
                .or_insert(0u64) += 1;
        }
    }
    for s in ["pass", "warn", "fail", "skip"] {
        assert_eq!(
            r["summary"][s].as_u64().unwrap(),
            counts.get(s).copied().unwrap_or(0),
            "{s}"
        );
    }
}

#[test]
fn junit_parses_back_with_one_case_per_check() {
    let (up, down) = (free_port(), free_port_with_quiet_neighbours(1));
    let _server = listener("127.0.0.1", up, false);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.xml");
    let out = run(rtdoctor().env("http_proxy", PROXY).args([
        "check",
        &up.to_string(),
        &down.to_string(),
        "--format",
        "junit",
        "-o",
        file.to_str().unwrap(),
        "--only",
        LOCAL,
    ]));
    assert_eq!(out.code, 1);
    assert!(out.stdout.is_empty(), "-o writes nothing to stdout");
    let xml = std::fs::read_to_string(&file).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suites: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 2);
    assert_eq!(
        suites[0].attribute("name"),
        Some(format!("http://localhost:{up}").as_str())
    );
    for suite in &suites {
        let cases: Vec<_> = suite
            .children()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        assert_eq!(cases.len(), 5);
        assert_eq!(suite.attribute("tests"), Some("5"));
    }
    let case = |suite: usize, id: &str| {
        suites[suite]
            .children()
            .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some(id))
            .unwrap()
    };
    // The warning is not a failure without --strict; the dead port fails.
    assert!(
        case(0, "env.proxy")
            .children()
            .all(|n| !n.has_tag_name("failure"))
    );
    let failure = case(1, "port.listen")
        .children()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert!(
        failure
            .attribute("message")
            .unwrap()
            .starts_with("nothing listens on")
    );
    assert!(
        case(1, "net.dualstack")
            .children()
            .any(|n| n.has_tag_name("skipped"))
    );
    assert_eq!(suites[1].attribute("failures"), Some("1"));

    let strict = run(rtdoctor().env("http_proxy", PROXY).args([
        "check",
        &up.to_string(),
        "--format",
        "junit",
        "--strict",
        "--only",
        LOCAL,
    ]));
    assert_eq!(strict.code, 1, "a warning fails under --strict");
    assert!(
        strict
            .stdout
            .contains("<failure message=\"http_proxy set and NO_PROXY does not cover localhost"),
        "{}",
        strict.stdout
    );
}

/// Ports vary per run; the pid goes first so that a pid that happens to
/// contain the port's digits is not half replaced.
fn redact(text: &str, pid: u32, ports: &[(u16, &str)]) -> String {
    let mut text = text.replace(&format!("pid {pid}"), "pid [PID]");
    for (port, name) in ports {
        text = text.replace(&port.to_string(), name);
    }
    text
}

fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("snapshots");
    s.set_prepend_module_to_snapshot(false);
    s.add_filter(r"\(\d+ ms\)", "([MS] ms)");
    s.add_filter(
        r"\d+ of \d+ file descriptors \(\d+%\)",
        "[N] of [LIMIT] file descriptors ([PCT]%)",
    );
    s.add_filter(r"`python3 -c[^`]*`", "`python3 -c …`");
    s
}

#[test]
fn human_report_of_an_ipv4_only_server() {
    let port = free_port();
    let server = listener("127.0.0.1", port, false);
    let out = rt(&["check", &port.to_string(), "--only", LOCAL]);
    assert!(
        !out.stdout.contains('\x1b'),
        "no colour when stdout is not a terminal"
    );
    assert_eq!(out.stderr, "", "no spinner when stderr is not a terminal");
    let text = redact(&out.stdout, server.pid(), &[(port, "[PORT]")]);
    // net.dualstack grades what this machine's clients do: a warning where
    // localhost resolves to ::1 too, a pass with a note where it does not.
    let name = if localhost_resolves_to_v6() {
        "ipv4_only"
    } else {
        "ipv4_only_where_localhost_is_127_0_0_1"
    };
    snapshot_settings().bind(|| insta::assert_snapshot!(name, text));
}

#[test]
fn human_report_of_a_server_that_moved() {
    let port = free_port_with_quiet_neighbours(2);
    let server = listener("127.0.0.1", port + 2, false);
    let out = rt(&["check", &port.to_string(), "--only", LOCAL]);
    let text = redact(
        &out.stdout,
        server.pid(),
        &[(port + 2, "[MOVED]"), (port, "[PORT]")],
    );
    snapshot_settings().bind(|| insta::assert_snapshot!("moved", text));
}

#[test]
fn verbose_adds_evidence_quiet_keeps_only_problems_and_color_is_on_request() {
    let port = free_port();
    let _server = listener("127.0.0.1", port, false);
    let normal = rt(&["check", &port.to_string()]).stdout;
    let verbose = rt(&["check", &port.to_string(), "-v"]).stdout;
    let quiet = rt(&["check", &port.to_string(), "-q"]).stdout;
    assert!(
        !normal.contains("listening on:")
            && verbose.contains(&format!("listening on: 127.0.0.1:{port}"))
    );
    assert!(
        !quiet.contains("port.listen") && quiet.contains("http.health"),
        "{quiet}"
    );

    let colored = rt(&["check", &port.to_string(), "--color", "always"]).stdout;
    assert!(colored.contains("\x1b[32m✓\x1b[0m"), "{colored}");
    let by_env = run(rtdoctor()
        .env("RTDOCTOR_COLOR", "always")
        .args(["check", &port.to_string()]))
    .stdout;
    assert!(by_env.contains('\x1b'));
    let never = run(rtdoctor().env("RTDOCTOR_COLOR", "always").args([
        "check",
        &port.to_string(),
        "--color",
        "never",
    ]))
    .stdout;
    assert!(
        !never.contains('\x1b'),
        "the flag wins over the environment"
    );
    let json = rt(&["check", &port.to_string(), "--json", "--color", "always"]).stdout;
    assert!(!json.contains('\x1b'), "never colour in JSON");
}
