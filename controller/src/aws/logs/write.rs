//! CloudWatch Logs writes: CreateLogGroup (tags, key and class in the call),
//! PutRetentionPolicy / DeleteRetentionPolicy, AssociateKmsKey / DisassociateKmsKey,
//! TagResource / UntagResource, DeleteLogGroup.

use std::collections::BTreeMap;

use crate::aws::{AwsError, Clients};
use crate::spec::log_group::Retention;
use crate::spec::LogGroupSpec;

fn pending(clients: &Clients, op: &'static str) -> AwsError {
    AwsError::Setup {
        target: clients.target.clone(),
        message: format!("logs {op} is not implemented yet"),
        hint: "this build of driftless cannot write log groups".into(),
    }
}

/// Creates the group with its key, class and `tags`, then sets its retention.
pub async fn create_log_group(clients: &Clients, name: &str, spec: &LogGroupSpec, tags: &BTreeMap<String, String>) -> Result<(), AwsError> {
    let _ = (name, spec, tags);
    Err(pending(clients, "CreateLogGroup"))
}

/// Sets the retention (`None` or `Never`: never expire).
pub async fn set_retention(clients: &Clients, name: &str, retention: Option<Retention>) -> Result<(), AwsError> {
    let _ = (name, retention);
    Err(pending(clients, "PutRetentionPolicy"))
}

/// Associates the KMS key, or disassociates the current one (`None`).
pub async fn set_kms_key(clients: &Clients, name: &str, key: Option<&str>) -> Result<(), AwsError> {
    let _ = (name, key);
    Err(pending(clients, "AssociateKmsKey"))
}

/// Adds or changes `add` and removes `remove` on the group `name`.
pub async fn retag_log_group(clients: &Clients, name: &str, add: &BTreeMap<String, String>, remove: &[String]) -> Result<(), AwsError> {
    let _ = (name, add, remove);
    Err(pending(clients, "TagResource"))
}

pub async fn delete_log_group(clients: &Clients, name: &str) -> Result<(), AwsError> {
    let _ = name;
    Err(pending(clients, "DeleteLogGroup"))
}
