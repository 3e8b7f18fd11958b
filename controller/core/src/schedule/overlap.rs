//! Backups that run while a maintenance window works on the same instances: a
//! backup rule's run (its start to the end of its completion window) that overlaps,
//! or comes within a minimum gap of, a run of a window whose targets select instances
//! the rule's plan also selects.
//!
//! "The same instances" is decided from the specs alone, without reading EC2: a window
//! target and a backup selection share instances when they name the same instance id
//! (the selection by an ARN ending `instance/<id>`, or every instance by
//! `instance/*` or `*`), or when they ask for a common tag key and value (the
//! selection's `tags`, `conditions.stringEquals`/`stringLike` or `anyOfTags`, the
//! target's `tags`) and no condition of either excludes the other. Targets by resource
//! group cannot be compared and are never reported.

use chrono::{DateTime, Duration, Utc};

use super::calendar::Run;
use crate::spec::backup_plan::BackupSelection;
use crate::spec::maintenance_window::{WindowResourceType, WindowTarget};
use crate::spec::{DesiredState, Kind, ResourceSpec};

/// A backup run overlapping a window run on shared instances.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overlap {
    pub target: String,
    pub window: String,
    pub window_target: String,
    pub backup_plan: String,
    /// `<plan>/rules/<rule>`, as in the runs.
    pub backup_rule: String,
    pub selection: String,
    /// What both select: `tag Patch Group=web`, `instance i-0123`.
    pub shared: String,
    pub window_run: (DateTime<Utc>, DateTime<Utc>),
    pub backup_run: (DateTime<Utc>, DateTime<Utc>),
}

/// `*` matches any run of characters (AWS Backup's `StringLike` and ARN patterns).
fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, tail)) => {
            let Some(rest) = text.strip_prefix(head) else {
                return false;
            };
            (0..=rest.len())
                .filter(|i| rest.is_char_boundary(*i))
                .any(|i| glob(tail, &rest[i..]))
        }
    }
}

/// Whether an ARN pattern of a selection can name the EC2 instance `id` (`*` for any).
fn arn_names_instance(pattern: &str, id: &str) -> bool {
    pattern == "*"
        || (pattern.contains(":ec2:")
            && glob(
                pattern,
                &format!("arn:aws:ec2:region:000000000000:instance/{id}"),
            )
            && (id != "*" || pattern.ends_with("instance/*") || pattern.ends_with(":*")))
}

/// What a window target and a backup selection both select, if anything.
pub fn shared(target: &WindowTarget, selection: &BackupSelection) -> Option<String> {
    if target.resource_type == WindowResourceType::ResourceGroup {
        return None;
    }
    let by_arn = |id: &str| {
        selection
            .resources
            .iter()
            .any(|p| arn_names_instance(p, id))
            && !selection
                .not_resources
                .iter()
                .any(|p| arn_names_instance(p, id))
    };
    if let Some(id) = target.instance_ids.iter().find(|id| by_arn(id)) {
        return Some(format!("instance {id}"));
    }
    if !selection.resources.is_empty() && !by_arn("*") {
        return None;
    }
    shared_tag(target, selection)
}

fn shared_tag(target: &WindowTarget, selection: &BackupSelection) -> Option<String> {
    let conditions = selection.conditions.clone().unwrap_or_default();
    let mut equals = conditions.string_equals.clone();
    equals.extend(selection.tags.clone());
    let (like, not_equals, not_like) = (
        &conditions.string_like,
        &conditions.string_not_equals,
        &conditions.string_not_like,
    );
    // Whether a value of `key` meets every condition of the selection on that key.
    let accepts = |key: &str, v: &str| {
        equals.get(key).is_none_or(|e| e == v)
            && like.get(key).is_none_or(|p| glob(p, v))
            && not_equals.get(key).is_none_or(|e| e != v)
            && not_like.get(key).is_none_or(|p| !glob(p, v))
    };
    let wanted: Vec<(&str, Vec<String>)> = target
        .tags
        .iter()
        .map(|(k, v)| (k.as_str(), v.values()))
        .collect();
    // A key both constrain must have a value both accept.
    if wanted
        .iter()
        .any(|(k, values)| !values.iter().any(|v| accepts(k, v)))
    {
        return None;
    }
    let positive = |k: &str| equals.contains_key(k) || like.contains_key(k);
    let any_of = |k: &str, v: &str| {
        selection
            .any_of_tags
            .iter()
            .filter(|(key, _)| crate::spec::backup_plan::tag_key(key) == k)
            .any(|(_, vs)| vs.values().iter().any(|x| x == v))
    };
    wanted
        .iter()
        .find_map(|(k, values)| {
            let v = values
                .iter()
                .find(|v| accepts(k, v) && (positive(k) || any_of(k, v)))?;
            Some(format!("tag {k}={v}"))
        })
        .or_else(|| {
            target
                .tag_keys
                .iter()
                .find(|k| positive(k))
                .map(|k| format!("tag key {k}"))
        })
}

/// Pairs (window, window target, plan, selection, what they share) in one target.
type Pairing = (String, String, String, String, String);

fn pairings(state: &DesiredState, target: &str) -> Vec<Pairing> {
    let here = || {
        state
            .resources
            .iter()
            .filter(|r| r.targets.iter().any(|t| t == target))
    };
    let mut out = Vec::new();
    for w in here() {
        let ResourceSpec::MaintenanceWindow(window) = &w.spec else {
            continue;
        };
        for p in here() {
            let ResourceSpec::BackupPlan(plan) = &p.spec else {
                continue;
            };
            // The first pair that shares instances names the reason; one is enough.
            let first = window.targets.iter().find_map(|t| {
                let s = plan
                    .selections
                    .iter()
                    .find_map(|s| Some((s, shared(t, s)?)))?;
                Some((t, s))
            });
            if let Some((t, (s, what))) = first {
                out.push((
                    w.name().to_string(),
                    t.name.clone(),
                    p.name().to_string(),
                    s.name.clone(),
                    what,
                ));
            }
        }
    }
    out
}

/// Every backup run overlapping, or closer than `gap` to, a window run on shared
/// instances; `runs` as [`super::calendar::runs`] lists them.
pub fn overlaps(state: &DesiredState, runs: &[Run], gap: Duration) -> Vec<Overlap> {
    let mut targets: Vec<&str> = runs.iter().map(|r| r.target.as_str()).collect();
    targets.dedup();
    let mut out = Vec::new();
    for target in targets {
        let of = |kind: Kind, resource: &str| {
            runs.iter()
                .filter(move |r| r.target == target && r.kind == kind && r.resource == resource)
                .collect::<Vec<_>>()
        };
        for (window, window_target, plan, selection, what) in pairings(state, target) {
            let window_runs = of(Kind::MaintenanceWindow, &window);
            for b in of(Kind::BackupPlan, &plan) {
                for w in window_runs
                    .iter()
                    .filter(|w| b.start < w.end + gap && w.start < b.end + gap)
                {
                    out.push(Overlap {
                        target: target.to_string(),
                        window: window.clone(),
                        window_target: window_target.clone(),
                        backup_plan: plan.clone(),
                        backup_rule: b.name.clone(),
                        selection: selection.clone(),
                        shared: what.clone(),
                        window_run: (w.start, w.end),
                        backup_run: (b.start, b.end),
                    });
                }
            }
        }
    }
    out.sort_by(|a, b| {
        (&a.target, a.backup_run.0, a.window_run.0).cmp(&(
            &b.target,
            b.backup_run.0,
            b.window_run.0,
        ))
    });
    out
}
