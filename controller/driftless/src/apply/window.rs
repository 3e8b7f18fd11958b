//! Applying MaintenanceWindow changes: the window (created with tags and a client
//! token), then its targets, then its tasks (which name target ids); deletes go the
//! other way (tasks before the targets they use).
//!
//! A task update never erases what the spec is silent about: the settings its blocks
//! leave unset are taken from the live task ([`task_update`]), and Replace is used only
//! when a field the spec dropped must be cleared (see `ssm::update_window_task`).

use std::collections::BTreeMap;

use super::{chosen, failed, tag_changes, ApplyError, Unit};
use crate::aws::ssm;
use crate::plan::{normalise, Action};
use crate::spec::maintenance_window::WindowTask;
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
                let live_task =
                    live.and_then(|l| l.spec.tasks.iter().find(|t| t.name == task.name));
                let (task, replace) = task_update(task, live_task);
                ssm::update_window_task(
                    unit.clients,
                    &window_id,
                    id,
                    &task,
                    &target_ids(&task.targets, &ids),
                    replace,
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

/// What an update of `desired` sends: the task with the settings its blocks leave
/// unset taken from `live` (the plan's "don't care", [`normalise::window_task_dont_care`]),
/// and whether the update must clear a field the live task has and the spec dropped
/// (then Replace). Priority and cutoff behaviour are sent at their defaults, and
/// targets always, so they never need Replace; nor do the limits of a task without
/// targets (AWS's placeholders).
pub fn task_update(desired: &WindowTask, live: Option<&WindowTask>) -> (WindowTask, bool) {
    let Some(live) = live else {
        return (desired.clone(), false);
    };
    let (Ok(mut d), Ok(l)) = (serde_json::to_value(desired), serde_json::to_value(live)) else {
        return (desired.clone(), true);
    };
    normalise::window_task_dont_care(&mut d, &l);
    let merged: WindowTask = serde_json::from_value(d).unwrap_or_else(|_| desired.clone());
    let sent = serde_json::to_value(&merged).unwrap_or_default();
    let never = ["priority", "cutoffBehavior", "targets", "instanceIds"];
    let placeholders = ["maxConcurrency", "maxErrors"];
    let replace = l.as_object().into_iter().flatten().any(|(key, _)| {
        let placeholder = placeholders.contains(&key.as_str()) && !merged.has_targets();
        let cleared = sent.get(key).is_none();
        cleared && !placeholder && !never.contains(&key.as_str())
    });
    (merged, replace)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn task(v: serde_json::Value) -> WindowTask {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn settings_the_spec_is_silent_about_are_kept_without_replace() {
        let desired = task(
            json!({"name": "p", "type": "RUN_COMMAND", "taskArn": "AWS-RunPatchBaseline",
            "targets": ["web"], "maxConcurrency": "2", "maxErrors": "1",
            "runCommand": {"comment": "new"}}),
        );
        let live = task(
            json!({"name": "p", "type": "RUN_COMMAND", "taskArn": "AWS-RunPatchBaseline",
            "targets": ["web"], "maxConcurrency": "1", "maxErrors": "1", "priority": 3,
            "runCommand": {"comment": "old", "timeoutSeconds": 900, "outputS3BucketName": "out"}}),
        );
        let (sent, replace) = task_update(&desired, Some(&live));
        assert!(!replace);
        let r = sent.run_command.unwrap();
        assert_eq!(r.comment.as_deref(), Some("new"));
        assert_eq!(r.timeout_seconds, Some(900));
        assert_eq!(r.output_s3_bucket_name.as_deref(), Some("out"));
        assert_eq!(sent.max_concurrency.as_deref(), Some("2"));
        assert_eq!(sent.priority, None, "sent as the default 1, not kept at 3");
    }

    #[test]
    fn a_dropped_field_needs_replace() {
        let desired = task(json!({"name": "l", "type": "LAMBDA",
            "taskArn": "arn:aws:lambda:us-east-1:111111111111:function:f"}));
        let live = task(json!({"name": "l", "type": "LAMBDA", "description": "d",
            "taskArn": "arn:aws:lambda:us-east-1:111111111111:function:f",
            "maxConcurrency": "1", "maxErrors": "1", "lambda": {"qualifier": "live"}}));
        let (sent, replace) = task_update(&desired, Some(&live));
        assert!(replace, "the description must be cleared");
        assert_eq!(sent.lambda.unwrap().qualifier.as_deref(), Some("live"));
        let mut with_description = desired.clone();
        with_description.description = Some("d".into());
        let (_, replace) = task_update(&with_description, Some(&live));
        assert!(
            !replace,
            "the placeholders of a task without targets need no clearing"
        );
    }
}
