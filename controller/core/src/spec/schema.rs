//! Structural checking of a YAML tree against the JSON Schema of its kind, producing
//! the JSON value serde then reads.
//!
//! The schemas are generated from the Rust types (schemars), so the types stay the one
//! source of truth: unknown fields (with "did you mean"), wrong types, missing required
//! fields, enums and numeric ranges are all found here, every one of them, with the
//! position of the offending key or value. Only the subset of JSON Schema that schemars
//! emits for our types is understood: `$ref`, `anyOf`/`oneOf`, `type`, `enum`,
//! `const`, `properties`, `required`, `additionalProperties`, `items`, `minimum`,
//! `maximum`.
//!
//! Where a string is expected, a plain scalar is taken as written (`maxErrors: 1` is
//! the string `"1"`), as Kubernetes and Terraform users expect; a number is never
//! silently made from a string.

use serde_json::{Map, Value as J};

use super::diagnostic::{did_you_mean, Diagnostic};
use super::yaml::{Node, Resolved, Span, Value};

/// Checks `node` against `schema` (whose `$defs` are looked up in `root`), pushing a
/// diagnostic for every problem; returns the JSON for serde when there was none.
pub fn convert(path: &str, node: &Node, root: &J, out: &mut Vec<Diagnostic>) -> Option<J> {
    let before = out.len();
    let mut walker = Walker { path, root, out };
    let value = walker.walk(node, root, "document", None);
    (walker.out.len() == before).then_some(value)
}

struct Walker<'a> {
    path: &'a str,
    root: &'a J,
    out: &'a mut Vec<Diagnostic>,
}

/// The JSON Schema type a node has, for matching and for messages.
fn node_type(node: &Node) -> &'static str {
    match node.resolve() {
        None if matches!(node.value, Value::Seq(_)) => "array",
        None => "object",
        Some(Resolved::Null) => "null",
        Some(Resolved::Bool(_)) => "boolean",
        Some(Resolved::Int(_)) => "integer",
        Some(Resolved::Float(_)) => "number",
        Some(Resolved::Str(_)) => "string",
    }
}

fn describe_type(t: &str) -> &'static str {
    match t {
        "array" => "a list",
        "object" => "a mapping",
        "null" => "nothing",
        "boolean" => "true or false",
        "integer" => "a whole number",
        "number" => "a number",
        "string" => "a string",
        _ => "a value",
    }
}

fn describe_node(node: &Node) -> String {
    match (&node.value, node_type(node)) {
        (Value::Scalar { text, .. }, "string") => format!("the string `{text}`"),
        (Value::Scalar { text, .. }, "null") if text.is_empty() => "nothing".into(),
        (Value::Scalar { text, .. }, _) => format!("`{text}`"),
        (_, t) => describe_type(t).into(),
    }
}

/// The `type` keyword as a list.
fn schema_types(schema: &J) -> Vec<&str> {
    match schema.get("type") {
        Some(J::String(t)) => vec![t.as_str()],
        Some(J::Array(ts)) => ts.iter().filter_map(J::as_str).collect(),
        _ => Vec::new(),
    }
}

/// The alternatives of an `anyOf`/`oneOf`, with nested ones (an `Option` of an
/// untagged enum) flattened, so the best-fitting one can be chosen for messages.
fn flatten_branches<'s>(root: &'s J, schema: &'s J, out: &mut Vec<&'s J>, depth: usize) {
    let schema = Walker::deref(root, schema);
    match schema
        .get("anyOf")
        .or_else(|| schema.get("oneOf"))
        .and_then(J::as_array)
    {
        Some(branches) if depth < 8 => {
            for b in branches {
                flatten_branches(root, b, out, depth + 1);
            }
        }
        _ => out.push(schema),
    }
}

impl Walker<'_> {
    fn error(&mut self, node: &Node, message: String, hint: Option<String>) {
        self.out
            .push(Diagnostic::new(self.path, node.span, message).with_opt_hint(hint));
    }

    fn deref<'s>(root: &'s J, schema: &'s J) -> &'s J {
        let mut s = schema;
        // $ref chains are short; bound them anyway.
        for _ in 0..8 {
            match s.get("$ref").and_then(J::as_str) {
                Some(r) => {
                    let name = r.rsplit('/').next().unwrap_or_default();
                    match root.get("$defs").and_then(|d| d.get(name)) {
                        Some(target) => s = target,
                        None => return s,
                    }
                }
                None => return s,
            }
        }
        s
    }

    fn walk(&mut self, node: &Node, schema: &J, field: &str, key: Option<Span>) -> J {
        let schema = Self::deref(self.root, schema);
        if schema
            .get("anyOf")
            .or_else(|| schema.get("oneOf"))
            .is_some()
        {
            let mut branches = Vec::new();
            flatten_branches(self.root, schema, &mut branches, 0);
            return self.walk_any_of(node, &branches, field, key);
        }
        let types = schema_types(schema);
        let actual = node_type(node);
        if !types.is_empty() {
            let matches = types.iter().any(|t| {
                *t == actual
                    || (*t == "number" && actual == "integer")
                    || (*t == "string"
                        && matches!(node.value, Value::Scalar { .. })
                        && actual != "null")
            });
            if !matches {
                let expected: Vec<&str> = types
                    .iter()
                    .filter(|t| **t != "null")
                    .map(|t| describe_type(t))
                    .collect();
                let hint = (actual == "string" && types.contains(&"integer"))
                    .then(|| "write the number without quotes".to_string());
                self.error(
                    node,
                    format!(
                        "`{field}` must be {}, found {}",
                        expected.join(" or "),
                        describe_node(node)
                    ),
                    hint,
                );
                return J::Null;
            }
        }
        let value = match &node.value {
            Value::Map(entries) => self.walk_object(node, entries, schema, field, key),
            Value::Seq(items) => {
                let item_schema = schema.get("items").cloned().unwrap_or(J::Bool(true));
                let item_field = format!("{field}[]");
                J::Array(
                    items
                        .iter()
                        .map(|item| self.walk(item, &item_schema, &item_field, None))
                        .collect(),
                )
            }
            Value::Scalar { text, .. } => {
                if types.contains(&"string") && actual != "string" && actual != "null" {
                    J::String(text.clone())
                } else {
                    node.to_json()
                }
            }
        };
        self.check_value(node, &value, schema, field);
        value
    }

    fn check_value(&mut self, node: &Node, value: &J, schema: &J, field: &str) {
        let allowed = match (schema.get("enum"), schema.get("const")) {
            (Some(J::Array(values)), _) => Some(values.clone()),
            (_, Some(c)) => Some(vec![c.clone()]),
            _ => None,
        };
        if let Some(allowed) = allowed {
            if !allowed.contains(value) && !value.is_null() {
                let (message, hint) = enum_problem(field, node, value, &allowed);
                self.error(node, message, hint);
                return;
            }
        }
        if let Some(n) = value.as_f64() {
            if let Some(min) = schema.get("minimum").and_then(J::as_f64) {
                if n < min {
                    self.error(
                        node,
                        format!("`{field}` must be at least {min}, found {n}"),
                        None,
                    );
                }
            }
            if let Some(max) = schema.get("maximum").and_then(J::as_f64) {
                if n > max {
                    self.error(
                        node,
                        format!("`{field}` must be at most {max}, found {n}"),
                        None,
                    );
                }
            }
        }
    }

    fn walk_any_of(&mut self, node: &Node, branches: &[&J], field: &str, key: Option<Span>) -> J {
        let mut attempts = Vec::new();
        for branch in branches {
            let mut scratch = Vec::new();
            let mut w = Walker {
                path: self.path,
                root: self.root,
                out: &mut scratch,
            };
            let value = w.walk(node, branch, field, key);
            if scratch.is_empty() {
                return value;
            }
            attempts.push((Self::deref(self.root, branch), scratch));
        }
        // Report the branch meant for this shape of value, if exactly one is.
        let actual = node_type(node);
        let fitting: Vec<usize> = attempts
            .iter()
            .enumerate()
            .filter(|(_, (schema, _))| {
                let single = schema
                    .get("enum")
                    .and_then(J::as_array)
                    .is_some_and(|v| v.len() == 1);
                if single {
                    return false;
                }
                let types = schema_types(schema);
                types.contains(&actual)
                    || (actual == "integer" && types.contains(&"number"))
                    || (types.is_empty()
                        && schema.get("properties").is_some()
                        && actual == "object")
            })
            .map(|(i, _)| i)
            .collect();
        let fitting = Self::by_keys(node, &attempts, fitting);
        if let [only] = fitting.as_slice() {
            let (_, errors) = attempts.swap_remove(*only);
            self.out.extend(errors);
            return J::Null;
        }
        let mut expected: Vec<String> = Vec::new();
        for (schema, _) in &attempts {
            let desc = match (
                schema.get("enum").and_then(J::as_array),
                schema_types(schema).first(),
            ) {
                (Some(values), _) if values.len() <= 3 => values
                    .iter()
                    .map(|v| {
                        format!(
                            "`{}`",
                            v.as_str().map(str::to_string).unwrap_or(v.to_string())
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(" or "),
                (_, Some(t)) => describe_type(t).to_string(),
                _ => "a mapping".to_string(),
            };
            if desc != "nothing" && !expected.contains(&desc) {
                expected.push(desc);
            }
        }
        self.error(
            node,
            format!(
                "`{field}` must be {}, found {}",
                expected.join(" or "),
                describe_node(node)
            ),
            None,
        );
        J::Null
    }

    /// Of several mapping branches, the ones whose properties name every key of the
    /// mapping (`{organization: ...}` is the organization entry's, not a target's);
    /// all of them when that does not single one out.
    fn by_keys(node: &Node, attempts: &[(&J, Vec<Diagnostic>)], fitting: Vec<usize>) -> Vec<usize> {
        let Some(map) = node.as_map() else {
            return fitting;
        };
        let named: Vec<usize> = fitting
            .iter()
            .copied()
            .filter(|i| {
                let props = attempts[*i].0.get("properties");
                map.iter().all(|(k, _)| {
                    k.as_str()
                        .is_some_and(|k| props.and_then(|p| p.get(k)).is_some())
                })
            })
            .collect();
        if named.len() == 1 {
            named
        } else {
            fitting
        }
    }

    fn walk_object(
        &mut self,
        node: &Node,
        entries: &[(Node, Node)],
        schema: &J,
        field: &str,
        key_span: Option<Span>,
    ) -> J {
        let empty = Map::new();
        let properties = schema
            .get("properties")
            .and_then(J::as_object)
            .unwrap_or(&empty);
        let additional = schema.get("additionalProperties");
        let mut object = Map::new();
        for (key, value) in entries {
            let name = key.as_str().unwrap_or_default().to_string();
            let sub = match (properties.get(&name), additional) {
                (Some(s), _) => s,
                (None, Some(J::Bool(false))) => {
                    let names: Vec<&str> = properties.keys().map(String::as_str).collect();
                    let hint = match did_you_mean(&name, names.iter().copied()) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!("known fields here: {}", names.join(", ")),
                    };
                    let place = if field == "document" {
                        String::new()
                    } else {
                        format!(" in `{field}`")
                    };
                    self.error(key, format!("unknown field `{name}`{place}"), Some(hint));
                    continue;
                }
                (None, Some(s)) if s.is_object() => s,
                (None, _) => &J::Bool(true),
            };
            let converted = if sub == &J::Bool(true) {
                value.to_json()
            } else {
                self.walk(value, sub, &name, Some(key.span))
            };
            object.insert(name, converted);
        }
        if let Some(required) = schema.get("required").and_then(J::as_array) {
            for r in required.iter().filter_map(J::as_str) {
                if !object.contains_key(r) && !entries.iter().any(|(k, _)| k.as_str() == Some(r)) {
                    let place = if field == "document" {
                        String::new()
                    } else {
                        format!(" in `{field}`")
                    };
                    let at = node.anchor(key_span);
                    self.out.push(Diagnostic::new(
                        self.path,
                        at,
                        format!("missing required field `{r}`{place}"),
                    ));
                }
            }
        }
        J::Object(object)
    }
}

fn enum_problem(field: &str, node: &Node, value: &J, allowed: &[J]) -> (String, Option<String>) {
    let shown: Vec<String> = allowed
        .iter()
        .map(|v| {
            v.as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string())
        })
        .collect();
    let message = format!("`{field}` cannot be {}", describe_node(node));
    if let Some(n) = value.as_f64() {
        let nums: Vec<f64> = allowed.iter().filter_map(J::as_f64).collect();
        let below = nums
            .iter()
            .copied()
            .filter(|v| *v < n)
            .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
        let above = nums
            .iter()
            .copied()
            .filter(|v| *v > n)
            .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.min(v))));
        let near: Vec<String> = below
            .into_iter()
            .chain(above)
            .map(|v| v.to_string())
            .collect();
        let hint = format!(
            "nearest allowed: {} (allowed: {})",
            near.join(" or "),
            shown.join(" ")
        );
        return (message, Some(hint));
    }
    let text = value.as_str().unwrap_or_default();
    let hint = match did_you_mean(text, shown.iter().map(String::as_str)) {
        Some(s) => format!("did you mean `{s}`?"),
        None => format!("use one of: {}", shown.join(", ")),
    };
    (message, Some(hint))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::yaml::parse_documents;
    use serde_json::json;

    fn run(schema: J, text: &str) -> Result<J, Vec<String>> {
        let node = &parse_documents(text).unwrap()[0];
        let mut out = Vec::new();
        convert("a.yaml", node, &schema, &mut out)
            .ok_or_else(|| out.iter().map(|d| d.to_string()).collect())
    }

    fn object() -> J {
        json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["period"],
            "properties": {
                "period": {"type": "integer", "minimum": 1},
                "name": {"type": ["string", "null"]},
                "mode": {"type": "string", "enum": ["breaching", "notBreaching"]},
                "days": {"anyOf": [{"type": "integer", "enum": [7, 14]}, {"type": "string", "enum": ["never"]}]},
                "tags": {"type": "object", "additionalProperties": {"type": "string"}},
                "list": {"type": "array", "items": {"$ref": "#/$defs/Item"}}
            },
            "$defs": {"Item": {"type": "object", "additionalProperties": false, "properties": {"x": {"type": "boolean"}}}}
        })
    }

    #[test]
    fn valid_documents_convert_with_coercion_to_string() {
        let v = run(
            object(),
            "period: 60\nname: 80\ntags: {a: true}\ndays: never\nlist: [{x: true}]",
        )
        .unwrap();
        assert_eq!(
            v,
            json!({"period": 60, "name": "80", "tags": {"a": "true"}, "days": "never", "list": [{"x": true}]})
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let errs = run(
            object(),
            "perod: 60\nmode: breachin\ndays: 10\nlist: [{x: maybe}]\n",
        )
        .unwrap_err();
        assert_eq!(errs.len(), 5, "{errs:#?}");
        assert!(
            errs[0].starts_with("a.yaml:1:1: error: unknown field `perod`"),
            "{}",
            errs[0]
        );
        assert!(errs[0].contains("did you mean `period`?"));
        assert!(
            errs[1].contains("`mode` cannot be the string `breachin`")
                && errs[1].contains("`breaching`"),
            "{}",
            errs[1]
        );
        assert!(
            errs[2].contains("`days` cannot be `10`")
                && errs[2].contains("nearest allowed: 7 or 14"),
            "{}",
            errs[2]
        );
        assert!(
            errs[3].starts_with("a.yaml:4:12:") && errs[3].contains("`x` must be true or false"),
            "{}",
            errs[3]
        );
        assert!(
            errs[4].contains("missing required field `period`"),
            "{}",
            errs[4]
        );
    }

    #[test]
    fn numbers_are_never_made_from_strings() {
        let errs = run(object(), "period: '60'").unwrap_err();
        assert!(
            errs[0].contains("must be a whole number, found the string `60`"),
            "{}",
            errs[0]
        );
        assert!(errs[0].contains("without quotes"));
    }

    #[test]
    fn ranges_are_checked() {
        let errs = run(object(), "period: 0").unwrap_err();
        assert!(errs[0].contains("at least 1"), "{}", errs[0]);
    }

    #[test]
    fn any_of_without_a_fitting_branch_lists_the_choices() {
        let errs = run(object(), "period: 1\ndays: [1]").unwrap_err();
        assert!(
            errs[0].contains("must be `7` or `14` or `never`, found a list"),
            "{}",
            errs[0]
        );
    }
}
