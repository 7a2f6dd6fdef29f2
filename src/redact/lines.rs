//! Lines that start with a key (INI, `.env`, YAML, one JSON member a
//! line) when the file did not parse: the rest of the line is the value,
//! and a YAML block scalar's value is every more-indented line after it.

use super::patterns::LINE_KEY;
use super::{MARK, hideable, is_secret_name, unquote};

/// Lines that start with a secret-named key (INI, .env, YAML, one JSON
/// member a line): the rest of the line is the value; a YAML block scalar
/// (`password: |`) is every more-indented line after it.
pub fn key_lines(s: String, n: &mut usize) -> String {
    let mut out = String::with_capacity(s.len());
    let mut block: Option<usize> = None;
    for line in s.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let end = &line[body.len()..];
        let indent = body.len() - body.trim_start().len();
        if let Some(key_indent) = block {
            if body.trim().is_empty() {
                out.push_str(line);
                continue;
            }
            if indent > key_indent {
                *n += 1;
                out.push_str(&body[..indent]);
                out.push_str(MARK);
                out.push_str(end);
                continue;
            }
            block = None;
        }
        match LINE_KEY.captures(body) {
            Some(c) if is_secret_name(&c[3]) => {
                let rest = c[6].trim_end();
                let head = &body[..c.get(6).map_or(body.len(), |m| m.start())];
                let indicator = rest.strip_prefix(['|', '>']);
                if indicator.is_some_and(|m| m.chars().all(|ch| "+-0123456789".contains(ch))) {
                    block = Some(indent);
                    out.push_str(body);
                } else if hideable(unquote(rest)) {
                    *n += 1;
                    out.push_str(head);
                    out.push_str(&quoted_prefix(rest));
                } else {
                    out.push_str(body);
                }
            }
            _ => out.push_str(body),
        }
        out.push_str(end);
    }
    out
}

/// A quoted value becomes `"[REDACTED]"` with what followed the closing
/// quote (`,`) kept; anything else becomes the mark.
fn quoted_prefix(rest: &str) -> String {
    for q in ['"', '\''] {
        if let Some(inner) = rest.strip_prefix(q)
            && let Some(close) = closing(inner, q)
        {
            return format!("{q}{MARK}{q}{}", &inner[close + 1..]);
        }
    }
    MARK.to_string()
}

/// Where a string's closing quote is (a backslash escapes one).
fn closing(inner: &str, q: char) -> Option<usize> {
    let mut escaped = false;
    for (i, ch) in inner.char_indices() {
        match ch {
            '\\' if !escaped => escaped = true,
            c if c == q && !escaped => return Some(i),
            _ => escaped = false,
        }
    }
    None
}
