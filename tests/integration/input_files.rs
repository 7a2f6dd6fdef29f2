//! Files named on the command line that are not regular files: a FIFO
//! with no writer (opening it for reading would wait for one forever),
//! `/dev/zero` (reading it never ends), and symlinks to them. rtdoctor
//! refuses each with a sentence naming the file, and what the link led
//! to: a usage error for a config, CA or check file, and a manifest note
//! plus a line on stderr for a bundle input (the bundle is still written).
//!
//! A run that hangs is ended (by pid) after a minute so that the test
//! fails instead of hanging the suite; no time is asserted.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::*;

fn fifo(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    nix::unistd::mkfifo(&path, nix::sys::stat::Mode::S_IRWXU).unwrap();
    path
}

/// rtdoctor's exit code and stderr; a run still going after a minute is
/// ended and fails the test.
fn finish(args: &[&str]) -> (i32, String) {
    let out = finish_report(args);
    (out.code, out.stderr)
}

/// As `finish`, with the report. Output is read once it ended: these runs
/// write little, well under a pipe's buffer.
fn finish_report(args: &[&str]) -> Out {
    let mut child = rtdoctor()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting rtdoctor");
    let give_up = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > give_up {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "rtdoctor {} never ended (it was waiting on a file)",
                args.join(" ")
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let (mut stdout, mut stderr) = (String::new(), String::new());
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    Out {
        code: status.code().unwrap_or(-1),
        stdout,
        stderr,
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn a_config_or_ca_file_that_is_not_a_regular_file_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let pipe = fifo(dir.path(), "rtdoctor.toml");
    let link = dir.path().join("zero.toml");
    std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
    let port = free_port().to_string();
    for (flag, file, says) in [
        ("--config", &pipe, "cannot read config file"),
        (
            "--config",
            &PathBuf::from("/dev/zero"),
            "cannot read config file",
        ),
        ("--config", &link, "cannot read config file"),
        ("--cacert", &pipe, "cannot read the CA certificate file"),
        (
            "--cacert",
            &PathBuf::from("/dev/zero"),
            "cannot read the CA certificate file",
        ),
    ] {
        let (code, stderr) = finish(&["check", &port, "--only", "port", flag, s(file)]);
        assert_eq!(code, 2, "{flag} {}: {stderr}", file.display());
        assert!(stderr.contains(says), "{stderr}");
        assert!(stderr.contains("not a regular file"), "{stderr}");
    }
    let (_, stderr) = finish(&["check", &port, "--only", "port", "--config", s(&link)]);
    assert!(
        stderr
            .contains("it is a character device, not a regular file (the link leads to /dev/zero)"),
        "{stderr}"
    );
}

#[test]
fn a_check_file_that_is_not_a_regular_file_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let pipe = fifo(dir.path(), "a-pipe.toml");
    let port = free_port().to_string();
    for args in [
        &["check", &port, "--only", "port", "--checks", s(dir.path())][..],
        &["checks", "--checks", s(dir.path())][..],
    ] {
        let (code, stderr) = finish(args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "cannot read the check file {}: it is a named pipe (FIFO), not a regular file",
                pipe.display()
            )),
            "{stderr}"
        );
    }
    // A file that reads but does not parse is still a failing
    // `declared.load`, and the other checks run.
    std::fs::remove_file(&pipe).unwrap();
    std::fs::write(dir.path().join("bad.toml"), "[[check]\n").unwrap();
    let out = finish_report(&[
        "check",
        &port,
        "--only",
        "port,declared",
        "--json",
        "--checks",
        s(dir.path()),
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let report = out.json();
    assert_eq!(status(&report, "port.listen"), "fail");
    assert_eq!(status(&report, "declared.load"), "fail");
}

#[test]
fn bundle_inputs_that_are_not_regular_files_are_left_out_and_said() {
    let dir = tempfile::tempdir().unwrap();
    let log = fifo(dir.path(), "server.log");
    let bundle = dir.path().join("b.tar.gz");
    let port = free_port().to_string();
    let (code, stderr) = finish(&[
        "check",
        &port,
        "--only",
        "port",
        "--bundle",
        s(&bundle),
        "--log",
        s(&log),
        "--log",
        "/dev/zero",
        "--config-file",
        s(&log),
    ]);
    assert_eq!(code, 1, "{stderr}");
    for said in [
        format!(
            "--log {}: it is a named pipe (FIFO), not a regular file",
            log.display()
        ),
        "--log /dev/zero: it is a character device, not a regular file".to_string(),
        format!("--config-file {}: it is a named pipe (FIFO)", log.display()),
    ] {
        assert!(stderr.contains(&said), "{said} not in: {stderr}");
    }
    // The bundle is written, its manifest says what was left out.
    let file = std::fs::File::open(&bundle).expect("the bundle was written");
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut manifest = String::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        if entry.path().unwrap().ends_with("manifest.json") {
            entry.read_to_string(&mut manifest).unwrap();
        }
    }
    assert!(
        manifest.contains("--log /dev/zero: it is a character device"),
        "{manifest}"
    );
}
