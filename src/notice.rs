//! The notes rtdoctor writes on standard error while `check` works — what
//! `--wait` saw of each target, which local servers discovery found — and
//! the one path they take there. Each note is one line; its fields quote
//! URLs, a server's or the OS's words and a process's command line, so the
//! whole line is escaped (rtdoctor's own words hold no control character
//! to lose) and then redacted like every stderr line (a target's userinfo
//! and query are the user's secrets). A new note is a new variant here and
//! cannot skip either step. `-q` silences them; stdout is the report's.

use std::time::Duration;

use crate::discover::{LocalServer, Skipped};
use crate::escape::escape;
use crate::settings::Verbosity;
use crate::target::Target;

/// One line on standard error.
pub enum Notice<'a> {
    /// `--wait`: `target` answered after `after`.
    Answered { target: &'a Target, after: Duration },
    /// `--wait`: `target` did not answer within `wait`; `last` is the last
    /// failure seen, in the words of the OS or the server.
    Silent {
        target: &'a Target,
        wait: Duration,
        last: &'a str,
    },
    /// Discovery, before the list: how many servers among how many
    /// listeners.
    Found { servers: usize, listeners: usize },
    /// Discovery: one server found, and who holds its port.
    Server(&'a LocalServer),
    /// Discovery: a listener it did not take for a real-time server, and
    /// why.
    Skipped(&'a Skipped),
    /// Discovery: the ports of the listeners that did not answer HTTP.
    NotHttp(&'a [u16]),
    /// A target named twice (`given` the second time): checked once.
    Duplicate { given: &'a str, target: &'a Target },
    /// Ctrl-C during `--soak`: the soak ends, the report follows.
    Interrupted,
}

impl Notice<'_> {
    /// Written on standard error, unless the run is quiet.
    pub fn tell(&self, verbosity: Verbosity) {
        if verbosity != Verbosity::Quiet {
            crate::stdio::err(&self.line());
        }
    }

    /// The line as written (before redaction), its break included.
    fn line(&self) -> String {
        format!("{}\n", escape(&self.text()))
    }

    /// The words, as they came: never shown without `line`'s escaping.
    fn text(&self) -> String {
        match self {
            Notice::Answered { target, after } => {
                format!("rtdoctor: {target} answered after {} ms", after.as_millis())
            }
            Notice::Silent { target, wait, last } => format!(
                "rtdoctor: {target} did not answer within {} ms (last: {last}); checking anyway",
                wait.as_millis()
            ),
            Notice::Found { servers, listeners } => format!(
                "rtdoctor: no target given; found {servers} real-time server(s) among {listeners} local listeners:"
            ),
            Notice::Server(server) => {
                let holder = server.holder.as_ref().map(|h| format!(" — {h}"));
                format!(
                    "  {} {}{}",
                    server.target,
                    server.kind,
                    holder.unwrap_or_default()
                )
            }
            Notice::Skipped(skipped) => format!(
                "rtdoctor: skipped {}: {}; to check it anyway: rtdoctor check {}",
                skipped.addr, skipped.why, skipped.name_it
            ),
            Notice::NotHttp(ports) => {
                let ports: Vec<String> = ports.iter().map(u16::to_string).collect();
                format!(
                    "rtdoctor: skipped {} listener(s) that do not answer HTTP (port {})",
                    ports.len(),
                    ports.join(", ")
                )
            }
            Notice::Duplicate { given, target } => {
                format!("rtdoctor: {given} is {target} again; checking it once")
            }
            Notice::Interrupted => "rtdoctor: interrupted: the soak ends here and the report of \
what was seen follows (Ctrl-C again quits at once)"
                .to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVIL: &str = "a\x1b]0;pwned\x07\r\nrtdoctor: fake\u{202e}";
    const SHOWN: &str = "a\\x1b]0;pwned\\x07\\r\\nrtdoctor: fake\\u{202e}";

    fn target() -> Target {
        Target::parse("http://127.0.0.1:8765").unwrap()
    }

    #[test]
    fn the_wait_lines_read_as_before() {
        let target = target();
        let answered = Notice::Answered {
            target: &target,
            after: Duration::from_millis(1234),
        };
        assert_eq!(
            answered.line(),
            "rtdoctor: http://127.0.0.1:8765 answered after 1234 ms\n"
        );
        let silent = Notice::Silent {
            target: &target,
            wait: Duration::from_secs(1),
            last: "TCP 127.0.0.1:8765: refused",
        };
        assert_eq!(
            silent.line(),
            "rtdoctor: http://127.0.0.1:8765 did not answer within 1000 ms \
(last: TCP 127.0.0.1:8765: refused); checking anyway\n"
        );
    }

    #[test]
    fn the_discovery_lines_read_as_before() {
        let found = Notice::Found {
            servers: 2,
            listeners: 7,
        };
        assert_eq!(
            found.line(),
            "rtdoctor: no target given; found 2 real-time server(s) among 7 local listeners:\n"
        );
        let mut server = LocalServer {
            target: target(),
            kind: "Socket.IO (Engine.IO 4)".into(),
            holder: Some("node (pid 42) — node server.js".into()),
        };
        assert_eq!(
            Notice::Server(&server).line(),
            "  http://127.0.0.1:8765 Socket.IO (Engine.IO 4) — node (pid 42) — node server.js\n"
        );
        server.holder = None;
        assert_eq!(
            Notice::Server(&server).line(),
            "  http://127.0.0.1:8765 Socket.IO (Engine.IO 4)\n"
        );
    }

    #[test]
    fn the_skipped_and_duplicate_lines_say_why_and_what_to_do() {
        let skipped = Skipped {
            addr: "127.0.0.1:8080".into(),
            why: "it did not answer within 700 ms".into(),
            name_it: "http://127.0.0.1:8080".into(),
        };
        assert_eq!(
            Notice::Skipped(&skipped).line(),
            "rtdoctor: skipped 127.0.0.1:8080: it did not answer within 700 ms; \
to check it anyway: rtdoctor check http://127.0.0.1:8080\n"
        );
        assert_eq!(
            Notice::NotHttp(&[22, 5432]).line(),
            "rtdoctor: skipped 2 listener(s) that do not answer HTTP (port 22, 5432)\n"
        );
        let target = target();
        let twice = Notice::Duplicate {
            given: "127.0.0.1:8765",
            target: &target,
        };
        assert_eq!(
            twice.line(),
            "rtdoctor: 127.0.0.1:8765 is http://127.0.0.1:8765 again; checking it once\n"
        );
    }

    #[test]
    fn what_came_from_outside_is_escaped_and_the_line_stays_one() {
        let target = target();
        let server = LocalServer {
            target: target.clone(),
            kind: "WebSocket at /".into(),
            holder: Some(format!("node — {EVIL}")),
        };
        let silent = Notice::Silent {
            target: &target,
            wait: Duration::from_secs(1),
            last: EVIL,
        };
        for (notice, shown) in [
            (Notice::Server(&server), format!("— node — {SHOWN}\n")),
            (silent, format!("(last: {SHOWN}); checking anyway\n")),
        ] {
            let line = notice.line();
            assert!(line.ends_with(&shown), "{line:?}");
            assert_eq!(line.matches('\n').count(), 1, "{line:?}");
            assert!(!line.contains(['\x1b', '\r', '\u{202e}']), "{line:?}");
        }
    }
}
