//! `kill` on a fake machine: its safety rules and each way a signal ends,
//! without a real process. The integration tests prove the Linux side.

use super::*;
use crate::os::TcpState;
use crate::os::fake::{self, Fake, Takes};

/// Answers given in order (a missing answer is no); the questions kept.
struct Answers {
    interactive: bool,
    answers: Vec<bool>,
    asked: Vec<String>,
}

impl Answers {
    fn none() -> Self {
        Answers {
            interactive: false,
            answers: Vec::new(),
            asked: Vec::new(),
        }
    }

    fn at_terminal(answers: &[bool]) -> Self {
        Answers {
            interactive: true,
            answers: answers.iter().rev().copied().collect(),
            asked: Vec::new(),
        }
    }
}

impl Prompt for Answers {
    fn interactive(&self) -> bool {
        self.interactive
    }

    fn ask(&mut self, question: &str) -> bool {
        self.asked.push(question.to_string());
        self.answers.pop().unwrap_or(false)
    }
}

fn config(yes: bool) -> KillConfig {
    KillConfig {
        port: 8000,
        yes,
        signal: Signal::Term,
        grace: Duration::ZERO,
        dry_run: false,
        json: false,
        sockets: None,
    }
}

/// A python3 (pid 4242) listening on 8000, plus a client of the port
/// (pid 777) that must never be touched.
fn one_server() -> Fake {
    Fake {
        sockets: vec![
            fake::listener("127.0.0.1:8000", 0, &[4242]),
            fake::socket(
                "127.0.0.1:8000",
                "127.0.0.1:50000",
                TcpState::Established,
                0,
                &[4242],
            ),
            fake::socket(
                "127.0.0.1:50000",
                "127.0.0.1:8000",
                TcpState::Established,
                0,
                &[777],
            ),
        ],
        processes: vec![
            fake::process(4242, 1, "python3"),
            fake::process(777, 1, "curl"),
        ],
        ..Fake::default()
    }
}

/// `one_server`, whose python3 takes signals that way.
fn one_server_that(takes: Takes) -> Fake {
    Fake {
        takes: vec![(4242, takes)],
        ..one_server()
    }
}

fn results(report: &KillReport) -> Vec<(u32, &'static str, Done)> {
    report
        .actions
        .iter()
        .map(|a| (a.pid, a.signal.name(), a.result))
        .collect()
}

fn kill(os: &Fake, config: &KillConfig, prompt: &mut Answers) -> (KillReport, Ending, Vec<String>) {
    let mut out = Output::kept();
    let (report, ending) = run_with(os, config, prompt, &mut out).expect("the fake's table reads");
    (report, ending, out.lines().to_vec())
}

#[test]
fn a_holder_that_exits_on_sigterm_frees_the_port() {
    let os = one_server();
    let (report, ending, lines) = kill(&os, &config(true), &mut Answers::none());
    assert_eq!(ending, Ending::Done);
    assert!(report.free);
    assert_eq!(results(&report), [(4242, "SIGTERM", Done::Exited)]);
    assert_eq!(
        os.sent(),
        [(4242, Signal::Term)],
        "the client is left alone"
    );
    assert_eq!(lines[0], "port 8000 is held by:");
    assert!(lines[1].starts_with("  python3 (pid 4242, user root) on 127.0.0.1:8000, started "));
    assert_eq!(lines[2], "    /usr/bin/python3 server.py");
    assert_eq!(
        lines[3..],
        ["sent SIGTERM to 4242", "4242 exited", "port 8000 is free"]
    );
}

#[test]
fn a_holder_that_ignores_sigterm_gets_sigkill() {
    let os = one_server_that(Takes::OnlyKill);
    let (report, ending, lines) = kill(&os, &config(true), &mut Answers::none());
    assert_eq!(ending, Ending::Done);
    assert_eq!(
        results(&report),
        [
            (4242, "SIGTERM", Done::StillRunning),
            (4242, "SIGKILL", Done::Exited)
        ]
    );
    assert_eq!(os.sent(), [(4242, Signal::Term), (4242, Signal::Kill)]);
    assert_eq!(
        lines[3..],
        [
            "sent SIGTERM to 4242",
            "sent SIGKILL to 4242; it exited",
            "port 8000 is free"
        ]
    );
}

#[test]
fn sigkill_is_asked_for_and_can_be_declined() {
    let os = one_server_that(Takes::OnlyKill);
    let mut answers = Answers::at_terminal(&[true, false]);
    let (report, ending, lines) = kill(&os, &config(false), &mut answers);
    assert_eq!(ending, Ending::StillHeld);
    assert_eq!(answers.asked.len(), 2, "{:?}", answers.asked);
    assert!(
        answers.asked[0]
            .starts_with("Send SIGTERM to 4242 (python3, started 2023-11-14T22:13:20Z ("),
        "{:?}",
        answers.asked
    );
    assert_eq!(
        answers.asked[1],
        "4242 is still running after 0 ms. Send SIGKILL?"
    );
    assert_eq!(
        results(&report),
        [
            (4242, "SIGTERM", Done::StillRunning),
            (4242, "SIGKILL", Done::Declined)
        ]
    );
    assert_eq!(
        lines[3..],
        [
            "sent SIGTERM to 4242",
            "left 4242 running",
            "port 8000 is still held by python3 (pid 4242, user root)"
        ]
    );
}

#[test]
fn a_declined_holder_is_left_alone() {
    let os = one_server();
    let (report, ending, lines) = kill(&os, &config(false), &mut Answers::at_terminal(&[false]));
    assert_eq!(ending, Ending::StillHeld);
    assert_eq!(results(&report), [(4242, "SIGTERM", Done::Declined)]);
    assert!(os.sent().is_empty());
    assert_eq!(lines[3], "left 4242 alone");
}

#[test]
fn without_a_terminal_or_yes_nothing_is_signalled() {
    let os = one_server();
    let (report, ending, _) = kill(&os, &config(false), &mut Answers::none());
    let Ending::Refused(why) = ending else {
        panic!("not refused: {ending:?}");
    };
    assert!(why.starts_with("standard input is not a terminal"), "{why}");
    assert!(report.actions.is_empty() && os.sent().is_empty());
}

#[test]
fn another_users_process_stops_the_run() {
    let os = one_server_that(Takes::Refuses);
    let (report, ending, lines) = kill(&os, &config(true), &mut Answers::none());
    assert_eq!(ending, Ending::StillHeld);
    assert_eq!(
        results(&report),
        [(4242, "SIGTERM", Done::PermissionDenied)]
    );
    // The denial is the last word: no "still held" line after it.
    assert_eq!(
        lines.last().map(String::as_str),
        Some("pid 4242 belongs to user root: run as that user or with sudo")
    );
}

#[test]
fn a_process_already_gone_is_said_so() {
    let os = one_server_that(Takes::IsGone);
    let (report, _, lines) = kill(&os, &config(true), &mut Answers::none());
    assert_eq!(results(&report), [(4242, "SIGTERM", Done::Gone)]);
    assert!(
        lines.contains(&"4242 has already exited".to_string()),
        "{lines:?}"
    );
}

#[test]
fn rtdoctor_its_parent_its_group_leader_and_init_are_never_signalled() {
    for (pid, why) in [
        (1, "pid 1 (init) is never signalled"),
        (900, "this is rtdoctor itself"),
        (
            899,
            "this is rtdoctor's parent (the shell or script that ran it)",
        ),
        (
            898,
            "it leads rtdoctor's own process group (the shell or script that ran it)",
        ),
    ] {
        let os = Fake {
            sockets: vec![fake::listener("0.0.0.0:8000", 0, &[pid])],
            processes: vec![fake::process(pid, 0, "sh")],
            family: crate::os::Family {
                me: 900,
                parent: 899,
                group: 898,
            },
            ..Fake::default()
        };
        let (report, ending, lines) = kill(&os, &config(true), &mut Answers::none());
        assert_eq!(ending, Ending::StillHeld);
        assert_eq!(results(&report), [(pid, "SIGTERM", Done::Protected)]);
        assert!(os.sent().is_empty());
        assert!(
            lines.contains(&format!("not signalling {pid}: {why}")),
            "{lines:?}"
        );
    }
}

#[test]
fn a_server_in_rtdoctors_own_process_group_is_signalled_alone() {
    // A script ran `python3 server.py &` and then `rtdoctor kill --yes`.
    let os = Fake {
        sockets: vec![fake::listener("0.0.0.0:8000", 0, &[950])],
        processes: vec![fake::process(950, 899, "python3")],
        groups: vec![(950, 899)],
        ..Fake::default()
    };
    let (report, ending, lines) = kill(&os, &config(true), &mut Answers::none());
    assert_eq!(ending, Ending::Done, "{lines:?}");
    assert_eq!(results(&report), [(950, "SIGTERM", Done::Exited)]);
    assert_eq!(os.sent(), [(950, Signal::Term)]);
    assert!(
        lines.contains(&"port 8000 is free".to_string()),
        "{lines:?}"
    );
}

#[test]
fn only_the_master_of_a_prefork_server_is_signalled() {
    let os = Fake {
        sockets: vec![fake::listener("0.0.0.0:8000", 0, &[10, 11, 12])],
        processes: vec![
            fake::process(10, 1, "gunicorn"),
            fake::process(11, 10, "gunicorn"),
            fake::process(12, 10, "gunicorn"),
        ],
        ..Fake::default()
    };
    let mut dry = config(false);
    dry.dry_run = true;
    let (report, ending, lines) = kill(&os, &dry, &mut Answers::none());
    assert_eq!(ending, Ending::Done);
    assert_eq!(results(&report), [(10, "SIGTERM", Done::WouldSend)]);
    assert!(os.sent().is_empty(), "a dry run sends nothing");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("would send SIGTERM to 10 (gunicorn: master, started "))
    );
    assert!(lines.contains(&"  (the master is what to signal: its workers exit with it, a killed worker is just respawned)".to_string()));
}

#[test]
fn a_hidden_holder_is_named_by_its_owner() {
    let os = Fake {
        sockets: vec![fake::listener("0.0.0.0:8000", 1000, &[])],
        users: vec![(1000, "alice".into())],
        ..Fake::default()
    };
    let (report, ending, lines) = kill(&os, &config(true), &mut Answers::none());
    assert_eq!(ending, Ending::StillHeld);
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["hidden_owners"], serde_json::json!([1000]));
    assert_eq!(
        lines,
        [
            "port 8000 is held by:",
            "  a process of alice (uid 1000) (hidden from this user)",
            "port 8000 is held by a process of alice (uid 1000) that this user can neither see nor signal: run as that user or with sudo",
        ]
    );
}

#[test]
fn as_root_a_hidden_holder_is_not_visible_from_here_not_a_sudo_away() {
    let os = fake::hidden_listener("0.0.0.0:8000", 0);
    let (_, ending, lines) = kill(&os, &config(true), &mut Answers::none());
    assert_eq!(ending, Ending::StillHeld);
    assert_eq!(
        lines[1],
        "  a process of alice (uid 1000) (not visible from here)"
    );
    assert!(
        lines[2].starts_with(
            "port 8000 is held by a process of alice (uid 1000) that is not visible from here, even as root"
        ),
        "{lines:?}"
    );
    assert!(lines[2].contains("docker top"), "{lines:?}");
    assert!(!lines.iter().any(|l| l.contains("sudo")), "{lines:?}");
}

#[test]
fn nothing_listening_is_nothing_to_do() {
    let os = Fake::default();
    let (report, ending, lines) = kill(&os, &config(true), &mut Answers::none());
    assert_eq!(ending, Ending::Done);
    assert!(report.free);
    assert_eq!(lines, ["nothing listens on port 8000: nothing to do"]);
}

#[test]
fn a_platform_without_an_implementation_stops_with_its_name() {
    let os = crate::os::unsupported::Unsupported::named("windows");
    let err = run_with(
        &os,
        &config(true),
        &mut Answers::none(),
        &mut Output::kept(),
    )
    .expect_err("no socket table on windows");
    assert_eq!(
        err,
        "cannot read the socket table: reading this machine's sockets and processes is not supported on windows"
    );
}
