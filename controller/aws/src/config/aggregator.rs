//! AWS Config aggregators (the `ConfigurationAggregator` kind).
//!
//! Reads: `DescribeConfigurationAggregators` lists every aggregator of the region
//! (100 a page; it takes names too, but answers NoSuchConfigurationAggregatorException
//! when one is missing, so the listing is used), then `ListTagsForResource` (limit 50,
//! AWS's tag maximum: one call) for the aggregators whose tags matter: those `names`
//! gives (desired or recorded), or all of them for `read_every`. Calls per plan:
//! `max(1, ⌈A/100⌉) + k`, A = aggregators in the region, k = those of them named.
//! Aggregators the tags were not read for have `tags_known: false` (not owned).
//!
//! Writes: PutConfigurationAggregator creates and updates. "Tags are added at
//! creation and cannot be updated with this operation" (its API reference), so tags
//! go with the create only, and changes later through TagResource / UntagResource.
//! The put replaces the aggregator whole: an update first reads the aggregator
//! (`DescribeConfigurationAggregators` with its name) and sends its
//! `AggregatorFilters`, which the format has no field for, back unchanged. Update:
//! 2 calls; create: 1; delete: 1 DeleteConfigurationAggregator
//! (NoSuchConfigurationAggregatorException: already gone, which is what was asked).

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_config::types::{
    AccountAggregationSource, AggregatorFilters, ConfigurationAggregator,
    OrganizationAggregationSource, Tag,
};

use crate::{AwsError, Clients};
use driftless_core::live::Live;
use driftless_core::spec::config_aggregator::{AccountSource, OrganizationSource};
use driftless_core::spec::ConfigurationAggregatorSpec;

/// DescribeConfigurationAggregators' largest page.
const PAGE_SIZE: i32 = 100;
/// ListTagsForResource's limit: AWS allows 50 tags a resource, so one page holds all.
const TAG_PAGE: i32 = 50;

/// Every aggregator of the region, with tags for those in `names`.
pub async fn read_aggregators(
    clients: &Clients,
    names: &BTreeSet<String>,
) -> Result<Vec<Live<ConfigurationAggregatorSpec>>, AwsError> {
    read(clients, |name| names.contains(name)).await
}

/// Every aggregator of the region with its tags (`import` and `audit`).
pub async fn read_every_aggregator(
    clients: &Clients,
) -> Result<Vec<Live<ConfigurationAggregatorSpec>>, AwsError> {
    read(clients, |_| true).await
}

async fn read(
    clients: &Clients,
    tagged: impl Fn(&str) -> bool,
) -> Result<Vec<Live<ConfigurationAggregatorSpec>>, AwsError> {
    let mut out = Vec::new();
    for aggregator in list(clients, None).await? {
        let mut live = to_live(&aggregator);
        if tagged(&live.name) {
            if let Some(arn) = &live.arn {
                live.spec.tags = list_tags(clients, arn).await?;
                live.tags_known = true;
            }
        }
        out.push(live);
    }
    Ok(out)
}

/// The aggregators of the region (`name`: that one only; missing is an empty list).
async fn list(
    clients: &Clients,
    name: Option<&str>,
) -> Result<Vec<ConfigurationAggregator>, AwsError> {
    let mut pages = clients
        .config
        .describe_configuration_aggregators()
        .set_configuration_aggregator_names(name.map(|n| vec![n.to_string()]))
        .limit(PAGE_SIZE)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        match page {
            Ok(page) => out.extend(page.configuration_aggregators().iter().cloned()),
            Err(e) if code(&e) == Some("NoSuchConfigurationAggregatorException") => break,
            Err(e) => {
                return Err(AwsError::call(
                    clients,
                    "config",
                    "DescribeConfigurationAggregators",
                    name,
                    e,
                ))
            }
        }
    }
    Ok(out)
}

pub(super) fn code<E: aws_sdk_config::error::ProvideErrorMetadata>(
    e: &aws_sdk_config::error::SdkError<E>,
) -> Option<&str> {
    e.as_service_error()
        .and_then(aws_sdk_config::error::ProvideErrorMetadata::code)
}

/// The tags of one Config resource.
pub async fn list_tags(clients: &Clients, arn: &str) -> Result<BTreeMap<String, String>, AwsError> {
    let out = clients
        .config
        .list_tags_for_resource()
        .resource_arn(arn)
        .limit(TAG_PAGE)
        .send()
        .await
        .map_err(|e| AwsError::call(clients, "config", "ListTagsForResource", Some(arn), e))?;
    Ok(out
        .tags()
        .iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect())
}

/// One aggregator in spec form (tags not read yet: `tags_known` false).
fn to_live(a: &ConfigurationAggregator) -> Live<ConfigurationAggregatorSpec> {
    let accounts = a
        .account_aggregation_sources()
        .iter()
        .map(|s| AccountSource {
            account_ids: s.account_ids().to_vec(),
            regions: s.aws_regions().to_vec(),
            all_regions: s.all_aws_regions(),
        })
        .collect();
    let organization = a
        .organization_aggregation_source()
        .map(|o| OrganizationSource {
            role_arn: o.role_arn().to_string(),
            regions: o.aws_regions().to_vec(),
            all_regions: o.all_aws_regions(),
        });
    let unrepresented = a
        .aggregator_filters()
        .map(|_| vec!["aggregatorFilters".to_string()])
        .unwrap_or_default();
    Live {
        name: a
            .configuration_aggregator_name()
            .unwrap_or_default()
            .to_string(),
        spec: ConfigurationAggregatorSpec {
            accounts,
            organization,
            tags: BTreeMap::new(),
        },
        arn: a.configuration_aggregator_arn().map(str::to_string),
        id: None,
        sub_ids: BTreeMap::new(),
        tags_known: false,
        unrepresented,
    }
}

fn sources(
    spec: &ConfigurationAggregatorSpec,
) -> Result<
    (
        Vec<AccountAggregationSource>,
        Option<OrganizationAggregationSource>,
    ),
    String,
> {
    let accounts = spec
        .accounts
        .iter()
        .map(|s| {
            AccountAggregationSource::builder()
                .set_account_ids(Some(s.account_ids.clone()))
                .set_aws_regions((!s.regions.is_empty()).then(|| s.regions.clone()))
                .set_all_aws_regions(s.all_regions.then_some(true))
                .build()
                .map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;
    let organization = spec
        .organization
        .as_ref()
        .map(|o| {
            OrganizationAggregationSource::builder()
                .role_arn(&o.role_arn)
                .set_aws_regions((!o.regions.is_empty()).then(|| o.regions.clone()))
                .set_all_aws_regions(o.all_regions.then_some(true))
                .build()
                .map_err(|e| e.to_string())
        })
        .transpose()?;
    Ok((accounts, organization))
}

/// PutConfigurationAggregator. `tags` (ownership tag included) are sent on a create
/// only; an update (`create` false) reads the aggregator first and keeps its
/// `AggregatorFilters`.
pub async fn put_aggregator(
    clients: &Clients,
    name: &str,
    spec: &ConfigurationAggregatorSpec,
    tags: Option<&BTreeMap<String, String>>,
) -> Result<(), AwsError> {
    let put = "PutConfigurationAggregator";
    let (accounts, organization) = sources(spec).map_err(|e| AwsError::Setup {
        target: clients.target.clone(),
        message: format!("cannot build the config {put} request: {e}"),
        hint: "this is a driftless bug; please report it".into(),
    })?;
    let filters: Option<AggregatorFilters> = match tags {
        Some(_) => None,
        None => list(clients, Some(name))
            .await?
            .first()
            .and_then(|a| a.aggregator_filters().cloned()),
    };
    clients
        .config
        .put_configuration_aggregator()
        .configuration_aggregator_name(name)
        .set_account_aggregation_sources((!accounts.is_empty()).then_some(accounts))
        .set_organization_aggregation_source(organization)
        .set_aggregator_filters(filters)
        .set_tags(tags.map(tag_list))
        .send()
        .await
        .map_err(|e| AwsError::call(clients, "config", put, Some(name), e))?;
    Ok(())
}

pub(crate) fn tag_list(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// DeleteConfigurationAggregator; one already gone is done.
pub async fn delete_aggregator(clients: &Clients, name: &str) -> Result<(), AwsError> {
    let sent = clients
        .config
        .delete_configuration_aggregator()
        .configuration_aggregator_name(name)
        .send()
        .await;
    gone_is_done(
        clients,
        (
            "DeleteConfigurationAggregator",
            "NoSuchConfigurationAggregatorException",
        ),
        name,
        sent,
    )
}

/// A delete's answer: `(operation, error code)`'s "no such resource" is what was asked.
pub(crate) fn gone_is_done<T, E>(
    clients: &Clients,
    (op, missing): (&'static str, &str),
    name: &str,
    sent: Result<T, aws_sdk_config::error::SdkError<E>>,
) -> Result<(), AwsError>
where
    E: aws_sdk_config::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match sent {
        Ok(_) => Ok(()),
        Err(e) if code(&e) == Some(missing) => Ok(()),
        Err(e) => Err(AwsError::call(clients, "config", op, Some(name), e)),
    }
}

/// TagResource with `add`, UntagResource with `remove` (each only when non-empty).
pub async fn retag(
    clients: &Clients,
    arn: &str,
    add: &BTreeMap<String, String>,
    remove: &[String],
) -> Result<(), AwsError> {
    if !add.is_empty() {
        clients
            .config
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(tag_list(add)))
            .send()
            .await
            .map_err(|e| AwsError::call(clients, "config", "TagResource", Some(arn), e))?;
    }
    if !remove.is_empty() {
        clients
            .config
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(remove.to_vec()))
            .send()
            .await
            .map_err(|e| AwsError::call(clients, "config", "UntagResource", Some(arn), e))?;
    }
    Ok(())
}
