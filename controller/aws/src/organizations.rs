//! AWS Organizations: which member accounts driftless.yaml's organization entries
//! stand for. Read with the ambient credentials (the management account or a
//! delegated administrator), never a target's.
//!
//! Calls: per OU in scope (nested ones included), one ListChildren
//! (`ORGANIZATIONAL_UNIT`) and one ListAccountsForParent, a page each per 20 items
//! (AWS's page size); one DescribeAccount per account listed in `accounts` that no OU
//! already brought. Each parent is read once per discovery even when several entries
//! name it (the cache lives as long as one [`discover`] call: one plan, apply or
//! controller resync). Only ACTIVE accounts are kept (`State`, else the older
//! `Status`). Depth and count are bounded: AWS allows OUs five levels deep, and a
//! walk past [`MAX_PARENTS`] parents stops with an error rather than running on.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_organizations::types::{AccountState, AccountStatus, ChildType};

use driftless_core::spec::organization::{Enrollment, OrganizationTargets};

use super::{calls, pace, sdk_config, AwsError, AwsOptions};

/// What errors name as the target of discovery calls.
const WHO: &str = "organization";
/// OUs nest at most five levels under the root (Organizations quotas); one more for
/// the root itself.
const MAX_DEPTH: usize = 6;
/// Parents (root and OUs) read in one discovery, at most (Organizations allows 1,000
/// OUs per organization; the bound keeps a malformed answer from running on).
pub const MAX_PARENTS: usize = 2_000;

/// The ACTIVE accounts in scope of every entry, in the entries' order.
pub async fn discover(
    entries: &[&OrganizationTargets],
    options: &AwsOptions,
) -> Result<Enrollment, AwsError> {
    let Some(first) = entries.first() else {
        return Ok(Enrollment::default());
    };
    // Organizations is global per partition: the first region names the partition.
    let region = first.regions.first().map(String::as_str);
    let config = sdk_config(WHO, None, region, options).await?;
    let mut walk = Walk {
        client: aws_sdk_organizations::Client::from_conf(
            aws_sdk_organizations::config::Builder::from(&config)
                .interceptor(calls::CountCalls)
                .interceptor(pace::MarkOperation::new(None))
                .build(),
        ),
        accounts: BTreeMap::new(),
        children: BTreeMap::new(),
        described: BTreeMap::new(),
        inactive: BTreeMap::new(),
    };
    let mut enrollment = Enrollment::default();
    for entry in entries {
        let mut found = BTreeSet::new();
        for ou in &entry.ous {
            found.extend(walk.under(ou).await?);
        }
        for account in &entry.accounts {
            if found.contains(account) || walk.is_active(account).await? {
                found.insert(account.clone());
            }
        }
        enrollment.accounts.push(found);
    }
    enrollment.inactive = walk.inactive;
    Ok(enrollment)
}

/// One discovery's client and what it has read so far.
struct Walk {
    client: aws_sdk_organizations::Client,
    /// Parent → its ACTIVE accounts (directly under it).
    accounts: BTreeMap<String, BTreeSet<String>>,
    /// Parent → its child OUs.
    children: BTreeMap<String, Vec<String>>,
    /// Listed account → whether it is ACTIVE.
    described: BTreeMap<String, bool>,
    /// Accounts seen that are not ACTIVE → their state (why one left scope).
    inactive: BTreeMap<String, String>,
}

impl Walk {
    /// Every ACTIVE account under `parent`, nested OUs included.
    async fn under(&mut self, parent: &str) -> Result<BTreeSet<String>, AwsError> {
        let mut found = BTreeSet::new();
        let mut level = vec![parent.to_string()];
        let mut read = 0usize;
        for _ in 0..MAX_DEPTH {
            let mut next = Vec::new();
            for p in &level {
                read += 1;
                if read > MAX_PARENTS {
                    return Err(too_many(parent));
                }
                found.extend(self.accounts_of(p).await?.iter().cloned());
                next.extend(self.children_of(p).await?.iter().cloned());
            }
            if next.is_empty() {
                return Ok(found);
            }
            level = next;
        }
        Err(too_many(parent))
    }

    async fn accounts_of(&mut self, parent: &str) -> Result<&BTreeSet<String>, AwsError> {
        if !self.accounts.contains_key(parent) {
            let mut pages = self
                .client
                .list_accounts_for_parent()
                .parent_id(parent)
                .into_paginator()
                .send();
            let mut active = BTreeSet::new();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| failed("ListAccountsForParent", parent, e))?;
                for account in page.accounts() {
                    if is_active(account.state(), account.status()) {
                        active.extend(account.id().map(str::to_string));
                    } else if let Some(id) = account.id() {
                        self.inactive
                            .insert(id.to_string(), state_of(account.state(), account.status()));
                    }
                }
            }
            self.accounts.insert(parent.to_string(), active);
        }
        Ok(&self.accounts[parent])
    }

    async fn children_of(&mut self, parent: &str) -> Result<&Vec<String>, AwsError> {
        if !self.children.contains_key(parent) {
            let mut pages = self
                .client
                .list_children()
                .parent_id(parent)
                .child_type(ChildType::OrganizationalUnit)
                .into_paginator()
                .send();
            let mut ous = Vec::new();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| failed("ListChildren", parent, e))?;
                ous.extend(
                    page.children()
                        .iter()
                        .filter_map(|c| c.id().map(str::to_string)),
                );
            }
            self.children.insert(parent.to_string(), ous);
        }
        Ok(&self.children[parent])
    }

    /// Whether a listed account is a member and ACTIVE (an account that is not in
    /// the organization is simply not in scope).
    async fn is_active(&mut self, account: &str) -> Result<bool, AwsError> {
        if let Some(active) = self.described.get(account) {
            return Ok(*active);
        }
        let active = match self
            .client
            .describe_account()
            .account_id(account)
            .send()
            .await
        {
            Ok(out) => match out.account() {
                Some(a) if is_active(a.state(), a.status()) => true,
                Some(a) => {
                    let state = state_of(a.state(), a.status());
                    self.inactive.insert(account.to_string(), state);
                    false
                }
                None => false,
            },
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_account_not_found_exception()) =>
            {
                false
            }
            Err(e) => return Err(failed("DescribeAccount", account, e)),
        };
        self.described.insert(account.to_string(), active);
        Ok(active)
    }
}

/// An account's state as AWS spells it (`SUSPENDED`, `CLOSED`, ...): `State`, else
/// the older `Status`.
fn state_of(state: Option<&AccountState>, status: Option<&AccountStatus>) -> String {
    match (state, status) {
        (Some(state), _) => state.as_str().to_string(),
        (None, Some(status)) => status.as_str().to_string(),
        (None, None) => "UNKNOWN".to_string(),
    }
}

/// `State` (the current field) when AWS sends it, else the older `Status`.
fn is_active(state: Option<&AccountState>, status: Option<&AccountStatus>) -> bool {
    match state {
        Some(state) => *state == AccountState::Active,
        None => status == Some(&AccountStatus::Active),
    }
}

fn failed<E>(
    operation: &'static str,
    resource: &str,
    e: aws_sdk_ssm::error::SdkError<E>,
) -> AwsError
where
    E: aws_sdk_ssm::error::ProvideErrorMetadata + std::fmt::Debug + std::error::Error + 'static,
{
    let e = AwsError::from_sdk(WHO, "organizations", operation, Some(resource), e);
    match e.hint() {
        Some(hint) if hint.contains("permission") => AwsError::Setup {
            target: WHO.into(),
            message: e.detail(),
            hint: format!("{hint}; discovery runs with the ambient credentials, which must be the organization's management account or a delegated administrator"),
        },
        _ => e,
    }
}

fn too_many(parent: &str) -> AwsError {
    AwsError::Setup {
        target: WHO.into(),
        message: format!(
            "the OUs under `{parent}` go deeper than {} levels or past {MAX_PARENTS} parents",
            MAX_DEPTH - 1
        ),
        hint: "name the OUs to manage in `ous` instead of a parent of them all".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_wins_over_the_older_status() {
        assert!(is_active(
            Some(&AccountState::Active),
            Some(&AccountStatus::Suspended)
        ));
        assert!(!is_active(
            Some(&AccountState::Suspended),
            Some(&AccountStatus::Active)
        ));
        assert!(is_active(None, Some(&AccountStatus::Active)));
        assert!(!is_active(None, Some(&AccountStatus::PendingClosure)));
        assert!(!is_active(None, None));
    }
}
