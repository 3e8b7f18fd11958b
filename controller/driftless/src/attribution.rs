//! Drift attribution: who changed a drifted resource outside git, from CloudTrail.
//!
//! After a target is planned, each drifted change (up to
//! [`aws::cloudtrail::MAX_LOOKUPS`]) is looked up by the resource's AWS name (the id
//! for windows, baselines and backup plans, which their API calls name by id) since
//! the target's last apply, and gets `changedBy`. A lookup that is denied or fails,
//! finds nothing, or is over the bound gives "unknown": attribution never fails a
//! plan. The time of the last apply comes from the history in the state backend
//! (local or S3: the same from any machine), read only for targets with a drift.
//! `plan`, `apply` and each reconcile of `driftless run` attribute their drifts.

use std::collections::{BTreeMap, BTreeSet};

use crate::aws::{self, Clients};
use crate::engine::Planned;
use crate::live::LiveTarget;
use crate::plan::{Change, ChangedBy};
use crate::spec::Kind;
use crate::state::{Backend, HistoryQuery, StateBackend};

/// How far back history is read for [`last_applied_times`].
const HISTORY_DEPTH: usize = 500;

/// The key of a resource in [`last_applied_times`].
pub fn key(target: &str, kind: Kind, name: &str) -> String {
    format!("{target}/{kind}/{name}")
}

/// When driftless last wrote each resource of `target` (the start of the newest of
/// the target's last 500 recorded reconciles that changed it successfully, Unix
/// seconds), by [`key`], read from the state backend's history; a drift happened
/// after that. Empty when there is no readable history.
pub async fn last_applied_times(backend: &StateBackend, target: &str) -> BTreeMap<String, i64> {
    let query = HistoryQuery {
        target: Some(target.to_string()),
        since_unix: None,
        limit: Some(HISTORY_DEPTH),
    };
    let history = match backend.history(&query).await {
        Ok(h) => h,
        Err(e) => {
            tracing::warn!(
                target,
                "drift attribution: the history could not be read: {e}"
            );
            Vec::new()
        }
    };
    let mut out = BTreeMap::new();
    // Newest first: the first write seen of a resource is its last.
    for record in history {
        for change in record.changes.iter().filter(|c| c.result == "ok") {
            let key = format!("{}/{}/{}", record.target, change.kind, change.name);
            out.entry(key).or_insert(record.started_at_unix);
        }
    }
    out
}

/// Attributes the drifted changes of `planned`, target by target, through each
/// target's clients and live state; the history is read (through the state backend,
/// so from any machine) only for targets with a drift.
pub async fn attribute_planned(planned: &mut Planned, backend: &StateBackend) {
    let drifted: BTreeSet<String> = planned
        .plan
        .changes
        .iter()
        .filter(|c| c.drift)
        .map(|c| c.target.clone())
        .collect();
    for target in drifted {
        let (Some(clients), Some(live)) = (planned.clients.get(&target), planned.live.get(&target))
        else {
            continue;
        };
        let since = last_applied_times(backend, &target).await;
        let changes = planned
            .plan
            .changes
            .iter_mut()
            .filter(|c| c.target == target);
        attribute(clients, changes, live, &since).await;
    }
}

/// The name CloudTrail knows a change's resource by: the id of a window, baseline or
/// backup plan; for a LogRetentionPolicy, the first log group whose retention moved
/// (its fields are `logGroups["<name>"].retentionInDays`); else the name.
fn lookup_name(change: &Change, live: &LiveTarget) -> String {
    let (kind, name) = (change.kind, change.name.as_str());
    let parent = name.split('/').next().unwrap_or(name);
    let id = match kind {
        Kind::LogRetentionPolicy => change.fields.iter().find_map(|f| {
            let rest = f.path.strip_prefix("logGroups[\"")?;
            rest.split_once("\"]").map(|(group, _)| group.to_string())
        }),
        Kind::MaintenanceWindow => live
            .maintenance_windows
            .iter()
            .find(|w| w.name == parent)
            .and_then(|w| w.id.clone()),
        Kind::PatchBaseline => live
            .patch_baselines
            .iter()
            .find(|b| b.name == parent)
            .and_then(|b| b.id.clone()),
        Kind::BackupPlan => live
            .backup_plans
            .iter()
            .find(|p| p.name == parent)
            .and_then(|p| p.id.clone()),
        Kind::Association => live
            .associations
            .iter()
            .find(|a| a.name == parent)
            .and_then(|a| a.id.clone()),
        _ => None,
    };
    id.unwrap_or_else(|| name.to_string())
}

/// Fills `changed_by` on the plan's drifted changes, looking events up from when
/// driftless last wrote each resource (`since`, by [`key`]; absent: 90 days back).
pub async fn attribute<'c>(
    clients: &Clients,
    changes: impl Iterator<Item = &'c mut Change>,
    live: &LiveTarget,
    since: &BTreeMap<String, i64>,
) {
    let mut lookups = 0;
    for change in changes.filter(|c| c.drift) {
        let found = if lookups < aws::cloudtrail::MAX_LOOKUPS {
            lookups += 1;
            let name = lookup_name(change, live);
            let since = since
                .get(&key(&change.target, change.kind, &change.name))
                .copied();
            match aws::cloudtrail::who_changed(clients, &name, since).await {
                Ok(found) => found,
                Err(e) => {
                    tracing::warn!(target = %change.target, resource = %change.name, "drift attribution: {e}");
                    None
                }
            }
        } else {
            None
        };
        change.changed_by = Some(found.unwrap_or_else(ChangedBy::unknown));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Action, FieldChange};

    fn change(kind: Kind, name: &str) -> Change {
        Change {
            target: "t".into(),
            kind,
            name: name.into(),
            action: Action::Update,
            fields: Vec::new(),
            drift: true,
            reason: None,
            adopt: false,
            report_only: false,
            changed_by: None,
            next_runs: Vec::new(),
            backtest: None,
            work: Default::default(),
        }
    }

    #[test]
    fn policies_are_looked_up_by_their_first_changed_group() {
        let mut policy = change(Kind::LogRetentionPolicy, "lambda");
        policy.fields.push(FieldChange {
            path: "logGroups[\"/aws/lambda/a\"].retentionInDays".into(),
            live: serde_json::json!(3),
            desired: serde_json::json!(14),
        });
        assert_eq!(
            lookup_name(&policy, &LiveTarget::default()),
            "/aws/lambda/a"
        );
        let alarm = change(Kind::MetricAlarm, "cpu");
        assert_eq!(lookup_name(&alarm, &LiveTarget::default()), "cpu");
    }
}
