//! The generated files that ship with rtdoctor: shell completions and the
//! man page, both from the clap definition, the man page's CHECKS section
//! from the registry. The committed copies in `completions/` and `man/`
//! are kept fresh by a test (`RTDOCTOR_REGENERATE=1` rewrites them).

use std::sync::Arc;

use clap_complete::Shell;

use crate::check::Check;
use crate::cli;

/// `(path relative to the repository, contents)` of every generated file.
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

pub fn man_page(checks: &[Arc<dyn Check>]) -> Vec<u8> {
    let man = clap_mangen::Man::new(cli::command());
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = man.render_title(&mut out);
    let _ = man.render_name_section(&mut out);
    let _ = man.render_synopsis_section(&mut out);
    let _ = man.render_description_section(&mut out);
    let _ = man.render_subcommands_section(&mut out);
    let mut extra = String::from(".SH CHECKS\n");
    for c in checks {
        extra.push_str(&format!(
            ".TP\n\\fB{}\\fR\n{}\n",
            roff(c.id()),
            roff(c.title())
        ));
        for paragraph in c.explain().split("\n\n") {
            extra.push_str(&format!(".IP\n{}\n", roff(paragraph)));
        }
    }
    extra.push_str(
        ".SH \"EXIT STATUS\"\n\
.TP\n0\nNo check failed (warnings allowed unless \\-\\-strict).\n\
.TP\n1\nAt least one check failed.\n\
.TP\n2\nUsage or configuration error, or a refused action.\n\
.TP\n3\nrtdoctor itself broke (a bug); the message says how to report it.\n\
.SH ENVIRONMENT\n\
.TP\n\\fBRTDOCTOR_TIMEOUT\\fR, \\fBRTDOCTOR_ONLY\\fR, \\fBRTDOCTOR_SKIP\\fR, \\fBRTDOCTOR_FORMAT\\fR, \\fBRTDOCTOR_STRICT\\fR, \\fBRTDOCTOR_PORT_RANGE\\fR, \\fBRTDOCTOR_COLOR\\fR, \\fBRTDOCTOR_CONFIG\\fR\n\
Defaults for the options of the same name; flags win over them, and they win over the config file.\n\
.TP\n\\fBNO_COLOR\\fR\nNo colour with \\-\\-color auto.\n\
.TP\n\\fBRTDOCTOR_SOCKETS\\fR\n\\fBprocfs\\fR or \\fBnetlink\\fR: read the socket table from that source only.\n\
.SH FILES\n.TP\n\\fIrtdoctor.toml\\fR\nThe config file in the working directory (or \\-\\-config FILE): top\\-level keys are defaults, each [[target]] table names a target.\n",
    );
    out.extend_from_slice(extra.as_bytes());
    let _ = man.render_version_section(&mut out);
    out
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
    #[test]
    fn roff_escapes_control_characters() {
        assert_eq!(super::roff(".x -y \\z"), "\\&.x \\-y \\ez");
        assert_eq!(super::roff("a\nb"), "a\n.br\nb");
    }
}
