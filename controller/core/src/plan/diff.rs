//! Field-level diff of two normalised JSON values: `(desired, live) → changes`, with
//! paths users can read (`approvalRules[0].approveAfterDays`, `tags.team`,
//! `dimensions["Load Balancer"]`).

use serde_json::Value as J;

use super::FieldChange;

/// Every leaf where `desired` and `live` differ, in path order. Numbers compare by
/// value (80 = 80.0); objects are compared key by key; anything else as a whole.
pub fn diff(desired: &J, live: &J) -> Vec<FieldChange> {
    let mut out = Vec::new();
    walk("", desired, live, &mut out);
    out
}

fn join(prefix: &str, key: &str) -> String {
    if key.starts_with('[') {
        // Named-list keys (`[daily]`) attach without a dot.
        format!("{prefix}{key}")
    } else if !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        if prefix.is_empty() {
            key.to_string()
        } else {
            format!("{prefix}.{key}")
        }
    } else {
        format!(
            "{prefix}[{}]",
            serde_json::to_string(key).unwrap_or_default()
        )
    }
}

fn same(a: &J, b: &J) -> bool {
    match (a, b) {
        (J::Number(x), J::Number(y)) => x.as_f64() == y.as_f64(),
        (J::Array(x), J::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        // Maps iterate in key order, so equal maps line up entry by entry.
        (J::Object(x), J::Object(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|((k, v), (l, w))| k == l && same(v, w))
        }
        _ => a == b,
    }
}

fn walk(path: &str, desired: &J, live: &J, out: &mut Vec<FieldChange>) {
    match (desired, live) {
        (J::Object(d), J::Object(l)) => {
            // Both maps iterate in key order: merge them.
            let (mut di, mut li) = (d.iter().peekable(), l.iter().peekable());
            loop {
                let (key, dv, lv) = match (di.peek(), li.peek()) {
                    (None, None) => break,
                    (Some((dk, dv)), Some((lk, lv))) if dk == lk => {
                        let item = (*dk, *dv, *lv);
                        di.next();
                        li.next();
                        item
                    }
                    (Some((dk, dv)), Some((lk, _))) if dk < lk => {
                        let item = (*dk, *dv, &J::Null);
                        di.next();
                        item
                    }
                    (Some((dk, dv)), None) => {
                        let item = (*dk, *dv, &J::Null);
                        di.next();
                        item
                    }
                    (_, Some((lk, lv))) => {
                        let item = (*lk, &J::Null, *lv);
                        li.next();
                        item
                    }
                };
                // Most fields are equal: compare before paying for the path.
                if !same(dv, lv) {
                    walk(&join(path, key), dv, lv, out);
                }
            }
        }
        (J::Object(d), J::Null) => {
            for (key, dv) in d {
                walk(&join(path, key), dv, &J::Null, out);
            }
        }
        (J::Null, J::Object(l)) => {
            for (key, lv) in l {
                walk(&join(path, key), &J::Null, lv, out);
            }
        }
        _ if same(desired, live) => {}
        _ => out.push(FieldChange {
            path: path.to_string(),
            live: live.clone(),
            desired: desired.clone(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn paths(d: J, l: J) -> Vec<String> {
        diff(&d, &l).into_iter().map(|c| c.path).collect()
    }

    #[test]
    fn equal_values_have_no_changes() {
        assert!(diff(&json!({"a": 80, "b": [1]}), &json!({"a": 80.0, "b": [1]})).is_empty());
    }

    #[test]
    fn paths_name_nested_fields_named_items_and_odd_keys() {
        let d = json!({"rules": {"[daily]": {"lifecycle": {"deleteAfterDays": 35}}}, "tags": {"Patch Group": "a", "team": "web"}});
        let l = json!({"rules": {"[daily]": {"lifecycle": {"deleteAfterDays": 30}}}, "tags": {"Patch Group": "b", "team": "ops"}});
        assert_eq!(
            paths(d, l),
            [
                "rules[daily].lifecycle.deleteAfterDays",
                "tags[\"Patch Group\"]",
                "tags.team"
            ]
        );
    }

    #[test]
    fn added_and_removed_fields_show_null_on_the_other_side() {
        let changes = diff(&json!({"a": 1}), &json!({"b": 2}));
        assert_eq!(changes.len(), 2);
        assert_eq!(
            (
                changes[0].path.as_str(),
                &changes[0].live,
                &changes[0].desired
            ),
            ("a", &J::Null, &json!(1))
        );
        assert_eq!(
            (
                changes[1].path.as_str(),
                &changes[1].live,
                &changes[1].desired
            ),
            ("b", &json!(2), &J::Null)
        );
    }

    #[test]
    fn whole_objects_appearing_are_listed_field_by_field() {
        assert_eq!(
            paths(json!({"x": {"a": 1, "b": 2}}), json!({})),
            ["x.a", "x.b"]
        );
    }

    #[test]
    fn an_empty_object_against_nothing_has_no_fields() {
        assert!(diff(&json!({}), &J::Null).is_empty());
        assert!(diff(&J::Null, &json!({})).is_empty());
    }

    #[test]
    fn lists_compare_as_a_whole() {
        let changes = diff(&json!({"l": [1, 2]}), &json!({"l": [2, 1]}));
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].path, "l");
    }
}
