//! The plan: desired state vs live state → the changes apply would make. Pure.
//!
//! [`plan_target`] takes one target's desired resources and its [`LiveTarget`] and
//! decides, per resource and sub-resource, `create`, `update`, `replace`, `delete`,
//! `conflict` or nothing, with the changed fields. Both sides go through
//! [`normalise`] first, and the field changes come from [`diff`]. Renderers only print
//! a [`Plan`]; they never decide anything (the Terraform jsonformat model).

pub mod diff;
pub mod metric_filter;
pub mod next_runs;
pub mod normalise;

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value as J;

use crate::live::{Live, LiveTarget, Tagged};
use crate::spec::{Kind, Resource, ResourceSpec};
pub use next_runs::NextRuns;
use normalise::Normalised;

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
    // between plan and apply. Next runs are counted from the time each plan was made.
    let unattributed = |changes: &[Change]| -> Vec<Change> {
        changes
            .iter()
            .map(|c| Change {
                changed_by: None,
                // When a schedule runs next depends on when the plan was made.
                next_runs: Vec::new(),
                ..c.clone()
            })
            .collect()
    };
    let (saved_changes, fresh_changes) =
        (unattributed(&saved.changes), unattributed(&fresh.changes));
    if saved_changes != fresh_changes
        || saved.would_delete_with_prune != fresh.would_delete_with_prune
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
}

/// The key of a resource or sub-resource in the last-applied record.
pub fn record_key(target: &str, kind: Kind, name: &str) -> String {
    format!("{target}/{kind}/{name}")
}

/// Whether `live` differs from what was last applied to `(target, kind, name)`. The
/// record is the desired value as written; fields it left to the server ("don't
/// care", [`dont_care`]) take the live value, as in the plan itself, so a
/// server-chosen value is never drift.
fn drifted(options: &PlanOptions, target: &str, kind: Kind, name: &str, live: &J) -> bool {
    options
        .last_applied
        .get(&record_key(target, kind, name))
        .is_some_and(|recorded| {
            let mut recorded = Normalised {
                main: recorded.clone(),
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

/// A live resource of any kind, normalised, with what the plan needs to know about it.
struct LiveItem {
    normalised: Normalised,
    owned: bool,
    /// The AWS id (a baseline's, for its patch-group registrations).
    id: Option<String>,
}

/// Plans one target: `desired` are the resources going to it.
pub fn plan_target(
    target: &str,
    desired: &[&Resource],
    live: &LiveTarget,
    options: &PlanOptions,
) -> TargetPlan {
    let instance = options.instance.as_str();
    let mut plan = TargetPlan::default();
    let mut deletes = Vec::new();

    let mut by_kind: BTreeMap<Kind, BTreeMap<&str, &Resource>> = BTreeMap::new();
    for r in desired {
        by_kind.entry(r.kind()).or_default().insert(r.name(), r);
    }
    let empty = BTreeMap::new();
    let desired_of = |k: Kind| by_kind.get(&k).unwrap_or(&empty);

    let lives: Vec<(Kind, BTreeMap<&str, Vec<LiveItem>>)> = vec![
        (
            Kind::MetricAlarm,
            collect(&live.alarms, instance, |s| normalise::alarm(s, None)),
        ),
        (
            Kind::CompositeAlarm,
            collect(&live.composite_alarms, instance, |s| {
                normalise::composite_alarm(s, None)
            }),
        ),
        (
            Kind::LogGroup,
            collect(&live.log_groups, instance, |s| {
                normalise::log_group(s, None)
            }),
        ),
        (
            Kind::PatchBaseline,
            collect(&live.patch_baselines, instance, |s| {
                normalise::patch_baseline(s, None)
            }),
        ),
        (
            Kind::MaintenanceWindow,
            collect(&live.maintenance_windows, instance, |s| {
                normalise::maintenance_window(s, None)
            }),
        ),
        (
            Kind::BackupVault,
            collect(live.backup_vaults.iter().map(|v| &v.vault), instance, |s| {
                normalise::backup_vault(s, None)
            }),
        ),
        (
            Kind::BackupPlan,
            collect(&live.backup_plans, instance, |s| {
                normalise::backup_plan(s, None)
            }),
        ),
    ];

    for (kind, live_items) in &lives {
        let wanted = desired_of(*kind);
        // Both maps are in name order: walk them together.
        let (mut w, mut l) = (wanted.iter().peekable(), live_items.iter().peekable());
        loop {
            let (name, resource, items): (&str, Option<&&Resource>, &[LiveItem]) =
                match (w.peek(), l.peek()) {
                    (None, None) => break,
                    (Some((wn, r)), Some((ln, items))) if wn == ln => {
                        let next = (**wn, Some(*r), items.as_slice());
                        w.next();
                        l.next();
                        next
                    }
                    (Some((wn, r)), Some((ln, _))) if wn < ln => {
                        let next = (**wn, Some(*r), &[][..]);
                        w.next();
                        next
                    }
                    (Some((wn, r)), None) => {
                        let next = (**wn, Some(*r), &[][..]);
                        w.next();
                        next
                    }
                    (_, Some((ln, items))) => {
                        let next = (**ln, None, items.as_slice());
                        l.next();
                        next
                    }
                };
            match resource {
                Some(resource) => plan_resource(target, resource, items, live, options, &mut plan),
                None => {
                    if items.iter().any(|i| i.owned) {
                        let mut change = Change::new(target, *kind, name, Action::Delete);
                        if *kind == Kind::BackupVault {
                            let points = live
                                .backup_vaults
                                .iter()
                                .find(|v| v.vault.name == name)
                                .map_or(0, |v| v.recovery_points);
                            if points > 0 {
                                change.reason = Some(format!(
                                    "the vault holds {points} recovery points; apply refuses to delete it without --allow-data-loss"
                                ));
                            }
                        }
                        deletes.push(change);
                    }
                }
            }
        }
    }
    plan_retention_policies(target, desired, live, options, &mut plan);
    metric_filter::plan_metric_filters(target, desired, live, options, &mut plan, &mut deletes);
    guard_deletes(target, desired.is_empty(), deletes, options, &mut plan);
    plan
}

fn collect<'a, S: Tagged + 'a>(
    items: impl IntoIterator<Item = &'a Live<S>>,
    instance: &str,
    normalise: impl Fn(&S) -> Normalised,
) -> BTreeMap<&'a str, Vec<LiveItem>> {
    let mut map: BTreeMap<&str, Vec<LiveItem>> = BTreeMap::new();
    for item in items {
        map.entry(item.name.as_str()).or_default().push(LiveItem {
            normalised: normalise(&item.spec),
            owned: item.owned_by(instance),
            id: item.id.clone(),
        });
    }
    map
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

/// A vault lock in compliance mode (`changeableForDays`) that this change writes
/// becomes immutable after its grace time: say so in the plan.
fn lock_warning(target: &str, resource: &Resource, fields: &[FieldChange]) -> Option<String> {
    let ResourceSpec::BackupVault(spec) = &resource.spec else {
        return None;
    };
    let days = spec.lock.as_ref()?.changeable_for_days?;
    if !fields.iter().any(|f| f.path.starts_with("lock")) {
        return None;
    }
    Some(format!(
        "target `{target}`: BackupVault `{}`: its vault lock becomes immutable {days} days after this apply (changeableForDays); from then on AWS refuses to change or remove the lock or to delete recovery points before their retention ends",
        resource.name()
    ))
}

/// Fields whose change AWS cannot make in place.
fn forces_replacement(kind: Kind, path: &str) -> bool {
    matches!(
        (kind, path),
        (Kind::PatchBaseline, "operatingSystem")
            | (Kind::BackupVault, "encryptionKeyArn")
            | (Kind::LogGroup, "logGroupClass")
    )
}

/// Sub-resources AWS cannot update: selections always, tasks when their type changes.
fn sub_forces_replacement(sub: &str, fields: &[FieldChange]) -> bool {
    sub.starts_with("selections/")
        || (sub.starts_with("tasks/") && fields.iter().any(|f| f.path == "type"))
}

fn plan_resource(
    target: &str,
    resource: &Resource,
    items: &[LiveItem],
    live: &LiveTarget,
    options: &PlanOptions,
    plan: &mut TargetPlan,
) {
    let kind = resource.kind();
    let name = resource.name();
    let report_only = resource.metadata.drift_policy == crate::spec::DriftPolicy::Report;
    let owned: Vec<&LiveItem> = items.iter().filter(|i| i.owned).collect();
    let chosen = match (owned.as_slice(), items.first()) {
        ([], None) => None,
        ([one], _) => Some(*one),
        ([], Some(unowned)) => {
            if !resource.metadata.adopt {
                let mut c = Change::new(target, kind, name, Action::Conflict);
                c.reason = Some(format!(
                    "a {kind} named `{name}` exists and is not managed by driftless (no `{}` tag); set `metadata.adopt: true` to take it over, or rename the spec",
                    crate::spec::context::OWNERSHIP_TAG
                ));
                plan.changes.push(c);
                return;
            }
            Some(unowned)
        }
        (many, _) => {
            let mut c = Change::new(target, kind, name, Action::Conflict);
            c.reason = Some(format!(
                "{} resources named `{name}` carry the ownership tag; delete the extra ones by hand",
                many.len()
            ));
            plan.changes.push(c);
            return;
        }
    };
    let desired = normalise_desired(resource, &options.instance, chosen.map(|c| &c.normalised));
    let Some(current) = chosen else {
        let mut c = Change::new(target, kind, name, Action::Create);
        c.fields = diff::diff(&desired.main, &J::Null);
        c.report_only = report_only;
        plan.warnings
            .extend(lock_warning(target, resource, &c.fields));
        plan.changes.push(c);
        for (sub, value) in &desired.subs {
            let mut c = Change::new(target, kind, &format!("{name}/{sub}"), Action::Create);
            c.fields = diff::diff(value, &J::Null);
            c.report_only = report_only;
            plan.changes.push(c);
        }
        if let ResourceSpec::PatchBaseline(_) = &resource.spec {
            patch_group_conflicts(target, resource, live, None, options, plan);
        }
        return;
    };
    let fields = diff::diff(&desired.main, &current.normalised.main);
    if fields.is_empty() {
        plan.noop += 1;
    } else {
        let replace: Vec<&str> = fields
            .iter()
            .filter(|f| forces_replacement(kind, &f.path))
            .map(|f| f.path.as_str())
            .collect();
        let action = if replace.is_empty() {
            Action::Update
        } else {
            Action::Replace
        };
        let mut c = Change::new(target, kind, name, action);
        if !replace.is_empty() {
            c.reason = Some(format!("{} cannot change in place", replace.join(", ")));
        }
        c.fields = fields;
        c.adopt = !current.owned;
        c.report_only = report_only;
        c.drift = drifted(options, target, kind, name, &current.normalised.main);
        plan.warnings
            .extend(lock_warning(target, resource, &c.fields));
        plan.changes.push(c);
    }
    let subs: BTreeSet<&String> = desired
        .subs
        .keys()
        .chain(current.normalised.subs.keys())
        .collect();
    for sub in subs {
        let full = format!("{name}/{sub}");
        let (action, fields) = match (desired.subs.get(sub), current.normalised.subs.get(sub)) {
            (Some(d), None) => (Action::Create, diff::diff(d, &J::Null)),
            (None, Some(_)) => (Action::Delete, Vec::new()),
            (Some(d), Some(l)) => {
                let fields = diff::diff(d, l);
                if fields.is_empty() {
                    plan.noop += 1;
                    continue;
                }
                let action = if sub_forces_replacement(sub, &fields) {
                    Action::Replace
                } else {
                    Action::Update
                };
                (action, fields)
            }
            (None, None) => continue,
        };
        let mut c = Change::new(target, kind, &full, action);
        c.fields = fields;
        c.report_only = report_only;
        if let Some(live_sub) = current.normalised.subs.get(sub) {
            c.drift = drifted(options, target, kind, &full, live_sub);
        }
        plan.changes.push(c);
    }
    if let ResourceSpec::PatchBaseline(_) = &resource.spec {
        // A baseline being adopted brings its registrations along: they are ours now.
        let adopted = current.id.as_deref().filter(|_| !current.owned);
        patch_group_conflicts(target, resource, live, adopted, options, plan);
    }
}

/// A patch group the spec registers to this baseline, while it is registered to a
/// baseline driftless does not own (for the same OS), cannot be taken: conflict. The
/// baseline this spec adopts (`adopted`, its id) is not another's: its registrations
/// are adopted with it.
fn patch_group_conflicts(
    target: &str,
    resource: &Resource,
    live: &LiveTarget,
    adopted: Option<&str>,
    options: &PlanOptions,
    plan: &mut TargetPlan,
) {
    let ResourceSpec::PatchBaseline(spec) = &resource.spec else {
        return;
    };
    let ours: BTreeSet<&str> = live
        .patch_baselines
        .iter()
        .filter(|b| b.owned_by(&options.instance))
        .filter_map(|b| b.id.as_deref())
        .chain(adopted)
        .collect();
    for group in &spec.patch_groups {
        let Some(registrations) = live.patch_group_registrations.get(group) else {
            continue;
        };
        for (os, baseline_id) in registrations {
            if *os == spec.operating_system && !ours.contains(baseline_id.as_str()) {
                let full = format!("{}/patchGroups/{group}", resource.name());
                plan.changes
                    .retain(|c| !(c.target == target && c.name == full));
                let mut c = Change::new(target, Kind::PatchBaseline, &full, Action::Conflict);
                c.reason = Some(format!(
                    "patch group `{group}` is registered to baseline {baseline_id}, which driftless does not manage; deregister it there first"
                ));
                plan.changes.push(c);
            }
        }
    }
}

/// Retention settings of log groups under each LogRetentionPolicy's prefix. A group is
/// governed by the policy with the longest matching prefix; a group with its own
/// LogGroup spec in this target is left to that spec.
fn plan_retention_policies(
    target: &str,
    desired: &[&Resource],
    live: &LiveTarget,
    options: &PlanOptions,
    plan: &mut TargetPlan,
) {
    let owned_groups: BTreeSet<&str> = desired
        .iter()
        .filter(|r| r.kind() == Kind::LogGroup)
        .map(|r| r.name())
        .collect();
    let policies: Vec<(&Resource, &crate::spec::LogRetentionPolicySpec)> = desired
        .iter()
        .filter_map(|r| match &r.spec {
            ResourceSpec::LogRetentionPolicy(p) => Some((*r, p)),
            _ => None,
        })
        .collect();
    for (resource, policy) in &policies {
        let mut fields = Vec::new();
        for group in &live.retention_candidates {
            let governing = policies
                .iter()
                .filter(|(_, p)| group.name.starts_with(&p.log_group_name_prefix))
                .max_by_key(|(_, p)| p.log_group_name_prefix.len());
            let is_ours = governing.is_some_and(|(r, _)| r.name() == resource.name());
            if !is_ours
                || group.fixed
                || owned_groups.contains(group.name.as_str())
                || policy
                    .exclude
                    .iter()
                    .any(|e| group.name.starts_with(e.as_str()))
                || (policy.only_where_unset && group.retention.is_some())
            {
                continue;
            }
            let live_days = match group.retention {
                Some(crate::spec::log_group::Retention::Days(d)) => J::from(d),
                _ => J::Null,
            };
            let want = match policy.retention_in_days {
                crate::spec::log_group::Retention::Days(d) => J::from(d),
                crate::spec::log_group::Retention::Never => J::Null,
            };
            if live_days != want {
                fields.push(FieldChange {
                    path: format!(
                        "logGroups[{}].retentionInDays",
                        serde_json::to_string(&group.name).unwrap_or_default()
                    ),
                    live: live_days,
                    desired: want,
                });
            }
        }
        if fields.is_empty() {
            plan.noop += 1;
        } else {
            let mut c = Change::new(
                target,
                Kind::LogRetentionPolicy,
                resource.name(),
                Action::Update,
            );
            // Drift: a group the policy set before shows another value now.
            c.drift = options
                .last_applied
                .get(&record_key(
                    target,
                    Kind::LogRetentionPolicy,
                    resource.name(),
                ))
                .and_then(J::as_object)
                .is_some_and(|recorded| fields.iter().any(|f| recorded.contains_key(&f.path)));
            c.fields = fields;
            c.report_only = resource.metadata.drift_policy == crate::spec::DriftPolicy::Report;
            plan.changes.push(c);
        }
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
