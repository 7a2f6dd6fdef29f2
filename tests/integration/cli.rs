//! The command line: bad input gets one clear sentence and exit 2, the
//! config file and RTDOCTOR_* variables resolve with defaults < file <
//! environment < flags, and the catalogue commands read the registry.

use crate::support::*;

fn usage_error(args: &[&str], needle: &str) {
    let out = rt(args);
    assert_eq!(out.code, 2, "{args:?}: {}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains(needle), "{args:?}: {}", out.stderr);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{args:?}: {}", out.stdout);
}

#[test]
fn bad_targets_and_options_exit_2_with_a_sentence() {
    usage_error(
        &["check", "http://exa mple.com"],
        "rtdoctor: error: 'http://exa mple.com' is not a valid URL",
    );
    usage_error(&["check", "ftp://localhost:21"], "unknown scheme 'ftp'");
    usage_error(
        &["check", "0"],
        "port 0 is not a port a server can listen on",
    );
    usage_error(&["check", "70000"], "port 70000 is out of range (1-65535)");
    usage_error(&["check", "localhost:99999"], "out of range");
    usage_error(&["check", "localhost"], "has no port");
    usage_error(
        &["check", "8765", "--only", "port.lisen"],
        "unknown check id 'port.lisen' (did you mean port.listen?)",
    );
    usage_error(
        &["check", "8765", "--skip", "nope"],
        "unknown check id 'nope'",
    );
    usage_error(
        &["check", "8765", "--timeout", "soon"],
        "'soon' is not a duration",
    );
    usage_error(&["check", "8765", "--timeout", "0s"], "zero");
    usage_error(
        &["check", "8765", "--port-range", "20-10"],
        "runs backwards",
    );
    // Issue 13: clap's errors in rtdoctor's style, naming the flag.
    usage_error(
        &["check", "8765", "--format", "xml"],
        "rtdoctor: error: --format: 'xml' is not one of human, json, junit",
    );
    usage_error(
        &["check", "8765", "--json", "--format", "junit"],
        "cannot be used with",
    );
    usage_error(&["ports", "99999"], "out of range");
    usage_error(&["explain", "port.lisen"], "did you mean port.listen?");
}

#[test]
fn an_unwritable_output_file_is_a_usage_error() {
    let port = free_port();
    usage_error(
        &[
            "check",
            &port.to_string(),
            "--only",
            "env.proxy",
            "-o",
            "/nonexistent/dir/report.json",
        ],
        "cannot write the report to /nonexistent/dir/report.json",
    );
}

#[test]
fn config_file_problems_name_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rt.toml");
    let p = path.to_str().unwrap();

    usage_error(
        &["check", "--config", "/nonexistent/rt.toml"],
        "cannot read config file /nonexistent/rt.toml",
    );

    std::fs::write(
        &path,
        "timeout = \"5s\"\n[[target]]\nurl = \"localhost:1\"\ncolour = \"never\"\n",
    )
    .unwrap();
    usage_error(
        &["check", "--config", p],
        // Issue 13: with a suggestion.
        &format!("{p}:4: unknown key `colour` in a [[target]] table (color is a top-level key)"),
    );

    std::fs::write(
        &path,
        "[[target]]\nurl = \"localhost:1\"\n\n[[target]]\nurl = \"ftp://x:1\"\n",
    )
    .unwrap();
    usage_error(
        &["check", "--config", p],
        &format!("{p}:5: invalid url: unknown scheme 'ftp'"),
    );

    std::fs::write(&path, "timeout = 5\n").unwrap();
    usage_error(
        &["check", "--config", p],
        &format!("{p}:1: invalid type: integer `5`, expected a string"),
    );

    std::fs::write(&path, "[[target]\n").unwrap();
    usage_error(&["check", "--config", p], &format!("{p}:1:"));
}

#[test]
fn config_targets_run_when_none_is_named_and_the_default_file_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (free_port(), free_port());
    let _sa = listener("127.0.0.1", a, false);
    let _sb = listener("127.0.0.1", b, false);
    std::fs::write(
        dir.path().join("rtdoctor.toml"),
        format!("only = [\"port.listen\"]\nformat = \"json\"\n\n[[target]]\nurl = \"http://localhost:{a}\"\n\n[[target]]\nurl = \"127.0.0.1:{b}\"\ntimeout = \"2s\"\n"),
    )
    .unwrap();
    let out = run(rtdoctor().current_dir(dir.path()).arg("check"));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let r = out.json();
    let targets: Vec<&str> = r["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["target"].as_str().unwrap())
        .collect();
    assert_eq!(
        targets,
        [
            format!("http://localhost:{a}"),
            format!("http://127.0.0.1:{b}")
        ]
    );
    assert_eq!(
        r["summary"]["pass"], 2,
        "only = [port.listen] from the file"
    );

    // A target on the command line replaces the file's targets.
    let out = run(rtdoctor()
        .current_dir(dir.path())
        .args(["check", &a.to_string()]));
    assert_eq!(out.json()["targets"].as_array().unwrap().len(), 1);
}

/// `port_range` observed through where `port.listen` looks for a server
/// that moved: file < environment < flag.
#[test]
fn precedence_is_defaults_file_env_flags() {
    let port = free_port_with_quiet_neighbours(6);
    let _server = listener("127.0.0.1", port + 5, false);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("rtdoctor.toml"),
        format!("port_range = \"{}-{}\"\n", port, port + 5),
    )
    .unwrap();
    let found = |out: &Out| {
        out.json()["targets"][0]["checks"][0]["summary"]
            .as_str()
            .unwrap()
            .contains(&format!("listens on {}", port + 5))
    };
    let args = [
        "check",
        &port.to_string(),
        "--json",
        "--only",
        "port.listen",
    ];

    let narrow = format!("{}-{}", port, port + 1);
    let wide = format!("{}-{}", port, port + 5);
    assert!(!found(&rt(&[
        "check",
        &port.to_string(),
        "--json",
        "--only",
        "port.listen",
        "--port-range",
        &narrow
    ])));
    assert!(
        found(&run(rtdoctor().current_dir(dir.path()).args(args))),
        "file"
    );
    assert!(
        !found(&run(rtdoctor()
            .current_dir(dir.path())
            .env("RTDOCTOR_PORT_RANGE", &narrow)
            .args(args))),
        "env over file"
    );
    assert!(
        found(&run(rtdoctor()
            .current_dir(dir.path())
            .env("RTDOCTOR_PORT_RANGE", &narrow)
            .args(args)
            .args(["--port-range", &wide]))),
        "flag over env"
    );
}

#[test]
fn env_variables_set_options() {
    let port = free_port();
    let _server = listener("127.0.0.1", port, false);
    let out = run(rtdoctor()
        .env("RTDOCTOR_FORMAT", "json")
        .env("RTDOCTOR_ONLY", "port.listen,env.proxy")
        .env("RTDOCTOR_STRICT", "true")
        .args(["check", &port.to_string()]));
    let r = out.json();
    assert_eq!(r["targets"][0]["checks"].as_array().unwrap().len(), 2);
    assert_eq!(out.code, 0);
    // A proxy variable without NO_PROXY: env.proxy warns on any machine.
    let proxy = "http://proxy.invalid:3128";
    let strict = run(rtdoctor()
        .env("RTDOCTOR_STRICT", "1")
        .env("http_proxy", proxy)
        .args(["check", &port.to_string(), "--only", "env"]));
    assert_eq!(
        strict.code, 1,
        "RTDOCTOR_STRICT makes the proxy warning fail"
    );
    let lax = run(rtdoctor().env("http_proxy", proxy).args([
        "check",
        &port.to_string(),
        "--only",
        "env",
    ]));
    assert_eq!(lax.code, 0);
}

#[test]
fn checks_and_explain_read_the_registry() {
    let out = rt(&["checks"]);
    assert_eq!(out.code, 0);
    let ids: Vec<&str> = out
        .stdout
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(ids, CATALOGUE);
    for id in ids {
        let out = rt(&["explain", id]);
        assert_eq!(out.code, 0);
        assert!(
            out.stdout.starts_with(&format!("{id} — ")),
            "{}",
            out.stdout
        );
        assert!(out.stdout.contains("Fix"), "{id} explains no fix");
    }
    assert!(
        rt(&["explain", "net.dualstack"])
            .stdout
            .contains("Skipped when port.listen fails.")
    );
}
