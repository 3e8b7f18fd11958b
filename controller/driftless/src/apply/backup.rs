//! Applying BackupVault and BackupPlan changes: vaults (created with tags and a
//! creator request id, then their lock, access policy and notifications; on update
//! each of those written only when its fields changed; never deleted while they hold recovery points unless allowed,
//! and then their recovery points first),
//! plans (rules updated as a whole) and their selections (immutable in AWS: replaced by
//! creating the new one before deleting the old, so coverage has no gap).

use super::{failed, ApplyError, Unit};
use crate::aws::backup;
use crate::live::Live;
use crate::plan::work::{Calls, TagChanges, Write};
use crate::plan::Action;
use crate::spec::{BackupPlanSpec, BackupVaultSpec, ResourceSpec};

type Failure = (String, ApplyError);

pub(super) async fn run_vault(unit: &Unit<'_>) -> Result<(), Failure> {
    let Some(change) = unit.parent() else {
        return Ok(());
    };
    let live = unit.chosen(&unit.live.backup_vaults);
    let points = live.map_or(0, |v| v.recovery_points);
    if change.work.calls == Calls::Delete {
        return delete_vault(unit, points).await;
    }
    let Some(ResourceSpec::BackupVault(spec)) = unit.resource.map(|r| &r.spec) else {
        return Ok(());
    };
    let (writes, tags) = match (&change.work.calls, live) {
        (Calls::Update { writes, tags }, Some(_)) => (writes, tags),
        (Calls::Replace, Some(_)) => {
            delete_vault(unit, points).await?;
            return create_vault(unit, spec).await;
        }
        (Calls::Create | Calls::Replace | Calls::Update { .. }, _) => {
            return create_vault(unit, spec).await
        }
        _ => return Ok(()),
    };
    let arn = live.and_then(|v| v.vault.arn.as_deref());
    if let (Some(arn), false) = (arn, tags.is_empty()) {
        backup::retag(unit.clients, arn, &tags.add, &tags.remove)
            .await
            .map_err(failed(unit.name))?;
    }
    let changed = |write: Write| writes.contains(&write);
    set_vault_settings(unit, spec, changed).await
}

/// Creates the vault with its tags and a creator request id, then its settings.
async fn create_vault(unit: &Unit<'_>, spec: &BackupVaultSpec) -> Result<(), Failure> {
    let tags = unit.desired_tags(&spec.tags);
    let token = unit.token("", &serde_json::to_value(spec).unwrap_or_default());
    backup::create_vault(unit.clients, unit.name, spec, &tags, &token)
        .await
        .map_err(failed(unit.name))?;
    set_vault_settings(unit, spec, |_| true).await
}

/// Writes the vault's lock, access policy and notifications whose field `changed`
/// says changed (all of them after a create: each call is skipped when the spec has
/// none, as a new vault has none).
async fn set_vault_settings(
    unit: &Unit<'_>,
    spec: &BackupVaultSpec,
    changed: impl Fn(Write) -> bool,
) -> Result<(), Failure> {
    let fresh = unit.parent().is_some_and(|c| c.action != Action::Update);
    let (clients, name) = (unit.clients, unit.name);
    if changed(Write::VaultLock) && !(fresh && spec.lock.is_none()) {
        backup::set_vault_lock(clients, name, spec.lock.as_ref())
            .await
            .map_err(failed(name))?;
    }
    if changed(Write::VaultAccessPolicy) && !(fresh && spec.access_policy.is_none()) {
        backup::set_vault_policy(clients, name, spec.access_policy.as_ref())
            .await
            .map_err(failed(name))?;
    }
    if changed(Write::VaultNotifications) && !(fresh && spec.notifications.is_none()) {
        backup::set_vault_notifications(clients, name, spec.notifications.as_ref())
            .await
            .map_err(failed(name))?;
    }
    Ok(())
}

/// Deletes the vault. One holding `points` recovery points is refused unless
/// `--allow-data-loss`, and with it its recovery points are deleted first (AWS
/// refuses to delete a vault that is not empty).
async fn delete_vault(unit: &Unit<'_>, points: u64) -> Result<(), (String, ApplyError)> {
    if points > 0 {
        if !unit.options.allow_data_loss {
            return Err((
                unit.name.to_string(),
                ApplyError::Refused(format!(
                    "vault `{}` holds {points} recovery points; pass --allow-data-loss to delete it",
                    unit.name
                )),
            ));
        }
        backup::delete_recovery_points(unit.clients, unit.name)
            .await
            .map_err(failed(unit.name))?;
    }
    backup::delete_vault(unit.clients, unit.name)
        .await
        .map_err(failed(unit.name))
}

pub(super) async fn run_plan(unit: &Unit<'_>) -> Result<(), Failure> {
    let live = unit.chosen(&unit.live.backup_plans);
    if *unit.calls() == Calls::Delete {
        return match live {
            Some(live) => delete_plan(unit, live).await,
            None => Ok(()),
        };
    }
    let Some(ResourceSpec::BackupPlan(spec)) = unit.resource.map(|r| &r.spec) else {
        return Ok(());
    };
    let plan_id = match (unit.calls(), live) {
        (Calls::Create, _) | (_, None) => create_plan(unit, spec).await?,
        (calls, Some(live)) => {
            let id = live.id.clone().unwrap_or_default();
            if let Calls::Update { writes, tags } = calls {
                update_plan(
                    unit,
                    spec,
                    live,
                    &id,
                    writes.contains(&Write::Definition),
                    tags,
                )
                .await?;
            }
            id
        }
    };
    write_selections(unit, live, &plan_id).await
}

/// Deletes the live plan's selections, then the plan.
async fn delete_plan(unit: &Unit<'_>, live: &Live<BackupPlanSpec>) -> Result<(), Failure> {
    let Some(id) = &live.id else { return Ok(()) };
    for selection_id in live
        .sub_ids
        .iter()
        .filter(|(k, _)| k.starts_with("selections/"))
        .map(|(_, v)| v)
    {
        backup::delete_selection(unit.clients, id, selection_id)
            .await
            .map_err(failed(unit.name))?;
    }
    backup::delete_plan(unit.clients, id)
        .await
        .map_err(failed(unit.name))
}

/// Creates the plan (its rules; selections follow) with its tags; its id.
async fn create_plan(unit: &Unit<'_>, spec: &BackupPlanSpec) -> Result<String, Failure> {
    let tags = unit.desired_tags(&spec.tags);
    let mut rules_only = spec.clone();
    rules_only.selections.clear();
    let token = unit.token("", &serde_json::to_value(&rules_only).unwrap_or_default());
    backup::create_plan(unit.clients, unit.name, spec, &tags, &token)
        .await
        .map_err(failed(unit.name))
}

/// The planned in-place update: the rules as a whole when they changed, the tags.
async fn update_plan(
    unit: &Unit<'_>,
    spec: &BackupPlanSpec,
    live: &Live<BackupPlanSpec>,
    id: &str,
    rules: bool,
    tags: &TagChanges,
) -> Result<(), Failure> {
    if rules {
        backup::update_plan(unit.clients, id, unit.name, spec)
            .await
            .map_err(failed(unit.name))?;
    }
    if let (Some(arn), false) = (&live.arn, tags.is_empty()) {
        backup::retag(unit.clients, arn, &tags.add, &tags.remove)
            .await
            .map_err(failed(unit.name))?;
    }
    Ok(())
}

/// Selections as planned: created before the one they replace is deleted, so coverage
/// has no gap.
async fn write_selections(
    unit: &Unit<'_>,
    live: Option<&Live<BackupPlanSpec>>,
    plan_id: &str,
) -> Result<(), Failure> {
    let Some(ResourceSpec::BackupPlan(spec)) = unit.resource.map(|r| &r.spec) else {
        return Ok(());
    };
    for (change, sub) in unit.subs() {
        let Some(selection_name) = sub.strip_prefix("selections/") else {
            continue;
        };
        let selection = spec.selections.iter().find(|s| s.name == selection_name);
        let old_id = live.and_then(|l| l.sub_ids.get(sub));
        let calls = &change.work.calls;
        if let (Calls::Create | Calls::Replace, Some(selection)) = (calls, selection) {
            let token = unit.token(sub, &serde_json::to_value(selection).unwrap_or_default());
            backup::create_selection(unit.clients, plan_id, selection, &token)
                .await
                .map_err(failed(&change.name))?;
        }
        if let (Calls::Delete | Calls::Replace, Some(old)) = (calls, old_id) {
            backup::delete_selection(unit.clients, plan_id, old)
                .await
                .map_err(failed(&change.name))?;
        }
    }
    Ok(())
}
