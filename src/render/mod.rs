//! Three views of one `Report`. None of them decides pass or fail on its
//! own: they ask `Status::is_failure`.

mod human;
mod json;
mod junit;

pub use human::human;
pub use json::json;
pub use junit::junit;

/// Wrap `text` at `width` columns, each line starting with `indent`.
pub fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    for paragraph in text.split('\n') {
        let mut line = String::from(indent);
        for word in paragraph.split_whitespace() {
            if line.len() > indent.len() && line.chars().count() + 1 + word.chars().count() > width
            {
                out.push_str(line.trim_end());
                out.push('\n');
                line = String::from(indent);
            }
            if line.len() > indent.len() {
                line.push(' ');
            }
            line.push_str(word);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn wrap_breaks_between_words_and_indents() {
        let got = super::wrap("one two three four", 12, "  ");
        assert_eq!(got, "  one two\n  three four\n");
    }
}
