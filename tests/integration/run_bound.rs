//! The run's bound holds for the /proc scans too. With hundreds of
//! thousands of open files on the host, the scan that finds which process
//! holds a socket runs longer than a `--timeout 100ms` run may; rtdoctor
//! reports the checks that were cut off, says the scan was still running,
//! and exits without waiting for it. The wall time is printed for the
//! record (`--nocapture`), not asserted.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use crate::support::*;

/// Open files to put on the host: a scan of them takes about 2.5 s here,
/// twice the 1.2 s a check may take at `--timeout 100ms` (380 000 took
/// about 1.2 s, and a clean-clone CI run once finished the scan in time).
const FDS_WANTED: usize = 1_000_000;

/// Python processes holding as many descriptors as their hard limit
/// allows (dups of one /dev/null), ended by pid when dropped.
struct FdHogs {
    children: Vec<Child>,
    fds: usize,
}

impl Drop for FdHogs {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

const HOG: &str = r#"
import os, resource, sys
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
fd = os.open("/dev/null", os.O_RDONLY)
n = 0
try:
    while n < min(hard - 64, int(sys.argv[1])):
        os.dup(fd)
        n += 1
except OSError:
    pass
print(n, flush=True)
sys.stdin.read()
"#;

fn fd_hogs(wanted: usize) -> FdHogs {
    let mut hogs = FdHogs {
        children: Vec::new(),
        fds: 0,
    };
    // At most 64 processes, whatever the limit: a host that will not hold
    // that many files fails the test below, saying so.
    while hogs.fds < wanted && hogs.children.len() < 64 {
        let mut child = Command::new("python3")
            .args(["-c", HOG, &(wanted - hogs.fds).to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        hogs.children.push(child);
        match line.trim().parse::<usize>() {
            Ok(0) | Err(_) => break,
            Ok(n) => hogs.fds += n,
        }
    }
    hogs
}

#[test]
fn a_scan_of_many_open_files_does_not_hold_the_run_past_its_bound() {
    let hogs = fd_hogs(FDS_WANTED);
    assert!(
        hogs.fds >= FDS_WANTED,
        "only {} open files could be made here (RLIMIT_NOFILE)",
        hogs.fds
    );
    let port = free_port().to_string();
    let start = Instant::now();
    let out = rt(&[
        "check",
        &port,
        "--timeout",
        "100ms",
        "--only",
        "port",
        "--json",
    ]);
    eprintln!(
        "with {} open files on the host, `--timeout 100ms` ran {} ms (documented bound 2600 ms)",
        hogs.fds,
        start.elapsed().as_millis()
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    let report = out.json();
    // What finished is reported as usual; what did not says why.
    assert_eq!(status(&report, "port.time-wait"), "pass");
    assert_eq!(status(&report, "port.listen"), "fail");
    let listen = summary(&report, "port.listen");
    assert!(
        listen.contains("the scan of this machine's sockets and processes was still running, and rtdoctor did not wait for it"),
        "{listen}"
    );

    // A bundle takes the table the run's checks were reading, within
    // what is left of the run's bound, and never starts that scan again:
    // it is written with the table, or without it and saying so.
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("b.tar.gz");
    let start = Instant::now();
    let out = rt(&[
        "check",
        &port,
        "--timeout",
        "100ms",
        "--only",
        "port",
        "--bundle",
        bundle.to_str().unwrap(),
    ]);
    eprintln!(
        "with --bundle, the run took {} ms",
        start.elapsed().as_millis()
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    let file = std::fs::File::open(&bundle).expect("the bundle was written");
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut names = Vec::new();
    let mut manifest = String::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        if name.ends_with("manifest.json") {
            std::io::Read::read_to_string(&mut entry, &mut manifest).unwrap();
        }
        names.push(name);
    }
    let noted = manifest.contains("the socket table could not be read within the run's bound");
    let has_table = names.iter().any(|n| n.ends_with("sockets.json"));
    eprintln!("the bundle has sockets.json: {has_table}; says it could not be read: {noted}");
    assert!(noted != has_table, "{names:?}\n{manifest}");
    drop(hogs);
}
