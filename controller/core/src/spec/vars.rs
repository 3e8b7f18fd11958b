//! Per-target values: `${target.name}`, `${target.region}`, `${target.accountId}` and
//! `${target.partition}` in any string value of a spec, resolved per target before the
//! value rules run, so every rule checks the resolved string and reports at the
//! place it was written. `$${` writes a literal `${`.
//!
//! Pure, like the rest of `spec`: validation knows a target's name and region and, when
//! driftless.yaml says it (`accountId` or `roleArn`), its account. An account (or, for
//! the `default` target, a region) that only AWS knows is replaced by a placeholder of
//! the right shape, and the resource is marked to be resolved again by the engine once
//! STS has named it ([`resolve_for_target`]).

use super::diagnostic::Diagnostic;
use super::rules::{partition_of, Problem};
use super::yaml::{Node, Value};

/// The variables a spec may use, after `target.`.
pub const VARIABLES: &[&str] = &["name", "region", "accountId", "partition"];
/// Stands for an account that validation cannot know (12 digits, like any account).
pub const PLACEHOLDER_ACCOUNT: &str = "000000000000";
/// Stands for the region of the `default` target, which comes from the environment.
pub const PLACEHOLDER_REGION: &str = "us-east-1";

/// What a target's variables resolve to; `None`: not known yet (a placeholder is used).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TargetFacts {
    pub name: String,
    pub region: Option<String>,
    pub account: Option<String>,
}

impl TargetFacts {
    /// The value of `target.<var>` and whether it is the real one.
    fn value(&self, var: &str) -> (String, bool) {
        let region = self.region.as_deref();
        match var {
            "name" => (self.name.clone(), true),
            "region" => (
                region.unwrap_or(PLACEHOLDER_REGION).to_string(),
                region.is_some(),
            ),
            "partition" => (
                partition_of(region.unwrap_or(PLACEHOLDER_REGION)).to_string(),
                region.is_some(),
            ),
            _ => match &self.account {
                Some(a) => (a.clone(), true),
                None => (PLACEHOLDER_ACCOUNT.to_string(), false),
            },
        }
    }
}

/// Whether a string uses the syntax at all (a variable or an escape).
fn templated(text: &str) -> bool {
    text.contains("${")
}

/// `text` with every variable replaced; the flag is false when a placeholder was
/// used. Errors: an unknown variable, an unterminated `${`.
pub fn substitute(text: &str, facts: &TargetFacts) -> Result<(String, bool), Problem> {
    let mut out = String::with_capacity(text.len());
    let mut known = true;
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if let Some(after) = tail.strip_prefix("$${") {
            out.push_str("${");
            rest = after;
        } else if let Some(after) = tail.strip_prefix("${") {
            let Some(end) = after.find('}') else {
                return Err(Problem::new(format!("unterminated `${{` in `{text}`"))
                    .hint("close it: `${target.region}`; write `$${` for a literal `${`"));
            };
            let name = &after[..end];
            let var = name
                .strip_prefix("target.")
                .filter(|v| VARIABLES.contains(v));
            let Some(var) = var else {
                return Err(Problem::new(format!("unknown variable `${{{name}}}`")).hint(
                    "use ${target.name}, ${target.region}, ${target.accountId} or ${target.partition}; write `$${` for a literal `${`",
                ));
            };
            let (value, real) = facts.value(var);
            out.push_str(&value);
            known &= real;
            rest = &after[end + 1..];
        } else {
            out.push('$');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    Ok((out, known))
}

/// Reports every misuse in a document (variables in metadata or in keys, unknown
/// variables, unterminated `${`); returns whether the document's spec uses the
/// syntax, and so must be resolved per target.
pub fn scan(path: &str, root: &Node, out: &mut Vec<Diagnostic>) -> bool {
    let mut used = false;
    let Some(entries) = root.as_map() else {
        return false;
    };
    for (key, value) in entries {
        check_key(path, key, out);
        if key.as_str() == Some("metadata") {
            walk(value, &mut |node, is_key| {
                let text = node.as_str().unwrap_or_default();
                if templated(text) && !is_key {
                    out.push(
                        Diagnostic::new(path, node.span, format!("`{text}`: per-target values are not allowed in metadata"))
                            .with_hint("a resource's name and targets are the same for every target; use ${target.*} in spec values only"),
                    );
                } else if is_key {
                    check_key(path, node, out);
                }
            });
            continue;
        }
        walk(value, &mut |node, is_key| {
            if is_key {
                check_key(path, node, out);
                return;
            }
            let text = node.as_str().unwrap_or_default();
            if templated(text) {
                used = true;
                if let Err(p) = substitute(text, &TargetFacts::default()) {
                    out.push(Diagnostic::new(path, node.span, p.message).with_opt_hint(p.hint));
                }
            }
        });
    }
    used
}

fn check_key(path: &str, key: &Node, out: &mut Vec<Diagnostic>) {
    let text = key.as_str().unwrap_or_default();
    if templated(text) {
        out.push(
            Diagnostic::new(
                path,
                key.span,
                format!("`{text}`: per-target values are not allowed in keys"),
            )
            .with_hint("keys (field names, tag keys, dimension names) are the same for every target; use ${target.*} in values only"),
        );
    }
}

/// Calls `f` on every scalar under `node` (keys with `true`).
fn walk(node: &Node, f: &mut dyn FnMut(&Node, bool)) {
    match &node.value {
        Value::Scalar { .. } => f(node, false),
        Value::Seq(items) => items.iter().for_each(|n| walk(n, f)),
        Value::Map(entries) => {
            for (k, v) in entries {
                f(k, true);
                walk(v, f);
            }
        }
    }
}

/// The document with every value of its spec resolved for one target (positions
/// kept; a resolved scalar is a string, whatever it looks like), and whether every
/// value is the real one. Misuse was reported by [`scan`]; such strings stay as they
/// are.
pub fn resolve(root: &Node, facts: &TargetFacts) -> (Node, bool) {
    let mut known = true;
    let mut tree = root.clone();
    if let Value::Map(entries) = &mut tree.value {
        for (key, value) in entries.iter_mut() {
            if key.as_str() != Some("metadata") {
                resolve_values(value, facts, &mut known);
            }
        }
    }
    (tree, known)
}

fn resolve_values(node: &mut Node, facts: &TargetFacts, known: &mut bool) {
    match &mut node.value {
        Value::Scalar { text, plain } => {
            if templated(text) {
                if let Ok((value, real)) = substitute(text, facts) {
                    *text = value;
                    *plain = false;
                    *known &= real;
                }
            }
        }
        Value::Seq(items) => items
            .iter_mut()
            .for_each(|n| resolve_values(n, facts, known)),
        Value::Map(entries) => entries
            .iter_mut()
            .for_each(|(_, v)| resolve_values(v, facts, known)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokyo(account: Option<&str>) -> TargetFacts {
        TargetFacts {
            name: "prod-tokyo".into(),
            region: Some("ap-northeast-1".into()),
            account: account.map(String::from),
        }
    }

    #[test]
    fn variables_resolve_and_escapes_stay_literal() {
        let facts = tokyo(Some("111111111111"));
        assert_eq!(
            substitute(
                "arn:${target.partition}:sns:${target.region}:${target.accountId}:oncall",
                &facts
            )
            .unwrap(),
            (
                "arn:aws:sns:ap-northeast-1:111111111111:oncall".to_string(),
                true
            )
        );
        assert_eq!(
            substitute("$${target.name} is ${target.name}, $5", &facts).unwrap(),
            ("${target.name} is prod-tokyo, $5".to_string(), true)
        );
        assert_eq!(
            substitute("${target.accountId}", &tokyo(None)).unwrap(),
            (PLACEHOLDER_ACCOUNT.to_string(), false)
        );
        let cn = TargetFacts {
            region: Some("cn-north-1".into()),
            ..tokyo(None)
        };
        assert_eq!(substitute("${target.partition}", &cn).unwrap().0, "aws-cn");
    }

    #[test]
    fn unknown_and_unterminated_variables_are_errors() {
        let facts = tokyo(None);
        let p = substitute("${target.acount}", &facts).unwrap_err();
        assert_eq!(p.message, "unknown variable `${target.acount}`");
        let p = substitute("${region}", &facts).unwrap_err();
        assert_eq!(p.message, "unknown variable `${region}`");
        let p = substitute("arn:${target.region", &facts).unwrap_err();
        assert_eq!(p.message, "unterminated `${` in `arn:${target.region`");
    }

    #[test]
    fn metadata_and_keys_are_refused_and_resolution_keeps_positions() {
        let text = "kind: MetricAlarm\nmetadata: {name: \"a-${target.name}\"}\nspec:\n  alarmActions: [\"${target.region}\"]\n  dimensions: {\"${target.name}\": x}\n";
        let root = super::super::yaml::parse_documents(text).unwrap().remove(0);
        let mut out = Vec::new();
        assert!(scan("a.yaml", &root, &mut out));
        let lines: Vec<String> = out
            .iter()
            .map(|d| format!("{}:{}", d.line, d.column))
            .collect();
        assert_eq!(lines, ["2:18", "5:16"], "{out:?}");
        let (tree, known) = resolve(&root, &tokyo(None));
        assert!(known, "no account was used");
        let action = &tree.get("spec").unwrap().get("alarmActions").unwrap();
        let Value::Seq(items) = &action.value else {
            panic!()
        };
        assert_eq!(items[0].as_str(), Some("ap-northeast-1"));
        assert_eq!((items[0].span.line, items[0].span.column), (4, 18));
        assert_eq!(
            tree.get("metadata").unwrap().get("name").unwrap().as_str(),
            Some("a-${target.name}")
        );
    }
}
