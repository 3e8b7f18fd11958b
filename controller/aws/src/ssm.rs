//! SSM: reads patch baselines (with their patch-group registrations and default
//! flags) and maintenance windows (with their targets and tasks) into the crate's
//! spec types. Owns every `aws_sdk_ssm` call of a plan's read.
//!
//! Selection: a resource is read in detail when its name is one the desired state
//! mentions or when the tagging API listed it as owned (`owned`, ARN → tags). Owned
//! resources take their tags from `owned`; the others (conflicts, adoptions) have
//! their tags listed one by one.
//!
//! Calls per plan (B_own = baselines the account owns, M = patch-group registrations
//! (group × OS) in the region, B_sel / B_unowned = selected baselines / of those not
//! in `owned`; W_all = windows in the region, W_sel / W_unowned likewise, T_w / K_w =
//! targets / tasks of selected window w, K_get = tasks of selected windows that have
//! no legacy `TaskParameters`):
//!
//! ```text
//! read_patch_baselines:
//!   DescribePatchBaselines (OWNER=Self)      max(1, ceil(B_own / 100))
//!   DescribePatchGroups                      max(1, ceil(M / 100))
//!   GetPatchBaseline                         B_sel
//!   ListTagsForResource (PatchBaseline)      B_unowned
//! read_maintenance_windows:
//!   DescribeMaintenanceWindows               max(1, ceil(W_all / 100))
//!   GetMaintenanceWindow                     W_sel
//!   DescribeMaintenanceWindowTargets         Σ_w max(1, ceil(T_w / 100))
//!   DescribeMaintenanceWindowTasks           Σ_w max(1, ceil(K_w / 100))
//!   GetMaintenanceWindowTask                 K_get
//!   ListTagsForResource (MaintenanceWindow)  W_unowned
//! ```
//!
//! `defaultForOperatingSystem` comes from the `DefaultBaseline` flag of
//! DescribePatchBaselines, so no GetDefaultPatchBaseline call is needed.
//! DescribeMaintenanceWindowTasks never carries `TaskInvocationParameters` (every task
//! type's parameters and settings: `runCommand`, `automation`, `lambda`,
//! `stepFunctions`, see `invocation.rs`), hence GetMaintenanceWindowTask for every
//! task but those registered with the legacy `TaskParameters` (and, defensively, for
//! any task whose listing lacks its type). Detail calls run concurrently, at
//! most [`IN_FLIGHT`] at a time per reader.

pub mod association;
pub mod invocation;
pub mod write;
pub use association::{
    create_association, delete_association, read_associations, read_every_association,
    update_association,
};
pub use write::*;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;

use aws_sdk_ssm::operation::get_patch_baseline::GetPatchBaselineOutput;
use aws_sdk_ssm::types::{
    MaintenanceWindowTarget, MaintenanceWindowTask, MaintenanceWindowTaskParameterValueExpression,
    MaintenanceWindowTaskType, PatchBaselineIdentity, PatchFilterGroup, PatchOrchestratorFilter,
    ResourceTypeForTagging, Target,
};
use serde::de::DeserializeOwned;

use super::{AwsError, Clients};
use driftless_core::live::Live;
use driftless_core::spec::maintenance_window::{
    OneOrMany, TaskType, WindowResourceType, WindowTarget, WindowTask,
};
use driftless_core::spec::patch_baseline::{OperatingSystem, PatchRule, PatchSource};
use driftless_core::spec::{MaintenanceWindowSpec, PatchBaselineSpec};

type Registrations = BTreeMap<String, Vec<(OperatingSystem, String)>>;
/// The baselines a read selected, and the region's patch-group registrations.
pub(crate) type BaselinesRead = (Vec<Live<PatchBaselineSpec>>, Registrations);
type Tags = BTreeMap<String, String>;

/// Detail calls in flight at once, per reader.
pub(crate) const IN_FLIGHT: usize = 8;

const TARGET_TAG_PREFIX: &str = "tag:";
const TARGET_INSTANCE_IDS: &str = "InstanceIds";
const TARGET_RESOURCE_GROUP: &str = "resource-groups:Name";
const TARGET_TAG_KEY: &str = "tag-key";
const TARGET_RESOURCE_TYPE_FILTERS: &str = "resource-groups:ResourceTypeFilters";
const TASK_TARGET_WINDOW_TARGETS: &str = "WindowTargetIds";

/// Baselines named in `names` or owned, and the region's patch-group registrations.
pub async fn read_patch_baselines(
    clients: &Clients,
    names: &BTreeSet<String>,
    owned: &BTreeMap<String, BTreeMap<String, String>>,
) -> Result<(Vec<Live<PatchBaselineSpec>>, Registrations), AwsError> {
    read_baselines(clients, names, owned, false).await
}

/// Every baseline the account owns (`driftless audit`; AWS's predefined baselines
/// are not the account's to change). Tags from `tagged` (every tagged baseline),
/// else one tag call each.
pub async fn read_every_patch_baseline(
    clients: &Clients,
    tagged: &BTreeMap<String, BTreeMap<String, String>>,
) -> Result<(Vec<Live<PatchBaselineSpec>>, Registrations), AwsError> {
    read_baselines(clients, &BTreeSet::new(), tagged, true).await
}

async fn read_baselines(
    clients: &Clients,
    names: &BTreeSet<String>,
    owned: &BTreeMap<String, BTreeMap<String, String>>,
    every: bool,
) -> Result<(Vec<Live<PatchBaselineSpec>>, Registrations), AwsError> {
    let (identities, registrations) =
        tokio::try_join!(list_own_baselines(clients), list_patch_groups(clients))?;
    let owned = by_id(owned, ":patchbaseline/");
    let selected: Vec<PatchBaselineIdentity> = identities
        .into_iter()
        .filter(|b| {
            every
                || b.baseline_name().is_some_and(|n| names.contains(n))
                || b.baseline_id().is_some_and(|id| owned.contains_key(id))
        })
        .collect();
    let mut baselines = in_parallel(selected, |identity| {
        let clients = clients.clone();
        let owned = identity
            .baseline_id()
            .and_then(|id| owned.get(id))
            .map(|&(arn, tags)| (arn.clone(), tags.clone()));
        async move { read_baseline(&clients, identity, owned).await }
    })
    .await?;
    for live in &mut baselines {
        let id = live.id.as_deref().unwrap_or_default();
        let mut groups: Vec<String> = registrations
            .iter()
            .filter(|(_, regs)| regs.iter().any(|(_, b)| b == id))
            .map(|(group, _)| group.clone())
            .collect();
        groups.sort();
        live.spec.patch_groups = groups;
    }
    Ok((baselines, registrations))
}

/// DescribePatchBaselines, the account's own baselines only.
async fn list_own_baselines(clients: &Clients) -> Result<Vec<PatchBaselineIdentity>, AwsError> {
    let mut pages = clients
        .ssm
        .describe_patch_baselines()
        .filters(
            PatchOrchestratorFilter::builder()
                .key("OWNER")
                .values("Self")
                .build(),
        )
        .max_results(100)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|e| AwsError::call(clients, "ssm", "DescribePatchBaselines", None, e))?;
        out.extend(page.baseline_identities().iter().cloned());
    }
    Ok(out)
}

/// DescribePatchGroups: patch group → (OS, baseline id), sorted.
async fn list_patch_groups(clients: &Clients) -> Result<Registrations, AwsError> {
    let mut pages = clients
        .ssm
        .describe_patch_groups()
        .max_results(100)
        .into_paginator()
        .send();
    let mut out = Registrations::new();
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|e| AwsError::call(clients, "ssm", "DescribePatchGroups", None, e))?;
        for mapping in page.mappings() {
            let (Some(group), Some(identity)) =
                (mapping.patch_group(), mapping.baseline_identity())
            else {
                continue;
            };
            // An OS driftless does not know cannot be one of its baselines' OS.
            let (Some(os), Some(id)) = (
                identity
                    .operating_system()
                    .and_then(|os| from_wire(os.as_str())),
                identity.baseline_id(),
            ) else {
                continue;
            };
            out.entry(group.to_string())
                .or_default()
                .push((os, id.to_string()));
        }
    }
    for regs in out.values_mut() {
        regs.sort();
        regs.dedup();
    }
    Ok(out)
}

/// GetPatchBaseline (+ ListTagsForResource when not owned) of one baseline.
async fn read_baseline(
    clients: &Clients,
    identity: PatchBaselineIdentity,
    owned: Option<(String, Tags)>,
) -> Result<Live<PatchBaselineSpec>, AwsError> {
    let id = identity.baseline_id().unwrap_or_default().to_string();
    let get = async {
        clients
            .ssm
            .get_patch_baseline()
            .baseline_id(&id)
            .send()
            .await
            .map_err(|e| AwsError::call(clients, "ssm", "GetPatchBaseline", Some(&id), e))
    };
    let tags = tags_unless_owned(clients, &owned, ResourceTypeForTagging::PatchBaseline, &id);
    let (got, tags) = tokio::try_join!(get, tags)?;
    let operating_system = baseline_os(clients, &got, &identity, &id)?;
    let spec = baseline_spec(&got, &identity, operating_system, tags);
    Ok(Live {
        name: got
            .name()
            .or(identity.baseline_name())
            .unwrap_or_default()
            .to_string(),
        spec,
        arn: owned.map(|(arn, _)| arn),
        id: Some(id),
        sub_ids: BTreeMap::new(),
        tags_known: true,
        unrepresented: Vec::new(),
    })
}

/// The tags of `owned` (from the tagging listing), else ListTagsForResource by id.
async fn tags_unless_owned(
    clients: &Clients,
    owned: &Option<(String, Tags)>,
    resource_type: ResourceTypeForTagging,
    id: &str,
) -> Result<Tags, AwsError> {
    match owned {
        Some((_, tags)) => Ok(tags.clone()),
        None => list_tags(clients, resource_type, id).await,
    }
}

/// The baseline's operating system; one this driftless does not know is an error.
fn baseline_os(
    clients: &Clients,
    got: &GetPatchBaselineOutput,
    identity: &PatchBaselineIdentity,
    id: &str,
) -> Result<OperatingSystem, AwsError> {
    let os_wire = got
        .operating_system()
        .or(identity.operating_system())
        .map(|os| os.as_str().to_string())
        .unwrap_or_default();
    from_wire(&os_wire).ok_or_else(|| AwsError::Setup {
        target: clients.target.clone(),
        message: format!("patch baseline `{id}` has operating system `{os_wire}`, which this driftless does not know"),
        hint: "upgrade driftless, or leave this baseline out of the desired state".into(),
    })
}

/// GetPatchBaseline's answer as a spec (patch groups are left to the caller).
fn baseline_spec(
    got: &GetPatchBaselineOutput,
    identity: &PatchBaselineIdentity,
    operating_system: OperatingSystem,
    tags: Tags,
) -> PatchBaselineSpec {
    PatchBaselineSpec {
        operating_system,
        description: got.description().map(str::to_string),
        approval_rules: approval_rules(got),
        global_filters: filters(got.global_filters()),
        approved_patches: got.approved_patches().to_vec(),
        approved_patches_compliance_level: got
            .approved_patches_compliance_level()
            .and_then(|c| from_wire(c.as_str())),
        approved_patches_enable_non_security: got.approved_patches_enable_non_security(),
        rejected_patches: got.rejected_patches().to_vec(),
        rejected_patches_action: got
            .rejected_patches_action()
            .and_then(|a| from_wire(a.as_str())),
        sources: got
            .sources()
            .iter()
            .map(|s| PatchSource {
                name: s.name().to_string(),
                products: s.products().to_vec(),
                configuration: s.configuration().to_string(),
            })
            .collect(),
        available_security_updates_compliance_status: got
            .available_security_updates_compliance_status()
            .and_then(|s| from_wire(s.as_str())),
        // Filled by the caller from DescribePatchGroups.
        patch_groups: Vec::new(),
        default_for_operating_system: identity.default_baseline(),
        tags,
    }
}

/// The baseline's approval rules, in AWS's order.
fn approval_rules(got: &GetPatchBaselineOutput) -> Vec<PatchRule> {
    got.approval_rules()
        .map(|group| {
            group
                .patch_rules()
                .iter()
                .map(|rule| PatchRule {
                    patch_filters: filters(rule.patch_filter_group()),
                    approve_after_days: rule.approve_after_days().and_then(to_u32),
                    approve_until_date: rule.approve_until_date().map(str::to_string),
                    compliance_level: rule.compliance_level().and_then(|c| from_wire(c.as_str())),
                    enable_non_security: rule.enable_non_security(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A patch filter group as key → values.
fn filters(group: Option<&PatchFilterGroup>) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for filter in group.map(|g| g.patch_filters()).unwrap_or_default() {
        out.entry(filter.key().as_str().to_string())
            .or_default()
            .extend(filter.values().iter().cloned());
    }
    out
}

/// Windows named in `names` (every window of such a name) or owned.
pub async fn read_maintenance_windows(
    clients: &Clients,
    names: &BTreeSet<String>,
    owned: &BTreeMap<String, BTreeMap<String, String>>,
) -> Result<Vec<Live<MaintenanceWindowSpec>>, AwsError> {
    read_windows(clients, names, owned, false).await
}

/// Every maintenance window of the region (`driftless audit`). Tags from `tagged`
/// (every tagged window), else one tag call each.
pub async fn read_every_maintenance_window(
    clients: &Clients,
    tagged: &BTreeMap<String, BTreeMap<String, String>>,
) -> Result<Vec<Live<MaintenanceWindowSpec>>, AwsError> {
    read_windows(clients, &BTreeSet::new(), tagged, true).await
}

async fn read_windows(
    clients: &Clients,
    names: &BTreeSet<String>,
    owned: &BTreeMap<String, BTreeMap<String, String>>,
    every: bool,
) -> Result<Vec<Live<MaintenanceWindowSpec>>, AwsError> {
    let mut pages = clients
        .ssm
        .describe_maintenance_windows()
        .max_results(100)
        .into_paginator()
        .send();
    let owned = by_id(owned, ":maintenancewindow/");
    let mut selected: Vec<(String, Option<(String, Tags)>)> = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page
            .map_err(|e| AwsError::call(clients, "ssm", "DescribeMaintenanceWindows", None, e))?;
        for window in page.window_identities() {
            let Some(id) = window.window_id() else {
                continue;
            };
            let own = owned.get(id);
            if every || own.is_some() || window.name().is_some_and(|n| names.contains(n)) {
                selected.push((id.to_string(), own.map(|&(a, t)| (a.clone(), t.clone()))));
            }
        }
    }
    in_parallel(selected, |(id, owned)| {
        let clients = clients.clone();
        async move { read_window(&clients, id, owned).await }
    })
    .await
}

/// GetMaintenanceWindow, its targets and tasks (+ tags when not owned).
async fn read_window(
    clients: &Clients,
    id: String,
    owned: Option<(String, Tags)>,
) -> Result<Live<MaintenanceWindowSpec>, AwsError> {
    let id = id.as_str();
    let get = async {
        clients
            .ssm
            .get_maintenance_window()
            .window_id(id)
            .send()
            .await
            .map_err(|e| AwsError::call(clients, "ssm", "GetMaintenanceWindow", Some(id), e))
    };
    let tags = tags_unless_owned(
        clients,
        &owned,
        ResourceTypeForTagging::MaintenanceWindow,
        id,
    );
    let (got, targets, tasks, tags) = tokio::try_join!(
        get,
        window_targets(clients, id),
        window_tasks(clients, id),
        tags
    )?;
    let mut sub_ids = BTreeMap::new();
    let mut unrepresented = Vec::new();
    let (targets, target_names) = target_specs(&targets, &mut sub_ids);
    let tasks = task_specs(tasks, &target_names, &mut sub_ids, &mut unrepresented);
    let spec = MaintenanceWindowSpec {
        description: got.description().map(str::to_string),
        schedule: got.schedule().unwrap_or_default().to_string(),
        schedule_timezone: got.schedule_timezone().map(str::to_string),
        schedule_offset: got.schedule_offset().and_then(to_u32),
        duration: got.duration().and_then(to_u32).unwrap_or_default(),
        cutoff: to_u32(got.cutoff()).unwrap_or_default(),
        start_date: got.start_date().map(str::to_string),
        end_date: got.end_date().map(str::to_string),
        allow_unassociated_targets: got.allow_unassociated_targets(),
        enabled: Some(got.enabled()),
        targets,
        tasks,
        tags,
    };
    Ok(Live {
        name: got.name().unwrap_or_default().to_string(),
        spec,
        arn: owned.map(|(arn, _)| arn),
        id: Some(id.to_string()),
        sub_ids,
        tags_known: true,
        unrepresented,
    })
}

/// The window's targets as specs sorted by name, each id recorded in `sub_ids`
/// (`targets/NAME`); also the targets' names by id, for the tasks.
fn target_specs(
    targets: &[MaintenanceWindowTarget],
    sub_ids: &mut BTreeMap<String, String>,
) -> (Vec<WindowTarget>, HashMap<String, String>) {
    let mut target_names: HashMap<String, String> = HashMap::new();
    let mut specs = Vec::new();
    for target in targets {
        let target_id = target.window_target_id().unwrap_or_default().to_string();
        // A target registered without a name (outside driftless) goes by its id.
        let name = target.name().unwrap_or(&target_id).to_string();
        sub_ids.insert(format!("targets/{name}"), target_id.clone());
        target_names.insert(target_id, name.clone());
        let mut spec = WindowTarget {
            name,
            description: target.description().map(str::to_string),
            resource_type: target
                .resource_type()
                .and_then(|t| from_wire(t.as_str()))
                .unwrap_or(WindowResourceType::Instance),
            tags: BTreeMap::new(),
            tag_keys: Vec::new(),
            instance_ids: Vec::new(),
            resource_group: None,
            resource_type_filters: Vec::new(),
            owner_information: target.owner_information().map(str::to_string),
        };
        for t in target.targets() {
            add_target(&mut spec, t);
        }
        specs.push(spec);
    }
    specs.sort_by(|a, b| a.name.cmp(&b.name));
    (specs, target_names)
}

/// The window's tasks as specs sorted by name, each id recorded in `sub_ids`
/// (`tasks/NAME`); what the format cannot hold goes to `unrepresented` (a task of a
/// type it cannot express is left out).
fn task_specs(
    tasks: Vec<ReadTask>,
    target_names: &HashMap<String, String>,
    sub_ids: &mut BTreeMap<String, String>,
    unrepresented: &mut Vec<String>,
) -> Vec<WindowTask> {
    let mut specs = Vec::new();
    for task in tasks {
        let task_id = task.window_task_id.clone().unwrap_or_default();
        let name = task.listed.name().unwrap_or(&task_id).to_string();
        let Some(task_type) = task.task_type.as_ref().and_then(|t| from_wire(t.as_str())) else {
            // A task type this driftless cannot express; leave it out.
            unrepresented.push(format!("task {name}: its type"));
            continue;
        };
        unrepresented.extend(
            task.unrepresented
                .iter()
                .map(|x| format!("task {name}: {x}")),
        );
        sub_ids.insert(format!("tasks/{name}"), task_id);
        specs.push(task_spec(task, name, task_type, target_names));
    }
    specs.sort_by(|a, b| a.name.cmp(&b.name));
    specs
}

/// One task as a spec, its window targets named as the targets are.
fn task_spec(
    task: ReadTask,
    name: String,
    task_type: TaskType,
    target_names: &HashMap<String, String>,
) -> WindowTask {
    let targets = task
        .listed
        .targets()
        .iter()
        .filter(|t| t.key() == Some(TASK_TARGET_WINDOW_TARGETS))
        .flat_map(|t| t.values())
        .map(|tid| {
            target_names
                .get(tid)
                .cloned()
                .unwrap_or_else(|| tid.clone())
        })
        .collect::<Vec<String>>();
    let instance_ids: Vec<String> = task
        .listed
        .targets()
        .iter()
        .filter(|t| t.key() == Some(TARGET_INSTANCE_IDS))
        .flat_map(|t| t.values().iter().cloned())
        .collect();
    let l = &task.listed;
    let inv = task.invocation;
    // A task without targets has no limits: AWS reports a placeholder `1`.
    let targetless = targets_is_empty(&targets, &instance_ids);
    let limit = |v: Option<&str>| v.filter(|_| !targetless).map(str::to_string);
    WindowTask {
        name,
        description: l.description().map(str::to_string),
        task_type,
        task_arn: l.task_arn().unwrap_or_default().to_string(),
        targets,
        instance_ids,
        priority: u32::try_from(l.priority()).ok(),
        max_concurrency: limit(l.max_concurrency()),
        max_errors: limit(l.max_errors()),
        cutoff_behavior: l.cutoff_behavior().and_then(|c| from_wire(c.as_str())),
        service_role_arn: l.service_role_arn().map(str::to_string),
        parameters: inv.parameters,
        run_command: inv.run_command,
        automation: inv.automation,
        lambda: inv.lambda,
        step_functions: inv.step_functions,
    }
}

fn targets_is_empty(targets: &[String], instance_ids: &[String]) -> bool {
    targets.is_empty() && instance_ids.is_empty()
}

/// Adds one `{Key, Values}` of a window target to its spec.
fn add_target(spec: &mut WindowTarget, target: &Target) {
    let values = target.values();
    match target.key() {
        Some(key) if key.starts_with(TARGET_TAG_PREFIX) => {
            let value = match values {
                [one] => OneOrMany::One(one.clone()),
                many => OneOrMany::Many(many.to_vec()),
            };
            spec.tags
                .insert(key[TARGET_TAG_PREFIX.len()..].to_string(), value);
        }
        Some(TARGET_INSTANCE_IDS) => spec.instance_ids.extend(values.iter().cloned()),
        Some(TARGET_RESOURCE_GROUP) => spec.resource_group = values.first().cloned(),
        Some(TARGET_TAG_KEY) => spec.tag_keys.extend(values.iter().cloned()),
        Some(TARGET_RESOURCE_TYPE_FILTERS) => {
            spec.resource_type_filters.extend(values.iter().cloned())
        }
        // A key this driftless does not know: nothing the spec can say.
        _ => {}
    }
}

/// DescribeMaintenanceWindowTargets of one window.
async fn window_targets(
    clients: &Clients,
    window_id: &str,
) -> Result<Vec<MaintenanceWindowTarget>, AwsError> {
    let mut pages = clients
        .ssm
        .describe_maintenance_window_targets()
        .window_id(window_id)
        .max_results(100)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| {
            AwsError::call(
                clients,
                "ssm",
                "DescribeMaintenanceWindowTargets",
                Some(window_id),
                e,
            )
        })?;
        out.extend(page.targets().iter().cloned());
    }
    Ok(out)
}

/// A listed task with its type and invocation parameters completed.
struct ReadTask {
    window_task_id: Option<String>,
    listed: MaintenanceWindowTask,
    task_type: Option<MaintenanceWindowTaskType>,
    invocation: invocation::Invocation,
    /// Settings of the task the format cannot hold ([`Live::unrepresented`]).
    unrepresented: Vec<String>,
}

/// DescribeMaintenanceWindowTasks of one window, then GetMaintenanceWindowTask for
/// the tasks whose parameters (or type) the listing does not carry.
async fn window_tasks(clients: &Clients, window_id: &str) -> Result<Vec<ReadTask>, AwsError> {
    let mut pages = clients
        .ssm
        .describe_maintenance_window_tasks()
        .window_id(window_id)
        .max_results(100)
        .into_paginator()
        .send();
    let mut listed = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| {
            AwsError::call(
                clients,
                "ssm",
                "DescribeMaintenanceWindowTasks",
                Some(window_id),
                e,
            )
        })?;
        listed.extend(page.tasks().iter().cloned());
    }
    let window_id = window_id.to_string();
    in_parallel(listed, |task| {
        let clients = clients.clone();
        let window_id = window_id.clone();
        async move { complete_task(&clients, &window_id, task).await }
    })
    .await
}

async fn complete_task(
    clients: &Clients,
    window_id: &str,
    task: MaintenanceWindowTask,
) -> Result<ReadTask, AwsError> {
    let legacy = legacy_parameters(task.task_parameters());
    // Only the legacy TaskParameters are in the listing; every task type may have
    // invocation parameters (or settings), which only GetMaintenanceWindowTask has.
    let needs_get = task.r#type().is_none() || legacy.is_empty();
    let window_task_id = task.window_task_id().map(str::to_string);
    if !needs_get {
        let unrepresented = listed_extras(&task);
        return Ok(ReadTask {
            window_task_id,
            task_type: task.r#type().cloned(),
            listed: task,
            invocation: invocation::Invocation {
                parameters: legacy,
                ..Default::default()
            },
            unrepresented,
        });
    }
    let task_id = window_task_id.clone().unwrap_or_default();
    let got = clients
        .ssm
        .get_maintenance_window_task()
        .window_id(window_id)
        .window_task_id(&task_id)
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
        })?;
    let mut inv = invocation::from_sdk(got.task_invocation_parameters());
    if inv.parameters.is_empty() {
        inv.parameters = legacy_parameters(got.task_parameters());
    }
    if inv.parameters.is_empty() {
        inv.parameters = legacy;
    }
    let mut unrepresented = listed_extras(&task);
    unrepresented.append(&mut inv.unrepresented);
    Ok(ReadTask {
        window_task_id,
        task_type: task.r#type().or(got.task_type()).cloned(),
        listed: task,
        invocation: inv,
        unrepresented,
    })
}

/// A listed task's settings the format has no field for.
fn listed_extras(task: &MaintenanceWindowTask) -> Vec<String> {
    let mut out = Vec::new();
    if task.logging_info().is_some() {
        out.push("loggingInfo".to_string());
    }
    if task.alarm_configuration().is_some() {
        out.push("alarmConfiguration".to_string());
    }
    out
}

pub(crate) fn legacy_parameters(
    params: Option<&HashMap<String, MaintenanceWindowTaskParameterValueExpression>>,
) -> BTreeMap<String, Vec<String>> {
    params
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.values().to_vec()))
        .collect()
}

/// ListTagsForResource of one baseline or window, by id.
async fn list_tags(
    clients: &Clients,
    resource_type: ResourceTypeForTagging,
    id: &str,
) -> Result<Tags, AwsError> {
    let out = clients
        .ssm
        .list_tags_for_resource()
        .resource_type(resource_type)
        .resource_id(id)
        .send()
        .await
        .map_err(|e| AwsError::call(clients, "ssm", "ListTagsForResource", Some(id), e))?;
    Ok(out
        .tag_list()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect())
}

/// The owned map keyed by what follows `marker` in the ARN (`…:patchbaseline/pb-…`
/// → `pb-…`, `…:backup-vault:NAME` → `NAME`), with the ARN kept beside the tags.
pub(crate) fn by_id<'a>(
    owned: &'a BTreeMap<String, Tags>,
    marker: &str,
) -> HashMap<&'a str, (&'a String, &'a Tags)> {
    owned
        .iter()
        .filter_map(|(arn, tags)| {
            let at = arn.rfind(marker)?;
            Some((&arn[at + marker.len()..], (arn, tags)))
        })
        .collect()
}

/// A crate enum from its AWS wire name (`AMAZON_LINUX_2`); `None` when unknown.
fn from_wire<T: DeserializeOwned>(wire: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(wire.to_string())).ok()
}

fn to_u32(n: i32) -> Option<u32> {
    u32::try_from(n).ok()
}

/// Runs `f` on every item, at most [`IN_FLIGHT`] at a time, and returns the results
/// in the items' order. The first error wins; the calls still running are dropped.
pub(crate) async fn in_parallel<I, T, F, Fut>(items: Vec<I>, f: F) -> Result<Vec<T>, AwsError>
where
    F: Fn(I) -> Fut,
    Fut: Future<Output = Result<T, AwsError>> + Send + 'static,
    T: Send + 'static,
{
    let mut results: Vec<Option<T>> = items.iter().map(|_| None).collect();
    let mut pending = items.into_iter().enumerate();
    let mut running = tokio::task::JoinSet::new();
    loop {
        while running.len() < IN_FLIGHT {
            let Some((i, item)) = pending.next() else {
                break;
            };
            let call = f(item);
            running.spawn(async move { (i, call.await) });
        }
        let Some(joined) = running.join_next().await else {
            break;
        };
        match joined {
            Ok((i, result)) => results[i] = Some(result?),
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => panic!("an AWS read task was cancelled: {e}"),
        }
    }
    Ok(results.into_iter().flatten().collect())
}
