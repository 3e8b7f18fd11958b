//! Applying MaintenanceWindow changes: the window (created with tags and a client
//! token), then its targets, then its tasks (which name target ids); deletes go the
//! other way (tasks before the targets they use).

use std::collections::BTreeMap;

use super::{chosen, failed, tag_changes, ApplyError, Unit};
use crate::aws::ssm;
use crate::plan::Action;
use crate::spec::{MaintenanceWindowSpec, ResourceSpec};

/// The window target ids the task's target names refer to.
fn target_ids(names: &[String], ids: &BTreeMap<String, String>) -> Vec<String> {
    names.iter().filter_map(|n| ids.get(n).cloned()).collect()
}

pub(super) async fn run(unit: &Unit<'_>) -> Result<(), (String, ApplyError)> {
    let live = chosen(&unit.live.maintenance_windows, unit.name, unit.instance);
    if let Some(Action::Delete) = unit.parent().map(|c| c.action) {
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
    let tags = unit.desired_tags(&spec.tags);
    // Target name → WindowTargetId, from live state, then from what this run creates.
    let mut ids: BTreeMap<String, String> = live
        .map(|l| {
            l.sub_ids
                .iter()
                .filter_map(|(k, v)| {
                    k.strip_prefix("targets/")
                        .map(|n| (n.to_string(), v.clone()))
                })
                .collect()
        })
        .unwrap_or_default();
    let window_id = match (unit.parent(), live.and_then(|l| l.id.clone())) {
        (Some(c), _) if c.action == Action::Create => None,
        (_, id) => id,
    };
    let window_id = match window_id {
        Some(id) => {
            if let (Some(change), Some(live)) = (unit.parent(), live) {
                if change.fields.iter().any(|f| !f.path.starts_with("tags")) {
                    ssm::update_window(unit.clients, &id, unit.name, spec)
                        .await
                        .map_err(failed(unit.name))?;
                }
                let (add, remove) = tag_changes(&tags, &live.spec.tags);
                if !add.is_empty() || !remove.is_empty() {
                    ssm::retag(
                        unit.clients,
                        ssm::TagTarget::MaintenanceWindow,
                        &id,
                        &add,
                        &remove,
                    )
                    .await
                    .map_err(failed(unit.name))?;
                }
            }
            id
        }
        None => {
            let token = unit.token(
                "",
                &serde_json::to_value(strip_subs(spec)).unwrap_or_default(),
            );
            ssm::create_window(unit.clients, unit.name, spec, &tags, &token)
                .await
                .map_err(failed(unit.name))?
        }
    };
    let subs = unit.subs();
    // Targets: create and update.
    for target in &spec.targets {
        let path = format!("targets/{}", target.name);
        let change = subs.iter().find(|(_, s)| *s == path).map(|(c, _)| *c);
        let full = format!("{}/{path}", unit.name);
        match change.map(|c| c.action) {
            Some(Action::Create) => {
                let token = unit.token(&path, &serde_json::to_value(target).unwrap_or_default());
                let id = ssm::register_window_target(unit.clients, &window_id, target, &token)
                    .await
                    .map_err(failed(&full))?;
                ids.insert(target.name.clone(), id);
            }
            Some(Action::Update | Action::Replace) => {
                if let Some(id) = ids.get(&target.name) {
                    ssm::update_window_target(unit.clients, &window_id, id, target)
                        .await
                        .map_err(failed(&full))?;
                }
            }
            _ => {}
        }
    }
    // Tasks: delete, replace, create, update.
    let live_task_ids: BTreeMap<String, String> = live
        .map(|l| {
            l.sub_ids
                .iter()
                .filter_map(|(k, v)| k.strip_prefix("tasks/").map(|n| (n.to_string(), v.clone())))
                .collect()
        })
        .unwrap_or_default();
    for (change, sub) in &subs {
        let Some(task_name) = sub.strip_prefix("tasks/") else {
            continue;
        };
        let task = spec.tasks.iter().find(|t| t.name == task_name);
        let live_id = live_task_ids.get(task_name);
        match (change.action, task, live_id) {
            (Action::Delete, _, Some(id)) | (Action::Replace, _, Some(id)) => {
                ssm::deregister_window_task(unit.clients, &window_id, id)
                    .await
                    .map_err(failed(&change.name))?;
            }
            _ => {}
        }
        match (change.action, task, live_id) {
            (Action::Create | Action::Replace, Some(task), _) => {
                let token = unit.token(sub, &serde_json::to_value(task).unwrap_or_default());
                ssm::register_window_task(
                    unit.clients,
                    &window_id,
                    task,
                    &target_ids(&task.targets, &ids),
                    &token,
                )
                .await
                .map_err(failed(&change.name))?;
            }
            (Action::Update, Some(task), Some(id)) => {
                ssm::update_window_task(
                    unit.clients,
                    &window_id,
                    id,
                    task,
                    &target_ids(&task.targets, &ids),
                )
                .await
                .map_err(failed(&change.name))?;
            }
            _ => {}
        }
    }
    // Targets: delete last, once no task names them.
    for (change, sub) in &subs {
        let Some(target_name) = sub.strip_prefix("targets/") else {
            continue;
        };
        if change.action == Action::Delete {
            if let Some(id) = ids.get(target_name) {
                ssm::deregister_window_target(unit.clients, &window_id, id)
                    .await
                    .map_err(failed(&change.name))?;
            }
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
