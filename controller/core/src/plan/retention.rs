//! Planning `LogRetentionPolicy`s: the retention of every log group under a policy's
//! prefix, one change per policy listing the groups it sets. Pure.

use std::collections::BTreeSet;

use serde_json::Value as J;

use super::work::{Calls, GroupRetention};
use super::{record_key, Action, Change, FieldChange, PlanOptions, TargetPlan};
use crate::live::{LiveTarget, LogGroupRetention};
use crate::spec::log_group::Retention;
use crate::spec::{DriftPolicy, Kind, LogRetentionPolicySpec, Resource, ResourceSpec};

/// Retention settings of log groups under each LogRetentionPolicy's prefix. A group is
/// governed by the policy with the longest matching prefix; a group with its own
/// LogGroup spec in this target is left to that spec.
pub(super) fn plan_retention_policies(
    target: &str,
    desired: &[&Resource],
    live: &LiveTarget,
    options: &PlanOptions,
    plan: &mut TargetPlan,
) {
    let policies = Policies {
        own_specs: desired
            .iter()
            .filter(|r| r.kind() == Kind::LogGroup)
            .map(|r| r.name())
            .collect(),
        all: desired
            .iter()
            .filter_map(|r| match &r.spec {
                ResourceSpec::LogRetentionPolicy(p) => Some((*r, p)),
                _ => None,
            })
            .collect(),
    };
    for (resource, policy) in &policies.all {
        let (fields, groups): (Vec<FieldChange>, Vec<GroupRetention>) = live
            .retention_candidates
            .iter()
            .filter(|g| policies.governs(resource, policy, g))
            .filter_map(|g| setting(policy, g))
            .unzip();
        if fields.is_empty() {
            plan.noop += 1;
            continue;
        }
        let name = resource.name();
        let mut c = Change::new(target, Kind::LogRetentionPolicy, name, Action::Update);
        // Drift: a group the policy set before shows another value now.
        c.drift = options
            .last_applied
            .get(&record_key(target, Kind::LogRetentionPolicy, name))
            .and_then(J::as_object)
            .is_some_and(|recorded| fields.iter().any(|f| recorded.contains_key(&f.path)));
        c.fields = fields;
        c.work.calls = Calls::SetRetention(groups);
        c.report_only = resource.metadata.drift_policy == DriftPolicy::Report;
        plan.changes.push(c);
    }
}

/// The target's retention policies, and the log groups with their own spec.
struct Policies<'a> {
    own_specs: BTreeSet<&'a str>,
    all: Vec<(&'a Resource, &'a LogRetentionPolicySpec)>,
}

impl Policies<'_> {
    /// Whether `policy` (of `resource`) sets `group`'s retention: it has the longest
    /// prefix matching, the group has no spec of its own, AWS does not fix it, and the
    /// policy's exclusions and `onlyWhereUnset` let it.
    fn governs(
        &self,
        resource: &Resource,
        policy: &LogRetentionPolicySpec,
        group: &LogGroupRetention,
    ) -> bool {
        let governing = self
            .all
            .iter()
            .filter(|(_, p)| group.name.starts_with(&p.log_group_name_prefix))
            .max_by_key(|(_, p)| p.log_group_name_prefix.len());
        let is_ours = governing.is_some_and(|(r, _)| r.name() == resource.name());
        is_ours
            && !group.fixed
            && !self.own_specs.contains(group.name.as_str())
            && !policy
                .exclude
                .iter()
                .any(|e| group.name.starts_with(e.as_str()))
            && (!policy.only_where_unset || group.retention.is_none())
    }
}

/// The field and the call setting `group` to the policy's retention (`None`: it has it).
fn setting(
    policy: &LogRetentionPolicySpec,
    group: &LogGroupRetention,
) -> Option<(FieldChange, GroupRetention)> {
    let live_days = match group.retention {
        Some(Retention::Days(d)) => J::from(d),
        _ => J::Null,
    };
    let days = match policy.retention_in_days {
        Retention::Days(d) => Some(d),
        Retention::Never => None,
    };
    let want = days.map_or(J::Null, J::from);
    if live_days == want {
        return None;
    }
    let field = FieldChange {
        path: format!(
            "logGroups[{}].retentionInDays",
            serde_json::to_string(&group.name).unwrap_or_default()
        ),
        live: live_days,
        desired: want,
    };
    let call = GroupRetention {
        group: group.name.clone(),
        days,
    };
    Some((field, call))
}
