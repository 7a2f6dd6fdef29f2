//! Closed pipes: `rtdoctor … | head` must end quietly with the exit code the
//! run would have had anyway, never panic, never die of a signal. Standard
//! output and standard error are given pipes whose read ends are already
//! closed, so every write rtdoctor makes to them fails with EPIPE.

use std::process::Stdio;

use crate::support::*;

/// A pipe nobody reads: its write end, for a child's stdout or stderr.
fn closed_pipe() -> Stdio {
    let (read, write) = nix::unistd::pipe().expect("pipe");
    drop(read);
    Stdio::from(write)
}

struct Ended {
    /// `None` when a signal ended it.
    code: Option<i32>,
    /// What it said on stderr, when stderr was open.
    stderr: String,
}

fn run_closed(args: &[&str], close_stdout: bool, close_stderr: bool) -> Ended {
    let mut cmd = rtdoctor();
    cmd.args(args);
    if close_stdout {
        cmd.stdout(closed_pipe());
    } else {
        cmd.stdout(Stdio::null());
    }
    if close_stderr {
        cmd.stderr(closed_pipe());
    } else {
        cmd.stderr(Stdio::piped());
    }
    let out = cmd.output().expect("running rtdoctor");
    Ended {
        code: out.status.code(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn assert_quiet(args: &[&str], close_stdout: bool, close_stderr: bool, code: i32) {
    let ended = run_closed(args, close_stdout, close_stderr);
    let what = format!(
        "rtdoctor {} (stdout closed: {close_stdout}, stderr closed: {close_stderr})",
        args.join(" ")
    );
    assert_eq!(ended.code, Some(code), "{what}: {}", ended.stderr);
    assert!(
        !ended.stderr.contains("internal error") && !ended.stderr.contains("panicked"),
        "{what}: {}",
        ended.stderr
    );
}

#[test]
fn completions_into_a_closed_pipe_end_quietly() {
    for shell in ["fish", "zsh", "bash"] {
        assert_quiet(&["completions", shell], true, false, 0);
        assert_quiet(&["completions", shell], true, true, 0);
    }
}

#[test]
fn reports_into_a_closed_pipe_keep_their_exit_code() {
    let port = free_port().to_string();
    let target = format!("127.0.0.1:{port}");
    for format in ["json", "human", "junit"] {
        assert_quiet(
            &["check", &target, "--only", "port", "--format", format],
            true,
            false,
            1,
        );
    }
    assert_quiet(&["checks"], true, false, 0);
    assert_quiet(&["--help"], true, true, 0);
    assert_quiet(&["explain", "port.listen"], true, false, 0);
    assert_quiet(&["ports", "--json"], true, true, 0);
}

#[test]
fn a_closed_stderr_keeps_the_exit_code() {
    // A usage error is said on stderr, then exit 2.
    assert_quiet(&["check", "ws://"], false, true, 2);
    assert_quiet(&["explain", "no.such.check"], true, true, 2);
    // --wait says on stderr what it waited for.
    let port = free_port().to_string();
    assert_quiet(
        &[
            "check", &port, "--only", "port", "--wait", "100ms", "--json",
        ],
        true,
        true,
        1,
    );
}
