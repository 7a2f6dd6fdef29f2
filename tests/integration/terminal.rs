//! Output that fits the terminal: `check`, `ports` and `kill` run in a
//! real pseudo-terminal (util-linux `script`) 80 columns wide; no line is
//! wider, no word is split. Off a terminal, nothing is wrapped.

use std::collections::BTreeSet;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::peers::py_healthy;
use crate::support::*;

const COLUMNS: usize = 80;

/// A python-socketio server whose command line is far wider than 80
/// columns, and whose upgrade check fails (with fixes to wrap).
fn long_command_line_server() -> Server {
    py_healthy(&[
        "--no-upgrades",
        "--cors",
        "http://a-rather-long-origin-name.example.com",
        "--cors",
        "http://another-long-origin.example.org",
    ])
}

/// rtdoctor `args` in a pseudo-terminal of `cols` columns, with
/// support::rtdoctor's clean environment plus `env`: what the terminal
/// showed, colours and carriage returns taken out.
fn pty(cols: usize, args: &[&str], env: &[(&str, &str)]) -> String {
    in_pty(cols, args, env, false)
}

/// rtdoctor run with `args` in a pseudo-terminal `cols` wide: what the
/// terminal showed of standard output, and of standard error too when
/// `stderr` (the spinner's).
pub fn in_pty(cols: usize, args: &[&str], env: &[(&str, &str)], stderr: bool) -> String {
    let present = Command::new("script")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        present,
        "these tests need `script` from util-linux to run rtdoctor in a pseudo-terminal: \
install it (Debian/Ubuntu: apt-get install bsdutils; Fedora: dnf install util-linux-script; \
Alpine: apk add util-linux-misc)"
    );
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let mut line = format!(
        "stty cols {cols} rows 24 && exec {}",
        quote(env!("CARGO_BIN_EXE_rtdoctor"))
    );
    for a in args {
        line.push(' ');
        line.push_str(&quote(a));
    }
    // The spinner is standard error's: standard error goes elsewhere, so
    // what is read is standard output's lines as the terminal showed them.
    if !stderr {
        line.push_str(" 2>/dev/null");
    }
    let mut cmd = Command::new("script");
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LANG", "C.UTF-8")
        .env("TERM", "xterm")
        .envs(env.iter().copied())
        .args(["-qec", &line, "/dev/null"])
        .stdin(Stdio::null());
    let out = cmd.output().expect("running script");
    plain(&String::from_utf8_lossy(&out.stdout))
}

/// `text` without colour sequences and carriage returns.
fn plain(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => {
                // CSI: ESC [ parameters, then one final letter.
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

fn assert_fits(text: &str, cols: usize) {
    assert!(!text.trim().is_empty(), "nothing was shown");
    for line in text.lines() {
        assert!(
            line.chars().count() <= cols,
            "a line wider than {cols} columns ({}):\n{line}\n\nin:\n{text}",
            line.chars().count()
        );
    }
}

/// Every word of `words` is one whole word of what was shown.
fn assert_whole<'a>(shown: &str, words: impl IntoIterator<Item = &'a str>) {
    let tokens: BTreeSet<&str> = shown.split_whitespace().collect();
    for word in words {
        assert!(
            tokens.contains(word),
            "{word:?} is not shown whole (split at a line's end?):\n{shown}"
        );
    }
}

/// The checks of a JSON `report` that `shown` (another run's human
/// report) shows with the same status: a check that timed out in one run
/// only, on a loaded machine, says something else in the other.
fn agreeing<'a>(report: &'a Value, shown: &str) -> Vec<&'a Value> {
    report["targets"][0]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|check| {
            let mark = match check["status"].as_str().unwrap() {
                "pass" => "✓",
                "warn" => "!",
                "fail" => "✗",
                _ => "–",
            };
            let line = format!("  {mark} {} ", check["id"].as_str().unwrap());
            shown.lines().any(|l| l.starts_with(&line))
        })
        .collect()
}

/// The words of these checks' summaries and fixes that do not change from
/// one run to the next (no numbers, no session ids, no socket states: the
/// socket table is the moment's).
fn stable_words(checks: &[&Value]) -> Vec<String> {
    let mut texts = Vec::new();
    for check in checks {
        texts.push(check["summary"].as_str().unwrap().to_string());
        for fix in check["fixes"].as_array().unwrap() {
            texts.push(fix["title"].as_str().unwrap().to_string());
            texts.push(fix["detail"].as_str().unwrap().to_string());
        }
    }
    let mut words = Vec::new();
    for text in &texts {
        let mut after_sid = false;
        for word in text.split_whitespace() {
            let state = word.contains('_') && !word.contains(|c: char| c.is_ascii_lowercase());
            if !after_sid && !state && !word.contains(|c: char| c.is_ascii_digit()) {
                words.push(word.to_string());
            }
            after_sid = word.ends_with("sid");
        }
    }
    words
}

#[test]
fn socketio_upgrade_check_of_a_failing_server_fits_80_columns_with_no_word_split() {
    let server = long_command_line_server();
    let url = format!("http://127.0.0.1:{}", server.port);
    let shown = pty(COLUMNS, &["check", &url], &[]);
    assert_fits(&shown, COLUMNS);
    assert!(shown.contains("✗ socketio.upgrade"), "{shown}");
    let report = rt(&["check", &url, "--format", "json"]).json();
    let words = stable_words(&agreeing(&report, &shown));
    assert!(words.len() > 20, "{words:?}");
    assert_whole(&shown, words.iter().map(String::as_str));
    // A summary that is wrapped hangs under itself, not under the mark:
    // every line of the check list is a check's or starts at the
    // summaries' column, and some summary was wrapped.
    let list: Vec<&str> = shown
        .lines()
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect();
    let first = list[0];
    let after_id = first.find("port.listen").unwrap() + "port.listen".len();
    let column = first.len() - first[after_id..].trim_start().len() - ("✓".len() - 1);
    let continued: Vec<&&str> = list
        .iter()
        .filter(|l| {
            !["  ✓ ", "  ✗ ", "  – ", "  ! "]
                .iter()
                .any(|m| l.starts_with(m))
        })
        .collect();
    assert!(!continued.is_empty(), "no summary was wrapped:\n{shown}");
    for l in continued {
        assert_eq!(l.len() - l.trim_start().len(), column, "{l:?} in:\n{shown}");
    }
}

#[test]
fn socketio_upgrade_columns_set_the_width_on_a_terminal() {
    let server = long_command_line_server();
    let url = format!("http://127.0.0.1:{}", server.port);
    let shown = pty(COLUMNS, &["check", &url], &[("COLUMNS", "100")]);
    assert_fits(&shown, 100);
    assert!(
        shown.lines().any(|l| l.chars().count() > COLUMNS),
        "COLUMNS=100 was not used:\n{shown}"
    );
}

#[test]
fn socketio_upgrade_fixes_are_not_wrapped_off_a_terminal() {
    let server = long_command_line_server();
    let url = format!("http://127.0.0.1:{}", server.port);
    let out = run(rtdoctor().args(["check", &url]).env("COLUMNS", "80"));
    let report = rt(&["check", &url, "--format", "json"]).json();
    let checks = agreeing(&report, &out.stdout);
    let fixes: Vec<&Value> = checks
        .iter()
        .flat_map(|c| c["fixes"].as_array().unwrap())
        .collect();
    // One at least that a fixed width of 80 or 92 would have broken.
    assert!(
        fixes
            .iter()
            .any(|f| f["detail"].as_str().unwrap().len() > 92),
        "{}",
        out.stdout
    );
    for fix in fixes {
        let detail = fix["detail"].as_str().unwrap();
        assert!(
            out.stdout.contains(&format!("\n      {detail}\n")),
            "the fix is not on one line of its own:\n{}",
            out.stdout
        );
    }
}

/// `rtdoctor COMMAND PORT EXTRA…` about the long-command-line server in
/// an 80-column terminal, which it fits: the server, its port, the text.
fn fitted(command: &str, extra: &[&str]) -> (Server, String, String) {
    let server = long_command_line_server();
    let port = server.port.to_string();
    let mut args = vec![command, port.as_str()];
    args.extend(extra);
    let shown = pty(COLUMNS, &args, &[]);
    assert_fits(&shown, COLUMNS);
    (server, port, shown)
}

#[test]
fn ports_with_a_long_command_line_fits_80_columns_and_keeps_every_field_whole() {
    let (server, port, shown) = fitted("ports", &[]);
    let row = shown
        .lines()
        .find(|l| l.starts_with(&port))
        .unwrap_or_else(|| panic!("no row for {port}:\n{shown}"));
    assert_whole(
        row,
        [
            port.as_str(),
            &format!("127.0.0.1:{port}"),
            &server.pid().to_string(),
            "python",
            "LISTEN",
        ],
    );
    assert!(
        row.ends_with('…'),
        "the command line is not shortened:\n{shown}"
    );
    assert!(!shown.contains("another-long-origin"), "{shown}");

    // Whole with -v, as in a pipe.
    let verbose = pty(COLUMNS, &["ports", &port, "-v"], &[]);
    assert!(
        verbose.contains("--cors http://another-long-origin.example.org"),
        "{verbose}"
    );
    let piped = rt(&["ports", &port]);
    assert!(
        piped
            .stdout
            .contains("--cors http://another-long-origin.example.org"),
        "{}",
        piped.stdout
    );
}

#[test]
fn kill_dry_run_fits_80_columns_and_keeps_every_argument_whole() {
    let (server, _, shown) = fitted("kill", &["--dry-run"]);
    assert_whole(
        &shown,
        [
            "--no-upgrades",
            "http://a-rather-long-origin-name.example.com",
            "http://another-long-origin.example.org",
        ],
    );
    assert!(
        shown.contains(&format!("would send SIGTERM to {}", server.pid())),
        "{shown}"
    );
}

#[test]
fn socketio_upgrade_under_a_c_locale_shows_ascii_only() {
    let server = long_command_line_server();
    let url = format!("http://127.0.0.1:{}", server.port);
    for (var, value) in [("LANG", "C"), ("LC_ALL", "C")] {
        let shown = pty(COLUMNS, &["check", &url], &[(var, value)]);
        assert!(shown.is_ascii(), "{var}={value}: not ASCII:\n{shown}");
        // One line per check, each with its ASCII mark; what each check
        // found may vary with this machine's load, the marks may not.
        let marked = shown
            .lines()
            .filter(|l| {
                let mark = l.strip_prefix("  ").and_then(|l| l.split(' ').next());
                matches!(mark, Some("ok" | "!!" | "XX" | "--"))
            })
            .count();
        assert!(
            marked >= 10,
            "{var}={value}: {marked} marked lines:\n{shown}"
        );
        assert!(shown.contains("\n  XX socketio.upgrade "), "{shown}");
        assert!(shown.contains("\n  XX socketio.upgrade - "), "{shown}");
    }
}

#[test]
fn env_proxy_zero_counts_are_not_coloured() {
    // One check that reads only the environment: 1 passed and three zeros.
    let out = rt(&["check", "1", "--only", "env.proxy", "--color", "always"]);
    let last = out.stdout.lines().last().unwrap();
    assert_eq!(
        last.split(" (").next().unwrap(),
        "\x1b[32m1 passed\x1b[0m, 0 warnings, 0 failed, 0 skipped",
        "{last:?}"
    );
}

/// `explain` wraps to the terminal like the report, with the same words
/// as its unwrapped output into a pipe (where no line is broken).
#[test]
fn port_listen_explain_fits_80_columns_and_says_every_word_of_the_piped_text() {
    let shown = plain(&pty(COLUMNS, &["explain", "port.listen"], &[]));
    assert_fits(&shown, COLUMNS);
    let piped = rt(&["explain", "port.listen"]).stdout;
    assert!(
        piped.lines().any(|l| l.chars().count() > COLUMNS),
        "off a terminal, explain is not wrapped:\n{piped}"
    );
    assert_whole(&shown, piped.split_whitespace());
}
