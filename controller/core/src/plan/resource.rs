//! Planning one resource of a taggable kind and its sub-resources against the live
//! resources of its name: which one is driftless's (or adopted), the action, the
//! fields, and the [`Work`] apply carries out. Pure.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as J;

use super::work::{self, Calls, Chosen};
use super::{diff, drifted, normalise, normalise_desired, Action, Change, FieldChange};
use super::{PlanOptions, TargetPlan};
use crate::live::{Live, LiveTarget, Tagged};
use crate::spec::{Kind, Resource, ResourceSpec};
use normalise::Normalised;

/// A live resource of any kind, normalised, with what the plan needs to know about it.
pub(super) struct LiveItem<'a> {
    normalised: Normalised,
    pub(super) owned: bool,
    /// Its position in its kind's list of the `LiveTarget`.
    index: usize,
    /// The AWS id (a baseline's, for its patch-group registrations).
    id: Option<&'a str>,
    arn: Option<&'a str>,
    sub_ids: &'a BTreeMap<String, String>,
}

impl LiveItem<'_> {
    fn chosen(&self) -> Chosen {
        Chosen {
            index: self.index,
            id: self.id.map(str::to_string),
            arn: self.arn.map(str::to_string),
        }
    }

    /// A sub-resource of this one: its parent's index, its own id (`None` while it is
    /// not live).
    fn chosen_sub(&self, sub: &str) -> Chosen {
        Chosen {
            index: self.index,
            id: self.sub_ids.get(sub).cloned(),
            arn: None,
        }
    }
}

/// Live resources of one kind by name, in name order.
pub(super) type LiveByName<'a> = BTreeMap<&'a str, Vec<LiveItem<'a>>>;

/// Every taggable kind's live resources, normalised, by name.
pub(super) fn live_items<'a>(live: &'a LiveTarget, instance: &str) -> Vec<(Kind, LiveByName<'a>)> {
    let vaults = live.backup_vaults.iter().map(|v| &v.vault);
    vec![
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
            collect(vaults, instance, |s| normalise::backup_vault(s, None)),
        ),
        (
            Kind::BackupPlan,
            collect(&live.backup_plans, instance, |s| {
                normalise::backup_plan(s, None)
            }),
        ),
        (
            Kind::ConfigurationAggregator,
            collect(&live.config_aggregators, instance, |s| {
                normalise::config_aggregator(s, None)
            }),
        ),
        (
            Kind::ConfigRule,
            collect(&live.config_rules, instance, |s| {
                normalise::config_rule(s, None)
            }),
        ),
        (
            Kind::Association,
            collect(&live.associations, instance, |s| {
                normalise::association(s, None)
            }),
        ),
        (
            Kind::ConformancePack,
            collect(&live.conformance_packs, instance, |s| {
                normalise::conformance_pack(s, None)
            }),
        ),
    ]
}

fn collect<'a, S: Tagged + 'a>(
    items: impl IntoIterator<Item = &'a Live<S>>,
    instance: &str,
    normalise: impl Fn(&S) -> Normalised,
) -> LiveByName<'a> {
    let mut map: LiveByName<'a> = BTreeMap::new();
    for (index, item) in items.into_iter().enumerate() {
        map.entry(item.name.as_str()).or_default().push(LiveItem {
            normalised: normalise(&item.spec),
            owned: item.owned_by(instance),
            index,
            id: item.id.as_deref(),
            arn: item.arn.as_deref(),
            sub_ids: &item.sub_ids,
        });
    }
    map
}

/// The delete of an owned live resource no desired one names (`None`: none owned).
pub(super) fn owned_delete(
    target: &str,
    kind: Kind,
    name: &str,
    items: &[LiveItem<'_>],
    live: &LiveTarget,
) -> Option<Change> {
    let owned = items.iter().find(|i| i.owned)?;
    let mut change = Change::new(target, kind, name, Action::Delete);
    change.work.calls = Calls::Delete;
    change.work.live = Some(owned.chosen());
    if kind == Kind::BackupVault {
        let points = live.backup_vaults[owned.index].recovery_points;
        if points > 0 {
            change.reason = Some(format!(
                "the vault holds {points} recovery points; apply refuses to delete it without --allow-data-loss"
            ));
        }
    }
    Some(change)
}

/// What one desired resource is planned against.
struct Planning<'a> {
    target: &'a str,
    resource: &'a Resource,
    live: &'a LiveTarget,
    options: &'a PlanOptions,
    report_only: bool,
}

impl Planning<'_> {
    fn change(&self, name: &str, action: Action) -> Change {
        let mut c = Change::new(self.target, self.resource.kind(), name, action);
        c.report_only = self.report_only;
        c
    }

    fn conflict(&self, reason: String) -> Change {
        let mut c = Change::new(
            self.target,
            self.resource.kind(),
            self.resource.name(),
            Action::Conflict,
        );
        c.reason = Some(reason);
        c
    }
}

pub(super) fn plan_resource(
    target: &str,
    resource: &Resource,
    items: &[LiveItem<'_>],
    live: &LiveTarget,
    options: &PlanOptions,
    plan: &mut TargetPlan,
) {
    let p = Planning {
        target,
        resource,
        live,
        options,
        report_only: resource.metadata.drift_policy == crate::spec::DriftPolicy::Report,
    };
    let chosen = match choose(&p, items) {
        Ok(chosen) => chosen,
        Err(conflict) => return plan.changes.push(*conflict),
    };
    let desired = normalise_desired(resource, &options.instance, chosen.map(|c| &c.normalised));
    match chosen {
        None => plan_create(&p, &desired, plan),
        Some(current) => {
            plan_update(&p, &desired, current, plan);
            plan_subs(&p, &desired, current, plan);
            if let ResourceSpec::PatchBaseline(_) = &resource.spec {
                // A baseline being adopted brings its registrations along: they are ours.
                let adopted = current.id.filter(|_| !current.owned);
                patch_group_conflicts(target, resource, live, adopted, options, plan);
            }
        }
    }
}

/// The live resource the change is about: the owned one, else (adopting) the first of
/// the name; a conflict when it is not driftless's to take or several are owned.
fn choose<'i, 'a>(
    p: &Planning<'_>,
    items: &'i [LiveItem<'a>],
) -> Result<Option<&'i LiveItem<'a>>, Box<Change>> {
    let (kind, name) = (p.resource.kind(), p.resource.name());
    let owned: Vec<&LiveItem> = items.iter().filter(|i| i.owned).collect();
    match (owned.as_slice(), items.first()) {
        ([], None) => Ok(None),
        ([one], _) => Ok(Some(*one)),
        ([], Some(_)) if !p.resource.metadata.adopt => Err(Box::new(p.conflict(format!(
            "a {kind} named `{name}` exists and is not managed by driftless (no `{}` tag); set `metadata.adopt: true` to take it over, or rename the spec",
            crate::spec::context::OWNERSHIP_TAG
        )))),
        ([], Some(unowned)) => Ok(Some(unowned)),
        (many, _) => Err(Box::new(p.conflict(format!(
            "{} resources named `{name}` carry the ownership tag; delete the extra ones by hand",
            many.len()
        )))),
    }
}

/// Nothing of the name is live: create it and its sub-resources.
fn plan_create(p: &Planning<'_>, desired: &Normalised, plan: &mut TargetPlan) {
    let name = p.resource.name();
    let mut c = p.change(name, Action::Create);
    c.fields = diff::diff(&desired.main, &J::Null);
    rule_as_written(&mut c.fields, p.resource, None);
    c.work.calls = Calls::Create;
    plan.warnings
        .extend(lock_warning(p.target, p.resource, &c.fields));
    plan.changes.push(c);
    for (sub, value) in &desired.subs {
        let mut c = p.change(&format!("{name}/{sub}"), Action::Create);
        c.fields = diff::diff(value, &J::Null);
        c.work.calls = Calls::Create;
        plan.changes.push(c);
    }
    if let ResourceSpec::PatchBaseline(_) = &p.resource.spec {
        patch_group_conflicts(p.target, p.resource, p.live, None, p.options, plan);
    }
}

/// The resource itself against the chosen live one: update, replace or nothing.
fn plan_update(
    p: &Planning<'_>,
    desired: &Normalised,
    current: &LiveItem<'_>,
    plan: &mut TargetPlan,
) {
    let (kind, name) = (p.resource.kind(), p.resource.name());
    let mut fields = diff::diff(&desired.main, &current.normalised.main);
    if fields.is_empty() {
        plan.noop += 1;
        return;
    }
    if kind == Kind::CompositeAlarm {
        let live = p.live.composite_alarms.get(current.index);
        rule_as_written(&mut fields, p.resource, live.map(|l| &l.spec));
    }
    let replace: Vec<&str> = fields
        .iter()
        .filter(|f| forces_replacement(kind, &f.path))
        .map(|f| f.path.as_str())
        .collect();
    let mut c = if replace.is_empty() {
        let mut c = p.change(name, Action::Update);
        c.work.calls = work::update_calls(kind, &desired.main, &current.normalised.main);
        c
    } else {
        let mut c = p.change(name, Action::Replace);
        c.reason = Some(format!("{} cannot change in place", replace.join(", ")));
        c.work.calls = Calls::Replace;
        c
    };
    c.work.live = Some(current.chosen());
    c.fields = fields;
    c.adopt = !current.owned;
    c.drift = drifted(p.options, p.target, kind, name, &current.normalised.main);
    plan.warnings
        .extend(lock_warning(p.target, p.resource, &c.fields));
    plan.changes.push(c);
}

/// A composite alarm's rule is compared in its canonical spelling (`normalise`) but
/// shown as written: the file's on the desired side, AWS's on the live side, never
/// the canonical quotes and case neither has.
fn rule_as_written(
    fields: &mut [FieldChange],
    resource: &Resource,
    live: Option<&crate::spec::CompositeAlarmSpec>,
) {
    let ResourceSpec::CompositeAlarm(spec) = &resource.spec else {
        return;
    };
    for f in fields.iter_mut().filter(|f| f.path == "alarmRule") {
        f.desired = J::String(spec.alarm_rule.trim().to_string());
        if let Some(live) = live {
            f.live = J::String(live.alarm_rule.clone());
        }
    }
}

/// The sub-resources, desired and live, by their path below the resource.
fn plan_subs(
    p: &Planning<'_>,
    desired: &Normalised,
    current: &LiveItem<'_>,
    plan: &mut TargetPlan,
) {
    let (kind, name) = (p.resource.kind(), p.resource.name());
    let live_subs = &current.normalised.subs;
    let subs: BTreeSet<&String> = desired.subs.keys().chain(live_subs.keys()).collect();
    for sub in subs {
        let full = format!("{name}/{sub}");
        let (action, fields) = match (desired.subs.get(sub), live_subs.get(sub)) {
            (Some(d), None) => (Action::Create, diff::diff(d, &J::Null)),
            (None, Some(_)) => (Action::Delete, Vec::new()),
            (Some(d), Some(l)) => {
                let fields = diff::diff(d, l);
                if fields.is_empty() {
                    plan.noop += 1;
                    continue;
                }
                let replace = sub_forces_replacement(sub, &fields);
                let action = if replace {
                    Action::Replace
                } else {
                    Action::Update
                };
                (action, fields)
            }
            (None, None) => continue,
        };
        let mut c = p.change(&full, action);
        c.fields = fields;
        c.work.calls = sub_calls(p, current, sub, action);
        c.work.live = Some(current.chosen_sub(sub));
        if let Some(live_sub) = live_subs.get(sub) {
            c.drift = drifted(p.options, p.target, kind, &full, live_sub);
        }
        plan.changes.push(c);
    }
}

/// The calls of a sub-resource change: a task update sends the task merged with the
/// live one's unset settings; other updates write the sub-resource whole.
fn sub_calls(p: &Planning<'_>, current: &LiveItem<'_>, sub: &str, action: Action) -> Calls {
    match action {
        Action::Create => Calls::Create,
        Action::Delete => Calls::Delete,
        Action::Replace => Calls::Replace,
        Action::Conflict => Calls::Nothing,
        Action::Update => {
            let (ResourceSpec::MaintenanceWindow(spec), Some(task_name)) =
                (&p.resource.spec, sub.strip_prefix("tasks/"))
            else {
                return Calls::Update {
                    writes: [work::Write::Definition].into(),
                    tags: work::TagChanges::default(),
                };
            };
            let live_window = p.live.maintenance_windows.get(current.index);
            let live_task =
                live_window.and_then(|w| w.spec.tasks.iter().find(|t| t.name == task_name));
            match spec.tasks.iter().find(|t| t.name == task_name) {
                Some(task) => work::task_update(task, live_task),
                None => Calls::Nothing,
            }
        }
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
