//! The Markdown tables of README.md and CONTRACT.md, rendered from the
//! option list, the registry and the contract's data; `regions` writes
//! them between the files' `<!-- generated:NAME -->` markers.

use std::sync::Arc;

use crate::check::Check;
use crate::options::{self, Opt, Scope};

use super::contract::{self, EXIT_CODES, REPORT_FIELDS};

/// The generated part called `name`, or `None` for a name no document uses.
pub fn region(name: &str, checks: &[Arc<dyn Check>]) -> Option<String> {
    Some(match name {
        "options-check" => options_table("check", true),
        "options-kill" => options_table("kill", false),
        "environment" => environment_table(),
        "config-keys" => config_keys_table(),
        "exit-codes" => table(
            &["code", "meaning"],
            EXIT_CODES
                .iter()
                .map(|(code, meaning)| vec![code.to_string(), cell(meaning)])
                .collect(),
        ),
        "check-ids" => table(
            &["id", "title"],
            checks
                .iter()
                .map(|c| vec![code(c.id()), cell(c.title())])
                .collect(),
        ),
        "report-fields" => table(
            &["field", "meaning"],
            REPORT_FIELDS
                .iter()
                .map(|(field, meaning)| vec![code(field), cell(meaning)])
                .collect(),
        ),
        "report-example" => format!(
            "```json\n{}```",
            crate::render::json(&contract::sample_report())
        ),
        _ => return None,
    })
}

fn options_table(command: &str, with_key: bool) -> String {
    let mut header = vec!["option", "meaning", "default"];
    if with_key {
        header.push("config key");
    }
    let rows = options::of(command)
        .filter(|o| o.long.is_some())
        .map(|o| {
            let mut row = vec![code(&o.synopsis()), cell(&o.description()), default(o)];
            if with_key {
                row.push(o.key.map(|k| code(k.name)).unwrap_or_default());
            }
            row
        })
        .collect();
    table(&header, rows)
}

fn environment_table() -> String {
    let mut rows: Vec<Vec<String>> = options::with_env()
        .into_iter()
        .filter_map(|o| {
            let env = o.env?;
            Some(vec![code(env), format!("as {}", code(&o.synopsis()))])
        })
        .collect();
    rows.extend(
        options::ENVIRONMENT
            .iter()
            .map(|v| vec![code(v.name), cell(v.doc)]),
    );
    table(&["variable", "meaning"], rows)
}

fn config_keys_table() -> String {
    let rows = options::with_key()
        .into_iter()
        .map(|(o, k)| {
            let place = match k.scope {
                Scope::Top => "top level",
                Scope::Both => "top level and `[[target]]`",
                Scope::Target => "`[[target]]`",
            };
            let option = match o.long {
                Some(_) => code(&o.synopsis()),
                None => cell(&o.synopsis()),
            };
            vec![
                code(k.name),
                k.toml.name().into(),
                place.into(),
                option,
                default(o),
            ]
        })
        .collect();
    table(&["key", "TOML", "where", "as the option", "default"], rows)
}

fn default(o: &Opt) -> String {
    match o.default {
        Some(d) if !d.contains(' ') => code(d),
        Some(d) => cell(d),
        None => String::new(),
    }
}

/// Text in a table cell: a `|` would end the cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

fn code(text: &str) -> String {
    format!("`{}`", cell(text))
}

fn table(header: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut out = format!("| {} |\n", header.join(" | "));
    out.push_str(&format!("|{}\n", " --- |".repeat(header.len())));
    for row in rows {
        out.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn pipes_in_cells_are_escaped() {
        assert_eq!(super::code("3|4|auto"), "`3\\|4\\|auto`");
        let t = super::table(&["a", "b"], vec![vec!["1".into(), "2".into()]]);
        assert_eq!(t, "| a | b |\n| --- | --- |\n| 1 | 2 |\n");
    }
}
