//! The wire formats rtdoctor speaks, as pure functions over bytes and
//! strings: no I/O here, so every decoder is unit-tested on what real
//! servers send, and on garbage.

pub mod engineio;
pub mod socketio;

/// At most `max` characters of `bytes` for evidence: lossy UTF-8, control
/// characters escaped, and an ellipsis when cut.
pub fn preview(bytes: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::new();
    for (n, c) in text.chars().enumerate() {
        if n == max {
            out.push('…');
            break;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{1e}' => out.push_str("\\x1e"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn preview_escapes_and_cuts() {
        assert_eq!(super::preview(b"0{}\x1e40\n", 20), "0{}\\x1e40\\n");
        assert_eq!(super::preview(b"abcdef", 3), "abc…");
        assert_eq!(super::preview(&[0xff, b'a'], 5), "\u{fffd}a");
    }
}
