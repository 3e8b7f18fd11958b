//! SSM writes: patch baselines (CreatePatchBaseline with ClientToken and Tags,
//! UpdatePatchBaseline, DeletePatchBaseline), patch-group registration, the default
//! baseline, maintenance windows with their targets and tasks (ClientToken on every
//! create/register), and tags (AddTagsToResource / RemoveTagsFromResource).

use std::collections::BTreeMap;

use crate::aws::{AwsError, Clients};
use crate::spec::maintenance_window::{WindowTarget, WindowTask};
use crate::spec::{MaintenanceWindowSpec, PatchBaselineSpec};

/// SSM resource types that carry tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagTarget {
    PatchBaseline,
    MaintenanceWindow,
}

fn pending(clients: &Clients, op: &'static str) -> AwsError {
    AwsError::Setup {
        target: clients.target.clone(),
        message: format!("ssm {op} is not implemented yet"),
        hint: "this build of driftless cannot write SSM resources".into(),
    }
}

/// Creates the baseline (without its patch groups); returns its id.
pub async fn create_patch_baseline(clients: &Clients, name: &str, spec: &PatchBaselineSpec, tags: &BTreeMap<String, String>, token: &str) -> Result<String, AwsError> {
    let _ = (name, spec, tags, token);
    Err(pending(clients, "CreatePatchBaseline"))
}

/// Sets every field of the baseline `id` as `spec` says (Replace), tags excepted.
pub async fn update_patch_baseline(clients: &Clients, id: &str, name: &str, spec: &PatchBaselineSpec) -> Result<(), AwsError> {
    let _ = (id, name, spec);
    Err(pending(clients, "UpdatePatchBaseline"))
}

pub async fn delete_patch_baseline(clients: &Clients, id: &str) -> Result<(), AwsError> {
    let _ = id;
    Err(pending(clients, "DeletePatchBaseline"))
}

pub async fn register_patch_group(clients: &Clients, id: &str, group: &str) -> Result<(), AwsError> {
    let _ = (id, group);
    Err(pending(clients, "RegisterPatchBaselineForPatchGroup"))
}

pub async fn deregister_patch_group(clients: &Clients, id: &str, group: &str) -> Result<(), AwsError> {
    let _ = (id, group);
    Err(pending(clients, "DeregisterPatchBaselineForPatchGroup"))
}

pub async fn register_default_baseline(clients: &Clients, id: &str) -> Result<(), AwsError> {
    let _ = id;
    Err(pending(clients, "RegisterDefaultPatchBaseline"))
}

/// Adds or changes `add` and removes `remove` on the resource `id`.
pub async fn retag(clients: &Clients, kind: TagTarget, id: &str, add: &BTreeMap<String, String>, remove: &[String]) -> Result<(), AwsError> {
    let _ = (kind, id, add, remove);
    Err(pending(clients, "AddTagsToResource"))
}

/// Creates the window (without targets and tasks); returns its id.
pub async fn create_window(clients: &Clients, name: &str, spec: &MaintenanceWindowSpec, tags: &BTreeMap<String, String>, token: &str) -> Result<String, AwsError> {
    let _ = (name, spec, tags, token);
    Err(pending(clients, "CreateMaintenanceWindow"))
}

/// Sets the window's own fields (Replace), targets, tasks and tags excepted.
pub async fn update_window(clients: &Clients, id: &str, name: &str, spec: &MaintenanceWindowSpec) -> Result<(), AwsError> {
    let _ = (id, name, spec);
    Err(pending(clients, "UpdateMaintenanceWindow"))
}

pub async fn delete_window(clients: &Clients, id: &str) -> Result<(), AwsError> {
    let _ = id;
    Err(pending(clients, "DeleteMaintenanceWindow"))
}

/// Registers a target; returns its WindowTargetId.
pub async fn register_window_target(clients: &Clients, window_id: &str, target: &WindowTarget, token: &str) -> Result<String, AwsError> {
    let _ = (window_id, target, token);
    Err(pending(clients, "RegisterTargetWithMaintenanceWindow"))
}

pub async fn update_window_target(clients: &Clients, window_id: &str, target_id: &str, target: &WindowTarget) -> Result<(), AwsError> {
    let _ = (window_id, target_id, target);
    Err(pending(clients, "UpdateMaintenanceWindowTarget"))
}

pub async fn deregister_window_target(clients: &Clients, window_id: &str, target_id: &str) -> Result<(), AwsError> {
    let _ = (window_id, target_id);
    Err(pending(clients, "DeregisterTargetFromMaintenanceWindow"))
}

/// Registers a task on the targets `target_ids`; returns its WindowTaskId.
pub async fn register_window_task(clients: &Clients, window_id: &str, task: &WindowTask, target_ids: &[String], token: &str) -> Result<String, AwsError> {
    let _ = (window_id, task, target_ids, token);
    Err(pending(clients, "RegisterTaskWithMaintenanceWindow"))
}

pub async fn update_window_task(clients: &Clients, window_id: &str, task_id: &str, task: &WindowTask, target_ids: &[String]) -> Result<(), AwsError> {
    let _ = (window_id, task_id, task, target_ids);
    Err(pending(clients, "UpdateMaintenanceWindowTask"))
}

pub async fn deregister_window_task(clients: &Clients, window_id: &str, task_id: &str) -> Result<(), AwsError> {
    let _ = (window_id, task_id);
    Err(pending(clients, "DeregisterTaskFromMaintenanceWindow"))
}
