//! Planted secrets: generated secrets, one per channel and shape (the
//! environment, `-H`, the target URL, `--auth`, a declared check's own
//! headers and auth, log files and config files in every format, the
//! server's command line, a body and a CONNECT_ERROR the server echoes
//! back, malformed input that an error quotes), never appear in stdout,
//! stderr, any bundle file or the raw tar stream. The server is
//! python-socketio (tests/servers/py_healthy.py) with `/echo` and the
//! refusing `/echo` namespace. Each case runs the binary four times, so
//! the case count is small; `PROPTEST_CASES` raises it.

use std::io::Read;
use std::path::Path;

use proptest::prelude::*;

use crate::peers::py_healthy;
use crate::support::*;

/// One planted value: where it went and in what shape.
struct Plant {
    channel: &'static str,
    shape: &'static str,
    value: String,
}

/// `s` repeated to `n` characters (token formats have fixed lengths).
fn pad(s: &str, n: usize) -> String {
    s.chars().cycle().take(n).collect()
}

/// Planting: each call takes the next generated secret, shapes it, and
/// records the shaped value that must not appear.
struct Garden {
    secrets: std::vec::IntoIter<String>,
    plants: Vec<Plant>,
}

impl Garden {
    fn plant(
        &mut self,
        channel: &'static str,
        shape: &'static str,
        make: impl Fn(&str) -> String,
    ) -> String {
        let secret = self.secrets.next().expect("enough secrets generated");
        let value = make(&secret);
        self.plants.push(Plant {
            channel,
            shape,
            value: value.clone(),
        });
        value
    }

    fn bare(&mut self, channel: &'static str, shape: &'static str) -> String {
        self.plant(channel, shape, str::to_string)
    }
}

const SECRETS: usize = 64;

fn log_text(g: &mut Garden) -> String {
    let mut lines = vec!["INFO server starting on 0.0.0.0:8765".to_string()];
    let mut add = |line: String| lines.push(line);
    add(format!(
        "db:\n  password: {}",
        g.bare("log", "yaml nested key")
    ));
    add(format!(
        r#"{{"db":{{"password":"{}"}}}}"#,
        g.bare("log", "compact nested json")
    ));
    add(format!(
        "a=1|db_password={}|b=2",
        g.bare("log", "pipe-separated pairs")
    ));
    add(format!(
        "redis://:{}@127.0.0.1:6379/0",
        g.bare("log", "url, empty user")
    ));
    let at = g.plant("log", "url, @ in password", |s| format!("{s}@x"));
    add(format!("redis://u:{at}@127.0.0.1:6379/0"));
    add(format!(
        r#"{{"password": "{}\"q"}}"#,
        g.bare("log", "json escaped quote")
    ));
    add(format!("DB_PASS={}", g.bare("log", "DB_PASS")));
    add(format!("pwd: {}", g.bare("log", "pwd")));
    add(format!("passphrase = {}", g.bare("log", "passphrase")));
    add(format!(
        "AWS_ACCESS_KEY_ID={}",
        g.bare("log", "AWS_ACCESS_KEY_ID")
    ));
    let sig = g.bare("log", "query sig");
    let amz = g.bare("log", "query X-Amz-Signature");
    let code = g.bare("log", "query code");
    add(format!(
        "GET /f?sig={sig}&X-Amz-Signature={amz}&code={code}&x=1"
    ));
    let digest = g.bare("log", "digest response");
    add(format!(
        r#"Authorization: Digest username="u", nonce="n", response="{digest}""#
    ));
    add(g.plant("log", "aws AKIA", |s| {
        format!("AKIA{}", pad(&s.to_uppercase(), 16))
    }));
    add(g.plant("log", "github ghp_", |s| format!("ghp_{}", pad(s, 36))));
    add(g.plant("log", "github_pat_", |s| {
        format!("github_pat_{}", pad(s, 82))
    }));
    add(g.plant("log", "slack xoxb-", |s| format!("xoxb-1234567890-{s}")));
    add(g.plant("log", "slack webhook", |s| {
        format!("https://hooks.slack.com/services/T0/B0/{s}")
    }));
    add(g.plant("log", "stripe sk_live_", |s| format!("sk_live_{s}")));
    add(g.plant("log", "gitlab glpat-", |s| format!("glpat-{}", pad(s, 20))));
    add(g.plant("log", "npm npm_", |s| format!("npm_{}", pad(s, 36))));
    add(g.plant("log", "google AIza", |s| format!("AIza{}", pad(s, 35))));
    let pgp = g.bare("log", "pgp private key block");
    add(format!(
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n{pgp}\n=abcd\n-----END PGP PRIVATE KEY BLOCK-----"
    ));
    let ssh = g.bare("log", "openssh private key");
    add(format!(
        "-----BEGIN OPENSSH PRIVATE KEY-----\n{ssh}\n-----END OPENSSH PRIVATE KEY-----"
    ));
    add("INFO done".into());
    lines.join("\n") + "\n"
}

fn write_configs(g: &mut Garden, d: &Path) -> Vec<String> {
    let files = [
        (
            "app.yaml",
            format!(
                "db:\n  password: {}\n  port: 5432\napi:\n  secret: |\n    {}\ncache: {{token: {}, ttl: 5}}\n",
                g.bare("config", "yaml nested"),
                g.bare("config", "yaml block scalar"),
                g.bare("config", "yaml flow mapping"),
            ),
        ),
        (
            "app.json",
            format!(
                r#"{{"db":{{"password":"{}","port":5432}},"k":{{"api_key":"{}\"x"}}}}"#,
                g.bare("config", "json compact nested"),
                g.bare("config", "json escaped quote"),
            ),
        ),
        (
            "app.toml",
            format!(
                "[db]\npassword = \"\"\"{}\"\"\"\nport = 5432\n[api]\ntoken = '{}'\n",
                g.bare("config", "toml triple-quoted"),
                g.bare("config", "toml literal string"),
            ),
        ),
        (
            "app.ini",
            format!("[db]\nhost = db\npass = {}\n", g.bare("config", "ini")),
        ),
        (
            ".env",
            format!(
                "PORT=8765\nexport SESSION_SECRET=\"{}\"\nDB_PASS={}\n",
                g.bare("config", ".env export"),
                g.bare("config", ".env"),
            ),
        ),
        (
            "app.xml",
            format!(
                "<config><db><password>{}</password><port>5432</port></db><api key=\"{}\"/></config>\n",
                g.bare("config", "xml element"),
                g.bare("config", "xml attribute"),
            ),
        ),
    ];
    let mut args = Vec::new();
    for (name, text) in files {
        std::fs::write(d.join(name), text).unwrap();
        args.push("--config-file".into());
        args.push(d.join(name).to_string_lossy().into_owned());
    }
    args
}

/// Key files whose BEGIN line the bundle does not keep: one cut by the
/// 1 MiB read window (its END is kept), one cut by `--log-lines` with no
/// END at all (a key being written when the bundle was made).
fn write_keys(g: &mut Garden, d: &Path) -> Vec<String> {
    let window = g.plant("log", "key body, BEGIN beyond the read window", |s| {
        pad(s, 64)
    });
    let body = format!("{window}\n").repeat(1024 * 1024 / 64 + 1000);
    std::fs::write(
        d.join("window.log"),
        format!("-----BEGIN PRIVATE KEY-----\n{body}-----END PRIVATE KEY-----\n"),
    )
    .unwrap();
    let lines = g.plant("log", "key body, BEGIN beyond --log-lines", |s| pad(s, 64));
    let body = format!("{lines}\n").repeat(700);
    std::fs::write(
        d.join("cut.log"),
        format!("INFO\n-----BEGIN RSA PRIVATE KEY-----\n{body}"),
    )
    .unwrap();
    let env = g.bare("log", "NUL-separated environment");
    std::fs::write(
        d.join("environ"),
        format!("PATH=/bin\0DB_PASSWORD={env}\0HOME=/root\0"),
    )
    .unwrap();
    ["window.log", "cut.log", "environ"]
        .iter()
        .flat_map(|f| {
            [
                "--log".to_string(),
                d.join(f).to_string_lossy().into_owned(),
            ]
        })
        .collect()
}

fn write_declared(g: &mut Garden, d: &Path) -> String {
    let dir = d.join("checks");
    std::fs::create_dir_all(&dir).unwrap();
    let header = g.bare("declared check", "own header, echoed in a body");
    let auth = g.bare("declared check", "own auth, quoted in a CONNECT_ERROR");
    std::fs::write(
        dir.join("echo.toml"),
        format!(
            r#"[[check]]
id = "app.echo"
title = "echo"
kind = "http"
fix = "none"
path = "/echo"
headers = {{ X-Check-Token = "{header}" }}
expect = {{ contains = "never-in-the-body" }}

[[check]]
id = "app.echo_ns"
title = "echo namespace"
kind = "socketio"
fix = "none"
namespace = "/echo"
auth = {{ token = "{auth}" }}
emit = "ping"
"#
        ),
    )
    .unwrap();
    // A file that does not load: its error, in the report, quotes the value.
    let bad = g.bare("declared check", "header in a load error");
    std::fs::write(
        dir.join("bad.toml"),
        format!(
            "[[check]]\nid = \"app.bad\"\ntitle = \"bad\"\nkind = \"http\"\nfix = \"none\"\nheaders = \"X-Bad: {bad}\"\n"
        ),
    )
    .unwrap();
    dir.to_string_lossy().into_owned()
}

fn tar_texts(bundle: &Path) -> Vec<(String, String)> {
    let bytes = std::fs::read(bundle).unwrap();
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(bytes.as_slice())
        .read_to_end(&mut raw)
        .unwrap();
    let mut out = vec![(
        "the raw tar stream".to_string(),
        String::from_utf8_lossy(&raw).into_owned(),
    )];
    let mut archive = tar::Archive::new(raw.as_slice());
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let mut text = Vec::new();
        entry.read_to_end(&mut text).unwrap();
        out.push((name, String::from_utf8_lossy(&text).into_owned()));
    }
    out
}

fn plant_and_run(secrets: Vec<String>) -> (Vec<Plant>, Vec<(String, String)>) {
    let mut g = Garden {
        secrets: secrets.into_iter(),
        plants: Vec::new(),
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cmd_flag = g.bare("command line", "--db-password=V");
    let cmd_spaced = g.bare("command line", "--requirepass V");
    let cmd_env = g.bare("command line", "PGPASSWORD=V");
    let server = py_healthy(&[
        &format!("--db-password={cmd_flag}"),
        "--requirepass",
        &cmd_spaced,
        &format!("PGPASSWORD={cmd_env}"),
    ]);
    std::fs::write(d.join("app.log"), log_text(&mut g)).unwrap();
    let mut files = vec![
        "--log".to_string(),
        d.join("app.log").to_string_lossy().into_owned(),
    ];
    files.extend(write_keys(&mut g, d));
    files.extend(write_configs(&mut g, d));
    let checks = write_declared(&mut g, d);
    let bearer = g.bare("header", "Authorization: Bearer V (echoed in a body)");
    let api_key = g.bare("header", "X-Api-Key: V");
    let auth = g.bare("auth", "--auth token (quoted in a CONNECT_ERROR)");
    let user = g.bare("url", "userinfo password");
    let query = g.bare("url", "query token");
    let env_secret = g.bare("env", "SOCKETIO_SECRET");
    let env_flag = g.bare("env", "NODE_OPTIONS --api-token=V");
    let env_url = g.bare("env", "NPM_CONFIG_PROXY userinfo");
    let bad_header = g.bare("error", "-H without a colon");
    let bad_config = g.bare("error", "rtdoctor.toml auth in an error");
    let config_header = g.bare("config file", "rtdoctor.toml headers");

    let target = format!("http://u:{user}@127.0.0.1:{}/?token={query}", server.port);
    let auth_json = format!(r#"{{"token":"{auth}"}}"#);
    let bundle = d.join("out.tar.gz");
    let common = |cmd: &mut std::process::Command| {
        cmd.args(["-H", &format!("Authorization: Bearer {bearer}")])
            .args(["-H", &format!("X-Api-Key: {api_key}")])
            .args(["--auth", &auth_json, "--namespace", "/echo"])
            .args(["--checks", &checks, "--timeout", "3s"])
            .env("SOCKETIO_SECRET", &env_secret)
            .env("NODE_OPTIONS", format!("--api-token={env_flag}"))
            .env(
                "NPM_CONFIG_PROXY",
                format!("http://u:{env_url}@127.0.0.1:9"),
            );
    };
    let mut outputs = Vec::new();
    let mut cmd = rtdoctor();
    cmd.args(["bundle", &target, "-v", "-o"])
        .arg(&bundle)
        .args(&files);
    common(&mut cmd);
    let out = run(&mut cmd);
    assert!(bundle.exists(), "no bundle: {}", out.stderr);
    outputs.push(("bundle stdout".to_string(), out.stdout));
    outputs.push(("bundle stderr".to_string(), out.stderr));
    let texts = tar_texts(&bundle);
    let yaml = &texts
        .iter()
        .find(|(n, _)| n == "config/app.yaml")
        .unwrap()
        .1;
    assert!(
        yaml.contains("port: 5432"),
        "the config lost its layout: {yaml}"
    );
    outputs.extend(texts);

    let mut cmd = rtdoctor();
    cmd.args(["check", &target, "-v", "--wait", "2s"]);
    common(&mut cmd);
    let out = run(&mut cmd);
    // The echo channels did reach the report (else they would test nothing).
    for echoed in [
        "x-check-token",
        "x-api-key",
        "refused auth",
        "declared.load",
    ] {
        assert!(
            out.stdout.to_ascii_lowercase().contains(echoed),
            "{echoed} not in {}",
            out.stdout
        );
    }
    assert!(out.stderr.contains("answered after"), "{}", out.stderr);
    outputs.push(("check -v stdout".to_string(), out.stdout));
    outputs.push(("check -v stderr".to_string(), out.stderr));

    let out = rt(&[
        "check",
        "1",
        "-H",
        &format!("Authorization Bearer {bad_header}"),
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    outputs.push(("-H error".to_string(), out.stderr));
    let config = d.join("rtdoctor.toml");
    std::fs::write(
        &config,
        format!("auth = \"{{\\\"token\\\": \\\"{bad_config}\\\"}}\"\nbogus = 1\n"),
    )
    .unwrap();
    let out = run(rtdoctor().args(["check", "1", "--config"]).arg(&config));
    assert_eq!(out.code, 2, "{}", out.stderr);
    outputs.push(("config error".to_string(), out.stderr));
    std::fs::write(&config, format!("headers = [\"X-Cfg: {config_header}\"]\n")).unwrap();
    let out = run(rtdoctor()
        .args(["check", "1", "--only", "port.listen", "-v", "--config"])
        .arg(&config));
    outputs.push(("config headers stdout".to_string(), out.stdout));
    outputs.push(("config headers stderr".to_string(), out.stderr));
    (g.plants, outputs)
}

/// The text around a leak, for the failure message.
fn context(text: &str, at: usize) -> String {
    let start = text.floor_char_boundary(at.saturating_sub(150));
    let end = text.ceil_char_boundary((at + 150).min(text.len()));
    text[start..end].to_string()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2, max_shrink_iters: 0, .. ProptestConfig::default() })]

    #[test]
    fn a_planted_secret_never_leaves(
        secrets in prop::collection::vec("[a-z][a-zA-Z0-9]{11,19}", SECRETS)
    ) {
        let (plants, outputs) = plant_and_run(secrets);
        let mut leaks = Vec::new();
        for p in &plants {
            for (name, text) in &outputs {
                if let Some(at) = text.find(&p.value) {
                    leaks.push(format!(
                        "{} / {}: {:?} found in {}: …{}…",
                        p.channel,
                        p.shape,
                        p.value,
                        name,
                        context(text, at)
                    ));
                    break;
                }
            }
        }
        prop_assert!(
            leaks.is_empty(),
            "{} of {} plantings leaked:\n{}",
            leaks.len(),
            plants.len(),
            leaks.join("\n")
        );
    }
}
