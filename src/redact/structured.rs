//! Structured files (JSON, TOML, YAML, XML): parsed where they parse, so a
//! secret under a secret-named key is found at any depth and in any of the
//! format's string forms (nested tables, flow mappings, block scalars,
//! triple-quoted strings, escaped quotes). What comes out is a list of plain
//! values; the redactor then hides them in the raw text, so the file keeps
//! its layout. Text that parses as none of these is left to the line
//! patterns (which run on parsed files too: they only ever hide more).
//!
//! YAML is read with yaml-rust2: serde_yaml is archived, serde_yaml_ng and
//! serde_norway carry a port of libyaml, and a walk over a plain tree is
//! all that is needed here (no serde model).

use super::is_secret_name;

/// Deeper nesting than this is not parsed (the parsers and the walk
/// recurse; a hostile file of a million `[` must not exhaust the stack).
const MAX_DEPTH: usize = 64;

/// The values found under secret-named keys, in every format `text` parses as.
pub fn secret_values(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    if !shallow(text) {
        return out;
    }
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(text) {
        json(&v, false, &mut out);
    }
    if let Ok(v) = text.parse::<toml::Table>() {
        for (k, v) in &v {
            toml_value(v, is_secret_name(k), &mut out);
        }
    }
    if let Ok(docs) = yaml_rust2::YamlLoader::load_from_str(text) {
        for d in &docs {
            yaml(d, false, &mut out);
        }
    }
    if text.trim_start().starts_with('<')
        && let Ok(doc) = roxmltree::Document::parse(text)
    {
        xml(doc.root_element(), &mut out);
    }
    out
}

/// Whether `text` nests shallowly enough to parse: brackets, and the
/// indentation or `- ` runs that YAML nests by.
fn shallow(text: &str) -> bool {
    let mut depth = 0usize;
    for b in text.bytes() {
        match b {
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return false;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    text.lines().all(|line| {
        let lead = line
            .bytes()
            .take_while(|b| matches!(b, b' ' | b'\t' | b'-' | b'?' | b':'))
            .count();
        lead <= 4 * MAX_DEPTH
    })
}

/// A scalar under a secret-named key is a secret unless it cannot be one.
fn push(value: &str, out: &mut Vec<String>) {
    let v = value.trim();
    let plain =
        matches!(v, "" | "true" | "false" | "null" | "~") || v.chars().all(|c| c.is_ascii_digit());
    if !plain {
        out.push(v.to_string());
    }
}

fn json(v: &serde_json::Value, secret: bool, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) if secret => push(s, out),
        serde_json::Value::Array(a) => a.iter().for_each(|x| json(x, secret, out)),
        serde_json::Value::Object(o) => o
            .iter()
            .for_each(|(k, x)| json(x, secret || is_secret_name(k), out)),
        _ => {}
    }
}

fn toml_value(v: &toml::Value, secret: bool, out: &mut Vec<String>) {
    match v {
        toml::Value::String(s) if secret => push(s, out),
        toml::Value::Array(a) => a.iter().for_each(|x| toml_value(x, secret, out)),
        toml::Value::Table(t) => t
            .iter()
            .for_each(|(k, x)| toml_value(x, secret || is_secret_name(k), out)),
        _ => {}
    }
}

fn yaml(v: &yaml_rust2::Yaml, secret: bool, out: &mut Vec<String>) {
    use yaml_rust2::Yaml;
    match v {
        Yaml::String(s) | Yaml::Real(s) if secret => push(s, out),
        Yaml::Array(a) => a.iter().for_each(|x| yaml(x, secret, out)),
        Yaml::Hash(h) => {
            for (k, x) in h.iter() {
                let named = match k {
                    Yaml::String(k) => is_secret_name(k),
                    _ => false,
                };
                yaml(x, secret || named, out);
            }
        }
        _ => {}
    }
}

fn xml(node: roxmltree::Node, out: &mut Vec<String>) {
    for attr in node.attributes() {
        if is_secret_name(attr.name()) {
            push(attr.value(), out);
        }
    }
    if is_secret_name(node.tag_name().name()) {
        for text in node.descendants().filter(|n| n.is_text()) {
            push(text.text().unwrap_or_default(), out);
        }
    }
    for child in node.children().filter(|n| n.is_element()) {
        xml(child, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<String> {
        let mut v = secret_values(text);
        v.sort();
        v.dedup();
        v
    }

    #[test]
    fn nested_keys_in_every_format() {
        assert_eq!(found("db:\n  password: y1\n  port: 5432\n"), ["y1"]);
        assert_eq!(found(r#"{"db":{"password":"j\"1"}}"#), ["j\"1"]);
        assert_eq!(found("db: {password: f1, user: u}\n"), ["f1"]);
        assert_eq!(found("[db]\npassword = \"\"\"t\n1\"\"\"\n"), ["t\n1"]);
        assert_eq!(found("password: |\n  b1\n  b2\nport: 1\n"), ["b1\nb2"]);
        assert_eq!(found("<cfg><db><password>x1</password></db></cfg>"), ["x1"]);
        assert_eq!(found("credentials:\n  - k1\n  - k2\n"), ["k1", "k2"]);
        assert_eq!(found("headers = [\"X-A: h1\"]\n"), ["X-A: h1"]);
        assert!(found("[check.expect]\nheader = { \"content-type\" = \"json\" }\n").is_empty());
    }

    #[test]
    fn plain_values_and_deep_files_are_left_alone() {
        assert!(found("token_ttl: 3600\nsecret_enabled: true\nhost: h\n").is_empty());
        let deep = "[".repeat(100_000);
        assert!(found(&deep).is_empty());
        let deep_yaml = "- ".repeat(100_000) + "x";
        assert!(found(&deep_yaml).is_empty());
    }
}
