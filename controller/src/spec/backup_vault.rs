//! `BackupVault`: an AWS Backup vault that driftless owns.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::context::{At, Cx};
use super::rules;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BackupVaultSpec {
    /// KMS key ARN; changing it replaces the vault. Absent: AWS's managed key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption_key_arn: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

/// Vault names: 2-50 letters, digits, `-` and `_`.
pub fn check_vault_name(what: &str, name: &str) -> rules::Check {
    rules::name(what, name, 2, 50, "-_")
}

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
        cx.check_tags(&at.k("tags"), &self.tags);
    }
}
