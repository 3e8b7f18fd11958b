//! `required-tags`
//! (<https://docs.aws.amazon.com/config/latest/developerguide/required-tags.html>):
//! the resource carries `tag1Key` … `tag6Key`, each with one of the comma-separated
//! values of `tagNValue` when that is given.

use std::collections::BTreeMap;

use super::params::Params;
use super::{Finding, Seg};

pub(super) fn required(p: Params<'_>, tags: &BTreeMap<String, String>) -> Vec<Finding> {
    let mut out = Vec::new();
    for n in 1..=6 {
        let Some(key) = p.text(&format!("tag{n}Key")) else {
            continue;
        };
        let allowed = p.csv(&format!("tag{n}Value"));
        match tags.get(key) {
            None => out.push(
                Finding::new(vec![Seg::Key("tags")], format!("tag `{key}` is missing")).hint(
                    match allowed.first() {
                        Some(v) => format!("add `{key}: {v}` to `tags`"),
                        None => format!("add `{key}` to `tags`"),
                    },
                ),
            ),
            Some(value) if !allowed.is_empty() && !allowed.contains(&value.as_str()) => out.push(
                Finding::new(
                    vec![Seg::Key("tags")],
                    format!(
                        "tag `{key}` is `{value}`, not one of {}",
                        allowed.join(", ")
                    ),
                )
                .hint(format!("set `{key}` to one of {}", allowed.join(", "))),
            ),
            Some(_) => {}
        }
    }
    out
}
