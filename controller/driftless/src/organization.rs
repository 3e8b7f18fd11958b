//! Organization targets at plan time: ask AWS Organizations which accounts are in
//! scope (`aws::organizations::discover`, once per plan, apply or controller resync)
//! and validate the repository again with the targets that makes. Accounts that left
//! scope are said once per plan, in its warnings: they are no longer planned, so their
//! resources are retained (never pruned because the account left). A failed discovery
//! fails only the organization's targets: explicit targets are planned as usual.
//! Design: docs/design/organizations.md.

use std::collections::BTreeSet;

use crate::aws::{organizations, AwsError, AwsOptions};
use crate::plan::TargetError;
use crate::spec::organization::OrganizationTargets;
use crate::validate::{self, LoadError, Loaded};

/// What [`enroll`] made of a repository.
pub struct Enrolled {
    /// The repository with the enrolled targets (as loaded when it has no
    /// organization entry, or when discovery failed).
    pub loaded: Loaded,
    /// Discovery's failure, as a plan error of the pseudo-target `organization`.
    pub error: Option<TargetError>,
}

/// The name plan errors give discovery.
pub const ORGANIZATION: &str = "organization";

/// `loaded` with its organization entries' targets, as AWS Organizations answers now.
pub async fn enroll(loaded: Loaded, aws: &AwsOptions) -> Result<Enrolled, LoadError> {
    let entries: Vec<&OrganizationTargets> = loaded.state.config.organizations().collect();
    if entries.is_empty() {
        return Ok(Enrolled {
            loaded,
            error: None,
        });
    }
    match organizations::discover(&entries, aws).await {
        Ok(enrollment) => Ok(Enrolled {
            loaded: validate::load_enrolled(&loaded, &enrollment)?,
            error: None,
        }),
        Err(e) => Ok(Enrolled {
            error: Some(discovery_error(&e)),
            loaded,
        }),
    }
}

fn discovery_error(e: &AwsError) -> TargetError {
    TargetError {
        target: ORGANIZATION.into(),
        message: format!(
            "AWS Organizations could not be read, so no organization target was planned: {}",
            e.detail()
        ),
        hint: e.hint(),
    }
}

/// Targets an organization entry made before (they have last-applied records) whose
/// account is no longer in scope: one warning each.
pub fn departed(loaded: &Loaded, recorded: impl Iterator<Item = String>) -> Vec<String> {
    let config = &loaded.state.config;
    let targets: BTreeSet<String> = recorded
        .filter_map(|key| key.split('/').next().map(str::to_string))
        .collect();
    targets
        .into_iter()
        .filter(|t| config.target(t).is_none())
        .filter_map(|t| {
            let (entry, account) = config.generated_by(&t)?;
            Some(format!(
                "target `{t}`: account {account} is no longer in the organization's scope (moved, suspended, closed or excluded); it is not planned, and its resources are retained, never pruned because the account left (role `{}`)",
                entry.role_name
            ))
        })
        .collect()
}

/// The hint of an organization's target whose role could not be assumed: which role,
/// in which account.
pub fn role_hint(
    config: &crate::spec::DriftlessConfig,
    target: &str,
    e: &AwsError,
) -> Option<String> {
    let (_, account) = config.generated_by(target)?;
    let role = config.target(target)?.role_arn.clone()?;
    let text = e.to_string();
    let assume = text.contains("credentials") || text.contains("AssumeRole");
    assume.then(|| {
        format!(
            "the role `{role}` in account {account} could not be assumed: check that it exists there and that its trust policy allows the credentials driftless runs with (for an organization, create it in every member account, e.g. with a StackSet), or exclude the account with `excludeAccounts`"
        )
    })
}
