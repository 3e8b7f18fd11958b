//! Applying BackupVault and BackupPlan changes: vaults (created with tags and a
//! creator request id, then their lock, access policy and notifications; on update
//! each of those written only when its fields changed; never deleted while they hold recovery points unless allowed,
//! and then their recovery points first),
//! plans (rules updated as a whole) and their selections (immutable in AWS: replaced by
//! creating the new one before deleting the old, so coverage has no gap).

use super::{chosen, failed, tag_changes, ApplyError, Unit};
use crate::aws::backup;
use crate::plan::Action;
use crate::spec::{BackupVaultSpec, ResourceSpec};

pub(super) async fn run_vault(unit: &Unit<'_>) -> Result<(), (String, ApplyError)> {
    let Some(change) = unit.parent() else {
        return Ok(());
    };
    let live = unit
        .live
        .backup_vaults
        .iter()
        .find(|v| v.vault.name == unit.name && v.vault.owned_by(unit.instance))
        .or_else(|| {
            unit.live
                .backup_vaults
                .iter()
                .find(|v| v.vault.name == unit.name)
        });
    let points = live.map_or(0, |v| v.recovery_points);
    if change.action == Action::Delete {
        return delete_vault(unit, points).await;
    }
    let Some(ResourceSpec::BackupVault(spec)) = unit.resource.map(|r| &r.spec) else {
        return Ok(());
    };
    let tags = unit.desired_tags(&spec.tags);
    let token = unit.token("", &serde_json::to_value(spec).unwrap_or_default());
    let creating = match (change.action, live) {
        (Action::Replace, Some(_)) => {
            delete_vault(unit, points).await?;
            true
        }
        (Action::Create, _) | (_, None) => true,
        (_, Some(_)) => false,
    };
    if creating {
        backup::create_vault(unit.clients, unit.name, spec, &tags, &token)
            .await
            .map_err(failed(unit.name))?;
        return set_vault_settings(unit, spec, |_| true).await;
    }
    let live = live.expect("not creating, so live exists");
    let (add, remove) = tag_changes(&tags, &live.vault.spec.tags);
    if let Some(arn) = &live.vault.arn {
        if !add.is_empty() || !remove.is_empty() {
            backup::retag(unit.clients, arn, &add, &remove)
                .await
                .map_err(failed(unit.name))?;
        }
    }
    let changed = |field: &str| {
        change
            .fields
            .iter()
            .any(|f| f.path == field || f.path.starts_with(&format!("{field}.")))
    };
    set_vault_settings(unit, spec, changed).await
}

/// Writes the vault's lock, access policy and notifications whose field `changed`
/// says changed (all of them after a create: each call is skipped when the spec has
/// none, as a new vault has none).
async fn set_vault_settings(
    unit: &Unit<'_>,
    spec: &BackupVaultSpec,
    changed: impl Fn(&str) -> bool,
) -> Result<(), (String, ApplyError)> {
    let fresh = unit.parent().is_some_and(|c| c.action != Action::Update);
    let (clients, name) = (unit.clients, unit.name);
    if changed("lock") && !(fresh && spec.lock.is_none()) {
        backup::set_vault_lock(clients, name, spec.lock.as_ref())
            .await
            .map_err(failed(name))?;
    }
    if changed("accessPolicy") && !(fresh && spec.access_policy.is_none()) {
        backup::set_vault_policy(clients, name, spec.access_policy.as_ref())
            .await
            .map_err(failed(name))?;
    }
    if changed("notifications") && !(fresh && spec.notifications.is_none()) {
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

pub(super) async fn run_plan(unit: &Unit<'_>) -> Result<(), (String, ApplyError)> {
    let live = chosen(&unit.live.backup_plans, unit.name, unit.instance);
    if let Some(Action::Delete) = unit.parent().map(|c| c.action) {
        let Some(live) = live else { return Ok(()) };
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
        return backup::delete_plan(unit.clients, id)
            .await
            .map_err(failed(unit.name));
    }
    let Some(ResourceSpec::BackupPlan(spec)) = unit.resource.map(|r| &r.spec) else {
        return Ok(());
    };
    let tags = unit.desired_tags(&spec.tags);
    let creating = unit.parent().is_some_and(|c| c.action == Action::Create) || live.is_none();
    let plan_id = if creating {
        let mut rules_only = spec.clone();
        rules_only.selections.clear();
        let token = unit.token("", &serde_json::to_value(&rules_only).unwrap_or_default());
        backup::create_plan(unit.clients, unit.name, spec, &tags, &token)
            .await
            .map_err(failed(unit.name))?
    } else {
        let live = live.expect("not creating, so live exists");
        let id = live.id.clone().unwrap_or_default();
        if let Some(change) = unit.parent() {
            if change.fields.iter().any(|f| !f.path.starts_with("tags")) {
                backup::update_plan(unit.clients, &id, unit.name, spec)
                    .await
                    .map_err(failed(unit.name))?;
            }
            let (add, remove) = tag_changes(&tags, &live.spec.tags);
            if let Some(arn) = &live.arn {
                if !add.is_empty() || !remove.is_empty() {
                    backup::retag(unit.clients, arn, &add, &remove)
                        .await
                        .map_err(failed(unit.name))?;
                }
            }
        }
        id
    };
    for (change, sub) in unit.subs() {
        let Some(selection_name) = sub.strip_prefix("selections/") else {
            continue;
        };
        let selection = spec.selections.iter().find(|s| s.name == selection_name);
        let old_id = live.and_then(|l| l.sub_ids.get(sub));
        if let (Action::Create | Action::Replace, Some(selection)) = (change.action, selection) {
            let token = unit.token(sub, &serde_json::to_value(selection).unwrap_or_default());
            backup::create_selection(unit.clients, &plan_id, selection, &token)
                .await
                .map_err(failed(&change.name))?;
        }
        if let (Action::Delete | Action::Replace, Some(old)) = (change.action, old_id) {
            backup::delete_selection(unit.clients, &plan_id, old)
                .await
                .map_err(failed(&change.name))?;
        }
    }
    Ok(())
}
