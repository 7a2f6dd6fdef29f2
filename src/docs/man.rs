//! The man page, rtdoctor(1): its head from clap (clap_mangen), every
//! subcommand with its options from the option list (clap_mangen renders
//! only the top level, and would point at rtdoctor-check(1) and others that
//! do not ship), CHECKS from the registry, and the exit codes, environment
//! and config-file keys from the same data as README.md and CONTRACT.md.

use std::sync::Arc;

use crate::check::Check;
use crate::cli;
use crate::options::{self, Opt, Scope};

use super::contract::EXIT_CODES;

pub fn man_page(checks: &[Arc<dyn Check>]) -> Vec<u8> {
    let man = clap_mangen::Man::new(cli::command());
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = man.render_title(&mut out);
    let _ = man.render_name_section(&mut out);
    let _ = man.render_synopsis_section(&mut out);
    let _ = man.render_description_section(&mut out);
    let mut extra = commands();
    extra.push_str(&checks_section(checks));
    extra.push_str(".SH \"EXIT STATUS\"\n");
    for (code, meaning) in EXIT_CODES {
        extra.push_str(&format!(".TP\n{code}\n{}\n", sentence(meaning)));
    }
    extra.push_str(&environment());
    extra.push_str(&files());
    out.extend_from_slice(extra.as_bytes());
    let _ = man.render_version_section(&mut out);
    out
}

/// COMMANDS: each subcommand's usage, what it does and its arguments.
fn commands() -> String {
    let mut cmd = cli::command();
    cmd.build();
    let mut out = String::from(".SH COMMANDS\n");
    let mut listed: Vec<(String, Vec<&Opt>)> = Vec::new();
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = sub.get_name();
        let usage = sub.clone().render_usage().to_string();
        let usage = usage.trim_start_matches("Usage: ");
        out.push_str(&format!(".SS \"{}\"\n", roff(usage)));
        if let Some(about) = sub.get_about() {
            out.push_str(&format!("{}\n", sentence(&about.to_string())));
        }
        let opts: Vec<&Opt> = options::of(name).collect();
        let same = listed
            .iter()
            .find(|(_, seen)| same_options(seen, &opts))
            .map(|(n, _)| n.clone());
        match same {
            Some(other) => out.push_str(&format!(
                ".PP\nIt takes the arguments of \\fBrtdoctor {other}\\fR.\n"
            )),
            None => {
                for o in &opts {
                    out.push_str(&option(o));
                }
            }
        }
        listed.push((name.to_string(), opts));
    }
    out
}

fn same_options(a: &[&Opt], b: &[&Opt]) -> bool {
    !a.is_empty() && a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.id == y.id)
}

/// One `.TP` entry: the flag, its description, and where else it is set.
fn option(o: &Opt) -> String {
    let synopsis = match o.long {
        Some(_) => format!("\\fB{}\\fR", roff(&o.synopsis())),
        None => format!("\\fI{}\\fR", roff(&o.synopsis())),
    };
    let mut notes = Vec::new();
    if let Some(d) = o.default {
        notes.push(format!("Default: {d}."));
    }
    if let Some(env) = o.env {
        notes.push(format!("Environment: `{env}`."));
    }
    if let Some(k) = o.key {
        notes.push(format!("Config file: `{}`.", k.name));
    }
    let mut text = sentence(&o.description());
    if !notes.is_empty() {
        text.push(' ');
        text.push_str(&inline(&notes.join(" ")));
    }
    format!(".TP\n{synopsis}\n{text}\n")
}

fn checks_section(checks: &[Arc<dyn Check>]) -> String {
    let mut out = String::from(".SH CHECKS\n");
    for c in checks {
        out.push_str(&format!(
            ".TP\n\\fB{}\\fR\n{}\n",
            roff(c.id()),
            roff(c.title())
        ));
        for paragraph in c.explain().split("\n\n") {
            out.push_str(&format!(".IP\n{}\n", roff(paragraph)));
        }
    }
    out
}

fn environment() -> String {
    let mut out = String::from(
        ".SH ENVIRONMENT\n\
Precedence: defaults < config file < environment < flags.\n",
    );
    for o in options::with_env() {
        if let Some(env) = o.env {
            out.push_str(&format!(
                ".TP\n\\fB{}\\fR\nAs \\fB{}\\fR\n",
                roff(env),
                roff(&o.synopsis())
            ));
        }
    }
    for v in options::ENVIRONMENT {
        out.push_str(&format!(
            ".TP\n\\fB{}\\fR\n{}\n",
            roff(v.name),
            sentence(v.doc)
        ));
    }
    out
}

fn files() -> String {
    let mut out = String::from(
        ".SH FILES\n.TP\n\\fIrtdoctor.toml\\fR\n\
The config file in the working directory (or \\-\\-config FILE): top\\-level keys are \
defaults, each [[target]] table names a target and may override the keys marked so. Its keys:\n",
    );
    for (o, k) in options::with_key() {
        let place = match k.scope {
            Scope::Top => "top level",
            Scope::Both => "top level and [[target]]",
            Scope::Target => "[[target]]",
        };
        let option = o.synopsis();
        out.push_str(&format!(
            ".IP\n\\fB{}\\fR ({}, {place}): as {}\n",
            roff(k.name),
            k.toml.name(),
            roff(&option)
        ));
    }
    out
}

/// Text ending with a full stop, `code` in bold.
fn sentence(text: &str) -> String {
    let mut s = inline(text);
    if !s.ends_with('.') {
        s.push('.');
    }
    s
}

/// Escaped for roff, with `code` spans in bold.
fn inline(text: &str) -> String {
    text.split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                format!("\\fB{}\\fR", roff(part))
            } else {
                roff(part)
            }
        })
        .collect()
}

/// Escape text for roff: backslashes, hyphens, and control characters at
/// the start of a line.
fn roff(text: &str) -> String {
    text.lines()
        .map(|line| {
            let line = line.replace('\\', "\\e").replace('-', "\\-");
            if line.starts_with('.') || line.starts_with('\'') {
                format!("\\&{line}")
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n.br\n")
}

#[cfg(test)]
mod tests {
    /// roff reads a leading `.` or `'` as a request, `\` as an escape and
    /// `-` as a hyphen that may break; code spans become bold.
    #[test]
    fn text_is_escaped_for_roff() {
        let cases = [
            (super::roff(".x -y \\z"), "\\&.x \\-y \\ez"),
            (super::roff("a\nb"), "a\n.br\nb"),
            (super::sentence("use `a-b`"), "use \\fBa\\-b\\fR."),
        ];
        for (got, want) in cases {
            assert_eq!(got, want);
        }
    }
}
