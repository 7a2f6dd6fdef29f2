//! Three views of one `Report`. None of them decides pass or fail on its
//! own: they ask `Status::is_failure`.

mod human;
mod json;
mod junit;

pub use human::human;
pub use json::json;
pub use junit::junit;

/// `lead` (its colours not counted: `lead_width` columns) then `text`,
/// broken between words so no line is wider than `width`, every further
/// line indented by `hang` spaces — a hanging indent. A word wider than a
/// line is left whole, on a line of its own. With no width (a pipe, a
/// file), no line is broken: one line per paragraph of `text`.
pub fn fill(
    lead: &str,
    lead_width: usize,
    text: &str,
    width: Option<usize>,
    hang: usize,
) -> String {
    let mut out = String::from(lead);
    let mut col = lead_width;
    let hang = match width {
        Some(w) if hang > w / 2 => 6.min(w / 2),
        _ => hang,
    };
    let start = |out: &mut String, col: &mut usize| {
        out.truncate(out.trim_end_matches(' ').len());
        out.push('\n');
        out.push_str(&" ".repeat(hang));
        *col = hang;
    };
    for (i, paragraph) in text.split('\n').enumerate() {
        if i > 0 {
            start(&mut out, &mut col);
        }
        let Some(width) = width else {
            out.push_str(paragraph.trim_end());
            continue;
        };
        let mut first = true;
        for word in paragraph.split_whitespace() {
            let w = word.chars().count();
            if !first && col + 1 + w > width {
                start(&mut out, &mut col);
            } else if !first {
                out.push(' ');
                col += 1;
            } else if col > hang && col + w > width {
                // The lead leaves no room for even the first word.
                start(&mut out, &mut col);
            }
            out.push_str(word);
            col += w;
            first = false;
        }
    }
    out.truncate(out.trim_end_matches(' ').len());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::fill;

    #[test]
    fn fill_hangs_under_the_lead_and_never_splits_a_word() {
        let got = fill("  ✓ id  ", 8, "one two three four five", Some(20), 8);
        assert_eq!(got, "  ✓ id  one two\n        three four\n        five\n");
        let long = fill(
            "> ",
            2,
            "a https://example.com/a/very/long/path b",
            Some(20),
            2,
        );
        assert_eq!(long, "> a\n  https://example.com/a/very/long/path\n  b\n");
        for line in fill("", 0, &"word ".repeat(40), Some(30), 4).lines() {
            assert!(line.chars().count() <= 30, "{line:?}");
        }
    }

    #[test]
    fn fill_without_a_width_keeps_each_paragraph_on_one_line() {
        let text = "a long paragraph that would be wrapped on a terminal ".repeat(4);
        let got = fill("  ", 2, &format!("{text}\nsecond"), None, 6);
        assert_eq!(got, format!("  {}\n      second\n", text.trim_end()));
    }

    #[test]
    fn fill_moves_the_text_under_a_lead_too_wide_for_it() {
        let got = fill(
            "  x a-very-long-check-id ",
            25,
            "summary words",
            Some(40),
            30,
        );
        assert_eq!(got, "  x a-very-long-check-id summary words\n");
        let got = fill(
            "  x a-very-long-check-id ",
            25,
            "a-summary-of-twenty-chars",
            Some(40),
            30,
        );
        assert_eq!(
            got,
            "  x a-very-long-check-id\n      a-summary-of-twenty-chars\n"
        );
    }

    #[test]
    fn a_paragraph_indented_as_a_whole_breaks_between_words() {
        let got = fill("  ", 2, "one two three four", Some(12), 2);
        assert_eq!(got, "  one two\n  three four\n");
    }
}
