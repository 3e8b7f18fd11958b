//! AWS Backup writes: vaults (CreateBackupVault with CreatorRequestId and tags,
//! DeleteBackupVault, and their recovery points when the caller allows data loss:
//! ListRecoveryPointsByBackupVault + DeleteRecoveryPoint), plans (CreateBackupPlan with CreatorRequestId and tags,
//! GetBackupPlan + UpdateBackupPlan as a read-modify-write, DeleteBackupPlan), selections (CreateBackupSelection with
//! CreatorRequestId, DeleteBackupSelection), a vault's lock, access policy and
//! notifications (Put/DeleteBackupVaultLockConfiguration, Put/DeleteBackupVaultAccessPolicy,
//! Put/DeleteBackupVaultNotifications) and tags (TagResource / UntagResource).
//!
//! Every write is the inverse of the reader in `super` (`backup.rs`): what is written
//! here reads back as the same spec, up to what AWS fills in for a rule's unset
//! schedule, timezone, start and completion windows (server-chosen, "don't care" in
//! `plan::normalise`) and a vault's AWS-managed key.
//!
//! Idempotence: plan and selection creates carry the caller's token as
//! CreatorRequestId. CreateBackupVault is made idempotent by name: when the vault
//! already exists and was created with the same CreatorRequestId or carries the same
//! ownership tag value as the one being created, the create counts as done (a retry).
//! Deleting what no longer exists (`ResourceNotFoundException`) counts as done.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_backup::error::ProvideErrorMetadata;
use aws_sdk_backup::types::{
    AdvancedBackupSetting, BackupPlan, BackupPlanInput, BackupRuleInput, BackupVaultEvent,
    Condition, ConditionParameter, ConditionType, Conditions, IndexAction as AwsIndexAction,
    Lifecycle as AwsLifecycle,
};
use aws_smithy_types::error::operation::BuildError;

use super::RESOURCE_TAG_PREFIX;
use crate::{AwsError, Clients};
use driftless_core::spec::backup_plan::{BackupSelection, IndexAction, Lifecycle};
use driftless_core::spec::backup_vault::{VaultLock, VaultNotifications};
use driftless_core::spec::context::OWNERSHIP_TAG;
use driftless_core::spec::{BackupPlanSpec, BackupVaultSpec};

/// A request value that failed to build: a driftless bug (the spec types guarantee
/// every required member), reported instead of panicking.
fn built<T>(clients: &Clients, op: &'static str, r: Result<T, BuildError>) -> Result<T, AwsError> {
    r.map_err(|e| AwsError::Setup {
        target: clients.target.clone(),
        message: format!("cannot build the backup {op} request: {e}"),
        hint: "this is a driftless bug; please report it".into(),
    })
}

/// The AWS error code of a failed call, when AWS answered with one.
fn code<E: ProvideErrorMetadata, R>(err: &aws_sdk_backup::error::SdkError<E, R>) -> Option<&str> {
    err.as_service_error().and_then(|e| e.code())
}

/// A delete's result: done when it succeeded or what it deletes was already gone
/// (`ResourceNotFoundException`).
fn gone_is_done<T, E>(
    clients: &Clients,
    operation: &'static str,
    resource: &str,
    result: Result<T, aws_sdk_backup::error::SdkError<E>>,
) -> Result<(), AwsError>
where
    E: ProvideErrorMetadata + std::fmt::Debug + std::error::Error + 'static,
{
    match result {
        Ok(_) => Ok(()),
        Err(e) if code(&e) == Some("ResourceNotFoundException") => Ok(()),
        Err(e) => Err(AwsError::call(
            clients,
            "backup",
            operation,
            Some(resource),
            e,
        )),
    }
}

fn hash_map(tags: &BTreeMap<String, String>) -> HashMap<String, String> {
    tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// CreateBackupVault. `AlreadyExistsException` is done when the existing vault was
/// created with this `token` as CreatorRequestId (DescribeBackupVault) or carries the
/// same `driftless.dev/managed-by` value as `tags` (ListTags): a retry of this create,
/// or of one whose answer was lost. Otherwise the error stands.
pub async fn create_vault(
    clients: &Clients,
    name: &str,
    spec: &BackupVaultSpec,
    tags: &BTreeMap<String, String>,
    token: &str,
) -> Result<(), AwsError> {
    const OP: &str = "CreateBackupVault";
    let err = match clients
        .backup
        .create_backup_vault()
        .backup_vault_name(name)
        .set_encryption_key_arn(spec.encryption_key_arn.clone())
        .set_backup_vault_tags((!tags.is_empty()).then(|| hash_map(tags)))
        .creator_request_id(token)
        .send()
        .await
    {
        Ok(_) => return Ok(()),
        Err(e) if code(&e) == Some("AlreadyExistsException") => e,
        Err(e) => return Err(AwsError::call(clients, "backup", OP, Some(name), e)),
    };
    let existing = clients
        .backup
        .describe_backup_vault()
        .backup_vault_name(name)
        .send()
        .await
        .map_err(|e| AwsError::call(clients, "backup", "DescribeBackupVault", Some(name), e))?;
    // Created by this very request (an earlier attempt whose answer was lost).
    if existing.creator_request_id() == Some(token) {
        return Ok(());
    }
    let (Some(wanted), Some(arn)) = (tags.get(OWNERSHIP_TAG), existing.backup_vault_arn()) else {
        return Err(AwsError::call(clients, "backup", OP, Some(name), err));
    };
    let listed = clients
        .backup
        .list_tags()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| AwsError::call(clients, "backup", "ListTags", Some(arn), e))?;
    let owner = listed.tags().and_then(|t| t.get(OWNERSHIP_TAG));
    if owner == Some(wanted) {
        Ok(())
    } else {
        Err(AwsError::call(clients, "backup", OP, Some(name), err))
    }
}

/// DeleteBackupVault (it must hold no recovery points); a vault that no longer
/// exists is done.
pub async fn delete_vault(clients: &Clients, name: &str) -> Result<(), AwsError> {
    gone_is_done(
        clients,
        "DeleteBackupVault",
        name,
        clients
            .backup
            .delete_backup_vault()
            .backup_vault_name(name)
            .send()
            .await,
    )
}

/// Sets the vault's lock as `lock` says (PutBackupVaultLockConfiguration), or removes
/// it (DeleteBackupVaultLockConfiguration; none there is done). AWS refuses both once
/// the lock date of a compliance-mode lock has passed.
pub async fn set_vault_lock(
    clients: &Clients,
    name: &str,
    lock: Option<&VaultLock>,
) -> Result<(), AwsError> {
    let days = |d: Option<u32>| d.map(i64::from);
    match lock {
        Some(lock) => clients
            .backup
            .put_backup_vault_lock_configuration()
            .backup_vault_name(name)
            .set_min_retention_days(days(lock.min_retention_days))
            .set_max_retention_days(days(lock.max_retention_days))
            .set_changeable_for_days(days(lock.changeable_for_days))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                AwsError::call(
                    clients,
                    "backup",
                    "PutBackupVaultLockConfiguration",
                    Some(name),
                    e,
                )
            }),
        None => gone_is_done(
            clients,
            "DeleteBackupVaultLockConfiguration",
            name,
            clients
                .backup
                .delete_backup_vault_lock_configuration()
                .backup_vault_name(name)
                .send()
                .await,
        ),
    }
}

/// Sets the vault's access policy (PutBackupVaultAccessPolicy, the policy as JSON
/// text) or removes it (DeleteBackupVaultAccessPolicy; none there is done).
pub async fn set_vault_policy(
    clients: &Clients,
    name: &str,
    policy: Option<&serde_json::Value>,
) -> Result<(), AwsError> {
    match policy {
        Some(policy) => clients
            .backup
            .put_backup_vault_access_policy()
            .backup_vault_name(name)
            .policy(policy.to_string())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                AwsError::call(
                    clients,
                    "backup",
                    "PutBackupVaultAccessPolicy",
                    Some(name),
                    e,
                )
            }),
        None => gone_is_done(
            clients,
            "DeleteBackupVaultAccessPolicy",
            name,
            clients
                .backup
                .delete_backup_vault_access_policy()
                .backup_vault_name(name)
                .send()
                .await,
        ),
    }
}

/// Sets the vault's notifications (PutBackupVaultNotifications) or removes them
/// (DeleteBackupVaultNotifications; none there is done).
pub async fn set_vault_notifications(
    clients: &Clients,
    name: &str,
    notifications: Option<&VaultNotifications>,
) -> Result<(), AwsError> {
    match notifications {
        Some(n) => clients
            .backup
            .put_backup_vault_notifications()
            .backup_vault_name(name)
            .sns_topic_arn(&n.sns_topic_arn)
            .set_backup_vault_events(Some(
                n.events
                    .iter()
                    .map(|e| BackupVaultEvent::from(driftless_core::spec::wire_name(e).as_str()))
                    .collect(),
            ))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                AwsError::call(
                    clients,
                    "backup",
                    "PutBackupVaultNotifications",
                    Some(name),
                    e,
                )
            }),
        None => gone_is_done(
            clients,
            "DeleteBackupVaultNotifications",
            name,
            clients
                .backup
                .delete_backup_vault_notifications()
                .backup_vault_name(name)
                .send()
                .await,
        ),
    }
}

/// Deletes every recovery point in vault `name` (ListRecoveryPointsByBackupVault,
/// then DeleteRecoveryPoint each), so that DeleteBackupVault, which refuses a vault
/// that is not empty, can follow. Only for `--allow-data-loss`: the backups are gone.
/// Returns how many were deleted; one already gone counts as done.
pub async fn delete_recovery_points(clients: &Clients, name: &str) -> Result<u64, AwsError> {
    let mut pages = clients
        .backup
        .list_recovery_points_by_backup_vault()
        .backup_vault_name(name)
        .max_results(1000)
        .into_paginator()
        .send();
    let mut arns = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| {
            AwsError::call(
                clients,
                "backup",
                "ListRecoveryPointsByBackupVault",
                Some(name),
                e,
            )
        })?;
        arns.extend(
            page.recovery_points()
                .iter()
                .filter_map(|p| p.recovery_point_arn().map(str::to_string)),
        );
    }
    for arn in &arns {
        let deleted = clients
            .backup
            .delete_recovery_point()
            .backup_vault_name(name)
            .recovery_point_arn(arn)
            .send()
            .await;
        match deleted {
            Ok(_) => {}
            Err(e) if code(&e) == Some("ResourceNotFoundException") => {}
            Err(e) => {
                return Err(AwsError::call(
                    clients,
                    "backup",
                    "DeleteRecoveryPoint",
                    Some(name),
                    e,
                ))
            }
        }
    }
    Ok(arns.len() as u64)
}

/// Adds or changes `add` and removes `remove` on the vault or plan `arn`.
pub async fn retag(
    clients: &Clients,
    arn: &str,
    add: &BTreeMap<String, String>,
    remove: &[String],
) -> Result<(), AwsError> {
    if !add.is_empty() {
        clients
            .backup
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(hash_map(add)))
            .send()
            .await
            .map_err(|e| AwsError::call(clients, "backup", "TagResource", Some(arn), e))?;
    }
    if !remove.is_empty() {
        clients
            .backup
            .untag_resource()
            .resource_arn(arn)
            .set_tag_key_list(Some(remove.to_vec()))
            .send()
            .await
            .map_err(|e| AwsError::call(clients, "backup", "UntagResource", Some(arn), e))?;
    }
    Ok(())
}

fn lifecycle(lc: &Lifecycle) -> AwsLifecycle {
    AwsLifecycle::builder()
        .set_move_to_cold_storage_after_days(lc.move_to_cold_storage_after_days.map(i64::from))
        .set_delete_after_days(lc.delete_after_days.map(i64::from))
        .set_opt_in_to_archive_for_supported_resources(lc.opt_in_to_archive_for_supported_resources)
        .build()
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The plan document: its name and every rule (selections are separate resources).
fn plan_input(
    clients: &Clients,
    op: &'static str,
    name: &str,
    spec: &BackupPlanSpec,
) -> Result<BackupPlanInput, AwsError> {
    let rules = spec
        .rules
        .iter()
        .map(|r| {
            let copies = r
                .copy_actions
                .iter()
                .map(|c| {
                    built(
                        clients,
                        op,
                        aws_sdk_backup::types::CopyAction::builder()
                            .destination_backup_vault_arn(&c.destination_vault_arn)
                            .set_lifecycle(c.lifecycle.as_ref().map(lifecycle))
                            .build(),
                    )
                })
                .collect::<Result<Vec<_>, _>>()?;
            built(
                clients,
                op,
                BackupRuleInput::builder()
                    .rule_name(&r.name)
                    .target_backup_vault_name(&r.target_vault)
                    .set_schedule_expression(r.schedule.clone())
                    .set_schedule_expression_timezone(r.schedule_timezone.clone())
                    .set_start_window_minutes(r.start_window_minutes.map(to_i64))
                    .set_completion_window_minutes(r.completion_window_minutes.map(to_i64))
                    .set_lifecycle(r.lifecycle.as_ref().map(lifecycle))
                    .set_copy_actions((!copies.is_empty()).then_some(copies))
                    .set_recovery_point_tags(
                        (!r.recovery_point_tags.is_empty())
                            .then(|| hash_map(&r.recovery_point_tags)),
                    )
                    .set_enable_continuous_backup(r.enable_continuous_backup)
                    .set_index_actions(index_actions(&r.index_actions))
                    .build(),
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    let advanced: Vec<AdvancedBackupSetting> = spec
        .advanced_backup_settings
        .iter()
        .map(|a| {
            AdvancedBackupSetting::builder()
                .resource_type(&a.resource_type)
                .set_backup_options(Some(hash_map(&a.backup_options)))
                .build()
        })
        .collect();
    built(
        clients,
        op,
        BackupPlanInput::builder()
            .backup_plan_name(name)
            .set_rules(Some(rules))
            .set_advanced_backup_settings((!advanced.is_empty()).then_some(advanced))
            .build(),
    )
}

/// Creates the plan with its rules (selections excepted); returns its id.
pub async fn create_plan(
    clients: &Clients,
    name: &str,
    spec: &BackupPlanSpec,
    tags: &BTreeMap<String, String>,
    token: &str,
) -> Result<String, AwsError> {
    const OP: &str = "CreateBackupPlan";
    let out = clients
        .backup
        .create_backup_plan()
        .backup_plan(plan_input(clients, OP, name, spec)?)
        .set_backup_plan_tags((!tags.is_empty()).then(|| hash_map(tags)))
        .creator_request_id(token)
        .send()
        .await
        .map_err(|e| AwsError::call(clients, "backup", OP, Some(name), e))?;
    Ok(out.backup_plan_id().unwrap_or_default().to_string())
}

/// Sets the plan's rules as `spec` says. UpdateBackupPlan replaces the whole plan
/// document, so this is a read-modify-write: GetBackupPlan first, then every member
/// the spec leaves unset is sent back as AWS has it ([`keep_unmodelled`]).
pub async fn update_plan(
    clients: &Clients,
    id: &str,
    name: &str,
    spec: &BackupPlanSpec,
) -> Result<(), AwsError> {
    const OP: &str = "UpdateBackupPlan";
    let live = clients
        .backup
        .get_backup_plan()
        .backup_plan_id(id)
        .send()
        .await
        .map_err(|e| AwsError::call(clients, "backup", "GetBackupPlan", Some(id), e))?;
    let mut input = plan_input(clients, OP, name, spec)?;
    if let Some(live) = live.backup_plan() {
        keep_unmodelled(&mut input, live);
    }
    clients
        .backup
        .update_backup_plan()
        .backup_plan_id(id)
        .backup_plan(input)
        .send()
        .await
        .map_err(|e| AwsError::call(clients, "backup", OP, Some(id), e))?;
    Ok(())
}

fn index_actions(actions: &[IndexAction]) -> Option<Vec<AwsIndexAction>> {
    let out: Vec<AwsIndexAction> = actions
        .iter()
        .map(|a| {
            AwsIndexAction::builder()
                .set_resource_types(Some(a.resource_types.clone()))
                .build()
        })
        .collect();
    (!out.is_empty()).then_some(out)
}

/// Fills every member of `input` the spec left unset with the live plan's value:
/// the plan's ScanSettings and, per rule (matched by name), the members the format
/// does not model (TargetLogicallyAirGappedBackupVaultArn, ScanActions, a lifecycle's
/// DeleteAfterEvent, also in copies matched by destination) and the ones whose unset
/// value means "as AWS has it" (`plan::normalise::BACKUP_RULE_SERVER_CHOSEN`), which
/// UpdateBackupPlan would otherwise reset to AWS's defaults.
pub fn keep_unmodelled(input: &mut BackupPlanInput, live: &BackupPlan) {
    if input.scan_settings.is_none() && !live.scan_settings().is_empty() {
        input.scan_settings = Some(live.scan_settings().to_vec());
    }
    for rule in &mut input.rules {
        let Some(was) = live.rules().iter().find(|r| r.rule_name == rule.rule_name) else {
            continue;
        };
        keep(
            &mut rule.target_logically_air_gapped_backup_vault_arn,
            &was.target_logically_air_gapped_backup_vault_arn,
        );
        keep(&mut rule.scan_actions, &was.scan_actions);
        keep(&mut rule.schedule_expression, &was.schedule_expression);
        keep(
            &mut rule.schedule_expression_timezone,
            &was.schedule_expression_timezone,
        );
        keep(&mut rule.start_window_minutes, &was.start_window_minutes);
        keep(
            &mut rule.completion_window_minutes,
            &was.completion_window_minutes,
        );
        keep(
            &mut rule.enable_continuous_backup,
            &was.enable_continuous_backup,
        );
        keep_after_event(&mut rule.lifecycle, &was.lifecycle);
        for copy in rule.copy_actions.iter_mut().flatten() {
            let was_copy = was
                .copy_actions()
                .iter()
                .find(|c| c.destination_backup_vault_arn == copy.destination_backup_vault_arn);
            if let Some(was_copy) = was_copy {
                keep_after_event(&mut copy.lifecycle, &was_copy.lifecycle);
            }
        }
    }
}

/// `slot` takes `live`'s value when the spec left it unset.
fn keep<T: Clone>(slot: &mut Option<T>, live: &Option<T>) {
    if slot.is_none() {
        slot.clone_from(live);
    }
}

/// A lifecycle the spec sets keeps the live DeleteAfterEvent (the format has no field).
fn keep_after_event(slot: &mut Option<AwsLifecycle>, live: &Option<AwsLifecycle>) {
    if let (Some(lc), Some(was)) = (slot.as_mut(), live.as_ref()) {
        keep(&mut lc.delete_after_event, &was.delete_after_event);
    }
}

/// DeleteBackupPlan (its selections must be deleted first); a plan that no longer
/// exists is done.
pub async fn delete_plan(clients: &Clients, id: &str) -> Result<(), AwsError> {
    gone_is_done(
        clients,
        "DeleteBackupPlan",
        id,
        clients
            .backup
            .delete_backup_plan()
            .backup_plan_id(id)
            .send()
            .await,
    )
}

/// `key → value` pairs as condition parameters on `aws:ResourceTag/<key>`.
fn condition_params<'a>(
    pairs: impl Iterator<Item = (&'a String, &'a String)>,
) -> Option<Vec<ConditionParameter>> {
    let params: Vec<ConditionParameter> = pairs
        .map(|(k, v)| {
            ConditionParameter::builder()
                .condition_key(format!("{RESOURCE_TAG_PREFIX}{k}"))
                .condition_value(v)
                .build()
        })
        .collect();
    (!params.is_empty()).then_some(params)
}

/// The selection's `Conditions`: `tags` and `conditions.stringEquals` together as
/// StringEquals, the other operators as theirs.
fn selection_conditions(selection: &BackupSelection) -> Option<Conditions> {
    let c = selection.conditions.clone().unwrap_or_default();
    let equals = condition_params(selection.tags.iter().chain(c.string_equals.iter()));
    let not_equals = condition_params(c.string_not_equals.iter());
    let like = condition_params(c.string_like.iter());
    let not_like = condition_params(c.string_not_like.iter());
    let any = [&equals, &not_equals, &like, &not_like]
        .iter()
        .any(|p| p.is_some());
    any.then(|| {
        Conditions::builder()
            .set_string_equals(equals)
            .set_string_not_equals(not_equals)
            .set_string_like(like)
            .set_string_not_like(not_like)
            .build()
    })
}

/// Creates a selection; returns its SelectionId.
///
/// `tags` and `conditions` become `Conditions`, keyed `aws:ResourceTag/<key>` (as
/// AWS requires there, and the reader strips it); `anyOfTags` become `ListOfTags`
/// (`STRINGEQUALS`, one per value), keyed as the spec holds the key, which is AWS's
/// own `ConditionKey` when imported or read (the tag key, as AWS's API reference
/// writes it, or `aws:ResourceTag/<key>`), so a selection created again keeps it.
pub async fn create_selection(
    clients: &Clients,
    plan_id: &str,
    selection: &BackupSelection,
    token: &str,
) -> Result<String, AwsError> {
    const OP: &str = "CreateBackupSelection";
    let resource = format!("{plan_id}/{}", selection.name);
    let conditions = selection_conditions(selection);
    let any_of = selection
        .any_of_tags
        .iter()
        .flat_map(|(k, v)| v.values().into_iter().map(move |v| (k, v)))
        .map(|(k, v)| {
            built(
                clients,
                OP,
                Condition::builder()
                    .condition_type(ConditionType::Stringequals)
                    .condition_key(k)
                    .condition_value(v)
                    .build(),
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    let doc = built(
        clients,
        OP,
        aws_sdk_backup::types::BackupSelection::builder()
            .selection_name(&selection.name)
            .iam_role_arn(&selection.iam_role_arn)
            .set_resources((!selection.resources.is_empty()).then(|| selection.resources.clone()))
            .set_not_resources(
                (!selection.not_resources.is_empty()).then(|| selection.not_resources.clone()),
            )
            .set_conditions(conditions)
            .set_list_of_tags((!any_of.is_empty()).then_some(any_of))
            .build(),
    )?;
    let out = clients
        .backup
        .create_backup_selection()
        .backup_plan_id(plan_id)
        .backup_selection(doc)
        .creator_request_id(token)
        .send()
        .await
        .map_err(|e| AwsError::call(clients, "backup", OP, Some(&resource), e))?;
    Ok(out.selection_id().unwrap_or_default().to_string())
}

/// DeleteBackupSelection; a selection that no longer exists is done.
pub async fn delete_selection(
    clients: &Clients,
    plan_id: &str,
    selection_id: &str,
) -> Result<(), AwsError> {
    gone_is_done(
        clients,
        "DeleteBackupSelection",
        &format!("{plan_id}/{selection_id}"),
        clients
            .backup
            .delete_backup_selection()
            .backup_plan_id(plan_id)
            .selection_id(selection_id)
            .send()
            .await,
    )
}
