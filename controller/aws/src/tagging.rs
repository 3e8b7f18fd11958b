//! Resource Groups Tagging API: which resources this instance owns, in one paginated
//! listing for every kind driftless manages.
//!
//! `GetResources` with the tag filter `driftless.dev/managed-by = <instance>`, the
//! resource types driftless manages (`cloudwatch:alarm`, `logs:log-group`,
//! `ssm:patchbaseline`, `ssm:maintenancewindow`, `backup:backup-vault`,
//! `backup:backup-plan`) and 100 resources per page, following `PaginationToken`.
//! Every ARN is sorted into its kind of [`Owned`] with all of the resource's tags, so
//! the service readers need no tag call for owned resources.
//!
//! Calls per plan: `GetResources: max(1, ceil(R/100))` where R = resources of those
//! types carrying this instance's ownership tag.
//!
//! Log-group ARNs are stored without the trailing `:*` that some APIs add
//! (`arn:aws:logs:R:A:log-group:NAME`), so they match what `logs` looks up.

use std::collections::BTreeMap;

use aws_sdk_resourcegroupstagging::types::TagFilter;

use super::{AwsError, Clients, Owned};
use driftless_core::spec::context::OWNERSHIP_TAG;

/// The resource types driftless manages, as the tagging API names them.
pub const RESOURCE_TYPES: &[&str] = &[
    "cloudwatch:alarm",
    "logs:log-group",
    "ssm:patchbaseline",
    "ssm:maintenancewindow",
    "backup:backup-vault",
    "backup:backup-plan",
    "ssm:association",
];

/// Resources per `GetResources` page (the API's maximum).
const PAGE_SIZE: i32 = 100;

/// Every resource tagged `driftless.dev/managed-by = instance`, by kind.
pub async fn owned_resources(clients: &Clients, instance: &str) -> Result<Owned, AwsError> {
    let request = clients.tagging.get_resources().tag_filters(
        TagFilter::builder()
            .key(OWNERSHIP_TAG)
            .values(instance)
            .build(),
    );
    listing(clients, request, RESOURCE_TYPES).await
}

/// Every tagged resource of `types` (tagging API names, e.g. `cloudwatch:alarm`) with
/// its tags, whoever owns it: one `GetResources` listing without a tag filter,
/// `max(1, ceil(T/100))` calls for T tagged resources. The tagging API lists only
/// resources that carry (or carried) tags, so a resource missing here has none.
pub async fn tagged_resources(clients: &Clients, types: &[&str]) -> Result<Owned, AwsError> {
    listing(clients, clients.tagging.get_resources(), types).await
}

/// Pages through one `GetResources` listing of `types`, sorting resources by kind.
async fn listing(
    clients: &Clients,
    request: aws_sdk_resourcegroupstagging::operation::get_resources::builders::GetResourcesFluentBuilder,
    types: &[&str],
) -> Result<Owned, AwsError> {
    let mut found = Owned::default();
    let mut pages = request
        .set_resource_type_filters(Some(types.iter().map(|t| t.to_string()).collect()))
        .resources_per_page(PAGE_SIZE)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsError::call(clients, "tagging", "GetResources", None, e))?;
        for mapping in page.resource_tag_mapping_list() {
            let Some(arn) = mapping.resource_arn() else {
                continue;
            };
            let tags: BTreeMap<String, String> = mapping
                .tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect();
            classify(&mut found, arn, tags);
        }
    }
    Ok(found)
}

/// The kind of a managed resource's ARN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArnKind {
    Alarm,
    LogGroup,
    PatchBaseline,
    MaintenanceWindow,
    BackupVault,
    BackupPlan,
    Association,
}

/// The kind of `arn` and its normalised form (log groups lose a trailing `:*`), or
/// `None` for an ARN of another kind.
pub fn arn_kind(arn: &str) -> Option<(ArnKind, String)> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [_arn, _partition, service, _region, _account, resource] = parts[..] else {
        return None;
    };
    let kind = match service {
        "cloudwatch" if resource.starts_with("alarm:") => ArnKind::Alarm,
        "logs" if resource.starts_with("log-group:") => ArnKind::LogGroup,
        "ssm" if resource.starts_with("patchbaseline/") => ArnKind::PatchBaseline,
        "ssm" if resource.starts_with("maintenancewindow/") => ArnKind::MaintenanceWindow,
        "backup" if resource.starts_with("backup-vault:") => ArnKind::BackupVault,
        "backup" if resource.starts_with("backup-plan:") => ArnKind::BackupPlan,
        "ssm" if resource.starts_with("association/") => ArnKind::Association,
        _ => return None,
    };
    let arn = match kind {
        ArnKind::LogGroup => arn.strip_suffix(":*").unwrap_or(arn),
        _ => arn,
    };
    Some((kind, arn.to_string()))
}

/// The resource part of an ARN after `prefix` (`alarm:` → the alarm name), or `None`.
pub fn arn_resource<'a>(arn: &'a str, prefix: &str) -> Option<&'a str> {
    arn.splitn(6, ':').nth(5)?.strip_prefix(prefix)
}

fn classify(owned: &mut Owned, arn: &str, tags: BTreeMap<String, String>) {
    let Some((kind, arn)) = arn_kind(arn) else {
        return;
    };
    let map = match kind {
        ArnKind::Alarm => &mut owned.alarms,
        ArnKind::LogGroup => &mut owned.log_groups,
        ArnKind::PatchBaseline => &mut owned.patch_baselines,
        ArnKind::MaintenanceWindow => &mut owned.maintenance_windows,
        ArnKind::BackupVault => &mut owned.backup_vaults,
        ArnKind::BackupPlan => &mut owned.backup_plans,
        ArnKind::Association => &mut owned.associations,
    };
    map.insert(arn, tags);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_arns() {
        let mut owned = Owned::default();
        let tags = BTreeMap::from([("k".to_string(), "v".to_string())]);
        for arn in [
            "arn:aws:cloudwatch:us-east-1:111111111111:alarm:web:cpu high",
            "arn:aws:logs:us-east-1:111111111111:log-group:/app/web:*",
            "arn:aws:logs:us-east-1:111111111111:log-group:/app/api",
            "arn:aws:ssm:us-east-1:111111111111:patchbaseline/pb-0123",
            "arn:aws:ssm:us-east-1:111111111111:maintenancewindow/mw-0123",
            "arn:aws:backup:us-east-1:111111111111:backup-vault:main",
            "arn:aws:backup:us-east-1:111111111111:backup-plan:1234-abcd",
            "arn:aws:sns:us-east-1:111111111111:topic",
            "arn:aws:ssm:us-east-1:111111111111:document/x",
            "not an arn",
        ] {
            classify(&mut owned, arn, tags.clone());
        }
        let keys =
            |m: &BTreeMap<String, BTreeMap<String, String>>| m.keys().cloned().collect::<Vec<_>>();
        assert_eq!(
            keys(&owned.alarms),
            ["arn:aws:cloudwatch:us-east-1:111111111111:alarm:web:cpu high"]
        );
        assert_eq!(
            keys(&owned.log_groups),
            [
                "arn:aws:logs:us-east-1:111111111111:log-group:/app/api",
                "arn:aws:logs:us-east-1:111111111111:log-group:/app/web",
            ]
        );
        assert_eq!(owned.patch_baselines.len(), 1);
        assert_eq!(owned.maintenance_windows.len(), 1);
        assert_eq!(owned.backup_vaults.len(), 1);
        assert_eq!(owned.backup_plans.len(), 1);
        assert_eq!(owned.alarms.values().next(), Some(&tags));
        assert_eq!(
            arn_resource(
                "arn:aws:cloudwatch:us-east-1:111111111111:alarm:web:cpu high",
                "alarm:"
            ),
            Some("web:cpu high")
        );
        assert_eq!(
            arn_resource("arn:aws:logs:r:a:log-group:/x", "alarm:"),
            None
        );
    }
}
