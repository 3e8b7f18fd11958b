//! SSM writes: patch baselines (CreatePatchBaseline with ClientToken and Tags,
//! UpdatePatchBaseline, DeletePatchBaseline), patch-group registration, the default
//! baseline, maintenance windows with their targets and tasks (ClientToken on every
//! create/register), and tags (AddTagsToResource / RemoveTagsFromResource).
//!
//! Every write is the inverse of the reader in `super` (`ssm.rs`): what is written
//! here reads back as the same spec, up to the values AWS fills in when a field is
//! left unset (compliance levels `UNSPECIFIED`, rejected-patches action
//! `ALLOW_AS_DEPENDENCY`, `approvedPatchesEnableNonSecurity: false`, task priority 1,
//! window `enabled: true`), which `plan::normalise` writes out on both sides.
//!
//! Updates never lose a setting (docs/design/windows.md, "Updates keep what the
//! format does not model"): every update goes without `Replace` (AWS then keeps each
//! member the request leaves out) and clears a field the spec dropped by sending its
//! empty or default value; `Replace=true` only when a dropped field has no such value
//! (a description, a date, a time zone, an offset, a baseline's available-security
//! status, a task's role or limits), and then every member it resets is modelled or
//! sent back as AWS has it. Baseline and task updates read the resource first
//! (GetPatchBaseline, GetMaintenanceWindowTask). A target or task import keyed by its
//! AWS id is never given that id as its `Name` ([`unnamed`]).
//!
//! Idempotence: creates and registrations carry the caller's token as ClientToken, so
//! a retried call returns the id of the first one. Registering a patch group that is
//! already registered to the same baseline, deregistering one that is not registered,
//! and deregistering a window target or task that no longer exists count as done.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_ssm::error::ProvideErrorMetadata;
use aws_sdk_ssm::operation::get_maintenance_window_task::GetMaintenanceWindowTaskOutput;
use aws_sdk_ssm::operation::get_patch_baseline::GetPatchBaselineOutput;
use aws_sdk_ssm::types::{
    AlarmConfiguration, MaintenanceWindowResourceType, MaintenanceWindowTaskCutoffBehavior,
    MaintenanceWindowTaskInvocationParameters, MaintenanceWindowTaskParameterValueExpression,
    MaintenanceWindowTaskType, PatchAction, PatchComplianceLevel, PatchComplianceStatus,
    PatchFilter, PatchFilterGroup, PatchFilterKey, PatchRuleGroup, ResourceTypeForTagging, Tag,
    Target,
};
use aws_smithy_types::error::operation::BuildError;
use serde::Serialize;

use super::{
    invocation, TARGET_INSTANCE_IDS, TARGET_RESOURCE_GROUP, TARGET_RESOURCE_TYPE_FILTERS,
    TARGET_TAG_KEY, TARGET_TAG_PREFIX, TASK_TARGET_WINDOW_TARGETS,
};
use crate::{AwsError, Clients};
use driftless_core::spec::maintenance_window::{CutoffBehavior, WindowTarget, WindowTask};
use driftless_core::spec::patch_baseline::{PatchRule, PatchSource};
use driftless_core::spec::{wire_name, MaintenanceWindowSpec, PatchBaselineSpec};

/// SSM resource types that carry tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagTarget {
    PatchBaseline,
    MaintenanceWindow,
    Association,
}

impl TagTarget {
    fn resource_type(self) -> ResourceTypeForTagging {
        match self {
            TagTarget::PatchBaseline => ResourceTypeForTagging::PatchBaseline,
            TagTarget::MaintenanceWindow => ResourceTypeForTagging::MaintenanceWindow,
            TagTarget::Association => ResourceTypeForTagging::Association,
        }
    }
}

/// An SDK enum from a crate enum, through the AWS wire name both share.
pub(super) fn wire<T: for<'a> From<&'a str>>(value: &impl Serialize) -> T {
    T::from(wire_name(value).as_str())
}

/// A request value that failed to build: a driftless bug (the spec types guarantee
/// every required member), reported instead of panicking.
pub(super) fn built<T>(
    clients: &Clients,
    op: &'static str,
    r: Result<T, BuildError>,
) -> Result<T, AwsError> {
    r.map_err(|e| AwsError::Setup {
        target: clients.target.clone(),
        message: format!("cannot build the ssm {op} request: {e}"),
        hint: "this is a driftless bug; please report it".into(),
    })
}

/// The AWS error code of a failed call, when AWS answered with one.
pub(super) fn code<E: ProvideErrorMetadata, R>(
    err: &aws_sdk_ssm::error::SdkError<E, R>,
) -> Option<&str> {
    err.as_service_error().and_then(|e| e.code())
}

pub(super) fn ssm_tags(
    clients: &Clients,
    op: &'static str,
    tags: &BTreeMap<String, String>,
) -> Result<Vec<Tag>, AwsError> {
    tags.iter()
        .map(|(k, v)| built(clients, op, Tag::builder().key(k).value(v).build()))
        .collect()
}

/// A filter map (key → values) as a PatchFilterGroup; `None` when empty. The filters
/// go in the order of `like` (the live group, on an update: AWS keeps the order it
/// was given, which a map does not hold), keys it lacks after them.
fn filter_group(
    clients: &Clients,
    op: &'static str,
    filters: &BTreeMap<String, Vec<String>>,
    like: Option<&PatchFilterGroup>,
) -> Result<Option<PatchFilterGroup>, AwsError> {
    if filters.is_empty() {
        return Ok(None);
    }
    let order: Vec<&str> = like
        .map(|g| g.patch_filters().iter().map(|f| f.key().as_str()).collect())
        .unwrap_or_default();
    let mut keys: Vec<&String> = filters.keys().collect();
    keys.sort_by_key(|k| order.iter().position(|o| o == k).unwrap_or(order.len()));
    let filters = keys
        .into_iter()
        .map(|key| {
            built(
                clients,
                op,
                PatchFilter::builder()
                    .key(PatchFilterKey::from(key.as_str()))
                    .set_values(Some(filters[key].clone()))
                    .build(),
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    built(
        clients,
        op,
        PatchFilterGroup::builder()
            .set_patch_filters(Some(filters))
            .build(),
    )
    .map(Some)
}

/// The approval rules as a PatchRuleGroup; `None` when there are none. Each rule's
/// filters go in the order of the same rule of `like` (see [`filter_group`]).
fn rule_group(
    clients: &Clients,
    op: &'static str,
    rules: &[PatchRule],
    like: Option<&PatchRuleGroup>,
) -> Result<Option<PatchRuleGroup>, AwsError> {
    if rules.is_empty() {
        return Ok(None);
    }
    let live_rules = like.map(|g| g.patch_rules()).unwrap_or_default();
    let rules = rules
        .iter()
        .enumerate()
        .map(|(i, rule)| {
            let like = live_rules.get(i).and_then(|r| r.patch_filter_group());
            Ok(aws_sdk_ssm::types::PatchRule::builder()
                .set_patch_filter_group(filter_group(clients, op, &rule.patch_filters, like)?)
                .set_approve_after_days(rule.approve_after_days.map(to_i32))
                .set_approve_until_date(rule.approve_until_date.clone())
                .set_compliance_level(
                    rule.compliance_level
                        .as_ref()
                        .map(wire::<PatchComplianceLevel>),
                )
                .set_enable_non_security(rule.enable_non_security)
                .build())
        })
        .collect::<Result<Vec<_>, AwsError>>()?;
    built(
        clients,
        op,
        PatchRuleGroup::builder()
            .set_patch_rules(Some(rules))
            .build(),
    )
    .map(Some)
}

fn sources(
    clients: &Clients,
    op: &'static str,
    sources: &[PatchSource],
) -> Result<Vec<aws_sdk_ssm::types::PatchSource>, AwsError> {
    sources
        .iter()
        .map(|s| {
            built(
                clients,
                op,
                aws_sdk_ssm::types::PatchSource::builder()
                    .name(&s.name)
                    .set_products(Some(s.products.clone()))
                    .configuration(&s.configuration)
                    .build(),
            )
        })
        .collect()
}

fn to_i32(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Creates the baseline (without its patch groups); returns its id.
pub async fn create_patch_baseline(
    clients: &Clients,
    name: &str,
    spec: &PatchBaselineSpec,
    tags: &BTreeMap<String, String>,
    token: &str,
) -> Result<String, AwsError> {
    const OP: &str = "CreatePatchBaseline";
    let out = clients
        .ssm
        .create_patch_baseline()
        .name(name)
        .operating_system(wire(&spec.operating_system))
        .set_description(spec.description.clone())
        .set_approval_rules(rule_group(clients, OP, &spec.approval_rules, None)?)
        .set_global_filters(filter_group(clients, OP, &spec.global_filters, None)?)
        .set_approved_patches(non_empty(&spec.approved_patches))
        .set_approved_patches_compliance_level(
            spec.approved_patches_compliance_level
                .as_ref()
                .map(wire::<PatchComplianceLevel>),
        )
        .set_approved_patches_enable_non_security(spec.approved_patches_enable_non_security)
        .set_rejected_patches(non_empty(&spec.rejected_patches))
        .set_rejected_patches_action(
            spec.rejected_patches_action
                .as_ref()
                .map(wire::<PatchAction>),
        )
        .set_sources(Some(sources(clients, OP, &spec.sources)?).filter(|s| !s.is_empty()))
        .set_available_security_updates_compliance_status(
            spec.available_security_updates_compliance_status
                .as_ref()
                .map(wire::<PatchComplianceStatus>),
        )
        .client_token(token)
        .set_tags(Some(ssm_tags(clients, OP, tags)?).filter(|t| !t.is_empty()))
        .send()
        .await
        .map_err(|e| AwsError::call(clients, "ssm", OP, Some(name), e))?;
    Ok(out.baseline_id().unwrap_or_default().to_string())
}

fn non_empty(list: &[String]) -> Option<Vec<String>> {
    (!list.is_empty()).then(|| list.to_vec())
}

/// Whether a baseline update must use `Replace=true`: only to clear the description
/// or the available-security-updates status, which no value but absence clears
/// (BaselineDescription is 1 to 1,024 characters, the status an enum). Every other
/// member is cleared by sending its empty or default value.
pub fn baseline_needs_replace(spec: &PatchBaselineSpec, live: &GetPatchBaselineOutput) -> bool {
    (spec.description.is_none() && live.description().is_some())
        || (spec.available_security_updates_compliance_status.is_none()
            && live
                .available_security_updates_compliance_status()
                .is_some())
}

/// The spec's value; when it has none, AWS's `default` if the live value is another
/// (sent to clear it), else nothing (the live value stays as AWS has it).
fn or_reset<T: PartialEq>(spec: Option<T>, live: Option<T>, default: T) -> Option<T> {
    spec.or_else(|| live.filter(|l| *l != default).map(|_| default))
}

/// A list the spec sets, or an empty one that clears the live list; nothing when both
/// are empty.
fn list_or_clear(spec: &[String], live: &[String]) -> Option<Vec<String>> {
    (!spec.is_empty() || !live.is_empty()).then(|| spec.to_vec())
}

/// GetPatchBaseline of `id`.
async fn get_baseline(clients: &Clients, id: &str) -> Result<GetPatchBaselineOutput, AwsError> {
    clients
        .ssm
        .get_patch_baseline()
        .baseline_id(id)
        .send()
        .await
        .map_err(|e| AwsError::call(clients, "ssm", "GetPatchBaseline", Some(id), e))
}

/// The approval rules and global filters an update sends: the spec's, in the live
/// filters' order, or an empty group that clears the live one; nothing when both are
/// empty.
fn baseline_groups(
    clients: &Clients,
    op: &'static str,
    spec: &PatchBaselineSpec,
    live: &GetPatchBaselineOutput,
) -> Result<(Option<PatchRuleGroup>, Option<PatchFilterGroup>), AwsError> {
    let rules = match rule_group(clients, op, &spec.approval_rules, live.approval_rules())? {
        None if live
            .approval_rules()
            .is_some_and(|g| !g.patch_rules().is_empty()) =>
        {
            let empty = PatchRuleGroup::builder().set_patch_rules(Some(Vec::new()));
            Some(built(clients, op, empty.build())?)
        }
        rules => rules,
    };
    let global = match filter_group(clients, op, &spec.global_filters, live.global_filters())? {
        None if live
            .global_filters()
            .is_some_and(|g| !g.patch_filters().is_empty()) =>
        {
            let empty = PatchFilterGroup::builder().set_patch_filters(Some(Vec::new()));
            Some(built(clients, op, empty.build())?)
        }
        filters => filters,
    };
    Ok((rules, global))
}

/// Sets every modelled field of the baseline `id` as `spec` says, tags and patch
/// groups excepted. Read-modify-write: GetPatchBaseline first.
///
/// Without `Replace`, AWS leaves each member the request leaves out as it is, so a
/// setting this driftless does not know (one AWS adds later) survives. A field the
/// spec dropped is cleared by its empty value (lists, filter and rule groups) or
/// AWS's default (compliance level, rejected-patches action, non-security flag);
/// `Replace=true` only for [`baseline_needs_replace`], and every member it would reset
/// is one the format models (the whole UpdatePatchBaseline request), sent from the
/// spec. Patch filters keep the live order ([`filter_group`]).
pub async fn update_patch_baseline(
    clients: &Clients,
    id: &str,
    name: &str,
    spec: &PatchBaselineSpec,
) -> Result<(), AwsError> {
    const OP: &str = "UpdatePatchBaseline";
    let live = get_baseline(clients, id).await?;
    let (rules, global) = baseline_groups(clients, OP, spec, &live)?;
    let level = or_reset(
        spec.approved_patches_compliance_level
            .as_ref()
            .map(wire::<PatchComplianceLevel>),
        live.approved_patches_compliance_level().cloned(),
        PatchComplianceLevel::Unspecified,
    );
    let action = or_reset(
        spec.rejected_patches_action
            .as_ref()
            .map(wire::<PatchAction>),
        live.rejected_patches_action().cloned(),
        PatchAction::AllowAsDependency,
    );
    let non_security = or_reset(
        spec.approved_patches_enable_non_security,
        live.approved_patches_enable_non_security(),
        false,
    );
    let sources = (!spec.sources.is_empty() || !live.sources().is_empty())
        .then(|| sources(clients, OP, &spec.sources))
        .transpose()?;
    clients
        .ssm
        .update_patch_baseline()
        .baseline_id(id)
        .name(name)
        .set_description(spec.description.clone())
        .set_approval_rules(rules)
        .set_global_filters(global)
        .set_approved_patches(list_or_clear(
            &spec.approved_patches,
            live.approved_patches(),
        ))
        .set_approved_patches_compliance_level(level)
        .set_approved_patches_enable_non_security(non_security)
        .set_rejected_patches(list_or_clear(
            &spec.rejected_patches,
            live.rejected_patches(),
        ))
        .set_rejected_patches_action(action)
        .set_sources(sources)
        .set_available_security_updates_compliance_status(
            spec.available_security_updates_compliance_status
                .as_ref()
                .map(wire::<PatchComplianceStatus>),
        )
        .set_replace(baseline_needs_replace(spec, &live).then_some(true))
        .send()
        .await
        .map_err(|e| AwsError::call(clients, "ssm", OP, Some(id), e))?;
    Ok(())
}

/// DeletePatchBaseline (AWS answers success for an id that no longer exists). The
/// baseline must first be deregistered from its patch groups and not be a default.
pub async fn delete_patch_baseline(clients: &Clients, id: &str) -> Result<(), AwsError> {
    clients
        .ssm
        .delete_patch_baseline()
        .baseline_id(id)
        .send()
        .await
        .map_err(|e| AwsError::call(clients, "ssm", "DeletePatchBaseline", Some(id), e))?;
    Ok(())
}

/// RegisterPatchBaselineForPatchGroup. `AlreadyExistsException` is done when the
/// group is registered to this very baseline (a retry); otherwise it stands (another
/// baseline of the same OS holds the group).
pub async fn register_patch_group(
    clients: &Clients,
    id: &str,
    group: &str,
) -> Result<(), AwsError> {
    const OP: &str = "RegisterPatchBaselineForPatchGroup";
    let resource = format!("{id}/{group}");
    match clients
        .ssm
        .register_patch_baseline_for_patch_group()
        .baseline_id(id)
        .patch_group(group)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if code(&e) == Some("AlreadyExistsException") => {
            let got = clients
                .ssm
                .get_patch_baseline()
                .baseline_id(id)
                .send()
                .await
                .map_err(|e| AwsError::call(clients, "ssm", "GetPatchBaseline", Some(id), e))?;
            if got.patch_groups().iter().any(|g| g == group) {
                Ok(())
            } else {
                Err(AwsError::call(clients, "ssm", OP, Some(&resource), e))
            }
        }
        Err(e) => Err(AwsError::call(clients, "ssm", OP, Some(&resource), e)),
    }
}

/// DeregisterPatchBaselineForPatchGroup; `DoesNotExistException` (not registered) is done.
pub async fn deregister_patch_group(
    clients: &Clients,
    id: &str,
    group: &str,
) -> Result<(), AwsError> {
    match clients
        .ssm
        .deregister_patch_baseline_for_patch_group()
        .baseline_id(id)
        .patch_group(group)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if code(&e) == Some("DoesNotExistException") => Ok(()),
        Err(e) => Err(AwsError::call(
            clients,
            "ssm",
            "DeregisterPatchBaselineForPatchGroup",
            Some(&format!("{id}/{group}")),
            e,
        )),
    }
}

/// RegisterDefaultPatchBaseline: makes `id` the default of its operating system.
pub async fn register_default_baseline(clients: &Clients, id: &str) -> Result<(), AwsError> {
    clients
        .ssm
        .register_default_patch_baseline()
        .baseline_id(id)
        .send()
        .await
        .map_err(|e| AwsError::call(clients, "ssm", "RegisterDefaultPatchBaseline", Some(id), e))?;
    Ok(())
}

/// Adds or changes `add` and removes `remove` on the resource `id`.
pub async fn retag(
    clients: &Clients,
    kind: TagTarget,
    id: &str,
    add: &BTreeMap<String, String>,
    remove: &[String],
) -> Result<(), AwsError> {
    if !add.is_empty() {
        const OP: &str = "AddTagsToResource";
        clients
            .ssm
            .add_tags_to_resource()
            .resource_type(kind.resource_type())
            .resource_id(id)
            .set_tags(Some(ssm_tags(clients, OP, add)?))
            .send()
            .await
            .map_err(|e| AwsError::call(clients, "ssm", OP, Some(id), e))?;
    }
    if !remove.is_empty() {
        clients
            .ssm
            .remove_tags_from_resource()
            .resource_type(kind.resource_type())
            .resource_id(id)
            .set_tag_keys(Some(remove.to_vec()))
            .send()
            .await
            .map_err(|e| AwsError::call(clients, "ssm", "RemoveTagsFromResource", Some(id), e))?;
    }
    Ok(())
}

/// Creates the window (without targets and tasks); returns its id.
///
/// CreateMaintenanceWindow has no `Enabled`: a window the spec disables is created
/// enabled, then disabled with UpdateMaintenanceWindow (without Replace). Until that
/// second call it is enabled but has no targets or tasks, so it runs nothing.
pub async fn create_window(
    clients: &Clients,
    name: &str,
    spec: &MaintenanceWindowSpec,
    tags: &BTreeMap<String, String>,
    token: &str,
) -> Result<String, AwsError> {
    const OP: &str = "CreateMaintenanceWindow";
    let out = clients
        .ssm
        .create_maintenance_window()
        .name(name)
        .set_description(spec.description.clone())
        .schedule(&spec.schedule)
        .set_schedule_timezone(spec.schedule_timezone.clone())
        .set_schedule_offset(spec.schedule_offset.map(to_i32))
        .duration(to_i32(spec.duration))
        .cutoff(to_i32(spec.cutoff))
        .set_start_date(spec.start_date.clone())
        .set_end_date(spec.end_date.clone())
        .allow_unassociated_targets(spec.allow_unassociated_targets)
        .client_token(token)
        .set_tags(Some(ssm_tags(clients, OP, tags)?).filter(|t| !t.is_empty()))
        .send()
        .await
        .map_err(|e| AwsError::call(clients, "ssm", OP, Some(name), e))?;
    let id = out.window_id().unwrap_or_default().to_string();
    if spec.enabled == Some(false) {
        clients
            .ssm
            .update_maintenance_window()
            .window_id(&id)
            .enabled(false)
            .send()
            .await
            .map_err(|e| AwsError::call(clients, "ssm", "UpdateMaintenanceWindow", Some(&id), e))?;
    }
    Ok(id)
}

/// Whether a window update must use `Replace=true`: only to clear a field the spec
/// dropped that no value but absence clears (description, start and end dates, time
/// zone, schedule offset; an offset of 0 is no offset).
pub fn window_needs_replace(spec: &MaintenanceWindowSpec, live: &MaintenanceWindowSpec) -> bool {
    let dropped = |s: bool, l: bool| !s && l;
    dropped(spec.description.is_some(), live.description.is_some())
        || dropped(spec.start_date.is_some(), live.start_date.is_some())
        || dropped(spec.end_date.is_some(), live.end_date.is_some())
        || dropped(
            spec.schedule_timezone.is_some(),
            live.schedule_timezone.is_some(),
        )
        || dropped(
            spec.schedule_offset.is_some_and(|o| o > 0),
            live.schedule_offset.is_some_and(|o| o > 0),
        )
}

/// Sets the window's own fields, targets, tasks and tags excepted; `live` is the
/// window as the plan read it. `enabled` unset means enabled.
///
/// Without `Replace` (AWS keeps what the request leaves out), except for
/// [`window_needs_replace`]: every member of UpdateMaintenanceWindow is modelled and
/// sent, so Replace resets only what the spec leaves unset.
pub async fn update_window(
    clients: &Clients,
    id: &str,
    name: &str,
    spec: &MaintenanceWindowSpec,
    live: &MaintenanceWindowSpec,
) -> Result<(), AwsError> {
    clients
        .ssm
        .update_maintenance_window()
        .window_id(id)
        .name(name)
        .set_description(spec.description.clone())
        .schedule(&spec.schedule)
        .set_schedule_timezone(spec.schedule_timezone.clone())
        .set_schedule_offset(spec.schedule_offset.map(to_i32))
        .duration(to_i32(spec.duration))
        .cutoff(to_i32(spec.cutoff))
        .set_start_date(spec.start_date.clone())
        .set_end_date(spec.end_date.clone())
        .allow_unassociated_targets(spec.allow_unassociated_targets)
        .enabled(spec.enabled.unwrap_or(true))
        .set_replace(window_needs_replace(spec, live).then_some(true))
        .send()
        .await
        .map_err(|e| AwsError::call(clients, "ssm", "UpdateMaintenanceWindow", Some(id), e))?;
    Ok(())
}

/// DeleteMaintenanceWindow (with its targets and tasks; AWS answers success for an id
/// that no longer exists).
pub async fn delete_window(clients: &Clients, id: &str) -> Result<(), AwsError> {
    clients
        .ssm
        .delete_maintenance_window()
        .window_id(id)
        .send()
        .await
        .map_err(|e| AwsError::call(clients, "ssm", "DeleteMaintenanceWindow", Some(id), e))?;
    Ok(())
}

/// A window target's `Targets`: `tag:<Key>` per tag, `tag-key`, `InstanceIds`,
/// `resource-groups:Name` and `resource-groups:ResourceTypeFilters`, exactly what the
/// reader's `add_target` takes apart.
fn window_targets(target: &WindowTarget) -> Vec<Target> {
    let mut out: Vec<Target> = target
        .tags
        .iter()
        .map(|(key, value)| {
            Target::builder()
                .key(format!("{TARGET_TAG_PREFIX}{key}"))
                .set_values(Some(value.values()))
                .build()
        })
        .collect();
    for (key, values) in [
        (TARGET_TAG_KEY, &target.tag_keys),
        (TARGET_INSTANCE_IDS, &target.instance_ids),
    ] {
        if !values.is_empty() {
            out.push(
                Target::builder()
                    .key(key)
                    .set_values(Some(values.clone()))
                    .build(),
            );
        }
    }
    if let Some(group) = &target.resource_group {
        out.push(
            Target::builder()
                .key(TARGET_RESOURCE_GROUP)
                .values(group)
                .build(),
        );
    }
    if !target.resource_type_filters.is_empty() {
        out.push(
            Target::builder()
                .key(TARGET_RESOURCE_TYPE_FILTERS)
                .set_values(Some(target.resource_type_filters.clone()))
                .build(),
        );
    }
    out
}

/// Registers a target; returns its WindowTargetId.
pub async fn register_window_target(
    clients: &Clients,
    window_id: &str,
    target: &WindowTarget,
    token: &str,
) -> Result<String, AwsError> {
    let out = clients
        .ssm
        .register_target_with_maintenance_window()
        .window_id(window_id)
        .resource_type(wire::<MaintenanceWindowResourceType>(&target.resource_type))
        .set_targets(Some(window_targets(target)))
        .name(&target.name)
        .set_description(target.description.clone())
        .set_owner_information(target.owner_information.clone())
        .client_token(token)
        .send()
        .await
        .map_err(|e| {
            AwsError::call(
                clients,
                "ssm",
                "RegisterTargetWithMaintenanceWindow",
                Some(&format!("{window_id}/{}", target.name)),
                e,
            )
        })?;
    Ok(out.window_target_id().unwrap_or_default().to_string())
}

/// Whether the target named `name` in the spec is one AWS has no name for: import
/// keys such a target (or task) by its AWS id, and that key is never written into
/// AWS's `Name` (docs/design/windows.md, "Unnamed targets and tasks").
pub fn unnamed(name: &str, id: &str) -> bool {
    name == id
}

/// UpdateMaintenanceWindowTarget; `live` is the target as the plan read it.
/// `resourceType` cannot be updated in AWS: a change of it needs a new registration.
///
/// Without `Replace`, unless the spec dropped the description or the owner
/// information (no value but absence clears them); every member of the request is
/// modelled. A target AWS has no name for ([`unnamed`]) is sent without one.
pub async fn update_window_target(
    clients: &Clients,
    window_id: &str,
    target_id: &str,
    target: &WindowTarget,
    live: &WindowTarget,
) -> Result<(), AwsError> {
    let replace = (target.description.is_none() && live.description.is_some())
        || (target.owner_information.is_none() && live.owner_information.is_some());
    clients
        .ssm
        .update_maintenance_window_target()
        .window_id(window_id)
        .window_target_id(target_id)
        .set_targets(Some(window_targets(target)))
        .set_name((!unnamed(&target.name, target_id)).then(|| target.name.clone()))
        .set_description(target.description.clone())
        .set_owner_information(target.owner_information.clone())
        .set_replace(replace.then_some(true))
        .send()
        .await
        .map_err(|e| {
            AwsError::call(
                clients,
                "ssm",
                "UpdateMaintenanceWindowTarget",
                Some(&format!("{window_id}/{target_id}")),
                e,
            )
        })?;
    Ok(())
}

/// DeregisterTargetFromMaintenanceWindow with `Safe=false`: apply deregisters (or
/// updates) the tasks naming a target before the target itself, so the safety check
/// would only get in the way of a task AWS has not yet let go of. A target that no
/// longer exists (`DoesNotExistException`) is done.
pub async fn deregister_window_target(
    clients: &Clients,
    window_id: &str,
    target_id: &str,
) -> Result<(), AwsError> {
    match clients
        .ssm
        .deregister_target_from_maintenance_window()
        .window_id(window_id)
        .window_target_id(target_id)
        .safe(false)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if code(&e) == Some("DoesNotExistException") => Ok(()),
        Err(e) => Err(AwsError::call(
            clients,
            "ssm",
            "DeregisterTargetFromMaintenanceWindow",
            Some(&format!("{window_id}/{target_id}")),
            e,
        )),
    }
}

/// A task's `Targets`: its window targets' ids, or its own instance ids.
fn task_targets(task: &WindowTask, target_ids: &[String]) -> Vec<Target> {
    let (key, values) = if task.instance_ids.is_empty() {
        (TASK_TARGET_WINDOW_TARGETS, target_ids)
    } else {
        (TARGET_INSTANCE_IDS, task.instance_ids.as_slice())
    };
    if values.is_empty() {
        return Vec::new();
    }
    vec![Target::builder()
        .key(key)
        .set_values(Some(values.to_vec()))
        .build()]
}

/// What a task registered again (its type changed: AWS cannot update a task's type)
/// carries over from the task it replaces that the format does not model and that is
/// not type-specific: its `AlarmConfiguration`. (`LoggingInfo` is not carried: it is
/// for Run Command tasks only, as the invocation parameters are.) Empty for a new task.
#[derive(Debug, Default, Clone)]
pub struct CarriedTask {
    alarm_configuration: Option<AlarmConfiguration>,
}

/// What the live task `task_id` hands on to the task that replaces it ([`CarriedTask`]);
/// read before it is deregistered.
pub async fn carried_task(
    clients: &Clients,
    window_id: &str,
    task_id: &str,
) -> Result<CarriedTask, AwsError> {
    let got = get_task(clients, window_id, task_id).await?;
    Ok(CarriedTask {
        alarm_configuration: got.alarm_configuration().cloned(),
    })
}

/// Registers a task on the targets `target_ids`, with what `carried` holds from the
/// task it replaces; returns its WindowTaskId.
pub async fn register_window_task(
    clients: &Clients,
    window_id: &str,
    task: &WindowTask,
    target_ids: &[String],
    carried: &CarriedTask,
    token: &str,
) -> Result<String, AwsError> {
    let targets = task_targets(task, target_ids);
    let out = clients
        .ssm
        .register_task_with_maintenance_window()
        .window_id(window_id)
        .set_alarm_configuration(carried.alarm_configuration.clone())
        .set_targets((!targets.is_empty()).then_some(targets))
        .task_arn(&task.task_arn)
        .task_type(wire::<MaintenanceWindowTaskType>(&task.task_type))
        .set_priority(task.priority.map(to_i32))
        .set_max_concurrency(task.max_concurrency.clone())
        .set_max_errors(task.max_errors.clone())
        .set_cutoff_behavior(
            task.cutoff_behavior
                .as_ref()
                .map(wire::<MaintenanceWindowTaskCutoffBehavior>),
        )
        .set_service_role_arn(task.service_role_arn.clone())
        .name(&task.name)
        .set_description(task.description.clone())
        .set_task_invocation_parameters(invocation::to_sdk(task))
        .client_token(token)
        .send()
        .await
        .map_err(|e| {
            AwsError::call(
                clients,
                "ssm",
                "RegisterTaskWithMaintenanceWindow",
                Some(&format!("{window_id}/{}", task.name)),
                e,
            )
        })?;
    Ok(out.window_task_id().unwrap_or_default().to_string())
}

/// GetMaintenanceWindowTask: the task as AWS holds it now.
async fn get_task(
    clients: &Clients,
    window_id: &str,
    task_id: &str,
) -> Result<GetMaintenanceWindowTaskOutput, AwsError> {
    clients
        .ssm
        .get_maintenance_window_task()
        .window_id(window_id)
        .window_task_id(task_id)
        .send()
        .await
        .map_err(|e| {
            AwsError::call(
                clients,
                "ssm",
                "GetMaintenanceWindowTask",
                Some(&format!("{window_id}/{task_id}")),
                e,
            )
        })
}

/// The cutoff behaviour to send: the spec's; when it has none, CONTINUE_TASK (AWS's
/// default) only to undo a live CANCEL_TASK, else the live value as AWS has it (none
/// stays none).
fn task_cutoff(
    task: &WindowTask,
    live: Option<&MaintenanceWindowTaskCutoffBehavior>,
) -> Option<MaintenanceWindowTaskCutoffBehavior> {
    match (&task.cutoff_behavior, live) {
        (Some(c), _) => Some(wire(c)),
        (None, Some(MaintenanceWindowTaskCutoffBehavior::CancelTask)) => {
            Some(wire(&CutoffBehavior::ContinueTask))
        }
        (None, live) => live.cloned(),
    }
}

type LegacyParameters = HashMap<String, MaintenanceWindowTaskParameterValueExpression>;

/// The task's parameters as the request carries them. A task registered with the
/// legacy `TaskParameters` keeps them there (sent only when they change, or under
/// Replace), and its `TaskInvocationParameters` carry only its settings block (the
/// live ones, under Replace, when the spec has none); any other task's parameters are
/// in its `TaskInvocationParameters`.
fn task_parameters(
    task: &WindowTask,
    got: &GetMaintenanceWindowTaskOutput,
    replace: bool,
) -> (
    Option<LegacyParameters>,
    Option<MaintenanceWindowTaskInvocationParameters>,
) {
    let live_legacy = super::legacy_parameters(got.task_parameters());
    if live_legacy.is_empty() {
        return (
            None,
            invocation::to_sdk_like(task, got.task_invocation_parameters()),
        );
    }
    let legacy = (replace || live_legacy != task.parameters) && !task.parameters.is_empty();
    let legacy = legacy.then(|| {
        task.parameters
            .iter()
            .map(|(k, v)| {
                let values = MaintenanceWindowTaskParameterValueExpression::builder()
                    .set_values(Some(v.clone()))
                    .build();
                (k.clone(), values)
            })
            .collect()
    });
    let settings_only = WindowTask {
        parameters: BTreeMap::new(),
        ..task.clone()
    };
    let live = got.task_invocation_parameters();
    let invocation = invocation::to_sdk_like(&settings_only, live).or_else(|| {
        replace
            .then(|| got.task_invocation_parameters().cloned())
            .flatten()
    });
    (legacy, invocation)
}

/// UpdateMaintenanceWindowTask, read-modify-write: GetMaintenanceWindowTask first.
/// `task` is what the task must be, with the settings the spec is silent about already
/// taken from the live task (`apply::window`), so the request names every modelled
/// field; priority goes out at its default when unset, the cutoff behaviour as
/// [`task_cutoff`] says, `Targets` always (an empty list clears them), parameters as
/// [`task_parameters`] says, and the name only when the task has one in AWS
/// ([`unnamed`]).
///
/// Without `replace`, AWS leaves every field the request leaves out as it is, so the
/// task's logging and alarm configuration (which the format does not model) survive.
/// A field the spec dropped (description, service role, limits, parameters) can only
/// be cleared with `Replace=true`, which resets every field left out: then the task's
/// `LoggingInfo`, `AlarmConfiguration` (and the name of an unnamed one) are sent back as
/// they are, so Replace resets only what the format models.
pub async fn update_window_task(
    clients: &Clients,
    window_id: &str,
    task_id: &str,
    task: &WindowTask,
    target_ids: &[String],
    replace: bool,
) -> Result<(), AwsError> {
    const OP: &str = "UpdateMaintenanceWindowTask";
    let got = get_task(clients, window_id, task_id).await?;
    let (legacy, invocation) = task_parameters(task, &got, replace);
    let name = match unnamed(&task.name, task_id) {
        true => got.name().map(str::to_string).filter(|_| replace),
        false => Some(task.name.clone()),
    };
    let mut request = clients
        .ssm
        .update_maintenance_window_task()
        .window_id(window_id)
        .window_task_id(task_id)
        .set_targets(Some(task_targets(task, target_ids)))
        .task_arn(&task.task_arn)
        .priority(task.priority.map_or(1, to_i32))
        .set_max_concurrency(task.max_concurrency.clone())
        .set_max_errors(task.max_errors.clone())
        .set_cutoff_behavior(task_cutoff(task, got.cutoff_behavior()))
        .set_service_role_arn(task.service_role_arn.clone())
        .set_name(name)
        .set_description(task.description.clone())
        .set_task_parameters(legacy)
        .set_task_invocation_parameters(invocation);
    if replace {
        request = request
            .set_logging_info(got.logging_info().cloned())
            .set_alarm_configuration(got.alarm_configuration().cloned())
            .replace(true);
    }
    request.send().await.map_err(|e| {
        AwsError::call(
            clients,
            "ssm",
            OP,
            Some(&format!("{window_id}/{task_id}")),
            e,
        )
    })?;
    Ok(())
}

/// DeregisterTaskFromMaintenanceWindow; a task that no longer exists is done.
pub async fn deregister_window_task(
    clients: &Clients,
    window_id: &str,
    task_id: &str,
) -> Result<(), AwsError> {
    match clients
        .ssm
        .deregister_task_from_maintenance_window()
        .window_id(window_id)
        .window_task_id(task_id)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if code(&e) == Some("DoesNotExistException") => Ok(()),
        Err(e) => Err(AwsError::call(
            clients,
            "ssm",
            "DeregisterTaskFromMaintenanceWindow",
            Some(&format!("{window_id}/{task_id}")),
            e,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn window(v: serde_json::Value) -> MaintenanceWindowSpec {
        let base = json!({"schedule": "cron(0 3 ? * TUE *)", "duration": 3, "cutoff": 1});
        let mut base = base.as_object().unwrap().clone();
        base.extend(v.as_object().unwrap().clone());
        serde_json::from_value(serde_json::Value::Object(base)).unwrap()
    }

    #[test]
    fn an_unset_value_is_sent_at_aws_default_only_to_clear_another() {
        assert_eq!(or_reset(Some(3), Some(1), 0), Some(3));
        assert_eq!(or_reset(None, Some(1), 0), Some(0));
        assert_eq!(
            or_reset(None, Some(0), 0),
            None,
            "AWS's default stays as it is"
        );
        assert_eq!(or_reset::<u8>(None, None, 0), None);
        assert_eq!(list_or_clear(&[], &["kb1".into()]), Some(vec![]));
        assert_eq!(list_or_clear(&[], &[]), None);
    }

    #[test]
    fn replace_only_for_a_dropped_field_no_value_clears() {
        let live = window(json!({"description": "d", "scheduleOffset": 0}));
        assert!(window_needs_replace(&window(json!({})), &live));
        assert!(!window_needs_replace(
            &window(json!({"description": "new"})),
            &live
        ));
        let live = window(json!({"scheduleOffset": 0, "enabled": false}));
        assert!(
            !window_needs_replace(&window(json!({})), &live),
            "an offset of 0 is none; enabled is always sent"
        );
        let spec: PatchBaselineSpec =
            serde_json::from_value(json!({"operatingSystem": "WINDOWS"})).unwrap();
        let with = |b: aws_sdk_ssm::operation::get_patch_baseline::builders::GetPatchBaselineOutputBuilder| b.build();
        assert!(!baseline_needs_replace(
            &spec,
            &with(GetPatchBaselineOutput::builder().approved_patches("KB1"))
        ));
        assert!(baseline_needs_replace(
            &spec,
            &with(GetPatchBaselineOutput::builder().description("d"))
        ));
        assert!(baseline_needs_replace(
            &spec,
            &with(
                GetPatchBaselineOutput::builder()
                    .available_security_updates_compliance_status(PatchComplianceStatus::Compliant)
            )
        ));
    }

    #[test]
    fn an_unset_cutoff_behaviour_stays_as_aws_has_it() {
        let task: WindowTask = serde_json::from_value(json!({
            "name": "t", "type": "LAMBDA",
            "taskArn": "arn:aws:lambda:us-east-1:111111111111:function:f"}))
        .unwrap();
        use MaintenanceWindowTaskCutoffBehavior as C;
        assert_eq!(task_cutoff(&task, None), None);
        assert_eq!(
            task_cutoff(&task, Some(&C::ContinueTask)),
            Some(C::ContinueTask)
        );
        assert_eq!(
            task_cutoff(&task, Some(&C::CancelTask)),
            Some(C::ContinueTask)
        );
        let cancel = WindowTask {
            cutoff_behavior: Some(CutoffBehavior::CancelTask),
            ..task
        };
        assert_eq!(task_cutoff(&cancel, None), Some(C::CancelTask));
    }

    #[test]
    fn a_name_that_is_the_id_is_unnamed() {
        let id = "e5d4d0ea-0b32-4d4b-a0c0-6a2b1b4b6c55";
        assert!(unnamed(id, id));
        assert!(!unnamed("web", id));
    }
}
