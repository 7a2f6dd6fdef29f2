//! Every built-in check's integration tests are found from its id: a test
//! that exercises `socketio.upgrade` is named `socketio_upgrade_…`, so
//! `cargo test --test integration socketio_upgrade` runs them.

use std::path::Path;

/// A check id in the form a test name carries it: `port.time-wait` →
/// `port_time_wait`.
fn snake(id: &str) -> String {
    id.replace(['.', '-'], "_")
}

/// The names of the `#[test]` functions in the integration tests' sources.
fn test_names() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/integration");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("tests/integration reads") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_none_or(|x| x != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("a test source reads");
        let mut after_test = false;
        for line in text.lines().map(str::trim) {
            if line.starts_with("#[test]") {
                after_test = true;
            } else if after_test && let Some(rest) = line.strip_prefix("fn ") {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                names.push(name);
                after_test = false;
            }
        }
    }
    names
}

#[test]
fn registry_every_builtin_check_id_names_an_integration_test() {
    let names = test_names();
    assert!(
        names
            .iter()
            .any(|n| n == "registry_every_builtin_check_id_names_an_integration_test"),
        "the scan of the test sources finds this very test"
    );
    let missing: Vec<String> = rtdoctor::check::registry()
        .iter()
        .map(|c| snake(c.id()))
        .filter(|id| !names.iter().any(|n| n.starts_with(id.as_str())))
        .collect();
    assert!(
        missing.is_empty(),
        "no integration test is named for these checks (name one `<id>_…`): {missing:?}"
    );
}
