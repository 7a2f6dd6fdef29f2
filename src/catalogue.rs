//! `rtdoctor checks` and `rtdoctor explain ID`, both read from the registry.

use std::sync::Arc;

use crate::check::Check;
use crate::error::Error;
use crate::escape::escape;
use crate::render::wrap;

pub fn list(checks: &[Arc<dyn Check>]) -> String {
    let width = checks.iter().map(|c| c.id().len()).max().unwrap_or(0);
    checks
        .iter()
        .map(|c| format!("{:<width$}  {}\n", c.id(), escape(c.title())))
        .collect()
}

pub fn explain(checks: &[Arc<dyn Check>], id: &str) -> Result<String, Error> {
    let Some(check) = checks.iter().find(|c| c.id() == id) else {
        let ids: Vec<&str> = checks.iter().map(|c| c.id()).collect();
        return Err(Error::usage(crate::check::unknown_check(id, &ids)));
    };
    // A declared check's text comes from a file in the checkout.
    let mut out = format!("{} — {}\n\n", check.id(), escape(check.title()));
    for paragraph in check.explain().split("\n\n") {
        for line in paragraph.lines() {
            let line = escape(line);
            // List items keep their dash and hang their continuation lines.
            match line.strip_prefix("- ") {
                Some(item) => out.push_str(&list_item(item)),
                None => out.push_str(&wrap(&line, 88, "  ")),
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

/// `- item` wrapped with its continuation lines hanging under the text. An
/// empty item (a declared check's fix may have a bare `- ` line) wraps to
/// an empty line, which has no indent to put the dash into.
fn list_item(item: &str) -> String {
    let wrapped = wrap(item, 88, "    ");
    match wrapped.strip_prefix("    ") {
        Some(rest) => format!("  - {rest}"),
        None => format!("  -{wrapped}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn list_items_hang_and_an_empty_one_is_just_a_dash() {
        assert_eq!(super::list_item("one"), "  - one\n");
        assert_eq!(super::list_item(""), "  -\n");
        assert_eq!(super::list_item("   "), "  -\n");
    }
}
