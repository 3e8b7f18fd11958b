//! CloudWatch Logs writes: CreateLogGroup (tags, key and class in the call),
//! PutRetentionPolicy / DeleteRetentionPolicy, AssociateKmsKey / DisassociateKmsKey,
//! TagResource / UntagResource, DeleteLogGroup.
//!
//! Tags are changed with TagResource / UntagResource on the group's ARN, not with the
//! deprecated TagLogGroup / UntagLogGroup by name (which the emulator also serves):
//! AWS deprecated those, they need their own IAM actions (`logs:TagLogGroup`,
//! `logs:UntagLogGroup`) besides the `logs:TagResource` that CreateLogGroup with tags
//! already needs, and they may go away. The writers get a name, and an ARN needs the
//! account id, so `retag_log_group` looks the ARN up with one DescribeLogGroups
//! (`logGroupNamePrefix` = the name, one page of at most 50, exact name picked), an
//! action the readers need anyway.
//!
//! Calls:
//! * `create_log_group`: CreateLogGroup, plus PutRetentionPolicy when the spec has a
//!   number of days (never for a DELIVERY group, whose retention AWS fixes). After ResourceAlreadyExistsException (a retry whose first
//!   response was lost): DescribeLogGroups + ListTagsForResource to check the owner.
//! * `set_retention`: PutRetentionPolicy or DeleteRetentionPolicy.
//! * `set_kms_key`: AssociateKmsKey or DisassociateKmsKey.
//! * `retag_log_group`: DescribeLogGroups, then TagResource and/or UntagResource (only
//!   those with something to do; no call at all when both are empty).
//! * `delete_log_group`: DeleteLogGroup.

use std::collections::BTreeMap;

use aws_sdk_cloudwatchlogs::types::LogGroupClass as AwsClass;

use crate::{AwsError, Clients};
use driftless_core::spec::context::OWNERSHIP_TAG;
use driftless_core::spec::log_group::Retention;
use driftless_core::spec::LogGroupSpec;

/// A spec value as the AWS string it serializes to (`INFREQUENT_ACCESS`).
fn aws_str<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// Creates the group with its key, class and `tags`, then sets its retention.
///
/// When the group already exists and carries the ownership tag with the value in
/// `tags`, it is the group an earlier attempt of this same create made (its response
/// was lost): that counts as created, and the retention is set. Any other existing
/// group is an error (ResourceAlreadyExistsException).
pub async fn create_log_group(
    clients: &Clients,
    name: &str,
    spec: &LogGroupSpec,
    tags: &BTreeMap<String, String>,
) -> Result<(), AwsError> {
    let created = clients
        .logs
        .create_log_group()
        .log_group_name(name)
        .set_kms_key_id(spec.kms_key_id.clone())
        .set_log_group_class(
            spec.log_group_class
                .as_ref()
                .map(|c| AwsClass::from(aws_str(c).as_str())),
        )
        .set_tags((!tags.is_empty()).then(|| tags.clone().into_iter().collect()))
        .send()
        .await;
    if let Err(e) = created {
        let exists = e
            .as_service_error()
            .is_some_and(|s| s.is_resource_already_exists_exception());
        let err = AwsError::call(clients, "logs", "CreateLogGroup", Some(name), e);
        if !exists {
            return Err(err);
        }
        let Some(owner) = tags.get(OWNERSHIP_TAG) else {
            return Err(err);
        };
        let Some(arn) = find_arn(clients, name).await? else {
            return Err(err);
        };
        let existing = list_tags(clients, name, &arn).await?;
        if existing.get(OWNERSHIP_TAG) != Some(owner) {
            return Err(err);
        }
    }
    if spec.log_group_class == Some(driftless_core::spec::log_group::LogGroupClass::Delivery) {
        // AWS fixes a DELIVERY group's retention (one day) and refuses to set it.
        return Ok(());
    }
    match spec.retention_in_days {
        Some(Retention::Days(days)) => put_retention(clients, name, days).await,
        Some(Retention::Never) | None => Ok(()),
    }
}

/// Sets the retention (`None` or `Never`: never expire).
pub async fn set_retention(
    clients: &Clients,
    name: &str,
    retention: Option<Retention>,
) -> Result<(), AwsError> {
    match retention {
        Some(Retention::Days(days)) => put_retention(clients, name, days).await,
        Some(Retention::Never) | None => {
            match clients
                .logs
                .delete_retention_policy()
                .log_group_name(name)
                .send()
                .await
            {
                Ok(_) => Ok(()),
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_resource_not_found_exception()) =>
                {
                    Ok(())
                }
                Err(e) => Err(AwsError::call(
                    clients,
                    "logs",
                    "DeleteRetentionPolicy",
                    Some(name),
                    e,
                )),
            }
        }
    }
}

async fn put_retention(clients: &Clients, name: &str, days: u32) -> Result<(), AwsError> {
    clients
        .logs
        .put_retention_policy()
        .log_group_name(name)
        .retention_in_days(i32::try_from(days).unwrap_or(i32::MAX))
        .send()
        .await
        .map_err(|e| AwsError::call(clients, "logs", "PutRetentionPolicy", Some(name), e))?;
    Ok(())
}

/// Associates the KMS key, or disassociates the current one (`None`).
pub async fn set_kms_key(clients: &Clients, name: &str, key: Option<&str>) -> Result<(), AwsError> {
    match key {
        Some(key) => {
            clients
                .logs
                .associate_kms_key()
                .log_group_name(name)
                .kms_key_id(key)
                .send()
                .await
                .map_err(|e| AwsError::call(clients, "logs", "AssociateKmsKey", Some(name), e))?;
        }
        None => {
            clients
                .logs
                .disassociate_kms_key()
                .log_group_name(name)
                .send()
                .await
                .map_err(|e| {
                    AwsError::call(clients, "logs", "DisassociateKmsKey", Some(name), e)
                })?;
        }
    }
    Ok(())
}

/// Adds or changes `add` and removes `remove` on the group `name`.
pub async fn retag_log_group(
    clients: &Clients,
    name: &str,
    add: &BTreeMap<String, String>,
    remove: &[String],
) -> Result<(), AwsError> {
    if add.is_empty() && remove.is_empty() {
        return Ok(());
    }
    let Some(arn) = find_arn(clients, name).await? else {
        return Err(AwsError::Call {
            target: clients.target.clone(),
            service: "logs",
            operation: "DescribeLogGroups",
            resource: Some(name.to_string()),
            code: Some("ResourceNotFoundException".into()),
            message: "the log group does not exist, so its tags cannot be changed".into(),
        });
    };
    if !add.is_empty() {
        clients
            .logs
            .tag_resource()
            .resource_arn(&arn)
            .set_tags(Some(add.clone().into_iter().collect()))
            .send()
            .await
            .map_err(|e| AwsError::call(clients, "logs", "TagResource", Some(name), e))?;
    }
    if !remove.is_empty() {
        clients
            .logs
            .untag_resource()
            .resource_arn(&arn)
            .set_tag_keys(Some(remove.to_vec()))
            .send()
            .await
            .map_err(|e| AwsError::call(clients, "logs", "UntagResource", Some(name), e))?;
    }
    Ok(())
}

/// Deletes the group (one that does not exist counts as deleted).
pub async fn delete_log_group(clients: &Clients, name: &str) -> Result<(), AwsError> {
    match clients
        .logs
        .delete_log_group()
        .log_group_name(name)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            Ok(())
        }
        Err(e) => Err(AwsError::call(
            clients,
            "logs",
            "DeleteLogGroup",
            Some(name),
            e,
        )),
    }
}

/// The ARN (without `:*`) of the group `name`, from one DescribeLogGroups page with
/// the name as prefix; `None` when it does not exist.
///
/// One page is enough: AWS lists groups by name, and the exact name sorts before
/// every longer name it prefixes.
async fn find_arn(clients: &Clients, name: &str) -> Result<Option<String>, AwsError> {
    let out = clients
        .logs
        .describe_log_groups()
        .log_group_name_prefix(name)
        .limit(50)
        .send()
        .await
        .map_err(|e| AwsError::call(clients, "logs", "DescribeLogGroups", Some(name), e))?;
    Ok(out
        .log_groups()
        .iter()
        .find(|g| g.log_group_name() == Some(name))
        .and_then(|g| {
            g.log_group_arn()
                .or_else(|| g.arn().map(|a| a.strip_suffix(":*").unwrap_or(a)))
        })
        .map(str::to_string))
}

async fn list_tags(
    clients: &Clients,
    name: &str,
    arn: &str,
) -> Result<BTreeMap<String, String>, AwsError> {
    let out = clients
        .logs
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| AwsError::call(clients, "logs", "ListTagsForResource", Some(name), e))?;
    Ok(out
        .tags()
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default())
}
