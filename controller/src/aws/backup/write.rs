//! AWS Backup writes: vaults (CreateBackupVault with CreatorRequestId and tags,
//! DeleteBackupVault), plans (CreateBackupPlan with CreatorRequestId and tags,
//! UpdateBackupPlan, DeleteBackupPlan), selections (CreateBackupSelection with
//! CreatorRequestId, DeleteBackupSelection) and tags (TagResource / UntagResource).

use std::collections::BTreeMap;

use crate::aws::{AwsError, Clients};
use crate::spec::backup_plan::BackupSelection;
use crate::spec::{BackupPlanSpec, BackupVaultSpec};

fn pending(clients: &Clients, op: &'static str) -> AwsError {
    AwsError::Setup {
        target: clients.target.clone(),
        message: format!("backup {op} is not implemented yet"),
        hint: "this build of driftless cannot write AWS Backup resources".into(),
    }
}

pub async fn create_vault(clients: &Clients, name: &str, spec: &BackupVaultSpec, tags: &BTreeMap<String, String>, token: &str) -> Result<(), AwsError> {
    let _ = (name, spec, tags, token);
    Err(pending(clients, "CreateBackupVault"))
}

pub async fn delete_vault(clients: &Clients, name: &str) -> Result<(), AwsError> {
    let _ = name;
    Err(pending(clients, "DeleteBackupVault"))
}

/// Adds or changes `add` and removes `remove` on the vault or plan `arn`.
pub async fn retag(clients: &Clients, arn: &str, add: &BTreeMap<String, String>, remove: &[String]) -> Result<(), AwsError> {
    let _ = (arn, add, remove);
    Err(pending(clients, "TagResource"))
}

/// Creates the plan with its rules (selections excepted); returns its id.
pub async fn create_plan(clients: &Clients, name: &str, spec: &BackupPlanSpec, tags: &BTreeMap<String, String>, token: &str) -> Result<String, AwsError> {
    let _ = (name, spec, tags, token);
    Err(pending(clients, "CreateBackupPlan"))
}

/// Sets the plan's rules as `spec` says.
pub async fn update_plan(clients: &Clients, id: &str, name: &str, spec: &BackupPlanSpec) -> Result<(), AwsError> {
    let _ = (id, name, spec);
    Err(pending(clients, "UpdateBackupPlan"))
}

pub async fn delete_plan(clients: &Clients, id: &str) -> Result<(), AwsError> {
    let _ = id;
    Err(pending(clients, "DeleteBackupPlan"))
}

/// Creates a selection; returns its SelectionId.
pub async fn create_selection(clients: &Clients, plan_id: &str, selection: &BackupSelection, token: &str) -> Result<String, AwsError> {
    let _ = (plan_id, selection, token);
    Err(pending(clients, "CreateBackupSelection"))
}

pub async fn delete_selection(clients: &Clients, plan_id: &str, selection_id: &str) -> Result<(), AwsError> {
    let _ = (plan_id, selection_id);
    Err(pending(clients, "DeleteBackupSelection"))
}
