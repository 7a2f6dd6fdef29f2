//! CONTRACT.md against the real binary: the exit codes it lists are the
//! ones runs end with, every field a real JSON report holds is described
//! there, and every check `rtdoctor checks` lists is among its ids. (Its
//! tables are regenerated and compared by `generated::`; these tests make
//! sure what they were generated from is what rtdoctor does.)

use std::collections::BTreeSet;
use std::path::Path;

use crate::support::*;

fn contract() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("CONTRACT.md")).unwrap()
}

/// The meaning CONTRACT.md gives exit code `code`, from its table.
fn documented(code: i32) -> String {
    let row = format!("| {code} | ");
    contract()
        .lines()
        .find(|l| l.starts_with(&row))
        .unwrap_or_else(|| panic!("CONTRACT.md has no row for exit code {code}"))
        .to_string()
}

#[test]
fn runs_end_with_the_exit_codes_the_contract_lists() {
    let port = free_port();
    let _server = listener("127.0.0.1", port, false);
    let passed = rt(&["check", &port.to_string(), "--only", "port.listen"]);
    assert_eq!(passed.code, 0, "{}", passed.stderr);
    assert!(documented(0).contains("no check failed"));

    let nothing = free_port();
    let failed = rt(&["check", &nothing.to_string(), "--only", "port.listen"]);
    assert_eq!(failed.code, 1, "{}", failed.stderr);
    assert!(documented(1).contains("at least one check failed"));

    let usage = rt(&["check", "localhost:99999"]);
    assert_eq!(usage.code, 2);
    assert!(
        usage.stderr.starts_with("rtdoctor: error: "),
        "{}",
        usage.stderr
    );
    assert!(documented(2).contains("usage or configuration error"));

    let refused = rt(&["kill", &port.to_string()]);
    assert_eq!(
        refused.code, 2,
        "kill without a terminal: {}",
        refused.stderr
    );

    assert!(documented(3).contains("rtdoctor itself broke"));
    let codes: Vec<u8> = rtdoctor::docs::EXIT_CODES.iter().map(|(c, _)| *c).collect();
    assert_eq!(codes, [0, 1, 2, 3]);
}

/// The field paths of a JSON value (`targets[].checks[].id`).
fn paths(out: &Out) -> BTreeSet<String> {
    rtdoctor::docs::field_paths(&out.json())
        .into_iter()
        .collect()
}

#[test]
fn every_field_of_a_real_report_is_in_the_contract() {
    let port = free_port();
    let _server = listener("127.0.0.1", port, false);
    let passed = rt(&["check", &port.to_string(), "--only", "port", "--json"]);
    let failed = rt(&[
        "check",
        &free_port().to_string(),
        "--only",
        "port",
        "--json",
    ]);
    let mut seen = paths(&passed);
    seen.extend(paths(&failed));
    let contract = contract();
    let described: BTreeSet<String> = rtdoctor::docs::REPORT_FIELDS
        .iter()
        .map(|(p, _)| p.to_string())
        .collect();
    for path in &seen {
        assert!(described.contains(path), "{path} is not in CONTRACT.md");
        assert!(
            contract.contains(&format!("| `{path}` |")),
            "CONTRACT.md's field table lacks {path}"
        );
    }
    for required in ["schema", "summary.fail", "targets[].checks[].fixes[].title"] {
        assert!(seen.contains(required), "a real report has no {required}");
    }
    assert_eq!(passed.json()["schema"], "rtdoctor.report/v1");
}

/// ... and in the README's table of checks, which says what each looks at.
#[test]
fn every_listed_check_is_in_the_contract_and_the_readme() {
    let contract = contract();
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let out = rt(&["checks"]);
    assert_eq!(out.code, 0);
    for line in out.stdout.lines() {
        let id = line.split_whitespace().next().unwrap();
        let row = format!("| `{id}` |");
        assert!(
            contract.contains(&row),
            "{id} is not among CONTRACT.md's check ids"
        );
        assert!(
            readme.contains(&row),
            "{id} is not in README.md's table of checks"
        );
    }
}
