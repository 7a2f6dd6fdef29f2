//! The documents rtdoctor generates from its own declarations: shell
//! completions and the man page from the clap definition and the option
//! list (`options`), the man page's CHECKS section from the registry, and
//! the generated regions of README.md and CONTRACT.md (option,
//! environment, config-key, exit-code, check-id and report-field tables).
//! The committed copies are kept fresh by the integration test
//! `generated::` (`RTDOCTOR_REGENERATE=1` rewrites them).

mod contract;
mod man;
mod markdown;

use std::sync::Arc;

use clap_complete::Shell;

use crate::check::Check;
use crate::cli;

pub use contract::{EXIT_CODES, REPORT_FIELDS, field_paths, sample_report};
pub use man::man_page;

/// The hand-written documents with generated regions, and the regions
/// each must hold.
pub const DOCUMENTS: &[(&str, &[&str])] = &[
    (
        "README.md",
        &["options-check", "environment", "options-kill", "exit-codes"],
    ),
    (
        "CONTRACT.md",
        &[
            "check-ids",
            "exit-codes",
            "config-keys",
            "report-example",
            "report-fields",
        ],
    ),
];

/// `(path relative to the repository, contents)` of every file generated
/// whole.
pub fn generated_files(checks: &[Arc<dyn Check>]) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = [
        (Shell::Bash, "rtdoctor.bash"),
        (Shell::Zsh, "_rtdoctor"),
        (Shell::Fish, "rtdoctor.fish"),
        (Shell::PowerShell, "_rtdoctor.ps1"),
        (Shell::Elvish, "rtdoctor.elv"),
    ]
    .into_iter()
    .map(|(shell, name)| (format!("completions/{name}"), completions(shell)))
    .collect();
    files.push(("man/rtdoctor.1".into(), man_page(checks)));
    files
}

pub fn completions(shell: Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cli::command(), "rtdoctor", &mut out);
    out
}

/// `text` with every `<!-- generated:NAME -->` … `<!-- end generated:NAME -->`
/// region rewritten, and the names of the regions it holds.
pub fn fill_regions(
    text: &str,
    checks: &[Arc<dyn Check>],
) -> Result<(String, Vec<String>), String> {
    const OPEN: &str = "<!-- generated:";
    let mut out = String::with_capacity(text.len());
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(OPEN) {
        let after = &rest[at + OPEN.len()..];
        let name = after
            .split_once(" -->")
            .map(|(name, _)| name)
            .ok_or("a `<!-- generated:` marker is not closed with ` -->`")?;
        let begin = format!("{OPEN}{name} -->");
        let end = format!("<!-- end generated:{name} -->");
        let body_at = at + begin.len();
        let end_at = rest[body_at..]
            .find(&end)
            .ok_or_else(|| format!("region {name} has no `{end}`"))?;
        let body = markdown::region(name, checks)
            .ok_or_else(|| format!("no generated region is called {name}"))?;
        out.push_str(&rest[..body_at]);
        out.push('\n');
        out.push_str(body.trim_end());
        out.push('\n');
        out.push_str(&end);
        names.push(name.to_string());
        rest = &rest[body_at + end_at + end.len()..];
    }
    out.push_str(rest);
    Ok((out, names))
}

#[cfg(test)]
mod tests {
    #[test]
    fn regions_are_rewritten_and_named() {
        let text =
            "a\n<!-- generated:exit-codes -->\nstale\n<!-- end generated:exit-codes -->\nb\n";
        let (out, names) = super::fill_regions(text, &[]).unwrap();
        assert_eq!(names, ["exit-codes"]);
        assert!(out.starts_with("a\n<!-- generated:exit-codes -->\n| code | meaning |"));
        assert!(out.ends_with("\n<!-- end generated:exit-codes -->\nb\n"));
        assert!(!out.contains("stale"));
        assert!(super::fill_regions("<!-- generated:nope -->", &[]).is_err());
        assert!(
            super::fill_regions("<!-- generated:nope -->x<!-- end generated:nope -->", &[])
                .is_err()
        );
    }
}
