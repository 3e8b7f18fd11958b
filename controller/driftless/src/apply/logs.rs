//! Applying LogGroup changes (create with tags and key, retention, key association,
//! tags, delete) and LogRetentionPolicy changes (retention only, never anything else).

use std::collections::BTreeMap;

use super::{chosen, failed, outcomes, tag_changes, ApplyError, Outcome, Unit};
use crate::aws::logs;
use crate::plan::Action;
use crate::spec::log_group::{LogGroupClass, Retention};
use crate::spec::ResourceSpec;

fn holds_data(unit: &Unit<'_>) -> Option<u64> {
    unit.live
        .log_group_stored_bytes
        .get(unit.name)
        .copied()
        .filter(|b| *b > 0)
}

pub(super) async fn run_log_group(unit: &Unit<'_>) -> Result<(), (String, ApplyError)> {
    let Some(change) = unit.parent() else {
        return Ok(());
    };
    let data_guard = || -> Result<(), (String, ApplyError)> {
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
    };
    if change.action == Action::Delete {
        data_guard()?;
        return logs::delete_log_group(unit.clients, unit.name)
            .await
            .map_err(failed(unit.name));
    }
    let Some(ResourceSpec::LogGroup(spec)) = unit.resource.map(|r| &r.spec) else {
        return Ok(());
    };
    let tags = unit.desired_tags(&spec.tags);
    let live = chosen(&unit.live.log_groups, unit.name, unit.instance);
    match (change.action, live) {
        (Action::Create, _) | (Action::Replace, None) => {
            logs::create_log_group(unit.clients, unit.name, spec, &tags)
                .await
                .map_err(failed(unit.name))?;
        }
        (Action::Replace, Some(_)) => {
            data_guard()?;
            logs::delete_log_group(unit.clients, unit.name)
                .await
                .map_err(failed(unit.name))?;
            logs::create_log_group(unit.clients, unit.name, spec, &tags)
                .await
                .map_err(failed(unit.name))?;
        }
        (_, Some(live)) => {
            let want = spec.retention_in_days.filter(|r| *r != Retention::Never);
            let have = live
                .spec
                .retention_in_days
                .filter(|r| *r != Retention::Never);
            let delivery = live.spec.log_group_class == Some(LogGroupClass::Delivery);
            if want != have && !delivery {
                logs::set_retention(unit.clients, unit.name, want)
                    .await
                    .map_err(failed(unit.name))?;
            }
            if spec.kms_key_id != live.spec.kms_key_id {
                logs::set_kms_key(unit.clients, unit.name, spec.kms_key_id.as_deref())
                    .await
                    .map_err(failed(unit.name))?;
            }
            let (add, remove) = tag_changes(&tags, &live.spec.tags);
            if !add.is_empty() || !remove.is_empty() {
                logs::retag_log_group(unit.clients, unit.name, &add, &remove)
                    .await
                    .map_err(failed(unit.name))?;
            }
        }
        (_, None) => {}
    }
    Ok(())
}

/// Sets each group's retention as the plan listed (`logGroups["name"].retentionInDays`),
/// and records the values set for drift detection.
pub(super) async fn apply_retention_policy(unit: &Unit<'_>) -> Vec<Outcome> {
    let Some(change) = unit.parent() else {
        return Vec::new();
    };
    let mut recorded = BTreeMap::new();
    let mut result = Ok(());
    for field in &change.fields {
        let Some(group) = field
            .path
            .strip_prefix("logGroups[")
            .and_then(|rest| rest.strip_suffix("].retentionInDays"))
            .and_then(|quoted| serde_json::from_str::<String>(quoted).ok())
        else {
            continue;
        };
        let retention = field.desired.as_u64().map(|d| Retention::Days(d as u32));
        if let Err(e) = logs::set_retention(unit.clients, &group, retention).await {
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
