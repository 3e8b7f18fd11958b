//! `BackupVault`: an AWS Backup vault that driftless owns, with its Vault Lock, access
//! policy and notifications.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::context::{At, Cx};
use super::rules::{self, Problem};

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BackupVaultSpec {
    /// KMS key ARN; changing it replaces the vault. Absent: AWS's managed key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption_key_arn: Option<String>,
    /// AWS Backup Vault Lock (PutBackupVaultLockConfiguration). Absent: no lock (an
    /// existing one is removed, which AWS allows only before its lock date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock: Option<VaultLock>,
    /// The vault's resource-based access policy, a JSON policy written as YAML;
    /// compared by meaning, not text. Absent: no policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "policy_schema")]
    pub access_policy: Option<serde_json::Value>,
    /// Events the vault publishes to an SNS topic. Absent: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notifications: Option<VaultNotifications>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

fn policy_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "description": "An IAM policy document (Version, Statement, ...) as a YAML mapping.",
        "type": "object"
    })
}

/// BackupVaultLockConfiguration. AWS returns the retention days but not
/// `changeableForDays` (only the lock date it led to), so that field is written, never
/// compared.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VaultLock {
    /// Shortest retention a backup or copy job to the vault may have (1 to 36500 days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 36500))]
    pub min_retention_days: Option<u32>,
    /// Longest retention a job may have (1 to 36500 days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 36500))]
    pub max_retention_days: Option<u32>,
    /// Compliance mode: days until the lock becomes immutable (3 to 36500; AWS's
    /// 72-hour cooling-off). Absent: governance mode, changeable at any time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 3, max = 36500))]
    pub changeable_for_days: Option<u32>,
}

/// PutBackupVaultNotifications.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VaultNotifications {
    pub sns_topic_arn: String,
    /// At least one; order does not matter.
    pub events: Vec<VaultEvent>,
}

/// The BackupVaultEvent values of the AWS Backup API model.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VaultEvent {
    BackupJobStarted,
    BackupJobCompleted,
    BackupJobSuccessful,
    BackupJobFailed,
    BackupJobExpired,
    RestoreJobStarted,
    RestoreJobCompleted,
    RestoreJobSuccessful,
    RestoreJobFailed,
    CopyJobStarted,
    CopyJobSuccessful,
    CopyJobFailed,
    RecoveryPointModified,
    BackupPlanCreated,
    BackupPlanModified,
    S3BackupObjectFailed,
    S3RestoreObjectFailed,
    ContinuousBackupInterrupted,
    RecoveryPointIndexCompleted,
    RecoveryPointIndexDeleted,
    RecoveryPointIndexingFailed,
    EksRestoreObjectFailed,
    EksRestoreObjectSkipped,
    EksBackupObjectFailed,
    EksRestoreModificationSuccess,
    EksRestoreModificationFailed,
    AccessPointAvailable,
    AccessPointCreationFailed,
    AccessPointDeleted,
    AccessPointDeletionFailed,
    AccessPointExpired,
    AccessPointDisassociated,
}

/// Vault names: 2-50 letters, digits, `-` and `_`.
pub fn check_vault_name(what: &str, name: &str) -> rules::Check {
    rules::name(what, name, 2, 50, "-_")
}

/// driftless's own bound on an access policy (bytes of its JSON), so a document
/// cannot make an unbounded request.
pub const MAX_POLICY_BYTES: usize = 20_480;

impl BackupVaultSpec {
    pub fn check(&self, name: &str, cx: &mut Cx<'_>) {
        let at = At::spec();
        cx.check(
            &At::root().k("metadata").k("name"),
            check_vault_name("vault name", name),
        );
        if let Some(key) = &self.encryption_key_arn {
            cx.check(
                &at.k("encryptionKeyArn"),
                rules::kms_key_arn(key, "encryptionKeyArn"),
            );
        }
        if let Some(lock) = &self.lock {
            check_lock(&at.k("lock"), lock, cx);
        }
        if let Some(policy) = &self.access_policy {
            check_policy(&at.k("accessPolicy"), policy, cx);
        }
        if let Some(n) = &self.notifications {
            let n_at = at.k("notifications");
            cx.check(
                &n_at.k("snsTopicArn"),
                rules::arn_of(&n.sns_topic_arn, "snsTopicArn", "sns", &[]),
            );
            if n.events.is_empty() {
                cx.report(
                    &n_at.k("events"),
                    Problem::new("notifications need at least one event")
                        .hint("list events such as BACKUP_JOB_FAILED, or remove `notifications`"),
                );
            }
        }
        cx.check_tags(&at.k("tags"), &self.tags);
    }
}

fn check_lock(at: &At<'_>, lock: &VaultLock, cx: &mut Cx<'_>) {
    if let (Some(min), Some(max)) = (lock.min_retention_days, lock.max_retention_days) {
        if min > max {
            cx.report(
                &at.k("maxRetentionDays"),
                Problem::new(format!(
                    "maxRetentionDays {max} is less than minRetentionDays {min}"
                ))
                .hint("AWS Backup refuses a lock whose maximum retention is below its minimum"),
            );
        }
    }
    if lock.min_retention_days.is_none() && lock.max_retention_days.is_none() {
        cx.report(
            at,
            Problem::new(
                "a vault lock without minRetentionDays or maxRetentionDays enforces nothing",
            )
            .hint("set minRetentionDays (and maxRetentionDays), or remove `lock`"),
        );
    }
}

fn check_policy(at: &At<'_>, policy: &serde_json::Value, cx: &mut Cx<'_>) {
    let size = policy.to_string().len();
    if size > MAX_POLICY_BYTES {
        cx.error(
            at,
            format!("the access policy is {size} bytes as JSON; at most {MAX_POLICY_BYTES}"),
        );
    }
    match policy.get("Statement") {
        Some(serde_json::Value::Array(_) | serde_json::Value::Object(_)) => {}
        _ => cx.report(
            at,
            Problem::new("the access policy has no `Statement`")
                .hint("write an IAM policy: Version: \"2012-10-17\" and a Statement list"),
        ),
    }
}
