//! Applying MaintenanceWindow changes: the window (created with tags and a client
//! token), then its targets, then its tasks (which name target ids); deletes go the
//! other way (tasks before the targets they use).
//!
//! An update never erases what the spec is silent about: the plan sends a task with
//! the settings its blocks leave unset taken from the live task
//! (`plan::work::task_update`), and the window, its targets and tasks are updated
//! without Replace unless a field the spec dropped must be cleared (see
//! `ssm::update_window`, `ssm::update_window_target`, `ssm::update_window_task`,
//! which get the live window and target as the plan read them).

use std::collections::BTreeMap;

use super::{failed, ApplyError, Unit};
use crate::aws::ssm;
use crate::live::Live;
use crate::plan::work::{Calls, Write};
use crate::spec::MaintenanceWindowSpec;
use crate::spec::ResourceSpec;

type Failure = (String, ApplyError);

/// The window target ids the task's target names refer to.
fn target_ids(names: &[String], ids: &BTreeMap<String, String>) -> Vec<String> {
    names.iter().filter_map(|n| ids.get(n).cloned()).collect()
}

/// The live window's sub-resource ids under `prefix` (`targets/`, `tasks/`), by name.
fn sub_ids(live: Option<&Live<MaintenanceWindowSpec>>, prefix: &str) -> BTreeMap<String, String> {
    live.into_iter()
        .flat_map(|l| &l.sub_ids)
        .filter_map(|(k, v)| k.strip_prefix(prefix).map(|n| (n.to_string(), v.clone())))
        .collect()
}

pub(super) async fn run(unit: &Unit<'_>) -> Result<(), Failure> {
    let live = unit.chosen(&unit.live.maintenance_windows);
    if *unit.calls() == Calls::Delete {
        if let Some(id) = live.and_then(|l| l.id.as_deref()) {
            ssm::delete_window(unit.clients, id)
                .await
                .map_err(failed(unit.name))?;
        }
        return Ok(());
    }
    let Some(ResourceSpec::MaintenanceWindow(spec)) = unit.resource.map(|r| &r.spec) else {
        return Ok(());
    };
    let live_id = live.and_then(|l| l.id.as_deref());
    let window_id = match (unit.calls(), live, live_id) {
        (Calls::Create, _, _) | (_, None, _) | (_, _, None) => create_window(unit, spec).await?,
        (calls, Some(live), Some(id)) => {
            update_window(unit, spec, &live.spec, calls, id).await?;
            id.to_string()
        }
    };
    // Target name → WindowTargetId, from live state, then from what this run creates.
    let mut ids = sub_ids(live, "targets/");
    write_targets(unit, spec, &window_id, live, &mut ids).await?;
    write_tasks(unit, spec, &window_id, live, &ids).await?;
    delete_targets(unit, &window_id, &ids).await
}

/// Creates the window with its tags and a client token; its id.
async fn create_window(unit: &Unit<'_>, spec: &MaintenanceWindowSpec) -> Result<String, Failure> {
    let tags = unit.desired_tags(&spec.tags);
    let token = unit.token(
        "",
        &serde_json::to_value(strip_subs(spec)).unwrap_or_default(),
    );
    ssm::create_window(unit.clients, unit.name, spec, &tags, &token)
        .await
        .map_err(failed(unit.name))
}

/// The planned update of the window `id` (`live` as the plan read it): its settings
/// when they changed, its tags.
async fn update_window(
    unit: &Unit<'_>,
    spec: &MaintenanceWindowSpec,
    live: &MaintenanceWindowSpec,
    calls: &Calls,
    id: &str,
) -> Result<(), Failure> {
    let Calls::Update { writes, tags } = calls else {
        return Ok(());
    };
    if writes.contains(&Write::Definition) {
        ssm::update_window(unit.clients, id, unit.name, spec, live)
            .await
            .map_err(failed(unit.name))?;
    }
    if !tags.is_empty() {
        let target = ssm::TagTarget::MaintenanceWindow;
        ssm::retag(unit.clients, target, id, &tags.add, &tags.remove)
            .await
            .map_err(failed(unit.name))?;
    }
    Ok(())
}

/// Targets created (their new ids go into `ids`) and updated, in the spec's order.
async fn write_targets(
    unit: &Unit<'_>,
    spec: &MaintenanceWindowSpec,
    window_id: &str,
    live: Option<&Live<MaintenanceWindowSpec>>,
    ids: &mut BTreeMap<String, String>,
) -> Result<(), Failure> {
    let live_targets = live.map(|l| l.spec.targets.as_slice()).unwrap_or_default();
    let subs = unit.subs();
    for target in &spec.targets {
        let path = format!("targets/{}", target.name);
        let Some((change, _)) = subs.iter().find(|(_, s)| *s == path) else {
            continue;
        };
        let full = &change.name;
        match &change.work.calls {
            Calls::Create => {
                let token = unit.token(&path, &serde_json::to_value(target).unwrap_or_default());
                let id = ssm::register_window_target(unit.clients, window_id, target, &token)
                    .await
                    .map_err(failed(full))?;
                ids.insert(target.name.clone(), id);
            }
            Calls::Update { .. } | Calls::Replace => {
                let live = live_targets.iter().find(|t| t.name == target.name);
                if let (Some(id), Some(live)) = (ids.get(&target.name), live) {
                    ssm::update_window_target(unit.clients, window_id, id, target, live)
                        .await
                        .map_err(failed(full))?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Tasks: deregistered (deletes and replacements), registered (creates and
/// replacements) and updated as planned. A replaced task (its type changed) is read
/// before it goes, and its new registration carries what the format does not model
/// (`ssm::CarriedTask`: its alarm configuration).
async fn write_tasks(
    unit: &Unit<'_>,
    spec: &MaintenanceWindowSpec,
    window_id: &str,
    live: Option<&Live<MaintenanceWindowSpec>>,
    ids: &BTreeMap<String, String>,
) -> Result<(), Failure> {
    let live_task_ids = sub_ids(live, "tasks/");
    for (change, sub) in unit.subs() {
        let Some(task_name) = sub.strip_prefix("tasks/") else {
            continue;
        };
        let fail = failed(&change.name);
        let calls = &change.work.calls;
        let mut carried = ssm::CarriedTask::default();
        if let (Calls::Delete | Calls::Replace, Some(id)) = (calls, live_task_ids.get(task_name)) {
            if matches!(calls, Calls::Replace) {
                carried = ssm::carried_task(unit.clients, window_id, id)
                    .await
                    .map_err(&fail)?;
            }
            ssm::deregister_window_task(unit.clients, window_id, id)
                .await
                .map_err(&fail)?;
        }
        let task = spec.tasks.iter().find(|t| t.name == task_name);
        match (calls, task, live_task_ids.get(task_name)) {
            (Calls::Create | Calls::Replace, Some(task), _) => {
                let token = unit.token(sub, &serde_json::to_value(task).unwrap_or_default());
                let targets = target_ids(&task.targets, ids);
                ssm::register_window_task(
                    unit.clients,
                    window_id,
                    task,
                    &targets,
                    &carried,
                    &token,
                )
                .await
                .map_err(&fail)?;
            }
            (Calls::UpdateTask { task, replace }, _, Some(id)) => {
                let targets = target_ids(&task.targets, ids);
                ssm::update_window_task(unit.clients, window_id, id, task, &targets, *replace)
                    .await
                    .map_err(&fail)?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// Targets deleted last, once no task names them.
async fn delete_targets(
    unit: &Unit<'_>,
    window_id: &str,
    ids: &BTreeMap<String, String>,
) -> Result<(), Failure> {
    for (change, sub) in unit.subs() {
        let Some(target_name) = sub.strip_prefix("targets/") else {
            continue;
        };
        if let (Calls::Delete, Some(id)) = (&change.work.calls, ids.get(target_name)) {
            ssm::deregister_window_target(unit.clients, window_id, id)
                .await
                .map_err(failed(&change.name))?;
        }
    }
    Ok(())
}

/// The window without its targets and tasks (its own token must not change when only
/// a task does).
fn strip_subs(spec: &MaintenanceWindowSpec) -> MaintenanceWindowSpec {
    MaintenanceWindowSpec {
        targets: Vec::new(),
        tasks: Vec::new(),
        ..spec.clone()
    }
}
