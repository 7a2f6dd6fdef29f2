//! Writing to standard output and standard error without panicking.
//!
//! Rust ignores SIGPIPE, so a write to a pipe whose reader is gone fails
//! with EPIPE, and `println!`/`eprintln!` turn that failure into a panic
//! (inside the panic hook, a second one: SIGABRT). `rtdoctor … | head` and
//! a closed stderr must instead end quietly with the usual exit code, so
//! everything rtdoctor writes to them goes through here.

use std::io::Write as _;

/// `text` on standard output. A closed pipe is not worth a word (`Ok`);
/// any other failure is returned for the caller to report.
pub fn out(text: &[u8]) -> std::io::Result<()> {
    write_quietly(&mut std::io::stdout().lock(), text)
}

/// One line on standard output (`println!` that never panics); failures
/// other than a closed pipe are dropped too, as `println!` callers expect
/// no error.
pub fn out_line(text: &str) {
    let _ = out(format!("{text}\n").as_bytes());
}

fn write_quietly(to: &mut impl std::io::Write, text: &[u8]) -> std::io::Result<()> {
    match to.write_all(text).and_then(|()| to.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// `text` on standard error, through the redactor: every line rtdoctor
/// writes there (errors, progress, notes) hides the run's secrets and
/// every secret shape. There is nowhere left to tell of a failure to
/// write there, so it is dropped.
pub fn err(text: &str) {
    let text = crate::redact::line(text);
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes()).and_then(|()| err.flush());
}

/// `eprintln!` that never panics: one line on standard error, redacted.
/// It does not escape: the notes of a run go through `notice::Notice`,
/// which does; an error that quotes outside text escapes it itself.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::stdio::err(&format!("{}\n", format_args!($($arg)*)))
    };
}

#[cfg(test)]
mod tests {
    use std::io::{Error, ErrorKind, Write};

    /// A writer that fails every write with one kind of error.
    struct Failing(ErrorKind);

    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(Error::from(self.0))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_pipe_is_not_an_error_and_other_failures_are() {
        assert!(super::write_quietly(&mut Failing(ErrorKind::BrokenPipe), b"x").is_ok());
        let full = super::write_quietly(&mut Failing(ErrorKind::StorageFull), b"x");
        assert_eq!(full.unwrap_err().kind(), ErrorKind::StorageFull);
        let mut sink = Vec::new();
        super::write_quietly(&mut sink, b"report").unwrap();
        assert_eq!(sink, b"report");
    }
}
