//! JSON values as block-style YAML text, for `driftless import` (pure).
//!
//! Mappings (`name` and `id` first, then keys in serde_json's order, sorted) and sequences are written in block style, two spaces per level; empty
//! ones as `{}` and `[]`. A string stays plain only when YAML 1.2's core schema would
//! read it back as the same string (no keyword, number, indicator or special
//! character); any other string is written double-quoted with JSON's escapes, which
//! are valid YAML. Numbers and booleans are written as JSON writes them.

use serde_json::Value as J;

/// `value` (a mapping) as the lines of a YAML block, each indented by `indent` spaces.
pub fn block(value: &J, indent: usize, out: &mut String) {
    match value {
        J::Object(map) if !map.is_empty() => {
            // A list item's `name` or `id` first, so items read by what they are.
            let first = |k: &str| !matches!(k, "name" | "id");
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by_key(|(k, _)| first(k));
            for (key, item) in entries {
                out.push_str(&" ".repeat(indent));
                out.push_str(&scalar_string(key));
                out.push(':');
                item_after_key(item, indent, out);
            }
        }
        J::Array(items) if !items.is_empty() => {
            for item in items {
                out.push_str(&" ".repeat(indent));
                out.push('-');
                item_in_sequence(item, indent, out);
            }
        }
        other => {
            out.push_str(&" ".repeat(indent));
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

fn is_collection(v: &J) -> bool {
    matches!(v, J::Object(m) if !m.is_empty()) || matches!(v, J::Array(a) if !a.is_empty())
}

fn item_after_key(item: &J, indent: usize, out: &mut String) {
    if is_collection(item) {
        out.push('\n');
        block(item, indent + 2, out);
    } else {
        out.push(' ');
        out.push_str(&scalar(item));
        out.push('\n');
    }
}

/// A sequence item: a mapping starts on the dash's line (`- id: m1`), the rest of its
/// keys under it.
fn item_in_sequence(item: &J, indent: usize, out: &mut String) {
    match item {
        J::Object(map) if !map.is_empty() => {
            let mut nested = String::new();
            block(item, indent + 2, &mut nested);
            out.push(' ');
            out.push_str(&nested[indent + 2..]);
        }
        J::Array(items) if !items.is_empty() => {
            out.push('\n');
            block(item, indent + 2, out);
        }
        other => {
            out.push(' ');
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

/// A scalar (or an empty collection) as YAML flow text.
pub fn scalar(v: &J) -> String {
    match v {
        J::Null => "null".into(),
        J::Bool(b) => b.to_string(),
        J::Number(n) => n.to_string(),
        J::String(s) => scalar_string(s),
        J::Array(_) => "[]".into(),
        J::Object(_) => "{}".into(),
    }
}

/// A string, plain when that reads back as the same string, else double-quoted.
pub fn scalar_string(s: &str) -> String {
    if plain_is_safe(s) {
        s.to_string()
    } else {
        serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
    }
}

fn plain_is_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    let keyword = matches!(
        s.to_ascii_lowercase().as_str(),
        "true" | "false" | "null" | "~" | "yes" | "no" | "on" | "off" | ".inf" | ".nan"
    );
    let number_like = first.is_ascii_digit()
        || ((first == '-' || first == '+' || first == '.')
            && s[1..].starts_with(|c: char| c.is_ascii_digit() || c == '.'));
    let allowed = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || " -_./:@()*$+=?%,".contains(c));
    let starts_ok = first.is_ascii_alphabetic() || first == '/' || first == '_';
    let spaces_ok = !s.ends_with(' ') && !s.contains(" #") && !s.contains("  ");
    allowed
        && starts_ok
        && spaces_ok
        && !keyword
        && !number_like
        && !s.contains(": ")
        && !s.contains(", ")
        && !s.ends_with(':')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn yaml(v: J) -> String {
        let mut out = String::new();
        block(&v, 0, &mut out);
        out
    }

    #[test]
    fn nested_mappings_and_sequences_are_block_style() {
        let v = json!({"a": {"b": 1}, "list": [{"a": 1, "id": "m1", "x": true}, "plain"], "e": [], "n": 2.5});
        let text = yaml(v);
        assert_eq!(
            text,
            "a:\n  b: 1\ne: []\nlist:\n  - id: m1\n    a: 1\n    x: true\n  - plain\nn: 2.5\n"
        );
    }

    #[test]
    fn strings_that_would_read_back_differently_are_quoted() {
        for s in [
            "true", "No", "300", "-1", "", "a: b", "#x", "{x}", "~", "x ", "a #b", "*x",
        ] {
            assert!(scalar_string(s).starts_with('"'), "{s}");
        }
        for s in [
            "/app/web",
            "cron(0 2 * * ? *)",
            "CPU of the web fleet",
            "AWS/EC2",
            "arn:aws:sns:ap-northeast-1:111111111111:ops",
            "m1",
        ] {
            assert_eq!(scalar_string(s), s);
        }
    }

    #[test]
    fn the_text_reads_back_as_the_same_value() {
        let v = json!({"k": ["a b", "x\ny", "é", "1.0", "null"], "q": {"\"": "'"}});
        let text = yaml(v.clone());
        let docs = yaml_rust2::YamlLoader::load_from_str(&text).unwrap();
        let back = &docs[0];
        assert_eq!(back["k"][1].as_str(), Some("x\ny"));
        assert_eq!(back["k"][3].as_str(), Some("1.0"));
        assert_eq!(back["k"][4].as_str(), Some("null"));
        assert_eq!(back["q"]["\""].as_str(), Some("'"));
    }
}
