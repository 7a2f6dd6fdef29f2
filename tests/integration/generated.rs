//! completions/ and man/ are generated from the CLI definition, the option
//! list and the registry, and so are the marked regions of README.md and
//! CONTRACT.md; the committed copies must match. `RTDOCTOR_REGENERATE=1`
//! rewrites them.

use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn regenerate() -> bool {
    std::env::var_os("RTDOCTOR_REGENERATE").is_some()
}

/// Writes `contents` to `path` when regenerating; else whether it is fresh.
fn fresh(path: &str, contents: &[u8]) -> bool {
    let file = root().join(path);
    if regenerate() {
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, contents).unwrap();
        return true;
    }
    std::fs::read(&file).ok().as_deref() == Some(contents)
}

fn assert_fresh(stale: &[String]) {
    assert!(
        stale.is_empty(),
        "stale generated files {stale:?}: run RTDOCTOR_REGENERATE=1 cargo test generated and commit them"
    );
}

#[test]
fn generated_files_are_fresh() {
    let mut stale = Vec::new();
    for (path, contents) in rtdoctor::docs::generated_files(&rtdoctor::check::registry()) {
        if !fresh(&path, &contents) {
            stale.push(path);
        }
    }
    assert_fresh(&stale);
    let man = std::fs::read_to_string(root().join("man/rtdoctor.1")).unwrap();
    for section in [
        ".SH CHECKS",
        ".SH \"EXIT STATUS\"",
        "port.listen",
        ".SH COMMANDS",
        ".SH ENVIRONMENT",
    ] {
        assert!(man.contains(section), "{section} missing from the man page");
    }
}

#[test]
fn generated_regions_of_the_documents_are_fresh() {
    let checks = rtdoctor::check::registry();
    let mut stale = Vec::new();
    for (path, regions) in rtdoctor::docs::DOCUMENTS {
        let text = std::fs::read_to_string(root().join(path)).unwrap();
        let (filled, names) =
            rtdoctor::docs::fill_regions(&text, &checks).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(&names, regions, "{path}: its generated regions");
        if !fresh(path, filled.as_bytes()) {
            stale.push(path.to_string());
        }
    }
    assert_fresh(&stale);
}

/// Whatever page the man page or README points at ships with rtdoctor.
#[test]
fn the_man_page_names_no_page_that_does_not_ship() {
    let man = std::fs::read_to_string(root().join("man/rtdoctor.1")).unwrap();
    // `name(1)`, as roff writes it (`rtdoctor\-check(1)`, `\fBss\fR(8)`).
    let pages = regex::Regex::new(r"[A-Za-z0-9_.\\-]+(\\fR)?\(\d\)").unwrap();
    if let Some(page) = pages.find(&man) {
        panic!(
            "the man page refers to {}, which does not ship",
            page.as_str()
        );
    }
    assert!(
        !man.contains("SEE ALSO"),
        "a SEE ALSO section names other pages"
    );
}

/// Every option of the list is in the man page's COMMANDS section, and
/// every environment variable in its ENVIRONMENT section.
#[test]
fn the_man_page_lists_every_option_and_variable() {
    let man = std::fs::read_to_string(root().join("man/rtdoctor.1")).unwrap();
    let env_at = man.find(".SH ENVIRONMENT").unwrap();
    for o in rtdoctor::options::OPTIONS {
        if let Some(long) = o.long {
            let flag = format!("\\-\\-{}", long.replace('-', "\\-"));
            assert!(man.contains(&flag), "--{long} missing from the man page");
        }
        if let Some(env) = o.env {
            assert!(
                man[env_at..].contains(env),
                "{env} missing from ENVIRONMENT"
            );
        }
    }
    for v in rtdoctor::options::ENVIRONMENT {
        assert!(
            man[env_at..].contains(v.name),
            "{} missing from ENVIRONMENT",
            v.name
        );
    }
}
