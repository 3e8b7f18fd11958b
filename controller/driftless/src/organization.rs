//! Organization targets at plan time: ask AWS Organizations which accounts are in
//! scope (`aws::organizations::discover`, once per plan or apply, once per resync
//! round in the controller) and validate the repository again with the targets that
//! makes. Accounts that left scope are no longer planned, so their resources are
//! retained (never pruned because the account left); each is said in every plan's
//! warnings, and once in the history ([`record_departures`]: a `departed` record per
//! target, written by the first apply or controller resync that sees it) and in the
//! controller's `/status`. A failed discovery fails only the organization's targets:
//! explicit targets are planned as usual. Design: docs/design/organizations.md.

use crate::aws::{organizations, AwsError, AwsOptions};
use crate::history::Departure;
use crate::plan::TargetError;
use crate::spec::organization::{self, Enrollment, OrganizationTargets};
use crate::state::{
    Backend, HistoryQuery, ReconcileRecord, ReconcileResult, StateBackend, StateError,
};
use crate::validate::{self, LoadError, Loaded};

/// What [`enroll`] made of a repository.
pub struct Enrolled {
    /// The repository with the enrolled targets (as loaded when it has no
    /// organization entry, or when discovery failed).
    pub loaded: Loaded,
    /// Discovery's failure, as a plan error of the pseudo-target `organization`.
    pub error: Option<TargetError>,
    /// AWS Organizations' answer, when there are entries and discovery succeeded
    /// (departures are told only then: a failed discovery is not a departure).
    pub enrollment: Option<Enrollment>,
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
            enrollment: None,
        });
    }
    match organizations::discover(&entries, aws).await {
        Ok(enrollment) => Ok(Enrolled {
            loaded: validate::load_enrolled(&loaded, &enrollment)?,
            error: None,
            enrollment: Some(enrollment),
        }),
        Err(e) => Ok(Enrolled {
            error: Some(discovery_error(&e)),
            loaded,
            enrollment: None,
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

/// The accounts of `loaded` (enrolled with `enrollment`) that left scope, from the
/// targets with last-applied records (keys `target/Kind/name`).
pub fn departures<'k>(
    loaded: &Loaded,
    recorded: impl Iterator<Item = &'k String>,
    enrollment: &Enrollment,
) -> Vec<Departure> {
    let targets: std::collections::BTreeSet<&str> =
        recorded.filter_map(|key| key.split('/').next()).collect();
    organization::departures(&loaded.state.config, targets, enrollment)
}

/// One warning per departed target, for the plan.
pub fn warnings(loaded: &Loaded, departures: &[Departure]) -> Vec<String> {
    let config = &loaded.state.config;
    departures
        .iter()
        .flat_map(|d| d.targets.iter().map(move |t| (d, t)))
        .map(|(d, t)| {
            let role = config
                .generated_by(t)
                .map(|(entry, _)| entry.role_name.clone())
                .unwrap_or_default();
            format!(
                "target `{t}`: account {} is no longer in the organization's scope ({}); it is not planned, and its resources are retained, never pruned because the account left (role `{role}`)",
                d.account,
                d.describe_reason()
            )
        })
        .collect()
}

/// A departure as the history keeps it, and when it was first recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Told {
    pub departure: Departure,
    /// When the history first recorded it (Unix seconds).
    pub at_unix: i64,
    /// Recorded by this call (not before).
    pub new: bool,
}

/// Records each departure in the history once: a `departed` record per target,
/// unless that target's latest record already is one (the account left before and
/// has not come back since; a target that comes back is reconciled again, so a
/// later departure is recorded anew). Returns every departure with when it was first
/// recorded, and what could not be read or written (best effort, like all history).
pub async fn record_departures(
    state: &StateBackend,
    departures: &[Departure],
    revision: &str,
    now: i64,
) -> (Vec<Told>, Vec<StateError>) {
    let (mut told, mut errors) = (Vec::new(), Vec::new());
    for d in departures {
        let mut first = now;
        let mut new = false;
        for target in &d.targets {
            match recorded_at(state, target).await {
                Ok(Some(at)) => first = first.min(at),
                Ok(None) => {
                    new = true;
                    let record = departure_record(d, target, revision, now);
                    if let Err(e) = state.record_reconcile(&record).await {
                        errors.push(e);
                    }
                }
                Err(e) => errors.push(e),
            }
        }
        told.push(Told {
            departure: d.clone(),
            at_unix: first,
            new,
        });
    }
    (told, errors)
}

/// When `target`'s standing departure was recorded: its latest record, if that is a
/// departure.
async fn recorded_at(state: &StateBackend, target: &str) -> Result<Option<i64>, StateError> {
    let query = HistoryQuery {
        target: Some(target.to_string()),
        since_unix: None,
        limit: Some(1),
    };
    let latest = state.history(&query).await?;
    Ok(latest
        .first()
        .filter(|r| r.result == ReconcileResult::Departed)
        .map(|r| r.started_at_unix))
}

fn departure_record(d: &Departure, target: &str, revision: &str, now: i64) -> ReconcileRecord {
    ReconcileRecord {
        id: None,
        started_at_unix: now,
        duration_ms: 0,
        target: target.to_string(),
        revision: revision.to_string(),
        result: ReconcileResult::Departed,
        changes: Vec::new(),
        drift_found: 0,
        drift_corrected: 0,
        error: None,
        repeated: 1,
        last_at_unix: None,
        departure: Some(d.clone()),
    }
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
