//! The variables rtdoctor reads besides the options' own `RTDOCTOR_*`
//! ones, with what each does: the README's and the man page's environment
//! tables list them after the options' variables.

/// A variable rtdoctor reads that is not an option's.
#[derive(Clone, Copy, Debug)]
pub struct EnvVar {
    pub name: &'static str,
    pub doc: &'static str,
}

/// The environment rtdoctor honours besides the options' variables.
pub const ENVIRONMENT: &[EnvVar] = &[
    EnvVar {
        name: "RTDOCTOR_SOCKETS",
        doc: "`procfs` or `netlink`: read the socket table from that one source (for kernels \
whose sock_diag misbehaves). Unset or empty, rtdoctor tries netlink, then procfs; any other \
value is exit 2",
    },
    EnvVar {
        name: "NO_COLOR",
        doc: "Set and not empty: no colour with `--color auto`",
    },
    EnvVar {
        name: "TERM",
        doc: "`dumb`: no colour with `--color auto`",
    },
    EnvVar {
        name: "COLUMNS",
        doc: "A number: the width human output is wrapped to on a terminal, instead of the \
terminal's own. Output that is not a terminal (a pipe, a file, `-o`) is never wrapped",
    },
    EnvVar {
        name: "LC_ALL, LC_CTYPE, LANG",
        doc: "The first one set decides: unless it names UTF-8, the marks ✓ ! ✗ – and `…` are \
shown as `ok` `!!` `XX` `--` and `...`",
    },
    EnvVar {
        name: "HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY",
        doc: "In either case: what `env.proxy` judges. rtdoctor's own probes never go through \
a proxy",
    },
    EnvVar {
        name: "SSL_CERT_FILE, SSL_CERT_DIR",
        doc: "When set, where the trusted roots are read from instead of the system's store",
    },
    EnvVar {
        name: "VIRTUAL_ENV",
        doc: "When no target's server is a Python process of this user, the Python whose Socket.IO package versions a bundle records (else python3)",
    },
];

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::super::OPTIONS;
    use super::*;

    /// A variable the source reads is declared (so documented), and a
    /// declared one is named somewhere outside the declarations (so a
    /// variable rtdoctor stopped reading leaves the documents too).
    #[test]
    fn every_variable_the_source_reads_is_declared_and_back() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        // The declarations themselves name every variable.
        let own = [root.join("options"), root.join("options.rs")];
        let pattern = regex::Regex::new(r"RTDOCTOR_[A-Z][A-Z_]*").unwrap();
        let mut declared: BTreeSet<&str> = OPTIONS.iter().filter_map(|o| o.env).collect();
        declared.extend(ENVIRONMENT.iter().flat_map(|v| v.name.split(", ")));
        // Read by the integration tests only, to rewrite the generated files.
        declared.insert("RTDOCTOR_REGENERATE");
        let mut dirs = vec![root];
        let mut files = 0;
        let mut unread: BTreeSet<&str> = ENVIRONMENT
            .iter()
            .flat_map(|v| v.name.split(", "))
            .collect();
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    files += 1;
                    let text = std::fs::read_to_string(&path).unwrap();
                    if !own.iter().any(|o| path.starts_with(o)) {
                        unread.retain(|name| !text.contains(name));
                    }
                    for m in pattern.find_iter(&text) {
                        assert!(
                            declared.contains(m.as_str()),
                            "{} reads {}, which options.rs does not declare",
                            path.display(),
                            m.as_str()
                        );
                    }
                }
            }
        }
        assert!(files > 10, "found only {files} source files");
        assert!(
            unread.is_empty(),
            "declared, but no source names them: {unread:?}"
        );
    }
}
