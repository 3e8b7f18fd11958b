//! The plan: desired state vs live state → the changes apply would make. Pure.
//!
//! [`plan_target`] takes one target's desired resources and its [`LiveTarget`] and
//! decides, per resource and sub-resource, `create`, `update`, `replace`, `delete`,
//! `conflict` or nothing, with the changed fields. Both sides go through
//! [`normalise`] first, and the field changes come from [`diff`]. Renderers only print
//! a [`Plan`]; they never decide anything (the Terraform jsonformat model).

pub mod backtest;
pub mod config_recorder;
pub mod diff;
pub mod metric_filter;
pub mod next_runs;
pub mod normalise;
mod resource;
mod retention;
pub mod work;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value as J;

use crate::live::LiveTarget;
use crate::spec::{Kind, Resource, ResourceSpec};
pub use next_runs::NextRuns;
use normalise::Normalised;
pub use work::Work;

/// What apply would do to one resource or sub-resource.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Update,
    Replace,
    Delete,
    /// A resource of this name exists, driftless does not own it and the spec does not
    /// adopt it: nothing will be written.
    Conflict,
}

impl Action {
    /// Terraform's symbols.
    pub fn symbol(self) -> &'static str {
        match self {
            Action::Create => "+",
            Action::Update => "~",
            Action::Replace => "-/+",
            Action::Delete => "-",
            Action::Conflict => "!",
        }
    }
}

/// One changed field: `path: live → desired` (null where absent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FieldChange {
    pub path: String,
    pub live: J,
    pub desired: J,
}

/// One change to one resource or sub-resource (`window/targets/web`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Change {
    pub target: String,
    pub kind: Kind,
    pub name: String,
    pub action: Action,
    pub fields: Vec<FieldChange>,
    /// The live value differs from what driftless last applied (changed outside git).
    pub drift: bool,
    /// Why, for conflicts, replacements and refused deletes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The spec says `adopt: true` and this change takes the resource over.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub adopt: bool,
    /// `driftPolicy: report`: shown, never written.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub report_only: bool,
    /// Who made a drift, from CloudTrail (plan and apply look it up for drifted
    /// changes; "unknown" when the lookup is denied or finds nothing).
    #[serde(rename = "changedBy", default, skip_serializing_if = "Option::is_none")]
    pub changed_by: Option<ChangedBy>,
    /// A created or changed window or backup plan: its next runs (`next_runs.rs`).
    #[serde(rename = "nextRuns", default, skip_serializing_if = "Vec::is_empty")]
    pub next_runs: Vec<NextRuns>,
    /// `plan --backtest`: a created or changed metric alarm replayed on its history
    /// (`backtest.rs`, filled by `crate::backtest`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backtest: Option<backtest::Backtest>,
    /// The calls apply makes and the live resource they are on, decided here and
    /// never shown: not part of the plan's JSON (see [`work`]).
    #[serde(skip)]
    pub work: Work,
}

/// The CloudTrail event behind a drift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChangedBy {
    /// The caller's ARN (`userIdentity.arn`), else its user name.
    pub principal: String,
    /// The API operation (`PutRetentionPolicy`).
    pub event_name: String,
    /// RFC 3339, UTC.
    pub event_time: String,
    pub source_ip: String,
    pub user_agent: String,
}

impl ChangedBy {
    /// Every field of an attribution CloudTrail could not give.
    pub const UNKNOWN: &'static str = "unknown";

    pub fn unknown() -> ChangedBy {
        let u = || ChangedBy::UNKNOWN.to_string();
        ChangedBy {
            principal: u(),
            event_name: u(),
            event_time: u(),
            source_ip: u(),
            user_agent: u(),
        }
    }

    pub fn is_known(&self) -> bool {
        self.principal != ChangedBy::UNKNOWN
    }

    /// `by <principal>, <eventName> at <time>`, or `by unknown`.
    pub fn describe(&self) -> String {
        if self.is_known() {
            format!(
                "by {}, {} at {}",
                self.principal, self.event_name, self.event_time
            )
        } else {
            "by unknown".to_string()
        }
    }
}

/// Counts by action; `noop` counts resources and sub-resources already as desired.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub replace: usize,
    pub delete: usize,
    pub conflict: usize,
    pub noop: usize,
}

/// The whole plan: every target's changes, in target/kind/name order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    pub format_version: u32,
    pub revision: String,
    pub summary: Summary,
    pub changes: Vec<Change>,
    /// Owned resources that left the repository, deleted only with `--prune` (or held
    /// back by a guard, see `warnings`). Counted nowhere else.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub would_delete_with_prune: Vec<Change>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The guardrails' results over the revision's documents (for the pull-request
    /// comment); a revision breaking a `deny` guardrail is never planned.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub guardrails: Vec<crate::spec::guardrail::RuleReport>,
    /// Targets that could not be planned (credentials, a role that cannot be assumed,
    /// access denied, an unreachable region): none of their changes are listed, the
    /// other targets are planned as usual.
    #[serde(default)]
    pub errors: Vec<TargetError>,
}

/// A target that failed alone: the others were planned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TargetError {
    pub target: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Plan {
    /// Assembles target plans into one, sorted and counted.
    pub fn new(revision: &str, targets: Vec<TargetPlan>) -> Plan {
        let mut changes = Vec::new();
        let mut pending = Vec::new();
        let mut warnings = Vec::new();
        let mut noop = 0;
        for t in targets {
            changes.extend(t.changes);
            pending.extend(t.would_delete_with_prune);
            warnings.extend(t.warnings);
            noop += t.noop;
        }
        let key = |c: &Change| (c.target.clone(), c.kind, c.name.clone());
        changes.sort_by_key(key);
        pending.sort_by_key(key);
        let mut summary = Summary {
            noop,
            ..Summary::default()
        };
        for c in &changes {
            match c.action {
                Action::Create => summary.create += 1,
                Action::Update => summary.update += 1,
                Action::Replace => summary.replace += 1,
                Action::Delete => summary.delete += 1,
                Action::Conflict => summary.conflict += 1,
            }
        }
        Plan {
            format_version: 1,
            revision: revision.to_string(),
            summary,
            changes,
            would_delete_with_prune: pending,
            warnings,
            guardrails: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// Whether apply would write anything or there are conflicts.
    pub fn has_changes(&self) -> bool {
        !self.changes.is_empty()
    }
}

/// Why a saved plan may no longer be applied: the source revision moved, or a fresh
/// plan of the same repository differs (live state changed since). `None`: identical.
pub fn saved_plan_mismatch(saved: &Plan, fresh: &Plan) -> Option<String> {
    if saved.format_version != fresh.format_version {
        return Some(format!(
            "it has format version {}, this driftless writes {}",
            saved.format_version, fresh.format_version
        ));
    }
    if saved.revision != fresh.revision {
        return Some(format!(
            "it was made at revision {}, the source is now at {}",
            saved.revision, fresh.revision
        ));
    }
    // Who made a drift is not part of what apply writes; CloudTrail may learn it
    // between plan and apply. Next runs and backtests depend on when each plan was made.
    // The work is not saved: the fresh plan's is applied.
    let unattributed = |changes: &[Change]| -> Vec<Change> {
        changes
            .iter()
            .map(|c| Change {
                changed_by: None,
                // When a schedule runs next depends on when the plan was made.
                next_runs: Vec::new(),
                // So does the history a backtest replays.
                backtest: None,
                work: Work::default(),
                ..c.clone()
            })
            .collect()
    };
    let (saved_changes, fresh_changes) =
        (unattributed(&saved.changes), unattributed(&fresh.changes));
    if saved_changes != fresh_changes
        || unattributed(&saved.would_delete_with_prune)
            != unattributed(&fresh.would_delete_with_prune)
    {
        let n = fresh_changes
            .iter()
            .filter(|c| !saved_changes.contains(c))
            .count()
            + saved_changes
                .iter()
                .filter(|c| !fresh_changes.contains(c))
                .count();
        return Some(format!(
            "live state changed since it was made ({n} changes differ)"
        ));
    }
    None
}

/// Deletion settings (from flags and driftless.yaml) and what was last applied.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// The ownership tag's value.
    pub instance: String,
    pub prune: bool,
    pub max_deletes: u32,
    pub allow_empty: bool,
    /// The normalised desired value driftless last applied, by [`record_key`]. A live
    /// value that differs from it was changed outside git: the change is `drift`.
    pub last_applied: BTreeMap<String, J>,
    /// Values an apply recorded ahead of writing them and never confirmed (it was
    /// killed): the write may or may not have happened, so the read decides. A live
    /// value equal to either the record or the pending value is not drift.
    pub pending: BTreeMap<String, J>,
}

/// The key of a resource or sub-resource in the last-applied record.
pub fn record_key(target: &str, kind: Kind, name: &str) -> String {
    format!("{target}/{kind}/{name}")
}

/// The names of `kind` driftless recorded as applied to `target` (resources of kinds
/// read by name, so one that left the repository is still read, and deleted).
pub fn recorded_names(
    last_applied: &BTreeMap<String, J>,
    target: &str,
    kind: Kind,
) -> std::collections::BTreeSet<String> {
    let prefix = format!("{target}/{kind}/");
    last_applied
        .keys()
        .filter_map(|k| k.strip_prefix(&prefix))
        .filter(|name| !name.contains('/'))
        .map(str::to_string)
        .collect()
}

/// Whether `live` differs from what was last applied to `(target, kind, name)`. The
/// record is the desired value as written; fields it left to the server ("don't
/// care", [`dont_care`]) take the live value, as in the plan itself, so a
/// server-chosen value is never drift.
///
/// A value written ahead and never confirmed ([`PlanOptions::pending`]) is a second
/// candidate: the live value is drift only when it matches neither.
fn drifted(options: &PlanOptions, target: &str, kind: Kind, name: &str, live: &J) -> bool {
    let key = record_key(target, kind, name);
    let candidates: Vec<&J> = [options.last_applied.get(&key), options.pending.get(&key)]
        .into_iter()
        .flatten()
        .collect();
    !candidates.is_empty()
        && candidates.iter().all(|recorded| {
            let mut recorded = Normalised {
                main: (*recorded).clone(),
                subs: BTreeMap::new(),
            };
            let live_n = Normalised {
                main: live.clone(),
                subs: BTreeMap::new(),
            };
            dont_care(kind, &mut recorded, &live_n);
            !diff::diff(&recorded.main, live).is_empty()
        })
}

/// One target's part of a plan.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TargetPlan {
    pub changes: Vec<Change>,
    pub would_delete_with_prune: Vec<Change>,
    pub warnings: Vec<String>,
    pub noop: usize,
}

/// Plans one target: `desired` are the resources going to it.
pub fn plan_target(
    target: &str,
    desired: &[&Resource],
    live: &LiveTarget,
    options: &PlanOptions,
) -> TargetPlan {
    let mut plan = TargetPlan::default();
    let mut deletes = Vec::new();
    let mut by_kind: BTreeMap<Kind, BTreeMap<&str, &Resource>> = BTreeMap::new();
    for r in desired {
        by_kind.entry(r.kind()).or_default().insert(r.name(), r);
    }
    let empty = BTreeMap::new();
    for (kind, live_items) in resource::live_items(live, &options.instance) {
        let wanted = by_kind.get(&kind).unwrap_or(&empty);
        for (name, wanted, items) in by_name(wanted, &live_items) {
            match wanted {
                Some(r) => resource::plan_resource(target, r, items, live, options, &mut plan),
                None => deletes.extend(resource::owned_delete(target, kind, name, items, live)),
            }
        }
    }
    retention::plan_retention_policies(target, desired, live, options, &mut plan);
    metric_filter::plan_metric_filters(target, desired, live, options, &mut plan, &mut deletes);
    config_recorder::plan_recorders(target, desired, live, options, &mut plan, &mut deletes);
    guard_deletes(target, desired.is_empty(), deletes, options, &mut plan);
    plan
}

/// The desired resources and live items of one kind, walked together by name (both
/// maps are in name order): each name once, with its desired resource if any and its
/// live items (none when nothing of the name is live).
fn by_name<'m, 'a, R>(
    wanted: &'m BTreeMap<&'a str, R>,
    live: &'m resource::LiveByName<'a>,
) -> Vec<(&'a str, Option<&'m R>, &'m [resource::LiveItem<'a>])> {
    let (mut w, mut l) = (wanted.iter().peekable(), live.iter().peekable());
    let mut out = Vec::with_capacity(wanted.len().max(live.len()));
    loop {
        let next = match (w.peek(), l.peek()) {
            (None, None) => break,
            (Some((wn, _)), Some((ln, _))) if wn == ln => {
                let ((name, r), (_, items)) = (w.next().unwrap(), l.next().unwrap());
                (*name, Some(r), items.as_slice())
            }
            (Some((wn, _)), Some((ln, _))) if wn < ln => {
                let (name, r) = w.next().unwrap();
                (*name, Some(r), &[][..])
            }
            (Some(_), None) => {
                let (name, r) = w.next().unwrap();
                (*name, Some(r), &[][..])
            }
            (_, Some(_)) => {
                let (name, items) = l.next().unwrap();
                (*name, None, items.as_slice())
            }
        };
        out.push(next);
    }
    out
}

impl Change {
    fn new(target: &str, kind: Kind, name: &str, action: Action) -> Change {
        Change {
            target: target.to_string(),
            kind,
            name: name.to_string(),
            action,
            fields: Vec::new(),
            drift: false,
            reason: None,
            adopt: false,
            report_only: false,
            changed_by: None,
            next_runs: Vec::new(),
            backtest: None,
            work: Work::default(),
        }
    }
}

/// The desired side of a resource, normalised with the ownership tag, and with the
/// live resource's server-chosen values filled in where the spec leaves them unset.
pub fn normalise_desired(
    resource: &Resource,
    instance: &str,
    live: Option<&Normalised>,
) -> Normalised {
    let i = Some(instance);
    let mut n = match &resource.spec {
        ResourceSpec::MetricAlarm(s) => normalise::alarm(s, i),
        ResourceSpec::LogGroup(s) => normalise::log_group(s, i),
        ResourceSpec::PatchBaseline(s) => normalise::patch_baseline(s, i),
        ResourceSpec::MaintenanceWindow(s) => normalise::maintenance_window(s, i),
        ResourceSpec::BackupVault(s) => normalise::backup_vault(s, i),
        ResourceSpec::BackupPlan(s) => normalise::backup_plan(s, i),
        ResourceSpec::CompositeAlarm(s) => normalise::composite_alarm(s, i),
        ResourceSpec::LogRetentionPolicy(_) => Normalised::default(),
        ResourceSpec::MetricFilter(s) => normalise::metric_filter(s),
        ResourceSpec::ConfigurationAggregator(s) => normalise::config_aggregator(s, i),
        ResourceSpec::ConfigRule(s) => normalise::config_rule(s, i),
        ResourceSpec::Association(s) => normalise::association(s, i),
        ResourceSpec::ConformancePack(s) => normalise::conformance_pack(s, i),
        ResourceSpec::ConfigurationRecorder(s) => normalise::config_recorder(s),
    };
    if let Some(live) = live {
        dont_care(resource.kind(), &mut n, live);
    }
    n
}

/// Fills the server-chosen values a desired spec of `kind` leaves unset with the live
/// resource's (see [`normalise::dont_care`]).
pub fn dont_care(kind: Kind, desired: &mut Normalised, live: &Normalised) {
    match kind {
        Kind::BackupVault => {
            normalise::dont_care(&mut desired.main, &live.main, &["encryptionKeyArn"])
        }
        Kind::BackupPlan => normalise::backup_plan_dont_care(&mut desired.main, &live.main),
        Kind::ConfigRule => normalise::config_rule_dont_care(&mut desired.main, &live.main),
        Kind::ConformancePack => {
            normalise::conformance_pack_dont_care(&mut desired.main, &live.main)
        }
        Kind::ConfigurationRecorder => {
            normalise::config_recorder_dont_care(&mut desired.main, &live.main)
        }
        Kind::MaintenanceWindow => {
            for (path, task) in desired.subs.iter_mut() {
                if let (true, Some(live_task)) = (path.starts_with("tasks/"), live.subs.get(path)) {
                    normalise::window_task_dont_care(task, live_task);
                }
            }
        }
        _ => {}
    }
}

/// Prune settings and guards decide which deletes the plan keeps.
fn guard_deletes(
    target: &str,
    desired_empty: bool,
    deletes: Vec<Change>,
    options: &PlanOptions,
    plan: &mut TargetPlan,
) {
    if deletes.is_empty() {
        return;
    }
    if !options.prune {
        plan.would_delete_with_prune.extend(deletes);
        return;
    }
    let n = deletes.len();
    let refuse = if desired_empty && !options.allow_empty {
        Some(format!(
            "target `{target}`: the repository has no resources for this target but driftless owns {n} there; nothing will be deleted (pass --allow-empty if that is intended)"
        ))
    } else if n as u64 > u64::from(options.max_deletes) {
        Some(format!(
            "target `{target}`: {n} deletes exceed --max-deletes {}; nothing will be deleted (raise --max-deletes or maxDeletes in driftless.yaml)",
            options.max_deletes
        ))
    } else {
        None
    };
    match refuse {
        Some(warning) => {
            plan.warnings.push(warning);
            plan.would_delete_with_prune.extend(deletes);
        }
        None => plan.changes.extend(deletes),
    }
}

#[cfg(test)]
mod tests;
