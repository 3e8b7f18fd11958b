//! Applying LogGroup changes (create with tags and key, retention, key association,
//! tags, delete) and LogRetentionPolicy changes (retention only, never anything else).

use std::collections::BTreeMap;

use super::{failed, outcomes, ApplyError, Outcome, Unit};
use crate::aws::logs;
use crate::plan::work::{Calls, Write};
use crate::spec::log_group::Retention;
use crate::spec::{LogGroupSpec, ResourceSpec};

/// The bytes of events the group holds, when it holds any.
fn holds_data(unit: &Unit<'_>) -> Option<u64> {
    unit.live
        .log_group_stored_bytes
        .get(unit.name)
        .copied()
        .filter(|b| *b > 0)
}

/// Refuses to delete a group holding data without `--allow-data-loss`.
fn data_guard(unit: &Unit<'_>) -> Result<(), (String, ApplyError)> {
    match holds_data(unit) {
        Some(bytes) if !unit.options.allow_data_loss => Err((
            unit.name.to_string(),
            ApplyError::Refused(format!(
                "log group `{}` holds {bytes} bytes of events; pass --allow-data-loss to delete it",
                unit.name
            )),
        )),
        _ => Ok(()),
    }
}

pub(super) async fn run_log_group(unit: &Unit<'_>) -> Result<(), (String, ApplyError)> {
    let calls = unit.calls();
    if *calls == Calls::Delete {
        data_guard(unit)?;
        return logs::delete_log_group(unit.clients, unit.name)
            .await
            .map_err(failed(unit.name));
    }
    let Some(ResourceSpec::LogGroup(spec)) = unit.resource.map(|r| &r.spec) else {
        return Ok(());
    };
    let tags = unit.desired_tags(&spec.tags);
    let live = unit.chosen(&unit.live.log_groups);
    match calls {
        Calls::Create => {}
        Calls::Replace if live.is_some() => {
            data_guard(unit)?;
            logs::delete_log_group(unit.clients, unit.name)
                .await
                .map_err(failed(unit.name))?;
        }
        Calls::Replace => {}
        Calls::Update { writes, tags } => {
            update_log_group(unit, spec, writes, tags).await?;
            return Ok(());
        }
        _ => return Ok(()),
    }
    logs::create_log_group(unit.clients, unit.name, spec, &tags)
        .await
        .map_err(failed(unit.name))
}

/// The planned writes of a group changed in place: its retention, its key, its tags.
async fn update_log_group(
    unit: &Unit<'_>,
    spec: &LogGroupSpec,
    writes: &std::collections::BTreeSet<Write>,
    tags: &crate::plan::work::TagChanges,
) -> Result<(), (String, ApplyError)> {
    if writes.contains(&Write::Retention) {
        let want = spec.retention_in_days.filter(|r| *r != Retention::Never);
        logs::set_retention(unit.clients, unit.name, want)
            .await
            .map_err(failed(unit.name))?;
    }
    if writes.contains(&Write::KmsKey) {
        logs::set_kms_key(unit.clients, unit.name, spec.kms_key_id.as_deref())
            .await
            .map_err(failed(unit.name))?;
    }
    logs::retag_log_group(unit.clients, unit.name, &tags.add, &tags.remove)
        .await
        .map_err(failed(unit.name))
}

/// Sets each group's retention as the plan listed (`logGroups["name"].retentionInDays`),
/// and records the values set for drift detection.
pub(super) async fn apply_retention_policy(unit: &Unit<'_>) -> Vec<Outcome> {
    let Some(change) = unit.parent() else {
        return Vec::new();
    };
    let Calls::SetRetention(groups) = &change.work.calls else {
        return outcomes(unit, Ok(()));
    };
    let mut recorded = BTreeMap::new();
    let mut result = Ok(());
    // The plan lists a field per group it sets, in the same order.
    for (set, field) in groups.iter().zip(&change.fields) {
        let retention = set.days.map(Retention::Days);
        if let Err(e) = logs::set_retention(unit.clients, &set.group, retention).await {
            result = Err((unit.name.to_string(), ApplyError::from(e)));
            break;
        }
        recorded.insert(field.path.clone(), field.desired.clone());
    }
    if !recorded.is_empty() {
        unit.record_fields(recorded.into_iter().collect());
    }
    outcomes(unit, result)
}
