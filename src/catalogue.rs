//! `rtdoctor checks` and `rtdoctor explain ID`, both read from the registry.

use std::sync::Arc;

use crate::check::Check;
use crate::error::Error;
use crate::escape::escape;
use crate::render::fill;

pub fn list(checks: &[Arc<dyn Check>]) -> String {
    let width = checks.iter().map(|c| c.id().len()).max().unwrap_or(0);
    checks
        .iter()
        .map(|c| format!("{:<width$}  {}\n", c.id(), escape(c.title())))
        .collect()
}

/// `width`: the terminal's, to wrap to; `None` (a pipe, a file) leaves
/// each line whole.
pub fn explain(checks: &[Arc<dyn Check>], id: &str, width: Option<usize>) -> Result<String, Error> {
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
                Some(item) => out.push_str(&fill("  - ", 4, item, width, 4)),
                None => out.push_str(&fill("  ", 2, &line, width, 2)),
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

#[cfg(test)]
mod tests {
    use crate::render::fill;

    /// A list item as `explain` writes it: the dash, the text hanging
    /// under itself; an empty item (a declared check's bare `- ` line) is
    /// just the dash.
    #[test]
    fn list_items_hang_and_an_empty_one_is_just_a_dash() {
        assert_eq!(fill("  - ", 4, "one", Some(80), 4), "  - one\n");
        assert_eq!(fill("  - ", 4, "", Some(80), 4), "  -\n");
        assert_eq!(fill("  - ", 4, "   ", None, 4), "  -\n");
        assert_eq!(
            fill("  - ", 4, "one two three", Some(12), 4),
            "  - one two\n    three\n"
        );
    }

    /// Off a terminal nothing is wrapped: a long line stays one line.
    #[test]
    fn explain_wraps_to_the_width_given_and_not_at_all_without_one() {
        let checks = crate::check::registry();
        let whole = super::explain(&checks, "port.listen", None).unwrap();
        let narrow = super::explain(&checks, "port.listen", Some(60)).unwrap();
        assert!(whole.lines().any(|l| l.chars().count() > 100), "{whole}");
        assert!(narrow.lines().all(|l| l.chars().count() <= 60), "{narrow}");
        let words = |t: &str| t.split_whitespace().map(str::to_string).collect::<Vec<_>>();
        assert_eq!(words(&whole), words(&narrow));
    }
}
