//! `rtdoctor checks` and `rtdoctor explain ID`, both read from the registry.

use std::sync::Arc;

use crate::check::Check;
use crate::render::wrap;

pub fn list(checks: &[Arc<dyn Check>]) -> String {
    let width = checks.iter().map(|c| c.id().len()).max().unwrap_or(0);
    checks
        .iter()
        .map(|c| format!("{:<width$}  {}\n", c.id(), c.title()))
        .collect()
}

pub fn explain(checks: &[Arc<dyn Check>], id: &str) -> Result<String, String> {
    let Some(check) = checks.iter().find(|c| c.id() == id) else {
        let ids: Vec<&str> = checks.iter().map(|c| c.id()).collect();
        return Err(crate::cli::unknown_check(id, &ids));
    };
    let mut out = format!("{} — {}\n\n", check.id(), check.title());
    for paragraph in check.explain().split("\n\n") {
        for line in paragraph.lines() {
            // List items keep their dash and hang their continuation lines.
            match line.strip_prefix("- ") {
                Some(item) => {
                    let wrapped = wrap(item, 88, "    ");
                    out.push_str("  -");
                    out.push_str(&wrapped[3..]);
                }
                None => out.push_str(&wrap(line, 88, "  ")),
            }
        }
        out.push('\n');
    }
    if !check.needs().is_empty() {
        out.push_str(&format!(
            "  Skipped when {} fails.\n",
            check.needs().join(" or ")
        ));
    }
    Ok(out.trim_end().to_string() + "\n")
}
