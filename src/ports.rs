//! `rtdoctor ports`: who listens on which ports, with their processes and
//! the states of the other sockets on those ports — `ss -ltnp` and
//! `lsof -i` in one table, listeners only as holders.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::escape::escape;
use crate::holders::{
    Holder, ListenSocket, Owner, PortHolders, Viewer, hidden_owner_cell, owner_names,
    short_command_line, started,
};
use crate::os::{Platform, SocketTable};
use crate::style::Style;

#[derive(Debug, Serialize)]
pub struct PortEntry {
    pub port: u16,
    pub listeners: Vec<ListenSocket>,
    pub holders: Vec<Holder>,
    pub hidden_owners: Vec<Owner>,
    /// Who looked: what a hidden owner means depends on it.
    #[serde(skip)]
    pub viewer: Viewer,
    /// Counts of every socket state with this local port (LISTEN included).
    pub states: BTreeMap<&'static str, usize>,
}

#[derive(Debug, Serialize)]
pub struct PortsReport {
    /// What was asked, as ranges; empty means every listener.
    pub asked: Vec<(u16, u16)>,
    pub ports: Vec<PortEntry>,
    /// Asked ranges with no listener at all.
    pub empty: Vec<(u16, u16)>,
    pub notes: Vec<String>,
}

/// The listeners of `ranges` (all of them when empty) on this machine.
pub fn collect(table: &SocketTable, ranges: &[(u16, u16)]) -> PortsReport {
    collect_with(&*crate::os::native(), table, ranges)
}

/// The same, with the processes `os` says hold them.
pub fn collect_with(os: &dyn Platform, table: &SocketTable, ranges: &[(u16, u16)]) -> PortsReport {
    let wanted = |p: u16| ranges.is_empty() || ranges.iter().any(|(a, b)| (*a..=*b).contains(&p));
    let mut ports: Vec<u16> = table
        .listeners()
        .map(|s| s.local.port())
        .filter(|p| wanted(*p))
        .collect();
    ports.sort_unstable();
    ports.dedup();
    let mut notes = table.notes.clone();
    let entries: Vec<PortEntry> = ports
        .into_iter()
        .map(|port| {
            let found = PortHolders::find_with(os, table, port);
            // As a user, the table's cell says it (sudo); as root, the
            // cell has no room for where to look.
            if found.holders.is_empty() && found.viewer == Viewer::Root {
                notes.push(found.hidden_owner_sentence());
            }
            let mut states = BTreeMap::new();
            for s in table.on_local_port(port) {
                *states.entry(s.state.as_str()).or_default() += 1;
            }
            PortEntry {
                port,
                listeners: found.sockets,
                holders: found.holders,
                hidden_owners: found.hidden_owners,
                viewer: found.viewer,
                states,
            }
        })
        .collect();
    let empty = ranges
        .iter()
        .filter(|(a, b)| !entries.iter().any(|e| (*a..=*b).contains(&e.port)))
        .copied()
        .collect();
    if table.unreadable_processes > 0 {
        notes.push(format!(
            "{} processes could not be inspected (other users'): run with sudo to see their sockets' owners",
            table.unreadable_processes
        ));
    }
    PortsReport {
        asked: ranges.to_vec(),
        ports: entries,
        empty,
        notes,
    }
}

pub fn render_json(report: &PortsReport) -> String {
    let mut s = serde_json::to_string_pretty(report).unwrap_or_default();
    s.push('\n');
    s
}

/// The columns of the table: all but COMMAND are kept whole; COMMAND takes
/// what is left of a terminal's width and is shortened with `…`.
const HEADERS: [&str; 8] = [
    "PORT", "ADDRESS", "PID", "USER", "PROCESS", "STARTED", "SOCKETS", "COMMAND",
];

/// Narrower than this, a command line says nothing: the row runs over.
const MIN_COMMAND: usize = 12;

type Row = [Vec<String>; 8];

/// The table a person reads. On a terminal it fits the width: command lines
/// shortened, start times as ages; `verbose` (`-v`), or output that is not
/// a terminal, shows them whole.
pub fn render_table(report: &PortsReport, style: Style, verbose: bool) -> String {
    let full = verbose || style.width.is_none();
    let shown = |s: &str| style.text(&escape(s)).into_owned();
    let mut rows: Vec<Row> = Vec::new();
    for e in &report.ports {
        let states: Vec<String> = e.states.iter().map(|(s, n)| format!("{s} {n}")).collect();
        let addrs: Vec<String> = e.listeners.iter().map(ListenSocket::label).collect();
        if e.holders.is_empty() {
            rows.push([
                vec![e.port.to_string()],
                addrs,
                vec!["hidden".into()],
                vec![shown(&owner_names(&e.hidden_owners))],
                vec![],
                vec![],
                states,
                vec![hidden_owner_cell(e.viewer).into()],
            ]);
            continue;
        }
        for (i, h) in e.holders.iter().enumerate() {
            let first = |cell: Vec<String>| if i == 0 { cell } else { Vec::new() };
            let role = match h.role {
                crate::holders::Role::Master => " (master)",
                crate::holders::Role::Worker => " (worker)",
                crate::holders::Role::Single => "",
            };
            let user = h
                .process
                .user
                .clone()
                .unwrap_or_else(|| h.process.uid.map(|u| u.to_string()).unwrap_or_default());
            let when = if full {
                started(h.process.start_time)
            } else {
                age(h.process.start_time)
            };
            rows.push([
                first(vec![e.port.to_string()]),
                first(addrs.clone()),
                vec![h.process.pid.to_string()],
                vec![shown(&user)],
                vec![format!("{}{role}", shown(&h.process.name))],
                vec![when],
                first(states.clone()),
                // Without the program's directory, when cut to fit.
                vec![shown(&if full {
                    h.command_line()
                } else {
                    short_command_line(&h.process)
                })],
            ]);
        }
    }
    let mut out = String::new();
    if !rows.is_empty() {
        let width = if full { None } else { style.width };
        out.push_str(&layout(rows, width, &style.text("…")));
    }
    for (a, b) in &report.empty {
        if a == b {
            out.push_str(&format!("nothing listens on port {a}\n"));
        } else {
            out.push_str(&format!("nothing listens on ports {a}-{b}\n"));
        }
    }
    if report.ports.is_empty() && report.asked.is_empty() {
        out.push_str("no TCP listeners on this machine\n");
    }
    for n in &report.notes {
        let note = format!("note: {}", shown(n));
        out.push_str(&crate::render::fill("", 0, &note, style.width, 6));
    }
    out
}

/// `3m ago`: when a process started, in the fewest columns.
fn age(start_time: Option<u64>) -> String {
    start_time
        .and_then(crate::holders::ago)
        .unwrap_or_else(|| "unknown".into())
}

/// Columns two spaces apart, each as wide as its widest line; the last
/// (COMMAND) cut to what `width` leaves of it, ending in `ellipsis`.
fn layout(rows: Vec<Row>, width: Option<usize>, ellipsis: &str) -> String {
    const GAP: usize = 2;
    let cols = |s: &str| s.chars().count();
    let mut all: Vec<Row> = vec![HEADERS.map(|h| vec![h.to_string()])];
    all.extend(rows);
    let mut widths = [0; 8];
    for row in &all {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = cell.iter().map(|l| cols(l)).fold(*w, usize::max);
        }
    }
    if let Some(width) = width {
        let fixed: usize = widths[..7].iter().map(|w| w + GAP).sum();
        let room = width.saturating_sub(fixed).max(MIN_COMMAND);
        for row in &mut all {
            for line in &mut row[7] {
                *line = shorten(line, room, ellipsis);
            }
        }
    }
    let mut out = String::new();
    for row in &all {
        let height = row.iter().map(Vec::len).max().unwrap_or(0);
        for i in 0..height {
            let mut line = String::new();
            for (c, cell) in row.iter().enumerate() {
                let text = cell.get(i).map(String::as_str).unwrap_or("");
                line.push_str(text);
                if c < 7 {
                    line.push_str(&" ".repeat(widths[c] - cols(text) + GAP));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    out
}

/// `text` in at most `room` columns: cut, ending in `ellipsis`.
pub fn shorten(text: &str, room: usize, ellipsis: &str) -> String {
    if text.chars().count() <= room {
        return text.to_string();
    }
    let keep = room.saturating_sub(ellipsis.chars().count());
    let cut: String = text.chars().take(keep).collect();
    format!("{}{ellipsis}", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::os::TcpState;
    use crate::os::fake::{self, Fake};

    #[test]
    fn hidden_holders_are_named_by_owner_and_unreadable_processes_noted() {
        let os = Fake {
            sockets: vec![
                fake::listener("127.0.0.1:8000", 1000, &[]),
                fake::socket(
                    "127.0.0.1:8000",
                    "127.0.0.1:50000",
                    TcpState::TimeWait,
                    0,
                    &[],
                ),
                fake::listener("0.0.0.0:9000", 0, &[4242]),
            ],
            processes: vec![fake::process(4242, 1, "python3")],
            users: vec![(1000, "alice".into())],
            unreadable: 2,
            ..Fake::default()
        };
        let table = os.socket_table_with_owners(None).unwrap();
        let report = collect_with(&os, &table, &[(8000, 8000), (8500, 8600)]);
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["ports"][0]["hidden_owners"], serde_json::json!([1000]));
        assert_eq!(
            json["ports"][0]["states"],
            serde_json::json!({"LISTEN": 1, "TIME_WAIT": 1})
        );
        assert_eq!(report.ports.len(), 1, "9000 was not asked for");
        let text = render_table(&report, Style::plain(), false);
        assert!(text.contains("alice (uid 1000)"), "{text}");
        assert!(
            text.contains("nothing listens on ports 8500-8600\n"),
            "{text}"
        );
        assert!(text.ends_with(
            "note: 2 processes could not be inspected (other users'): run with sudo to see their sockets' owners\n"
        ), "{text}");
    }

    #[test]
    fn as_root_a_hidden_holder_is_not_visible_from_here_and_sudo_is_not_offered() {
        let os = fake::hidden_listener("127.0.0.1:8000", 0);
        let table = os.socket_table_with_owners(None).unwrap();
        let report = collect_with(&os, &table, &[(8000, 8000)]);
        assert_eq!(report.notes.len(), 1, "{:?}", report.notes);
        assert!(
            report.notes[0].contains("not visible from here, even as root"),
            "{:?}",
            report.notes
        );
        let text = render_table(&report, Style::plain(), false);
        assert!(
            text.contains("note: port 8000 is held by a process of alice"),
            "{text}"
        );
        assert!(!text.contains("sudo"), "{text}");
    }
}
