//! Redaction: the one place that decides what counts as secret, applied to
//! everything rtdoctor writes into a bundle and to every report it prints.
//! There is no switch to turn it off. It errs towards hiding: a value that
//! merely looks secret is hidden too.

use std::sync::LazyLock;

use regex::{Captures, Regex};

pub const MARK: &str = "[REDACTED]";

/// Names (of variables, headers, config keys, query parameters) whose
/// values are secret.
static SECRET_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(passw(or)?d|passwd|secret|token|api[_-]?key|[_-]key\b|^key$|auth|cookie|session|credential|private)")
        .expect("a valid pattern")
});

static PEM_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?s)-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----.*?(-----END ([A-Z0-9 ]*)PRIVATE KEY-----|\z)",
    )
    .expect("a valid pattern")
});
static AUTH_SCHEME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(bearer|basic|token|digest)\s+[A-Za-z0-9._~+/=-]{6,}")
        .expect("a valid pattern")
});
static JWT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
        .expect("a valid pattern")
});
static USERINFO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@:]+(:[^/\s@]*)?@").expect("a valid pattern")
});
static QUERY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"([?&;])([A-Za-z0-9_.-]+)=([^&\s#\x22']*)").expect("a valid pattern")
});
/// `key = value`, `key: value`, `"key": "value"`, `KEY=value`, `key=value`
/// (INI, .env, YAML, TOML, JSON, log lines), one pair at a time.
static PAIR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?m)(["']?)([A-Za-z_][A-Za-z0-9_.-]*)(["']?)(\s*[:=]\s*)("[^"\n]*"|'[^'\n]*'|[^\s,;}\]]+)"#).expect("a valid pattern")
});

pub fn is_secret_name(name: &str) -> bool {
    SECRET_NAME.is_match(name)
}

/// Redacts known secret values (from `-H`, `--auth`) and every secret-shaped
/// thing; counts what it hid.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    known: Vec<String>,
    /// Also hide the values of secret-named `key: value` pairs: for log and
    /// config files, not for rtdoctor's own sentences.
    pairs: bool,
}

impl Redactor {
    /// `known`: values that are secret wherever they appear. Very short
    /// ones are skipped: hiding every "1" would hide the report.
    pub fn new(known: impl IntoIterator<Item = String>) -> Self {
        let mut known: Vec<String> = known.into_iter().filter(|v| v.len() >= 4).collect();
        // Longest first, so a secret that contains another is hidden whole.
        known.sort_by_key(|v| std::cmp::Reverse(v.len()));
        known.dedup();
        Redactor {
            known,
            pairs: false,
        }
    }

    /// The same, and key/value pairs too (logs, config files, env).
    pub fn for_files(&self) -> Self {
        Redactor {
            known: self.known.clone(),
            pairs: true,
        }
    }

    pub fn text(&self, input: &str) -> String {
        self.count(input).0
    }

    /// The redacted text and how many values were hidden.
    pub fn count(&self, input: &str) -> (String, usize) {
        let mut n = 0;
        let mut s = PEM_KEY
            .replace_all(input, |_: &Captures| {
                n += 1;
                "[REDACTED PRIVATE KEY]".to_string()
            })
            .into_owned();
        for secret in &self.known {
            let hits = s.matches(secret.as_str()).count();
            if hits > 0 {
                n += hits;
                s = s.replace(secret.as_str(), MARK);
            }
        }
        s = JWT
            .replace_all(&s, |_: &Captures| {
                n += 1;
                MARK.to_string()
            })
            .into_owned();
        s = AUTH_SCHEME
            .replace_all(&s, |c: &Captures| {
                n += 1;
                format!("{} {MARK}", &c[1])
            })
            .into_owned();
        s = USERINFO
            .replace_all(&s, |c: &Captures| {
                n += 1;
                format!("{}{MARK}@", &c[1])
            })
            .into_owned();
        s = QUERY
            .replace_all(&s, |c: &Captures| {
                if is_secret_name(&c[2]) && !c[3].is_empty() && &c[3] != MARK {
                    n += 1;
                    format!("{}{}={MARK}", &c[1], &c[2])
                } else {
                    c[0].to_string()
                }
            })
            .into_owned();
        if !self.pairs {
            return (s, n);
        }
        s = PAIR
            .replace_all(&s, |c: &Captures| {
                let value = &c[5];
                let bare = value.trim_matches(|ch| ch == '"' || ch == '\'');
                // "Authorization: Bearer [REDACTED]": the scheme word stays,
                // its token was hidden above.
                let scheme = ["bearer", "basic", "token", "digest"]
                    .contains(&bare.to_ascii_lowercase().as_str());
                // A boolean or a number is never the secret itself.
                let plain = matches!(bare, "true" | "false" | "null")
                    || bare.chars().all(|ch| ch.is_ascii_digit());
                if is_secret_name(&c[2])
                    && !bare.is_empty()
                    && !bare.contains(MARK)
                    && !bare.starts_with('[')
                    && !scheme
                    && !plain
                {
                    n += 1;
                    let quote = if value.starts_with('"') {
                        "\""
                    } else if value.starts_with('\'') {
                        "'"
                    } else {
                        ""
                    };
                    format!("{}{}{}{}{quote}{MARK}{quote}", &c[1], &c[2], &c[3], &c[4])
                } else {
                    c[0].to_string()
                }
            })
            .into_owned();
        (s, n)
    }
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
            "Authorization: Bearer [REDACTED]"
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
}
