//! "Did you mean …?" for every name a person types: check ids (with their
//! groups), config-file keys. A word is first matched as the beginning of
//! names (`net` → `net.dualstack`), then by edit distance, and only when
//! the nearest is close enough to be a typo; else nothing is suggested.

/// At most this many suggestions.
const MAX: usize = 4;

/// The names `word` begins, else the nearest names by edit distance when
/// near enough to be a typo (one edit, and one more per five letters).
pub fn nearest(word: &str, names: &[&str]) -> Vec<String> {
    let word = word.trim().to_ascii_lowercase();
    if word.is_empty() {
        return Vec::new();
    }
    let begun: Vec<String> = names
        .iter()
        .filter(|n| n.starts_with(&word))
        .map(|n| n.to_string())
        .take(MAX)
        .collect();
    if !begun.is_empty() {
        return begun;
    }
    let allowed = 1 + word.chars().count() / 5;
    let scored: Vec<(usize, &str)> = names
        .iter()
        .map(|n| (edit_distance(&word, n), *n))
        .filter(|(d, _)| *d <= allowed)
        .collect();
    let Some(best) = scored.iter().map(|(d, _)| *d).min() else {
        return Vec::new();
    };
    scored
        .into_iter()
        .filter(|(d, _)| *d == best)
        .map(|(_, n)| n.to_string())
        .take(MAX)
        .collect()
}

/// ` (did you mean x?)`, ` (did you mean one of x, y?)`, or "".
pub fn did_you_mean(near: &[String]) -> String {
    match near {
        [] => String::new(),
        [one] => format!(" (did you mean {one}?)"),
        many => format!(" (did you mean one of {}?)", many.join(", ")),
    }
}

/// Edits (insert, delete, replace, swap two neighbours) from `a` to `b`.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // d[i][j]: the distance between a[..i] and b[..j].
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j - 1] + cost)
                .min(d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("port", "port"), 0);
        assert_eq!(edit_distance("prot", "port"), 1);
        assert_eq!(edit_distance("listn", "listen"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    #[test]
    fn beginnings_first_then_near_names_then_nothing() {
        let names = ["timeout", "port_range", "only", "skip", "origin"];
        assert_eq!(nearest("port", &names), ["port_range"]);
        assert_eq!(nearest("timout", &names), ["timeout"]);
        assert!(nearest("zzzz", &names).is_empty());
        assert!(nearest("", &names).is_empty());
        assert_eq!(
            did_you_mean(&nearest("skp", &names)),
            " (did you mean skip?)"
        );
    }
}
