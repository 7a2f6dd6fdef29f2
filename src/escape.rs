//! Text that came from outside — a server's bytes, a certificate's names, a
//! process's command line, a path from a config file — made safe to show a
//! person. A terminal interprets ESC sequences (retitle the window, clear the
//! screen, hide text), CR/LF start a line that looks like rtdoctor's own, and
//! bidi overrides reorder what is read; so each such character is written as
//! a visible escape instead. Applied where text is rendered for a person (the
//! human report, `ports`, `kill`, discovery lines, error messages); JSON and
//! JUnit carry the exact text.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `text` with every control character (C0, DEL, C1), every Unicode bidi
/// control and the Unicode line/paragraph separators written as escapes:
/// `\n`, `\r`, `\t`, `\x1b`, `\u{202e}`. Text without any comes back as is.
/// Each field is escaped on its own (a summary, an evidence value, a fix,
/// a table cell); the line breaks of the assembled view are rtdoctor's.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !needs_escape(c) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
    }
    Cow::Owned(out)
}

/// C0 controls, DEL, C1 controls (U+0080–U+009F, which some terminals
/// read as CSI/OSC), the bidi embeddings, overrides, isolates and marks,
/// and the Unicode line and paragraph separators.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        let text = "HTTP/1.1 400 Bad Request — café ✓ \\x1b";
        assert!(matches!(escape(text), Cow::Borrowed(t) if t == text));
    }

    #[test]
    fn terminal_escapes_and_injected_lines_become_visible() {
        assert_eq!(
            escape("a\x1b]0;pwned\x07b\x1b[2Jc\r\nd\te\x7f\u{9b}"),
            "a\\x1b]0;pwned\\x07b\\x1b[2Jc\\r\\nd\\te\\x7f\\u{9b}"
        );
        assert_eq!(escape("\0"), "\\x00");
    }

    #[test]
    fn bidi_controls_become_visible() {
        assert_eq!(escape("user\u{202e}gnp.exe"), "user\\u{202e}gnp.exe");
        for c in [
            '\u{061c}', '\u{200e}', '\u{200f}', '\u{202a}', '\u{202d}', '\u{2066}', '\u{2069}',
            '\u{2028}', '\u{2029}',
        ] {
            let got = escape(&c.to_string()).into_owned();
            assert_eq!(got, format!("\\u{{{:x}}}", c as u32));
        }
    }
}
