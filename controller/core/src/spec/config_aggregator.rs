//! `ConfigurationAggregator`: an AWS Config aggregator (PutConfigurationAggregator)
//! collecting configuration and compliance data from accounts × regions, or from the
//! whole organization. Aggregators take tags, so ownership is the ownership tag.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::context::{At, Cx};
use super::rules::{self, Problem};

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfigurationAggregatorSpec {
    /// AccountAggregationSources: accounts and the regions to collect from. AWS takes
    /// at most one source (the model's list maximum). Exclusive with `organization`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<AccountSource>,
    /// OrganizationAggregationSource: every account of the organization, through
    /// `roleArn`. Exclusive with `accounts`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<OrganizationSource>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

/// AccountAggregationSource.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountSource {
    /// 12-digit account ids (order does not matter).
    pub account_ids: Vec<String>,
    /// Regions to collect from; exclusive with `allRegions` (order does not matter).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
    /// Every region, present and future.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub all_regions: bool,
}

/// OrganizationAggregationSource.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrganizationSource {
    /// The IAM role AWS Config assumes to read the organization.
    pub role_arn: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub all_regions: bool,
}

/// AccountAggregationSourceAccountList's maximum (the API model), per source.
pub const MAX_ACCOUNTS: usize = 1000;

/// ConfigurationAggregatorName: 1-256 letters, digits, `_` and `-` (the API model's
/// pattern `[\w\-]+`).
pub fn check_aggregator_name(name: &str) -> rules::Check {
    rules::name("aggregator name", name, 1, 256, "_-")
}

impl ConfigurationAggregatorSpec {
    pub fn check(&self, name: &str, cx: &mut Cx<'_>) {
        let at = At::spec();
        cx.check(
            &At::root().k("metadata").k("name"),
            check_aggregator_name(name),
        );
        match (self.accounts.is_empty(), &self.organization) {
            (true, None) => cx.report(
                &at,
                Problem::new("an aggregator needs `accounts` or `organization`").hint(
                    "add `organization: {roleArn: ..., allRegions: true}` or `accounts: [{accountIds: [...], allRegions: true}]`",
                ),
            ),
            (false, Some(_)) => cx.report(
                &at.k("organization"),
                Problem::new("`accounts` and `organization` cannot both be set")
                    .hint("AWS Config aggregates either listed accounts or the organization: keep one"),
            ),
            _ => {}
        }
        if self.accounts.len() > 1 {
            cx.report(
                &at.k("accounts").i(1),
                Problem::new(format!(
                    "{} account sources; AWS Config takes one",
                    self.accounts.len()
                ))
                .hint(
                    "merge them into one entry: its accountIds and regions apply to every account",
                ),
            );
        }
        for (i, source) in self.accounts.iter().enumerate() {
            check_accounts(&at.k("accounts").i(i), source, cx);
        }
        if let Some(org) = &self.organization {
            let org_at = at.k("organization");
            cx.check(
                &org_at.k("roleArn"),
                rules::role_arn(&org.role_arn, "roleArn"),
            );
            check_regions(&org_at, &org.regions, org.all_regions, cx);
        }
        cx.check_tags(&at.k("tags"), &self.tags);
    }
}

fn check_accounts(at: &At<'_>, source: &AccountSource, cx: &mut Cx<'_>) {
    let ids_at = at.k("accountIds");
    if source.account_ids.is_empty() {
        cx.report(
            &ids_at,
            Problem::new("`accountIds` is empty")
                .hint("list the 12-digit ids of the accounts to aggregate"),
        );
    }
    cx.check(
        &ids_at,
        rules::at_most("accountIds", source.account_ids.len(), MAX_ACCOUNTS),
    );
    let mut seen = BTreeSet::new();
    for (i, id) in source.account_ids.iter().enumerate() {
        if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
            cx.report(
                &ids_at.i(i),
                Problem::new(format!("`{id}` is not an AWS account id"))
                    .hint("account ids are 12 digits; quote them so YAML keeps leading zeros"),
            );
        } else if !seen.insert(id) {
            cx.error(&ids_at.i(i), format!("account `{id}` is listed twice"));
        }
    }
    check_regions(at, &source.regions, source.all_regions, cx);
}

/// `regions` xor `allRegions: true`, each region a region code listed once.
fn check_regions(at: &At<'_>, regions: &[String], all: bool, cx: &mut Cx<'_>) {
    match (regions.is_empty(), all) {
        (true, false) => cx.report(
            at,
            Problem::new("no regions to aggregate")
                .hint("add `allRegions: true` or `regions: [ap-northeast-1, ...]`"),
        ),
        (false, true) => cx.report(
            &at.k("allRegions"),
            Problem::new("`regions` and `allRegions: true` cannot both be set")
                .hint("AWS Config refuses both; keep one"),
        ),
        _ => {}
    }
    let mut seen = BTreeSet::new();
    for (i, region) in regions.iter().enumerate() {
        let r_at = at.k("regions").i(i);
        cx.check(&r_at, rules::region(region));
        if !seen.insert(region) {
            cx.error(&r_at, format!("region `{region}` is listed twice"));
        }
    }
}
