//! Planning `MetricFilter`s. Pure.
//!
//! Metric filters cannot be tagged, so ownership is not the ownership tag's:
//!
//! - a filter on a log group driftless owns (the group's tag) belongs to that group,
//!   hence to driftless;
//! - on any other group, a filter is driftless's only when the state store records
//!   that driftless applied it there (the last-applied record of
//!   `target/MetricFilter/name`, whose `logGroupName` names the group), or when the
//!   spec adopts it (`adopt: true`; the apply then records it).
//!
//! Anything else with a desired filter's name on its group is a conflict: nothing is
//! written. A desired filter whose group changed is replaced (put on the new group,
//! then deleted from the old one). Owned filters no desired filter names are deleted
//! (with prune), before their log group if it goes too (apply's phases). A filter on a
//! group the plan replaces goes with the group, so it is planned as a create.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as J;

use super::work::{Calls, Chosen, TagChanges, Work, Write};
use super::{diff, drifted, normalise, record_key, Action, Change, PlanOptions, TargetPlan};
use crate::live::{LiveMetricFilter, LiveTarget};
use crate::spec::{Kind, MetricFilterSpec, Resource, ResourceSpec};

/// The log group driftless last applied the filter `name` to, from the state store.
pub fn recorded_group<'a>(
    last_applied: &'a BTreeMap<String, J>,
    target: &str,
    name: &str,
) -> Option<&'a str> {
    last_applied
        .get(&record_key(target, Kind::MetricFilter, name))
        .and_then(|v| v.get("logGroupName"))
        .and_then(J::as_str)
}

/// The log groups of every filter the state store records for `target`.
pub fn recorded_groups(last_applied: &BTreeMap<String, J>, target: &str) -> BTreeSet<String> {
    let prefix = format!("{target}/{}/", Kind::MetricFilter);
    last_applied
        .iter()
        .filter(|(k, _)| k.starts_with(&prefix))
        .filter_map(|(_, v)| v.get("logGroupName").and_then(J::as_str))
        .map(str::to_string)
        .collect()
}

/// Whether driftless owns the live filter `f` (see the module doc).
pub fn owns(
    f: &LiveMetricFilter,
    live: &LiveTarget,
    target: &str,
    instance: &str,
    last_applied: &BTreeMap<String, J>,
) -> bool {
    let group = f.filter.spec.log_group_name.as_str();
    live.log_groups
        .iter()
        .any(|g| g.name == group && g.owned_by(instance))
        || recorded_group(last_applied, target, &f.filter.name) == Some(group)
}

/// Plans every desired filter of the target and the deletes of owned ones that left
/// the repository (pushed to `deletes`, which the prune guards decide on).
pub fn plan_metric_filters(
    target: &str,
    desired: &[&Resource],
    live: &LiveTarget,
    options: &PlanOptions,
    plan: &mut TargetPlan,
    deletes: &mut Vec<Change>,
) {
    let cx = Context {
        target,
        live,
        options,
        replaced_groups: plan
            .changes
            .iter()
            .filter(|c| {
                c.target == target && c.kind == Kind::LogGroup && c.action == Action::Replace
            })
            .map(|c| c.name.clone())
            .collect(),
    };
    let mut wanted: BTreeSet<&str> = BTreeSet::new();
    let mut changes = Vec::new();
    for r in desired {
        let ResourceSpec::MetricFilter(spec) = &r.spec else {
            continue;
        };
        wanted.insert(r.name());
        match cx.plan_one(r, spec) {
            Some(mut c) => {
                c.report_only = r.metadata.drift_policy == crate::spec::DriftPolicy::Report;
                changes.push(c);
            }
            None => plan.noop += 1,
        }
    }
    plan.changes.extend(changes);
    let mut gone: BTreeMap<&str, Vec<Chosen>> = BTreeMap::new();
    for (index, f) in live.metric_filters.iter().enumerate() {
        if !wanted.contains(f.filter.name.as_str()) && cx.ours(f) {
            gone.entry(f.filter.name.as_str())
                .or_default()
                .push(chosen(index));
        }
    }
    for (name, filters) in gone {
        let mut c = Change::new(target, Kind::MetricFilter, name, Action::Delete);
        c.work = Work {
            calls: Calls::Delete,
            live: None,
            deletes: filters,
        };
        deletes.push(c);
    }
}

/// A live filter, by its position in `LiveTarget::metric_filters` (it has no id).
fn chosen(index: usize) -> Chosen {
    Chosen {
        index,
        id: None,
        arn: None,
    }
}

/// What planning one filter needs to know about its target.
struct Context<'a> {
    target: &'a str,
    live: &'a LiveTarget,
    options: &'a PlanOptions,
    /// Log groups this plan replaces: their filters go with them.
    replaced_groups: BTreeSet<String>,
}

impl Context<'_> {
    fn ours(&self, f: &LiveMetricFilter) -> bool {
        owns(
            f,
            self.live,
            self.target,
            &self.options.instance,
            &self.options.last_applied,
        )
    }

    /// The change one desired filter needs (`None`: none), with its work.
    fn plan_one(&self, r: &Resource, spec: &MetricFilterSpec) -> Option<Change> {
        let named: Vec<(usize, &LiveMetricFilter)> = self
            .live
            .metric_filters
            .iter()
            .enumerate()
            .filter(|(_, f)| f.filter.name == r.name())
            .collect();
        let group = spec.log_group_name.as_str();
        let mut c = self.change(r, spec, &named)?;
        // What the format cannot hold is kept from the filter on the group, else from
        // the one being moved.
        let moved_from: Vec<Chosen> = named
            .iter()
            .filter(|(_, f)| f.filter.spec.log_group_name != group && self.ours(f))
            .map(|(i, _)| chosen(*i))
            .collect();
        let kept = named
            .iter()
            .find(|(_, f)| f.filter.spec.log_group_name == group)
            .map(|(i, _)| chosen(*i))
            .or_else(|| moved_from.first().cloned());
        c.work.live = kept;
        if c.action == Action::Replace {
            c.work.deletes = moved_from;
        }
        Some(c)
    }

    /// The change and its calls (`None`: none).
    fn change(
        &self,
        r: &Resource,
        spec: &MetricFilterSpec,
        named: &[(usize, &LiveMetricFilter)],
    ) -> Option<Change> {
        let named: Vec<&LiveMetricFilter> = named.iter().map(|(_, f)| *f).collect();
        let group = spec.log_group_name.as_str();
        let on_group = named
            .iter()
            .find(|f| f.filter.spec.log_group_name == group)
            .filter(|_| !self.replaced_groups.contains(group));
        let elsewhere = named
            .iter()
            .find(|f| f.filter.spec.log_group_name != group && self.ours(f));
        let desired = normalise::metric_filter(spec).main;
        let new = |action| Change::new(self.target, Kind::MetricFilter, r.name(), action);
        Some(match (on_group, elsewhere) {
            (Some(f), _) if self.ours(f) || r.metadata.adopt => {
                let current = normalise::metric_filter(&f.filter.spec).main;
                let fields = diff::diff(&desired, &current);
                let adopting = !self.ours(f);
                if fields.is_empty() && !adopting {
                    return None;
                }
                let mut c = new(Action::Update);
                c.adopt = adopting;
                c.work.calls = Calls::Update {
                    writes: [Write::Definition].into(),
                    tags: TagChanges::default(),
                };
                if fields.is_empty() {
                    // Nothing to change, but applying it is what makes it driftless's.
                    c.reason = Some("adopted: apply records it in the state store (metric filters carry no tags)".into());
                    c.work.calls = Calls::Record;
                }
                c.drift = drifted(
                    self.options,
                    self.target,
                    Kind::MetricFilter,
                    r.name(),
                    &current,
                );
                c.fields = fields;
                c
            }
            (Some(f), _) => {
                let mut c = new(Action::Conflict);
                c.reason = Some(format!(
                    "log group `{}` has a metric filter named `{}` that driftless did not create (metric filters carry no tags, and the group is not driftless's); set `metadata.adopt: true` to take it over, or rename the spec",
                    f.filter.spec.log_group_name, f.filter.name
                ));
                c
            }
            (None, Some(old)) => {
                let mut c = new(Action::Replace);
                c.fields = diff::diff(&desired, &normalise::metric_filter(&old.filter.spec).main);
                c.reason = Some("logGroupName cannot change in place".into());
                c.work.calls = Calls::Replace;
                c
            }
            (None, None) => {
                let mut c = new(Action::Create);
                c.fields = diff::diff(&desired, &J::Null);
                c.work.calls = Calls::Create;
                c
            }
        })
    }
}

#[cfg(test)]
mod tests;
