//! The shapes a secret has when nothing names it to rtdoctor: private-key
//! blocks, well-known token formats, credentials in URLs and auth headers,
//! secret-named flags and assignments. No pattern crosses a line unless
//! the shape itself spans lines (a key block).

use std::sync::LazyLock;

use regex::Regex;

/// The classes are ASCII (`[0-9A-Za-z_]`, `(?-u:\b)`): the shapes are
/// ASCII, and Unicode `\w` repeated `{35}` made every start of a debug
/// build compile regexes for about a second (0.95 s → 0.04 s for a run).
fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("a valid pattern")
}

/// Names (of variables, headers, config keys, flags, query parameters)
/// whose values are secret. `headers` too: rtdoctor never shows a header
/// value, and a config file's `headers` list holds them (not `header`: a
/// declared check's `expect.header` holds what the answer should carry). `pass` alone counts only as a whole part of a
/// name (`DB_PASS`, `requirepass`), not inside a word like `passive`.
pub static SECRET_NAME: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"(?i)(passw(or)?d|passwd|passphrase|pwd|pass$|pass[_.-]|^pass|secret|token|",
        r"api[_-]?key|access[_-]?key|[_-]key(?-u:\b)|[_-]key[_-]|^key$|auth|cookie|session|",
        r"credential|private|signature|^sig$|^code$|^response$|^headers$)"
    ))
});

/// A private-key block: PEM (`RSA`, `EC`, `OPENSSH`, `ENCRYPTED`, …) or
/// PGP armor; to its end line, or to the end of the text when cut there.
pub static KEY_BLOCK: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"(?s)-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----.*?",
        r"(-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|\z)"
    ))
});

/// A key block whose BEGIN line was cut off (by a log's read window): the
/// run of base64 lines that ends in its END line.
pub static HEADLESS_KEY: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"(?m)(^[ \t]*[A-Za-z0-9+/=]{4,}[ \t]*\r?\n)+",
        r"[ \t]*-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----"
    ))
});

/// Token formats with a recognisable prefix, after gitleaks' default rules
/// (github.com/gitleaks/gitleaks, config/gitleaks.toml: aws-access-token,
/// github-pat / -oauth / -app-token / -refresh-token / -fine-grained-pat,
/// gitlab-pat, slack-*-token, slack-webhook-url, stripe-access-token,
/// npm-access-token, gcp-api-key, openai-api-key, huggingface-access-token,
/// pypi-upload-token, sendgrid-api-token, age-secret-key). Lengths are
/// minimums here: hiding a longer token whole is what a bundle wants.
pub static TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"(?-u:\b)(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?-u:\b)",
        r"|(?-u:\b)gh[pousr]_[0-9A-Za-z]{36,}",
        r"|(?-u:\b)github_pat_[0-9A-Za-z_]{22,}",
        r"|(?-u:\b)glpat-[0-9A-Za-z_-]{20,}",
        r"|(?-u:\b)xox[abeoprs]-[0-9A-Za-z-]{10,}",
        r"|hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_-]{16,}",
        r"|(?-u:\b)[sr]k_(?:test|live|prod)_[A-Za-z0-9]{10,}",
        r"|(?-u:\b)npm_[A-Za-z0-9]{36}",
        r"|(?-u:\b)AIza[0-9A-Za-z_-]{35}",
        r"|(?-u:\b)sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}",
        r"|(?-u:\b)hf_[A-Za-z]{34}",
        r"|pypi-AgEIcHlwaS5vcmc[0-9A-Za-z_-]{50,}",
        r"|(?-u:\b)SG\.[0-9A-Za-z_-]{22}\.[0-9A-Za-z_-]{43}",
        r"|AGE-SECRET-KEY-1[0-9A-Z]{58}",
    ))
});

pub static JWT: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?-u:\b)eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"));

/// `Bearer x`, `Basic x`, `Token x`; a Digest header's parameters
/// (`response=…` among them) are hidden to the end of the line.
pub static AUTH_SCHEME: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"(?i)(?-u:\b)(bearer|basic|token)[ \t]+[A-Za-z0-9._~+/=-]{6,}",
        r"|(?-u:\b)(digest)[ \t]+[0-9A-Za-z_-]+=[^\r\n]+"
    ))
});

/// `scheme://user:password@`, also with an empty user or an `@` inside the
/// password (the last `@` before the host ends the userinfo).
pub static USERINFO: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)(?-u:\b)([a-z][a-z0-9+.-]*://)[^/\s?#]*@"));

pub static QUERY: LazyLock<Regex> =
    LazyLock::new(|| re(r"([?&;])([A-Za-z0-9_.-]+)=([^&\s#\x22']*)"));

/// A command line's `--db-password=x`, `--requirepass x`, `-token x`,
/// also as a variable's value (`NODE_OPTIONS=--api-token=x`).
pub static FLAG: LazyLock<Regex> = LazyLock::new(|| {
    re(r#"(^|[\s"'=])(--?[A-Za-z][0-9A-Za-z_.-]*)(=|[ \t]+)("[^"\n]*"|'[^'\n]*'|[^\s"']+)"#)
});

/// `PGPASSWORD=x` in a command line, an environment or a log line.
pub static ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(^|[^0-9A-Za-z_.-])([A-Za-z_][0-9A-Za-z_.-]*)=("(?:[^"\\\n]|\\.)*"|'[^'\n]*'|[^\s"',;|&]+)"#,
    )
});

/// `key = value`, `key: value`, `"key": "value"` anywhere in a line (log
/// lines, JSON, flow mappings, `a=1|b=2`); `[ \t]` keeps it on the line.
pub static PAIR: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r#"(["']?)([A-Za-z_][A-Za-z0-9_.-]*)(["']?)([ \t]*[:=][ \t]*)"#,
        r#"("(?:[^"\\\n]|\\.)*"|'[^'\n]*'|[^\s,;|&{}\[\]"'][^\s,;|&}\]]*)"#
    ))
});

/// `\"token\": \"x\"`: JSON inside a JSON or TOML string, as an error
/// message or an echoed body quotes it.
pub static ESCAPED_PAIR: LazyLock<Regex> = LazyLock::new(|| {
    re(r#"\\"([A-Za-z_][0-9A-Za-z_.-]*)\\"([ \t]*:[ \t]*)\\"((?:[^"\\\n]|\\[^"\n])*)\\""#)
});

/// A line that starts with a key: INI, .env (`export K=v`), YAML (`- k: v`).
pub static LINE_KEY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"^([ \t]*(?:export[ \t]+|-[ \t]+)?)(["']?)([A-Za-z_][0-9A-Za-z_.-]*)(["']?)([ \t]*[:=][ \t]*)(.*)$"#,
    )
});

/// `<password>x</password>` on one line (the closing name is compared in
/// code: the regex crate has no back-references).
pub static XML_PAIR: LazyLock<Regex> = LazyLock::new(|| {
    re(r"<([A-Za-z_][0-9A-Za-z_.:-]*)[^<>]*>([^<\n]*)</([A-Za-z_][0-9A-Za-z_.:-]*)>")
});
