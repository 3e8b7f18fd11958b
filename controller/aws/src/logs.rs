//! CloudWatch Logs: reads log groups (the `LogGroup` kind) and the retention of the
//! groups under `LogRetentionPolicy` prefixes.
//!
//! One listing serves both. `DescribeLogGroups` has no batch lookup by name that
//! works everywhere, only a name prefix, so the reader picks the cheapest listing:
//!
//! * Q = the smallest set of prefixes covering the selected names (desired ∪ owned,
//!   `N` of them) and the policy prefixes (`P`): every name and prefix that does not
//!   start with another one of them.
//! * |Q| = 0: no call.
//! * |Q| ≤ 3: one `logGroupNamePrefix` query per entry of Q, paginated (50 a page);
//!   calls `Σ_{q∈Q} max(1, ceil(m_q/50))` with m_q = groups whose name starts with q.
//!   A few names or one policy prefix cost one call each, however large the region.
//! * |Q| > 3: one listing of every group in the region, paginated (50 a page); calls
//!   `max(1, ceil(G/50))` with G = log groups in the region.
//!
//! Both bound the cost by about `|Q| + ceil(G/50)`; the prefix queries are never more
//! than 2 calls worse than the full listing and usually far cheaper.
//!
//! Tags of owned groups come from the tagging listing; a selected group that exists
//! and is not owned costs one `ListTagsForResource` (on the ARN without `:*`).
//!
//! Calls per plan: the listing above, plus `ListTagsForResource: U` where U = desired
//! groups that exist but are not owned.

pub mod metric_filters;
pub mod write;
pub use metric_filters::{delete_metric_filter, put_metric_filter};
pub use write::*;

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_cloudwatchlogs::types::LogGroup;

use super::tagging::arn_resource;
use super::{AwsError, Clients};
use driftless_core::live::{Live, LogGroupRetention};
use driftless_core::spec::log_group::Retention;
use driftless_core::spec::LogGroupSpec;

/// `DescribeLogGroups`' largest page.
const PAGE_SIZE: i32 = 50;
/// Up to this many prefix queries are cheaper than listing every group.
const MAX_PREFIX_QUERIES: usize = 3;

/// How to list the log groups a read needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing {
    /// Nothing to read.
    Nothing,
    /// One `logGroupNamePrefix` query per prefix (no prefix starts with another).
    Prefixes(Vec<String>),
    /// Every log group of the region.
    Everything,
}

/// The cheapest listing covering `names` and `prefixes` (see the module doc).
pub fn listing(names: &BTreeSet<String>, prefixes: &BTreeSet<String>) -> Listing {
    let all: BTreeSet<&str> = names.iter().chain(prefixes).map(String::as_str).collect();
    // Sorted, a string's shortest covering prefix in the set precedes it.
    let mut cover: Vec<&str> = Vec::new();
    for s in all {
        if !cover.iter().any(|c| s.starts_with(c)) {
            cover.push(s);
        }
    }
    match cover.len() {
        0 => Listing::Nothing,
        n if n <= MAX_PREFIX_QUERIES => {
            Listing::Prefixes(cover.into_iter().map(str::to_string).collect())
        }
        _ => Listing::Everything,
    }
}

/// What [`read_log_groups`] found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogGroupsRead {
    /// The selected groups (named or owned) that exist, by name.
    pub groups: Vec<Live<LogGroupSpec>>,
    /// Every group under one of the policy prefixes, by name.
    pub retention: Vec<LogGroupRetention>,
    /// `storedBytes` of each group in `groups` (a group AWS reports no size for is
    /// left out).
    pub stored_bytes: BTreeMap<String, u64>,
}

/// Log groups named in `names` or owned (`owned`: log-group ARN without `:*` → tags)
/// with their stored bytes, and the retention of every group under one of `prefixes`.
pub async fn read_log_groups(
    clients: &Clients,
    names: &BTreeSet<String>,
    prefixes: &BTreeSet<String>,
    owned: &BTreeMap<String, BTreeMap<String, String>>,
) -> Result<LogGroupsRead, AwsError> {
    read_groups(clients, names, prefixes, owned, false).await
}

/// Every log group of the region (`driftless audit`), with the tags of `tagged` (ARN
/// without `:*` → tags, from one tagging listing of every tagged group): a group the
/// listing lacks has no tags, so no tag call is made. Calls: `DescribeLogGroups:
/// max(1, ceil(G/50))`, plus the policy prefixes' groups as [`read_log_groups`].
pub async fn read_every_log_group(
    clients: &Clients,
    prefixes: &BTreeSet<String>,
    tagged: &BTreeMap<String, BTreeMap<String, String>>,
) -> Result<LogGroupsRead, AwsError> {
    read_groups(clients, &BTreeSet::new(), prefixes, tagged, true).await
}

async fn read_groups(
    clients: &Clients,
    names: &BTreeSet<String>,
    prefixes: &BTreeSet<String>,
    owned: &BTreeMap<String, BTreeMap<String, String>>,
    every: bool,
) -> Result<LogGroupsRead, AwsError> {
    let mut selected = names.clone();
    selected.extend(
        owned
            .keys()
            .filter_map(|arn| arn_resource(arn, "log-group:"))
            .map(str::to_string),
    );
    let queries: Vec<Option<String>> = match listing(&selected, prefixes) {
        _ if every => vec![None],
        Listing::Nothing => Vec::new(),
        Listing::Prefixes(p) => p.into_iter().map(Some).collect(),
        Listing::Everything => vec![None],
    };
    let groups = describe_log_groups(clients, queries).await?;
    let mut read = LogGroupsRead::default();
    for (name, group) in &groups {
        if prefixes.iter().any(|p| name.starts_with(p.as_str())) {
            read.retention.push(LogGroupRetention {
                name: name.clone(),
                retention: retention_of(group),
                fixed: group.log_group_class().map(|c| c.as_str()) == Some("DELIVERY"),
            });
        }
        if !every && !selected.contains(name) {
            continue;
        }
        let arn = group_arn(group);
        // Owned: tags from the tagging listing. Not owned: its own tag call (an ARN
        // is always there on AWS; without one the tags stay unknown).
        let tags = match arn.as_deref().and_then(|a| owned.get(a)) {
            Some(tags) => Some(tags.clone()),
            None if every => Some(BTreeMap::new()),
            None => list_tags(clients, name, arn.as_deref()).await?,
        };
        if let Some(bytes) = group.stored_bytes() {
            read.stored_bytes
                .insert(name.clone(), u64::try_from(bytes).unwrap_or(0));
        }
        read.groups.push(live_group(name, group, arn, tags));
    }
    Ok(read)
}

/// DescribeLogGroups, once per query (a name prefix, or `None` for every group), by
/// group name.
async fn describe_log_groups(
    clients: &Clients,
    queries: Vec<Option<String>>,
) -> Result<BTreeMap<String, LogGroup>, AwsError> {
    let mut groups: BTreeMap<String, LogGroup> = BTreeMap::new();
    for prefix in queries {
        let mut pages = clients
            .logs
            .describe_log_groups()
            .set_log_group_name_prefix(prefix)
            .limit(PAGE_SIZE)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| AwsError::call(clients, "logs", "DescribeLogGroups", None, e))?;
            for group in page.log_groups() {
                if let Some(name) = group.log_group_name() {
                    groups.insert(name.to_string(), group.clone());
                }
            }
        }
    }
    Ok(groups)
}

/// A listed group as a live resource; `tags` is `None` when they are unknown.
fn live_group(
    name: &str,
    group: &LogGroup,
    arn: Option<String>,
    tags: Option<BTreeMap<String, String>>,
) -> Live<LogGroupSpec> {
    let tags_known = tags.is_some();
    Live {
        name: name.to_string(),
        spec: LogGroupSpec {
            retention_in_days: retention_of(group),
            kms_key_id: group
                .kms_key_id()
                .filter(|k| !k.is_empty())
                .map(str::to_string),
            log_group_class: group
                .log_group_class()
                .and_then(|c| serde_json::from_value(serde_json::json!(c.as_str())).ok()),
            tags: tags.unwrap_or_default(),
        },
        arn,
        id: None,
        sub_ids: BTreeMap::new(),
        tags_known,
        unrepresented: group_extras(group),
    }
}

/// `None`: never expire (AWS leaves `retentionInDays` out).
fn retention_of(group: &LogGroup) -> Option<Retention> {
    group
        .retention_in_days()
        .and_then(|d| u32::try_from(d).ok())
        .map(Retention::Days)
}

/// The group's ARN without the `:*` that `arn` carries.
fn group_arn(group: &LogGroup) -> Option<String> {
    group
        .log_group_arn()
        .or_else(|| group.arn().map(|a| a.strip_suffix(":*").unwrap_or(a)))
        .map(str::to_string)
}

/// The tags of one (unowned) log group.
async fn list_tags(
    clients: &Clients,
    name: &str,
    arn: Option<&str>,
) -> Result<Option<BTreeMap<String, String>>, AwsError> {
    let Some(arn) = arn else {
        return Ok(None);
    };
    let out = clients
        .logs
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| AwsError::call(clients, "logs", "ListTagsForResource", Some(name), e))?;
    Ok(Some(
        out.tags()
            .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
    ))
}

/// A log group's settings the format has no field for ([`Live::unrepresented`]).
fn group_extras(group: &aws_sdk_cloudwatchlogs::types::LogGroup) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(status) = group.data_protection_status() {
        out.push(format!("a data protection policy ({})", status.as_str()));
    }
    if group.deletion_protection_enabled() == Some(true) {
        out.push("deletionProtectionEnabled".to_string());
    }
    let class = group.log_group_class().map(|c| c.as_str());
    let known = serde_json::from_value::<driftless_core::spec::log_group::LogGroupClass>(
        serde_json::json!(class),
    );
    if let (Some(class), Err(_)) = (class, known) {
        out.push(format!("logGroupClass {class}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn picks_the_cheapest_listing() {
        assert_eq!(listing(&set(&[]), &set(&[])), Listing::Nothing);
        assert_eq!(
            listing(&set(&["/app/web", "/app/api"]), &set(&[])),
            Listing::Prefixes(vec!["/app/api".into(), "/app/web".into()])
        );
        // Names under a policy prefix are covered by it.
        assert_eq!(
            listing(
                &set(&[
                    "/aws/lambda/a",
                    "/aws/lambda/b",
                    "/app/web",
                    "/aws/lambda/c"
                ]),
                &set(&["/aws/lambda/"])
            ),
            Listing::Prefixes(vec!["/app/web".into(), "/aws/lambda/".into()])
        );
        // A name that is a prefix of another covers it.
        assert_eq!(
            listing(&set(&["/a", "/a/b", "/a/c", "/a/d"]), &set(&[])),
            Listing::Prefixes(vec!["/a".into()])
        );
        assert_eq!(
            listing(&set(&["/a", "/b", "/c", "/d"]), &set(&[])),
            Listing::Everything
        );
        assert_eq!(
            listing(&set(&["/a", "/b"]), &set(&["/c/", "/d/"])),
            Listing::Everything
        );
    }
}
