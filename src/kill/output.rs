//! `kill`'s lines for a person: who holds the port, what was done. They go
//! to standard output, unless the report is JSON (then the JSON is the
//! only thing there and these lines go to standard error).

use crate::holders::{Holder, PortHolders, Role, started};
use crate::style::Style;

pub struct Output {
    json: bool,
    /// How standard output shows text: its width (none off a terminal)
    /// and whether its locale is UTF-8.
    style: Style,
    /// Lines kept instead of written, for tests.
    kept: Option<Vec<String>>,
}

impl Output {
    pub fn new(json: bool) -> Self {
        let to_terminal = !json && crate::style::stdout_is_terminal();
        Output {
            json,
            style: Style::plain_stdout(to_terminal),
            kept: None,
        }
    }

    /// Lines kept, not written: what a test reads.
    #[cfg(test)]
    pub fn kept() -> Self {
        Output {
            json: false,
            style: Style::plain(),
            kept: Some(Vec::new()),
        }
    }

    #[cfg(test)]
    pub fn lines(&self) -> &[String] {
        self.kept.as_deref().unwrap_or_default()
    }

    /// Each line names processes (their names and command lines are
    /// anyone's to choose), so it is escaped as a whole: none of these
    /// lines has a line break of its own but those of wrapping it to the
    /// terminal, under its own indent and four spaces more.
    pub fn line(&mut self, text: &str) {
        // Holders' command lines carry their secrets (`--requirepass x`).
        let redacted = crate::redact::line(text);
        let escaped = crate::escape::escape(&redacted);
        let shown = self.style.text(&escaped);
        let body = shown.trim_start_matches(' ');
        let indent = shown.len() - body.len();
        let filled =
            crate::render::fill(&shown[..indent], indent, body, self.style.width, indent + 4);
        let text = filled.trim_end_matches('\n');
        if let Some(kept) = &mut self.kept {
            kept.push(text.to_owned());
        } else if self.json {
            crate::say!("{text}");
        } else {
            crate::stdio::out_line(text);
        }
    }

    pub fn list(&mut self, found: &PortHolders) {
        self.line(&format!("port {} is held by:", found.port));
        for h in &found.holders {
            let indent = if h.role == Role::Worker {
                "    └ "
            } else {
                "  "
            };
            let addrs = h
                .addrs
                .iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .join(", ");
            self.line(&format!(
                "{indent}{} on {addrs}, started {}",
                h.label(),
                started(h.process.start_time)
            ));
            self.line(&format!(
                "{}    {}",
                if h.role == Role::Worker { "  " } else { "" },
                h.command_line()
            ));
        }
        for owner in &found.hidden_owners {
            self.line(&format!(
                "  a process of {owner} ({})",
                found.viewer.hidden()
            ));
        }
        if found.holders.iter().any(|h| h.role == Role::Master) {
            self.line("  (the master is what to signal: its workers exit with it, a killed worker is just respawned)");
        }
    }
}

/// `gunicorn: master, started …`: a holder in a question or a dry run.
pub fn describe(h: &Holder) -> String {
    let role = match h.role {
        Role::Master => ": master",
        Role::Worker => ": worker",
        Role::Single => "",
    };
    format!(
        "{}{role}, started {}",
        h.process.name,
        started(h.process.start_time)
    )
}
