//! `rtdoctor bundle`: secrets planted in every channel never reach the
//! archive (file contents and tar headers), the context that matters does;
//! checksums match; the size bound holds with a visible marker; the write
//! is atomic and private.

use std::path::Path;
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::peers::py_healthy;
use crate::support::*;

const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwbGFudGVkLWp3dCJ9.c2lnbmF0dXJlLXBsYW50ZWQ";

fn unpack(bundle: &Path, into: &Path) {
    let ok = Command::new("tar")
        .arg("-xzf")
        .arg(bundle)
        .arg("-C")
        .arg(into)
        .status()
        .unwrap();
    assert!(ok.success(), "system tar could not unpack the bundle");
}

fn all_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(all_files(&path));
        } else {
            out.push((
                path.to_string_lossy().into_owned(),
                std::fs::read(&path).unwrap(),
            ));
        }
    }
    out
}

#[test]
fn no_planted_secret_reaches_the_bundle() {
    let server = py_healthy(&[]);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("app.log"),
        format!(
            "INFO listening\nDEBUG login password=planted-log-pass\nDEBUG jwt {JWT}\nINFO done\n"
        ),
    )
    .unwrap();
    std::fs::write(
        d.join("app.yaml"),
        "port: 8765\nsecret: planted-yaml-secret\n",
    )
    .unwrap();
    std::fs::write(
        d.join("app.json"),
        r#"{"host": "127.0.0.1", "api_key": "planted-json-key"}"#,
    )
    .unwrap();
    std::fs::write(
        d.join(".env"),
        "PORT=8765\nSESSION_SECRET=planted-dotenv-secret\n",
    )
    .unwrap();
    std::fs::write(
        d.join("key.pem"),
        "-----BEGIN PRIVATE KEY-----\nplanted-pem-body\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    let bundle = d.join("out.tar.gz");
    let target = format!(
        "http://alice:planted-userinfo@127.0.0.1:{}/?token=planted-query-token",
        server.port
    );
    let out = run(rtdoctor()
        .current_dir(d)
        .env(
            "HTTP_PROXY",
            "http://bob:planted-proxy-pass@proxy.invalid:3128",
        )
        .env("SOCKETIO_TOKEN", "planted-env-token")
        .env("PORT", "8765")
        .args(["bundle", &target, "-o", bundle.to_str().unwrap()])
        .args(["-H", "Authorization: Bearer planted-bearer-header"])
        .args(["-H", "Cookie: session=planted-cookie"])
        .args(["-H", "X-Api-Key: planted-api-key"])
        .args(["--auth", r#"{"token":"planted-auth-token"}"#])
        .args([
            "--log",
            "app.log",
            "--config-file",
            "app.yaml",
            "--config-file",
            "app.json",
        ])
        .args([
            "--config-file",
            ".env",
            "--config-file",
            "key.pem",
            "--timeout",
            "2s",
        ]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains(&format!("wrote {}", bundle.display())),
        "{}",
        out.stdout
    );
    assert!(
        !out.stdout.contains("planted") && !out.stderr.contains("planted"),
        "{}{}",
        out.stdout,
        out.stderr
    );

    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&bundle).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // The raw tar stream: contents and headers alike.
    let raw = Command::new("gzip")
        .arg("-dc")
        .arg(&bundle)
        .output()
        .unwrap()
        .stdout;
    assert!(
        !String::from_utf8_lossy(&raw).contains("planted"),
        "a planted value is in the tar stream"
    );
    assert!(
        !String::from_utf8_lossy(&raw).contains("eyJzdWIi"),
        "the JWT is in the tar stream"
    );

    let x = d.join("x");
    std::fs::create_dir(&x).unwrap();
    unpack(&bundle, &x);
    let files = all_files(&x);
    let names: Vec<String> = files
        .iter()
        .map(|(n, _)| n.trim_start_matches(x.to_str().unwrap()).to_string())
        .collect();
    for want in [
        "/manifest.json",
        "/report.json",
        "/report.txt",
        "/system.json",
        "/sockets.json",
        "/processes.json",
        "/env.txt",
        "/logs/app.log",
        "/config/app.yaml",
        "/config/.env",
        "/config/key.pem",
    ] {
        assert!(
            names.iter().any(|n| n == want),
            "{want} missing from {names:?}"
        );
    }
    for (name, bytes) in &files {
        let text = String::from_utf8_lossy(bytes);
        assert!(
            !text.contains("planted"),
            "{name} holds a planted value:\n{text}"
        );
    }

    // The context a maintainer needs is still there.
    let read = |n: &str| std::fs::read_to_string(x.join(n)).unwrap();
    let env = read("env.txt");
    assert!(
        env.contains("SOCKETIO_TOKEN=[REDACTED]") && env.contains("PORT=8765"),
        "{env}"
    );
    assert!(
        env.contains("HTTP_PROXY=http://[REDACTED]@proxy.invalid:3128"),
        "{env}"
    );
    assert!(read("report.txt").contains(&format!("127.0.0.1:{}", server.port)));
    assert!(
        read("logs/app.log").contains("INFO listening")
            && read("logs/app.log").contains("password=[REDACTED]")
    );
    assert!(read("config/key.pem").contains("[REDACTED PRIVATE KEY]"));
    assert!(read("processes.json").contains(&server.pid().to_string()));

    // Checksums and sizes in the manifest match the files.
    let manifest: serde_json::Value = serde_json::from_str(&read("manifest.json")).unwrap();
    for f in manifest["files"].as_array().unwrap() {
        let bytes = std::fs::read(x.join(f["name"].as_str().unwrap())).unwrap();
        assert_eq!(f["size"].as_u64().unwrap() as usize, bytes.len());
        let sum: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(f["sha256"].as_str().unwrap(), sum, "{}", f["name"]);
    }
    let redacted: u64 = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["redactions"].as_u64().unwrap())
        .sum();
    assert!(redacted >= 8, "{redacted} redactions counted");
}

#[test]
fn big_logs_are_cut_to_the_size_limit_with_a_marker() {
    big_files_are_cut_to_the_size_limit("--log", "logs");
}

#[test]
fn big_config_copies_count_in_the_size_limit_too() {
    big_files_are_cut_to_the_size_limit("--config-file", "config");
}

/// Seven files of 1.3 MB each (one read window each) given with `flag`:
/// the unpacked bundle stays under 5 MiB, and the first file carries the
/// marker where it was cut.
fn big_files_are_cut_to_the_size_limit(flag: &str, folder: &str) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let line = "INFO a line of a busy server log, repeated to make a big file\n";
    let mut args: Vec<String> = vec![
        "bundle".into(),
        free_port().to_string(),
        "--only".into(),
        "env".into(),
        "-o".into(),
        "b.tar.gz".into(),
        "--log-lines".into(),
        "1000000".into(),
    ];
    for i in 0..7 {
        let name = format!("big{i}.log");
        std::fs::write(d.join(&name), line.repeat(1_300_000 / line.len())).unwrap();
        args.push(flag.into());
        args.push(name);
    }
    let out = run(rtdoctor().current_dir(d).args(&args));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let x = d.join("x");
    std::fs::create_dir(&x).unwrap();
    unpack(&d.join("b.tar.gz"), &x);
    let total: usize = all_files(&x).iter().map(|(_, b)| b.len()).sum();
    assert!(total < 5 * 1024 * 1024, "{total} bytes unpacked");
    let first = std::fs::read_to_string(x.join(folder).join("big0.log")).unwrap();
    assert!(
        first.starts_with("\n[… cut by rtdoctor: the bundle is kept under 5 MB …]\n"),
        "no marker"
    );
}

#[test]
fn an_unwritable_destination_fails_cleanly_and_unreadable_inputs_are_noted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = run(rtdoctor().current_dir(d).args([
        "bundle",
        &free_port().to_string(),
        "--only",
        "env",
        "-o",
        "/nonexistent/dir/b.tar.gz",
    ]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("cannot write the bundle to /nonexistent/dir/b.tar.gz"),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read_dir(d).unwrap().count(),
        0,
        "nothing left behind"
    );

    let out = run(rtdoctor().current_dir(d).args([
        "bundle",
        &free_port().to_string(),
        "--only",
        "env",
        "--log",
        "missing.log",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let name = std::fs::read_dir(d)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .file_name()
        .into_string()
        .unwrap();
    assert!(
        name.starts_with("rtdoctor-bundle-") && name.ends_with(".tar.gz"),
        "{name}"
    );
    assert!(!name.starts_with('.'), "no temporary file left: {name}");
    let x = d.join("x");
    std::fs::create_dir(&x).unwrap();
    unpack(&d.join(&name), &x);
    let manifest = std::fs::read_to_string(x.join("manifest.json")).unwrap();
    assert!(
        manifest.contains("--log missing.log: No such file or directory"),
        "{manifest}"
    );
}

#[test]
fn check_can_write_a_bundle_too_and_anonymize_hides_the_hostname() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let host = sysinfo::System::host_name().unwrap_or_default();
    let out = run(rtdoctor().current_dir(d).args([
        "check",
        &free_port().to_string(),
        "--only",
        "env",
        "--bundle",
        "c.tar.gz",
        "--anonymize",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("wrote c.tar.gz"), "{}", out.stderr);
    let x = d.join("x");
    std::fs::create_dir(&x).unwrap();
    unpack(&d.join("c.tar.gz"), &x);
    let system = std::fs::read_to_string(x.join("system.json")).unwrap();
    if host.len() >= 2 {
        assert!(!system.contains(&format!("\"{host}\"")), "{system}");
        assert!(system.contains("\"hostname\": \"host-"), "{system}");
    }
}

#[test]
fn the_servers_own_python_is_asked_for_its_packages() {
    // The provisioned virtualenv's python serves the port; the python3 in
    // PATH does not have python-socketio.
    let server = py_healthy(&[]);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = run(rtdoctor().current_dir(d).args([
        "bundle",
        &server.port.to_string(),
        "--only",
        "port",
        "-o",
        "b.tar.gz",
    ]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let x = d.join("x");
    std::fs::create_dir(&x).unwrap();
    unpack(&d.join("b.tar.gz"), &x);
    let system: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(x.join("system.json")).unwrap()).unwrap();
    let python = system["python"].as_str().unwrap_or_default();
    assert!(
        python.ends_with(&format!(
            "py/bin/python: the interpreter of pid {}, which holds port {}",
            server.pid(),
            server.port
        )),
        "{system:#}"
    );
    for package in ["python-socketio", "python-engineio"] {
        assert!(
            system["python_packages"][package].is_string(),
            "{package}: {system:#}"
        );
    }
}

#[test]
fn the_summary_line_names_the_checks_that_failed() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(rtdoctor().current_dir(dir.path()).args([
        "bundle",
        &free_port().to_string(),
        "--only",
        "port",
        "-o",
        "b.tar.gz",
    ]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let summary = out.stdout.lines().next().unwrap_or_default();
    assert!(
        summary.ends_with(" passed, 0 warnings, 1 failed (port.listen), 0 skipped"),
        "{}",
        out.stdout
    );
}

#[test]
fn an_unreadable_log_is_said_on_its_own_line_under_the_spinner() {
    let dir = tempfile::tempdir().unwrap();
    let cmd = format!(
        "{} bundle {} --only env --log /nonexistent.log",
        env!("CARGO_BIN_EXE_rtdoctor"),
        free_port()
    );
    // A pseudo-terminal, where the progress spinner is drawn on stderr.
    let out = run(Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .current_dir(dir.path())
        .env("TERM", "xterm")
        .stdin(std::process::Stdio::null()));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let said: Vec<&str> = out
        .stdout
        .split('\n')
        // What the terminal shows of each line: what follows its last
        // carriage return, once the spinner's "clear the line" is done.
        .filter_map(|l| l.trim_end_matches('\r').rsplit('\r').next())
        .map(|l| l.trim_start_matches("\x1b[2K"))
        .filter(|l| l.contains("nonexistent.log"))
        .collect();
    assert_eq!(
        said,
        ["rtdoctor: the bundle leaves out --log /nonexistent.log: No such file or directory"],
        "{:?}",
        out.stdout
    );
}
