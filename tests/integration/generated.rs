//! completions/ and man/ are generated from the CLI definition and the
//! registry; the committed copies must match. `RTDOCTOR_REGENERATE=1`
//! rewrites them.

#[test]
fn generated_files_are_fresh() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let regenerate = std::env::var_os("RTDOCTOR_REGENERATE").is_some();
    let mut stale = Vec::new();
    for (path, contents) in rtdoctor::docs::generated_files(&rtdoctor::check::registry()) {
        let file = root.join(&path);
        if regenerate {
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(&file, &contents).unwrap();
        } else if std::fs::read(&file).ok().as_deref() != Some(contents.as_slice()) {
            stale.push(path);
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated files {stale:?}: run RTDOCTOR_REGENERATE=1 cargo test generated and commit them"
    );
    let man = std::fs::read_to_string(root.join("man/rtdoctor.1")).unwrap();
    for section in [".SH CHECKS", ".SH \"EXIT STATUS\"", "port.listen"] {
        assert!(man.contains(section), "{section} missing from the man page");
    }
}
