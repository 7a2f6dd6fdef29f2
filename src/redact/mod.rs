//! Redaction: the one place that decides what counts as secret, applied to
//! everything rtdoctor writes into a bundle, to every report it prints and
//! to every line it writes on standard error. There is no switch to turn it
//! off. It errs towards hiding: a value that merely looks secret is hidden
//! too.
//!
//! Three sources of knowledge, in this order: values the run knows to be
//! secret (`-H`, `--auth`, declared checks' headers and auth, config-file
//! headers), in every form they take in text; values found by parsing a
//! structured file (`structured`); then shapes (`patterns`).

mod lines;
mod patterns;
mod remembered;
mod structured;

pub use remembered::{line, remember, remembered};

use regex::{Captures, Regex};

use patterns::{
    ASSIGNMENT, AUTH_SCHEME, ESCAPED_PAIR, FLAG, HEADLESS_KEY, JWT, KEY_BLOCK, PAIR, QUERY,
    SECRET_NAME, TOKEN, USERINFO, XML_PAIR,
};

pub const MARK: &str = "[REDACTED]";
const KEY_MARK: &str = "[REDACTED PRIVATE KEY]";
/// Known values shorter than this are hidden only where they stand as a
/// value (after `=` or `:`, quoted, after an auth scheme): hiding every
/// "1" in a report would hide the report. A short number is not hidden at
/// all: `"pass": 1` in report.json must stay JSON.
const SHORT: usize = 4;
/// Known values longer than this (a whole key file in a config value) are
/// hidden as they are, in their own letter case: compiling them into a
/// case-insensitive regex costs seconds and may exceed its size limit.
const BIG: usize = 4096;

pub fn is_secret_name(name: &str) -> bool {
    SECRET_NAME.is_match(name)
}

/// Redacts known secret values and every secret-shaped thing; counts what
/// it hid.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    known: Vec<String>,
    matcher: Known,
    /// Also parse structured text and hide the values of secret-named
    /// `key: value` pairs: for logs, config files, the environment and
    /// error messages, not for rtdoctor's own report sentences.
    pairs: bool,
}

/// The known values' forms, compiled.
#[derive(Clone, Debug, Default)]
struct Known {
    /// Hidden wherever they appear, in any letter case.
    anywhere: Vec<Regex>,
    /// Forms too big for a regex even alone: hidden as they are.
    literal: Vec<String>,
    /// Hidden in value positions only (short values).
    as_value: Option<Regex>,
}

impl Known {
    fn new(values: &[String]) -> Self {
        let mut long = Vec::new();
        let mut short = Vec::new();
        for form in values.iter().flat_map(|v| forms(v)) {
            if form.chars().count() >= SHORT {
                long.push(form);
            } else if !form.is_empty() && !form.chars().all(|c| c.is_ascii_digit()) {
                short.push(form);
            }
        }
        // Longest first: the regex takes the first alternative that
        // matches, so a secret that contains another is hidden whole.
        for v in [&mut long, &mut short] {
            v.sort_by_key(|f| std::cmp::Reverse(f.len()));
            v.dedup();
        }
        let alternation = |v: &[String]| {
            v.iter()
                .map(|f| regex::escape(f))
                .collect::<Vec<_>>()
                .join("|")
        };
        let mut known = Known::default();
        let (big, long): (Vec<String>, Vec<String>) = long.into_iter().partition(|f| f.len() > BIG);
        known.literal = big;
        if long.is_empty() {
        } else if let Ok(re) = Regex::new(&format!("(?i)(?:{})", alternation(&long))) {
            known.anywhere.push(re);
        } else {
            // Too big for one automaton (huge values): one at a time, and
            // a value too big even alone is hidden as it is (never skipped).
            for f in long {
                match Regex::new(&format!("(?i){}", regex::escape(&f))) {
                    Ok(re) => known.anywhere.push(re),
                    Err(_) => known.literal.push(f),
                }
            }
        }
        if !short.is_empty() {
            let pattern = format!(
                r#"(?i)(=[ \t]*|:[ \t]*|["']|(?-u:\b)(?:bearer|basic|token)[ \t]+)(?:{})([^0-9A-Za-z_]|$)"#,
                alternation(&short)
            );
            match Regex::new(&pattern) {
                Ok(re) => known.as_value = Some(re),
                Err(_) => known.literal.extend(short),
            }
        }
        known
    }

    fn hide(&self, s: String, n: &mut usize) -> String {
        let mut s = s;
        for f in &self.literal {
            let hits = s.matches(f.as_str()).count();
            if hits > 0 {
                *n += hits;
                s = s.replace(f.as_str(), MARK);
            }
        }
        for re in &self.anywhere {
            s = replace(re, s, n, |_| MARK.to_string());
        }
        if let Some(re) = &self.as_value {
            s = replace(re, s, n, |c| format!("{}{MARK}{}", &c[1], &c[2]));
        }
        s
    }
}

/// The forms a known value takes in text: as given, its token without the
/// auth scheme (`Bearer abc` → `abc`), each line of a multi-line value,
/// JSON-escaped, URL-encoded.
fn forms(value: &str) -> Vec<String> {
    let mut base = vec![value.to_string(), value.trim().to_string()];
    // A whole header as a config file lists it: `Name: value`.
    if let Some((_, v)) = value.split_once(": ") {
        base.push(v.trim().to_string());
    }
    for b in base.clone() {
        let words: Vec<&str> = b.split_whitespace().collect();
        if words.len() == 2 && words[0].chars().all(|c| c.is_ascii_alphabetic()) {
            base.push(words[1].to_string());
        }
    }
    if value.contains('\n') {
        base.extend(
            value
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(String::from),
        );
    }
    let mut out = Vec::new();
    for b in base {
        if let Ok(json) = serde_json::to_string(&b) {
            out.push(json[1..json.len() - 1].to_string());
        }
        let url: String = url::form_urlencoded::byte_serialize(b.as_bytes()).collect();
        out.push(url.replace('+', "%20"));
        out.push(url);
        out.push(b);
    }
    out
}

impl Redactor {
    /// `known`: values that are secret wherever they appear.
    pub fn new(known: impl IntoIterator<Item = String>) -> Self {
        let mut known: Vec<String> = known.into_iter().filter(|v| !v.trim().is_empty()).collect();
        known.sort();
        known.dedup();
        Redactor {
            matcher: Known::new(&known),
            known,
            pairs: false,
        }
    }

    /// The same, and key/value pairs too (logs, config files, env).
    pub fn for_files(&self) -> Self {
        Redactor {
            pairs: true,
            ..self.clone()
        }
    }

    pub fn text(&self, input: &str) -> String {
        self.count(input).0
    }

    /// The redacted text and how many values were hidden.
    pub fn count(&self, input: &str) -> (String, usize) {
        let mut n = 0;
        // A process environment as the kernel lists it is NUL-separated: each NUL ends
        // a line, for the line patterns and for whoever reads the result.
        let s = if self.pairs {
            input.replace('\0', "\n")
        } else {
            input.to_string()
        };
        let s = replace(&KEY_BLOCK, s, &mut n, |_| KEY_MARK.to_string());
        let s = replace(&HEADLESS_KEY, s, &mut n, |_| KEY_MARK.to_string());
        let s = if self.pairs {
            let found = structured::secret_values(&s);
            if found.is_empty() {
                self.matcher.hide(s, &mut n)
            } else {
                let all: Vec<String> = self.known.iter().cloned().chain(found).collect();
                Known::new(&all).hide(s, &mut n)
            }
        } else {
            self.matcher.hide(s, &mut n)
        };
        let s = replace(&TOKEN, s, &mut n, |_| MARK.to_string());
        let s = replace(&JWT, s, &mut n, |_| MARK.to_string());
        let s = replace(&AUTH_SCHEME, s, &mut n, |c| {
            let scheme = c.get(1).or(c.get(2)).map_or("", |m| m.as_str());
            format!("{scheme} {MARK}")
        });
        let s = replace(&USERINFO, s, &mut n, |c| format!("{}{MARK}@", &c[1]));
        let s = keep_or_hide(&QUERY, s, &mut n, |c| {
            (is_secret_name(&c[2]) && hideable(&c[3])).then(|| format!("{}{}={MARK}", &c[1], &c[2]))
        });
        let s = keep_or_hide(&FLAG, s, &mut n, |c| {
            let name = c[2].trim_start_matches('-');
            let value = unquote(&c[4]);
            let spaced = c[3].trim().is_empty();
            (is_secret_name(name) && hideable(value) && !(spaced && value.starts_with('-')))
                .then(|| format!("{}{}{}{MARK}", &c[1], &c[2], &c[3]))
        });
        let s = keep_or_hide(&ASSIGNMENT, s, &mut n, |c| {
            (is_secret_name(&c[2]) && hideable(unquote(&c[3])))
                .then(|| format!("{}{}={}", &c[1], &c[2], quoted(&c[3])))
        });
        let s = keep_or_hide(&ESCAPED_PAIR, s, &mut n, |c| {
            (is_secret_name(&c[1]) && hideable(&c[3]))
                .then(|| format!("\\\"{}\\\"{}\\\"{MARK}\\\"", &c[1], &c[2]))
        });
        if !self.pairs {
            return (s, n);
        }
        let s = lines::key_lines(s, &mut n);
        let s = keep_or_hide(&PAIR, s, &mut n, |c| {
            (is_secret_name(&c[2]) && hideable(unquote(&c[5])))
                .then(|| format!("{}{}{}{}{}", &c[1], &c[2], &c[3], &c[4], quoted(&c[5])))
        });
        let s = keep_or_hide(&XML_PAIR, s, &mut n, |c| {
            let value = c.get(2)?;
            (c[1] == c[3] && is_secret_name(&c[1]) && hideable(value.as_str())).then(|| {
                let whole = c.get(0).map_or("", |m| m.as_str());
                let at = value.start() - c.get(0).map_or(0, |m| m.start());
                format!("{}{MARK}{}", &whole[..at], &whole[at + value.len()..])
            })
        });
        (s, n)
    }
}

fn replace(re: &Regex, s: String, n: &mut usize, with: impl Fn(&Captures) -> String) -> String {
    match re.replace_all(&s, |c: &Captures| {
        *n += 1;
        with(c)
    }) {
        std::borrow::Cow::Borrowed(_) => s,
        std::borrow::Cow::Owned(o) => o,
    }
}

/// Like `replace`, where the closure decides (by `None`) to keep a match.
fn keep_or_hide(
    re: &Regex,
    s: String,
    n: &mut usize,
    with: impl Fn(&Captures) -> Option<String>,
) -> String {
    match re.replace_all(&s, |c: &Captures| match with(c) {
        Some(t) => {
            *n += 1;
            t
        }
        None => c[0].to_string(),
    }) {
        std::borrow::Cow::Borrowed(_) => s,
        std::borrow::Cow::Owned(o) => o,
    }
}

fn quoted(value: &str) -> String {
    for q in ['"', '\''] {
        if value.len() >= 2 && value.starts_with(q) && value.ends_with(q) {
            return format!("{q}{MARK}{q}");
        }
    }
    MARK.to_string()
}

pub(super) fn unquote(value: &str) -> &str {
    value.trim().trim_matches(|ch| ch == '"' || ch == '\'')
}

/// Whether a value found by a shape is worth hiding: not already hidden,
/// not a placeholder (rtdoctor's own `'{"token":"…"}'` in a fix), a scheme
/// word, a boolean or a number.
pub(super) fn hideable(bare: &str) -> bool {
    let scheme =
        ["bearer", "basic", "token", "digest"].contains(&bare.to_ascii_lowercase().as_str());
    let plain = matches!(bare, "true" | "false" | "null" | "None" | "~")
        || bare.chars().all(|ch| ch.is_ascii_digit());
    !bare.is_empty()
        && !bare.contains(MARK)
        && !bare.contains('…')
        && !bare.starts_with('[')
        && !scheme
        && !plain
}

/// A command line's arguments with their secrets hidden: the value of a
/// secret-named flag given as the next argument (`--requirepass x`), and
/// whatever an argument holds by shape (`--db-password=x`, `PGPASSWORD=x`,
/// a URL's userinfo).
pub fn command_args(args: Vec<String>) -> Vec<String> {
    let shapes = Redactor::default();
    let mut hide_next = false;
    args.into_iter()
        .map(|arg| {
            let value = hide_next && !arg.starts_with('-');
            hide_next = arg.starts_with('-')
                && !arg.contains('=')
                && is_secret_name(arg.trim_start_matches('-'));
            if value {
                MARK.to_string()
            } else {
                shapes.text(&arg)
            }
        })
        .collect()
}

/// The values under secret-named keys (at any depth) of a structured
/// file: a config file's are remembered as soon as it is read, so that an
/// error about it, or a report, never quotes them.
pub fn secret_values(text: &str) -> Vec<String> {
    structured::secret_values(text)
}

/// Every string of a JSON value (an `--auth` payload's secrets).
pub fn json_strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| json_strings(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| json_strings(x, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> String {
        Redactor::default().for_files().text(s)
    }

    #[test]
    fn secret_shapes_are_hidden() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
        assert!(!r(&format!("token in a log line: {jwt}")).contains("eyJzdWIi"));
        assert_eq!(
            r("Authorization: Bearer abc.def-ghi123"),
            "Authorization: [REDACTED]"
        );
        assert!(!r("sent Basic dXNlcjpwYXNz to the proxy").contains("dXNlcjpwYXNz"));
        assert_eq!(
            r("http://alice:s3cret@proxy:3128/"),
            "http://[REDACTED]@proxy:3128/"
        );
        assert_eq!(
            r("wss://h/ws?token=abc123&room=1"),
            "wss://h/ws?token=[REDACTED]&room=1"
        );
        assert_eq!(
            r("GET /socket.io/?EIO=4&transport=polling&sid=xyz"),
            "GET /socket.io/?EIO=4&transport=polling&sid=xyz"
        );
        let pem =
            "a\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nabc\n-----END RSA PRIVATE KEY-----\nb";
        assert_eq!(r(pem), "a\n[REDACTED PRIVATE KEY]\nb");
    }

    #[test]
    fn key_value_pairs_in_every_format() {
        assert_eq!(r("DB_PASSWORD=hunter2"), "DB_PASSWORD=[REDACTED]");
        assert_eq!(r("api_key: \"k-123\""), "api_key: \"[REDACTED]\"");
        assert_eq!(
            r(r#"{"secret": "x1", "port": 8765}"#),
            r#"{"secret": "[REDACTED]", "port": 8765}"#
        );
        assert_eq!(r("session_secret = 'abc'"), "session_secret = '[REDACTED]'");
        assert_eq!(r("PORT=8765\nHOST=0.0.0.0"), "PORT=8765\nHOST=0.0.0.0");
        assert_eq!(r("cookie=abcd; path=/"), "cookie=[REDACTED]; path=/");
        assert_eq!(
            r("Access-Control-Allow-Credentials: true"),
            "Access-Control-Allow-Credentials: true"
        );
    }

    #[test]
    fn sentences_keep_their_words() {
        let report = Redactor::default();
        let s = "HTTP/1.1 401 Unauthorized: the endpoint wants credentials: Bearer abcdef123";
        assert_eq!(
            report.text(s),
            "HTTP/1.1 401 Unauthorized: the endpoint wants credentials: Bearer [REDACTED]"
        );
    }

    #[test]
    fn known_values_are_hidden_wherever_they_appear_and_counted() {
        let red = Redactor::new(["k-secret-value".to_string(), "ab".to_string()]);
        let (text, n) = red.count("x-custom: k-secret-value, and again k-secret-value; ab stays");
        assert_eq!(text, "x-custom: [REDACTED], and again [REDACTED]; ab stays");
        assert_eq!(n, 2);
    }

    /// The shapes issue 11 found leaking; each must lose its value `V…`.
    #[test]
    fn the_shapes_that_leaked() {
        let cases = [
            "db:\n  password: Vyaml1\n  port: 5432\n",
            r#"{"db":{"password":"Vjson1"}}"#,
            "db: {password: Vflow1, user: u}\n",
            "[db]\npassword = \"\"\"Vtoml1\"\"\"\n",
            "password: |\n  Vblock1\n  Vblock2\nport: 1\n",
            "<cfg><password>Vxml1</password></cfg>",
            "log: a=1|db_password=Vpipe1|b=2",
            "redis://:Vurl1@127.0.0.1:6379/0",
            "redis://u:Vurl2@x@127.0.0.1:6379/0",
            r#"log {"password": "Vesc\"1"} end"#,
            "log line {\"db\":{\"password\":\"Vjson2\"}} then text",
            r#"invalid type: string "{\"token\": \"Vesc2\"}", expected"#,
            "DB_PASS=Vname1\npwd: Vname2\npassphrase = Vname3\nAWS_ACCESS_KEY_ID=Vname4\n",
            "GET /f?sig=Vq1&X-Amz-Signature=Vq2&code=Vq3&x=1",
            r#"Authorization: Digest username="u", nonce="n", response="Vdigest1""#,
            "aws AKIAIOSFODNN7VEXAMPL and ghp_Vaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "github_pat_Vbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb xoxb-1234567890-Vcccccccccccc",
            "https://hooks.slack.com/services/T000/B000/Vdddddddddddddddddddd",
            "sk_live_Veeeeeeeeeeeeeee glpat-Vffffffffffffffffffff npm_Vgggggggggggggggggggggggggggggggggggg",
            "AIzaVhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh",
            "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nVpgp1\n-----END PGP PRIVATE KEY BLOCK-----",
            "-----BEGIN OPENSSH PRIVATE KEY-----\nVssh1\n-----END OPENSSH PRIVATE KEY-----",
            "PATH=/bin\0DB_PASSWORD=Vnul1\0HOME=/root",
            "VbodyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\nVbody2AAAAAAAAAAAA==\n-----END PRIVATE KEY-----\n",
            "app --db-password=Vcmd1 --port 8 --api-token Vcmd2",
            "PGPASSWORD=Vcmd3 psql; redis-server --requirepass Vcmd4",
            "NODE_OPTIONS=--api-token=Venv1",
        ];
        let planted = Regex::new("V[a-z0-9]").unwrap();
        for case in cases {
            let out = r(case);
            assert!(!planted.is_match(&out), "{case:?} became {out:?}");
        }
    }

    #[test]
    fn command_lines_in_reports_are_redacted() {
        let report = Redactor::default();
        let line = "/usr/bin/node app.js --db-password=Vcmd1 --requirepass Vcmd2 --port 8080";
        assert_eq!(
            report.text(line),
            "/usr/bin/node app.js --db-password=[REDACTED] --requirepass [REDACTED] --port 8080"
        );
        assert_eq!(
            report.text("env PGPASSWORD=Vx psql -h db"),
            "env PGPASSWORD=[REDACTED] psql -h db"
        );
    }

    #[test]
    fn command_arguments_lose_their_secrets() {
        let args = [
            "redis-server",
            "--requirepass",
            "Vx1",
            "--port",
            "6379",
            "--db-password=Vx2",
        ];
        assert_eq!(
            command_args(args.iter().map(|a| a.to_string()).collect()),
            [
                "redis-server",
                "--requirepass",
                MARK,
                "--port",
                "6379",
                "--db-password=[REDACTED]"
            ]
        );
    }

    #[test]
    fn known_values_in_every_form() {
        let red = Redactor::new(["Bearer s3cr\"et/Tok".to_string(), "k9".to_string()]);
        for text in [
            "echo: Bearer s3cr\"et/Tok",
            "bare s3cr\"et/Tok here",
            r#"{"message":"bad token s3cr\"et/Tok"}"#,
            "upper S3CR\"ET/TOK",
            "url ?t=s3cr%22et%2FTok",
            "header x-key: k9",
            r#"{"token":"K9"}"#,
        ] {
            let out = red.text(text);
            assert!(
                !out.to_lowercase().contains("et/tok")
                    && !out.to_lowercase().contains("et%2ftok")
                    && !out.to_lowercase().contains("k9"),
                "{text:?} became {out:?}"
            );
        }
        assert_eq!(red.text("k9s and 1k9 stay"), "k9s and 1k9 stay");
        let digit = Redactor::new(["1".to_string()]);
        assert_eq!(
            digit.text(r#"{"pass": 1, "x": "1"}"#),
            r#"{"pass": 1, "x": "1"}"#
        );
    }

    #[test]
    fn a_value_too_big_for_a_regex_is_still_hidden() {
        let huge = "Vhuge".repeat(10_000);
        let red = Redactor::new([huge.clone(), "Vsmall1".to_string()]);
        let out = red.text(&format!("a {huge} b Vsmall1 c"));
        assert_eq!(out, "a [REDACTED] b [REDACTED] c");
        assert_eq!(
            Redactor::default().text("Digest authentication is not offered"),
            "Digest authentication is not offered"
        );
    }

    #[test]
    fn stderr_lines_hide_remembered_values_and_shapes() {
        remember(["Vremembered1".to_string()]);
        assert_eq!(
            line("rtdoctor: error: -H: 'X-Key Vremembered1' is not a header"),
            "rtdoctor: error: -H: 'X-Key [REDACTED]' is not a header"
        );
        assert_eq!(
            line("rtdoctor: http://alice:s3cret@127.0.0.1:1/ answered after 3 ms"),
            "rtdoctor: http://[REDACTED]@127.0.0.1:1/ answered after 3 ms"
        );
    }

    #[test]
    fn ordinary_lines_keep_their_words() {
        let files = Redactor::default().for_files();
        for line in [
            "PORT=8765\nHOST=0.0.0.0\n",
            "INFO server started on 0.0.0.0:8765\n",
            "password_min_length: 12\nsecret_rotation: true\n",
            "listen 8080;\nproxy_pass http://127.0.0.1:8765;\n",
        ] {
            assert_eq!(files.text(line), line);
        }
    }
}
