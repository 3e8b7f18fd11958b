//! Plan → text, JSON or markdown. Pure: renderers print a [`Plan`] and decide nothing
//! (the plan is computed once, as Terraform's jsonformat does), so a new output format
//! costs one function.

pub mod audit;
pub mod backtest;
pub mod dashboard;
pub mod markdown;
pub mod schedule;
pub mod text;

use crate::plan::{Change, FieldChange, NextRuns, Plan, Summary};

/// `--output json`: the plan object of cli.md (documented by specs/plan.schema.json).
pub fn json(plan: &Plan) -> String {
    serde_json::to_string_pretty(plan).unwrap_or_default() + "\n"
}

/// `Plan: 1 to create, 2 to update, 0 to replace, 0 to delete, 0 conflicts.`
pub fn summary_line(s: &Summary) -> String {
    format!(
        "Plan: {} to create, {} to update, {} to replace, {} to delete, {} {}.",
        s.create,
        s.update,
        s.replace,
        s.delete,
        s.conflict,
        if s.conflict == 1 {
            "conflict"
        } else {
            "conflicts"
        }
    )
}

/// `No changes. Live state matches <revision>.` (only of the targets planned, when
/// some failed).
pub fn no_changes_line(plan: &Plan) -> String {
    if plan.errors.is_empty() {
        format!("No changes. Live state matches {}.", plan.revision)
    } else {
        format!(
            "No changes in the targets planned. Live state matches {}.",
            plan.revision
        )
    }
}

/// `2 targets failed and were not planned: a, b.`; `None` when every target was planned.
pub fn failed_line(plan: &Plan) -> Option<String> {
    if plan.errors.is_empty() {
        return None;
    }
    let names: Vec<&str> = plan.errors.iter().map(|e| e.target.as_str()).collect();
    Some(format!(
        "{} failed and {} not planned: {}.",
        crate::spec::diagnostic::plural(names.len(), "target"),
        if names.len() == 1 { "was" } else { "were" },
        names.join(", ")
    ))
}

/// A field's value as shown to people: JSON, `(none)` when absent.
pub fn value(v: &serde_json::Value) -> String {
    if v.is_null() {
        "(none)".into()
    } else {
        v.to_string()
    }
}

/// `path: live → desired`, or `path: desired` for a field of something new.
pub fn field_line(change: &Change, f: &FieldChange) -> String {
    if change.action == crate::plan::Action::Create {
        format!("{}: {}", f.path, value(&f.desired))
    } else {
        format!("{}: {} → {}", f.path, value(&f.live), value(&f.desired))
    }
}

/// The changes grouped by target, in plan order.
pub fn by_target(changes: &[Change]) -> Vec<(&str, Vec<&Change>)> {
    let mut groups: Vec<(&str, Vec<&Change>)> = Vec::new();
    for c in changes {
        match groups.last_mut() {
            Some((t, list)) if *t == c.target => list.push(c),
            _ => groups.push((&c.target, vec![c])),
        }
    }
    groups
}

#[cfg(test)]
pub(crate) mod tests;

/// A change's `nextRuns` as lines: for each schedule, what it is and its runs in its
/// own zone, then the runs before the change when it moves them.
pub fn next_runs_lines(change: &Change) -> Vec<String> {
    let mut out = Vec::new();
    for n in &change.next_runs {
        let whose = if change.name == n.name {
            String::new()
        } else {
            format!(" of rule {}", n.name)
        };
        out.push(format!("next runs{whose}: {}", runs_line(n)));
        if let Some(before) = &n.before {
            out.push(format!("before the change: {}", runs_line(before)));
        }
    }
    out
}

fn runs_line(n: &NextRuns) -> String {
    let times: Vec<String> = n
        .times
        .iter()
        .map(|t| match chrono::DateTime::parse_from_rfc3339(t) {
            Ok(t) => t.format("%a %Y-%m-%d %H:%M %:z").to_string(),
            Err(_) => t.clone(),
        })
        .collect();
    let approximate = if n.approximate {
        " (counted from now; AWS counts from when it creates the window)"
    } else {
        ""
    };
    let times = if times.is_empty() {
        "none to come".to_string()
    } else {
        times.join(", ")
    };
    format!("{} in {}: {times}{approximate}", n.rule, n.timezone)
}
